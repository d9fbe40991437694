//! Operator commands, executed the same way whether they come from the CLI
//! with the node stopped (the CLI opens the store itself) or through the
//! running node's control socket (the node executes them), so a write is
//! handled, audited and later replicated the same way on both paths.

use commons_kernel::{JoinRule, Policy, PublicKey, Role, Visibility};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::accounts::IdentityExport;
use crate::{CommunityView, Node, NodeError, User};

/// An operator command. The wire form is JSON tagged by `command`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    /// Create an account with a password.
    UserAdd {
        /// Login name.
        name: String,
        /// Node administrator.
        admin: bool,
        /// The password.
        password: String,
    },
    /// List accounts.
    UserList,
    /// Disable an account.
    UserDisable {
        /// Login name.
        name: String,
    },
    /// Create an API token; the reply carries it once.
    TokenCreate {
        /// Owner.
        user: String,
        /// Label.
        name: String,
        /// Scopes.
        scopes: Vec<String>,
    },
    /// Create a community.
    CommunityCreate {
        /// Acting user, the first admin.
        user: String,
        /// Name.
        name: String,
        /// Private instead of public.
        private: bool,
        /// Policy template.
        template: String,
    },
    /// List communities as seen by a user.
    CommunityList {
        /// Viewer.
        user: String,
    },
    /// Join a community.
    CommunityJoin {
        /// Acting user.
        user: String,
        /// Id or name.
        community: String,
    },
    /// Leave a community.
    CommunityLeave {
        /// Acting user.
        user: String,
        /// Id or name.
        community: String,
    },
    /// Set a member's role.
    CommunityRole {
        /// Acting admin.
        user: String,
        /// Id or name.
        community: String,
        /// User name or key.
        member: String,
        /// New role.
        role: Role,
    },
    /// Invite a key, approve a join request, or remove a member.
    CommunityMember {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
        /// User name or key.
        member: String,
        /// What to do.
        action: MemberAction,
    },
    /// Change the policy: the fields given replace the current ones.
    CommunityPolicy {
        /// Acting admin.
        user: String,
        /// Id or name.
        community: String,
        /// Start from this template instead of the current policy.
        template: Option<String>,
        /// New join rule.
        join: Option<JoinRule>,
        /// New net votes to accept.
        votes_to_accept: Option<u32>,
        /// New kinds or categories needing an expert.
        expert_approval: Option<Vec<String>>,
        /// New least role that may invite.
        invite: Option<Role>,
    },
    /// Follow a public community.
    CommunityFollow {
        /// Community id.
        id: String,
    },
    /// Verify logs.
    Verify {
        /// One community, or all.
        community: Option<String>,
    },
    /// Print log entries.
    LogShow {
        /// Viewer.
        user: String,
        /// Id or name.
        community: String,
        /// First sequence number.
        from: u64,
        /// Most entries.
        limit: u32,
    },
    /// Back up the SQLite database.
    Backup {
        /// Target file, absolute.
        path: String,
    },
    /// Export a user's identity.
    IdentityExport {
        /// User.
        user: String,
        /// Passphrase sealing the secret key.
        passphrase: String,
    },
    /// Import an identity as a user.
    IdentityImport {
        /// User to create or update.
        user: String,
        /// The exported identity.
        identity: IdentityExport,
        /// Passphrase.
        passphrase: String,
    },
    /// Rebuild projections from the logs.
    Replay,
    /// Hand a member the community's pattern key.
    PatternKey {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
    },
    /// Submit a pattern fingerprinted under the community's key.
    PatternSubmit {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
        /// What is submitted.
        submission: crate::patterns::Submission,
    },
    /// List or search patterns.
    PatternList {
        /// Viewer.
        user: String,
        /// Id or name.
        community: String,
        /// Only this state (`open` for the review queue).
        state: Option<String>,
        /// Only this language.
        language: Option<String>,
        /// Only this category.
        category: Option<String>,
        /// Only this severity or worse.
        severity: Option<String>,
        /// Words to search for.
        query: Option<String>,
    },
    /// Show one pattern.
    PatternShow {
        /// Viewer.
        user: String,
        /// Id or name.
        community: String,
        /// Pattern id or unique prefix.
        pattern: String,
    },
    /// Vote on a pattern.
    PatternVote {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
        /// Pattern id or unique prefix.
        pattern: String,
        /// 1 or -1.
        vote: i64,
    },
    /// Approve a pattern as an expert.
    PatternApprove {
        /// Acting expert.
        user: String,
        /// Id or name.
        community: String,
        /// Pattern id or unique prefix.
        pattern: String,
    },
    /// Withdraw one's own pattern.
    PatternWithdraw {
        /// Acting submitter.
        user: String,
        /// Id or name.
        community: String,
        /// Pattern id or unique prefix.
        pattern: String,
    },
    /// The accepted patterns of a community with their fingerprints and
    /// the key, for a member's scan.
    PatternLibrary {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
    },
    /// Publish STIX objects (a bundle, an envelope or a list) to a community's feed.
    IntelPublish {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
        /// The objects, as read from the file.
        input: Value,
    },
    /// The active indicators of one community, or of all the user's, as a STIX bundle.
    IntelActive {
        /// Viewer.
        user: String,
        /// Id or name; every community the user belongs to when absent.
        community: Option<String>,
    },
    /// Report sightings of a community's indicators from a local scan.
    IntelSightings {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
        /// `intel.sighting` bodies: indicator, count, first and last seen.
        sightings: Vec<Value>,
    },
    /// This node's network identity and listen addresses.
    NodeInfo,
    /// Connected peers.
    Peers,
    /// Per replicated community: log lengths, lag and errors.
    SyncStatus,
    /// Start the next epoch of a community's pattern key (admins).
    PatternRotateKey {
        /// Acting administrator.
        user: String,
        /// Id or name.
        community: String,
    },
    /// Who submitted an anonymous pattern (moderators, home node; audited).
    PatternAuthor {
        /// Acting moderator.
        user: String,
        /// Id or name.
        community: String,
        /// Pattern id or unique prefix.
        pattern: String,
    },
    /// Report today's match counts of a community's patterns (opt-in).
    PatternReportCounts {
        /// Acting member.
        user: String,
        /// Id or name.
        community: String,
        /// Pattern id and matches.
        counts: Vec<(String, u64)>,
    },
    /// Register (or, with `remove`, forget) a scan root re-scanned when a
    /// security pattern is accepted.
    ScanWatch {
        /// The directory or file.
        path: String,
        /// Forget it instead.
        remove: bool,
    },
    /// Security alerts and the scan roots they come from.
    Notifications {
        /// Most alerts.
        limit: u32,
    },
    /// Move a community homed here to another node; the reply carries the
    /// community key for the new home's operator.
    CommunityMoveHome {
        /// Acting admin.
        user: String,
        /// Id or name.
        community: String,
        /// The new home node's key (`commons node info` there).
        home: String,
    },
    /// Take over a community's key handed over by its old home node.
    CommunityAdopt {
        /// The community secret key, hex.
        key: String,
    },
    /// Search communities and patterns across every community the node
    /// holds, each result with where it comes from.
    Discover {
        /// Viewer.
        user: String,
        /// Words that must all appear.
        query: String,
        /// Include public communities the node follows but the viewer has not joined.
        followed: bool,
    },
    /// Store a file as a blob of a community.
    BlobAdd {
        /// Acting user.
        user: String,
        /// Id or name.
        community: String,
        /// The file, read by the node.
        path: String,
    },
    /// Write a blob to a new file, fetching it from peers when missing.
    BlobGet {
        /// Acting user.
        user: String,
        /// Id or name.
        community: String,
        /// The blob id, hex.
        id: String,
        /// The new file, written by the node.
        out: String,
    },
}

