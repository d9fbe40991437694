//! Strings (domains, URLs, hashes) indexed by a 64-bit hash, with the
//! strings kept in one arena so a hash hit is confirmed byte for byte.
//!
//! Domains are hashed over their labels from the right, so that while a
//! lookup walks an observed name's labels from the right it has, at each
//! label boundary, the hash of that suffix: `a.b.example.com` probes
//! `com`, `example.com`, `b.example.com` and `a.b.example.com` with one
//! pass over its bytes.

use super::sorted::Sorted;
use crate::hash::{WordHasher, mix64};

/// An index of strings by hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// One bit per value of the hashes' top bits, about 16 bits per entry:
    /// most misses are answered by this one cache line.
    filter: Vec<u64>,
    filter_bits: u32,
    hashes: Sorted<u64>,
    ids: Vec<u32>,
    /// `arena[offsets[i]..offsets[i + 1]]` is the string of entry `i`.
    offsets: Vec<u32>,
    arena: Vec<u8>,
}

/// Builds a `Names` from (hash, string, id) entries.
#[derive(Debug, Default)]
pub(crate) struct NamesBuilder {
    entries: Vec<(u64, u32, u32)>,
    /// Strings in insertion order, each at `(offset, len)`.
    staging: Vec<u8>,
    spans: Vec<(u32, u32)>,
}

impl NamesBuilder {
    pub(crate) fn push(&mut self, hash: u64, name: &[u8], id: u32) {
        let index = self.spans.len() as u32;
        self.spans
            .push((self.staging.len() as u32, name.len() as u32));
        self.staging.extend_from_slice(name);
        self.entries.push((hash, index, id));
    }

    pub(crate) fn build(mut self) -> Names {
        self.entries.sort_unstable();
        let mut arena = Vec::with_capacity(self.staging.len());
        let mut offsets = Vec::with_capacity(self.entries.len() + 1);
        let mut hashes = Vec::with_capacity(self.entries.len());
        let mut ids = Vec::with_capacity(self.entries.len());
        for &(hash, index, id) in &self.entries {
            let (offset, len) = self.spans[index as usize];
            offsets.push(arena.len() as u32);
            arena.extend_from_slice(&self.staging[offset as usize..(offset + len) as usize]);
            hashes.push(hash);
            ids.push(id);
        }
        offsets.push(arena.len() as u32);
        let filter_bits = (usize::BITS - hashes.len().leading_zeros() + 4).clamp(6, 24);
        let mut filter = vec![0u64; (1usize << filter_bits) / 64];
        for &hash in &hashes {
            let slot = hash >> (64 - filter_bits);
            filter[(slot / 64) as usize] |= 1 << (slot % 64);
        }
        Names {
            filter,
            filter_bits,
            hashes: Sorted::new(hashes),
            ids,
            offsets,
            arena,
        }
    }
}

impl Names {
    /// Calls `found` with the id of every entry whose hash is `hash` and
    /// whose string is `name`.
    pub(crate) fn lookup(&self, hash: u64, name: &[u8], found: &mut impl FnMut(u32)) {
        let slot = hash >> (64 - self.filter_bits);
        let present = self
            .filter
            .get((slot / 64) as usize)
            .is_some_and(|word| word & (1 << (slot % 64)) != 0);
        if !present {
            return;
        }
        for index in self.hashes.equal(hash) {
            let start = self.offsets[index] as usize;
            let end = self.offsets[index + 1] as usize;
            if &self.arena[start..end] == name {
                found(self.ids[index]);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.filter.capacity() * size_of::<u64>()
            + self.hashes.heap_bytes()
            + self.ids.capacity() * size_of::<u32>()
            + self.offsets.capacity() * size_of::<u32>()
            + self.arena.capacity()
    }
}

/// Hashes a whole string (URLs, file hashes).
pub(crate) fn whole_hash(text: &[u8]) -> u64 {
    mix64(label_state(0x5eed, text))
}

/// Continues a reversed-label hash with one more label (to the left).
pub(crate) fn label_state(state: u64, label: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = WordHasher::with_state(state);
    hasher.write(label);
    // The length keeps "ab"+"c" apart from "a"+"bc".
    hasher.write_u64(label.len() as u64);
    hasher.state()
}

/// The hash a domain is indexed under (its labels hashed from the right).
pub(crate) fn domain_hash(domain: &[u8]) -> u64 {
    let mut state = 0;
    for label in domain.rsplit(|&it| it == b'.') {
        state = label_state(state, label);
    }
    mix64(state)
}

/// Calls `probe(hash, suffix)` for each label suffix of `name` with
/// between `labels.start()` and `labels.end()` labels, shortest first.
pub(crate) fn domain_suffixes(
    name: &[u8],
    labels: std::ops::RangeInclusive<usize>,
    mut probe: impl FnMut(u64, &[u8]),
) {
    let mut state = 0;
    let mut end = name.len();
    let mut count = 0;
    while count < *labels.end() {
        let start = name[..end]
            .iter()
            .rposition(|&it| it == b'.')
            .map_or(0, |dot| dot + 1);
        state = label_state(state, &name[start..end]);
        count += 1;
        if count >= *labels.start() {
            probe(mix64(state), &name[start..]);
        }
        if start == 0 {
            return;
        }
        end = start - 1;
    }
}

/// How many labels a (normalised) domain has.
pub(crate) fn label_count(domain: &[u8]) -> usize {
    1 + domain.iter().filter(|&&it| it == b'.').count()
}
