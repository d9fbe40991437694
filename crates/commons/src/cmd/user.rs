//! `commons user add|list|disable`.

use std::process::ExitCode;

use clap::Subcommand;
use commons_node::control::Command;

use super::{print_reply, read_secret_line};
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account
    Add {
        /// Login name (a-z, 0-9, '-', '_'; starts with a letter)
        name: String,
        /// Make the account a node administrator
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts
    List,
    /// Disable an account and end its sessions
    Disable {
        /// Login name
        name: String,
    },
}

pub async fn run(command: UserCommand, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let command = match command {
        UserCommand::Add {
            name,
            admin,
            password_stdin: _,
        } => Command::UserAdd {
            name,
            admin,
            password: read_secret_line("password")?,
        },
        UserCommand::List => Command::UserList,
        UserCommand::Disable { name } => Command::UserDisable { name },
    };
    let listing = matches!(command, Command::UserList);
    let reply = target.run(command).await?;
    print_reply(&reply, json, |reply| {
        let users = if listing {
            reply.as_array().cloned().unwrap_or_default()
        } else {
            vec![reply.clone()]
        };
        for user in users {
            let flags = [
                user["admin"].as_bool().unwrap_or(false).then_some("admin"),
                user["disabled"]
                    .as_bool()
                    .unwrap_or(false)
                    .then_some("disabled"),
                (!user["has_password"].as_bool().unwrap_or(true)).then_some("no password yet"),
            ];
            let flags: Vec<&str> = flags.into_iter().flatten().collect();
            println!(
                "{}\t{}\t{}",
                super::text(&user["name"]),
                super::text(&user["public_key"]),
                flags.join(",")
            );
        }
    });
    Ok(ExitCode::SUCCESS)
}