impl Command {
    /// Whether the command changes state (and so is audited).
    pub fn is_mutating(&self) -> bool {
        !matches!(
            self,
            Command::UserList
                | Command::CommunityList { .. }
                | Command::Verify { .. }
                | Command::LogShow { .. }
                | Command::PatternList { .. }
                | Command::PatternShow { .. }
                | Command::IntelActive { .. }
                | Command::NodeInfo
                | Command::Peers
                | Command::SyncStatus
                | Command::PatternAuthor { .. }
                | Command::Notifications { .. }
                | Command::Discover { .. }
        )
    }

    /// A short name for audit rows and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::UserAdd { .. } => "user add",
            Command::UserList => "user list",
            Command::UserDisable { .. } => "user disable",
            Command::TokenCreate { .. } => "token create",
            Command::CommunityCreate { .. } => "community create",
            Command::CommunityList { .. } => "community list",
            Command::CommunityJoin { .. } => "community join",
            Command::CommunityLeave { .. } => "community leave",
            Command::CommunityRole { .. } => "community role",
            Command::CommunityMember { action, .. } => match action {
                MemberAction::Invite => "community invite",
                MemberAction::Approve => "community approve",
                MemberAction::Remove => "community remove",
            },
            Command::CommunityPolicy { .. } => "community policy",
            Command::CommunityFollow { .. } => "community follow",
            Command::Verify { .. } => "verify",
            Command::LogShow { .. } => "log show",
            Command::Backup { .. } => "backup",
            Command::IdentityExport { .. } => "identity export",
            Command::IdentityImport { .. } => "identity import",
            Command::Replay => "replay",
            Command::PatternKey { .. } => "pattern key",
            Command::PatternSubmit { .. } => "pattern submit",
            Command::PatternList { .. } => "pattern list",
            Command::PatternShow { .. } => "pattern show",
            Command::PatternVote { .. } => "pattern vote",
            Command::PatternApprove { .. } => "pattern approve",
            Command::PatternWithdraw { .. } => "pattern withdraw",
            Command::PatternLibrary { .. } => "pattern library",
            Command::IntelPublish { .. } => "intel publish",
            Command::IntelActive { .. } => "intel active",
            Command::IntelSightings { .. } => "intel sightings",
            Command::NodeInfo => "node info",
            Command::Peers => "peers",
            Command::SyncStatus => "sync status",
            Command::PatternRotateKey { .. } => "pattern rotate-key",
            Command::PatternAuthor { .. } => "pattern author",
            Command::PatternReportCounts { .. } => "pattern report-counts",
            Command::ScanWatch { .. } => "scan watch",
            Command::Notifications { .. } => "notifications",
            Command::CommunityMoveHome { .. } => "community move-home",
            Command::CommunityAdopt { .. } => "community adopt",
            Command::Discover { .. } => "discover",
            Command::BlobAdd { .. } => "blob add",
            Command::BlobGet { .. } => "blob get",
        }
    }
}

