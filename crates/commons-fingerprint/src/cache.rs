//! The scan cache: the matches of each file content already scanned, so an
//! unchanged tree re-scans by hashing bytes instead of parsing them.
//!
//! Entries are keyed by the BLAKE3 hash of a file's bytes, not by its path:
//! a renamed or copied file hits, an edited one misses. The whole cache
//! belongs to one *context*, a digest of everything else a scan's result
//! depends on (the library, the key, the engine's configuration and
//! versions, see [`ScanCache::context`]); a cache loaded under another
//! context is empty. The caller reads and writes the bytes
//! ([`ScanCache::to_bytes`], [`ScanCache::from_bytes`]).

use rustc_hash::FxHashMap;

use crate::library::{Library, Match};
use crate::share::CommunityKey;
use crate::{Config, FORMAT_VERSION, MATCHING_VERSION, NORMALIZER_VERSION};

/// The magic bytes that open a serialized cache.
const MAGIC: &[u8; 8] = b"CFPSCAN1";

/// Matches by content hash, valid for one scan context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanCache {
    context: [u8; 32],
    entries: FxHashMap<[u8; 32], CachedScan>,
}

/// What a scan found in one content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CachedScan {
    /// Whether the parser recovered from syntax errors.
    pub syntax_errors: bool,
    /// The matches.
    pub matches: Vec<Match>,
}

impl ScanCache {
    /// An empty cache for `context`.
    pub fn new(context: [u8; 32]) -> ScanCache {
        ScanCache {
            context,
            entries: FxHashMap::default(),
        }
    }

    /// The digest of what a scan's result depends on besides the file: the
    /// library's patterns, the key (through a keyed hash, never the key
    /// itself) and epoch, the engine configuration and its versions.
    pub fn context(library: &Library, key: &CommunityKey, config: &Config) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"commons-fp-scan-cache\0");
        hasher.update(&FORMAT_VERSION.to_le_bytes());
        hasher.update(&NORMALIZER_VERSION.to_le_bytes());
        hasher.update(&MATCHING_VERSION.to_le_bytes());
        hasher.update(&library.digest());
        hasher.update(&key.epoch().to_le_bytes());
        hasher.update(&key.keyed(0).to_le_bytes());
        hasher.update(format!("{config:?}").as_bytes());
        *hasher.finalize().as_bytes()
    }

    /// The content hash entries are keyed by.
    pub fn content_hash(source: &[u8]) -> [u8; 32] {
        *blake3::hash(source).as_bytes()
    }

    /// The context this cache is valid for.
    pub fn context_digest(&self) -> [u8; 32] {
        self.context
    }

    /// Number of cached contents.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the scan of a content hash found, if scanned before.
    pub fn get(&self, content: &[u8; 32]) -> Option<&CachedScan> {
        self.entries.get(content)
    }

    /// Records what the scan of a content hash found.
    pub fn insert(&mut self, content: [u8; 32], scan: CachedScan) {
        self.entries.insert(content, scan);
    }

    /// Keeps only the entries `keep` accepts (e.g. the contents seen by the
    /// last scan, so deleted files do not accumulate).
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8; 32]) -> bool) {
        self.entries.retain(|content, _| keep(content));
    }

    /// The serialized cache: magic, context, then per entry the content
    /// hash, the number of matches, a syntax-error flag byte and each
    /// match's fields, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + self.entries.len() * 40);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.context);
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        let mut contents: Vec<&[u8; 32]> = self.entries.keys().collect();
        contents.sort_unstable();
        for content in contents {
            let scan = &self.entries[content];
            out.extend_from_slice(content);
            out.extend_from_slice(&(scan.matches.len() as u32).to_le_bytes());
            out.push(u8::from(scan.syntax_errors));
            for found in &scan.matches {
                out.extend_from_slice(&found.pattern.to_le_bytes());
                for field in [
                    found.first_line,
                    found.last_line,
                    found.first_token,
                    found.end_token,
                    found.matched,
                    found.pattern_hashes,
                ] {
                    out.extend_from_slice(&field.to_le_bytes());
                }
                out.extend_from_slice(&found.similarity.to_le_bytes());
            }
        }
        out
    }

    /// Reads a serialized cache for `context`. Bytes that are not a cache,
    /// are truncated or were written under another context give an empty
    /// cache: a cache is only ever an optimization.
    pub fn from_bytes(bytes: &[u8], context: [u8; 32]) -> ScanCache {
        read(bytes, context).unwrap_or_else(|| ScanCache::new(context))
    }
}

/// A cursor over serialized bytes; `None` when they run out.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.bytes.split_first_chunk::<N>()?;
        self.bytes = rest;
        Some(*head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
}

fn read(bytes: &[u8], context: [u8; 32]) -> Option<ScanCache> {
    let mut reader = Reader { bytes };
    if reader.take::<8>()? != *MAGIC || reader.take::<32>()? != context {
        return None;
    }
    let count = reader.u64()?;
    let mut cache = ScanCache::new(context);
    for _ in 0..count {
        let content = reader.take::<32>()?;
        let n = reader.u32()?;
        let syntax_errors = match reader.take::<1>()? {
            [0] => false,
            [1] => true,
            _ => return None,
        };
        // Every match takes 40 bytes: a count beyond what is left is corrupt.
        if u64::from(n) * 40 > reader.bytes.len() as u64 {
            return None;
        }
        let mut matches = Vec::with_capacity(n as usize);
        for _ in 0..n {
            matches.push(Match {
                pattern: reader.u64()?,
                first_line: reader.u32()?,
                last_line: reader.u32()?,
                first_token: reader.u32()?,
                end_token: reader.u32()?,
                matched: reader.u32()?,
                pattern_hashes: reader.u32()?,
                similarity: f64::from_le_bytes(reader.take()?),
            });
        }
        cache.entries.insert(
            content,
            CachedScan {
                syntax_errors,
                matches,
            },
        );
    }
    reader.bytes.is_empty().then_some(cache)
}
