//! Indicator confidence, 0–100, recomputed from the source's standing, the
//! indicator's age, sightings and false-positive reports; and expiry.
//!
//! # The formula
//!
//! With `s` the standing of the source (0–1), `a` the age in days (time
//! since the later of `valid_from` and the last true-positive sighting),
//! `h` the half-life of the indicator's kind, `n` true-positive sightings,
//! `m` false-positive reports, `b` the sighting boost and `f` the
//! false-positive penalty of the [`ConfidenceModel`]:
//!
//! ```text
//! decayed   = s · 2^(−a / h)                 halves every h days
//! sighted   = 1 − (1 − decayed) · (1 − b)^n  each sighting closes b of the gap to 1
//! penalized = sighted · (1 − f)^m            each false positive keeps 1 − f
//! score     = round(100 · penalized)         clamped to 0–100
//! ```
//!
//! An indicator is *active* unless it is revoked, `now` is at or past its
//! `valid_until`, or its score is below the model's `threshold`; inactive
//! indicators stop matching but keep their history.
//!
//! Why this shape: exponential decay has a half-life a community can reason
//! about ("an IP address is worth half as much after a month") and never
//! reaches zero on its own, so expiry is an explicit threshold; a sighting
//! restarts the clock (it resets the age) and also raises the score towards
//! certainty without ever reaching it; a false positive is strong negative
//! evidence, so it scales the whole score down rather than subtracting a
//! fixed amount. The standing of the source bounds what an unsighted
//! indicator can score. (MISP's polynomial model reaches zero at a fixed
//! lifetime and ignores sightings beyond the age reset; OpenCTI's ignores
//! sightings; both were reasons for this design.)
//!
//! # Worked values
//!
//! With the default model (IP half-life 30 days, `b` = 0.1, `f` = 0.5,
//! threshold 20) and a source of standing 0.8, for an IP address indicator:
//!
//! | age (days) | sightings | false positives | score | active |
//! |---|---|---|---|---|
//! | 0 | 0 | 0 | 80 | yes |
//! | 30 | 0 | 0 | 40 | yes |
//! | 60 | 0 | 0 | 20 | yes |
//! | 90 | 0 | 0 | 10 | no (below 20) |
//! | 30 | 3 | 0 | 56 | yes |
//! | 30 | 3 | 1 | 28 | yes |
//! | 0 | 0 | 2 | 20 | yes |
//!
//! `1 − 0.6 · 0.9³ = 0.5626` gives the 56; halving it gives 28. These rows
//! are unit tests.

use serde::{Deserialize, Serialize};

use crate::pattern::Pattern;

/// What an indicator is about, which sets how fast it decays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum IndicatorKind {
    /// IPv4 or IPv6 addresses and blocks.
    Ip = 0,
    /// Domain names.
    Domain = 1,
    /// URLs.
    Url = 2,
    /// File hashes and other file properties.
    File = 3,
    /// E-mail addresses.
    Email = 4,
    /// X.509 certificates.
    Certificate = 5,
    /// Anything else, or a mix.
    Other = 6,
}

impl IndicatorKind {
    /// Every kind, in `repr` order.
    pub const ALL: [IndicatorKind; 7] = [
        IndicatorKind::Ip,
        IndicatorKind::Domain,
        IndicatorKind::Url,
        IndicatorKind::File,
        IndicatorKind::Email,
        IndicatorKind::Certificate,
        IndicatorKind::Other,
    ];

    /// The kind of a pattern: the kind of the object types its tests are
    /// about, or [`IndicatorKind::Other`] when they differ.
    pub fn of_pattern(pattern: &Pattern) -> IndicatorKind {
        let mut kinds = pattern
            .tests()
            .into_iter()
            .map(|test| IndicatorKind::of_object_type(&test.path.object_type));
        let Some(first) = kinds.next() else {
            return IndicatorKind::Other;
        };
        if kinds.all(|kind| kind == first) {
            first
        } else {
            IndicatorKind::Other
        }
    }

    /// The kind of a cyber-observable type.
    pub fn of_object_type(object_type: &str) -> IndicatorKind {
        match object_type {
            "ipv4-addr" | "ipv6-addr" => IndicatorKind::Ip,
            "domain-name" => IndicatorKind::Domain,
            "url" => IndicatorKind::Url,
            "file" | "artifact" => IndicatorKind::File,
            "email-addr" | "email-message" => IndicatorKind::Email,
            "x509-certificate" => IndicatorKind::Certificate,
            _ => IndicatorKind::Other,
        }
    }

