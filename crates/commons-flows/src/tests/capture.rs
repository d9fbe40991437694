//! Capture readers: pcap and pcapng records, skips and resynchronisation.

use super::build::{self, PcapNg, record, tcp_frame};
use crate::capture::{CaptureError, CaptureReader, Record};

/// Every record of a capture, one line each, read through both sources
/// (slice and reader), which must agree.
fn records(file: &[u8]) -> Result<Vec<String>, String> {
    let from_slice = read_all(CaptureReader::from_slice(file).map_err(|it| it.to_string())?);
    // A reader that hands out three bytes at a time exercises every refill path.
    let trickle = Trickle { data: file, pos: 0 };
    let from_reader = read_all(CaptureReader::from_reader(trickle).map_err(|it| it.to_string())?);
    assert_eq!(from_slice, from_reader, "slice and reader disagree");
    Ok(from_slice)
}

struct Trickle<'a> {
    data: &'a [u8],
    pos: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(3).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_all<S: crate::capture::Source>(mut reader: CaptureReader<S>) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(record) = reader.next_record().expect("in-memory reads do not fail") {
        lines.push(match record {
            Record::Packet(packet) => format!(
                "packet if={} link={} ts={} len={}/{}",
                packet.interface,
                packet.link.0,
                packet.ts_ns,
                packet.data.len(),
                packet.orig_len
            ),
            Record::Skipped { reason, offset } => format!("skip {reason} @{offset}"),
        });
    }
    lines
}

#[track_caller]
fn check(file: &[u8], expect: &[&str]) {
    let actual = records(file).expect("readable capture");
    assert_eq!(actual, expect);
}

#[track_caller]
fn check_error(file: &[u8], expect: &str) {
    assert_eq!(records(file).expect_err("unreadable capture"), expect);
}

#[test]
fn pcap_little_endian_microseconds() {
    let syn = tcp_frame(0x02, b"");
    let file = build::pcap(false, false, 1, &[record(1_700_000_000, 123_456, &syn)]);
    check(
        &file,
        &["packet if=0 link=1 ts=1700000000123456000 len=54/54"],
    );
}

#[test]
fn pcap_big_endian_nanoseconds() {
    let syn = tcp_frame(0x02, b"");
    let file = build::pcap(true, true, 1, &[record(1_700_000_000, 123_456_789, &syn)]);
    check(
        &file,
        &["packet if=0 link=1 ts=1700000000123456789 len=54/54"],
    );
}

#[test]
fn pcap_link_type_ignores_fcs_bits() {
    let file = build::pcap(
        false,
        false,
        0x1000_0001,
        &[record(1, 0, &tcp_frame(0x02, b""))],
    );
    check(&file, &["packet if=0 link=1 ts=1000000000 len=54/54"]);
}

#[test]
fn pcap_snaplen_cut_packet_keeps_its_wire_length() {
    let frame = tcp_frame(0x18, &[0xaa; 100]);
    let cut = build::PcapRecord {
        sec: 1,
        frac: 0,
        data: &frame[..60],
        orig_len: frame.len() as u32,
    };
    check(
        &build::pcap(false, false, 1, &[cut]),
        &["packet if=0 link=1 ts=1000000000 len=60/154"],
    );
}

#[test]
fn pcap_truncated_last_record() {
    let frame = tcp_frame(0x02, b"");
    let mut file = build::pcap(
        false,
        false,
        1,
        &[record(1, 0, &frame), record(2, 0, &frame)],
    );
    file.truncate(file.len() - 10);
    check(
        &file,
        &[
            "packet if=0 link=1 ts=1000000000 len=54/54",
            "skip truncated_record @94",
        ],
    );
}

#[test]
fn pcap_truncated_record_header() {
    let frame = tcp_frame(0x02, b"");
    let mut file = build::pcap(false, false, 1, &[record(1, 0, &frame)]);
    file.extend_from_slice(&[1, 2, 3]);
    check(
        &file,
        &[
            "packet if=0 link=1 ts=1000000000 len=54/54",
            "skip truncated_record @94",
        ],
    );
}

