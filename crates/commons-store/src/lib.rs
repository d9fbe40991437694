//! Storage for a Commons node: sqlx over SQLite (the default) or PostgreSQL.
//!
//! One query layer serves both backends through sqlx's `Any` driver: every
//! statement uses `$n` placeholders (multi-row statements pick the backend's
//! own style, see [`bulk::Params`]) and types both databases share (TEXT and
//! BIGINT; ids, keys and signatures are lowercase hex). Each backend has its
//! own embedded migrations, applied at open. Every shared table is keyed by
//! community id first so a PostgreSQL deployment can shard by community.
//!
//! The store owns the logs (`log_entries`, `log_heads`) and the local tables
//! (accounts, sessions, tokens, audit, follows, secrets). Capabilities own
//! their projection tables and reduce entries into them inside the append
//! transaction, through the [`Capability`] trait.
#![warn(missing_docs)]

pub mod audit;
pub mod bulk;
pub mod capability;
pub mod community;
pub mod home;
pub mod log;
pub mod meta;
pub mod outbox;
pub mod replicate;
pub mod users;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use capability::{Capability, Registry};
pub use log::{AppendError, Known, LogRow, VerifyReport};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in WAL mode.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A handle to the node's database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: the one connection write transactions run on. SQLite drops a
    /// connection's page cache whenever another connection changed the
    /// database, so writes spread over the pool each began cold and re-read
    /// every page they touched; on one connection the pages a batch reads
    /// (index leaves, projection rows) are still cached from the last one.
    writer: Option<AnyPool>,
    /// SQLite allows one writer; taking this lock before a write transaction
    /// turns would-be `SQLITE_BUSY` upgrades into an orderly queue.
    write_lock: Arc<tokio::sync::Mutex<()>>,
    /// SQLite: wakes the background checkpointer after each commit.
    checkpoint: Option<Arc<Checkpointer>>,
}

