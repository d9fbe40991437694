//! Sync benchmarks on loopback TCP, many nodes in this one process, each a
//! real node on its own SQLite file:
//!
//! - `propagation`: a 1 KiB record to all of 50 nodes, p50/p99 (target p99
//!   ≤ 100 ms);
//! - `catchup`: a node offline while 10,000 entries were appended catches up
//!   (targets: ≤ 2 round trips, ≤ 10 % bytes over the entries);
//! - `partition`: 2 × 25 nodes, 1,000 writes on the home side, convergence
//!   after healing (target ≤ 10 s);
//! - `burst`: ten times the publish rate, memory growth and drops (target
//!   < 100 MiB).
//!
//! Run: `cargo run --release -p commons-sync --example sync-bench [name…]`.
//! Figures are ratios to the targets (below 1.0 meets them).

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    if wants("propagation") {
        propagation(50, 100).await;
    }
    if wants("catchup") {
        catch_up(10_000, 10_000).await;
    }
    if wants("partition") {
        partition(25, 1_000).await;
    }
    if wants("burst") {
        burst(10, Duration::from_secs(20)).await;
    }
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
}

fn bench_config(peers: Vec<Multiaddr>, tick: Duration) -> SyncConfig {
    let mut config = support::config(peers);
    config.tick = tick;
    config
}

/// A home node and `n - 1` followers of its `web` community, each new node
/// dialling up to three earlier ones.
async fn network(
    n: usize,
    tick: Duration,
) -> (TestNode, Vec<TestNode>, commons_kernel::CommunityId) {
    let mut home = support::node(true).await;
    home.start(bench_config(Vec::new(), tick)).await;
    let web = home.community("web").await;
    let mut rng = Lcg(7);
    let mut addrs = vec![home.addr()];
    let mut nodes = Vec::new();
    for _ in 1..n {
        let mut follower = support::node(false).await;
        follower.node.follow(&web.to_hex()).await.expect("follow");
        let mut peers = Vec::new();
        for _ in 0..3 {
            let addr = addrs[rng.below(addrs.len())].clone();
            if !peers.contains(&addr) {
                peers.push(addr);
            }
        }
        follower.start(bench_config(peers, tick)).await;
        addrs.push(follower.addr());
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
    let (home, nodes, web) = network(n, Duration::from_secs(3600)).await;
    // Let the gossip meshes form (a few heartbeats).
    tokio::time::sleep(Duration::from_secs(3)).await;
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
    let mut size = 0;
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
            size = entries.last().expect("entry").record().encoded().len();
        }
        let mut reached = HashSet::new();
        let mut last = started;
        while reached.len() < nodes.len() {
            let (idx, next_seq, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("delivery within 30 s")
                .expect("collectors run");
            if next_seq > seq && reached.insert(idx) {
                last = last.max(at);
            }
        }
        latencies.push(last - started);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort();
    let p99 = percentile(&latencies, 0.99);
    println!(
        "propagation: {} B record to all {} nodes, {} records: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; p99/target(100 ms) = {:.2}",
        size,
        n,
        records,
        ms(percentile(&latencies, 0.5)),
        ms(p99),
        ms(*latencies.last().expect("latencies")),
        ms(p99) / 100.0
    );
    shutdown(home, nodes).await;
}

async fn catch_up(base: usize, new: usize) {
    let mut home = support::node(true).await;
    home.start(bench_config(Vec::new(), Duration::from_secs(3600)))
        .await;
    let web = home.community("web").await;
    for _ in 0..base / 1000 {
        home.append_joins(web, 1000).await;
    }
    let mut follower = support::node(false).await;
    follower.node.follow(&web.to_hex()).await.expect("follow");
    follower
        .start(bench_config(vec![home.addr()], Duration::from_secs(3600)))
        .await;
    follower.wait_len(web, base as u64 + 1).await;
    follower.stop().await;
    for _ in 0..new / 1000 {
        home.append_joins(web, 1000).await;
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
    follower.wait_len(web, head).await;
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
    let (home, nodes, web) = network(2 * side, Duration::from_secs(1)).await;
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
    for _ in 0..writes / 10 {
        home.append_joins(web, 10).await;
    }
    let target = 1 + writes as u64;
    let a_addrs: Vec<Multiaddr> = everyone[..side].iter().map(|n| n.addr()).collect();
    let healed = Instant::now();
    for (idx, node) in everyone.iter().enumerate() {
        let others = if idx < side { &side_b } else { &side_a };
        for peer in others {
            node.sync().unblock(*peer).await;
        }
    }
    let mut rng = Lcg(11);
    for node in &everyone[side..] {
        node.sync().dial(a_addrs[rng.below(a_addrs.len())].clone());
    }
    for node in &nodes {
        node.wait_len(web, target).await;
    }
    let elapsed = healed.elapsed();
    let mut total = 0;
    for node in &nodes {
        let reports = node.node.verify(Some(&web.to_hex())).await.expect("verify");
        assert!(reports[0].error.is_none());
        total += reports[0].entries;
    }
    assert_eq!(
        total,
        target * nodes.len() as u64,
        "nothing lost or duplicated"
    );
    println!(
        "partition: 2 x {side} nodes, {writes} writes on the home side, all {} nodes converged {:.0} ms after healing; time/target(10 s) = {:.2}",
        2 * side,
        ms(elapsed),
        elapsed.as_secs_f64() / 10.0
    );
    shutdown(home, nodes).await;
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

async fn burst(n: usize, duration: Duration) {
    let (home, nodes, web) = network(n, Duration::from_secs(3600)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The normal rate here is 100 entries/s; the burst is ten times that.
    let per_tick = 100;
    let before = rss_bytes();
    let started = Instant::now();
    let mut appended = 0u64;
    let mut interval = tokio::time::interval(Duration::from_millis(100));
    let mut peak = before;
    while started.elapsed() < duration {
        interval.tick().await;
        home.append_joins(web, per_tick).await;
        appended += per_tick as u64;
        peak = peak.max(rss_bytes());
    }
    let target = home.log_len(web).await;
    for node in &nodes {
        node.wait_len(web, target).await;
    }
    let drained = started.elapsed();
    peak = peak.max(rss_bytes());
    let status = home.sync().status();
    let dropped = status
        .counters
        .get(counters::PUBLISH_DROPPED)
        .copied()
        .unwrap_or(0);
    let growth = peak.saturating_sub(before) as f64 / (1024.0 * 1024.0);
    println!(
        "burst: {appended} entries at 1,000/s (10x) for {:.0} s to {} nodes, all delivered after {:.1} s; peak memory growth {:.1} MiB for the whole process; {dropped} publishes dropped (counted); growth/target(100 MiB) = {:.2}",
        duration.as_secs_f64(),
        n,
        drained.as_secs_f64(),
        growth,
        growth / 100.0
    );
    shutdown(home, nodes).await;
}

async fn shutdown(mut home: TestNode, nodes: Vec<TestNode>) {
    home.stop().await;
    for mut node in nodes {
        node.stop().await;
    }
}
