//! STIX patterning 2.1: the syntax tree, a parser whose errors give the byte
//! position and what was expected, a canonical printer, and checks beyond
//! the grammar.
//!
//! The grammar is the OASIS ANTLR grammar for 2.1: observation expressions
//! in brackets joined by `AND` (binds tightest), `OR` and `FOLLOWEDBY`, each
//! optionally followed by qualifiers (`WITHIN`, `REPEATS`, `START … STOP`),
//! which bind tighter than any operator; inside brackets, property tests
//! joined by `AND` and `OR`.

mod ast;
mod check;
mod display;
mod lexer;
mod parser;

pub use ast::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern, PropTest,
    Qualifier, Seconds,
};
pub use check::{PatternIssue, check_pattern};
pub(crate) use check::{hash_length, is_hex_of_length};
pub use parser::{PatternError, parse_pattern};
