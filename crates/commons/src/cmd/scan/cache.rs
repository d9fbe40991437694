//! The scan cache on disk: what each file content matched, kept per scanned
//! root under the data directory, so an unchanged tree re-scans by hashing.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use commons_fingerprint::{CachedScan, ScanCache};

/// The cache of one scan: the entries read at the start (empty when
/// disabled or stale) and the entries of every content seen by this scan,
/// which replace them at the end (so deleted files do not accumulate).
pub struct Cache {
    path: Option<PathBuf>,
    previous: ScanCache,
    current: Mutex<ScanCache>,
}

impl Cache {
    /// The cache of `root` for `context`, or a disabled one.
    pub fn open(data_dir: &Path, root: &Path, context: [u8; 32], enabled: bool) -> Cache {
        let path = enabled.then(|| file_of(data_dir, root));
        let previous = path
            .as_ref()
            .and_then(|path| std::fs::read(path).ok())
            .map_or_else(
                || ScanCache::new(context),
                |bytes| ScanCache::from_bytes(&bytes, context),
            );
        Cache {
            path,
            previous,
            current: Mutex::new(ScanCache::new(context)),
        }
    }

    /// What an earlier scan found in this content.
    pub fn get(&self, content: &[u8; 32]) -> Option<&CachedScan> {
        self.previous.get(content)
    }

    /// Records what this scan found in a content.
    pub fn record(&self, content: [u8; 32], scan: CachedScan) {
        self.current
            .lock()
            .expect("no scan thread panics while holding the cache")
            .insert(content, scan);
    }

    /// Writes this scan's entries (atomically: a half-written cache is
    /// never read).
    pub fn save(self) -> anyhow::Result<()> {
        let Some(path) = self.path else {
            return Ok(());
        };
        let current = self
            .current
            .into_inner()
            .expect("no scan thread panics while holding the cache");
        let dir = path.parent().context("the cache file has a directory")?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the scan cache directory {}", dir.display()))?;
        let partial = path.with_extension("partial");
        std::fs::write(&partial, current.to_bytes())
            .with_context(|| format!("cannot write the scan cache {}", partial.display()))?;
        std::fs::rename(&partial, &path)
            .with_context(|| format!("cannot write the scan cache {}", path.display()))
    }
}

/// One cache file per scanned root, named by a hash of its absolute path.
fn file_of(data_dir: &Path, root: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let digest = ScanCache::content_hash(absolute.to_string_lossy().as_bytes());
    let name: String = digest[..12]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    data_dir.join("scan-cache").join(format!("{name}.bin"))
}
