//! Flow records from exporters and SIEMs: CSV with a header line, or one
//! JSON object per line. Each record becomes one flow event.
//!
//! Accepted columns (JSON keys), matched case-insensitively; the first name
//! is the canonical one, the others are aliases used by common exporters
//! (Zeek, nfdump, nProbe, Argus, AWS VPC, Suricata). Unknown columns are ignored.
//!
//! | Column | Aliases | Value |
//! |---|---|---|
//! | `src_ip` (required) | `srcaddr`, `src_addr`, `saddr`, `src`, `source_ip`, `sa`, `id.orig_h`, `ipv4_src_addr`, `ipv6_src_addr`, `src_ip_addr` | IPv4 or IPv6 address of the originator |
//! | `dst_ip` (required) | `dstaddr`, `dst_addr`, `daddr`, `dst`, `dest_ip`, `destination_ip`, `da`, `id.resp_h`, `ipv4_dst_addr`, `ipv6_dst_addr`, `dst_ip_addr` | responder address |
//! | `src_port` | `srcport`, `sport`, `sp`, `source_port`, `id.orig_p`, `l4_src_port` | integer |
//! | `dst_port` | `dstport`, `dport`, `dp`, `dest_port`, `destination_port`, `id.resp_p`, `l4_dst_port` | integer |
//! | `proto` | `protocol`, `pr`, `ip_proto`, `proto_name` | number (6) or name (`tcp`, `udp`, `icmp`, `icmpv6`, …) |
//! | `start` | `ts`, `first_seen`, `start_time`, `stime`, `flow_start`, `timestamp`, `ts_start`, `StartTime` | time (below) |
//! | `end` | `last_seen`, `end_time`, `etime`, `te`, `flow_end`, `ts_end`, `LastTime` | time |
//! | `duration` | `dur`, `td` | seconds (decimal); sets `end` from `start` when `end` is absent |
//! | `orig_bytes` | `src_bytes`, `sbytes`, `bytes_toserver`, `in_bytes`, `orig_ip_bytes`, `SrcBytes` | bytes originator → responder |
//! | `resp_bytes` | `dst_bytes`, `dbytes`, `bytes_toclient`, `out_bytes`, `resp_ip_bytes`, `DstBytes` | bytes responder → originator |
//! | `orig_pkts` | `src_pkts`, `src_packets`, `spkts`, `pkts_toserver`, `in_pkts`, `SrcPkts` | packets originator → responder |
//! | `resp_pkts` | `dst_pkts`, `dst_packets`, `dpkts`, `pkts_toclient`, `out_pkts`, `DstPkts` | packets responder → originator |
//! | `bytes` | `octets`, `ibyt`, `TotBytes` | total bytes, when the record has no per-direction counts (counted as the originator's) |
//! | `packets` | `pkts`, `ipkt`, `TotPkts` | total packets, likewise |
//!
//! A time is seconds since the epoch (integer or decimal), or an integer in
//! milliseconds, microseconds or nanoseconds told apart by magnitude (see
//! `parse_time`), or RFC 3339 text. In CSV, fields may be quoted (RFC 4180).
//! In JSON, numbers may also be written as strings.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::event::{Direction, Event, FiveTuple, Flow, ICMP, ICMPV6};
use crate::json;
use crate::scan::{LineResult, Sink};
use crate::summary::SkipReason;
use crate::text;

/// The columns this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    SrcIp,
    DstIp,
    SrcPort,
    DstPort,
    Proto,
    Start,
    End,
    Duration,
    OrigBytes,
    RespBytes,
    OrigPkts,
    RespPkts,
    Bytes,
    Packets,
}

