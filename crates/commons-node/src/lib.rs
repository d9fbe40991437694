//! The node facade: every edge (web, CLI, sync) calls this and nothing below it.
//!
//! [`Node::open`] initializes or opens a data directory: the node key, the
//! store (SQLite in the data directory, or PostgreSQL), and on first start the
//! `admin` account and the four domain communities. The node then signs
//! records on behalf of its local users (whose keys it keeps wrapped), appends
//! them to the logs of the communities it is home for, and answers queries.
#![warn(missing_docs)]

pub mod accounts;
pub mod audit;
pub mod away;
pub mod blobs;
pub mod communities;
pub mod control;
pub mod credentials;
pub mod discover;
pub mod home;
pub mod intel;
pub mod patterns;
pub mod records;
pub mod scans;
pub mod secrets;
pub mod snapshots;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commons_kernel::{Findings, PublicKey, RecordId, SecretKey, Timestamp};
use commons_store::{AppendError, Registry, Store, StoreConfig, StoreError};

pub use accounts::{ApiToken, Session, User};
pub use commons_store::Backend;
pub use commons_store::community::MemberRow;
pub use communities::CommunityView;

/// The capabilities this node runs. Adding a capability is one line here.
pub fn registry() -> Registry {
    // Each capability adds one line here.
    let mut registry = Registry::with_kernel();
    registry.register(Arc::new(commons_patterns::Patterns));
    registry.register(Arc::new(commons_intel::Intel));
    registry
}

/// The four public domain communities every node starts with.
pub const DOMAIN_COMMUNITIES: [&str; 4] = ["web", "ml", "embedded", "security"];

/// How to open a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the node key, the SQLite database and the control socket live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite.
    pub database_url: Option<String>,
    /// Pool size.
    pub max_connections: u32,
    /// Create the domain communities on first start.
    pub default_communities: bool,
    /// Base URL printed in the admin's setup link.
    pub public_url: String,
}

/// A running node. Cheap to clone.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    registry: Registry,
    node_key: SecretKey,
    wrap: secrets::KeyWrap,
    data_dir: PathBuf,
    snapshots: snapshots::Snapshots,
    sync: sync::SyncState,
    credentials: credentials::CredentialCache,
    /// Held while a pattern submission rechecks for duplicates and appends.
    pattern_submissions: tokio::sync::Mutex<()>,
}

/// What a first start created, to be shown to the operator once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstStart {
    /// The one-time link that sets the admin's password.
    pub admin_setup_url: String,
    /// The communities created.
    pub communities: Vec<String>,
}

/// Why an operation failed. Every variant but `Store` is the caller's to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// No such user, community, token…
    #[error("{what} {name} not found")]
    NotFound {
        /// What was looked up.
        what: &'static str,
        /// By which name or id.
        name: String,
    },
    /// A name matches several communities.
    #[error("name {name} matches several communities ({}); use the id", candidates.join(", "))]
    Ambiguous {
        /// The name.
        name: String,
        /// Matching ids.
        candidates: Vec<String>,
    },
    /// The thing exists already.
    #[error("{0}")]
    Conflict(String),
    /// Credentials are missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Input is malformed.
    #[error("{0}")]
    BadInput(String),
    /// A record breaks its schema or the community's rules.
    #[error("the record is not accepted: {0}")]
    Invalid(Findings),
    /// The record is already in the log.
    #[error("record {0} is already in the log")]
    Duplicate(RecordId),
    /// This node is not the community's home, so it cannot append.
    #[error("this node is not the home of community {0}; writes for it must go to its home node")]
    NotHome(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not a failure: the write was made on a node that is not the
    /// community's home, so it was checked, signed and queued for the home
    /// node, and is pending until its entry comes back through sync. Edges
    /// answer it as accepted (HTTP 202, a "pending" CLI reply).
    #[error(
        "queued for the home node of community {community}; pending until its entry comes back through sync"
    )]
    Queued {
        /// The community.
        community: commons_kernel::CommunityId,
        /// The queued records, in order.
        records: Vec<RecordId>,
    },
}

