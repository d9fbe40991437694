//! Confidence scores: the documented worked values, and the formula's
//! invariants.

use proptest::prelude::*;

use crate::confidence::{ConfidenceModel, IndicatorColumns, IndicatorFacts, IndicatorKind, Status};
use crate::parse_pattern;

const DAY: i64 = 86_400;
const NOW: i64 = 1_700_000_000;

fn facts(age_days: f64, sightings: u32, false_positives: u32) -> IndicatorFacts {
    IndicatorFacts {
        standing: 0.8,
        kind: IndicatorKind::Ip,
        reference_time: NOW - (age_days * DAY as f64) as i64,
        sightings,
        false_positives,
        valid_until: None,
        revoked: false,
    }
}

#[track_caller]
fn check(facts: IndicatorFacts, confidence: u8, status: Status) {
    let score = ConfidenceModel::default().score(&facts, NOW);
    assert_eq!((score.confidence, score.status), (confidence, status));
}

#[test]
fn worked_values_from_the_documentation() {
    check(facts(0.0, 0, 0), 80, Status::Active);
    check(facts(30.0, 0, 0), 40, Status::Active);
    check(facts(60.0, 0, 0), 20, Status::Active);
    check(facts(90.0, 0, 0), 10, Status::BelowThreshold);
    check(facts(30.0, 3, 0), 56, Status::Active);
    check(facts(30.0, 3, 1), 28, Status::Active);
    check(facts(0.0, 0, 2), 20, Status::Active);
}

#[test]
fn kinds_decay_at_their_own_pace() {
    let model = ConfidenceModel::default();
    let at = |kind| {
        let mut facts = facts(90.0, 0, 0);
        facts.kind = kind;
        model.score(&facts, NOW).confidence
    };
    assert_eq!(at(IndicatorKind::Ip), 10);
    assert_eq!(at(IndicatorKind::Domain), 40);
    assert_eq!(at(IndicatorKind::File), 67);
    let mut custom = model;
    custom.half_life_days[IndicatorKind::Ip as usize] = 0.0;
    assert_eq!(custom.score(&facts(9_000.0, 0, 0), NOW).confidence, 80);
}

#[test]
fn expiry_and_revocation() {
    let mut expired = facts(0.0, 0, 0);
    expired.valid_until = Some(NOW);
    check(expired, 80, Status::Expired);
    expired.valid_until = Some(NOW + 1);
    check(expired, 80, Status::Active);
    let mut revoked = facts(0.0, 0, 0);
    revoked.revoked = true;
    check(revoked, 80, Status::Revoked);
}

#[test]
fn odd_inputs_stay_in_range() {
    let mut odd = facts(-5.0, u32::MAX, 0);
    odd.standing = f64::NAN;
    check(odd, 100, Status::Active);
    odd.standing = 7.0;
    odd.sightings = 0;
    check(odd, 100, Status::Active);
    odd.false_positives = u32::MAX;
    check(odd, 0, Status::BelowThreshold);
}

#[test]
fn kind_of_a_pattern() {
    let kind = |text: &str| IndicatorKind::of_pattern(&parse_pattern(text).expect("valid"));
    assert_eq!(
        kind("[ipv4-addr:value = '1.2.3.4' OR ipv6-addr:value = '::1']"),
        IndicatorKind::Ip
    );
    assert_eq!(
        kind("[domain-name:value = 'x.example']"),
        IndicatorKind::Domain
    );
    assert_eq!(
        kind("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']"),
        IndicatorKind::File
    );
    assert_eq!(
        kind("[url:value = 'http://x'] AND [domain-name:value = 'x']"),
        IndicatorKind::Other
    );
    assert_eq!(IndicatorKind::from_u8(200), IndicatorKind::Other);
}

