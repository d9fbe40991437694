//! The reference corpus: how many public documents contain each gram, used by
//! the privacy gate to recognise common grams.
//!
//! Built locally from any directory of public source (the Python standard
//! library, vendored crates), by the caller reading the files and passing
//! their text. Every gram found in at least [`MIN_STORED_DOCUMENTS`] (one)
//! document is kept: a gram that occurs in a single public file is exactly
//! what a dictionary of public code recovers, so the gate must know it too
//! (storing only grams of two or more documents let 6% of the standard
//! library's test functions share more than 10% recoverable hashes). The serialized form is a compact binary (see
//! `FORMAT.md`): per language, the sorted gram hashes delta-encoded as
//! LEB128 varints, each followed by its document count.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::fingerprint::Scheme;
use crate::language::Language;
use crate::normalize::{Grammar, normalize};
use crate::winnow::gram_hashes;
use crate::{Config, NORMALIZER_VERSION};

/// Grams in fewer documents than this are not stored.
pub const MIN_STORED_DOCUMENTS: u32 = 1;

/// The magic bytes that open a serialized corpus.
const MAGIC: &[u8; 8] = b"CFPCORP1";

/// Document frequencies of grams in a corpus of public source, per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceCorpus {
    k: u32,
    normalizer: u32,
    tables: Vec<Table>,
}

/// One language's table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Table {
    language: Language,
    grammar: String,
    vocabulary: String,
    documents: u32,
    /// Skipped documents (bad input).
    skipped: u32,
    /// (local gram hash, documents containing it), sorted by hash.
    entries: Vec<(u64, u32)>,
}

/// Why bytes are not a serialized corpus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// The bytes do not start with the corpus magic.
    #[error("not a reference corpus (bad magic bytes)")]
    Magic,
    /// The bytes end in the middle of a field.
    #[error("reference corpus is truncated at byte {0}")]
    Truncated(usize),
    /// A language name that this build does not know.
    #[error("reference corpus names an unknown language `{0}`")]
    Language(String),
    /// A string field is not UTF-8.
    #[error("reference corpus has a non-UTF-8 string at byte {0}")]
    Text(usize),
    /// Bytes left over after the last table.
    #[error("reference corpus has {0} trailing bytes")]
    Trailing(usize),
}

impl ReferenceCorpus {
    /// Builds the corpus from public source documents with `config.k` and the
    /// current normalizer. Documents that cannot be fingerprinted (binary,
    /// too large, ...) are counted as skipped and otherwise ignored.
    pub fn build<'a>(
        documents: impl IntoIterator<Item = (Language, &'a str)>,
        config: &Config,
    ) -> ReferenceCorpus {
        let k = config.k.max(1);
        let mut counts: FxHashMap<Language, (u32, u32, FxHashMap<u64, u32>)> = FxHashMap::default();
        let mut seen = FxHashSet::default();
        for (language, text) in documents {
            let (documents, skipped, frequencies) = counts.entry(language).or_default();
            let Ok(normalized) = normalize(language, text.as_bytes(), &config.limits) else {
                *skipped += 1;
                continue;
            };
            *documents += 1;
            let grammar = Grammar::of(language);
            seen.clear();
            seen.extend(gram_hashes(
                &normalized.tokens,
                &grammar.codes,
                normalized.name_count,
                k as usize,
            ));
            for hash in &seen {
                *frequencies.entry(*hash).or_default() += 1;
            }
        }
        let mut tables: Vec<Table> = counts
            .into_iter()
            .map(|(language, (documents, skipped, frequencies))| {
                let mut entries: Vec<(u64, u32)> = frequencies
                    .into_iter()
                    .filter(|(_, count)| *count >= MIN_STORED_DOCUMENTS)
                    .collect();
                entries.sort_unstable();
                let scheme = Scheme::new(language, k, 1);
                Table {
                    language,
                    grammar: scheme.grammar,
                    vocabulary: scheme.vocabulary,
                    documents,
                    skipped,
                    entries,
                }
            })
            .collect();
        tables.sort_by_key(|table| table.language);
        ReferenceCorpus {
            k,
            normalizer: NORMALIZER_VERSION,
            tables,
        }
    }

    /// Tokens per gram the corpus was built with.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// Documents of `language` in the corpus.
    pub fn documents(&self, language: Language) -> u32 {
        self.table(language).map_or(0, |table| table.documents)
    }

    /// Documents of `language` that could not be fingerprinted.
    pub fn skipped(&self, language: Language) -> u32 {
        self.table(language).map_or(0, |table| table.skipped)
    }

    /// Grams stored for `language`.
    pub fn stored_grams(&self, language: Language) -> usize {
        self.table(language).map_or(0, |table| table.entries.len())
    }

