//! Link, IP and transport decoding on hand-built frames.

use super::build::{self, CLIENT, SERVER, ethernet, ethernet_vlan, ipv4, ipv6, tcp, udp};
use crate::capture::LinkType;
use crate::decode::decode;

/// Decodes and renders the fields a flow uses, or the skip reason.
#[track_caller]
fn check(link: LinkType, frame: &[u8], expect: &str) {
    let actual = match decode(link, frame) {
        Ok(it) => {
            let address = |value: u128| {
                if it.v6 {
                    std::net::Ipv6Addr::from(value).to_string()
                } else {
                    std::net::Ipv4Addr::from(value as u32).to_string()
                }
            };
            format!(
                "{} {}:{} > {}:{} len={} flags={:#04x} payload={}",
                it.proto,
                address(it.src),
                it.src_port,
                address(it.dst),
                it.dst_port,
                it.ip_len,
                it.tcp_flags,
                it.payload.len()
            )
        }
        Err(reason) => format!("skip {reason}"),
    };
    assert_eq!(actual, expect);
}

fn v6(last: u8) -> [u8; 16] {
    let mut address = [0u8; 16];
    address[0] = 0x20;
    address[1] = 0x01;
    address[2] = 0x0d;
    address[3] = 0xb8;
    address[15] = last;
    address
}

#[test]
fn ethernet_ipv4_tcp() {
    check(
        LinkType::ETHERNET,
        &build::tcp_frame(0x12, b"hello"),
        "6 10.0.0.1:40000 > 192.0.2.80:80 len=45 flags=0x12 payload=5",
    );
}

#[test]
fn ethernet_vlan_ipv4_udp() {
    let frame = ethernet_vlan(
        42,
        0x0800,
        &ipv4(CLIENT, SERVER, 17, &udp(5353, 53, b"abc")),
    );
    check(
        LinkType::ETHERNET,
        &frame,
        "17 10.0.0.1:5353 > 192.0.2.80:53 len=31 flags=0x00 payload=3",
    );
}

#[test]
fn ethernet_double_tagged() {
    let inner = ethernet_vlan(7, 0x0800, &ipv4(CLIENT, SERVER, 17, &udp(1, 2, b"")));
    // Turn the outer tag into 802.1ad and nest a second 802.1Q tag.
    let mut frame = inner[..12].to_vec();
    frame.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64, 0x81, 0x00]);
    frame.extend_from_slice(&inner[14..]);
    check(
        LinkType::ETHERNET,
        &frame,
        "17 10.0.0.1:1 > 192.0.2.80:2 len=28 flags=0x00 payload=0",
    );
}

#[test]
fn ethernet_mpls_and_pppoe() {
    let packet = ipv4(CLIENT, SERVER, 17, &udp(1, 2, b""));
    let mut mpls = vec![0x00, 0x01, 0x01, 0x40];
    mpls.extend_from_slice(&packet);
    check(
        LinkType::ETHERNET,
        &ethernet(0x8847, &mpls),
        "17 10.0.0.1:1 > 192.0.2.80:2 len=28 flags=0x00 payload=0",
    );
    let mut pppoe = vec![0x11, 0x00, 0x00, 0x01, 0x00, 0x1e, 0x00, 0x21];
    pppoe.extend_from_slice(&packet);
    check(
        LinkType::ETHERNET,
        &ethernet(0x8864, &pppoe),
        "17 10.0.0.1:1 > 192.0.2.80:2 len=28 flags=0x00 payload=0",
    );
}

#[test]
fn ethernet_arp_is_not_ip() {
    check(
        LinkType::ETHERNET,
        &ethernet(0x0806, &[0; 28]),
        "skip not_ip",
    );
}

#[test]
fn linux_cooked_v1_and_v2() {
    let packet = ipv4(CLIENT, SERVER, 6, &tcp(1, 2, 0, 0x02, b""));
    let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&packet);
    check(
        LinkType::LINUX_SLL,
        &sll,
        "6 10.0.0.1:1 > 192.0.2.80:2 len=40 flags=0x02 payload=0",
    );
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(&packet);
    check(
        LinkType::LINUX_SLL2,
        &sll2,
        "6 10.0.0.1:1 > 192.0.2.80:2 len=40 flags=0x02 payload=0",
    );
}

