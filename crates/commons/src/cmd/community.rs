//! `commons community create|list|join|leave|role|follow`.

use std::process::ExitCode;

use clap::Subcommand;
use commons_node::control::Command;
use serde_json::Value;

use super::{print_reply, text};
use crate::client::Target;

#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Create a community with you as its first admin
    Create {
        /// Its name
        name: String,
        /// Only members' nodes receive its log
        #[arg(long)]
        private: bool,
        /// Policy template: open, moderated, invite-only
        #[arg(long, default_value = "open")]
        template: String,
        /// Acting user
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// List the communities you can see: id, name, home node, visibility, your role
    List {
        /// Viewing user
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Join (or ask to join) a community
    Join {
        /// Its id or name
        community: String,
        /// Acting user
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Leave a community
    Leave {
        /// Its id or name
        community: String,
        /// Acting user
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Change a member's role (admins only)
    Role {
        /// The community's id or name
        community: String,
        /// The member: a local user name or a public key
        member: String,
        /// member, expert, moderator or admin
        role: String,
        /// Acting user
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Follow a public community as a read-only replica
    Follow {
        /// The community's id
        id: String,
    },
}

pub async fn run(
    command: CommunityCommand,
    target: &Target,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let command = match command {
        CommunityCommand::Create {
            name,
            private,
            template,
            user,
        } => Command::CommunityCreate {
            user,
            name,
            private,
            template,
        },
        CommunityCommand::List { user } => Command::CommunityList { user },
        CommunityCommand::Join { community, user } => Command::CommunityJoin { user, community },
        CommunityCommand::Leave { community, user } => Command::CommunityLeave { user, community },
        CommunityCommand::Role {
            community,
            member,
            role,
            user,
        } => {
            let role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            Command::CommunityRole {
                user,
                community,
                member,
                role,
            }
        }
        CommunityCommand::Follow { id } => Command::CommunityFollow { id },
    };
    let reply = target.run(command.clone()).await?;
    print_reply(&reply, json, |reply| match &command {
        Command::CommunityList { .. } => {
            println!("ID\tNAME\tHOME\tVISIBILITY\tROLE");
            for community in reply.as_array().into_iter().flatten() {
                print_row(community);
            }
        }
        Command::CommunityLeave { community, .. } => println!("left {community}"),
        Command::CommunityRole { member, role, .. } => println!("{member} is now {role}"),
        Command::CommunityFollow { .. } => {
            println!(
                "following {}; its log arrives from peers that replicate it",
                text(&reply["following"])
            )
        }
        _ => print_row(reply),
    });
    Ok(ExitCode::SUCCESS)
}

fn print_row(community: &Value) {
    if community["following"].as_bool() == Some(true) {
        println!("{}\t-\t-\tpublic\tfollowing", text(&community["id"]));
        return;
    }
    let home = text(&community["home"]);
    let home = if community["is_home"].as_bool() == Some(true) {
        "this node".to_owned()
    } else {
        home[..home.len().min(16)].to_owned()
    };
    let role = match (&community["role"], community["pending"].as_bool()) {
        (Value::String(role), _) => role.clone(),
        (_, Some(true)) => "pending".to_owned(),
        _ => "-".to_owned(),
    };
    println!(
        "{}\t{}\t{}\t{}\t{}",
        text(&community["id"]),
        text(&community["name"]),
        home,
        text(&community["visibility"]),
        role
    );
}
