//! Events as STIX observations, for the patterns the indexes cannot
//! answer: each event becomes one `observed-data` whose objects are the
//! `network-traffic` of its flow, the two addresses, and what the event
//! adds (a `domain-name` with its resolutions, a `url`, a file or
//! certificate hash).

use std::collections::BTreeMap;
use std::net::IpAddr;

use commons_flows::{DnsAnswer, Event, FiveTuple};
use commons_stix::{Observation, Timestamp};
use serde_json::{Value, json};

/// The observation of `event`.
pub fn observation(event: &Event) -> Observation {
    let mut objects = BTreeMap::new();
    let (first, last) = match event {
        Event::Flow(flow) => (flow.first_seen_ns, flow.last_seen_ns),
        other => (other.ts_ns(), other.ts_ns()),
    };
    let mut traffic = traffic(event.tuple(), &mut objects);
    match event {
        Event::Flow(flow) => {
            traffic.insert("start".into(), json!(timestamp(first).to_string()));
            traffic.insert("end".into(), json!(timestamp(last).to_string()));
            traffic.insert("src_packets".into(), json!(flow.orig.packets));
            traffic.insert("dst_packets".into(), json!(flow.resp.packets));
            traffic.insert("src_byte_count".into(), json!(flow.orig.bytes));
            traffic.insert("dst_byte_count".into(), json!(flow.resp.bytes));
        }
        Event::Dns(dns) => {
            let mut resolves = Vec::new();
            for (idx, answer) in dns.answers.iter().enumerate() {
                let key = format!("answer{idx}");
                let object = match answer {
                    DnsAnswer::A(ip) => json!({"type": "ipv4-addr", "value": ip.to_string()}),
                    DnsAnswer::Aaaa(ip) => json!({"type": "ipv6-addr", "value": ip.to_string()}),
                    DnsAnswer::Cname(name) => json!({"type": "domain-name", "value": name}),
                };
                objects.insert(key.clone(), object);
                resolves.push(key);
            }
            let mut domain = json!({"type": "domain-name", "value": dns.query});
            if !resolves.is_empty() {
                domain["resolves_to_refs"] = json!(resolves);
            }
            objects.insert("query".into(), domain);
        }
        Event::Tls(tls) => {
            objects.insert(
                "sni".into(),
                json!({"type": "domain-name", "value": tls.sni}),
            );
        }
        Event::Http(http) => {
            let mut headers = serde_json::Map::new();
            if let Some(host) = &http.host {
                headers.insert("Host".into(), json!(host));
                objects.insert("host".into(), json!({"type": "domain-name", "value": host}));
            }
            traffic.insert(
                "extensions".into(),
                json!({"http-request-ext": {
                    "request_method": http.method,
                    "request_value": http.uri,
                    "request_header": headers,
                }}),
            );
            objects.insert(
                "url".into(),
                json!({"type": "url", "value": url(http.host.as_deref(), &http.uri)}),
            );
        }
        Event::Hash(hash) => {
            let algorithm = match hash.hash.len() {
                32 => "MD5",
                40 => "SHA-1",
                64 => "SHA-256",
                _ => "SHA-512",
            };
            let hashes = json!({algorithm: hash.hash});
            objects.insert("file".into(), json!({"type": "file", "hashes": hashes}));
            objects.insert(
                "certificate".into(),
                json!({"type": "x509-certificate", "hashes": hashes}),
            );
        }
    }
    objects.insert(
        "traffic".into(),
        Value::Object(std::mem::take(&mut traffic)),
    );
    Observation {
        id: None,
        first_observed: timestamp(first),
        last_observed: timestamp(last.max(first)),
        number_observed: 1,
        objects,
    }
}

/// The value an alert from the evaluator shows for `event`: the responder
/// address of a flow, the name of a DNS query or TLS server, the URL of a
/// request, the hash.
pub fn primary_value(event: &Event) -> String {
    match event {
        Event::Flow(flow) => flow.tuple.dst.to_string(),
        Event::Dns(dns) => dns.query.clone(),
        Event::Tls(tls) => tls.sni.clone(),
        Event::Http(http) => url(http.host.as_deref(), &http.uri),
        Event::Hash(hash) => hash.hash.clone(),
    }
}

/// The value an alert from a pattern about `types` shows for `event`: the
/// part of the event of a type the pattern tests, else `primary_value`.
pub fn matched_value(event: &Event, types: &[String]) -> String {
    let tests = |kind: &str| types.iter().any(|it| it == kind);
    match event {
        Event::Http(http) if tests("url") => url(http.host.as_deref(), &http.uri),
        Event::Http(http) if tests("domain-name") && http.host.is_some() => {
            http.host.clone().unwrap_or_default()
        }
        Event::Dns(dns) if tests("domain-name") => dns.query.clone(),
        Event::Tls(tls) if tests("domain-name") => tls.sni.clone(),
        Event::Hash(hash) if tests("file") || tests("x509-certificate") => hash.hash.clone(),
        _ if tests("network-traffic") => {
            let tuple = event.tuple();
            format!(
                "{}:{} -> {}:{}",
                tuple.src, tuple.src_port, tuple.dst, tuple.dst_port
            )
        }
        _ => primary_value(event),
    }
}

/// An HTTP request's URL: the target itself when absolute.
pub fn url(host: Option<&str>, target: &str) -> String {
    if target.starts_with('/') {
        format!("http://{}{target}", host.unwrap_or_default())
    } else {
        target.to_string()
    }
}

/// A timestamp from nanoseconds since the epoch (clamped to the epoch for
/// the impossible negative times a corrupt capture may carry).
pub fn timestamp(ns: i64) -> Timestamp {
    let ns = ns.max(0);
    Timestamp::from_unix(ns / 1_000_000_000, (ns % 1_000_000_000) as u32)
        .expect("a non-negative i64 of nanoseconds is a representable instant")
}

/// Adds the two addresses to `objects` and returns the `network-traffic`
/// object referring to them.
fn traffic(
    tuple: &FiveTuple,
    objects: &mut BTreeMap<String, Value>,
) -> serde_json::Map<String, Value> {
    let address = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => json!({"type": "ipv4-addr", "value": v4.to_string()}),
        IpAddr::V6(v6) => json!({"type": "ipv6-addr", "value": v6.to_string()}),
    };
    objects.insert("src".into(), address(tuple.src));
    objects.insert("dst".into(), address(tuple.dst));
    let mut protocols = vec![if tuple.src.is_ipv4() { "ipv4" } else { "ipv6" }];
    match tuple.proto {
        commons_flows::event::TCP => protocols.push("tcp"),
        commons_flows::event::UDP => protocols.push("udp"),
        commons_flows::event::ICMP | commons_flows::event::ICMPV6 => protocols.push("icmp"),
        _ => {}
    }
    let mut traffic = serde_json::Map::new();
    traffic.insert("type".into(), json!("network-traffic"));
    traffic.insert("src_ref".into(), json!("src"));
    traffic.insert("dst_ref".into(), json!("dst"));
    traffic.insert("src_port".into(), json!(tuple.src_port));
    traffic.insert("dst_port".into(), json!(tuple.dst_port));
    traffic.insert("protocols".into(), json!(protocols));
    traffic
}
