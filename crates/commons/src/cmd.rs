//! The command tree: one module per subcommand, each turning its arguments
//! into a `commons_node::control::Command` (or serving) and rendering the reply.

mod backup;
mod blob;
mod community;
mod discover;
mod identity;
mod intel;
mod log;
mod network;
mod notifications;
mod pattern;
mod scan;
mod serve;
mod token;
mod user;
mod verify;

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::Value;

use crate::client::Target;
use crate::config::Config;

pub use serve::ServeArgs;

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node: web UI, REST API and control socket
    Serve(ServeArgs),
    /// Manage local accounts
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Create, list, join, leave and follow communities
    #[command(subcommand)]
    Community(community::CommunityCommand),
    /// Check every log's hash chain and signatures
    Verify(verify::VerifyArgs),
    /// Read community logs
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Move a user's identity between nodes
    #[command(subcommand)]
    Identity(identity::IdentityCommand),
    /// Write a consistent copy of the node's SQLite database
    Backup(backup::BackupArgs),
    /// Replace the node's SQLite database with a backup (node stopped)
    Restore(backup::RestoreArgs),
    /// Rebuild every projection table from the logs
    Replay,
    /// Turn code into a shareable fingerprint, submit and review patterns
    #[command(subcommand)]
    Pattern(pattern::PatternCommand),
    /// Scan a tree for patterns, locally (exit 1 on --fail-on, 2 on error)
    Scan(scan::ScanArgs),
    /// Threat intelligence: publish STIX, evaluate patterns, scan traffic for indicators
    #[command(subcommand)]
    Intel(intel::IntelCommand),
    /// This node's network identity
    #[command(subcommand)]
    Node(network::NodeCommand),
    /// Connected p2p peers
    Peers,
    /// Sync of the replicated communities
    #[command(subcommand)]
    Sync(network::SyncCommand),
    /// Security alerts: accepted security patterns found under the watched scan roots
    Notifications(notifications::NotificationsArgs),
    /// Search communities and patterns across the communities this node holds
    Discover(discover::DiscoverArgs),
    /// Blobs by hash: store a file, or fetch one from peers
    #[command(subcommand)]
    Blob(blob::BlobCommand),
}

/// Runs a subcommand.
pub async fn run(command: Command, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::run(args, config).await,
        Command::Restore(args) => backup::restore(args, config, json).await,
        Command::Pattern(command) => pattern::run(command, config, json).await,
        Command::Scan(args) => scan::run(args, config, json).await,
        Command::Intel(command) => intel::run(command, config, json).await,
        Command::Notifications(args) => notifications::run(args, config, json).await,
        other => {
            let target = Target::connect(config).await?;
            let result = dispatch(other, &target, json).await;
            target.close().await;
            result
        }
    }
}

async fn dispatch(command: Command, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        Command::User(command) => user::run(command, target, json).await,
        Command::Token(command) => token::run(command, target, json).await,
        Command::Community(command) => community::run(command, target, json).await,
        Command::Verify(args) => verify::run(args, target, json).await,
        Command::Log(command) => log::run(command, target, json).await,
        Command::Identity(command) => identity::run(command, target, json).await,
        Command::Backup(args) => backup::run(args, target, json).await,
        Command::Replay => {
            let reply = target.run(commons_node::control::Command::Replay).await?;
            print_reply(&reply, json, |reply| {
                println!("replayed {} entries", reply["replayed"])
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Node(command) => network::node(command, target, json).await,
        Command::Peers => network::peers(target, json).await,
        Command::Sync(command) => network::sync(command, target, json).await,
        Command::Discover(args) => discover::run(args, target, json).await,
        Command::Blob(command) => blob::run(command, target, json).await,
        Command::Serve(_)
        | Command::Restore(_)
        | Command::Pattern(_)
        | Command::Scan(_)
        | Command::Intel(_)
        | Command::Notifications(_) => {
            unreachable!("handled before connecting")
        }
    }
}

/// Prints `reply` as JSON, or as text through `text`. A write made away
/// from the community's home node answers `{"queued": true, …}`; its text
/// says so whatever the command.
pub fn print_reply(reply: &Value, json: bool, text: impl FnOnce(&Value)) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(reply).expect("a JSON value serializes")
        );
    } else if reply["queued"] == Value::Bool(true) {
        for record in reply["records"].as_array().into_iter().flatten() {
            println!(
                "pending {} (queued for the home node of community {}; `commons sync status` lists it until its entry comes back)",
                self::text(record),
                self::text(&reply["community"]),
            );
        }
    } else {
        text(reply);
    }
}

/// Reads one line (a password or passphrase) from standard input.
pub fn read_secret_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let secret = line.trim_end_matches(['\n', '\r']).to_owned();
    if secret.is_empty() {
        anyhow::bail!("no {what} on standard input; pipe it in, e.g. `echo \"$PASS\" | commons …`");
    }
    Ok(secret)
}

/// Text of an optional JSON string.
pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}