/// What [`Command::CommunityMember`] does to the member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberAction {
    /// Invite the key.
    Invite,
    /// Approve its pending join request.
    Approve,
    /// Remove it.
    Remove,
}

/// JSON form of a user for command replies.
pub fn user_json(user: &User) -> Value {
    json!({
        "name": user.name,
        "admin": user.is_admin,
        "disabled": user.disabled,
        "public_key": user.public_key,
        "has_password": user.has_password,
        "created_ts": user.created_ts,
    })
}

/// JSON form of a community for command replies.
pub fn community_json(view: &CommunityView) -> Value {
    json!({
        "id": view.id,
        "name": view.name,
        "home": view.home,
        "is_home": view.is_home,
        "visibility": view.visibility,
        "policy": view.policy,
        "members": view.members,
        "entries": view.entries,
        "role": view.role,
        "pending": view.pending,
    })
}

impl Node {
    /// Executes an operator command and returns its JSON reply.
    pub async fn execute(&self, command: Command) -> Result<Value, NodeError> {
        let outcome = match self.execute_inner(command.clone()).await {
            // A write away from home is accepted: it is pending.
            Err(error @ NodeError::Queued { .. }) => {
                Ok(crate::away::queued_json(&error).expect("a queued error has a reply"))
            }
            other => other,
        };
        if command.is_mutating() {
            let row = commons_store::audit::AuditRow {
                id: 0,
                ts: crate::now().0,
                actor: "cli".into(),
                action: command.name().into(),
                target: command_target(&command),
                address: "local".into(),
                outcome: if outcome.is_ok() {
                    "ok".into()
                } else {
                    "error".into()
                },
                request_id: String::new(),
            };
            self.store().audit(&row).await?;
        }
        outcome
    }

