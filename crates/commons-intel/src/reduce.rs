//! Log entry → projection rows, inside the append transaction (and replay).
//!
//! `date_added` is handed out here: each object of an entry gets
//! `max(last + 1, entry time in µs)`, where `last` is the community's
//! previous value from `intel_heads`. Entries of one community are appended
//! one transaction at a time, so the values strictly increase in commit
//! order — which is what makes them a paging key that loses and repeats
//! nothing under concurrent writers — and they depend only on the log, so a
//! replay hands out the same ones.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use commons_kernel::{Entry, Record};
use commons_stix::Timestamp;
use commons_stix::confidence::{ConfidenceModel, IndicatorKind};
use commons_store::{StoreError, bulk};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::records::{
    self, DeleteBody, FalsePositiveBody, PublishShape, RevokeBody, SettingsBody, SightingBody,
};
use crate::validate::kind_named;
use crate::views::{LATEST_ADDED, format_us, load_model, version_ns_of};

/// Applies a run of intel entries of one community, in order.
pub(crate) async fn reduce(conn: &mut AnyConnection, entries: &[Entry]) -> Result<(), StoreError> {
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let community = first.record().record().community.to_hex();
    let start = load_head(conn, &community).await?;
    let mut state = RunState {
        community,
        head: start,
    };
    for entry in entries {
        let record = entry.record().record();
        let at = At {
            seq: entry.seq() as i64,
            ts_ms: entry.header().ts.0,
            author: record.author.to_hex(),
        };
        match record.kind.as_str() {
            records::PUBLISH => {
                let _: PublishShape = body_of(record, at.seq)?;
                // The validator refused any element that is not an object.
                let objects: Vec<Cow<'_, Value>> = records::published_objects(&record.body)
                    .iter()
                    .filter_map(|element| records::from_wire_ref(element).ok())
                    .collect();
                publish(conn, &mut state, &at, &objects).await?;
            }
            records::REVOKE => {
                let body: RevokeBody = body_of(record, at.seq)?;
                revoke(conn, &mut state, &at, &body).await?;
            }
            records::SIGHTING => {
                let body: SightingBody = body_of(record, at.seq)?;
                sighting(conn, &state, &at, &body).await?;
            }
            records::FALSE_POSITIVE => {
                let body: FalsePositiveBody = body_of(record, at.seq)?;
                false_positive(conn, &state, &at, &body).await?;
            }
            records::DELETE => {
                let body: DeleteBody = body_of(record, at.seq)?;
                delete(conn, &state, &at, &body).await?;
            }
            records::SETTINGS => {
                let body: SettingsBody = body_of(record, at.seq)?;
                settings(conn, &state, &body).await?;
            }
            other => {
                return Err(StoreError::Corrupt(format!(
                    "entry {}: {other} is not an intel kind",
                    at.seq
                )));
            }
        }
    }
    if state.head != start {
        sqlx::query(
            "INSERT INTO intel_heads (community_id, last_added_us) VALUES ($1, $2) \
             ON CONFLICT (community_id) DO UPDATE SET last_added_us = excluded.last_added_us",
        )
        .bind(&state.community)
        .bind(state.head)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

struct RunState {
    community: String,
    head: i64,
}

impl RunState {
    /// The next `date_added`, in µs.
    fn next_added(&mut self, ts_ms: i64) -> i64 {
        self.head = (self.head + 1).max(ts_ms.saturating_mul(1000));
        self.head
    }
}

/// The entry being applied.
struct At {
    seq: i64,
    ts_ms: i64,
    author: String,
}

/// One version of an object about to be stored.
struct NewRow<'a> {
    added_us: i64,
    object_id: String,
    object_type: String,
    version_ns: i64,
    version: String,
    spec_version: String,
    author: &'a str,
    labels: String,
    is_latest: i64,
    is_first: i64,
    object: String,
}

fn body_of<T: DeserializeOwned>(record: &Record, seq: i64) -> Result<T, StoreError> {
    // From the borrowed tree, as the validator reads it (no copy of the body).
    T::deserialize(&record.body).map_err(|e| StoreError::Corrupt(format!("entry {seq}: {e}")))
}

async fn load_head(conn: &mut AnyConnection, community: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT last_added_us FROM intel_heads WHERE community_id = $1")
        .bind(community.to_owned())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("last_added_us")?,
        None => 0,
    })
}