#[test]
fn falls_below_threshold_when_predicted() {
    let model = ConfidenceModel::default();
    let base = facts(0.0, 0, 0);
    let when = model.falls_below_threshold_at(&base).expect("decays");
    // 0.8 · 2^(−t/30) < 0.195 ⇔ t > 30 · log2(0.8 / 0.195) ≈ 61.1 days.
    assert_eq!((when - base.reference_time) / DAY, 61);
    assert!(model.score(&base, when).confidence < model.threshold);
    assert!(model.score(&base, when - 3_600).confidence >= model.threshold);
    let mut sighted = base;
    sighted.sightings = 20;
    assert_eq!(model.falls_below_threshold_at(&sighted), None);
    let mut weak = base;
    weak.standing = 0.1;
    assert_eq!(
        model.falls_below_threshold_at(&weak),
        Some(weak.reference_time)
    );
}

#[test]
fn batch_rescoring_matches_single_scores() {
    let model = ConfidenceModel::default();
    let all = [
        facts(0.0, 0, 0),
        facts(45.0, 1, 0),
        facts(90.0, 0, 0),
        facts(10.0, 0, 3),
        {
            let mut it = facts(1.0, 0, 0);
            it.valid_until = Some(NOW - 1);
            it
        },
    ];
    let columns_standing: Vec<f32> = all.iter().map(|it| it.standing as f32).collect();
    let kind: Vec<u8> = all.iter().map(|it| it.kind as u8).collect();
    let reference_time: Vec<i64> = all.iter().map(|it| it.reference_time).collect();
    let sightings: Vec<u32> = all.iter().map(|it| it.sightings).collect();
    let false_positives: Vec<u32> = all.iter().map(|it| it.false_positives).collect();
    let valid_until: Vec<i64> = all
        .iter()
        .map(|it| it.valid_until.unwrap_or(i64::MAX))
        .collect();
    let revoked: Vec<bool> = all.iter().map(|it| it.revoked).collect();
    let columns = IndicatorColumns {
        standing: &columns_standing,
        kind: &kind,
        reference_time: &reference_time,
        sightings: &sightings,
        false_positives: &false_positives,
        valid_until: &valid_until,
        revoked: &revoked,
    };
    let mut scores = vec![0; all.len()];
    let mut active = vec![false; all.len()];
    model
        .rescore(&columns, NOW, &mut scores, &mut active)
        .expect("same lengths");
    for (idx, facts) in all.iter().enumerate() {
        let score = model.score(facts, NOW);
        assert_eq!(scores[idx], score.confidence);
        assert_eq!(active[idx], score.status == Status::Active);
    }
    assert_eq!(active, [true, true, false, false, false]);
    let error = model
        .rescore(&columns, NOW, &mut scores[..2], &mut active)
        .expect_err("short output");
    assert_eq!(error.lengths, [5, 5, 5, 5, 5, 5, 5, 2, 5]);
}

proptest! {
    #[test]
    fn evidence_moves_the_score_the_right_way(
        standing in 0.0f64..=1.0,
        age in 0i64..(3_000 * DAY),
        sightings in 0u32..50,
        false_positives in 0u32..10,
        kind in 0u8..7,
    ) {
        let model = ConfidenceModel::default();
        let facts = IndicatorFacts {
            standing,
            kind: IndicatorKind::from_u8(kind),
            reference_time: NOW - age,
            sightings,
            false_positives,
            valid_until: None,
            revoked: false,
        };
        let score = model.score(&facts, NOW).confidence;
        prop_assert!(score <= 100);
        let more_sightings = IndicatorFacts { sightings: sightings + 1, ..facts };
        prop_assert!(model.score(&more_sightings, NOW).confidence >= score);
        let more_false_positives = IndicatorFacts { false_positives: false_positives + 1, ..facts };
        prop_assert!(model.score(&more_false_positives, NOW).confidence <= score);
        prop_assert!(model.score(&facts, NOW + DAY).confidence <= score);
        let better_source = IndicatorFacts { standing: (standing + 0.1).min(1.0), ..facts };
        prop_assert!(model.score(&better_source, NOW).confidence >= score);
    }
}
