//! Read queries over the intel projections, returning plain data: TAXII
//! object pages (keyset on `date_added`), the feed with its filters and
//! scores, one indicator's history, and the active indicators a scan loads.

use std::collections::HashSet;

use commons_kernel::Role;
use commons_stix::Timestamp;
use commons_stix::confidence::{ConfidenceModel, IndicatorKind, Status};
use commons_store::{Store, StoreError, bulk};
use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::confidence::{Facts, IndicatorScore, score};

/// Which versions of each object a TAXII query returns (`match[version]`);
/// several may be asked for at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionMatch {
    /// The newest version (`last`, the default).
    pub last: bool,
    /// The oldest version (`first`).
    pub first: bool,
    /// Every version (`all`).
    pub all: bool,
    /// Versions at these instants, in ns since the epoch.
    pub at: Vec<i64>,
}

/// A TAXII objects or manifest query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectsQuery {
    /// Only objects added after this `date_added`, in µs (exclusive); a
    /// `next` token is the same thing.
    pub after_us: Option<i64>,
    /// At most this many.
    pub limit: u32,
    /// `match[id]`; empty means any.
    pub ids: Vec<String>,
    /// `match[type]`; empty means any.
    pub types: Vec<String>,
    /// `match[version]`.
    pub versions: VersionMatch,
    /// `match[spec_version]`; empty means any.
    pub spec_versions: Vec<String>,
}

/// One stored version of an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRow {
    /// `date_added` in µs, the paging key.
    pub added_us: i64,
    /// STIX id.
    pub object_id: String,
    /// STIX type.
    pub object_type: String,
    /// The version: `modified`, `created`, or `date_added` as written.
    pub version: String,
    /// `spec_version`.
    pub spec_version: String,
    /// The publisher's key, hex.
    pub author: String,
    /// The object, JSON text.
    pub object: String,
}

/// A page of object versions in `date_added` order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectsPage {
    /// The versions.
    pub rows: Vec<ObjectRow>,
    /// Whether more match after the last one.
    pub more: bool,
}

/// A feed query; every filter given must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedQuery {
    /// STIX types; empty means any.
    pub types: Vec<String>,
    /// Objects carrying this label.
    pub label: Option<String>,
    /// Indicators scoring at least this (other objects are left out).
    pub min_confidence: Option<u8>,
    /// Indicators valid at some time from this instant (Unix seconds) on:
    /// `valid_until` after it.
    pub valid_after_s: Option<i64>,
    /// Indicators valid at some time before this instant: `valid_from` before it.
    pub valid_before_s: Option<i64>,
    /// Published by this key (hex).
    pub source: Option<String>,
    /// Added after this `date_added` (µs, exclusive).
    pub added_after_us: Option<i64>,
    /// Include revoked, expired and below-threshold indicators.
    pub include_inactive: bool,
    /// At most this many.
    pub limit: u32,
}

/// One feed entry: the newest version of an object, scored if an indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedItem {
    /// `date_added` in µs.
    pub added_us: i64,
    /// The object.
    pub object: Value,
    /// The publisher's key, hex.
    pub author: String,
    /// The score now, for indicators.
    pub score: Option<IndicatorScore>,
}

/// Something members reported about an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Log position.
    pub seq: i64,
    /// `sighting`, `false-positive` or `revoke`.
    pub evidence: String,
    /// Reporter key, hex.
    pub author: String,
    /// Sightings counted.
    pub count: i64,
    /// Window start, Unix seconds (sightings).
    pub first_seen_s: i64,
    /// Window end, Unix seconds (sightings).
    pub last_seen_s: i64,
    /// Reason given.
    pub note: String,
    /// When it was appended, Unix ms.
    pub ts_ms: i64,
}

/// One indicator with its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDetail {
    /// The newest version.
    pub object: Value,
    /// Publisher key, hex.
    pub author: String,
    /// Its kind.
    pub kind: IndicatorKind,
    /// The score now.
    pub score: IndicatorScore,
    /// Sightings counted.
    pub sightings: u32,
    /// False-positive reports.
    pub false_positives: u32,
    /// Sightings, false-positive reports and revocations, oldest first.
    pub evidence: Vec<Evidence>,
    /// `(Unix seconds, confidence)` from `valid_from` to now, replaying the
    /// evidence in order: the confidence over time.
    pub history: Vec<(i64, u8)>,
    /// Relationships and sightings whose source or target is this indicator.
    pub relationships: Vec<Value>,
    /// Every stored version, oldest first.
    pub versions: Vec<String>,
}

