//! Checks of a parsed pattern beyond the grammar: what the specification
//! forbids (two qualifiers of one kind on one expression, malformed hash
//! values) and what is legal but can never match.

use std::mem::discriminant;

use super::ast::{
    ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, Pattern, PropTest, Qualifier,
};
use crate::net::IpNet;
use crate::validate::Severity;
use crate::vocab::{self, Category};

/// One problem with a pattern that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternIssue {
    /// `Error` for what the specification forbids, `Warning` for what can
    /// never match.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
}

/// Every issue with `pattern`.
pub fn check_pattern(pattern: &Pattern) -> Vec<PatternIssue> {
    let mut issues = Vec::new();
    check_observation(&pattern.expression, &mut issues);
    issues
}

fn issue(issues: &mut Vec<PatternIssue>, severity: Severity, message: String) {
    issues.push(PatternIssue { severity, message });
}

fn check_observation(expr: &ObservationExpr, issues: &mut Vec<PatternIssue>) {
    match expr {
        ObservationExpr::Observation(comparison) => check_comparison(comparison, issues),
        ObservationExpr::And(items)
        | ObservationExpr::Or(items)
        | ObservationExpr::FollowedBy(items) => {
            for item in items {
                check_observation(item, issues);
            }
        }
        ObservationExpr::Qualified { expr, qualifiers } => {
            for (idx, qualifier) in qualifiers.iter().enumerate() {
                let repeated = qualifiers[..idx]
                    .iter()
                    .any(|earlier| discriminant(earlier) == discriminant(qualifier));
                if repeated {
                    let name = match qualifier {
                        Qualifier::Within(_) => "WITHIN",
                        Qualifier::Repeats(_) => "REPEATS",
                        Qualifier::StartStop { .. } => "START/STOP",
                    };
                    issue(
                        issues,
                        Severity::Error,
                        format!(
                            "two {name} qualifiers apply to one expression; parenthesize to nest them"
                        ),
                    );
                }
                if let Qualifier::StartStop { start, stop } = qualifier
                    && start >= stop
                {
                    issue(
                        issues,
                        Severity::Warning,
                        format!(
                            "START t'{start}' is not before STOP t'{stop}': the expression never matches"
                        ),
                    );
                }
            }
            check_observation(expr, issues);
        }
    }
}

fn check_comparison(comparison: &ComparisonExpr, issues: &mut Vec<PatternIssue>) {
    match comparison {
        ComparisonExpr::And(items) => {
            let mut types: Vec<&str> = items.iter().flat_map(|it| root_types(it)).collect();
            types.sort_unstable();
            types.dedup();
            if types.len() > 1 {
                issue(
                    issues,
                    Severity::Warning,
                    format!(
                        "AND joins tests of different object types ({}); they must hold for one object, so this never matches",
                        types.join(", ")
                    ),
                );
            }
            for item in items {
                check_comparison(item, issues);
            }
        }
        ComparisonExpr::Or(items) => {
            for item in items {
                check_comparison(item, issues);
            }
        }
        ComparisonExpr::Test(test) => check_test(test, issues),
    }
}

/// The object types an expression can be rooted at.
fn root_types(comparison: &ComparisonExpr) -> Vec<&str> {
    comparison
        .tests()
        .into_iter()
        .map(|test| test.path.object_type.as_str())
        .collect()
}

fn check_test(test: &PropTest, issues: &mut Vec<PatternIssue>) {
    let object_type = &test.path.object_type;
    if matches!(
        vocab::category(object_type),
        Some(Category::Domain | Category::Relationship | Category::Meta | Category::Bundle)
    ) {
        issue(
            issues,
            Severity::Warning,
            format!(
                "'{object_type}' is not a cyber-observable type; patterns only match observables"
            ),
        );
    }
    match &test.operator {
        Operator::Eq(literal) | Operator::Ne(literal) => check_hash(test, literal, issues),
        Operator::In(items) => {
            for literal in items {
                check_hash(test, literal, issues);
            }
            let numbers = |it: &Literal| matches!(it, Literal::Int(_) | Literal::Float(_));
            let homogeneous = items.windows(2).all(|pair| {
                discriminant(&pair[0]) == discriminant(&pair[1])
                    || (numbers(&pair[0]) && numbers(&pair[1]))
            });
            if !homogeneous {
                issue(
                    issues,
                    Severity::Warning,
                    format!("the set in '{test}' mixes literal types"),
                );
            }
        }
        Operator::Matches(regex) => {
            if let Err(error) = crate::evaluate::compile_regex(regex) {
                issue(
                    issues,
                    Severity::Warning,
                    format!(
                        "the regular expression in '{test}' is not supported here, so it never matches: {error}"
                    ),
                );
            }
        }
        Operator::IsSubset(text) | Operator::IsSuperset(text) if IpNet::parse(text).is_none() => {
            issue(
                issues,
                Severity::Warning,
                format!("'{text}' is not an IP address or CIDR block, so '{test}' never matches"),
            );
        }
        _ => {}
    }
}

/// Lengths in hex digits of the hash algorithms with a fixed size, keyed by
/// name upper-cased without `-`.
const HASH_LENGTHS: &[(&str, &str, usize)] = &[
    ("MD5", "MD5", 32),
    ("SHA1", "SHA-1", 40),
    ("SHA224", "SHA-224", 56),
    ("SHA256", "SHA-256", 64),
    ("SHA384", "SHA-384", 96),
    ("SHA512", "SHA-512", 128),
    ("SHA3224", "SHA3-224", 56),
    ("SHA3256", "SHA3-256", 64),
    ("SHA3384", "SHA3-384", 96),
    ("SHA3512", "SHA3-512", 128),
    ("RIPEMD160", "RIPEMD-160", 40),
];

/// The name and hex length of a hash algorithm named `key` in any case,
/// with or without its hyphen.
pub(crate) fn hash_length(key: &str) -> Option<(&'static str, usize)> {
    let normalized: String = key
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    HASH_LENGTHS
        .iter()
        .find(|(name, _, _)| *name == normalized)
        .map(|(_, display, len)| (*display, *len))
}

/// Whether `value` is `len` hex digits.
pub(crate) fn is_hex_of_length(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|it| it.is_ascii_hexdigit())
}

/// A string compared with `….hashes.<algorithm>` must be a hash of that
/// algorithm's length.
fn check_hash(test: &PropTest, literal: &Literal, issues: &mut Vec<PatternIssue>) {
    let Literal::Str(value) = literal else {
        return;
    };
    let path = &test.path;
    let keys: Vec<&str> = std::iter::once(path.property.as_str())
        .chain(path.steps.iter().filter_map(|step| match step {
            PathStep::Key(key) => Some(key.as_str()),
            _ => None,
        }))
        .collect();
    let [.., parent, algorithm] = keys.as_slice() else {
        return;
    };
    if *parent != "hashes" || !matches!(path.steps.last(), Some(PathStep::Key(_))) {
        return;
    }
    if let Some((name, len)) = hash_length(algorithm)
        && !is_hex_of_length(value, len)
    {
        issue(
            issues,
            Severity::Error,
            format!("'{value}' is not a valid {name} hash ({len} hex digits)"),
        );
    }
}
