//! `commons intel …`: the threat-intelligence feed from the command line.

use std::process::ExitCode;

use clap::Subcommand;

use super::intel_publish;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Publish a STIX 2.1 bundle (or envelope, or list of objects) to a community's feed
    Publish(intel_publish::PublishArgs),
}

pub async fn run(command: IntelCommand, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        IntelCommand::Publish(args) => intel_publish::run(args, config, json).await,
    }
}
