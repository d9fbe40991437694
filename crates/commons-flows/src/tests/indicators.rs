//! Indicator indexes: exact addresses, nested blocks, domains and their
//! subdomains, URLs, ports and hashes; memory per indicator.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::indicators::{
    Indicator, IndicatorError, IndicatorKind, IndicatorSet, Rejected, normalize_url,
};

fn set(kinds: Vec<IndicatorKind>) -> IndicatorSet {
    let indicators = kinds.into_iter().enumerate().map(|(id, kind)| Indicator {
        id: id as u32 + 1,
        kind,
    });
    let (set, rejected) = IndicatorSet::build(indicators);
    assert_eq!(rejected, []);
    set
}

fn v4(text: &str) -> Ipv4Addr {
    text.parse().unwrap()
}

fn cidr4(text: &str) -> IndicatorKind {
    let (network, prefix) = text.split_once('/').unwrap();
    IndicatorKind::Cidr4(v4(network), prefix.parse().unwrap())
}

#[track_caller]
fn check_ip(set: &IndicatorSet, address: &str, expect: &[u32]) {
    let mut ids = Vec::new();
    set.ip_matches(address.parse::<IpAddr>().unwrap(), |id| ids.push(id));
    ids.sort_unstable();
    assert_eq!(ids, expect, "{address}");
}

#[test]
fn exact_ipv4_with_duplicates() {
    let set = set(vec![
        IndicatorKind::Ipv4(v4("198.51.100.7")),
        IndicatorKind::Ipv4(v4("203.0.113.9")),
        IndicatorKind::Ipv4(v4("198.51.100.7")),
    ]);
    check_ip(&set, "198.51.100.7", &[1, 3]);
    check_ip(&set, "203.0.113.9", &[2]);
    check_ip(&set, "198.51.100.8", &[]);
    check_ip(&set, "0.0.0.0", &[]);
    check_ip(&set, "255.255.255.255", &[]);
}

#[test]
fn nested_blocks_all_match() {
    let set = set(vec![
        cidr4("10.0.0.0/8"),
        cidr4("10.1.0.0/16"),
        cidr4("10.1.2.0/24"),
        cidr4("10.1.2.0/24"),
        cidr4("10.2.0.0/16"),
        cidr4("255.255.255.0/24"),
        cidr4("10.1.2.77/32"),
        // Host bits are ignored.
        cidr4("192.0.2.99/25"),
    ]);
    check_ip(&set, "10.1.2.3", &[1, 2, 3, 4]);
    check_ip(&set, "10.1.2.77", &[1, 2, 3, 4, 7]);
    check_ip(&set, "10.1.3.0", &[1, 2]);
    check_ip(&set, "10.2.255.255", &[1, 5]);
    check_ip(&set, "10.3.0.0", &[1]);
    check_ip(&set, "9.255.255.255", &[]);
    check_ip(&set, "11.0.0.0", &[]);
    check_ip(&set, "255.255.255.255", &[6]);
    check_ip(&set, "255.255.254.255", &[]);
    check_ip(&set, "192.0.2.0", &[8]);
    check_ip(&set, "192.0.2.127", &[8]);
    check_ip(&set, "192.0.2.128", &[]);
}

#[test]
fn blocks_across_sixteen_bit_networks_match_at_both_ends() {
    // The prefilter keeps one bit per /16: a block spanning several must
    // mark each, and a small block or an address only its own.
    let set = set(vec![
        cidr4("172.16.255.0/23"),
        cidr4("100.63.255.240/28"),
        cidr4("198.18.0.0/15"),
        IndicatorKind::Ipv4(v4("192.0.2.1")),
    ]);
    check_ip(&set, "172.16.255.255", &[1]);
    check_ip(&set, "172.17.0.0", &[]);
    check_ip(&set, "172.16.254.0", &[1]);
    check_ip(&set, "172.16.253.255", &[]);
    check_ip(&set, "100.63.255.255", &[2]);
    check_ip(&set, "100.64.0.0", &[]);
    check_ip(&set, "198.18.0.0", &[3]);
    check_ip(&set, "198.19.255.255", &[3]);
    check_ip(&set, "198.20.0.0", &[]);
    check_ip(&set, "198.17.255.255", &[]);
    check_ip(&set, "192.0.2.1", &[4]);
    check_ip(&set, "192.0.2.2", &[]);
    check_ip(&set, "192.1.2.1", &[]);
}

#[test]
fn everything_block_and_exact_together() {
    let set = set(vec![cidr4("0.0.0.0/0"), IndicatorKind::Ipv4(v4("1.2.3.4"))]);
    check_ip(&set, "1.2.3.4", &[1, 2]);
    check_ip(&set, "200.1.1.1", &[1]);
}

