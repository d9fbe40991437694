//! Sync benchmarks on loopback TCP, many nodes in this one process (`burst`
//! adds two child processes), each a real node on its own SQLite file:
//!
//! - `propagation`: a 1 KiB record to all of 50 nodes, p50/p99 (target p99
//!   ≤ 100 ms);
//! - `catchup`: a node offline while 10,000 entries were appended to a
//!   1,000,000-entry log catches up (targets: ≤ 2 round trips, ≤ 10 % bytes
//!   over the entries); `SYNC_BENCH_BASE=N` shortens the base log;
//! - `partition`: 2 × 25 nodes, 1,000 writes on each side (the side without
//!   the home queues them in its outbox), convergence after healing, nothing
//!   lost or duplicated (target ≤ 10 s);
//! - `burst`: ten times the publish rate for 60 s, memory growth and drops
//!   (target < 100 MiB per node; the home and one follower run in processes
//!   of their own, so their growth is a node's);
//! - `delay`: propagation to 50 nodes with 50 ms one-way delay on every
//!   link (target p99 ≤ 1 s). It uses `tc netem` in a network namespace
//!   when the kernel has it (root and iproute2 needed), and otherwise says
//!   so loudly and delays every link in user space instead (a relay in
//!   front of each node that holds each chunk of bytes for 50 ms).
//!
//! Run: `cargo run --release -p commons-sync --example sync-bench [name…]`.
//! Figures are ratios to the targets (at most 1.0 meets them, except for
//! ratios marked "higher is better").

#[allow(dead_code)]
#[path = "../tests/it/support.rs"]
mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use commons_kernel::{JoinRule, Policy, Role};
use commons_sync::wire::{Response, WireEntry};
use commons_sync::{Multiaddr, SyncConfig, SyncEvent, counters};
use support::TestNode;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `COMMONS_LOG=commons_sync=debug` shows what the nodes do, with timestamps.
    if let Ok(filter) = std::env::var("COMMONS_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    if wants("propagation") {
        propagation(50, env_or("SYNC_BENCH_RECORDS", 100)).await;
    }
    if wants("catchup") {
        let base = std::env::var("SYNC_BENCH_BASE")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(1_000_000);
        catch_up(base, 10_000).await;
    }
    if wants("partition") {
        let side = env_or("SYNC_BENCH_SIDE", 25);
        partition(side, env_or("SYNC_BENCH_WRITES", 1_000)).await;
    }
    if wants("burst") {
        burst::run(10, Duration::from_secs(60)).await;
    }
    if wants("delay") {
        delay::run(50, 100).await;
    }
}

/// A number from the environment, or `default`.
fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator, so every run builds the same topology.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }

    /// Up to three of `addrs` for a new node to dial.
    fn peers(&mut self, addrs: &[Multiaddr]) -> Vec<Multiaddr> {
        let mut peers = Vec::new();
        for _ in 0..3 {
            let addr = addrs[self.below(addrs.len())].clone();
            if !peers.contains(&addr) {
                peers.push(addr);
            }
        }
        peers
    }
}

/// What a node runs by default, but with `tick` and dialling `peers`. (The
/// tests' configuration beats gossip more often, which costs every node CPU
/// all the time.)
fn bench_config(peers: Vec<Multiaddr>, tick: Duration) -> SyncConfig {
    SyncConfig {
        heartbeat: SyncConfig::default().heartbeat,
        tick,
        ..support::config(peers)
    }
}

