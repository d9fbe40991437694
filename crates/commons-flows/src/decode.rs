//! Link, network and transport headers: from a captured frame to the
//! addresses, ports, TCP flags and payload a flow needs, without copying.
//!
//! Link types: Ethernet (802.1Q/802.1ad VLAN tags, MPLS, PPPoE), Linux SLL
//! and SLL2, raw IP, BSD null and OpenBSD loop. IPv6 extension headers are
//! walked to the transport header. Fragments after the first are skipped
//! (they carry no ports and this crate does not reassemble).

use crate::capture::LinkType;
use crate::event::{TCP, UDP};
use crate::summary::SkipReason;

/// A decoded packet. Addresses are held as `u128` (IPv4 in the low 32 bits,
/// with `v6` telling the families apart) so flow keys hash fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decoded<'a> {
    pub(crate) v6: bool,
    pub(crate) src: u128,
    pub(crate) dst: u128,
    pub(crate) proto: u8,
    pub(crate) src_port: u16,
    pub(crate) dst_port: u16,
    /// IP total length as on the wire (header and payload), whatever was captured.
    pub(crate) ip_len: u32,
    pub(crate) tcp_flags: u8,
    pub(crate) tcp_seq: u32,
    /// Transport payload, as far as it was captured.
    pub(crate) payload: &'a [u8],
}

pub(crate) const TCP_FIN: u8 = 0x01;
pub(crate) const TCP_SYN: u8 = 0x02;
pub(crate) const TCP_RST: u8 = 0x04;
pub(crate) const TCP_ACK: u8 = 0x10;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;
/// Tags, labels or extension headers walked before giving up.
const MAX_LAYERS: usize = 8;

/// Which network layer a link header announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Network {
    V4,
    V6,
    /// Either: the version nibble decides.
    Ip,
}

/// Decodes a frame of the given link type.
pub(crate) fn decode(link: LinkType, frame: &[u8]) -> Result<Decoded<'_>, SkipReason> {
    let (network, packet) = link_payload(link, frame)?;
    let version = packet.first().ok_or(SkipReason::TruncatedHeader)? >> 4;
    match (network, version) {
        (Network::V4 | Network::Ip, 4) => ipv4(packet),
        (Network::V6 | Network::Ip, 6) => ipv6(packet),
        _ => Err(SkipReason::MalformedHeader),
    }
}

