//! Does a set of observations match a pattern, and which observations
//! bound to which part of it?
//!
//! The semantics are the specification's, as the OASIS reference matcher
//! implements them (its behaviour settles what the text leaves open):
//!
//! - one `[…]` is satisfied by one observation, all its tests about one
//!   root object, with references resolved inside that observation
//!   (`evaluate/compare.rs`);
//! - observation operators bind different observations: `AND` needs each
//!   operand bound, `OR` either, `FOLLOWEDBY` operands in time order; an
//!   observation seen `number_observed` times counts as that many;
//! - `WITHIN` bounds the span of a binding, `REPEATS n` needs n disjoint
//!   bindings, `START/STOP` needs every bound observation to overlap the
//!   window (touching its start counts, touching its stop does not).
//!
//! How bindings are found without enumerating them is explained in
//! `evaluate/search.rs`.

mod compare;
mod flow;
mod search;

use serde::Serialize;

use crate::observation::Observation;
use crate::pattern::{ComparisonExpr, ObservationExpr, Pattern, Qualifier};
use compare::Compiled;
use search::{Outcome, Plan, Problem};

/// How much work an evaluation may do before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Choices (`OR` branches, `WITHIN` windows, `FOLLOWEDBY` thresholds)
    /// the search may try. Patterns without nested choices need one step
    /// per window or threshold.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_steps: 100_000 }
    }
}

/// The answer, with the binding that proves a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Whether the observations match the pattern.
    pub matched: bool,
    /// The search ran out of steps before deciding; `matched` is then
    /// `false` but the pattern may match.
    pub exhausted: bool,
    /// When matched: for each `[…]` of the pattern, the observations bound
    /// to it.
    pub bindings: Vec<Binding>,
    /// Parts of the pattern that can never match (an unsupported regex, a
    /// CIDR that does not parse).
    pub warnings: Vec<String>,
}

/// The observations bound to one observation expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The expression, printed canonically, e.g. `[ipv4-addr:value = '…']`.
    pub expression: String,
    /// The bound observations.
    pub observations: Vec<BoundObservation>,
}

/// One observation in a binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoundObservation {
    /// Index into the observations passed in.
    pub index: usize,
    /// The `observed-data` id, if any.
    pub id: Option<String>,
    /// How many of its `number_observed` instances were used.
    pub count: u64,
}

/// A pattern prepared for evaluation: regexes compiled, CIDRs parsed,
/// qualifiers folded into a plan. Build once, evaluate many times.
#[derive(Debug, Clone)]
pub struct CompiledPattern {
    /// Each distinct `[…]`, printed, and compiled.
    leaves: Vec<(String, Compiled)>,
    plan: Plan,
    warnings: Vec<String>,
}

/// Evaluates `pattern` against `observations` with the default limits.
pub fn evaluate(pattern: &Pattern, observations: &[Observation]) -> Evaluation {
    CompiledPattern::new(pattern).evaluate(observations)
}

impl CompiledPattern {
    /// Prepares `pattern`.
    pub fn new(pattern: &Pattern) -> CompiledPattern {
        let mut sources: Vec<&ComparisonExpr> = Vec::new();
        let plan = plan(&pattern.expression, &mut sources);
        let mut warnings = Vec::new();
        let leaves = sources
            .into_iter()
            .map(|expr| (format!("[{expr}]"), Compiled::new(expr, &mut warnings)))
            .collect();
        CompiledPattern {
            leaves,
            plan,
            warnings,
        }
    }

    /// Evaluates against `observations` with the default limits.
    pub fn evaluate(&self, observations: &[Observation]) -> Evaluation {
        self.evaluate_with(observations, Limits::default())
    }

    /// Evaluates against `observations` within `limits`.
    pub fn evaluate_with(&self, observations: &[Observation], limits: Limits) -> Evaluation {
        let candidates = self
            .leaves
            .iter()
            .map(|(_, compiled)| {
                observations
                    .iter()
                    .enumerate()
                    .filter(|(_, observation)| compiled.matches(observation))
                    .map(|(idx, _)| u32::try_from(idx).unwrap_or(u32::MAX))
                    .filter(|idx| *idx != u32::MAX)
                    .collect()
            })
            .collect();
        let problem = Problem {
            first: observations
                .iter()
                .map(|it| it.first_observed.unix_nanos())
                .collect(),
            last: observations
                .iter()
                .map(|it| it.last_observed.unix_nanos())
                .collect(),
            capacity: observations.iter().map(|it| it.number_observed).collect(),
            candidates,
        };
        let outcome = search::search(&problem, &self.plan, limits.max_steps);
        let (matched, exhausted, bindings) = match outcome {
            Outcome::Matched(binding) => (true, false, self.bindings(binding, observations)),
            Outcome::NoMatch => (false, false, Vec::new()),
            Outcome::Exhausted => (false, true, Vec::new()),
        };
        Evaluation {
            matched,
            exhausted,
            bindings,
            warnings: self.warnings.clone(),
        }
    }