    /// How many documents of `language` contain the gram with local hash
    /// `hash` (0 also for grams below [`MIN_STORED_DOCUMENTS`]).
    pub fn document_frequency(&self, language: Language, hash: u64) -> u32 {
        let Some(table) = self.table(language) else {
            return 0;
        };
        table
            .entries
            .binary_search_by_key(&hash, |(it, _)| *it)
            .map_or(0, |idx| table.entries[idx].1)
    }

    /// The first field of `scheme` (other than the window) this corpus was not
    /// built under, if any.
    pub(crate) fn mismatch(&self, scheme: &Scheme) -> Option<&'static str> {
        if self.normalizer != scheme.normalizer {
            return Some("normalizer");
        }
        if self.k != scheme.k {
            return Some("k");
        }
        let Some(table) = self.table(scheme.language) else {
            return Some("language");
        };
        if table.grammar != scheme.grammar {
            return Some("grammar");
        }
        if table.vocabulary != scheme.vocabulary {
            return Some("vocabulary");
        }
        None
    }

    fn table(&self, language: Language) -> Option<&Table> {
        self.tables.iter().find(|table| table.language == language)
    }

    /// The compact binary form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        put_varint(&mut out, u64::from(self.normalizer));
        put_varint(&mut out, u64::from(self.k));
        put_varint(&mut out, self.tables.len() as u64);
        for table in &self.tables {
            put_text(&mut out, table.language.name());
            put_text(&mut out, &table.grammar);
            put_text(&mut out, &table.vocabulary);
            put_varint(&mut out, u64::from(table.documents));
            put_varint(&mut out, u64::from(table.skipped));
            put_varint(&mut out, table.entries.len() as u64);
            let mut previous = 0u64;
            for (hash, count) in &table.entries {
                put_varint(&mut out, hash.wrapping_sub(previous));
                put_varint(&mut out, u64::from(*count));
                previous = *hash;
            }
        }
        out
    }

    /// Reads the form [`ReferenceCorpus::to_bytes`] writes.
    pub fn from_bytes(bytes: &[u8]) -> Result<ReferenceCorpus, CorpusError> {
        if !bytes.starts_with(MAGIC) {
            return Err(CorpusError::Magic);
        }
        let mut reader = Reader {
            bytes,
            at: MAGIC.len(),
        };
        let normalizer = reader.u32()?;
        let k = reader.u32()?;
        let table_count = reader.varint()?;
        let mut tables = Vec::new();
        for _ in 0..table_count {
            let name = reader.text()?;
            let language = Language::from_name(&name).map_err(|_| CorpusError::Language(name))?;
            let grammar = reader.text()?;
            let vocabulary = reader.text()?;
            let documents = reader.u32()?;
            let skipped = reader.u32()?;
            let count = reader.varint()?;
            // Every entry takes at least two bytes; a count beyond that is a lie
            // and must not drive an allocation.
            let remaining = (bytes.len() - reader.at) / 2;
            let mut entries = Vec::with_capacity((count as usize).min(remaining));
            let mut previous = 0u64;
            for _ in 0..count {
                let hash = previous.wrapping_add(reader.varint()?);
                entries.push((hash, reader.u32()?));
                previous = hash;
            }
            // Sorted order is what lookups rely on; restore it if the input
            // was not written by `to_bytes`.
            if !entries.windows(2).all(|it| it[0].0 < it[1].0) {
                entries.sort_unstable();
                entries.dedup_by_key(|it| it.0);
            }
            tables.push(Table {
                language,
                grammar,
                vocabulary,
                documents,
                skipped,
                entries,
            });
        }
        if reader.at != bytes.len() {
            return Err(CorpusError::Trailing(bytes.len() - reader.at));
        }
        Ok(ReferenceCorpus {
            k,
            normalizer,
            tables,
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, CorpusError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .bytes
                .get(self.at)
                .ok_or(CorpusError::Truncated(self.at))?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CorpusError::Truncated(self.at))
    }

    fn u32(&mut self) -> Result<u32, CorpusError> {
        let at = self.at;
        u32::try_from(self.varint()?).map_err(|_| CorpusError::Truncated(at))
    }

    fn text(&mut self) -> Result<String, CorpusError> {
        let len = self.varint()? as usize;
        let start = self.at;
        let end = start
            .checked_add(len)
            .ok_or(CorpusError::Truncated(start))?;
        let slice = self
            .bytes
            .get(start..end)
            .ok_or(CorpusError::Truncated(start))?;
        self.at = end;
        String::from_utf8(slice.to_vec()).map_err(|_| CorpusError::Text(start))
    }
}
