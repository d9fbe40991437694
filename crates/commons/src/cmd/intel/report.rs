//! What `commons intel scan` prints: alerts with their confidence and
//! threat score, a summary per input of what was read and skipped and why,
//! as text, JSON, or a STIX bundle of sightings and observed data.
//!
//! # Threat score
//!
//! `threat = round(confidence · type_weight · observable_weight)`, 0–100,
//! where `type_weight` is the highest weight among the indicator's
//! `indicator_types` (malicious-activity, compromised, attribution 1.0;
//! none or unknown 0.8; anomalous-activity 0.6; benign 0) and
//! `observable_weight` says how much the matched part of the traffic
//! means: a responder address, a name, a URL, a hash or a whole pattern
//! 1.0; an originator address 0.8 (a stranger reaching in is often a
//! scan); a port 0.3 (many innocent services share one).

use std::collections::BTreeMap;
use std::net::IpAddr;

use commons_flows::summary::Position;
use commons_flows::{FiveTuple, ScanSummary};
use commons_stix::Identifier;
use serde::Serialize;
use serde_json::{Value, json};

use super::indicators::{LoadStats, Loaded};
use super::observe::timestamp;

/// One alert, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// The indicator's STIX id.
    pub indicator: String,
    /// Its name, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its pattern.
    pub pattern: String,
    /// What matched: `dst_ip`, `dns_query`, … for indexed indicators,
    /// `observation` or `observations` for evaluated patterns.
    pub observable: String,
    /// The value seen.
    pub value: String,
    /// The flow it was seen on.
    pub flow: FlowOut,
    /// First time seen (RFC 3339).
    pub first_seen: String,
    /// Last time seen.
    pub last_seen: String,
    /// How many events matched.
    pub count: u64,
    /// The indicator's confidence, 0–100.
    pub confidence: u8,
    /// See the module documentation.
    pub threat_score: u8,
    /// `first_seen` and `last_seen` in nanoseconds, for ordering.
    #[serde(skip)]
    pub window_ns: (i64, i64),
}

/// A flow as printed.
#[derive(Debug, Clone, Serialize)]
pub struct FlowOut {
    /// `tcp`, `udp`, `icmp` or the protocol number.
    pub proto: String,
    /// Originator address.
    pub src: String,
    /// Originator port.
    pub src_port: u16,
    /// Responder address.
    pub dst: String,
    /// Responder port.
    pub dst_port: u16,
}

/// One input's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    /// The path as given.
    pub path: String,
    /// The format detected, or `null` when the input could not be read.
    pub format: Option<&'static str>,
    /// Why the input could not be scanned at all, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Counts.
    pub summary: SummaryOut,
}

/// A `ScanSummary` as printed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SummaryOut {
    /// Bytes read.
    pub bytes: u64,
    /// Packets or lines read, skipped ones included.
    pub records: u64,
    /// Packets or lines skipped.
    pub skipped: u64,
    /// Skips by reason.
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    /// The first skipped records: reason and where.
    pub skip_samples: Vec<String>,
    /// Packets cut by the snapshot length (still used as far as they go).
    pub snaplen_cut: u64,
    /// Flows extracted.
    pub flows: u64,
    /// DNS events.
    pub dns: u64,
    /// TLS server names.
    pub tls: u64,
    /// HTTP requests.
    pub http: u64,
    /// Hashes.
    pub hashes: u64,
}

impl SummaryOut {
    pub fn new(summary: &ScanSummary) -> SummaryOut {
        SummaryOut {
            bytes: summary.bytes,
            records: summary.records,
            skipped: summary.skipped_total(),
            skipped_by_reason: summary
                .skip_counts()
                .map(|(reason, n)| (reason.as_str(), n))
                .collect(),
            skip_samples: summary
                .samples()
                .iter()
                .map(|sample| match sample.position {
                    Position::Offset(offset) => format!("{} at byte {offset}", sample.reason),
                    Position::Line(line) => format!("{} at line {line}", sample.reason),
                })
                .collect(),
            snaplen_cut: summary.snaplen_cut,
            flows: summary.flows,
            dns: summary.dns,
            tls: summary.tls,
            http: summary.http,
            hashes: summary.hashes,
        }
    }
}

impl FlowOut {
    pub fn new(tuple: &FiveTuple) -> FlowOut {
        let proto = match tuple.proto {
            commons_flows::event::TCP => "tcp".to_string(),
            commons_flows::event::UDP => "udp".to_string(),
            commons_flows::event::ICMP | commons_flows::event::ICMPV6 => "icmp".to_string(),
            other => other.to_string(),
        };
        FlowOut {
            proto,
            src: tuple.src.to_string(),
            src_port: tuple.src_port,
            dst: tuple.dst.to_string(),
            dst_port: tuple.dst_port,
        }
    }
}

impl std::fmt::Display for FlowOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let endpoint = |address: &str, port: u16| {
            if address.contains(':') {
                format!("[{address}]:{port}")
            } else {
                format!("{address}:{port}")
            }
        };
        write!(
            f,
            "{} {} -> {}",
            self.proto,
            endpoint(&self.src, self.src_port),
            endpoint(&self.dst, self.dst_port)
        )
    }
}

