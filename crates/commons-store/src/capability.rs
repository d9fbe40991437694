//! The contract between the store and a capability: record kinds validated by
//! the kernel's [`Validator`], reduced into the capability's own projection
//! tables inside the append transaction.

use std::collections::HashMap;
use std::sync::Arc;

use commons_kernel::capability::ValidationContext;
use commons_kernel::{Entry, Validator};
use futures::future::BoxFuture;
use sqlx::AnyConnection;
use sqlx::migrate::Migrator;

use crate::{Backend, StoreError};

/// A capability: validation (pure, from the kernel) plus reduction into
/// projection tables (here, with SQL).
///
/// Adding a capability means implementing this trait in the capability's crate
/// and adding one line to the node's registry.
pub trait Capability: Validator {
    /// Migrations creating the capability's tables. Versions must be unique
    /// across the workspace: the kernel uses 1–999, each capability takes a
    /// block of 1000 (see ARCHITECTURE.md).
    fn migrator(&self, _backend: Backend) -> Option<Migrator> {
        None
    }

    /// The projection tables, emptied before a replay.
    fn projection_tables(&self) -> &'static [&'static str];

    /// Applies `entries`, consecutive entries of one log that all belong to
    /// this capability, to the projection tables, in order. Called inside
    /// the transaction that appends them, after validation succeeded, and by
    /// replay. Taking a run rather than one entry lets a reducer read what it
    /// needs once and write with multi-row statements ([`crate::bulk`]).
    fn reduce<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entries: &'c [Entry],
    ) -> BoxFuture<'c, Result<(), StoreError>>;

    /// Reduces a run the append has already applied to a validation
    /// context: `before` is the context loaded for exactly the run's keys
    /// (its authors and subjects), `after` the same context once each record
    /// was applied in order. A capability whose reducer is nothing but the
    /// difference of those two states (the built-in `community` capability)
    /// overrides this to skip reading and applying everything again; the
    /// default reduces the run.
    fn reduce_applied<'c>(
        &'c self,
        conn: &'c mut AnyConnection,
        entries: &'c [Entry],
        _before: &'c ValidationContext,
        _after: &'c ValidationContext,
    ) -> BoxFuture<'c, Result<(), StoreError>> {
        self.reduce(conn, entries)
    }
}

/// The capabilities a node runs, by name.
#[derive(Clone, Default)]
pub struct Registry {
    capabilities: Vec<Arc<dyn Capability>>,
    by_name: HashMap<&'static str, usize>,
}

impl Registry {
    /// A registry holding only the built-in `community` capability.
    pub fn with_kernel() -> Registry {
        let mut registry = Registry::default();
        registry.register(Arc::new(crate::community::CommunityCapability));
        registry
    }

    /// Adds a capability.
    ///
    /// # Panics
    /// When a capability of the same name is already registered: that is a
    /// wiring mistake, found by the first test that opens a node.
    pub fn register(&mut self, capability: Arc<dyn Capability>) -> &mut Registry {
        let name = capability.capability();
        assert!(
            !self.by_name.contains_key(name),
            "capability {name} registered twice"
        );
        self.by_name.insert(name, self.capabilities.len());
        self.capabilities.push(capability);
        self
    }

    /// The capability owning a kind's first segment.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Capability>> {
        self.by_name.get(name).map(|&idx| &self.capabilities[idx])
    }

    /// All capabilities, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Capability>> {
        self.capabilities.iter()
    }
}
