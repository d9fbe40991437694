//! A static index of CIDR blocks: which blocks contain an address (or a
//! smaller block)?
//!
//! CIDR blocks never partially overlap: two are disjoint or one contains the
//! other. So the blocks form a forest, and the address space splits into
//! elementary ranges each covered by one innermost block (or none). A lookup
//! is a binary search for the range, then a walk up the innermost block's
//! ancestors — O(log n + matches), about 24 bytes per block for IPv4.

use super::postings::DenseIds;

/// An unsigned address type (`u32` for IPv4, `u128` for IPv6).
pub(super) trait Address: Copy + Ord + std::fmt::Debug {
    const BITS: u8;
    fn checked_next(self) -> Option<Self>;
    /// The last address of the block at `self` with `prefix` bits.
    fn block_end(self, prefix: u8) -> Self;
    /// The top `bits` bits (at most 16) as a number.
    fn top_bits(self, bits: u8) -> usize;
}

impl Address for u32 {
    const BITS: u8 = 32;
    fn checked_next(self) -> Option<u32> {
        self.checked_add(1)
    }
    fn block_end(self, prefix: u8) -> u32 {
        self | !crate::net::mask_v4(prefix)
    }
    fn top_bits(self, bits: u8) -> usize {
        self.checked_shr(32 - u32::from(bits)).unwrap_or(0) as usize
    }
}

impl Address for u128 {
    const BITS: u8 = 128;
    fn checked_next(self) -> Option<u128> {
        self.checked_add(1)
    }
    fn block_end(self, prefix: u8) -> u128 {
        self | !crate::net::mask_v6(prefix)
    }
    fn top_bits(self, bits: u8) -> usize {
        self.checked_shr(128 - u32::from(bits)).unwrap_or(0) as usize
    }
}

const NONE: u32 = u32::MAX;

/// One distinct block.
#[derive(Debug, Clone)]
struct Block {
    prefix: u8,
    /// The smallest block containing this one, or `NONE`.
    parent: u32,
}

/// Blocks being collected, then frozen into a [`CidrIndex`].
#[derive(Debug, Default)]
pub(super) struct CidrBuilder<A> {
    entries: Vec<(A, u8, u32)>,
}

/// The frozen index.
#[derive(Debug, Clone)]
pub(super) struct CidrIndex<A> {
    /// Starts of elementary ranges, ascending.
    starts: Vec<A>,
    /// For each range, the innermost block covering it, or `NONE`.
    innermost: Vec<u32>,
    blocks: Vec<Block>,
    /// Pattern ids per block.
    ids: DenseIds,
    /// `directory[h]`: how many `starts` have top bits below `h`, so a
    /// lookup binary-searches only the starts sharing its top bits (a few
    /// cache lines instead of a search over the whole array).
    directory: Vec<u32>,
    directory_bits: u8,
}

impl<A: Address> CidrBuilder<A> {
    /// Adds the block `network/prefix` (host bits already clear) for `id`.
    pub(super) fn add(&mut self, network: A, prefix: u8, id: u32) {
        self.entries.push((network, prefix.min(A::BITS), id));
    }

    pub(super) fn build(mut self) -> CidrIndex<A> {
        // Outer blocks first at each start, so a block's parent is already
        // open when it is reached.
        self.entries
            .sort_unstable_by_key(|(network, prefix, _)| (*network, *prefix));
        let mut index = CidrIndex {
            starts: Vec::new(),
            innermost: Vec::new(),
            blocks: Vec::new(),
            ids: DenseIds::default(),
            directory: Vec::new(),
            directory_bits: 0,
        };
        // Open blocks, outermost first: (block, last address).
        let mut open: Vec<(u32, A)> = Vec::new();
        let mut previous: Option<(A, u8)> = None;
        for (network, prefix, id) in self.entries {
            if previous == Some((network, prefix)) {
                index.ids.insert(index.blocks.len() - 1, id);
                continue;
            }
            previous = Some((network, prefix));
            while let Some(&(_, end)) = open.last()
                && end < network
            {
                open.pop();
                index.boundary(
                    end.checked_next(),
                    open.last().map_or(NONE, |(block, _)| *block),
                );
            }
            let block = u32::try_from(index.blocks.len()).expect("fewer than 2^32 blocks");
            index.blocks.push(Block {
                prefix,
                parent: open.last().map_or(NONE, |(parent, _)| *parent),
            });
            index.ids.push_key(id);
            index.boundary(Some(network), block);
            open.push((block, network.block_end(prefix)));
        }
        while let Some((_, end)) = open.pop() {
            index.boundary(
                end.checked_next(),
                open.last().map_or(NONE, |(block, _)| *block),
            );
        }
        index.build_directory();
        index
    }
}

impl<A: Address> CidrIndex<A> {
    /// Records that from `start` on the innermost block is `block`; a later
    /// record at the same start replaces an earlier one.
    fn boundary(&mut self, start: Option<A>, block: u32) {
        let Some(start) = start else {
            return;
        };
        if self.starts.last() == Some(&start) {
            *self.innermost.last_mut().expect("same length as starts") = block;
        } else {
            self.starts.push(start);
            self.innermost.push(block);
        }
    }

    /// About one directory entry per start, at most 2^16.
    fn build_directory(&mut self) {
        let bits = self.starts.len().max(1).ilog2().min(16) as u8;
        let buckets = 1usize << bits;
        let mut directory = Vec::with_capacity(buckets + 1);
        let mut idx = 0;
        for bucket in 0..=buckets {
            while idx < self.starts.len() && self.starts[idx].top_bits(bits) < bucket {
                idx += 1;
            }
            directory.push(u32::try_from(idx).expect("fewer than 2^32 starts"));
        }
        self.directory = directory;
        self.directory_bits = bits;
    }

    /// Appends the ids of every block containing `network/prefix`.
    pub(super) fn lookup(&self, network: A, prefix: u8, out: &mut Vec<u32>) {
        let bucket = network.top_bits(self.directory_bits);
        let low = self.directory[bucket] as usize;
        let high = self.directory[bucket + 1] as usize;
        let idx = low + self.starts[low..high].partition_point(|start| *start <= network);
        let Some(mut block) = idx.checked_sub(1).map(|idx| self.innermost[idx]) else {
            return;
        };
        while block != NONE {
            let found = &self.blocks[block as usize];
            if found.prefix <= prefix {
                self.ids.get(block as usize, out);
            }
            block = found.parent;
        }
    }

    /// Whether no block was added.
    pub(super) fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Approximate heap bytes used.
    pub(super) fn heap_bytes(&self) -> usize {
        self.starts.capacity() * size_of::<A>()
            + self.innermost.capacity() * 4
            + self.blocks.capacity() * size_of::<Block>()
            + self.ids.heap_bytes()
            + self.directory.capacity() * 4
    }
}
