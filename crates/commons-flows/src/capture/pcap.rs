//! The libpcap file format: a 24-byte file header, then 16-byte record
//! headers each followed by the captured bytes.

use std::io;

use super::{Candidate, LinkType, PacketMeta, Source, Step, read_u32, resync};
use crate::summary::SkipReason;

pub(super) const FILE_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
/// libpcap's own bound on a record (MAXIMUM_SNAPLEN); larger snapshot lengths
/// in the file header raise it.
const MAX_RECORD: u32 = 262_144;
/// No record, whatever the header says, is believed beyond this.
const HARD_MAX_RECORD: u32 = 16 << 20;

#[derive(Debug)]
pub(super) struct State {
    big_endian: bool,
    nanos: bool,
    link: LinkType,
    max_record: u32,
    /// Seconds field of the last good record, to judge candidates when resynchronising.
    last_sec: Option<u32>,
}

/// The record header fields, decoded.
#[derive(Debug, Clone, Copy)]
struct Header {
    sec: u32,
    frac: u32,
    incl_len: u32,
    orig_len: u32,
}

impl State {
    /// (big endian, nanosecond) for a pcap magic number.
    pub(super) fn magic(magic: [u8; 4]) -> Option<(bool, bool)> {
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => Some((false, false)),
            [0xa1, 0xb2, 0xc3, 0xd4] => Some((true, false)),
            [0x4d, 0x3c, 0xb2, 0xa1] => Some((false, true)),
            [0xa1, 0xb2, 0x3c, 0x4d] => Some((true, true)),
            _ => None,
        }
    }

    pub(super) fn from_header(header: &[u8]) -> Option<State> {
        let (big_endian, nanos) = State::magic(header.get(..4)?.try_into().ok()?)?;
        let snaplen = read_u32(header, 16, big_endian)?;
        // The upper bits of the link type field carry FCS information.
        let link = (read_u32(header, 20, big_endian)? & 0xffff) as u16;
        Some(State {
            big_endian,
            nanos,
            link: LinkType(link),
            max_record: snaplen.clamp(MAX_RECORD, HARD_MAX_RECORD),
            last_sec: None,
        })
    }

    fn header(&self, buf: &[u8], at: usize) -> Option<Header> {
        Some(Header {
            sec: read_u32(buf, at, self.big_endian)?,
            frac: read_u32(buf, at + 4, self.big_endian)?,
            incl_len: read_u32(buf, at + 8, self.big_endian)?,
            orig_len: read_u32(buf, at + 12, self.big_endian)?,
        })
    }

    /// Whether a header could start a record at all.
    fn usable(&self, header: Header) -> bool {
        header.incl_len <= self.max_record
    }

    /// The stricter test for a header found while resynchronising, where a
    /// random byte pattern must not pass for a record.
    fn plausible(&self, header: Header) -> bool {
        let frac_limit = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let near_last = self.last_sec.is_none_or(|last| {
            header.sec >= last.saturating_sub(86_400)
                && header.sec <= last.saturating_add(366 * 86_400)
        });
        self.usable(header)
            && header.incl_len <= header.orig_len
            && header.orig_len <= HARD_MAX_RECORD
            && header.frac < frac_limit
            && near_last
    }

    fn ts_ns(&self, header: Header) -> i64 {
        let frac_ns = if self.nanos {
            i64::from(header.frac)
        } else {
            i64::from(header.frac) * 1_000
        };
        i64::from(header.sec) * 1_000_000_000 + frac_ns
    }

    pub(super) fn next<S: Source>(&mut self, source: &mut S) -> io::Result<Step> {
        let offset = source.offset();
        let buf = source.fill(RECORD_HEADER_LEN)?;
        if buf.is_empty() {
            return Ok(Step::End);
        }
        let Some(header) = self.header(buf, 0) else {
            let len = buf.len();
            source.consume(len);
            return Ok(Step::Skipped {
                reason: SkipReason::TruncatedRecord,
                offset,
            });
        };
        if !self.usable(header) {
            self.resync(source)?;
            return Ok(Step::Skipped {
                reason: SkipReason::CorruptRecord,
                offset,
            });
        }
        let record_len = RECORD_HEADER_LEN + header.incl_len as usize;
        let buf = source.fill(record_len)?;
        if buf.len() < record_len {
            let len = buf.len();
            source.consume(len);
            return Ok(Step::Skipped {
                reason: SkipReason::TruncatedRecord,
                offset,
            });
        }
        self.last_sec = Some(header.sec);
        Ok(Step::Packet(PacketMeta {
            record_len,
            data_start: RECORD_HEADER_LEN,
            data_len: header.incl_len as usize,
            ts_ns: self.ts_ns(header),
            interface: 0,
            link: self.link,
            orig_len: header.orig_len,
        }))
    }

    /// Skips to the next offset where a plausible record header is followed
    /// by another one (or by the exact end of the input).
    fn resync<S: Source>(&self, source: &mut S) -> io::Result<()> {
        resync(source, RECORD_HEADER_LEN, |buf, at, eof| {
            let Some(header) = self.header(buf, at).filter(|it| self.plausible(*it)) else {
                return Candidate::No;
            };
            let next = at + RECORD_HEADER_LEN + header.incl_len as usize;
            if next == buf.len() && eof {
                return Candidate::Yes;
            }
            match self.header(buf, next) {
                Some(following) if self.plausible(following) => Candidate::Yes,
                Some(_) => Candidate::No,
                None if eof => Candidate::No,
                None => Candidate::NeedMore(next + RECORD_HEADER_LEN),
            }
        })
    }
}