fn new_row<'a>(
    state: &mut RunState,
    at: &At,
    author: &'a str,
    object: &Value,
) -> Option<NewRow<'a>> {
    let object_id = object.get("id")?.as_str()?.to_owned();
    let object_type = object.get("type")?.as_str()?.to_owned();
    let added_us = state.next_added(at.ts_ms);
    let stated = object
        .get("modified")
        .or_else(|| object.get("created"))
        .and_then(Value::as_str)
        .and_then(|text| Timestamp::parse(text).ok().map(|ts| (ts, text)));
    let (version_ns, version) = match stated {
        Some((ts, text)) => (version_ns_of(&ts), text.to_owned()),
        // Objects without `modified` (cyber-observables) are versioned by
        // the time they were added, as TAXII says.
        None => (added_us.saturating_mul(1000), format_us(added_us)),
    };
    let spec_version = object
        .get("spec_version")
        .and_then(Value::as_str)
        .unwrap_or("2.1")
        .to_owned();
    let labels = match object.get("labels") {
        Some(Value::Array(labels)) => {
            let mut text = String::from("|");
            for label in labels.iter().filter_map(Value::as_str) {
                text.push_str(label);
                text.push('|');
            }
            text
        }
        _ => String::new(),
    };
    Some(NewRow {
        added_us,
        object_id,
        object_type,
        version_ns,
        version,
        spec_version,
        author,
        labels,
        is_latest: 0,
        is_first: 0,
        object: object.to_string(),
    })
}

/// Stores the objects of one `intel.publish` entry. Objects whose id is
/// new to the collection (the usual case for a large publish) get their
/// first/latest flags and indicator facts from memory; ids seen before are
/// refreshed from the table, as revocations and deletions are. Both give
/// the same rows, so a replay equals the live run either way.
async fn publish(
    conn: &mut AnyConnection,
    state: &mut RunState,
    at: &At,
    objects: &[Cow<'_, Value>],
) -> Result<(), StoreError> {
    let mut rows: Vec<(NewRow<'_>, &Value)> = objects
        .iter()
        .filter_map(|object| Some((new_row(state, at, &at.author, object)?, object.as_ref())))
        .collect();
    let known = {
        let ids: BTreeSet<&str> = rows.iter().map(|(row, _)| row.object_id.as_str()).collect();
        known_ids(conn, &state.community, &ids).await?
    };
    // For new ids: the range of versions this entry brings. A repeated
    // (id, version) is not stored again (the insert does nothing), so it
    // cannot change the range.
    let mut ranges: HashMap<&str, (i64, i64)> = HashMap::new();
    for (row, _) in &rows {
        if known.contains(row.object_id.as_str()) {
            continue;
        }
        let range = ranges
            .entry(row.object_id.as_str())
            .or_insert((row.version_ns, row.version_ns));
        range.0 = range.0.min(row.version_ns);
        range.1 = range.1.max(row.version_ns);
    }
    // Each row's (is_first, is_latest), worked out while `ranges` borrows
    // the ids, and set after.
    let mut stored: HashSet<(&str, i64)> = HashSet::with_capacity(rows.len());
    let flags: Vec<Option<(bool, bool)>> = rows
        .iter()
        .map(|(row, _)| {
            let &(first, latest) = ranges.get(row.object_id.as_str())?;
            stored
                .insert((row.object_id.as_str(), row.version_ns))
                .then_some((row.version_ns == first, row.version_ns == latest))
        })
        .collect();
    drop(stored);
    drop(ranges);
    let mut fresh_indicators = Vec::new();
    for ((row, object), flags) in rows.iter_mut().zip(flags) {
        let Some((is_first, is_latest)) = flags else {
            continue;
        };
        row.is_first = i64::from(is_first);
        row.is_latest = i64::from(is_latest);
        if is_latest && row.object_id.starts_with("indicator--") {
            fresh_indicators.push(indicator_row(
                row.object_id.clone(),
                row.author.to_owned(),
                row.added_us,
                object,
            ));
        }
    }
    let rows: Vec<NewRow<'_>> = rows.into_iter().map(|(row, _)| row).collect();
    insert_versions(conn, &state.community, at.seq, &rows).await?;
    insert_indicators(conn, &state.community, &fresh_indicators).await?;
    let known: BTreeSet<&str> = known.iter().map(String::as_str).collect();
    let before = indicators_of(conn, &state.community, &known).await?;
    refresh(conn, &state.community, &known, before).await
}

/// Which of `ids` have some version in the collection.
async fn known_ids(
    conn: &mut AnyConnection,
    community: &str,
    ids: &BTreeSet<&str>,
) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<&str> = ids.iter().copied().collect();
    let params = bulk::Params::of(conn);
    let mut known = HashSet::new();
    for chunk in ids.chunks(bulk::ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT DISTINCT object_id FROM intel_objects WHERE community_id = {} AND object_id IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            known.insert(row.try_get::<String, _>("object_id")?);
        }
    }
    Ok(known)
}