    async fn execute_inner(&self, command: Command) -> Result<Value, NodeError> {
        Ok(match command {
            Command::UserAdd {
                name,
                admin,
                password,
            } => user_json(&self.create_user(&name, &password, admin).await?),
            Command::UserList => Value::Array(self.users().await?.iter().map(user_json).collect()),
            Command::UserDisable { name } => user_json(&self.set_user_disabled(&name, true).await?),
            Command::TokenCreate { user, name, scopes } => {
                let user = self.user(&user).await?;
                let (token, secret) = self.create_token(&user, &name, &scopes).await?;
                json!({ "id": token.id, "name": token.name, "scopes": token.scopes, "token": secret })
            }
            Command::CommunityCreate {
                user,
                name,
                private,
                template,
            } => {
                let user = self.user(&user).await?;
                let visibility = if private {
                    Visibility::Private
                } else {
                    Visibility::Public
                };
                community_json(
                    &self
                        .create_community(&user, &name, visibility, &template)
                        .await?,
                )
            }
            Command::CommunityList { user } => {
                let user = self.user(&user).await?;
                let mut list: Vec<Value> = self
                    .communities(Some(&user))
                    .await?
                    .iter()
                    .map(community_json)
                    .collect();
                let known: Vec<String> = list
                    .iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned))
                    .collect();
                for (id, since) in self.follows().await? {
                    if !known.contains(&id.to_hex()) {
                        list.push(json!({ "id": id, "name": null, "following": true, "since_ts": since, "entries": 0 }));
                    }
                }
                Value::Array(list)
            }
            Command::CommunityJoin { user, community } => {
                let user = self.user(&user).await?;
                community_json(&self.join(&user, &community).await?)
            }
            Command::CommunityLeave { user, community } => {
                let user = self.user(&user).await?;
                self.leave(&user, &community).await?;
                json!({ "left": community })
            }
            Command::CommunityRole {
                user,
                community,
                member,
                role,
            } => {
                let user = self.user(&user).await?;
                self.set_role(&user, &community, &member, role).await?;
                json!({ "community": community, "member": member, "role": role })
            }
            Command::CommunityMember {
                user,
                community,
                member,
                action,
            } => {
                let user = self.user(&user).await?;
                match action {
                    MemberAction::Invite => self.invite(&user, &community, &member).await?,
                    MemberAction::Approve => self.approve(&user, &community, &member).await?,
                    MemberAction::Remove => self.remove_member(&user, &community, &member).await?,
                }
                json!({ "community": community, "member": member, "action": action })
            }
            Command::CommunityPolicy {
                user,
                community,
                template,
                join,
                votes_to_accept,
                expert_approval,
                invite,
            } => {
                let user = self.user(&user).await?;
                let current = self.community(&community, Some(&user)).await?;
                let mut policy = match template {
                    Some(name) => Policy::template(&name).ok_or_else(|| {
                        NodeError::BadInput(format!(
                            "unknown template {name:?}; use open, moderated or invite-only"
                        ))
                    })?,
                    None => current.policy,
                };
                policy.join = join.unwrap_or(policy.join);
                policy.votes_to_accept = votes_to_accept.unwrap_or(policy.votes_to_accept);
                policy.expert_approval = expert_approval.unwrap_or(policy.expert_approval);
                policy.invite = invite.unwrap_or(policy.invite);
                self.set_policy(&user, &community, &policy).await?;
                json!({ "community": community, "policy": policy })
            }
            Command::CommunityFollow { id } => json!({ "following": self.follow(&id).await? }),
            Command::Verify { community } => {
                let reports = self.verify(community.as_deref()).await?;
                Value::Array(
                    reports
                        .iter()
                        .map(|report| {
                            json!({
                                "community": report.community,
                                "entries": report.entries,
                                "ok": report.error.is_none(),
                                "error": report.error.as_ref().map(|e| json!({ "seq": e.seq, "reason": e.reason.to_string() })),
                            })
                        })
                        .collect(),
                )
            }
            Command::LogShow {
                user,
                community,
                from,
                limit,
            } => {
                let user = self.user(&user).await?;
                let rows = self.log(&community, Some(&user), from, limit).await?;
                Value::Array(rows.iter().map(log_row_json).collect())
            }
            Command::Backup { path } => {
                self.backup(std::path::Path::new(&path)).await?;
                json!({ "backup": path })
            }
            Command::IdentityExport { user, passphrase } => {
                serde_json::to_value(self.export_identity(&user, &passphrase).await?)
                    .expect("identity serializes")
            }
            Command::IdentityImport {
                user,
                identity,
                passphrase,
            } => user_json(&self.import_identity(&user, &identity, &passphrase).await?),
            Command::Replay => json!({ "replayed": self.replay().await? }),
            Command::PatternKey { user, community } => {
                let user = self.user(&user).await?;
                let (view, key) = self.pattern_key(&user, &community).await?;
                crate::patterns::key_json(&view, &key)
            }
            Command::PatternSubmit {
                user,
                community,
                submission,
            } => {
                let user = self.user(&user).await?;
                let submitted = self.submit_pattern(&user, &community, submission).await?;
                crate::patterns::submitted_json(&submitted)
            }
            Command::PatternList {
                user,
                community,
                state,
                language,
                category,
                severity,
                query,
            } => {
                let user = self.user(&user).await?;
                let list = if state.as_deref() == Some("open") {
                    self.review_queue(Some(&user), &community).await?.1
                } else {
                    let filter = crate::patterns::filter(
                        state.as_deref(),
                        language,
                        category,
                        severity.as_deref(),
                        query,
                    )?;
                    self.patterns(Some(&user), &community, &filter).await?.1
                };
                Value::Array(list.iter().map(crate::patterns::summary_json).collect())
            }
            Command::PatternShow {
                user,
                community,
                pattern,
            } => {
                let user = self.user(&user).await?;
                let (_, detail) = self.pattern(Some(&user), &community, &pattern).await?;
                crate::patterns::detail_json(&detail)
            }
            Command::PatternVote {
                user,
                community,
                pattern,
                vote,
            } => {
                let user = self.user(&user).await?;
                crate::patterns::summary_json(
                    &self.vote_pattern(&user, &community, &pattern, vote).await?,
                )
            }
            Command::PatternApprove {
                user,
                community,
                pattern,
            } => {
                let user = self.user(&user).await?;
                crate::patterns::summary_json(
                    &self.approve_pattern(&user, &community, &pattern).await?,
                )
            }
            Command::PatternWithdraw {
                user,
                community,
                pattern,
            } => {
                let user = self.user(&user).await?;
                crate::patterns::summary_json(
                    &self.withdraw_pattern(&user, &community, &pattern).await?,
                )
            }
            Command::PatternLibrary { user, community } => {
                let user = self.user(&user).await?;
                let (view, library) = self.pattern_library(&user, &community).await?;
                crate::patterns::library_json(&view, &library)
            }
            Command::IntelPublish {
                user,
                community,
                input,
            } => {
                let user = self.user(&user).await?;
                let objects = crate::intel::objects_of(input)?;
                let outcome = self.intel_publish(&user, &community, objects).await?;
                json!({
                    "community": community,
                    "added": outcome.added.len(),
                    "seqs": outcome.seqs,
                    "objects": outcome.added.iter().map(|(id, version)| json!({ "id": id, "version": version })).collect::<Vec<_>>(),
                })
            }
            Command::IntelActive { user, community } => {
                let user = self.user(&user).await?;
                self.intel_active_bundle(&user, community.as_deref())
                    .await?
            }
            Command::IntelSightings {
                user,
                community,
                sightings,
            } => {
                let user = self.user(&user).await?;
                let mut seqs = Vec::with_capacity(sightings.len());
                for (index, sighting) in sightings.into_iter().enumerate() {
                    let body = serde_json::from_value(sighting).map_err(|error| {
                        NodeError::BadInput(format!("sighting {index}: {error}"))
                    })?;
                    seqs.push(self.intel_sighting(&user, &community, body).await?);
                }
                json!({ "community": community, "seqs": seqs })
            }
            Command::NodeInfo => self.node_info_json(),
            Command::Peers => self.peers_json(),
            Command::SyncStatus => self.sync_status_json().await?,
            Command::PatternRotateKey { user, community } => {
                let user = self.user(&user).await?;
                let (view, key) = self.rotate_pattern_key(&user, &community).await?;
                json!({ "community": view.id, "name": view.name, "epoch": key.epoch })
            }
            Command::PatternAuthor {
                user,
                community,
                pattern,
            } => {
                let user = self.user(&user).await?;
                let author = self.anonymous_author(&user, &community, &pattern).await?;
                json!({ "pattern": pattern, "anonymous": author.is_some(), "author": author })
            }
            Command::PatternReportCounts {
                user,
                community,
                counts,
            } => {
                let user = self.user(&user).await?;
                let period = self.report_match_counts(&user, &community, &counts).await?;
                json!({ "community": community, "period": period, "patterns": counts.len() })
            }
            Command::ScanWatch { path, remove } => {
                let path = std::path::Path::new(&path);
                if remove {
                    let removed = self.unwatch_scan_root(path).await?;
                    json!({ "removed": removed, "path": path })
                } else {
                    json!({ "watching": self.watch_scan_root(path).await? })
                }
            }
            Command::Notifications { limit } => {
                let roots = self.scan_roots().await?;
                let notifications = self.notifications(limit).await?;
                json!({
                    "scan_roots": roots,
                    "notifications": notifications.iter().map(crate::patterns::notification_json).collect::<Vec<_>>(),
                })
            }
            Command::CommunityMoveHome {
                user,
                community,
                home,
            } => {
                let user = self.user(&user).await?;
                let home = home.parse::<PublicKey>().map_err(|e| {
                    NodeError::BadInput(format!("{e}; give the new home's node key"))
                })?;
                let (entry, key) = self.move_home(&user, &community, home).await?;
                json!({
                    "community": entry.header().community,
                    "home": home,
                    "seq": entry.seq(),
                    "community_key": key,
                })
            }
            Command::CommunityAdopt { key } => {
                let id = self.adopt_community(&key).await?;
                json!({ "community": id })
            }
            Command::Discover {
                user,
                query,
                followed,
            } => {
                let user = self.user(&user).await?;
                let found = self.discover(Some(&user), &query, followed).await?;
                crate::discover::discovered_json(&found)
            }
            Command::BlobAdd {
                user,
                community,
                path,
            } => {
                let user = self.user(&user).await?;
                let id = self
                    .add_blob_file(&user, &community, std::path::Path::new(&path))
                    .await?;
                json!({ "community": community, "blob": id })
            }
            Command::BlobGet {
                user,
                community,
                id,
                out,
            } => {
                let user = self.user(&user).await?;
                let size = self
                    .get_blob_file(&user, &community, &id, std::path::Path::new(&out))
                    .await?;
                json!({ "blob": id, "size": size, "out": out })
            }
        })
    }
}

