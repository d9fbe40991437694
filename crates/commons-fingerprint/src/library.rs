//! A library of shared patterns and scanning source against it.
//!
//! The library is an inverted index from keyed hash to the patterns that
//! contain it. Scanning a file keys each of its selected grams and looks it
//! up once, so the cost grows with the file, not with the number of
//! patterns; only patterns that were hit are then scored.
//!
//! Scoring: a pattern matches a region of the file when the share of its
//! hashes found in that region (containment) reaches `min_similarity`. A
//! region spans at most twice the pattern's token count plus one gram, so
//! inserted statements stretch it without letting scattered common grams
//! add up across a whole file; one file may hold several matches of one
//! pattern.
//!
//! Attribution: a gram of the file counts for one match only. Two patterns
//! of similar code share some hashes, so a copy of one also holds part of
//! the other; left alone, the other pattern would be reported on the copy
//! with the share of hashes the two have in common. Candidate matches are
//! therefore taken in order of evidence (most matched hashes first), each
//! claims the grams it matched, and a later candidate keeps only the grams
//! nobody claimed. A pattern is still reported next to a better one when
//! enough of its own hashes are found, and a region holding copies of both
//! reports both.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::Config;
use crate::error::FingerprintError;
use crate::fingerprint::{Fingerprint, Scheme, fingerprint};
use crate::language::Language;
use crate::share::{CommunityKey, SharedFingerprint, SharedProblem};

/// Patterns indexed for scanning. Ids and everything else about a pattern
/// (title, severity, ...) belong to the caller.
#[derive(Debug, Clone, Default)]
pub struct Library {
    patterns: Vec<Pattern>,
    /// Distinct (scheme without window, key epoch) pairs of the patterns.
    groups: Vec<(Scheme, u32)>,
    index: FxHashMap<u64, Postings>,
    /// A one-hash Bloom filter over the keys of `index` (see
    /// [`HashFilter`]).
    filter: HashFilter,
    ids: FxHashMap<u64, u32>,
    /// A running digest of every inserted pattern, in insertion order.
    digest: [u8; 32],
}

/// A pattern found in a scanned file.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The pattern's id, as given to [`Library::insert`].
    pub pattern: u64,
    /// First line of the matched region (1-based).
    pub first_line: u32,
    /// Last line of the matched region.
    pub last_line: u32,
    /// First token of the region in the scanned fingerprint.
    pub first_token: u32,
    /// One past the last token of the region.
    pub end_token: u32,
    /// Share of the pattern's hashes found in the region, `0.0..=1.0`.
    pub similarity: f64,
    /// How many of the pattern's hashes were found.
    pub matched: u32,
    /// How many hashes the pattern has.
    pub pattern_hashes: u32,
}

/// Why a pattern could not be added to a library.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LibraryError {
    /// Another pattern already has this id.
    #[error("pattern id {0} is already in the library")]
    DuplicateId(u64),
    /// The shared fingerprint is malformed.
    #[error("invalid pattern {id}: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The pattern's id.
        id: u64,
        /// Every problem found.
        problems: Vec<SharedProblem>,
    },
}

#[derive(Debug, Clone)]
struct Pattern {
    id: u64,
    group: u32,
    hash_count: u32,
    token_count: u32,
}

/// Patterns containing one hash; almost always exactly one.
#[derive(Debug, Clone)]
enum Postings {
    One(u32),
    Many(Vec<u32>),
}

/// A one-hash Bloom filter: a bit per slot of the keyed hash's top bits,
/// with at least 16 slots per hash so about one gram in 16 that no pattern
/// holds passes it. Almost every gram of a scanned file hits no pattern;
/// one bit test in a table that stays in cache rejects those without
/// touching the index, whose size grows with the library (a lookup there
/// is a cache miss once it holds thousands of patterns).
#[derive(Debug, Clone, Default)]
struct HashFilter {
    bits: Vec<u64>,
    /// 64 minus log2 of the number of bits.
    shift: u32,
}

/// A selected gram of the scanned file that hit a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    pattern: u32,
    start: u32,
    keyed: u64,
}