async fn insert_versions(
    conn: &mut AnyConnection,
    community: &str,
    seq: i64,
    rows: &[NewRow<'_>],
) -> Result<(), StoreError> {
    bulk::insert_rows(
        conn,
        "INSERT INTO intel_objects (community_id, added_us, object_id, object_type, version_ns, \
         version, spec_version, author, seq, labels, is_latest, is_first, object)",
        "ON CONFLICT (community_id, object_id, version_ns) DO NOTHING",
        13,
        rows,
        |query, row| {
            query
                .bind(community.to_owned())
                .bind(row.added_us)
                .bind(row.object_id.as_str())
                .bind(row.object_type.as_str())
                .bind(row.version_ns)
                .bind(row.version.as_str())
                .bind(row.spec_version.as_str())
                .bind(row.author)
                .bind(seq)
                .bind(row.labels.as_str())
                .bind(row.is_latest)
                .bind(row.is_first)
                .bind(row.object.as_str())
        },
    )
    .await?;
    Ok(())
}

/// Recomputes the first/latest flags of `ids` and the indicator facts of
/// the indicators among them; `before` holds their indicator rows as they
/// were before the change (see `indicators_of`).
async fn refresh(
    conn: &mut AnyConnection,
    community: &str,
    ids: &BTreeSet<&str>,
    before: HashMap<String, Counters>,
) -> Result<(), StoreError> {
    let ids: Vec<&str> = ids.iter().copied().collect();
    let params = bulk::Params::of(conn);
    for chunk in ids.chunks(bulk::ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE intel_objects SET \
             is_latest = CASE WHEN version_ns = (SELECT MAX(o.version_ns) FROM intel_objects o \
               WHERE o.community_id = intel_objects.community_id AND o.object_id = intel_objects.object_id) \
               THEN 1 ELSE 0 END, \
             is_first = CASE WHEN version_ns = (SELECT MIN(o.version_ns) FROM intel_objects o \
               WHERE o.community_id = intel_objects.community_id AND o.object_id = intel_objects.object_id) \
               THEN 1 ELSE 0 END \
             WHERE community_id = {} AND object_id IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    let indicators: Vec<&str> = ids
        .into_iter()
        .filter(|id| id.starts_with("indicator--"))
        .collect();
    refresh_indicators(conn, community, &indicators, &before).await
}

/// An indicator row's key and the counters its next version carries over.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    added_us: i64,
    sightings: i64,
    false_positives: i64,
    last_sighting_s: i64,
}

/// The indicator rows of `ids`, by id. `intel_indicators` is keyed by the
/// `date_added` of each indicator's latest version (new indicators append
/// at the end of the key; a random STIX id as key wrote a random leaf per
/// indicator), so a row is found through its object's versions — which is
/// why a delete reads them before it deletes versions.
async fn indicators_of(
    conn: &mut AnyConnection,
    community: &str,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, Counters>, StoreError> {
    let ids: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| id.starts_with("indicator--"))
        .collect();
    let params = bulk::Params::of(conn);
    let mut found = HashMap::new();
    for chunk in ids.chunks(bulk::ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT object_id, added_us, sightings, false_positives, last_sighting_s \
             FROM intel_indicators WHERE community_id = {} AND added_us IN \
             (SELECT o.added_us FROM intel_objects o WHERE o.community_id = {} AND o.object_id IN ({}))",
            params.list(1, 1),
            params.list(2, 1),
            params.list(3, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community).bind(community);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(
                row.try_get::<String, _>("object_id")?,
                Counters {
                    added_us: row.try_get("added_us")?,
                    sightings: row.try_get("sightings")?,
                    false_positives: row.try_get("false_positives")?,
                    last_sighting_s: row.try_get("last_sighting_s")?,
                },
            );
        }
    }
    Ok(found)
}

