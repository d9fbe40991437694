//! Security alerts, the local side: the scan roots an operator registered
//! and the notifications raised when a security pattern is accepted. Both
//! tables are local to this node and never enter a log.
//!
//! Which accepted patterns call for an alert is read from the projections
//! ([`accepted_security_since`]); the node facade re-scans the roots and
//! records what matched ([`raise`]).

use commons_kernel::CommunityId;
use commons_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::records::Severity;

/// One place a pattern matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// The file, as found under the scan root.
    pub file: String,
    /// First line.
    pub first_line: u32,
    /// Last line.
    pub last_line: u32,
    /// Share of the pattern's hashes found, 0–1.
    pub similarity: f64,
}

/// A security alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Its local id.
    pub id: i64,
    /// When it was raised, milliseconds since the epoch.
    pub ts: i64,
    /// The community whose library the pattern entered.
    pub community: CommunityId,
    /// The pattern.
    pub pattern: String,
    /// The pattern's title.
    pub title: String,
    /// The pattern's severity.
    pub severity: Severity,
    /// Where it matched.
    pub places: Vec<Place>,
}

/// Registers a scan root (an absolute path); registering twice is harmless.
pub async fn add_root(store: &Store, path: &str, ts: i64) -> Result<(), StoreError> {
    store.execute_write(sqlx::query(
        "INSERT INTO pattern_scan_roots (path, added_ts) VALUES ($1, $2) ON CONFLICT (path) DO NOTHING",
    )
    .bind(path)
    .bind(ts)
    )
    .await?;
    Ok(())
}

/// Forgets a scan root; whether it was registered.
pub async fn remove_root(store: &Store, path: &str) -> Result<bool, StoreError> {
    let done = store
        .execute_write(sqlx::query("DELETE FROM pattern_scan_roots WHERE path = $1").bind(path))
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The registered scan roots, in path order.
pub async fn roots(store: &Store) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT path FROM pattern_scan_roots ORDER BY path")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| row.try_get("path").map_err(StoreError::from))
        .collect()
}

/// The patterns with a security impact that a `patterns.transition` to
/// accepted at sequence numbers `first..=last` moved into the library.
pub async fn accepted_security_since(
    store: &Store,
    community: CommunityId,
    first: u64,
    last: u64,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT t.pattern_id FROM pattern_transitions t JOIN patterns p \
         ON p.community_id = t.community_id AND p.pattern_id = t.pattern_id \
         WHERE t.community_id = $1 AND t.seq >= $2 AND t.seq <= $3 AND t.state = 'accepted' \
         AND p.security <> 'none' ORDER BY t.seq",
    )
    .bind(community.to_hex())
    .bind(first as i64)
    .bind(last as i64)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| row.try_get("pattern_id").map_err(StoreError::from))
        .collect()
}

/// Records an alert; a second alert for the same pattern is ignored.
pub async fn raise(store: &Store, notification: &Notification) -> Result<(), StoreError> {
    let places = serde_json::to_string(&notification.places).expect("places serialize");
    store.execute_write(sqlx::query(
        "INSERT INTO pattern_notifications (ts, community_id, pattern_id, title, severity, places) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (community_id, pattern_id) DO NOTHING",
    )
    .bind(notification.ts)
    .bind(notification.community.to_hex())
    .bind(&notification.pattern)
    .bind(&notification.title)
    .bind(notification.severity.as_str())
    .bind(places)
    )
    .await?;
    Ok(())
}

/// The newest alerts first, at most `limit`.
pub async fn notifications(store: &Store, limit: u32) -> Result<Vec<Notification>, StoreError> {
    let rows = sqlx::query(
        "SELECT notification_id, ts, community_id, pattern_id, title, severity, places \
         FROM pattern_notifications ORDER BY notification_id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let community: String = row.try_get("community_id")?;
            let severity: String = row.try_get("severity")?;
            let places: String = row.try_get("places")?;
            Ok(Notification {
                id: row.try_get("notification_id")?,
                ts: row.try_get("ts")?,
                community: community
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("notification community: {e}")))?,
                pattern: row.try_get("pattern_id")?,
                title: row.try_get("title")?,
                severity: severity.parse().map_err(StoreError::Corrupt)?,
                places: serde_json::from_str(&places)
                    .map_err(|e| StoreError::Corrupt(format!("notification places: {e}")))?,
            })
        })
        .collect()
}