#[test]
fn null_loopback_in_either_byte_order_and_loop() {
    let packet = ipv4(CLIENT, SERVER, 17, &udp(1, 2, b""));
    let v6_packet = ipv6(v6(1), v6(2), 17, &udp(3, 4, b""));
    for (header, link, body) in [
        ([2, 0, 0, 0], LinkType::NULL, &packet),
        ([0, 0, 0, 2], LinkType::NULL, &packet),
        ([0, 0, 0, 2], LinkType::LOOP, &packet),
        ([30, 0, 0, 0], LinkType::NULL, &v6_packet),
    ] {
        let mut frame = header.to_vec();
        frame.extend_from_slice(body);
        let expect = if body == &packet {
            "17 10.0.0.1:1 > 192.0.2.80:2 len=28 flags=0x00 payload=0"
        } else {
            "17 2001:db8::1:3 > 2001:db8::2:4 len=48 flags=0x00 payload=0"
        };
        check(link, &frame, expect);
    }
    check(LinkType::NULL, &[7, 0, 0, 0, 0x45], "skip not_ip");
}

#[test]
fn raw_ip_either_version() {
    let packet = ipv4(CLIENT, SERVER, 1, &[8, 0, 0, 0]);
    check(
        LinkType::RAW,
        &packet,
        "1 10.0.0.1:0 > 192.0.2.80:0 len=24 flags=0x00 payload=0",
    );
    check(
        LinkType::IPV4,
        &packet,
        "1 10.0.0.1:0 > 192.0.2.80:0 len=24 flags=0x00 payload=0",
    );
    check(LinkType::IPV6, &packet, "skip malformed_header");
    let packet = ipv6(v6(1), v6(2), 6, &tcp(1, 443, 0, 0x02, b""));
    check(
        LinkType::RAW,
        &packet,
        "6 2001:db8::1:1 > 2001:db8::2:443 len=60 flags=0x02 payload=0",
    );
}

#[test]
fn ipv6_extension_headers_are_walked() {
    // Hop-by-hop (8 bytes), then a first fragment header, then UDP.
    let mut payload = vec![44, 0, 0, 0, 0, 0, 0, 0];
    payload.extend_from_slice(&[17, 0, 0x00, 0x01, 0, 0, 0, 9]);
    payload.extend_from_slice(&udp(53, 5000, b"xy"));
    check(
        LinkType::RAW,
        &ipv6(v6(1), v6(2), 0, &payload),
        "17 2001:db8::1:53 > 2001:db8::2:5000 len=66 flags=0x00 payload=2",
    );
    // A later fragment carries no ports.
    let later = [17, 0, 0x05, 0x00, 0, 0, 0, 9, 1, 2, 3, 4];
    check(
        LinkType::RAW,
        &ipv6(v6(1), v6(2), 44, &later),
        "skip ip_fragment",
    );
}

#[test]
fn ipv4_fragments() {
    let mut first = ipv4(CLIENT, SERVER, 17, &udp(1, 2, b"abcdefgh"));
    first[6] = 0x20;
    check(
        LinkType::RAW,
        &first,
        "17 10.0.0.1:1 > 192.0.2.80:2 len=36 flags=0x00 payload=8",
    );
    let mut later = ipv4(CLIENT, SERVER, 17, b"abcdefgh");
    later[6] = 0x00;
    later[7] = 0x03;
    check(LinkType::RAW, &later, "skip ip_fragment");
}

#[test]
fn snaplen_cut_payload_keeps_wire_length() {
    let packet = ipv4(CLIENT, SERVER, 6, &tcp(1, 2, 0, 0x18, &[7; 100]));
    check(
        LinkType::RAW,
        &packet[..50],
        "6 10.0.0.1:1 > 192.0.2.80:2 len=140 flags=0x18 payload=10",
    );
}

#[test]
fn headers_cut_short() {
    let packet = ipv4(CLIENT, SERVER, 6, &tcp(1, 2, 0, 0x18, &[7; 100]));
    check(LinkType::RAW, &packet[..30], "skip truncated_header");
    check(LinkType::RAW, &packet[..12], "skip truncated_header");
    check(LinkType::ETHERNET, &[0; 10], "skip truncated_header");
    check(LinkType::RAW, &[], "skip truncated_header");
}

#[test]
fn impossible_headers_are_malformed() {
    let mut short_ihl = ipv4(CLIENT, SERVER, 6, &tcp(1, 2, 0, 0x02, b""));
    short_ihl[0] = 0x44;
    check(LinkType::RAW, &short_ihl, "skip malformed_header");
    // Total length says the TCP header cannot fit.
    let mut short_total = ipv4(CLIENT, SERVER, 6, &tcp(1, 2, 0, 0x02, b""));
    short_total[3] = 30;
    check(LinkType::RAW, &short_total, "skip malformed_header");
    let mut bad_offset = ipv4(CLIENT, SERVER, 6, &tcp(1, 2, 0, 0x02, b""));
    bad_offset[20 + 12] = 0x20;
    check(LinkType::RAW, &bad_offset, "skip malformed_header");
    check(LinkType::RAW, &[0x75; 40], "skip malformed_header");
}

#[test]
fn unknown_link_type() {
    check(
        LinkType(147),
        &build::tcp_frame(0x02, b""),
        "skip unknown_link_type",
    );
}
