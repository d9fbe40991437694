//! A throwaway PostgreSQL cluster for tests: initialised in a fresh temporary
//! directory, started on a free loopback port, stopped and deleted on drop.
//!
//! Tests never share a server with a developer's own databases: every run gets
//! its own cluster with `fsync` off (the data is thrown away anyway), reached
//! through `COMMONS_TEST_POSTGRES`. PostgreSQL refuses to run as root, so when
//! xtask runs as root (as CI does) the server runs as the `postgres` user.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

/// The variable naming the server, as a URL without a database name.
pub(crate) const URL_ENV: &str = "COMMONS_TEST_POSTGRES";
/// The variable telling tests that a missing server is a failure, not a skip.
pub(crate) const REQUIRE_ENV: &str = "COMMONS_REQUIRE_POSTGRES";

/// Another process may take the free port between our probe and the server's
/// bind; a new port fixes that, so start is retried a few times.
const START_ATTEMPTS: usize = 3;

/// A running cluster; dropping it stops the server and deletes its files.
pub(crate) struct Cluster {
    bin_dir: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as_postgres: bool,
}

/// `cargo xtask postgres -- CMD...`.
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let command_line = match args {
        [dashes, rest @ ..] if dashes == "--" && !rest.is_empty() => rest,
        _ => bail!("usage: cargo xtask postgres -- CMD [ARG...]"),
    };
    let cluster = Cluster::start()?;
    let mut command = Command::new(&command_line[0]);
    command.args(&command_line[1..]);
    cluster.set_env(&mut command);
    crate::run(&mut command)
}

impl Cluster {
    /// Finds or installs PostgreSQL, then initialises and starts a cluster.
    pub(crate) fn start() -> anyhow::Result<Cluster> {
        let bin_dir = match find_bin_dir() {
            Some(bin_dir) => bin_dir,
            None => {
                eprintln!(
                    "PostgreSQL not found on PATH or under /usr/lib/postgresql; installing it"
                );
                crate::apt_install(&["postgresql"]).context("could not install PostgreSQL")?;
                find_bin_dir()
                    .context("PostgreSQL installed but initdb and pg_ctl still not found")?
            }
        };
        let version = crate::output(Command::new(bin_dir.join("pg_ctl")).arg("--version"))?;
        let run_as_postgres = crate::is_root();
        let dir = make_temp_dir(run_as_postgres)?;
        // From here on `cluster` owns the directory, so every early return
        // below still removes it.
        let mut cluster = Cluster {
            bin_dir,
            dir,
            port: 0,
            run_as_postgres,
        };
        cluster.init().context("initdb failed")?;
        for attempt in 1..=START_ATTEMPTS {
            cluster.port = free_port()?;
            match cluster.pg_ctl_start() {
                Ok(()) => break,
                Err(err) if attempt < START_ATTEMPTS => {
                    eprintln!(
                        "warning: PostgreSQL did not start on port {}, retrying: {err:#}",
                        cluster.port
                    );
                }
                Err(err) => return Err(err.context(cluster.log_tail())),
            }
        }
        TcpStream::connect((Ipv4Addr::LOCALHOST, cluster.port)).with_context(|| {
            format!(
                "PostgreSQL reported ready but port {} refuses connections",
                cluster.port
            )
        })?;
        eprintln!(
            "started {} at {} (data in {})",
            version.trim(),
            cluster.url(),
            cluster.dir.display()
        );
        Ok(cluster)
    }

    /// The server URL, without a database name.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// Points `command` at this cluster and makes a missing server an error.
    pub(crate) fn set_env(&self, command: &mut Command) {
        command.env(URL_ENV, self.url()).env(REQUIRE_ENV, "1");
    }

