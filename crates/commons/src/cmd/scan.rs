//! `commons scan`: fingerprint every supported file under a path, in
//! parallel and honouring `.gitignore`, and report where library patterns
//! match, as text, JSON or SARIF 2.1.0. Patterns come from local pattern
//! files (`--patterns`) and from the accepted libraries of the user's
//! communities (`--community`), each pattern under the key of its epoch.
//!
//! `--watch` registers the path with the node as a scan root: when a
//! security pattern is accepted, the node re-scans its roots for it and
//! raises a notification (`commons notifications`). For the communities
//! listed in the `report_match_counts` setting, the scan reports how many
//! times each pattern matched (counts only) to the community.

mod cache;
mod sarif;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use commons_fingerprint::{
    CachedScan, CommunityKey, Config, FingerprintError, Language, Library, ScanCache,
    SharedFingerprint,
};
use commons_node::control::Command;
use rayon::prelude::*;
use serde::Serialize;

use super::pattern::{PATTERN_FORMAT, PatternFile, Severity, community_key, local_key};
use super::text;
use crate::client::Target;
use crate::config::Config as NodeConfig;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The directory or file to scan
    path: PathBuf,
    /// Pattern files (`commons pattern abstract --json` output) or
    /// directories of them; repeatable
    #[arg(long = "patterns", value_name = "FILE_OR_DIR")]
    patterns: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Exit with 1 when a match of this severity or worse is found
    #[arg(long, value_enum)]
    fail_on: Option<Severity>,
    /// Worker threads (default: one per core)
    #[arg(long)]
    threads: Option<usize>,
    /// Match the accepted patterns of this community (id or name); repeatable
    #[arg(long = "community", value_name = "NAME")]
    communities: Vec<String>,
    /// The member whose communities' libraries are used
    #[arg(long, default_value = "admin")]
    user: String,
    /// Neither read nor write the scan cache (results of unchanged file
    /// contents, kept in the data directory)
    #[arg(long)]
    no_cache: bool,
    /// Register PATH with the node: when a security pattern is accepted,
    /// the node re-scans it and raises a notification (scans too when
    /// patterns are given)
    #[arg(long, conflicts_with = "unwatch")]
    watch: bool,
    /// Stop watching PATH
    #[arg(long)]
    unwatch: bool,
}

/// Patterns hashed under one key, indexed together; ids index the global
/// pattern list.
struct Source {
    key: CommunityKey,
    library: Library,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per match and a summary
    Text,
    /// One JSON document
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
}

/// One match of one pattern in one file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Index of the pattern in the scan's pattern list.
    #[serde(skip)]
    pub index: usize,
    /// Path relative to the scanned root.
    pub file: String,
    /// First line.
    pub first_line: u32,
    /// Last line.
    pub last_line: u32,
    /// The pattern's title.
    pub pattern: String,
    /// The pattern's severity.
    pub severity: Severity,
    /// Share of the pattern's hashes found, 0–1.
    pub similarity: f64,
}

/// What the scan read and why it skipped what it skipped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Files fingerprinted.
    pub scanned: u64,
    /// Files without a supported language (not counted as skipped).
    pub unsupported: u64,
    /// Files skipped, by reason.
    pub skipped: std::collections::BTreeMap<String, u64>,
    /// Patterns loaded.
    pub patterns: usize,
    /// Of the files scanned, those whose results came from the scan cache.
    pub cached: u64,
    /// Of the files scanned, those with syntax errors (read with the
    /// parser's error recovery; matches are still reported).
    pub syntax_errors: u64,
}

