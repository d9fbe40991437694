//! Zeek logs (TSV and JSON) and flow records (CSV and JSON lines), with
//! garbage lines among them.

use super::render;
use crate::scan::{Format, ScanConfig, detect_format, scan_events, scan_reader};
use crate::summary::{Position, SkipSample};

/// Scans `input` from memory and from a reader (which must agree) and
/// renders the events and the skips.
fn scan_text(input: &str, format: Format) -> (Vec<String>, Vec<String>) {
    let scan = scan_events(input.as_bytes(), format, &ScanConfig::default())
        .expect("text scans do not fail");
    let mut streamed = Vec::new();
    let summary = scan_reader(input.as_bytes(), format, &ScanConfig::default(), |it| {
        streamed.push(it)
    })
    .expect("text scans do not fail");
    assert_eq!(scan.events, streamed);
    assert_eq!(scan.summary, summary);
    let skips = scan
        .summary
        .samples()
        .iter()
        .map(|SkipSample { reason, position }| match position {
            Position::Line(line) => format!("line {line}: {reason}"),
            Position::Offset(offset) => format!("@{offset}: {reason}"),
        })
        .collect();
    (scan.events.iter().map(render).collect(), skips)
}

#[track_caller]
fn check(input: &str, format: Format, expect_events: &[&str], expect_skips: &[&str]) {
    assert_eq!(
        detect_format(input.as_bytes()),
        Some(format),
        "detected format"
    );
    let (events, skips) = scan_text(input, format);
    assert_eq!(events, expect_events);
    assert_eq!(skips, expect_skips);
}

/// Zeek's TSV: header lines, then tab-separated records.
fn zeek_tsv(path: &str, fields: &[&str], rows: &[&[&str]]) -> String {
    let mut log = format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n#open\t2024-01-01-00-00-00\n#fields\t{}\n",
        fields.join("\t")
    );
    for row in rows {
        log.push_str(&row.join("\t"));
        log.push('\n');
    }
    log.push_str("#close\t2024-01-01-00-00-01\n");
    log
}

const CONN_FIELDS: &[&str] = &[
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
];

#[test]
fn zeek_tsv_conn() {
    let log = zeek_tsv(
        "conn",
        CONN_FIELDS,
        &[
            &[
                "1700000000.123456",
                "C1",
                "10.0.0.1",
                "40000",
                "192.0.2.80",
                "443",
                "tcp",
                "ssl",
                "1.5",
                "517",
                "4000",
                "SF",
                "ShADadFf",
                "8",
                "849",
                "7",
                "4372",
                "(empty)",
            ],
            &[
                "1700000001",
                "C2",
                "fe80::1",
                "0",
                "ff02::2",
                "0",
                "icmp",
                "-",
                "-",
                "-",
                "-",
                "OTH",
                "-",
                "1",
                "56",
                "0",
                "0",
                "(empty)",
            ],
            &["this", "is", "garbage"],
            &[
                "1700000002",
                "C3",
                "10.0.0.1",
                "not-a-port",
                "192.0.2.80",
                "443",
                "tcp",
                "-",
                "-",
                "-",
                "-",
                "S0",
                "S",
                "1",
                "40",
                "0",
                "0",
                "(empty)",
            ],
        ],
    );
    check(
        &log,
        Format::ZeekTsv,
        &[
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=8p/849b resp=7p/4372b 1700000000123456000..1700000001623456000",
            "flow icmp6 [fe80::1]:0 -> [ff02::2]:0 orig=1p/56b resp=0p/0b 1700000001000000000..1700000001000000000",
        ],
        &["line 10: garbage_line", "line 11: bad_value"],
    );
}

#[test]
fn zeek_tsv_dns_with_answer_set() {
    let fields = &[
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "proto",
        "trans_id",
        "query",
        "qtype",
        "qtype_name",
        "rcode",
        "answers",
        "TTLs",
    ];
    let log = zeek_tsv(
        "dns",
        fields,
        &[
            &[
                "1700000000.5",
                "D1",
                "10.0.0.2",
                "5353",
                "192.0.2.53",
                "53",
                "udp",
                "4660",
                "www.example.com",
                "1",
                "A",
                "0",
                "edge.example.com,93.184.216.34,2001:db8::1",
                "60.0,60.0,60.0",
            ],
            &[
                "1700000000.6",
                "D2",
                "10.0.0.2",
                "5354",
                "192.0.2.53",
                "53",
                "udp",
                "4661",
                "odd\\x09name.example",
                "28",
                "AAAA",
                "-",
                "-",
                "-",
            ],
        ],
    );
    check(
        &log,
        Format::ZeekTsv,
        &[
            "dns udp 10.0.0.2:5353 -> 192.0.2.53:53 response www.example.com type=1 [CNAME edge.example.com, A 93.184.216.34, AAAA 2001:db8::1]",
            "dns udp 10.0.0.2:5354 -> 192.0.2.53:53 query odd\tname.example type=28 []",
        ],
        &[],
    );
}

