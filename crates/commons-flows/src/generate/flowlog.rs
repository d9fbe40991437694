//! Flow logs drawn from the traffic model: one record per connection, in
//! CSV (with a header) or JSON lines, using this crate's canonical column
//! names (see the `flowlog` module).

use std::io::{self, Write};

use super::{Rng, TrafficModel};

/// The two flow-log encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLogFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLogConfig {
    /// Same seed (as the capture's), same network.
    pub seed: u64,
    /// Records to write.
    pub records: u64,
    /// Encoding.
    pub format: FlowLogFormat,
    /// Time of the first record, seconds since the epoch.
    pub start_s: u32,
}

/// Writes the log; returns the bytes written.
pub fn write_flow_log(config: &FlowLogConfig, out: &mut impl Write) -> io::Result<u64> {
    let model = TrafficModel::new(config.seed);
    let mut rng = Rng::new(config.seed ^ 0x666c_6f77);
    let mut written = 0u64;
    let mut line = String::with_capacity(256);
    if config.format == FlowLogFormat::Csv {
        let header = "ts,src_ip,src_port,dst_ip,dst_port,proto,duration,orig_pkts,orig_bytes,resp_pkts,resp_bytes\n";
        out.write_all(header.as_bytes())?;
        written += header.len() as u64;
    }
    let mut clock_us = u64::from(config.start_s) * 1_000_000;
    for _ in 0..config.records {
        use std::fmt::Write as _;
        clock_us += rng.between(1, 400);
        let server = &model.servers[rng.skewed(model.servers.len())];
        let client = model.clients[rng.skewed(model.clients.len())];
        let (proto, dst, dst_port) = match rng.below(10) {
            0..6 => (6, server.ipv4, if rng.percent(85) { 443 } else { 80 }),
            6..9 => (17, model.resolvers[rng.below(2) as usize], 53),
            _ => (17, server.ipv4, 443),
        };
        let src_port = rng.between(32_768, 60_999);
        let orig_pkts = rng.between(1, 40);
        let resp_pkts = rng.between(1, 60);
        let orig_bytes = orig_pkts * rng.between(60, 700);
        let resp_bytes = resp_pkts * rng.between(60, 1_500);
        let duration_ms = rng.below(30_000);
        let (seconds, micros) = (clock_us / 1_000_000, clock_us % 1_000_000);
        line.clear();
        let result = match config.format {
            FlowLogFormat::Csv => writeln!(
                line,
                "{seconds}.{micros:06},{client},{src_port},{dst},{dst_port},{proto},{}.{:03},{orig_pkts},{orig_bytes},{resp_pkts},{resp_bytes}",
                duration_ms / 1000,
                duration_ms % 1000
            ),
            FlowLogFormat::JsonLines => writeln!(
                line,
                r#"{{"ts":{seconds}.{micros:06},"src_ip":"{client}","src_port":{src_port},"dst_ip":"{dst}","dst_port":{dst_port},"proto":{proto},"duration":{}.{:03},"orig_pkts":{orig_pkts},"orig_bytes":{orig_bytes},"resp_pkts":{resp_pkts},"resp_bytes":{resp_bytes}}}"#,
                duration_ms / 1000,
                duration_ms % 1000
            ),
        };
        result.expect("writing to a String cannot fail");
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    Ok(written)
}
