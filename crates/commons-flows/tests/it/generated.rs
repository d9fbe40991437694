//! The generators' output is deterministic, protocol-valid (every packet
//! decodes, every session's TLS, HTTP and DNS is found) and matches the
//! indicators drawn from the same model.

use std::collections::HashSet;

use commons_flows::generate::{
    FlowLogConfig, FlowLogFormat, IndicatorConfig, PcapConfig, TrafficModel, indicators,
    write_flow_log, write_pcap,
};
use commons_flows::{
    Event, Format, IndicatorSet, Matcher, Observable, ScanConfig, detect_format, scan, scan_events,
};

fn pcap(seed: u64, target_bytes: u64) -> (Vec<u8>, commons_flows::generate::PcapStats) {
    let config = PcapConfig {
        seed,
        target_bytes,
        ..PcapConfig::default()
    };
    let mut bytes = Vec::new();
    let stats = write_pcap(&config, &mut bytes).expect("writing to memory");
    (bytes, stats)
}

#[test]
fn same_seed_same_capture() {
    let (first, _) = pcap(7, 200_000);
    let (again, _) = pcap(7, 200_000);
    let (other, _) = pcap(8, 200_000);
    assert_eq!(first, again);
    assert_ne!(first, other);
}

#[test]
fn generated_capture_is_found_whole() {
    let (bytes, stats) = pcap(1, 2 << 20);
    assert_eq!(stats.bytes, bytes.len() as u64);
    assert_eq!(detect_format(&bytes), Some(Format::Pcap));
    let scan = scan_events(&bytes, Format::Pcap, &ScanConfig::default()).expect("valid capture");
    let summary = &scan.summary;
    assert_eq!(summary.records, stats.packets);
    // The odd ARP frame is the only thing skipped.
    let skips: Vec<_> = summary
        .skip_counts()
        .map(|(reason, _)| reason.as_str())
        .collect();
    assert!(skips.is_empty() || skips == ["not_ip"], "{summary}");
    assert_eq!(summary.tls, stats.tls, "{summary}");
    assert_eq!(summary.http, stats.http, "{summary}");
    assert_eq!(summary.dns, 2 * stats.dns, "{summary}");
    assert_eq!(summary.snaplen_cut, 0);
    // Every TLS server name and HTTP host is a server's domain or below one.
    let model = TrafficModel::new(1);
    let domains: HashSet<&str> = model.servers.iter().map(|it| it.domain.as_str()).collect();
    let known = |name: &str| {
        let mut rest = name;
        loop {
            if domains.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    };
    for event in &scan.events {
        match event {
            Event::Tls(tls) => assert!(known(&tls.sni), "{}", tls.sni),
            Event::Http(http) => assert!(known(http.host.as_deref().unwrap_or_default())),
            _ => {}
        }
    }
}

#[test]
fn generated_flow_logs_parse_without_skips() {
    for (format, expect) in [
        (FlowLogFormat::Csv, Format::FlowCsv),
        (FlowLogFormat::JsonLines, Format::FlowJson),
    ] {
        let config = FlowLogConfig {
            seed: 1,
            records: 2_000,
            format,
            start_s: 1_704_067_200,
        };
        let mut bytes = Vec::new();
        write_flow_log(&config, &mut bytes).expect("writing to memory");
        assert_eq!(detect_format(&bytes), Some(expect));
        let mut flows = 0;
        let summary = scan(&bytes, expect, &ScanConfig::default(), |event| {
            assert!(matches!(event, Event::Flow(_)));
            flows += 1;
        })
        .expect("text scans do not fail");
        assert_eq!(
            (summary.records, summary.skipped_total(), flows),
            (2_000, 0, 2_000),
            "{summary}"
        );
    }
}

#[test]
fn generated_indicators_match_generated_traffic() {
    let config = IndicatorConfig {
        seed: 1,
        ipv4: 20_000,
        cidr4: 2_000,
        domains: 20_000,
        matching: 200,
    };
    let generated = indicators(&config);
    assert_eq!(generated.len(), 42_000);
    let (set, rejected) = IndicatorSet::build(generated);
    assert_eq!(rejected, []);
    let (bytes, _) = pcap(1, 4 << 20);
    let mut matcher = Matcher::new(&set);
    scan(&bytes, Format::Pcap, &ScanConfig::default(), |event| {
        matcher.event(&event)
    })
    .expect("valid capture");
    let alerts = matcher.finish();
    let observed: HashSet<Observable> = alerts.iter().map(|it| it.observable).collect();
    for observable in [
        Observable::DstIp,
        Observable::DnsQuery,
        Observable::TlsSni,
        Observable::DnsAnswer,
    ] {
        assert!(
            observed.contains(&observable),
            "no {observable} alert among {}",
            alerts.len()
        );
    }
}
