//! Capture files: pcap (both byte orders, micro- and nanosecond) and pcapng
//! (SHB, IDB, EPB, SPB and the obsolete PB, several interfaces each with its
//! own link type and timestamp resolution), read record by record from a
//! byte slice or any reader.
//!
//! The readers never stop on a bad record. An impossible record header makes
//! them scan forward for the next plausible one (pcap records carry no sync
//! marker, so plausibility is checked on two consecutive headers; pcapng
//! blocks repeat their length at the end, which makes the check strong); a
//! record cut by the end of the file ends the capture. Each skip is returned
//! as a `Record::Skipped` so the caller can count it.

mod pcap;
mod pcapng;
mod source;

use std::io::{self, Read};

pub use source::{ReadSource, SliceSource, Source};

use crate::summary::SkipReason;

/// A link-layer header type, as numbered by tcpdump.org's LINKTYPE_ list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, with 802.1Q/802.1ad VLAN tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (the version nibble tells IPv4 from IPv6).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: the address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// The pcapng interface it was captured on (0 for pcap).
    pub interface: u32,
    /// Its link-layer header type.
    pub link: LinkType,
    /// Its length on the wire; longer than `data` when cut by the snapshot length.
    pub orig_len: u32,
    /// The captured bytes, starting with the link-layer header.
    pub data: &'a [u8],
}

/// What one step of a capture reader yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record<'a> {
    /// A packet.
    Packet(Packet<'a>),
    /// A record that could not be used, and where it started.
    Skipped {
        /// Why.
        reason: SkipReason,
        /// Byte offset of the record in the input.
        offset: u64,
    },
}

/// The two capture container formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// libpcap's format.
    Pcap,
    /// pcapng.
    PcapNg,
}

/// Why a capture cannot be read at all (bad records are skipped, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The input starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng capture (starts with {magic:02x?})")]
    NotACapture {
        /// The first bytes of the input.
        magic: Vec<u8>,
    },
    /// The input ends inside the pcap file header.
    #[error("capture ends inside its {len}-byte file header")]
    TruncatedFileHeader {
        /// Bytes present.
        len: usize,
    },
    /// Reading the input failed.
    #[error("reading the capture: {0}")]
    Io(#[from] io::Error),
}

/// Reads a capture record by record.
#[derive(Debug)]
pub struct CaptureReader<S> {
    source: S,
    format: Format,
    /// Bytes of the record returned last, consumed on the next call so the
    /// returned packet can borrow the buffer.
    pending: usize,
}

#[derive(Debug)]
enum Format {
    Pcap(pcap::State),
    PcapNg(pcapng::State),
}

/// Which capture format `prefix` (the first bytes of an input) starts with.
pub fn detect(prefix: &[u8]) -> Option<CaptureFormat> {
    let magic: [u8; 4] = prefix.get(..4)?.try_into().ok()?;
    if pcap::State::magic(magic).is_some() {
        Some(CaptureFormat::Pcap)
    } else if magic == pcapng::SHB_MAGIC {
        Some(CaptureFormat::PcapNg)
    } else {
        None
    }
}

impl<'a> CaptureReader<SliceSource<'a>> {
    /// A reader over a capture held in memory.
    pub fn from_slice(data: &'a [u8]) -> Result<Self, CaptureError> {
        CaptureReader::new(SliceSource::new(data))
    }
}

impl<R: Read> CaptureReader<ReadSource<R>> {
    /// A reader over a capture streamed from `reader`.
    pub fn from_reader(reader: R) -> Result<Self, CaptureError> {
        CaptureReader::new(ReadSource::new(reader))
    }
}

impl<S: Source> CaptureReader<S> {
    /// A reader over `source`, which must start with a file header.
    pub fn new(mut source: S) -> Result<Self, CaptureError> {
        let prefix = source.fill(pcap::FILE_HEADER_LEN)?;
        let format = match detect(prefix) {
            Some(CaptureFormat::Pcap) => {
                let Some(header) = prefix.get(..pcap::FILE_HEADER_LEN) else {
                    return Err(CaptureError::TruncatedFileHeader { len: prefix.len() });
                };
                let state =
                    pcap::State::from_header(header).ok_or_else(|| CaptureError::NotACapture {
                        magic: prefix[..4].to_vec(),
                    })?;
                source.consume(pcap::FILE_HEADER_LEN);
                Format::Pcap(state)
            }
            Some(CaptureFormat::PcapNg) => Format::PcapNg(pcapng::State::default()),
            None => {
                return Err(CaptureError::NotACapture {
                    magic: prefix.iter().take(4).copied().collect(),
                });
            }
        };
        Ok(CaptureReader {
            source,
            format,
            pending: 0,
        })
    }

