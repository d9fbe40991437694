//! `commons intel publish FILE --community NAME`: validates a STIX file and
//! publishes its objects, with the node stopped or running.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use commons_node::control::Command;

use crate::client::Target;
use crate::cmd::print_reply;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// A JSON file: a STIX bundle, a TAXII envelope or a list of objects (`-` for standard input)
    pub file: PathBuf,
    /// The community's id or name
    #[arg(long)]
    pub community: String,
    /// Acting member
    #[arg(long, default_value = "admin")]
    pub user: String,
}

pub async fn run(args: PublishArgs, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let input: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    let target = Target::connect(config).await?;
    let reply = target
        .run(Command::IntelPublish {
            user: args.user,
            community: args.community,
            input,
        })
        .await;
    target.close().await;
    let reply = reply?;
    print_reply(&reply, json, |reply| {
        println!(
            "published {} object(s) to {} (log entries {})",
            reply["added"],
            crate::cmd::text(&reply["community"]),
            reply["seqs"]
        );
    });
    Ok(ExitCode::SUCCESS)
}
