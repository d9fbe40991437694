//! `commons intel`: threat intelligence on the command line. `publish`
//! sends STIX objects to a community's feed; `eval` decides
//! whether observed data matches one STIX pattern; `scan` matches captures,
//! Zeek logs and flow records against indicators, locally.
//!
//! Both run without a node. Exit codes: 0 when nothing matched (`scan`) or
//! the evaluation ran (`eval`, whose answer is on standard output), 1 when
//! `scan` raised alerts, 2 on any error (bad arguments, unreadable or
//! invalid input, an invalid pattern).

mod eval;
mod indicators;
mod observe;
mod publish;
mod report;
mod scan;

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

/// Exit code for errors, distinct from 1 (alerts).
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Publish a STIX 2.1 bundle (or envelope, or list of objects) to a community's feed
    Publish(publish::PublishArgs),
    /// Does observed data match a STIX pattern? Prints true or false
    Eval(eval::EvalArgs),
    /// Match captures and logs against indicators (exit 0 no alert, 1 alerts, 2 error)
    Scan(scan::ScanArgs),
}

pub async fn run(command: IntelCommand, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let result = match command {
        // Publishing goes through the node and keeps the node's exit codes.
        IntelCommand::Publish(args) => return publish::run(args, config, json).await,
        IntelCommand::Eval(args) => eval::run(args, json),
        IntelCommand::Scan(args) => scan::run(args, config, json).await,
    };
    match result {
        Ok(code) => Ok(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(ExitCode::from(EXIT_ERROR))
        }
    }
}

/// Reads a JSON file (`-` for standard input), naming the file and the
/// line and column of a syntax error.
fn read_json(path: &std::path::Path, what: &str) -> anyhow::Result<serde_json::Value> {
    use anyhow::Context;
    use std::io::Read;
    let text = if path.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::stdin()
            .read_to_end(&mut text)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
        text
    } else {
        std::fs::read(path)
            .with_context(|| format!("cannot read the {what} file {}", path.display()))?
    };
    serde_json::from_slice(&text).map_err(|error| {
        anyhow::anyhow!(
            "{} is not JSON: {error} (line {}, column {})",
            path.display(),
            error.line(),
            error.column()
        )
    })
}

/// Validates STIX JSON and fails with every error finding; warnings are
/// printed and do not stop the command.
fn check_stix(value: &serde_json::Value, label: &str) -> anyhow::Result<()> {
    let findings = commons_stix::validate(value);
    let errors: Vec<&commons_stix::Finding> = findings
        .iter()
        .filter(|finding| finding.severity == commons_stix::Severity::Error)
        .collect();
    for finding in &findings {
        if finding.severity == commons_stix::Severity::Warning {
            eprintln!("{label}: {finding}");
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = errors
        .iter()
        .map(|finding| format!("  {finding}"))
        .collect();
    let plural = if errors.len() == 1 { "" } else { "s" };
    anyhow::bail!(
        "{label} is not valid STIX 2.1 ({} error{plural}):\n{}",
        errors.len(),
        list.join("\n")
    )
}