impl Library {
    /// An empty library.
    pub fn new() -> Library {
        Library::default()
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the library has no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// A digest of the library's patterns (ids, schemes, epochs, hashes) in
    /// insertion order: equal digests mean scans give equal results.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Adds a pattern under the caller's `id` (unique within the library).
    /// Patterns of any language, scheme and key epoch may share a library;
    /// a scan only considers those comparable with the scanned fingerprint
    /// and made under the scan's key epoch.
    pub fn insert(&mut self, id: u64, pattern: &SharedFingerprint) -> Result<(), LibraryError> {
        if self.ids.contains_key(&id) {
            return Err(LibraryError::DuplicateId(id));
        }
        pattern
            .validate()
            .map_err(|problems| LibraryError::Invalid { id, problems })?;
        let group_key = (
            Scheme {
                window: 0,
                ..pattern.scheme.clone()
            },
            pattern.key_epoch,
        );
        let group = match self.groups.iter().position(|it| *it == group_key) {
            Some(idx) => idx,
            None => {
                self.groups.push(group_key);
                self.groups.len() - 1
            }
        };
        let idx = self.patterns.len() as u32;
        self.patterns.push(Pattern {
            id,
            group: group as u32,
            hash_count: pattern.hashes.len() as u32,
            token_count: pattern.token_count,
        });
        self.ids.insert(id, idx);
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.digest);
        hasher.update(&id.to_le_bytes());
        hasher.update(format!("{:?}", pattern.scheme).as_bytes());
        hasher.update(&pattern.key_epoch.to_le_bytes());
        hasher.update(&pattern.token_count.to_le_bytes());
        for hash in &pattern.hashes {
            hasher.update(&hash.to_le_bytes());
        }
        self.digest = *hasher.finalize().as_bytes();
        self.filter
            .reserve(self.index.len() + pattern.hashes.len(), &self.index);
        for hash in &pattern.hashes {
            self.filter.insert(*hash);
            match self.index.get_mut(hash) {
                None => {
                    self.index.insert(*hash, Postings::One(idx));
                }
                Some(Postings::One(first)) => {
                    let first = *first;
                    self.index.insert(*hash, Postings::Many(vec![first, idx]));
                }
                Some(Postings::Many(list)) => list.push(idx),
            }
        }
        Ok(())
    }

    /// The patterns found in a fingerprinted file, under `key`, whose
    /// similarity reaches `min_similarity`; ordered by position, then by
    /// decreasing similarity.
    pub fn scan(&self, file: &Fingerprint, key: &CommunityKey, min_similarity: f64) -> Vec<Match> {
        let compatible: Vec<bool> = self
            .groups
            .iter()
            .map(|(scheme, epoch)| *epoch == key.epoch() && scheme.comparable(&file.scheme))
            .collect();
        if !compatible.contains(&true) {
            return Vec::new();
        }
        let mut hits = Vec::new();
        for gram in &file.grams {
            let keyed = key.keyed(gram.hash);
            if !self.filter.may_contain(keyed) {
                continue;
            }
            let Some(postings) = self.index.get(&keyed) else {
                continue;
            };
            let mut push = |pattern: u32| {
                if compatible[self.patterns[pattern as usize].group as usize] {
                    hits.push(Hit {
                        pattern,
                        start: gram.start,
                        keyed,
                    });
                }
            };
            match postings {
                Postings::One(pattern) => push(*pattern),
                Postings::Many(list) => list.iter().copied().for_each(&mut push),
            }
        }
        hits.sort_unstable();
        let mut candidates = Vec::new();
        for group in hits.chunk_by(|a, b| a.pattern == b.pattern) {
            let pattern = &self.patterns[group[0].pattern as usize];
            candidates_of(
                pattern,
                group,
                file.scheme.k,
                min_similarity,
                &mut candidates,
            );
        }
        let mut matches = self.attribute(candidates, file);
        matches.sort_by(|a, b| {
            (a.first_token, a.end_token)
                .cmp(&(b.first_token, b.end_token))
                .then(b.similarity.total_cmp(&a.similarity))
        });
        matches
    }