#[test]
fn zeek_tsv_http_and_ssl() {
    let http = zeek_tsv(
        "http",
        &[
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "trans_depth",
            "method",
            "host",
            "uri",
            "user_agent",
        ],
        &[&[
            "1700000000",
            "H1",
            "10.0.0.3",
            "40100",
            "192.0.2.80",
            "80",
            "1",
            "GET",
            "shop.example",
            "/cart?id=1",
            "curl/8.5",
        ]],
    );
    check(
        &http,
        Format::ZeekTsv,
        &["http tcp 10.0.0.3:40100 -> 192.0.2.80:80 GET host=shop.example uri=/cart?id=1"],
        &[],
    );
    let ssl = zeek_tsv(
        "ssl",
        &[
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "version",
            "server_name",
            "cert_chain_fps",
        ],
        &[&[
            "1700000000",
            "S1",
            "10.0.0.4",
            "40200",
            "192.0.2.81",
            "443",
            "TLSv13",
            "secure.example",
            "AB12,cd34",
        ]],
    );
    check(
        &ssl,
        Format::ZeekTsv,
        &[
            "tls tcp 10.0.0.4:40200 -> 192.0.2.81:443 sni=secure.example",
            "hash tcp 10.0.0.4:40200 -> 192.0.2.81:443 ab12",
            "hash tcp 10.0.0.4:40200 -> 192.0.2.81:443 cd34",
        ],
        &[],
    );
}

#[test]
fn zeek_tsv_without_header_or_unknown_kind() {
    let (events, skips) = scan_text("1700000000\tC1\t10.0.0.1\n", Format::ZeekTsv);
    assert!(events.is_empty());
    assert_eq!(skips, ["line 1: unknown_log_kind"]);
    let weird = zeek_tsv(
        "weird",
        &["ts", "uid", "name"],
        &[&["1", "W1", "bad_checksum"]],
    );
    let (events, skips) = scan_text(&weird, Format::ZeekTsv);
    assert!(events.is_empty());
    assert_eq!(skips, ["line 8: unknown_log_kind"]);
}

#[test]
fn zeek_json_lines_of_every_kind() {
    let log = [
        r#"{"_path":"conn","ts":1700000000.25,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"192.0.2.80","id.resp_p":443,"proto":"tcp","duration":0.5,"orig_bytes":10,"resp_bytes":20,"orig_pkts":3,"resp_pkts":2}"#,
        r#"{"ts":"2023-11-14T22:13:20.000001Z","uid":"D1","id.orig_h":"10.0.0.2","id.orig_p":5353,"id.resp_h":"192.0.2.53","id.resp_p":53,"proto":"udp","query":"www.example.com","qtype":1,"answers":["93.184.216.34"],"rejected":false}"#,
        r#"{"ts":1700000000,"uid":"H1","id":{"orig_h":"10.0.0.3","orig_p":40100,"resp_h":"192.0.2.80","resp_p":80},"method":"GET","host":"shop.example","uri":"/a\"b\u00e9"}"#,
        r#"{"ts":1700000000,"uid":"S1","id.orig_h":"10.0.0.4","id.orig_p":40200,"id.resp_h":"192.0.2.81","id.resp_p":443,"server_name":"secure.example","established":true,"cert_chain_fps":["EF56"]}"#,
        r#"{"ts":1700000000,"uid":"X1","note":"nothing we know"}"#,
        r#"{"ts":1700000000,"uid":"H2","method":"GET"}"#,
        r#"not json at all"#,
        r#"{"ts":1700000000,"uid":"C2","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"192.0.2.80","id.resp_p":2,"duration":0.1} trailing"#,
    ]
    .join("\n");
    check(
        &log,
        Format::ZeekJson,
        &[
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=3p/10b resp=2p/20b 1700000000250000000..1700000000750000000",
            "dns udp 10.0.0.2:5353 -> 192.0.2.53:53 response www.example.com type=1 [A 93.184.216.34]",
            "http tcp 10.0.0.3:40100 -> 192.0.2.80:80 GET host=shop.example uri=/a\"bé",
            "tls tcp 10.0.0.4:40200 -> 192.0.2.81:443 sni=secure.example",
            "hash tcp 10.0.0.4:40200 -> 192.0.2.81:443 ef56",
        ],
        &[
            "line 5: unknown_log_kind",
            "line 6: missing_field",
            "line 7: garbage_line",
            "line 8: garbage_line",
        ],
    );
}

