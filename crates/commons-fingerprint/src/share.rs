//! What may leave the machine: a set of keyed hashes, and the privacy gate an
//! export must pass.
//!
//! An exported fingerprint ([`SharedFingerprint`]) holds the scheme ids, the
//! token count and a sorted, de-duplicated set of 64-bit hashes. Each is the
//! first 8 bytes of BLAKE3 in keyed mode over a gram's local hash, under the
//! community's key for the current key epoch ([`CommunityKey`]). There is no
//! order, no position, no line and no path: without order, overlapping grams
//! cannot be chained back into a token stream, and containment scoring does
//! not need order.
//!
//! Keying stops anyone without the key (outsiders, other communities) from
//! testing guesses against a shared set. It does not stop members, who hold
//! the key; against them the gate helps: grams common in a public reference
//! corpus (the ones a dictionary built from public code would recover) are
//! dropped, and a pattern made mostly of common grams is refused as
//! uninformative. No user text can be recovered from what remains because no
//! user text went into it: identifiers outside the public vocabulary and all
//! literals were abstracted before hashing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::corpus::ReferenceCorpus;
use crate::fingerprint::{Fingerprint, Scheme};
use crate::winnow::winnow_sparse;
use crate::{Config, FORMAT_VERSION, NORMALIZER_VERSION};

/// The name of the keyed hash in [`SharedFingerprint::keyed_with`].
pub const KEYED_HASH: &str = "blake3-keyed-64";

/// A community's fingerprint key for one key epoch: 32 secret bytes.
/// Hashes made under different keys or epochs never match.
#[derive(Clone, PartialEq, Eq)]
pub struct CommunityKey {
    key: [u8; 32],
    epoch: u32,
}

/// A fingerprint as shared: scheme, token count and a set of keyed hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedFingerprint {
    /// What the hashes depend on; `window` is the share window.
    pub scheme: Scheme,
    /// The key epoch the hashes were made under.
    pub key_epoch: u32,
    /// The keyed hash function ([`KEYED_HASH`]).
    pub keyed_with: String,
    /// Number of normalized tokens of the pattern.
    pub token_count: u32,
    /// Keyed gram hashes, sorted ascending, without duplicates; written as
    /// 16 lowercase hex digits each (JSON numbers lose precision above 2^53).
    #[serde(with = "hex_hashes")]
    pub hashes: Vec<u64>,
}

/// What the privacy gate saw while exporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GateReport {
    /// Distinct grams selected by winnowing with the share window.
    pub grams: usize,
    /// Of those, grams common in the reference corpus (dropped).
    pub common: usize,
    /// Of those, grams present in the reference corpus but not common.
    pub known: usize,
    /// Hashes exported.
    pub kept: usize,
    /// Documents of the pattern's language in the reference corpus (0 when
    /// no corpus was given).
    pub corpus_documents: u32,
}

/// Why a fingerprint could not be exported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The share window is smaller than the fingerprint's own window, so the
    /// fingerprint lacks grams the export would need.
    #[error("share window {share_window} is smaller than the fingerprint's window {window}")]
    WindowTooSmall {
        /// The fingerprint's window.
        window: u32,
        /// The requested share window.
        share_window: u32,
    },
    /// The reference corpus was built under another scheme.
    #[error("the reference corpus does not match the fingerprint's scheme ({field} differs)")]
    CorpusMismatch {
        /// The first differing field.
        field: &'static str,
    },
    /// Too many of the pattern's grams are common in public code: it says
    /// little beyond "this is ordinary code" and is easy to invert.
    #[error(
        "pattern is uninformative: {} of its {} grams are common in public code",
        report.common,
        report.grams
    )]
    Uninformative {
        /// The gate's counts.
        report: GateReport,
    },
    /// Too few hashes remain to match anything reliably (the code is shorter
    /// than a few grams, or most of it was common).
    #[error("pattern is too small: {} hashes remain, at least {min} are needed", report.kept)]
    TooSmall {
        /// The gate's counts.
        report: GateReport,
        /// The minimum.
        min: usize,
    },
}

/// One problem of a [`SharedFingerprint`] received from elsewhere; each names
/// the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SharedProblem {
    /// `scheme.format` is not [`FORMAT_VERSION`].
    #[error("scheme.format: unsupported version {0}")]
    Format(u32),
    /// `scheme.normalizer` is not [`NORMALIZER_VERSION`].
    #[error("scheme.normalizer: unsupported version {0}")]
    Normalizer(u32),
    /// `scheme.k` or `scheme.window` is zero.
    #[error("scheme.{0}: must be at least 1")]
    Zero(&'static str),
    /// `keyed_with` names an unknown hash.
    #[error("keyed_with: unknown keyed hash `{0}`")]
    KeyedWith(String),
    /// `hashes` is empty.
    #[error("hashes: empty")]
    NoHashes,
    /// `hashes` is not strictly ascending (unsorted or repeated).
    #[error("hashes: not sorted ascending without repeats (at index {0})")]
    Unsorted(usize),
    /// `token_count` is smaller than one gram.
    #[error("token_count: {0} is smaller than k")]
    TokenCount(u32),
}

impl CommunityKey {
    /// A key from its 32 bytes and its epoch.
    pub fn new(key: [u8; 32], epoch: u32) -> CommunityKey {
        CommunityKey { key, epoch }
    }

