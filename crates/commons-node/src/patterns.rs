//! Code patterns as users see them: the community pattern key, submission
//! with duplicate detection, votes, expert approval, withdrawal, the review
//! transitions the home node appends, libraries and the starter patterns.
//!
//! The node never receives code: callers fingerprint locally with the key
//! from [`Node::pattern_key`] and submit the keyed hash set.

use commons_fingerprint::{CommunityKey, SharedFingerprint};
use commons_kernel::{CommunityId, Kind, PublicKey, Record, Role, SecretKey, SignedRecord};
use commons_patterns::library::{CURRENT_KEY_EPOCH, community_pattern_key_bytes, seeds};
use commons_patterns::records::{APPROVE, SUBMIT, TRANSITION, VOTE, WITHDRAW};
use commons_patterns::review::{Kinship, kinship, next_state};
use commons_patterns::views;
use serde_json::{Value, json};

use crate::accounts::User;
use crate::{CommunityView, DOMAIN_COMMUNITIES, Node, NodeError, now};

pub use commons_patterns::views::{TransitionRow, VoteRow};
pub use commons_patterns::{Filter, Impact, PatternSummary, Properties, Severity, State};

/// What a member submits: the output of `commons pattern abstract` under the
/// community's key, and what they say about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Submission {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Language name.
    pub language: String,
    /// Severity, category, impacts.
    pub properties: Properties,
    /// The keyed hash set.
    pub fingerprint: SharedFingerprint,
    /// Sign with the home node's key and keep the author private.
    #[serde(default)]
    pub anonymous: bool,
}

/// A near-duplicate found on submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    /// The existing pattern.
    pub pattern: PatternSummary,
    /// Containment either way, `0.0..=1.0`.
    pub containment: f64,
}

/// The result of a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The new pattern.
    pub pattern: PatternSummary,
    /// Near-duplicates, linked in the submission.
    pub similar: Vec<Similar>,
}

/// A community's pattern key as handed to a member.
#[derive(Clone, PartialEq, Eq)]
pub struct PatternKey {
    /// The key bytes.
    pub bytes: [u8; 32],
    /// The key epoch.
    pub epoch: u32,
}

impl PatternKey {
    /// The engine's key.
    pub fn key(&self) -> CommunityKey {
        CommunityKey::new(self.bytes, self.epoch)
    }
}

impl std::fmt::Debug for PatternKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatternKey")
            .field("bytes", &"<redacted>")
            .field("epoch", &self.epoch)
            .finish()
    }
}

/// A suggested reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    /// Their key.
    pub key: PublicKey,
    /// Their member name.
    pub name: String,
    /// Expertise points in the pattern's language and category.
    pub points: u32,
}

/// Everything a pattern page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternDetail {
    /// The pattern.
    pub summary: PatternSummary,
    /// The submitter's member name; `None` when anonymous.
    pub author_name: Option<String>,
    /// Votes with member names.
    pub votes: Vec<(VoteRow, String)>,
    /// Approving experts with member names.
    pub approvals: Vec<(PublicKey, String)>,
    /// State changes.
    pub transitions: Vec<TransitionRow>,
    /// Linked near-duplicates.
    pub similar: Vec<PatternSummary>,
    /// Members with expertise who have not reviewed it yet.
    pub reviewers: Vec<Reviewer>,
    /// Whether the policy asks an expert to approve it.
    pub needs_expert: bool,
}

impl Node {
    /// The community's pattern key, for active members only: they hash
    /// locally with it. Only the home node can derive it.
    pub async fn pattern_key(
        &self,
        user: &User,
        community: &str,
    ) -> Result<(CommunityView, PatternKey), NodeError> {
        let view = self.community(community, Some(user)).await?;
        if view.role.is_none() {
            return Err(NodeError::Forbidden(format!(
                "only members of {} receive its pattern key; join it first",
                view.name
            )));
        }
        let key = self.pattern_key_of(view.id).await?;
        Ok((view, key))
    }

