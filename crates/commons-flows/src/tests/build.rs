//! Hand-built packets and capture files for the tests, byte by byte.

/// An IPv4 header (no options) followed by `payload`.
pub(crate) fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut packet = vec![0x45, 0x00];
    packet.extend_from_slice(&total.to_be_bytes());
    packet.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, proto, 0, 0]);
    packet.extend_from_slice(&src);
    packet.extend_from_slice(&dst);
    packet.extend_from_slice(payload);
    packet
}

/// An IPv6 header followed by `payload` (next header `next`).
pub(crate) fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x60, 0, 0, 0];
    packet.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    packet.extend_from_slice(&[next, 64]);
    packet.extend_from_slice(&src);
    packet.extend_from_slice(&dst);
    packet.extend_from_slice(payload);
    packet
}

/// A TCP header (no options) followed by `payload`.
pub(crate) fn tcp(src_port: u16, dst_port: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut segment = Vec::new();
    segment.extend_from_slice(&src_port.to_be_bytes());
    segment.extend_from_slice(&dst_port.to_be_bytes());
    segment.extend_from_slice(&seq.to_be_bytes());
    segment.extend_from_slice(&0u32.to_be_bytes());
    segment.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    segment.extend_from_slice(payload);
    segment
}

/// A UDP header followed by `payload`.
pub(crate) fn udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut datagram = Vec::new();
    datagram.extend_from_slice(&src_port.to_be_bytes());
    datagram.extend_from_slice(&dst_port.to_be_bytes());
    datagram.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    datagram
}

/// An Ethernet II frame.
pub(crate) fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// An Ethernet frame with one 802.1Q tag.
pub(crate) fn ethernet_vlan(vlan: u16, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut tagged = vlan.to_be_bytes().to_vec();
    tagged.extend_from_slice(&ethertype.to_be_bytes());
    tagged.extend_from_slice(payload);
    ethernet(0x8100, &tagged)
}

pub(crate) const CLIENT: [u8; 4] = [10, 0, 0, 1];
pub(crate) const SERVER: [u8; 4] = [192, 0, 2, 80];

/// An Ethernet/IPv4/TCP frame from CLIENT:40000 to SERVER:80.
pub(crate) fn tcp_frame(flags: u8, payload: &[u8]) -> Vec<u8> {
    ethernet(
        0x0800,
        &ipv4(CLIENT, SERVER, 6, &tcp(40000, 80, 1, flags, payload)),
    )
}

/// One pcap record: seconds, fraction, captured bytes, length on the wire.
pub(crate) struct PcapRecord<'a> {
    pub(crate) sec: u32,
    pub(crate) frac: u32,
    pub(crate) data: &'a [u8],
    pub(crate) orig_len: u32,
}

pub(crate) fn record(sec: u32, frac: u32, data: &[u8]) -> PcapRecord<'_> {
    PcapRecord {
        sec,
        frac,
        data,
        orig_len: data.len() as u32,
    }
}

