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
}

/// A node with its database, data directory and (when started) p2p layer.
pub struct TestNode {
    pub node: Node,
    pub sync: Option<SyncHandle>,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// A fresh node; `home` creates the four domain communities on it.
pub async fn node(home: bool) -> TestNode {
    let db = TestDb::new(TestBackend::Sqlite).await;
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