/// A home node and `n - 1` followers of its `web` community, each new node
/// dialling up to three earlier ones (through a delaying relay when `delay`
/// is set).
async fn network(
    n: usize,
    tick: Duration,
    delay: Option<Duration>,
) -> (TestNode, Vec<TestNode>, commons_kernel::CommunityId) {
    let mut home = support::node(true).await;
    home.start(bench_config(Vec::new(), tick)).await;
    let web = home.community("web").await;
    let mut rng = Lcg(7);
    let reach = |addr: Multiaddr| async move {
        match delay {
            Some(delay) => delay::relay(addr, delay).await,
            None => addr,
        }
    };
    let mut addrs = vec![reach(home.addr()).await];
    let mut nodes = Vec::new();
    for _ in 1..n {
        let mut follower = support::node(false).await;
        follower.node.follow(&web.to_hex()).await.expect("follow");
        follower.start(bench_config(rng.peers(&addrs), tick)).await;
        addrs.push(reach(follower.addr()).await);
        nodes.push(follower);
    }
    for follower in &nodes {
        follower.wait_len(web, 1).await;
    }
    (home, nodes, web)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn propagation(n: usize, records: usize) {
    let (home, nodes, web) = network(n, Duration::from_secs(3600), None).await;
    let latencies = propagate(&home, &nodes, web, records).await;
    report_propagation("propagation", n, records, &latencies, 100.0);
    shutdown(home, nodes).await;
}

fn report_propagation(
    name: &str,
    n: usize,
    records: usize,
    latencies: &[Duration],
    target_ms: f64,
) {
    let p99 = percentile(latencies, 0.99);
    println!(
        "{name}: 1 KiB record to all {n} nodes, {records} records: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; p99/target({target_ms:.0} ms) = {:.2}",
        ms(percentile(latencies, 0.5)),
        ms(p99),
        ms(*latencies.last().expect("latencies")),
        ms(p99) / target_ms
    );
}

/// Appends `records` policy changes of about 1 KiB on the home node, one
/// after the other, and times each until every node has applied it.
/// Returns the sorted latencies.
async fn propagate(
    home: &TestNode,
    nodes: &[TestNode],
    web: commons_kernel::CommunityId,
    records: usize,
) -> Vec<Duration> {
    settle(home, nodes).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for (idx, follower) in nodes.iter().enumerate() {
        let mut events = follower.sync().events();
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok(event) = events.recv().await {
                if let SyncEvent::Applied { next_seq, .. } = event {
                    let _ = tx.send((idx, next_seq, Instant::now()));
                }
            }
        });
    }
    let admin = home.node.user("admin").await.expect("admin");
    let mut latencies = Vec::with_capacity(records);
    let cpu_before = cpu_seconds();
    for record in 0..records {
        let policy = Policy {
            join: JoinRule::Open,
            votes_to_accept: 5,
            expert_approval: (0..14)
                .map(|idx| format!("{record:06}-{idx:02}-{}", "x".repeat(50)))
                .collect(),
            invite: Role::Member,
        };
        let seq = home.log_len(web).await;
        let started = Instant::now();
        home.node
            .set_policy(&admin, "web", &policy)
            .await
            .expect("policy");
        if record == 0 {
            let entries = home.entries(web).await;
            let size = entries.last().expect("entry").record().encoded().len();
            println!("  record size {size} B");
        }
        let mut reached = HashSet::new();
        let mut arrivals = Vec::new();
        let mut last = started;
        while reached.len() < nodes.len() {
            let (idx, next_seq, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("delivery within 30 s")
                .expect("collectors run");
            if next_seq > seq && reached.insert(idx) {
                last = last.max(at);
                arrivals.push((ms(at - started), idx));
            }
        }
        if std::env::var_os("SYNC_BENCH_TRACE").is_some() {
            let shown: Vec<String> = arrivals
                .iter()
                .map(|(ms, idx)| format!("{idx}@{ms:.0}"))
                .collect();
            eprintln!("record {record}: {}", shown.join(" "));
        }
        latencies.push(last - started);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu = cpu_seconds() - cpu_before;
    println!(
        "  CPU for all {} nodes together: {:.1} ms per record (the whole process; on 2 cores the p50 cannot be below half of it)",
        nodes.len() + 1,
        cpu * 1000.0 / records as f64
    );
    latencies.sort();
    latencies
}

/// Waits until the network has formed: Kademlia's bootstrap queries dial
/// peers for a while after the last node starts, and every new connection
/// costs handshakes on both sides. The figures are for a formed network, so
/// this waits until no node has gained or lost a peer for three seconds
/// (at most two minutes), and then a few gossip heartbeats more.
async fn settle(home: &TestNode, nodes: &[TestNode]) {
    let started = Instant::now();
    let links = || {
        std::iter::once(home)
            .chain(nodes)
            .map(|node| node.sync().status().peers.len())
            .sum::<usize>()
    };
    let mut last = links();
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_secs(3) && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = links();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "  network formed after {:.1} s: {} peer links ({:.1} per node)",
        started.elapsed().as_secs_f64(),
        last,
        last as f64 / (nodes.len() + 1) as f64
    );
}