impl Column {
    fn from_exact(name: &[u8]) -> Option<Column> {
        Some(match name {
            b"src_ip" | b"srcaddr" | b"src_addr" | b"saddr" | b"src" | b"source_ip" | b"sa"
            | b"id.orig_h" | b"ipv4_src_addr" | b"ipv6_src_addr" | b"src_ip_addr" => Column::SrcIp,
            b"dst_ip" | b"dstaddr" | b"dst_addr" | b"daddr" | b"dst" | b"dest_ip"
            | b"destination_ip" | b"da" | b"id.resp_h" | b"ipv4_dst_addr" | b"ipv6_dst_addr"
            | b"dst_ip_addr" => Column::DstIp,
            b"src_port" | b"srcport" | b"sport" | b"sp" | b"source_port" | b"id.orig_p"
            | b"l4_src_port" => Column::SrcPort,
            b"dst_port" | b"dstport" | b"dport" | b"dp" | b"dest_port" | b"destination_port"
            | b"id.resp_p" | b"l4_dst_port" => Column::DstPort,
            b"proto" | b"protocol" | b"pr" | b"ip_proto" | b"proto_name" => Column::Proto,
            b"start" | b"ts" | b"first_seen" | b"start_time" | b"stime" | b"flow_start"
            | b"timestamp" | b"ts_start" | b"starttime" => Column::Start,
            b"end" | b"last_seen" | b"end_time" | b"etime" | b"te" | b"flow_end" | b"ts_end"
            | b"lasttime" => Column::End,
            b"duration" | b"dur" | b"td" => Column::Duration,
            b"orig_bytes" | b"src_bytes" | b"sbytes" | b"bytes_toserver" | b"in_bytes"
            | b"orig_ip_bytes" | b"srcbytes" => Column::OrigBytes,
            b"resp_bytes" | b"dst_bytes" | b"dbytes" | b"bytes_toclient" | b"out_bytes"
            | b"resp_ip_bytes" | b"dstbytes" => Column::RespBytes,
            b"orig_pkts" | b"src_pkts" | b"src_packets" | b"spkts" | b"pkts_toserver"
            | b"in_pkts" | b"srcpkts" => Column::OrigPkts,
            b"resp_pkts" | b"dst_pkts" | b"dst_packets" | b"dpkts" | b"pkts_toclient"
            | b"out_pkts" | b"dstpkts" => Column::RespPkts,
            b"bytes" | b"octets" | b"ibyt" | b"totbytes" => Column::Bytes,
            b"packets" | b"pkts" | b"ipkt" | b"totpkts" => Column::Packets,
            _ => return None,
        })
    }

    /// The column a header name or JSON key stands for.
    pub(crate) fn from_name(name: &[u8]) -> Option<Column> {
        if let Some(column) = Column::from_exact(name) {
            return Some(column);
        }
        let mut lower = [0u8; 32];
        let lower = lower.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        Column::from_exact(lower.trim_ascii())
    }
}

/// A record's fields as they are read, before the flow is assembled.
#[derive(Debug, Default)]
struct Partial {
    src: Option<Address>,
    dst: Option<Address>,
    src_port: u16,
    dst_port: u16,
    proto: u8,
    start: Option<i64>,
    end: Option<i64>,
    duration: Option<i64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
    orig_pkts: Option<u64>,
    resp_pkts: Option<u64>,
    bytes: Option<u64>,
    packets: Option<u64>,
}

/// An address as a record is read: an aligned word rather than `IpAddr`,
/// whose odd layout makes the stores of a hot loop stall.
#[derive(Debug, Clone, Copy)]
enum Address {
    V4(u32),
    V6(u128),
}

impl Address {
    fn parse(text: &[u8]) -> Option<Address> {
        match text::parse_ipv4(text) {
            Some(v4) => Some(Address::V4(v4)),
            None => match text::parse_ip(text)? {
                IpAddr::V4(v4) => Some(Address::V4(v4.to_bits())),
                IpAddr::V6(v6) => Some(Address::V6(v6.to_bits())),
            },
        }
    }

    fn ip(self) -> IpAddr {
        match self {
            Address::V4(v4) => IpAddr::V4(Ipv4Addr::from_bits(v4)),
            Address::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6)),
        }
    }
}