    async fn pattern_key_of(&self, community: CommunityId) -> Result<PatternKey, NodeError> {
        let secret = self.community_secret(community).await?;
        Ok(PatternKey {
            bytes: community_pattern_key_bytes(&secret.to_bytes(), CURRENT_KEY_EPOCH),
            epoch: CURRENT_KEY_EPOCH,
        })
    }

    /// Submits a pattern. Exact duplicates are refused; near-duplicates are
    /// linked and returned.
    pub async fn submit_pattern(
        &self,
        user: &User,
        community: &str,
        submission: Submission,
    ) -> Result<Submitted, NodeError> {
        let view = self.community(community, Some(user)).await?;
        if view.role.is_none() {
            return Err(NodeError::Forbidden(format!(
                "only members of {} may submit patterns; join it first",
                view.name
            )));
        }
        let mut body = json!({
            "title": submission.title.trim(),
            "description": submission.description.trim(),
            "language": submission.language,
            "properties": submission.properties,
            "fingerprint": submission.fingerprint,
            "anonymous": submission.anonymous,
        });
        let mut findings = commons_patterns::validate::check_submit(&body);
        if submission.fingerprint.key_epoch != CURRENT_KEY_EPOCH {
            findings.push(
                "/body/fingerprint/key_epoch",
                format!(
                    "hashes are under key epoch {}, the community's is {CURRENT_KEY_EPOCH}; fetch the key again",
                    submission.fingerprint.key_epoch
                ),
            );
        }
        if !findings.0.is_empty() {
            return Err(NodeError::Invalid(findings));
        }
        let hash_count = submission.fingerprint.hashes.len() as u32;
        let mut similar = Vec::new();
        for overlap in
            views::overlaps(self.store(), view.id, &submission.fingerprint.hashes).await?
        {
            let Some(found) = kinship(&overlap, hash_count) else {
                continue;
            };
            let Some(existing) = views::get(self.store(), view.id, &overlap.pattern).await? else {
                continue;
            };
            match found {
                Kinship::Exact if existing.state != State::Withdrawn => {
                    return Err(NodeError::Conflict(format!(
                        "the same pattern is already in {}: {} \"{}\" ({})",
                        view.name, existing.id, existing.title, existing.state
                    )));
                }
                Kinship::Exact => similar.push(Similar {
                    pattern: existing,
                    containment: 1.0,
                }),
                Kinship::Near(containment) => similar.push(Similar {
                    pattern: existing,
                    containment,
                }),
            }
        }
        similar.sort_by(|a, b| b.containment.total_cmp(&a.containment));
        similar.truncate(commons_patterns::validate::MAX_SIMILAR);
        body["similar"] = json!(
            similar
                .iter()
                .map(|s| s.pattern.id.clone())
                .collect::<Vec<_>>()
        );
        let secret = if submission.anonymous {
            self.inner.node_key.clone()
        } else {
            self.user_secret(user).await?
        };
        let signed = sign(&secret, view.id, SUBMIT, body)?;
        let pattern_id = signed.id().to_hex();
        self.append(view.id, vec![signed]).await?;
        if submission.anonymous {
            views::set_anonymous_author(self.store(), view.id, &pattern_id, user.name.as_str())
                .await?;
        }
        let pattern = self.pattern_summary(view.id, &pattern_id).await?;
        Ok(Submitted { pattern, similar })
    }

    /// Submits a pattern given as JSON (an API body): every bad field is
    /// reported as a finding before anything is decoded.
    pub async fn submit_pattern_json(
        &self,
        user: &User,
        community: &str,
        body: &Value,
    ) -> Result<Submitted, NodeError> {
        let mut findings = commons_patterns::validate::check_submit(body);
        if body.get("similar").is_some() {
            findings.push(
                "/body/similar",
                "near-duplicates are found and linked by the home node",
            );
        }
        if !findings.0.is_empty() {
            return Err(NodeError::Invalid(findings));
        }
        let submission: Submission = serde_json::from_value(body.clone())
            .map_err(|e| NodeError::BadInput(format!("invalid submission: {e}")))?;
        self.submit_pattern(user, community, submission).await
    }