/// JSON form of a log entry.
pub fn log_row_json(row: &commons_store::LogRow) -> Value {
    let record: Value = serde_json::from_str(&row.record).unwrap_or(Value::Null);
    json!({
        "community": row.community,
        "seq": row.seq,
        "hash": row.hash,
        "prev": row.prev,
        "record_id": row.record_id,
        "kind": row.kind,
        "author": row.author,
        "record_ts": row.record_ts.0,
        "appended_ts": row.appended_ts.0,
        "record": record,
        "record_signature": row.record_sig,
        "entry_signature": row.entry_sig,
    })
}

fn command_target(command: &Command) -> String {
    match command {
        Command::UserAdd { name, .. } | Command::UserDisable { name } => name.clone(),
        Command::TokenCreate { user, .. }
        | Command::IdentityExport { user, .. }
        | Command::IdentityImport { user, .. } => user.clone(),
        Command::CommunityCreate { name, .. } => name.clone(),
        Command::CommunityJoin { community, .. }
        | Command::CommunityLeave { community, .. }
        | Command::CommunityRole { community, .. }
        | Command::CommunityMember { community, .. }
        | Command::CommunityPolicy { community, .. }
        | Command::LogShow { community, .. }
        | Command::PatternKey { community, .. }
        | Command::PatternSubmit { community, .. }
        | Command::PatternList { community, .. }
        | Command::PatternShow { community, .. }
        | Command::PatternVote { community, .. }
        | Command::PatternApprove { community, .. }
        | Command::PatternWithdraw { community, .. }
        | Command::PatternLibrary { community, .. }
        | Command::PatternRotateKey { community, .. }
        | Command::PatternAuthor { community, .. }
        | Command::PatternReportCounts { community, .. } => community.clone(),
        Command::ScanWatch { path, .. } => path.clone(),
        Command::CommunityFollow { id } => id.clone(),
        Command::CommunityMoveHome { community, .. } => community.clone(),
        Command::CommunityAdopt { .. } => String::new(),
        Command::Discover { query, .. } => query.clone(),
        Command::BlobAdd { community, .. } | Command::BlobGet { community, .. } => {
            community.clone()
        }
        Command::Verify { community } => community.clone().unwrap_or_default(),
        Command::Backup { path } => path.clone(),
        Command::CommunityList { user } => user.clone(),
        Command::IntelPublish { community, .. } => community.clone(),
        Command::IntelActive { community, .. } => community.clone().unwrap_or_default(),
        Command::IntelSightings { community, .. } => community.clone(),
        Command::UserList
        | Command::Replay
        | Command::NodeInfo
        | Command::Peers
        | Command::SyncStatus
        | Command::Notifications { .. } => String::new(),
    }
}