impl From<AppendError> for NodeError {
    fn from(error: AppendError) -> NodeError {
        match error {
            AppendError::UnknownCommunity(id) => NodeError::NotFound {
                what: "community",
                name: id.to_hex(),
            },
            AppendError::Invalid { findings, .. } => NodeError::Invalid(findings),
            AppendError::Duplicate { id, .. } => NodeError::Duplicate(id),
            AppendError::Store(error) => NodeError::Store(error),
            other => NodeError::BadInput(other.to_string()),
        }
    }
}

impl From<secrets::UnwrapError> for NodeError {
    fn from(error: secrets::UnwrapError) -> NodeError {
        NodeError::Store(StoreError::Corrupt(error.to_string()))
    }
}

const NODE_KEY_FILE: &str = "node.key";

impl Node {
    /// Opens (initializing on first start) the node in `config.data_dir`.
    pub async fn open(
        config: &NodeConfig,
        registry: Registry,
    ) -> Result<(Node, Option<FirstStart>), NodeError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            NodeError::BadInput(format!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            ))
        })?;
        let node_key = load_or_create_key(&config.data_dir.join(NODE_KEY_FILE))?;
        let url = match &config.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                config.data_dir.join("commons.db").display()
            ),
        };
        let store = Store::open(
            &StoreConfig {
                url,
                max_connections: config.max_connections,
            },
            &registry,
        )
        .await?;
        match store.meta("node_key").await? {
            Some(stored) if stored != node_key.public_key().to_hex() => {
                return Err(NodeError::Conflict(format!(
                    "the database belongs to node {stored}, but {} holds key {}; use the data directory the database was created with",
                    config.data_dir.join(NODE_KEY_FILE).display(),
                    node_key.public_key()
                )));
            }
            Some(_) => {}
            None => {
                store
                    .set_meta("node_key", &node_key.public_key().to_hex())
                    .await?
            }
        }
        let wrap = secrets::KeyWrap::new(&node_key);
        let node = Node {
            inner: Arc::new(Inner {
                store,
                registry,
                node_key,
                wrap,
                data_dir: config.data_dir.clone(),
                snapshots: snapshots::Snapshots::default(),
                sync: sync::SyncState::default(),
                credentials: credentials::CredentialCache::default(),
                pattern_submissions: tokio::sync::Mutex::new(()),
            }),
        };
        let first = node.initialize(config).await?;
        Ok((node, first))
    }

    async fn initialize(&self, config: &NodeConfig) -> Result<Option<FirstStart>, NodeError> {
        if self.store().meta("initialized").await?.is_some() {
            return Ok(None);
        }
        // Each step is idempotent, so a crash during the first start is
        // finished by the next one.
        let setup = match self.store().user_by_name("admin").await? {
            Some(admin) => self.reissue_setup(&admin.name).await?,
            None => self.create_user_with_setup("admin", true).await?,
        };
        let admin = self.user("admin").await?;
        let mut created = Vec::new();
        if config.default_communities {
            for name in DOMAIN_COMMUNITIES {
                let exists = self.find_home_community(name).await?.is_some();
                if !exists {
                    self.create_community(&admin, name, commons_kernel::Visibility::Public, "open")
                        .await?;
                    created.push(name.to_owned());
                }
            }
            if self.inner.registry.get("patterns").is_some() {
                self.seed_pattern_libraries(&admin).await?;
            }
        }
        self.store()
            .set_meta("initialized", &now().0.to_string())
            .await?;
        let base = config.public_url.trim_end_matches('/');
        Ok(Some(FirstStart {
            admin_setup_url: format!("{base}/setup?token={setup}"),
            communities: created,
        }))
    }

    /// The store, for the few edges that stream from it directly.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The registered capabilities.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// This node's public key, its identity on the network.
    pub fn node_key(&self) -> PublicKey {
        self.inner.node_key.public_key()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.store.backend()
    }

    /// Checks the store answers (for readiness probes).
    pub async fn ready(&self) -> Result<(), NodeError> {
        Ok(self.inner.store.ping().await?)
    }

    /// Closes the store.
    pub async fn close(&self) {
        self.inner.store.close().await;
    }
}

