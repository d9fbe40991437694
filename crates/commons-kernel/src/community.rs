//! Communities: visibility, roles, policies and the `community.*` record kinds
//! that create a community and change its membership and policy.
//!
//! Membership is itself a projection of the log: a join, an approval, a role
//! change or a leave is a record, so every node replicating the log agrees on
//! who may write what at each position.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::capability::{Findings, KindSpec, ValidationContext, Validator, check_author};
use crate::id::{CommunityId, Handle};
use crate::keys::PublicKey;
use crate::record::Record;

/// Who can read a community's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone may read and follow it.
    Public,
    /// Only member nodes receive its log.
    Private,
}

/// A member's role; later variants include the rights of earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads and contributes.
    Member,
    /// Also approves contributions of the kinds the policy marks.
    Expert,
    /// Also approves joins and removes members.
    Moderator,
    /// Also changes roles and the policy.
    Admin,
}

/// How people become members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinRule {
    /// Anyone may join.
    Open,
    /// A join request waits for a moderator's approval.
    Approval,
    /// Only invited keys may join.
    Invite,
}

/// The rules a community runs by; changed only by `community.policy` records
/// signed by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// How people become members.
    pub join: JoinRule,
    /// Net votes needed to accept a contribution.
    pub votes_to_accept: u32,
    /// Record kinds or categories that also need an expert's approval.
    pub expert_approval: Vec<String>,
    /// The least role that may invite.
    pub invite: Role,
}

/// The policy templates a community can start from.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "open",
        "anyone joins; 5 net votes accept; security needs an expert; members invite",
    ),
    (
        "moderated",
        "joins need a moderator's approval; 5 net votes; security needs an expert; moderators invite",
    ),
    (
        "invite-only",
        "only invited keys join; 3 net votes; security needs an expert; moderators invite",
    ),
];

impl Policy {
    /// The policy of a named template.
    pub fn template(name: &str) -> Option<Policy> {
        let expert_approval = vec!["security".to_owned()];
        let policy = match name {
            "open" => Policy {
                join: JoinRule::Open,
                votes_to_accept: 5,
                expert_approval,
                invite: Role::Member,
            },
            "moderated" => Policy {
                join: JoinRule::Approval,
                votes_to_accept: 5,
                expert_approval,
                invite: Role::Moderator,
            },
            "invite-only" => Policy {
                join: JoinRule::Invite,
                votes_to_accept: 3,
                expert_approval,
                invite: Role::Moderator,
            },
            _ => return None,
        };
        Some(policy)
    }

    fn check(&self, pointer: &str, findings: &mut Findings) {
        if !(1..=1000).contains(&self.votes_to_accept) {
            findings.push(
                format!("{pointer}/votes_to_accept"),
                "must be between 1 and 1000",
            );
        }
        if self.expert_approval.len() > 64 {
            findings.push(format!("{pointer}/expert_approval"), "at most 64 entries");
        }
        for (idx, item) in self.expert_approval.iter().enumerate() {
            if item.is_empty() || item.len() > 64 {
                findings.push(
                    format!("{pointer}/expert_approval/{idx}"),
                    "must be 1 to 64 characters",
                );
            }
        }
    }
}

/// A community as its genesis record and later policy records describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityInfo {
    /// Its id, derived from its key.
    pub id: CommunityId,
    /// Its name; unique per home node, not globally.
    pub name: Handle,
    /// The key that signs its log.
    pub key: PublicKey,
    /// The node that holds the key and appends entries.
    pub home: PublicKey,
    /// Who can read it.
    pub visibility: Visibility,
    /// Its current policy.
    pub policy: Policy,
}

/// Where a key stands in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// A member.
    Active,
    /// Asked to join; waits for approval.
    Pending,
}

/// A key's membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The name it joined with.
    pub name: Handle,
    /// Its role.
    pub role: Role,
    /// Active or pending.
    pub status: MemberStatus,
    /// Sequence number of the entry that last changed it.
    pub since_seq: u64,
}

/// An invitation not yet used to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invite {
    /// Who invited.
    pub inviter: PublicKey,
    /// Sequence number of the invitation.
    pub seq: u64,
}

