//! Detection on a member's own traffic: extraction of flows, DNS, TLS server
//! names and HTTP requests from captures and logs, and matching them
//! against compiled indicator indexes.
//!
//! The pipeline is three values and two functions:
//!
//! - an input (bytes in memory, or any `std::io::Read`) in a [`Format`]:
//!   pcap or pcapng captures, Zeek conn/dns/http/ssl logs in TSV or JSON,
//!   flow records in CSV or JSON lines ([`flowlog`] lists the columns);
//!   [`detect_format`] tells them apart from the first bytes;
//! - [`scan`] (or [`scan_reader`], [`scan_events`]) turns it into [`Event`]s,
//!   each tied to the [`FiveTuple`] of its flow, and returns a
//!   [`ScanSummary`] of what was read and what was skipped and why
//!   ([`SkipReason`]): a scan never stops on one bad packet or line;
//! - an [`IndicatorSet`], compiled once from plain typed [`Indicator`]s
//!   (addresses, CIDR blocks, domains with their subdomains, URLs, ports,
//!   hashes), which a [`Matcher`] (or [`match_events`]) consults to raise
//!   [`Alert`]s naming the indicator, the matched value, the flow and the
//!   [`Observable`] that matched.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use commons_flows::{Format, Indicator, IndicatorKind, IndicatorSet, Matcher, ScanConfig, scan};
//!
//! let log = b"src_ip,dst_ip,dst_port,proto\n10.0.0.1,203.0.113.9,443,tcp\n";
//! let indicators = [Indicator { id: 7, kind: IndicatorKind::Ipv4(Ipv4Addr::new(203, 0, 113, 9)) }];
//! let (set, rejected) = IndicatorSet::build(indicators);
//! assert!(rejected.is_empty());
//! let mut matcher = Matcher::new(&set);
//! let summary = scan(log, Format::FlowCsv, &ScanConfig::default(), |event| matcher.event(&event))?;
//! let alerts = matcher.finish();
//! assert_eq!((summary.records, alerts.len()), (1, 1));
//! assert_eq!((alerts[0].indicator, alerts[0].value.as_str()), (7, "203.0.113.9"));
//! # Ok::<(), commons_flows::ScanError>(())
//! ```
//!
//! Design decisions, each explained where it lives:
//!
//! - sans-IO: the crate reads slices and readers and returns values; the
//!   caller opens (or memory-maps) files. Reading a capture in memory is
//!   zero-copy and touches memory ahead of the reader, because walking
//!   records is pointer chasing ([`capture`]);
//! - flows are bidirectional under a canonical key, with the originator
//!   decided by SYN, SYN-ACK or port; TCP streams are not reassembled except
//!   for a ClientHello split over segments (`flows`);
//! - addresses are matched once per flow, not per packet;
//! - indexes are sorted arrays with top-bit directories and hash prefilters,
//!   not trees or general maps, for memory near the key size and builds that
//!   are a sort ([`indicators`]);
//! - flow records are read by one-pass field readers and, for JSON lines,
//!   against the key order of the previous line, falling back to general
//!   parsers for anything unusual;
//! - [`generate`] holds the deterministic generators the tests and the
//!   benchmarks (`examples/flows-bench.rs`) use.
#![warn(missing_docs)]

pub mod capture;
mod decode;
mod dns;
pub mod event;
pub mod flowlog;
mod flows;
pub mod generate;
mod hash;
mod http;
pub mod indicators;
mod json;
pub mod matching;
mod scan;
pub mod summary;
mod text;
mod tls;
mod zeek;

pub use event::{
    Direction, DnsAnswer, DnsEvent, Event, FiveTuple, Flow, HashEvent, HttpEvent, TlsEvent,
};
pub use indicators::{Indicator, IndicatorKind, IndicatorSet, Rejected};
pub use matching::{Alert, Matcher, Observable, match_events};
pub use scan::{
    Format, Scan, ScanConfig, ScanError, detect_format, scan, scan_events, scan_reader,
};
pub use summary::{ScanSummary, SkipReason};

#[cfg(test)]
mod tests;
