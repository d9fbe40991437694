//! Validation: every finding, with pointer, severity and code.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{SAMPLE_TYPES, bundle, merge, sample};
use crate::model::Tlp;
use crate::validate;

/// Validates `value` and compares the findings, one `severity pointer code`
/// line each, with `expect`.
#[track_caller]
fn check(value: Value, expect: &[&str]) {
    let found: Vec<String> = validate(&value)
        .iter()
        .map(|it| format!("{:?} {} {}", it.severity, it.pointer, it.code))
        .collect();
    assert_eq!(found, expect, "{:#?}", validate(&value));
}

/// A sample of `object_type` with `extra` merged in.
fn with(object_type: &str, extra: Value) -> Value {
    let mut object = sample(object_type);
    merge(&mut object, extra);
    object
}

#[test]
fn samples_are_valid() {
    for object_type in SAMPLE_TYPES {
        check(sample(object_type), &[]);
    }
    check(
        bundle(SAMPLE_TYPES.iter().map(|it| sample(it)).collect()),
        &[],
    );
}

#[test]
fn every_finding_is_reported_not_the_first() {
    check(
        with(
            "indicator",
            json!({"id": "indicator--nope", "created": "2016-01-01", "confidence": 200, "pattern": null, "labels": []}),
        ),
        &[
            "Error /id identifier",
            "Error /created timestamp",
            "Error /labels empty-list",
            "Error /confidence range",
            "Error /pattern required",
        ],
    );
}

