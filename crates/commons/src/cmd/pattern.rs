//! `commons pattern abstract`: what sharing a piece of code would reveal,
//! computed and printed locally.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use commons_fingerprint::{CommunityKey, Config, Language, SharedFingerprint};
use serde::{Deserialize, Serialize};

use crate::config::Config as NodeConfig;

#[derive(Debug, Subcommand)]
pub enum PatternCommand {
    /// Print exactly what submitting FILE (or some of its lines) would share:
    /// a set of keyed hashes, the token count and the scheme, nothing else
    Abstract(AbstractArgs),
}

#[derive(Debug, Args)]
pub struct AbstractArgs {
    /// The source file, optionally with a line range: `app.py:10-24`
    file: String,
    /// Lines to abstract, `A-B` (1-based, inclusive)
    #[arg(long)]
    lines: Option<String>,
    /// Language, when the file extension does not tell
    #[arg(long)]
    language: Option<String>,
    /// A title, kept with the output so `commons scan --patterns` can name it
    #[arg(long)]
    title: Option<String>,
    /// Severity: critical, high, medium, low or info
    #[arg(long, default_value = "medium")]
    severity: Severity,
}

/// How bad a match is, worst first in declaration order reversed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// A pattern file: the output of `pattern abstract --json`, read back by
/// `scan --patterns`. `fingerprint` is exactly what would be shared.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatternFile {
    /// Format marker.
    pub format: String,
    /// A name for reports.
    pub title: String,
    /// How bad a match is.
    pub severity: Severity,
    /// The language of the pattern's code.
    pub language: String,
    /// Which key the hashes are under: `local` (this node's own key).
    pub key: String,
    /// The shared form.
    pub fingerprint: SharedFingerprint,
    /// What the privacy gate saw.
    pub gate: commons_fingerprint::GateReport,
}

pub const PATTERN_FORMAT: &str = "commons-pattern/1";

pub fn run(command: PatternCommand, config: &NodeConfig, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        PatternCommand::Abstract(args) => abstract_file(args, config, json),
    }
}

fn abstract_file(args: AbstractArgs, config: &NodeConfig, json: bool) -> anyhow::Result<ExitCode> {
    let (path, inline_lines) = split_line_suffix(&args.file);
    let lines = match (args.lines.as_deref(), inline_lines) {
        (Some(_), Some(_)) => bail!("give the line range once: either FILE:A-B or --lines A-B"),
        (Some(range), None) | (None, Some(range)) => Some(parse_range(range)?),
        (None, None) => None,
    };
    let language = match &args.language {
        Some(name) => Language::from_name(name).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => language_of(&path)?,
    };
    let source = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let engine = Config::default();
    let fingerprint = match lines {
        Some((first, last)) => {
            commons_fingerprint::fingerprint_lines(language, &source, first..=last, &engine)
        }
        None => commons_fingerprint::fingerprint(language, &source, &engine),
    }
    .with_context(|| format!("cannot fingerprint {}", path.display()))?;
    let key = local_key(config)?;
    let (shared, gate) = fingerprint
        .export(&key, None, &engine)
        .map_err(|e| anyhow::anyhow!("{e}; pick a larger region of code"))?;
    let title = args.title.unwrap_or_else(|| {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match lines {
            Some((first, last)) => format!("{name}:{first}-{last}"),
            None => name,
        }
    });
    let file = PatternFile {
        format: PATTERN_FORMAT.to_owned(),
        title,
        severity: args.severity,
        language: language.name().to_owned(),
        key: "local".to_owned(),
        fingerprint: shared,
        gate,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&file)?);
    } else {
        println!("{} ({}, {:?})", file.title, file.language, file.severity);
        println!(
            "shares {} keyed hashes of {} tokens; no code, names, literals, positions or paths",
            file.fingerprint.hashes.len(),
            file.fingerprint.token_count
        );
        println!(
            "gate: {} grams selected, {} common (dropped), {} kept",
            gate.grams, gate.common, gate.kept
        );
        for hash in &file.fingerprint.hashes {
            println!("{hash:016x}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The key of local pattern files.
pub fn local_key(config: &NodeConfig) -> anyhow::Result<CommunityKey> {
    let bytes = commons_node::local_pattern_key(&config.data_dir)?;
    Ok(CommunityKey::new(bytes, 0))
}

/// The language of a file by its extension, or an error saying what to do.
pub fn language_of(path: &Path) -> anyhow::Result<Language> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    Language::from_path(&name).ok_or_else(|| {
        anyhow::anyhow!(
            "cannot tell the language of {} from its name; pass --language (python, javascript, typescript, tsx, rust, go, java, c, cpp, csharp)",
            path.display()
        )
    })
}

/// `file.py:10-20` → (`file.py`, `10-20`); a colon without a range is part
/// of the name.
fn split_line_suffix(text: &str) -> (PathBuf, Option<&str>) {
    if let Some((path, range)) = text.rsplit_once(':')
        && !path.is_empty()
        && range.contains('-')
        && range.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return (PathBuf::from(path), Some(range));
    }
    (PathBuf::from(text), None)
}

fn parse_range(text: &str) -> anyhow::Result<(u32, u32)> {
    let parsed = text
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((first, last)) if first >= 1 && first <= last => Ok((first, last)),
        _ => bail!("invalid line range {text:?}: expected A-B with 1 <= A <= B, e.g. 10-24"),
    }
}
