//! `flows-bench [all|memory|capture|flowlog] [--pcap PATH] [--size-mb N]
//! [--runs R] [--records N] [--no-tshark] [--log csv|json]`: the detection figures of issue 4,
//! each printed beside its target and its anchor as a ratio. Run it in
//! release mode: `cargo run --release -p commons-flows --example flows-bench`.
//!
//! - memory: bytes per IPv4 and per domain indicator, and the time to build
//!   (reload) 1,000,000 IPv4 + 100,000 CIDR + 1,000,000 domain indicators;
//! - capture: packets per second scanning the generated capture (100 MiB by
//!   default) with all those indicators loaded, on one core, beside a bare
//!   walk over the records and beside `tshark -T fields` on the same file;
//!   then checks that the address pairs this crate matched equal tshark's
//!   output joined with the indicator list (and the same for names);
//! - flowlog: flow records per second parsed and matched, CSV and JSON lines.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use commons_flows::capture::{CaptureReader, Record};
use commons_flows::generate::{
    FlowLogConfig, FlowLogFormat, IndicatorConfig, PcapConfig, indicators, write_flow_log,
    write_pcap,
};
use commons_flows::indicators::{Indicator, IndicatorKind, normalize_domain};
use commons_flows::{Alert, Format, IndicatorSet, Matcher, Observable, ScanConfig, scan};

struct Options {
    what: String,
    pcap: Option<String>,
    size_mb: u64,
    runs: usize,
    records: u64,
    tshark: bool,
    /// Only this flow-log encoding (`csv` or `json`), for profiling one.
    log: Option<String>,
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("flows-bench: {problem}");
            eprintln!(
                "usage: flows-bench [all|memory|capture|flowlog] [--pcap PATH] [--size-mb N] [--runs R] [--records N] [--no-tshark] [--log csv|json]"
            );
            return ExitCode::from(2);
        }
    };
    if cfg!(debug_assertions) {
        println!("warning: a debug build; figures mean nothing, use --release");
    }
    println!("generating 1,000,000 IPv4 + 100,000 CIDR + 1,000,000 domain indicators (seed 1)");
    let generated = indicators(&IndicatorConfig::default());
    let (set, build_time) = build(generated.clone());
    let mut ok = true;
    if matches!(options.what.as_str(), "all" | "memory") {
        memory(&set, &generated, build_time);
    }
    if matches!(options.what.as_str(), "all" | "capture") {
        ok &= capture(&options, &set, &generated);
    }
    if matches!(options.what.as_str(), "all" | "flowlog") {
        flowlog(&options, &set);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        what: "all".into(),
        pcap: None,
        size_mb: 100,
        runs: 5,
        records: 2_000_000,
        tshark: true,
        log: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|it| it.parse().ok())
                .ok_or_else(|| format!("{name} takes a number"))
        };
        match arg.as_str() {
            "all" | "memory" | "capture" | "flowlog" => options.what = arg,
            "--size-mb" => options.size_mb = number("--size-mb")?,
            "--runs" => options.runs = number("--runs")?.max(1) as usize,
            "--records" => options.records = number("--records")?,
            "--no-tshark" => options.tshark = false,
            "--log" => match args.next().as_deref() {
                Some(kind @ ("csv" | "json")) => options.log = Some(kind.to_string()),
                _ => return Err("--log takes csv or json".into()),
            },
            "--pcap" => options.pcap = Some(args.next().ok_or("--pcap takes a path")?),
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    Ok(options)
}

/// Prints one figure beside its target, as commons-bench does.
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

/// Prints one figure beside an anchor measured in the same run.
fn versus(name: &str, value: f64, unit: &str, anchor_name: &str, anchor: f64) {
    println!(
        "{name:<44} {value:>12.1} {unit:<10} {anchor_name} {anchor:>10.1}  ratio {:>6.2}",
        value / anchor
    );
}

