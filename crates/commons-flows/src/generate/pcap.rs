//! A realistic capture: many interleaved sessions of HTTPS (handshake,
//! ClientHello with SNI, certificate, application data, teardown), plain
//! HTTP with keep-alive, DNS over UDP and TCP with CNAME and A/AAAA answers,
//! media and NTP over UDP, syslog, ICMP echo and the odd ARP frame; some over
//! IPv6, some VLAN-tagged. Every checksum and length is right, so Wireshark
//! sees no malformed packet.

use std::io::{self, Write};
use std::net::Ipv4Addr;

use super::frames::{self, Endpoints, Segment};
use super::{Rng, Server, TrafficModel, word};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapConfig {
    /// Same seed, same file.
    pub seed: u64,
    /// Stop starting sessions once this many bytes are written (sessions
    /// under way are finished, so the file ends a little past it).
    pub target_bytes: u64,
    /// Sessions interleaved at any time.
    pub concurrency: usize,
    /// Time of the first packet, seconds since the epoch.
    pub start_s: u32,
}

impl Default for PcapConfig {
    fn default() -> Self {
        PcapConfig {
            seed: 1,
            target_bytes: 100 << 20,
            concurrency: 64,
            // 2024-01-01T00:00:00Z.
            start_s: 1_704_067_200,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcapStats {
    /// Packets written.
    pub packets: u64,
    /// Bytes written, file header included.
    pub bytes: u64,
    /// Sessions (connections, exchanges) generated.
    pub sessions: u64,
    /// TLS sessions (each with a ClientHello carrying SNI).
    pub tls: u64,
    /// HTTP requests.
    pub http: u64,
    /// DNS exchanges (query and response).
    pub dns: u64,
}

/// Writes a pcap (microsecond timestamps, Ethernet) to `out`.
pub fn write_pcap(config: &PcapConfig, out: &mut impl Write) -> io::Result<PcapStats> {
    let model = TrafficModel::new(config.seed);
    let mut rng = Rng::new(config.seed);
    let mut noise = vec![0u8; 1 << 16];
    rng.fill(&mut noise);
    let mut stats = PcapStats::default();
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65_535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header)?;
    stats.bytes = header.len() as u64;

    let mut clock_us = u64::from(config.start_s) * 1_000_000;
    let mut active: Vec<Session> = (0..config.concurrency.max(1))
        .map(|_| Session::new(&model, &mut rng, &mut stats))
        .collect();
    let mut frame = Vec::with_capacity(2048);
    let mut ip_id: u16 = 1;
    while !active.is_empty() {
        let index = rng.below(active.len() as u64) as usize;
        let session = &mut active[index];
        let step = &session.steps[session.next];
        frame.clear();
        ip_id = ip_id.wrapping_add(1);
        emit(&mut frame, &session.ends, step, &noise, &mut rng, ip_id);
        session.next += 1;
        clock_us += rng.between(1, 12);
        let mut record = [0u8; 16];
        record[..4].copy_from_slice(&((clock_us / 1_000_000) as u32).to_le_bytes());
        record[4..8].copy_from_slice(&((clock_us % 1_000_000) as u32).to_le_bytes());
        record[8..12].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        record[12..16].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        out.write_all(&record)?;
        out.write_all(&frame)?;
        stats.packets += 1;
        stats.bytes += (record.len() + frame.len()) as u64;
        if session.next == session.steps.len() {
            if stats.bytes < config.target_bytes {
                active[index] = Session::new(&model, &mut rng, &mut stats);
            } else {
                active.swap_remove(index);
            }
        }
    }
    Ok(stats)
}

/// A packet to send, its bytes described rather than held when they are noise.
#[derive(Debug, Clone)]
enum Step {
    Tcp {
        from_client: bool,
        seq: u32,
        ack: u32,
        flags: u8,
        syn_options: bool,
        payload: Payload,
    },
    Udp {
        from_client: bool,
        payload: Payload,
    },
    Echo {
        from_client: bool,
        seq: u16,
    },
    Arp,
}

/// Bytes spelled out, or random-looking bytes (encrypted data) of a length.
#[derive(Debug, Clone)]
enum Part {
    Bytes(Vec<u8>),
    Noise(usize),
}

impl Part {
    fn len(&self) -> usize {
        match self {
            Part::Bytes(bytes) => bytes.len(),
            Part::Noise(len) => *len,
        }
    }
}

/// A packet payload: parts laid end to end.
#[derive(Debug, Clone, Default)]
struct Payload(Vec<Part>);

impl Payload {
    fn bytes(bytes: Vec<u8>) -> Payload {
        Payload(vec![Part::Bytes(bytes)])
    }

    fn noise(prefix: Vec<u8>, len: usize) -> Payload {
        Payload(vec![Part::Bytes(prefix), Part::Noise(len)])
    }

    fn len(&self) -> usize {
        self.0.iter().map(Part::len).sum()
    }
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const SYN_ACK: u8 = 0x12;
const FIN_ACK: u8 = 0x11;
const MSS: usize = 1448;
/// MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const SYN_OPTIONS: [u8; 20] = [
    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
];

fn emit(
    frame: &mut Vec<u8>,
    ends: &Endpoints,
    step: &Step,
    noise: &[u8],
    rng: &mut Rng,
    ip_id: u16,
) {
    let bytes = |payload: &Payload, rng: &mut Rng| -> Vec<u8> {
        let mut bytes = Vec::with_capacity(payload.len());
        for part in &payload.0 {
            match part {
                Part::Bytes(it) => bytes.extend_from_slice(it),
                Part::Noise(len) => {
                    let start = rng.below((noise.len() - len) as u64) as usize;
                    bytes.extend_from_slice(&noise[start..start + len]);
                }
            }
        }
        bytes
    };
    match step {
        Step::Tcp {
            from_client,
            seq,
            ack,
            flags,
            syn_options,
            payload,
        } => {
            let payload = bytes(payload, rng);
            let options: &[u8] = if *syn_options { &SYN_OPTIONS } else { &[] };
            let segment = Segment {
                from_client: *from_client,
                seq: *seq,
                ack: *ack,
                flags: *flags,
                options,
                payload: &payload,
            };
            frames::tcp(frame, ends, &segment, ip_id);
        }
        Step::Udp {
            from_client,
            payload,
        } => {
            let payload = bytes(payload, rng);
            frames::udp(frame, ends, *from_client, &payload, ip_id);
        }
        Step::Echo { from_client, seq } => {
            frames::echo(
                frame,
                ends,
                *from_client,
                ends.client_port,
                *seq,
                &noise[..56],
                ip_id,
            );
        }
        Step::Arp => frames::arp(frame, ends),
    }
}

/// One conversation, its packets decided up front.
#[derive(Debug)]
struct Session {
    ends: Endpoints,
    steps: Vec<Step>,
    next: usize,
}

/// Builds the packets of a TCP connection, keeping sequence numbers.
struct Tcp<'r> {
    rng: &'r mut Rng,
    client_seq: u32,
    server_seq: u32,
    /// Data segments per acknowledgement (1 without delayed ACKs, else 2).
    ack_every: usize,
    steps: Vec<Step>,
}

impl<'r> Tcp<'r> {
    fn new(rng: &'r mut Rng) -> Tcp<'r> {
        let client_seq = rng.next_u64() as u32;
        let server_seq = rng.next_u64() as u32;
        let ack_every = if rng.percent(50) { 1 } else { 2 };
        Tcp {
            rng,
            client_seq,
            server_seq,
            ack_every,
            steps: Vec::new(),
        }
    }

    fn push(&mut self, from_client: bool, flags: u8, payload: Payload) {
        let (seq, ack) = if from_client {
            (self.client_seq, self.server_seq)
        } else {
            (self.server_seq, self.client_seq)
        };
        let advance = payload.len() as u32 + u32::from(flags & (SYN | 0x01) != 0);
        if from_client {
            self.client_seq = self.client_seq.wrapping_add(advance);
        } else {
            self.server_seq = self.server_seq.wrapping_add(advance);
        }
        self.steps.push(Step::Tcp {
            from_client,
            seq,
            ack: if flags == SYN { 0 } else { ack },
            flags,
            syn_options: flags & SYN != 0,
            payload,
        });
    }

    fn handshake(&mut self) {
        self.push(true, SYN, Payload::default());
        self.push(false, SYN_ACK, Payload::default());
        self.push(true, ACK, Payload::default());
    }

    /// Sends bytes cut into full-sized segments.
    fn send(&mut self, from_client: bool, bytes: Vec<u8>) {
        self.send_parts(from_client, vec![Part::Bytes(bytes)]);
    }

    /// Sends a stream of parts cut into full-sized segments (a segment may
    /// end inside a part and the next one carry on), the peer acknowledging
    /// every segment or every second one.
    fn send_parts(&mut self, from_client: bool, parts: Vec<Part>) {
        let mut segment = Payload::default();
        let mut room = MSS;
        let mut sent = 0;
        let ack_every = self.ack_every;
        let mut flush = |tcp: &mut Tcp<'_>, segment: &mut Payload| {
            tcp.push(from_client, PSH_ACK, std::mem::take(segment));
            sent += 1;
            if sent % ack_every == 0 {
                tcp.push(!from_client, ACK, Payload::default());
            }
        };
        for part in parts {
            let mut part = Some(part);
            while let Some(current) = part.take() {
                if room == 0 {
                    flush(self, &mut segment);
                    room = MSS;
                }
                let len = current.len();
                if len <= room {
                    room -= len;
                    segment.0.push(current);
                } else {
                    let (head, tail) = match current {
                        Part::Bytes(mut bytes) => {
                            let tail = bytes.split_off(room);
                            (Part::Bytes(bytes), Part::Bytes(tail))
                        }
                        Part::Noise(len) => (Part::Noise(room), Part::Noise(len - room)),
                    };
                    segment.0.push(head);
                    room = 0;
                    part = Some(tail);
                }
            }
        }
        if segment.len() > 0 {
            flush(self, &mut segment);
        }
        if sent % ack_every != 0 {
            self.push(!from_client, ACK, Payload::default());
        }
    }

