//! Extraction and matching for network observations.

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
