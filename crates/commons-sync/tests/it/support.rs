//! Test nodes: a real node on a temporary database, its p2p layer on
//! loopback TCP, and the adapter the binary also uses between the two.

use std::time::Duration;

use commons_kernel::log::RawEntry;
use commons_kernel::{CommunityId, Entry, Kind, PublicKey, Record, SecretKey, SignedRecord};
use commons_node::sync::{NetworkStatus, RemoteOutcome};
use commons_node::{Node, NodeConfig};
use commons_store::Registry;
use commons_sync::{
    Multiaddr, Range, Replica, ReplicaState, SyncConfig, SyncEvent, SyncHandle, SyncStatus, Verdict,
};
use commons_test_support::{TestBackend, TestDb};
use futures::future::BoxFuture;
use serde_json::json;

/// The node behind the sync layer, as the binary wires it.
#[derive(Clone)]
pub struct NodeReplica(pub Node);

impl Replica for NodeReplica {
    fn replicas(&self) -> BoxFuture<'_, Vec<ReplicaState>> {
        Box::pin(async move {
            self.0
                .replicated()
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|r| ReplicaState {
                    community: r.community,
                    public: r.public,
                    next_seq: r.next_seq,
                })
                .collect()
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
            let (entries, head) = self
                .0
                .serve_range(peer, community, from, limit)
                .await
                .ok()
                .flatten()?;
            Some(Range { entries, head })
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

/// A node with its database, data directory and (when started) p2p layer.
pub struct TestNode {
    pub node: Node,
    pub sync: Option<SyncHandle>,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// A fresh node on SQLite; `home` creates the four domain communities on it.
pub async fn node(home: bool) -> TestNode {
    node_on(TestBackend::Sqlite, home).await
}

/// A fresh node on `backend`.
pub async fn node_on(backend: TestBackend, home: bool) -> TestNode {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        max_connections: 4,
        default_communities: home,
        public_url: "http://127.0.0.1:8080".into(),
    };
    let (node, _) = Node::open(&config, Registry::with_kernel())
        .await
        .expect("open node");
    TestNode {
        node,
        sync: None,
        _db: db,
        _dir: dir,
    }
}

/// Sync settings for tests: loopback TCP, a fast heartbeat, and no
/// anti-entropy ticks unless a test asks (so gossip alone is measured).
pub fn config(peers: Vec<Multiaddr>) -> SyncConfig {
    SyncConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")],
        peers,
        heartbeat: Duration::from_millis(200),
        tick: Duration::from_secs(3600),
        ..SyncConfig::default()
    }
}

impl TestNode {
    /// Starts the p2p layer, dialling `peers`.
    pub async fn start(&mut self, config: SyncConfig) {
        let handle = commons_sync::start(
            config,
            self.node.network_secret(),
            NodeReplica(self.node.clone()),
        )
        .await
        .expect("start sync");
        self.sync = Some(handle);
    }

    pub fn sync(&self) -> &SyncHandle {
        self.sync.as_ref().expect("sync started")
    }

    /// The first listen address.
    pub fn addr(&self) -> Multiaddr {
        self.sync().listen_addrs()[0].clone()
    }

    pub async fn stop(&mut self) {
        if let Some(handle) = self.sync.take() {
            handle.shutdown().await;
        }
    }

    /// The community this node hosts under `name`.
    pub async fn community(&self, name: &str) -> CommunityId {
        self.node
            .find_home_community(name)
            .await
            .expect("lookup")
            .expect("hosted community")
    }

    /// The local log length of `community`.
    pub async fn log_len(&self, community: CommunityId) -> u64 {
        self.node
            .log_sizes()
            .await
            .expect("log sizes")
            .into_iter()
            .find(|(id, _, _)| *id == community)
            .map_or(0, |(_, n, _)| n)
    }

    /// Waits (on sync events, without polling) until the log of
    /// `community` has `len` entries.
    pub async fn wait_len(&self, community: CommunityId, len: u64) {
        let mut events = self.sync().events();
        let wait = async {
            loop {
                if self.log_len(community).await >= len {
                    return;
                }
                match events.recv().await {
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(error) => panic!("sync stopped: {error}"),
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .is_err()
        {
            panic!(
                "log of {community} has {} entries, expected {len}",
                self.log_len(community).await
            );
        }
    }

    /// Waits until a sync event matches.
    pub async fn wait_event(
        events: &mut tokio::sync::broadcast::Receiver<SyncEvent>,
        matches: impl Fn(&SyncEvent) -> bool,
    ) -> SyncEvent {
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(event) if matches(&event) => return event,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(error) => panic!("sync stopped: {error}"),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("event within a minute")
    }

    /// Appends `n` joins by fresh keys to a community this node hosts.
    pub async fn append_joins(&self, community: CommunityId, n: usize) -> Vec<Entry> {
        self.node
            .append(community, joins(community, n))
            .await
            .expect("append joins")
    }
}

/// `n` `community.join` records by fresh keys, padded to about `pad` bytes.
pub fn joins(community: CommunityId, n: usize) -> Vec<SignedRecord> {
    (0..n)
        .map(|idx| {
            let key = SecretKey::generate();
            let record = Record {
                kind: Kind::parse("community.join").expect("kind"),
                community,
                author: key.public_key(),
                ts: commons_node::now(),
                body: json!({ "name": format!("m{idx}") }),
                refs: Vec::new(),
            };
            SignedRecord::sign(record, &key).expect("sign")
        })
        .collect()
}

/// How a rogue peer corrupts the ranges it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corruption {
    /// Changes a record's body after signing.
    Tamper,
    /// Swaps two entries.
    Reorder,
    /// Re-signs a record with another author key.
    Forge,
    /// Serves another community's log under the asked id.
    Foreign(CommunityId),
}

/// A peer that serves corrupted copies of what its node holds.
#[derive(Clone)]
pub struct RogueReplica {
    pub inner: NodeReplica,
    pub corruption: Corruption,
}

impl Replica for RogueReplica {
    fn replicas(&self) -> BoxFuture<'_, Vec<ReplicaState>> {
        self.inner.replicas()
    }

    fn accept(
        &self,
        peer: PublicKey,
        community: CommunityId,
        entries: Vec<RawEntry>,
    ) -> BoxFuture<'_, Verdict> {
        self.inner.accept(peer, community, entries)
    }

