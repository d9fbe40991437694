//! The compiled matcher gives the evaluator's answers, faster.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::matcher::{MatcherBuilder, Observable, PatternId};
use crate::{CompiledPattern, Observation, Timestamp, evaluate, parse_pattern};

fn observation(objects: &[Value]) -> Observation {
    Observation::new(
        Timestamp::from_unix(1_450_000_000, 0).expect("in range"),
        objects
            .iter()
            .enumerate()
            .map(|(idx, object)| (idx.to_string(), object.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn matcher(patterns: &[&str]) -> crate::Matcher {
    let mut builder = MatcherBuilder::new();
    for pattern in patterns {
        builder.add(&parse_pattern(pattern).expect("valid"));
    }
    builder.build()
}

#[track_caller]
fn check(patterns: &[&str], objects: &[Value], expect: &[PatternId]) {
    let matcher = matcher(patterns);
    let mut found = Vec::new();
    matcher.match_observation(&observation(objects), &mut found);
    assert_eq!(found, expect);
}

#[test]
fn indexes_the_common_shapes() {
    let patterns = [
        "[ipv4-addr:value = '198.51.100.1']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[ipv4-addr:value ISSUBSET '198.0.0.0/8']",
        "[domain-name:value = 'evil.example.com']",
        "[url:value = 'http://evil.example.com/x' OR url:value = 'http://evil.example.com/y']",
        "[file:hashes.'SHA-256' IN ('aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f')]",
        "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
        "[ipv4-addr:value = '198.51.100.1']",
        "[ipv4-addr:value = '10.0.0.0/8']",
    ];
    let matcher = matcher(&patterns);
    assert_eq!(matcher.stats().indexed, 9);
    assert_eq!(matcher.stats().evaluated, 0);
    check(
        &patterns,
        &[json!({"type": "ipv4-addr", "value": "198.51.100.1"})],
        &[0, 1, 2, 7],
    );
    check(
        &patterns,
        &[json!({"type": "ipv4-addr", "value": "198.51.100.0/25"})],
        &[1, 2],
    );
    check(
        &patterns,
        &[json!({"type": "ipv4-addr", "value": "198.51.0.0/16"})],
        &[2],
    );
    check(
        &patterns,
        &[json!({"type": "ipv4-addr", "value": "10.0.0.0/8"})],
        &[8],
    );
    check(
        &patterns,
        &[json!({"type": "domain-name", "value": "evil.example.com"})],
        &[3],
    );
    check(
        &patterns,
        &[json!({"type": "domain-name", "value": "EVIL.example.com"})],
        &[],
    );
    check(
        &patterns,
        &[json!({"type": "url", "value": "http://evil.example.com/y"})],
        &[4],
    );
    check(
        &patterns,
        &[
            json!({"type": "file", "hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}}),
        ],
        &[5],
    );
    check(
        &patterns,
        &[json!({"type": "ipv6-addr", "value": "2001:db8::1"})],
        &[6],
    );
    check(
        &patterns,
        &[
            json!({"type": "ipv4-addr", "value": "198.1.1.1"}),
            json!({"type": "domain-name", "value": "evil.example.com"}),
        ],
        &[2, 3],
    );
    check(&patterns, &[json!({"type": "ipv4-addr", "value": 7})], &[]);
}

#[test]
fn other_single_observation_patterns_are_evaluated() {
    let patterns = [
        "[network-traffic:dst_ref.value = '198.51.100.1']",
        "[ipv4-addr:value NOT = '198.51.100.1']",
        "[file:name = 'a' AND file:size = 5]",
        "[ipv4-addr:value = '198.51.100.1']",
    ];
    let matcher = matcher(&patterns);
    assert_eq!(matcher.stats().indexed, 1);
    assert_eq!(matcher.stats().evaluated, 3);
    check(
        &patterns,
        &[
            json!({"type": "network-traffic", "dst_ref": "1", "protocols": ["tcp"]}),
            json!({"type": "ipv4-addr", "value": "198.51.100.1"}),
        ],
        &[0, 3],
    );
    check(
        &patterns,
        &[json!({"type": "ipv4-addr", "value": "198.51.100.2"})],
        &[1],
    );
    check(
        &patterns,
        &[json!({"type": "file", "name": "a", "size": 5})],
        &[2],
    );
}

#[test]
fn multi_observation_patterns_need_the_set() {
    let patterns = [
        "[ipv4-addr:value = '198.51.100.1'] AND [domain-name:value = 'x.example']",
        "[ipv4-addr:value = '198.51.100.1']",
    ];
    let matcher = matcher(&patterns);
    assert_eq!(matcher.stats().multi_observation, 1);
    let observations = [
        observation(&[json!({"type": "ipv4-addr", "value": "198.51.100.1"})]),
        observation(&[json!({"type": "domain-name", "value": "x.example"})]),
    ];
    assert_eq!(matcher.match_observations(&observations), [0, 1]);
    assert_eq!(matcher.match_observations(&observations[..1]), [1]);
}

#[test]
fn typed_lookups() {
    let patterns = [
        "[ipv4-addr:value = '198.51.100.1']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "[domain-name:value = 'evil.example.com']",
        "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
        "[ipv6-addr:value = '2001:db8::1']",
        "[email-addr:value = 'a@b.example']",
        "[url:value = 'http://x.example/']",
        "[domain-name:value LIKE '%.evil.example']",
    ];
    let matcher = matcher(&patterns);
    let lookup = |observable| -> Vec<PatternId> {
        let mut found = Vec::new();
        matcher.lookup(observable, &mut found);
        found
    };
    assert_eq!(
        lookup(Observable::Ipv4(Ipv4Addr::new(198, 51, 100, 1))),
        [0, 1]
    );
    assert_eq!(
        lookup(Observable::Ipv4(Ipv4Addr::new(198, 51, 100, 2))),
        [1]
    );
    assert_eq!(
        lookup(Observable::Ipv4(Ipv4Addr::new(198, 51, 101, 1))),
        Vec::<PatternId>::new()
    );
    assert_eq!(lookup(Observable::DomainName("evil.example.com")), [2]);
    assert_eq!(lookup(Observable::DomainName("a.evil.example")), [7]);
    assert_eq!(
        lookup(Observable::FileHash {
            algorithm: "MD5",
            value: "cead3f77f6cda6ec00f57d76c9a6879f"
        }),
        [3]
    );
    assert_eq!(
        lookup(Observable::FileHash {
            algorithm: "SHA-1",
            value: "cead3f77f6cda6ec00f57d76c9a6879f"
        }),
        Vec::<PatternId>::new()
    );
    assert_eq!(
        lookup(Observable::Ipv6(
            "2001:db8::1".parse::<Ipv6Addr>().expect("valid")
        )),
        [4]
    );
    assert_eq!(lookup(Observable::EmailAddr("a@b.example")), [5]);
    assert_eq!(lookup(Observable::Url("http://x.example/")), [6]);
}

// Random patterns and observations over a small universe, so hits are
// common: the matcher must agree with evaluating every pattern.

const ADDRESSES: &[&str] = &[
    "10.0.0.1",
    "10.0.0.2",
    "10.1.2.3",
    "192.0.2.1",
    "10.0.0.0/24",
    "010.0.0.1",
];
const BLOCKS: &[&str] = &[
    "10.0.0.0/8",
    "10.0.0.0/24",
    "10.0.0.0/30",
    "10.1.0.0/16",
    "192.0.2.0/24",
    "0.0.0.0/0",
    "10.0.0.1",
    "bad",
];
const NAMES: &[&str] = &["a.example", "b.example", "c.example"];

fn random_test() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(ADDRESSES).prop_map(|it| format!("ipv4-addr:value = '{it}'")),
        prop::sample::select(BLOCKS).prop_map(|it| format!("ipv4-addr:value ISSUBSET '{it}'")),
        prop::sample::select(NAMES).prop_map(|it| format!("domain-name:value = '{it}'")),
        prop::collection::vec(prop::sample::select(NAMES), 0..3).prop_map(|it| format!(
            "domain-name:value IN ({})",
            it.iter()
                .map(|name| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        prop::sample::select(NAMES).prop_map(|it| format!("domain-name:value != '{it}'")),
        prop::sample::select(BLOCKS).prop_map(|it| format!("ipv4-addr:value ISSUPERSET '{it}'")),
        prop::sample::select(ADDRESSES)
            .prop_map(|it| format!("network-traffic:dst_ref.value = '{it}'")),
    ]
}

fn random_pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(random_test(), 1..4).prop_map(|tests| format!("[{}]", tests.join(" OR ")))
}

fn random_object() -> impl Strategy<Value = Vec<Value>> {
    prop_oneof![
        prop::sample::select(ADDRESSES)
            .prop_map(|it| vec![json!({"type": "ipv4-addr", "value": it})]),
        prop::sample::select(NAMES)
            .prop_map(|it| vec![json!({"type": "domain-name", "value": it})]),
        prop::sample::select(ADDRESSES).prop_map(|it| vec![
            json!({"type": "network-traffic", "dst_ref": "1", "protocols": ["tcp"]}),
            json!({"type": "ipv4-addr", "value": it}),
        ]),
    ]
}

proptest! {
    #[test]
    fn agrees_with_the_evaluator(
        patterns in prop::collection::vec(random_pattern(), 1..12),
        observations in prop::collection::vec(random_object(), 1..6),
    ) {
        let parsed: Vec<_> = patterns.iter().map(|it| parse_pattern(it).expect("valid")).collect();
        let mut builder = MatcherBuilder::new();
        for pattern in &parsed {
            builder.add(pattern);
        }
        let matcher = builder.build();
        for objects in &observations {
            let observation = observation(objects);
            let mut found = Vec::new();
            matcher.match_observation(&observation, &mut found);
            let expected: Vec<PatternId> = parsed
                .iter()
                .enumerate()
                .filter(|(_, pattern)| evaluate(pattern, std::slice::from_ref(&observation)).matched)
                .map(|(idx, _)| idx as PatternId)
                .collect();
            prop_assert_eq!(&found, &expected, "{:?} on {:?}", patterns, objects);
            if let [object] = objects.as_slice()
                && let Some(addr) = object["value"].as_str().and_then(|it| it.parse::<Ipv4Addr>().ok())
            {
                let mut typed = Vec::new();
                matcher.lookup(Observable::Ipv4(addr), &mut typed);
                prop_assert_eq!(&typed, &expected);
            }
            if let [object] = objects.as_slice()
                && object["type"] == "domain-name"
            {
                let mut typed = Vec::new();
                matcher.lookup(Observable::DomainName(object["value"].as_str().unwrap_or_default()), &mut typed);
                prop_assert_eq!(&typed, &expected);
            }
        }
        let single: Vec<bool> = parsed.iter().map(|it| CompiledPattern::new(it).is_single_observation()).collect();
        prop_assert!(single.iter().all(|it| *it));
    }
}