/// The indicator facts one version defines (the counters are kept apart).
struct IndicatorRow {
    object_id: String,
    author: String,
    kind: i64,
    name: String,
    pattern: String,
    published_confidence: i64,
    valid_from_s: i64,
    valid_until_s: i64,
    revoked: i64,
    added_us: i64,
    counters: Counters,
}

async fn refresh_indicators(
    conn: &mut AnyConnection,
    community: &str,
    ids: &[&str],
    before: &HashMap<String, Counters>,
) -> Result<(), StoreError> {
    let params = bulk::Params::of(conn);
    for chunk in ids.chunks(bulk::ROWS_PER_STATEMENT) {
        // `+is_latest`: the flag must not pick the index, which would
        // read every latest row of the community (as SQLite's planner
        // chose without it); the ids are what narrow the search.
        let sql = format!(
            "SELECT object_id, author, added_us, object FROM intel_objects \
             WHERE community_id = {} AND +is_latest = 1 AND object_id IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(community);
        for id in chunk {
            query = query.bind(*id);
        }
        let mut rows = Vec::with_capacity(chunk.len());
        for row in query.fetch_all(&mut *conn).await? {
            let object_id: String = row.try_get("object_id")?;
            let text: String = row.try_get("object")?;
            let object: Value = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("object {object_id}: {e}")))?;
            let mut indicator = indicator_row(
                object_id,
                row.try_get("author")?,
                row.try_get("added_us")?,
                &object,
            );
            if let Some(counters) = before.get(&indicator.object_id) {
                indicator.counters = Counters {
                    added_us: indicator.added_us,
                    ..*counters
                };
            }
            rows.push(indicator);
        }
        // Every old row of these ids goes; the latest versions' rows come
        // back with the counters carried over.
        let old: Vec<i64> = chunk
            .iter()
            .filter_map(|id| before.get(*id))
            .map(|counters| counters.added_us)
            .collect();
        if !old.is_empty() {
            let sql = format!(
                "DELETE FROM intel_indicators WHERE community_id = {} AND added_us IN ({})",
                params.list(1, 1),
                params.list(2, old.len())
            );
            let mut query = sqlx::query(&sql).bind(community);
            for added_us in &old {
                query = query.bind(*added_us);
            }
            query.execute(&mut *conn).await?;
        }
        insert_indicators(conn, community, &rows).await?;
    }
    Ok(())
}

/// Writes the indicator rows `rows`, none of which exists.
async fn insert_indicators(
    conn: &mut AnyConnection,
    community: &str,
    rows: &[IndicatorRow],
) -> Result<(), StoreError> {
    bulk::insert_rows(
        conn,
        "INSERT INTO intel_indicators (community_id, object_id, author, kind, name, pattern, \
         published_confidence, valid_from_s, valid_until_s, revoked, sightings, false_positives, \
         last_sighting_s, added_us)",
        "",
        14,
        rows,
        |query, row| {
            query
                .bind(community.to_owned())
                .bind(row.object_id.as_str())
                .bind(row.author.as_str())
                .bind(row.kind)
                .bind(row.name.as_str())
                .bind(row.pattern.as_str())
                .bind(row.published_confidence)
                .bind(row.valid_from_s)
                .bind(row.valid_until_s)
                .bind(row.revoked)
                .bind(row.counters.sightings)
                .bind(row.counters.false_positives)
                .bind(row.counters.last_sighting_s)
                .bind(row.added_us)
        },
    )
    .await?;
    Ok(())
}

fn indicator_row(object_id: String, author: String, added_us: i64, object: &Value) -> IndicatorRow {
    let text = |name: &str| object.get(name).and_then(Value::as_str).unwrap_or_default();
    let seconds = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .and_then(|text| Timestamp::parse(text).ok())
            .map(|ts| ts.unix_seconds())
    };
    let pattern = text("pattern").to_owned();
    let kind = if text("pattern_type") == "stix" {
        commons_stix::parse_pattern(&pattern)
            .map(|pattern| IndicatorKind::of_pattern(&pattern))
            .unwrap_or(IndicatorKind::Other)
    } else {
        IndicatorKind::Other
    };
    IndicatorRow {
        object_id,
        author,
        kind: kind as i64,
        name: text("name").to_owned(),
        pattern,
        published_confidence: object
            .get("confidence")
            .and_then(Value::as_i64)
            .unwrap_or(-1),
        valid_from_s: seconds("valid_from").unwrap_or(0),
        valid_until_s: seconds("valid_until").unwrap_or(i64::MAX),
        revoked: i64::from(object.get("revoked").and_then(Value::as_bool) == Some(true)),
        added_us,
        counters: Counters::default(),
    }
}

