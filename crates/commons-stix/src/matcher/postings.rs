//! Compact key → pattern-id lists: most keys name one pattern, so a key
//! holds that id inline and only shared keys spill to a list.

use std::borrow::Borrow;
use std::hash::Hash;

use rustc_hash::FxHashMap;

/// Marks a slot that indexes `overflow` instead of holding an id.
const SPILLED: u32 = 1 << 31;

/// Ids below this fit a slot.
pub(super) const MAX_ID: u32 = SPILLED - 1;

/// Adds `id` to the list whose slot is `slot`.
fn push(slot: &mut u32, id: u32, overflow: &mut Vec<Vec<u32>>) {
    if *slot & SPILLED == 0 {
        overflow.push(vec![*slot, id]);
        *slot = SPILLED | u32::try_from(overflow.len() - 1).expect("fewer than 2^31 lists");
    } else {
        overflow[(*slot & !SPILLED) as usize].push(id);
    }
}

/// Appends the list whose slot is `slot`.
#[inline]
fn read(slot: u32, overflow: &[Vec<u32>], out: &mut Vec<u32>) {
    if slot & SPILLED == 0 {
        out.push(slot);
    } else {
        out.extend_from_slice(&overflow[(slot & !SPILLED) as usize]);
    }
}

fn overflow_bytes(overflow: &[Vec<u32>]) -> usize {
    overflow
        .iter()
        .map(|it| it.capacity() * 4 + size_of::<Vec<u32>>())
        .sum()
}

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
                push(entry.get_mut(), id, &mut self.overflow);
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
            read(*slot, &self.overflow, out);
        }
    }

    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Approximate heap bytes used, not counting what keys own.
    pub(super) fn heap_bytes(&self) -> usize {
        // hashbrown: one control byte per bucket besides the entry.
        self.slots.capacity() * (size_of::<(K, u32)>() + 1) + overflow_bytes(&self.overflow)
    }
}

/// Lists of ids for keys `0..n`, one `u32` per key unless shared.
#[derive(Debug, Clone, Default)]
pub(super) struct DenseIds {
    slots: Vec<u32>,
    overflow: Vec<Vec<u32>>,
}

impl DenseIds {
    /// Starts the list of the next key with `id`.
    pub(super) fn push_key(&mut self, id: u32) {
        self.slots.push(id);
    }

    /// Adds `id` to the list of `key`.
    pub(super) fn insert(&mut self, key: usize, id: u32) {
        push(&mut self.slots[key], id, &mut self.overflow);
    }

    /// Appends the ids of `key`.
    #[inline]
    pub(super) fn get(&self, key: usize, out: &mut Vec<u32>) {
        read(self.slots[key], &self.overflow, out);
    }

    /// Approximate heap bytes used.
    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4 + overflow_bytes(&self.overflow)
    }
}