#[test]
fn pcap_corrupt_record_resynchronises() {
    let frame = tcp_frame(0x02, b"");
    let mut file = build::pcap(
        false,
        false,
        1,
        &[
            record(10, 0, &frame),
            record(11, 0, &frame),
            record(12, 0, &frame),
            record(13, 0, &frame),
        ],
    );
    // The second record's captured length becomes absurd.
    let second = 24 + 16 + 54;
    file[second + 8..second + 12].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    check(
        &file,
        &[
            "packet if=0 link=1 ts=10000000000 len=54/54",
            "skip corrupt_record @94",
            "packet if=0 link=1 ts=12000000000 len=54/54",
            "packet if=0 link=1 ts=13000000000 len=54/54",
        ],
    );
}

#[test]
fn pcap_garbage_between_records_is_skipped() {
    let frame = tcp_frame(0x02, b"");
    let first = build::pcap(false, false, 1, &[record(10, 0, &frame)]);
    let rest = build::pcap(
        false,
        false,
        1,
        &[record(11, 0, &frame), record(12, 0, &frame)],
    );
    let mut file = first.clone();
    file.extend_from_slice(&[0xff; 37]);
    file.extend_from_slice(&rest[24..]);
    check(
        &file,
        &[
            "packet if=0 link=1 ts=10000000000 len=54/54",
            "skip corrupt_record @94",
            "packet if=0 link=1 ts=11000000000 len=54/54",
            "packet if=0 link=1 ts=12000000000 len=54/54",
        ],
    );
}

#[test]
fn pcap_empty_after_header() {
    check(&build::pcap(false, false, 1, &[]), &[]);
}

#[test]
fn truncated_file_header_is_an_error() {
    let file = build::pcap(false, false, 1, &[]);
    check_error(&file[..10], "capture ends inside its 10-byte file header");
}

#[test]
fn not_a_capture_is_an_error() {
    check_error(
        b"hello world, not a capture",
        "not a pcap or pcapng capture (starts with [68, 65, 6c, 6c])",
    );
    check_error(b"", "not a pcap or pcapng capture (starts with [])");
}

#[test]
fn pcapng_two_interfaces_with_their_own_link_and_resolution() {
    let ethernet = tcp_frame(0x02, b"");
    let raw = build::ipv4(build::CLIENT, build::SERVER, 17, &build::udp(1, 2, b"x"));
    let mut file = PcapNg::new(false);
    file.interface(1, 65535, None)
        .interface(101, 65535, Some(9))
        .enhanced(0, 1_700_000_000_000_001, &ethernet, 54)
        .enhanced(1, 1_700_000_000_000_000_002, &raw, raw.len() as u32);
    check(
        &file.finish(),
        &[
            "packet if=0 link=1 ts=1700000000000001000 len=54/54",
            "packet if=1 link=101 ts=1700000000000000002 len=29/29",
        ],
    );
}

#[test]
fn pcapng_big_endian_and_binary_resolution() {
    let frame = tcp_frame(0x02, b"");
    let mut file = PcapNg::new(true);
    // 2^-10 seconds per unit: 1024 units are one second.
    file.interface(1, 0, Some(0x80 | 10))
        .enhanced(0, 3 * 1024 + 512, &frame, 54);
    check(
        &file.finish(),
        &["packet if=0 link=1 ts=3500000000 len=54/54"],
    );
}

#[test]
fn pcapng_simple_packet_block_uses_interface_zero_and_snaplen() {
    let frame = tcp_frame(0x18, &[0x55; 40]);
    let mut file = PcapNg::new(false);
    file.interface(1, 64, None).simple(&frame);
    check(&file.finish(), &["packet if=0 link=1 ts=0 len=64/94"]);
}

#[test]
fn pcapng_unknown_interface_is_skipped() {
    let frame = tcp_frame(0x02, b"");
    let mut file = PcapNg::new(false);
    file.interface(1, 0, None)
        .enhanced(3, 0, &frame, 54)
        .enhanced(0, 5, &frame, 54);
    check(
        &file.finish(),
        &[
            "skip unknown_interface @48",
            "packet if=0 link=1 ts=5000 len=54/54",
        ],
    );
}

#[test]
fn pcapng_skips_unknown_blocks_and_new_sections_reset_interfaces() {
    let frame = tcp_frame(0x02, b"");
    let mut first = PcapNg::new(false);
    first
        .interface(1, 0, None)
        .block(0x0bad, b"custom")
        .enhanced(0, 1, &frame, 54);
    let mut second = PcapNg::new(true);
    second.enhanced(0, 2, &frame, 54).interface(101, 0, None);
    let mut file = first.finish();
    file.extend_from_slice(&second.finish());
    check(
        &file,
        &[
            "packet if=0 link=1 ts=1000 len=54/54",
            "skip unknown_interface @184",
        ],
    );
}