    /// The key epoch.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The keyed hash of a gram's local hash.
    pub fn keyed(&self, local: u64) -> u64 {
        // A fixed prefix separates this use of the key from any other the
        // caller may make of it.
        let mut input = [0u8; 24];
        input[..16].copy_from_slice(b"commons-fp-gram\0");
        input[16..].copy_from_slice(&local.to_le_bytes());
        let digest = blake3::keyed_hash(&self.key, &input);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_bytes()[..8]);
        u64::from_le_bytes(first)
    }
}

impl fmt::Debug for CommunityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommunityKey")
            .field("key", &"<redacted>")
            .field("epoch", &self.epoch)
            .finish()
    }
}

impl Fingerprint {
    /// The form of this fingerprint that may be shared with the community
    /// whose key is `key`, and what the gate saw.
    ///
    /// The grams are re-winnowed with `config.share_window` (exactly what
    /// winnowing the whole stream with it would select), grams common in
    /// `corpus` are dropped, and the export is refused when more than
    /// `config.gate.max_common_share` of them were common or fewer than
    /// `config.gate.min_hashes` remain. Pass the reference corpus whenever the
    /// result may leave the machine; without one nothing is dropped.
    pub fn export(
        &self,
        key: &CommunityKey,
        corpus: Option<&ReferenceCorpus>,
        config: &Config,
    ) -> Result<(SharedFingerprint, GateReport), ExportError> {
        let share_window = config.share_window.max(1);
        if share_window < self.scheme.window {
            return Err(ExportError::WindowTooSmall {
                window: self.scheme.window,
                share_window,
            });
        }
        let selected: Vec<(u32, u64)> = self.grams.iter().map(|it| (it.start, it.hash)).collect();
        let positions = winnow_sparse(&selected, self.gram_count() as usize, share_window as usize);
        let mut locals: Vec<u64> = positions
            .iter()
            .filter_map(|position| {
                let idx = selected
                    .binary_search_by_key(position, |(start, _)| *start)
                    .ok()?;
                Some(selected[idx].1)
            })
            .collect();
        locals.sort_unstable();
        locals.dedup();
        let mut report = GateReport {
            grams: locals.len(),
            ..GateReport::default()
        };
        if let Some(corpus) = corpus {
            if let Some(field) = corpus.mismatch(&self.scheme) {
                return Err(ExportError::CorpusMismatch { field });
            }
            let documents = corpus.documents(self.scheme.language);
            report.corpus_documents = documents;
            let threshold = config.gate.common_fraction * f64::from(documents);
            locals.retain(|hash| {
                let frequency = corpus.document_frequency(self.scheme.language, *hash);
                if frequency > 0 {
                    report.known += 1;
                }
                let common = f64::from(frequency) > threshold;
                if common {
                    report.common += 1;
                    report.known -= 1;
                }
                !common
            });
        }
        report.kept = locals.len();
        if report.grams > 0
            && report.common as f64 > config.gate.max_common_share * report.grams as f64
        {
            return Err(ExportError::Uninformative { report });
        }
        if report.kept < config.gate.min_hashes.max(1) {
            return Err(ExportError::TooSmall {
                report,
                min: config.gate.min_hashes.max(1),
            });
        }
        let mut hashes: Vec<u64> = locals.iter().map(|local| key.keyed(*local)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let shared = SharedFingerprint {
            scheme: Scheme {
                window: share_window,
                ..self.scheme.clone()
            },
            key_epoch: key.epoch,
            keyed_with: KEYED_HASH.to_string(),
            token_count: self.token_count,
            hashes,
        };
        Ok((shared, report))
    }
}

impl SharedFingerprint {
    /// Checks a fingerprint received from elsewhere; returns every problem.
    pub fn validate(&self) -> Result<(), Vec<SharedProblem>> {
        let mut problems = Vec::new();
        if self.scheme.format != FORMAT_VERSION {
            problems.push(SharedProblem::Format(self.scheme.format));
        }
        if self.scheme.normalizer != NORMALIZER_VERSION {
            problems.push(SharedProblem::Normalizer(self.scheme.normalizer));
        }
        if self.scheme.k == 0 {
            problems.push(SharedProblem::Zero("k"));
        }
        if self.scheme.window == 0 {
            problems.push(SharedProblem::Zero("window"));
        }
        if self.keyed_with != KEYED_HASH {
            problems.push(SharedProblem::KeyedWith(self.keyed_with.clone()));
        }
        if self.hashes.is_empty() {
            problems.push(SharedProblem::NoHashes);
        }
        if let Some(idx) = self.hashes.windows(2).position(|it| it[0] >= it[1]) {
            problems.push(SharedProblem::Unsorted(idx + 1));
        }
        if self.token_count < self.scheme.k {
            problems.push(SharedProblem::TokenCount(self.token_count));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Hashes as fixed-width hex strings.
mod hex_hashes {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        hashes: &[u64],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(hashes.iter().map(|hash| format!("{hash:016x}")))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u64>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|text| {
                if text.len() != 16 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                    return Err(D::Error::custom(format!(
                        "hash `{text}` is not 16 hex digits"
                    )));
                }
                u64::from_str_radix(text, 16)
                    .map_err(|_| D::Error::custom(format!("hash `{text}` is not 16 hex digits")))
            })
            .collect()
    }
}