    /// Votes for (`1`) or against (`-1`) a pattern, replacing an earlier
    /// vote, and appends the transition the votes call for.
    pub async fn vote_pattern(
        &self,
        user: &User,
        community: &str,
        pattern: &str,
        vote: i64,
    ) -> Result<PatternSummary, NodeError> {
        if vote != 1 && vote != -1 {
            return Err(NodeError::BadInput(format!(
                "a vote is 1 (for) or -1 (against), not {vote}"
            )));
        }
        let view = self.community(community, Some(user)).await?;
        let summary = self.open_pattern(view.id, pattern).await?;
        if self.is_submitter(user, view.id, &summary).await? {
            return Err(NodeError::Forbidden(
                "you cannot vote on your own pattern".into(),
            ));
        }
        self.submit(
            user,
            view.id,
            VOTE,
            json!({ "pattern": summary.id, "vote": vote }),
            Vec::new(),
        )
        .await?;
        self.advance(&view, &summary.id).await
    }

    /// An expert approves a pattern.
    pub async fn approve_pattern(
        &self,
        user: &User,
        community: &str,
        pattern: &str,
    ) -> Result<PatternSummary, NodeError> {
        let view = self.community(community, Some(user)).await?;
        let summary = self.open_pattern(view.id, pattern).await?;
        if view.role.is_none_or(|role| role < Role::Expert) {
            return Err(NodeError::Forbidden(format!(
                "approving patterns needs the expert role in {}",
                view.name
            )));
        }
        if self.is_submitter(user, view.id, &summary).await? {
            return Err(NodeError::Forbidden(
                "you cannot approve your own pattern".into(),
            ));
        }
        self.submit(
            user,
            view.id,
            APPROVE,
            json!({ "pattern": summary.id }),
            Vec::new(),
        )
        .await?;
        self.advance(&view, &summary.id).await
    }

    /// The submitter withdraws a pattern.
    pub async fn withdraw_pattern(
        &self,
        user: &User,
        community: &str,
        pattern: &str,
    ) -> Result<PatternSummary, NodeError> {
        let view = self.community(community, Some(user)).await?;
        let summary = self.open_pattern(view.id, pattern).await?;
        if !self.is_submitter(user, view.id, &summary).await? {
            return Err(NodeError::Forbidden(
                "only the submitter may withdraw a pattern".into(),
            ));
        }
        let secret = match summary.author {
            Some(_) => self.user_secret(user).await?,
            None => self.inner.node_key.clone(),
        };
        let signed = sign(&secret, view.id, WITHDRAW, json!({ "pattern": summary.id }))?;
        self.append(view.id, vec![signed]).await?;
        self.pattern_summary(view.id, &summary.id).await
    }

    /// Patterns of a community the viewer may see, newest first.
    pub async fn patterns(
        &self,
        viewer: Option<&User>,
        community: &str,
        filter: &Filter,
    ) -> Result<(CommunityView, Vec<PatternSummary>), NodeError> {
        let view = self.community(community, viewer).await?;
        let list = views::list(self.store(), view.id, filter).await?;
        Ok((view, list))
    }

    /// Patterns waiting for review (submitted or in review), oldest first.
    pub async fn review_queue(
        &self,
        viewer: Option<&User>,
        community: &str,
    ) -> Result<(CommunityView, Vec<PatternSummary>), NodeError> {
        let view = self.community(community, viewer).await?;
        let mut queue = Vec::new();
        for state in [State::Submitted, State::InReview] {
            let filter = Filter {
                state: Some(state),
                limit: 1000,
                ..Filter::default()
            };
            queue.extend(views::list(self.store(), view.id, &filter).await?);
        }
        queue.sort_by_key(|pattern| pattern.seq);
        Ok((view, queue))
    }

