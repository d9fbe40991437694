//! Many nodes in one process on loopback: propagation, catch-up, partitions,
//! privacy and hostile peers, against real nodes on real databases.

mod away;
mod blobs;
mod discover;
mod home;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_community_reaches_member_nodes_only() {
    let mut home = node(true).await;
    home.start(config(Vec::new())).await;
    let alice = home
        .node
        .create_user("alice", "correct horse battery", false)
        .await
        .expect("alice");
    let team = home
        .node
        .create_community(
            &alice,
            "team",
            commons_kernel::Visibility::Private,
            "invite-only",
        )
        .await
        .expect("team")
        .id;
    let web = home.community("web").await;
    let mut member = node(false).await;
    let mut spy = node(false).await;
    home.node
        .invite(&alice, "team", &member.node.node_key().to_hex())
        .await
        .expect("invite the member node");
    // Both ask for the private log by id; the spy also follows the public one.
    member.node.follow(&team.to_hex()).await.expect("follow");
    spy.node.follow(&team.to_hex()).await.expect("follow");
    spy.node.follow(&web.to_hex()).await.expect("follow");
    member.start(config(vec![home.addr()])).await;
    spy.start(config(vec![home.addr(), member.addr()])).await;
    member.wait_len(team, 2).await;
    spy.wait_len(web, 1).await;

