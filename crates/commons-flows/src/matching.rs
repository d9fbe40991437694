//! Matching events against an `IndicatorSet`: which observable of which
//! event hit which indicator, aggregated into one alert per indicator,
//! observable, value and flow (with a count and first/last time, as a
//! sighting needs).
//!
//! Flows are matched on their addresses and ports (once per flow, not per
//! packet: a flow's addresses do not change); DNS events on the query name,
//! CNAME targets and A/AAAA answers; TLS on the server name; HTTP on the
//! host and the URL; hash events on the hash.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use crate::event::{DnsAnswer, Event, FiveTuple, Flow};
use crate::hash::BuildWordHasher;
use crate::indicators::IndicatorSet;

/// The part of an event an indicator matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Observable {
    /// The flow's originator address.
    SrcIp,
    /// The flow's responder address.
    DstIp,
    /// The flow's originator port.
    SrcPort,
    /// The flow's responder port.
    DstPort,
    /// A DNS question name.
    DnsQuery,
    /// A DNS CNAME target.
    DnsCname,
    /// A DNS A or AAAA answer.
    DnsAnswer,
    /// A TLS server name.
    TlsSni,
    /// An HTTP Host header.
    HttpHost,
    /// An HTTP request URL (host and target).
    HttpUrl,
    /// A file or certificate hash.
    FileHash,
}

impl Observable {
    /// A short stable name, for logs and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Observable::SrcIp => "src_ip",
            Observable::DstIp => "dst_ip",
            Observable::SrcPort => "src_port",
            Observable::DstPort => "dst_port",
            Observable::DnsQuery => "dns_query",
            Observable::DnsCname => "dns_cname",
            Observable::DnsAnswer => "dns_answer",
            Observable::TlsSni => "tls_sni",
            Observable::HttpHost => "http_host",
            Observable::HttpUrl => "http_url",
            Observable::FileHash => "file_hash",
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An indicator seen in traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The indicator's id.
    pub indicator: u32,
    /// Which part of the event matched.
    pub observable: Observable,
    /// The value observed (the address, name, URL, port or hash as seen).
    pub value: String,
    /// The flow it was seen on.
    pub flow: FiveTuple,
    /// First sighting, nanoseconds since the Unix epoch.
    pub first_seen_ns: i64,
    /// Last sighting.
    pub last_seen_ns: i64,
    /// Events that matched.
    pub count: u64,
}

/// A matched value as seen, kept unformatted until the alerts are handed
/// out: a flow log with many matches should not pay for text per hit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Seen {
    Ip(IpAddr),
    Port(u16),
    Text(String),
}