/// A whole pcap file.
pub(crate) fn pcap(
    big_endian: bool,
    nanos: bool,
    link: u32,
    records: &[PcapRecord<'_>],
) -> Vec<u8> {
    let u32b = |value: u32| {
        if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    };
    let u16b = |value: u16| {
        if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    };
    let mut file = Vec::new();
    file.extend_from_slice(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    file.extend_from_slice(&u16b(2));
    file.extend_from_slice(&u16b(4));
    file.extend_from_slice(&u32b(0));
    file.extend_from_slice(&u32b(0));
    file.extend_from_slice(&u32b(65535));
    file.extend_from_slice(&u32b(link));
    for record in records {
        file.extend_from_slice(&u32b(record.sec));
        file.extend_from_slice(&u32b(record.frac));
        file.extend_from_slice(&u32b(record.data.len() as u32));
        file.extend_from_slice(&u32b(record.orig_len));
        file.extend_from_slice(record.data);
    }
    file
}

/// pcapng blocks in one byte order.
pub(crate) struct PcapNg {
    pub(crate) big_endian: bool,
    pub(crate) bytes: Vec<u8>,
}

impl PcapNg {
    pub(crate) fn new(big_endian: bool) -> PcapNg {
        let mut file = PcapNg {
            big_endian,
            bytes: Vec::new(),
        };
        let mut body = file.u32b(0x1a2b_3c4d).to_vec();
        body.extend_from_slice(&file.u16b(1));
        body.extend_from_slice(&file.u16b(0));
        body.extend_from_slice(&u64::MAX.to_le_bytes());
        file.block(0x0a0d_0d0a, &body);
        file
    }

    fn u32b(&self, value: u32) -> [u8; 4] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    fn u16b(&self, value: u16) -> [u8; 2] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    /// Appends a block: type, total length, body padded to 4, total length.
    pub(crate) fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let padded = body.len().next_multiple_of(4);
        let total = (12 + padded) as u32;
        let (t, l) = (self.u32b(block_type), self.u32b(total));
        self.bytes.extend_from_slice(&t);
        self.bytes.extend_from_slice(&l);
        self.bytes.extend_from_slice(body);
        self.bytes.resize(self.bytes.len() + padded - body.len(), 0);
        self.bytes.extend_from_slice(&l);
        self
    }

    /// An Interface Description Block, with an `if_tsresol` option if given.
    pub(crate) fn interface(&mut self, link: u16, snaplen: u32, tsresol: Option<u8>) -> &mut Self {
        let mut body = self.u16b(link).to_vec();
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(&self.u32b(snaplen));
        if let Some(resolution) = tsresol {
            body.extend_from_slice(&self.u16b(9));
            body.extend_from_slice(&self.u16b(1));
            body.extend_from_slice(&[resolution, 0, 0, 0]);
            body.extend_from_slice(&[0, 0, 0, 0]);
        }
        self.block(1, &body)
    }

    /// An Enhanced Packet Block.
    pub(crate) fn enhanced(
        &mut self,
        interface: u32,
        ts: u64,
        data: &[u8],
        orig_len: u32,
    ) -> &mut Self {
        let mut body = self.u32b(interface).to_vec();
        body.extend_from_slice(&self.u32b((ts >> 32) as u32));
        body.extend_from_slice(&self.u32b(ts as u32));
        body.extend_from_slice(&self.u32b(data.len() as u32));
        body.extend_from_slice(&self.u32b(orig_len));
        body.extend_from_slice(data);
        self.block(6, &body)
    }

    /// A Simple Packet Block.
    pub(crate) fn simple(&mut self, data: &[u8]) -> &mut Self {
        let mut body = self.u32b(data.len() as u32).to_vec();
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    pub(crate) fn finish(&self) -> Vec<u8> {
        self.bytes.clone()
    }
}

/// A TLS 1.3-style ClientHello record carrying `sni` (if any), padded with a
/// key share of `key_share_len` bytes placed before the server_name
/// extension, as browsers that shuffle extensions may do.
pub(crate) fn client_hello(sni: Option<&str>, key_share_len: usize) -> Vec<u8> {
    let mut extensions = Vec::new();
    // supported_groups: x25519.
    extensions.extend_from_slice(&[0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d]);
    if key_share_len > 0 {
        extensions.extend_from_slice(&[0x00, 0x33]);
        extensions.extend_from_slice(&((key_share_len + 2) as u16).to_be_bytes());
        extensions.extend_from_slice(&(key_share_len as u16).to_be_bytes());
        extensions.extend(std::iter::repeat_n(0x42, key_share_len));
    }
    if let Some(name) = sni {
        let name = name.as_bytes();
        extensions.extend_from_slice(&[0x00, 0x00]);
        extensions.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        extensions.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        extensions.push(0);
        extensions.extend_from_slice(&(name.len() as u16).to_be_bytes());
        extensions.extend_from_slice(name);
    }
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x11; 32]);
    body.push(32);
    body.extend_from_slice(&[0x22; 32]);
    body.extend_from_slice(&[0x00, 0x04, 0x13, 0x01, 0x13, 0x02]);
    body.extend_from_slice(&[0x01, 0x00]);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(&extensions);
    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}
