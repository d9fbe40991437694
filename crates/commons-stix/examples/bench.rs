//! Performance figures of commons-stix, each beside its target as a ratio:
//! the compiled matcher with 100,000 equality and CIDR patterns (against
//! evaluating every pattern, the naive way), nested qualifier cases of the
//! evaluator, and batch confidence re-scoring of 10 million indicators.
//!
//! Run with `cargo run --release -p commons-stix --example bench`; pass
//! `matcher`, `nested`, `confidence` or `bundle` to run one group. `bundle`
//! reads a bundle of indicators the way `commons intel scan --indicators`
//! does (parse the JSON, validate every object, parse every pattern), the
//! fixed cost a scan pays before its first packet.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use commons_stix::confidence::{ConfidenceModel, IndicatorColumns};
use commons_stix::matcher::{MatcherBuilder, Observable};
use commons_stix::{CompiledPattern, Observation, Pattern, Timestamp, parse_pattern};
use serde_json::{Value, json};

fn main() {
    let group = std::env::args().nth(1);
    let wants = |name: &str| group.as_deref().is_none_or(|it| it == name);
    if wants("matcher") {
        matcher();
    }
    if wants("nested") {
        nested();
    }
    if wants("confidence") {
        confidence();
    }
    if wants("bundle") {
        bundle();
    }
}

/// Prints one figure beside its target.
fn report(name: &str, value: f64, unit: &str, target: f64, higher_is_better: bool) {
    let ratio = if higher_is_better {
        value / target
    } else {
        target / value
    };
    let verdict = if ratio >= 1.0 { "meets" } else { "misses" };
    println!(
        "{name:<52} {value:>14.3} {unit:<12} target {target:>12.3}  ratio {ratio:>8.2} ({verdict})"
    );
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

/// Prints a figure without a target.
fn note(name: &str, value: f64, unit: &str) {
    println!("{name:<52} {value:>14.3} {unit}");
}

/// SplitMix64: deterministic input without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(1_700_000_000 + seconds, 0).expect("in range")
}

