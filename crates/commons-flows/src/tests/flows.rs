//! Captures scanned end to end: flows, their direction and counts, and the
//! events found on them.

use super::build::{self, CLIENT, SERVER, client_hello, ethernet, ipv4, record, tcp, udp};
use super::render;
use crate::scan::{Format, ScanConfig, scan_events};
use crate::summary::SkipReason;

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const FIN_ACK: u8 = 0x11;
const RST: u8 = 0x04;

/// An Ethernet/IPv4/TCP frame between CLIENT:40000 and SERVER:443.
fn segment(from_client: bool, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    segment_on(40000, 443, from_client, seq, flags, payload)
}

fn segment_on(
    client_port: u16,
    server_port: u16,
    from_client: bool,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        (CLIENT, SERVER, client_port, server_port)
    } else {
        (SERVER, CLIENT, server_port, client_port)
    };
    ethernet(
        0x0800,
        &ipv4(src, dst, 6, &tcp(sport, dport, seq, flags, payload)),
    )
}

fn datagram(from_client: bool, client_port: u16, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        (CLIENT, SERVER, client_port, 53)
    } else {
        (SERVER, CLIENT, 53, client_port)
    };
    ethernet(0x0800, &ipv4(src, dst, 17, &udp(sport, dport, payload)))
}

/// Scans frames given one per second (from t=1 s) as a pcap.
fn scan_frames(
    frames: &[Vec<u8>],
    config: &ScanConfig,
) -> (Vec<String>, crate::summary::ScanSummary) {
    let records: Vec<_> = frames
        .iter()
        .enumerate()
        .map(|(n, it)| record(n as u32 + 1, 0, it))
        .collect();
    let file = build::pcap(false, false, 1, &records);
    let scan = scan_events(&file, Format::Pcap, config).expect("valid capture");
    (scan.events.iter().map(render).collect(), scan.summary)
}

#[track_caller]
fn check(frames: &[Vec<u8>], expect: &[&str]) {
    let (events, _) = scan_frames(frames, &ScanConfig::default());
    assert_eq!(events, expect);
}

const S: i64 = 1_000_000_000;

#[test]
fn tcp_session_with_client_hello() {
    let hello = client_hello(Some("example.org"), 16);
    check(
        &[
            segment(true, 100, SYN, b""),
            segment(false, 500, SYN | ACK, b""),
            segment(true, 101, ACK, b""),
            segment(true, 101, PSH_ACK, &hello),
            segment(false, 501, PSH_ACK, &[0; 100]),
            segment(true, 101 + hello.len() as u32, FIN_ACK, b""),
        ],
        &[
            "tls tcp 10.0.0.1:40000 -> 192.0.2.80:443 sni=example.org",
            &format!(
                "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=4p/{}b resp=2p/180b {}..{}",
                160 + hello.len(),
                S,
                6 * S
            ),
        ],
    );
}

#[test]
fn capture_starting_at_syn_ack_keeps_the_client_as_originator() {
    check(
        &[
            segment(false, 500, SYN | ACK, b""),
            segment(true, 101, ACK, b""),
        ],
        &[&format!(
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=1p/40b resp=1p/40b {}..{}",
            S,
            2 * S
        )],
    );
}

#[test]
fn mid_stream_packet_from_a_well_known_port_makes_the_receiver_originator() {
    check(
        &[segment(false, 500, PSH_ACK, b"data")],
        &[&format!(
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=0p/0b resp=1p/44b {S}..{S}"
        )],
    );
}

#[test]
fn client_hello_split_over_two_segments() {
    let hello = client_hello(Some("split.example"), 1400);
    let (first, second) = hello.split_at(1000);
    check(
        &[
            segment(true, 1, PSH_ACK, first),
            // A retransmission of the first part changes nothing.
            segment(true, 1, PSH_ACK, first),
            segment(true, 1001, PSH_ACK, second),
        ],
        &[
            "tls tcp 10.0.0.1:40000 -> 192.0.2.80:443 sni=split.example",
            &format!(
                "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=3p/{}b resp=0p/0b {}..{}",
                40 * 3 + 2 * first.len() + second.len(),
                S,
                3 * S
            ),
        ],
    );
}

#[test]
fn client_hello_with_a_gap_is_given_up() {
    let hello = client_hello(Some("gap.example"), 1400);
    let (first, second) = hello.split_at(1000);
    let (events, _) = scan_frames(
        &[
            segment(true, 1, PSH_ACK, first),
            segment(true, 1500, PSH_ACK, second),
        ],
        &ScanConfig::default(),
    );
    assert_eq!(events.len(), 1, "{events:?}");
}