    /// Sends `len` bytes of TLS records of the given content type (at most
    /// 16 KiB of noise each, behind a correct record header).
    fn send_records(&mut self, from_client: bool, content_type: u8, len: usize) {
        let mut parts = Vec::new();
        let mut left = len.max(1);
        while left > 0 {
            let record = left.min(0x4000);
            parts.push(Part::Bytes(record_header(content_type, record)));
            parts.push(Part::Noise(record));
            left -= record;
        }
        self.send_parts(from_client, parts);
    }

    fn teardown(mut self) -> Vec<Step> {
        let client_first = self.rng.percent(70);
        self.push(client_first, FIN_ACK, Payload::default());
        self.push(!client_first, FIN_ACK, Payload::default());
        self.push(client_first, ACK, Payload::default());
        self.steps
    }
}

/// A response body size: mostly small objects, a few large downloads.
fn response_size(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..70 => rng.between(300, 4_000),
        70..96 => rng.between(4_000, 30_000),
        _ => rng.between(30_000, 200_000),
    }
    .try_into()
    .expect("small numbers fit usize")
}

/// A TLS record header for `len` bytes of the given content type.
fn record_header(content_type: u8, len: usize) -> Vec<u8> {
    let mut header = vec![content_type, 0x03, 0x03];
    header.extend_from_slice(&(len.min(0x4000) as u16).to_be_bytes());
    header
}

