//! The intel capability: a community's threat-intelligence feed.
//!
//! Members publish STIX 2.1 objects (`intel.publish`, validated with
//! `commons-stix`, every finding reported), revoke indicators
//! (`intel.revoke`, which stores a new version with `revoked: true`), report
//! sightings (`intel.sighting`: an indicator reference, a count and a time
//! window, nothing else) and false positives (`intel.false-positive`), delete
//! objects from the collection (`intel.delete`, the log keeps them) and, as
//! admins, set the community's confidence model (`intel.settings`: half-life
//! per indicator kind, expiry threshold).
//!
//! The reducer ([`reduce`]) keeps every version of every object with a
//! TAXII `date_added` that strictly increases per community, so it doubles as
//! a keyset paging key that survives restarts and concurrent writers; and
//! the facts confidence scoring needs per indicator. Views ([`views`]) page
//! through objects with the TAXII filters, list the feed with its filters
//! and score indicators at read time ([`confidence`]).
#![warn(missing_docs)]

pub mod confidence;
pub mod records;
pub mod reduce;
pub mod validate;
pub mod views;

use commons_store::{Backend, Capability, StoreError};
use futures::future::BoxFuture;
use sqlx::AnyConnection;
use sqlx::migrate::Migrator;

pub use confidence::{IndicatorScore, standing_of};
pub use records::{
    DeleteBody, FalsePositiveBody, MAX_OBJECTS, PublishBody, RevokeBody, SettingsBody, SightingBody,
};
pub use validate::{object_findings, validate_objects};
pub use views::{
    Evidence, FeedItem, FeedQuery, IndicatorDetail, ObjectRow, ObjectsPage, ObjectsQuery,
    VersionMatch,
};

/// The intel capability.
#[derive(Debug, Clone, Copy, Default)]
pub struct Intel;

impl Capability for Intel {
    fn migrator(&self, backend: Backend) -> Option<Migrator> {
        Some(match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        })
    }

    fn projection_tables(&self) -> &'static [&'static str] {
        &[
            "intel_objects",
            "intel_heads",
            "intel_indicators",
            "intel_evidence",
            "intel_settings",
        ]
    }

    fn reduce<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entries: &'c [commons_kernel::Entry],
    ) -> BoxFuture<'c, Result<(), StoreError>> {
        Box::pin(reduce::reduce(conn, entries))
    }
}

#[cfg(test)]
mod tests;
