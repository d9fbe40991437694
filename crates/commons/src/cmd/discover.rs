//! `commons discover QUERY [--followed]`: one search over the communities
//! this node holds, each result saying where it comes from.

use std::process::ExitCode;

use clap::Args;
use commons_node::control::Command;

use super::{print_reply, text};
use crate::client::Target;

#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Words that must all appear in a community's name or a pattern's
    /// title, description or category
    #[arg(required = true)]
    query: Vec<String>,
    /// Also search public communities this node follows but you have not joined
    #[arg(long)]
    followed: bool,
    /// Viewing user
    #[arg(long, default_value = "admin")]
    user: String,
}

pub async fn run(args: DiscoverArgs, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let reply = target
        .run(Command::Discover {
            user: args.user,
            query: args.query.join(" "),
            followed: args.followed,
        })
        .await?;
    print_reply(&reply, json, |reply| {
        let found = reply.as_array().map(Vec::as_slice).unwrap_or_default();
        if found.is_empty() {
            println!("nothing found");
        }
        for community in found {
            let home = text(&community["home"]);
            let from = match text(&community["origin"]) {
                "home" => "this node".to_owned(),
                "joined" => format!("joined, home node {home}"),
                _ => format!("followed, home node {home}"),
            };
            println!(
                "{}\t{}\t({from})",
                text(&community["community"]),
                text(&community["name"]),
            );
            for pattern in community["patterns"].as_array().into_iter().flatten() {
                println!(
                    "  {}\t{}\t{}",
                    text(&pattern["id"]),
                    text(&pattern["state"]),
                    text(&pattern["title"]),
                );
            }
        }
    });
    Ok(ExitCode::SUCCESS)
}
