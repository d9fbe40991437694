//! Alerts: which observable matched, aggregation per flow, and the batch API.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::event::{
    Direction, DnsAnswer, DnsEvent, Event, FiveTuple, Flow, HashEvent, HttpEvent, TlsEvent,
};
use crate::indicators::{Indicator, IndicatorKind, IndicatorSet};
use crate::matching::{Alert, Observable, match_events};

fn tuple(src: [u8; 4], src_port: u16, dst: [u8; 4], dst_port: u16) -> FiveTuple {
    FiveTuple {
        proto: 6,
        src: IpAddr::V4(Ipv4Addr::from(src)),
        src_port,
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        dst_port,
    }
}

fn render(alert: &Alert) -> String {
    format!(
        "#{} {} {} on {} x{} {}..{}",
        alert.indicator,
        alert.observable,
        alert.value,
        alert.flow,
        alert.count,
        alert.first_seen_ns,
        alert.last_seen_ns
    )
}

/// The set of `indicators`, numbered from 1.
fn numbered(indicators: Vec<IndicatorKind>) -> IndicatorSet {
    let indicators = indicators
        .into_iter()
        .enumerate()
        .map(|(n, kind)| Indicator {
            id: n as u32 + 1,
            kind,
        });
    let (set, rejected) = IndicatorSet::build(indicators);
    assert!(rejected.is_empty(), "{rejected:?}");
    set
}

#[track_caller]
fn check(indicators: Vec<IndicatorKind>, events: &[Event], expect: &[&str]) {
    let set = numbered(indicators);
    let alerts: Vec<String> = match_events(&set, events).iter().map(render).collect();
    assert_eq!(alerts, expect);
}

fn flow(tuple: FiveTuple, first: i64, last: i64) -> Event {
    Event::Flow(Flow {
        tuple,
        first_seen_ns: first,
        last_seen_ns: last,
        orig: Direction::default(),
        resp: Direction::default(),
    })
}

#[test]
fn flows_match_on_addresses_and_ports() {
    let web = tuple([10, 0, 0, 1], 40000, [203, 0, 113, 5], 4444);
    check(
        vec![
            IndicatorKind::Ipv4(Ipv4Addr::new(203, 0, 113, 5)),
            IndicatorKind::Cidr4(Ipv4Addr::new(10, 0, 0, 0), 8),
            IndicatorKind::Port(4444),
        ],
        &[flow(web, 10, 20)],
        &[
            "#2 src_ip 10.0.0.1 on tcp 10.0.0.1:40000 -> 203.0.113.5:4444 x1 10..20",
            "#1 dst_ip 203.0.113.5 on tcp 10.0.0.1:40000 -> 203.0.113.5:4444 x1 10..20",
            "#3 dst_port 4444 on tcp 10.0.0.1:40000 -> 203.0.113.5:4444 x1 10..20",
        ],
    );
}

#[test]
fn dns_query_cname_and_answers() {
    let resolver = FiveTuple {
        proto: 17,
        ..tuple([10, 0, 0, 1], 5353, [192, 0, 2, 53], 53)
    };
    let query = |is_response: bool, ts_ns: i64, answers: Vec<DnsAnswer>| {
        Event::Dns(DnsEvent {
            tuple: resolver,
            ts_ns,
            is_response,
            query: "www.Evil.example".into(),
            qtype: 1,
            answers,
        })
    };
    check(
        vec![
            IndicatorKind::Domain("evil.example".into()),
            IndicatorKind::Domain("cdn.example".into()),
            IndicatorKind::Ipv4(Ipv4Addr::new(198, 51, 100, 1)),
        ],
        &[
            query(false, 5, vec![]),
            query(
                true,
                7,
                vec![
                    DnsAnswer::Cname("edge.cdn.example".into()),
                    DnsAnswer::A(Ipv4Addr::new(198, 51, 100, 1)),
                ],
            ),
        ],
        &[
            "#1 dns_query www.Evil.example on udp 10.0.0.1:5353 -> 192.0.2.53:53 x2 5..7",
            "#2 dns_cname edge.cdn.example on udp 10.0.0.1:5353 -> 192.0.2.53:53 x1 7..7",
            "#3 dns_answer 198.51.100.1 on udp 10.0.0.1:5353 -> 192.0.2.53:53 x1 7..7",
        ],
    );
}

#[test]
fn tls_http_and_hashes() {
    let client = tuple([10, 0, 0, 1], 40000, [192, 0, 2, 80], 80);
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    check(
        vec![
            IndicatorKind::Domain("evil.example".into()),
            IndicatorKind::Url("http://shop.example/cart".into()),
            IndicatorKind::FileHash(sha1.to_uppercase()),
        ],
        &[
            Event::Tls(TlsEvent {
                tuple: client,
                ts_ns: 1,
                sni: "login.evil.example".into(),
            }),
            Event::Http(HttpEvent {
                tuple: client,
                ts_ns: 2,
                method: "GET".into(),
                host: Some("evil.example:8080".into()),
                uri: "/".into(),
            }),
            Event::Http(HttpEvent {
                tuple: client,
                ts_ns: 3,
                method: "GET".into(),
                host: Some("Shop.Example".into()),
                uri: "/cart".into(),
            }),
            Event::Hash(HashEvent {
                tuple: client,
                ts_ns: 4,
                hash: sha1.into(),
            }),
        ],
        &[
            "#1 tls_sni login.evil.example on tcp 10.0.0.1:40000 -> 192.0.2.80:80 x1 1..1",
            "#1 http_host evil.example on tcp 10.0.0.1:40000 -> 192.0.2.80:80 x1 2..2",
            "#2 http_url http://Shop.Example/cart on tcp 10.0.0.1:40000 -> 192.0.2.80:80 x1 3..3",
            "#3 file_hash da39a3ee5e6b4b0d3255bfef95601890afd80709 on tcp 10.0.0.1:40000 -> 192.0.2.80:80 x1 4..4",
        ],
    );
}