    /// Turns candidates into matches: in order of decreasing evidence, each
    /// candidate counts only the grams no earlier match claimed, is reported
    /// if what remains still reaches the similarity it needs, and then claims
    /// its grams.
    fn attribute(&self, mut candidates: Vec<Candidate>, file: &Fingerprint) -> Vec<Match> {
        candidates.sort_by(|a, b| {
            b.distinct
                .cmp(&a.distinct)
                .then(a.needed.cmp(&b.needed))
                .then(a.hits[0].start.cmp(&b.hits[0].start))
                .then(a.hits[0].pattern.cmp(&b.hits[0].pattern))
        });
        let k = file.scheme.k;
        let mut claimed: FxHashSet<u32> = FxHashSet::default();
        let mut matches = Vec::new();
        for candidate in candidates {
            let mut kept: Vec<Hit> = candidate
                .hits
                .iter()
                .filter(|hit| !claimed.contains(&hit.start))
                .copied()
                .collect();
            if kept.is_empty() {
                continue;
            }
            // A hash found twice in the region counts once, at the
            // occurrence nearest the middle of the evidence: the other may
            // belong to a neighbouring copy of similar code.
            let middle = kept[kept.len() / 2].start;
            kept.sort_unstable_by_key(|hit| (hit.keyed, hit.start.abs_diff(middle)));
            kept.dedup_by_key(|hit| hit.keyed);
            if kept.len() < candidate.needed {
                continue;
            }
            claimed.extend(kept.iter().map(|hit| hit.start));
            let pattern = &self.patterns[candidate.hits[0].pattern as usize];
            let first = kept.iter().map(|hit| hit.start).min().unwrap_or(0);
            let last = kept.iter().map(|hit| hit.start).max().unwrap_or(0) + k - 1;
            let (first_line, last_line) =
                file.lines_of_tokens(first, last.min(file.token_count.saturating_sub(1)));
            let matched = kept.len() as u32;
            matches.push(Match {
                pattern: pattern.id,
                first_line,
                last_line,
                first_token: first,
                end_token: last + 1,
                similarity: (f64::from(matched) / f64::from(pattern.hash_count.max(1))).min(1.0),
                matched,
                pattern_hashes: pattern.hash_count,
            });
        }
        matches
    }
}

impl HashFilter {
    /// Makes room for `hashes` distinct hashes, re-adding the keys of
    /// `index` when the table grows.
    fn reserve(&mut self, hashes: usize, index: &FxHashMap<u64, Postings>) {
        let wanted = hashes.saturating_mul(16).next_power_of_two().max(64);
        if self.bits.len() * 64 >= wanted {
            return;
        }
        self.bits = vec![0; wanted / 64];
        self.shift = 64 - wanted.trailing_zeros();
        for hash in index.keys() {
            self.insert(*hash);
        }
    }

    fn insert(&mut self, hash: u64) {
        let slot = (hash >> self.shift) as usize;
        self.bits[slot / 64] |= 1 << (slot % 64);
    }

    /// `false` when no inserted hash equals `hash`.
    fn may_contain(&self, hash: u64) -> bool {
        let slot = (hash >> self.shift) as usize;
        self.bits
            .get(slot / 64)
            .is_some_and(|word| word & (1 << (slot % 64)) != 0)
    }
}

/// A region of the file where one pattern reaches `min_similarity` before
/// attribution: its hits, by position, and how many distinct hashes they
/// hold.
#[derive(Debug)]
struct Candidate {
    hits: Vec<Hit>,
    distinct: usize,
    /// Distinct hashes the pattern needs to match.
    needed: usize,
}

/// Finds the regions of `hits` (one pattern's, by position) that reach
/// `min_similarity`.
fn candidates_of(
    pattern: &Pattern,
    hits: &[Hit],
    k: u32,
    min_similarity: f64,
    candidates: &mut Vec<Candidate>,
) {
    let span = pattern.token_count.saturating_mul(2).saturating_add(k);
    let needed = (min_similarity * f64::from(pattern.hash_count))
        .ceil()
        .max(1.0) as usize;
    let mut remaining: Vec<Hit> = hits.to_vec();
    while remaining.len() >= needed {
        let Some((from, to, distinct)) = best_window(&remaining, span) else {
            break;
        };
        if distinct < needed {
            break;
        }
        candidates.push(Candidate {
            hits: remaining.drain(from..to).collect(),
            distinct,
            needed,
        });
    }
}

/// The run `from..to` of hits spanning at most `span` tokens with the most
/// distinct hashes, and that count.
fn best_window(hits: &[Hit], span: u32) -> Option<(usize, usize, usize)> {
    let mut counts: FxHashMap<u64, u32> = FxHashMap::default();
    let mut best: Option<(usize, usize, usize)> = None;
    let mut from = 0;
    for to in 0..hits.len() {
        *counts.entry(hits[to].keyed).or_default() += 1;
        while hits[to].start - hits[from].start > span {
            let count = counts
                .get_mut(&hits[from].keyed)
                .expect("every hit in the window is counted");
            *count -= 1;
            if *count == 0 {
                counts.remove(&hits[from].keyed);
            }
            from += 1;
        }
        if best.is_none_or(|(_, _, distinct)| counts.len() > distinct) {
            best = Some((from, to + 1, counts.len()));
        }
    }
    best
}

/// Fingerprints `source` with `config` and scans it against `library` under
/// `key`, reporting matches at or above `config.min_similarity`.
pub fn scan_source(
    language: Language,
    source: &[u8],
    library: &Library,
    key: &CommunityKey,
    config: &Config,
) -> Result<Vec<Match>, FingerprintError> {
    let file = fingerprint(language, source, config)?;
    Ok(library.scan(&file, key, config.min_similarity))
}
