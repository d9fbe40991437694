//! The `patterns.*` record kinds and their bodies: what a community log
//! carries about code patterns (wire types, serialized into record bodies).
//!
//! A submission carries a [`SharedFingerprint`] (a set of keyed hashes, the
//! token count and the scheme) and the pattern's properties; never code,
//! names, positions or paths. Everything after it refers to the submission by
//! its record id.

use std::fmt;
use std::str::FromStr;

use commons_fingerprint::SharedFingerprint;
use commons_kernel::{KindSpec, Role};
use serde::{Deserialize, Serialize};

/// `patterns.submit`: a new pattern.
pub const SUBMIT: &str = "patterns.submit";
/// `patterns.vote`: a member's vote, replacing their earlier one.
pub const VOTE: &str = "patterns.vote";
/// `patterns.approve`: an expert's approval.
pub const APPROVE: &str = "patterns.approve";
/// `patterns.withdraw`: the submitter takes the pattern back.
pub const WITHDRAW: &str = "patterns.withdraw";
/// `patterns.transition`: the home node moves a pattern to a new state.
pub const TRANSITION: &str = "patterns.transition";
/// `patterns.rotate`: an administrator starts a new epoch of the
/// community's pattern key.
pub const ROTATE: &str = "patterns.rotate";
/// `patterns.counts`: a member who opted in reports how often each pattern
/// matched their code in one period (counts only, no places).
pub const COUNTS: &str = "patterns.counts";

/// The `patterns.*` kinds.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: SUBMIT,
        // A member, or the home node on behalf of an anonymous member.
        min_role: None,
        summary: "submit a pattern: keyed fingerprint, language, title, properties",
    },
    KindSpec {
        kind: VOTE,
        min_role: Some(Role::Member),
        summary: "vote for (+1) or against (-1) a pattern; a later vote replaces an earlier one",
    },
    KindSpec {
        kind: APPROVE,
        min_role: Some(Role::Expert),
        summary: "an expert approves a pattern",
    },
    KindSpec {
        kind: WITHDRAW,
        // The submitter, or the home node for an anonymous submitter.
        min_role: None,
        summary: "the submitter withdraws a pattern",
    },
    KindSpec {
        kind: TRANSITION,
        min_role: None,
        summary: "the home node moves a pattern to in-review, accepted, rejected or withdrawn",
    },
    KindSpec {
        kind: ROTATE,
        min_role: Some(Role::Admin),
        summary: "an administrator starts the next epoch of the community's pattern key",
    },
    KindSpec {
        kind: COUNTS,
        min_role: Some(Role::Member),
        summary: "an opted-in member reports how many times each pattern matched in a period",
    },
];

/// Body of `patterns.submit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// A short name, 1–200 characters.
    pub title: String,
    /// What the pattern is and why it matters, at most 4,000 characters.
    #[serde(default)]
    pub description: String,
    /// The language of the pattern's code, as the engine names it.
    pub language: String,
    /// Severity, category, performance and security impact.
    pub properties: Properties,
    /// What was shared: scheme, key epoch, token count, keyed hashes.
    pub fingerprint: SharedFingerprint,
    /// Signed by the home node for a member who stays anonymous.
    #[serde(default)]
    pub anonymous: bool,
    /// Near-duplicates found on submission (record ids), linked for review.
    #[serde(default)]
    pub similar: Vec<String>,
}

/// A pattern's properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Properties {
    /// How bad a match is.
    pub severity: Severity,
    /// A slug such as `sql-injection`, `n+1-query`, `unbounded-allocation`.
    pub category: String,
    /// Performance impact.
    #[serde(default)]
    pub performance: Impact,
    /// Security impact.
    #[serde(default)]
    pub security: Impact,
}

/// How bad a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// A performance or security impact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// None.
    #[default]
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Body of `patterns.vote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    /// The pattern's submission record id.
    pub pattern: String,
    /// +1 or -1.
    pub vote: i64,
}

/// Body of `patterns.approve` and `patterns.withdraw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternRef {
    /// The pattern's submission record id.
    pub pattern: String,
}

/// Body of `patterns.transition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The pattern's submission record id.
    pub pattern: String,
    /// The new state.
    pub state: State,
    /// Why, in a few words (`net votes 5 of 5`, `expert approval`…).
    pub reason: String,
}

/// Body of `patterns.rotate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// The new epoch: one more than the current one.
    pub epoch: u32,
}

/// Body of `patterns.counts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountsBody {
    /// The UTC day the counts are for, `YYYY-MM-DD`.
    pub period: String,
    /// One count per pattern that matched.
    pub counts: Vec<PatternCount>,
}

/// How many times one pattern matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternCount {
    /// The pattern's submission record id.
    pub pattern: String,
    /// Matches found in the period, at least 1.
    pub matches: u64,
}

/// Where a pattern stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Submitted, no vote yet.
    Submitted,
    /// Votes are coming in.
    InReview,
    /// In the community's library.
    Accepted,
    /// Voted down.
    Rejected,
    /// Taken back by its submitter.
    Withdrawn,
}

impl State {
    /// Whether no further transition may follow.
    pub fn is_final(self) -> bool {
        matches!(self, State::Accepted | State::Rejected | State::Withdrawn)
    }

    /// Its wire and column name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::InReview => "in-review",
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(text: &str) -> Result<State, String> {
        match text {
            "submitted" => Ok(State::Submitted),
            "in-review" => Ok(State::InReview),
            "accepted" => Ok(State::Accepted),
            "rejected" => Ok(State::Rejected),
            "withdrawn" => Ok(State::Withdrawn),
            other => Err(format!(
                "unknown state {other:?}; expected submitted, in-review, accepted, rejected or withdrawn"
            )),
        }
    }
}

impl Severity {
    /// Its wire and column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Severity, String> {
        match text {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity {other:?}; expected critical, high, medium, low or info"
            )),
        }
    }
}

impl Impact {
    /// Its wire and column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Low => "low",
            Impact::Medium => "medium",
            Impact::High => "high",
        }
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Impact {
    type Err = String;
    fn from_str(text: &str) -> Result<Impact, String> {
        match text {
            "none" => Ok(Impact::None),
            "low" => Ok(Impact::Low),
            "medium" => Ok(Impact::Medium),
            "high" => Ok(Impact::High),
            other => Err(format!(
                "unknown impact {other:?}; expected none, low, medium or high"
            )),
        }
    }
}

impl Properties {
    /// The labels the community policy's `expert_approval` list is matched
    /// against: the category, `security` when the security impact is not
    /// none, and the kind `patterns.submit`.
    pub fn review_labels(&self) -> Vec<&str> {
        let mut labels = vec![self.category.as_str(), SUBMIT];
        if self.security != Impact::None {
            labels.push("security");
        }
        labels
    }
}
