//! The `patterns` capability: code-pattern fingerprints shared with a domain
//! community, reviewed by its members, and collected into its library.
//!
//! # Model
//!
//! A member marks code on their machine; the CLI fingerprints it there and
//! exports a set of 64-bit hashes keyed with the community's pattern key
//! ([`library::community_pattern_key`]). Only that set, the token count, the
//! scheme and the properties travel, in a `patterns.submit` record
//! ([`records`]). Members vote (one vote each, changeable), experts approve,
//! submitters withdraw; the home node appends a `patterns.transition` record
//! whenever the policy's rules ([`review::next_state`]) move a pattern:
//! submitted → in review → accepted / rejected / withdrawn. Accepted patterns
//! form the community's library ([`views::accepted`]), which `commons scan`
//! matches locally. An administrator's `patterns.rotate` starts the next
//! epoch of the pattern key; opted-in members' `patterns.counts` report how
//! often patterns matched (counts only); security patterns accepted while
//! scan roots are registered raise local alerts ([`alerts`]).
//!
//! # Design decisions
//!
//! * Validation ([`validate`]) is pure and reports every finding at its
//!   field; what needs the projections (duplicates, states) is checked by
//!   the home node before it appends, and the reducer ([`reduce`]) ignores
//!   what would not apply, so replay always reproduces the live state.
//! * Anonymous submissions are signed by the home node's key; which member
//!   sent one is kept in a local table on the home node only.
//! * Near-duplicates (containment of at least [`review::NEAR_DUPLICATE`]
//!   either way) are linked in the submission, exact duplicates refused.
#![warn(missing_docs)]

pub mod alerts;
pub mod library;
pub mod records;
pub mod reduce;
pub mod review;
pub mod validate;
pub mod views;

use commons_kernel::capability::{Findings, ValidationContext, Validator};
use commons_kernel::record::Record;
use commons_kernel::{Entry, KindSpec};
use commons_store::{Backend, Capability, StoreError};
use futures::future::BoxFuture;
use sqlx::AnyConnection;
use sqlx::migrate::Migrator;

pub use records::{Impact, Properties, Severity, State, SubmitBody};
pub use validate::PatternsValidator;
pub use views::{Filter, PatternSummary};

/// The `patterns` capability, registered in the node's registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct Patterns;

impl Validator for Patterns {
    fn capability(&self) -> &'static str {
        PatternsValidator.capability()
    }

    fn kinds(&self) -> &'static [KindSpec] {
        PatternsValidator.kinds()
    }

    fn validate(&self, ctx: &ValidationContext, record: &Record) -> Result<(), Findings> {
        PatternsValidator.validate(ctx, record)
    }
}

impl Capability for Patterns {
    fn migrator(&self, backend: Backend) -> Option<Migrator> {
        Some(match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        })
    }

    fn projection_tables(&self) -> &'static [&'static str] {
        &[
            "patterns",
            "pattern_hashes",
            "pattern_votes",
            "pattern_approvals",
            "pattern_links",
            "pattern_transitions",
            "pattern_key_epochs",
            "pattern_match_counts",
        ]
    }

    fn reduce<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entries: &'c [Entry],
    ) -> BoxFuture<'c, Result<(), StoreError>> {
        Box::pin(reduce::reduce(conn, entries))
    }
}

#[cfg(test)]
mod tests;