pub async fn run(args: ScanArgs, config: &NodeConfig, json: bool) -> anyhow::Result<ExitCode> {
    let format = if json { Format::Json } else { args.format };
    if !args.path.exists() {
        bail!(
            "{} does not exist; give a directory or file to scan",
            args.path.display()
        );
    }
    if args.watch || args.unwatch {
        let target = Target::connect(config).await?;
        let reply = target
            .run(Command::ScanWatch {
                path: args.path.display().to_string(),
                remove: args.unwatch,
            })
            .await;
        target.close().await;
        let reply = reply?;
        if args.unwatch {
            if reply["removed"].as_bool() != Some(true) {
                bail!("{} is not a watched scan root", args.path.display());
            }
            eprintln!("no longer watching {}", args.path.display());
        } else {
            eprintln!(
                "watching {}: accepted security patterns re-scan it (see `commons notifications`)",
                reply["watching"].as_str().unwrap_or_default()
            );
        }
        if args.unwatch || (args.patterns.is_empty() && args.communities.is_empty()) {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let (library, mut patterns) = load_patterns(&args.patterns)?;
    let mut origins: Vec<Option<(String, String)>> = vec![None; patterns.len()];
    let mut sources = Vec::new();
    if !library.is_empty() {
        sources.push(Source {
            key: local_key(config)?,
            library,
        });
    }
    if !args.communities.is_empty() {
        let target = Target::connect(config).await?;
        let loaded = load_communities(
            &target,
            &args.user,
            &args.communities,
            &mut patterns,
            &mut origins,
        )
        .await;
        target.close().await;
        sources.extend(loaded?);
    }
    if patterns.is_empty() {
        bail!(
            "no patterns to scan for; pass --community NAME for a community's library or --patterns FILE_OR_DIR with the output of `commons pattern abstract --json`"
        );
    }
    let files = walk(&args.path);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("cannot start the scan threads")?;
    let progress = progress_bar(files.len() as u64);
    let summary = Mutex::new(Summary {
        patterns: patterns.len(),
        ..Summary::default()
    });
    let engine = Config::default();
    let cache = cache::Cache::open(
        &config.data_dir,
        &args.path,
        cache_context(&sources, &engine),
        !args.no_cache,
    );
    let mut findings: Vec<Finding> = pool.install(|| {
        files
            .par_iter()
            .flat_map_iter(|entry| {
                let found = scan_file(
                    &args.path, entry, &sources, &patterns, &engine, &summary, &cache,
                );
                if let Some(progress) = &progress {
                    progress.inc(1);
                }
                found
            })
            .collect()
    });
    if let Some(progress) = progress {
        progress.finish_and_clear();
    }
    findings.sort_by(|a, b| {
        (&a.file, a.first_line, &a.pattern).cmp(&(&b.file, b.first_line, &b.pattern))
    });
    cache.save()?;
    let summary = summary
        .into_inner()
        .expect("no scan thread panics while holding the summary");
    match format {
        Format::Text => print_text(&findings, &summary),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "findings": findings, "summary": summary })
            )?
        ),
        Format::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&sarif::report(&findings, &patterns))?
        ),
    }
    report_counts(config, &args, &findings, &origins).await;
    let failed = args
        .fail_on
        .is_some_and(|threshold| findings.iter().any(|finding| finding.severity >= threshold));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Files under `root` honouring `.gitignore`, `.ignore` and hidden-file rules;
/// walk errors (unreadable directories, symlink loops) become entries that
/// are counted as skipped.
fn walk(root: &Path) -> Vec<Result<PathBuf, String>> {
    ignore::WalkBuilder::new(root)
        .follow_links(true)
        .build()
        .filter_map(|entry| match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                Some(Ok(entry.into_path()))
            }
            Ok(_) => None,
            Err(error) => Some(Err(walk_reason(&error))),
        })
        .collect()
}

fn walk_reason(error: &ignore::Error) -> String {
    let text = error.to_string();
    if text.contains("loop") {
        "symlink loop".to_owned()
    } else {
        "unreadable path".to_owned()
    }
}

