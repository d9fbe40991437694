//! k-gram hashing with position-independent name linking, and winnowing.
//!
//! A gram is `k` consecutive tokens. Its hash must not depend on where it
//! sits in the file, yet must keep which abstract names are the same name.
//! Each abstract name inside a gram is therefore coded relative to the gram:
//! "first time seen in this gram", or "same name as the token `d` places
//! back". That is exactly the information of numbering names by first
//! occurrence within the gram, and it lets the hash roll: sliding the gram
//! by one token changes at most one name's code (the next use of the name
//! that just left becomes "first seen").
//!
//! The rolling hash is a polynomial over the 64-bit token codes modulo 2^64
//! with an odd base, finished with a bijective mixer, so two grams share a
//! hash only if the polynomial collides; a test checks that no two distinct
//! grams of the Python standard library do.

use std::collections::VecDeque;

use xxhash_rust::xxh3::xxh3_64;

use crate::normalize::{ABSTRACT, Token};

/// The base of the rolling polynomial (odd, so it is invertible mod 2^64).
const BASE: u64 = 0x9e37_79b9_7f4a_7c15;

/// Codes of abstract names: first seen in the gram, or linked `d` back.
struct NameCodes {
    fresh: u64,
    linked: Vec<u64>,
}

impl NameCodes {
    /// The tag `abstract` is used by no other token code: vocabulary names
    /// are tagged `name`, so a listed name such as `first` cannot share a
    /// code with a fresh abstract name (the standard-library collision
    /// check found exactly that under a shared tag).
    fn new(k: usize) -> NameCodes {
        NameCodes {
            fresh: xxh3_64(b"abstract\0first"),
            linked: (0..k)
                .map(|distance| xxh3_64(format!("abstract\0back {distance}").as_bytes()))
                .collect(),
        }
    }
}

/// The hash of every gram of `tokens`, in order (`tokens.len() - k + 1` of
/// them, none if there are fewer than `k` tokens). `codes` maps symbols to
/// token codes; `name_count` bounds the abstract names' numbers.
pub(crate) fn gram_hashes(tokens: &[Token], codes: &[u64], name_count: u32, k: usize) -> Vec<u64> {
    let mut hashes = Vec::new();
    gram_hashes_into(tokens, codes, name_count, k, &mut hashes);
    hashes
}

/// Each abstract token's links to the previous and the next use of its
/// name, as distances (0: none).
#[derive(Debug, Clone, Copy, Default)]
struct Link {
    back: u32,
    next: u32,
}

thread_local! {
    /// The links of the file being hashed, kept between files so a scan of
    /// a tree allocates them once per thread.
    static LINKS: std::cell::RefCell<Vec<Link>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`gram_hashes`] into `hashes` (cleared first), reusing its allocation.
pub(crate) fn gram_hashes_into(
    tokens: &[Token],
    codes: &[u64],
    name_count: u32,
    k: usize,
    hashes: &mut Vec<u64>,
) {
    hashes.clear();
    let n = tokens.len();
    if k == 0 || n < k {
        return;
    }
    LINKS.with(|cell| {
        let mut links = cell.borrow_mut();
        links.clear();
        links.resize(n, Link::default());
        hash_with_links(tokens, codes, name_count, k, &mut links, hashes);
        *links = kept(std::mem::take(&mut *links));
    });
}

/// Scratch buffers are kept between files up to this many elements, so one
/// huge file does not pin its buffers for the life of the thread.
const MAX_KEPT: usize = 1 << 20;

/// `buffer` if it is small enough to keep between files, else an empty one.
pub(crate) fn kept<T>(buffer: Vec<T>) -> Vec<T> {
    if buffer.capacity() > MAX_KEPT {
        Vec::new()
    } else {
        buffer
    }
}