fn be16(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

fn be32(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

fn link_payload(link: LinkType, frame: &[u8]) -> Result<(Network, &[u8]), SkipReason> {
    let truncated = SkipReason::TruncatedHeader;
    match link {
        LinkType::ETHERNET => {
            let ethertype = be16(frame, 12).ok_or(truncated)?;
            ethertype_payload(ethertype, frame.get(14..).ok_or(truncated)?)
        }
        LinkType::LINUX_SLL => {
            let protocol = be16(frame, 14).ok_or(truncated)?;
            ethertype_payload(protocol, frame.get(16..).ok_or(truncated)?)
        }
        LinkType::LINUX_SLL2 => {
            let protocol = be16(frame, 0).ok_or(truncated)?;
            ethertype_payload(protocol, frame.get(20..).ok_or(truncated)?)
        }
        LinkType::NULL | LinkType::LOOP => {
            let bytes: [u8; 4] = frame
                .get(..4)
                .ok_or(truncated)?
                .try_into()
                .ok()
                .ok_or(truncated)?;
            let family = if link == LinkType::LOOP {
                u32::from_be_bytes(bytes)
            } else {
                // Written in the capturing host's byte order, which the file
                // does not record; families are small numbers either way.
                let little = u32::from_le_bytes(bytes);
                if little < 0x100 {
                    little
                } else {
                    u32::from_be_bytes(bytes)
                }
            };
            let network = match family {
                2 => Network::V4,
                // AF_INET6 on BSD/Linux-ish systems, FreeBSD, and Darwin.
                10 | 24 | 28 | 30 => Network::V6,
                _ => return Err(SkipReason::NotIp),
            };
            Ok((network, &frame[4..]))
        }
        // LINKTYPE_RAW, and the DLT_RAW values some platforms wrote into files.
        LinkType::RAW | LinkType(12) | LinkType(14) => Ok((Network::Ip, frame)),
        LinkType::IPV4 => Ok((Network::V4, frame)),
        LinkType::IPV6 => Ok((Network::V6, frame)),
        _ => Err(SkipReason::UnknownLinkType),
    }
}

/// Follows VLAN tags, MPLS labels and PPPoE to the IP packet.
fn ethertype_payload(mut ethertype: u16, mut rest: &[u8]) -> Result<(Network, &[u8]), SkipReason> {
    let truncated = SkipReason::TruncatedHeader;
    for _ in 0..MAX_LAYERS {
        match ethertype {
            ETHERTYPE_IPV4 => return Ok((Network::V4, rest)),
            ETHERTYPE_IPV6 => return Ok((Network::V6, rest)),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                ethertype = be16(rest, 2).ok_or(truncated)?;
                rest = rest.get(4..).ok_or(truncated)?;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MULTICAST => {
                for _ in 0..MAX_LAYERS {
                    let label = be32(rest, 0).ok_or(truncated)?;
                    rest = &rest[4..];
                    if label & 0x100 != 0 {
                        return Ok((Network::Ip, rest));
                    }
                }
                return Err(SkipReason::MalformedHeader);
            }
            ETHERTYPE_PPPOE_SESSION => {
                let protocol = be16(rest, 6).ok_or(truncated)?;
                let payload = rest.get(8..).ok_or(truncated)?;
                return match protocol {
                    PPP_IPV4 => Ok((Network::V4, payload)),
                    PPP_IPV6 => Ok((Network::V6, payload)),
                    _ => Err(SkipReason::NotIp),
                };
            }
            _ => return Err(SkipReason::NotIp),
        }
    }
    Err(SkipReason::MalformedHeader)
}

fn ipv4(packet: &[u8]) -> Result<Decoded<'_>, SkipReason> {
    let header: &[u8; 20] = packet
        .get(..20)
        .and_then(|it| it.try_into().ok())
        .ok_or(SkipReason::TruncatedHeader)?;
    let header_len = usize::from(header[0] & 0x0f) * 4;
    if header_len < 20 {
        return Err(SkipReason::MalformedHeader);
    }
    let total_len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    // A zero total length comes from captures of TCP segmentation offload.
    let total_len = if total_len == 0 {
        packet.len()
    } else {
        total_len
    };
    if total_len < header_len {
        return Err(SkipReason::MalformedHeader);
    }
    if packet.len() < header_len {
        return Err(SkipReason::TruncatedHeader);
    }
    if u16::from_be_bytes([header[6], header[7]]) & 0x1fff != 0 {
        return Err(SkipReason::IpFragment);
    }
    let src = u32::from_be_bytes([header[12], header[13], header[14], header[15]]);
    let dst = u32::from_be_bytes([header[16], header[17], header[18], header[19]]);
    let captured = &packet[header_len..total_len.min(packet.len())];
    let declared = total_len - header_len;
    let mut decoded = Decoded {
        v6: false,
        src: u128::from(src),
        dst: u128::from(dst),
        proto: header[9],
        src_port: 0,
        dst_port: 0,
        ip_len: total_len as u32,
        tcp_flags: 0,
        tcp_seq: 0,
        payload: &[],
    };
    transport(&mut decoded, captured, declared)?;
    Ok(decoded)
}

fn ipv6(packet: &[u8]) -> Result<Decoded<'_>, SkipReason> {
    let header: &[u8; 40] = packet
        .get(..40)
        .and_then(|it| it.try_into().ok())
        .ok_or(SkipReason::TruncatedHeader)?;
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    // A zero payload length is a jumbogram (or offload); trust the capture.
    let payload_len = if payload_len == 0 {
        packet.len() - 40
    } else {
        payload_len
    };
    let src = u128::from_be_bytes(header[8..24].try_into().expect("16 bytes"));
    let dst = u128::from_be_bytes(header[24..40].try_into().expect("16 bytes"));
    let mut next = header[6];
    let mut captured = &packet[40..(40 + payload_len).min(packet.len())];
    let mut declared = payload_len;
    for _ in 0..MAX_LAYERS {
        let ext_len = match next {
            // Hop-by-hop, routing, destination options, mobility.
            0 | 43 | 60 | 135 => {
                let len_byte = *captured.get(1).ok_or(SkipReason::TruncatedHeader)?;
                (usize::from(len_byte) + 1) * 8
            }
            44 => {
                let offset = be16(captured, 2).ok_or(SkipReason::TruncatedHeader)? >> 3;
                if offset != 0 {
                    return Err(SkipReason::IpFragment);
                }
                8
            }
            // Authentication header.
            51 => {
                let len_byte = *captured.get(1).ok_or(SkipReason::TruncatedHeader)?;
                (usize::from(len_byte) + 2) * 4
            }
            _ => break,
        };
        if ext_len > declared {
            return Err(SkipReason::MalformedHeader);
        }
        next = captured[0];
        captured = captured.get(ext_len..).ok_or(SkipReason::TruncatedHeader)?;
        declared -= ext_len;
    }
    let mut decoded = Decoded {
        v6: true,
        src,
        dst,
        proto: next,
        src_port: 0,
        dst_port: 0,
        ip_len: (40 + payload_len) as u32,
        tcp_flags: 0,
        tcp_seq: 0,
        payload: &[],
    };
    transport(&mut decoded, captured, declared)?;
    Ok(decoded)
}

/// Fills ports, flags and payload from the IP payload: `captured` is what
/// the capture holds, `declared` what the IP header says it is.
fn transport<'a>(
    decoded: &mut Decoded<'a>,
    captured: &'a [u8],
    declared: usize,
) -> Result<(), SkipReason> {
    let short = |needed: usize| {
        if declared < needed {
            SkipReason::MalformedHeader
        } else {
            SkipReason::TruncatedHeader
        }
    };
    match decoded.proto {
        TCP => {
            let header: &[u8; 20] = captured
                .get(..20)
                .and_then(|it| it.try_into().ok())
                .ok_or_else(|| short(20))?;
            let header_len = usize::from(header[12] >> 4) * 4;
            if header_len < 20 {
                return Err(SkipReason::MalformedHeader);
            }
            decoded.src_port = u16::from_be_bytes([header[0], header[1]]);
            decoded.dst_port = u16::from_be_bytes([header[2], header[3]]);
            decoded.tcp_seq = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
            decoded.tcp_flags = header[13];
            decoded.payload = captured
                .get(header_len..)
                .ok_or_else(|| short(header_len))?;
        }
        UDP => {
            let header: &[u8; 8] = captured
                .get(..8)
                .and_then(|it| it.try_into().ok())
                .ok_or_else(|| short(8))?;
            decoded.src_port = u16::from_be_bytes([header[0], header[1]]);
            decoded.dst_port = u16::from_be_bytes([header[2], header[3]]);
            let udp_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
            let end = if udp_len >= 8 {
                udp_len
            } else {
                captured.len()
            };
            decoded.payload = &captured[8..end.min(captured.len())];
        }
        _ => {}
    }
    Ok(())
}