fn scan_file(
    root: &Path,
    entry: &Result<PathBuf, String>,
    sources: &[Source],
    patterns: &[PatternFile],
    engine: &Config,
    summary: &Mutex<Summary>,
    cache: &cache::Cache,
) -> Vec<Finding> {
    let count = |reason: Option<&str>| {
        let mut summary = summary
            .lock()
            .expect("no scan thread panics while holding the summary");
        match reason {
            None => summary.scanned += 1,
            Some("unsupported") => summary.unsupported += 1,
            Some(reason) => *summary.skipped.entry(reason.to_owned()).or_default() += 1,
        }
    };
    let path = match entry {
        Ok(path) => path,
        Err(reason) => {
            count(Some(reason));
            return Vec::new();
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let Some(language) = Language::from_path(&name) else {
        count(Some("unsupported"));
        return Vec::new();
    };
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > engine.limits.max_bytes as u64 {
        count(Some("over the size limit"));
        return Vec::new();
    }
    let Ok(source) = std::fs::read(path) else {
        count(Some("unreadable file"));
        return Vec::new();
    };
    let content = ScanCache::content_hash(&source);
    let cached = cache.get(&content).cloned();
    let hit = cached.is_some();
    let scanned = match cached {
        Some(scanned) => scanned,
        // One parse serves every key: only the keyed lookup differs.
        None => match commons_fingerprint::fingerprint(language, &source, engine) {
            Ok(file) => CachedScan {
                syntax_errors: file.syntax_errors,
                matches: sources
                    .iter()
                    .flat_map(|it| it.library.scan(&file, &it.key, engine.min_similarity))
                    .collect(),
            },
            Err(error) => {
                count(Some(skip_reason(&error)));
                return Vec::new();
            }
        },
    };
    {
        let mut summary = summary
            .lock()
            .expect("no scan thread panics while holding the summary");
        summary.cached += u64::from(hit);
        summary.syntax_errors += u64::from(scanned.syntax_errors);
    }
    let matches = scanned.matches.clone();
    cache.record(content, scanned);
    count(None);
    let file = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    let file = if file.is_empty() {
        name.into_owned()
    } else {
        file
    };
    matches
        .into_iter()
        .filter_map(|found| {
            let pattern = patterns.get(usize::try_from(found.pattern).ok()?)?;
            Some(Finding {
                index: usize::try_from(found.pattern).ok()?,
                file: file.clone(),
                first_line: found.first_line,
                last_line: found.last_line,
                pattern: pattern.title.clone(),
                severity: pattern.severity,
                similarity: (found.similarity * 1000.0).round() / 1000.0,
            })
        })
        .collect()
}

fn skip_reason(error: &FingerprintError) -> &'static str {
    match error {
        FingerprintError::TooLarge { .. } => "over the size limit",
        FingerprintError::Binary { .. } => "binary",
        FingerprintError::InvalidUtf8 { .. } => "invalid UTF-8",
        FingerprintError::TooDeep { .. } => "nesting too deep",
        FingerprintError::TooManyTokens { .. } => "too many tokens",
        FingerprintError::ParseBudgetExceeded { .. } => "parser gave up",
        _ => "could not fingerprint",
    }
}

/// What cached results depend on besides a file's content: every source's
/// patterns, key and epoch, in order (pattern ids index their concatenation),
/// and the engine's configuration.
fn cache_context(sources: &[Source], engine: &Config) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    for source in sources {
        hasher.update(&ScanCache::context(&source.library, &source.key, engine));
    }
    *hasher.finalize().as_bytes()
}

/// The accepted patterns of each community, fetched from the node with the
/// keys of their epochs, appended to `patterns` (and their community and id
/// to `origins`); one source per community and key epoch.
async fn load_communities(
    target: &Target,
    user: &str,
    communities: &[String],
    patterns: &mut Vec<PatternFile>,
    origins: &mut Vec<Option<(String, String)>>,
) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::new();
    for community in communities {
        let reply = target
            .run(Command::PatternLibrary {
                user: user.to_owned(),
                community: community.clone(),
            })
            .await
            .with_context(|| format!("cannot load the pattern library of {community}"))?;
        let mut by_epoch: std::collections::BTreeMap<u32, Source> =
            std::collections::BTreeMap::new();
        let current = community_key(&reply)?;
        by_epoch.insert(
            current.epoch(),
            Source {
                key: current,
                library: Library::new(),
            },
        );
        for key in reply["keys"].as_array().into_iter().flatten() {
            let key = community_key(key)?;
            by_epoch.entry(key.epoch()).or_insert(Source {
                key,
                library: Library::new(),
            });
        }
        for pattern in reply["patterns"].as_array().into_iter().flatten() {
            let fingerprint: SharedFingerprint =
                serde_json::from_value(pattern["fingerprint"].clone())
                    .context("the node sent a malformed pattern")?;
            let severity: Severity =
                serde_json::from_value(pattern["properties"]["severity"].clone())
                    .context("the node sent a malformed pattern")?;
            let Some(source) = by_epoch.get_mut(&fingerprint.key_epoch) else {
                bail!(
                    "{community}: the node sent no key for epoch {} of pattern {}",
                    fingerprint.key_epoch,
                    text(&pattern["id"])
                );
            };
            source
                .library
                .insert(patterns.len() as u64, &fingerprint)
                .map_err(|e| anyhow::anyhow!("{community}: {e}"))?;
            origins.push(Some((community.clone(), text(&pattern["id"]).to_owned())));
            patterns.push(PatternFile {
                format: PATTERN_FORMAT.to_owned(),
                title: pattern["title"].as_str().unwrap_or_default().to_owned(),
                severity,
                language: pattern["language"].as_str().unwrap_or_default().to_owned(),
                key: format!("community:{}", reply["name"].as_str().unwrap_or(community)),
                fingerprint,
                gate: commons_fingerprint::GateReport::default(),
            });
        }
        sources.extend(
            by_epoch
                .into_values()
                .filter(|source| !source.library.is_empty()),
        );
    }
    Ok(sources)
}