#[test]
fn pcapng_bad_trailer_resynchronises() {
    let frame = tcp_frame(0x02, b"");
    let mut file = PcapNg::new(false);
    file.interface(1, 0, None)
        .enhanced(0, 1, &frame, 54)
        .enhanced(0, 2, &frame, 54)
        .enhanced(0, 3, &frame, 54);
    let mut bytes = file.finish();
    // Break the trailing length of the first packet block (it starts at 48 and is 88 long).
    bytes[48 + 84] ^= 0xff;
    check(
        &bytes,
        &[
            "skip corrupt_record @48",
            "packet if=0 link=1 ts=2000 len=54/54",
            "packet if=0 link=1 ts=3000 len=54/54",
        ],
    );
}

#[test]
fn pcapng_truncated_block() {
    let frame = tcp_frame(0x02, b"");
    let mut file = PcapNg::new(false);
    file.interface(1, 0, None)
        .enhanced(0, 1, &frame, 54)
        .enhanced(0, 2, &frame, 54);
    let mut bytes = file.finish();
    bytes.truncate(bytes.len() - 1);
    check(
        &bytes,
        &[
            "packet if=0 link=1 ts=1000 len=54/54",
            "skip truncated_record @136",
        ],
    );
}

#[test]
fn pcapng_captured_length_beyond_block_is_corrupt() {
    let frame = tcp_frame(0x02, b"");
    let mut file = PcapNg::new(false);
    file.interface(1, 0, None).enhanced(0, 1, &frame, 54);
    let mut bytes = file.finish();
    // The captured length field (block at 48, body at 56, field at body + 12).
    bytes[56 + 12..56 + 16].copy_from_slice(&500u32.to_le_bytes());
    check(&bytes, &["skip corrupt_record @48"]);
}

#[test]
fn capture_error_names_the_cause() {
    let error = CaptureError::Io(std::io::Error::other("disk on fire"));
    assert_eq!(error.to_string(), "reading the capture: disk on fire");
}

mod properties {
    use proptest::prelude::*;

    use super::{build, records, tcp_frame};
    use crate::capture::{CaptureReader, LinkType};
    use crate::decode::decode;

    fn valid_pcap() -> Vec<u8> {
        let frames: Vec<Vec<u8>> = (0..6)
            .map(|n| tcp_frame(0x18, &vec![n; n as usize * 7]))
            .collect();
        let records: Vec<_> = frames
            .iter()
            .enumerate()
            .map(|(n, it)| build::record(n as u32, 0, it))
            .collect();
        build::pcap(false, false, 1, &records)
    }

    fn valid_pcapng() -> Vec<u8> {
        let frame = tcp_frame(0x18, b"payload");
        let mut file = build::PcapNg::new(false);
        file.interface(1, 0, None).interface(101, 0, Some(9));
        for n in 0..5 {
            file.enhanced(n % 2, u64::from(n), &frame, 61)
                .simple(&frame);
        }
        file.finish()
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = records(&bytes);
            for link in [0u16, 1, 12, 101, 108, 113, 228, 229, 276, 999] {
                let _ = decode(LinkType(link), &bytes);
            }
        }

        #[test]
        fn random_records_after_a_valid_header_never_panic(
            pcapng in any::<bool>(),
            tail in proptest::collection::vec(any::<u8>(), 0..4096),
        ) {
            let mut file = if pcapng { valid_pcapng()[..28].to_vec() } else { valid_pcap()[..24].to_vec() };
            file.extend_from_slice(&tail);
            let _ = records(&file);
        }

        #[test]
        fn damaged_captures_never_panic_and_sources_agree(
            pcapng in any::<bool>(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut file = if pcapng { valid_pcapng() } else { valid_pcap() };
            for (at, value) in flips {
                let at = at.index(file.len());
                file[at] = value;
            }
            file.truncate(cut.index(file.len() + 1));
            if let Ok(lines) = records(&file) {
                // Every record is accounted for: nothing past the end is invented.
                prop_assert!(lines.len() <= file.len() / 12 + 1);
            }
            if let Ok(mut reader) = CaptureReader::from_slice(&file) {
                while let Ok(Some(record)) = reader.next_record() {
                    if let crate::capture::Record::Packet(packet) = record {
                        let _ = decode(packet.link, packet.data);
                    }
                }
            }
        }
    }
}