    /// The kind with `repr` value `value`, [`IndicatorKind::Other`] for
    /// unknown values.
    pub fn from_u8(value: u8) -> IndicatorKind {
        IndicatorKind::ALL
            .get(usize::from(value))
            .copied()
            .unwrap_or(IndicatorKind::Other)
    }
}

/// A community's parameters for the formula (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceModel {
    /// Half-life in days per [`IndicatorKind`], indexed by its `repr`.
    /// Zero, negative or non-finite means no decay.
    pub half_life_days: [f64; 7],
    /// `b`: the share of the remaining gap to certainty each sighting
    /// closes, 0–1.
    pub sighting_boost: f64,
    /// `f`: the share of the score each false-positive report removes, 0–1.
    pub false_positive_penalty: f64,
    /// Scores below this make an indicator inactive, 0–100.
    pub threshold: u8,
}

impl Default for ConfidenceModel {
    /// Half-lives follow how long each kind tends to stay meaningful:
    /// addresses and URLs change hands within weeks, domains within months,
    /// a file hash names the same content forever (but a campaign's files
    /// lose relevance within a year).
    fn default() -> ConfidenceModel {
        ConfidenceModel {
            half_life_days: [30.0, 90.0, 30.0, 365.0, 90.0, 180.0, 180.0],
            sighting_boost: 0.1,
            false_positive_penalty: 0.5,
            threshold: 20,
        }
    }
}

/// What is known about one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorFacts {
    /// The standing of its source, 0–1 (clamped; NaN counts as 0).
    pub standing: f64,
    /// Its kind.
    pub kind: IndicatorKind,
    /// Unix seconds from which age counts: the later of `valid_from` and
    /// the last true-positive sighting.
    pub reference_time: i64,
    /// True-positive sightings.
    pub sightings: u32,
    /// False-positive reports.
    pub false_positives: u32,
    /// `valid_until` in Unix seconds, if any.
    pub valid_until: Option<i64>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// Whether an indicator still matches, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// It matches.
    Active,
    /// Its producer revoked it.
    Revoked,
    /// `valid_until` has passed.
    Expired,
    /// Its score fell below the threshold.
    BelowThreshold,
}

/// A score and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Score {
    /// 0–100.
    pub confidence: u8,
    /// Whether it still matches.
    pub status: Status,
}

/// The columns of many indicators, one entry per indicator in each.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorColumns<'a> {
    /// Source standing, 0–1.
    pub standing: &'a [f32],
    /// [`IndicatorKind`] `repr` values.
    pub kind: &'a [u8],
    /// Unix seconds from which age counts.
    pub reference_time: &'a [i64],
    /// True-positive sightings.
    pub sightings: &'a [u32],
    /// False-positive reports.
    pub false_positives: &'a [u32],
    /// `valid_until` in Unix seconds; `i64::MAX` for none.
    pub valid_until: &'a [i64],
    /// Whether each was revoked.
    pub revoked: &'a [bool],
}

/// The columns of a batch do not all have the same length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column lengths differ: {lengths:?}")]
pub struct ColumnLengthError {
    /// The lengths of the input columns, then of the two outputs.
    pub lengths: Vec<usize>,
}

const SECONDS_PER_DAY: f64 = 86_400.0;

impl ConfidenceModel {
    /// The score of one indicator at `now` (Unix seconds).
    pub fn score(&self, facts: &IndicatorFacts, now: i64) -> Score {
        let confidence = self.confidence_at(
            facts.standing,
            facts.kind,
            facts.reference_time,
            facts.sightings,
            facts.false_positives,
            now,
        );
        let status = self.status(
            confidence,
            facts.valid_until.unwrap_or(i64::MAX),
            facts.revoked,
            now,
        );
        Score { confidence, status }
    }

