//! Indicators (plain typed values: addresses, CIDR blocks, domains, URLs,
//! ports, file hashes) compiled into `IndicatorSet`, a read-only set of
//! indexes built once and queried per observation.
//!
//! Design: every index is a sorted array with a directory on the keys' top
//! bits (see `sorted`), not a pointer-based tree or a general hash map, so
//! that memory per indicator stays near the size of the key itself and a
//! build is a sort. IPv4 exact: 8 bytes per indicator (address and id).
//! CIDR blocks: the address line cut into intervals, each naming its
//! innermost block, blocks naming their parents (see `ranges`). Domains,
//! URLs and hashes: 64-bit hashes sorted, strings in one arena to confirm a
//! hit (see `names`); domains are hashed label by label from the right, so
//! one pass over an observed name probes each of its parent domains. IPv4
//! lookups first test a bitmap over the top bits of the address that marks
//! every exact address and block, so the common miss costs one cache line.
//!
//! A set never changes; reloading means building a new set (a million
//! indicators take well under a second) and swapping it in, so a lookup
//! always sees one whole set, old or new.

mod names;
mod ranges;
mod sorted;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use names::{Names, NamesBuilder};
use ranges::{Block, Ranges};
use sorted::Sorted;

/// One indicator: an id the caller chose (its row or STIX object) and a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// Reported back in alerts.
    pub id: u32,
    /// What to look for.
    pub kind: IndicatorKind,
}

/// The values an indicator can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorKind {
    /// One IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv4 block: network and prefix length (host bits are ignored).
    Cidr4(Ipv4Addr, u8),
    /// One IPv6 address.
    Ipv6(Ipv6Addr),
    /// An IPv6 block.
    Cidr6(Ipv6Addr, u8),
    /// A domain; matches it and every name below it.
    Domain(String),
    /// A URL (`http://host/path?query`; the scheme is optional and ignored).
    Url(String),
    /// A transport port, matched on either side of a flow.
    Port(u16),
    /// A file or certificate hash in hexadecimal (MD5, SHA-1, SHA-256, …).
    FileHash(String),
}

/// Why an indicator was left out of a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndicatorError {
    /// A prefix longer than the address.
    #[error("prefix length {prefix} is longer than {max} bits")]
    PrefixTooLong {
        /// The prefix given.
        prefix: u8,
        /// The address width.
        max: u8,
    },
    /// Not a domain name (empty, too long, an empty label, a forbidden character).
    #[error("not a domain name: {0:?}")]
    InvalidDomain(String),
    /// Not a URL this crate can match (no host).
    #[error("not a URL with a host: {0:?}")]
    InvalidUrl(String),
    /// Not a hexadecimal hash of 32 to 128 digits.
    #[error("not a hexadecimal hash: {0:?}")]
    InvalidHash(String),
}

/// An indicator left out of a set, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The indicator's id.
    pub id: u32,
    /// The problem.
    pub error: IndicatorError,
}

/// How many indicators of each kind a set holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndicatorCounts {
    /// IPv4 addresses.
    pub ipv4: usize,
    /// IPv4 blocks.
    pub cidr4: usize,
    /// IPv6 addresses.
    pub ipv6: usize,
    /// IPv6 blocks.
    pub cidr6: usize,
    /// Domains.
    pub domains: usize,
    /// URLs.
    pub urls: usize,
    /// Ports.
    pub ports: usize,
    /// File hashes.
    pub hashes: usize,
}

/// Heap bytes held by each index of a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryUsage {
    /// IPv4 exact addresses.
    pub ipv4: usize,
    /// IPv4 blocks.
    pub cidr4: usize,
    /// The IPv4 prefilter bitmap (shared by addresses and blocks).
    pub ipv4_filter: usize,
    /// IPv6 exact addresses.
    pub ipv6: usize,
    /// IPv6 blocks.
    pub cidr6: usize,
    /// Domains.
    pub domains: usize,
    /// URLs.
    pub urls: usize,
    /// Ports.
    pub ports: usize,
    /// File hashes.
    pub hashes: usize,
}

impl MemoryUsage {
    /// All indexes together.
    pub fn total(&self) -> usize {
        self.ipv4
            + self.cidr4
            + self.ipv4_filter
            + self.ipv6
            + self.cidr6
            + self.domains
            + self.urls
            + self.ports
            + self.hashes
    }
}