    /// One pattern with its votes, approvals, history, near-duplicates and
    /// suggested reviewers. `pattern` may be a unique id prefix.
    pub async fn pattern(
        &self,
        viewer: Option<&User>,
        community: &str,
        pattern: &str,
    ) -> Result<(CommunityView, PatternDetail), NodeError> {
        let view = self.community(community, viewer).await?;
        let id = self.resolve_pattern(view.id, pattern).await?;
        let summary = self.pattern_summary(view.id, &id).await?;
        let members = self.store().members(view.id).await?;
        let name_of = |key: &PublicKey| {
            members
                .iter()
                .find(|member| member.key == *key)
                .map_or_else(|| short(key), |member| member.name.clone())
        };
        let votes = views::votes(self.store(), view.id, &id)
            .await?
            .into_iter()
            .map(|vote| {
                let name = name_of(&vote.voter);
                (vote, name)
            })
            .collect::<Vec<_>>();
        let approvals = views::approvals(self.store(), view.id, &id)
            .await?
            .into_iter()
            .map(|key| (key, name_of(&key)))
            .collect::<Vec<_>>();
        let mut similar = Vec::new();
        for other in views::links(self.store(), view.id, &id).await? {
            if let Some(found) = views::get(self.store(), view.id, &other).await? {
                similar.push(found);
            }
        }
        let reviewed: Vec<PublicKey> = votes
            .iter()
            .map(|(vote, _)| vote.voter)
            .chain(approvals.iter().map(|(key, _)| *key))
            .chain(summary.author)
            .collect();
        let reviewers = views::expertise(
            self.store(),
            view.id,
            &summary.language,
            &summary.properties.category,
        )
        .await?
        .into_iter()
        .filter(|(key, _)| !reviewed.contains(key))
        .filter(|(key, _)| members.iter().any(|member| member.key == *key))
        .take(5)
        .map(|(key, points)| Reviewer {
            name: name_of(&key),
            key,
            points,
        })
        .collect();
        let detail = PatternDetail {
            author_name: summary.author.as_ref().map(&name_of),
            needs_expert: commons_patterns::review::needs_expert(&summary.properties, &view.policy),
            transitions: views::transitions(self.store(), view.id, &id).await?,
            summary,
            votes,
            approvals,
            similar,
            reviewers,
        };
        Ok((view, detail))
    }

    /// The accepted patterns of a community and its key: what a member's
    /// scan matches against.
    pub async fn pattern_library(
        &self,
        user: &User,
        community: &str,
    ) -> Result<
        (
            CommunityView,
            PatternKey,
            Vec<(PatternSummary, SharedFingerprint)>,
        ),
        NodeError,
    > {
        let (view, key) = self.pattern_key(user, community).await?;
        let library = views::accepted(self.store(), view.id).await?;
        Ok((view, key, library))
    }

    /// Appends the starter patterns of each domain community this node is
    /// home for and that has no patterns yet, as accepted, submitted by
    /// `admin`. Called at first start; idempotent.
    pub async fn seed_pattern_libraries(&self, admin: &User) -> Result<u64, NodeError> {
        let mut seeded = 0;
        for domain in DOMAIN_COMMUNITIES {
            let Some(id) = self.find_home_community(domain).await? else {
                continue;
            };
            if views::count(self.store(), id).await? > 0 {
                continue;
            }
            let key = self.pattern_key_of(id).await?.key();
            let admin_secret = self.user_secret(admin).await?;
            let mut records = Vec::new();
            for seed in seeds(domain) {
                let body = seed.submission(&key).map_err(NodeError::BadInput)?;
                let body = serde_json::to_value(body).expect("a submission serializes");
                let submit = sign(&admin_secret, id, SUBMIT, body)?;
                let transition = json!({
                    "pattern": submit.id().to_hex(),
                    "state": State::Accepted,
                    "reason": "starter pattern of the domain library",
                });
                let transition = sign(&self.inner.node_key, id, TRANSITION, transition)?;
                records.push(submit);
                records.push(transition);
                seeded += 1;
            }
            if !records.is_empty() {
                self.append(id, records).await?;
            }
        }
        Ok(seeded)
    }

