//! Peer-to-peer sync of community logs over rust-libp2p.
//!
//! A node runs one libp2p swarm ([`start`]): QUIC first, TCP with Noise and
//! Yamux as the fallback, identify, ping, Kademlia for peer routing, mDNS
//! only when enabled, connection and memory limits. Its Ed25519 node key is
//! its peer id.
//!
//! Logs move three ways, all over the `/commons/sync/1` request-response
//! protocol except the first:
//!
//! - **gossip**: new entries of a *public* community are published on its
//!   gossipsub topic; the message id is the entry hash and gossipsub's own
//!   signing is off (entries carry two signatures already). Validation is
//!   manual: a node forwards an entry only after its node verified it.
//! - **push**: new entries of a *private* community go directly to the
//!   connected peers the node confirms are member nodes, never to a topic.
//! - **catch-up**: on every new connection (restart, partition heal) and on a
//!   gap, a node asks for log lengths (`Heads`) and fetches what it lacks in
//!   bounded batches (`Range`).
//!
//! This crate knows no SQL and no capability: the node behind the
//! [`Replica`] trait verifies, stores and decides who may receive what. A
//! peer that sends an invalid entry is penalized in gossipsub, disconnected
//! and banned for a while; the reason is logged and counted.
#![warn(missing_docs)]

mod apply;
mod driver;
mod forward;
pub mod replica;
pub mod wire;

use std::time::Duration;

use libp2p::identity::Keypair;
use tokio::sync::{broadcast, mpsc, watch};

pub use libp2p::{Multiaddr, PeerId};
pub use replica::{BlobManifest, Range, Replica, ReplicaState, SyncStatus, Verdict};

/// Names of the counters in [`SyncStatus::counters`] and `/metrics`.
pub mod counters {
    /// Entries stored from peers.
    pub const ENTRIES_APPLIED: &str = "entries_applied";
    /// Gossip messages received.
    pub const GOSSIP_RECEIVED: &str = "gossip_received";
    /// Entries published to gossip.
    pub const PUBLISHED: &str = "published";
    /// Publishes dropped because every peer's queue was full.
    pub const PUBLISH_DROPPED: &str = "publish_dropped";
    /// Invalid entries or payloads received (the sender was penalized).
    pub const INVALID: &str = "invalid_received";
    /// Peers disconnected for sending invalid data.
    pub const PEERS_PENALIZED: &str = "peers_penalized";
    /// Range requests answered.
    pub const RANGES_SERVED: &str = "ranges_served";
    /// Requests refused (private community, not replicated).
    pub const REQUESTS_DENIED: &str = "requests_denied";
    /// Range requests sent.
    pub const RANGES_REQUESTED: &str = "ranges_requested";
    /// Entries pushed to member nodes of private communities.
    pub const PUSHED: &str = "pushed";
    /// Bytes of entry payload received in range responses.
    pub const RANGE_BYTES: &str = "range_bytes";
    /// Outbox records forwarded to home nodes.
    pub const FORWARDED: &str = "outbox_forwarded";
    /// Forwarded records the home node refused.
    pub const FORWARD_REFUSED: &str = "outbox_refused";
    /// Gossiped entries the log already held (ignored, not forwarded).
    pub const DUPLICATES: &str = "duplicates_received";
    /// Out-of-order gossiped entries dropped because the reorder buffer
    /// was full (their range is fetched instead).
    pub const REORDER_DROPPED: &str = "reorder_dropped";
    /// Transactions that stored gossiped entries (each stores a run).
    pub const APPLY_BATCHES: &str = "apply_batches";
    /// Blob chunks received from peers.
    pub const BLOB_CHUNKS: &str = "blob_chunks_received";
    /// Incoming connections refused before any protocol ran: banned peers
    /// (right after the handshake that names them) and connection limits.
    pub const CONNECTIONS_REFUSED: &str = "connections_refused";
}

/// How to run the p2p node.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/udp/4001/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start.
    pub peers: Vec<Multiaddr>,
    /// Announce and discover peers on the local network.
    pub mdns: bool,
    /// Most established connections.
    pub max_connections: u32,
    /// Gossipsub heartbeat.
    pub heartbeat: Duration,
    /// How often to refresh the replicated communities and ask a random
    /// peer for its log lengths (anti-entropy).
    pub tick: Duration,
    /// Most entries in one range response.
    pub max_batch_entries: u32,
    /// Most entry bytes in one range response.
    pub max_batch_bytes: usize,
    /// How long a peer that sent invalid data stays banned.
    pub ban: Duration,
    /// How long a gossiped entry that arrived ahead of its predecessors
    /// waits for them before the missing range is fetched.
    pub reorder_wait: Duration,
    /// Most gossiped entries waiting per community for their predecessors.
    pub reorder_max: usize,
}

impl Default for SyncConfig {
    fn default() -> SyncConfig {
        SyncConfig {
            listen: Vec::new(),
            peers: Vec::new(),
            mdns: false,
            max_connections: 256,
            heartbeat: Duration::from_millis(700),
            tick: Duration::from_secs(5),
            max_batch_entries: 20_000,
            max_batch_bytes: 12 * 1024 * 1024,
            ban: Duration::from_secs(600),
            reorder_wait: Duration::from_millis(1_500),
            reorder_max: 10_000,
        }
    }
}