impl Partial {
    fn set(&mut self, column: Column, value: &[u8]) -> Result<(), SkipReason> {
        let value = match value {
            [first, .., last] if !first.is_ascii_whitespace() && !last.is_ascii_whitespace() => {
                value
            }
            _ => value.trim_ascii(),
        };
        if value.is_empty() || value == b"-" {
            return Ok(());
        }
        let bad = SkipReason::BadValue;
        match column {
            Column::SrcIp => self.src = Some(Address::parse(value).ok_or(bad)?),
            Column::DstIp => self.dst = Some(Address::parse(value).ok_or(bad)?),
            Column::SrcPort => self.src_port = text::parse_port(value).ok_or(bad)?,
            Column::DstPort => self.dst_port = text::parse_port(value).ok_or(bad)?,
            Column::Proto => self.proto = text::parse_proto(value).ok_or(bad)?,
            Column::Start => self.start = Some(text::parse_time(value).ok_or(bad)?),
            Column::End => self.end = Some(text::parse_time(value).ok_or(bad)?),
            Column::Duration => {
                self.duration = Some(text::parse_epoch_seconds(value).ok_or(bad)?);
            }
            Column::OrigBytes => self.orig_bytes = Some(text::parse_count(value).ok_or(bad)?),
            Column::RespBytes => self.resp_bytes = Some(text::parse_count(value).ok_or(bad)?),
            Column::OrigPkts => self.orig_pkts = Some(text::parse_count(value).ok_or(bad)?),
            Column::RespPkts => self.resp_pkts = Some(text::parse_count(value).ok_or(bad)?),
            Column::Bytes => self.bytes = Some(text::parse_count(value).ok_or(bad)?),
            Column::Packets => self.packets = Some(text::parse_count(value).ok_or(bad)?),
        }
        Ok(())
    }

    /// Reads the plain form of a value at the start of `rest` (see
    /// `text::lead_u64` and friends) and returns its length; `None` when
    /// the value is not in plain form and `set` must judge it. Inlined into
    /// the loop over a line's fields, which otherwise paid a call (and six
    /// saved registers) per field.
    #[inline(always)]
    fn set_lead(&mut self, column: Column, rest: &[u8]) -> Option<usize> {
        Some(match column {
            Column::SrcIp | Column::DstIp => {
                let (address, len) = text::lead_ipv4(rest)?;
                let address = Some(Address::V4(address));
                if column == Column::SrcIp {
                    self.src = address;
                } else {
                    self.dst = address;
                }
                len
            }
            Column::Proto if rest.first().is_some_and(u8::is_ascii_alphabetic) => {
                let len = rest
                    .iter()
                    .position(|it| !it.is_ascii_alphanumeric() && *it != b'-')
                    .unwrap_or(rest.len());
                self.proto = text::parse_proto(&rest[..len])?;
                len
            }
            Column::SrcPort | Column::DstPort | Column::Proto => {
                let (value, len) = text::lead_u64(rest)?;
                match column {
                    Column::SrcPort => self.src_port = u16::try_from(value).ok()?,
                    Column::DstPort => self.dst_port = u16::try_from(value).ok()?,
                    _ => self.proto = u8::try_from(value).ok()?,
                }
                len
            }
            Column::Start | Column::End => {
                let (ns, len) = text::lead_time(rest)?;
                if column == Column::Start {
                    self.start = Some(ns);
                } else {
                    self.end = Some(ns);
                }
                len
            }
            Column::Duration => {
                let (whole, nanos, _, len) = text::lead_decimal(rest)?;
                let ns = i64::try_from(whole).ok()?.checked_mul(1_000_000_000)?;
                self.duration = Some(ns + nanos);
                len
            }
            Column::OrigBytes
            | Column::RespBytes
            | Column::OrigPkts
            | Column::RespPkts
            | Column::Bytes
            | Column::Packets => {
                let (value, len) = text::lead_u64(rest)?;
                let slot = match column {
                    Column::OrigBytes => &mut self.orig_bytes,
                    Column::RespBytes => &mut self.resp_bytes,
                    Column::OrigPkts => &mut self.orig_pkts,
                    Column::RespPkts => &mut self.resp_pkts,
                    Column::Bytes => &mut self.bytes,
                    _ => &mut self.packets,
                };
                *slot = Some(value);
                len
            }
        })
    }

