//! `commons intel scan`: captures, Zeek logs and flow records matched
//! against indicators. Each input's format is told from its content; a bad
//! packet or line is counted and skipped, an unusable input is reported and
//! the others are still scanned.

use std::collections::HashMap;
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use commons_flows::{Event, FiveTuple, Format as InputFormat, ScanConfig, ScanSummary};
use commons_node::control::Command;
use commons_stix::{Observation, Timestamp};

use super::indicators::{self, Compiled, LoadOptions, PortSide};
use super::observe;
use super::report::{self, Alert, InputReport, Report, SummaryOut};
use crate::client::Target;
use crate::config::Config;

/// Inputs at least this large get a progress bar (on a terminal).
const PROGRESS_BYTES: u64 = 16 << 20;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Captures (pcap, pcapng), Zeek conn/dns/http/ssl logs (TSV or JSON) or
    /// flow records (JSON lines or CSV); the format is told from the content
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Match the active indicators of this community (repeatable)
    #[arg(long, value_name = "NAME")]
    community: Vec<String>,
    /// The member whose view of --community is used
    #[arg(long, default_value = "admin")]
    user: String,
    /// A STIX bundle or JSON list of objects holding indicators (repeatable;
    /// `-` for standard input)
    #[arg(long, value_name = "FILE")]
    indicators: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Send sightings to the community: only the indicator, a count and the
    /// time window, never addresses
    #[arg(long)]
    report_sightings: bool,
    /// Judge validity and confidence at this time (RFC 3339) instead of now
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Also match revoked, expired and low-confidence indicators
    #[arg(long)]
    include_inactive: bool,
    /// Show a progress bar: for inputs of 16 MiB or more on a terminal
    /// (auto), for every input, or never
    #[arg(long, value_enum, default_value = "auto")]
    progress: Progress,
    /// Keep this run's results in the data directory (the last 20 runs), for
    /// the web UI's scan results page; they never leave this node
    #[arg(long)]
    save: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    /// For big inputs when standard error is a terminal
    Auto,
    /// For every input (drawn only on a terminal)
    Always,
    /// Never
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per alert, then a summary per input
    Text,
    /// One JSON document: alerts, inputs, indicators
    Json,
    /// A STIX 2.1 bundle of sightings and observed data
    Stix,
}

