//! Local scan results: the last runs of `commons intel scan --save`, kept as
//! JSON files under `scans/` in the data directory. They hold the member's
//! own traffic (addresses, names), so they are never written to a log and
//! never leave the node; the web UI shows a run to the account that ran it
//! and to administrators.
//!
//! The CLI writes a run with [`save`] whether or not the node is running
//! (a file per run, written to a temporary name and renamed, so a reader
//! never sees half a run); the node lists and reads them with [`list`] and
//! [`load`]. Only the newest [`KEEP`] runs are kept, and each keeps at most
//! [`MAX_ALERTS`] alerts (the highest threat scores first), with the total.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::{Node, NodeError};

/// How many runs are kept.
pub const KEEP: usize = 20;

/// How many alerts one saved run keeps.
pub const MAX_ALERTS: usize = 10_000;

/// One saved run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRun {
    /// 16 hex digits, random.
    pub id: String,
    /// When the scan finished, ms since the epoch.
    pub ts_ms: i64,
    /// The account whose view of the communities was used.
    pub user: String,
    /// The communities whose indicators were matched.
    pub communities: Vec<String>,
    /// The local indicator files matched.
    pub indicator_files: Vec<String>,
    /// What was read, input by input.
    pub inputs: Vec<ScanRunInput>,
    /// The alerts kept (see [`MAX_ALERTS`]).
    pub alerts: Vec<ScanRunAlert>,
    /// How many alerts the scan raised.
    pub alerts_total: u64,
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRunInput {
    /// The path as given.
    pub path: String,
    /// The format detected, if the input could be read.
    pub format: Option<String>,
    /// Packets or lines read.
    pub records: u64,
    /// Packets or lines skipped.
    pub skipped: u64,
    /// Why the input could not be scanned, if so.
    pub error: Option<String>,
}

/// One alert of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRunAlert {
    /// The indicator's STIX id.
    pub indicator: String,
    /// Its name, if any.
    pub name: Option<String>,
    /// The community that published it, when it came from one.
    pub community: Option<String>,
    /// What matched (`dst_ip`, `dns_query`, …).
    pub observable: String,
    /// The value seen.
    pub value: String,
    /// The flow: `proto src:port → dst:port`.
    pub flow: String,
    /// First time seen (RFC 3339).
    pub first_seen: String,
    /// Last time seen.
    pub last_seen: String,
    /// How many events matched.
    pub count: u64,
    /// The indicator's confidence, 0–100.
    pub confidence: u8,
    /// The threat score, 0–100.
    pub threat_score: u8,
}

/// Why a run could not be saved or read.
#[derive(Debug, thiserror::Error)]
pub enum ScanRunError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn dir_of(data_dir: &Path) -> PathBuf {
    data_dir.join("scans")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScanRunError + '_ {
    move |source| ScanRunError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A fresh run id.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 8]>())
}

fn valid_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Saves a run (its alerts cut to [`MAX_ALERTS`], highest threat first)
/// and drops the oldest runs beyond [`KEEP`].
pub fn save(data_dir: &Path, mut run: ScanRun) -> Result<(), ScanRunError> {
    let dir = dir_of(data_dir);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    run.alerts_total = run.alerts_total.max(run.alerts.len() as u64);
    run.alerts.sort_by(|a, b| {
        b.threat_score
            .cmp(&a.threat_score)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
    });
    run.alerts.truncate(MAX_ALERTS);
    let name = format!("{:013}-{}.json", run.ts_ms.max(0), run.id);
    let path = dir.join(&name);
    let temporary = dir.join(format!(".{name}.tmp"));
    let text = serde_json::to_vec(&run).expect("a scan run serializes");
    std::fs::write(&temporary, text).map_err(io(&temporary))?;
    std::fs::rename(&temporary, &path).map_err(io(&path))?;
    let mut names = run_files(&dir)?;
    // Oldest first: names start with the zero-padded time.
    names.sort();
    let excess = names.len().saturating_sub(KEEP);
    for old in &names[..excess] {
        let _ = std::fs::remove_file(dir.join(old));
    }
    Ok(())
}

fn run_files(dir: &Path) -> Result<Vec<String>, ScanRunError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.') && name.ends_with(".json"))
        .collect())
}

/// Every kept run, newest first; unreadable files are left out.
pub fn list(data_dir: &Path) -> Result<Vec<ScanRun>, ScanRunError> {
    let dir = dir_of(data_dir);
    let mut names = run_files(&dir)?;
    names.sort_by(|a, b| b.cmp(a));
    Ok(names
        .iter()
        .filter_map(|name| std::fs::read(dir.join(name)).ok())
        .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
        .collect())
}

/// One run by id.
pub fn load(data_dir: &Path, id: &str) -> Result<Option<ScanRun>, ScanRunError> {
    if !valid_id(id) {
        return Ok(None);
    }
    Ok(list(data_dir)?.into_iter().find(|run| run.id == id))
}

impl From<ScanRunError> for NodeError {
    fn from(error: ScanRunError) -> Self {
        // The node's own directory failing is a server fault, not the caller's.
        NodeError::Store(commons_store::StoreError::Corrupt(format!(
            "scan runs: {error}"
        )))
    }
}

fn may_see(viewer: &User, run: &ScanRun) -> bool {
    viewer.is_admin || run.user == viewer.name.as_str()
}

impl Node {
    /// The saved scan runs `viewer` may see (their own; all for admins),
    /// newest first.
    pub fn scan_runs(&self, viewer: &User) -> Result<Vec<ScanRun>, NodeError> {
        Ok(list(&self.inner.data_dir)?
            .into_iter()
            .filter(|run| may_see(viewer, run))
            .collect())
    }

    /// One saved scan run.
    pub fn scan_run(&self, viewer: &User, id: &str) -> Result<ScanRun, NodeError> {
        load(&self.inner.data_dir, id)?
            .filter(|run| may_see(viewer, run))
            .ok_or_else(|| NodeError::NotFound {
                what: "scan run",
                name: id.to_owned(),
            })
    }
}