    /// Re-scores every indicator of `columns` at `now`, writing each score
    /// into `scores` and whether it is active into `active`.
    pub fn rescore(
        &self,
        columns: &IndicatorColumns<'_>,
        now: i64,
        scores: &mut [u8],
        active: &mut [bool],
    ) -> Result<(), ColumnLengthError> {
        let lengths = vec![
            columns.standing.len(),
            columns.kind.len(),
            columns.reference_time.len(),
            columns.sightings.len(),
            columns.false_positives.len(),
            columns.valid_until.len(),
            columns.revoked.len(),
            scores.len(),
            active.len(),
        ];
        if lengths.iter().any(|len| *len != lengths[0]) {
            return Err(ColumnLengthError { lengths });
        }
        for idx in 0..scores.len() {
            let confidence = self.confidence_at(
                f64::from(columns.standing[idx]),
                IndicatorKind::from_u8(columns.kind[idx]),
                columns.reference_time[idx],
                columns.sightings[idx],
                columns.false_positives[idx],
                now,
            );
            scores[idx] = confidence;
            active[idx] = self.status(
                confidence,
                columns.valid_until[idx],
                columns.revoked[idx],
                now,
            ) == Status::Active;
        }
        Ok(())
    }

    /// When the score of an indicator will fall below the threshold with
    /// no new evidence, in Unix seconds: `None` if never (sightings can hold
    /// a score above it for good), `reference_time` or earlier if it
    /// already has. Lets a caller schedule the next re-score instead of
    /// polling.
    pub fn falls_below_threshold_at(&self, facts: &IndicatorFacts) -> Option<i64> {
        let (sighted_factor, penalty) = self.evidence(facts.sightings, facts.false_positives);
        // The rounded score is below the threshold when the exact one is
        // below threshold − 0.5.
        let limit = (f64::from(self.threshold) - 0.5) / 100.0;
        if limit <= 0.0 {
            return None;
        }
        // penalized < limit ⇔ decayed < 1 − (1 − limit / penalty) / sighted_factor.
        let decayed_limit = 1.0 - (1.0 - limit / penalty) / sighted_factor;
        if decayed_limit.is_nan() || decayed_limit <= 0.0 {
            return None;
        }
        let standing = clamp_standing(facts.standing);
        if standing < decayed_limit {
            return Some(facts.reference_time);
        }
        let half_life = self.half_life(facts.kind)?;
        let days = half_life * (standing / decayed_limit).log2();
        let seconds = (days * SECONDS_PER_DAY).ceil();
        Some(
            facts
                .reference_time
                .saturating_add(seconds.min(i64::MAX as f64) as i64),
        )
    }

    /// The half-life of `kind` in days, `None` for no decay.
    fn half_life(&self, kind: IndicatorKind) -> Option<f64> {
        let days = self.half_life_days[kind as usize];
        (days.is_finite() && days > 0.0).then_some(days)
    }

    /// `(1 − b)^n` and `(1 − f)^m`.
    #[inline]
    fn evidence(&self, sightings: u32, false_positives: u32) -> (f64, f64) {
        let keep = 1.0 - self.sighting_boost.clamp(0.0, 1.0);
        let penalty = 1.0 - self.false_positive_penalty.clamp(0.0, 1.0);
        (power(keep, sightings), power(penalty, false_positives))
    }

    #[inline]
    fn confidence_at(
        &self,
        standing: f64,
        kind: IndicatorKind,
        reference_time: i64,
        sightings: u32,
        false_positives: u32,
        now: i64,
    ) -> u8 {
        let age_days = (now.saturating_sub(reference_time)).max(0) as f64 / SECONDS_PER_DAY;
        let decay = match self.half_life(kind) {
            Some(half_life) => (-age_days / half_life).exp2(),
            None => 1.0,
        };
        let (sighted_factor, penalty) = self.evidence(sightings, false_positives);
        let decayed = clamp_standing(standing) * decay;
        let sighted = 1.0 - (1.0 - decayed) * sighted_factor;
        let penalized = sighted * penalty;
        // In 0..=100 after the clamp, so the cast is exact.
        (100.0 * penalized).round().clamp(0.0, 100.0) as u8
    }

    #[inline]
    fn status(&self, confidence: u8, valid_until: i64, revoked: bool, now: i64) -> Status {
        if revoked {
            Status::Revoked
        } else if now >= valid_until {
            Status::Expired
        } else if confidence < self.threshold {
            Status::BelowThreshold
        } else {
            Status::Active
        }
    }
}

fn clamp_standing(standing: f64) -> f64 {
    if standing.is_nan() {
        0.0
    } else {
        standing.clamp(0.0, 1.0)
    }
}

/// `base^exponent` for a base in 0–1; `powi` takes an `i32`, and past that
/// the result is zero anyway (or one for a base of one).
#[inline]
fn power(base: f64, exponent: u32) -> f64 {
    match i32::try_from(exponent) {
        Ok(exponent) => base.powi(exponent),
        Err(_) => base.powf(f64::from(exponent)),
    }
}