/// Compiled indexes over a set of indicators.
#[derive(Debug, Clone, Default)]
pub struct IndicatorSet {
    ipv4: Sorted<u32>,
    ipv4_ids: Vec<u32>,
    cidr4: Ranges<u32>,
    ipv4_filter: Bitmap,
    /// One bit per /16 (8 KiB, so it stays in the first-level cache):
    /// traffic is full of addresses from networks no indicator touches
    /// (a site's own private ones above all), and this answers for them
    /// without reaching for the larger filter or the matcher's table of
    /// remembered misses.
    ipv4_coarse: Bitmap,
    ipv6: Sorted<u128>,
    ipv6_ids: Vec<u32>,
    cidr6: Ranges<u128>,
    domains: Names,
    /// Fewest and most labels among the domains: suffixes outside this
    /// range cannot match, so lookups skip them.
    domain_labels: (usize, usize),
    urls: Names,
    hashes: Names,
    /// (port, id), sorted.
    ports: Vec<(u16, u32)>,
}

/// One bit per value of an address's top bits.
#[derive(Debug, Clone, Default)]
struct Bitmap {
    words: Vec<u64>,
    /// Address bits dropped to index the map.
    shift: u32,
}

impl Bitmap {
    fn new(bits: u32) -> Bitmap {
        Bitmap {
            words: vec![0; (1usize << bits).div_ceil(64)],
            shift: 32 - bits,
        }
    }

    fn mark(&mut self, first: u32, last: u32) {
        for slot in (first >> self.shift)..=(last >> self.shift) {
            self.words[(slot / 64) as usize] |= 1 << (slot % 64);
        }
    }

    fn test(&self, address: u32) -> bool {
        let slot = address >> self.shift;
        self.words
            .get((slot / 64) as usize)
            .is_some_and(|word| word & (1 << (slot % 64)) != 0)
    }
}

impl IndicatorSet {
    /// Compiles indicators into indexes. Invalid ones are left out and
    /// returned with the reason, all of them.
    pub fn build(indicators: impl IntoIterator<Item = Indicator>) -> (IndicatorSet, Vec<Rejected>) {
        let mut rejected = Vec::new();
        let mut ipv4: Vec<u64> = Vec::new();
        let mut ipv6: Vec<(u128, u32)> = Vec::new();
        let mut cidr4: Vec<Block<u32>> = Vec::new();
        let mut cidr6: Vec<Block<u128>> = Vec::new();
        let mut domains = NamesBuilder::default();
        let mut domain_labels = (usize::MAX, 0);
        let mut urls = NamesBuilder::default();
        let mut hashes = NamesBuilder::default();
        let mut ports = Vec::new();
        for Indicator { id, kind } in indicators {
            let mut reject = |error| rejected.push(Rejected { id, error });
            match kind {
                IndicatorKind::Ipv4(address) => {
                    ipv4.push(u64::from(address.to_bits()) << 32 | u64::from(id))
                }
                IndicatorKind::Ipv6(address) => ipv6.push((address.to_bits(), id)),
                IndicatorKind::Cidr4(network, prefix) => match block(network.to_bits(), prefix) {
                    Some((first, last)) => cidr4.push(Block { first, last, id }),
                    None => reject(IndicatorError::PrefixTooLong { prefix, max: 32 }),
                },
                IndicatorKind::Cidr6(network, prefix) => match block(network.to_bits(), prefix) {
                    Some((first, last)) => cidr6.push(Block { first, last, id }),
                    None => reject(IndicatorError::PrefixTooLong { prefix, max: 128 }),
                },
                IndicatorKind::Domain(domain) => match normalize_domain(&domain) {
                    Some(name) => {
                        let labels = names::label_count(name.as_bytes());
                        domain_labels = (domain_labels.0.min(labels), domain_labels.1.max(labels));
                        domains.push(names::domain_hash(name.as_bytes()), name.as_bytes(), id);
                    }
                    None => reject(IndicatorError::InvalidDomain(domain)),
                },
                IndicatorKind::Url(url) => match normalize_url(&url) {
                    Some(key) => urls.push(names::whole_hash(key.as_bytes()), key.as_bytes(), id),
                    None => reject(IndicatorError::InvalidUrl(url)),
                },
                IndicatorKind::FileHash(hash) => match normalize_hash(&hash) {
                    Some(hex) => hashes.push(names::whole_hash(hex.as_bytes()), hex.as_bytes(), id),
                    None => reject(IndicatorError::InvalidHash(hash)),
                },
                IndicatorKind::Port(port) => ports.push((port, id)),
            }
        }
        ipv4.sort_unstable();
        ipv6.sort_unstable();
        ports.sort_unstable();
        let ipv4_filter = ipv4_filter(&ipv4, &cidr4);
        let ipv4_coarse = ipv4_coarse(&ipv4, &cidr4);
        let ipv4_ids = ipv4.iter().map(|&it| it as u32).collect();
        let ipv4_keys = ipv4.iter().map(|&it| (it >> 32) as u32).collect();
        drop(ipv4);
        let set = IndicatorSet {
            ipv4: Sorted::new(ipv4_keys),
            ipv4_ids,
            cidr4: Ranges::new(cidr4),
            ipv4_filter,
            ipv4_coarse,
            ipv6: Sorted::new(ipv6.iter().map(|it| it.0).collect()),
            ipv6_ids: ipv6.iter().map(|it| it.1).collect(),
            cidr6: Ranges::new(cidr6),
            domains: domains.build(),
            domain_labels,
            urls: urls.build(),
            hashes: hashes.build(),
            ports,
        };
        (set, rejected)
    }