    fn flow(self) -> Result<Flow, SkipReason> {
        let (Some(src), Some(dst)) = (self.src, self.dst) else {
            return Err(SkipReason::MissingField);
        };
        let (src, dst) = (src.ip(), dst.ip());
        let proto = match self.proto {
            ICMP if src.is_ipv6() => ICMPV6,
            proto => proto,
        };
        let first_seen_ns = self.start.or(self.end).unwrap_or(0);
        let last_seen_ns = self
            .end
            .or_else(|| Some(first_seen_ns.saturating_add(self.duration?.max(0))))
            .unwrap_or(first_seen_ns);
        Ok(Flow {
            tuple: FiveTuple {
                proto,
                src,
                src_port: self.src_port,
                dst,
                dst_port: self.dst_port,
            },
            first_seen_ns,
            last_seen_ns,
            orig: Direction {
                packets: self.orig_pkts.or(self.packets).unwrap_or(0),
                bytes: self.orig_bytes.or(self.bytes).unwrap_or(0),
            },
            resp: Direction {
                packets: self.resp_pkts.unwrap_or(0),
                bytes: self.resp_bytes.unwrap_or(0),
            },
        })
    }
}

/// A CSV header: which column each position holds.
#[derive(Debug, Clone)]
pub(crate) struct CsvHeader {
    columns: Vec<Option<Column>>,
}

impl CsvHeader {
    pub(crate) fn parse(line: &[u8]) -> CsvHeader {
        let mut columns = Vec::new();
        for_each_csv_field(line, |_, field| {
            let field = field.trim_ascii();
            columns.push(Column::from_name(field.strip_prefix(b"#").unwrap_or(field)));
        });
        CsvHeader { columns }
    }
}

