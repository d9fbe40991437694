//! The pcapng format: sections (SHB) declaring interfaces (IDB), each with
//! its own link type and timestamp resolution, and packets in Enhanced (EPB),
//! Simple (SPB) and obsolete (PB) packet blocks. Other blocks are skipped.

use std::io;

use super::{Candidate, LinkType, PacketMeta, Source, Step, read_u16, read_u32, resync};
use crate::summary::SkipReason;

/// The Section Header Block type, the same in both byte orders.
pub(super) const SHB_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const NRB: u32 = 4;
const ISB: u32 = 5;
const EPB: u32 = 6;
const DSB: u32 = 10;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// Type, length, and trailing length.
const MIN_BLOCK: usize = 12;
/// No block, whatever it says, is believed beyond this.
const MAX_BLOCK: u32 = 16 << 20;
const OPT_END: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

#[derive(Debug, Default)]
pub(super) struct State {
    big_endian: bool,
    interfaces: Vec<Interface>,
}

/// The fields of a packet block, offsets relative to the block body.
#[derive(Debug, Clone, Copy)]
struct PacketBlock {
    /// Where the block starts in the input.
    offset: u64,
    block_len: usize,
    interface_id: u32,
    /// Timestamp (high, low words); Simple Packet Blocks have none.
    ts: Option<(u32, u32)>,
    data_start: usize,
    data_len: usize,
    orig_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    resolution: Resolution,
    offset_s: i64,
}

/// Timestamp units per second: 10^n or 2^n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Pow10(u8),
    Pow2(u8),
}

impl Resolution {
    fn from_option(value: u8) -> Resolution {
        if value & 0x80 == 0 {
            Resolution::Pow10(value)
        } else {
            Resolution::Pow2(value & 0x7f)
        }
    }

    fn to_ns(self, ts: u64) -> i128 {
        let ts = i128::from(ts);
        match self {
            Resolution::Pow10(n) if n <= 9 => ts * 10i128.pow(u32::from(9 - n)),
            Resolution::Pow10(n) => ts / 10i128.pow(u32::from(n.min(38) - 9)),
            Resolution::Pow2(n) => (ts * 1_000_000_000) >> n.min(126),
        }
    }
}

