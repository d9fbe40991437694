//! `commons notifications`: the node's security alerts — which accepted
//! security pattern matched where under the watched scan roots — and the
//! roots themselves.

use std::process::ExitCode;

use clap::Args;
use commons_node::control::Command;

use super::{print_reply, text};
use crate::client::Target;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct NotificationsArgs {
    /// Most alerts to show, newest first
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

pub async fn run(args: NotificationsArgs, config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    if args.limit == 0 {
        anyhow::bail!("--limit must be at least 1");
    }
    let target = Target::connect(config).await?;
    let reply = target
        .run(Command::Notifications { limit: args.limit })
        .await;
    target.close().await;
    let reply = reply?;
    print_reply(&reply, json, |reply| {
        let roots: Vec<&str> = reply["scan_roots"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        if roots.is_empty() {
            println!("no scan roots are watched; add one with `commons scan --watch PATH`");
        } else {
            println!("watching {}", roots.join(", "));
        }
        let alerts = reply["notifications"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for alert in &alerts {
            println!(
                "{} pattern {} \"{}\" matched:",
                text(&alert["severity"]),
                &text(&alert["pattern"])[..12.min(text(&alert["pattern"]).len())],
                text(&alert["title"])
            );
            for place in alert["places"].as_array().into_iter().flatten() {
                println!(
                    "  {}:{}-{}",
                    text(&place["file"]),
                    place["first_line"],
                    place["last_line"]
                );
            }
        }
        println!("{} security alerts", alerts.len());
    });
    Ok(ExitCode::SUCCESS)
}