    /// The container format.
    pub fn format(&self) -> CaptureFormat {
        match self.format {
            Format::Pcap(_) => CaptureFormat::Pcap,
            Format::PcapNg(_) => CaptureFormat::PcapNg,
        }
    }

    /// Bytes of input consumed so far.
    pub fn offset(&self) -> u64 {
        self.source.offset() + self.pending as u64
    }

    /// The next packet or skipped record; `None` at the end of the capture.
    /// Only a failing reader is an error.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, CaptureError> {
        self.source.consume(std::mem::take(&mut self.pending));
        let step = match &mut self.format {
            Format::Pcap(state) => state.next(&mut self.source)?,
            Format::PcapNg(state) => state.next(&mut self.source)?,
        };
        Ok(match step {
            Step::End => None,
            Step::Skipped { reason, offset } => Some(Record::Skipped { reason, offset }),
            Step::Packet(meta) => {
                self.pending = meta.record_len;
                let buf = self.source.fill(meta.record_len)?;
                let data = buf
                    .get(meta.data_start..meta.data_start + meta.data_len)
                    .unwrap_or_default();
                Some(Record::Packet(Packet {
                    ts_ns: meta.ts_ns,
                    interface: meta.interface,
                    link: meta.link,
                    orig_len: meta.orig_len.max(data.len() as u32),
                    data,
                }))
            }
        })
    }
}

/// What a format's state machine found at the reader's position. Packets are
/// described by offsets so the borrow of the buffer is taken once, by the
/// reader, after the state machine is done with the source.
#[derive(Debug)]
enum Step {
    End,
    Skipped { reason: SkipReason, offset: u64 },
    Packet(PacketMeta),
}

#[derive(Debug)]
struct PacketMeta {
    /// Bytes from the reader's position to the end of the record; all of them
    /// are already buffered.
    record_len: usize,
    data_start: usize,
    data_len: usize,
    ts_ns: i64,
    interface: u32,
    link: LinkType,
    orig_len: u32,
}

/// Reads a `u16` at `at`, in the given byte order.
fn read_u16(buf: &[u8], at: usize, big_endian: bool) -> Option<u16> {
    let bytes: [u8; 2] = buf.get(at..at + 2)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

/// Reads a `u32` at `at`, in the given byte order.
fn read_u32(buf: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let bytes: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

/// How far a resynchronising reader looks ahead per refill.
const RESYNC_WINDOW: usize = 64 * 1024;
/// How much scanned-and-rejected input a resynchronising reader keeps buffered.
const RESYNC_KEEP: usize = 1 << 20;

/// The verdict on one candidate position while resynchronising.
enum Candidate {
    Yes,
    No,
    /// The check needs this many bytes from the reader's position.
    NeedMore(usize),
}

/// Scans forward from one byte past the reader's position for the first
/// offset `check` accepts, consumes up to it, and returns. With no candidate
/// left, consumes the rest of the input.
fn resync<S: Source>(
    source: &mut S,
    min_record: usize,
    mut check: impl FnMut(&[u8], usize, bool) -> Candidate,
) -> io::Result<()> {
    let mut at = 1;
    let mut want = RESYNC_WINDOW;
    loop {
        let buf = source.fill(want)?;
        let eof = buf.len() < want;
        let mut need = None;
        while at + min_record <= buf.len() {
            match check(buf, at, eof) {
                Candidate::Yes => {
                    source.consume(at);
                    return Ok(());
                }
                Candidate::NeedMore(n) if !eof => {
                    need = Some(n);
                    break;
                }
                Candidate::No | Candidate::NeedMore(_) => at += 1,
            }
        }
        if eof {
            let len = buf.len();
            source.consume(len);
            return Ok(());
        }
        let mut next_want = need.unwrap_or(0).max(at + RESYNC_WINDOW);
        if at > RESYNC_KEEP {
            source.consume(at);
            next_want -= at;
            at = 0;
        }
        want = next_want;
    }
}