impl Membership {
    /// Whether the key is a full member.
    pub fn is_active(&self) -> bool {
        self.status == MemberStatus::Active
    }
}

/// Body of `community.create`, the genesis record of every log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// The community name.
    pub name: Handle,
    /// Public or private.
    pub visibility: Visibility,
    /// The starting policy.
    pub policy: Policy,
    /// The community key; the community id is derived from it.
    pub key: PublicKey,
    /// The home node's key.
    pub home: PublicKey,
    /// The creator's display name in the community.
    pub creator: Handle,
}

/// Body of `community.join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The joiner's name as shown to members.
    pub name: Handle,
}

/// Body of records about one member: `community.invite`, `community.approve`, `community.remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// The member the record is about.
    pub member: PublicKey,
}

/// Body of `community.role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// The member whose role changes.
    pub member: PublicKey,
    /// The new role.
    pub role: Role,
}

/// Body of `community.policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// The new policy, replacing the old one entirely.
    pub policy: Policy,
}

/// Body of `community.home`: the node that appends the log from the next
/// entry on. Only the community key may write it (see docs/sync.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeBody {
    /// The new home node's key.
    pub home: PublicKey,
}

/// The `community.*` kinds.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "community.create",
        min_role: None,
        summary: "genesis: name, visibility, policy, keys",
    },
    KindSpec {
        kind: "community.join",
        min_role: None,
        summary: "join, or ask to join, under the join rule",
    },
    KindSpec {
        kind: "community.leave",
        min_role: None,
        summary: "leave, or withdraw a join request",
    },
    KindSpec {
        kind: "community.invite",
        min_role: Some(Role::Member),
        summary: "invite a key (role per policy)",
    },
    KindSpec {
        kind: "community.approve",
        min_role: Some(Role::Moderator),
        summary: "approve a pending join",
    },
    KindSpec {
        kind: "community.remove",
        min_role: Some(Role::Moderator),
        summary: "remove a member",
    },
    KindSpec {
        kind: "community.role",
        min_role: Some(Role::Admin),
        summary: "change a member's role",
    },
    KindSpec {
        kind: "community.policy",
        min_role: Some(Role::Admin),
        summary: "replace the policy",
    },
    KindSpec {
        kind: "community.home",
        min_role: None,
        summary: "move the log to a new home node (community key only)",
    },
];

/// Validates the `community.*` kinds.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommunityValidator;

