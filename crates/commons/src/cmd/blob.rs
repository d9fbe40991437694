//! `commons blob add|get`: blobs by hash (docs/sync.md, "Blobs"). A record
//! references a blob by the id `blob add` prints.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use commons_node::control::Command;

use super::{print_reply, text};
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum BlobCommand {
    /// Store a file as a blob of a community; prints its id
    Add {
        /// The community's id or name
        community: String,
        /// The file
        file: std::path::PathBuf,
        /// Acting user
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Write a blob to a new file, fetching it from peers when this node lacks it
    Get {
        /// The community's id or name
        community: String,
        /// The blob id (64 hex characters)
        id: String,
        /// The new file
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// Acting user
        #[arg(long, default_value = "admin")]
        user: String,
    },
}

/// The absolute form of a path, as the node (maybe another process) reads it.
fn absolute(path: &std::path::Path) -> anyhow::Result<String> {
    let path =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    path.to_str()
        .map(str::to_owned)
        .context("the path is not UTF-8")
}

pub async fn run(command: BlobCommand, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let command = match command {
        BlobCommand::Add {
            community,
            file,
            user,
        } => Command::BlobAdd {
            user,
            community,
            path: absolute(&file)?,
        },
        BlobCommand::Get {
            community,
            id,
            out,
            user,
        } => Command::BlobGet {
            user,
            community,
            id,
            out: absolute(&out)?,
        },
    };
    let reply = target.run(command).await?;
    print_reply(&reply, json, |reply| {
        if reply.get("size").is_some() {
            println!("wrote {} bytes to {}", reply["size"], text(&reply["out"]));
        } else {
            println!("{}", text(&reply["blob"]));
        }
    });
    Ok(ExitCode::SUCCESS)
}
