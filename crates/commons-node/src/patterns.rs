//! Code patterns as users see them: the community pattern key, submission
//! with duplicate detection, votes, expert approval, withdrawal, the review
//! transitions the home node appends, libraries and the starter patterns.
//!
//! The node never receives code: callers fingerprint locally with the key
//! from [`Node::pattern_key`] and submit the keyed hash set.

use commons_fingerprint::{CommunityKey, SharedFingerprint};
use commons_kernel::{CommunityId, Kind, PublicKey, Record, Role, SecretKey, SignedRecord};
use commons_patterns::library::{community_pattern_key_bytes, seeds};
use commons_patterns::records::{APPROVE, COUNTS, ROTATE, SUBMIT, TRANSITION, VOTE, WITHDRAW};
use commons_patterns::review::{Kinship, kinship, next_state};
use commons_patterns::views;
use serde_json::{Value, json};

use crate::accounts::User;
use crate::{CommunityView, DOMAIN_COMMUNITIES, Node, NodeError, now};

pub use commons_patterns::alerts::{Notification, Place};
pub use commons_patterns::views::{MatchCounts, PeriodCount, TransitionRow, VoteRow};

mod alerts;
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
    /// Opt-in match counts reported by members, summed.
    pub match_counts: MatchCounts,
}

/// A community's library as a member's scan needs it.
#[derive(Debug, Clone)]
pub struct PatternLibrary {
    /// The current key: what new submissions are hashed with.
    pub key: PatternKey,
    /// The key of every epoch an accepted pattern was made under.
    pub epoch_keys: Vec<PatternKey>,
    /// The accepted patterns with their fingerprints.
    pub patterns: Vec<(PatternSummary, SharedFingerprint)>,
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
        let epoch = views::current_epoch(self.store(), community).await?;
        self.pattern_key_at(community, epoch).await
    }

    /// The community's pattern key of one epoch (home node only).
    async fn pattern_key_at(
        &self,
        community: CommunityId,
        epoch: u32,
    ) -> Result<PatternKey, NodeError> {
        let secret = self.community_secret(community).await?;
        Ok(PatternKey {
            bytes: community_pattern_key_bytes(&secret.to_bytes(), epoch),
            epoch,
        })
    }

    /// An administrator starts the next epoch of the community's pattern
    /// key. Submissions must then be hashed with the new key; accepted
    /// patterns keep matching under the key of their own epoch.
    pub async fn rotate_pattern_key(
        &self,
        user: &User,
        community: &str,
    ) -> Result<(CommunityView, PatternKey), NodeError> {
        let view = self.community(community, Some(user)).await?;
        if view.role.is_none_or(|role| role < Role::Admin) {
            return Err(NodeError::Forbidden(format!(
                "rotating the pattern key needs the admin role in {}",
                view.name
            )));
        }
        let _guard = self.inner.pattern_submissions.lock().await;
        let epoch = views::current_epoch(self.store(), view.id).await? + 1;
        self.submit(user, view.id, ROTATE, json!({ "epoch": epoch }), Vec::new())
            .await?;
        let key = self.pattern_key_at(view.id, epoch).await?;
        Ok((view, key))
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
        let epoch = views::current_epoch(self.store(), view.id).await?;
        if submission.fingerprint.key_epoch != epoch {
            findings.push(
                "/body/fingerprint/key_epoch",
                format!(
                    "hashes are under key epoch {}, the community's is {epoch}; fetch the key again",
                    submission.fingerprint.key_epoch
                ),
            );
        }
        if !findings.0.is_empty() {
            return Err(NodeError::Invalid(findings));
        }
        // The search over every pattern runs without holding anything;
        // under the submission lock only the patterns that arrived since
        // are checked, so concurrent submissions wait for a few rows, not
        // for a search.
        let searched_to = views::last_pattern_seq(self.store(), view.id).await?;
        let overlaps =
            views::overlaps(self.store(), view.id, &submission.fingerprint.hashes).await?;
        let mut similar = self
            .similar_patterns(&view, &submission.fingerprint, overlaps)
            .await?;
        let secret = if submission.anonymous {
            self.inner.node_key.clone()
        } else {
            self.user_secret(user).await?
        };
        let guard = self.inner.pattern_submissions.lock().await;
        let late = views::overlaps_since(
            self.store(),
            view.id,
            &submission.fingerprint.hashes,
            searched_to,
        )
        .await?;
        if !late.is_empty() {
            similar.extend(
                self.similar_patterns(&view, &submission.fingerprint, late)
                    .await?,
            );
        }
        if views::current_epoch(self.store(), view.id).await? != epoch {
            return Err(NodeError::Conflict(format!(
                "the pattern key of {} was rotated while submitting; fetch the key again",
                view.name
            )));
        }
        similar.sort_by(|a, b| b.containment.total_cmp(&a.containment));
        similar.dedup_by(|a, b| a.pattern.id == b.pattern.id);
        similar.truncate(commons_patterns::validate::MAX_SIMILAR);
        body["similar"] = json!(
            similar
                .iter()
                .map(|s| s.pattern.id.clone())
                .collect::<Vec<_>>()
        );
        let signed = sign(&secret, view.id, SUBMIT, body)?;
        let pattern_id = signed.id().to_hex();
        self.append(view.id, vec![signed]).await?;
        drop(guard);
        if submission.anonymous {
            views::set_anonymous_author(self.store(), view.id, &pattern_id, user.name.as_str())
                .await?;
        }
        let pattern = self.pattern_summary(view.id, &pattern_id).await?;
        Ok(Submitted { pattern, similar })
    }

    /// The near-duplicates among `overlaps`; an exact duplicate that is not
    /// withdrawn is a conflict.
    async fn similar_patterns(
        &self,
        view: &CommunityView,
        fingerprint: &SharedFingerprint,
        overlaps: Vec<views::Overlap>,
    ) -> Result<Vec<Similar>, NodeError> {
        let hash_count = fingerprint.hashes.len() as u32;
        let mut similar = Vec::new();
        for overlap in overlaps {
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
        Ok(similar)
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
            match_counts: views::match_counts(self.store(), view.id, &id).await?,
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

    /// The accepted patterns of a community and the keys of their epochs:
    /// what a member's scan matches against.
    pub async fn pattern_library(
        &self,
        user: &User,
        community: &str,
    ) -> Result<(CommunityView, PatternLibrary), NodeError> {
        let (view, key) = self.pattern_key(user, community).await?;
        let patterns = views::accepted(self.store(), view.id).await?;
        let mut epochs: Vec<u32> = patterns
            .iter()
            .map(|(_, fingerprint)| fingerprint.key_epoch)
            .filter(|epoch| *epoch != key.epoch)
            .collect();
        epochs.sort_unstable();
        epochs.dedup();
        let mut epoch_keys = vec![key.clone()];
        for epoch in epochs {
            epoch_keys.push(self.pattern_key_at(view.id, epoch).await?);
        }
        Ok((
            view,
            PatternLibrary {
                key,
                epoch_keys,
                patterns,
            },
        ))
    }

    /// Reports, for a member who opted in, how many times each pattern
    /// matched their code today (UTC): counts only, no places. A later
    /// report of the same day replaces the earlier one.
    pub async fn report_match_counts(
        &self,
        user: &User,
        community: &str,
        counts: &[(String, u64)],
    ) -> Result<String, NodeError> {
        let view = self.community(community, Some(user)).await?;
        if view.role.is_none() {
            return Err(NodeError::Forbidden(format!(
                "only members of {} report match counts",
                view.name
            )));
        }
        let mut reported = Vec::with_capacity(counts.len());
        for (pattern, matches) in counts {
            let id = self.resolve_pattern(view.id, pattern).await?;
            reported.push(json!({ "pattern": id, "matches": matches }));
        }
        let period = utc_day(now().0);
        let body = json!({ "period": period, "counts": reported });
        let findings = commons_patterns::validate::check_counts(
            &serde_json::from_value(body.clone())
                .map_err(|e| NodeError::BadInput(format!("invalid counts: {e}")))?,
        );
        if !findings.0.is_empty() {
            return Err(NodeError::Invalid(findings));
        }
        self.submit(user, view.id, COUNTS, body, Vec::new()).await?;
        Ok(period)
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
    /// on the home node. Every lookup, allowed or not, leaves an audit row
    /// naming the moderator and the pattern.
    pub async fn anonymous_author(
        &self,
        user: &User,
        community: &str,
        pattern: &str,
    ) -> Result<Option<String>, NodeError> {
        let outcome = self.anonymous_author_inner(user, community, pattern).await;
        let row = crate::audit::AuditRow {
            id: 0,
            ts: now().0,
            actor: user.name.as_str().to_owned(),
            action: "pattern author".into(),
            target: format!("{community}/{pattern}"),
            address: "node".into(),
            outcome: match &outcome {
                Ok(Some(_)) => "ok".into(),
                Ok(None) => "not anonymous".into(),
                Err(error) => format!("refused: {error}"),
            },
            request_id: String::new(),
        };
        self.record_audit(&row).await?;
        outcome
    }

    async fn anonymous_author_inner(
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
        if !view.is_home {
            return Err(NodeError::NotHome(view.id.to_hex()));
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

/// The UTC day of a time in milliseconds since the epoch, `YYYY-MM-DD`
/// (the civil-from-days algorithm of the proleptic Gregorian calendar).
fn utc_day(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
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
    value["match_counts"] = json!({
        "total": detail.match_counts.total,
        "reporters": detail.match_counts.reporters,
        "periods": detail.match_counts.periods.iter().map(|p| json!({
            "period": p.period, "matches": p.matches, "reporters": p.reporters,
        })).collect::<Vec<_>>(),
    });
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

/// JSON form of a community's library: the current key and epoch, the key
/// of every epoch its patterns use (`keys`), and every accepted pattern with
/// its fingerprint.
pub fn library_json(view: &CommunityView, library: &PatternLibrary) -> Value {
    let mut reply = key_json(view, &library.key);
    reply["keys"] = library
        .epoch_keys
        .iter()
        .map(|key| json!({ "epoch": key.epoch, "key": hex::encode(key.bytes) }))
        .collect();
    reply["patterns"] = library
        .patterns
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

/// JSON form of a security alert.
pub fn notification_json(notification: &Notification) -> Value {
    json!({
        "id": notification.id,
        "ts": notification.ts,
        "community": notification.community,
        "pattern": notification.pattern,
        "title": notification.title,
        "severity": notification.severity,
        "places": notification.places,
    })
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
