//! Zeek's conn, dns, http and ssl logs, in its tab-separated format (with
//! the `#separator`, `#set_separator`, `#unset_field`, `#empty_field`,
//! `#path` and `#fields` header lines) and as JSON lines (flat `id.orig_h`
//! keys or a nested `id` object; `ts` as epoch seconds or ISO 8601).
//!
//! conn records become flows (bytes are the `*_ip_bytes` columns when
//! present, else `*_bytes`; the last packet is `ts + duration`), dns records
//! DNS events, http records HTTP events, ssl records a TLS event for
//! `server_name` and hash events for `cert_chain_fps`.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::event::{
    Direction, DnsAnswer, DnsEvent, Event, FiveTuple, Flow, HashEvent, HttpEvent, ICMP, ICMPV6,
    TCP, TlsEvent, UDP,
};
use crate::json::{self, Value};
use crate::scan::{LineResult, Sink};
use crate::summary::SkipReason;
use crate::text;

/// The log kinds this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Conn,
    Dns,
    Http,
    Ssl,
}

impl Kind {
    fn from_path(path: &[u8]) -> Option<Kind> {
        match path {
            b"conn" => Some(Kind::Conn),
            b"dns" => Some(Kind::Dns),
            b"http" => Some(Kind::Http),
            b"ssl" => Some(Kind::Ssl),
            _ => None,
        }
    }

    /// Guesses the kind from the fields a record or header has.
    fn infer(has: impl Fn(Field) -> bool) -> Option<Kind> {
        if has(Field::Query) {
            Some(Kind::Dns)
        } else if has(Field::Method) || has(Field::Uri) {
            Some(Kind::Http)
        } else if has(Field::ServerName) || has(Field::CertFps) {
            Some(Kind::Ssl)
        } else if has(Field::Duration)
            || has(Field::OrigBytes)
            || has(Field::OrigPkts)
            || has(Field::OrigIpBytes)
        {
            Some(Kind::Conn)
        } else {
            None
        }
    }
}

/// The fields this module reads; others are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Ts,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Duration,
    OrigBytes,
    RespBytes,
    OrigPkts,
    RespPkts,
    OrigIpBytes,
    RespIpBytes,
    Query,
    Qtype,
    Answers,
    Method,
    Host,
    Uri,
    ServerName,
    CertFps,
    ClientCertFps,
    Path,
}

const FIELD_COUNT: usize = Field::Path as usize + 1;

impl Field {
    fn from_name(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"ts" => Field::Ts,
            b"id.orig_h" => Field::OrigH,
            b"id.orig_p" => Field::OrigP,
            b"id.resp_h" => Field::RespH,
            b"id.resp_p" => Field::RespP,
            b"proto" => Field::Proto,
            b"duration" => Field::Duration,
            b"orig_bytes" => Field::OrigBytes,
            b"resp_bytes" => Field::RespBytes,
            b"orig_pkts" => Field::OrigPkts,
            b"resp_pkts" => Field::RespPkts,
            b"orig_ip_bytes" => Field::OrigIpBytes,
            b"resp_ip_bytes" => Field::RespIpBytes,
            b"query" => Field::Query,
            b"qtype" => Field::Qtype,
            b"answers" => Field::Answers,
            b"method" => Field::Method,
            b"host" => Field::Host,
            b"uri" => Field::Uri,
            b"server_name" => Field::ServerName,
            b"cert_chain_fps" => Field::CertFps,
            b"client_cert_chain_fps" => Field::ClientCertFps,
            b"_path" => Field::Path,
            _ => return None,
        })
    }
}

