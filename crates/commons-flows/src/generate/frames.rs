//! Ethernet frames for the generator: optional VLAN tag, IPv4 or IPv6, TCP,
//! UDP or ICMP, with correct lengths and checksums, written into a reused
//! buffer.

/// The two ends of a conversation, as the frames need them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoints {
    pub(crate) v6: bool,
    /// IPv4 addresses live in the low 32 bits.
    pub(crate) client: u128,
    pub(crate) server: u128,
    pub(crate) client_port: u16,
    pub(crate) server_port: u16,
    pub(crate) vlan: Option<u16>,
}

pub(crate) const TCP: u8 = 6;
pub(crate) const UDP: u8 = 17;
pub(crate) const ICMP: u8 = 1;
pub(crate) const ICMPV6: u8 = 58;

impl Endpoints {
    fn addresses(&self, from_client: bool) -> (u128, u128) {
        if from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        }
    }

    fn ports(&self, from_client: bool) -> (u16, u16) {
        if from_client {
            (self.client_port, self.server_port)
        } else {
            (self.server_port, self.client_port)
        }
    }

    /// MAC addresses derived from the IP addresses, so each host keeps one.
    fn mac(address: u128) -> [u8; 6] {
        let bytes = (address as u64).to_be_bytes();
        [0x02, bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]
    }
}

/// Writes the Ethernet and IP headers; returns the offset of the transport
/// header. `transport_len` is the transport header and payload length.
fn ip_headers(
    out: &mut Vec<u8>,
    ends: &Endpoints,
    from_client: bool,
    proto: u8,
    transport_len: usize,
    ip_id: u16,
) -> usize {
    let (src, dst) = ends.addresses(from_client);
    out.extend_from_slice(&Endpoints::mac(dst));
    out.extend_from_slice(&Endpoints::mac(src));
    if let Some(vlan) = ends.vlan {
        out.extend_from_slice(&[0x81, 0x00]);
        out.extend_from_slice(&vlan.to_be_bytes());
    }
    if ends.v6 {
        out.extend_from_slice(&[0x86, 0xdd, 0x60, 0x00, 0x00, 0x00]);
        out.extend_from_slice(&(transport_len as u16).to_be_bytes());
        out.extend_from_slice(&[proto, 64]);
        out.extend_from_slice(&src.to_be_bytes());
        out.extend_from_slice(&dst.to_be_bytes());
    } else {
        out.extend_from_slice(&[0x08, 0x00]);
        let start = out.len();
        out.extend_from_slice(&[0x45, 0x00]);
        out.extend_from_slice(&((20 + transport_len) as u16).to_be_bytes());
        out.extend_from_slice(&ip_id.to_be_bytes());
        out.extend_from_slice(&[0x40, 0x00, 64, proto, 0, 0]);
        out.extend_from_slice(&(src as u32).to_be_bytes());
        out.extend_from_slice(&(dst as u32).to_be_bytes());
        let checksum = finish(sum(0, &out[start..start + 20]));
        out[start + 10..start + 12].copy_from_slice(&checksum.to_be_bytes());
    }
    out.len()
}

/// Adds a transport checksum (with the pseudo-header) at `at` within the
/// transport bytes starting at `start`.
fn transport_checksum(
    out: &mut [u8],
    ends: &Endpoints,
    from_client: bool,
    proto: u8,
    start: usize,
    at: usize,
) {
    let (src, dst) = ends.addresses(from_client);
    let len = out.len() - start;
    let mut total = if ends.v6 {
        let mut pseudo = [0u8; 40];
        pseudo[..16].copy_from_slice(&src.to_be_bytes());
        pseudo[16..32].copy_from_slice(&dst.to_be_bytes());
        pseudo[32..36].copy_from_slice(&(len as u32).to_be_bytes());
        pseudo[39] = proto;
        sum(0, &pseudo)
    } else {
        let mut pseudo = [0u8; 12];
        pseudo[..4].copy_from_slice(&(src as u32).to_be_bytes());
        pseudo[4..8].copy_from_slice(&(dst as u32).to_be_bytes());
        pseudo[9] = proto;
        pseudo[10..12].copy_from_slice(&(len as u16).to_be_bytes());
        sum(0, &pseudo)
    };
    total = sum(total, &out[start..]);
    let mut checksum = finish(total);
    if proto == UDP && checksum == 0 {
        checksum = 0xffff;
    }
    out[start + at..start + at + 2].copy_from_slice(&checksum.to_be_bytes());
}