/// Why the p2p node did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The node key is not an Ed25519 secret key.
    #[error("the node key cannot be used as a libp2p identity: {0}")]
    Key(String),
    /// A transport or behaviour failed to build.
    #[error("cannot build the p2p node: {0}")]
    Build(String),
    /// Listening on an address failed.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
}

/// Something that happened in the p2p node, for tests and waiting callers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncEvent {
    /// Entries from peers were stored; the log now has `next_seq` entries.
    Applied {
        /// The community.
        community: commons_kernel::CommunityId,
        /// The new log length.
        next_seq: u64,
    },
    /// A connection to a peer was established.
    Connected(PeerId),
    /// The last connection to a peer closed.
    Disconnected(PeerId),
    /// A peer sent invalid data and was penalized.
    Penalized {
        /// The peer.
        peer: PeerId,
        /// Why.
        reason: String,
    },
    /// A peer's subscription to a community topic was seen.
    Subscribed {
        /// The peer.
        peer: PeerId,
        /// The community.
        community: commons_kernel::CommunityId,
    },
}

/// A handle to the running p2p node; dropping it does not stop the node,
/// [`SyncHandle::shutdown`] does.
#[derive(Debug)]
pub struct SyncHandle {
    peer_id: PeerId,
    listen: Vec<Multiaddr>,
    commands: mpsc::UnboundedSender<driver::Command>,
    status: watch::Receiver<SyncStatus>,
    events: broadcast::Sender<SyncEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl SyncHandle {
    /// This node's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The addresses the node listens on, with `/p2p/<peer id>` appended.
    pub fn listen_addrs(&self) -> &[Multiaddr] {
        &self.listen
    }

    /// The current status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Waits until the status satisfies `done` (at once if it does now);
    /// returns it, or `None` once the node has stopped.
    pub async fn wait_status(&self, done: impl Fn(&SyncStatus) -> bool) -> Option<SyncStatus> {
        let mut status = self.status.clone();
        status.wait_for(|s| done(s)).await.ok().map(|s| s.clone())
    }

    /// Events from now on.
    pub fn events(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// Dials a peer.
    pub fn dial(&self, addr: Multiaddr) {
        let _ = self.commands.send(driver::Command::Dial(addr));
    }

    /// Disconnects a peer and refuses its connections until unblocked (an
    /// operator's block, also how tests cut a network in two). Returns once
    /// the node has acted on it.
    pub async fn block(&self, peer: PeerId) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self
            .commands
            .send(driver::Command::Block(peer, done))
            .is_ok()
        {
            let _ = wait.await;
        }
    }

    /// Lifts a block.
    pub async fn unblock(&self, peer: PeerId) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self
            .commands
            .send(driver::Command::Unblock(peer, done))
            .is_ok()
        {
            let _ = wait.await;
        }
    }

    /// Fetches a blob of `community` by id from connected peers, in verified
    /// chunks, resuming from the chunks the node already has. Returns once
    /// the blob is complete, or why no peer could provide it.
    pub async fn fetch_blob(
        &self,
        community: commons_kernel::CommunityId,
        id: [u8; 32],
    ) -> Result<(), String> {
        let (done, wait) = tokio::sync::oneshot::channel();
        self.commands
            .send(driver::Command::FetchBlob(community, id, done))
            .map_err(|_| "the p2p node has stopped".to_owned())?;
        wait.await
            .map_err(|_| "the p2p node has stopped".to_owned())?
    }

    /// A cloneable function that fetches blobs through this node, for the
    /// node facade to call when a user asks for a blob it lacks.
    pub fn blob_fetcher(
        &self,
    ) -> impl Fn(
        commons_kernel::CommunityId,
        [u8; 32],
    ) -> futures::future::BoxFuture<'static, Result<(), String>>
    + Send
    + Sync
    + 'static {
        let commands = self.commands.clone();
        move |community, id| {
            let commands = commands.clone();
            Box::pin(async move {
                let (done, wait) = tokio::sync::oneshot::channel();
                commands
                    .send(driver::Command::FetchBlob(community, id, done))
                    .map_err(|_| "the p2p node has stopped".to_owned())?;
                wait.await
                    .map_err(|_| "the p2p node has stopped".to_owned())?
            })
        }
    }

    /// Stops the node and waits for it to close.
    pub async fn shutdown(self) {
        let _ = self.commands.send(driver::Command::Shutdown);
        let _ = self.task.await;
    }
}

/// The libp2p identity of a node whose Ed25519 secret key is `secret`.
pub fn keypair(secret: [u8; 32]) -> Result<Keypair, SyncError> {
    Keypair::ed25519_from_bytes(secret).map_err(|error| SyncError::Key(error.to_string()))
}

/// The kernel public key behind a peer id, when it is an Ed25519 peer id.
pub fn peer_key(peer: &PeerId) -> Option<commons_kernel::PublicKey> {
    let key = libp2p::identity::PublicKey::try_decode_protobuf(peer.as_ref().digest()).ok()?;
    let key = key.try_into_ed25519().ok()?;
    Some(commons_kernel::PublicKey::from_bytes(key.to_bytes()))
}

/// Starts the p2p node of `replica` with the node's Ed25519 secret key.
/// Returns once every listen address is bound.
pub async fn start<R: Replica>(
    config: SyncConfig,
    secret: [u8; 32],
    replica: R,
) -> Result<SyncHandle, SyncError> {
    driver::start(config, keypair(secret)?, replica).await
}
