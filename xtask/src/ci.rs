//! `cargo xtask ci`: every gate a change must pass, cheapest first, each step
//! timed, stopping at the first failure with the step's name.
//!
//! Every cargo invocation gets the same `RUSTFLAGS` (`-D warnings` added), so
//! clippy, the tests and the browser build share one build cache instead of
//! each rebuilding the dependency graph under different flags.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::postgres::Cluster;

/// The steps, in the order they run.
const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        about: "cargo fmt --check",
        run: fmt,
    },
    Step {
        name: "tidy",
        about: "module docs, placeholders, dependency edges",
        run: tidy,
    },
    Step {
        name: "deny",
        about: "licences, bans, sources (advisories given a local database)",
        run: deny,
    },
    Step {
        name: "clippy",
        about: "cargo clippy, warnings denied",
        run: clippy,
    },
    Step {
        name: "test",
        about: "nextest and doctests on SQLite and a throwaway PostgreSQL",
        run: test,
    },
    Step {
        name: "browser",
        about: "node --test against the built binary in Chromium",
        run: browser,
    },
];

/// Names a directory of advisory databases as `cargo deny fetch` leaves them
/// in `$CARGO_HOME/advisory-dbs`; unset, advisories are skipped (GitHub is
/// unreachable from the CI machines).
const ADVISORY_DB_ENV: &str = "COMMONS_ADVISORY_DB";

struct Step {
    name: &'static str,
    about: &'static str,
    run: fn(&Ci) -> anyhow::Result<()>,
}

struct Ci {
    root: PathBuf,
    rustflags: String,
}

/// `cargo xtask ci [STEP...]`.
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    for arg in args {
        if !STEPS.iter().any(|step| step.name == arg) {
            let names: Vec<&str> = STEPS.iter().map(|step| step.name).collect();
            bail!(
                "unknown ci step `{arg}`; the steps are {}",
                names.join(", ")
            );
        }
    }
    let started = Instant::now();
    let ci = Ci {
        root: crate::project_root(),
        rustflags: rustflags(),
    };
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    for step in STEPS
        .iter()
        .filter(|step| args.is_empty() || args.iter().any(|arg| arg == step.name))
    {
        eprintln!("\n==> {}: {}", step.name, step.about);
        let step_started = Instant::now();
        let res = (step.run)(&ci);
        let elapsed = step_started.elapsed();
        if let Err(err) = res {
            eprintln!("\n<== {} FAILED after {}", step.name, seconds(elapsed));
            return Err(err.context(format!(
                "ci step `{}` failed after {} (total {})",
                step.name,
                seconds(elapsed),
                seconds(started.elapsed())
            )));
        }
        eprintln!("<== {} passed in {}", step.name, seconds(elapsed));
        timings.push((step.name, elapsed));
    }
    eprintln!("\nci passed:");
    for (name, elapsed) in &timings {
        eprintln!("  {name:<8} {:>9}", seconds(*elapsed));
    }
    eprintln!("  {:<8} {:>9}", "total", seconds(started.elapsed()));
    Ok(())
}

impl Ci {
    /// A cargo command in the workspace root with the shared `RUSTFLAGS`.
    fn cargo(&self) -> Command {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .current_dir(&self.root)
            .env("RUSTFLAGS", &self.rustflags);
        command
    }

    fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => self.root.join(dir),
            None => self.root.join("target"),
        }
    }
}

fn fmt(ci: &Ci) -> anyhow::Result<()> {
    crate::run(ci.cargo().args(["fmt", "--all", "--", "--check"]))
}

fn clippy(ci: &Ci) -> anyhow::Result<()> {
    crate::run(
        ci.cargo()
            .args(["clippy", "--workspace", "--all-targets", "--locked"]),
    )
}

fn deny(ci: &Ci) -> anyhow::Result<()> {
    if !crate::succeeds(ci.cargo().args(["deny", "--version"])) {
        eprintln!("cargo-deny is not installed; installing it");
        // Installed crates build under their own flags, not the workspace's.
        crate::run(
            ci.cargo()
                .env_remove("RUSTFLAGS")
                .args(["install", "--locked", "cargo-deny"]),
        )
        .context("could not install cargo-deny")?;
    }
    crate::run(ci.cargo().args([
        "deny",
        "--locked",
        "check",
        "--hide-inclusion-graph",
        "licenses",
        "bans",
        "sources",
    ]))?;
    let Some(db_root) = std::env::var_os(ADVISORY_DB_ENV) else {
        eprintln!(
            "note: advisories skipped: cargo-deny fetches the RustSec database from GitHub, which \
             these machines cannot reach. To check them, run `cargo deny fetch` where GitHub is \
             reachable and set {ADVISORY_DB_ENV} to a copy of the $CARGO_HOME/advisory-dbs it fills."
        );
        return Ok(());
    };
    check_advisories(ci, &ci.root.join(db_root))
}

