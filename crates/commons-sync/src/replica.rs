//! What the sync layer needs from the node that stores the logs, as a trait
//! the binary implements over `commons_node::Node`, and the status the sync
//! layer reports back.
//!
//! The trait speaks kernel types only: entries go in unverified
//! ([`RawEntry`]) and come out verified ([`Entry`]); the node checks the
//! chain, both signatures and the community's policy, and decides who may
//! receive a community's log.

use std::collections::BTreeMap;

use commons_kernel::log::RawEntry;
use commons_kernel::{CommunityId, Entry, PublicKey, SignedRecord};
use futures::future::BoxFuture;

/// A community this node replicates, as the sync layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaState {
    /// The community.
    pub community: CommunityId,
    /// Public communities are gossiped; private ones are pushed to member
    /// nodes only.
    pub public: bool,
    /// The next sequence number this node lacks (0 for a followed community
    /// whose log has not arrived yet).
    pub next_seq: u64,
    /// The node key of its home node, as its log names it (`None` until the
    /// log has arrived).
    pub home: Option<PublicKey>,
}

/// What the node did with entries a peer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Stored and reduced; the log now ends before `next_seq`.
    Applied {
        /// The new log length.
        next_seq: u64,
    },
    /// Already stored, byte for byte.
    Duplicate,
    /// The entries start after the end of the local log: fetch from `next_seq`.
    Gap {
        /// The local log length.
        next_seq: u64,
    },
    /// This node does not replicate the community (or may not receive it).
    NotReplicated,
    /// The entries are invalid: forged, tampered, a fork, against policy.
    /// The sender is penalized.
    Invalid(String),
}

/// A range of a log served to a peer.
#[derive(Debug, Clone)]
pub struct Range {
    /// Consecutive entries from the requested position.
    pub entries: Vec<Entry>,
    /// The serving node's log length.
    pub head: u64,
}

/// The node side of sync. Every method is called from the sync driver's
/// tasks; `peer` is the remote node's key (its peer id).
pub trait Replica: Clone + Send + Sync + 'static {
    /// The communities this node replicates: joined, hosted or followed.
    fn replicas(&self) -> BoxFuture<'_, Vec<ReplicaState>>;

    /// Verifies and stores consecutive entries of one community received
    /// from `peer`, in one transaction.
    fn accept(
        &self,
        peer: PublicKey,
        community: CommunityId,
        entries: Vec<RawEntry>,
    ) -> BoxFuture<'_, Verdict>;

    /// Entries from `from` on, at most `limit`, if `peer` may receive the
    /// community; `None` otherwise (also when this node lacks it).
    fn range(
        &self,
        peer: PublicKey,
        community: CommunityId,
        from: u64,
        limit: u32,
    ) -> BoxFuture<'_, Option<Range>>;

    /// Whether `peer` may receive the community's log (public, or a member
    /// node of a private one), checked before every answer and push.
    fn may_receive(&self, peer: PublicKey, community: CommunityId) -> BoxFuture<'_, bool>;

    /// Records this node signed for communities homed elsewhere, per
    /// community with the home node's key, to forward.
    fn outbox(&self) -> BoxFuture<'_, Vec<(CommunityId, PublicKey, Vec<SignedRecord>)>>;

    /// Appends records `peer` forwarded to this node as the community's
    /// home; `Err` carries the reason they were refused.
    fn submit(
        &self,
        peer: PublicKey,
        community: CommunityId,
        records: Vec<SignedRecord>,
    ) -> BoxFuture<'_, Result<(), String>>;

    /// Entries this node appended itself, to publish.
    fn appended(&self) -> tokio::sync::broadcast::Receiver<Vec<Entry>>;

    /// Called whenever the sync status changes.
    fn report(&self, status: &SyncStatus);

    /// A blob's manifest (size and chunk hashes), if `peer` may receive the
    /// community and this node has it.
    fn blob_manifest(
        &self,
        _peer: PublicKey,
        _community: CommunityId,
        _id: [u8; 32],
    ) -> BoxFuture<'_, Option<BlobManifest>> {
        Box::pin(async { None })
    }

    /// One chunk of a blob, if `peer` may receive the community and this
    /// node has it.
    fn blob_chunk(
        &self,
        _peer: PublicKey,
        _community: CommunityId,
        _id: [u8; 32],
        _index: u32,
    ) -> BoxFuture<'_, Option<Vec<u8>>> {
        Box::pin(async { None })
    }

    /// Stores a manifest a peer sent, after checking it against the id;
    /// returns the chunks still missing.
    fn store_blob_manifest(
        &self,
        _community: CommunityId,
        _id: [u8; 32],
        _manifest: BlobManifest,
    ) -> BoxFuture<'_, Result<Vec<u32>, String>> {
        Box::pin(async { Err("this node keeps no blobs".to_owned()) })
    }

    /// Stores a chunk a peer sent, after checking it against the manifest;
    /// returns whether the blob is complete.
    fn store_blob_chunk(
        &self,
        _community: CommunityId,
        _id: [u8; 32],
        _index: u32,
        _bytes: Vec<u8>,
    ) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async { Err("this node keeps no blobs".to_owned()) })
    }
}

/// A blob's manifest as the sync layer carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobManifest {
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of each chunk, in order.
    pub chunks: Vec<[u8; 32]>,
}

/// What an operator sees of sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// This node's peer id.
    pub peer_id: String,
    /// Addresses it listens on.
    pub listen: Vec<String>,
    /// Connected peers: peer id and the address of the first connection.
    pub peers: Vec<(String, String)>,
    /// Per community: the longest log a peer reported.
    pub best_seq: BTreeMap<CommunityId, u64>,
    /// Per community: the last sync error.
    pub last_error: BTreeMap<CommunityId, String>,
    /// Counters, by name (see [`crate::counters`]).
    pub counters: BTreeMap<&'static str, u64>,
}
