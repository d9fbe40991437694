//! Fast, deterministic, non-cryptographic hashing for the flow table and the
//! indicator indexes. Inputs are attacker-influenced only in the weak sense
//! that traffic is; tables verify keys, so a collision costs time, never a
//! wrong answer.

use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A multiply-rotate word hasher (the FxHash construction) with a final mix,
/// so that both the low bits (bucket index) and the high bits (hashbrown's
/// control bytes) depend on every input word.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WordHasher {
    state: u64,
}

impl WordHasher {
    /// A hasher continuing from an earlier state (for hashes built in steps).
    pub(crate) fn with_state(state: u64) -> WordHasher {
        WordHasher { state }
    }

    /// The state before the final mix, to continue from later.
    pub(crate) fn state(&self) -> u64 {
        self.state
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.write_u64(u64::from_le_bytes(chunk.try_into().expect("8-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.write_u64(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.state = (self.state.rotate_left(5) ^ value).wrapping_mul(K);
    }

    fn write_u128(&mut self, value: u128) {
        self.write_u64(value as u64);
        self.write_u64((value >> 64) as u64);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn finish(&self) -> u64 {
        mix64(self.state)
    }
}

/// Builds `WordHasher`s for `HashMap`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct BuildWordHasher;

impl BuildHasher for BuildWordHasher {
    type Hasher = WordHasher;

    fn build_hasher(&self) -> WordHasher {
        WordHasher::default()
    }
}

/// The murmur3 64-bit finaliser: every output bit depends on every input bit.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}