/// A TCP segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    pub(crate) from_client: bool,
    pub(crate) seq: u32,
    pub(crate) ack: u32,
    pub(crate) flags: u8,
    /// TCP options, a multiple of four bytes.
    pub(crate) options: &'a [u8],
    pub(crate) payload: &'a [u8],
}

pub(crate) fn tcp(out: &mut Vec<u8>, ends: &Endpoints, segment: &Segment<'_>, ip_id: u16) {
    let header_len = 20 + segment.options.len();
    let start = ip_headers(
        out,
        ends,
        segment.from_client,
        TCP,
        header_len + segment.payload.len(),
        ip_id,
    );
    let (src_port, dst_port) = ends.ports(segment.from_client);
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    out.extend_from_slice(&segment.seq.to_be_bytes());
    out.extend_from_slice(&segment.ack.to_be_bytes());
    out.push(((header_len / 4) as u8) << 4);
    out.push(segment.flags);
    out.extend_from_slice(&[0xfa, 0xf0, 0, 0, 0, 0]);
    out.extend_from_slice(segment.options);
    out.extend_from_slice(segment.payload);
    transport_checksum(out, ends, segment.from_client, TCP, start, 16);
}

pub(crate) fn udp(
    out: &mut Vec<u8>,
    ends: &Endpoints,
    from_client: bool,
    payload: &[u8],
    ip_id: u16,
) {
    let start = ip_headers(out, ends, from_client, UDP, 8 + payload.len(), ip_id);
    let (src_port, dst_port) = ends.ports(from_client);
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    out.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    transport_checksum(out, ends, from_client, UDP, start, 6);
}

/// An ICMP (or ICMPv6) echo request or reply.
pub(crate) fn echo(
    out: &mut Vec<u8>,
    ends: &Endpoints,
    from_client: bool,
    ident: u16,
    seq: u16,
    payload: &[u8],
    ip_id: u16,
) {
    let proto = if ends.v6 { ICMPV6 } else { ICMP };
    let start = ip_headers(out, ends, from_client, proto, 8 + payload.len(), ip_id);
    let kind = match (ends.v6, from_client) {
        (false, true) => 8,
        (false, false) => 0,
        (true, true) => 128,
        (true, false) => 129,
    };
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&ident.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(payload);
    if ends.v6 {
        transport_checksum(out, ends, from_client, proto, start, 2);
    } else {
        let checksum = finish(sum(0, &out[start..]));
        out[start + 2..start + 4].copy_from_slice(&checksum.to_be_bytes());
    }
}

/// An ARP request from the client for the server (IPv4 only).
pub(crate) fn arp(out: &mut Vec<u8>, ends: &Endpoints) {
    out.extend_from_slice(&[0xff; 6]);
    out.extend_from_slice(&Endpoints::mac(ends.client));
    out.extend_from_slice(&[0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
    out.extend_from_slice(&Endpoints::mac(ends.client));
    out.extend_from_slice(&(ends.client as u32).to_be_bytes());
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&(ends.server as u32).to_be_bytes());
}

/// Ones'-complement sum of 16-bit words (RFC 1071), continuing from `total`.
fn sum(mut total: u64, bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(2);
    for word in &mut words {
        total += u64::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        total += u64::from(*last) << 8;
    }
    total
}

fn finish(mut total: u64) -> u16 {
    while total > 0xffff {
        total = (total & 0xffff) + (total >> 16);
    }
    !(total as u16)
}