#[test]
fn identifiers_must_match_the_type() {
    check(
        with(
            "malware",
            json!({"id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}),
        ),
        &["Error /id identifier"],
    );
    check(
        with("malware", json!({"id": null})),
        &["Error /id required"],
    );
    check(with("malware", json!({"id": 7})), &["Error /id identifier"]);
}

#[test]
fn type_names() {
    check(
        with("malware", json!({"type": "Malware"})),
        &["Error /type type-name"],
    );
    check(
        with("malware", json!({"type": null})),
        &["Error /type required"],
    );
}

#[test]
fn spec_version_must_be_2_1() {
    check(
        with("identity", json!({"spec_version": "2.0"})),
        &["Error /spec_version spec-version"],
    );
    check(
        with("identity", json!({"spec_version": null})),
        &["Error /spec_version required"],
    );
    check(with("url", json!({"spec_version": null})), &[]);
}

#[test]
fn created_and_modified_need_milliseconds() {
    check(
        with(
            "identity",
            json!({"created": "2016-05-12T08:17:27Z", "modified": "2016-05-12T08:17:27.1Z"}),
        ),
        &[
            "Error /created timestamp-precision",
            "Error /modified timestamp-precision",
        ],
    );
    check(
        with("indicator", json!({"valid_from": "2016-05-12T08:17:27Z"})),
        &[],
    );
    check(
        with(
            "identity",
            json!({"created": "2016-05-12T08:17:27.000+00:00"}),
        ),
        &["Error /created timestamp"],
    );
}

#[test]
fn modified_not_before_created() {
    check(
        with("identity", json!({"modified": "2016-05-12T08:17:26.999Z"})),
        &["Error /modified time-order"],
    );
}

#[test]
fn valid_until_after_valid_from() {
    check(
        with("indicator", json!({"valid_until": "2016-01-01T00:00:00Z"})),
        &["Error /valid_until time-order"],
    );
}

#[test]
fn last_seen_not_before_first_seen() {
    for object_type in ["campaign", "sighting"] {
        check(
            with(object_type, json!({"last_seen": "2015-01-01T00:00:00Z"})),
            &["Error /last_seen time-order"],
        );
    }
    check(
        with(
            "observed-data",
            json!({"last_observed": "2015-12-21T18:59:59Z"}),
        ),
        &["Error /last_observed time-order"],
    );
}

#[test]
fn confidence_range() {
    check(with("indicator", json!({"confidence": 100})), &[]);
    check(
        with("indicator", json!({"confidence": -1})),
        &["Error /confidence range"],
    );
    check(
        with("indicator", json!({"confidence": 50.5})),
        &["Error /confidence type"],
    );
}

#[test]
fn vocabularies_are_warnings() {
    check(
        with(
            "indicator",
            json!({"indicator_types": ["malicious-activity", "spooky"]}),
        ),
        &["Warning /indicator_types/1 vocabulary"],
    );
    check(
        with("identity", json!({"identity_class": "robot"})),
        &["Warning /identity_class vocabulary"],
    );
    check(
        with("malware", json!({"malware_types": ["cute"]})),
        &["Warning /malware_types/0 vocabulary"],
    );
}

#[test]
fn closed_enumerations_are_errors() {
    check(
        with("opinion", json!({"opinion": "meh"})),
        &["Error /opinion enum"],
    );
}

#[test]
fn custom_properties() {
    check(with("indicator", json!({"x_acme_risk": 3})), &[]);
    check(
        with("indicator", json!({"acme_risk": 3})),
        &["Warning /acme_risk unknown-property"],
    );
    check(
        with("indicator", json!({"x": 3})),
        &["Error /x property-name", "Warning /x unknown-property"],
    );
    check(
        with("indicator", json!({"x_é_risk": 3})),
        &["Error /x_é_risk property-name"],
    );
}

#[test]
fn required_properties() {
    check(
        with("malware", json!({"is_family": null})),
        &["Error /is_family required"],
    );
    check(
        with("malware", json!({"name": null})),
        &["Error /name required"],
    );
    check(
        with("malware", json!({"name": null, "is_family": false})),
        &[],
    );
    check(
        with("report", json!({"object_refs": []})),
        &["Error /object_refs empty-list"],
    );
    check(
        with("file", json!({"name": null, "hashes": null})),
        &["Error  required"],
    );
    check(
        with("network-traffic", json!({"src_ref": null})),
        &["Error  required"],
    );
    check(
        with(
            "x509-certificate",
            json!({"issuer": null, "serial_number": null}),
        ),
        &["Error  required"],
    );
}

#[test]
fn mutually_exclusive_properties() {
    check(
        with(
            "observed-data",
            json!({"objects": {"0": {"type": "ipv4-addr", "value": "1.2.3.4"}}}),
        ),
        &["Error  exclusive"],
    );
    check(
        with("observed-data", json!({"object_refs": null})),
        &["Error  required"],
    );
    check(
        with(
            "observed-data",
            json!({"object_refs": null, "objects": {"0": {"type": "ipv4-addr", "value": "1.2.3.4"}}}),
        ),
        &["Warning /objects deprecated"],
    );
    check(
        with(
            "network-traffic",
            json!({"is_active": true, "end": "2016-01-01T00:00:00Z"}),
        ),
        &["Error /end exclusive"],
    );
    check(
        with(
            "indicator",
            json!({"granular_markings": [{"lang": "en", "marking_ref": Tlp::Red.id(), "selectors": ["name"]}]}),
        ),
        &["Error /granular_markings/0 exclusive"],
    );
}

#[test]
fn number_observed_and_count_ranges() {
    check(
        with("observed-data", json!({"number_observed": 0})),
        &["Error /number_observed range"],
    );
    check(
        with("observed-data", json!({"number_observed": 1_000_000_000})),
        &["Error /number_observed range"],
    );
    check(
        with("sighting", json!({"count": -2})),
        &["Error /count range"],
    );
}

#[test]
fn reference_types() {
    check(
        with(
            "indicator",
            json!({"created_by_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}),
        ),
        &["Error /created_by_ref reference-type"],
    );
    check(
        with(
            "indicator",
            json!({"object_marking_refs": ["identity--311b2d2d-f010-4473-83ec-1edf84858f4c"]}),
        ),
        &["Error /object_marking_refs/0 reference-type"],
    );
    check(
        with(
            "observed-data",
            json!({"object_refs": ["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}),
        ),
        &["Error /object_refs/0 reference-type"],
    );
}

#[test]
fn relationship_endpoints() {
    check(
        with(
            "relationship",
            json!({"target_ref": "relationship--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}),
        ),
        &[
            "Error /target_ref reference-type",
            "Warning /target_ref relationship-endpoints",
        ],
    );
    check(
        with(
            "relationship",
            json!({"target_ref": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}),
        ),
        &["Warning /target_ref relationship-endpoints"],
    );
    check(
        with("relationship", json!({"relationship_type": "acme-hunts"})),
        &[],
    );
    check(
        with("relationship", json!({"relationship_type": "Indicates"})),
        &["Error /relationship_type relationship-type"],
    );
    check(
        with("relationship", json!({"relationship_type": "duplicate-of"})),
        &["Warning /target_ref relationship-endpoints"],
    );
    check(
        with(
            "relationship",
            json!({"start_time": "2016-01-02T00:00:00Z", "stop_time": "2016-01-02T00:00:00Z"}),
        ),
        &["Error /stop_time time-order"],
    );
}

#[test]
fn sighting_refs() {
    check(
        with(
            "sighting",
            json!({"sighting_of_ref": "ipv4-addr--4b0bdc60-6c1a-5a5a-a3b8-8a2c4e1a2f3b"}),
        ),
        &["Error /sighting_of_ref reference-type"],
    );
    check(
        with(
            "sighting",
            json!({"where_sighted_refs": ["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}),
        ),
        &["Error /where_sighted_refs/0 reference-type"],
    );
    check(
        with(
            "sighting",
            json!({"observed_data_refs": ["observed-data--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}),
        ),
        &[],
    );
}

#[test]
fn patterns_are_parsed_and_checked() {
    check(
        with("indicator", json!({"pattern": "[domain-name:value = ]"})),
        &["Error /pattern pattern-syntax"],
    );
    let finding = validate(&with(
        "indicator",
        json!({"pattern": "[domain-name:value = ]"}),
    ))
    .remove(0);
    assert_eq!(
        finding.message,
        "at byte 21: expected a literal (string, number, boolean, t'…', h'…' or b'…'), found ']'"
    );
    check(
        with("indicator", json!({"pattern": "[file:hashes.MD5 = 'f00']"})),
        &["Error /pattern pattern"],
    );
    check(
        with(
            "indicator",
            json!({"pattern": "[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS"}),
        ),
        &["Error /pattern pattern"],
    );
    check(
        with(
            "indicator",
            json!({"pattern": "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.com']"}),
        ),
        &["Warning /pattern pattern"],
    );
    check(
        with(
            "indicator",
            json!({"pattern": "rule x { }", "pattern_type": "yara"}),
        ),
        &[],
    );
    check(
        with("indicator", json!({"pattern_type": "yaml"})),
        &["Warning /pattern_type vocabulary"],
    );
}

#[test]
fn observable_values() {
    check(with("ipv4-addr", json!({"value": "198.51.100.0/24"})), &[]);
    check(
        with("ipv4-addr", json!({"value": "2001:db8::1"})),
        &["Error /value value-format"],
    );
    check(
        with("ipv4-addr", json!({"value": "198.51.100.0/33"})),
        &["Error /value value-format"],
    );
    check(
        with("ipv6-addr", json!({"value": "198.51.100.1"})),
        &["Error /value value-format"],
    );
    check(
        with("domain-name", json!({"value": "bad domain"})),
        &["Error /value value-format"],
    );
    check(
        with(
            "domain-name",
            json!({"value": "example[.]com", "defanged": true}),
        ),
        &[],
    );
    check(
        with("url", json!({"value": "example.com/path"})),
        &["Error /value value-format"],
    );
    check(
        with("email-addr", json!({"value": "nobody"})),
        &["Error /value value-format"],
    );
    check(
        with("network-traffic", json!({"dst_port": 70000})),
        &["Error /dst_port range"],
    );
}

#[test]
fn hashes() {
    check(
        with(
            "file",
            json!({"hashes": {"MD5": "abc", "SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}}),
        ),
        &["Error /hashes/MD5 hash"],
    );
    check(
        with("file", json!({"hashes": {"x_acme": "zz"}})),
        &["Warning /hashes/x_acme vocabulary"],
    );
    check(
        with("file", json!({"hashes": {}})),
        &["Error /hashes empty-dictionary"],
    );
}

#[test]
fn external_references() {
    check(
        with(
            "indicator",
            json!({"external_references": [{"source_name": "capec"}]}),
        ),
        &["Error /external_references/0 required"],
    );
    check(
        with(
            "indicator",
            json!({"external_references": [{"url": "https://example.com"}]}),
        ),
        &["Error /external_references/0/source_name required"],
    );
}

#[test]
fn kill_chain_phases() {
    check(
        with(
            "indicator",
            json!({"kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain"}]}),
        ),
        &["Error /kill_chain_phases/0/phase_name required"],
    );
}

#[test]
fn tlp_markings_must_be_the_published_objects() {
    let mut forged = Tlp::Green.to_json();
    merge(&mut forged, json!({"name": "TLP:GREENISH"}));
    check(forged, &["Error  tlp"]);
    let mut statement = sample("marking-definition");
    merge(&mut statement, json!({"definition": {"note": "x"}}));
    check(statement, &["Error /definition required"]);
    let mut bare = sample("marking-definition");
    merge(&mut bare, json!({"definition": null}));
    check(bare, &["Error /definition co-required"]);
}

#[test]
fn bundles() {
    check(
        bundle(vec![json!(3), with("url", json!({"value": 4}))]),
        &["Error /objects/0 shape", "Error /objects/1/value type"],
    );
    let mut with_spec = bundle(vec![sample("url")]);
    merge(&mut with_spec, json!({"spec_version": "2.0"}));
    check(with_spec, &["Warning /spec_version unknown-property"]);
    check(
        bundle(vec![sample("url"), sample("url")]),
        &["Warning /objects/1 duplicate"],
    );
    check(bundle(vec![]), &["Error /objects empty-list"]);
    check(
        bundle(vec![bundle(vec![sample("url")])]),
        &["Error /objects/0/type nested-bundle"],
    );
    check(
        json!([sample("url"), {"type": "url"}]),
        &["Error /1/id required", "Error /1/value required"],
    );
    check(json!("nope"), &["Error  shape"]);
}

#[test]
fn pointers_escape_special_characters() {
    check(
        with("indicator", json!({"a/b~c": 1})),
        &[
            "Error /a~1b~0c property-name",
            "Warning /a~1b~0c unknown-property",
        ],
    );
}

#[test]
fn custom_objects_get_common_checks_only() {
    check(
        json!({
            "type": "x-acme-widget",
            "spec_version": "2.1",
            "id": "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-05-12T08:17:27.000Z",
            "modified": "2016-05-12T08:17:27.000Z",
            "anything_goes": true,
        }),
        &[],
    );
}

/// Arbitrary JSON, biased towards STIX-looking keys.
pub(super) fn arbitrary_json() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        Just("type".to_string()),
        Just("id".to_string()),
        Just("created".to_string()),
        Just("modified".to_string()),
        Just("objects".to_string()),
        Just("pattern".to_string()),
        Just("pattern_type".to_string()),
        Just("value".to_string()),
        Just("hashes".to_string()),
        "[a-z_/~]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |it| it.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("indicator".to_string()),
            Just("bundle".to_string()),
            Just("stix".to_string()),
            Just("[a:b = 1]".to_string()),
            Just("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".to_string()),
            Just("2016-05-12T08:17:27.000Z".to_string()),
            ".{0,20}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn validation_never_panics(value in arbitrary_json()) {
        let _ = validate(&value);
        let _ = crate::Bundle::from_value(value);
    }

    #[test]
    fn mutated_samples_never_panic(idx in 0..SAMPLE_TYPES.len(), key in "[a-z_]{1,20}", value in arbitrary_json()) {
        let mut object = sample(SAMPLE_TYPES[idx]);
        object[key] = value;
        let _ = validate(&object);
        let _ = crate::Bundle::from_value(bundle(vec![object]));
    }
}