    /// How many indicators of each kind the set holds.
    pub fn counts(&self) -> IndicatorCounts {
        IndicatorCounts {
            ipv4: self.ipv4.len(),
            cidr4: self.cidr4.len(),
            ipv6: self.ipv6.len(),
            cidr6: self.cidr6.len(),
            domains: self.domains.len(),
            urls: self.urls.len(),
            ports: self.ports.len(),
            hashes: self.hashes.len(),
        }
    }

    /// Indicators in the set.
    pub fn len(&self) -> usize {
        let counts = self.counts();
        counts.ipv4
            + counts.cidr4
            + counts.ipv6
            + counts.cidr6
            + counts.domains
            + counts.urls
            + counts.ports
            + counts.hashes
    }

    /// Whether the set holds no indicator.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held by each index.
    pub fn memory(&self) -> MemoryUsage {
        MemoryUsage {
            ipv4: self.ipv4.heap_bytes() + self.ipv4_ids.capacity() * size_of::<u32>(),
            cidr4: self.cidr4.heap_bytes(),
            ipv4_filter: (self.ipv4_filter.words.capacity() + self.ipv4_coarse.words.capacity())
                * size_of::<u64>(),
            ipv6: self.ipv6.heap_bytes() + self.ipv6_ids.capacity() * size_of::<u32>(),
            cidr6: self.cidr6.heap_bytes(),
            domains: self.domains.heap_bytes(),
            urls: self.urls.heap_bytes(),
            ports: self.ports.capacity() * size_of::<(u16, u32)>(),
            hashes: self.hashes.heap_bytes(),
        }
    }

    /// Calls `found` with the id of every address or block indicator that
    /// `address` matches.
    pub fn ip_matches(&self, address: IpAddr, mut found: impl FnMut(u32)) {
        match address {
            IpAddr::V4(address) => self.ipv4_matches(address.to_bits(), &mut found),
            IpAddr::V6(address) => {
                let bits = address.to_bits();
                for index in self.ipv6.equal(bits) {
                    found(self.ipv6_ids[index]);
                }
                self.cidr6.covering(bits, &mut found);
            }
        }
    }

    /// Whether some address or block indicator lies in `address`'s /16:
    /// when not, no IPv4 indicator can match it.
    pub(crate) fn ipv4_possible(&self, address: u32) -> bool {
        self.ipv4_coarse.test(address)
    }

    fn ipv4_matches(&self, address: u32, found: &mut impl FnMut(u32)) {
        if !(self.ipv4_coarse.test(address) && self.ipv4_filter.test(address)) {
            return;
        }
        for index in self.ipv4.equal(address) {
            found(self.ipv4_ids[index]);
        }
        self.cidr4.covering(address, found);
    }

    /// Calls `found` with the id of every domain indicator that `name` equals
    /// or lies below (case and a final dot do not matter).
    pub fn domain_matches(&self, name: &str, mut found: impl FnMut(u32)) {
        if self.domains.len() == 0 {
            return;
        }
        let mut buffer = [0u8; 256];
        let name = name.trim_end_matches('.').as_bytes();
        let Some(lower) = buffer.get_mut(..name.len()) else {
            // Longer than any DNS name can be.
            return;
        };
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        let (fewest, most) = self.domain_labels;
        names::domain_suffixes(lower, fewest..=most, |hash, suffix| {
            self.domains.lookup(hash, suffix, &mut found);
        });
    }

    /// Calls `found` with the id of every URL indicator that a request for
    /// `target` (a path or an absolute URI) on `host` equals.
    pub fn url_matches(&self, host: &str, target: &str, mut found: impl FnMut(u32)) {
        if self.urls.len() == 0 {
            return;
        }
        let key = if target.starts_with('/') || target == "*" {
            normalize_url(&format!("{host}{target}"))
        } else {
            normalize_url(target)
        };
        if let Some(key) = key {
            self.urls.lookup(
                names::whole_hash(key.as_bytes()),
                key.as_bytes(),
                &mut found,
            );
        }
    }