/// Calls `field` with each field's index and (unquoted) value; returns the
/// number of fields.
fn for_each_csv_field(line: &[u8], mut field: impl FnMut(usize, Cow<'_, [u8]>)) -> usize {
    // RFC 4180: quoted fields may hold commas and doubled quotes.
    let mut count = 0;
    let mut pos = 0;
    loop {
        let rest = &line[pos..];
        if rest.first() == Some(&b'"') {
            let mut value = Vec::new();
            let mut at = 1;
            while at < rest.len() {
                match (rest[at], rest.get(at + 1)) {
                    (b'"', Some(b'"')) => {
                        value.push(b'"');
                        at += 2;
                    }
                    (b'"', _) => {
                        at += 1;
                        break;
                    }
                    (byte, _) => {
                        value.push(byte);
                        at += 1;
                    }
                }
            }
            field(count, Cow::Owned(value));
            count += 1;
            match memchr::memchr(b',', &rest[at.min(rest.len())..]) {
                Some(comma) => pos += at + comma + 1,
                None => return count,
            }
        } else {
            let end = memchr::memchr(b',', rest).unwrap_or(rest.len());
            field(count, Cow::Borrowed(&rest[..end]));
            count += 1;
            if end == rest.len() {
                return count;
            }
            pos += end + 1;
        }
    }
}

/// Emits the flow of a CSV line once its fields are read: `count` fields
/// were found, `result` holds the last field's problem if any.
fn finish_csv<F: FnMut(Event)>(
    header: &CsvHeader,
    count: usize,
    result: Result<(), SkipReason>,
    partial: Partial,
    sink: &mut Sink<F>,
) -> LineResult {
    if count != header.columns.len() {
        return Err(SkipReason::GarbageLine);
    }
    result?;
    sink.event(Event::Flow(partial.flow()?));
    Ok(())
}

/// A CSV line with quoted fields, read field by field by the general reader.
fn quoted_csv_line<F: FnMut(Event)>(
    header: &CsvHeader,
    line: &[u8],
    sink: &mut Sink<F>,
) -> LineResult {
    let mut partial = Partial::default();
    let mut result = Ok(());
    let count = for_each_csv_field(line, |index, value| {
        if let Some(Some(column)) = header.columns.get(index)
            && let Err(reason) = partial.set(*column, &value)
        {
            result = Err(reason);
        }
    });
    finish_csv(header, count, result, partial, sink)
}

/// One data line of a CSV flow log.
pub(crate) fn csv_line<F: FnMut(Event)>(
    header: &CsvHeader,
    line: &[u8],
    sink: &mut Sink<F>,
) -> LineResult {
    let mut partial = Partial::default();
    let mut result = Ok(());
    let mut count = 0;
    let mut rest = line;
    loop {
        if rest.first() == Some(&b'"') {
            // Quoted fields: the general reader takes the whole line.
            return quoted_csv_line(header, line, sink);
        }
        let column = header.columns.get(count).copied().flatten();
        let lead = column
            .and_then(|column| partial.set_lead(column, rest))
            .filter(|&len| matches!(rest.get(len), None | Some(b',')));
        let end = match lead {
            Some(len) => len,
            None => {
                let end = rest.iter().position(|&it| it == b',').unwrap_or(rest.len());
                if let Some(column) = column
                    && let Err(reason) = partial.set(column, &rest[..end])
                {
                    result = Err(reason);
                }
                end
            }
        };
        count += 1;
        match rest.get(end + 1..) {
            Some(next) => rest = next,
            None => break,
        }
    }
    finish_csv(header, count, result, partial, sink)
}

/// The shape of the last JSON line: its keys in order, with their columns.
/// Exporters write every line with the same keys in the same order, so a
/// line is first read against that shape: each key is compared as bytes
/// and each value read by the one-pass readers, without tokenising. Any
/// difference (another key, whitespace, an escape, a nested value, a value
/// not in plain form) sends the line to the general reader, which also
/// learns its shape for the next lines.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    /// Each key, its column, and the bytes that introduce its value in a
    /// compact line: `,"key":` (the comma is left out for the first key).
    keys: Vec<(Vec<u8>, Option<Column>, Token)>,
    /// Whether `keys` is the whole shape of a line read without problems.
    complete: bool,
}

/// The bytes that introduce a value, with their first 16 bytes as one word:
/// most keys fit, so a line's key is checked with one load and compare
/// rather than a call to `memcmp`.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    text: Vec<u8>,
    word: u128,
    mask: u128,
}

impl Token {
    pub(crate) fn new(text: Vec<u8>) -> Token {
        let n = text.len().min(16);
        let mut head = [0u8; 16];
        head[..n].copy_from_slice(&text[..n]);
        let mask = if n == 16 {
            u128::MAX
        } else {
            (1u128 << (8 * n)) - 1
        };
        Token {
            word: u128::from_le_bytes(head),
            mask,
            text,
        }
    }

    /// `rest` after the token, if it starts with it.
    #[inline]
    pub(crate) fn strip<'a>(&self, rest: &'a [u8]) -> Option<&'a [u8]> {
        if self.text.len() <= 16
            && let Some(head) = rest.first_chunk::<16>()
        {
            let word = u128::from_le_bytes(*head);
            return (word & self.mask == self.word).then(|| &rest[self.text.len()..]);
        }
        rest.strip_prefix(self.text.as_slice())
    }
}

/// Objects with more members than this are not learnt as a shape.
const MAX_SHAPE: usize = 64;

impl KeyCache {
    fn column(&mut self, position: usize, key: &[u8]) -> Option<Column> {
        let entry = |key: &[u8]| {
            let mut token = Vec::with_capacity(key.len() + 4);
            if position > 0 {
                token.push(b',');
            }
            token.push(b'"');
            token.extend_from_slice(key);
            token.extend_from_slice(b"\":");
            (key.to_vec(), Column::from_name(key), Token::new(token))
        };
        match self.keys.get_mut(position) {
            Some((cached, column, _)) if cached.as_slice() == key => *column,
            Some(slot) => {
                *slot = entry(key);
                slot.1
            }
            None => {
                let new = entry(key);
                let column = new.1;
                if position == self.keys.len() && position < MAX_SHAPE {
                    self.keys.push(new);
                }
                column
            }
        }
    }

