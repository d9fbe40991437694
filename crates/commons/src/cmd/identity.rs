//! `commons identity export|import`: move a user's key pair between nodes,
//! sealed with a passphrase read from standard input.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use commons_node::control::Command;

use super::{print_reply, read_secret_line, text};
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Write a user's identity, sealed with a passphrase from stdin, to FILE
    Export {
        /// The user
        #[arg(long)]
        user: String,
        /// Where to write it (must not exist)
        file: PathBuf,
    },
    /// Import an identity from FILE as a user (created if missing)
    Import {
        /// The user
        #[arg(long)]
        user: String,
        /// The exported file
        file: PathBuf,
    },
}

pub async fn run(
    command: IdentityCommand,
    target: &Target,
    json: bool,
) -> anyhow::Result<ExitCode> {
    match command {
        IdentityCommand::Export { user, file } => {
            if file.exists() {
                anyhow::bail!("{} exists; choose a new file", file.display());
            }
            let passphrase = read_secret_line("passphrase")?;
            let reply = target
                .run(Command::IdentityExport { user, passphrase })
                .await?;
            let text_out = serde_json::to_string_pretty(&reply).context("encoding the identity")?;
            commons_node::write_private(&file, &text_out)
                .with_context(|| format!("cannot write {}", file.display()))?;
            print_reply(
                &serde_json::json!({ "file": file, "public_key": reply["public_key"] }),
                json,
                |_| {
                    println!(
                        "wrote identity {} to {}",
                        text(&reply["public_key"]),
                        file.display()
                    );
                },
            );
        }
        IdentityCommand::Import { user, file } => {
            let contents = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let identity = serde_json::from_str(&contents).with_context(|| {
                format!("{} is not an exported Commons identity", file.display())
            })?;
            let passphrase = read_secret_line("passphrase")?;
            let reply = target
                .run(Command::IdentityImport {
                    user,
                    identity,
                    passphrase,
                })
                .await?;
            print_reply(&reply, json, |reply| {
                println!(
                    "user {} now holds identity {}",
                    text(&reply["name"]),
                    text(&reply["public_key"])
                );
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}
