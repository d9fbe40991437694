//! `commons node info`, `commons peers` and `commons sync status`: the p2p
//! layer as an operator sees it, through the control socket while the node
//! runs (or from the data directory, which shows the identity only).

use std::process::ExitCode;

use clap::Subcommand;
use commons_node::control::Command;
use serde_json::Value;

use super::{print_reply, text};
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Peer id and p2p listen addresses
    Info,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Per community: local and best known log length, lag, pending writes, last error
    Status,
}

pub async fn node(command: NodeCommand, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let NodeCommand::Info = command;
    let reply = target.run(Command::NodeInfo).await?;
    print_reply(&reply, json, |reply| {
        println!("peer id\t{}", text(&reply["peer_id"]));
        println!("node key\t{}", text(&reply["node_key"]));
        if reply["running"].as_bool() != Some(true) {
            println!("p2p\tnot running (start the node with `commons serve`)");
        }
        for addr in reply["listen"].as_array().into_iter().flatten() {
            println!("listen\t{}", text(addr));
        }
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn peers(target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let reply = target.run(Command::Peers).await?;
    print_reply(&reply, json, |reply| {
        println!("PEER\tADDRESS");
        for peer in reply.as_array().into_iter().flatten() {
            println!("{}\t{}", text(&peer["peer_id"]), text(&peer["address"]));
        }
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn sync(command: SyncCommand, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let SyncCommand::Status = command;
    let reply = target.run(Command::SyncStatus).await?;
    print_reply(&reply, json, |reply| {
        println!("COMMUNITY\tNAME\tLOCAL\tBEST\tLAG\tOUTBOX\tLAST ERROR");
        for row in reply.as_array().into_iter().flatten() {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                text(&row["community"]),
                text(&row["name"]),
                row["local_seq"],
                row["best_seq"],
                row["lag"],
                row["outbox"],
                text(&row["last_error"]),
            );
        }
        let pending: Vec<&Value> = reply
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["pending"].as_array().into_iter().flatten())
            .collect();
        if !pending.is_empty() {
            println!();
            println!("PENDING RECORD\tCOMMUNITY\tKIND\tAUTHOR");
            for write in pending {
                println!(
                    "{}\t{}\t{}\t{}",
                    text(&write["record"]),
                    text(&write["community"]),
                    text(&write["kind"]),
                    text(&write["author"]),
                );
            }
        }
    });
    Ok(ExitCode::SUCCESS)
}
