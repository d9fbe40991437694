//! The node as the sync layer sees it: [`NodeReplica`] implements
//! `commons_sync::Replica` over `commons_node::Node`. The binary runs sync
//! through it, and so do the sync tests and the sync bench, so what they
//! measure is what a node runs.
//!
//! It lives in a crate of its own because neither side may hold it:
//! `commons-sync` knows the kernel only, and `commons-node` knows no wire.

use commons_kernel::log::RawEntry;
use commons_kernel::{CommunityId, Entry, PublicKey, SignedRecord};
use commons_node::Node;
use commons_node::sync::{NetworkStatus, RemoteOutcome};
use commons_sync::{Range, Replica, ReplicaState, SyncStatus, Verdict};
use futures::future::BoxFuture;

/// The node as the sync layer sees it.
#[derive(Clone)]
pub struct NodeReplica(pub Node);

impl Replica for NodeReplica {
    fn replicas(&self) -> BoxFuture<'_, Vec<ReplicaState>> {
        Box::pin(async move {
            match self.0.replicated().await {
                Ok(replicas) => replicas
                    .into_iter()
                    .map(|r| ReplicaState {
                        community: r.community,
                        public: r.public,
                        next_seq: r.next_seq,
                        home: r.home,
                    })
                    .collect(),
                Err(error) => {
                    tracing::error!(%error, "cannot list replicated communities");
                    Vec::new()
                }
            }
        })
    }

    fn accept(
        &self,
        peer: PublicKey,
        community: CommunityId,
        entries: Vec<RawEntry>,
    ) -> BoxFuture<'_, Verdict> {
        Box::pin(async move {
            match self.0.accept_remote(peer, community, entries).await {
                RemoteOutcome::Applied { next_seq } => Verdict::Applied { next_seq },
                RemoteOutcome::Duplicate => Verdict::Duplicate,
                RemoteOutcome::Gap { next_seq } => Verdict::Gap { next_seq },
                // A local failure is not the peer's fault: ignore the
                // entries; the next heads exchange fetches them again.
                RemoteOutcome::NotReplicated | RemoteOutcome::Failed(_) => Verdict::NotReplicated,
                RemoteOutcome::Invalid(reason) => Verdict::Invalid(reason),
            }
        })
    }

    fn range(
        &self,
        peer: PublicKey,
        community: CommunityId,
        from: u64,
        limit: u32,
    ) -> BoxFuture<'_, Option<Range>> {
        Box::pin(async move {
            match self.0.serve_range(peer, community, from, limit).await {
                Ok(Some((entries, head))) => Some(Range { entries, head }),
                Ok(None) => None,
                Err(error) => {
                    tracing::error!(%community, %error, "cannot read a range to serve");
                    None
                }
            }
        })
    }

    fn may_receive(&self, peer: PublicKey, community: CommunityId) -> BoxFuture<'_, bool> {
        Box::pin(async move { self.0.may_receive(peer, community).await.unwrap_or(false) })
    }

    fn appended(&self) -> tokio::sync::broadcast::Receiver<Vec<Entry>> {
        self.0.appended()
    }

    fn outbox(&self) -> BoxFuture<'_, Vec<(CommunityId, PublicKey, Vec<SignedRecord>)>> {
        Box::pin(async move {
            match self.0.outgoing().await {
                Ok(outgoing) => outgoing
                    .into_iter()
                    .map(|o| (o.community, o.home, o.records))
                    .collect(),
                Err(error) => {
                    tracing::error!(%error, "cannot read the outbox");
                    Vec::new()
                }
            }
        })
    }

    fn submit(
        &self,
        peer: PublicKey,
        community: CommunityId,
        records: Vec<SignedRecord>,
    ) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.0
                .accept_submission(peer, community, records)
                .await
                .map_err(|error| format!("refused: {error}"))
        })
    }

    fn report(&self, status: &SyncStatus) {
        self.0.set_network_status(NetworkStatus {
            peer_id: status.peer_id.clone(),
            listen: status.listen.clone(),
            peers: status.peers.clone(),
            best_seq: status.best_seq.clone(),
            last_error: status.last_error.clone(),
            counters: status
                .counters
                .iter()
                .map(|(name, n)| ((*name).to_owned(), *n))
                .collect(),
        });
    }

    fn blob_manifest(
        &self,
        peer: PublicKey,
        community: CommunityId,
        id: [u8; 32],
    ) -> BoxFuture<'_, Option<commons_sync::BlobManifest>> {
        Box::pin(async move {
            let manifest = self
                .0
                .serve_blob_manifest(peer, community, &id)
                .await
                .ok()
                .flatten()?;
            Some(commons_sync::BlobManifest {
                size: manifest.size,
                chunks: manifest.chunks,
            })
        })
    }

    fn blob_chunk(
        &self,
        peer: PublicKey,
        community: CommunityId,
        id: [u8; 32],
        index: u32,
    ) -> BoxFuture<'_, Option<Vec<u8>>> {
        Box::pin(async move {
            self.0
                .serve_blob_chunk(peer, community, &id, index)
                .await
                .ok()
                .flatten()
        })
    }

    fn store_blob_manifest(
        &self,
        community: CommunityId,
        id: [u8; 32],
        manifest: commons_sync::BlobManifest,
    ) -> BoxFuture<'_, Result<Vec<u32>, String>> {
        Box::pin(async move {
            let manifest = commons_node::blobs::Manifest {
                size: manifest.size,
                chunks: manifest.chunks,
            };
            self.0
                .store_blob_manifest(community, &id, &manifest)
                .await
                .map_err(|error| error.to_string())
        })
    }

    fn store_blob_chunk(
        &self,
        community: CommunityId,
        id: [u8; 32],
        index: u32,
        bytes: Vec<u8>,
    ) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.0
                .store_blob_chunk(community, &id, index, &bytes)
                .await
                .map_err(|error| error.to_string())
        })
    }
}
