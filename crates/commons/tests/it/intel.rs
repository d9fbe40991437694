//! `commons intel eval` and `commons intel scan` with the built binary:
//! generated captures and flow logs, hand-written Zeek and flow files, and
//! every kind of bad input (corrupt and truncated captures, snaplen cuts,
//! unknown link types, garbage lines, invalid STIX and patterns).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use commons_flows::generate::{
    FlowLogConfig, FlowLogFormat, PcapConfig, TrafficModel, write_flow_log, write_pcap,
};
use commons_flows::{Format, Indicator, IndicatorKind, IndicatorSet, ScanConfig, scan_events};
use serde_json::{Value, json};

use super::Cli;

/// When confidence is judged in these tests: a day after the generated
/// traffic, so nothing has decayed below the threshold.
const AT: &str = "2024-01-02T00:00:00Z";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}\n{}", self.stdout, self.stderr))
    }
}

#[track_caller]
fn intel(cli: &Cli, args: &[&str]) -> Run {
    let mut all = vec!["intel"];
    all.extend_from_slice(args);
    let output: Output = cli.run(&all, None);
    Run {
        code: output
            .status
            .code()
            .expect("commons exits normally, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Runs a command expected to fail with exit code 2 and `message` on stderr.
#[track_caller]
fn error(cli: &Cli, args: &[&str], message: &str) -> Run {
    let run = intel(cli, args);
    assert_eq!(
        run.code, 2,
        "intel {args:?}: {}\n{}",
        run.stderr, run.stdout
    );
    assert!(
        run.stderr.contains(message),
        "intel {args:?}: expected {message:?} in {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn write(cli: &Cli, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = cli.dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// An indicator object.
fn indicator(n: u32, pattern: &str, confidence: u8) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": format!("indicator {n}"),
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "confidence": confidence,
    })
}

fn bundle(objects: Vec<Value>) -> String {
    json!({
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000001",
        "objects": objects,
    })
    .to_string()
}

fn id(n: u32) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012}")
}

// ---------------------------------------------------------------- eval

fn observed(cli: &Cli) -> PathBuf {
    let objects = json!([
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "198.51.100.7"},
        {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-000000000002", "value": "evil.example"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-000000000003",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z", "number_observed": 1,
         "object_refs": ["ipv4-addr--00000000-0000-4000-8000-000000000001"]},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-000000000004",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "first_observed": "2024-01-01T00:00:05Z", "last_observed": "2024-01-01T00:00:05Z", "number_observed": 1,
         "object_refs": ["domain-name--00000000-0000-4000-8000-000000000002"]}
    ]);
    write(cli, "observed.json", objects.to_string())
}