#[test]
fn http_requests_on_a_kept_alive_connection() {
    let first = b"GET /a HTTP/1.1\r\nHost: shop.example\r\n\r\n";
    let second = b"POST /b HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 4\r\n\r\n";
    check(
        &[
            segment_on(40000, 80, true, 1, PSH_ACK, first),
            segment_on(40000, 80, false, 1, PSH_ACK, b"HTTP/1.1 200 OK\r\n\r\n"),
            segment_on(40000, 80, true, 100, PSH_ACK, second),
            segment_on(40000, 80, true, 200, PSH_ACK, b"body"),
        ],
        &[
            "http tcp 10.0.0.1:40000 -> 192.0.2.80:80 GET host=shop.example uri=/a",
            "http tcp 10.0.0.1:40000 -> 192.0.2.80:80 POST host=shop.example uri=/b",
            &format!(
                "flow tcp 10.0.0.1:40000 -> 192.0.2.80:80 orig=3p/{}b resp=1p/{}b {}..{}",
                3 * 40 + first.len() + second.len() + 4,
                40 + 19,
                S,
                4 * S
            ),
        ],
    );
}

#[test]
fn unknown_protocol_is_looked_at_once() {
    check(
        &[
            segment_on(40000, 22, true, 1, PSH_ACK, b"SSH-2.0-OpenSSH_9.6\r\n"),
            segment_on(40000, 22, true, 30, PSH_ACK, b"GET / HTTP/1.1\r\n\r\n"),
        ],
        &[&format!(
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:22 orig=2p/{}b resp=0p/0b {}..{}",
            80 + 21 + 18,
            S,
            2 * S
        )],
    );
}

/// A query for www.example.com (the start of the response in `extract`).
fn dns_query() -> Vec<u8> {
    let mut query = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    query.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    query
}

fn dns_response() -> Vec<u8> {
    let mut response = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    response.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    response.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
    response
}

#[test]
fn dns_over_udp() {
    check(
        &[
            datagram(true, 5555, &dns_query()),
            datagram(false, 5555, &dns_response()),
        ],
        &[
            "dns udp 10.0.0.1:5555 -> 192.0.2.80:53 query www.example.com type=1 []",
            "dns udp 10.0.0.1:5555 -> 192.0.2.80:53 response www.example.com type=1 [A 93.184.216.34]",
            &format!(
                "flow udp 10.0.0.1:5555 -> 192.0.2.80:53 orig=1p/61b resp=1p/77b {}..{}",
                S,
                2 * S
            ),
        ],
    );
}

#[test]
fn dns_over_tcp_length_prefixed() {
    let mut two = Vec::new();
    for message in [dns_query(), dns_response()] {
        two.extend_from_slice(&(message.len() as u16).to_be_bytes());
        two.extend_from_slice(&message);
    }
    let mut partial = (dns_query().len() as u16 + 10).to_be_bytes().to_vec();
    partial.extend_from_slice(&dns_query());
    check(
        &[
            segment_on(40001, 53, true, 1, PSH_ACK, &two),
            segment_on(40001, 53, true, 99, PSH_ACK, &partial),
        ],
        &[
            "dns tcp 10.0.0.1:40001 -> 192.0.2.80:53 query www.example.com type=1 []",
            "dns tcp 10.0.0.1:40001 -> 192.0.2.80:53 response www.example.com type=1 [A 93.184.216.34]",
            &format!(
                "flow tcp 10.0.0.1:40001 -> 192.0.2.80:53 orig=2p/{}b resp=0p/0b {}..{}",
                80 + two.len() + partial.len(),
                S,
                2 * S
            ),
        ],
    );
}

#[test]
fn reused_tuple_after_close_is_a_new_flow() {
    check(
        &[
            segment(true, 1, SYN, b""),
            segment(false, 1, RST, b""),
            segment(true, 9, SYN, b""),
        ],
        &[
            &format!(
                "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=1p/40b resp=1p/40b {}..{}",
                S,
                2 * S
            ),
            &format!(
                "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=1p/40b resp=0p/0b {}..{}",
                3 * S,
                3 * S
            ),
        ],
    );
}

#[test]
fn idle_flows_expire_before_the_end() {
    let config = ScanConfig {
        flow_idle_timeout_ns: 1_500_000_000,
    };
    let (events, _) = scan_frames(
        &[
            segment(true, 1, SYN, b""),
            segment_on(40002, 443, true, 1, SYN, b""),
            segment_on(40003, 443, true, 1, SYN, b""),
            segment_on(40004, 443, true, 1, SYN, b""),
        ],
        &config,
    );
    let sources: Vec<&str> = events
        .iter()
        .filter_map(|it| it.split(' ').nth(2))
        .collect();
    assert_eq!(
        sources,
        [
            "10.0.0.1:40000",
            "10.0.0.1:40002",
            "10.0.0.1:40003",
            "10.0.0.1:40004"
        ]
    );
}