/// Whether `key` may act on objects it did not publish.
async fn is_moderator(
    conn: &mut AnyConnection,
    community: &str,
    key: &str,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT role FROM members WHERE community_id = $1 AND member_key = $2 AND status = 'active'",
    )
    .bind(community.to_owned())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => {
            let role: String = row.try_get("role")?;
            role == "moderator" || role == "admin"
        }
        None => false,
    })
}

/// Whether `key` published some version of `object_id`.
async fn published_by(
    conn: &mut AnyConnection,
    community: &str,
    object_id: &str,
    key: &str,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT 1 AS found FROM intel_objects WHERE community_id = $1 AND object_id = $2 AND author = $3 LIMIT 1",
    )
    .bind(community.to_owned())
    .bind(object_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Whether the author may revoke or delete `object_id`: its publisher, or a
/// moderator. The node checks this before submitting; the reducer checks
/// again so a record signed elsewhere cannot do more.
async fn may_change(
    conn: &mut AnyConnection,
    community: &str,
    object_id: &str,
    key: &str,
) -> Result<bool, StoreError> {
    Ok(published_by(conn, community, object_id, key).await?
        || is_moderator(conn, community, key).await?)
}

async fn revoke(
    conn: &mut AnyConnection,
    state: &mut RunState,
    at: &At,
    body: &RevokeBody,
) -> Result<(), StoreError> {
    let community = state.community.clone();
    if !may_change(conn, &community, &body.object_id, &at.author).await? {
        return Ok(());
    }
    let row = sqlx::query(
        "SELECT author, object FROM intel_objects WHERE community_id = $1 AND object_id = $2 AND +is_latest = 1",
    )
    .bind(&community)
    .bind(&body.object_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let author: String = row.try_get("author")?;
    let text: String = row.try_get("object")?;
    let mut object: Value = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("object {}: {e}", body.object_id)))?;
    let Some(modified) = object
        .get("modified")
        .and_then(Value::as_str)
        .and_then(|text| Timestamp::parse(text).ok())
    else {
        return Ok(());
    };
    if object.get("revoked").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    // The revoking version must be newer than the one it replaces.
    let after_ms = modified
        .unix_nanos()
        .div_euclid(1_000_000)
        .saturating_add(1)
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    let revoked_ms = at.ts_ms.max(after_ms);
    let stamp = Timestamp::from_unix(
        revoked_ms.div_euclid(1000),
        (revoked_ms.rem_euclid(1000) * 1_000_000) as u32,
    )
    .map(|ts| ts.to_string())
    .ok_or_else(|| StoreError::Corrupt(format!("entry {}: time out of range", at.seq)))?;
    object["revoked"] = Value::Bool(true);
    object["modified"] = Value::String(stamp);
    let row = new_row(state, at, &author, &object).ok_or_else(|| {
        StoreError::Corrupt(format!("object {} lost its id or type", body.object_id))
    })?;
    insert_versions(conn, &community, at.seq, std::slice::from_ref(&row)).await?;
    insert_evidence(
        conn,
        &community,
        at,
        &body.object_id,
        "revoke",
        (0, 0, 0),
        body.reason.as_deref().unwrap_or_default(),
    )
    .await?;
    let ids = BTreeSet::from([body.object_id.as_str()]);
    let before = indicators_of(conn, &community, &ids).await?;
    refresh(conn, &community, &ids, before).await
}