impl Interface {
    fn ts_ns(&self, high: u32, low: u32) -> i64 {
        let ts = (u64::from(high) << 32) | u64::from(low);
        let ns = self.resolution.to_ns(ts) + i128::from(self.offset_s) * 1_000_000_000;
        ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

impl State {
    pub(super) fn next<S: Source>(&mut self, source: &mut S) -> io::Result<Step> {
        loop {
            let offset = source.offset();
            let buf = source.fill(MIN_BLOCK)?;
            if buf.is_empty() {
                return Ok(Step::End);
            }
            if buf.len() < MIN_BLOCK {
                let len = buf.len();
                source.consume(len);
                return Ok(Step::Skipped {
                    reason: SkipReason::TruncatedRecord,
                    offset,
                });
            }
            let Some((block_type, block_len)) = self.block_header(buf, 0) else {
                self.resync(source)?;
                return Ok(Step::Skipped {
                    reason: SkipReason::CorruptRecord,
                    offset,
                });
            };
            let buf = source.fill(block_len)?;
            if buf.len() < block_len {
                let len = buf.len();
                source.consume(len);
                return Ok(Step::Skipped {
                    reason: SkipReason::TruncatedRecord,
                    offset,
                });
            }
            if read_u32(buf, block_len - 4, self.big_endian) != Some(block_len as u32) {
                self.resync(source)?;
                return Ok(Step::Skipped {
                    reason: SkipReason::CorruptRecord,
                    offset,
                });
            }
            let body = &buf[8..block_len - 4];
            let step = match block_type {
                SHB => {
                    self.interfaces.clear();
                    None
                }
                IDB => {
                    self.interfaces.push(self.interface(body));
                    None
                }
                EPB => Some(self.timestamped(body, block_len, offset, true)),
                PB => Some(self.timestamped(body, block_len, offset, false)),
                SPB => Some(self.simple(body, block_len, offset)),
                _ => None,
            };
            match step {
                Some(step) => {
                    if !matches!(step, Step::Packet(_)) {
                        source.consume(block_len);
                    }
                    return Ok(step);
                }
                None => source.consume(block_len),
            }
        }
    }

    /// The type and total length of the block at `at`, if they are
    /// consistent. A Section Header Block sets the byte order first.
    fn block_header(&mut self, buf: &[u8], at: usize) -> Option<(u32, usize)> {
        let block_type = read_u32(buf, at, self.big_endian)?;
        if block_type == SHB {
            self.big_endian = match read_u32(buf, at + 8, false)? {
                BYTE_ORDER_MAGIC => false,
                it if it.swap_bytes() == BYTE_ORDER_MAGIC => true,
                _ => return None,
            };
        }
        let block_len = read_u32(buf, at + 4, self.big_endian)?;
        let well_formed = block_len as usize >= MIN_BLOCK
            && block_len % 4 == 0
            && block_len <= MAX_BLOCK
            && (block_type != SHB || block_len >= 28);
        well_formed.then_some((block_type, block_len as usize))
    }

    fn interface(&self, body: &[u8]) -> Interface {
        let big = self.big_endian;
        let mut interface = Interface {
            link: LinkType(read_u16(body, 0, big).unwrap_or(u16::MAX)),
            snaplen: read_u32(body, 4, big).unwrap_or(0),
            resolution: Resolution::Pow10(6),
            offset_s: 0,
        };
        let mut at = 8;
        while let (Some(code), Some(len)) = (read_u16(body, at, big), read_u16(body, at + 2, big)) {
            let Some(value) = body.get(at + 4..at + 4 + len as usize) else {
                break;
            };
            match code {
                OPT_END => break,
                IF_TSRESOL => {
                    if let Some(&resolution) = value.first() {
                        interface.resolution = Resolution::from_option(resolution);
                    }
                }
                IF_TSOFFSET => {
                    if let Ok(bytes) = <[u8; 8]>::try_from(value) {
                        interface.offset_s = if big {
                            i64::from_be_bytes(bytes)
                        } else {
                            i64::from_le_bytes(bytes)
                        };
                    }
                }
                _ => {}
            }
            at += 4 + (len as usize).next_multiple_of(4);
        }
        interface
    }

    /// A packet block whose fields the caller decoded.
    fn packet(&self, block: PacketBlock, body_len: usize) -> Step {
        let Some(interface) = self.interfaces.get(block.interface_id as usize) else {
            return Step::Skipped {
                reason: SkipReason::UnknownInterface,
                offset: block.offset,
            };
        };
        if block.data_start + block.data_len > body_len {
            return Step::Skipped {
                reason: SkipReason::CorruptRecord,
                offset: block.offset,
            };
        }
        Step::Packet(PacketMeta {
            record_len: block.block_len,
            data_start: 8 + block.data_start,
            data_len: block.data_len,
            ts_ns: block.ts.map_or(0, |(high, low)| interface.ts_ns(high, low)),
            interface: block.interface_id,
            link: interface.link,
            orig_len: block.orig_len,
        })
    }

    /// An Enhanced Packet Block (32-bit interface id) or the obsolete Packet
    /// Block (16-bit interface id and a 16-bit drop count): both then carry a
    /// timestamp, the captured and original lengths, and the data.
    fn timestamped(&self, body: &[u8], block_len: usize, offset: u64, wide_id: bool) -> Step {
        let big = self.big_endian;
        let interface_id = if wide_id {
            read_u32(body, 0, big)
        } else {
            read_u16(body, 0, big).map(u32::from)
        };
        let fields = (|| {
            Some((
                interface_id?,
                read_u32(body, 4, big)?,
                read_u32(body, 8, big)?,
                read_u32(body, 12, big)?,
                read_u32(body, 16, big)?,
            ))
        })();
        let Some((interface_id, high, low, captured, orig_len)) = fields else {
            return Step::Skipped {
                reason: SkipReason::CorruptRecord,
                offset,
            };
        };
        let block = PacketBlock {
            offset,
            block_len,
            interface_id,
            ts: Some((high, low)),
            data_start: 20,
            data_len: captured as usize,
            orig_len,
        };
        self.packet(block, body.len())
    }

    /// A Simple Packet Block: interface 0, no timestamp, the captured length
    /// implied by the block length and the interface's snapshot length.
    fn simple(&self, body: &[u8], block_len: usize, offset: u64) -> Step {
        let Some(orig_len) = read_u32(body, 0, self.big_endian) else {
            return Step::Skipped {
                reason: SkipReason::CorruptRecord,
                offset,
            };
        };
        let snaplen = self.interfaces.first().map_or(u32::MAX, |it| {
            if it.snaplen == 0 {
                u32::MAX
            } else {
                it.snaplen
            }
        });
        let captured = (body.len() - 4)
            .min(orig_len as usize)
            .min(snaplen as usize);
        let block = PacketBlock {
            offset,
            block_len,
            interface_id: 0,
            ts: None,
            data_start: 4,
            data_len: captured,
            orig_len,
        };
        self.packet(block, body.len())
    }

    /// Skips to the next offset holding a known block type whose trailing
    /// length repeats its leading one.
    fn resync<S: Source>(&mut self, source: &mut S) -> io::Result<()> {
        let saved = self.big_endian;
        let result = resync(source, MIN_BLOCK, |buf, at, eof| {
            self.big_endian = saved;
            let Some((block_type, block_len)) = self.block_header(buf, at) else {
                return Candidate::No;
            };
            if !matches!(block_type, SHB | IDB | PB | SPB | NRB | ISB | EPB | DSB) {
                return Candidate::No;
            }
            match read_u32(buf, at + block_len - 4, self.big_endian) {
                Some(trailer) if trailer == block_len as u32 => Candidate::Yes,
                Some(_) => Candidate::No,
                None if eof => Candidate::No,
                None => Candidate::NeedMore(at + block_len),
            }
        });
        // The byte order stays the section's unless the block found is a new section.
        self.big_endian = saved;
        result
    }
}