impl Session {
    fn new(model: &TrafficModel, rng: &mut Rng, stats: &mut PcapStats) -> Session {
        stats.sessions += 1;
        let server = &model.servers[rng.skewed(model.servers.len())];
        let client = u128::from(model.clients[rng.skewed(model.clients.len())].to_bits());
        let mut ends = Endpoints {
            v6: false,
            client,
            server: u128::from(server.ipv4.to_bits()),
            client_port: rng.between(32_768, 60_999) as u16,
            server_port: 443,
            vlan: rng
                .percent(10)
                .then(|| if rng.percent(50) { 100 } else { 200 }),
        };
        let use_v6 = |ends: &mut Endpoints, rng: &mut Rng| {
            if let Some(v6) = server.ipv6
                && rng.percent(40)
            {
                ends.v6 = true;
                ends.server = v6.to_bits();
                ends.client =
                    model.clients_v6[rng.below(model.clients_v6.len() as u64) as usize].to_bits();
            }
        };
        let roll = rng.below(1000);
        let steps = match roll {
            0..380 => {
                use_v6(&mut ends, rng);
                stats.tls += 1;
                https(server, rng)
            }
            380..480 => {
                use_v6(&mut ends, rng);
                ends.server_port = if rng.percent(90) { 80 } else { 8080 };
                let (steps, requests) = http(server, rng);
                stats.http += requests;
                steps
            }
            480..900 => {
                stats.dns += 1;
                ends.server = u128::from(model.resolvers[rng.below(2) as usize].to_bits());
                ends.server_port = 53;
                dns_udp(server, rng)
            }
            900..915 => {
                stats.dns += 1;
                ends.server = u128::from(model.resolvers[rng.below(2) as usize].to_bits());
                ends.server_port = 53;
                dns_tcp(server, rng)
            }
            915..960 => {
                ends.server_port = rng.between(16_384, 32_767) as u16;
                media(rng)
            }
            960..975 => {
                ends.server_port = 123;
                ntp(rng)
            }
            975..985 => {
                ends.server = u128::from(Ipv4Addr::new(10, 0, 0, 5).to_bits());
                ends.server_port = 514;
                syslog(rng)
            }
            985..998 => {
                ends.client_port = rng.below(65_536) as u16;
                ends.server_port = 0;
                (1..=rng.between(1, 4) as u16)
                    .flat_map(|seq| {
                        [
                            Step::Echo {
                                from_client: true,
                                seq,
                            },
                            Step::Echo {
                                from_client: false,
                                seq,
                            },
                        ]
                    })
                    .collect()
            }
            _ => {
                ends.vlan = None;
                vec![Step::Arp]
            }
        };
        Session {
            ends,
            steps,
            next: 0,
        }
    }
}

