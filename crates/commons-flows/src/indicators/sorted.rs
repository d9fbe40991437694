//! Sorted keys with a directory on their top bits: a lookup reads two
//! directory slots and binary-searches a bucket of a few keys, so it touches
//! two or three cache lines instead of the ~20 of a plain binary search.

use std::ops::Range;

/// An unsigned integer key (an address, a hash).
pub(crate) trait Key: Copy + Ord + Default {
    /// Bits in the key.
    const BITS: u32;
    /// The top `bits` bits, as an index.
    fn top(self, bits: u32) -> usize;
}

impl Key for u32 {
    const BITS: u32 = 32;
    fn top(self, bits: u32) -> usize {
        if bits == 0 {
            0
        } else {
            (self >> (32 - bits)) as usize
        }
    }
}

impl Key for u64 {
    const BITS: u32 = 64;
    fn top(self, bits: u32) -> usize {
        if bits == 0 {
            0
        } else {
            (self >> (64 - bits)) as usize
        }
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    fn top(self, bits: u32) -> usize {
        if bits == 0 {
            0
        } else {
            (self >> (128 - bits)) as usize
        }
    }
}

/// Keys in ascending order (duplicates allowed) and their directory.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sorted<K> {
    keys: Vec<K>,
    /// `directory[t]` is the index of the first key whose top bits are ≥ t;
    /// one slot more than there are buckets.
    directory: Vec<u32>,
    bits: u32,
}

impl<K: Key> Sorted<K> {
    /// Indexes keys that are already sorted.
    pub(crate) fn new(keys: Vec<K>) -> Sorted<K> {
        debug_assert!(keys.is_sorted());
        // About eight keys per bucket, up to 2^20 buckets (4 MiB of directory).
        let wanted = usize::BITS - keys.len().leading_zeros();
        let bits = wanted.saturating_sub(3).clamp(1, 20).min(K::BITS);
        let buckets = 1usize << bits;
        let mut directory = Vec::with_capacity(buckets + 1);
        let mut index = 0;
        for bucket in 0..=buckets {
            while index < keys.len() && keys[index].top(bits) < bucket {
                index += 1;
            }
            directory.push(index as u32);
        }
        Sorted {
            keys,
            directory,
            bits,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    fn bucket(&self, key: K) -> Range<usize> {
        let top = key.top(self.bits);
        self.directory[top] as usize..self.directory[top + 1] as usize
    }

    /// Indices of the keys equal to `key`.
    pub(crate) fn equal(&self, key: K) -> Range<usize> {
        let bucket = self.bucket(key);
        let keys = &self.keys[bucket.clone()];
        let start = keys.partition_point(|it| *it < key);
        let end = start + keys[start..].partition_point(|it| *it == key);
        bucket.start + start..bucket.start + end
    }

    /// Index of the last key ≤ `key`.
    pub(crate) fn last_at_or_below(&self, key: K) -> Option<usize> {
        let bucket = self.bucket(key);
        let within = self.keys[bucket.clone()].partition_point(|it| *it <= key);
        (bucket.start + within).checked_sub(1)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys.capacity() * size_of::<K>() + self.directory.capacity() * size_of::<u32>()
    }
}