/// Reports, for each scanned community the configuration opts in to
/// (`report_match_counts`), how many times each of its patterns matched:
/// counts only, no paths or lines. A failed report is a warning; the scan's
/// result stands.
async fn report_counts(
    config: &NodeConfig,
    args: &ScanArgs,
    findings: &[Finding],
    origins: &[Option<(String, String)>],
) {
    let mut counts: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, u64>> =
        std::collections::BTreeMap::new();
    for finding in findings {
        let Some(Some((community, id))) = origins.get(finding.index) else {
            continue;
        };
        if config.report_match_counts.contains(community) {
            *counts
                .entry(community.as_str())
                .or_default()
                .entry(id.as_str())
                .or_default() += 1;
        }
    }
    if counts.is_empty() {
        return;
    }
    let target = match Target::connect(config).await {
        Ok(target) => target,
        Err(error) => {
            eprintln!("warning: match counts not reported: {error:#}");
            return;
        }
    };
    for (community, patterns) in counts {
        let command = Command::PatternReportCounts {
            user: args.user.clone(),
            community: community.to_owned(),
            counts: patterns
                .into_iter()
                .map(|(id, n)| (id.to_owned(), n))
                .collect(),
        };
        if let Err(error) = target.run(command).await {
            eprintln!("warning: match counts not reported to {community}: {error:#}");
        }
    }
    target.close().await;
}

/// Reads pattern files (or every `.json` file of directories) into a library
/// whose ids index the returned list.
fn load_patterns(paths: &[PathBuf]) -> anyhow::Result<(Library, Vec<PatternFile>)> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read pattern directory {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut library = Library::new();
    let mut patterns = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read pattern file {}", path.display()))?;
        let pattern: PatternFile = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a pattern file (the output of `commons pattern abstract --json`)",
                path.display()
            )
        })?;
        if pattern.key != "local" {
            bail!(
                "{}: hashed under {}, not this node's local key; scan with --community for community patterns",
                path.display(),
                pattern.key
            );
        }
        if pattern.format != PATTERN_FORMAT {
            bail!(
                "{}: unsupported pattern format {:?}",
                path.display(),
                pattern.format
            );
        }
        library
            .insert(patterns.len() as u64, &pattern.fingerprint)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        patterns.push(pattern);
    }
    Ok((library, patterns))
}

fn progress_bar(files: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(files);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

fn print_text(findings: &[Finding], summary: &Summary) {
    for finding in findings {
        println!(
            "{}:{}-{}\t{:?}\t{}\t{:.0}%",
            finding.file,
            finding.first_line,
            finding.last_line,
            finding.severity,
            finding.pattern,
            finding.similarity * 100.0
        );
    }
    let skipped: u64 = summary.skipped.values().sum();
    println!(
        "{} matches in {} files scanned against {} patterns; {} unsupported, {} skipped",
        findings.len(),
        summary.scanned,
        summary.patterns,
        summary.unsupported,
        skipped
    );
    for (reason, n) in &summary.skipped {
        println!("  skipped {n}: {reason}");
    }
    if summary.syntax_errors > 0 {
        println!(
            "  {} scanned files have syntax errors (read with error recovery)",
            summary.syntax_errors
        );
    }
    if summary.cached > 0 {
        println!(
            "  {} unchanged files taken from the scan cache",
            summary.cached
        );
    }
}