    fn init(&self) -> anyhow::Result<()> {
        // Output goes to the error only: a healthy initdb is noise in a CI log.
        crate::output(
            self.server_command("initdb")
                .arg("--pgdata")
                .arg(self.dir.join("data"))
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ]),
        )?;
        Ok(())
    }

    fn pg_ctl_start(&self) -> anyhow::Result<()> {
        // Durability settings are off: the cluster dies with the run. The
        // connection limit leaves room for one pool per concurrent test.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            self.port,
            self.dir.display()
        );
        crate::output(
            self.server_command("pg_ctl")
                .arg("--pgdata")
                .arg(self.dir.join("data"))
                .arg("--log")
                .arg(self.log_path())
                .args(["--wait", "--timeout=60", "--options", &options, "start"]),
        )?;
        Ok(())
    }

    fn stop(&self) -> anyhow::Result<()> {
        crate::output(
            self.server_command("pg_ctl")
                .arg("--pgdata")
                .arg(self.dir.join("data"))
                .args(["--mode=immediate", "--wait", "stop"]),
        )?;
        Ok(())
    }

    /// A command for one of the server binaries, run as `postgres` when we
    /// are root, from the cluster directory so it never needs to read ours.
    fn server_command(&self, binary: &str) -> Command {
        let program = self.bin_dir.join(binary);
        let mut command = if self.run_as_postgres {
            // runuser lives in sbin, which a non-login root PATH may lack.
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
                .into_iter()
                .find(|path| Path::new(path).is_file())
                .unwrap_or("runuser");
            let mut command = Command::new(runuser);
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.current_dir(&self.dir);
        command
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn log_tail(&self) -> String {
        match std::fs::read_to_string(self.log_path()) {
            Ok(log) => {
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(20)..].join("\n");
                format!("PostgreSQL did not start; the end of its log:\n{tail}")
            }
            Err(_) => "PostgreSQL did not start and wrote no log".to_string(),
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.port != 0 {
            match self.stop() {
                Ok(()) => eprintln!("stopped PostgreSQL at {}", self.url()),
                Err(err) => eprintln!(
                    "warning: could not stop PostgreSQL at {}: {err:#}",
                    self.url()
                ),
            }
        }
        if let Err(err) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("warning: could not remove {}: {err}", self.dir.display());
        }
    }
}

/// A directory holding both `initdb` and `pg_ctl`: PATH first, then Debian's
/// versioned directories, preferring PostgreSQL 15 and else the newest.
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(dir) = std::env::split_paths(&path).find(|dir| has_both(dir)) {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|it| it.ok())
        .filter_map(|it| {
            Some((
                it.file_name().to_str()?.parse().ok()?,
                it.path().join("bin"),
            ))
        })
        .filter(|(_, dir)| has_both(dir))
        .collect();
    versions.sort_by_key(|(version, _)| (*version == 15, *version));
    versions.pop().map(|(_, dir)| dir)
}

fn make_temp_dir(for_postgres: bool) -> anyhow::Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|it| it.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("commons-pg-{}-{nanos}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("could not create {}", dir.display()))?;
    if for_postgres && let Err(err) = chown_to_postgres(&dir) {
        // Nothing owns the directory yet, so clean it up here.
        let _ = std::fs::remove_dir(&dir);
        return Err(err);
    }
    Ok(dir)
}

fn chown_to_postgres(dir: &Path) -> anyhow::Result<()> {
    let id = |flag: &str| -> anyhow::Result<u32> {
        let id = crate::output(Command::new("id").args([flag, "postgres"])).context(
            "there is no `postgres` user to run the server as (the Debian package creates it)",
        )?;
        id.trim()
            .parse()
            .with_context(|| format!("`id {flag} postgres` printed {id:?}"))
    };
    std::os::unix::fs::chown(dir, Some(id("-u")?), Some(id("-g")?))
        .with_context(|| format!("could not hand {} to the postgres user", dir.display()))
}

fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("could not find a free port")?;
    Ok(listener
        .local_addr()
        .context("could not read the probed port")?
        .port())
}
