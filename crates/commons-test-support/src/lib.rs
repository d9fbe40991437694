//! Test and bench fixtures: a fresh database per test, on SQLite or on the PostgreSQL
//! server named by `COMMONS_TEST_POSTGRES` (set by `cargo xtask ci`).

use std::sync::atomic::{AtomicU64, Ordering};

/// Which backends a conformance test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// A database that lives as long as the value.
#[derive(Debug)]
pub struct TestDb {
    /// The URL to open.
    pub url: String,
    /// The backend.
    pub backend: TestBackend,
    _dir: Option<tempfile::TempDir>,
}

/// The environment variable naming the PostgreSQL server for tests, as a URL
/// without a database name, e.g. `postgres://postgres@127.0.0.1:54329`.
pub const POSTGRES_ENV: &str = "COMMONS_TEST_POSTGRES";

/// The backends to run conformance tests on: SQLite always, PostgreSQL when
/// the server is configured. `cargo xtask ci` always configures it, and sets
/// `COMMONS_REQUIRE_POSTGRES` so a missing server fails the run.
pub fn backends() -> Vec<TestBackend> {
    let mut backends = vec![TestBackend::Sqlite];
    if std::env::var_os(POSTGRES_ENV).is_some() {
        backends.push(TestBackend::Postgres);
    } else if std::env::var_os("COMMONS_REQUIRE_POSTGRES").is_some() {
        panic!("COMMONS_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not");
    } else {
        eprintln!(
            "note: {POSTGRES_ENV} is unset; running on SQLite only (cargo xtask ci runs both)"
        );
    }
    backends
}

impl TestDb {
    /// A fresh, empty database on `backend`.
    pub async fn new(backend: TestBackend) -> TestDb {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("commons.db").display()
                );
                TestDb {
                    url,
                    backend,
                    _dir: Some(dir),
                }
            }
            TestBackend::Postgres => {
                static COUNTER: AtomicU64 = AtomicU64::new(0);
                let server = std::env::var(POSTGRES_ENV).expect("postgres server configured");
                let name = format!(
                    "commons_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock after epoch")
                        .subsec_nanos()
                );
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                    .await
                    .expect("connect to test postgres");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                TestDb {
                    url: format!("{server}/{name}"),
                    backend,
                    _dir: None,
                }
            }
        }
    }

    /// A directory that lives as long as the database (SQLite only).
    pub fn dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|dir| dir.path())
    }
}

/// Resident memory of process `pid` (`VmRSS` in `/proc/PID/status`), in
/// bytes; `None` when the process is gone or the kernel has no `/proc`.
/// The benches read a node's memory with it.
pub fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}