/// One field's value as the line holds it.
#[derive(Debug, Clone)]
enum Raw<'a> {
    Text(Cow<'a, [u8]>),
    /// A TSV set or vector and its element separator.
    TsvSet(&'a [u8], u8),
    /// A JSON array's text.
    JsonArray(&'a [u8]),
}

/// The fields of one record, by `Field`.
#[derive(Debug, Default)]
struct Fields<'a> {
    values: [Option<Raw<'a>>; FIELD_COUNT],
}

impl<'a> Fields<'a> {
    fn set(&mut self, field: Field, value: Raw<'a>) {
        self.values[field as usize] = Some(value);
    }

    fn has(&self, field: Field) -> bool {
        self.values[field as usize].is_some()
    }

    fn text(&self, field: Field) -> Option<&[u8]> {
        match self.values[field as usize].as_ref()? {
            Raw::Text(text) => Some(text),
            _ => None,
        }
    }

    fn string(&self, field: Field) -> Option<String> {
        self.text(field)
            .map(|it| String::from_utf8_lossy(it).into_owned())
    }

    /// A field that must parse when present: absent is `Ok(None)`.
    fn parsed<T>(
        &self,
        field: Field,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Option<T>, SkipReason> {
        match self.text(field) {
            None => Ok(None),
            Some(text) => parse(text).map(Some).ok_or(SkipReason::BadValue),
        }
    }

    /// Calls `element` with each element of a set or array field.
    fn elements(&self, field: Field, mut element: impl FnMut(&[u8])) {
        match self.values[field as usize].as_ref() {
            Some(Raw::Text(text)) => element(text),
            Some(Raw::TsvSet(text, separator)) => {
                for item in text.split(|it| it == separator) {
                    if !item.is_empty() {
                        element(&unescape_tsv(item));
                    }
                }
            }
            Some(Raw::JsonArray(text)) => {
                let _ = json::for_each_element(text, |value| {
                    if let Some(bytes) = value.scalar() {
                        element(&bytes);
                    }
                });
            }
            None => {}
        }
    }
}

/// What the header lines of a TSV log said.
#[derive(Debug)]
pub(crate) struct TsvHeader {
    separator: u8,
    set_separator: u8,
    unset: Vec<u8>,
    empty: Vec<u8>,
    path: Option<Vec<u8>>,
    columns: Option<Vec<Option<Field>>>,
    kind: Option<Kind>,
}

impl Default for TsvHeader {
    fn default() -> Self {
        TsvHeader {
            separator: b'\t',
            set_separator: b',',
            unset: b"-".to_vec(),
            empty: b"(empty)".to_vec(),
            path: None,
            columns: None,
            kind: None,
        }
    }
}

impl TsvHeader {
    /// Takes in one `#` line.
    pub(crate) fn directive(&mut self, line: &[u8]) {
        if let Some(value) = line.strip_prefix(b"#separator ") {
            if let Some(&byte) = unescape_tsv(value).first() {
                self.separator = byte;
            }
            return;
        }
        let mut parts = line.split(|&it| it == self.separator);
        let name = parts.next().unwrap_or_default();
        let value = line.get(name.len() + 1..).unwrap_or_default();
        match name {
            b"#set_separator" => {
                if let Some(&byte) = unescape_tsv(value).first() {
                    self.set_separator = byte;
                }
            }
            b"#unset_field" => self.unset = value.to_vec(),
            b"#empty_field" => self.empty = value.to_vec(),
            b"#path" => self.path = Some(value.to_vec()),
            b"#fields" => {
                let columns: Vec<Option<Field>> = parts.map(Field::from_name).collect();
                self.kind = self
                    .path
                    .as_deref()
                    .and_then(Kind::from_path)
                    .or_else(|| Kind::infer(|field| columns.contains(&Some(field))));
                self.columns = Some(columns);
            }
            _ => {}
        }
    }
}

/// One data line of a TSV log.
pub(crate) fn tsv_line<F: FnMut(Event)>(
    header: &TsvHeader,
    line: &[u8],
    sink: &mut Sink<F>,
) -> LineResult {
    let (Some(columns), Some(kind)) = (&header.columns, header.kind) else {
        return Err(SkipReason::UnknownLogKind);
    };
    let mut fields = Fields::default();
    let mut count = 0;
    for (column, value) in line.split(|&it| it == header.separator).enumerate() {
        count += 1;
        let Some(Some(field)) = columns.get(column) else {
            continue;
        };
        if value == header.unset.as_slice() {
            continue;
        }
        let raw = if value == header.empty.as_slice() {
            Raw::Text(Cow::Borrowed(&[]))
        } else if matches!(
            field,
            Field::Answers | Field::CertFps | Field::ClientCertFps
        ) {
            Raw::TsvSet(value, header.set_separator)
        } else {
            Raw::Text(unescape_tsv(value))
        };
        fields.set(*field, raw);
    }
    if count != columns.len() {
        return Err(SkipReason::GarbageLine);
    }
    emit_record(kind, &fields, sink)
}

/// One line of a JSON log.
pub(crate) fn json_line<F: FnMut(Event)>(line: &[u8], sink: &mut Sink<F>) -> LineResult {
    let mut fields = Fields::default();
    let mut bad = false;
    let parsed = json::for_each_member(line, |key, value| {
        let Some(key) = key.bytes() else {
            bad = true;
            return;
        };
        if key.as_ref() == b"id"
            && let Value::Object(object) = value
        {
            // The nested form: {"id": {"orig_h": …}}.
            let nested = json::for_each_member(object, |key, value| {
                let name = key.bytes().map(|it| [b"id.".as_slice(), &it].concat());
                if let Some(field) = name.as_deref().and_then(Field::from_name) {
                    set_json(&mut fields, field, value);
                }
            });
            bad |= nested.is_err();
            return;
        }
        if let Some(field) = Field::from_name(&key) {
            set_json(&mut fields, field, value);
        }
    });
    if parsed.is_err() || bad {
        return Err(SkipReason::GarbageLine);
    }
    let kind = fields
        .text(Field::Path)
        .and_then(Kind::from_path)
        .or_else(|| Kind::infer(|field| fields.has(field)))
        .ok_or(SkipReason::UnknownLogKind)?;
    emit_record(kind, &fields, sink)
}

fn set_json<'a>(fields: &mut Fields<'a>, field: Field, value: Value<'a>) {
    let raw = match value {
        Value::Array(text) => Raw::JsonArray(text),
        Value::Bool(true) => Raw::Text(Cow::Borrowed(b"T")),
        Value::Bool(false) => Raw::Text(Cow::Borrowed(b"F")),
        Value::Null | Value::Object(_) => return,
        other => match other.scalar() {
            Some(text) => Raw::Text(text),
            None => return,
        },
    };
    fields.set(field, raw);
}

fn emit_record<F: FnMut(Event)>(kind: Kind, fields: &Fields<'_>, sink: &mut Sink<F>) -> LineResult {
    let ts_ns = fields
        .parsed(Field::Ts, text::parse_time)?
        .ok_or(SkipReason::MissingField)?;
    let tuple = tuple(kind, fields)?;
    match kind {
        Kind::Conn => {
            let count = |field| fields.parsed(field, text::parse_count);
            let duration_ns = fields.parsed(Field::Duration, text::parse_epoch_seconds)?;
            let orig_bytes = count(Field::OrigIpBytes)?.or(count(Field::OrigBytes)?);
            let resp_bytes = count(Field::RespIpBytes)?.or(count(Field::RespBytes)?);
            sink.event(Event::Flow(Flow {
                tuple,
                first_seen_ns: ts_ns,
                last_seen_ns: ts_ns.saturating_add(duration_ns.unwrap_or(0).max(0)),
                orig: Direction {
                    packets: count(Field::OrigPkts)?.unwrap_or(0),
                    bytes: orig_bytes.unwrap_or(0),
                },
                resp: Direction {
                    packets: count(Field::RespPkts)?.unwrap_or(0),
                    bytes: resp_bytes.unwrap_or(0),
                },
            }));
        }
        Kind::Dns => {
            let query = fields
                .string(Field::Query)
                .ok_or(SkipReason::MissingField)?;
            let qtype = fields.parsed(Field::Qtype, text::parse_u64)?.unwrap_or(0);
            let mut answers = Vec::new();
            fields.elements(Field::Answers, |answer| {
                answers.push(match text::parse_ip(answer) {
                    Some(IpAddr::V4(ip)) => DnsAnswer::A(ip),
                    Some(IpAddr::V6(ip)) => DnsAnswer::Aaaa(ip),
                    None => DnsAnswer::Cname(String::from_utf8_lossy(answer).into_owned()),
                });
            });
            sink.event(Event::Dns(DnsEvent {
                tuple,
                ts_ns,
                is_response: !answers.is_empty(),
                query,
                qtype: u16::try_from(qtype).unwrap_or(0),
                answers,
            }));
        }
        Kind::Http => {
            sink.event(Event::Http(HttpEvent {
                tuple,
                ts_ns,
                method: fields.string(Field::Method).unwrap_or_default(),
                host: fields.string(Field::Host).filter(|it| !it.is_empty()),
                uri: fields.string(Field::Uri).unwrap_or_default(),
            }));
        }
        Kind::Ssl => {
            if let Some(sni) = fields.string(Field::ServerName).filter(|it| !it.is_empty()) {
                sink.event(Event::Tls(TlsEvent { tuple, ts_ns, sni }));
            }
            for field in [Field::CertFps, Field::ClientCertFps] {
                let mut hashes = Vec::new();
                fields.elements(field, |hash| {
                    hashes.push(String::from_utf8_lossy(hash).to_ascii_lowercase());
                });
                for hash in hashes {
                    sink.event(Event::Hash(HashEvent { tuple, ts_ns, hash }));
                }
            }
        }
    }
    Ok(())
}

fn tuple(kind: Kind, fields: &Fields<'_>) -> Result<FiveTuple, SkipReason> {
    let src = fields
        .parsed(Field::OrigH, text::parse_ip)?
        .ok_or(SkipReason::MissingField)?;
    let dst = fields
        .parsed(Field::RespH, text::parse_ip)?
        .ok_or(SkipReason::MissingField)?;
    let default_proto = match kind {
        Kind::Http | Kind::Ssl => TCP,
        Kind::Dns => UDP,
        Kind::Conn => 0,
    };
    let proto = match fields
        .parsed(Field::Proto, text::parse_proto)?
        .unwrap_or(default_proto)
    {
        // Zeek calls both ICMP versions "icmp".
        ICMP if src.is_ipv6() => ICMPV6,
        proto => proto,
    };
    Ok(FiveTuple {
        proto,
        src,
        src_port: fields.parsed(Field::OrigP, text::parse_port)?.unwrap_or(0),
        dst,
        dst_port: fields.parsed(Field::RespP, text::parse_port)?.unwrap_or(0),
    })
}

/// Decodes Zeek's `\xHH` escapes (borrowing when there are none).
fn unescape_tsv(value: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memmem::find(value, b"\\x").is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut pos = 0;
    while pos < value.len() {
        let hex = value
            .get(pos + 2..pos + 4)
            .filter(|_| value[pos..].starts_with(b"\\x"))
            .and_then(|it| std::str::from_utf8(it).ok())
            .and_then(|it| u8::from_str_radix(it, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                pos += 4;
            }
            None => {
                out.push(value[pos]);
                pos += 1;
            }
        }
    }
    Cow::Owned(out)
}
