//! The local fingerprint: selected k-gram hashes with their positions and the
//! token-to-line map. It never leaves the machine; see [`crate::share`] for
//! what does.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::FingerprintError;
use crate::language::Language;
use crate::normalize::{Grammar, Normalized, Token, normalize};
use crate::winnow::{gram_hashes_into, kept, winnow};
use crate::{Config, FORMAT_VERSION, NORMALIZER_VERSION};

/// Everything two fingerprints must share to be comparable. Fingerprints of
/// different schemes are never compared: a changed grammar, vocabulary or `k`
/// changes every hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scheme {
    /// Version of the fingerprint format ([`FORMAT_VERSION`]).
    pub format: u32,
    /// Version of the normalizer's rules ([`NORMALIZER_VERSION`]).
    pub normalizer: u32,
    /// The language.
    pub language: Language,
    /// Grammar crate and version ([`Language::grammar_version`]).
    pub grammar: String,
    /// Vocabulary file(s) and version(s), e.g. `python 1`.
    pub vocabulary: String,
    /// Tokens per gram.
    pub k: u32,
    /// Winnowing window, in grams.
    pub window: u32,
}

/// A selected k-gram: its 64-bit hash and the first of its `k` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gram {
    /// The gram's local (unkeyed) hash.
    pub hash: u64,
    /// Index of its first token; the gram covers `start..start + k`.
    pub start: u32,
}

/// A local fingerprint of a source file or of a line range of one.
///
/// Holds the winnowed grams in token order, the number of tokens, and the
/// line map (`lines[i]` is the 1-based line of token `i`). It stays on the
/// machine that made it: export it with [`Fingerprint::export`] to get the
/// form that may be shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// What the hashes depend on.
    pub scheme: Scheme,
    /// Number of normalized tokens.
    pub token_count: u32,
    /// The winnowed grams, in token order.
    pub grams: Vec<Gram>,
    /// The line of every token (local only).
    pub lines: Vec<u32>,
    /// Whether the parser recovered from syntax errors in the source.
    #[serde(default)]
    pub syntax_errors: bool,
}

impl Scheme {
    /// The scheme of fingerprints of `language` made with `k` and `window`.
    pub fn new(language: Language, k: u32, window: u32) -> Scheme {
        Scheme {
            format: FORMAT_VERSION,
            normalizer: NORMALIZER_VERSION,
            language,
            grammar: language.grammar_version().to_string(),
            vocabulary: Grammar::of(language).vocabulary.version.clone(),
            k,
            window,
        }
    }

    /// Whether hashes made under `self` and `other` can be compared: all
    /// but the window must agree.
    pub fn comparable(&self, other: &Scheme) -> bool {
        self.format == other.format
            && self.normalizer == other.normalizer
            && self.language == other.language
            && self.grammar == other.grammar
            && self.vocabulary == other.vocabulary
            && self.k == other.k
    }
}

impl Fingerprint {
    /// Number of grams the token stream had before winnowing.
    pub fn gram_count(&self) -> u32 {
        (self.token_count + 1).saturating_sub(self.scheme.k)
    }

    /// The source lines (first, last) that tokens `first..=last` span.
    pub fn lines_of_tokens(&self, first: u32, last: u32) -> (u32, u32) {
        let line = |idx: u32| self.lines.get(idx as usize).copied().unwrap_or(0);
        (line(first), line(last))
    }

    /// The source lines a gram spans.
    pub fn lines_of(&self, gram: &Gram) -> (u32, u32) {
        self.lines_of_tokens(gram.start, gram.start + self.scheme.k.saturating_sub(1))
    }
}

thread_local! {
    /// Every gram hash of the file being fingerprinted (only the winnowed
    /// ones are returned), kept between files so a scan of a tree allocates
    /// it once per thread.
    static HASHES: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Fingerprints a whole source file.
pub fn fingerprint(
    language: Language,
    source: &[u8],
    config: &Config,
) -> Result<Fingerprint, FingerprintError> {
    let normalized = normalize(language, source, &config.limits)?;
    Ok(normalized.fingerprint(config))
}

/// Fingerprints the code on lines `lines` (1-based, inclusive) of a source
/// file. The whole file is parsed, so the code is read in its context;
/// tokens of constructs that are not wholly inside the range (an enclosing
/// class body that starts on the range's first line, an `if` whose end is
/// cut off) are not part of it, so a function selected inside a class
/// fingerprints like the same function anywhere else.
pub fn fingerprint_lines(
    language: Language,
    source: &[u8],
    lines: RangeInclusive<u32>,
    config: &Config,
) -> Result<Fingerprint, FingerprintError> {
    let (first, last) = (*lines.start(), *lines.end());
    if first > last {
        return Err(FingerprintError::EmptyLineRange { first, last });
    }
    let normalized = normalize(language, source, &config.limits)?;
    normalized.fingerprint_lines(lines, config)
}

impl Normalized {
    /// The fingerprint of the whole stream: what [`fingerprint`] returns.
    pub fn fingerprint(&self, config: &Config) -> Fingerprint {
        from_tokens(self, &self.tokens, config)
    }

    /// The fingerprint of lines `lines` of the stream's source: what
    /// [`fingerprint_lines`] returns, without parsing the file again, so
    /// many ranges of one file cost one parse.
    pub fn fingerprint_lines(
        &self,
        lines: RangeInclusive<u32>,
        config: &Config,
    ) -> Result<Fingerprint, FingerprintError> {
        let (first, last) = (*lines.start(), *lines.end());
        let tokens: Vec<Token> = self
            .tokens
            .iter()
            .filter(|token| token.line >= first && token.end_line <= last)
            .copied()
            .collect();
        if tokens.is_empty() {
            return Err(FingerprintError::EmptyLineRange { first, last });
        }
        Ok(from_tokens(self, &tokens, config))
    }
}

/// Fingerprints `tokens`, a part of `normalized`'s stream.
fn from_tokens(normalized: &Normalized, tokens: &[Token], config: &Config) -> Fingerprint {
    let grammar = Grammar::of(normalized.language);
    let k = config.k.max(1);
    let window = config.window.max(1);
    let grams = HASHES.with(|cell| {
        let mut hashes = cell.borrow_mut();
        gram_hashes_into(
            tokens,
            &grammar.codes,
            normalized.name_count,
            k as usize,
            &mut hashes,
        );
        winnow(&hashes, window as usize)
            .into_iter()
            .map(|start| Gram {
                hash: hashes[start as usize],
                start,
            })
            .collect::<Vec<Gram>>()
    });
    HASHES.with(|cell| {
        let mut hashes = cell.borrow_mut();
        *hashes = kept(std::mem::take(&mut *hashes));
    });
    Fingerprint {
        scheme: Scheme::new(normalized.language, k, window),
        token_count: tokens.len() as u32,
        grams,
        lines: tokens.iter().map(|token| token.line).collect(),
        syntax_errors: normalized.syntax_errors,
    }
}