/// A host name under the server's domain, as a client would ask for it.
fn host_name(server: &Server, rng: &mut Rng) -> String {
    match rng.below(10) {
        0..4 => server.domain.clone(),
        4..7 => format!("www.{}", server.domain),
        7..9 => format!("api.{}", server.domain),
        _ => format!("{}.cdn.{}", word(rng), server.domain),
    }
}

fn https(server: &Server, rng: &mut Rng) -> Vec<Step> {
    let hello = client_hello(&host_name(server, rng), rng);
    let mut tcp = Tcp::new(rng);
    tcp.handshake();
    tcp.send(true, hello);
    let certificate_len = tcp.rng.between(2_500, 5_000) as usize;
    tcp.send_records(false, 0x16, certificate_len);
    tcp.send_parts(
        true,
        vec![
            Part::Bytes(vec![0x14, 3, 3, 0, 1, 1]),
            Part::Bytes(record_header(0x17, 53)),
            Part::Noise(53),
        ],
    );
    for _ in 0..tcp.rng.between(1, 3) {
        let request_len = tcp.rng.between(200, 1_400) as usize;
        tcp.send_records(true, 0x17, request_len);
        let response_len = response_size(tcp.rng);
        tcp.send_records(false, 0x17, response_len);
    }
    tcp.teardown()
}

fn http(server: &Server, rng: &mut Rng) -> (Vec<Step>, u64) {
    let host = host_name(server, rng);
    let mut tcp = Tcp::new(rng);
    tcp.handshake();
    let requests = tcp.rng.between(1, 3);
    for _ in 0..requests {
        let path = match tcp.rng.below(4) {
            0 => "/".to_string(),
            1 => format!("/{}/index.html", word(tcp.rng)),
            2 => format!("/static/{}.js?v={}", word(tcp.rng), tcp.rng.below(100)),
            _ => format!("/api/v1/{}?id={}", word(tcp.rng), tcp.rng.below(100_000)),
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n"
        );
        tcp.send(true, request.into_bytes());
        let body_len = response_size(tcp.rng);
        let head = format!(
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\nContent-Length: {body_len}\r\n\r\n"
        );
        tcp.send_parts(
            false,
            vec![Part::Bytes(head.into_bytes()), Part::Noise(body_len)],
        );
    }
    (tcp.teardown(), requests)
}