#[test]
fn eval_prints_true_or_false() {
    let cli = Cli::new();
    let file = observed(&cli);
    let check = |pattern: &str, expect: &str| {
        let run = intel(
            &cli,
            &["eval", "--pattern", pattern, "--observed", arg(&file)],
        );
        assert_eq!(
            (run.code, run.stdout.trim()),
            (0, expect),
            "{pattern}: {}",
            run.stderr
        );
    };
    check("[ipv4-addr:value = '198.51.100.7']", "true");
    check("[ipv4-addr:value = '198.51.100.8']", "false");
    check("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "true");
    check(
        "[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'evil.example']",
        "true",
    );
    check(
        "[domain-name:value = 'evil.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7']",
        "false",
    );
    check(
        "([ipv4-addr:value = '198.51.100.7'] AND [domain-name:value LIKE '%.example']) WITHIN 10 SECONDS",
        "true",
    );
    check(
        "([ipv4-addr:value = '198.51.100.7'] AND [domain-name:value LIKE '%.example']) WITHIN 2 SECONDS",
        "false",
    );
    check(
        "[ipv4-addr:value = '198.51.100.7'] REPEATS 2 TIMES",
        "false",
    );
    let text = std::fs::read_to_string(&file).expect("read the fixture");
    let output = cli.run(
        &[
            "intel",
            "eval",
            "--pattern",
            "[domain-name:value = 'evil.example']",
            "--observed",
            "-",
        ],
        Some(&text),
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "true");
}

#[test]
fn eval_json_names_the_bound_observations() {
    let cli = Cli::new();
    let file = observed(&cli);
    let run = intel(
        &cli,
        &[
            "eval",
            "--pattern",
            "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example']",
            "--observed",
            arg(&file),
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["matched"], true);
    assert_eq!(report["observations"], 2);
    let bound: BTreeSet<&str> = report["bindings"]
        .as_array()
        .expect("bindings")
        .iter()
        .flat_map(|binding| binding["observations"].as_array().expect("observations"))
        .map(|it| it["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        bound,
        BTreeSet::from([
            "observed-data--00000000-0000-4000-8000-000000000003",
            "observed-data--00000000-0000-4000-8000-000000000004"
        ])
    );
    let run = intel(
        &cli,
        &[
            "eval",
            "--pattern",
            "[url:value = 'x']",
            "--observed",
            arg(&file),
            "--json",
        ],
    );
    assert_eq!((run.code, &run.json()["matched"]), (0, &json!(false)));
}

#[test]
fn eval_bad_input_is_a_clear_error() {
    let cli = Cli::new();
    let file = observed(&cli);
    // The position, what was expected, and a caret under it.
    let run = error(
        &cli,
        &[
            "eval",
            "--pattern",
            "[ipv4-addr:value = ]",
            "--observed",
            arg(&file),
        ],
        "invalid pattern at byte 19",
    );
    assert!(
        run.stderr
            .contains("[ipv4-addr:value = ]\n                     ^"),
        "{}",
        run.stderr
    );
    error(
        &cli,
        &[
            "eval",
            "--pattern",
            "[ipv4-addr:value = '1.2.3.4'",
            "--observed",
            arg(&file),
        ],
        "invalid pattern at byte 28",
    );
    error(
        &cli,
        &[
            "eval",
            "--pattern",
            "[x:y = 1] WITHIN 0 SECONDS",
            "--observed",
            arg(&file),
        ],
        "invalid pattern",
    );
    // Invalid STIX: every finding, not the first.
    let invalid = write(
        &cli,
        "invalid.json",
        json!([{
            "type": "observed-data", "spec_version": "2.1", "id": "observed-data--nope",
            "created": "yesterday", "modified": "2024-01-01T00:00:00.000Z",
            "first_observed": "2024-01-01T00:00:00Z", "last_observed": "2024-01-01T00:00:00Z",
            "number_observed": 0
        }])
        .to_string(),
    );
    let run = error(
        &cli,
        &[
            "eval",
            "--pattern",
            "[ipv4-addr:value = '1.2.3.4']",
            "--observed",
            arg(&invalid),
        ],
        "is not valid STIX 2.1",
    );
    for pointer in ["/0/id", "/0/created", "/0/number_observed"] {
        assert!(run.stderr.contains(pointer), "{pointer} in {}", run.stderr);
    }
    let not_json = write(&cli, "broken.json", "{\"type\": \"bundle\",\n  oops}");
    error(
        &cli,
        &[
            "eval",
            "--pattern",
            "[ipv4-addr:value = '1.2.3.4']",
            "--observed",
            arg(&not_json),
        ],
        "is not JSON",
    );
    error(
        &cli,
        &[
            "eval",
            "--pattern",
            "[ipv4-addr:value = '1.2.3.4']",
            "--observed",
            "/nonexistent/x.json",
        ],
        "cannot read the observed data file",
    );
}

// ---------------------------------------------------------------- scan

/// A generated capture, the model behind it, and a bundle of indicators
/// drawn from the model: indexed (address, block, domain, port) and
/// evaluated (a conjunction, a sequence over observations).
struct Capture {
    pcap: PathBuf,
    indicators: PathBuf,
    model: TrafficModel,
    bytes: Vec<u8>,
}

fn capture(cli: &Cli) -> Capture {
    let config = PcapConfig {
        seed: 7,
        target_bytes: 400_000,
        ..PcapConfig::default()
    };
    let mut bytes = Vec::new();
    write_pcap(&config, &mut bytes).expect("generate a capture");
    let model = TrafficModel::new(7);
    let [first, second, third] = [&model.servers[0], &model.servers[1], &model.servers[2]];
    let block = {
        let octets = third.ipv4.octets();
        format!("{}.{}.{}.0/24", octets[0], octets[1], octets[2])
    };
    let objects = vec![
        indicator(1, &format!("[ipv4-addr:value = '{}']", first.ipv4), 90),
        indicator(2, &format!("[domain-name:value = '{}']", second.domain), 80),
        indicator(3, &format!("[ipv4-addr:value ISSUBSET '{block}']"), 70),
        indicator(4, "[network-traffic:dst_port = 53]", 60),
        indicator(
            5,
            &format!(
                "[domain-name:value = '{}' OR domain-name:value LIKE '%.{}']",
                first.domain, first.domain
            ),
            85,
        ),
        indicator(
            6,
            &format!(
                "[domain-name:value LIKE '%{}'] AND [ipv4-addr:value = '{}']",
                first.domain, first.ipv4
            ),
            75,
        ),
        // Never seen: an address from the documentation range.
        indicator(7, "[ipv4-addr:value = '192.0.2.1']", 90),
    ];
    Capture {
        pcap: write(cli, "capture.pcap", &bytes),
        indicators: write(cli, "indicators.json", bundle(objects)),
        model,
        bytes,
    }
}

fn alerts_of(report: &Value) -> &Vec<Value> {
    report["alerts"].as_array().expect("alerts")
}

#[test]
fn scan_of_a_generated_capture_agrees_with_the_engine() {
    let cli = Cli::new();
    let capture = capture(&cli);
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&capture.pcap),
            "--indicators",
            arg(&capture.indicators),
            "--at",
            AT,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "alerts exit 1: {}", run.stderr);
    let report = run.json();
    let alerts = alerts_of(&report);

    // The indexed indicators give exactly what the engine gives for the
    // same values, alert by alert (indicator, observable, value, flow).
    let servers = &capture.model.servers;
    let block = servers[2].ipv4.octets();
    let engine_indicators = vec![
        Indicator {
            id: 1,
            kind: IndicatorKind::Ipv4(servers[0].ipv4),
        },
        Indicator {
            id: 2,
            kind: IndicatorKind::Domain(servers[1].domain.clone()),
        },
        Indicator {
            id: 3,
            kind: IndicatorKind::Cidr4([block[0], block[1], block[2], 0].into(), 24),
        },
        Indicator {
            id: 4,
            kind: IndicatorKind::Port(53),
        },
    ];
    let (set, rejected) = IndicatorSet::build(engine_indicators);
    assert!(rejected.is_empty());
    let scanned = scan_events(&capture.bytes, Format::Pcap, &ScanConfig::default())
        .expect("the generated capture scans");
    let expected: BTreeSet<(String, String, String, String)> =
        commons_flows::match_events(&set, &scanned.events)
            .into_iter()
            // Indicator 4 is about the responder port only.
            .filter(|alert| alert.observable != commons_flows::Observable::SrcPort)
            .map(|alert| {
                (
                    id(alert.indicator),
                    alert.observable.as_str().to_string(),
                    alert.value,
                    format!("{}:{}", alert.flow.src, alert.flow.dst_port),
                )
            })
            .collect();
    let indexed: BTreeSet<(String, String, String, String)> = alerts
        .iter()
        .filter(|alert| {
            ![id(5), id(6)].contains(&alert["indicator"].as_str().unwrap_or("").to_string())
        })
        .map(|alert| {
            (
                alert["indicator"].as_str().expect("indicator").to_string(),
                alert["observable"]
                    .as_str()
                    .expect("observable")
                    .to_string(),
                alert["value"].as_str().expect("value").to_string(),
                format!(
                    "{}:{}",
                    alert["flow"]["src"].as_str().expect("src"),
                    alert["flow"]["dst_port"]
                ),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(indexed, expected);
    for n in [1, 2, 3, 4] {
        assert!(
            indexed.iter().any(|alert| alert.0 == id(n)),
            "indicator {n} matched"
        );
    }

    // Evaluated patterns matched too; the unseen indicator did not.
    let by = |n: u32| -> Vec<&Value> {
        alerts
            .iter()
            .filter(|alert| alert["indicator"] == json!(id(n)))
            .collect()
    };
    assert!(
        by(5)
            .iter()
            .all(|alert| alert["observable"] == "observation")
    );
    assert!(!by(5).is_empty());
    // The value shown is the name the pattern is about, whatever carried it.
    let first_domain = &capture.model.servers[0].domain;
    for alert in by(5) {
        let value = alert["value"].as_str().expect("value");
        assert!(
            value == first_domain || value.ends_with(&format!(".{first_domain}")),
            "{alert}"
        );
    }
    assert_eq!(by(6).len(), 1);
    assert_eq!(by(6)[0]["observable"], "observations");
    assert!(by(7).is_empty());

    // Every alert carries confidence and a threat score; a port weighs less.
    for alert in alerts {
        let confidence = alert["confidence"].as_u64().expect("confidence");
        let threat = alert["threat_score"].as_u64().expect("threat score");
        assert!(confidence > 0 && threat <= confidence, "{alert}");
    }
    let port = by(4)[0];
    assert_eq!(port["observable"], "dst_port");
    assert!(port["threat_score"].as_u64() < port["confidence"].as_u64());

    // Streamed through a progress bar, the scan finds the same.
    let streamed = intel(
        &cli,
        &[
            "scan",
            arg(&capture.pcap),
            "--indicators",
            arg(&capture.indicators),
            "--at",
            AT,
            "--format",
            "json",
            "--progress",
            "always",
        ],
    );
    assert_eq!(streamed.json()["alerts"], report["alerts"]);

    let stats = &report["indicators"];
    assert_eq!(
        (
            &stats["active"],
            &stats["indexed"],
            &stats["evaluated"],
            &stats["multi_observation"]
        ),
        (&json!(7), &json!(5), &json!(1), &json!(1))
    );
    let input = &report["inputs"][0];
    assert_eq!(input["format"], "pcap");
    assert_eq!(input["summary"]["flows"], json!(scanned.summary.flows));
    assert_eq!(input["summary"]["records"], json!(scanned.summary.records));
}

#[test]
fn scan_formats_text_and_stix() {
    let cli = Cli::new();
    let capture = capture(&cli);
    let base = [
        "scan",
        arg(&capture.pcap),
        "--indicators",
        arg(&capture.indicators),
        "--at",
        AT,
    ];
    let run = intel(&cli, &base);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let first = run.stdout.lines().next().expect("an alert line");
    assert!(first.starts_with("ALERT indicator--"), "{first}");
    assert!(
        first.contains("confidence") && first.contains("threat"),
        "{first}"
    );
    assert!(
        run.stdout.contains("capture.pcap (pcap): "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("7 indicators active (5 indexed, 1 evaluated, 1 over several observations)")
    );

    // --save keeps the run in the data directory for the web UI.
    let mut args = base.to_vec();
    args.push("--save");
    let saved = intel(&cli, &args);
    assert_eq!(saved.code, 1, "{}", saved.stderr);
    assert!(
        saved.stderr.contains("saved as scan run "),
        "{}",
        saved.stderr
    );
    let runs = commons_node::scans::list(&cli.data_dir()).expect("saved runs");
    assert_eq!(runs.len(), 1);
    let alerts = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("ALERT "))
        .count();
    assert_eq!(runs[0].alerts_total, alerts as u64);
    assert_eq!(runs[0].inputs[0].format.as_deref(), Some("pcap"));
    assert!(runs[0].alerts.iter().all(|alert| alert.community.is_none()));
    assert!(runs[0].alerts.iter().any(|alert| alert.threat_score > 0));

    let mut args = base.to_vec();
    args.extend(["--format", "stix"]);
    let run = intel(&cli, &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let stix: Value = run.json();
    let findings = commons_stix::validate(&stix);
    assert!(
        findings
            .iter()
            .all(|it| it.severity != commons_stix::Severity::Error),
        "{findings:#?}"
    );
    let objects = stix["objects"].as_array().expect("objects");
    let sightings: Vec<&Value> = objects
        .iter()
        .filter(|it| it["type"] == "sighting")
        .collect();
    assert!(!sightings.is_empty());
    for sighting in &sightings {
        let observed = sighting["observed_data_refs"][0]
            .as_str()
            .expect("observed data ref");
        assert!(objects.iter().any(|it| it["id"] == observed));
    }
    // The same scan gives the same bundle.
    assert_eq!(intel(&cli, &args).stdout, run.stdout);
}

#[test]
fn scan_without_alerts_exits_zero_and_inactive_indicators_stay_out() {
    let cli = Cli::new();
    let capture = capture(&cli);
    let server = capture.model.servers[0].ipv4;
    let mut revoked = indicator(1, &format!("[ipv4-addr:value = '{server}']"), 90);
    revoked["revoked"] = json!(true);
    let mut expired = indicator(2, &format!("[ipv4-addr:value = '{server}']"), 90);
    expired["valid_until"] = json!("2024-01-01T12:00:00Z");
    let stale = indicator(3, &format!("[ipv4-addr:value = '{server}']"), 30);
    let file = write(&cli, "inactive.json", bundle(vec![revoked, expired, stale]));
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&capture.pcap),
            "--indicators",
            arg(&file),
            "--at",
            "2024-03-01T00:00:00Z",
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert!(alerts_of(&report).is_empty());
    let stats = &report["indicators"];
    assert_eq!(
        (
            &stats["revoked"],
            &stats["expired"],
            &stats["below_threshold"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&capture.pcap),
            "--indicators",
            arg(&file),
            "--at",
            "2024-03-01T00:00:00Z",
            "--include-inactive",
            "--json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let matched: BTreeSet<&str> = alerts_of(&report)
        .iter()
        .filter_map(|it| it["indicator"].as_str())
        .map(|it| &it[it.len() - 1..])
        .collect();
    assert_eq!(matched, BTreeSet::from(["1", "2", "3"]));
}

#[test]
fn scan_of_generated_flow_logs() {
    let cli = Cli::new();
    let model = TrafficModel::new(3);
    let server = model.servers[0].ipv4;
    let indicators = write(
        &cli,
        "ind.json",
        bundle(vec![indicator(
            1,
            &format!("[ipv4-addr:value = '{server}']"),
            90,
        )]),
    );
    for (name, format, detected) in [
        ("flows.csv", FlowLogFormat::Csv, "flow-csv"),
        ("flows.jsonl", FlowLogFormat::JsonLines, "flow-json"),
    ] {
        let mut bytes = Vec::new();
        let config = FlowLogConfig {
            seed: 3,
            records: 5_000,
            format,
            start_s: 1_704_067_200,
        };
        write_flow_log(&config, &mut bytes).expect("generate a flow log");
        let path = write(&cli, name, &bytes);
        let run = intel(
            &cli,
            &[
                "scan",
                arg(&path),
                "--indicators",
                arg(&indicators),
                "--at",
                AT,
                "--json",
            ],
        );
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        let report = run.json();
        assert_eq!(report["inputs"][0]["format"], detected);
        assert_eq!(report["inputs"][0]["summary"]["records"], 5_000);
        assert_eq!(report["inputs"][0]["summary"]["skipped"], 0);
        assert!(
            alerts_of(&report)
                .iter()
                .all(|alert| alert["value"] == json!(server.to_string()))
        );
        let streamed = intel(
            &cli,
            &[
                "scan",
                arg(&path),
                "--indicators",
                arg(&indicators),
                "--at",
                AT,
                "--json",
                "--progress",
                "always",
            ],
        );
        assert_eq!(streamed.json(), report, "{name} streamed");
    }
}

// ------------------------------------------------- hand-written logs

const ZEEK_CONN: &str = "#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]
1704067200.000000\tC1\t10.0.0.2\t51000\t203.0.113.9\t443\ttcp\tssl\t1.5\t100\t2000\tSF\t-\t-\t0\tShADadFf\t10\t600\t12\t2600\t-
this line is garbage
1704067201.000000\tC2\t10.0.0.3\t51001\tnot-an-address\t80\ttcp\thttp\t0.5\t10\t20\tSF\t-\t-\t0\tShADadFf\t3\t200\t3\t300\t-
1704067202.000000\tC3\t10.0.0.4\t51002\t198.51.100.1\t80\ttcp\thttp\t0.5\t10\t20\tSF\t-\t-\t0\tShADadFf\t3\t200\t3\t300\t-
#close\t2024-01-01-00-00-10
";

const ZEEK_DNS_JSON: &str = r#"{"ts":1704067200.5,"uid":"D1","id.orig_h":"10.0.0.2","id.orig_p":53000,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"www.evil.example","qtype":1,"qtype_name":"A","answers":["203.0.113.9"]}
{"ts":1704067201.5,"uid":"D2","id.orig_h":"10.0.0.3",
not json at all
{"ts":1704067202.5,"uid":"D3","id.orig_h":"10.0.0.3","id.orig_p":53001,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"good.example","qtype":1,"qtype_name":"A","answers":["198.51.100.1"]}
"#;

const FLOW_CSV: &str = "src_ip,dst_ip,src_port,dst_port,proto,bytes\n10.0.0.9,203.0.113.9,40000,443,tcp,100\n,,,\n10.0.0.9,999.1.1.1,40001,443,tcp,100\n10.0.0.9,198.51.100.1,40002,443,tcp,100\n";

fn log_indicators(cli: &Cli) -> PathBuf {
    write(
        cli,
        "log-indicators.json",
        bundle(vec![
            indicator(1, "[ipv4-addr:value = '203.0.113.9']", 90),
            indicator(2, "[domain-name:value = 'evil.example']", 90),
        ]),
    )
}

#[test]
fn scan_of_hand_written_logs_counts_garbage_and_goes_on() {
    let cli = Cli::new();
    let indicators = log_indicators(&cli);
    let conn = write(&cli, "conn.log", ZEEK_CONN);
    let dns = write(&cli, "dns.json", ZEEK_DNS_JSON);
    let flows = write(&cli, "flows.csv", FLOW_CSV);
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&conn),
            arg(&dns),
            arg(&flows),
            "--indicators",
            arg(&indicators),
            "--at",
            AT,
            "--json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let formats: Vec<&Value> = report["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|it| &it["format"])
        .collect();
    assert_eq!(
        formats,
        [&json!("zeek-tsv"), &json!("zeek-json"), &json!("flow-csv")]
    );
    for input in report["inputs"].as_array().expect("inputs") {
        assert_eq!(input["summary"]["skipped"], 2, "{input}");
        assert_eq!(
            input["summary"]["skip_samples"].as_array().map(Vec::len),
            Some(2),
            "{input}"
        );
    }
    let seen: BTreeSet<(&str, &str)> = alerts_of(&report)
        .iter()
        .map(|alert| {
            (
                alert["observable"].as_str().expect("observable"),
                alert["value"].as_str().expect("value"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        BTreeSet::from([
            ("dst_ip", "203.0.113.9"),
            ("dns_answer", "203.0.113.9"),
            ("dns_query", "www.evil.example"),
        ])
    );
    // In text, the reasons are spelled out.
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&conn),
            "--indicators",
            arg(&indicators),
            "--at",
            AT,
        ],
    );
    assert!(run.stdout.contains("skipped"), "{}", run.stdout);
    assert!(run.stdout.contains("at line"), "{}", run.stdout);
}

// ------------------------------------------------------- bad captures

/// Ethernet + IPv4 + UDP from 10.0.0.1:5000 to `dst`:53.
fn udp_frame(dst: [u8; 4]) -> Vec<u8> {
    let payload = b"not really dns";
    let udp_len = 8 + payload.len();
    let ip_len = 20 + udp_len;
    let mut frame = Vec::new();
    frame.extend([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
    let mut ip = vec![
        0x45,
        0,
        (ip_len >> 8) as u8,
        ip_len as u8,
        0,
        1,
        0,
        0,
        64,
        17,
        0,
        0,
    ];
    ip.extend([10, 0, 0, 1]);
    ip.extend(dst);
    let sum = ip
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
        .sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    let checksum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());
    frame.extend(ip);
    frame.extend(5000u16.to_be_bytes());
    frame.extend(53u16.to_be_bytes());
    frame.extend((udp_len as u16).to_be_bytes());
    frame.extend([0, 0]);
    frame.extend(payload);
    frame
}

/// A little-endian microsecond pcap; each packet is (captured bytes, length on the wire).
fn pcap(link_type: u32, packets: &[(Vec<u8>, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0; 8]);
    out.extend(65_535u32.to_le_bytes());
    out.extend(link_type.to_le_bytes());
    for (n, (data, orig_len)) in packets.iter().enumerate() {
        out.extend((1_704_067_200u32 + n as u32).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend((data.len() as u32).to_le_bytes());
        out.extend((*orig_len as u32).to_le_bytes());
        out.extend(data);
    }
    out
}

/// A little-endian pcapng with one Ethernet interface; each packet is
/// (interface id, captured bytes).
fn pcapng(packets: &[(u32, Vec<u8>)]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
        let len = 12 + body.len().div_ceil(4) * 4;
        out.extend(kind.to_le_bytes());
        out.extend((len as u32).to_le_bytes());
        out.extend(body);
        out.resize(out.len() + (len - 12 - body.len()), 0);
        out.extend((len as u32).to_le_bytes());
    }
    let mut out = Vec::new();
    let mut header = Vec::new();
    header.extend(0x1a2b_3c4du32.to_le_bytes());
    header.extend(1u16.to_le_bytes());
    header.extend(0u16.to_le_bytes());
    header.extend((-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &header);
    let mut interface = Vec::new();
    interface.extend(1u16.to_le_bytes());
    interface.extend(0u16.to_le_bytes());
    interface.extend(65_535u32.to_le_bytes());
    block(&mut out, 1, &interface);
    for (n, (interface, data)) in packets.iter().enumerate() {
        let micros = (1_704_067_200u64 + n as u64) * 1_000_000;
        let mut body = Vec::new();
        body.extend(interface.to_le_bytes());
        body.extend(((micros >> 32) as u32).to_le_bytes());
        body.extend((micros as u32).to_le_bytes());
        body.extend((data.len() as u32).to_le_bytes());
        body.extend((data.len() as u32).to_le_bytes());
        body.extend(data);
        block(&mut out, 6, &body);
    }
    out
}

const BAD: [u8; 4] = [203, 0, 113, 9];

fn scan_json(cli: &Cli, path: &Path, indicators: &Path) -> (i32, Value) {
    let run = intel(
        cli,
        &[
            "scan",
            arg(path),
            "--indicators",
            arg(indicators),
            "--at",
            AT,
            "--json",
        ],
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    (run.code, run.json())
}

#[test]
fn scan_of_bad_captures_reports_what_it_skipped() {
    let cli = Cli::new();
    let indicators = log_indicators(&cli);
    let good = udp_frame(BAD);
    let skipped = |report: &Value, reason: &str| {
        report["inputs"][0]["summary"]["skipped_by_reason"][reason].clone()
    };

    // Cut by the end of the file in the middle of the second record: the
    // first packet still matches.
    let mut truncated = pcap(1, &[(good.clone(), good.len()), (good.clone(), good.len())]);
    truncated.truncate(truncated.len() - 10);
    let path = write(&cli, "truncated.pcap", &truncated);
    let (code, report) = scan_json(&cli, &path, &indicators);
    assert_eq!(code, 1);
    assert_eq!(skipped(&report, "truncated_record"), 1);
    assert_eq!(alerts_of(&report).len(), 1);

    // A record header with an impossible length between two good packets:
    // the reader resynchronises and the packet after it is still read.
    let mut corrupt = pcap(1, &[(good.clone(), good.len())]);
    corrupt.extend([0xff; 16]);
    corrupt.extend(&pcap(1, &[(udp_frame([198, 51, 100, 1]), good.len())])[24..]);
    let path = write(&cli, "corrupt.pcap", &corrupt);
    let (code, report) = scan_json(&cli, &path, &indicators);
    assert_eq!(code, 1);
    assert!(
        skipped(&report, "corrupt_record").as_u64() >= Some(1),
        "{report}"
    );
    assert_eq!(report["inputs"][0]["summary"]["flows"], 2, "{report}");

    // Cut by the snapshot length inside the IP header.
    let path = write(
        &cli,
        "snaplen.pcap",
        pcap(
            1,
            &[
                (good[..20].to_vec(), good.len()),
                (good.clone(), good.len()),
            ],
        ),
    );
    let (code, report) = scan_json(&cli, &path, &indicators);
    assert_eq!(code, 1);
    assert_eq!(report["inputs"][0]["summary"]["snaplen_cut"], 1);
    assert_eq!(skipped(&report, "truncated_header"), 1);

    // pcapng, with a packet naming an interface nobody declared.
    let path = write(
        &cli,
        "capture.pcapng",
        pcapng(&[
            (0, good.clone()),
            (3, good.clone()),
            (0, udp_frame([198, 51, 100, 1])),
        ]),
    );
    let (code, report) = scan_json(&cli, &path, &indicators);
    assert_eq!(code, 1);
    assert_eq!(report["inputs"][0]["format"], "pcapng");
    assert_eq!(skipped(&report, "unknown_interface"), 1);
    assert_eq!(report["inputs"][0]["summary"]["flows"], 2, "{report}");

    // A link type nobody decodes.
    let path = write(
        &cli,
        "linktype.pcap",
        pcap(
            147,
            &[(good.clone(), good.len()), (good.clone(), good.len())],
        ),
    );
    let (code, report) = scan_json(&cli, &path, &indicators);
    assert_eq!(code, 0);
    assert_eq!(skipped(&report, "unknown_link_type"), 2);
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&path),
            "--indicators",
            arg(&indicators),
            "--at",
            AT,
        ],
    );
    assert!(
        run.stdout.contains("link type this tool does not decode"),
        "{}",
        run.stdout
    );

    // Inputs that cannot be scanned at all: reported, the others still
    // scanned, exit 2.
    let header = write(&cli, "header.pcap", &pcap(1, &[])[..10]);
    let empty = write(&cli, "empty.pcap", "");
    let noise = write(
        &cli,
        "noise.bin",
        [0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10, 0x20],
    );
    let good_path = write(&cli, "good.pcap", pcap(1, &[(good.clone(), good.len())]));
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&header),
            arg(&empty),
            arg(&noise),
            arg(&good_path),
            "--indicators",
            arg(&indicators),
            "--at",
            AT,
            "--json",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    for message in [
        "ends inside its",
        "the file is empty",
        "cannot tell its format",
    ] {
        assert!(run.stderr.contains(message), "{message} in {}", run.stderr);
    }
    let report = run.json();
    assert_eq!(alerts_of(&report).len(), 1, "the good input was scanned");
    error(
        &cli,
        &[
            "scan",
            "/nonexistent.pcap",
            "--indicators",
            arg(&indicators),
        ],
        "cannot open it",
    );
}

#[test]
fn scan_bad_arguments_and_indicators_are_clear_errors() {
    let cli = Cli::new();
    let log = write(&cli, "flows.csv", FLOW_CSV);
    let indicators = log_indicators(&cli);
    error(&cli, &["scan", arg(&log)], "no indicators to match");
    error(
        &cli,
        &["scan", arg(&log), "--community", "no-such-community"],
        "cannot list its active indicators",
    );
    error(
        &cli,
        &[
            "scan",
            arg(&log),
            "--indicators",
            arg(&indicators),
            "--report-sightings",
        ],
        "name it with --community",
    );
    error(
        &cli,
        &[
            "scan",
            arg(&log),
            "--indicators",
            arg(&indicators),
            "--at",
            "tomorrow",
        ],
        "expected an RFC 3339 time",
    );
    let bad_pattern = write(
        &cli,
        "bad-pattern.json",
        bundle(vec![indicator(1, "[ipv4-addr:value = '1.2.3.4'] AND", 50)]),
    );
    let run = error(
        &cli,
        &["scan", arg(&log), "--indicators", arg(&bad_pattern)],
        "is not valid STIX 2.1",
    );
    assert!(run.stderr.contains("/objects/0/pattern"), "{}", run.stderr);
    let mut missing = indicator(2, "[ipv4-addr:value = '1.2.3.4']", 50);
    missing
        .as_object_mut()
        .expect("object")
        .remove("valid_from");
    let mut bad_time = indicator(3, "[ipv4-addr:value = '1.2.3.4']", 50);
    bad_time["created"] = json!("not a time");
    let invalid = write(&cli, "invalid.json", bundle(vec![missing, bad_time]));
    let run = error(
        &cli,
        &["scan", arg(&log), "--indicators", arg(&invalid)],
        "is not valid STIX 2.1 (2 errors)",
    );
    for pointer in ["/objects/0/valid_from", "/objects/1/created"] {
        assert!(run.stderr.contains(pointer), "{pointer} in {}", run.stderr);
    }
    error(
        &cli,
        &["scan", arg(&log), "--indicators", arg(&log)],
        "is not JSON",
    );
}

const ZEEK_HTTP: &str = "#separator \\x09
#path\thttp
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\tuser_agent
1704067200\tH1\t10.0.0.3\t40100\t192.0.2.80\t80\t1\tGET\tshop.example\t/cart?id=1\tcurl/8.5
1704067201\tH2\t10.0.0.3\t40101\t192.0.2.80\t80\t1\tGET\tshop.example\t/index.html\tcurl/8.5
";

const CERT: &str = "3f0c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";

fn zeek_ssl() -> String {
    format!(
        "#separator \\x09
#path\tssl
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\tcert_chain_fps
1704067202\tS1\t10.0.0.4\t40200\t192.0.2.81\t443\tTLSv13\tapi.secure.example\t{CERT}
"
    )
}

#[test]
fn scan_matches_urls_names_hashes_and_port_sides() {
    let cli = Cli::new();
    let http = write(&cli, "http.log", ZEEK_HTTP);
    let ssl = write(&cli, "ssl.log", zeek_ssl());
    let flows = write(&cli, "flows.csv", FLOW_CSV);
    let indicators = write(
        &cli,
        "indicators.json",
        bundle(vec![
            indicator(1, "[url:value = 'http://shop.example/cart?id=1']", 90),
            indicator(2, "[domain-name:value = 'secure.example']", 90),
            indicator(
                3,
                &format!("[x509-certificate:hashes.'SHA-256' = '{CERT}']"),
                90,
            ),
            indicator(4, "[url:value LIKE '%/index%']", 90),
            indicator(5, "[network-traffic:dst_port = 443]", 90),
            indicator(6, "[network-traffic:src_port = 443]", 90),
        ]),
    );
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&http),
            arg(&ssl),
            arg(&flows),
            "--indicators",
            arg(&indicators),
            "--at",
            AT,
            "--json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let seen: BTreeSet<(String, &str, &str)> = alerts_of(&report)
        .iter()
        .map(|alert| {
            let indicator = alert["indicator"].as_str().expect("indicator");
            (
                indicator[indicator.len() - 1..].to_string(),
                alert["observable"].as_str().expect("observable"),
                alert["value"].as_str().expect("value"),
            )
        })
        .collect();
    let expected: BTreeSet<(String, &str, &str)> = [
        ("1", "http_url", "http://shop.example/cart?id=1"),
        ("2", "tls_sni", "api.secure.example"),
        ("3", "file_hash", CERT),
        ("4", "observation", "http://shop.example/index.html"),
        ("5", "dst_port", "443"),
    ]
    .into_iter()
    .map(|(n, observable, value)| (n.to_string(), observable, value))
    .collect();
    assert_eq!(seen, expected);
    let stats = &report["indicators"];
    assert_eq!(
        (&stats["indexed"], &stats["evaluated"]),
        (&json!(5), &json!(1))
    );
}

/// An indicator valid from an hour ago, so the node counts it active now.
fn recent_indicator(n: u32, pattern: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64;
    let hour_ago = commons_stix::Timestamp::from_unix(now - 3600, 0)
        .expect("a time in range")
        .with_fraction_digits(3)
        .to_string();
    let mut object = indicator(n, pattern, 90);
    object["created"] = json!(hour_ago);
    object["modified"] = json!(hour_ago);
    object["valid_from"] = json!(hour_ago);
    object
}

#[test]
fn scan_matches_a_community_feed_and_reports_sightings_without_addresses() {
    let cli = Cli::new();
    let published = write(
        &cli,
        "feed.json",
        bundle(vec![
            recent_indicator(7, "[ipv4-addr:value = '203.0.113.9']"),
            recent_indicator(8, "[domain-name:value = 'quiet.example']"),
        ]),
    );
    let publish = intel(
        &cli,
        &["publish", arg(&published), "--community", "security"],
    );
    assert_eq!(publish.code, 0, "{}", publish.stderr);

    let log = write(&cli, "flows.csv", FLOW_CSV);
    let run = intel(
        &cli,
        &[
            "scan",
            arg(&log),
            "--community",
            "security",
            "--report-sightings",
            "--json",
        ],
    );
    assert_eq!(run.code, 1, "alerts exit with 1: {}", run.stderr);
    let report = run.json();
    let alerts = alerts_of(&report);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        run.stderr.contains("reported 1 sighting(s)"),
        "{}",
        run.stderr
    );

    // The community's log holds the sighting: the indicator, a count and a
    // window, and none of the scanned addresses.
    let shown = cli.run(&["log", "show", "security", "--json"], None);
    assert!(shown.status.success());
    let text = String::from_utf8(shown.stdout).expect("utf-8");
    let log: Value = serde_json::from_str(&text).expect("log JSON");
    let sightings: Vec<&Value> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["kind"] == "intel.sighting")
        .collect();
    assert_eq!(sightings.len(), 1, "{text}");
    let sighting = sightings[0].to_string();
    assert!(sighting.contains(&id(7)), "{sighting}");
    for private in ["10.0.0.9", "203.0.113.9", "40000"] {
        assert!(!sighting.contains(private), "{private} leaked: {sighting}");
    }
}
