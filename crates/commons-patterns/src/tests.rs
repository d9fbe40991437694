//! Pure checks: submission schema findings, review rules, kinship, seeds.

use commons_fingerprint::CommunityKey;
use commons_kernel::Policy;
use serde_json::{Value, json};

use crate::library::{SEEDS, community_pattern_key, seeds};
use crate::records::{Impact, Properties, Severity, State};
use crate::review::{Kinship, kinship, next_state};
use crate::validate::check_submit;
use crate::views::{Overlap, PatternSummary};

fn key() -> CommunityKey {
    community_pattern_key(&[7u8; 32], 0)
}

fn valid_body() -> Value {
    let seed = SEEDS[0];
    serde_json::to_value(seed.submission(&key()).expect("seed exports")).expect("body serializes")
}

#[track_caller]
fn check(body: Value, expect: &[&str]) {
    let findings = check_submit(&body);
    let pointers: Vec<&str> = findings.0.iter().map(|f| f.pointer.as_str()).collect();
    assert_eq!(pointers, expect, "{findings}");
}

#[test]
fn a_seed_submission_is_valid() {
    check(valid_body(), &[]);
}

#[test]
fn every_seed_exports_under_a_community_key() {
    for domain in ["web", "ml", "embedded", "security"] {
        assert!(
            seeds(domain).count() >= 4,
            "{domain} has a handful of seeds"
        );
    }
    for seed in SEEDS {
        let shared = seed.fingerprint(&key()).expect("seed exports");
        assert!(shared.hashes.len() >= 4, "{}", seed.title);
        assert_eq!(shared.scheme.language, seed.language);
    }
}

#[test]
fn keys_differ_by_community_and_epoch() {
    let a = community_pattern_key(&[1u8; 32], 0);
    let b = community_pattern_key(&[2u8; 32], 0);
    let c = community_pattern_key(&[1u8; 32], 1);
    assert_ne!(a.keyed(42), b.keyed(42));
    assert_ne!(a.keyed(42), c.keyed(42));
    assert_eq!(c.epoch(), 1);
}

#[test]
fn missing_fields_are_named() {
    check(
        json!({}),
        &[
            "/body/title",
            "/body/language",
            "/body/properties",
            "/body/fingerprint",
        ],
    );
}

#[test]
fn bad_fields_are_named_each() {
    let mut body = valid_body();
    body["title"] = json!("  ");
    body["language"] = json!("cobol");
    body["properties"]["severity"] = json!("apocalyptic");
    body["properties"]["category"] = json!("SQL Injection");
    body["properties"]["security"] = json!(3);
    body["properties"]["colour"] = json!("red");
    body["similar"] = json!(["nope"]);
    body["extra"] = json!(1);
    check(
        body,
        &[
            "/body/extra",
            "/body/title",
            "/body/language",
            "/body/properties/colour",
            "/body/properties/severity",
            "/body/properties/category",
            "/body/properties/security",
            "/body/similar/0",
        ],
    );
}

#[test]
fn fingerprint_problems_point_into_the_fingerprint() {
    let mut body = valid_body();
    body["fingerprint"]["keyed_with"] = json!("md5");
    body["fingerprint"]["hashes"] = json!(["0000000000000002", "0000000000000001"]);
    check(
        body,
        &["/body/fingerprint/keyed_with", "/body/fingerprint/hashes"],
    );
    let mut body = valid_body();
    body["fingerprint"]["hashes"] = json!(["xyz"]);
    check(body, &["/body/fingerprint"]);
    let mut body = valid_body();
    body["language"] = json!("c");
    check(body, &["/body/fingerprint/scheme/language"]);
}

fn summary(state: State, votes_for: u32, votes_against: u32, approvals: u32) -> PatternSummary {
    PatternSummary {
        id: "00".repeat(32),
        seq: 1,
        author: None,
        title: "t".into(),
        description: String::new(),
        language: "python".into(),
        properties: Properties {
            severity: Severity::High,
            category: "sql-injection".into(),
            performance: Impact::None,
            security: Impact::High,
        },
        token_count: 100,
        hash_count: 10,
        key_epoch: 0,
        state,
        submitted_ts: 0,
        votes_for,
        votes_against,
        approvals,
    }
}

#[test]
fn review_rules_follow_the_policy() {
    let policy = Policy::template("open").expect("open template");
    let state = |s, f, a, e| next_state(&summary(s, f, a, e), &policy).map(|(state, _)| state);
    assert_eq!(state(State::Submitted, 0, 0, 0), None);
    assert_eq!(state(State::Submitted, 1, 0, 0), Some(State::InReview));
    assert_eq!(state(State::InReview, 4, 0, 0), None);
    // Security impact needs an expert under the default policy.
    assert_eq!(state(State::InReview, 5, 0, 0), None);
    assert_eq!(state(State::InReview, 5, 0, 1), Some(State::Accepted));
    assert_eq!(state(State::InReview, 6, 1, 1), Some(State::Accepted));
    assert_eq!(state(State::InReview, 0, 5, 0), Some(State::Rejected));
    assert_eq!(state(State::Accepted, 0, 9, 0), None);
    let mut plain = summary(State::InReview, 5, 0, 0);
    plain.properties.security = Impact::None;
    plain.properties.category = "n+1-query".into();
    assert_eq!(
        next_state(&plain, &policy).map(|(state, _)| state),
        Some(State::Accepted)
    );
}

#[test]
fn kinship_is_containment_either_way() {
    let overlap = |shared, hash_count| Overlap {
        pattern: "p".into(),
        shared,
        hash_count,
    };
    assert_eq!(kinship(&overlap(10, 10), 10), Some(Kinship::Exact));
    assert_eq!(kinship(&overlap(10, 40), 10), Some(Kinship::Near(1.0)));
    assert_eq!(kinship(&overlap(9, 9), 40), Some(Kinship::Near(1.0)));
    assert_eq!(kinship(&overlap(8, 10), 12), Some(Kinship::Near(0.8)));
    assert_eq!(kinship(&overlap(5, 10), 10), None);
}
