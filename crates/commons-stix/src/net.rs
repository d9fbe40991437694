//! IP addresses and CIDR blocks as integers, for `ISSUBSET`/`ISSUPERSET`,
//! address validation and the compiled matcher's range index.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 network: an address and a prefix length. A bare address
/// is a network of one (`/32` or `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpNet {
    /// IPv4; `addr` has the host bits cleared.
    V4 {
        /// The network address, big-endian as an integer.
        addr: u32,
        /// Prefix length, 0–32.
        prefix: u8,
    },
    /// IPv6; `addr` has the host bits cleared.
    V6 {
        /// The network address, big-endian as an integer.
        addr: u128,
        /// Prefix length, 0–128.
        prefix: u8,
    },
}

impl IpNet {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `ipv6/n`. Host
    /// bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => {
                if prefix.is_empty()
                    || prefix.len() > 3
                    || !prefix.bytes().all(|it| it.is_ascii_digit())
                {
                    return None;
                }
                (addr, Some(prefix.parse::<u8>().ok()?))
            }
            None => (text, None),
        };
        if let Ok(v4) = addr.parse::<Ipv4Addr>() {
            let prefix = prefix.unwrap_or(32);
            (prefix <= 32).then(|| IpNet::V4 {
                addr: u32::from(v4) & mask_v4(prefix),
                prefix,
            })
        } else if let Ok(v6) = addr.parse::<Ipv6Addr>() {
            let prefix = prefix.unwrap_or(128);
            (prefix <= 128).then(|| IpNet::V6 {
                addr: u128::from(v6) & mask_v6(prefix),
                prefix,
            })
        } else {
            None
        }
    }

    /// Whether every address of `inner` is in `self` (same family only).
    pub fn contains(&self, inner: &IpNet) -> bool {
        match (*self, *inner) {
            (
                IpNet::V4 { addr, prefix },
                IpNet::V4 {
                    addr: inner_addr,
                    prefix: inner_prefix,
                },
            ) => prefix <= inner_prefix && inner_addr & mask_v4(prefix) == addr,
            (
                IpNet::V6 { addr, prefix },
                IpNet::V6 {
                    addr: inner_addr,
                    prefix: inner_prefix,
                },
            ) => prefix <= inner_prefix && inner_addr & mask_v6(prefix) == addr,
            _ => false,
        }
    }
}

/// The netmask of an IPv4 prefix length (0–32).
pub fn mask_v4(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        _ => u32::MAX << (32 - u32::from(prefix.min(32))),
    }
}

/// The netmask of an IPv6 prefix length (0–128).
pub fn mask_v6(prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        _ => u128::MAX << (128 - u32::from(prefix.min(128))),
    }
}
