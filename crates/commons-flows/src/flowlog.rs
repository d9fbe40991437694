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
use std::net::IpAddr;

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
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
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

impl Partial {
    fn set(&mut self, column: Column, value: &[u8]) -> Result<(), SkipReason> {
        let value = value.trim_ascii();
        if value.is_empty() || value == b"-" {
            return Ok(());
        }
        let bad = SkipReason::BadValue;
        match column {
            Column::SrcIp => self.src = Some(text::parse_ip(value).ok_or(bad)?),
            Column::DstIp => self.dst = Some(text::parse_ip(value).ok_or(bad)?),
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

    fn flow(self) -> Result<Flow, SkipReason> {
        let (Some(src), Some(dst)) = (self.src, self.dst) else {
            return Err(SkipReason::MissingField);
        };
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
    if memchr::memchr(b'"', line).is_none() {
        let mut count = 0;
        for (index, value) in line.split(|&it| it == b',').enumerate() {
            field(index, Cow::Borrowed(value));
            count += 1;
        }
        return count;
    }
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

/// One data line of a CSV flow log.
pub(crate) fn csv_line<F: FnMut(Event)>(
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
    if count != header.columns.len() {
        return Err(SkipReason::GarbageLine);
    }
    result?;
    sink.event(Event::Flow(partial.flow()?));
    Ok(())
}

/// One line of a JSON-lines flow log.
pub(crate) fn json_line<F: FnMut(Event)>(line: &[u8], sink: &mut Sink<F>) -> LineResult {
    let mut partial = Partial::default();
    let mut result = Ok(());
    let parsed = json::for_each_member(line, |key, value| {
        let column = match key.raw() {
            Some(raw) => Column::from_name(raw),
            None => key.bytes().as_deref().and_then(Column::from_name),
        };
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
    if parsed.is_err() {
        return Err(SkipReason::GarbageLine);
    }
    result?;
    sink.event(Event::Flow(partial.flow()?));
    Ok(())
}
