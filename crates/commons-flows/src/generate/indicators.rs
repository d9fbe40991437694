//! Indicator sets at benchmark scale: random public addresses, blocks and
//! domains, plus a slice drawn from the traffic model's servers so that a
//! scan of the generated traffic is guaranteed to match some of them.

use std::net::Ipv4Addr;

use super::{Rng, TrafficModel, is_special, public_ipv4, tld, word};
use crate::indicators::{Indicator, IndicatorKind};

/// How many indicators of each kind, and how many of them match traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorConfig {
    /// The traffic model's seed.
    pub seed: u64,
    /// IPv4 addresses in total.
    pub ipv4: usize,
    /// IPv4 blocks in total.
    pub cidr4: usize,
    /// Domains in total.
    pub domains: usize,
    /// Of each kind, how many are taken from the model's servers (the rest
    /// are random and match only by chance).
    pub matching: usize,
}

impl Default for IndicatorConfig {
    fn default() -> Self {
        IndicatorConfig {
            seed: 1,
            ipv4: 1_000_000,
            cidr4: 100_000,
            domains: 1_000_000,
            matching: 200,
        }
    }
}

/// The indicators, ids numbered from 1 in order: IPv4, then blocks, then domains.
pub fn indicators(config: &IndicatorConfig) -> Vec<Indicator> {
    let model = TrafficModel::new(config.seed);
    let mut rng = Rng::new(config.seed ^ 0x696f_6373);
    let mut kinds = Vec::with_capacity(config.ipv4 + config.cidr4 + config.domains);
    // Every 97th server is picked, spreading matches over popular and rare ones.
    let matching = |n: usize| &model.servers[(n * 97 + 13) % model.servers.len()];
    for n in 0..config.ipv4 {
        let address = if n < config.matching {
            matching(n).ipv4
        } else {
            Ipv4Addr::from(public_ipv4(&mut rng))
        };
        kinds.push(IndicatorKind::Ipv4(address));
    }
    for n in 0..config.cidr4 {
        let (network, prefix) = if n < config.matching {
            (matching(n + config.matching).ipv4.to_bits(), 24)
        } else {
            random_block(&mut rng)
        };
        kinds.push(IndicatorKind::Cidr4(Ipv4Addr::from(network), prefix));
    }
    for n in 0..config.domains {
        let domain = if n < config.matching {
            // The registered domain: traffic to www., api. and deeper names matches too.
            matching(n + 2 * config.matching).domain.clone()
        } else {
            format!(
                "{}-{}.{}",
                word(&mut rng),
                rng.below(1_000_000),
                tld(&mut rng)
            )
        };
        kinds.push(IndicatorKind::Domain(domain));
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(n, kind)| Indicator {
            id: n as u32 + 1,
            kind,
        })
        .collect()
}

/// A random public block, mostly small: /16 1 %, /20 9 %, /24 60 %, /28 30 %.
fn random_block(rng: &mut Rng) -> (u32, u8) {
    let prefix = match rng.below(100) {
        0 => 16,
        1..10 => 20,
        10..70 => 24,
        _ => 28,
    };
    loop {
        let network = public_ipv4(rng) & (u32::MAX << (32 - prefix));
        let last = network | !(u32::MAX << (32 - prefix));
        if !is_special(network) && !is_special(last) {
            return (network, prefix);
        }
    }
}