    // New private entries are pushed to the member node only; public ones
    // reach the spy.
    let mut member_events = member.sync().events();
    for idx in 0..20 {
        let key = commons_kernel::SecretKey::generate().public_key();
        home.node
            .invite(&alice, "team", &key.to_hex())
            .await
            .unwrap_or_else(|e| panic!("invite {idx}: {e}"));
    }
    home.append_joins(web, 1000).await;
    member.wait_len(team, 22).await;
    let mut spy_ticks = spy.sync().events();
    spy.wait_len(web, 1001).await;
    // The spy asks again (a new heads exchange) and still gets nothing private.
    spy.sync().dial(member.addr());
    let _ = TestNode::wait_event(&mut member_events, |e| {
        matches!(e, SyncEvent::Applied { .. })
    })
    .await;
    let _ = spy_ticks.try_recv();
    assert_eq!(spy.log_len(team).await, 0, "the spy holds no private entry");
    assert!(
        spy.node
            .store()
            .community(team)
            .await
            .expect("lookup")
            .is_none()
    );
    // Every gate refuses the spy's key directly too.
    let spy_key = spy.node.node_key();
    assert!(!home.node.may_receive(spy_key, team).await.expect("check"));
    assert!(
        home.node
            .serve_range(spy_key, team, 0, 10)
            .await
            .expect("range")
            .is_none()
    );
    assert!(
        member
            .node
            .serve_range(spy_key, team, 0, 10)
            .await
            .expect("range")
            .is_none()
    );
    // Nothing local travelled: the spy knows no account but its own admin.
    let users = spy.node.users().await.expect("users");
    assert_eq!(users.len(), 1);
    let reports = member
        .node
        .verify(Some(&team.to_hex()))
        .await
        .expect("verify");
    assert!(reports[0].error.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_serving_corrupt_logs_are_penalized() {
    use support::Corruption;

    let mut home = node(true).await;
    let web = home.community("web").await;
    let ml = home.community("ml").await;
    home.append_joins(web, 10).await;
    let corruptions = [
        Corruption::Tamper,
        Corruption::Reorder,
        Corruption::Forge,
        Corruption::Foreign(ml),
    ];
    home.start(config(Vec::new())).await;
    for corruption in corruptions {
        // The rogue holds real copies of both logs and serves them corrupted.
        let mut rogue = node(false).await;
        for community in [web, ml] {
            rogue
                .node
                .follow(&community.to_hex())
                .await
                .expect("follow");
            let raws = home
                .entries(community)
                .await
                .iter()
                .map(support::raw)
                .collect();
            let outcome = rogue
                .node
                .accept_remote(home.node.node_key(), community, raws)
                .await;
            assert!(matches!(
                outcome,
                commons_node::sync::RemoteOutcome::Applied { .. }
            ));
        }
        rogue.start_rogue(config(Vec::new()), corruption).await;
        let mut victim = node(false).await;
        victim.node.follow(&web.to_hex()).await.expect("follow");
        victim.start(config(Vec::new())).await;
        let mut events = victim.sync().events();
        victim.sync().dial(rogue.addr());
        let event =
            TestNode::wait_event(&mut events, |e| matches!(e, SyncEvent::Penalized { .. })).await;
        let SyncEvent::Penalized { peer, reason } = event else {
            unreachable!("matched above")
        };
        assert_eq!(peer, rogue.sync().peer_id(), "{corruption:?}");
        assert!(!reason.is_empty());
        assert_eq!(
            victim.log_len(web).await,
            0,
            "{corruption:?}: nothing stored"
        );
        let counters = victim.sync().status().counters;
        assert_eq!(
            counters.get(commons_sync::counters::INVALID),
            Some(&1),
            "{corruption:?}"
        );
        // The honest home still serves the victim the real log.
        victim.sync().dial(home.addr());
        victim.wait_len(web, 11).await;
        rogue.stop().await;
        victim.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_entries_are_checked_before_they_are_stored() {
    for backend in commons_test_support::backends() {
        check_received_entries(backend).await;
    }
}

async fn check_received_entries(backend: commons_test_support::TestBackend) {
    use commons_node::sync::RemoteOutcome;

    let home = support::node_on(backend, true).await;
    let web = home.community("web").await;
    home.append_joins(web, 5).await;
    let entries = home.entries(web).await;
    let replica = support::node_on(backend, false).await;
    let key = home.node.node_key();
    let raws = |entries: &[commons_kernel::Entry]| entries.iter().map(support::raw).collect();

    // Not replicated here: refused without looking further.
    let outcome = replica.node.accept_remote(key, web, raws(&entries)).await;
    assert_eq!(outcome, RemoteOutcome::NotReplicated);
    replica.node.follow(&web.to_hex()).await.expect("follow");

    // A gap, then reordered entries, then a tampered one: nothing is stored.
    let outcome = replica
        .node
        .accept_remote(key, web, raws(&entries[2..]))
        .await;
    assert_eq!(outcome, RemoteOutcome::Gap { next_seq: 0 });
    let mut reordered = entries.clone();
    reordered.swap(1, 2);
    let outcome = replica.node.accept_remote(key, web, raws(&reordered)).await;
    assert!(
        matches!(outcome, RemoteOutcome::Invalid(ref r) if r.contains("consecutive")),
        "{outcome:?}"
    );
    let mut tampered = entries.clone();
    tampered[3] = support::rebuild(&tampered[3], |record| record.ts.0 += 1);
    let outcome = replica.node.accept_remote(key, web, raws(&tampered)).await;
    assert!(
        matches!(outcome, RemoteOutcome::Invalid(ref r) if r.contains("signature")),
        "{outcome:?}"
    );
    assert_eq!(replica.log_len(web).await, 0);

    // The real log, then the same again (a duplicate), then a tampered copy
    // of a stored entry (a fork).
    let outcome = replica.node.accept_remote(key, web, raws(&entries)).await;
    assert_eq!(outcome, RemoteOutcome::Applied { next_seq: 6 });
    let outcome = replica
        .node
        .accept_remote(key, web, raws(&entries[4..]))
        .await;
    assert_eq!(outcome, RemoteOutcome::Duplicate);
    let outcome = replica
        .node
        .accept_remote(key, web, raws(&tampered[3..4]))
        .await;
    assert!(
        matches!(outcome, RemoteOutcome::Invalid(ref r) if r.contains("differs")),
        "{outcome:?}"
    );

    // A log whose genesis is another community's, under this id.
    let ml = home.community("ml").await;
    replica.node.follow(&ml.to_hex()).await.expect("follow");
    let foreign: Vec<_> = entries.iter().map(support::raw).collect();
    let foreign = foreign
        .into_iter()
        .map(|mut raw| {
            raw.header.community = ml;
            raw
        })
        .collect();
    let outcome = replica.node.accept_remote(key, ml, foreign).await;
    assert!(
        matches!(outcome, RemoteOutcome::Invalid(ref r) if r.contains("genesis")),
        "{outcome:?}"
    );
    assert_eq!(replica.log_len(ml).await, 0);
    let reports = replica
        .node
        .verify(Some(&web.to_hex()))
        .await
        .expect("verify");
    assert!(reports[0].error.is_none() && reports[0].entries == 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_heals_and_every_node_converges() {
    let mut home = node(true).await;
    let web = home.community("web").await;
    let anti_entropy = || {
        let mut config = config(Vec::new());
        config.tick = std::time::Duration::from_millis(500);
        config
    };
    home.start(anti_entropy()).await;
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let mut follower = node(false).await;
        follower.node.follow(&web.to_hex()).await.expect("follow");
        follower.start(anti_entropy()).await;
        nodes.push(follower);
    }
    // home - b, home - c, c - d.
    nodes[0].sync().dial(home.addr());
    nodes[1].sync().dial(home.addr());
    nodes[2].sync().dial(nodes[1].addr());
    for follower in &nodes {
        follower.wait_len(web, 1).await;
    }
    // Cut {home, b} from {c, d}: every pair across the cut refuses the
    // other (Kademlia would otherwise find a way round).
    let side_a = [home.sync().peer_id(), nodes[0].sync().peer_id()];
    let side_b = [nodes[1].sync().peer_id(), nodes[2].sync().peer_id()];
    for (node, others) in [
        (&home, &side_b),
        (&nodes[0], &side_b),
        (&nodes[1], &side_a),
        (&nodes[2], &side_a),
    ] {
        for peer in others {
            node.sync().block(*peer).await;
        }
    }
    home.append_joins(web, 200).await;
    nodes[0].wait_len(web, 201).await;
    assert_eq!(nodes[1].log_len(web).await, 1);
    assert_eq!(nodes[2].log_len(web).await, 1);
    // Heal.
    for (node, others) in [
        (&home, &side_b),
        (&nodes[0], &side_b),
        (&nodes[1], &side_a),
        (&nodes[2], &side_a),
    ] {
        for peer in others {
            node.sync().unblock(*peer).await;
        }
    }
    nodes[1].sync().dial(home.addr());
    for follower in &nodes {
        follower.wait_len(web, 201).await;
        let reports = follower
            .node
            .verify(Some(&web.to_hex()))
            .await
            .expect("verify");
        assert!(reports[0].error.is_none() && reports[0].entries == 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_peer_is_refused_before_any_protocol_runs() {
    use commons_sync::counters;

    let mut home = node(true).await;
    let web = home.community("web").await;
    home.append_joins(web, 5).await;
    home.start(config(Vec::new())).await;
    let mut follower = node(false).await;
    follower.node.follow(&web.to_hex()).await.expect("follow");
    follower.start(config(Vec::new())).await;
    let banned = follower.sync().peer_id();
    home.sync().block(banned).await;

    follower.sync().dial(home.addr());
    let refused = |status: &commons_sync::SyncStatus| {
        status
            .counters
            .get(counters::CONNECTIONS_REFUSED)
            .copied()
            .unwrap_or(0)
    };
    let status = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        home.sync().wait_status(|status| refused(status) >= 1),
    )
    .await
    .expect("the refusal is counted")
    .expect("home runs");
    assert!(
        status
            .peers
            .iter()
            .all(|(peer, _)| *peer != banned.to_string()),
        "{:?}",
        status.peers
    );
    assert_eq!(
        follower.log_len(web).await,
        0,
        "nothing reached the banned peer"
    );

    // Lifting the ban lets it in again.
    home.sync().unblock(banned).await;
    follower.sync().dial(home.addr());
    follower.wait_len(web, 6).await;
}

#[tokio::test]
async fn gossip_payloads_are_checked_before_the_node_sees_them() {
    use commons_sync::wire::{self, WireEntry, WireError};

    let home = node(true).await;
    let web = home.community("web").await;
    let entries = home.entries(web).await;
    let entry = WireEntry::from_entry(&entries[0]);
    let payload = wire::encode_gossip(web, &entry);
    let (community, hash, decoded) = wire::decode_gossip(&payload).expect("round trip");
    assert_eq!(
        (community, hash, &decoded),
        (web, entries[0].hash(), &entry)
    );
    assert_eq!(
        wire::gossip_message_id(&payload),
        entries[0].hash().as_bytes()
    );
    // The entry costs little more on the wire than its own bytes.
    assert!(
        payload.len() < entry.content_len() + 64,
        "{}",
        payload.len()
    );

    // A changed record no longer hashes to the claimed entry hash.
    let mut tampered = payload.clone();
    let at = tampered
        .windows(6)
        .position(|w| w == b"create")
        .expect("the genesis kind is in the payload");
    tampered[at] = b'k';
    assert_eq!(wire::decode_gossip(&tampered), Err(WireError::HashMismatch));
    let mut claimed = payload.clone();
    claimed[0] ^= 1;
    assert_eq!(wire::decode_gossip(&claimed), Err(WireError::HashMismatch));
    let huge = vec![0u8; wire::MAX_GOSSIP_BYTES + 1];
    assert_eq!(
        wire::decode_gossip(&huge),
        Err(WireError::Oversized(wire::MAX_GOSSIP_BYTES + 1))
    );
    assert!(matches!(
        wire::decode_gossip(&payload[..40]),
        Err(WireError::Undecodable(_))
    ));
    let garbage = [payload[..48].to_vec(), b"not cbor".to_vec()].concat();
    assert!(matches!(
        wire::decode_gossip(&garbage),
        Err(WireError::Undecodable(_))
    ));
    // The peer id is the node key.
    let mut home = home;
    home.start(config(Vec::new())).await;
    assert_eq!(home.node.peer_id(), home.sync().peer_id().to_string());
    assert_eq!(
        commons_sync::peer_key(&home.sync().peer_id()),
        Some(home.node.node_key())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_away_from_home_wait_in_the_outbox_until_they_come_back() {
    use commons_node::sync::Submitted;

    let mut home = node(true).await;
    home.start(ticking(Vec::new())).await;
    let web = home.community("web").await;
    let mut away = node(false).await;
    away.node.follow(&web.to_hex()).await.expect("follow");
    away.start(ticking(vec![home.addr()])).await;
    away.wait_len(web, 1).await;

    // The home node goes offline; a user of the other node joins.
    home.stop().await;
    let bob = away
        .node
        .create_user("bob", "correct horse battery", false)
        .await
        .expect("bob");
    let signed = away
        .node
        .submit_or_queue(
            &bob,
            web,
            "community.join",
            serde_json::json!({ "name": "bob" }),
        )
        .await
        .expect("queued");
    assert!(matches!(signed, Submitted::Queued(_)));
    let status = away.node.sync_status().await.expect("status");
    let row = status.iter().find(|r| r.community == web).expect("row");
    assert_eq!((row.outbox, row.local_seq), (1, 1), "pending");
    // The write survives a restart of the p2p layer (it lives in the store).
    away.stop().await;
    away.start(ticking(Vec::new())).await;
    assert_eq!(
        away.node.outbox_counts().await.expect("counts").get(&web),
        Some(&1)
    );

    // The home node returns; the queued join is forwarded, appended there
    // and comes back.
    home.start(ticking(Vec::new())).await;
    away.sync().dial(home.addr());
    away.wait_len(web, 2).await;
    home.wait_len(web, 2).await;
    assert!(away.node.outbox_counts().await.expect("counts").is_empty());
    let members = away.node.store().members(web).await.expect("members");
    assert!(members.iter().any(|m| m.key == bob.public_key));
    let counters = away.sync().status().counters;
    assert!(
        counters
            .get(commons_sync::counters::FORWARDED)
            .is_some_and(|n| *n >= 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_copies_are_stored_once_and_a_forged_record_penalizes_its_sender() {
    use commons_kernel::{Signature, SignedRecord};

    let mut home = node(true).await;
    home.start(ticking(Vec::new())).await;
    let web = home.community("web").await;
    let before = home.log_len(web).await;
    // The same writes queued on two nodes (as on their author's node and
    // a relay), and a record whose signature is not its author's on a third.
    let records = support::joins(web, 3);
    let genuine = support::joins(web, 1).remove(0);
    let forged = SignedRecord::trusted(
        genuine.record().clone(),
        genuine.id(),
        Signature::from_bytes([7; 64]),
        genuine.encoded().to_vec(),
    );
    let mut events = home.sync().events();
    let mut nodes = Vec::new();
    for queued in [&records, &records, &vec![forged]] {
        let mut away = node(false).await;
        away.node.follow(&web.to_hex()).await.expect("follow");
        away.node
            .store()
            .queue_outbox(queued, commons_node::now().0)
            .await
            .expect("queue");
        away.start(ticking(vec![home.addr()])).await;
        nodes.push(away);
    }
    let forger = nodes[2].sync().peer_id();
    TestNode::wait_event(
        &mut events,
        |event| matches!(event, SyncEvent::Penalized { peer, .. } if *peer == forger),
    )
    .await;
    let after = before + records.len() as u64;
    for away in &nodes[..2] {
        away.wait_len(web, after).await;
    }
    let ids: Vec<_> = home
        .entries(web)
        .await
        .iter()
        .map(|entry| entry.record().id())
        .collect();
    assert_eq!(
        ids.len() as u64,
        after,
        "each record once, the forged one never"
    );
    assert!(records.iter().all(|record| ids.contains(&record.id())));
}

/// Test settings in which the outbox is forwarded twice a second.
fn ticking(peers: Vec<commons_sync::Multiaddr>) -> commons_sync::SyncConfig {
    let mut config = config(peers);
    config.tick = std::time::Duration::from_millis(500);
    config
}

/// Test settings in which only a full buffer makes a node fetch a hole:
/// gossip order alone decides what is batched.
fn patient(peers: Vec<commons_sync::Multiaddr>) -> commons_sync::SyncConfig {
    let mut config = config(peers);
    config.reorder_wait = std::time::Duration::from_secs(3600);
    config
}

/// Starts a puppet holding `web`'s log and a victim holding its first
/// `victim_has` entries, connected, with the victim's subscription seen.
async fn puppet_and_victim(
    home: &TestNode,
    web: commons_kernel::CommunityId,
    victim_has: usize,
    reorder_max: usize,
) -> (
    TestNode,
    TestNode,
    tokio::sync::broadcast::Sender<Vec<commons_kernel::Entry>>,
) {
    let total = home.entries(web).await.len();
    let mut puppet = node(false).await;
    puppet.copy_log(home, web, total).await;
    let publish = puppet.start_puppet(config(Vec::new()), 1).await;
    let mut seen = puppet.sync().events();
    let mut victim = node(false).await;
    victim.copy_log(home, web, victim_has).await;
    let mut settings = patient(vec![puppet.addr()]);
    settings.reorder_max = reorder_max;
    victim.start(settings).await;
    let peer = victim.sync().peer_id();
    TestNode::wait_event(&mut seen, |e| {
        matches!(e, SyncEvent::Subscribed { peer: p, community } if *p == peer && *community == web)
    })
    .await;
    (puppet, victim, publish)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_and_duplicated_gossip_is_stored_once_in_one_batch() {
    use commons_sync::counters;

    let home = node(true).await;
    let web = home.community("web").await;
    home.append_joins(web, 30).await;
    let entries = home.entries(web).await;
    let (puppet, victim, publish) = puppet_and_victim(&home, web, 6, 10_000).await;

    // Entries 30 down to 1: the victim holds 0..=5 already (duplicates),
    // and every newer entry arrives before its predecessor.
    let reversed: Vec<_> = entries[1..].iter().rev().cloned().collect();
    publish.send(reversed).expect("puppet runs");
    victim.wait_len(web, 31).await;
    // Entries 5 down to 1 arrive after the log is complete.
    let status = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        victim
            .sync()
            .wait_status(|status| status.counters.get(counters::DUPLICATES).copied() == Some(5)),
    )
    .await
    .expect("every duplicate is seen")
    .expect("the victim runs");

    let counters = status.counters;
    let count = |name| counters.get(name).copied().unwrap_or(0);
    assert_eq!(count(counters::ENTRIES_APPLIED), 25);
    assert_eq!(count(counters::DUPLICATES), 5, "{counters:?}");
    // Entry 6 came last and completed the run 6..=30: one transaction, and
    // no range was asked for the hole while it filled.
    assert_eq!(count(counters::APPLY_BATCHES), 1, "{counters:?}");
    assert_eq!(count(counters::RANGES_REQUESTED), 0, "{counters:?}");
    let reports = victim
        .node
        .verify(Some(&web.to_hex()))
        .await
        .expect("verify");
    assert!(reports[0].error.is_none() && reports[0].entries == 31);
    let metrics = victim.metrics().await;
    assert_eq!(support::sync_metric(&metrics, "entries_applied"), 25);
    assert_eq!(support::sync_metric(&metrics, "duplicates_received"), 5);
    assert_eq!(support::sync_metric(&metrics, "apply_batches"), 1);
    assert_eq!(support::sync_metric(&metrics, "invalid_received"), 0);
    drop((puppet, home));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_tampered_gossip_is_rejected_and_its_sender_penalized() {
    use support::Corruption;

    let home = node(true).await;
    let web = home.community("web").await;
    home.append_joins(web, 10).await;
    let entries = home.entries(web).await;
    for corruption in [Corruption::Tamper, Corruption::Forge] {
        let (puppet, victim, publish) = puppet_and_victim(&home, web, 6, 10_000).await;
        let mut events = victim.sync().events();
        // A valid entry, then a corrupted copy of the next one, then the
        // rest: the valid one is stored, the corrupt one rejected.
        let mut batch = vec![entries[6].clone()];
        batch.push(support::corrupt(&entries[7], corruption));
        batch.extend(entries[8..].iter().cloned());
        publish.send(batch).expect("puppet runs");
        let event =
            TestNode::wait_event(&mut events, |e| matches!(e, SyncEvent::Penalized { .. })).await;
        assert!(
            matches!(event, SyncEvent::Penalized { peer, .. } if peer == puppet.sync().peer_id()),
            "{corruption:?}"
        );
        assert_eq!(victim.log_len(web).await, 7, "{corruption:?}");
        let metrics = victim.metrics().await;
        assert_eq!(
            support::sync_metric(&metrics, "invalid_received"),
            1,
            "{corruption:?}"
        );
        assert_eq!(support::sync_metric(&metrics, "peers_penalized"), 1);
        assert_eq!(support::sync_metric(&metrics, "entries_applied"), 1);
        let reports = victim
            .node
            .verify(Some(&web.to_hex()))
            .await
            .expect("verify");
        assert!(reports[0].error.is_none() && reports[0].entries == 7);
        drop((puppet, victim));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gossip_flood_is_bounded_by_the_reorder_buffer() {
    let home = node(true).await;
    let web = home.community("web").await;
    home.append_joins(web, 300).await;
    let entries = home.entries(web).await;
    let (puppet, victim, publish) = puppet_and_victim(&home, web, 1, 100).await;

    // 299 entries with the first one missing: at most 100 wait, the rest
    // are dropped and counted (and would be fetched as a range).
    publish.send(entries[2..].to_vec()).expect("puppet runs");
    let dropped = |status: &commons_sync::SyncStatus| {
        status
            .counters
            .get(commons_sync::counters::REORDER_DROPPED)
            .copied()
            .unwrap_or(0)
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        victim.sync().wait_status(|status| dropped(status) == 199),
    )
    .await
    .expect("the excess is dropped")
    .expect("the victim runs");
    assert_eq!(victim.log_len(web).await, 1);
    // The missing entry arrives: everything that waited is stored.
    publish.send(vec![entries[1].clone()]).expect("puppet runs");
    victim.wait_len(web, 102).await;
    let metrics = victim.metrics().await;
    assert_eq!(support::sync_metric(&metrics, "reorder_dropped"), 199);
    assert_eq!(support::sync_metric(&metrics, "entries_applied"), 101);
    assert_eq!(support::sync_metric(&metrics, "invalid_received"), 0);
    drop(puppet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_cut_off_mid_transaction_leaves_no_trace() {
    for backend in commons_test_support::backends() {
        let home = support::node_on(backend, true).await;
        let web = home.community("web").await;
        home.append_joins(web, 2_000).await;
        let entries = home.entries(web).await;
        let replica = support::node_on(backend, false).await;
        replica.copy_log(&home, web, 1).await;
        let members_before = replica.node.store().members(web).await.expect("members");
        let raws = || entries[1..].iter().map(support::raw).collect::<Vec<_>>();
        // Stop applying the batch at ever later points, as a crash would:
        // each time the log is either untouched or complete.
        let mut cut_mid_way = 0;
        for micros in [0u64, 200, 1_000, 5_000, 20_000, 50_000, 100_000, 200_000] {
            let applied = tokio::time::timeout(
                std::time::Duration::from_micros(micros),
                replica
                    .node
                    .accept_remote(home.node.node_key(), web, raws()),
            )
            .await;
            let len = replica.log_len(web).await;
            let members = replica.node.store().members(web).await.expect("members");
            match applied {
                Err(_) if len == 1 => {
                    cut_mid_way += 1;
                    assert_eq!(members.len(), members_before.len(), "{backend:?}");
                }
                _ => {
                    assert_eq!(len, 2_001, "{backend:?}: all or nothing ({applied:?})");
                    assert_eq!(members.len(), members_before.len() + 2_000);
                    break;
                }
            }
            let reports = replica
                .node
                .verify(Some(&web.to_hex()))
                .await
                .expect("verify");
            assert!(reports[0].error.is_none(), "{backend:?}");
        }
        assert!(
            cut_mid_way > 0,
            "{backend:?}: at least one batch was cut off"
        );
        // The batch applies in full afterwards.
        let outcome = replica
            .node
            .accept_remote(home.node.node_key(), web, raws())
            .await;
        assert!(
            matches!(
                outcome,
                commons_node::sync::RemoteOutcome::Applied { next_seq: 2_001 }
                    | commons_node::sync::RemoteOutcome::Duplicate
            ),
            "{outcome:?}"
        );
        let reports = replica
            .node
            .verify(Some(&web.to_hex()))
            .await
            .expect("verify");
        assert!(reports[0].error.is_none() && reports[0].entries == 2_001);
    }
}
