//! The syntax tree of a STIX pattern.
//!
//! Chains of one operator are n-ary (`And(vec![a, b, c])`) rather than
//! nested pairs: every observation and comparison operator is associative,
//! so `(a AND b) AND c` and `a AND (b AND c)` mean the same thing and parse
//! to the same tree. That keeps the tree shallow (a thousand `AND`s are one
//! node, not a thousand levels of recursion) and lets the evaluator treat a
//! ten-way `AND` as one matching problem. Parentheses survive only where they
//! change meaning: around a qualified expression that is qualified again,
//! which is why [`ObservationExpr::Qualified`] holds a list of qualifiers
//! (`[a] WITHIN 5 SECONDS WITHIN 6 SECONDS`) that differs from a nested
//! qualified expression (`([a] WITHIN 5 SECONDS) WITHIN 6 SECONDS`).

use crate::Timestamp;

/// A parsed pattern: one observation expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The whole pattern.
    pub expression: ObservationExpr,
}

/// An observation expression: what one or more observations must show.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison ]`: one observation satisfies the comparison.
    Observation(ComparisonExpr),
    /// `a AND b AND …`: each operand bound to different observations.
    And(Vec<ObservationExpr>),
    /// `a OR b OR …`: any operand.
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY …`: operands in time order.
    FollowedBy(Vec<ObservationExpr>),
    /// `expr QUALIFIER …`: qualifiers applied left to right.
    Qualified {
        /// The qualified expression.
        expr: Box<ObservationExpr>,
        /// At least one qualifier.
        qualifiers: Vec<Qualifier>,
    },
}

/// A qualifier of an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`: every bound observation inside one window.
    Within(Seconds),
    /// `REPEATS n TIMES`: n disjoint bindings of the expression.
    Repeats(u64),
    /// `START t'…' STOP t'…'`: observations overlapping `[start, stop)`.
    StartStop {
        /// Inclusive start.
        start: Timestamp,
        /// Exclusive stop.
        stop: Timestamp,
    },
}

/// The positive duration of a `WITHIN` qualifier, as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Seconds {
    /// An integer number of seconds.
    Int(u64),
    /// A fractional number of seconds.
    Float(f64),
}

/// A comparison expression: what one observation's objects must show.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// All operands, about the same object.
    And(Vec<ComparisonExpr>),
    /// Any operand.
    Or(Vec<ComparisonExpr>),
    /// One property test.
    Test(PropTest),
}

/// `path [NOT] operator operand`, or `[NOT] EXISTS path`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropTest {
    /// What is tested.
    pub path: ObjectPath,
    /// Whether `NOT` negates the test.
    pub negated: bool,
    /// The operator and its operand.
    pub operator: Operator,
}

/// A comparison operator with its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `=` (also written `==`).
    Eq(Literal),
    /// `!=` (also written `<>`).
    Ne(Literal),
    /// `<`.
    Lt(Literal),
    /// `<=`.
    Le(Literal),
    /// `>`.
    Gt(Literal),
    /// `>=`.
    Ge(Literal),
    /// `IN (…)`.
    In(Vec<Literal>),
    /// `LIKE '…'`: SQL `%` and `_` wildcards.
    Like(String),
    /// `MATCHES '…'`: a regular expression.
    Matches(String),
    /// `ISSUBSET '…'`: the value (address or CIDR) lies within the CIDR.
    IsSubset(String),
    /// `ISSUPERSET '…'`: the value (a CIDR) contains the address or CIDR.
    IsSuperset(String),
    /// `EXISTS`: the property is present.
    Exists,
}

/// An object path: `type:property(.key | [n] | [*])*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectPath {
    /// The cyber-observable type, e.g. `network-traffic`.
    pub object_type: String,
    /// The first property, e.g. `dst_ref`.
    pub property: String,
    /// Further steps, e.g. `.value`.
    pub steps: Vec<PathStep>,
}

/// One step of an object path after the first property.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// `.key` or `.'quoted key'`.
    Key(String),
    /// `[n]`; negative indexes parse but never select anything.
    Index(i64),
    /// `[*]`: every element.
    AnyIndex,
}

/// A literal operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An integer.
    Int(i64),
    /// A finite float.
    Float(f64),
    /// A string.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// `b'…'`: bytes written in base64.
    Binary(Vec<u8>),
    /// `h'…'`: bytes written in hex.
    Hex(Vec<u8>),
    /// `t'…'`: an instant.
    Timestamp(Timestamp),
}

impl Seconds {
    /// The duration in nanoseconds, rounded; saturates for absurd values.
    pub fn as_nanos(self) -> i128 {
        match self {
            Seconds::Int(seconds) => i128::from(seconds) * 1_000_000_000,
            // `as` saturates for floats out of range, which is what we want.
            Seconds::Float(seconds) => (seconds * 1e9).round() as i128,
        }
    }
}

impl Pattern {
    /// Every comparison expression inside `[…]`, left to right.
    pub fn observations(&self) -> Vec<&ComparisonExpr> {
        let mut found = Vec::new();
        collect_observations(&self.expression, &mut found);
        found
    }

    /// Every property test, left to right.
    pub fn tests(&self) -> Vec<&PropTest> {
        let mut found = Vec::new();
        for comparison in self.observations() {
            comparison.collect_tests(&mut found);
        }
        found
    }
}

fn collect_observations<'a>(expr: &'a ObservationExpr, found: &mut Vec<&'a ComparisonExpr>) {
    match expr {
        ObservationExpr::Observation(comparison) => found.push(comparison),
        ObservationExpr::And(items)
        | ObservationExpr::Or(items)
        | ObservationExpr::FollowedBy(items) => {
            for item in items {
                collect_observations(item, found);
            }
        }
        ObservationExpr::Qualified { expr, .. } => collect_observations(expr, found),
    }
}

impl ComparisonExpr {
    /// Every property test in this expression, left to right.
    pub fn tests(&self) -> Vec<&PropTest> {
        let mut found = Vec::new();
        self.collect_tests(&mut found);
        found
    }

    fn collect_tests<'a>(&'a self, found: &mut Vec<&'a PropTest>) {
        match self {
            ComparisonExpr::And(items) | ComparisonExpr::Or(items) => {
                for item in items {
                    item.collect_tests(found);
                }
            }
            ComparisonExpr::Test(test) => found.push(test),
        }
    }
}
