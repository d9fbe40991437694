//! Test nodes: a real node on a temporary database and its p2p layer on
//! loopback TCP, joined by the binary's own adapter (`commons-replica`).

use std::time::Duration;

use commons_kernel::log::RawEntry;
use commons_kernel::{CommunityId, Entry, Kind, PublicKey, Record, SecretKey, SignedRecord};
use commons_node::{Node, NodeConfig};
pub use commons_replica::NodeReplica;
use commons_store::Registry;
use commons_sync::{
    Multiaddr, Range, Replica, ReplicaState, SyncConfig, SyncEvent, SyncHandle, SyncStatus, Verdict,
};
use commons_test_support::{TestBackend, TestDb};
use futures::future::BoxFuture;
use serde_json::json;

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
        self.wait_len_within(community, len, Duration::from_secs(60))
            .await;
    }

    /// [`TestNode::wait_len`] with a longer limit, for benches. Wakes on
    /// entries stored from peers and on the node's own appends (a home
    /// node's log grows by those).
    pub async fn wait_len_within(&self, community: CommunityId, len: u64, limit: Duration) {
        use tokio::sync::broadcast::error::RecvError;
        let mut events = self.sync().events();
        let mut appended = self.node.appended();
        let wait = async {
            loop {
                if self.log_len(community).await >= len {
                    return;
                }
                tokio::select! {
                    event = events.recv() => match event {
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(error) => panic!("sync stopped: {error}"),
                    },
                    entries = appended.recv() => match entries {
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => appended = self.node.appended(),
                    },
                }
            }
        };
        if tokio::time::timeout(limit, wait).await.is_err() {
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

/// A peer whose gossip the test writes: it publishes whatever the test
/// sends, in the order sent (out of order, stale or corrupted entries
/// included), claims a log length of its choosing, and serves no ranges.
#[derive(Clone)]
pub struct Puppet {
    pub inner: NodeReplica,
    pub publish: tokio::sync::broadcast::Sender<Vec<Entry>>,
    /// The log length it reports for every community.
    pub claims: u64,
}

impl Replica for Puppet {
    fn replicas(&self) -> BoxFuture<'_, Vec<ReplicaState>> {
        Box::pin(async move {
            let mut replicas = self.inner.replicas().await;
            for state in &mut replicas {
                state.next_seq = self.claims;
            }
            replicas
        })
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
        _peer: PublicKey,
        _community: CommunityId,
        _from: u64,
        _limit: u32,
    ) -> BoxFuture<'_, Option<Range>> {
        Box::pin(async { None })
    }

    fn may_receive(&self, peer: PublicKey, community: CommunityId) -> BoxFuture<'_, bool> {
        self.inner.may_receive(peer, community)
    }

    fn appended(&self) -> tokio::sync::broadcast::Receiver<Vec<Entry>> {
        self.publish.subscribe()
    }

    fn outbox(&self) -> BoxFuture<'_, Vec<(CommunityId, PublicKey, Vec<SignedRecord>)>> {
        Box::pin(async { Vec::new() })
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

impl TestNode {
    /// Starts the p2p layer as a [`Puppet`]; entries sent on the returned
    /// channel are published as they are.
    pub async fn start_puppet(
        &mut self,
        config: SyncConfig,
        claims: u64,
    ) -> tokio::sync::broadcast::Sender<Vec<Entry>> {
        let (publish, _) = tokio::sync::broadcast::channel(1024);
        let replica = Puppet {
            inner: NodeReplica(self.node.clone()),
            publish: publish.clone(),
            claims,
        };
        let handle = commons_sync::start(config, self.node.network_secret(), replica)
            .await
            .expect("start sync");
        self.sync = Some(handle);
        publish
    }

    /// Copies the first `n` entries of `community` from `from`, as if
    /// fetched from it earlier.
    pub async fn copy_log(&self, from: &TestNode, community: CommunityId, n: usize) {
        if !self
            .node
            .replicated()
            .await
            .expect("replicated")
            .iter()
            .any(|r| r.community == community)
        {
            self.node.follow(&community.to_hex()).await.expect("follow");
        }
        let raws = from.entries(community).await[..n].iter().map(raw).collect();
        let outcome = self
            .node
            .accept_remote(from.node.node_key(), community, raws)
            .await;
        assert!(
            matches!(outcome, commons_node::sync::RemoteOutcome::Applied { .. }),
            "{outcome:?}"
        );
    }

    /// The node's `/metrics` page, from a web server started for the call.
    pub async fn metrics(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state =
            commons_web::AppState::new(self.node.clone(), commons_web::WebConfig::default());
        let server = tokio::spawn(commons_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        let text = reqwest::get(format!("http://{address}/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body");
        let _ = stop.send(());
        let _ = server.await;
        text
    }
}

/// The value of `commons_sync_total{event="…"}` in a `/metrics` page (0
/// when absent).
pub fn sync_metric(metrics: &str, event: &str) -> u64 {
    let prefix = format!("commons_sync_total{{event=\"{event}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().expect("a counter"))
}

/// A corrupted copy of `entry`, as a hostile peer would send it.
pub fn corrupt(entry: &Entry, corruption: Corruption) -> Entry {
    match corruption {
        Corruption::Tamper => rebuild(entry, |record| {
            record.body = json!({ "name": "mallory" });
        }),
        Corruption::Forge => {
            let forger = SecretKey::generate();
            let mut record = entry.record().record().clone();
            record.author = forger.public_key();
            let signed = SignedRecord::sign(record, &forger).expect("sign");
            let raw = RawEntry {
                header: *entry.header(),
                record: signed.record().clone(),
                record_signature: *signed.signature(),
                signature: *entry.signature(),
            };
            raw.into_trusted(entry.hash(), signed.id(), signed.encoded().to_vec())
        }
        Corruption::Reorder | Corruption::Foreign(_) => entry.clone(),
    }
}