    fn range(
        &self,
        peer: PublicKey,
        community: CommunityId,
        from: u64,
        limit: u32,
    ) -> BoxFuture<'_, Option<Range>> {
        Box::pin(async move {
            let asked = match self.corruption {
                Corruption::Foreign(other) => other,
                _ => community,
            };
            let (mut entries, head) = self
                .inner
                .0
                .serve_range(peer, asked, from, limit)
                .await
                .ok()
                .flatten()?;
            match self.corruption {
                Corruption::Tamper => {
                    let last = entries.pop()?;
                    entries.push(rebuild(&last, |record| {
                        record.body = json!({ "name": "mallory" });
                    }));
                }
                Corruption::Reorder => {
                    let n = entries.len();
                    entries.swap(n - 1, n - 2);
                }
                Corruption::Forge => {
                    let last = entries.pop()?;
                    let forger = SecretKey::generate();
                    let mut record = last.record().record().clone();
                    record.author = forger.public_key();
                    let signed = SignedRecord::sign(record, &forger).expect("sign");
                    let raw = RawEntry {
                        header: *last.header(),
                        record: signed.record().clone(),
                        record_signature: *signed.signature(),
                        signature: *last.signature(),
                    };
                    entries.push(raw.into_trusted(
                        last.hash(),
                        signed.id(),
                        signed.encoded().to_vec(),
                    ));
                }
                Corruption::Foreign(_) => {}
            }
            Some(Range { entries, head })
        })
    }

    fn may_receive(&self, peer: PublicKey, community: CommunityId) -> BoxFuture<'_, bool> {
        self.inner.may_receive(peer, community)
    }

    fn appended(&self) -> tokio::sync::broadcast::Receiver<Vec<Entry>> {
        self.inner.appended()
    }

    fn outbox(&self) -> BoxFuture<'_, Vec<(CommunityId, PublicKey, Vec<SignedRecord>)>> {
        self.inner.outbox()
    }

    fn submit(
        &self,
        peer: PublicKey,
        community: CommunityId,
        records: Vec<SignedRecord>,
    ) -> BoxFuture<'_, Result<(), String>> {
        self.inner.submit(peer, community, records)
    }

    fn report(&self, status: &SyncStatus) {
        self.inner.report(status)
    }
}

/// A copy of `entry` whose record was changed after signing (the author
/// and community signatures are kept, so they no longer match).
pub fn rebuild(entry: &Entry, change: impl FnOnce(&mut Record)) -> Entry {
    let mut record = entry.record().record().clone();
    change(&mut record);
    let encoded = record.encode().expect("encode");
    let raw = RawEntry {
        header: *entry.header(),
        record,
        record_signature: *entry.record().signature(),
        signature: *entry.signature(),
    };
    raw.into_trusted(
        entry.hash(),
        commons_kernel::RecordId::from_bytes(*blake3::hash(&encoded).as_bytes()),
        encoded,
    )
}

/// The unverified form of a stored entry, as a peer would send it.
pub fn raw(entry: &Entry) -> RawEntry {
    commons_sync::wire::WireEntry::from_entry(entry)
        .to_raw(entry.header().community)
        .expect("a stored entry decodes")
}

impl TestNode {
    /// Starts the p2p layer with a corrupting replica in front of the node.
    pub async fn start_rogue(&mut self, config: SyncConfig, corruption: Corruption) {
        let replica = RogueReplica {
            inner: NodeReplica(self.node.clone()),
            corruption,
        };
        let handle = commons_sync::start(config, self.node.network_secret(), replica)
            .await
            .expect("start sync");
        self.sync = Some(handle);
    }

    /// Every entry of a community this node holds.
    pub async fn entries(&self, community: CommunityId) -> Vec<Entry> {
        let (entries, _) = self
            .node
            .serve_range(self.node.node_key(), community, 0, 100_000)
            .await
            .expect("range")
            .expect("held");
        entries
    }
}