/// A DNS query and its response, as message bytes.
fn dns_exchange(server: &Server, rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let name = host_name(server, rng);
    let aaaa = server.ipv6.is_some() && rng.percent(30);
    let qtype: u16 = if aaaa { 28 } else { 1 };
    let id = rng.below(65_536) as u16;
    let mut question = Vec::new();
    for label in name.split('.') {
        question.push(label.len() as u8);
        question.extend_from_slice(label.as_bytes());
    }
    question.push(0);
    question.extend_from_slice(&qtype.to_be_bytes());
    question.extend_from_slice(&[0, 1]);
    let mut query = id.to_be_bytes().to_vec();
    query.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    query.extend_from_slice(&question);

    let cname = rng.percent(30);
    let mut response = id.to_be_bytes().to_vec();
    response.extend_from_slice(&[0x81, 0x80, 0, 1, 0, if cname { 2 } else { 1 }, 0, 0, 0, 0]);
    response.extend_from_slice(&question);
    // The owner of the address record: the question (offset 12) or the CNAME target.
    let mut owner = [0xc0, 0x0c];
    if cname {
        response.extend_from_slice(&[0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10]);
        let target_label = word(rng);
        let mut rdata = vec![target_label.len() as u8];
        rdata.extend_from_slice(target_label.as_bytes());
        rdata.extend_from_slice(b"\x04edge\x03cdn\x07example\x03net\x00");
        response.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        let target_at = response.len() as u16;
        owner = (0xc000 | target_at).to_be_bytes();
        response.extend_from_slice(&rdata);
    }
    response.extend_from_slice(&owner);
    response.extend_from_slice(&qtype.to_be_bytes());
    response.extend_from_slice(&[0, 1, 0, 0, 0x01, 0x2c]);
    match server.ipv6 {
        Some(v6) if aaaa => {
            response.extend_from_slice(&[0, 16]);
            response.extend_from_slice(&v6.octets());
        }
        _ => {
            response.extend_from_slice(&[0, 4]);
            response.extend_from_slice(&server.ipv4.octets());
        }
    }
    (query, response)
}

fn dns_udp(server: &Server, rng: &mut Rng) -> Vec<Step> {
    let (query, response) = dns_exchange(server, rng);
    vec![
        Step::Udp {
            from_client: true,
            payload: Payload::bytes(query),
        },
        Step::Udp {
            from_client: false,
            payload: Payload::bytes(response),
        },
    ]
}

fn dns_tcp(server: &Server, rng: &mut Rng) -> Vec<Step> {
    let (query, response) = dns_exchange(server, rng);
    let framed = |message: Vec<u8>| {
        let mut framed = (message.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&message);
        framed
    };
    let mut tcp = Tcp::new(rng);
    tcp.handshake();
    tcp.send(true, framed(query));
    tcp.send(false, framed(response));
    tcp.teardown()
}

/// A burst of real-time media: RTP-sized datagrams mostly one way.
fn media(rng: &mut Rng) -> Vec<Step> {
    let mut steps = vec![Step::Udp {
        from_client: true,
        payload: Payload::noise(vec![0x80, 0x60], 170),
    }];
    for _ in 0..rng.between(2, 12) {
        steps.push(Step::Udp {
            from_client: false,
            payload: Payload::noise(vec![0x40], rng.between(100, 1_250) as usize),
        });
        if rng.percent(40) {
            steps.push(Step::Udp {
                from_client: true,
                payload: Payload::noise(vec![0x40], rng.between(30, 60) as usize),
            });
        }
    }
    steps
}

fn ntp(rng: &mut Rng) -> Vec<Step> {
    let mut request = vec![0x23, 0, 6, 0x20];
    request.resize(48, 0);
    let mut reply = vec![0x24, 2, 6, 0xe9];
    reply.resize(48, 0);
    rng.fill(&mut reply[16..]);
    vec![
        Step::Udp {
            from_client: true,
            payload: Payload::bytes(request),
        },
        Step::Udp {
            from_client: false,
            payload: Payload::bytes(reply),
        },
    ]
}

