//! Many nodes in one process on loopback: propagation, catch-up, partitions,
//! privacy and hostile peers, against real nodes on real databases.

mod support;

use commons_sync::SyncEvent;
use support::{TestNode, config, node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_propagate_by_gossip_and_catch_up_after_restart() {
    let mut home = node(true).await;
    home.start(config(Vec::new())).await;
    let web = home.community("web").await;
    let mut events = home.sync().events();
    let mut followers = Vec::new();
    for _ in 0..3 {
        let mut follower = node(false).await;
        follower.node.follow(&web.to_hex()).await.expect("follow");
        follower.start(config(vec![home.addr()])).await;
        followers.push(follower);
    }
    // A new connection catches up the whole log (here: the genesis).
    for follower in &followers {
        follower.wait_len(web, 1).await;
    }

    // Gossip: wait until the home knows every follower's subscription.
    let mut subscribed = std::collections::HashSet::new();
    while subscribed.len() < followers.len() {
        if let SyncEvent::Subscribed { peer, community } =
            TestNode::wait_event(&mut events, |e| matches!(e, SyncEvent::Subscribed { .. })).await
            && community == web
        {
            subscribed.insert(peer);
        }
    }
    home.append_joins(web, 5).await;
    for follower in &followers {
        follower.wait_len(web, 6).await;
    }

    // One follower goes offline; the log grows; it catches up on reconnect.
    followers[2].stop().await;
    home.append_joins(web, 300).await;
    followers[2].start(config(vec![home.addr()])).await;
    followers[2].wait_len(web, 306).await;
    for follower in &followers {
        follower.wait_len(web, 306).await;
        let reports = follower
            .node
            .verify(Some(&web.to_hex()))
            .await
            .expect("verify");
        assert!(reports.iter().all(|r| r.error.is_none()), "{reports:?}");
        assert_eq!(reports[0].entries, 306);
    }
    // The replicas reduced what they received: the members are there.
    let members = followers[0]
        .node
        .store()
        .members(web)
        .await
        .expect("members");
    assert_eq!(members.len(), 1 + 305);
    let status = followers[2].node.sync_status().await.expect("status");
    let row = status.iter().find(|r| r.community == web).expect("web row");
    assert_eq!((row.local_seq, row.lag), (306, 0));
}