fn hash_with_links(
    tokens: &[Token],
    codes: &[u64],
    name_count: u32,
    k: usize,
    links: &mut [Link],
    hashes: &mut Vec<u64>,
) {
    let n = tokens.len();
    let names = NameCodes::new(k);
    // Links farther than a gram are never used, so they are stored as 0
    // ("none"): distances then fit in u32 whatever the file's length.
    let mut last_seen = vec![usize::MAX; name_count as usize];
    for (idx, token) in tokens.iter().enumerate() {
        if token.symbol != ABSTRACT {
            continue;
        }
        if let Some(seen) = last_seen.get_mut(token.name as usize) {
            if *seen != usize::MAX && idx - *seen < k {
                let distance = (idx - *seen) as u32;
                links[idx].back = distance;
                links[*seen].next = distance;
            }
            *seen = idx;
        }
    }
    // The code of token `j` in the gram starting at `start`.
    let value = |j: usize, start: usize| -> u64 {
        let token = &tokens[j];
        if token.symbol != ABSTRACT {
            return codes.get(token.symbol as usize).copied().unwrap_or(0);
        }
        let distance = links[j].back as usize;
        if distance != 0 && j - distance >= start {
            names.linked[distance]
        } else {
            names.fresh
        }
    };
    let mut powers = vec![1u64; k];
    for idx in 1..k {
        powers[idx] = powers[idx - 1].wrapping_mul(BASE);
    }
    let top = powers[k - 1];
    let mut hash = 0u64;
    for j in 0..k {
        hash = hash.wrapping_mul(BASE).wrapping_add(value(j, 0));
    }
    hashes.reserve(n - k + 1);
    hashes.push(mix(hash));
    for start in 0..n - k {
        hash = hash
            .wrapping_sub(value(start, start).wrapping_mul(top))
            .wrapping_mul(BASE)
            .wrapping_add(value(start + k, start + 1));
        // The next use of the name that left now opens the gram's chain.
        let distance = links[start].next as usize;
        if distance != 0 {
            let relinked = start + distance;
            let delta = names.fresh.wrapping_sub(names.linked[distance]);
            hash = hash.wrapping_add(delta.wrapping_mul(powers[start + k - relinked]));
        }
        hashes.push(mix(hash));
    }
}

/// The murmur3 finalizer: a bijection on u64 that spreads every input bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// Robust winnowing (Schleimer, Wilkerson and Aiken, 2003): in every window
/// of `window` consecutive hashes select the minimum, the rightmost one on
/// ties, and report each selected position once, in order. Fewer hashes
/// than a window form one window.
pub(crate) fn winnow(hashes: &[u64], window: usize) -> Vec<u32> {
    let window = window.max(1);
    if hashes.is_empty() {
        return Vec::new();
    }
    if hashes.len() <= window {
        let best = hashes
            .iter()
            .enumerate()
            .rev()
            .min_by_key(|(_, hash)| **hash)
            .map(|(position, _)| position as u32);
        return best.into_iter().collect();
    }
    // The same monotone queue as `winnow_sparse`, over every position: this
    // runs on every file scanned, so it avoids building the pairs.
    let mut out: Vec<u32> = Vec::with_capacity(2 * hashes.len() / (window + 1) + 2);
    let mut queue: VecDeque<usize> = VecDeque::with_capacity(window + 1);
    for (end, hash) in hashes.iter().enumerate() {
        while queue.back().is_some_and(|back| hashes[*back] >= *hash) {
            queue.pop_back();
        }
        queue.push_back(end);
        if end + 1 < window {
            continue;
        }
        let start = end + 1 - window;
        while queue.front().is_some_and(|front| *front < start) {
            queue.pop_front();
        }
        if let Some(front) = queue.front() {
            let position = *front as u32;
            if out.last() != Some(&position) {
                out.push(position);
            }
        }
    }
    out
}

/// Winnowing over a subsequence: `selected` holds (position, hash) pairs in
/// position order out of a sequence of `len` hashes; positions not listed are
/// treated as absent. When `selected` is the output of winnowing with a
/// window no larger than `window`, this gives exactly what winnowing the whole
/// sequence with `window` would (the minimum of a large window is the
/// rightmost minimum of every small window inside it), which is how a
/// fingerprint made for scanning is re-winnowed for sharing.
pub(crate) fn winnow_sparse(selected: &[(u32, u64)], len: usize, window: usize) -> Vec<u32> {
    let window = window.max(1);
    if selected.is_empty() {
        return Vec::new();
    }
    if len <= window {
        let best = selected
            .iter()
            .rev()
            .min_by_key(|(_, hash)| *hash)
            .map(|(position, _)| *position);
        return best.into_iter().collect();
    }
    let mut out: Vec<u32> = Vec::new();
    // Indices into `selected`, hashes increasing from the front.
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut next_idx = 0;
    for end in window - 1..len {
        while next_idx < selected.len() && selected[next_idx].0 as usize <= end {
            let hash = selected[next_idx].1;
            while queue.back().is_some_and(|back| selected[*back].1 >= hash) {
                queue.pop_back();
            }
            queue.push_back(next_idx);
            next_idx += 1;
        }
        let start = end + 1 - window;
        while queue
            .front()
            .is_some_and(|front| (selected[*front].0 as usize) < start)
        {
            queue.pop_front();
        }
        if let Some(front) = queue.front() {
            let position = selected[*front].0;
            if out.last() != Some(&position) {
                out.push(position);
            }
        }
    }
    out
}
