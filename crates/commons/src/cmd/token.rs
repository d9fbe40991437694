//! `commons token create`.

use std::process::ExitCode;

use clap::Subcommand;
use commons_node::control::Command;

use super::print_reply;
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once, on the last line
    Create {
        /// The owner
        #[arg(long)]
        user: String,
        /// A label for the token
        #[arg(long, default_value = "cli")]
        name: String,
        /// Scopes: read, write, admin
        #[arg(long = "scope", default_values_t = ["read".to_owned(), "write".to_owned()])]
        scopes: Vec<String>,
    },
}

pub async fn run(command: TokenCommand, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create { user, name, scopes } = command;
    let reply = target
        .run(Command::TokenCreate { user, name, scopes })
        .await?;
    print_reply(&reply, json, |reply| {
        eprintln!(
            "token {} ({}) created; it is shown only once:",
            reply["id"],
            super::text(&reply["name"])
        );
        println!("{}", super::text(&reply["token"]));
    });
    Ok(ExitCode::SUCCESS)
}