#[test]
fn no_indicators_no_alerts() {
    check(
        vec![],
        &[flow(tuple([1, 1, 1, 1], 1, [2, 2, 2, 2], 2), 0, 0)],
        &[],
    );
}

#[test]
fn observable_names_are_stable() {
    let all = [
        Observable::SrcIp,
        Observable::DstIp,
        Observable::SrcPort,
        Observable::DstPort,
        Observable::DnsQuery,
        Observable::DnsCname,
        Observable::DnsAnswer,
        Observable::TlsSni,
        Observable::HttpHost,
        Observable::HttpUrl,
        Observable::FileHash,
    ];
    let names: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "src_ip",
            "dst_ip",
            "src_port",
            "dst_port",
            "dns_query",
            "dns_cname",
            "dns_answer",
            "tls_sni",
            "http_host",
            "http_url",
            "file_hash"
        ]
    );
}

/// The alerts `events` (flows only) raise when every address and port is
/// looked up in the set itself: what the matcher's miss table must not
/// change.
fn looked_up(set: &IndicatorSet, events: &[Event]) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = Vec::new();
    let mut index = HashMap::new();
    for event in events {
        let Event::Flow(flow) = event else {
            unreachable!("only flows here")
        };
        let tuple = flow.tuple;
        let mut hits = Vec::new();
        set.ip_matches(tuple.src, |id| {
            hits.push((id, Observable::SrcIp, tuple.src.to_string()))
        });
        set.ip_matches(tuple.dst, |id| {
            hits.push((id, Observable::DstIp, tuple.dst.to_string()))
        });
        set.port_matches(tuple.src_port, |id| {
            hits.push((id, Observable::SrcPort, tuple.src_port.to_string()))
        });
        set.port_matches(tuple.dst_port, |id| {
            hits.push((id, Observable::DstPort, tuple.dst_port.to_string()))
        });
        for (indicator, observable, value) in hits {
            let key = (indicator, observable, value.clone(), tuple);
            match index.get(&key) {
                Some(&at) => {
                    let alert: &mut Alert = &mut alerts[at];
                    alert.count += 1;
                    alert.first_seen_ns = alert.first_seen_ns.min(flow.first_seen_ns);
                    alert.last_seen_ns = alert.last_seen_ns.max(flow.last_seen_ns);
                }
                None => {
                    index.insert(key, alerts.len());
                    alerts.push(Alert {
                        indicator,
                        observable,
                        value,
                        flow: tuple,
                        first_seen_ns: flow.first_seen_ns,
                        last_seen_ns: flow.last_seen_ns,
                        count: 1,
                    });
                }
            }
        }
    }
    alerts
}

#[test]
fn remembered_misses_never_hide_a_match() {
    // 300,000 addresses against the matcher's 65,536 remembered misses:
    // most slots are shared by several addresses, matching and not, and
    // each address comes back several times (after others took its slot).
    let mut rng = crate::generate::Rng::new(7);
    let addresses: Vec<u32> = (0..300_000).map(|_| rng.next_u64() as u32).collect();
    let mut indicators: Vec<IndicatorKind> = addresses
        .iter()
        .step_by(3)
        .map(|&address| IndicatorKind::Ipv4(Ipv4Addr::from_bits(address)))
        .collect();
    // A block covering a few of the others, and the address whose mix is
    // 0 (it is never remembered, and must still be looked up).
    indicators.push(IndicatorKind::Cidr4(
        Ipv4Addr::from_bits(addresses[1] & 0xffff_ff00),
        24,
    ));
    indicators.push(IndicatorKind::Ipv4(Ipv4Addr::UNSPECIFIED));
    let set = numbered(indicators);
    let events: Vec<Event> = (0..200_000i64)
        .map(|n| {
            let mut pick = || addresses[rng.below(addresses.len() as u64) as usize];
            let (src, dst) = if n % 1000 == 0 {
                (0, pick())
            } else {
                (pick(), pick())
            };
            flow(
                tuple(src.to_be_bytes(), 40000, dst.to_be_bytes(), 443),
                n,
                n,
            )
        })
        .collect();
    let alerts = match_events(&set, &events);
    assert!(alerts.len() > 100_000, "{} alerts", alerts.len());
    let expected = looked_up(&set, &events);
    // The first difference, rather than two lists of 100,000 alerts.
    let differ = alerts
        .iter()
        .zip(&expected)
        .position(|(it, expect)| it != expect);
    if let Some(at) = differ {
        panic!("alert {at}: {:?}, expected {:?}", alerts[at], expected[at]);
    }
    assert_eq!(alerts.len(), expected.len());
}
