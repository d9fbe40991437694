//! `commons intel eval`: one pattern against the observations in a file;
//! `--json` (the global flag) adds which observations bound to which part.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use commons_stix::pattern::check_pattern;
use commons_stix::{CompiledPattern, Severity, observations_from_json};
use serde_json::json;

use super::{check_stix, read_json};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The STIX 2.1 pattern, e.g. "[ipv4-addr:value = '198.51.100.7']"
    #[arg(long)]
    pattern: String,
    /// A STIX bundle or a JSON list of objects holding observed-data (`-`
    /// for standard input)
    #[arg(long, value_name = "FILE")]
    observed: PathBuf,
}

pub fn run(args: EvalArgs, json: bool) -> anyhow::Result<ExitCode> {
    let pattern = parse(&args.pattern)?;
    let value = read_json(&args.observed, "observed data")?;
    check_stix(&value, &args.observed.display().to_string())?;
    let observations = observations_from_json(&value)
        .map_err(|error| anyhow!("{}: {error}", args.observed.display()))?;
    let compiled = CompiledPattern::new(&pattern);
    let evaluation = compiled.evaluate(&observations);
    if evaluation.exhausted {
        eprintln!(
            "warning: the search gave up before deciding; the answer false may be wrong \
             (simplify the pattern or the observations)"
        );
    }
    for warning in &evaluation.warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        let report = json!({
            "matched": evaluation.matched,
            "exhausted": evaluation.exhausted,
            "pattern": pattern.to_string(),
            "observations": observations.len(),
            "bindings": evaluation.bindings,
            "warnings": evaluation.warnings,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a JSON value serializes")
        );
    } else {
        println!("{}", evaluation.matched);
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `text`, failing with the position and a caret under it; issues
/// the specification forbids fail too, the others are warnings.
pub fn parse(text: &str) -> anyhow::Result<commons_stix::Pattern> {
    let pattern = commons_stix::parse_pattern(text).map_err(|error| {
        let column = text
            .get(..error.position)
            .map_or(error.position, |head| head.chars().count());
        anyhow!(
            "invalid pattern at byte {}: expected {}, found {}\n  {text}\n  {}^",
            error.position,
            error.expected,
            error.found,
            " ".repeat(column)
        )
    })?;
    let issues = check_pattern(&pattern);
    let errors: Vec<String> = issues
        .iter()
        .filter(|issue| issue.severity == Severity::Error)
        .map(|issue| format!("  {}", issue.message))
        .collect();
    if !errors.is_empty() {
        return Err(anyhow!("invalid pattern:\n{}", errors.join("\n")));
    }
    for issue in issues {
        eprintln!("warning: {}", issue.message);
    }
    Ok(pattern)
}
