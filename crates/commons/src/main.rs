//! `commons`: runs a node (`commons serve`) and is the operator's and user's
//! command-line tool. Every command takes `--data-dir` and does the same
//! thing whether the node runs (it then goes through the node's control
//! socket) or not (it opens the store itself).

mod client;
mod cmd;
mod config;
mod p2p;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::config::{Config, FlagOverrides};

/// Commons: a federated node for communities that share knowledge and resources.
#[derive(Debug, Parser)]
#[command(name = "commons", version, about, propagate_version = true)]
struct Cli {
    /// The node's data directory [default: ./commons-data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML configuration file [default: DATA_DIR/commons.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut flags = FlagOverrides {
        data_dir: cli.data_dir.clone(),
        ..FlagOverrides::default()
    };
    if let cmd::Command::Serve(args) = &cli.command {
        flags.listen = args.listen.clone();
        flags.database_url = args.database_url.clone();
        if args.no_default_communities {
            flags.default_communities = Some(false);
        }
        if !args.p2p_listen.is_empty() {
            flags.p2p_listen = Some(args.p2p_listen.clone());
        }
        if args.mdns {
            flags.mdns = Some(true);
        }
    }
    let config = Config::load(cli.config.as_deref(), flags)?;
    cmd::run(cli.command, &config, cli.json).await
}