impl Validator for CommunityValidator {
    fn capability(&self) -> &'static str {
        "community"
    }

    fn kinds(&self) -> &'static [KindSpec] {
        KINDS
    }

    fn subjects(&self, record: &Record) -> Vec<PublicKey> {
        record
            .body
            .get("member")
            .and_then(Value::as_str)
            .and_then(|text| text.parse().ok())
            .into_iter()
            .collect()
    }

    fn validate(&self, ctx: &ValidationContext, record: &Record) -> Result<(), Findings> {
        let spec = KINDS
            .iter()
            .find(|spec| spec.kind == record.kind.as_str())
            .ok_or_else(|| {
                Findings::one(
                    "/kind",
                    format!("unknown community record kind {}", record.kind),
                )
            })?;
        if spec.kind == "community.create" {
            return validate_create(ctx, record);
        }
        let Some(info) = &ctx.community else {
            return Err(Findings::one(
                "/community",
                "the community has no genesis entry",
            ));
        };
        check_author(ctx, record, spec)?;
        let author = ctx.memberships.get(&record.author);
        match spec.kind {
            "community.join" => {
                body::<JoinBody>(record)?;
                if author.is_some_and(|m| m.is_active()) {
                    return Err(Findings::one("/author", "already a member"));
                }
                if author.is_some() {
                    return Err(Findings::one(
                        "/author",
                        "a join request is already pending",
                    ));
                }
                if info.policy.join == JoinRule::Invite && !ctx.invites.contains_key(&record.author)
                {
                    return Err(Findings::one(
                        "/author",
                        "this community admits invited members only",
                    ));
                }
                Ok(())
            }
            "community.leave" => {
                expect_empty_body(record)?;
                match author {
                    None => Err(Findings::one("/author", "not a member")),
                    Some(m) if m.role == Role::Admin && m.is_active() && ctx.admin_count <= 1 => {
                        Err(Findings::one(
                            "/author",
                            "the last admin cannot leave; make another member admin first",
                        ))
                    }
                    Some(_) => Ok(()),
                }
            }
            "community.invite" => {
                let body = body::<MemberBody>(record)?;
                let role = author.map(|m| m.role).unwrap_or(Role::Member);
                if role < info.policy.invite {
                    return Err(Findings::one(
                        "/author",
                        format!(
                            "the policy lets only {} and above invite",
                            info.policy.invite
                        ),
                    ));
                }
                if ctx
                    .memberships
                    .get(&body.member)
                    .is_some_and(|m| m.is_active())
                {
                    return Err(Findings::one("/body/member", "already a member"));
                }
                if ctx.invites.contains_key(&body.member) {
                    return Err(Findings::one("/body/member", "already invited"));
                }
                Ok(())
            }
            "community.approve" => {
                let body = body::<MemberBody>(record)?;
                match ctx.memberships.get(&body.member) {
                    Some(m) if !m.is_active() => Ok(()),
                    Some(_) => Err(Findings::one("/body/member", "already a member")),
                    None => Err(Findings::one("/body/member", "has not asked to join")),
                }
            }
            "community.remove" => {
                let body = body::<MemberBody>(record)?;
                let author_role = author.map(|m| m.role).unwrap_or(Role::Member);
                match ctx.memberships.get(&body.member) {
                    None => Err(Findings::one("/body/member", "not a member")),
                    Some(m) if m.role >= author_role && body.member != record.author => {
                        Err(Findings::one(
                            "/body/member",
                            "cannot remove a member of equal or higher role",
                        ))
                    }
                    Some(m) if m.role == Role::Admin && ctx.admin_count <= 1 => Err(Findings::one(
                        "/body/member",
                        "cannot remove the last admin",
                    )),
                    Some(_) => Ok(()),
                }
            }
            "community.role" => {
                let body = body::<RoleBody>(record)?;
                match ctx.memberships.get(&body.member) {
                    Some(m) if m.is_active() => {
                        if m.role == Role::Admin && body.role != Role::Admin && ctx.admin_count <= 1
                        {
                            return Err(Findings::one(
                                "/body/role",
                                "cannot demote the last admin",
                            ));
                        }
                        Ok(())
                    }
                    _ => Err(Findings::one("/body/member", "not a member")),
                }
            }
            "community.policy" => {
                let body = body::<PolicyBody>(record)?;
                let mut findings = Findings::default();
                body.policy.check("/body/policy", &mut findings);
                findings.into_result()
            }
            "community.home" => {
                let body = body::<HomeBody>(record)?;
                if record.author != info.key {
                    return Err(Findings::one(
                        "/author",
                        "only the community key may move the community to a new home node",
                    ));
                }
                if body.home == info.home {
                    return Err(Findings::one(
                        "/body/home",
                        "the community already lives on this node",
                    ));
                }
                Ok(())
            }
            other => unreachable!("kind {other} is listed in KINDS but not handled"),
        }
    }

    /// What each kind does to the community, stated once: the appender runs
    /// it between the records of a batch, and the store's reducer runs it to
    /// compute the rows it persists.
    fn apply(&self, ctx: &mut ValidationContext, record: &Record) -> Result<(), Findings> {
        let seq = ctx.seq;
        match record.kind.as_str() {
            "community.create" => {
                let body = body::<CreateBody>(record)?;
                ctx.community = Some(CommunityInfo {
                    id: record.community,
                    name: body.name,
                    key: body.key,
                    home: body.home,
                    visibility: body.visibility,
                    policy: body.policy,
                });
                set_member(
                    ctx,
                    record.author,
                    body.creator,
                    Role::Admin,
                    MemberStatus::Active,
                );
            }
            "community.join" => {
                let body = body::<JoinBody>(record)?;
                let invited = ctx.invites.remove(&record.author).is_some();
                let approval = ctx
                    .community
                    .as_ref()
                    .is_some_and(|info| info.policy.join == JoinRule::Approval);
                let status = if approval && !invited {
                    MemberStatus::Pending
                } else {
                    MemberStatus::Active
                };
                set_member(ctx, record.author, body.name, Role::Member, status);
            }
            "community.leave" => remove_member(ctx, record.author),
            "community.remove" => remove_member(ctx, body::<MemberBody>(record)?.member),
            "community.invite" => {
                let body = body::<MemberBody>(record)?;
                let invite = Invite {
                    inviter: record.author,
                    seq,
                };
                ctx.invites.insert(body.member, invite);
            }
            "community.approve" => {
                let body = body::<MemberBody>(record)?;
                if let Some(existing) = ctx.memberships.get(&body.member).cloned() {
                    let Membership { name, role, .. } = existing;
                    set_member(ctx, body.member, name, role, MemberStatus::Active);
                }
            }
            "community.role" => {
                let body = body::<RoleBody>(record)?;
                if let Some(existing) = ctx.memberships.get(&body.member).cloned() {
                    let Membership { name, status, .. } = existing;
                    set_member(ctx, body.member, name, body.role, status);
                }
            }
            "community.policy" => {
                let body = body::<PolicyBody>(record)?;
                if let Some(info) = ctx.community.as_mut() {
                    info.policy = body.policy;
                }
            }
            "community.home" => {
                let body = body::<HomeBody>(record)?;
                if let Some(info) = ctx.community.as_mut() {
                    info.home = body.home;
                }
            }
            other => {
                return Err(Findings::one(
                    "/kind",
                    format!("unknown community record kind {other}"),
                ));
            }
        }
        Ok(())
    }
}