#[test]
fn flow_csv_with_aliases_quotes_and_garbage() {
    let log = "\
StartTime,SrcAddr,Sport,DstAddr,Dport,Proto,orig_pkts,resp_pkts,orig_bytes,resp_bytes,Label
1700000000.5,10.0.0.1,40000,192.0.2.80,443,tcp,10,8,1200,9000,\"benign, mostly\"
1700000001,2001:db8::1,5353,2001:db8::53,53,17,1,1,80,120,x
garbage without commas
1700000002,10.0.0.1,40000,999.0.0.1,443,6,1,1,1,1,x
1700000003,,40000,192.0.2.80,443,6,1,1,1,1,x

# a comment
1700000004,10.0.0.9,1,192.0.2.9,2,1,1,0,64,0,\"quoted \"\"label\"\"\"
";
    check(
        log,
        Format::FlowCsv,
        &[
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=10p/1200b resp=8p/9000b 1700000000500000000..1700000000500000000",
            "flow udp [2001:db8::1]:5353 -> [2001:db8::53]:53 orig=1p/80b resp=1p/120b 1700000001000000000..1700000001000000000",
            "flow icmp 10.0.0.9:1 -> 192.0.2.9:2 orig=1p/64b resp=0p/0b 1700000004000000000..1700000004000000000",
        ],
        &[
            "line 4: garbage_line",
            "line 5: bad_value",
            "line 6: missing_field",
        ],
    );
}

#[test]
fn flow_csv_time_units_and_duration() {
    let log = "\
src_ip,dst_ip,start,duration,bytes,packets
10.0.0.1,192.0.2.1,1700000000123,2.5,1000,10
10.0.0.1,192.0.2.1,1700000000123456,,1,1
10.0.0.1,192.0.2.1,2023-11-14T22:13:20.5+01:00,,1,1
";
    check(
        log,
        Format::FlowCsv,
        &[
            "flow proto-0 10.0.0.1:0 -> 192.0.2.1:0 orig=10p/1000b resp=0p/0b 1700000000123000000..1700000002623000000",
            "flow proto-0 10.0.0.1:0 -> 192.0.2.1:0 orig=1p/1b resp=0p/0b 1700000000123456000..1700000000123456000",
            "flow proto-0 10.0.0.1:0 -> 192.0.2.1:0 orig=1p/1b resp=0p/0b 1699996400500000000..1699996400500000000",
        ],
        &[],
    );
}

#[test]
fn flow_json_lines() {
    let log = [
        r#"{"src_ip":"10.0.0.1","src_port":40000,"dst_ip":"192.0.2.80","dst_port":443,"proto":6,"first_seen":1700000000.5,"last_seen":1700000002,"orig_bytes":100,"resp_bytes":200,"orig_pkts":2,"resp_pkts":3}"#,
        r#"{"SrcAddr":"10.0.0.2","DstAddr":"192.0.2.53","Sport":"5353","Dport":"53","Proto":"udp","ts":"1700000003","extra":{"nested":[1,2,{"a":"}"}]}}"#,
        r#"{"src_ip":"10.0.0.3","dst_ip":"192.0.2.1","src_port":-1}"#,
        r#"{"src_ip":"10.0.0.3"}"#,
        r#"{"src_ip":"10.0.0.3","dst_ip":"192.0.2.1""#,
        r#"[1,2,3]"#,
    ]
    .join("\n");
    check(
        &log,
        Format::FlowJson,
        &[
            "flow tcp 10.0.0.1:40000 -> 192.0.2.80:443 orig=2p/100b resp=3p/200b 1700000000500000000..1700000002000000000",
            "flow udp 10.0.0.2:5353 -> 192.0.2.53:53 orig=0p/0b resp=0p/0b 1700000003000000000..1700000003000000000",
        ],
        &[
            "line 3: bad_value",
            "line 4: missing_field",
            "line 5: garbage_line",
            "line 6: garbage_line",
        ],
    );
}

#[test]
fn format_detection() {
    let check = |prefix: &[u8], expect: Option<Format>| assert_eq!(detect_format(prefix), expect);
    check(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0], Some(Format::Pcap));
    check(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0], Some(Format::PcapNg));
    check(b"#separator \\x09\n", Some(Format::ZeekTsv));
    check(b"{\"ts\":1,\"uid\":\"C\"}\n", Some(Format::ZeekJson));
    check(b"{\"src_ip\":\"10.0.0.1\"}\n", Some(Format::FlowJson));
    check(b"src_ip,dst_ip\n", Some(Format::FlowCsv));
    check(b"hello\n", None);
    check(b"", None);
}