#[test]
fn ipv6_exact_and_blocks() {
    let v6 = |text: &str| text.parse::<Ipv6Addr>().unwrap();
    let set = set(vec![
        IndicatorKind::Ipv6(v6("2001:db8::1")),
        IndicatorKind::Cidr6(v6("2001:db8::"), 32),
        IndicatorKind::Cidr6(v6("2001:db8:1::"), 48),
        IndicatorKind::Cidr6(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00"), 120),
    ]);
    check_ip(&set, "2001:db8::1", &[1, 2]);
    check_ip(&set, "2001:db8:1::5", &[2, 3]);
    check_ip(&set, "2001:db9::", &[]);
    check_ip(&set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &[4]);
    // An IPv4 address never matches IPv6 indicators.
    check_ip(&set, "0.0.0.1", &[]);
}

#[test]
fn invalid_indicators_are_all_reported() {
    let indicators = [
        (1, IndicatorKind::Cidr4(v4("10.0.0.0"), 33)),
        (2, IndicatorKind::Cidr6(Ipv6Addr::UNSPECIFIED, 129)),
        (3, IndicatorKind::Domain("bad domain.example".into())),
        (4, IndicatorKind::Domain("a..b".into())),
        (5, IndicatorKind::Url("/no/host".into())),
        (6, IndicatorKind::FileHash("xyz".into())),
        (7, IndicatorKind::Ipv4(v4("192.0.2.1"))),
    ];
    let (set, rejected) = IndicatorSet::build(
        indicators
            .into_iter()
            .map(|(id, kind)| Indicator { id, kind }),
    );
    assert_eq!(
        rejected,
        [
            Rejected {
                id: 1,
                error: IndicatorError::PrefixTooLong {
                    prefix: 33,
                    max: 32
                }
            },
            Rejected {
                id: 2,
                error: IndicatorError::PrefixTooLong {
                    prefix: 129,
                    max: 128
                }
            },
            Rejected {
                id: 3,
                error: IndicatorError::InvalidDomain("bad domain.example".into())
            },
            Rejected {
                id: 4,
                error: IndicatorError::InvalidDomain("a..b".into())
            },
            Rejected {
                id: 5,
                error: IndicatorError::InvalidUrl("/no/host".into())
            },
            Rejected {
                id: 6,
                error: IndicatorError::InvalidHash("xyz".into())
            },
        ]
    );
    assert_eq!(set.len(), 1);
    assert_eq!(
        rejected[0].error.to_string(),
        "prefix length 33 is longer than 32 bits"
    );
}

#[track_caller]
fn check_domain(set: &IndicatorSet, name: &str, expect: &[u32]) {
    let mut ids = Vec::new();
    set.domain_matches(name, |id| ids.push(id));
    ids.sort_unstable();
    assert_eq!(ids, expect, "{name}");
}

#[test]
fn domains_match_themselves_and_names_below() {
    let set = set(vec![
        IndicatorKind::Domain("evil.example".into()),
        IndicatorKind::Domain("Deep.Sub.Evil.Example.".into()),
        IndicatorKind::Domain("*.wild.example".into()),
        IndicatorKind::Domain("tk".into()),
    ]);
    check_domain(&set, "evil.example", &[1]);
    check_domain(&set, "WWW.EVIL.EXAMPLE.", &[1]);
    check_domain(&set, "a.deep.sub.evil.example", &[1, 2]);
    check_domain(&set, "sub.evil.example", &[1]);
    check_domain(&set, "notevil.example", &[]);
    check_domain(&set, "evil.example.com", &[]);
    check_domain(&set, "x.wild.example", &[3]);
    check_domain(&set, "wild.example", &[3]);
    check_domain(&set, "free.tk", &[4]);
    check_domain(&set, "", &[]);
    check_domain(&set, ".", &[]);
    check_domain(&set, &"a.".repeat(200), &[]);
}

#[test]
fn urls_are_normalised_on_both_sides() {
    let check = |url: &str, expect: Option<&str>| {
        assert_eq!(normalize_url(url).as_deref(), expect, "{url}")
    };
    check(
        "http://Evil.Example/path?q=1#frag",
        Some("evil.example/path?q=1"),
    );
    check("HTTPS://user:pw@evil.example:443", Some("evil.example/"));
    check("evil.example:8080/a", Some("evil.example:8080/a"));
    check("evil.example?x", Some("evil.example/?x"));
    check("http:///nohost", None);
    let set = set(vec![
        IndicatorKind::Url("http://evil.example/payload.exe".into()),
        IndicatorKind::Url("evil.example/".into()),
    ]);
    let matches = |host: &str, target: &str| {
        let mut ids = Vec::new();
        set.url_matches(host, target, |id| ids.push(id));
        ids.sort_unstable();
        ids
    };
    assert_eq!(matches("EVIL.example:80", "/payload.exe"), [1]);
    assert_eq!(matches("evil.example", "/"), [2]);
    assert_eq!(matches("proxy", "http://evil.example/payload.exe"), [1]);
    assert_eq!(matches("evil.example", "/payload.exe?x"), Vec::<u32>::new());
}

#[test]
fn ports_and_hashes() {
    let sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    let set = set(vec![
        IndicatorKind::Port(4444),
        IndicatorKind::FileHash(sha256.into()),
        IndicatorKind::Port(4444),
    ]);
    let mut ports = Vec::new();
    set.port_matches(4444, |id| ports.push(id));
    set.port_matches(4445, |id| ports.push(id));
    assert_eq!(ports, [1, 3]);
    let mut hashes = Vec::new();
    set.hash_matches(&sha256.to_lowercase(), |id| hashes.push(id));
    set.hash_matches(&sha256[1..], |id| hashes.push(id));
    assert_eq!(hashes, [2]);
}

#[test]
fn counts_and_memory_per_indicator() {
    let mut kinds = Vec::new();
    for n in 0..100_000u32 {
        kinds.push(IndicatorKind::Ipv4(Ipv4Addr::from(
            n.wrapping_mul(2_654_435_761),
        )));
        kinds.push(IndicatorKind::Domain(format!(
            "host{n}.example{}.com",
            n % 97
        )));
    }
    for n in 0..10_000u32 {
        kinds.push(IndicatorKind::Cidr4(Ipv4Addr::from(n << 12), 20));
    }
    let set = set(kinds);
    let counts = set.counts();
    assert_eq!(
        (counts.ipv4, counts.domains, counts.cidr4),
        (100_000, 100_000, 10_000)
    );
    assert_eq!(set.len(), 210_000);
    let memory = set.memory();
    let per_ipv4 = (memory.ipv4 + memory.ipv4_filter) as f64 / 100_000.0;
    let per_domain = memory.domains as f64 / 100_000.0;
    assert!(per_ipv4 <= 40.0, "{per_ipv4} bytes per IPv4 indicator");
    assert!(per_domain <= 100.0, "{per_domain} bytes per domain");
    assert_eq!(
        memory.total(),
        memory.ipv4
            + memory.ipv4_filter
            + memory.cidr4
            + memory.domains
            + memory.ipv6
            + memory.cidr6
            + memory.urls
            + memory.ports
            + memory.hashes
    );
}

mod properties {
    use std::net::{IpAddr, Ipv4Addr};

    use proptest::prelude::*;

    use crate::indicators::{Indicator, IndicatorKind, IndicatorSet};

    /// Blocks drawn from a small corner of the address space so they nest and touch.
    fn block() -> impl Strategy<Value = (u32, u8)> {
        (0u32..4096, 20u8..=32).prop_map(|(low, prefix)| (0x0a00_0000 | low, prefix))
    }

    proptest! {
        #[test]
        fn ipv4_lookups_equal_a_linear_scan(
            blocks in proptest::collection::vec(block(), 0..40),
            exact in proptest::collection::vec(0x0a00_0000u32..0x0a00_1000, 0..20),
            probes in proptest::collection::vec(0x09ff_ff00u32..0x0a00_1100, 1..60),
        ) {
            let mut indicators = Vec::new();
            for (n, &(network, prefix)) in blocks.iter().enumerate() {
                indicators.push(Indicator { id: n as u32, kind: IndicatorKind::Cidr4(Ipv4Addr::from(network), prefix) });
            }
            for (n, &address) in exact.iter().enumerate() {
                indicators.push(Indicator { id: 1000 + n as u32, kind: IndicatorKind::Ipv4(Ipv4Addr::from(address)) });
            }
            let (set, rejected) = IndicatorSet::build(indicators.clone());
            prop_assert!(rejected.is_empty());
            for probe in probes {
                let mut found = Vec::new();
                set.ip_matches(IpAddr::V4(Ipv4Addr::from(probe)), |id| found.push(id));
                found.sort_unstable();
                let mut expected: Vec<u32> = indicators
                    .iter()
                    .filter(|it| match it.kind {
                        IndicatorKind::Cidr4(network, prefix) => {
                            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
                            probe & mask == network.to_bits() & mask
                        }
                        IndicatorKind::Ipv4(address) => address.to_bits() == probe,
                        _ => false,
                    })
                    .map(|it| it.id)
                    .collect();
                expected.sort_unstable();
                prop_assert_eq!(found, expected, "probe {}", Ipv4Addr::from(probe));
            }
        }

        #[test]
        fn domain_lookups_equal_a_suffix_scan(
            domains in proptest::collection::vec("[ab]{1,2}(\\.[ab]{1,2}){0,3}", 1..20),
            names in proptest::collection::vec("[abAB]{1,2}(\\.[ab]{1,2}){0,4}\\.?", 1..30),
        ) {
            let indicators: Vec<Indicator> = domains
                .iter()
                .enumerate()
                .map(|(n, it)| Indicator { id: n as u32, kind: IndicatorKind::Domain(it.clone()) })
                .collect();
            let (set, rejected) = IndicatorSet::build(indicators);
            prop_assert!(rejected.is_empty());
            for name in names {
                let mut found = Vec::new();
                set.domain_matches(&name, |id| found.push(id));
                found.sort_unstable();
                let lower = name.trim_end_matches('.').to_ascii_lowercase();
                let expected: Vec<u32> = domains
                    .iter()
                    .enumerate()
                    .filter(|(_, domain)| lower == **domain || lower.ends_with(&format!(".{domain}")))
                    .map(|(n, _)| n as u32)
                    .collect();
                prop_assert_eq!(found, expected, "name {}", name);
            }
        }
    }
}
