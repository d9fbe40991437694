//! Compact key → pattern-id lists: most keys name one pattern, so a key
//! holds that id inline and only shared keys spill to a list.

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::FxHashMap;

/// Marks a slot that indexes `overflow` instead of holding an id.
const SPILLED: u32 = 1 << 31;

/// Ids below this fit a slot.
pub(super) const MAX_ID: u32 = SPILLED - 1;

/// Lists of ids keyed by `K`, one `u32` per key unless shared.
#[derive(Debug, Clone)]
pub(super) struct Postings<K> {
    slots: FxHashMap<K, u32>,
    overflow: Vec<Vec<u32>>,
}

impl<K> Default for Postings<K> {
    fn default() -> Postings<K> {
        Postings {
            slots: FxHashMap::default(),
            overflow: Vec::new(),
        }
    }
}

impl<K: Hash + Eq> Postings<K> {
    /// Adds `id` (at most [`MAX_ID`]) under `key`.
    pub(super) fn insert(&mut self, key: K, id: u32) {
        match self.slots.entry(key) {
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(mut entry) => {
                let slot = entry.get_mut();
                if *slot & SPILLED == 0 {
                    self.overflow.push(vec![*slot, id]);
                    *slot = SPILLED
                        | u32::try_from(self.overflow.len() - 1).expect("fewer than 2^31 lists");
                } else {
                    self.overflow[(*slot & !SPILLED) as usize].push(id);
                }
            }
        }
    }

    /// Appends the ids under `key`.
    #[inline]
    pub(super) fn get<Q>(&self, key: &Q, out: &mut Vec<u32>)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(slot) = self.slots.get(key) {
            if slot & SPILLED == 0 {
                out.push(*slot);
            } else {
                out.extend_from_slice(&self.overflow[(slot & !SPILLED) as usize]);
            }
        }
    }

    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Approximate heap bytes used, not counting what keys own.
    pub(super) fn heap_bytes(&self) -> usize {
        // hashbrown: one control byte per bucket, buckets ≥ len / 0.875.
        self.slots.capacity() * (size_of::<(K, u32)>() + 1)
            + self
                .overflow
                .iter()
                .map(|it| it.capacity() * 4 + size_of::<Vec<u32>>())
                .sum::<usize>()
    }
}