mod properties {
    use proptest::prelude::*;

    use crate::scan::{Format, ScanConfig, scan};

    proptest! {
        #[test]
        fn random_text_never_panics(
            text in proptest::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    Just(b'\n'), Just(b'\t'), Just(b','), Just(b'"'), Just(b'{'), Just(b'}'),
                    Just(b'['), Just(b':'), Just(b'\\'), Just(b'#'),
                ],
                0..600,
            ),
        ) {
            for format in [Format::ZeekTsv, Format::ZeekJson, Format::FlowJson, Format::FlowCsv] {
                let mut input = match format {
                    Format::ZeekTsv => b"#fields\tts\tid.orig_h\tid.resp_h\tquery\tanswers\n".to_vec(),
                    Format::FlowCsv => b"src_ip,dst_ip,start,proto\n".to_vec(),
                    _ => Vec::new(),
                };
                input.extend_from_slice(&text);
                let summary = scan(&input, format, &ScanConfig::default(), |_| {}).expect("text scans do not fail");
                prop_assert!(summary.skipped_total() <= summary.records);
            }
        }
    }
}

mod shapes {
    //! JSON lines read against the shape of the line before must give what
    //! the general reader gives, line by line.
    use proptest::prelude::*;

    use crate::scan::{Format, ScanConfig, scan_events};

    /// One flow record with a few formatting and value variations.
    fn record() -> impl Strategy<Value = String> {
        let key_order = any::<bool>();
        let space = prop_oneof![Just(""), Just(" ")];
        let port = prop_oneof![
            (0u32..70_000).prop_map(|it| it.to_string()),
            (0u32..70_000).prop_map(|it| format!("\"{it}\"")),
            Just("null".to_string()),
            Just("-1".to_string()),
        ];
        let address = prop_oneof![
            any::<u32>().prop_map(|it| format!("\"{}\"", std::net::Ipv4Addr::from(it))),
            Just("\"2001:db8::1\"".to_string()),
            Just("\"10.0.0.300\"".to_string()),
            Just("\"10.0.0.1\\u0020\"".to_string()),
        ];
        let time = prop_oneof![
            (1_000_000_000u64..2_000_000_000).prop_map(|it| it.to_string()),
            (1_000_000_000u64..2_000_000_000, 0u32..1_000_000)
                .prop_map(|(s, f)| format!("{s}.{f:06}")),
            Just("\"2023-11-14T22:13:20Z\"".to_string()),
            Just("1.7e9".to_string()),
        ];
        let proto = prop_oneof![Just("6"), Just("\"udp\""), Just("\"TCP\""), Just("300")];
        let extra = prop_oneof![
            Just(""),
            Just(",\"note\":\"x\""),
            Just(",\"tags\":[1,2]"),
            Just(",\"ok\":true")
        ];
        (
            key_order,
            space,
            port,
            address.clone(),
            address,
            time,
            proto,
            extra,
        )
            .prop_map(|(order, space, port, src, dst, time, proto, extra)| {
                let members = [
                    format!("\"src_ip\":{space}{src}"),
                    format!("\"dst_ip\":{space}{dst}"),
                    format!("\"dst_port\":{space}{port}"),
                    format!("\"ts\":{space}{time}"),
                    format!("\"proto\":{space}{proto}"),
                ];
                let joined = if order {
                    members.join(&format!(",{space}"))
                } else {
                    members.iter().rev().cloned().collect::<Vec<_>>().join(",")
                };
                format!("{{{joined}{extra}}}")
            })
    }

    proptest! {
        #[test]
        fn shaped_reading_equals_line_by_line(lines in proptest::collection::vec(record(), 1..12)) {
            let config = ScanConfig::default();
            let log = lines.join("\n");
            let together = scan_events(log.as_bytes(), Format::FlowJson, &config).unwrap();
            let mut events = Vec::new();
            let mut skipped = Vec::new();
            for line in &lines {
                let alone = scan_events(line.as_bytes(), Format::FlowJson, &config).unwrap();
                events.extend(alone.events);
                skipped.extend(alone.summary.samples().iter().map(|it| it.reason));
            }
            prop_assert_eq!(together.events, events);
            let together_skipped: Vec<_> = together.summary.samples().iter().map(|it| it.reason).collect();
            prop_assert_eq!(together_skipped, skipped);
        }
    }
}
