//! The evaluator: comparison semantics on one observation, observation
//! operators and qualifiers over many, and agreement with a brute-force
//! enumeration of bindings on small random cases.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::evaluate::{CompiledPattern, Limits};
use crate::pattern::{ComparisonExpr, ObservationExpr, Qualifier, Seconds};
use crate::{Observation, Timestamp, evaluate, observations_from_json, parse_pattern};

const EPOCH: i64 = 1_450_000_000;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix(EPOCH + seconds, 0).expect("in range")
}

/// An observation from `first` to `last` (seconds after a fixed epoch),
/// seen `count` times, of `objects` keyed "0", "1", …
fn seen(first: i64, last: i64, count: u64, objects: &[Value]) -> Observation {
    Observation {
        id: None,
        first_observed: at(first),
        last_observed: at(last),
        number_observed: count,
        objects: objects
            .iter()
            .enumerate()
            .map(|(idx, object)| (idx.to_string(), object.clone()))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// One observation at second 0 of `objects`.
fn once(objects: &[Value]) -> Observation {
    seen(0, 0, 1, objects)
}

#[track_caller]
fn check(pattern: &str, observations: &[Observation], expect: bool) {
    let pattern = parse_pattern(pattern).unwrap_or_else(|error| panic!("{pattern}: {error}"));
    let evaluation = evaluate(&pattern, observations);
    assert!(!evaluation.exhausted, "{pattern}: exhausted");
    assert_eq!(evaluation.matched, expect, "{pattern}");
}

fn ip(value: &str) -> Value {
    json!({"type": "ipv4-addr", "value": value})
}

fn file(name: &str, size: u64) -> Value {
    json!({"type": "file", "name": name, "size": size})
}

#[test]
fn equality() {
    let observations = [once(&[ip("198.51.100.1")])];
    check("[ipv4-addr:value = '198.51.100.1']", &observations, true);
    check("[ipv4-addr:value = '198.51.100.2']", &observations, false);
    check("[ipv6-addr:value = '198.51.100.1']", &observations, false);
    check("[ipv4-addr:value != '198.51.100.2']", &observations, true);
    check(
        "[ipv4-addr:value NOT = '198.51.100.1']",
        &observations,
        false,
    );
}

#[test]
fn tests_joined_by_and_are_about_one_object() {
    let two_files = [once(&[file("a.exe", 3), file("b.exe", 5)])];
    check("[file:name = 'a.exe' AND file:size = 5]", &two_files, false);
    check("[file:name = 'a.exe' AND file:size = 3]", &two_files, true);
    check("[file:name = 'a.exe' OR file:size = 5]", &two_files, true);
    check(
        "[file:name = 'c.exe' OR ipv4-addr:value = '1.2.3.4']",
        &two_files,
        false,
    );
    check(
        "[file:name = 'b.exe' AND (file:size = 4 OR file:size = 5)]",
        &two_files,
        true,
    );
}

#[test]
fn references_resolve_inside_the_observation() {
    let traffic = json!({"type": "network-traffic", "src_ref": "1", "dst_ref": "2", "protocols": ["tcp"], "dst_port": 443});
    let observations = [once(&[traffic, ip("10.0.0.1"), ip("198.51.100.1")])];
    check(
        "[network-traffic:dst_ref.value = '198.51.100.1']",
        &observations,
        true,
    );
    check(
        "[network-traffic:src_ref.value = '198.51.100.1']",
        &observations,
        false,
    );
    check(
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_port = 443]",
        &observations,
        true,
    );
    let dangling = json!({"type": "network-traffic", "dst_ref": "9", "protocols": ["tcp"]});
    check(
        "[network-traffic:dst_ref.value = '198.51.100.1']",
        &[once(&[dangling])],
        false,
    );
}

#[test]
fn reference_lists_and_indexes() {
    let domain =
        json!({"type": "domain-name", "value": "www.5z8.info", "resolves_to_refs": ["1", "2"]});
    let observations = [once(&[domain, ip("198.51.100.1"), ip("198.51.100.2")])];
    check(
        "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.2']",
        &observations,
        true,
    );
    check(
        "[domain-name:resolves_to_refs[1].value = '198.51.100.2']",
        &observations,
        true,
    );
    check(
        "[domain-name:resolves_to_refs[0].value = '198.51.100.2']",
        &observations,
        false,
    );
    check(
        "[domain-name:resolves_to_refs[-1].value = '198.51.100.2']",
        &observations,
        false,
    );
    check(
        "[domain-name:resolves_to_refs.value = '198.51.100.2']",
        &observations,
        false,
    );
}

#[test]
fn lists_and_nested_keys() {
    let pe = json!({"type": "file", "name": "x.exe", "extensions": {"windows-pebinary-ext": {"sections": [{"entropy": 3.1}, {"entropy": 7.5}]}}});
    let observations = [once(&[pe])];
    check(
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        &observations,
        true,
    );
    check(
        "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.0]",
        &observations,
        false,
    );
    check(
        "[file:extensions.'windows-pebinary-ext'.sections[*].entropy NOT > 7.0]",
        &observations,
        true,
    );
}

#[test]
fn missing_properties_fail_even_when_negated() {
    let observations = [once(&[json!({"type": "file", "name": "a"})])];
    check("[file:size = 5]", &observations, false);
    check("[file:size NOT = 5]", &observations, false);
    check("[file:size != 5]", &observations, false);
    check("[NOT EXISTS file:size]", &observations, true);
    check("[EXISTS file:size]", &observations, false);
    check("[EXISTS file:name]", &observations, true);
    check("[NOT EXISTS file:name]", &observations, false);
}

#[test]
fn mismatched_types_are_unequal_and_unordered() {
    let observations = [once(&[file("a", 5)])];
    check("[file:size = '5']", &observations, false);
    check("[file:size != '5']", &observations, true);
    check("[file:size < 'z']", &observations, false);
    check("[file:size NOT < 'z']", &observations, true);
    check("[file:size = 5.0]", &observations, true);
    check("[file:size > 4.5]", &observations, true);
    check("[file:size <= 5]", &observations, true);
    check("[file:name < 'b']", &observations, true);
    check("[file:name >= 'b']", &observations, false);
}

#[test]
fn sets() {
    let observations = [once(&[
        json!({"type": "network-traffic", "dst_port": 8443, "src_ref": "1", "protocols": ["tcp"]}),
    ])];
    check(
        "[network-traffic:dst_port IN (443, 6443, 8443)]",
        &observations,
        true,
    );
    check(
        "[network-traffic:dst_port NOT IN (443, 6443)]",
        &observations,
        true,
    );
    check("[network-traffic:dst_port IN ()]", &observations, false);
    check(
        "[network-traffic:protocols[*] IN ('udp', 'tcp')]",
        &observations,
        true,
    );
}

#[test]
fn like() {
    let observations = [once(&[file("Final Report.exe", 1)])];
    check("[file:name LIKE 'Final%.exe']", &observations, true);
    check("[file:name LIKE 'final%']", &observations, false);
    check("[file:name LIKE 'Final Report._xe']", &observations, true);
    check("[file:name LIKE 'Final Report.e']", &observations, false);
    check("[file:name LIKE '%.ex_']", &observations, true);
    check(
        "[file:name LIKE 'Final (Report).exe']",
        &observations,
        false,
    );
    check("[file:name NOT LIKE '%.dll']", &observations, true);
}

#[test]
fn matches() {
    let observations = [once(&[
        json!({"type": "email-addr", "value": "jdoe@example.com"}),
    ])];
    check(
        r"[email-addr:value MATCHES '.+\\@example\\.com$']",
        &observations,
        true,
    );
    check("[email-addr:value MATCHES 'example']", &observations, true);
    check(
        "[email-addr:value MATCHES '^example']",
        &observations,
        false,
    );
    check("[email-addr:value MATCHES '(?<=x)y']", &observations, false);
    let pattern = parse_pattern("[email-addr:value MATCHES '(?<=x)y']").expect("valid");
    assert_eq!(evaluate(&pattern, &observations).warnings.len(), 1);
}

#[test]
fn unicode_is_normalized_for_like_and_matches() {
    let forms = ["\u{1e0d}\u{307}", "d\u{323}\u{307}", "\u{1e0b}\u{323}"];
    for stored in forms {
        let observations = [once(&[json!({"type": "x-test", "text": stored})])];
        for written in forms {
            check(
                &format!("[x-test:text LIKE '{written}']"),
                &observations,
                true,
            );
            check(
                &format!("[x-test:text MATCHES '^{written}$']"),
                &observations,
                true,
            );
        }
    }
    let observations = [once(&[json!({"type": "x-test", "text": forms[0]})])];
    check(
        &format!("[x-test:text = '{}']", forms[1]),
        &observations,
        false,
    );
}

#[test]
fn binary_values() {
    let artifact = json!({"type": "artifact", "payload_bin": "1MOyoQIABAA=", "mime_type": "application/vnd.tcpdump.pcap"});
    let observations = [once(&[
        artifact,
        json!({"type": "file", "name": "x", "magic_number_hex": "ffd8"}),
    ])];
    check(
        r"[artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']",
        &observations,
        true,
    );
    check(
        "[artifact:payload_bin MATCHES '^\u{d4}\u{c3}']",
        &observations,
        true,
    );
    check(
        "[artifact:payload_bin = b'1MOyoQIABAA=']",
        &observations,
        true,
    );
    check(
        "[artifact:payload_bin = h'd4c3b2a102000400']",
        &observations,
        true,
    );
    check("[file:magic_number_hex = h'ffd8']", &observations, true);
    check(
        "[file:magic_number_hex = '\u{ff}\u{d8}']",
        &observations,
        true,
    );
    check("[file:magic_number_hex < h'ffd9']", &observations, true);
    check("[file:magic_number_hex = h'ffd9']", &observations, false);
}

#[test]
fn timestamps_compare_as_instants() {
    let observations = [once(&[
        json!({"type": "file", "name": "x", "ctime": "2014-01-13T07:03:17.000Z"}),
    ])];
    check(
        "[file:ctime = t'2014-01-13T07:03:17Z']",
        &observations,
        true,
    );
    check(
        "[file:ctime < t'2014-01-13T07:03:18Z']",
        &observations,
        true,
    );
    check(
        "[file:ctime = '2014-01-13T07:03:17Z']",
        &observations,
        false,
    );
    check(
        "[file:ctime IN (t'2000-01-01T00:00:00Z', t'2014-01-13T07:03:17Z')]",
        &observations,
        true,
    );
}

#[test]
fn subsets_and_supersets() {
    let observations = [once(&[
        ip("198.51.100.7"),
        ip("10.1.0.0/16"),
        json!({"type": "ipv6-addr", "value": "2001:db8:dead:beef::1"}),
    ])];
    check(
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        &observations,
        true,
    );
    check(
        "[ipv4-addr:value ISSUBSET '198.51.101.0/24']",
        &observations,
        false,
    );
    check(
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        &observations,
        true,
    );
    check(
        "[ipv4-addr:value ISSUBSET '10.1.2.0/24']",
        &observations,
        false,
    );
    check(
        "[ipv4-addr:value ISSUPERSET '10.1.2.0/24']",
        &observations,
        true,
    );
    check(
        "[ipv4-addr:value ISSUPERSET '10.2.0.0/24']",
        &observations,
        false,
    );
    check(
        "[ipv6-addr:value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
        &observations,
        true,
    );
    check(
        "[ipv6-addr:value ISSUBSET '198.51.100.0/24']",
        &observations,
        false,
    );
    check(
        "[ipv4-addr:value ISSUBSET 'not a cidr']",
        &observations,
        false,
    );
    check(
        "[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']",
        &observations,
        true,
    );
}

fn a(time: i64) -> Observation {
    seen(time, time, 1, &[json!({"type": "x-a", "v": 1})])
}

fn b(time: i64) -> Observation {
    seen(time, time, 1, &[json!({"type": "x-b", "v": 1})])
}

const A: &str = "[x-a:v = 1]";
const B: &str = "[x-b:v = 1]";

#[test]
fn and_binds_distinct_observations() {
    check(&format!("{A} AND {A}"), &[a(0)], false);
    check(&format!("{A} AND {A}"), &[a(0), a(1)], true);
    check(
        &format!("{A} AND {A}"),
        &[seen(0, 0, 2, &[json!({"type": "x-a", "v": 1})])],
        true,
    );
    check(&format!("{A} AND {B}"), &[a(0)], false);
    check(&format!("{A} AND {B}"), &[b(5), a(0)], true);
    let both = seen(
        0,
        0,
        1,
        &[
            json!({"type": "x-a", "v": 1}),
            json!({"type": "x-b", "v": 1}),
        ],
    );
    check(&format!("{A} AND {B}"), std::slice::from_ref(&both), false);
    check(&format!("{A} OR {B}"), &[both], true);
}

#[test]
fn followed_by_is_time_ordered() {
    check(&format!("{A} FOLLOWEDBY {B}"), &[a(0), b(10)], true);
    check(&format!("{A} FOLLOWEDBY {B}"), &[a(10), b(0)], false);
    check(&format!("{A} FOLLOWEDBY {B}"), &[a(10), b(10)], true);
    // Intervals: a timestamp of b's window can be picked after one of a's.
    check(
        &format!("{A} FOLLOWEDBY {B}"),
        &[
            seen(5, 20, 1, &[json!({"type": "x-a", "v": 1})]),
            seen(0, 6, 1, &[json!({"type": "x-b", "v": 1})]),
        ],
        true,
    );
    check(
        &format!("{A} FOLLOWEDBY {B}"),
        &[
            seen(7, 20, 1, &[json!({"type": "x-a", "v": 1})]),
            seen(0, 6, 1, &[json!({"type": "x-b", "v": 1})]),
        ],
        false,
    );
    check(
        &format!("{A} FOLLOWEDBY {B} FOLLOWEDBY {A}"),
        &[a(0), b(5), a(10)],
        true,
    );
    check(
        &format!("{A} FOLLOWEDBY {B} FOLLOWEDBY {A}"),
        &[a(0), b(5), a(3)],
        false,
    );
    check(&format!("{A} FOLLOWEDBY {A}"), &[a(3)], false);
}

#[test]
fn within_bounds_the_span() {
    check(
        &format!("({A} AND {B}) WITHIN 5 SECONDS"),
        &[a(0), b(5)],
        true,
    );
    check(
        &format!("({A} AND {B}) WITHIN 4 SECONDS"),
        &[a(0), b(5)],
        false,
    );
    check(
        &format!("({A} AND {B}) WITHIN 4.999 SECONDS"),
        &[a(0), b(5)],
        false,
    );
    check(
        &format!("({A} AND {B}) WITHIN 4 SECONDS"),
        &[a(0), b(5), a(3)],
        true,
    );
    check(
        &format!("{A} WITHIN 1 SECONDS"),
        &[seen(0, 100, 1, &[json!({"type": "x-a", "v": 1})])],
        true,
    );
    // Intervals overlap a one-second window.
    check(
        &format!("({A} AND {B}) WITHIN 1 SECONDS"),
        &[seen(0, 10, 1, &[json!({"type": "x-a", "v": 1})]), b(11)],
        true,
    );
    check(
        &format!("({A} AND {B}) WITHIN 1 SECONDS"),
        &[seen(0, 10, 1, &[json!({"type": "x-a", "v": 1})]), b(12)],
        false,
    );
}

#[test]
fn repeats_needs_disjoint_bindings() {
    check(&format!("{A} REPEATS 3 TIMES"), &[a(0), a(1), a(2)], true);
    check(&format!("{A} REPEATS 4 TIMES"), &[a(0), a(1), a(2)], false);
    check(
        &format!("{A} REPEATS 4 TIMES"),
        &[a(0), seen(1, 1, 3, &[json!({"type": "x-a", "v": 1})])],
        true,
    );
    check(
        &format!("({A} AND {B}) REPEATS 2 TIMES"),
        &[a(0), b(1), a(2)],
        false,
    );
    check(
        &format!("({A} AND {B}) REPEATS 2 TIMES"),
        &[a(0), b(1), a(2), b(3)],
        true,
    );
    check(
        &format!("{A} REPEATS 3 TIMES WITHIN 2 SECONDS"),
        &[a(0), a(1), a(3), a(4)],
        false,
    );
    check(
        &format!("{A} REPEATS 3 TIMES WITHIN 2 SECONDS"),
        &[a(0), a(1), a(3), a(4), a(5)],
        true,
    );
    check(
        &format!("({A} FOLLOWEDBY {B}) REPEATS 2 TIMES"),
        &[b(0), a(1), b(2), a(3)],
        false,
    );
    check(
        &format!("({A} FOLLOWEDBY {B}) REPEATS 2 TIMES"),
        &[b(0), a(1), b(2), a(3), b(4)],
        true,
    );
}

#[test]
fn start_stop_window() {
    let window = "START t'2015-12-13T09:46:40Z' STOP t'2015-12-13T09:46:50Z'";
    // EPOCH is 2015-12-13T09:46:40Z.
    check(&format!("{A} {window}"), &[a(0)], true);
    check(&format!("{A} {window}"), &[a(9)], true);
    check(&format!("{A} {window}"), &[a(10)], false);
    check(
        &format!("{A} {window}"),
        &[seen(-5, 0, 1, &[json!({"type": "x-a", "v": 1})])],
        true,
    );
    check(
        &format!("{A} {window}"),
        &[seen(-5, -1, 1, &[json!({"type": "x-a", "v": 1})])],
        false,
    );
    check(
        &format!("{A} {window}"),
        &[seen(-5, 50, 1, &[json!({"type": "x-a", "v": 1})])],
        true,
    );
    check(
        &format!("{A} START t'2015-12-13T09:46:50Z' STOP t'2015-12-13T09:46:40Z'"),
        &[a(5)],
        false,
    );
    check(&format!("({A} AND {B}) {window}"), &[a(1), b(11)], false);
    check(&format!("({A} {window}) AND {B}"), &[a(1), b(11)], true);
}

#[test]
fn ten_way_and_is_a_matching_problem() {
    // Observation i matches tests k ≥ i; test 9 also matches observation 0.
    let observations: Vec<Observation> = (0..10)
        .map(|idx| seen(idx, idx, 1, &[json!({"type": "x-n", "n": idx})]))
        .collect();
    let terms: Vec<String> = (0..10).map(|k| format!("[x-n:n <= {k}]")).collect();
    check(&terms.join(" AND "), &observations, true);
    // Eleven terms over ten observations cannot bind distinct ones.
    let mut eleven = terms.clone();
    eleven.push("[x-n:n >= 0]".to_string());
    check(&eleven.join(" AND "), &observations, false);
    // Two terms that only observation 0 satisfies: Hall's condition fails.
    let mut tight = terms;
    tight[1] = "[x-n:n = 0]".to_string();
    check(&tight.join(" AND "), &observations, false);
}

#[test]
fn bindings_say_which_observations_matched() {
    let mut observations = vec![a(0), b(7), a(3)];
    observations[1].id = Some("observed-data--0b6c5e45-5c10-4a73-9a3e-6b9ea1c1e8e1".to_string());
    let pattern = parse_pattern(&format!("{A} FOLLOWEDBY {B}")).expect("valid");
    let evaluation = evaluate(&pattern, &observations);
    assert!(evaluation.matched);
    let summary: Vec<String> = evaluation
        .bindings
        .iter()
        .map(|binding| {
            let bound: Vec<String> = binding
                .observations
                .iter()
                .map(|it| format!("{}x{}", it.index, it.count))
                .collect();
            format!("{} <- {}", binding.expression, bound.join(","))
        })
        .collect();
    assert_eq!(summary.len(), 2);
    assert!(summary[1].starts_with("[x-b:v = 1] <- 1x1"), "{summary:?}");
    assert_eq!(
        evaluation.bindings[1].observations[0].id.as_deref(),
        Some("observed-data--0b6c5e45-5c10-4a73-9a3e-6b9ea1c1e8e1")
    );
    let json = serde_json::to_value(&evaluation).expect("serializes");
    assert_eq!(json["matched"], true);
    assert_eq!(json["bindings"][1]["observations"][0]["index"], 1);
}

#[test]
fn budget_exhaustion_is_reported() {
    // Each copy picks a window and two OR branches; observations two
    // seconds apart never fit a one-second window, which only shows once
    // the choices are made.
    let observations: Vec<Observation> = (0..12).map(|idx| a(2 * idx)).collect();
    let pattern = parse_pattern(&format!(
        "(({A} OR {B}) AND ({A} OR {B})) WITHIN 1 SECONDS REPEATS 4 TIMES"
    ))
    .expect("valid");
    let evaluation =
        CompiledPattern::new(&pattern).evaluate_with(&observations, Limits { max_steps: 5 });
    assert!(evaluation.exhausted);
    assert!(!evaluation.matched);
    let evaluation = CompiledPattern::new(&pattern).evaluate(&observations);
    assert!(!evaluation.exhausted);
    assert!(!evaluation.matched);
}

#[test]
fn observations_from_a_2_1_bundle() {
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [
            {
                "type": "observed-data", "spec_version": "2.1",
                "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
                "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
                "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
                "number_observed": 50,
                "object_refs": ["network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]
            },
            {"type": "network-traffic", "spec_version": "2.1", "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d", "dst_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "protocols": ["tcp"]},
            {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"},
            {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", "value": "example.com"}
        ]
    });
    let observations = observations_from_json(&bundle).expect("valid");
    assert_eq!(observations.len(), 1);
    assert_eq!(observations[0].number_observed, 50);
    check(
        "[network-traffic:dst_ref.value = '198.51.100.3']",
        &observations,
        true,
    );
    check("[domain-name:value = 'example.com']", &observations, false);
    check(
        "[ipv4-addr:value = '198.51.100.3'] REPEATS 50 TIMES",
        &observations,
        true,
    );
    check(
        "[ipv4-addr:value = '198.51.100.3'] REPEATS 51 TIMES",
        &observations,
        false,
    );
}

#[test]
fn observations_from_2_0_inline_objects() {
    let list = json!([{
        "type": "observed-data",
        "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
        "number_observed": 1,
        "objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.3"}, "1": {"type": "network-traffic", "dst_ref": "0", "protocols": ["tcp"]}}
    }]);
    let observations = observations_from_json(&list).expect("valid");
    check(
        "[network-traffic:dst_ref.value = '198.51.100.3']",
        &observations,
        true,
    );
    let single = observations_from_json(&list[0]).expect("valid");
    assert_eq!(single, observations);
}

#[track_caller]
fn check_bad_observations(value: Value, expect: &str) {
    let error = observations_from_json(&value).expect_err("invalid");
    assert_eq!(error.to_string(), expect);
}

#[test]
fn bad_observations() {
    let base = json!({"type": "observed-data", "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1, "objects": {}});
    let with = |key: &str, value: Value| {
        let mut object = base.clone();
        object[key] = value;
        json!([object])
    };
    check_bad_observations(
        with("number_observed", json!(0)),
        "/0/number_observed: number_observed must be a positive integer",
    );
    check_bad_observations(
        with("first_observed", json!("soon")),
        "/0/first_observed: expected a timestamp YYYY-MM-DDTHH:MM:SS[.s+]Z: too short",
    );
    check_bad_observations(
        with("last_observed", json!("2015-12-21T18:00:00Z")),
        "/0/last_observed: last_observed is before first_observed",
    );
    check_bad_observations(
        with("objects", json!([])),
        "/0/objects: objects must be a dictionary",
    );
    check_bad_observations(json!([3]), "/0: expected a JSON object");
    check_bad_observations(
        json!("x"),
        ": expected a bundle, a list of objects or an observed-data object",
    );
}

// Brute force: enumerate every binding as the reference matcher does, on
// tiny inputs, and compare the verdicts.

/// An observation instance: (observation index, copy).
type Instance = (usize, u64);

fn brute_bindings(
    expr: &ObservationExpr,
    observations: &[Observation],
    leaf_matches: &dyn Fn(&ComparisonExpr, &Observation) -> bool,
) -> Vec<Vec<Instance>> {
    let first = |instance: &Instance| observations[instance.0].first_observed.unix_nanos();
    let last = |instance: &Instance| observations[instance.0].last_observed.unix_nanos();
    let disjoint = |x: &[Instance], y: &[Instance]| x.iter().all(|it| !y.contains(it));
    match expr {
        ObservationExpr::Observation(comparison) => observations
            .iter()
            .enumerate()
            .filter(|(_, observation)| leaf_matches(comparison, observation))
            .flat_map(|(idx, observation)| {
                (0..observation.number_observed).map(move |copy| vec![(idx, copy)])
            })
            .collect(),
        ObservationExpr::And(items) => items.iter().fold(vec![vec![]], |acc, item| {
            let right = brute_bindings(item, observations, leaf_matches);
            acc.iter()
                .flat_map(|left| {
                    right
                        .iter()
                        .filter(|r| disjoint(left, r))
                        .map(move |r| [left.clone(), r.clone()].concat())
                })
                .collect()
        }),
        ObservationExpr::Or(items) => items
            .iter()
            .flat_map(|item| brute_bindings(item, observations, leaf_matches))
            .collect(),
        ObservationExpr::FollowedBy(items) => {
            let mut acc = brute_bindings(&items[0], observations, leaf_matches);
            for item in &items[1..] {
                let right = brute_bindings(item, observations, leaf_matches);
                acc = acc
                    .iter()
                    .flat_map(|left| {
                        right
                            .iter()
                            .filter(|r| {
                                disjoint(left, r)
                                    && left.iter().map(first).max() <= r.iter().map(last).min()
                            })
                            .map(move |r| [left.clone(), r.clone()].concat())
                    })
                    .collect();
            }
            acc
        }
        ObservationExpr::Qualified { expr, qualifiers } => {
            let mut bindings = brute_bindings(expr, observations, leaf_matches);
            for qualifier in qualifiers {
                bindings = match qualifier {
                    Qualifier::Within(seconds) => bindings
                        .into_iter()
                        .filter(|binding| {
                            let span = binding.iter().map(first).max().unwrap_or(0)
                                - binding.iter().map(last).min().unwrap_or(0);
                            binding.is_empty() || span <= seconds.as_nanos()
                        })
                        .collect(),
                    Qualifier::StartStop { start, stop } => bindings
                        .into_iter()
                        .filter(|binding| {
                            start < stop
                                && binding.iter().all(|it| {
                                    last(it) >= start.unix_nanos() && first(it) < stop.unix_nanos()
                                })
                        })
                        .collect(),
                    Qualifier::Repeats(count) => disjoint_combinations(&bindings, *count as usize),
                };
            }
            bindings
        }
    }
}

/// Every way to pick `count` pairwise disjoint bindings, concatenated.
fn disjoint_combinations(bindings: &[Vec<Instance>], count: usize) -> Vec<Vec<Instance>> {
    fn go(
        bindings: &[Vec<Instance>],
        start: usize,
        count: usize,
        chosen: &mut Vec<Instance>,
        out: &mut Vec<Vec<Instance>>,
    ) {
        if count == 0 {
            out.push(chosen.clone());
            return;
        }
        for idx in start..bindings.len() {
            if bindings[idx].iter().all(|it| !chosen.contains(it)) {
                let before = chosen.len();
                chosen.extend(bindings[idx].iter().copied());
                go(bindings, idx + 1, count - 1, chosen, out);
                chosen.truncate(before);
            }
        }
    }
    let mut out = Vec::new();
    go(bindings, 0, count, &mut Vec::new(), &mut out);
    out
}

fn small_observation() -> impl Strategy<Value = Observation> {
    (0i64..6, 0i64..4, 1u64..=2, 0u8..3).prop_map(|(first, length, count, value)| {
        seen(
            first,
            first + length,
            count,
            &[json!({"type": "x-t", "v": value})],
        )
    })
}

fn small_pattern() -> impl Strategy<Value = ObservationExpr> {
    let leaf = (0u8..3).prop_map(|value| {
        parse_pattern(&format!("[x-t:v = {value}]"))
            .expect("valid")
            .expression
    });
    leaf.prop_recursive(3, 6, 2, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..3).prop_map(ObservationExpr::And),
            prop::collection::vec(inner.clone(), 2..3).prop_map(ObservationExpr::Or),
            prop::collection::vec(inner.clone(), 2..3).prop_map(ObservationExpr::FollowedBy),
            (inner.clone(), 1u64..4).prop_map(|(expr, seconds)| ObservationExpr::Qualified {
                expr: Box::new(expr),
                qualifiers: vec![Qualifier::Within(Seconds::Int(seconds))],
            }),
            (inner.clone(), 2u64..3).prop_map(|(expr, count)| ObservationExpr::Qualified {
                expr: Box::new(expr),
                qualifiers: vec![Qualifier::Repeats(count)],
            }),
            (inner, 0i64..5, 1i64..5).prop_map(|(expr, start, length)| {
                ObservationExpr::Qualified {
                    expr: Box::new(expr),
                    qualifiers: vec![Qualifier::StartStop {
                        start: at(start),
                        stop: at(start + length),
                    }],
                }
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn agrees_with_brute_force(expression in small_pattern(), observations in prop::collection::vec(small_observation(), 0..5)) {
        let pattern = crate::Pattern { expression };
        let compiled = CompiledPattern::new(&pattern);
        let evaluation = compiled.evaluate(&observations);
        let leaf_matches = |comparison: &ComparisonExpr, observation: &Observation| {
            CompiledPattern::new(&crate::Pattern { expression: ObservationExpr::Observation(comparison.clone()) })
                .matches_one(observation)
        };
        let expected = !brute_bindings(&pattern.expression, &observations, &leaf_matches).is_empty();
        prop_assert!(!evaluation.exhausted);
        prop_assert_eq!(evaluation.matched, expected, "{}", pattern);
        if evaluation.matched {
            let used: u64 = evaluation.bindings.iter().flat_map(|it| &it.observations).map(|it| it.count).sum();
            prop_assert!(used >= 1);
        }
    }

    #[test]
    fn repeated_windows_agree_with_brute_force(
        inner in small_pattern(),
        seconds in 0u64..4,
        count in 2u64..4,
        observations in prop::collection::vec(small_observation(), 0..6),
    ) {
        let qualifiers = if seconds == 0 {
            vec![Qualifier::Repeats(count)]
        } else {
            vec![Qualifier::Within(Seconds::Int(seconds)), Qualifier::Repeats(count)]
        };
        let pattern = crate::Pattern {
            expression: ObservationExpr::Qualified { expr: Box::new(inner), qualifiers },
        };
        let evaluation = CompiledPattern::new(&pattern).evaluate(&observations);
        let leaf_matches = |comparison: &ComparisonExpr, observation: &Observation| {
            CompiledPattern::new(&crate::Pattern { expression: ObservationExpr::Observation(comparison.clone()) })
                .matches_one(observation)
        };
        let expected = !brute_bindings(&pattern.expression, &observations, &leaf_matches).is_empty();
        prop_assert!(!evaluation.exhausted);
        prop_assert_eq!(evaluation.matched, expected, "{}", pattern);
    }

    #[test]
    fn arbitrary_observation_json_never_panics(value in super::validate::arbitrary_json()) {
        if let Ok(observations) = observations_from_json(&value) {
            let pattern = parse_pattern("[x-t:v = 1] AND [ipv4-addr:value ISSUBSET '10.0.0.0/8']").expect("valid");
            let _ = evaluate(&pattern, &observations);
        }
    }
}

#[test]
fn deep_searches_stay_within_the_stack() {
    // Every copy of the OR is a choice, so the search nests a thousand
    // decisions deep; it must neither overflow a test thread's stack nor
    // take long.
    let observations: Vec<Observation> = (0..1_000).map(a).collect();
    check(
        &format!("({A} OR {B}) REPEATS 1000 TIMES"),
        &observations,
        true,
    );
    check(
        &format!("({A} OR {B}) REPEATS 1001 TIMES"),
        &observations,
        false,
    );
    let pattern = parse_pattern(&format!("({A} OR {B}) REPEATS 5000 TIMES")).expect("valid");
    let many: Vec<Observation> = (0..5_000).map(a).collect();
    let evaluation = evaluate(&pattern, &many);
    assert!(evaluation.exhausted);
}
