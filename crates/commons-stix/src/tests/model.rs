//! The typed model: bundles in and out, custom properties kept, TLP.

use serde_json::{Value, json};

use super::{SAMPLE_TYPES, bundle, merge, sample};
use crate::model::{OpinionValue, Tlp, Tlp1};
use crate::{Bundle, StixError, StixObject, Timestamp, validate};

#[track_caller]
fn check_round_trip(object: Value) {
    let input = bundle(vec![object]);
    let parsed = Bundle::from_value(input.clone()).expect("valid bundle");
    assert_eq!(parsed.to_value(), input);
    let reparsed = Bundle::from_json(&parsed.to_json()).expect("printed bundle reads back");
    assert_eq!(reparsed, parsed);
}

#[test]
fn every_sample_round_trips() {
    for object_type in SAMPLE_TYPES {
        check_round_trip(sample(object_type));
    }
}

#[test]
fn custom_properties_survive_a_round_trip() {
    for object_type in SAMPLE_TYPES {
        let mut object = sample(object_type);
        merge(
            &mut object,
            json!({"x_acme_score": 7, "x_acme_tags": ["a", {"b": null}], "x_acme_note": "é"}),
        );
        check_round_trip(object);
    }
}

#[test]
fn optional_values_keep_their_exact_form() {
    let mut object = sample("indicator");
    merge(
        &mut object,
        json!({
            "revoked": false,
            "confidence": 0,
            "created": "2016-05-12T08:17:27.123456789Z",
            "modified": "2016-05-12T08:17:27.123456789Z",
            "external_references": [{"source_name": "capec", "external_id": "CAPEC-163", "x_extra": 1}],
            "granular_markings": [{"marking_ref": Tlp::Amber.id(), "selectors": ["description"]}],
        }),
    );
    check_round_trip(object);
}

#[test]
fn unknown_types_are_kept_verbatim() {
    let tool = json!({
        "type": "tool",
        "spec_version": "2.1",
        "id": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.000Z",
        "name": "VNC",
    });
    check_round_trip(tool.clone());
    let parsed = Bundle::from_value(bundle(vec![tool])).expect("valid");
    assert!(matches!(parsed.objects[0], StixObject::Other(_)));
    assert_eq!(parsed.objects[0].object_type(), "tool");
}

#[test]
fn typed_access() {
    let parsed =
        Bundle::from_value(bundle(vec![sample("indicator"), sample("opinion")])).expect("valid");
    let StixObject::Indicator(indicator) = &parsed.objects[0] else {
        panic!("an indicator");
    };
    assert_eq!(
        indicator.pattern,
        "[domain-name:value = 'evil.example.com']"
    );
    assert_eq!(
        indicator.valid_until,
        Timestamp::parse("2017-01-01T00:00:00Z").ok()
    );
    assert_eq!(indicator.common.id.object_type(), "indicator");
    let StixObject::Opinion(opinion) = &parsed.objects[1] else {
        panic!("an opinion");
    };
    assert_eq!(opinion.opinion, OpinionValue::StronglyDisagree);
    assert_eq!(
        parsed.objects[1].id().map(|id| id.to_string()),
        Some("opinion--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f".to_string())
    );
}

#[test]
fn invalid_bundles_are_refused_with_every_error() {
    let mut indicator = sample("indicator");
    merge(
        &mut indicator,
        json!({"created": "yesterday", "confidence": 101}),
    );
    let error = Bundle::from_value(bundle(vec![indicator])).expect_err("invalid");
    let StixError::Invalid(findings) = error else {
        panic!("findings expected");
    };
    let pointers: Vec<&str> = findings.iter().map(|it| it.pointer.as_str()).collect();
    assert_eq!(pointers, ["/objects/0/created", "/objects/0/confidence"]);
    assert!(matches!(Bundle::from_json("{"), Err(StixError::Json(_))));
    assert!(matches!(
        Bundle::from_value(sample("indicator")),
        Err(StixError::Invalid(_))
    ));
}