/// Copies the SQLite write-ahead log into the database file off the write
/// path. A checkpoint inside a commit (SQLite's default every 1,000 pages)
/// fsyncs twice and stalls the writer; a passive one on another connection
/// runs beside it.
struct Checkpointer {
    wake: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

/// Pages the WAL may reach before a committing writer checkpoints itself,
/// a backstop should the background checkpointer fall behind (about 256 MiB).
const WAL_BACKSTOP_PAGES: u32 = 65_536;

/// How long the checkpointer lets commits accumulate before copying them.
const CHECKPOINT_DELAY: Duration = Duration::from_millis(250);

/// A storage failure. Bad input never ends up here: it is a typed rejection
/// from the operation that received it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value does not parse; the database was changed behind the node's back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The URL names no supported database.
    #[error("unsupported database URL {0:?}: expected sqlite:// or postgres://")]
    UnsupportedUrl(String),
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://…`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Store {
    /// Connects, applies pending migrations of the kernel and of every
    /// capability in `registry`, and returns the store.
    pub async fn open(config: &StoreConfig, registry: &Registry) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if config.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if config.url.starts_with("postgres:") || config.url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(config.url.clone()));
        };
        let options: AnyConnectOptions = config.url.parse()?;
        let options = options.log_statements(tracing::log::LevelFilter::Trace);
        let pool = pool_options(backend, READER_CACHE_KIB)
            .max_connections(config.max_connections)
            .connect_with(options.clone())
            .await?;
        let writer = match backend {
            // Never closed for idleness or age: its page cache is the point.
            Backend::Sqlite => Some(
                pool_options(backend, WRITER_CACHE_KIB)
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await?,
            ),
            Backend::Postgres => None,
        };
        let checkpoint = (backend == Backend::Sqlite).then(|| Checkpointer::spawn(pool.clone()));
        let store = Store {
            pool,
            backend,
            writer,
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            checkpoint,
        };
        store.migrate(registry).await?;
        Ok(store)
    }

    async fn migrate(&self, registry: &Registry) -> Result<(), StoreError> {
        let mut kernel = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        // Kernel and capabilities share sqlx's bookkeeping table; version
        // ranges keep them apart and each ignores the others' rows.
        kernel.set_ignore_missing(true);
        kernel.run(&self.pool).await?;
        for capability in registry.iter() {
            if let Some(migrator) = capability.migrator(self.backend) {
                let mut migrator: Migrator = migrator;
                migrator.set_ignore_missing(true);
                migrator.run(&self.pool).await?;
            }
        }
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for capability views.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction, queued behind other writers on SQLite.
    pub async fn write(&self) -> Result<WriteTx<'_>, StoreError> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        };
        let pool = self.writer.as_ref().unwrap_or(&self.pool);
        let tx = pool.begin().await?;
        Ok(WriteTx {
            tx,
            _guard: guard,
            checkpoint: self.checkpoint.as_deref(),
        })
    }

    /// Runs one writing statement on its own (SQLite commits it at once),
    /// queued behind other writers like [`Store::write`]. On SQLite a write
    /// that slipped in between the reads and the first write of another
    /// transaction made that transaction fail (`SQLITE_BUSY_SNAPSHOT`);
    /// every write goes through the lock so none can.
    pub async fn execute_write(
        &self,
        query: bulk::AnyQuery<'_>,
    ) -> Result<sqlx::any::AnyQueryResult, StoreError> {
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        };
        let done = query
            .execute(self.writer.as_ref().unwrap_or(&self.pool))
            .await?;
        if let Some(checkpoint) = &self.checkpoint {
            checkpoint.wake.notify_one();
        }
        Ok(done)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Writes a consistent copy of an SQLite database to `path` while the node
    /// runs (`VACUUM INTO`). PostgreSQL deployments use `pg_dump` instead.
    pub async fn backup_sqlite(&self, path: &str) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::UnsupportedUrl(
                "backup needs SQLite; use pg_dump for PostgreSQL".into(),
            ));
        }
        let _guard = self.write_lock.lock().await;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes the pools, waiting for connections to finish.
    pub async fn close(&self) {
        if let Some(checkpoint) = &self.checkpoint {
            checkpoint.stop();
        }
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

/// SQLite page cache of a pooled (reading) connection, in KiB: SQLite's default.
const READER_CACHE_KIB: u32 = 2_000;

/// SQLite page cache of the writing connection, in KiB. A batch of random
/// keys (record ids, member keys) touches a leaf page per row in each of
/// their indexes; a cache smaller than those indexes evicts the pages the
/// next batch needs, and a replay that streams the log through it spills
/// dirty projection pages to the WAL in the middle of its transaction.
/// 16 MiB appends and replays as fast as 64 MiB did in `commons-bench
/// store`, and a node that fills it costs 4 times less memory (the sync
/// burst bench runs eleven nodes in one process).
const WRITER_CACHE_KIB: u32 = 16_384;

/// Pool options shared by the reading pool and the SQLite writer: the
/// per-connection settings of each backend.
fn pool_options(backend: Backend, cache_kib: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // `temp_store = MEMORY`: a multi-row statement inside a
                    // transaction keeps a statement journal so it can undo
                    // itself alone; on disk that journal's writes were a
                    // fifth of a replay's CPU time.
                    conn.execute(
                        format!(
                            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                             PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                             PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}; \
                             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{cache_kib};"
                        )
                        .as_str(),
                    )
                    .await?;
                } else {
                    // Multi-row statements bind hundreds of parameters
                    // (`key IN ($2, …)`); a cached generic plan cannot see
                    // the values and falls back to scanning the table.
                    conn.execute("SET plan_cache_mode = force_custom_plan")
                        .await?;
                }
                Ok(())
            })
        })
}

/// A write transaction; dropping it without [`WriteTx::commit`] rolls back.
pub struct WriteTx<'s> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<tokio::sync::MutexGuard<'s, ()>>,
    checkpoint: Option<&'s Checkpointer>,
}

impl WriteTx<'_> {
    /// The connection, for queries inside the transaction.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        if let Some(checkpoint) = self.checkpoint {
            checkpoint.wake.notify_one();
        }
        Ok(())
    }
}

impl Checkpointer {
    fn spawn(pool: AnyPool) -> Arc<Checkpointer> {
        let wake = Arc::new(tokio::sync::Notify::new());
        let woken = Arc::clone(&wake);
        let task = tokio::spawn(async move {
            loop {
                woken.notified().await;
                tokio::time::sleep(CHECKPOINT_DELAY).await;
                if pool.is_closed() {
                    return;
                }
                // A failed passive checkpoint leaves the frames in the WAL for
                // the next one (or the backstop); nothing is lost.
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(%error, "background checkpoint failed");
                }
            }
        });
        Arc::new(Checkpointer { wake, task })
    }

    fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Reads a hex column into a kernel id type, mapping parse failures to corruption.
pub(crate) fn parse_col<T: std::str::FromStr>(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    use sqlx::Row;
    // Borrowed from the row: no copy of the text.
    let text: &str = row.try_get(column)?;
    text.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(format!("column {column}: {e}")))
}
