//! STIX 2.1 for Commons: the object model, validation, the patterning
//! language, an evaluator, a compiled matcher for large indicator sets, and
//! confidence scoring.
//!
//! This is an engine crate: pure functions of values, no IO, nothing from
//! the workspace. The intel capability stores and publishes indicators, the
//! web crate serves TAXII, the binary reads files; they all call in here.
//!
//! - [`model`]: typed objects and [`Bundle`]s that keep unknown properties,
//!   read through [`Bundle::from_json`] (which validates first).
//! - [`validate()`]: every finding about a bundle or object, with a JSON
//!   pointer, a severity and a code.
//! - [`pattern`]: [`parse_pattern`] turns text into a [`Pattern`] or a
//!   [`PatternError`] with the byte position; `Display` prints it back
//!   canonically.
//! - [`evaluate()`]: does a set of [`Observation`]s match a pattern, and
//!   which observations bound to which part of it.
//! - [`matcher`]: many patterns compiled into hash and range indexes, with
//!   the evaluator as the fallback for patterns the indexes cannot answer.
//! - [`confidence`]: the documented 0–100 score from source standing, age,
//!   sightings and false positives, and a batch re-scorer.
#![warn(missing_docs)]

pub mod confidence;
pub mod evaluate;
mod identifier;
pub mod matcher;
pub mod model;
pub mod net;
mod observation;
pub mod pattern;
mod timestamp;
pub mod validate;
pub mod vocab;

pub use evaluate::{CompiledPattern, Evaluation, evaluate};
pub use identifier::{Identifier, IdentifierError};
pub use matcher::{Matcher, MatcherBuilder, Observable, PatternId};
pub use model::{Bundle, StixError, StixObject};
pub use observation::{Observation, ObservationError, observations_from_json};
pub use pattern::{Pattern, PatternError, parse_pattern};
pub use timestamp::{Timestamp, TimestampError};
pub use validate::{Finding, Severity, validate};

#[cfg(test)]
mod tests;