/// `date_added` in µs as a STIX timestamp with six fraction digits.
pub fn format_us(added_us: i64) -> String {
    Timestamp::from_unix_with_digits(
        added_us.div_euclid(1_000_000),
        (added_us.rem_euclid(1_000_000) * 1000) as u32,
        6,
    )
    .map(|ts| ts.to_string())
    .unwrap_or_else(|| "9999-12-31T23:59:59.999999Z".to_owned())
}

/// A STIX timestamp as µs since the epoch (saturating).
pub fn us_of(ts: &Timestamp) -> i64 {
    (ts.unix_nanos() / 1000).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A STIX timestamp as ns since the epoch, saturating outside 1677–2262.
pub fn version_ns_of(ts: &Timestamp) -> i64 {
    ts.unix_nanos()
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The community's confidence model, the default until an admin sets one.
pub async fn load_model(
    conn: &mut AnyConnection,
    community: &str,
) -> Result<ConfidenceModel, StoreError> {
    let row = sqlx::query("SELECT model FROM intel_settings WHERE community_id = $1")
        .bind(community)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => {
            let text: String = row.try_get("model")?;
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        None => Ok(ConfidenceModel::default()),
    }
}

/// The community's confidence model.
pub async fn model(pool: &AnyPool, community: &str) -> Result<ConfidenceModel, StoreError> {
    let mut conn = pool.acquire().await?;
    load_model(&mut conn, community).await
}

const OBJECT_COLUMNS: &str =
    "added_us, object_id, object_type, version, spec_version, author, object";

fn object_row(row: &AnyRow) -> Result<ObjectRow, StoreError> {
    Ok(ObjectRow {
        added_us: row.try_get("added_us")?,
        object_id: row.try_get("object_id")?,
        object_type: row.try_get("object_type")?,
        version: row.try_get("version")?,
        spec_version: row.try_get("spec_version")?,
        author: row.try_get("author")?,
        object: row.try_get("object")?,
    })
}

/// A page of object versions matching `query`, in `date_added` order. The
/// query walks the `(community, is_latest, date_added)` or
/// `(community, type, date_added)` index from the token on, so a page costs
/// the same however large the collection.
pub async fn objects(
    pool: &AnyPool,
    community: &str,
    query: &ObjectsQuery,
) -> Result<ObjectsPage, StoreError> {
    let mut conn = pool.acquire().await?;
    let params = bulk::Params::of(&conn);
    let mut sql = format!(
        "SELECT {OBJECT_COLUMNS} FROM intel_objects WHERE community_id = {} AND added_us > {}",
        params.list(1, 1),
        params.list(2, 1)
    );
    let mut next = 3;
    let mut list = |n: usize| {
        let text = params.list(next, n);
        next += n;
        text
    };
    let mut version_terms = Vec::new();
    let versions = &query.versions;
    if !versions.all {
        if versions.last {
            version_terms.push("is_latest = 1".to_owned());
        }
        if versions.first {
            version_terms.push("is_first = 1".to_owned());
        }
        if !versions.at.is_empty() {
            version_terms.push(format!("version_ns IN ({})", list(versions.at.len())));
        }
        if version_terms.is_empty() {
            version_terms.push("is_latest = 1".to_owned());
        }
        sql.push_str(&format!(" AND ({})", version_terms.join(" OR ")));
    }
    if !query.ids.is_empty() {
        sql.push_str(&format!(" AND object_id IN ({})", list(query.ids.len())));
    }
    if !query.types.is_empty() {
        sql.push_str(&format!(
            " AND object_type IN ({})",
            list(query.types.len())
        ));
    }
    if !query.spec_versions.is_empty() {
        sql.push_str(&format!(
            " AND spec_version IN ({})",
            list(query.spec_versions.len())
        ));
    }
    sql.push_str(&format!(" ORDER BY added_us LIMIT {}", list(1)));
    let mut statement = sqlx::query(&sql)
        .bind(community)
        .bind(query.after_us.unwrap_or(i64::MIN));
    if !versions.all {
        for at in &versions.at {
            statement = statement.bind(*at);
        }
    }
    for id in &query.ids {
        statement = statement.bind(id.as_str());
    }
    for object_type in &query.types {
        statement = statement.bind(object_type.as_str());
    }
    for spec_version in &query.spec_versions {
        statement = statement.bind(spec_version.as_str());
    }
    let limit = i64::from(query.limit.max(1));
    let rows = statement.bind(limit + 1).fetch_all(&mut *conn).await?;
    let mut rows = rows.iter().map(object_row).collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok(ObjectsPage { rows, more })
}

/// Which of `(id, version_ns)` are stored already.
pub async fn existing_versions(
    pool: &AnyPool,
    community: &str,
    ids: &[String],
) -> Result<HashSet<(String, i64)>, StoreError> {
    let mut conn = pool.acquire().await?;
    let params = bulk::Params::of(&conn);
    let mut found = HashSet::new();
    for chunk in ids.chunks(bulk::ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT object_id, version_ns FROM intel_objects WHERE community_id = {} AND object_id IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community);
        for id in chunk {
            query = query.bind(id.as_str());
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert((row.try_get("object_id")?, row.try_get("version_ns")?));
        }
    }
    Ok(found)
}

/// The publishers of an object's stored versions (empty when unknown).
pub async fn publishers(
    pool: &AnyPool,
    community: &str,
    object_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT author FROM intel_objects WHERE community_id = $1 AND object_id = $2",
    )
    .bind(community)
    .bind(object_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| row.try_get("author").map_err(StoreError::from))
        .collect()
}

