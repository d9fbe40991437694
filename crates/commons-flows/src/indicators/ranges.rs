//! CIDR blocks as a partition of the address line: each elementary interval
//! points at the innermost block covering it, and each block at the block
//! that contains it. CIDR blocks are laminar (two blocks are nested or
//! disjoint), so the covering blocks of an address are one chain, found with
//! one directory lookup and a walk up the parents.

use super::sorted::{Key, Sorted};

const NONE: u32 = u32::MAX;

/// One CIDR block as an inclusive range, with its indicator id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<K> {
    pub(crate) first: K,
    pub(crate) last: K,
    pub(crate) id: u32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    id: u32,
    parent: u32,
}

/// The covering structure over a set of blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ranges<K> {
    /// Where each elementary interval starts.
    starts: Sorted<K>,
    /// The innermost block of each interval (`NONE` for gaps).
    innermost: Vec<u32>,
    nodes: Vec<Node>,
}

/// Address types: the successor of a key, if any.
pub(crate) trait Address: Key {
    fn next(self) -> Option<Self>;
}

impl Address for u32 {
    fn next(self) -> Option<u32> {
        self.checked_add(1)
    }
}

impl Address for u128 {
    fn next(self) -> Option<u128> {
        self.checked_add(1)
    }
}

impl<K: Address> Ranges<K> {
    pub(crate) fn new(mut blocks: Vec<Block<K>>) -> Ranges<K> {
        // Containers before what they contain; equal blocks nest in id order.
        blocks.sort_unstable_by(|a, b| {
            a.first
                .cmp(&b.first)
                .then(b.last.cmp(&a.last))
                .then(a.id.cmp(&b.id))
        });
        let mut starts: Vec<K> = Vec::with_capacity(blocks.len() * 2);
        let mut innermost: Vec<u32> = Vec::with_capacity(blocks.len() * 2);
        let mut nodes = Vec::with_capacity(blocks.len());
        // The chain of blocks containing the current position: (last, node).
        let mut open: Vec<(K, u32)> = Vec::new();
        let mut boundary = |at: K, node: u32| {
            if starts.last() == Some(&at) {
                *innermost.last_mut().expect("parallel to starts") = node;
            } else {
                starts.push(at);
                innermost.push(node);
            }
        };
        let close_before =
            |limit: Option<K>, open: &mut Vec<(K, u32)>, boundary: &mut dyn FnMut(K, u32)| {
                while let Some(&(last, _)) = open.last() {
                    if limit.is_some_and(|first| last >= first) {
                        break;
                    }
                    open.pop();
                    if let Some(after) = last.next() {
                        boundary(after, open.last().map_or(NONE, |it| it.1));
                    }
                }
            };
        for block in &blocks {
            close_before(Some(block.first), &mut open, &mut boundary);
            let node = nodes.len() as u32;
            nodes.push(Node {
                id: block.id,
                parent: open.last().map_or(NONE, |it| it.1),
            });
            boundary(block.first, node);
            open.push((block.last, node));
        }
        close_before(None, &mut open, &mut boundary);
        starts.shrink_to_fit();
        innermost.shrink_to_fit();
        Ranges {
            starts: Sorted::new(starts),
            innermost,
            nodes,
        }
    }

    /// Calls `found` with the id of every block containing `address`,
    /// innermost first.
    pub(crate) fn covering(&self, address: K, mut found: impl FnMut(u32)) {
        let Some(interval) = self.starts.last_at_or_below(address) else {
            return;
        };
        let mut node = self.innermost[interval];
        while node != NONE {
            let Node { id, parent } = self.nodes[node as usize];
            found(id);
            node = parent;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.starts.heap_bytes()
            + self.innermost.capacity() * size_of::<u32>()
            + self.nodes.capacity() * size_of::<Node>()
    }
}
