//! Writes away from home: any record kind written on a node that is not the
//! community's home is checked, queued persistently, forwarded (directly or
//! through a relay) and shows as pending until its entry comes back.

use std::time::Duration;

use commons_kernel::{CommunityId, SecretKey};
use commons_node::{Node, NodeConfig, NodeError};
use commons_store::Registry;
use commons_sync::{Multiaddr, SyncConfig, SyncHandle};
use commons_test_support::{TestBackend, TestDb};
use serde_json::json;

use crate::support::{NodeReplica, config, node};

pub(crate) fn ticking(peers: Vec<Multiaddr>) -> SyncConfig {
    let mut config = config(peers);
    config.tick = Duration::from_millis(300);
    config
}

/// A node whose process can stop and start again on the same database and
/// data directory.
pub(crate) struct Restartable {
    pub(crate) node: Node,
    pub(crate) sync: Option<SyncHandle>,
    db: TestDb,
    dir: tempfile::TempDir,
    registry: Registry,
    domain: bool,
}

impl Restartable {
    async fn new(backend: TestBackend) -> Restartable {
        Restartable::with(backend, Registry::with_kernel(), false).await
    }

    /// A node running `registry`; `domain` creates the domain communities.
    pub(crate) async fn with(
        backend: TestBackend,
        registry: Registry,
        domain: bool,
    ) -> Restartable {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let node = Restartable::open(&db, &dir, &registry, domain).await;
        Restartable {
            node,
            sync: None,
            db,
            dir,
            registry,
            domain,
        }
    }

    async fn open(db: &TestDb, dir: &tempfile::TempDir, registry: &Registry, domain: bool) -> Node {
        let config = NodeConfig {
            data_dir: dir.path().to_owned(),
            database_url: Some(db.url.clone()),
            max_connections: 4,
            default_communities: domain,
            public_url: "http://127.0.0.1:8080".into(),
        };
        Node::open(&config, registry.clone())
            .await
            .expect("open node")
            .0
    }

    pub(crate) async fn start(&mut self, config: SyncConfig) {
        let handle = commons_sync::start(
            config,
            self.node.network_secret(),
            NodeReplica(self.node.clone()),
        )
        .await
        .expect("start sync");
        self.sync = Some(handle);
    }

    /// Stops the p2p layer and closes the node, then opens it again.
    async fn restart(&mut self) {
        if let Some(sync) = self.sync.take() {
            sync.shutdown().await;
        }
        self.node.close().await;
        self.node = Restartable::open(&self.db, &self.dir, &self.registry, self.domain).await;
    }

    async fn log_len(&self, community: CommunityId) -> u64 {
        self.node
            .log_sizes()
            .await
            .expect("log sizes")
            .into_iter()
            .find(|(id, _, _)| *id == community)
            .map_or(0, |(_, n, _)| n)
    }