/// Runs the advisories check offline against databases fetched elsewhere.
/// deny.toml cannot name the directory (it differs per machine), so this
/// writes a copy of it with `db-path` pointing there.
fn check_advisories(ci: &Ci, db_root: &Path) -> anyhow::Result<()> {
    let has_db = std::fs::read_dir(db_root).is_ok_and(|mut entries| entries.next().is_some());
    if !has_db {
        bail!(
            "{ADVISORY_DB_ENV}={} holds no advisory database; fill it with `cargo deny fetch`",
            db_root.display()
        );
    }
    let deny_toml = ci.root.join("deny.toml");
    let text = std::fs::read_to_string(&deny_toml)
        .with_context(|| format!("could not read {}", deny_toml.display()))?;
    let mut config: toml::Table = toml::from_str(&text).context("deny.toml is not valid TOML")?;
    config
        .entry("advisories")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        .as_table_mut()
        .context("[advisories] in deny.toml is not a table")?
        .insert("db-path".into(), db_root.display().to_string().into());
    let xtask_dir = ci.target_dir().join("xtask");
    std::fs::create_dir_all(&xtask_dir)
        .with_context(|| format!("could not create {}", xtask_dir.display()))?;
    let config_path = xtask_dir.join("deny-advisories.toml");
    let config_text = toml::to_string(&config).context("could not encode the advisories config")?;
    std::fs::write(&config_path, config_text)
        .with_context(|| format!("could not write {}", config_path.display()))?;
    // --offline: use the databases as they are, never try to update them.
    crate::run(
        ci.cargo()
            .args(["deny", "--locked", "--offline", "--config"])
            .arg(&config_path)
            .args(["check", "advisories"]),
    )
}

fn tidy(ci: &Ci) -> anyhow::Result<()> {
    crate::tidy::run(&ci.root)
}

fn test(ci: &Ci) -> anyhow::Result<()> {
    if !crate::succeeds(ci.cargo().args(["nextest", "--version"])) {
        bail!(
            "cargo-nextest is not installed: run `cargo install --locked cargo-nextest` (.ci/run does)"
        );
    }
    // Dropping the cluster stops it, whether the tests pass or not.
    let cluster = Cluster::start().context("could not start the test PostgreSQL")?;
    let mut nextest = ci.cargo();
    nextest.args([
        "nextest",
        "run",
        "--workspace",
        "--locked",
        "--profile",
        "ci",
    ]);
    cluster.set_env(&mut nextest);
    crate::run(&mut nextest)?;
    let mut doctests = ci.cargo();
    doctests.args(["test", "--workspace", "--locked", "--doc"]);
    cluster.set_env(&mut doctests);
    crate::run(&mut doctests)
}

fn browser(ci: &Ci) -> anyhow::Result<()> {
    let dir = ci.root.join("tests/browser");
    if !dir.join("package.json").is_file() {
        eprintln!("skipped: there is no tests/browser/package.json");
        return Ok(());
    }
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.is_file() {
        eprintln!(
            "{} is missing; installing Debian's chromium",
            chromium.display()
        );
        crate::apt_install(&["chromium"]).context("could not install chromium")?;
    }
    let install = if dir.join("package-lock.json").is_file() {
        "ci"
    } else {
        "install"
    };
    // The tests drive Debian's Chromium; Playwright must not download its own.
    crate::run(
        Command::new("npm")
            .arg(install)
            .current_dir(&dir)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )?;
    crate::run(ci.cargo().args(["build", "--locked", "-p", "commons"]))?;
    let commons_bin = ci.target_dir().join("debug/commons");
    crate::run(
        Command::new("node")
            .arg("--test")
            .current_dir(&dir)
            .env("COMMONS_BIN", &commons_bin)
            .env("COMMONS_CHROMIUM", chromium),
    )
}

/// The caller's `RUSTFLAGS` with warnings denied.
fn rustflags() -> String {
    let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if flags.contains("-D warnings") {
        return flags;
    }
    format!("{flags} -D warnings").trim().to_string()
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}
