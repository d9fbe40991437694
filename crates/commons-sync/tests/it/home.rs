//! Moving a community to a new home node: the old home stops appending and
//! forwards, the new home appends, everyone else follows; a second node
//! holding the key does not become home, and a fork from an old home that
//! keeps appending is refused everywhere.

use std::time::Duration;

use commons_kernel::{CommunityId, SecretKey};
use commons_node::NodeError;
use commons_sync::SyncConfig;
use serde_json::json;

use crate::support::{TestNode, config, joins, node};

fn ticking(peers: Vec<commons_sync::Multiaddr>) -> SyncConfig {
    let mut config = config(peers);
    config.tick = Duration::from_millis(300);
    config
}

fn key_of(hex: &str) -> SecretKey {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    SecretKey::from_bytes(&bytes.try_into().expect("32 bytes"))
}

async fn is_home(node: &TestNode, community: CommunityId) -> bool {
    node.node
        .replicated()
        .await
        .expect("replicated")
        .iter()
        .any(|r| r.community == community && r.is_home)
}

/// Waits until the home node's own log (appended locally, so without sync
/// events) reaches `len`.
async fn wait_appended(node: &TestNode, community: CommunityId, len: u64) {
    let mut appended = node.node.appended();
    let wait = async {
        while node.log_len(community).await < len {
            appended.recv().await.ok();
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("appended within a minute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_moves_to_a_new_home_node_and_forks_are_refused() {
    let mut old = node(true).await;
    old.start(ticking(Vec::new())).await;
    let web = old.community("web").await;
    let mut new = node(false).await;
    new.node.follow(&web.to_hex()).await.expect("follow");
    new.start(ticking(vec![old.addr()])).await;
    let mut other = node(false).await;
    other.node.follow(&web.to_hex()).await.expect("follow");
    other.start(ticking(vec![old.addr(), new.addr()])).await;
    let base = old.log_len(web).await;
    new.wait_len(web, base).await;
    other.wait_len(web, base).await;

    // Bad input first: only an admin moves it, and not to where it is.
    let admin = old.node.user("admin").await.expect("admin");
    let bob = old
        .node
        .create_user("bob", "correct horse battery", false)
        .await
        .expect("bob");
    let refused = old.node.move_home(&bob, "web", new.node.node_key()).await;
    assert!(
        matches!(refused, Err(NodeError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = old.node.move_home(&admin, "web", old.node.node_key()).await;
    assert!(
        matches!(refused, Err(NodeError::BadInput(_))),
        "{refused:?}"
    );
    assert!(matches!(
        new.node.adopt_community("not hex").await,
        Err(NodeError::BadInput(_))
    ));

    // The move: signed with the community key, the key handed over.
    let (entry, key) = old
        .node
        .move_home(&admin, "web", new.node.node_key())
        .await
        .expect("move");
    assert_eq!(entry.seq(), base);
    assert_eq!(new.node.adopt_community(&key).await.expect("adopt"), web);
    assert!(matches!(
        new.node.adopt_community(&key).await,
        Err(NodeError::Conflict(_))
    ));
    new.wait_len(web, base + 1).await;
    other.wait_len(web, base + 1).await;
    assert!(is_home(&new, web).await);
    assert!(!is_home(&old, web).await);
    for node in [&old, &new, &other] {
        let summary = node.node.store().community(web).await.expect("read");
        assert_eq!(summary.expect("community").info.home, new.node.node_key());
    }
    // Only the community key may write the move.
    let forged = old
        .node
        .submit(
            &admin,
            web,
            "community.home",
            json!({ "home": admin.public_key }),
            vec![],
        )
        .await;
    assert!(matches!(forged, Err(NodeError::Invalid(_))), "{forged:?}");

    // The old home no longer appends: its write is queued and forwarded to
    // the new home, which appends it; everyone follows.
    let carol = SecretKey::generate().public_key();
    let queued = old
        .node
        .submit(
            &admin,
            web,
            "community.invite",
            json!({ "member": carol }),
            vec![],
        )
        .await;
    assert!(
        matches!(queued, Err(NodeError::Queued { .. })),
        "{queued:?}"
    );
    wait_appended(&new, web, base + 2).await;
    old.wait_len(web, base + 2).await;
    other.wait_len(web, base + 2).await;
    assert!(
        old.node
            .store()
            .is_invited(web, carol)
            .await
            .expect("invited")
    );

    // The new home appends directly.
    new.node
        .append(web, joins(web, 1))
        .await
        .expect("the new home appends");
    other.wait_len(web, base + 3).await;
    old.wait_len(web, base + 3).await;

    // A second node holding the key is not home: the log names the home.
    other.node.adopt_community(&key).await.expect("adopt");
    assert!(matches!(
        other.node.append(web, joins(web, 1)).await,
        Err(NodeError::Queued { .. })
    ));
    wait_appended(&new, web, base + 4).await;
    other.wait_len(web, base + 4).await;
    old.wait_len(web, base + 4).await;

    // An old home that keeps appending with the key (a restored backup, say)
    // forks the log: every replica keeps the entries the named home
    // appended and refuses the fork, penalizing the peer that sends it.
    old.stop().await;
    new.node.append(web, joins(web, 1)).await.expect("append");
    other.wait_len(web, base + 5).await;
    let canonical = other
        .node
        .store()
        .entries(web, base + 4, 1)
        .await
        .expect("entry");
    let community_key = key_of(&key);
    old.node
        .store()
        .append(
            old.node.registry(),
            &community_key,
            joins(web, 2),
            commons_node::now(),
        )
        .await
        .expect("the old home forks its own copy");
    let mut events = other.sync().events();
    old.start(ticking(vec![new.addr(), other.addr()])).await;
    TestNode::wait_event(&mut events, |event| {
        matches!(event, commons_sync::SyncEvent::Penalized { .. })
    })
    .await;
    let after = other
        .node
        .store()
        .entries(web, base + 4, 10)
        .await
        .expect("entries");
    assert_eq!(after.len(), 1, "the fork was not stored");
    assert_eq!(after[0].hash, canonical[0].hash);
    assert_eq!(new.log_len(web).await, base + 5);
    let counters = other.sync().status().counters;
    assert!(
        counters
            .get(commons_sync::counters::INVALID)
            .is_some_and(|n| *n >= 1)
    );
}