    /// Calls `found` with the id of every port indicator equal to `port`.
    pub fn port_matches(&self, port: u16, mut found: impl FnMut(u32)) {
        let start = self.ports.partition_point(|it| it.0 < port);
        for &(_, id) in self.ports[start..].iter().take_while(|it| it.0 == port) {
            found(id);
        }
    }

    /// Calls `found` with the id of every hash indicator equal to `hash`
    /// (case does not matter).
    pub fn hash_matches(&self, hash: &str, mut found: impl FnMut(u32)) {
        if self.hashes.len() == 0 {
            return;
        }
        if let Some(hex) = normalize_hash(hash) {
            self.hashes.lookup(
                names::whole_hash(hex.as_bytes()),
                hex.as_bytes(),
                &mut found,
            );
        }
    }
}

/// The inclusive range of a prefix, host bits cleared; `None` if the prefix
/// is longer than the address.
fn block<K>(network: K, prefix: u8) -> Option<(K, K)>
where
    K: Copy
        + std::ops::Not<Output = K>
        + std::ops::Shr<u32, Output = K>
        + std::ops::BitAnd<Output = K>
        + std::ops::BitOr<Output = K>
        + PartialEq
        + From<u8>,
{
    let width = (size_of::<K>() * 8) as u32;
    let prefix = u32::from(prefix);
    if prefix > width {
        return None;
    }
    let all = !K::from(0u8);
    let host = if prefix == width {
        K::from(0u8)
    } else {
        all >> prefix
    };
    Some((network & !host, network | host))
}

/// Sizes the IPv4 prefilter to about 16 bits per indicator (at most 2^24
/// bits, 2 MiB) and marks every address and block.
fn ipv4_filter(addresses: &[u64], blocks: &[Block<u32>]) -> Bitmap {
    let n = addresses.len() + blocks.len();
    if n == 0 {
        return Bitmap::default();
    }
    let bits = (usize::BITS - n.leading_zeros() + 4).clamp(10, 24);
    marked(bits, addresses, blocks)
}

/// Marks the /16 of every address and each /16 a block touches.
fn ipv4_coarse(addresses: &[u64], blocks: &[Block<u32>]) -> Bitmap {
    if addresses.is_empty() && blocks.is_empty() {
        return Bitmap::default();
    }
    marked(16, addresses, blocks)
}

/// A bitmap of `bits` address bits with every address and block marked.
fn marked(bits: u32, addresses: &[u64], blocks: &[Block<u32>]) -> Bitmap {
    let mut bitmap = Bitmap::new(bits);
    for &packed in addresses {
        let address = (packed >> 32) as u32;
        bitmap.mark(address, address);
    }
    for block in blocks {
        bitmap.mark(block.first, block.last);
    }
    bitmap
}

/// A domain as indexed: lowercase, without a final dot or a leading `*.`;
/// `None` if it is not a plausible DNS name.
pub fn normalize_domain(domain: &str) -> Option<String> {
    let trimmed = domain.trim();
    let trimmed = trimmed.strip_prefix("*.").unwrap_or(trimmed);
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let plausible = !trimmed.is_empty()
        && trimmed.len() <= 253
        && trimmed
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && !trimmed
            .bytes()
            .any(|it| it.is_ascii_control() || b" /\\:@?#*".contains(&it));
    plausible.then(|| trimmed.to_ascii_lowercase())
}

/// A URL as indexed: `host/path?query`, host lowercase, scheme, user
/// information, default ports (80, 443) and fragment removed, an empty path
/// written `/`. `None` without a host.
pub fn normalize_url(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.find("://") {
        Some(at)
            if url[..at]
                .bytes()
                .all(|it| it.is_ascii_alphanumeric() || b"+-.".contains(&it)) =>
        {
            &url[at + 3..]
        }
        _ => url,
    };
    let rest = &rest[..rest.find('#').unwrap_or(rest.len())];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = host
        .strip_suffix(":80")
        .or_else(|| host.strip_suffix(":443"))
        .unwrap_or(host);
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.bytes().any(|it| it.is_ascii_whitespace()) {
        return None;
    }
    let mut key = host.to_ascii_lowercase();
    if !path.starts_with('/') {
        key.push('/');
    }
    key.push_str(path);
    Some(key)
}

/// A hash as indexed: lowercase hexadecimal of 32 to 128 digits.
pub fn normalize_hash(hash: &str) -> Option<String> {
    let hash = hash.trim();
    let plausible =
        (32..=128).contains(&hash.len()) && hash.bytes().all(|it| it.is_ascii_hexdigit());
    plausible.then(|| hash.to_ascii_lowercase())
}