#[test]
fn tlp_markings_are_canonical() {
    for tlp in Tlp::ALL {
        assert_eq!(validate(&tlp.to_json()), []);
        let marking = tlp.marking_definition();
        assert_eq!(marking.id.as_str(), tlp.id());
        assert_eq!(Tlp::from_id(tlp.id()), Some(tlp));
        check_round_trip(tlp.to_json());
    }
    for tlp in Tlp1::ALL {
        assert_eq!(validate(&tlp.to_json()), []);
        assert_eq!(Tlp1::from_id(tlp.id()), Some(tlp));
    }
    assert_eq!(Tlp::AmberStrict.name(), "TLP:AMBER+STRICT");
    assert_eq!(
        Tlp::Red.to_json()["extensions"][crate::model::TLP_EXTENSION_ID]["tlp_2_0"],
        "red"
    );
}

#[test]
fn timestamps_keep_their_precision_and_compare_as_instants() {
    let coarse = Timestamp::parse("2016-05-12T08:17:27Z").expect("valid");
    let fine = Timestamp::parse("2016-05-12T08:17:27.000Z").expect("valid");
    assert_eq!(coarse, fine);
    assert_eq!(coarse.to_string(), "2016-05-12T08:17:27Z");
    assert_eq!(fine.to_string(), "2016-05-12T08:17:27.000Z");
    let nanos = Timestamp::parse("1969-12-31T23:59:59.999999999999Z").expect("valid");
    assert_eq!(nanos.unix_seconds(), -1);
    assert_eq!(nanos.subsec_nanos(), 999_999_999);
    assert_eq!(nanos.to_string(), "1969-12-31T23:59:59.999999999000Z");
    let leap = Timestamp::parse("2016-12-31T23:59:60Z").expect("leap second");
    assert_eq!(leap.to_string(), "2017-01-01T00:00:00Z");
    assert_eq!(
        Timestamp::parse("0000-01-01T00:00:00Z")
            .map(|it| it.to_string())
            .ok()
            .as_deref(),
        Some("0000-01-01T00:00:00Z")
    );
    assert_eq!(
        Timestamp::from_unix(0, 5_000_000)
            .map(|it| it.to_string())
            .as_deref(),
        Some("1970-01-01T00:00:00.005Z")
    );
}

#[track_caller]
fn check_bad_timestamp(text: &str, reason: &str) {
    let error = Timestamp::parse(text).expect_err("invalid");
    assert_eq!(error.reason, reason);
}

#[test]
fn bad_timestamps() {
    check_bad_timestamp("2016-05-12T08:17:27", "too short");
    check_bad_timestamp(
        "2016-05-12T08:17:27+01:00",
        "the time zone must be 'Z' (UTC) and end the timestamp",
    );
    check_bad_timestamp("2016-05-12t08:17:27Z", "expected 'T' at offset 10");
    check_bad_timestamp("2016-02-30T08:17:27Z", "day 30 is out of range");
    check_bad_timestamp("2015-02-29T08:17:27Z", "day 29 is out of range");
    check_bad_timestamp("2016-13-01T08:17:27Z", "month 13 is out of range");
    check_bad_timestamp("2016-01-01T24:00:00Z", "hour 24 is out of range");
    check_bad_timestamp("2016-01-01T00:00:00.Z", "a '.' must be followed by digits");
    check_bad_timestamp(
        "2016-01-01T00:00:00zZ",
        "the time zone must be 'Z' (UTC) and end the timestamp",
    );
    check_bad_timestamp(
        "9999-12-31T23:59:60Z",
        "a leap second at the end of year 9999 is out of range",
    );
    assert!(Timestamp::parse("2016-01-01T00:00:00Z\u{e9}").is_err());
    assert!(
        Timestamp::parse("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}").is_err()
    );
}

#[test]
fn identifiers() {
    use crate::Identifier;
    let id =
        Identifier::parse("x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").expect("valid");
    assert_eq!(id.object_type(), "x-acme-widget");
    assert_eq!(id.uuid_version(), 4);
    for bad in [
        "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3",
        "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f",
        "indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f",
        "in--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "x-bad---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    ] {
        assert!(Identifier::parse(bad).is_err(), "{bad}");
    }
    let made = Identifier::from_random_bytes("indicator", [0xff; 16]).expect("valid type");
    assert_eq!(
        made.as_str(),
        "indicator--ffffffff-ffff-4fff-bfff-ffffffffffff"
    );
    assert!(Identifier::parse(made.as_str()).is_ok());
}
