//! Why a source text could not be fingerprinted.

use crate::language::Language;

/// Why a source text could not be fingerprinted. Every variant is bad input
/// (or a limit the caller set) described as data; none is a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// The source is larger than [`crate::Limits::max_bytes`].
    #[error("source is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Size of the source in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The source has a NUL byte near its start: a binary file.
    #[error("source looks binary (NUL byte at offset {offset})")]
    Binary {
        /// Offset of the first NUL byte.
        offset: usize,
    },
    /// The source is not UTF-8.
    #[error("source is not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        offset: usize,
    },
    /// The syntax tree nests deeper than [`crate::Limits::max_depth`].
    #[error("syntax tree nests deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The normalized stream would exceed [`crate::Limits::max_tokens`].
    #[error("source has more than {limit} tokens")]
    TooManyTokens {
        /// The limit.
        limit: usize,
    },
    /// The parser used up its work budget (see
    /// [`crate::Limits::parse_steps_per_byte`]) before finishing.
    #[error("parser gave up after {budget} steps")]
    ParseBudgetExceeded {
        /// The budget, in units of 100 parser operations.
        budget: u64,
    },
    /// A line range that selects nothing: empty, reversed or past the end.
    #[error("line range {first}-{last} selects no code")]
    EmptyLineRange {
        /// First line asked for.
        first: u32,
        /// Last line asked for.
        last: u32,
    },
    /// tree-sitter refused the compiled-in grammar (an ABI mismatch: a
    /// build problem, reported rather than panicking).
    #[error("tree-sitter rejected the {language} grammar: {message}")]
    Grammar {
        /// The language.
        language: Language,
        /// tree-sitter's message.
        message: String,
    },
}
