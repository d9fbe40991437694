//! Snapshots of what community pages read (the summary, the members, the
//! newest entries), shared by every request until the node next appends.
//! The newest entries are read only when a page asks for them: a feed's
//! records can carry thousands of objects each, and every request that only
//! checks membership (a TAXII add, for one) would read them all again after
//! each append.
//!
//! Projections change only through appends, and every append on this node
//! goes through [`Node::append`], which bumps the generation after its
//! transaction commits. A snapshot taken under an older generation is never
//! served, so a reader sees a write as soon as the writer's call returns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use commons_kernel::CommunityId;
use commons_store::LogRow;
use commons_store::community::{CommunitySummary, MemberRow};

use crate::{Node, NodeError};

/// The newest entries a snapshot keeps; longer lists are read from the store.
pub const SNAPSHOT_ENTRIES: u32 = 100;

/// One community as of one generation.
#[derive(Debug)]
pub struct Snapshot {
    generation: u64,
    /// Genesis facts, policy and counts.
    pub summary: CommunitySummary,
    /// Members and pending requests, admins first.
    pub members: Vec<MemberRow>,
    /// The newest entries, newest first, read on first use ([`Node::recent_of`]).
    recent: tokio::sync::OnceCell<Vec<LogRow>>,
}

#[derive(Debug, Default)]
pub(crate) struct Snapshots {
    generation: AtomicU64,
    by_id: Mutex<HashMap<CommunityId, Arc<Snapshot>>>,
}

impl Snapshots {
    /// Called after every commit that may change a projection.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn get(&self, id: CommunityId, generation: u64) -> Option<Arc<Snapshot>> {
        let by_id = self.by_id.lock().expect("snapshot lock is never poisoned");
        by_id
            .get(&id)
            .filter(|snapshot| snapshot.generation == generation)
            .cloned()
    }

    fn put(&self, id: CommunityId, snapshot: Arc<Snapshot>) {
        let mut by_id = self.by_id.lock().expect("snapshot lock is never poisoned");
        let current = self.generation.load(Ordering::Acquire);
        by_id.retain(|_, kept| kept.generation == current);
        if snapshot.generation == current {
            by_id.insert(id, snapshot);
        }
    }
}

impl Node {
    /// A number that grows after every commit that may change a projection.
    /// Anything derived from projections read after seeing generation `g`
    /// may be reused for as long as the generation is still `g`.
    pub fn generation(&self) -> u64 {
        self.inner.snapshots.generation.load(Ordering::Acquire)
    }

    /// The community as of the latest append, or `None` if it has no
    /// genesis entry here. Visibility is the caller's to check.
    pub async fn snapshot(&self, id: CommunityId) -> Result<Option<Arc<Snapshot>>, NodeError> {
        let snapshots = &self.inner.snapshots;
        let generation = snapshots.generation.load(Ordering::Acquire);
        if let Some(snapshot) = snapshots.get(id, generation) {
            return Ok(Some(snapshot));
        }
        let Some(summary) = self.store().community(id).await? else {
            return Ok(None);
        };
        let snapshot = Arc::new(Snapshot {
            generation,
            summary,
            members: self.store().members(id).await?,
            recent: tokio::sync::OnceCell::new(),
        });
        snapshots.put(id, Arc::clone(&snapshot));
        Ok(Some(snapshot))
    }

    /// The newest [`SNAPSHOT_ENTRIES`] entries of the snapshot's community,
    /// newest first; the first caller reads them, the others share them.
    pub async fn recent_of<'s>(&self, snapshot: &'s Snapshot) -> Result<&'s [LogRow], NodeError> {
        let recent = snapshot
            .recent
            .get_or_try_init(|| {
                self.store()
                    .recent_entries(snapshot.summary.info.id, SNAPSHOT_ENTRIES)
            })
            .await?;
        Ok(recent)
    }
}
