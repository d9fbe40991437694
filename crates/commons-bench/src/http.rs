//! HTTP latency under load, cold start and idle memory of the real binary.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use crate::report;

const CONNECTIONS: usize = 200;
const SECONDS: u64 = 10;

struct Node {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn commons_bin() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("COMMONS_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating this binary")?;
    let sibling = exe.with_file_name("commons");
    if sibling.exists() {
        return Ok(sibling);
    }
    bail!("build the node first (cargo build --release -p commons) or set COMMONS_BIN")
}

fn start() -> anyhow::Result<(Node, Duration)> {
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let mut child = Command::new(commons_bin()?)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("COMMONS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting commons serve")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().context("the node exited before listening")??;
        if let Some(url) = line.strip_prefix("listening on http://") {
            break url.to_owned();
        }
    };
    let elapsed = started.elapsed();
    // Keep draining stdout so the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((
        Node {
            child,
            address,
            _dir: dir,
        },
        elapsed,
    ))
}

/// Cold start to listening, and resident memory once idle.
pub async fn startup() -> anyhow::Result<()> {
    let (node, elapsed) = start()?;
    let (status, _) = get(&node.address, "/readyz").await?;
    if status != 200 {
        bail!("/readyz answered {status}");
    }
    let ready = elapsed.as_secs_f64() * 1000.0;
    report(
        "cold start (fresh data dir) to listening",
        ready,
        "ms",
        1000.0,
        false,
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = commons_test_support::resident_bytes(node.child.id())
        .context("reading the node's VmRSS from /proc")?;
    report(
        "idle memory of a fresh node (RSS)",
        rss as f64 / (1024.0 * 1024.0),
        "MiB",
        100.0,
        false,
    );
    Ok(())
}

/// Requests per second the open-loop run offers in total: every connection
/// sends one request each 100 ms, as 200 users clicking briskly would.
const OFFERED_RATE: u64 = 2_000;

/// p50/p99 of GET /c/web over 200 connections from a second process, twice:
/// closed loop (each connection sends its next request when the last one
/// answers: the saturation throughput, where latency is 200 / throughput by
/// Little's law) and open loop at a fixed offered rate (latency counted from
/// when each request was due, so a stalled server is not hidden).
pub async fn run() -> anyhow::Result<()> {
    let (node, _) = start()?;
    for rate in [None, Some(OFFERED_RATE)] {
        let mut args = vec![
            "load".to_owned(),
            node.address.clone(),
            "/c/web".to_owned(),
            CONNECTIONS.to_string(),
            SECONDS.to_string(),
        ];
        if let Some(rate) = rate {
            args.push(rate.to_string());
        }
        let output = Command::new(std::env::current_exe()?)
            .args(&args)
            .output()
            .context("running the load process")?;
        if !output.status.success() {
            bail!(
                "load process failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let result: serde_json::Value =
            serde_json::from_slice(&output.stdout).context("load output")?;
        let n = result["requests"].as_f64().unwrap_or(0.0);
        let errors = result["errors"].as_u64().unwrap_or(0);
        let mode = match rate {
            None => "closed loop".to_owned(),
            Some(rate) => format!("open loop at {rate} req/s"),
        };
        println!(
            "community page, {mode}: {n} requests in {SECONDS} s over {CONNECTIONS} connections (all open within {:.1} ms before the clock started), {errors} errors",
            result["connect_max_ms"].as_f64().unwrap_or(f64::NAN)
        );
        for (label, key) in [("p50", "p50_ms"), ("p99", "p99_ms")] {
            report(
                &format!("community page {label}, {CONNECTIONS} connections, {mode}"),
                result[key].as_f64().unwrap_or(f64::NAN),
                "ms",
                10.0,
                false,
            );
        }
        report(
            &format!("community page throughput, {mode}"),
            n / SECONDS as f64,
            "req/s",
            1.0,
            true,
        );
    }
    Ok(())
}

/// The load generator: `load ADDR PATH CONNECTIONS SECONDS [RATE]`, prints
/// JSON. Without RATE each connection loops as fast as answers come; with
/// it, connection i sends at fixed times spread evenly over the run.
pub async fn load(args: &[String]) -> anyhow::Result<()> {
    let (address, path, connections, seconds, rate) = match args {
        [address, path, connections, seconds] => (address, path, connections, seconds, None),
        [address, path, connections, seconds, rate] => (
            address,
            path,
            connections,
            seconds,
            Some(rate.parse::<f64>()?),
        ),
        _ => bail!("usage: load ADDR PATH CONNECTIONS SECONDS [RATE]"),
    };
    let connections: usize = connections.parse()?;
    // Every connection is open before the clock starts: the figures are
    // request latencies, and in open loop a connection still being set up
    // would make its first requests late by its handshake. The slowest
    // handshake is reported on its own.
    let connecting = Instant::now();
    let senders = futures::future::join_all((0..connections).map(|_| {
        let address = address.clone();
        async move {
            let stream = tokio::net::TcpStream::connect(&address).await?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            anyhow::Ok((sender, connecting.elapsed()))
        }
    }))
    .await;
    let mut connect_max = Duration::ZERO;
    let mut connect_errors = 0u64;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds.parse()?);
    // Each connection's interval between requests in open loop.
    let interval = rate.map(|rate| Duration::from_secs_f64(connections as f64 / rate));
    let mut tasks = Vec::with_capacity(connections);
    for (idx, sender) in senders.into_iter().enumerate() {
        let Ok((mut sender, took)) = sender else {
            connect_errors += 1;
            continue;
        };
        connect_max = connect_max.max(took);
        let address = address.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            // Stagger open-loop connections so their sends interleave.
            let mut due = match interval {
                Some(interval) => start + interval.mul_f64(idx as f64 / connections as f64),
                None => start,
            };
            while due < deadline {
                if interval.is_some() {
                    tokio::time::sleep_until(due.into()).await;
                } else {
                    due = Instant::now();
                }
                let request = hyper::Request::get(path.as_str())
                    .header("host", address.as_str())
                    .body(Empty::<Bytes>::new())
                    .expect("a GET request builds");
                match sender.send_request(request).await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.into_body().collect().await;
                        latencies.push(due.elapsed());
                    }
                    _ => errors += 1,
                }
                if let Some(interval) = interval {
                    due += interval;
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = connect_errors;
    for task in tasks {
        let (latencies, task_errors) = task.await?;
        all.extend(latencies);
        errors += task_errors;
    }
    all.sort();
    let pct = |p: f64| {
        if all.is_empty() {
            return f64::NAN;
        }
        let idx = ((all.len() as f64 * p).ceil() as usize)
            .saturating_sub(1)
            .min(all.len() - 1);
        all[idx].as_secs_f64() * 1000.0
    };
    let summary = serde_json::json!({
        "requests": all.len(),
        "errors": errors,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "connect_max_ms": connect_max.as_secs_f64() * 1000.0,
    });
    println!("{summary}");
    Ok(())
}

async fn get(address: &str, path: &str) -> anyhow::Result<(u16, Bytes)> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(path)
        .header("host", address)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    Ok((status, response.into_body().collect().await?.to_bytes()))
}
