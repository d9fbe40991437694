//! `intel-bench [--objects N] [--load-batch N] [--ids random|sequential]`:
//! the TAXII figures of issue 4 measured in process, through the node
//! facade the TAXII handlers call (no HTTP, no Python), on SQLite in a
//! temporary directory:
//!
//! - adds: objects per second through `intel_add` (what `POST …/objects/`
//!   runs: per-object validation and status, records signed and appended)
//!   in envelopes of 1,000, target 20,000/s — into the empty collection,
//!   and again once it holds N objects, which should cost the same;
//! - load: the rest of the collection through `intel_publish` in large
//!   batches (the bulk path), so a million objects load in minutes;
//! - paging: `limit=1000` pages through the whole collection (target
//!   50,000 objects/s), the first page (target < 50 ms), and the mean cost
//!   of the first and the last ten pages, which should be equal.
//!
//! Run it in release mode:
//! `cargo run --release -p commons-intel --example intel-bench -- --objects 1000000`.
//! `commons-bench taxii` measures the same through HTTP with taxii2-client.
//!
//! Ids are random-looking by default, as TAXII clients make them (uuid4),
//! so every index keyed by id is written at random places; `--ids
//! sequential` numbers them in order instead.

use std::time::{Duration, Instant};

use commons_node::intel::ObjectsQuery;
use commons_node::{Node, NodeConfig, registry};
use serde_json::{Value, json};

/// Objects added through `intel_add`, in envelopes of 1,000.
const ADDED: usize = 20_000;

/// How object ids are made.
#[derive(Clone, Copy)]
enum Ids {
    /// A uuid4-shaped hash of the object's number.
    Random,
    /// The object's number as the uuid's last group.
    Sequential,
}

fn id_of(n: usize, ids: Ids) -> String {
    match ids {
        Ids::Sequential => format!("indicator--00000000-0000-4000-8000-{n:012}"),
        Ids::Random => {
            let hex = blake3::hash(&(n as u64).to_le_bytes()).to_hex();
            format!(
                "indicator--{}-{}-4{}-8{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[13..16],
                &hex[17..20],
                &hex[20..32]
            )
        }
    }
}

fn object(n: usize, ids: Ids) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id_of(n, ids),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("bench {n}"),
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (n >> 16) & 255, (n >> 8) & 255, n & 255),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "labels": ["bench"],
    })
}

/// This process's CPU time and bytes written to storage so far (Linux
/// only): on a shared machine objects per CPU-second and bytes per object
/// vary less than wall-clock rates.
#[derive(Clone, Copy)]
struct Usage {
    cpu_s: f64,
    write_bytes: u64,
}

impl Usage {
    fn now() -> Option<Usage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let io = std::fs::read_to_string("/proc/self/io").ok()?;
        let write_bytes = io
            .lines()
            .find_map(|line| line.strip_prefix("write_bytes: "))?
            .trim()
            .parse()
            .ok()?;
        Some(Usage {
            // Linux reports CPU time in clock ticks of 1/100 s.
            cpu_s: ticks as f64 / 100.0,
            write_bytes,
        })
    }
}

fn report(name: &str, value: f64, unit: &str, target: f64, higher_is_better: bool) {
    let ratio = if higher_is_better {
        value / target
    } else {
        target / value
    };
    let verdict = if ratio >= 1.0 { "meets" } else { "misses" };
    println!(
        "{name:<44} {value:>12.1} {unit:<10} target {target:>10.1}  ratio {ratio:>6.2} ({verdict})"
    );
}