/// Builds an alert for indicator `loaded`.
pub fn alert(
    loaded: &Loaded,
    observable: &str,
    value: String,
    flow: &FiveTuple,
    window_ns: (i64, i64),
    count: u64,
) -> Alert {
    Alert {
        indicator: loaded.id.clone(),
        name: loaded.name.clone(),
        pattern: loaded.pattern.clone(),
        observable: observable.to_string(),
        value,
        flow: FlowOut::new(flow),
        first_seen: timestamp(window_ns.0).to_string(),
        last_seen: timestamp(window_ns.1).to_string(),
        count,
        confidence: loaded.confidence,
        threat_score: threat_score(loaded.confidence, &loaded.types, observable),
        window_ns,
    }
}

/// See the module documentation.
pub fn threat_score(confidence: u8, types: &[String], observable: &str) -> u8 {
    let type_weight = if types.is_empty() {
        0.8
    } else {
        types
            .iter()
            .map(|kind| match kind.as_str() {
                "malicious-activity" | "compromised" | "attribution" => 1.0,
                "benign" => 0.0,
                "anomalous-activity" => 0.6,
                _ => 0.8,
            })
            .fold(0.0, f64::max)
    };
    let observable_weight = match observable {
        "src_ip" => 0.8,
        "src_port" | "dst_port" => 0.3,
        _ => 1.0,
    };
    (f64::from(confidence) * type_weight * observable_weight)
        .round()
        .clamp(0.0, 100.0) as u8
}

/// Everything one scan produced.
pub struct Report<'a> {
    pub alerts: &'a [Alert],
    pub inputs: &'a [InputReport],
    pub indicators: &'a LoadStats,
    /// Unix seconds the confidence was judged at; also the STIX
    /// `created`/`modified` of emitted objects.
    pub now: i64,
}

pub fn print_text(report: &Report<'_>) {
    for alert in report.alerts {
        let name = alert
            .name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        println!(
            "ALERT {}{name}: {} {} on {} x{} from {} to {}; confidence {}, threat {}",
            alert.indicator,
            alert.observable,
            alert.value,
            alert.flow,
            alert.count,
            alert.first_seen,
            alert.last_seen,
            alert.confidence,
            alert.threat_score
        );
    }
    for input in report.inputs {
        let format = input.format.unwrap_or("unknown");
        let summary = &input.summary;
        if let Some(error) = &input.error {
            println!("{} ({format}): not scanned: {error}", input.path);
            continue;
        }
        println!(
            "{} ({format}): {} records, {} skipped, {} cut by snaplen; {} flows, {} dns, {} tls, {} http, {} hashes",
            input.path,
            summary.records,
            summary.skipped,
            summary.snaplen_cut,
            summary.flows,
            summary.dns,
            summary.tls,
            summary.http,
            summary.hashes
        );
        for (reason, n) in &summary.skipped_by_reason {
            println!("  skipped {n}: {}", describe(reason));
        }
        if !summary.skip_samples.is_empty() {
            println!("  first skipped: {}", summary.skip_samples.join(", "));
        }
    }
    let stats = report.indicators;
    println!(
        "{} alerts; {} indicators active ({} indexed, {} evaluated, {} over several observations)",
        report.alerts.len(),
        stats.active,
        stats.indexed,
        stats.evaluated,
        stats.multi_observation
    );
    let left_out = [
        (stats.revoked, "revoked"),
        (stats.expired, "expired or not yet valid"),
        (stats.below_threshold, "below the confidence threshold"),
        (stats.other_pattern_type, "not STIX patterns"),
    ];
    for (n, why) in left_out {
        if n > 0 {
            println!("  left out {n}: {why} (--include-inactive keeps expired and revoked ones)");
        }
    }
    for rejected in &stats.rejected {
        println!("  rejected: {rejected}");
    }
}

pub fn print_json(report: &Report<'_>) {
    let value = json!({
        "alerts": report.alerts,
        "inputs": report.inputs,
        "indicators": report.indicators,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&value).expect("a JSON value serializes")
    );
}

