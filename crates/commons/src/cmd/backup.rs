//! `commons backup FILE` (online, consistent) and `commons restore FILE`
//! (node stopped).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use commons_node::control::Command;

use super::print_reply;
use crate::client::{Target, node_config};
use crate::config::Config;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (must not exist)
    file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `commons backup`
    file: PathBuf,
}

pub async fn run(args: BackupArgs, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let path = std::path::absolute(&args.file).context("resolving the backup path")?;
    let path = path
        .to_str()
        .context("the backup path is not UTF-8")?
        .to_owned();
    let reply = target.run(Command::Backup { path: path.clone() }).await?;
    print_reply(&reply, json, |_| println!("backed up to {path}"));
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(args: RestoreArgs, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    if tokio::net::UnixStream::connect(config.socket_path())
        .await
        .is_ok()
    {
        anyhow::bail!(
            "the node is running on {}; stop it before restoring",
            config.data_dir.display()
        );
    }
    if config.database_url.is_some() {
        anyhow::bail!(
            "restore replaces the embedded SQLite database; for PostgreSQL use pg_restore (see README)"
        );
    }
    let restored =
        commons_node::restore_sqlite(&node_config(config), commons_node::registry(), &args.file)
            .await
            .with_context(|| format!("cannot restore {}", args.file.display()))?;
    print_reply(
        &serde_json::json!({ "restored": args.file, "entries": restored }),
        json,
        |_| {
            println!(
                "restored {} ({} log entries verified)",
                args.file.display(),
                restored
            );
        },
    );
    Ok(ExitCode::SUCCESS)
}
