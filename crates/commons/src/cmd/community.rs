//! `commons community create|list|join|leave|role|invite|approve|remove|policy|follow|move-home|adopt`.

use std::process::ExitCode;

use clap::Subcommand;
use commons_node::control::{Command, MemberAction};
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
    /// Invite a key to join (who may invite is set by the policy)
    Invite {
        /// The community's id or name
        community: String,
        /// The invitee: a local user name or a public key
        member: String,
        /// Acting member
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Approve a pending join request (moderators and admins)
    Approve {
        /// The community's id or name
        community: String,
        /// The member: a local user name or a public key
        member: String,
        /// Acting moderator
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Remove a member (moderators and admins, not of equal or higher role)
    Remove {
        /// The community's id or name
        community: String,
        /// The member: a local user name or a public key
        member: String,
        /// Acting moderator
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Change the policy through a record signed by an admin; options not
    /// given keep their current value
    Policy {
        /// The community's id or name
        community: String,
        /// Start from a template: open, moderated, invite-only
        #[arg(long)]
        template: Option<String>,
        /// How people join: open, approval, invite
        #[arg(long)]
        join: Option<String>,
        /// Net votes needed to accept a contribution
        #[arg(long)]
        votes: Option<u32>,
        /// Kinds or categories needing an expert's approval, comma-separated
        /// (an empty string for none)
        #[arg(long)]
        expert_approval: Option<String>,
        /// The least role that may invite: member, expert, moderator, admin
        #[arg(long)]
        invite_role: Option<String>,
        /// Acting admin
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Follow a public community as a read-only replica
    Follow {
        /// The community's id
        id: String,
    },
    /// Move a community homed on this node to another node (see docs/sync.md)
    MoveHome {
        /// The community's id or name
        community: String,
        /// The new home node's key (`commons node info` there)
        node_key: String,
        /// A new file to receive the community key for the new home's operator
        #[arg(long, value_name = "FILE")]
        key_out: std::path::PathBuf,
        /// Acting admin
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Take over a community's key from its old home node (`move-home --key-out`)
    Adopt {
        /// The key file
        key_file: std::path::PathBuf,
    },
}

pub async fn run(
    command: CommunityCommand,
    target: &Target,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let command = match command {
        CommunityCommand::MoveHome {
            community,
            node_key,
            key_out,
            user,
        } => return move_home(target, json, user, community, node_key, &key_out).await,
        CommunityCommand::Adopt { key_file } => {
            let key = std::fs::read_to_string(&key_file).map_err(|error| {
                anyhow::anyhow!("cannot read the key file {}: {error}", key_file.display())
            })?;
            let reply = target.run(Command::CommunityAdopt { key }).await?;
            print_reply(&reply, json, |reply| {
                println!(
                    "this node holds the key of {}; it appends to the log once its copy names it home",
                    text(&reply["community"])
                )
            });
            return Ok(ExitCode::SUCCESS);
        }
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
        CommunityCommand::Invite {
            community,
            member,
            user,
        } => member_command(user, community, member, MemberAction::Invite),
        CommunityCommand::Approve {
            community,
            member,
            user,
        } => member_command(user, community, member, MemberAction::Approve),
        CommunityCommand::Remove {
            community,
            member,
            user,
        } => member_command(user, community, member, MemberAction::Remove),
        CommunityCommand::Policy {
            community,
            template,
            join,
            votes,
            expert_approval,
            invite_role,
            user,
        } => Command::CommunityPolicy {
            user,
            community,
            template,
            join: join
                .map(|j| parse_value(&j, "join rule", "open, approval or invite"))
                .transpose()?,
            votes_to_accept: votes,
            expert_approval: expert_approval.map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|kind| !kind.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            invite: invite_role
                .map(|r| r.parse().map_err(|e: String| anyhow::anyhow!(e)))
                .transpose()?,
        },
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
        Command::CommunityMember { member, action, .. } => {
            let done = match action {
                MemberAction::Invite => "invited",
                MemberAction::Approve => "approved",
                MemberAction::Remove => "removed",
            };
            println!("{member} {done}");
        }
        Command::CommunityPolicy { community, .. } => {
            let policy = &reply["policy"];
            println!(
                "{community}: join {}, {} votes to accept, expert approval for [{}], {} and above invite",
                text(&policy["join"]),
                policy["votes_to_accept"],
                policy["expert_approval"]
                    .as_array()
                    .map(|kinds| kinds.iter().map(text).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                text(&policy["invite"]),
            );
        }
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

/// Moves the community, writing its key to a file created before the move
/// (the node forgets the key, so it must not get lost on the way).
async fn move_home(
    target: &Target,
    json: bool,
    user: String,
    community: String,
    home: String,
    key_out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(key_out)
        .map_err(|error| {
            anyhow::anyhow!(
                "cannot create the key file {}: {error} (it must not exist yet)",
                key_out.display()
            )
        })?;
    let result = target
        .run(Command::CommunityMoveHome {
            user,
            community,
            home,
        })
        .await;
    let mut reply = match result {
        Ok(reply) => reply,
        Err(error) => {
            drop(file);
            let _ = std::fs::remove_file(key_out);
            return Err(error);
        }
    };
    let key = reply["community_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    writeln!(file, "{key}")
        .and_then(|()| file.sync_all())
        .map_err(|error| {
            anyhow::anyhow!(
                "the community moved but its key could not be written to {}: {error}; it is {key}",
                key_out.display()
            )
        })?;
    if let Value::Object(map) = &mut reply {
        map.remove("community_key");
        map.insert(
            "key_file".into(),
            Value::String(key_out.display().to_string()),
        );
    }
    print_reply(&reply, json, |reply| {
        println!(
            "moved {} to node {} (entry {}); its key is in {}: hand it to that node's operator for `commons community adopt`, then delete it",
            text(&reply["community"]),
            text(&reply["home"]),
            reply["seq"],
            text(&reply["key_file"]),
        )
    });
    Ok(ExitCode::SUCCESS)
}

fn member_command(
    user: String,
    community: String,
    member: String,
    action: MemberAction,
) -> Command {
    Command::CommunityMember {
        user,
        community,
        member,
        action,
    }
}

/// Parses a lowercase enum value through its serde name.
fn parse_value<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
    expected: &str,
) -> anyhow::Result<T> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|_| anyhow::anyhow!("unknown {what} {text:?}; expected {expected}"))
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
