//! `commons log show`: a community's log entries, then the writes made here
//! that are still pending at its home node.

use std::process::ExitCode;

use clap::Subcommand;
use commons_node::control::Command;

use super::{print_reply, text};
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Print a community's log entries
    Show {
        /// The community's id or name
        community: String,
        /// First sequence number
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Most entries to print
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Viewing user
        #[arg(long, default_value = "admin")]
        user: String,
    },
}

pub async fn run(command: LogCommand, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let LogCommand::Show {
        community,
        from,
        limit,
        user,
    } = command;
    let reply = target
        .run(Command::LogShow {
            user,
            community,
            from,
            limit,
        })
        .await?;
    print_reply(&reply, json, |reply| {
        println!("SEQ\tKIND\tAUTHOR\tRECORD\tHASH");
        for entry in reply.as_array().into_iter().flatten() {
            let author = text(&entry["author"]);
            println!(
                "{}\t{}\t{}…\t{}\t{}",
                entry["seq"],
                text(&entry["kind"]),
                &author[..author.len().min(12)],
                text(&entry["record_id"]),
                text(&entry["hash"])
            );
        }
    });
    // Writes made here that wait for the community's home node follow the
    // log as pending rows (text only; `sync status --json` lists them).
    let community = reply
        .as_array()
        .and_then(|entries| entries.first())
        .map(|entry| text(&entry["community"]).to_owned());
    if let (false, Some(community)) = (json, community) {
        let status = target.run(Command::SyncStatus).await?;
        let pending = status
            .as_array()
            .into_iter()
            .flatten()
            .filter(|row| row["community"] == community.as_str())
            .flat_map(|row| row["pending"].as_array().into_iter().flatten());
        for write in pending {
            let author = text(&write["author"]);
            println!(
                "pending\t{}\t{}…\t{}\t-",
                text(&write["kind"]),
                &author[..author.len().min(12)],
                text(&write["record"]),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
