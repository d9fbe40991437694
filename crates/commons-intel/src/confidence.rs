//! How the feed scores an indicator: the source's standing in the community,
//! then `commons_stix::confidence` (age decay with a half-life per kind,
//! sightings, false positives, expiry) with the community's model.
//!
//! # Source standing
//!
//! ```text
//! standing = role base · (published confidence / 100, or 1 when absent)
//! ```
//!
//! with the role base 0.9 for admins, 0.85 for moderators, 0.8 for experts,
//! 0.7 for members and 0.4 for an author who is no longer an active member.
//! The role is read when scoring, so a source's standing follows what the
//! community thinks of it now, not when it published.
//!
//! Scores depend on the time they are computed at, so nothing stores them:
//! each read scores the facts it loads (one multiply-add chain per
//! indicator; `examples/intel-bench.rs` re-scores ten million in well under
//! the two-second target).

use commons_kernel::Role;
use commons_stix::confidence::{ConfidenceModel, IndicatorFacts, IndicatorKind, Score, Status};
use serde::Serialize;

/// An indicator's score at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndicatorScore {
    /// 0–100.
    pub confidence: u8,
    /// Whether it still matches, and if not why.
    pub status: Status,
}

/// The facts about one indicator that scoring reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    /// The author's current role, `None` when no longer an active member.
    pub role: Option<Role>,
    /// The `confidence` property it was published with.
    pub published_confidence: Option<u8>,
    /// Its kind.
    pub kind: IndicatorKind,
    /// `valid_from`, Unix seconds.
    pub valid_from_s: i64,
    /// `valid_until`, Unix seconds.
    pub valid_until_s: Option<i64>,
    /// Revoked.
    pub revoked: bool,
    /// True-positive sightings, summed over reports.
    pub sightings: u32,
    /// False-positive reports.
    pub false_positives: u32,
    /// The latest `last_seen` of its sightings, Unix seconds (0 for none).
    pub last_sighting_s: i64,
}

/// The standing of a source, 0–1 (see the module docs).
pub fn standing_of(role: Option<Role>, published_confidence: Option<u8>) -> f64 {
    let base = match role {
        Some(Role::Admin) => 0.9,
        Some(Role::Moderator) => 0.85,
        Some(Role::Expert) => 0.8,
        Some(Role::Member) => 0.7,
        None => 0.4,
    };
    let published = published_confidence.map_or(1.0, |it| f64::from(it.min(100)) / 100.0);
    base * published
}

/// Scores `facts` at `now` (Unix seconds) under `model`.
pub fn score(model: &ConfidenceModel, facts: &Facts, now: i64) -> IndicatorScore {
    let Score { confidence, status } = model.score(&stix_facts(facts), now);
    IndicatorScore { confidence, status }
}

/// The facts in the form the STIX engine scores.
pub fn stix_facts(facts: &Facts) -> IndicatorFacts {
    IndicatorFacts {
        standing: standing_of(facts.role, facts.published_confidence),
        kind: facts.kind,
        reference_time: facts.valid_from_s.max(facts.last_sighting_s),
        sightings: facts.sightings,
        false_positives: facts.false_positives,
        valid_until: facts.valid_until_s,
        revoked: facts.revoked,
    }
}