async fn insert_evidence(
    conn: &mut AnyConnection,
    community: &str,
    at: &At,
    object_id: &str,
    evidence: &str,
    (count, first_seen_s, last_seen_s): (i64, i64, i64),
    note: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO intel_evidence (community_id, seq, object_id, evidence, author, count, \
         first_seen_s, last_seen_s, note, ts_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(community.to_owned())
    .bind(at.seq)
    .bind(object_id)
    .bind(evidence)
    .bind(at.author.as_str())
    .bind(count)
    .bind(first_seen_s)
    .bind(last_seen_s)
    .bind(note)
    .bind(at.ts_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn sighting(
    conn: &mut AnyConnection,
    state: &RunState,
    at: &At,
    body: &SightingBody,
) -> Result<(), StoreError> {
    let seconds = |text: &str| {
        Timestamp::parse(text)
            .map(|ts| ts.unix_seconds())
            .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", at.seq)))
    };
    let first_seen = seconds(&body.first_seen)?;
    // A sighting cannot restart the clock later than it was reported.
    let last_seen = seconds(&body.last_seen)?.min(at.ts_ms.div_euclid(1000));
    let count = i64::from(body.count);
    insert_evidence(
        conn,
        &state.community,
        at,
        &body.indicator,
        "sighting",
        (count, first_seen, last_seen),
        "",
    )
    .await?;
    sqlx::query(&format!(
        "UPDATE intel_indicators SET sightings = sightings + $3, \
         last_sighting_s = CASE WHEN last_sighting_s < $4 THEN $4 ELSE last_sighting_s END \
         WHERE community_id = $1 AND added_us IN ({LATEST_ADDED})"
    ))
    .bind(&state.community)
    .bind(&body.indicator)
    .bind(count)
    .bind(last_seen)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn false_positive(
    conn: &mut AnyConnection,
    state: &RunState,
    at: &At,
    body: &FalsePositiveBody,
) -> Result<(), StoreError> {
    insert_evidence(
        conn,
        &state.community,
        at,
        &body.indicator,
        "false-positive",
        (1, 0, 0),
        body.reason.as_deref().unwrap_or_default(),
    )
    .await?;
    sqlx::query(&format!(
        "UPDATE intel_indicators SET false_positives = false_positives + 1 \
         WHERE community_id = $1 AND added_us IN ({LATEST_ADDED})"
    ))
    .bind(&state.community)
    .bind(&body.indicator)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn delete(
    conn: &mut AnyConnection,
    state: &RunState,
    at: &At,
    body: &DeleteBody,
) -> Result<(), StoreError> {
    let community = state.community.as_str();
    if !may_change(conn, community, &body.object_id, &at.author).await? {
        return Ok(());
    }
    let ids = BTreeSet::from([body.object_id.as_str()]);
    let before = indicators_of(conn, community, &ids).await?;
    match &body.versions {
        None => {
            sqlx::query("DELETE FROM intel_objects WHERE community_id = $1 AND object_id = $2")
                .bind(community.to_owned())
                .bind(&body.object_id)
                .execute(&mut *conn)
                .await?;
        }
        Some(versions) => {
            for version in versions {
                let ts = Timestamp::parse(version)
                    .map_err(|e| StoreError::Corrupt(format!("entry {}: {e}", at.seq)))?;
                sqlx::query(
                    "DELETE FROM intel_objects WHERE community_id = $1 AND object_id = $2 AND version_ns = $3",
                )
                .bind(community.to_owned())
                .bind(&body.object_id)
                .bind(version_ns_of(&ts))
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    refresh(conn, community, &ids, before).await
}

async fn settings(
    conn: &mut AnyConnection,
    state: &RunState,
    body: &SettingsBody,
) -> Result<(), StoreError> {
    let mut model: ConfidenceModel = load_model(conn, &state.community).await?;
    for (name, days) in body.half_life_days.iter().flatten() {
        if let Some(kind) = kind_named(name) {
            model.half_life_days[kind as usize] = f64::from(*days);
        }
    }
    if let Some(threshold) = body.threshold {
        model.threshold = threshold;
    }
    if let Some(boost) = body.sighting_boost_percent {
        model.sighting_boost = f64::from(boost) / 100.0;
    }
    if let Some(penalty) = body.false_positive_penalty_percent {
        model.false_positive_penalty = f64::from(penalty) / 100.0;
    }
    let text = serde_json::to_string(&model).expect("a confidence model serializes");
    sqlx::query(
        "INSERT INTO intel_settings (community_id, model) VALUES ($1, $2) \
         ON CONFLICT (community_id) DO UPDATE SET model = excluded.model",
    )
    .bind(&state.community)
    .bind(text)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