    /// Reads a line of the learnt shape; `None` if it is not of that shape
    /// or has a value the fast readers do not take.
    fn read_shaped(&self, line: &[u8]) -> Option<Partial> {
        let spaces = |rest: &[u8]| -> usize { rest.iter().take_while(|it| **it == b' ').count() };
        let mut partial = Partial::default();
        let mut rest = line.strip_prefix(b"{")?;
        for (index, (key, column, token)) in self.keys.iter().enumerate() {
            // Compact lines (no spaces) match the whole token at once.
            if let Some(after) = token.strip(rest) {
                rest = after;
            } else {
                if index > 0 {
                    rest = rest.strip_prefix(b",")?;
                }
                rest = &rest[spaces(rest)..];
                rest = rest
                    .strip_prefix(b"\"")?
                    .strip_prefix(key.as_slice())?
                    .strip_prefix(b"\":")?;
            }
            rest = &rest[spaces(rest)..];
            let quoted = rest.first() == Some(&b'"');
            let value = if quoted { &rest[1..] } else { rest };
            let len = match column {
                Some(column) => partial.set_lead(*column, value)?,
                None => plain_value_len(value, quoted)?,
            };
            rest = &value[len..];
            if quoted {
                rest = rest.strip_prefix(b"\"")?;
            }
            rest = &rest[spaces(rest)..];
            if !matches!(rest.first(), Some(b',' | b'}')) {
                return None;
            }
        }
        rest = rest.strip_prefix(b"}")?;
        rest.trim_ascii().is_empty().then_some(partial)
    }
}

/// The length of a string's contents (without escapes) or of a number or
/// literal; `None` for anything else.
fn plain_value_len(value: &[u8], quoted: bool) -> Option<usize> {
    if quoted {
        let end = memchr::memchr2(b'"', b'\\', value)?;
        return (value[end] == b'"').then_some(end);
    }
    let end = value
        .iter()
        .position(|it| matches!(it, b',' | b'}' | b'"' | b'{' | b'[' | b' '))?;
    (end > 0 && matches!(value[end], b',' | b'}' | b' ')).then_some(end)
}

/// One line of a JSON-lines flow log.
pub(crate) fn json_line<F: FnMut(Event)>(
    keys: &mut KeyCache,
    line: &[u8],
    sink: &mut Sink<F>,
) -> LineResult {
    if keys.complete
        && let Some(partial) = keys.read_shaped(line)
        && let Ok(flow) = partial.flow()
    {
        sink.event(Event::Flow(flow));
        return Ok(());
    }
    let mut partial = Partial::default();
    let mut result = Ok(());
    let mut position = 0;
    let mut plain_keys = true;
    let parsed = json::for_each_member(line, |key, value| {
        let column = match key.raw() {
            Some(raw) => keys.column(position, raw),
            None => {
                plain_keys = false;
                key.bytes().as_deref().and_then(Column::from_name)
            }
        };
        position += 1;
        let Some(column) = column else {
            return;
        };
        let outcome = match value {
            json::Value::Null => Ok(()),
            _ => match value.scalar() {
                Some(text) => partial.set(column, &text),
                None => Err(SkipReason::BadValue),
            },
        };
        if let Err(reason) = outcome {
            result = Err(reason);
        }
    });
    keys.keys.truncate(position);
    keys.complete = parsed.is_ok() && plain_keys && position <= MAX_SHAPE;
    if parsed.is_err() {
        return Err(SkipReason::GarbageLine);
    }
    result?;
    sink.event(Event::Flow(partial.flow()?));
    Ok(())
}