/// The newest version of one object.
pub async fn latest(
    pool: &AnyPool,
    community: &str,
    object_id: &str,
) -> Result<Option<ObjectRow>, StoreError> {
    // `+is_latest` keeps the planner on the id index (see `reduce::refresh_indicators`).
    let row = sqlx::query(&format!(
        "SELECT {OBJECT_COLUMNS} FROM intel_objects \
         WHERE community_id = $1 AND object_id = $2 AND +is_latest = 1"
    ))
    .bind(community)
    .bind(object_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(object_row).transpose()
}

/// The `date_added` of the latest version of the object `$2` in the
/// community `$1`, which is the key of its `intel_indicators` row.
pub(crate) const LATEST_ADDED: &str = "SELECT o.added_us FROM intel_objects o \
     WHERE o.community_id = $1 AND o.object_id = $2 AND +o.is_latest = 1";

const FACT_COLUMNS: &str = "i.kind, i.published_confidence, i.valid_from_s, i.valid_until_s, \
     i.revoked, i.sightings, i.false_positives, i.last_sighting_s, m.role, m.status";

fn facts_row(row: &AnyRow) -> Result<Facts, StoreError> {
    let role: Option<String> = row.try_get("role")?;
    let status: Option<String> = row.try_get("status")?;
    let role = match (role, status.as_deref()) {
        (Some(role), Some("active")) => Some(role.parse::<Role>().map_err(StoreError::Corrupt)?),
        _ => None,
    };
    let kind: i64 = row.try_get("kind")?;
    let published: i64 = row.try_get("published_confidence")?;
    let valid_until: i64 = row.try_get("valid_until_s")?;
    let revoked: i64 = row.try_get("revoked")?;
    let sightings: i64 = row.try_get("sightings")?;
    let false_positives: i64 = row.try_get("false_positives")?;
    Ok(Facts {
        role,
        published_confidence: u8::try_from(published).ok(),
        kind: IndicatorKind::from_u8(u8::try_from(kind).unwrap_or(u8::MAX)),
        valid_from_s: row.try_get("valid_from_s")?,
        valid_until_s: (valid_until != i64::MAX).then_some(valid_until),
        revoked: revoked != 0,
        sightings: u32::try_from(sightings).unwrap_or(u32::MAX),
        false_positives: u32::try_from(false_positives).unwrap_or(u32::MAX),
        last_sighting_s: row.try_get("last_sighting_s")?,
    })
}

/// The feed: newest versions matching `query`, in `date_added` order, with
/// indicators scored at `now` (Unix seconds). Returns the items and the
/// `date_added` to continue after, if the page was full.
pub async fn feed(
    pool: &AnyPool,
    community: &str,
    query: &FeedQuery,
    now: i64,
) -> Result<(Vec<FeedItem>, Option<i64>), StoreError> {
    let mut conn = pool.acquire().await?;
    let model = load_model(&mut conn, community).await?;
    let params = bulk::Params::of(&conn);
    let mut next = 1;
    let mut list = |n: usize| {
        let text = params.list(next, n);
        next += n;
        text
    };
    let mut sql = format!(
        "SELECT o.added_us, o.author, o.object, o.object_type, {FACT_COLUMNS} FROM intel_objects o \
         LEFT JOIN intel_indicators i ON i.community_id = o.community_id AND i.added_us = o.added_us \
         LEFT JOIN members m ON m.community_id = o.community_id AND m.member_key = o.author \
         WHERE o.community_id = {} AND o.is_latest = 1 AND o.added_us > {}",
        list(1),
        list(1)
    );
    if !query.types.is_empty() {
        sql.push_str(&format!(
            " AND o.object_type IN ({})",
            list(query.types.len())
        ));
    }
    if query.label.is_some() {
        sql.push_str(&format!(" AND o.labels LIKE {}", list(1)));
    }
    if query.source.is_some() {
        sql.push_str(&format!(" AND o.author = {}", list(1)));
    }
    if query.valid_after_s.is_some() {
        sql.push_str(&format!(" AND i.valid_until_s > {}", list(1)));
    }
    if query.valid_before_s.is_some() {
        sql.push_str(&format!(" AND i.valid_from_s < {}", list(1)));
    }
    sql.push_str(" ORDER BY o.added_us LIMIT ");
    sql.push_str(&list(1));
    let limit = query.limit.clamp(1, 1000);
    // Scores are computed here, so a confidence filter can leave a page
    // short; read a few pages' worth and stop at `limit` kept items.
    let scan = i64::from(limit) * if query.min_confidence.is_some() { 4 } else { 1 };
    let mut statement = sqlx::query(&sql)
        .bind(community)
        .bind(query.added_after_us.unwrap_or(i64::MIN));
    for object_type in &query.types {
        statement = statement.bind(object_type.as_str());
    }
    if let Some(label) = &query.label {
        let escaped = label.replace(['%', '_'], "");
        statement = statement.bind(format!("%|{escaped}|%"));
    }
    if let Some(source) = &query.source {
        statement = statement.bind(source.as_str());
    }
    if let Some(after) = query.valid_after_s {
        statement = statement.bind(after);
    }
    if let Some(before) = query.valid_before_s {
        statement = statement.bind(before);
    }
    let rows = statement.bind(scan).fetch_all(&mut *conn).await?;
    let full = rows.len() as i64 == scan;
    let mut items = Vec::new();
    let mut last = None;
    for row in &rows {
        let added_us: i64 = row.try_get("added_us")?;
        last = Some(added_us);
        let object_type: String = row.try_get("object_type")?;
        let kind: Option<i64> = row.try_get("kind")?;
        let scored = match (object_type.as_str(), kind) {
            ("indicator", Some(_)) => Some(score(&model, &facts_row(row)?, now)),
            _ => None,
        };
        if let Some(min) = query.min_confidence
            && scored.is_none_or(|scored| scored.confidence < min)
        {
            continue;
        }
        if !query.include_inactive && scored.is_some_and(|scored| scored.status != Status::Active) {
            continue;
        }
        let text: String = row.try_get("object")?;
        items.push(FeedItem {
            added_us,
            object: serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            author: row.try_get("author")?,
            score: scored,
        });
        if items.len() == limit as usize {
            return Ok((items, Some(added_us)));
        }
    }
    Ok((items, if full { last } else { None }))
}

/// The newest versions of the community's active indicators at `now`.
pub async fn active_indicators(
    pool: &AnyPool,
    community: &str,
    now: i64,
) -> Result<Vec<(Value, IndicatorScore)>, StoreError> {
    let mut conn = pool.acquire().await?;
    let model = load_model(&mut conn, community).await?;
    let rows = sqlx::query(&format!(
        "SELECT o.object, {FACT_COLUMNS} FROM intel_indicators i \
         JOIN intel_objects o ON o.community_id = i.community_id AND o.added_us = i.added_us AND o.is_latest = 1 \
         LEFT JOIN members m ON m.community_id = i.community_id AND m.member_key = i.author \
         WHERE i.community_id = $1 AND i.revoked = 0 AND i.valid_until_s > $2 ORDER BY i.added_us"
    ))
    .bind(community)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut active = Vec::with_capacity(rows.len());
    for row in &rows {
        let scored = score(&model, &facts_row(row)?, now);
        if scored.status == Status::Active {
            let text: String = row.try_get("object")?;
            let object =
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            active.push((object, scored));
        }
    }
    Ok(active)
}

/// One indicator with its evidence, confidence over time, relationships and
/// versions, scored at `now`.
pub async fn indicator(
    pool: &AnyPool,
    community: &str,
    object_id: &str,
    now: i64,
) -> Result<Option<IndicatorDetail>, StoreError> {
    let mut conn = pool.acquire().await?;
    let model = load_model(&mut conn, community).await?;
    let row = sqlx::query(&format!(
        "SELECT o.object, i.author, {FACT_COLUMNS} FROM intel_indicators i \
         JOIN intel_objects o ON o.community_id = i.community_id AND o.added_us = i.added_us \
         LEFT JOIN members m ON m.community_id = i.community_id AND m.member_key = i.author \
         WHERE i.community_id = $1 AND i.added_us IN ({LATEST_ADDED})"
    ))
    .bind(community)
    .bind(object_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let facts = facts_row(&row)?;
    let text: String = row.try_get("object")?;
    let object: Value =
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let evidence = sqlx::query(
        "SELECT seq, evidence, author, count, first_seen_s, last_seen_s, note, ts_ms \
         FROM intel_evidence WHERE community_id = $1 AND object_id = $2 ORDER BY seq",
    )
    .bind(community)
    .bind(object_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(Evidence {
            seq: row.try_get("seq")?,
            evidence: row.try_get("evidence")?,
            author: row.try_get("author")?,
            count: row.try_get("count")?,
            first_seen_s: row.try_get("first_seen_s")?,
            last_seen_s: row.try_get("last_seen_s")?,
            note: row.try_get("note")?,
            ts_ms: row.try_get("ts_ms")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    let pattern = format!("%{}%", object_id.replace(['%', '_'], ""));
    let relationships = sqlx::query(
        "SELECT object FROM intel_objects WHERE community_id = $1 AND is_latest = 1 \
         AND object_type IN ('relationship', 'sighting') AND object LIKE $2 ORDER BY added_us LIMIT 200",
    )
    .bind(community)
    .bind(pattern)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        let text: String = row.try_get("object")?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))
    })
    .collect::<Result<Vec<Value>, StoreError>>()?;
    let versions = sqlx::query(
        "SELECT version FROM intel_objects WHERE community_id = $1 AND object_id = $2 ORDER BY version_ns",
    )
    .bind(community)
    .bind(object_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| row.try_get("version").map_err(StoreError::from))
    .collect::<Result<Vec<String>, StoreError>>()?;
    let history = history(&model, &facts, &evidence, now);
    Ok(Some(IndicatorDetail {
        object,
        author: row.try_get("author")?,
        kind: facts.kind,
        score: score(&model, &facts, now),
        sightings: facts.sightings,
        false_positives: facts.false_positives,
        evidence,
        history,
        relationships,
        versions,
    }))
}

/// The confidence at `valid_from`, at each piece of evidence, at twelve
/// evenly spaced points and at `now`, each computed from the evidence known
/// at that time.
pub fn history(
    model: &ConfidenceModel,
    facts: &Facts,
    evidence: &[Evidence],
    now: i64,
) -> Vec<(i64, u8)> {
    let start = facts.valid_from_s.min(now);
    let mut times: Vec<i64> = (0..=12)
        .map(|step| start + (now - start) * step / 12)
        .collect();
    times.extend(evidence.iter().map(|it| it.ts_ms.div_euclid(1000)));
    times.retain(|time| (start..=now).contains(time));
    times.sort_unstable();
    times.dedup();
    times
        .into_iter()
        .map(|time| {
            let mut then = Facts {
                sightings: 0,
                false_positives: 0,
                last_sighting_s: 0,
                revoked: false,
                ..*facts
            };
            for it in evidence
                .iter()
                .filter(|it| it.ts_ms.div_euclid(1000) <= time)
            {
                match it.evidence.as_str() {
                    "sighting" => {
                        then.sightings = then
                            .sightings
                            .saturating_add(u32::try_from(it.count).unwrap_or(u32::MAX));
                        then.last_sighting_s = then.last_sighting_s.max(it.last_seen_s);
                    }
                    "false-positive" => {
                        then.false_positives = then.false_positives.saturating_add(1)
                    }
                    _ => then.revoked = true,
                }
            }
            (time, score(model, &then, time).confidence)
        })
        .collect()
}

/// Stores a TAXII status resource (local, never in a log).
pub async fn save_status(
    store: &Store,
    status_id: &str,
    community: &str,
    created_ms: i64,
    status: &Value,
) -> Result<(), StoreError> {
    store
        .execute_write(
            sqlx::query(
                "INSERT INTO intel_taxii_status (status_id, community_id, created_ms, status) VALUES ($1, $2, $3, $4)",
            )
            .bind(status_id)
            .bind(community)
            .bind(created_ms)
            .bind(status.to_string()),
        )
        .await?;
    Ok(())
}

/// A TAXII status resource and its community.
pub async fn load_status(
    pool: &AnyPool,
    status_id: &str,
) -> Result<Option<(String, Value)>, StoreError> {
    let row =
        sqlx::query("SELECT community_id, status FROM intel_taxii_status WHERE status_id = $1")
            .bind(status_id)
            .fetch_optional(pool)
            .await?;
    match row {
        Some(row) => {
            let text: String = row.try_get("status")?;
            let status =
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(Some((row.try_get("community_id")?, status)))
        }
        None => Ok(None),
    }
}
