//! The scan driver: input formats and their detection, and the loops that
//! feed captures and logs to their parsers, pass events on and count what
//! was read and skipped.

use std::io::{self, BufRead, BufReader, Read};

use crate::capture::{self, CaptureError, CaptureFormat, CaptureReader, Record, Source};
use crate::decode;
use crate::event::Event;
use crate::flowlog;
use crate::flows::FlowTable;
use crate::summary::{Position, ScanSummary, SkipReason};
use crate::zeek;

/// An input format `scan` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A libpcap capture.
    Pcap,
    /// A pcapng capture.
    PcapNg,
    /// A Zeek conn, dns, http or ssl log in Zeek's tab-separated format
    /// (with its `#fields` header).
    ZeekTsv,
    /// A Zeek conn, dns, http or ssl log with one JSON object per line (the
    /// kind is told per line from `_path` or the fields present).
    ZeekJson,
    /// Flow records, one JSON object per line (see `flowlog` for the keys).
    FlowJson,
    /// Flow records as CSV with a header line (see `flowlog` for the columns).
    FlowCsv,
}

/// Knobs for a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanConfig {
    /// A capture flow with no packet for this long is ended and emitted.
    pub flow_idle_timeout_ns: i64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            flow_idle_timeout_ns: 120 * 1_000_000_000,
        }
    }
}

/// Why a scan could not run at all (bad records are counted, not errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The capture's file header is unusable.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Reading the input failed.
    #[error("reading the input: {0}")]
    Io(#[from] io::Error),
}

/// Everything a scan produced, for callers that want it all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Events in the order they were produced (capture flows come last, in
    /// order of first packet, unless they expired earlier).
    pub events: Vec<Event>,
    /// What was read and skipped.
    pub summary: ScanSummary,
}

/// Tells the format of an input from its first bytes (a few hundred are
/// plenty): capture magic numbers, Zeek's `#separator` header, JSON objects
/// with Zeek's `id.orig_h` keys or without, or else a CSV header line.
pub fn detect_format(prefix: &[u8]) -> Option<Format> {
    match capture::detect(prefix) {
        Some(CaptureFormat::Pcap) => return Some(Format::Pcap),
        Some(CaptureFormat::PcapNg) => return Some(Format::PcapNg),
        None => {}
    }
    let text = prefix.trim_ascii_start();
    if text.starts_with(b"#separator") || text.starts_with(b"#fields") {
        return Some(Format::ZeekTsv);
    }
    let first_line = &text[..memchr::memchr(b'\n', text).unwrap_or(text.len())];
    if text.starts_with(b"{") {
        let zeek = memchr::memmem::find(first_line, b"\"id.orig_h\"").is_some()
            || memchr::memmem::find(first_line, b"\"uid\"").is_some();
        return Some(if zeek {
            Format::ZeekJson
        } else {
            Format::FlowJson
        });
    }
    first_line.contains(&b',').then_some(Format::FlowCsv)
}

/// Scans an input held in memory, passing each event to `on_event`.
pub fn scan(
    input: &[u8],
    format: Format,
    config: &ScanConfig,
    on_event: impl FnMut(Event),
) -> Result<ScanSummary, ScanError> {
    let mut sink = Sink::new(on_event);
    match format {
        Format::Pcap | Format::PcapNg => {
            scan_capture(CaptureReader::from_slice(input)?, config, &mut sink)?;
        }
        _ => {
            let mut parser = LineParser::new(format);
            for (line_no, line) in crate::text::lines(input) {
                parser.line(line, line_no, &mut sink);
            }
            sink.summary.bytes = input.len() as u64;
        }
    }
    Ok(sink.summary)
}

/// Scans an input streamed from `reader`, passing each event to `on_event`.
pub fn scan_reader(
    reader: impl Read,
    format: Format,
    config: &ScanConfig,
    on_event: impl FnMut(Event),
) -> Result<ScanSummary, ScanError> {
    let mut sink = Sink::new(on_event);
    match format {
        Format::Pcap | Format::PcapNg => {
            scan_capture(CaptureReader::from_reader(reader)?, config, &mut sink)?;
        }
        _ => {
            let mut parser = LineParser::new(format);
            let mut reader = BufReader::with_capacity(1 << 20, reader);
            let mut line = Vec::new();
            let mut line_no = 0;
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 {
                    break;
                }
                line_no += 1;
                sink.summary.bytes += n as u64;
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                parser.line(text, line_no, &mut sink);
            }
        }
    }
    Ok(sink.summary)
}