/// A bundle with, per alert, an `observed-data` of the flow and the matched
/// value and a `sighting` of the indicator referring to it. Ids are derived
/// from the content, so the same scan gives the same bundle.
pub fn stix_bundle(report: &Report<'_>) -> Value {
    let now = timestamp(report.now.saturating_mul(1_000_000_000)).to_string();
    let mut objects: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |object: Value, objects: &mut Vec<Value>| {
        let id = object["id"].as_str().unwrap_or_default().to_string();
        if seen.insert(id) {
            objects.push(object);
        }
    };
    for alert in report.alerts {
        let mut refs = Vec::new();
        let address = |text: &str| {
            let kind = match text.parse::<IpAddr>() {
                Ok(IpAddr::V6(_)) => "ipv6-addr",
                _ => "ipv4-addr",
            };
            json!({"type": kind, "spec_version": "2.1", "id": id(kind, text), "value": text})
        };
        let src = address(&alert.flow.src);
        let dst = address(&alert.flow.dst);
        let mut traffic = json!({
            "type": "network-traffic",
            "spec_version": "2.1",
            "src_ref": src["id"],
            "dst_ref": dst["id"],
            "src_port": alert.flow.src_port,
            "dst_port": alert.flow.dst_port,
            "protocols": [alert.flow.proto],
        });
        traffic["id"] = json!(id("network-traffic", &traffic.to_string()));
        for object in [src, dst, traffic] {
            refs.push(object["id"].clone());
            push(object, &mut objects);
        }
        let matched = match alert.observable.as_str() {
            "dns_query" | "dns_cname" | "tls_sni" | "http_host" => Some(
                json!({"type": "domain-name", "spec_version": "2.1", "id": id("domain-name", &alert.value), "value": alert.value}),
            ),
            "http_url" => Some(
                json!({"type": "url", "spec_version": "2.1", "id": id("url", &alert.value), "value": alert.value}),
            ),
            "file_hash" => Some(
                json!({"type": "file", "spec_version": "2.1", "id": id("file", &alert.value), "hashes": {hash_algorithm(&alert.value): alert.value}}),
            ),
            _ => None,
        };
        if let Some(object) = matched {
            refs.push(object["id"].clone());
            push(object, &mut objects);
        }
        let key = format!(
            "{}|{}|{}|{}|{}",
            alert.indicator, alert.observable, alert.value, alert.flow, alert.first_seen
        );
        let observed = json!({
            "type": "observed-data",
            "spec_version": "2.1",
            "id": id("observed-data", &key),
            "created": now,
            "modified": now,
            "first_observed": alert.first_seen,
            "last_observed": alert.last_seen,
            "number_observed": alert.count.clamp(1, 999_999_999),
            "object_refs": refs,
        });
        let sighting = json!({
            "type": "sighting",
            "spec_version": "2.1",
            "id": id("sighting", &key),
            "created": now,
            "modified": now,
            "sighting_of_ref": alert.indicator,
            "first_seen": alert.first_seen,
            "last_seen": alert.last_seen,
            "count": alert.count.min(999_999_999),
            "observed_data_refs": [observed["id"]],
            "confidence": alert.confidence,
        });
        push(observed, &mut objects);
        push(sighting, &mut objects);
    }
    let bundle_key: String = objects
        .iter()
        .filter_map(|object| object["id"].as_str())
        .collect();
    json!({"type": "bundle", "id": id("bundle", &bundle_key), "objects": objects})
}

/// The sightings `--report-sightings` would send: per indicator only the
/// reference, the count and the time window, nothing about the flows.
pub fn community_sightings(alerts: &[Alert]) -> Vec<Value> {
    let mut by_indicator: BTreeMap<&str, (u64, i64, i64)> = BTreeMap::new();
    for alert in alerts {
        let entry = by_indicator.entry(&alert.indicator).or_insert((
            0,
            alert.window_ns.0,
            alert.window_ns.1,
        ));
        entry.0 += alert.count;
        entry.1 = entry.1.min(alert.window_ns.0);
        entry.2 = entry.2.max(alert.window_ns.1);
    }
    by_indicator
        .into_iter()
        .map(|(indicator, (count, first, last))| {
            json!({
                "sighting_of_ref": indicator,
                "count": count,
                "first_seen": timestamp(first).to_string(),
                "last_seen": timestamp(last).to_string(),
            })
        })
        .collect()
}

/// A STIX id whose UUID is derived from `content`.
fn id(object_type: &str, content: &str) -> String {
    let digest = blake3::hash(format!("{object_type}\0{content}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_bytes()[..16]);
    Identifier::from_random_bytes(object_type, bytes)
        .expect("object types named here are valid type names")
        .to_string()
}

fn hash_algorithm(hash: &str) -> &'static str {
    match hash.len() {
        32 => "MD5",
        40 => "SHA-1",
        64 => "SHA-256",
        _ => "SHA-512",
    }
}

/// A skip reason for a person.
fn describe(reason: &str) -> String {
    let text = match reason {
        "corrupt_record" => "corrupt capture records (resynchronised on the next one)",
        "truncated_record" => "capture records cut off by the end of the file",
        "unknown_interface" => "pcapng packets naming an undeclared interface",
        "unknown_link_type" => "packets of a link type this tool does not decode",
        "not_ip" => "frames that carry no IP (ARP, LLDP, …)",
        "truncated_header" => "packets cut before their IP or transport header ended",
        "malformed_header" => "packets with impossible IP or transport headers",
        "ip_fragment" => "non-first IP fragments (not reassembled)",
        "garbage_line" => "lines that are not records of the expected shape",
        "missing_field" => "lines lacking an address or port",
        "bad_value" => "lines with a field that does not parse",
        "unknown_log_kind" => "Zeek lines of an unknown log kind",
        other => other,
    };
    format!("{text} [{reason}]")
}
