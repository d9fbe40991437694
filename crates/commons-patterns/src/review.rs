//! Review: when a pattern moves between states, how near-duplicates are
//! recognised, and who should review it.
//!
//! The rules are pure functions of the projections; the home node applies
//! them after each vote, approval or submission and appends the transition
//! they call for as a `patterns.transition` record.

use commons_kernel::Policy;

use crate::records::{Properties, State};
use crate::views::{Overlap, PatternSummary};

/// Containment (either way) from which two patterns are near-duplicates.
pub const NEAR_DUPLICATE: f64 = 0.8;

/// How a new submission relates to an existing pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kinship {
    /// The same hash set: the submission is rejected.
    Exact,
    /// High containment either way, `0.0..=1.0`: the submission is linked.
    Near(f64),
}

/// The transition a pattern's votes and approvals call for, with its reason.
pub fn next_state(pattern: &PatternSummary, policy: &Policy) -> Option<(State, String)> {
    if pattern.state.is_final() {
        return None;
    }
    let net = i64::from(pattern.votes_for) - i64::from(pattern.votes_against);
    let threshold = i64::from(policy.votes_to_accept);
    let expert = needs_expert(&pattern.properties, policy);
    if net >= threshold && (!expert || pattern.approvals > 0) {
        let reason = if expert {
            format!("net votes {net} of {threshold} and an expert's approval")
        } else {
            format!("net votes {net} of {threshold}")
        };
        return Some((State::Accepted, reason));
    }
    if net <= -threshold {
        return Some((State::Rejected, format!("net votes {net} of -{threshold}")));
    }
    let reviewed = pattern.votes_for + pattern.votes_against + pattern.approvals > 0;
    if pattern.state == State::Submitted && reviewed {
        return Some((State::InReview, "first review".to_owned()));
    }
    None
}

/// Whether the policy asks an expert to approve patterns with these
/// properties (see [`Properties::review_labels`]).
pub fn needs_expert(properties: &Properties, policy: &Policy) -> bool {
    properties
        .review_labels()
        .iter()
        .any(|label| policy.expert_approval.iter().any(|item| item == label))
}

/// How a submission of `hash_count` hashes relates to an existing pattern it
/// overlaps, if closely enough to matter.
pub fn kinship(overlap: &Overlap, hash_count: u32) -> Option<Kinship> {
    if overlap.shared == hash_count && overlap.shared == overlap.hash_count {
        return Some(Kinship::Exact);
    }
    let new_in_old = f64::from(overlap.shared) / f64::from(hash_count.max(1));
    let old_in_new = f64::from(overlap.shared) / f64::from(overlap.hash_count.max(1));
    let containment = new_in_old.max(old_in_new).min(1.0);
    (containment >= NEAR_DUPLICATE).then_some(Kinship::Near(containment))
}