fn build(indicators: Vec<Indicator>) -> (IndicatorSet, Duration) {
    let started = Instant::now();
    let (set, rejected) = IndicatorSet::build(indicators);
    let elapsed = started.elapsed();
    assert!(rejected.is_empty(), "generated indicators are valid");
    (set, elapsed)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn memory(set: &IndicatorSet, generated: &[Indicator], first_build: Duration) {
    println!("\n== indicator memory and reload");
    let counts = set.counts();
    let memory = set.memory();
    let per_ipv4 = (memory.ipv4 + memory.ipv4_filter) as f64 / counts.ipv4 as f64;
    let per_cidr = memory.cidr4 as f64 / counts.cidr4 as f64;
    let per_domain = memory.domains as f64 / counts.domains as f64;
    report(
        "IPv4 indicator (with prefilter)",
        per_ipv4,
        "B/ind",
        40.0,
        false,
    );
    println!("{:<44} {per_cidr:>12.1} B/ind", "CIDR indicator");
    report("domain indicator", per_domain, "B/ind", 100.0, false);
    println!(
        "{:<44} {:>12.1} MiB     for {} indicators",
        "whole set, heap",
        memory.total() as f64 / (1 << 20) as f64,
        set.len()
    );
    let mut times = vec![first_build.as_secs_f64()];
    for _ in 0..2 {
        let (_, elapsed) = build(generated.to_vec());
        times.push(elapsed.as_secs_f64());
    }
    report(
        "build/reload 2.1M indicators (median of 3)",
        median(times),
        "s",
        1.0,
        false,
    );
    let ipv4_only: Vec<Indicator> = generated
        .iter()
        .filter(|it| matches!(it.kind, IndicatorKind::Ipv4(_)))
        .cloned()
        .collect();
    let (_, elapsed) = build(ipv4_only);
    report(
        "build/reload 1M IPv4 indicators",
        elapsed.as_secs_f64(),
        "s",
        1.0,
        false,
    );
    let domains_only: Vec<Indicator> = generated
        .iter()
        .filter(|it| matches!(it.kind, IndicatorKind::Domain(_)))
        .cloned()
        .collect();
    let (_, elapsed) = build(domains_only);
    report(
        "build/reload 1M domain indicators",
        elapsed.as_secs_f64(),
        "s",
        1.0,
        false,
    );
    if let Some(rss) = resident_bytes() {
        println!(
            "{:<44} {:>12.1} MiB     (whole process, inputs and allocator slack included)",
            "resident memory after builds",
            rss as f64 / (1 << 20) as f64
        );
    }
}

/// CPU time this thread has used, from /proc (100 ticks per second): on a
/// machine shared with other work, rates per CPU-second are the honest
/// "per core" figure, while wall-clock rates also count time spent waiting
/// for the core.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}

/// Times `runs` calls of `work` (which returns how many records it handled):
/// the median wall-clock rate, the best one, and the rate per CPU-second
/// over all runs.
fn rates(runs: usize, mut work: impl FnMut() -> u64) -> (f64, f64, Option<f64>) {
    let mut wall = Vec::new();
    let mut total = 0u64;
    let cpu_before = cpu_seconds();
    for _ in 0..runs {
        let started = Instant::now();
        let records = work();
        wall.push(records as f64 / started.elapsed().as_secs_f64());
        total += records;
    }
    let cpu = cpu_before
        .zip(cpu_seconds())
        .map(|(before, after)| after - before)
        .filter(|it| *it >= 0.2)
        .map(|seconds| total as f64 / seconds);
    let best = wall.iter().copied().fold(0.0, f64::max);
    (median(wall), best, cpu)
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Scans the capture once, returning the alerts and the time taken.
fn scan_capture(bytes: &[u8], set: &IndicatorSet) -> (Vec<Alert>, u64, Duration) {
    let started = Instant::now();
    let mut matcher = Matcher::new(set);
    let summary = scan(bytes, Format::Pcap, &ScanConfig::default(), |event| {
        matcher.event(&event)
    })
    .expect("the capture is valid");
    let alerts = matcher.finish();
    (alerts, summary.records, started.elapsed())
}

fn capture(options: &Options, set: &IndicatorSet, generated: &[Indicator]) -> bool {
    println!("\n== captures");
    let (path, bytes) = match &options.pcap {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => (path.clone(), bytes),
            Err(error) => {
                eprintln!("flows-bench: reading {path}: {error}");
                return false;
            }
        },
        None => {
            let config = PcapConfig {
                target_bytes: options.size_mb << 20,
                ..PcapConfig::default()
            };
            let mut bytes = Vec::with_capacity(config.target_bytes as usize + (4 << 20));
            let stats = write_pcap(&config, &mut bytes).expect("writing to memory");
            let path =
                std::env::temp_dir().join(format!("commons-flows-bench-{}.pcap", options.size_mb));
            let written = std::fs::File::create(&path).and_then(|mut file| file.write_all(&bytes));
            if let Err(error) = written {
                eprintln!("flows-bench: writing {}: {error}", path.display());
                return false;
            }
            println!(
                "generated {} ({} packets, {:.1} MiB, {} TLS sessions, {} HTTP requests, {} DNS exchanges)",
                path.display(),
                stats.packets,
                bytes.len() as f64 / (1 << 20) as f64,
                stats.tls,
                stats.http,
                stats.dns
            );
            (path.display().to_string(), bytes)
        }
    };

    // The anchor below everything: walking the records and touching each packet.
    let mut packets = 0u64;
    let (walk, _, _) = rates(options.runs, || {
        let mut reader = CaptureReader::from_slice(&bytes).expect("the capture is valid");
        let mut count = 0u64;
        let mut checksum = 0u64;
        while let Ok(Some(record)) = reader.next_record() {
            if let Record::Packet(packet) = record {
                checksum =
                    checksum.wrapping_add(u64::from(packet.data.first().copied().unwrap_or(0)));
                count += 1;
            }
        }
        std::hint::black_box(checksum);
        packets = count;
        count
    });

    let mut alerts = Vec::new();
    let (rate, best, per_cpu) = rates(options.runs, || {
        let (run_alerts, records, _) = scan_capture(&bytes, set);
        alerts = run_alerts;
        records
    });
    let gbits = |rate: f64| rate * (bytes.len() as f64 / packets as f64) * 8.0 / 1e9;
    report(
        "scan + match, packets/s (wall, median)",
        rate,
        "pkt/s",
        2_200_000.0,
        true,
    );
    if let Some(per_cpu) = per_cpu {
        report(
            "scan + match, packets per CPU-second",
            per_cpu,
            "pkt/s",
            2_200_000.0,
            true,
        );
    }
    println!(
        "{:<44} {:>12.1} Gbit/s   (best run {best:.0} pkt/s, {} runs, {} alerts)",
        "  at this packet mix (median)",
        gbits(rate),
        options.runs,
        alerts.len()
    );
    versus(
        "scan + match vs bare record walk",
        rate,
        "pkt/s",
        "walk",
        walk,
    );

    // Reload: a set rebuilt from the same indicators finds exactly the same alerts.
    let (reloaded, _) = build(generated.to_vec());
    let (reloaded_alerts, _, _) = scan_capture(&bytes, &reloaded);
    let same = reloaded_alerts == alerts;
    println!(
        "{:<44} {}",
        "reloaded set drops no match",
        if same { "PASS" } else { "FAIL" }
    );

    if !options.tshark {
        println!("tshark: skipped (--no-tshark)");
        return same;
    }
    match tshark(&path) {
        None => {
            println!(
                "tshark: NOT INSTALLED, no side-by-side figure and no pair check (apt-get install tshark)"
            );
            same
        }
        Some((lines, elapsed)) => {
            let tshark_rate = packets as f64 / elapsed.as_secs_f64();
            versus(
                "tshark -T fields, packets/s",
                tshark_rate,
                "pkt/s",
                "anchor",
                25_000.0,
            );
            versus(
                "scan + match vs tshark (same file)",
                rate,
                "pkt/s",
                "tshark",
                tshark_rate,
            );
            same & check_against_tshark(&lines, generated, &alerts)
        }
    }
}

/// The fields tshark extracts, in order.
const TSHARK_FIELDS: [&str; 12] = [
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "dns.qry.name",
    "tls.handshake.extensions_server_name",
    "http.host",
    "http.request.uri",
];

/// Runs tshark over the file, returning its output lines and the time taken.
fn tshark(path: &str) -> Option<(Vec<String>, Duration)> {
    let mut command = Command::new("tshark");
    command.args(["-n", "-r", path, "-T", "fields", "-E", "separator=\t"]);
    for field in TSHARK_FIELDS {
        command.args(["-e", field]);
    }
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .collect();
    let status = child.wait().ok()?;
    let elapsed = started.elapsed();
    status.success().then_some((lines, elapsed))
}

/// The join, written independently of the crate's indexes: a hash set of
/// exact addresses and one hash set of networks per prefix length.
struct NaiveIndicators {
    exact: HashSet<IpAddr>,
    blocks: HashMap<u8, HashSet<u32>>,
    domains: HashSet<String>,
}

impl NaiveIndicators {
    fn new(indicators: &[Indicator]) -> NaiveIndicators {
        let mut naive = NaiveIndicators {
            exact: HashSet::new(),
            blocks: HashMap::new(),
            domains: HashSet::new(),
        };
        for indicator in indicators {
            match &indicator.kind {
                IndicatorKind::Ipv4(address) => {
                    naive.exact.insert(IpAddr::V4(*address));
                }
                IndicatorKind::Ipv6(address) => {
                    naive.exact.insert(IpAddr::V6(*address));
                }
                IndicatorKind::Cidr4(network, prefix) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                    naive
                        .blocks
                        .entry(*prefix)
                        .or_default()
                        .insert(network.to_bits() & mask);
                }
                IndicatorKind::Domain(domain) => {
                    naive.domains.insert(domain.to_ascii_lowercase());
                }
                _ => {}
            }
        }
        naive
    }

    fn address(&self, address: IpAddr) -> bool {
        if self.exact.contains(&address) {
            return true;
        }
        let IpAddr::V4(v4) = address else {
            return false;
        };
        self.blocks.iter().any(|(prefix, networks)| {
            let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
            networks.contains(&(v4.to_bits() & mask))
        })
    }

    fn name(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let mut rest = name.as_str();
        loop {
            if self.domains.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    }
}

fn unordered(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

/// Compares the matched address pairs (and names) with tshark's output
/// joined with the indicator list.
fn check_against_tshark(lines: &[String], generated: &[Indicator], alerts: &[Alert]) -> bool {
    let naive = NaiveIndicators::new(generated);
    let mut tshark_pairs = HashSet::new();
    let mut tshark_names = HashSet::new();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let field = |index: usize| {
            fields
                .get(index)
                .and_then(|it| it.split(',').next())
                .filter(|it| !it.is_empty())
        };
        let pair = match (field(0), field(1), field(2), field(3)) {
            (Some(src), Some(dst), _, _) => src
                .parse::<Ipv4Addr>()
                .ok()
                .zip(dst.parse::<Ipv4Addr>().ok())
                .map(|(a, b)| (IpAddr::V4(a), IpAddr::V4(b))),
            (_, _, Some(src), Some(dst)) => src
                .parse::<Ipv6Addr>()
                .ok()
                .zip(dst.parse::<Ipv6Addr>().ok())
                .map(|(a, b)| (IpAddr::V6(a), IpAddr::V6(b))),
            _ => None,
        };
        if let Some((src, dst)) = pair
            && (naive.address(src) || naive.address(dst))
        {
            tshark_pairs.insert(unordered(src, dst));
        }
        for index in [8, 9, 10] {
            if let Some(name) = field(index) {
                let name = name.split(':').next().unwrap_or(name);
                if naive.name(name) {
                    tshark_names.insert(normalize_domain(name).unwrap_or_default());
                }
            }
        }
    }
    let our_pairs: HashSet<(IpAddr, IpAddr)> = alerts
        .iter()
        .filter(|it| matches!(it.observable, Observable::SrcIp | Observable::DstIp))
        .map(|it| unordered(it.flow.src, it.flow.dst))
        .collect();
    let our_names: HashSet<String> = alerts
        .iter()
        .filter(|it| {
            matches!(
                it.observable,
                Observable::DnsQuery | Observable::TlsSni | Observable::HttpHost
            )
        })
        .map(|it| normalize_domain(&it.value).unwrap_or_default())
        .collect();
    let pairs_equal = tshark_pairs == our_pairs;
    let names_equal = tshark_names == our_names;
    println!(
        "{:<44} {} ({} pairs from tshark joined with the indicators, {} from the scan)",
        "matched address pairs equal tshark's join",
        if pairs_equal { "PASS" } else { "FAIL" },
        tshark_pairs.len(),
        our_pairs.len()
    );
    println!(
        "{:<44} {} ({} names from tshark joined with the indicators, {} from the scan)",
        "matched names equal tshark's join",
        if names_equal { "PASS" } else { "FAIL" },
        tshark_names.len(),
        our_names.len()
    );
    for pair in tshark_pairs.symmetric_difference(&our_pairs).take(5) {
        let side = if tshark_pairs.contains(pair) {
            "only tshark"
        } else {
            "only scan"
        };
        println!("  {side}: {} <-> {}", pair.0, pair.1);
    }
    for name in tshark_names.symmetric_difference(&our_names).take(5) {
        let side = if tshark_names.contains(name) {
            "only tshark"
        } else {
            "only scan"
        };
        println!("  {side}: {name}");
    }
    pairs_equal && names_equal
}

fn flowlog(options: &Options, set: &IndicatorSet) {
    println!("\n== flow logs");
    for (format, scan_format, name) in [
        (FlowLogFormat::Csv, Format::FlowCsv, "CSV"),
        (FlowLogFormat::JsonLines, Format::FlowJson, "JSON lines"),
    ] {
        let wanted = match format {
            FlowLogFormat::Csv => "csv",
            FlowLogFormat::JsonLines => "json",
        };
        if options.log.as_deref().is_some_and(|it| it != wanted) {
            continue;
        }
        let config = FlowLogConfig {
            seed: 1,
            records: options.records,
            format,
            start_s: 1_704_067_200,
        };
        let mut bytes = Vec::new();
        write_flow_log(&config, &mut bytes).expect("writing to memory");
        let mut alerts = 0;
        let (rate, best, per_cpu) = rates(options.runs, || {
            let mut matcher = Matcher::new(set);
            let summary = scan(&bytes, scan_format, &ScanConfig::default(), |event| {
                matcher.event(&event)
            })
            .expect("text scans do not fail");
            alerts = matcher.len();
            summary.records
        });
        let (parse_rate, _, parse_per_cpu) = rates(options.runs, || {
            let mut flows = 0u64;
            let summary = scan(&bytes, scan_format, &ScanConfig::default(), |_| flows += 1)
                .expect("text scans do not fail");
            std::hint::black_box(flows);
            summary.records
        });
        report(
            &format!("{name}: records/s parsed+matched (wall)"),
            rate,
            "rec/s",
            5_000_000.0,
            true,
        );
        if let Some(per_cpu) = per_cpu {
            report(
                &format!("{name}: records per CPU-second"),
                per_cpu,
                "rec/s",
                5_000_000.0,
                true,
            );
        }
        println!(
            "{:<44} {:>12.1} rec/s    (best run {best:.0}; {} records, {:.0} MiB, {alerts} alerts)",
            format!("  {name}: parsed only (wall)"),
            parse_rate,
            options.records,
            bytes.len() as f64 / (1 << 20) as f64
        );
        if let Some(parse_per_cpu) = parse_per_cpu {
            println!(
                "{:<44} {parse_per_cpu:>12.1} rec/s",
                format!("  {name}: parsed only, per CPU-second")
            );
        }
    }
}
