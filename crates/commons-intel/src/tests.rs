//! Unit tests: body validation findings, standing and worked scores.

use commons_kernel::Role;
use commons_stix::confidence::{ConfidenceModel, IndicatorKind, Status};
use serde_json::json;

use crate::confidence::{Facts, score, standing_of};
use crate::validate::{kind_named, object_findings};

fn facts(role: Option<Role>, published: Option<u8>) -> Facts {
    Facts {
        role,
        published_confidence: published,
        kind: IndicatorKind::Ip,
        valid_from_s: 0,
        valid_until_s: None,
        revoked: false,
        sightings: 0,
        false_positives: 0,
        last_sighting_s: 0,
    }
}

#[track_caller]
fn check(facts: Facts, age_days: i64, expect: (u8, Status)) {
    let scored = score(&ConfidenceModel::default(), &facts, age_days * 86_400);
    assert_eq!((scored.confidence, scored.status), expect);
}

#[test]
fn standing_follows_role_and_published_confidence() {
    assert_eq!(standing_of(Some(Role::Admin), None), 0.9);
    assert_eq!(standing_of(Some(Role::Member), Some(50)), 0.35);
    assert_eq!(standing_of(None, Some(100)), 0.4);
}

#[test]
fn member_ip_indicator_halves_every_thirty_days() {
    check(facts(Some(Role::Member), None), 0, (70, Status::Active));
    check(facts(Some(Role::Member), None), 30, (35, Status::Active));
    check(
        facts(Some(Role::Member), None),
        60,
        (18, Status::BelowThreshold),
    );
}

#[test]
fn sightings_false_positives_revocation_and_expiry() {
    let sighted = Facts {
        sightings: 3,
        last_sighting_s: 30 * 86_400,
        ..facts(Some(Role::Member), None)
    };
    check(sighted, 30, (78, Status::Active));
    let disputed = Facts {
        false_positives: 2,
        ..facts(Some(Role::Admin), None)
    };
    check(disputed, 0, (23, Status::Active));
    let revoked = Facts {
        revoked: true,
        ..facts(Some(Role::Admin), None)
    };
    check(revoked, 0, (90, Status::Revoked));
    let expiring = Facts {
        valid_until_s: Some(86_400),
        ..facts(Some(Role::Admin), None)
    };
    check(expiring, 1, (88, Status::Expired));
}

#[test]
fn nested_bundles_and_non_objects_are_findings() {
    let findings = object_findings(&json!({"type": "bundle", "id": "bundle--1"}));
    assert_eq!(findings[0].code, "nested-bundle");
    let findings = object_findings(&json!(3));
    assert_eq!(findings[0].code, "shape");
}

#[test]
fn settings_kind_names() {
    assert_eq!(kind_named("ip"), Some(IndicatorKind::Ip));
    assert_eq!(kind_named("certificate"), Some(IndicatorKind::Certificate));
    assert_eq!(kind_named("ipv4"), None);
}

#[test]
fn objects_with_decimals_travel_as_text() {
    use crate::records::{from_wire, to_wire, wire_len};
    let plain = json!({"type": "ipv4-addr", "value": "10.0.0.1", "x_count": 3});
    assert_eq!(to_wire(plain.clone()), plain);
    assert_eq!(wire_len(&plain), plain.to_string().len());
    let scored = json!({"type": "indicator", "x_score": 7.5});
    let wire = to_wire(scored.clone());
    assert!(wire.is_string());
    assert_eq!(wire_len(&scored), wire.to_string().len());
    assert_eq!(from_wire(wire), Ok(scored));
    assert!(from_wire(json!("3")).is_err());
    assert!(from_wire(json!("not json")).is_err());
}
