//! What a capability tells the kernel about its record kinds, and the pure
//! validation contract every kind follows.

use std::collections::HashMap;

use crate::community::{CommunityInfo, Invite, Membership, Role};
use crate::keys::PublicKey;
use crate::record::Record;

/// One problem with a record, located by a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// JSON pointer into the record, e.g. `/body/name`.
    pub pointer: String,
    /// What is wrong, as a sentence fragment a user can act on.
    pub message: String,
}

/// Every problem found with a record; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Findings(pub Vec<Finding>);

/// How a record kind may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// The full kind name, `capability.name`.
    pub kind: &'static str,
    /// The least role an author needs; `None` means the author need not be an
    /// active member (joining, for example).
    pub min_role: Option<Role>,
    /// One line for documentation and the API.
    pub summary: &'static str,
}

/// What a validator may consult: the community and the memberships and
/// invitations of every key a batch of records names (authors and subjects).
///
/// The appender loads it once per batch and, after each accepted record,
/// lets the record's capability [`Validator::apply`] it, so later records of
/// the same batch see the community as the earlier ones left it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationContext {
    /// The community, `None` only while validating its genesis record.
    pub community: Option<CommunityInfo>,
    /// Memberships of the loaded keys; a loaded key without one is not a member.
    pub memberships: HashMap<PublicKey, Membership>,
    /// Unused invitations held by the loaded keys.
    pub invites: HashMap<PublicKey, Invite>,
    /// Number of active admins.
    pub admin_count: u64,
    /// Sequence number the record would get.
    pub seq: u64,
}

/// Pure validation of a capability's record kinds.
pub trait Validator: Send + Sync + 'static {
    /// The capability name, the first segment of each of its kinds.
    fn capability(&self) -> &'static str;

    /// The kinds this capability owns.
    fn kinds(&self) -> &'static [KindSpec];

    /// Keys besides the author whose membership the validator needs.
    fn subjects(&self, _record: &Record) -> Vec<PublicKey> {
        Vec::new()
    }

    /// Checks the record's body against its kind's schema and the community's
    /// rules, returning every finding.
    fn validate(&self, ctx: &ValidationContext, record: &Record) -> Result<(), Findings>;

    /// Applies an accepted record's effect on the community itself
    /// (memberships, invitations, policy) to `ctx`. Only the `community`
    /// capability changes these; every other capability keeps the default.
    fn apply(&self, _ctx: &mut ValidationContext, _record: &Record) -> Result<(), Findings> {
        Ok(())
    }
}

impl Finding {
    /// A finding at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl Findings {
    /// Adds a finding.
    pub fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(Finding::new(pointer, message));
    }

    /// `Ok` when nothing was found.
    pub fn into_result(self) -> Result<(), Findings> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// One finding as an error.
    pub fn one(pointer: impl Into<String>, message: impl Into<String>) -> Findings {
        Findings(vec![Finding::new(pointer, message)])
    }
}

impl std::fmt::Display for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (idx, finding) in self.0.iter().enumerate() {
            if idx > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", finding.pointer, finding.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Findings {}

/// Checks that the author may write a record of `spec`'s kind at all: an
/// active member holding at least the kind's minimum role.
pub fn check_author(
    ctx: &ValidationContext,
    record: &Record,
    spec: &KindSpec,
) -> Result<(), Findings> {
    let Some(min_role) = spec.min_role else {
        return Ok(());
    };
    match ctx.memberships.get(&record.author) {
        Some(membership) if membership.is_active() && membership.role >= min_role => Ok(()),
        Some(membership) if membership.is_active() => Err(Findings::one(
            "/author",
            format!(
                "a {} may not write {} records; at least {} is required",
                membership.role, spec.kind, min_role
            ),
        )),
        _ => Err(Findings::one(
            "/author",
            format!(
                "the author is not a member of community {}",
                record.community
            ),
        )),
    }
}