#[test]
fn ipv6_flow_and_icmp_without_ports() {
    let v6 = |last: u8| {
        let mut address = [0u8; 16];
        address[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        address[15] = last;
        address
    };
    let frames = [
        ethernet(
            0x86dd,
            &build::ipv6(v6(1), v6(2), 17, &udp(41000, 2000, b"hi")),
        ),
        ethernet(0x0800, &ipv4(CLIENT, SERVER, 1, &[8, 0, 0, 0, 0, 1, 0, 1])),
    ];
    check(
        &frames,
        &[
            &format!(
                "flow udp [2001:db8::1]:41000 -> [2001:db8::2]:2000 orig=1p/50b resp=0p/0b {S}..{S}"
            ),
            &format!(
                "flow icmp 10.0.0.1:0 -> 192.0.2.80:0 orig=1p/28b resp=0p/0b {}..{}",
                2 * S,
                2 * S
            ),
        ],
    );
}

#[test]
fn summary_counts_skips_snaplen_cuts_and_events() {
    let full = segment(true, 1, PSH_ACK, &[1; 200]);
    let cut = build::PcapRecord {
        sec: 2,
        frac: 0,
        data: &full[..80],
        orig_len: full.len() as u32,
    };
    let arp = ethernet(0x0806, &[0; 28]);
    let fragment = {
        let mut packet = ipv4(CLIENT, SERVER, 17, b"tail of a datagram");
        packet[7] = 0x10;
        ethernet(0x0800, &packet)
    };
    let mut file = build::pcap(
        false,
        false,
        1,
        &[
            record(1, 0, &arp),
            cut,
            record(3, 0, &fragment),
            record(4, 0, &full),
        ],
    );
    file.extend_from_slice(&[0xde, 0xad]);
    let scan = scan_events(&file, Format::Pcap, &ScanConfig::default()).expect("valid capture");
    let summary = scan.summary;
    assert_eq!(summary.records, 5);
    assert_eq!(summary.snaplen_cut, 1);
    assert_eq!(summary.flows, 1);
    assert_eq!(summary.bytes, file.len() as u64);
    let skips: Vec<(SkipReason, u64)> = summary.skip_counts().collect();
    assert_eq!(
        skips,
        [
            (SkipReason::TruncatedRecord, 1),
            (SkipReason::NotIp, 1),
            (SkipReason::IpFragment, 1)
        ]
    );
    assert_eq!(
        summary.to_string(),
        "5 records, 3 skipped, 1 cut by snaplen; events: 1 flows, 0 dns, 0 tls, 0 http, 0 hashes; \
         truncated_record: 1; not_ip: 1; ip_fragment: 1"
    );
    // The cut packet still counts with its length on the wire.
    assert_eq!(
        render(&scan.events[0]),
        format!(
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=2p/480b resp=0p/0b {}..{}",
            2 * S,
            4 * S
        )
    );
}

#[test]
fn unknown_link_type_skips_every_packet() {
    let frame = segment(true, 1, SYN, b"");
    let file = build::pcap(
        false,
        false,
        147,
        &[record(1, 0, &frame), record(2, 0, &frame)],
    );
    let scan = scan_events(&file, Format::Pcap, &ScanConfig::default()).expect("valid capture");
    assert_eq!(scan.summary.skipped(SkipReason::UnknownLinkType), 2);
    assert!(scan.events.is_empty());
}

#[test]
fn pcapng_scan_with_two_link_types() {
    let raw = ipv4(CLIENT, SERVER, 17, &udp(5555, 53, &dns_query()));
    let mut file = build::PcapNg::new(false);
    file.interface(1, 0, None)
        .interface(101, 0, None)
        .enhanced(0, 1_000_000, &segment(true, 1, SYN, b""), 54)
        .enhanced(1, 2_000_000, &raw, raw.len() as u32);
    let scan =
        scan_events(&file.finish(), Format::PcapNg, &ScanConfig::default()).expect("valid capture");
    let events: Vec<String> = scan.events.iter().map(render).collect();
    assert_eq!(
        events,
        [
            "dns udp 10.0.0.1:5555 -> 192.0.2.80:53 query www.example.com type=1 []".to_string(),
            format!("flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=1p/40b resp=0p/0b {S}..{S}"),
            format!(
                "flow udp 10.0.0.1:5555 -> 192.0.2.80:53 orig=1p/61b resp=0p/0b {}..{}",
                2 * S,
                2 * S
            ),
        ]
    );
}