/// The key this node hashes fingerprints with for local use (trying a
/// pattern with `commons scan --patterns` before submitting it): derived
/// from the node key, so it never leaves the data directory and differs on
/// every node. Creates the node key on a fresh data directory.
pub fn local_pattern_key(data_dir: &Path) -> Result<[u8; 32], NodeError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| NodeError::BadInput(format!("cannot create {}: {e}", data_dir.display())))?;
    let node_key = load_or_create_key(&data_dir.join(NODE_KEY_FILE))?;
    Ok(blake3::derive_key(
        "commons 2026 local pattern key",
        &node_key.to_bytes(),
    ))
}

/// The current time.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(millis)
}

fn load_or_create_key(path: &Path) -> Result<SecretKey, NodeError> {
    let io = |e: std::io::Error| {
        NodeError::BadInput(format!("cannot use node key {}: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| {
                NodeError::BadInput(format!(
                    "node key {} is not 64 hex characters",
                    path.display()
                ))
            })?;
            Ok(SecretKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            write_private(path, &hex::encode(key.to_bytes())).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests;

/// Replaces the node's SQLite database with `backup` after checking that it
/// belongs to this node (same node key) and that every log in it verifies.
/// The node must be stopped. Returns the number of entries verified.
pub async fn restore_sqlite(
    config: &NodeConfig,
    registry: Registry,
    backup: &Path,
) -> Result<u64, NodeError> {
    if !backup.is_file() {
        return Err(NodeError::NotFound {
            what: "backup file",
            name: backup.display().to_string(),
        });
    }
    let key_path = config.data_dir.join(NODE_KEY_FILE);
    if !key_path.exists() {
        return Err(NodeError::BadInput(format!(
            "{} is missing; copy node.key from the original data directory first (it decrypts the stored keys)",
            key_path.display()
        )));
    }
    let node_key = load_or_create_key(&key_path)?;
    let target = config.data_dir.join("commons.db");
    let staging = config.data_dir.join("commons.db.restoring");
    let _ = std::fs::remove_file(&staging);
    std::fs::copy(backup, &staging)
        .map_err(|e| NodeError::BadInput(format!("cannot copy {}: {e}", backup.display())))?;
    let url = format!("sqlite://{}?mode=rw", staging.display());
    let store = Store::open(
        &StoreConfig {
            url,
            max_connections: 1,
        },
        &registry,
    )
    .await
    .map_err(|e| {
        NodeError::BadInput(format!(
            "{} is not a Commons database: {e}",
            backup.display()
        ))
    })?;
    let checked = async {
        match store.meta("node_key").await? {
            Some(key) if key == node_key.public_key().to_hex() => {}
            Some(key) => {
                return Err(NodeError::Conflict(format!(
                    "the backup belongs to node {key}, not to this data directory's node {}",
                    node_key.public_key()
                )));
            }
            None => {
                return Err(NodeError::BadInput(
                    "the backup has no node key; it is not a Commons backup".into(),
                ));
            }
        }
        let mut entries = 0;
        for (community, _, _) in store.log_heads().await? {
            let report = store.verify(community).await?;
            if let Some(error) = report.error {
                return Err(NodeError::BadInput(format!(
                    "the backup's log does not verify: {error}"
                )));
            }
            entries += report.entries;
        }
        Ok(entries)
    }
    .await;
    store.close().await;
    let entries = match checked {
        Ok(entries) => entries,
        Err(error) => {
            let _ = std::fs::remove_file(&staging);
            return Err(error);
        }
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(config.data_dir.join(format!("commons.db{suffix}")));
        let _ = std::fs::remove_file(
            config
                .data_dir
                .join(format!("commons.db.restoring{suffix}")),
        );
    }
    std::fs::rename(&staging, &target).map_err(|e| {
        NodeError::BadInput(format!("cannot move the restored database into place: {e}"))
    })?;
    Ok(entries)
}