pub async fn run(args: ScanArgs, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let format = if json { Format::Json } else { args.format };
    if args.report_sightings && args.community.is_empty() {
        bail!("--report-sightings sends sightings to a community; name it with --community NAME");
    }
    if args.indicators.is_empty() && args.community.is_empty() {
        bail!("no indicators to match; pass --indicators FILE (a STIX bundle) or --community NAME");
    }
    let now = match &args.at {
        Some(text) => Timestamp::parse(text)
            .with_context(|| {
                format!("--at {text}: expected an RFC 3339 time such as 2026-01-31T12:00:00Z")
            })?
            .unix_seconds(),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs() as i64,
    };
    let mut sources = Vec::new();
    for name in &args.community {
        let bundle = community_indicators(config, &args.user, name).await?;
        sources.push((format!("community {name}"), bundle));
    }
    for path in &args.indicators {
        sources.push((
            path.display().to_string(),
            super::read_json(path, "indicators")?,
        ));
    }
    let compiled = indicators::load(
        &sources,
        LoadOptions {
            now,
            include_inactive: args.include_inactive,
        },
    )?;
    let mut matching = Matching::new(&compiled);
    let mut inputs = Vec::new();
    for path in &args.inputs {
        inputs.push(scan_input(path, args.progress, &mut matching));
    }
    let alerts = matching.finish();
    let report = Report {
        alerts: &alerts,
        inputs: &inputs,
        indicators: &compiled.stats,
        now,
    };
    match format {
        Format::Text => report::print_text(&report),
        Format::Json => report::print_json(&report),
        Format::Stix => println!(
            "{}",
            serde_json::to_string_pretty(&report::stix_bundle(&report))
                .expect("a JSON value serializes")
        ),
    }
    if args.save {
        let run = saved_run(&args, &sources, &inputs, &alerts);
        let id = run.id.clone();
        commons_node::scans::save(&config.data_dir, run)
            .context("cannot keep the run's results (--save)")?;
        eprintln!("saved as scan run {id}");
    }
    if args.report_sightings {
        let sent = send_sightings(config, &args.user, &sources, &alerts).await?;
        eprintln!("reported {sent} sighting(s) to the communities that published the indicators");
    }
    if inputs.iter().any(|input| input.error.is_some()) {
        eprintln!("error: some inputs could not be scanned (see above)");
        return Ok(ExitCode::from(super::EXIT_ERROR));
    }
    Ok(if alerts.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The run as `--save` keeps it: each alert names the community that
/// published its indicator, when one did.
fn saved_run(
    args: &ScanArgs,
    sources: &[(String, serde_json::Value)],
    inputs: &[InputReport],
    alerts: &[Alert],
) -> commons_node::scans::ScanRun {
    use commons_node::scans::{ScanRun, ScanRunAlert, ScanRunInput};
    let mut publisher: HashMap<&str, &str> = HashMap::new();
    for (label, bundle) in sources {
        let Some(community) = label.strip_prefix("community ") else {
            continue;
        };
        for object in bundle["objects"].as_array().into_iter().flatten() {
            if let Some(id) = object["id"].as_str() {
                publisher.entry(id).or_insert(community);
            }
        }
    }
    ScanRun {
        id: commons_node::scans::new_id(),
        ts_ms: commons_node::now().0,
        user: args.user.clone(),
        communities: args.community.clone(),
        indicator_files: args
            .indicators
            .iter()
            .map(|path| path.display().to_string())
            .collect(),
        inputs: inputs
            .iter()
            .map(|input| ScanRunInput {
                path: input.path.clone(),
                format: input.format.map(str::to_owned),
                records: input.summary.records,
                skipped: input.summary.skipped,
                error: input.error.clone(),
            })
            .collect(),
        alerts: alerts
            .iter()
            .map(|alert| ScanRunAlert {
                indicator: alert.indicator.clone(),
                name: alert.name.clone(),
                community: publisher
                    .get(alert.indicator.as_str())
                    .map(|name| (*name).to_owned()),
                observable: alert.observable.clone(),
                value: alert.value.clone(),
                flow: alert.flow.to_string(),
                first_seen: alert.first_seen.clone(),
                last_seen: alert.last_seen.clone(),
                count: alert.count,
                confidence: alert.confidence,
                threat_score: alert.threat_score,
            })
            .collect(),
        alerts_total: alerts.len() as u64,
    }
}

/// The active indicators of community `name` as the node lists them for
/// `user`: a STIX bundle, joined with the `--indicators` bundles.
async fn community_indicators(
    config: &Config,
    user: &str,
    name: &str,
) -> anyhow::Result<serde_json::Value> {
    let target = Target::connect(config).await?;
    let reply = target
        .run(Command::IntelActive {
            user: user.to_owned(),
            community: Some(name.to_owned()),
        })
        .await;
    target.close().await;
    reply.with_context(|| format!("--community {name}: cannot list its active indicators"))
}

/// Sends each community the sightings of the indicators it published: only
/// the indicator reference, the count and the time window, never the flow,
/// the matched value or an address. Returns how many were sent.
async fn send_sightings(
    config: &Config,
    user: &str,
    sources: &[(String, serde_json::Value)],
    alerts: &[Alert],
) -> anyhow::Result<usize> {
    let mut by_community: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for sighting in report::community_sightings(alerts) {
        let indicator = sighting["sighting_of_ref"].as_str().unwrap_or_default();
        for (label, bundle) in sources {
            let Some(community) = label.strip_prefix("community ") else {
                continue;
            };
            let published = bundle["objects"].as_array().is_some_and(|objects| {
                objects
                    .iter()
                    .any(|object| object["id"].as_str() == Some(indicator))
            });
            if !published {
                continue;
            }
            let body = serde_json::json!({
                "indicator": indicator,
                "count": sighting["count"],
                "first_seen": sighting["first_seen"],
                "last_seen": sighting["last_seen"],
            });
            match by_community.iter_mut().find(|(name, _)| name == community) {
                Some((_, bodies)) => bodies.push(body),
                None => by_community.push((community.to_owned(), vec![body])),
            }
        }
    }
    let mut sent = 0;
    for (community, sightings) in by_community {
        let target = Target::connect(config).await?;
        let n = sightings.len();
        let reply = target
            .run(Command::IntelSightings {
                user: user.to_owned(),
                community: community.clone(),
                sightings,
            })
            .await;
        target.close().await;
        reply.with_context(|| format!("could not report sightings to {community}"))?;
        sent += n;
    }
    Ok(sent)
}

/// Scans one input, recording its summary or why it could not be read.
fn scan_input(path: &Path, progress: Progress, matching: &mut Matching<'_>) -> InputReport {
    let mut report = InputReport {
        path: path.display().to_string(),
        format: None,
        error: None,
        summary: SummaryOut::default(),
    };
    match scan_file(path, progress, matching, &mut report.format) {
        Ok(summary) => report.summary = SummaryOut::new(&summary),
        Err(error) => {
            eprintln!("error: {}: {error:#}", path.display());
            report.error = Some(format!("{error:#}"));
        }
    }
    report
}

fn scan_file(
    path: &Path,
    progress: Progress,
    matching: &mut Matching<'_>,
    format_out: &mut Option<&'static str>,
) -> anyhow::Result<ScanSummary> {
    let mut file = File::open(path).context("cannot open it")?;
    let size = file.metadata().context("cannot read its size")?.len();
    if size == 0 {
        bail!("the file is empty");
    }
    let mut prefix = Vec::with_capacity(4096);
    (&mut file)
        .take(4096)
        .read_to_end(&mut prefix)
        .context("cannot read it")?;
    let Some(format) = commons_flows::detect_format(&prefix) else {
        bail!(
            "cannot tell its format: expected a pcap or pcapng capture, a Zeek conn/dns/http/ssl log (TSV or JSON) or flow records (JSON lines or CSV with a header)"
        );
    };
    *format_out = Some(format_name(format));
    let config = ScanConfig::default();
    let show = match progress {
        Progress::Auto => size >= PROGRESS_BYTES && std::io::stderr().is_terminal(),
        Progress::Always => true,
        Progress::Never => false,
    };
    // With a bar the input streams through it; without, it is read whole
    // and scanned in memory, which is faster.
    let progress = show.then(|| progress_bar(size, path));
    let summary = match &progress {
        Some(bar) => {
            let file = File::open(path).context("cannot open it")?;
            let reader = bar.wrap_read(file);
            commons_flows::scan_reader(reader, format, &config, |event| matching.event(event))
        }
        None => {
            let mut bytes = prefix;
            file.read_to_end(&mut bytes).context("cannot read it")?;
            commons_flows::scan(&bytes, format, &config, |event| matching.event(event))
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    summary.map_err(|error| anyhow::anyhow!("{error}"))
}

fn format_name(format: InputFormat) -> &'static str {
    match format {
        InputFormat::Pcap => "pcap",
        InputFormat::PcapNg => "pcapng",
        InputFormat::ZeekTsv => "zeek-tsv",
        InputFormat::ZeekJson => "zeek-json",
        InputFormat::FlowJson => "flow-json",
        InputFormat::FlowCsv => "flow-csv",
    }
}

fn progress_bar(size: u64, path: &Path) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(path.display().to_string());
    bar
}

/// An evaluator alert being aggregated.
struct Tally {
    serial: usize,
    first_ns: i64,
    last_ns: i64,
    count: u64,
}

/// Both matchers over a stream of events, across every input.
struct Matching<'a> {
    compiled: &'a Compiled,
    flows: commons_flows::Matcher<'a>,
    /// Whether any pattern needs events as observations.
    observe: bool,
    found: Vec<u32>,
    evaluated: HashMap<(u32, String, FiveTuple), Tally>,
    /// Observations some pattern over several observations could bind, with
    /// their flow and value.
    kept: Vec<(Observation, FiveTuple, String)>,
}

impl<'a> Matching<'a> {
    fn new(compiled: &'a Compiled) -> Matching<'a> {
        Matching {
            compiled,
            flows: commons_flows::Matcher::new(&compiled.set),
            observe: !compiled.stix_ids.is_empty() || !compiled.multi.is_empty(),
            found: Vec::new(),
            evaluated: HashMap::new(),
            kept: Vec::new(),
        }
    }

    fn event(&mut self, event: Event) {
        self.flows.event(&event);
        if !self.observe {
            return;
        }
        let observation = observe::observation(&event);
        self.found.clear();
        self.compiled
            .evaluated
            .match_observation(&observation, &mut self.found);
        let (first_ns, last_ns) = match &event {
            Event::Flow(flow) => (flow.first_seen_ns, flow.last_seen_ns),
            other => (other.ts_ns(), other.ts_ns()),
        };
        for pattern in &self.found {
            let Some(&number) = self.compiled.stix_ids.get(*pattern as usize) else {
                continue;
            };
            let types = &self.compiled.stix_types[*pattern as usize];
            let serial = self.evaluated.len();
            let tally = self
                .evaluated
                .entry((
                    number,
                    observe::matched_value(&event, types),
                    *event.tuple(),
                ))
                .or_insert(Tally {
                    serial,
                    first_ns,
                    last_ns,
                    count: 0,
                });
            tally.count += 1;
            tally.first_ns = tally.first_ns.min(first_ns);
            tally.last_ns = tally.last_ns.max(last_ns);
        }
        if self
            .compiled
            .multi
            .iter()
            .any(|(_, pattern)| pattern.matches_one(&observation))
        {
            self.kept
                .push((observation, *event.tuple(), observe::primary_value(&event)));
        }
    }

    /// Every alert, in order of first sighting.
    fn finish(self) -> Vec<Alert> {
        let indicators = &self.compiled.indicators;
        let mut alerts: Vec<Alert> = self
            .flows
            .finish()
            .into_iter()
            .filter_map(|alert| {
                let loaded = indicators.get(alert.indicator as usize)?;
                let side_ok = !matches!(
                    (loaded.port_side, alert.observable),
                    (Some(PortSide::Src), commons_flows::Observable::DstPort)
                        | (Some(PortSide::Dst), commons_flows::Observable::SrcPort)
                );
                side_ok.then(|| {
                    report::alert(
                        loaded,
                        alert.observable.as_str(),
                        alert.value,
                        &alert.flow,
                        (alert.first_seen_ns, alert.last_seen_ns),
                        alert.count,
                    )
                })
            })
            .collect();
        let mut evaluated: Vec<_> = self.evaluated.into_iter().collect();
        evaluated.sort_by_key(|(_, tally)| tally.serial);
        for ((number, value, flow), tally) in evaluated {
            alerts.push(report::alert(
                &indicators[number as usize],
                "observation",
                value,
                &flow,
                (tally.first_ns, tally.last_ns),
                tally.count,
            ));
        }
        let observations: Vec<Observation> =
            self.kept.iter().map(|(it, _, _)| it.clone()).collect();
        for (number, pattern) in &self.compiled.multi {
            let evaluation = pattern.evaluate(&observations);
            if evaluation.exhausted {
                eprintln!(
                    "warning: indicator {} needed too much search; treated as not matched",
                    indicators[*number as usize].id
                );
            }
            if !evaluation.matched {
                continue;
            }
            let bound: Vec<usize> = evaluation
                .bindings
                .iter()
                .flat_map(|binding| binding.observations.iter().map(|it| it.index))
                .collect();
            let Some(&first) = bound
                .iter()
                .min_by_key(|idx| observations[**idx].first_observed.unix_nanos())
            else {
                continue;
            };
            let first_ns = bound
                .iter()
                .map(|idx| observations[*idx].first_observed.unix_nanos())
                .min()
                .unwrap_or_default();
            let last_ns = bound
                .iter()
                .map(|idx| observations[*idx].last_observed.unix_nanos())
                .max()
                .unwrap_or_default();
            let mut values: Vec<&str> =
                bound.iter().map(|idx| self.kept[*idx].2.as_str()).collect();
            values.sort_unstable();
            values.dedup();
            alerts.push(report::alert(
                &indicators[*number as usize],
                "observations",
                values.join(", "),
                &self.kept[first].1,
                (clamp_ns(first_ns), clamp_ns(last_ns)),
                bound.len() as u64,
            ));
        }
        alerts.sort_by(|a, b| {
            (a.window_ns.0, &a.indicator, &a.observable, &a.value).cmp(&(
                b.window_ns.0,
                &b.indicator,
                &b.observable,
                &b.value,
            ))
        });
        alerts
    }
}

fn clamp_ns(ns: i128) -> i64 {
    i64::try_from(ns).unwrap_or(i64::MAX)
}
