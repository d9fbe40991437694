//! Security alerts: the scan roots registered with this node, and the
//! re-scan of them for a security pattern as soon as it is accepted —
//! appended here or arriving by sync — raising a local notification that
//! names the places it matched.
//!
//! Only the new pattern is matched, and only files of its language are
//! read, so an alert costs one pass over the roots' files of one language.

use std::path::{Path, PathBuf};

use commons_fingerprint::{CommunityKey, Config, Language, Library, SharedFingerprint};
use commons_kernel::CommunityId;
use commons_patterns::alerts::{self, Notification, Place};
use commons_patterns::views;

use crate::{Node, NodeError, now};

/// Most places one notification names.
const MAX_PLACES: usize = 1000;

impl Node {
    /// Registers a directory (or file) to re-scan when a security pattern
    /// is accepted; returns its absolute path.
    pub async fn watch_scan_root(&self, path: &Path) -> Result<PathBuf, NodeError> {
        let absolute = std::fs::canonicalize(path)
            .map_err(|e| NodeError::BadInput(format!("cannot watch {}: {e}", path.display())))?;
        let text = absolute.to_str().ok_or_else(|| {
            NodeError::BadInput(format!(
                "cannot watch {}: the path is not UTF-8",
                path.display()
            ))
        })?;
        alerts::add_root(self.store(), text, now().0).await?;
        Ok(absolute)
    }

    /// Stops watching a scan root; whether it was registered.
    pub async fn unwatch_scan_root(&self, path: &Path) -> Result<bool, NodeError> {
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        Ok(alerts::remove_root(self.store(), &absolute.to_string_lossy()).await?)
    }

    /// The registered scan roots.
    pub async fn scan_roots(&self) -> Result<Vec<PathBuf>, NodeError> {
        Ok(alerts::roots(self.store())
            .await?
            .into_iter()
            .map(PathBuf::from)
            .collect())
    }

    /// Security alerts, newest first.
    pub async fn notifications(&self, limit: u32) -> Result<Vec<Notification>, NodeError> {
        Ok(alerts::notifications(self.store(), limit.clamp(1, 1000)).await?)
    }

    /// Raises the alerts that entries `first..=last` of `community` call
    /// for. The entries are stored already, so a failure here is logged,
    /// not returned to whoever appended them.
    pub(crate) async fn alert_on_accepted(&self, community: CommunityId, first: u64, last: u64) {
        if let Err(error) = self.raise_alerts(community, first, last).await {
            tracing::warn!(%community, %error, "cannot raise security alerts");
        }
    }

    async fn raise_alerts(
        &self,
        community: CommunityId,
        first: u64,
        last: u64,
    ) -> Result<(), NodeError> {
        if self.registry().get("patterns").is_none() {
            return Ok(());
        }
        let roots = alerts::roots(self.store()).await?;
        if roots.is_empty() {
            return Ok(());
        }
        for pattern in alerts::accepted_security_since(self.store(), community, first, last).await?
        {
            let (Some(summary), Some(fingerprint)) = (
                views::get(self.store(), community, &pattern).await?,
                views::fingerprint(self.store(), community, &pattern).await?,
            ) else {
                continue;
            };
            let key = match self.pattern_key_at(community, fingerprint.key_epoch).await {
                Ok(key) => key.key(),
                Err(NodeError::NotHome(_)) => {
                    tracing::info!(%community, %pattern, "no pattern key on this node; the accepted security pattern is not re-scanned");
                    continue;
                }
                Err(error) => return Err(error),
            };
            let scan_roots = roots.clone();
            let places =
                tokio::task::spawn_blocking(move || rescan(&scan_roots, &fingerprint, &key)).await;
            let places = match places {
                Ok(places) => places,
                Err(error) => {
                    tracing::error!(%pattern, %error, "the security re-scan failed");
                    continue;
                }
            };
            if places.is_empty() {
                continue;
            }
            let notification = Notification {
                id: 0,
                ts: now().0,
                community,
                pattern: summary.id,
                title: summary.title,
                severity: summary.properties.severity,
                places,
            };
            alerts::raise(self.store(), &notification).await?;
        }
        Ok(())
    }
}

/// The places `fingerprint` matches under `roots`, reading only files of
/// its language; unreadable and unparsable files are passed over.
fn rescan(roots: &[String], fingerprint: &SharedFingerprint, key: &CommunityKey) -> Vec<Place> {
    let language = fingerprint.scheme.language;
    let mut library = Library::new();
    if library.insert(0, fingerprint).is_err() {
        return Vec::new();
    }
    let config = Config::default();
    let mut places = Vec::new();
    for root in roots {
        let walk = ignore::WalkBuilder::new(root).follow_links(true).build();
        for entry in walk.flatten() {
            if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                continue;
            }
            let path = entry.path();
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy())
                .unwrap_or_default();
            if Language::from_path(&name) != Some(language) {
                continue;
            }
            let too_large = std::fs::metadata(path)
                .map_or(true, |meta| meta.len() > config.limits.max_bytes as u64);
            if too_large {
                continue;
            }
            let Ok(source) = std::fs::read(path) else {
                continue;
            };
            let Ok(file) = commons_fingerprint::fingerprint(language, &source, &config) else {
                continue;
            };
            for found in library.scan(&file, key, config.min_similarity) {
                places.push(Place {
                    file: path.display().to_string(),
                    first_line: found.first_line,
                    last_line: found.last_line,
                    similarity: (found.similarity * 1000.0).round() / 1000.0,
                });
                if places.len() >= MAX_PLACES {
                    return places;
                }
            }
        }
    }
    places.sort_by(|a, b| (&a.file, a.first_line).cmp(&(&b.file, b.first_line)));
    places
}
