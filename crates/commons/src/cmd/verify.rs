//! `commons verify`: checks every chain and signature; names the first bad
//! entry and exits non-zero.

use std::process::ExitCode;

use clap::Args;
use commons_node::control::Command;

use super::{print_reply, text};
use crate::client::Target;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this community (id or name)
    #[arg(long)]
    community: Option<String>,
}

pub async fn run(args: VerifyArgs, target: &Target, json: bool) -> anyhow::Result<ExitCode> {
    let reply = target
        .run(Command::Verify {
            community: args.community,
        })
        .await?;
    let reports = reply.as_array().cloned().unwrap_or_default();
    let failed = reports
        .iter()
        .filter(|report| report["ok"].as_bool() != Some(true))
        .count();
    print_reply(&reply, json, |_| {
        for report in &reports {
            if report["ok"].as_bool() == Some(true) {
                println!(
                    "ok\t{}\t{} entries",
                    text(&report["community"]),
                    report["entries"]
                );
            } else {
                println!(
                    "BAD\t{}\tfirst bad entry {}: {}",
                    text(&report["community"]),
                    report["error"]["seq"],
                    text(&report["error"]["reason"])
                );
            }
        }
    });
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} logs failed verification; restore them from a backup or a peer",
            reports.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