fn observation(time: i64, objects: Vec<Value>) -> Observation {
    Observation::new(
        at(time),
        objects
            .into_iter()
            .enumerate()
            .map(|(idx, object)| (idx.to_string(), object))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn domain(rng: &mut Rng) -> String {
    format!("h{}.example{}.com", rng.below(1 << 40), rng.below(1_000))
}

fn matcher() {
    const PATTERNS: usize = 100_000;
    const OBSERVATIONS: usize = 100_000;
    const PASSES: usize = 10;
    let mut rng = Rng(7);
    let mut texts = Vec::with_capacity(PATTERNS);
    let mut addresses = Vec::new();
    let mut domains = Vec::new();
    for idx in 0..PATTERNS {
        match idx % 5 {
            0..=2 => {
                let addr = Ipv4Addr::from(rng.next() as u32);
                addresses.push(addr);
                texts.push(format!("[ipv4-addr:value = '{addr}']"));
            }
            3 => {
                let prefix = 8 + rng.below(23) as u8;
                let network = (rng.next() as u32) & (u32::MAX << (32 - prefix));
                texts.push(format!(
                    "[ipv4-addr:value ISSUBSET '{}/{prefix}']",
                    Ipv4Addr::from(network)
                ));
            }
            _ => {
                let name = domain(&mut rng);
                domains.push(name.clone());
                texts.push(format!("[domain-name:value = '{name}']"));
            }
        }
    }
    let started = Instant::now();
    let patterns: Vec<Pattern> = texts
        .iter()
        .map(|it| parse_pattern(it).expect("valid"))
        .collect();
    let parse_time = started.elapsed();
    let started = Instant::now();
    let mut builder = MatcherBuilder::new();
    for pattern in &patterns {
        builder.add(pattern);
    }
    let matcher = builder.build();
    let build_time = started.elapsed();
    let stats = matcher.stats();
    note(
        "patterns: parse 100k",
        PATTERNS as f64 / parse_time.as_secs_f64(),
        "patterns/s",
    );
    note(
        "patterns: compile 100k into the matcher",
        build_time.as_secs_f64() * 1e3,
        "ms",
    );
    note(
        "patterns: indexed of 100k",
        stats.indexed as f64,
        "patterns",
    );
    note(
        "patterns: index memory per pattern",
        stats.index_bytes as f64 / PATTERNS as f64,
        "bytes",
    );

    let observations: Vec<Observation> = (0..OBSERVATIONS)
        .map(|idx| {
            let ip = |rng: &mut Rng| {
                // A third of the addresses are indicators.
                if rng.below(3) == 0 {
                    addresses[rng.below(addresses.len() as u64) as usize].to_string()
                } else {
                    Ipv4Addr::from(rng.next() as u32).to_string()
                }
            };
            let objects = match idx % 10 {
                0..=3 => vec![json!({"type": "ipv4-addr", "value": ip(&mut rng)})],
                4..=8 => {
                    let name = if rng.below(3) == 0 {
                        domains[rng.below(domains.len() as u64) as usize].clone()
                    } else {
                        domain(&mut rng)
                    };
                    vec![json!({"type": "domain-name", "value": name})]
                }
                _ => vec![
                    json!({"type": "network-traffic", "dst_ref": "1", "dst_port": 443, "protocols": ["ipv4", "tcp"]}),
                    json!({"type": "ipv4-addr", "value": ip(&mut rng)}),
                ],
            };
            observation(idx as i64, objects)
        })
        .collect();
    let mut found = Vec::new();
    let mut hits = 0usize;
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    for _ in 0..PASSES {
        for observation in &observations {
            found.clear();
            matcher.match_observation(observation, &mut found);
            hits += found.len();
        }
    }
    let elapsed = started.elapsed();
    let cpu = cpu_before
        .zip(cpu_seconds())
        .map(|(before, after)| after - before);
    let rate = (OBSERVATIONS * PASSES) as f64 / elapsed.as_secs_f64();
    report(
        "patterns: observations/s, 100k patterns (wall)",
        rate,
        "obs/s",
        1_000_000.0,
        true,
    );
    if let Some(cpu) = cpu.filter(|it| *it >= 0.2) {
        report(
            "patterns: observations per CPU-second",
            (OBSERVATIONS * PASSES) as f64 / cpu,
            "obs/s",
            1_000_000.0,
            true,
        );
    }
    note(
        "patterns: matches per observation",
        hits as f64 / (OBSERVATIONS * PASSES) as f64,
        "",
    );

    // The naive way: evaluate every pattern against each observation.
    let compiled: Vec<CompiledPattern> = patterns.iter().map(CompiledPattern::new).collect();
    let sample = &observations[..50];
    let started = Instant::now();
    let mut naive_hits = 0usize;
    for observation in sample {
        naive_hits += compiled
            .iter()
            .filter(|it| it.matches_one(observation))
            .count();
    }
    let naive_rate = sample.len() as f64 / started.elapsed().as_secs_f64();
    black_box(naive_hits);
    note(
        "anchor: naive evaluation of every pattern",
        naive_rate,
        "obs/s",
    );
    note(
        "patterns: speed-up over naive evaluation",
        rate / naive_rate,
        "x",
    );

    let lookups: Vec<Ipv4Addr> = (0..1_000_000)
        .map(|_| {
            if rng.below(3) == 0 {
                addresses[rng.below(addresses.len() as u64) as usize]
            } else {
                Ipv4Addr::from(rng.next() as u32)
            }
        })
        .collect();
    let started = Instant::now();
    let mut typed_hits = 0usize;
    for _ in 0..PASSES {
        for addr in &lookups {
            found.clear();
            matcher.lookup(Observable::Ipv4(*addr), &mut found);
            typed_hits += found.len();
        }
    }
    black_box(typed_hits);
    let typed_rate = (lookups.len() * PASSES) as f64 / started.elapsed().as_secs_f64();
    report(
        "patterns: typed IPv4 lookups/s, one core",
        typed_rate,
        "lookups/s",
        1_000_000.0,
        true,
    );
}

/// Times `pattern` against `observations`, checking the verdict.
fn time_case(name: &str, pattern: &str, observations: &[Observation], expect: bool) {
    let pattern = parse_pattern(pattern).expect("valid");
    let compiled = CompiledPattern::new(&pattern);
    let first = compiled.evaluate(observations);
    assert_eq!(first.matched, expect, "{name}");
    assert!(!first.exhausted, "{name}: exhausted");
    let mut runs = 0u32;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(300) || runs < 3 {
        black_box(compiled.evaluate(black_box(observations)));
        runs += 1;
    }
    let per_run = started.elapsed().as_secs_f64() * 1e3 / f64::from(runs);
    report(&format!("nested: {name}"), per_run, "ms", 10.0, false);
}

fn x(kind: &str, value: u64) -> Value {
    json!({"type": kind, "n": value})
}

fn nested() {
    // Ten distinct expressions, each matching every observation.
    let ten_any: Vec<String> = (0..10).map(|idx| format!("[x-e:n >= {}]", -idx)).collect();
    let spread: Vec<Observation> = (0..100)
        .map(|idx| observation(idx * 10, vec![x("x-e", idx as u64)]))
        .collect();
    time_case(
        "ten-way AND, 100 observations, match",
        &ten_any.join(" AND "),
        &spread,
        true,
    );
    time_case(
        "ten-way AND WITHIN 60 s, 100 observations 10 s apart",
        &format!("({}) WITHIN 60 SECONDS", ten_any.join(" AND ")),
        &spread,
        false,
    );
    time_case(
        "ten-way AND WITHIN 90 s, 100 observations 10 s apart",
        &format!("({}) WITHIN 90 SECONDS", ten_any.join(" AND ")),
        &spread,
        true,
    );
    // Ten expressions that only nine observations satisfy: Hall's
    // condition fails, which enumeration discovers after 9! bindings.
    let ten_of_nine: Vec<String> = (0..10)
        .map(|idx| format!("[x-e:n <= {}]", idx.min(8)))
        .collect();
    time_case(
        "ten-way AND over nine candidates, no match",
        &ten_of_nine.join(" AND "),
        &spread,
        false,
    );

    let twenty: Vec<Observation> = (0..20)
        .map(|idx| observation(idx * 30, vec![x("x-r", 1)]))
        .collect();
    time_case(
        "REPEATS 10 over 20 observations",
        "[x-r:n = 1] REPEATS 10 TIMES",
        &twenty,
        true,
    );
    time_case(
        "REPEATS 10 WITHIN 300 s over 20 observations 30 s apart",
        "[x-r:n = 1] REPEATS 10 TIMES WITHIN 300 SECONDS",
        &twenty,
        true,
    );
    time_case(
        "REPEATS 11 WITHIN 299 s over 20 observations 30 s apart",
        "[x-r:n = 1] REPEATS 11 TIMES WITHIN 299 SECONDS",
        &twenty,
        false,
    );
    // Pairs (a, b) five seconds apart; the last pair is too far apart.
    let pairs = |gap_of_last: i64| -> Vec<Observation> {
        (0..10)
            .flat_map(|idx| {
                let gap = if idx == 9 { gap_of_last } else { 5 };
                [
                    observation(idx * 100, vec![x("x-a", 1)]),
                    observation(idx * 100 + gap, vec![x("x-b", 1)]),
                ]
            })
            .collect()
    };
    let compound = "([x-a:n = 1] AND [x-b:n = 1]) WITHIN 10 SECONDS REPEATS 10 TIMES";
    time_case(
        "(a AND b) WITHIN 10 s REPEATS 10, 20 observations",
        compound,
        &pairs(5),
        true,
    );
    time_case(
        "(a AND b) WITHIN 10 s REPEATS 10, one pair apart",
        compound,
        &pairs(50),
        false,
    );
    let chain = "([x-a:n = 1] OR [x-b:n = 1]) FOLLOWEDBY [x-b:n = 1] FOLLOWEDBY [x-a:n = 1] FOLLOWEDBY [x-b:n = 1] WITHIN 1000 SECONDS";
    time_case(
        "four-step FOLLOWEDBY chain, 20 observations",
        chain,
        &pairs(5),
        true,
    );
    let many: Vec<Observation> = (0..1_000)
        .map(|idx| observation(idx, vec![x("x-r", 1)]))
        .collect();
    time_case(
        "REPEATS 50 WITHIN 49 s over 1,000 observations",
        "[x-r:n = 1] REPEATS 50 TIMES WITHIN 49 SECONDS",
        &many,
        true,
    );
}

fn confidence() {
    const INDICATORS: usize = 10_000_000;
    let mut rng = Rng(11);
    let now = 1_700_000_000i64;
    let standing: Vec<f32> = (0..INDICATORS)
        .map(|_| rng.below(1_000) as f32 / 1_000.0)
        .collect();
    let kind: Vec<u8> = (0..INDICATORS).map(|_| rng.below(7) as u8).collect();
    let reference_time: Vec<i64> = (0..INDICATORS)
        .map(|_| now - rng.below(400 * 86_400) as i64)
        .collect();
    let sightings: Vec<u32> = (0..INDICATORS).map(|_| rng.below(5) as u32).collect();
    let false_positives: Vec<u32> = (0..INDICATORS)
        .map(|_| u32::from(rng.below(20) == 0))
        .collect();
    let valid_until: Vec<i64> = (0..INDICATORS)
        .map(|_| {
            if rng.below(2) == 0 {
                i64::MAX
            } else {
                now + rng.below(100 * 86_400) as i64 - 50 * 86_400
            }
        })
        .collect();
    let revoked: Vec<bool> = (0..INDICATORS).map(|_| rng.below(100) == 0).collect();
    let columns = IndicatorColumns {
        standing: &standing,
        kind: &kind,
        reference_time: &reference_time,
        sightings: &sightings,
        false_positives: &false_positives,
        valid_until: &valid_until,
        revoked: &revoked,
    };
    let model = ConfidenceModel::default();
    let mut scores = vec![0u8; INDICATORS];
    let mut active = vec![false; INDICATORS];
    let started = Instant::now();
    model
        .rescore(&columns, now, &mut scores, &mut active)
        .expect("columns have one length");
    let elapsed = started.elapsed();
    black_box((&scores, &active));
    report(
        "confidence: re-score 10M indicators",
        elapsed.as_secs_f64(),
        "s",
        2.0,
        false,
    );
    note(
        "confidence: active after re-scoring",
        active.iter().filter(|it| **it).count() as f64 / INDICATORS as f64 * 100.0,
        "%",
    );
}

/// Reading 100,000 indicators from a bundle: JSON, validation, patterns.
fn bundle() {
    const INDICATORS: usize = 100_000;
    let mut rng = Rng(13);
    let objects: Vec<Value> = (0..INDICATORS)
        .map(|idx| {
            let pattern = match idx % 21 {
                0..=9 => format!(
                    "[ipv4-addr:value = '{}']",
                    Ipv4Addr::from(rng.next() as u32)
                ),
                10 => format!(
                    "[ipv4-addr:value ISSUBSET '{}/24']",
                    Ipv4Addr::from(rng.next() as u32 & 0xffff_ff00)
                ),
                _ => format!("[domain-name:value = '{}']", domain(&mut rng)),
            };
            json!({
                "type": "indicator",
                "spec_version": "2.1",
                "id": format!("indicator--{:08x}-0000-4000-8000-{:012x}", idx, rng.below(1 << 48)),
                "created": "2024-01-01T00:00:00.000Z",
                "modified": "2024-01-01T00:00:00.000Z",
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": "2024-01-01T00:00:00Z",
                "confidence": 80,
            })
        })
        .collect();
    let text = json!({
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000000",
        "objects": objects,
    })
    .to_string();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let value: Value = serde_json::from_str(&text).expect("valid JSON");
    let json_time = started.elapsed();
    let started = Instant::now();
    let findings = commons_stix::validate(&value);
    let validate_time = started.elapsed();
    assert!(
        findings.is_empty(),
        "{:?}",
        &findings[..findings.len().min(3)]
    );
    let started = Instant::now();
    let patterns: Vec<Pattern> = value["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|object| parse_pattern(object["pattern"].as_str().expect("pattern")).expect("valid"))
        .collect();
    let parse_time = started.elapsed();
    let cpu = cpu_before
        .zip(cpu_seconds())
        .map(|(before, after)| after - before);
    black_box(patterns);
    let total = json_time + validate_time + parse_time;
    let rate = |time: Duration| INDICATORS as f64 / time.as_secs_f64();
    note("bundle: JSON parse", rate(json_time), "indicators/s");
    note("bundle: validate", rate(validate_time), "indicators/s");
    note("bundle: parse patterns", rate(parse_time), "indicators/s");
    note("bundle: all three (wall)", rate(total), "indicators/s");
    note(
        "bundle: 2.1M indicators at that rate (wall)",
        2_100_000.0 / rate(total),
        "s",
    );
    if let Some(cpu) = cpu.filter(|it| *it >= 0.2) {
        note(
            "bundle: all three per CPU-second",
            INDICATORS as f64 / cpu,
            "indicators/s",
        );
        note(
            "bundle: 2.1M indicators, CPU time",
            2_100_000.0 * cpu / INDICATORS as f64,
            "s",
        );
    }
}