/// Replaces `key`'s membership, keeping the active-admin count in step.
fn set_member(
    ctx: &mut ValidationContext,
    key: PublicKey,
    name: Handle,
    role: Role,
    status: MemberStatus,
) {
    remove_member(ctx, key);
    if role == Role::Admin && status == MemberStatus::Active {
        ctx.admin_count += 1;
    }
    let membership = Membership {
        name,
        role,
        status,
        since_seq: ctx.seq,
    };
    ctx.memberships.insert(key, membership);
}

fn remove_member(ctx: &mut ValidationContext, key: PublicKey) {
    if let Some(old) = ctx.memberships.remove(&key)
        && old.role == Role::Admin
        && old.is_active()
    {
        ctx.admin_count = ctx.admin_count.saturating_sub(1);
    }
}

fn validate_create(ctx: &ValidationContext, record: &Record) -> Result<(), Findings> {
    let body = body::<CreateBody>(record)?;
    let mut findings = Findings::default();
    if ctx.community.is_some() || ctx.seq != 0 {
        findings.push(
            "/kind",
            "community.create may only be the first entry of a log",
        );
    }
    if body.key.community_id() != record.community {
        findings.push("/body/key", "the community id is not derived from this key");
    }
    body.policy.check("/body/policy", &mut findings);
    findings.into_result()
}

/// Decodes a record body into its typed form, reporting serde's complaint as a finding.
pub fn body<T: serde::de::DeserializeOwned>(record: &Record) -> Result<T, Findings> {
    T::deserialize(&record.body).map_err(|e| Findings::one("/body", e.to_string()))
}

fn expect_empty_body(record: &Record) -> Result<(), Findings> {
    match &record.body {
        Value::Object(map) if map.is_empty() => Ok(()),
        Value::Null => Ok(()),
        _ => Err(Findings::one("/body", "expected an empty object")),
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Member => "member",
            Role::Expert => "expert",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        })
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Role, String> {
        match text {
            "member" => Ok(Role::Member),
            "expert" => Ok(Role::Expert),
            "moderator" => Ok(Role::Moderator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?}; expected member, expert, moderator or admin"
            )),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        })
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(text: &str) -> Result<Visibility, String> {
        match text {
            "public" => Ok(Visibility::Public),
            "private" => Ok(Visibility::Private),
            other => Err(format!(
                "unknown visibility {other:?}; expected public or private"
            )),
        }
    }
}