/// CPU time this process used so far (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with the last ')').
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |idx: usize| {
        fields
            .get(idx)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 here;
    // the kernel counts in clock ticks of 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

async fn catch_up(base: usize, new: usize) {
    let mut home = support::node(true).await;
    home.start(bench_config(Vec::new(), Duration::from_secs(3600)))
        .await;
    let web = home.community("web").await;
    // The base log, through the store's batch append (signed, sealed and
    // reduced like any other write), not through gossip.
    let built = Instant::now();
    let mut left = base;
    while left > 0 {
        let n = left.min(10_000);
        home.append_joins(web, n).await;
        left -= n;
    }
    println!(
        "catch-up: base log of {base} entries built in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let mut follower = support::node(false).await;
    follower.node.follow(&web.to_hex()).await.expect("follow");
    let copied = Instant::now();
    follower
        .start(bench_config(vec![home.addr()], Duration::from_secs(3600)))
        .await;
    follower
        .wait_len_within(web, base as u64 + 1, Duration::from_secs(3600))
        .await;
    println!(
        "catch-up: the follower fetched and verified the base log in {:.1} s ({:.0} entries/s)",
        copied.elapsed().as_secs_f64(),
        base as f64 / copied.elapsed().as_secs_f64()
    );
    follower.stop().await;
    let mut left = new;
    while left > 0 {
        let n = left.min(1_000);
        home.append_joins(web, n).await;
        left -= n;
    }
    // The bytes of the response the home serves for the missing range.
    let from = base as u64 + 1;
    let (entries, head) = home
        .node
        .serve_range(follower.node.node_key(), web, from, 20_000)
        .await
        .expect("range")
        .expect("public");
    let wires: Vec<WireEntry> = entries.iter().map(WireEntry::from_entry).collect();
    let content: usize = wires.iter().map(WireEntry::content_len).sum();
    let response = Response::Entries {
        community: web,
        entries: wires,
        head,
    };
    let encoded = cbor4ii::serde::to_vec(Vec::new(), &response).expect("encode");
    let started = Instant::now();
    follower
        .start(bench_config(vec![home.addr()], Duration::from_secs(3600)))
        .await;
    follower
        .wait_len_within(web, head, Duration::from_secs(600))
        .await;
    let elapsed = started.elapsed();
    let status = follower.sync().status();
    let ranges = status
        .counters
        .get(counters::RANGES_REQUESTED)
        .copied()
        .unwrap_or(0);
    let round_trips = 1 + ranges;
    let overhead = encoded.len() as f64 / content as f64 - 1.0;
    println!(
        "catch-up: {new} entries after {base}: {round_trips} round trips (1 heads + {ranges} range), {:.0} ms, response {} B for {} B of entries = {:.1} % overhead; round trips/target(2) = {:.2}, overhead/target(10 %) = {:.2}",
        ms(elapsed),
        encoded.len(),
        content,
        overhead * 100.0,
        round_trips as f64 / 2.0,
        overhead / 0.10
    );
    shutdown(home, vec![follower]).await;
}

async fn partition(side: usize, writes: usize) {
    let (home, nodes, web) = network(2 * side, Duration::from_secs(1), None).await;
    settle(&home, &nodes).await;
    let mut side_a = vec![home.sync().peer_id()];
    side_a.extend(nodes[..side - 1].iter().map(|n| n.sync().peer_id()));
    let side_b: Vec<_> = nodes[side - 1..]
        .iter()
        .map(|n| n.sync().peer_id())
        .collect();
    let everyone: Vec<&TestNode> = std::iter::once(&home).chain(nodes.iter()).collect();
    for (idx, node) in everyone.iter().enumerate() {
        let others = if idx < side { &side_b } else { &side_a };
        for peer in others {
            node.sync().block(*peer).await;
        }
    }
    // Side A holds the home: its writes are appended there and gossiped.
    for _ in 0..writes / 10 {
        home.append_joins(web, 10).await;
    }
    // Side B cannot reach the home: each node signs its share and queues it
    // in its outbox, as a write away from home does.
    let b_nodes = &nodes[side - 1..];
    let mut queued = HashSet::new();
    for (idx, node) in b_nodes.iter().enumerate() {
        let share = writes / b_nodes.len() + usize::from(idx < writes % b_nodes.len());
        let records = support::joins(web, share);
        queued.extend(records.iter().map(|record| record.id()));
        node.node
            .store()
            .queue_outbox(&records, commons_node::now().0)
            .await
            .expect("queue");
    }
    for node in &nodes[..side - 1] {
        node.wait_len_within(web, 1 + writes as u64, Duration::from_secs(600))
            .await;
    }
    println!("  side A holds the home's {writes} writes; healing");
    let target = 1 + 2 * writes as u64;
    let a_addrs: Vec<Multiaddr> = everyone[..side].iter().map(|n| n.addr()).collect();
    // The partition ends for every node at once, as when a link comes back:
    // lifting 2 × 25 × 25 blocks one after the other took seconds, during
    // which part of the network was still cut.
    let lifting = Instant::now();
    let unblocks = everyone.iter().enumerate().flat_map(|(idx, node)| {
        let others = if idx < side { &side_b } else { &side_a };
        others.iter().map(move |peer| node.sync().unblock(*peer))
    });
    futures::future::join_all(unblocks).await;
    println!(
        "  partition lifted on every node in {:.0} ms",
        ms(lifting.elapsed())
    );
    let healed = Instant::now();
    let cpu_at_heal = cpu_seconds();
    let at_heal = totals(&everyone);
    tracing::info!("healed");
    // Every node of side B reconnects to side A, and (until forwarding
    // through intermediate peers exists) to the home, where its outbox goes.
    let mut rng = Lcg(11);
    for node in &everyone[side..] {
        node.sync().dial(a_addrs[rng.below(a_addrs.len())].clone());
        node.sync().dial(home.addr());
    }
    home.wait_len_within(web, target, Duration::from_secs(600))
        .await;
    tracing::info!("the home holds every write");
    println!(
        "  the home holds every write after {:.1} s",
        healed.elapsed().as_secs_f64()
    );
    for (idx, node) in everyone.iter().enumerate() {
        node.wait_len_within(web, target, Duration::from_secs(600))
            .await;
        if idx % 10 == 9 {
            println!(
                "  {} nodes converged after {:.1} s",
                idx + 1,
                healed.elapsed().as_secs_f64()
            );
        }
    }
    let elapsed = healed.elapsed();
    let cpu = cpu_seconds() - cpu_at_heal;
    let now = totals(&everyone);
    let [applied, gossip, duplicates, ranges, forwarded, dropped] =
        std::array::from_fn(|idx| now[idx] - at_heal[idx]);
    println!(
        "  after healing: {cpu:.1} s of CPU for all {} nodes (on 2 cores the time cannot be below half of it); entries applied {applied}, gossip received {gossip}, duplicates {duplicates}, ranges requested {ranges}, records forwarded {forwarded}, publishes dropped {dropped}",
        2 * side,
    );
    for node in everyone.iter() {
        let reports = node.node.verify(Some(&web.to_hex())).await.expect("verify");
        assert!(reports[0].error.is_none(), "{:?}", reports[0].error);
        assert_eq!(reports[0].entries, target, "nothing lost or duplicated");
    }
    let ids: HashSet<_> = home
        .entries(web)
        .await
        .iter()
        .map(|entry| entry.record().id())
        .collect();
    assert_eq!(ids.len() as u64, target, "no record twice in the log");
    assert!(
        queued.iter().all(|id| ids.contains(id)),
        "every queued write"
    );
    let mut pending = 0;
    for node in b_nodes {
        pending += node
            .node
            .outbox_counts()
            .await
            .expect("outbox")
            .values()
            .sum::<u64>();
    }
    println!(
        "partition: 2 x {side} nodes, {writes} writes on each side ({} queued away from home), all {} nodes hold the same {target} entries {:.0} ms after healing, {pending} still pending; time/target(10 s) = {:.2}",
        queued.len(),
        2 * side,
        ms(elapsed),
        elapsed.as_secs_f64() / 10.0
    );
    shutdown(home, nodes).await;
}

/// Counters of what the partition's heal costs, summed over `nodes`.
fn totals(nodes: &[&TestNode]) -> [u64; 6] {
    [
        counters::ENTRIES_APPLIED,
        counters::GOSSIP_RECEIVED,
        counters::DUPLICATES,
        counters::RANGES_REQUESTED,
        counters::FORWARDED,
        counters::PUBLISH_DROPPED,
    ]
    .map(|name| {
        nodes
            .iter()
            .map(|node| {
                let status = node.sync().status();
                status.counters.get(name).copied().unwrap_or(0)
            })
            .sum()
    })
}

/// A tenfold publish burst for `duration` through `n` nodes. The home node
/// (which publishes the burst and serves everyone) and one follower each run
/// in a process of their own, this bench re-executed, so their memory is a
/// node's own; the other followers share this process.
mod burst {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, Command, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use commons_kernel::CommunityId;
    use commons_sync::{Multiaddr, SyncConfig, counters};

    use super::support::{self, TestNode};

    /// Set in a re-executed bench: `home` or `follower`.
    const ROLE: &str = "SYNC_BENCH_BURST_ROLE";
    /// The follower's peers (space-separated) and the community it follows.
    const PEERS: &str = "SYNC_BENCH_BURST_PEERS";
    const COMMUNITY: &str = "SYNC_BENCH_BURST_COMMUNITY";
    /// The normal rate is 100 entries/s; the burst is ten times that.
    const PER_TICK: usize = 100;
    const EVERY: Duration = Duration::from_millis(100);

    pub async fn run(n: usize, duration: Duration) {
        match std::env::var(ROLE).as_deref() {
            Ok("home") => home(duration).await,
            Ok("follower") => follower().await,
            _ => measure(n, duration).await,
        }
    }

    /// The production anti-entropy tick: under a burst gossip drops messages
    /// to slow peers (counted), and a node that missed the last entries has
    /// no later one to reveal the hole; the heads exchange finds it.
    fn config(peers: Vec<Multiaddr>) -> SyncConfig {
        super::bench_config(peers, SyncConfig::default().tick)
    }

    async fn measure(n: usize, duration: Duration) {
        let home = Peer::spawn("home", &[]);
        let ready = home.line();
        let mut words = ready.split_whitespace().skip(1);
        let home_addr: Multiaddr = words.next().and_then(|a| a.parse().ok()).expect("address");
        let web: CommunityId = words
            .next()
            .and_then(|c| c.parse().ok())
            .expect("community");
        let follower = Peer::spawn(
            "follower",
            &[(PEERS, home_addr.to_string()), (COMMUNITY, web.to_hex())],
        );
        let follower_addr: Multiaddr = follower
            .line()
            .split_whitespace()
            .nth(1)
            .and_then(|a| a.parse().ok())
            .expect("address");
        let mut addrs = vec![home_addr, follower_addr];
        let mut rng = super::Lcg(7);
        let mut nodes = Vec::new();
        for _ in 2..n {
            let mut node = support::node(false).await;
            node.node.follow(&web.to_hex()).await.expect("follow");
            node.start(config(rng.peers(&addrs))).await;
            addrs.push(node.addr());
            nodes.push(node);
        }
        for node in &nodes {
            node.wait_len(web, 1).await;
        }
        follower.ask("wait 1");
        tokio::time::sleep(Duration::from_secs(2)).await;

        let before = sample(&home, &follower);
        let mut peak = before;
        let started = Instant::now();
        home.say("go");
        let done = loop {
            if let Some(line) = home.try_line() {
                break line;
            }
            peak = higher(peak, sample(&home, &follower));
            tokio::time::sleep(EVERY).await;
        };
        let mut words = done
            .split_whitespace()
            .skip(1)
            .map(|w| w.parse::<u64>().expect("number"));
        let (appended, target, dropped) = (
            words.next().expect("appended"),
            words.next().expect("length"),
            words.next().expect("drops"),
        );
        follower.say(&format!("wait {target}"));
        {
            let waits = futures::future::join_all(
                nodes
                    .iter()
                    .map(|node| node.wait_len_within(web, target, Duration::from_secs(600))),
            );
            tokio::pin!(waits);
            loop {
                tokio::select! {
                    _ = &mut waits => break,
                    _ = tokio::time::sleep(EVERY) => peak = higher(peak, sample(&home, &follower)),
                }
            }
        }
        while follower.try_line().is_none() {
            peak = higher(peak, sample(&home, &follower));
            tokio::time::sleep(EVERY).await;
        }
        let drained = started.elapsed();
        peak = higher(peak, sample(&home, &follower));
        let growth = |idx: usize| peak[idx].saturating_sub(before[idx]) as f64 / (1024.0 * 1024.0);
        let worst = growth(0).max(growth(1));
        println!(
            "burst: {appended} entries at 1,000/s (10x) for {:.0} s to {n} nodes, all delivered after {:.1} s; \
             {dropped} publishes dropped by the home (counted)",
            duration.as_secs_f64(),
            drained.as_secs_f64(),
        );
        println!(
            "  memory growth, each node in its own process: home {:.1} MiB, a follower {:.1} MiB; \
             growth/target(100 MiB) = {:.2}",
            growth(0),
            growth(1),
            worst / 100.0
        );
        println!(
            "  (the other {} followers share the bench process: {:.1} MiB together)",
            n - 2,
            growth(2)
        );
        home.stop();
        follower.stop();
        for mut node in nodes {
            node.stop().await;
        }
    }

    /// Resident memory of the home's process, the follower's, and this one.
    fn sample(home: &Peer, follower: &Peer) -> [u64; 3] {
        [home.rss(), follower.rss(), rss(std::process::id())]
    }

    fn higher(peak: [u64; 3], now: [u64; 3]) -> [u64; 3] {
        std::array::from_fn(|idx| peak[idx].max(now[idx]))
    }

    /// The home node's process: hosts `web`, waits for `go`, publishes the
    /// burst, reports `done APPENDED LENGTH DROPPED`.
    async fn home(duration: Duration) {
        let mut home = support::node(true).await;
        home.start(config(Vec::new())).await;
        let web = home.community("web").await;
        println!("ready {} {}", home.addr(), web.to_hex());
        let mut commands = commands();
        assert_eq!(commands.recv().await.as_deref(), Some("go"));
        let started = Instant::now();
        let mut appended = 0u64;
        let mut interval = tokio::time::interval(EVERY);
        while started.elapsed() < duration {
            interval.tick().await;
            home.append_joins(web, PER_TICK).await;
            appended += PER_TICK as u64;
        }
        let status = home.sync().status();
        let dropped = status
            .counters
            .get(counters::PUBLISH_DROPPED)
            .copied()
            .unwrap_or(0);
        println!("done {appended} {} {dropped}", home.log_len(web).await);
        // Serves the followers until told to stop.
        while commands.recv().await.is_some() {}
        home.stop().await;
    }

    /// A follower's process: follows, dials the given peers, and answers
    /// `wait N` with `reached` once its log holds N entries.
    async fn follower() {
        let peers = std::env::var(PEERS)
            .unwrap_or_default()
            .split_whitespace()
            .map(|addr| addr.parse().expect("peer address"))
            .collect();
        let web: CommunityId = std::env::var(COMMUNITY)
            .ok()
            .and_then(|c| c.parse().ok())
            .expect("community");
        let mut node: TestNode = support::node(false).await;
        node.node.follow(&web.to_hex()).await.expect("follow");
        node.start(config(peers)).await;
        println!("ready {}", node.addr());
        let mut commands = commands();
        while let Some(command) = commands.recv().await {
            let Some(len) = command.strip_prefix("wait ") else {
                break;
            };
            let len = len.parse().expect("length");
            node.wait_len_within(web, len, Duration::from_secs(600))
                .await;
            println!("reached");
        }
        node.stop().await;
    }

    /// Lines from stdin; closed at its end (the parent went away).
    fn commands() -> tokio::sync::mpsc::UnboundedReceiver<String> {
        let (send, receive) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        receive
    }

    /// A node in a child process, driven by lines.
    struct Peer {
        child: Child,
        stdin: ChildStdin,
        lines: mpsc::Receiver<String>,
    }

    impl Peer {
        fn spawn(role: &str, env: &[(&str, String)]) -> Peer {
            let exe = std::env::current_exe().expect("this bench's path");
            let mut child = Command::new(exe)
                .arg("burst")
                .env(ROLE, role)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("re-run the bench as a node");
            let stdin = child.stdin.take().expect("piped");
            let stdout = child.stdout.take().expect("piped");
            let (send, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            });
            Peer {
                child,
                stdin,
                lines,
            }
        }

        /// The next line, waiting for it.
        fn line(&self) -> String {
            self.lines.recv().expect("the node process ended early")
        }

        fn try_line(&self) -> Option<String> {
            match self.lines.try_recv() {
                Ok(line) => Some(line),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => panic!("the node process ended early"),
            }
        }

        fn say(&self, line: &str) {
            let mut stdin = &self.stdin;
            writeln!(stdin, "{line}").expect("write to the node process");
        }

        /// Says `line` and waits for the answer.
        fn ask(&self, line: &str) -> String {
            self.say(line);
            self.line()
        }

        fn rss(&self) -> u64 {
            rss(self.child.id())
        }

        fn stop(mut self) {
            drop(self.stdin);
            let _ = self.child.wait();
        }
    }

    /// Resident memory of process `pid` in bytes, 0 once it is gone.
    fn rss(pid: u32) -> u64 {
        commons_test_support::resident_bytes(pid).unwrap_or(0)
    }
}

async fn shutdown(mut home: TestNode, nodes: Vec<TestNode>) {
    home.stop().await;
    for mut node in nodes {
        node.stop().await;
    }
}

/// Propagation with 50 ms one-way delay on every link.
mod delay {
    use std::time::Duration;

    use commons_sync::Multiaddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::Instant;

    /// Set in the re-executed bench running inside the namespace.
    const INSIDE: &str = "SYNC_BENCH_IN_NETNS";
    const NAMESPACE: &str = "commons-sync-bench";
    const DELAY: Duration = Duration::from_millis(50);

    pub async fn run(n: usize, records: usize) {
        if std::env::var_os(INSIDE).is_some() {
            measure(
                n,
                records,
                None,
                "tc netem 50 ms on lo in a network namespace",
            )
            .await;
            return;
        }
        match in_namespace() {
            Ok(()) => return,
            Err(why) => {
                eprintln!(
                    "!!! delay: tc netem is not usable here ({why}); \
                     delaying every link by 50 ms in user space instead"
                );
            }
        }
        measure(n, records, Some(DELAY), "user-space relay, 50 ms each way").await;
    }

    async fn measure(n: usize, records: usize, relay: Option<Duration>, how: &str) {
        let (home, nodes, web) = super::network(n, Duration::from_secs(3600), relay).await;
        let latencies = super::propagate(&home, &nodes, web, records).await;
        super::report_propagation(&format!("delay ({how})"), n, records, &latencies, 1000.0);
        super::shutdown(home, nodes).await;
    }

    /// Creates a namespace whose loopback delays every packet by 50 ms and
    /// runs this bench's `delay` again inside it.
    fn in_namespace() -> Result<(), String> {
        let ip = |args: &[&str]| -> Result<(), String> {
            let out = std::process::Command::new("ip")
                .args(args)
                .output()
                .map_err(|error| format!("ip {}: {error}", args.join(" ")))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        let _ = ip(&["netns", "del", NAMESPACE]);
        ip(&["netns", "add", NAMESPACE])?;
        let result = (|| {
            ip(&["netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up"])?;
            ip(&[
                "netns", "exec", NAMESPACE, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                "delay", "50ms",
            ])?;
            let exe = std::env::current_exe().map_err(|error| error.to_string())?;
            let status = std::process::Command::new("ip")
                .args(["netns", "exec", NAMESPACE])
                .arg(exe)
                .arg("delay")
                .env(INSIDE, "1")
                .status()
                .map_err(|error| error.to_string())?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("the bench inside the namespace failed: {status}"))
            }
        })();
        let _ = ip(&["netns", "del", NAMESPACE]);
        result
    }

    /// A TCP relay in front of `target` (`/ip4/127.0.0.1/tcp/PORT/p2p/ID`)
    /// that holds every chunk of bytes for `delay` in each direction.
    /// Returns the address to dial instead.
    pub async fn relay(target: Multiaddr, delay: Duration) -> Multiaddr {
        let text = target.to_string();
        let parts: Vec<&str> = text.split('/').collect();
        let port: u16 = parts[4].parse().expect("a TCP listen address");
        let peer = parts[6].to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let local = listener.local_addr().expect("relay address").port();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", port)).await else {
                    continue;
                };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                tokio::spawn(pipe(in_read, out_write, delay));
                tokio::spawn(pipe(out_read, in_write, delay));
            }
        });
        format!("/ip4/127.0.0.1/tcp/{local}/p2p/{peer}")
            .parse()
            .expect("relay address")
    }

    async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        tokio::spawn(async move {
            while let Some((at, bytes)) = rx.recv().await {
                tokio::time::sleep_until(at).await;
                if to.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0
                || tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
        }
    }
}