    /// Who submitted an anonymous pattern, for moderators of its community
    /// on the home node.
    pub async fn anonymous_author(
        &self,
        user: &User,
        community: &str,
        pattern: &str,
    ) -> Result<Option<String>, NodeError> {
        let view = self.community(community, Some(user)).await?;
        if view.role.is_none_or(|role| role < Role::Moderator) {
            return Err(NodeError::Forbidden(
                "only moderators see who submitted an anonymous pattern".into(),
            ));
        }
        let id = self.resolve_pattern(view.id, pattern).await?;
        Ok(views::anonymous_author(self.store(), view.id, &id).await?)
    }

    async fn resolve_pattern(
        &self,
        community: CommunityId,
        pattern: &str,
    ) -> Result<String, NodeError> {
        let not_found = || NodeError::NotFound {
            what: "pattern",
            name: pattern.to_owned(),
        };
        let ids = views::ids_with_prefix(self.store(), community, pattern.trim()).await?;
        match ids.as_slice() {
            [] => Err(not_found()),
            [id] => Ok(id.clone()),
            _ => Err(NodeError::BadInput(format!(
                "pattern id prefix {pattern} matches several patterns; give more digits"
            ))),
        }
    }

    async fn pattern_summary(
        &self,
        community: CommunityId,
        id: &str,
    ) -> Result<PatternSummary, NodeError> {
        views::get(self.store(), community, id)
            .await?
            .ok_or_else(|| NodeError::NotFound {
                what: "pattern",
                name: id.to_owned(),
            })
    }

    /// A pattern that still takes reviews.
    async fn open_pattern(
        &self,
        community: CommunityId,
        pattern: &str,
    ) -> Result<PatternSummary, NodeError> {
        let id = self.resolve_pattern(community, pattern).await?;
        let summary = self.pattern_summary(community, &id).await?;
        if summary.state.is_final() {
            return Err(NodeError::Conflict(format!(
                "pattern {} is {}; its review is closed",
                summary.id, summary.state
            )));
        }
        Ok(summary)
    }

    async fn is_submitter(
        &self,
        user: &User,
        community: CommunityId,
        summary: &PatternSummary,
    ) -> Result<bool, NodeError> {
        Ok(match summary.author {
            Some(author) => author == user.public_key,
            None => {
                views::anonymous_author(self.store(), community, &summary.id).await?
                    == Some(user.name.as_str().to_owned())
            }
        })
    }

    /// Appends the transitions the pattern's reviews call for (at most two:
    /// into review, then accepted or rejected).
    async fn advance(
        &self,
        view: &CommunityView,
        pattern: &str,
    ) -> Result<PatternSummary, NodeError> {
        let mut summary = self.pattern_summary(view.id, pattern).await?;
        for _ in 0..2 {
            let Some((state, reason)) = next_state(&summary, &view.policy) else {
                break;
            };
            let body = json!({ "pattern": summary.id, "state": state, "reason": reason });
            let signed = sign(&self.inner.node_key, view.id, TRANSITION, body)?;
            self.append(view.id, vec![signed]).await?;
            summary = self.pattern_summary(view.id, pattern).await?;
        }
        Ok(summary)
    }
}

fn sign(
    secret: &SecretKey,
    community: CommunityId,
    kind: &str,
    body: Value,
) -> Result<SignedRecord, NodeError> {
    let record = Record {
        kind: Kind::parse(kind).map_err(|e| NodeError::BadInput(e.to_string()))?,
        community,
        author: secret.public_key(),
        ts: now(),
        body,
        refs: Vec::new(),
    };
    SignedRecord::sign(record, secret).map_err(|e| NodeError::BadInput(e.to_string()))
}

fn short(key: &PublicKey) -> String {
    key.to_hex()[..12].to_owned()
}

