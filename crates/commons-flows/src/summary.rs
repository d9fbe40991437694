//! What a scan read, what it skipped and why: `ScanSummary` and `SkipReason`.

use std::fmt;

/// Why a record (a packet, a capture block or a log line) was skipped.
///
/// A scan never stops on one bad record: it counts it under one of these
/// reasons and carries on with the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SkipReason {
    /// A capture record or block whose header is impossible (lengths out of
    /// range, a pcapng trailer that disagrees); the reader resynchronised on
    /// the next plausible record.
    CorruptRecord,
    /// The capture ends in the middle of a record.
    TruncatedRecord,
    /// A pcapng packet names an interface no Interface Description Block declared.
    UnknownInterface,
    /// The packet's link type is not one this crate decodes.
    UnknownLinkType,
    /// A link-layer frame that does not carry IPv4 or IPv6 (ARP, LLDP, …).
    NotIp,
    /// The packet was cut (by the snapshot length or the capture) before its
    /// IP or transport header ended.
    TruncatedHeader,
    /// An IP or transport header with impossible fields.
    MalformedHeader,
    /// A non-first IP fragment: it carries no ports and this crate does not
    /// reassemble fragments.
    IpFragment,
    /// A log line that is not a record of the expected shape.
    GarbageLine,
    /// A log line that lacks a field every record needs (addresses, ports).
    MissingField,
    /// A log line whose field does not parse (an address, a number, a time).
    BadValue,
    /// A Zeek log whose kind (conn, dns, http, ssl) cannot be told from its
    /// header or fields.
    UnknownLogKind,
}

impl SkipReason {
    /// Every reason, in declaration order.
    pub const ALL: [SkipReason; 12] = [
        SkipReason::CorruptRecord,
        SkipReason::TruncatedRecord,
        SkipReason::UnknownInterface,
        SkipReason::UnknownLinkType,
        SkipReason::NotIp,
        SkipReason::TruncatedHeader,
        SkipReason::MalformedHeader,
        SkipReason::IpFragment,
        SkipReason::GarbageLine,
        SkipReason::MissingField,
        SkipReason::BadValue,
        SkipReason::UnknownLogKind,
    ];

    /// A short stable name, for logs and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::CorruptRecord => "corrupt_record",
            SkipReason::TruncatedRecord => "truncated_record",
            SkipReason::UnknownInterface => "unknown_interface",
            SkipReason::UnknownLinkType => "unknown_link_type",
            SkipReason::NotIp => "not_ip",
            SkipReason::TruncatedHeader => "truncated_header",
            SkipReason::MalformedHeader => "malformed_header",
            SkipReason::IpFragment => "ip_fragment",
            SkipReason::GarbageLine => "garbage_line",
            SkipReason::MissingField => "missing_field",
            SkipReason::BadValue => "bad_value",
            SkipReason::UnknownLogKind => "unknown_log_kind",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a skipped record was: a byte offset in a capture, a line number in a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Byte offset from the start of the input.
    Offset(u64),
    /// Line number, counting from 1.
    Line(u64),
}

/// One skipped record, kept as an example for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkipSample {
    /// Why it was skipped.
    pub reason: SkipReason,
    /// Where it was.
    pub position: Position,
}

/// Counts of what a scan read, what it produced and what it skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanSummary {
    /// Bytes of input consumed.
    pub bytes: u64,
    /// Packets (captures) or records (logs) read, including skipped ones;
    /// headers and comment lines are not records.
    pub records: u64,
    /// Packets whose captured length is shorter than their length on the wire
    /// (cut by the snapshot length). They are still used as far as they go.
    pub snaplen_cut: u64,
    /// Flow events produced.
    pub flows: u64,
    /// DNS events produced.
    pub dns: u64,
    /// TLS events produced.
    pub tls: u64,
    /// HTTP events produced.
    pub http: u64,
    /// Certificate or file hash events produced.
    pub hashes: u64,
    skipped: [u64; SkipReason::ALL.len()],
    samples: Vec<SkipSample>,
}

impl ScanSummary {
    /// How many skipped records are kept as examples.
    pub const MAX_SAMPLES: usize = 16;

    /// Records skipped for any reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().sum()
    }

    /// Records skipped for `reason`.
    pub fn skipped(&self, reason: SkipReason) -> u64 {
        self.skipped[reason.index()]
    }

    /// Every reason with a non-zero count, in declaration order.
    pub fn skip_counts(&self) -> impl Iterator<Item = (SkipReason, u64)> + '_ {
        SkipReason::ALL
            .into_iter()
            .map(|reason| (reason, self.skipped(reason)))
            .filter(|&(_, n)| n > 0)
    }

    /// The first skipped records, up to `MAX_SAMPLES`.
    pub fn samples(&self) -> &[SkipSample] {
        &self.samples
    }

    /// Counts one skipped record.
    pub fn skip(&mut self, reason: SkipReason, position: Position) {
        self.skipped[reason.index()] += 1;
        if self.samples.len() < Self::MAX_SAMPLES {
            self.samples.push(SkipSample { reason, position });
        }
    }

    /// Adds another summary's counts to this one (for scans over several inputs).
    pub fn merge(&mut self, other: &ScanSummary) {
        self.bytes += other.bytes;
        self.records += other.records;
        self.snaplen_cut += other.snaplen_cut;
        self.flows += other.flows;
        self.dns += other.dns;
        self.tls += other.tls;
        self.http += other.http;
        self.hashes += other.hashes;
        for (mine, theirs) in self.skipped.iter_mut().zip(other.skipped) {
            *mine += theirs;
        }
        let room = Self::MAX_SAMPLES.saturating_sub(self.samples.len());
        self.samples
            .extend(other.samples.iter().take(room).copied());
    }
}

impl fmt::Display for ScanSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records, {} skipped, {} cut by snaplen; events: {} flows, {} dns, {} tls, {} http, {} hashes",
            self.records,
            self.skipped_total(),
            self.snaplen_cut,
            self.flows,
            self.dns,
            self.tls,
            self.http,
            self.hashes
        )?;
        for (reason, n) in self.skip_counts() {
            write!(f, "; {reason}: {n}")?;
        }
        Ok(())
    }
}