fn syslog(rng: &mut Rng) -> Vec<Step> {
    (0..rng.between(1, 5))
        .map(|n| Step::Udp {
            from_client: true,
            payload: Payload::bytes(
                format!(
                    "<134>Jan  1 00:00:00 host{} app[{}]: event {n} ok",
                    rng.below(100),
                    rng.below(9999)
                )
                .into_bytes(),
            ),
        })
        .collect()
}

/// A ClientHello like a current browser's: SNI, groups, ALPN, signature
/// algorithms, key shares (X25519, sometimes with a post-quantum share that
/// pushes the hello past one segment), supported versions, padding.
fn client_hello(sni: &str, rng: &mut Rng) -> Vec<u8> {
    let mut extensions: Vec<(u16, Vec<u8>)> = Vec::new();
    let name = sni.as_bytes();
    let mut server_name = ((name.len() + 3) as u16).to_be_bytes().to_vec();
    server_name.push(0);
    server_name.extend_from_slice(&(name.len() as u16).to_be_bytes());
    server_name.extend_from_slice(name);
    extensions.push((0x0000, server_name));
    extensions.push((0x0017, Vec::new()));
    extensions.push((0xff01, vec![0]));
    extensions.push((0x000a, vec![0, 8, 0x11, 0xec, 0, 0x1d, 0, 0x17, 0, 0x18]));
    extensions.push((0x000b, vec![1, 0]));
    extensions.push((0x0023, Vec::new()));
    extensions.push((0x0010, b"\x00\x0c\x02h2\x08http/1.1".to_vec()));
    extensions.push((0x0005, vec![1, 0, 0, 0, 0]));
    extensions.push((0x000d, vec![0, 8, 4, 3, 8, 4, 4, 1, 5, 3]));
    extensions.push((0x0012, Vec::new()));
    let post_quantum = rng.percent(30);
    let mut key_share = Vec::new();
    if post_quantum {
        key_share.extend_from_slice(&[0x11, 0xec, 0x04, 0xc0]);
        let mut share = vec![0u8; 1216];
        rng.fill(&mut share);
        key_share.extend_from_slice(&share);
    }
    key_share.extend_from_slice(&[0, 0x1d, 0, 32]);
    let mut x25519 = [0u8; 32];
    rng.fill(&mut x25519);
    key_share.extend_from_slice(&x25519);
    let mut key_shares = (key_share.len() as u16).to_be_bytes().to_vec();
    key_shares.extend_from_slice(&key_share);
    extensions.push((0x0033, key_shares));
    extensions.push((0x002d, vec![1, 1]));
    extensions.push((0x002b, vec![4, 3, 4, 3, 3]));
    // Browsers shuffle extension order; the server name may come late.
    for index in (1..extensions.len()).rev() {
        let other = rng.below(index as u64 + 1) as usize;
        extensions.swap(index, other);
    }
    let mut encoded = Vec::new();
    for (kind, data) in &extensions {
        encoded.extend_from_slice(&kind.to_be_bytes());
        encoded.extend_from_slice(&(data.len() as u16).to_be_bytes());
        encoded.extend_from_slice(data);
    }
    let mut body = vec![0x03, 0x03];
    let mut random = [0u8; 64];
    rng.fill(&mut random);
    body.extend_from_slice(&random[..32]);
    body.push(32);
    body.extend_from_slice(&random[32..]);
    let suites: [u16; 15] = [
        0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc013, 0xc014,
        0x009c, 0x009d, 0x002f, 0x0035,
    ];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    // Pad small hellos to 512 bytes of handshake, as browsers do.
    let unpadded = 4 + body.len() + 2 + encoded.len();
    if unpadded < 508 {
        let pad = 508 - unpadded;
        encoded.extend_from_slice(&0x0015u16.to_be_bytes());
        encoded.extend_from_slice(&(pad as u16).to_be_bytes());
        encoded.resize(encoded.len() + pad, 0);
    }
    body.extend_from_slice(&(encoded.len() as u16).to_be_bytes());
    body.extend_from_slice(&encoded);
    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}