/// JSON form of a pattern for command and API replies.
pub fn summary_json(pattern: &PatternSummary) -> Value {
    json!({
        "id": pattern.id,
        "seq": pattern.seq,
        "author": pattern.author,
        "anonymous": pattern.author.is_none(),
        "title": pattern.title,
        "description": pattern.description,
        "language": pattern.language,
        "properties": pattern.properties,
        "token_count": pattern.token_count,
        "hash_count": pattern.hash_count,
        "key_epoch": pattern.key_epoch,
        "state": pattern.state,
        "submitted_ts": pattern.submitted_ts,
        "votes": { "for": pattern.votes_for, "against": pattern.votes_against, "net": i64::from(pattern.votes_for) - i64::from(pattern.votes_against) },
        "approvals": pattern.approvals,
    })
}

/// JSON form of a pattern page.
pub fn detail_json(detail: &PatternDetail) -> Value {
    let mut value = summary_json(&detail.summary);
    value["author_name"] = json!(detail.author_name);
    value["needs_expert"] = json!(detail.needs_expert);
    value["votes_cast"] = detail
        .votes
        .iter()
        .map(|(vote, name)| json!({ "voter": vote.voter, "name": name, "vote": vote.vote, "seq": vote.seq }))
        .collect();
    value["approved_by"] = detail
        .approvals
        .iter()
        .map(|(key, name)| json!({ "expert": key, "name": name }))
        .collect();
    value["transitions"] = detail
        .transitions
        .iter()
        .map(|t| json!({ "seq": t.seq, "state": t.state, "reason": t.reason, "ts": t.ts }))
        .collect();
    value["similar"] = detail
        .similar
        .iter()
        .map(|p| json!({ "id": p.id, "title": p.title, "state": p.state }))
        .collect();
    value["reviewers"] = detail
        .reviewers
        .iter()
        .map(|r| json!({ "key": r.key, "name": r.name, "points": r.points }))
        .collect();
    value
}

/// JSON form of a submission result.
pub fn submitted_json(submitted: &Submitted) -> Value {
    let mut value = summary_json(&submitted.pattern);
    value["similar"] = submitted
        .similar
        .iter()
        .map(|s| {
            json!({
                "id": s.pattern.id,
                "title": s.pattern.title,
                "state": s.pattern.state,
                "containment": (s.containment * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    value
}

/// JSON form of a community's library: the key, its epoch, and every
/// accepted pattern with its fingerprint.
pub fn library_json(
    view: &CommunityView,
    key: &PatternKey,
    library: &[(PatternSummary, SharedFingerprint)],
) -> Value {
    let mut reply = key_json(view, key);
    reply["patterns"] = library
        .iter()
        .map(|(summary, fingerprint)| {
            let mut value = summary_json(summary);
            value["fingerprint"] =
                serde_json::to_value(fingerprint).expect("a fingerprint serializes");
            value
        })
        .collect();
    reply
}

/// JSON form of a community key for members: 64 hex digits and the epoch.
pub fn key_json(view: &CommunityView, key: &PatternKey) -> Value {
    json!({ "community": view.id, "name": view.name, "key": hex::encode(key.bytes), "epoch": key.epoch })
}

#[cfg(test)]
mod tests;

/// A list filter from text arguments (CLI flags, query parameters).
pub fn filter(
    state: Option<&str>,
    language: Option<String>,
    category: Option<String>,
    severity: Option<&str>,
    query: Option<String>,
) -> Result<Filter, NodeError> {
    let state = state
        .map(str::parse::<State>)
        .transpose()
        .map_err(NodeError::BadInput)?;
    let min_severity = severity
        .map(str::parse::<Severity>)
        .transpose()
        .map_err(NodeError::BadInput)?;
    let language = language
        .map(|name| {
            commons_fingerprint::Language::from_name(&name)
                .map(|language| language.name().to_owned())
                .map_err(|e| NodeError::BadInput(e.to_string()))
        })
        .transpose()?;
    Ok(Filter {
        state,
        language,
        category,
        min_severity,
        query: query.filter(|q| !q.trim().is_empty()),
        limit: 200,
    })
}