    pub(crate) async fn wait_len(&self, community: CommunityId, len: u64) {
        let sync = self.sync.as_ref().expect("started");
        let mut events = sync.events();
        let wait = async {
            while self.log_len(community).await < len {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = events.recv().await {
                    panic!("sync stopped");
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .expect("the log grows within a minute");
    }
}

fn queued(result: Result<commons_kernel::Entry, NodeError>) -> commons_kernel::RecordId {
    match result {
        Err(NodeError::Queued { records, .. }) => records[0],
        other => panic!("expected the write to be queued, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_of_any_kind_survive_a_restart_and_are_delivered_once() {
    for backend in commons_test_support::backends() {
        writes_survive_a_restart(backend).await;
    }
}

async fn writes_survive_a_restart(backend: TestBackend) {
    let mut home = node(true).await;
    home.start(ticking(Vec::new())).await;
    let web = home.community("web").await;
    let mut away = Restartable::new(backend).await;
    away.node.follow(&web.to_hex()).await.expect("follow");
    away.start(ticking(vec![home.addr()])).await;
    away.wait_len(web, 1).await;
    let base = home.log_len(web).await;

    // The home node goes away; bob joins and, as the member he will be,
    // invites carol: the second write is checked after the queued first.
    home.stop().await;
    let bob = away
        .node
        .create_user("bob", "correct horse battery", false)
        .await
        .expect("bob");
    let join = queued(
        away.node
            .submit(
                &bob,
                web,
                "community.join",
                json!({ "name": "bob" }),
                vec![],
            )
            .await,
    );
    let carol = SecretKey::generate().public_key();
    let invite = queued(
        away.node
            .submit(
                &bob,
                web,
                "community.invite",
                json!({ "member": carol }),
                vec![],
            )
            .await,
    );
    // A write the home node would refuse is refused here, not queued.
    let refused = away
        .node
        .submit(
            &bob,
            web,
            "community.role",
            json!({ "member": carol, "role": "admin" }),
            vec![],
        )
        .await;
    assert!(matches!(refused, Err(NodeError::Invalid(_))), "{refused:?}");
    let pending = away.node.pending_writes(Some(web)).await.expect("pending");
    let ids: Vec<_> = pending.iter().map(|p| p.record.id()).collect();
    assert_eq!(ids, vec![join, invite], "pending, in order");

    // The whole node stops and starts again: the writes are still queued.
    away.restart().await;
    let status = away.node.sync_status().await.expect("status");
    let row = status.iter().find(|r| r.community == web).expect("row");
    assert_eq!(row.outbox, 2);
    let json = away
        .node
        .execute(commons_node::control::Command::SyncStatus)
        .await
        .expect("status json");
    let kinds: Vec<&str> = json[0]["pending"]
        .as_array()
        .expect("pending list")
        .iter()
        .map(|p| p["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["community.join", "community.invite"]);

    // Home returns; the writes are forwarded, appended once and come back.
    home.start(ticking(Vec::new())).await;
    away.start(ticking(vec![home.addr()])).await;
    away.wait_len(web, base + 2).await;
    home.wait_len(web, base + 2).await;
    assert!(
        away.node
            .pending_writes(Some(web))
            .await
            .expect("pending")
            .is_empty()
    );
    let entries = home
        .node
        .store()
        .entries(web, 0, 1000)
        .await
        .expect("entries");
    for id in [join, invite] {
        let copies = entries.iter().filter(|e| e.record_id == id).count();
        assert_eq!(copies, 1, "delivered exactly once");
    }
    assert_eq!(entries.len() as u64, base + 2);
    let members = away.node.store().members(web).await.expect("members");
    assert!(members.iter().any(|m| m.key == bob.public_key));
    assert!(
        away.node
            .store()
            .is_invited(web, carol)
            .await
            .expect("invited")
    );
    away.restart().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_holds_the_community_relays_writes_toward_its_home() {
    let mut home = node(true).await;
    home.start(ticking(Vec::new())).await;
    let web = home.community("web").await;
    let mut relay = node(false).await;
    relay.node.follow(&web.to_hex()).await.expect("follow");
    relay.start(ticking(vec![home.addr()])).await;
    relay.wait_len(web, 1).await;
    // The away node may talk to the relay only, never to the home node.
    let mut away = node(false).await;
    let peer = |node: &Node| -> commons_sync::PeerId { node.peer_id().parse().expect("peer id") };
    home.sync().block(peer(&away.node)).await;
    away.node.follow(&web.to_hex()).await.expect("follow");
    away.start(ticking(vec![relay.addr()])).await;
    away.sync().block(peer(&home.node)).await;
    away.wait_len(web, 1).await;
    let base = home.log_len(web).await;

    let dave = away
        .node
        .create_user("dave", "correct horse battery", false)
        .await
        .expect("dave");
    let join = queued(
        away.node
            .submit(
                &dave,
                web,
                "community.join",
                json!({ "name": "dave" }),
                vec![],
            )
            .await,
    );
    // The home node appends it itself: wait on its local appends.
    let mut appended = home.node.appended();
    let wait = async {
        while home.log_len(web).await < base + 1 {
            appended.recv().await.ok();
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("the home node appends the relayed write");
    away.wait_len(web, base + 1).await;
    relay.wait_len(web, base + 1).await;
    let entries = home
        .node
        .store()
        .entries(web, 0, 1000)
        .await
        .expect("entries");
    assert_eq!(entries.iter().filter(|e| e.record_id == join).count(), 1);
    let connected: Vec<String> = away
        .sync()
        .status()
        .peers
        .into_iter()
        .map(|(peer, _)| peer)
        .collect();
    assert!(
        !connected.contains(&home.node.peer_id()),
        "the away node never reached the home node itself"
    );
    // Both outboxes settle once the entry is back.
    for node in [&away, &relay] {
        let pending = node.node.pending_writes(Some(web)).await.expect("pending");
        assert!(pending.is_empty(), "{pending:?}");
    }
}