/// Scans an input held in memory and collects every event.
pub fn scan_events(input: &[u8], format: Format, config: &ScanConfig) -> Result<Scan, ScanError> {
    let mut events = Vec::new();
    let summary = scan(input, format, config, |event| events.push(event))?;
    Ok(Scan { events, summary })
}

/// Counts events and skips on their way to the caller.
pub(crate) struct Sink<F> {
    pub(crate) summary: ScanSummary,
    emit: F,
}

impl<F: FnMut(Event)> Sink<F> {
    pub(crate) fn new(emit: F) -> Self {
        Sink {
            summary: ScanSummary::default(),
            emit,
        }
    }

    pub(crate) fn event(&mut self, event: Event) {
        let counter = match &event {
            Event::Flow(_) => &mut self.summary.flows,
            Event::Dns(_) => &mut self.summary.dns,
            Event::Tls(_) => &mut self.summary.tls,
            Event::Http(_) => &mut self.summary.http,
            Event::Hash(_) => &mut self.summary.hashes,
        };
        *counter += 1;
        (self.emit)(event);
    }
}

fn scan_capture<S: Source, F: FnMut(Event)>(
    mut reader: CaptureReader<S>,
    config: &ScanConfig,
    sink: &mut Sink<F>,
) -> Result<(), CaptureError> {
    let mut table = FlowTable::new(config.flow_idle_timeout_ns);
    loop {
        let offset = reader.offset();
        let Some(record) = reader.next_record()? else {
            break;
        };
        sink.summary.records += 1;
        match record {
            Record::Skipped { reason, offset } => {
                sink.summary.skip(reason, Position::Offset(offset));
            }
            Record::Packet(packet) => {
                if packet.data.len() < packet.orig_len as usize {
                    sink.summary.snaplen_cut += 1;
                }
                match decode::decode(packet.link, packet.data) {
                    Ok(decoded) => {
                        let ts_ns = packet.ts_ns;
                        table.packet(ts_ns, &decoded, &mut |event| sink.event(event));
                    }
                    Err(reason) => sink.summary.skip(reason, Position::Offset(offset)),
                }
            }
        }
    }
    table.finish(&mut |event| sink.event(event));
    sink.summary.bytes = reader.offset();
    Ok(())
}

/// The per-format state of a line-oriented input.
enum LineParser {
    ZeekTsv(zeek::TsvHeader),
    ZeekJson,
    FlowJson(flowlog::KeyCache),
    FlowCsv(Option<flowlog::CsvHeader>),
}

impl LineParser {
    fn new(format: Format) -> LineParser {
        match format {
            Format::ZeekTsv => LineParser::ZeekTsv(zeek::TsvHeader::default()),
            Format::ZeekJson => LineParser::ZeekJson,
            Format::FlowCsv => LineParser::FlowCsv(None),
            Format::FlowJson | Format::Pcap | Format::PcapNg => {
                LineParser::FlowJson(flowlog::KeyCache::default())
            }
        }
    }

    fn line<F: FnMut(Event)>(&mut self, line: &[u8], line_no: u64, sink: &mut Sink<F>) {
        if line.trim_ascii().is_empty() {
            return;
        }
        let result = match self {
            LineParser::ZeekTsv(header) => {
                if line.starts_with(b"#") {
                    header.directive(line);
                    return;
                }
                zeek::tsv_line(header, line, sink)
            }
            LineParser::ZeekJson => zeek::json_line(line, sink),
            LineParser::FlowJson(keys) => flowlog::json_line(keys, line, sink),
            LineParser::FlowCsv(header) => match header {
                _ if line.starts_with(b"#") => return,
                None => {
                    *header = Some(flowlog::CsvHeader::parse(line));
                    return;
                }
                Some(header) => flowlog::csv_line(header, line, sink),
            },
        };
        sink.summary.records += 1;
        if let Err(reason) = result {
            sink.summary.skip(reason, Position::Line(line_no));
        }
    }
}

/// The outcome of one log line: its events went to the sink, or it was skipped.
pub(crate) type LineResult = Result<(), SkipReason>;