    /// Whether the pattern is one `[…]` without qualifiers, so that it
    /// matches exactly the observations [`CompiledPattern::matches_one`]
    /// accepts.
    pub fn is_single_observation(&self) -> bool {
        matches!(self.plan, Plan::Leaf(_))
    }

    /// Whether some `[…]` of the pattern matches `observation` on its own.
    /// For a single-observation pattern this is the answer; for others it
    /// is a necessary condition.
    pub fn matches_one(&self, observation: &Observation) -> bool {
        self.leaves
            .iter()
            .any(|(_, compiled)| compiled.matches(observation))
    }

    /// The object types the pattern's tests are about.
    pub fn object_types(&self) -> Vec<String> {
        let mut types = Vec::new();
        for (_, compiled) in &self.leaves {
            compiled.object_types(&mut types);
        }
        types
    }

    /// Parts of the pattern that can never match.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn bindings(
        &self,
        binding: Vec<(usize, Vec<(u32, u64)>)>,
        observations: &[Observation],
    ) -> Vec<Binding> {
        let mut result: Vec<Binding> = Vec::new();
        for (leaf, assigned) in binding {
            let expression = &self.leaves[leaf].0;
            let position = match result.iter().position(|it| &it.expression == expression) {
                Some(position) => position,
                None => {
                    result.push(Binding {
                        expression: expression.clone(),
                        observations: Vec::new(),
                    });
                    result.len() - 1
                }
            };
            for (index, count) in assigned {
                let index = index as usize;
                let bound = &mut result[position].observations;
                match bound.iter_mut().find(|it| it.index == index) {
                    Some(existing) => existing.count += count,
                    None => bound.push(BoundObservation {
                        index,
                        id: observations[index].id.clone(),
                        count,
                    }),
                }
            }
        }
        for binding in &mut result {
            binding.observations.sort_by_key(|it| it.index);
        }
        result
    }
}

/// Builds the plan of `expr`, collecting each distinct `[…]` as a leaf.
fn plan<'a>(expr: &'a ObservationExpr, leaves: &mut Vec<&'a ComparisonExpr>) -> Plan {
    match expr {
        ObservationExpr::Observation(comparison) => {
            let idx = match leaves.iter().position(|it| *it == comparison) {
                Some(idx) => idx,
                None => {
                    leaves.push(comparison);
                    leaves.len() - 1
                }
            };
            Plan::Leaf(idx)
        }
        ObservationExpr::And(items) => Plan::And(items.iter().map(|it| plan(it, leaves)).collect()),
        ObservationExpr::Or(items) => Plan::Or(items.iter().map(|it| plan(it, leaves)).collect()),
        ObservationExpr::FollowedBy(items) => {
            let mut groups: Vec<Plan> = items.iter().map(|it| plan(it, leaves)).collect();
            // A chain of fewer than two has no order to check.
            match groups.len() {
                0 | 1 => Plan::And(std::mem::take(&mut groups)),
                _ => Plan::FollowedBy(groups),
            }
        }
        ObservationExpr::Qualified { expr, qualifiers } => {
            qualifiers
                .iter()
                .fold(plan(expr, leaves), |inner, qualifier| match qualifier {
                    Qualifier::Within(seconds) => Plan::Within(Box::new(inner), seconds.as_nanos()),
                    Qualifier::Repeats(count) => Plan::Repeat(Box::new(inner), *count),
                    Qualifier::StartStop { start, stop } => {
                        Plan::StartStop(Box::new(inner), start.unix_nanos(), stop.unix_nanos())
                    }
                })
        }
    }
}

/// Compiles a `MATCHES` operand. The `regex` crate runs in time linear in
/// the input (no backtracking), which matters for patterns written by
/// strangers; the price is that back-references and look-around are not
/// supported, so such a regex never matches and validation warns about it.
pub fn compile_regex(source: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(source).size_limit(1 << 20).build()
}