impl Seen {
    fn render(self) -> String {
        match self {
            Seen::Ip(ip) => ip.to_string(),
            Seen::Port(port) => port.to_string(),
            Seen::Text(text) => text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct AlertKey {
    indicator: u32,
    observable: Observable,
    value: Seen,
    flow: FiveTuple,
}

/// An alert being aggregated: its order of first sighting, times and count.
#[derive(Debug, Clone, Copy)]
struct Tally {
    serial: u64,
    first_seen_ns: i64,
    last_seen_ns: i64,
    count: u64,
}

/// Matches a stream of events, aggregating alerts.
#[derive(Debug)]
pub struct Matcher<'s> {
    set: &'s IndicatorSet,
    alerts: HashMap<AlertKey, Tally, BuildWordHasher>,
    next_serial: u64,
    hits: Vec<(Observable, u32, Seen)>,
    misses: Misses,
}

/// IPv4 addresses recently found to match nothing, in a direct-mapped
/// table of 16-bit tags (128 KiB, 65,536 slots) that stays in the
/// second-level cache. Traffic repeats addresses (clients, popular servers),
/// and a miss in the set's indexes costs a trip to memory; the set never
/// changes, so a remembered miss stays true.
///
/// The table is exact, not a filter: an address is first mixed by a
/// multiplication with an odd constant, a bijection on 32 bits, and the
/// product's top half picks the slot while its bottom half is the tag, so
/// slot and tag together name exactly one address. Half the bytes per slot
/// of storing the address itself is what keeps the table in cache beside a
/// streamed input.
#[derive(Debug)]
struct Misses {
    /// Tag 0 marks an empty slot; addresses whose tag is 0 (one in 65,536)
    /// are never remembered.
    tags: Box<[u16; MISS_SLOTS]>,
}

const MISS_SLOTS: usize = 1 << 16;

impl Misses {
    fn new() -> Misses {
        Misses {
            tags: vec![0; MISS_SLOTS]
                .into_boxed_slice()
                .try_into()
                .expect("the vector has MISS_SLOTS elements"),
        }
    }

    /// The slot and tag of `address`.
    fn place(address: u32) -> (usize, u16) {
        let mixed = address.wrapping_mul(0x9e37_79b1);
        ((mixed >> 16) as usize, mixed as u16)
    }

    fn known(&self, address: u32) -> bool {
        let (slot, tag) = Misses::place(address);
        tag != 0 && self.tags[slot] == tag
    }

    fn remember(&mut self, address: u32) {
        let (slot, tag) = Misses::place(address);
        self.tags[slot] = tag;
    }
}

impl<'s> Matcher<'s> {
    /// A matcher over `set`.
    pub fn new(set: &'s IndicatorSet) -> Matcher<'s> {
        Matcher {
            set,
            alerts: HashMap::with_hasher(BuildWordHasher),
            next_serial: 0,
            hits: Vec::new(),
            misses: Misses::new(),
        }
    }

    /// Matches one event.
    pub fn event(&mut self, event: &Event) {
        let set = self.set;
        let hits = &mut self.hits;
        match event {
            Event::Flow(flow) => match_flow(set, &mut self.misses, flow, hits),
            Event::Dns(dns) => {
                domain(set, Observable::DnsQuery, &dns.query, hits);
                for answer in &dns.answers {
                    match answer {
                        DnsAnswer::A(ip) => {
                            address(set, Observable::DnsAnswer, IpAddr::V4(*ip), hits)
                        }
                        DnsAnswer::Aaaa(ip) => {
                            address(set, Observable::DnsAnswer, IpAddr::V6(*ip), hits)
                        }
                        DnsAnswer::Cname(name) => domain(set, Observable::DnsCname, name, hits),
                    }
                }
            }
            Event::Tls(tls) => domain(set, Observable::TlsSni, &tls.sni, hits),
            Event::Http(http) => {
                if let Some(host) = &http.host {
                    domain(set, Observable::HttpHost, strip_port(host), hits);
                }
                let host = http.host.as_deref().unwrap_or_default();
                set.url_matches(host, &http.uri, |id| {
                    let url = if http.uri.starts_with('/') {
                        format!("http://{host}{}", http.uri)
                    } else {
                        http.uri.clone()
                    };
                    hits.push((Observable::HttpUrl, id, Seen::Text(url)));
                });
            }
            Event::Hash(hash) => {
                set.hash_matches(&hash.hash, |id| {
                    hits.push((Observable::FileHash, id, Seen::Text(hash.hash.clone())))
                });
            }
        }
        if self.hits.is_empty() {
            return;
        }
        let (flow, first, last) = match event {
            Event::Flow(flow) => (flow.tuple, flow.first_seen_ns, flow.last_seen_ns),
            other => (*other.tuple(), other.ts_ns(), other.ts_ns()),
        };
        for (observable, indicator, value) in self.hits.drain(..) {
            let key = AlertKey {
                indicator,
                observable,
                value,
                flow,
            };
            let serial = &mut self.next_serial;
            let tally = self.alerts.entry(key).or_insert_with(|| {
                *serial += 1;
                Tally {
                    serial: *serial,
                    first_seen_ns: first,
                    last_seen_ns: last,
                    count: 0,
                }
            });
            tally.count += 1;
            tally.first_seen_ns = tally.first_seen_ns.min(first);
            tally.last_seen_ns = tally.last_seen_ns.max(last);
        }
    }

    /// Alerts so far.
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    /// Whether nothing matched so far.
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    /// The alerts, in the order they were first raised.
    pub fn finish(self) -> Vec<Alert> {
        let mut alerts: Vec<(AlertKey, Tally)> = self.alerts.into_iter().collect();
        alerts.sort_unstable_by_key(|(_, tally)| tally.serial);
        alerts
            .into_iter()
            .map(|(key, tally)| Alert {
                indicator: key.indicator,
                observable: key.observable,
                value: key.value.render(),
                flow: key.flow,
                first_seen_ns: tally.first_seen_ns,
                last_seen_ns: tally.last_seen_ns,
                count: tally.count,
            })
            .collect()
    }
}

/// Matches a batch of events.
pub fn match_events<'a>(
    set: &IndicatorSet,
    events: impl IntoIterator<Item = &'a Event>,
) -> Vec<Alert> {
    let mut matcher = Matcher::new(set);
    for event in events {
        matcher.event(event);
    }
    matcher.finish()
}

fn match_flow(
    set: &IndicatorSet,
    misses: &mut Misses,
    flow: &Flow,
    hits: &mut Vec<(Observable, u32, Seen)>,
) {
    let tuple = &flow.tuple;
    // The addresses are read through references, four bytes of an IPv4
    // one: copying each `IpAddr` whole loaded sixteen bytes that the
    // parser had just written in smaller pieces, a load the CPU cannot
    // forward from those stores, which stalled it on every flow.
    for (observable, ip) in [
        (Observable::SrcIp, &tuple.src),
        (Observable::DstIp, &tuple.dst),
    ] {
        let &IpAddr::V4(v4) = ip else {
            address(set, observable, *ip, hits);
            continue;
        };
        let bits = v4.to_bits();
        if !set.ipv4_possible(bits) || misses.known(bits) {
            continue;
        }
        let before = hits.len();
        address(set, observable, IpAddr::V4(v4), hits);
        if hits.len() == before {
            misses.remember(bits);
        }
    }
    if tuple.src_port != 0 || tuple.dst_port != 0 {
        set.port_matches(tuple.src_port, |id| {
            hits.push((Observable::SrcPort, id, Seen::Port(tuple.src_port)))
        });
        set.port_matches(tuple.dst_port, |id| {
            hits.push((Observable::DstPort, id, Seen::Port(tuple.dst_port)))
        });
    }
}

fn address(
    set: &IndicatorSet,
    observable: Observable,
    ip: IpAddr,
    hits: &mut Vec<(Observable, u32, Seen)>,
) {
    set.ip_matches(ip, |id| hits.push((observable, id, Seen::Ip(ip))));
}

fn domain(
    set: &IndicatorSet,
    observable: Observable,
    name: &str,
    hits: &mut Vec<(Observable, u32, Seen)>,
) {
    set.domain_matches(name, |id| {
        hits.push((observable, id, Seen::Text(name.to_string())));
    });
}

/// A Host header without its port (`[v6]:port` keeps the address).
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|it| it.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}
