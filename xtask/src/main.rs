//! Project automation, run as `cargo xtask <task>`: the CI gate, the tidy
//! checks and a throwaway PostgreSQL server for tests.
//!
//! xtask is plain Rust on purpose: it runs on any machine that can build the
//! workspace, needs no shell beyond what `cargo` needs, and every gate a
//! contributor can fail in CI they can also run locally with one command.

mod ci;
mod postgres;
mod tidy;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci [STEP...]          run every gate (fmt, clippy, deny, tidy, test, browser),
                        or only the named steps
  tidy                  check module docs, placeholders, dependency edges and
                        package metadata
  postgres -- CMD...    run CMD with COMMONS_TEST_POSTGRES pointing at a
                        throwaway PostgreSQL cluster, then remove the cluster";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("tidy") => tidy::run(&project_root()),
        Some("postgres") => postgres::run(&args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(task) => Err(anyhow::anyhow!("unknown task `{task}`\n\n{USAGE}")),
        None => Err(anyhow::anyhow!("no task given\n\n{USAGE}")),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask always lives directly below it.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask's manifest directory has a parent")
        .to_path_buf()
}

/// Runs `command` with inherited stdio, echoing it first, and fails unless it
/// exits successfully.
fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = show(command);
    eprintln!("$ {shown}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs `command` quietly and returns its stdout; on failure the error
/// carries everything it printed, since nothing else showed it.
fn output(command: &mut Command) -> anyhow::Result<String> {
    let shown = show(command);
    let out = command
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !out.status.success() {
        bail!(
            "`{shown}` failed ({})\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).with_context(|| format!("`{shown}` printed invalid UTF-8"))
}

/// Whether `command` can be started and exits successfully, output hidden;
/// used to probe for installed tools.
fn succeeds(command: &mut Command) -> bool {
    command.output().is_ok_and(|out| out.status.success())
}

/// Whether this process runs as root, which decides whether xtask may
/// install system packages and must drop privileges for PostgreSQL.
fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

/// Installs Debian packages non-interactively; only root may.
fn apt_install(packages: &[&str]) -> anyhow::Result<()> {
    if !is_root() {
        bail!(
            "{} missing and only root may install it: run `apt-get install {}`",
            packages.join(", "),
            packages.join(" ")
        );
    }
    run(Command::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn show(command: &Command) -> String {
    let mut shown = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            shown.push_str(&format!(" '{arg}'"));
        } else {
            shown.push(' ');
            shown.push_str(&arg);
        }
    }
    shown
}