fn option(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .map(|text| text.parse().expect("a number after the option"))
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total = option(&args, "--objects", 100_000).max(ADDED);
    let load_batch = option(&args, "--load-batch", 10_000);
    let ids = match args.iter().position(|arg| arg == "--ids") {
        None => Ids::Random,
        Some(at) => match args.get(at + 1).map(String::as_str) {
            Some("random") => Ids::Random,
            Some("sequential") => Ids::Sequential,
            _ => panic!("--ids takes random or sequential"),
        },
    };
    if cfg!(debug_assertions) {
        println!("warning: a debug build; figures mean nothing, use --release");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig {
        data_dir: dir.path().to_owned(),
        database_url: None,
        max_connections: 4,
        default_communities: true,
        public_url: "http://127.0.0.1:8080".into(),
    };
    let (node, _) = Node::open(&config, registry()).await.expect("open node");
    let admin = node.user("admin").await.expect("admin");
    let community = node.resolve_community("security").await.expect("security");

    let add = |numbers: std::ops::Range<usize>| {
        let (node, admin) = (&node, &admin);
        async move {
            let usage = Usage::now();
            let started = Instant::now();
            for start in numbers.clone().step_by(1000) {
                let end = (start + 1000).min(numbers.end);
                let envelope: Vec<Value> = (start..end).map(|n| object(n, ids)).collect();
                let outcome = node
                    .intel_add(admin, community, envelope)
                    .await
                    .expect("add");
                assert_eq!(
                    outcome.added.len(),
                    end - start,
                    "{:?}",
                    outcome.failures.first()
                );
            }
            let rate = numbers.len() as f64 / started.elapsed().as_secs_f64();
            if let (Some(before), Some(after)) = (usage, Usage::now()) {
                let n = numbers.len() as f64;
                println!(
                    "{:<44} {:>12.1} objects per CPU-second, {:.1} KB written per object",
                    format!("  objects {}..{}", numbers.start, numbers.end),
                    n / (after.cpu_s - before.cpu_s).max(1e-9),
                    (after.write_bytes - before.write_bytes) as f64 / n / 1000.0
                );
            }
            rate
        }
    };
    report(
        "adds through intel_add (envelopes of 1000)",
        add(0..ADDED).await,
        "objects/s",
        20_000.0,
        true,
    );

    let started = Instant::now();
    let loaded = total - ADDED;
    let mut next = ADDED;
    while next < loaded {
        let end = (next + load_batch).min(loaded);
        node.intel_publish(
            &admin,
            "security",
            (next..end).map(|n| object(n, ids)).collect(),
        )
        .await
        .expect("load");
        next = end;
    }
    if loaded > ADDED {
        let load = started.elapsed();
        println!(
            "{:<44} {:>12.1} objects/s  ({} objects in {:.1} s)",
            format!("load through intel_publish (batches of {load_batch})"),
            (loaded - ADDED) as f64 / load.as_secs_f64(),
            loaded - ADDED,
            load.as_secs_f64()
        );
    }
    report(
        &format!("adds at {loaded}..{total} objects"),
        add(loaded.max(ADDED)..total.max(2 * ADDED)).await,
        "objects/s",
        20_000.0,
        true,
    );
    let total = total.max(2 * ADDED);

    let mut after = None;
    let mut seen = 0usize;
    let mut pages: Vec<Duration> = Vec::new();
    let started = Instant::now();
    loop {
        let query = ObjectsQuery {
            after_us: after,
            limit: 1000,
            ..ObjectsQuery::default()
        };
        let page_started = Instant::now();
        let page = node
            .intel_objects(Some(&admin), "security", &query)
            .await
            .expect("page");
        pages.push(page_started.elapsed());
        seen += page.rows.len();
        after = page.rows.last().map(|row| row.added_us).or(after);
        if !page.more {
            break;
        }
    }
    let paging = started.elapsed();
    assert_eq!(seen, total, "paging returns every object once");
    report(
        &format!("paging {total} objects, limit=1000"),
        seen as f64 / paging.as_secs_f64(),
        "objects/s",
        50_000.0,
        true,
    );
    report(
        &format!("first page at {total} objects"),
        pages[0].as_secs_f64() * 1000.0,
        "ms",
        50.0,
        false,
    );
    let mean = |pages: &[Duration]| {
        pages.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / pages.len() as f64
    };
    let ten = pages.len().min(10);
    println!(
        "{:<44} first ten {:.2} ms, last ten {:.2} ms per page",
        "per-page cost",
        mean(&pages[..ten]),
        mean(&pages[pages.len() - ten..])
    );
    node.close().await;
}
