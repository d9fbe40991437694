//! Deterministic test data: a seeded model of a network (clients, servers
//! with names, resolvers), and from it a protocol-valid pcap, flow logs and
//! indicator sets that are guaranteed to match some of the traffic. The
//! same seed always gives the same bytes, on every platform: the random
//! generator is defined here (xoshiro256**), not borrowed from a crate
//! whose stream may change between versions.

mod flowlog;
mod frames;
mod indicators;
mod pcap;

use std::net::{Ipv4Addr, Ipv6Addr};

pub use flowlog::{FlowLogConfig, FlowLogFormat, write_flow_log};
pub use indicators::{IndicatorConfig, indicators};
pub use pcap::{PcapConfig, PcapStats, write_pcap};

/// xoshiro256** seeded through SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose stream depends only on `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut mix = seed;
        let mut next = || {
            mix = mix.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = mix;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            state: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// A number in `0..n` (`n` > 0), by multiply-shift (bias below 2^-32 for
    /// the ranges used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index into a popularity-skewed list: low indices are picked far
    /// more often (a cubic skew, a cheap stand-in for a Zipf law).
    pub fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * u) * n as f64) as usize
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// A server in the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Its IPv4 address (public space).
    pub ipv4: Ipv4Addr,
    /// Its IPv6 address, if it has one.
    pub ipv6: Option<Ipv6Addr>,
    /// Its registered domain; traffic uses it and names below it.
    pub domain: String,
}

/// The network the generators draw from.
#[derive(Debug, Clone)]
pub struct TrafficModel {
    /// Servers, most popular first.
    pub servers: Vec<Server>,
    /// Client addresses (in 10.0.0.0/8).
    pub clients: Vec<Ipv4Addr>,
    /// IPv6 client addresses (in fd00::/8).
    pub clients_v6: Vec<Ipv6Addr>,
    /// DNS resolvers the clients use.
    pub resolvers: Vec<Ipv4Addr>,
}

/// Servers in a model.
pub const SERVERS: usize = 20_000;
const CLIENTS: usize = 2_000;
const CLIENTS_V6: usize = 200;

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "po", "ra", "su", "te", "vi", "zo", "bel", "cor", "dan", "fen", "gal",
    "hol", "jur", "kin", "lum", "mar", "nor", "pex", "qua", "sol",
];
const TLDS: [&str; 10] = [
    "com", "net", "org", "io", "de", "se", "info", "co.uk", "app", "dev",
];

/// A pronounceable random word of two to four syllables.
pub(crate) fn word(rng: &mut Rng) -> String {
    let syllables = rng.between(2, 4);
    (0..syllables)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize])
        .collect()
}

/// A random top-level domain (some with two labels).
pub(crate) fn tld(rng: &mut Rng) -> &'static str {
    TLDS[rng.below(TLDS.len() as u64) as usize]
}

/// Whether an address is outside the public unicast space (private,
/// loopback, link-local, shared, documentation, multicast, reserved), so
/// random "internet" addresses and blocks avoid the clients' networks.
pub(crate) fn is_special(address: u32) -> bool {
    let octets = address.to_be_bytes();
    matches!(
        octets,
        [0 | 10 | 127, ..]
            | [100, 64..=127, ..]
            | [169, 254, ..]
            | [172, 16..=31, ..]
            | [192, 0, 0 | 2, _]
            | [192, 168, ..]
            | [198, 18..=19, ..]
            | [198, 51, 100, _]
            | [203, 0, 113, _]
            | [224..=255, ..]
    )
}

/// A random public unicast IPv4 address.
pub(crate) fn public_ipv4(rng: &mut Rng) -> u32 {
    loop {
        let address = rng.next_u64() as u32;
        if !is_special(address) {
            return address;
        }
    }
}

impl TrafficModel {
    /// The model for `seed`.
    pub fn new(seed: u64) -> TrafficModel {
        let mut rng = Rng::new(seed ^ 0x6d6f_6465_6c00);
        let servers = (0..SERVERS)
            .map(|n| {
                let ipv4 = Ipv4Addr::from(public_ipv4(&mut rng));
                let ipv6 = rng.percent(15).then(|| {
                    Ipv6Addr::from(
                        0x2a00_0000_0000_0000_0000_0000_0000_0000u128
                            | u128::from(rng.next_u64()) << 16
                            | n as u128,
                    )
                });
                let domain = format!("{}{n}.{}", word(&mut rng), tld(&mut rng));
                Server { ipv4, ipv6, domain }
            })
            .collect();
        let clients = (0..CLIENTS)
            .map(|n| Ipv4Addr::from(0x0a00_0000 | (n as u32 / 250) << 8 | (n as u32 % 250 + 2)))
            .collect();
        let clients_v6 = (0..CLIENTS_V6)
            .map(|n| {
                Ipv6Addr::from(
                    0xfd00_0000_0000_0000_0000_0000_0000_0000u128
                        | u128::from(rng.next_u64()) << 16
                        | n as u128,
                )
            })
            .collect();
        TrafficModel {
            servers,
            clients,
            clients_v6,
            resolvers: vec![Ipv4Addr::new(10, 0, 0, 53), Ipv4Addr::new(10, 0, 1, 53)],
        }
    }
}
