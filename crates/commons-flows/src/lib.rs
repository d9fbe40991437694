//! Extraction and matching for network observations.

pub mod capture;
mod decode;
mod dns;
pub mod event;
pub mod flowlog;
mod flows;
mod hash;
mod http;
mod json;
mod scan;
pub mod summary;
mod text;
mod tls;
mod zeek;

pub use scan::{
    Format, Scan, ScanConfig, ScanError, detect_format, scan, scan_events, scan_reader,
};

#[cfg(test)]
mod tests;
