//! Community logs in the database: appending validated records, reading
//! entries back, verifying whole chains and replaying them into projections.

use std::collections::HashSet;
use std::sync::Arc;

use commons_kernel::capability::ValidationContext;
use commons_kernel::log::{ChainError, ChainVerifier, RawEntry};
use commons_kernel::record::Record;
use commons_kernel::{
    CommunityId, Entry, EntryHash, EntryHeader, Findings, Kind, PublicKey, RecordId, Sealing,
    SecretKey, Signature, SignedRecord, Timestamp,
};
use futures::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::capability::{Capability, Registry};
use crate::{Backend, Store, StoreError, bulk, community, parse_col};

/// How far into the future a record's timestamp may be, in milliseconds.
pub const MAX_CLOCK_SKEW_MS: i64 = 10 * 60 * 1000;

/// Why records were not appended. Nothing of the batch was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The community has no log on this node.
    #[error("unknown community {0}")]
    UnknownCommunity(CommunityId),
    /// A record is for another community than the batch.
    #[error("record {index} is for community {found}, not {expected}")]
    WrongCommunity {
        /// Position in the batch.
        index: usize,
        /// The batch's community.
        expected: CommunityId,
        /// The record's community.
        found: CommunityId,
    },
    /// No registered capability owns the kind.
    #[error("record {index} has unknown kind {kind}")]
    UnknownKind {
        /// Position in the batch.
        index: usize,
        /// The kind.
        kind: Kind,
    },
    /// The record is already in the log (a duplicate or a replay).
    #[error("record {index} ({id}) is already in the log")]
    Duplicate {
        /// Position in the batch.
        index: usize,
        /// The record id.
        id: RecordId,
    },
    /// The record breaks its kind's schema or the community's rules.
    #[error("record {index} is invalid: {findings}")]
    Invalid {
        /// Position in the batch.
        index: usize,
        /// Everything found wrong.
        findings: Findings,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppendError {
    fn from(error: sqlx::Error) -> AppendError {
        AppendError::Store(StoreError::Database(error))
    }
}

/// One stored log entry, as columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// The community.
    pub community: CommunityId,
    /// Position in the log.
    pub seq: u64,
    /// The entry hash.
    pub hash: EntryHash,
    /// The previous entry's hash.
    pub prev: EntryHash,
    /// The record id.
    pub record_id: RecordId,
    /// The record kind.
    pub kind: String,
    /// The author key.
    pub author: PublicKey,
    /// The author's timestamp.
    pub record_ts: Timestamp,
    /// When it was appended.
    pub appended_ts: Timestamp,
    /// The record's canonical encoding.
    pub record: String,
    /// The author's signature, hex.
    pub record_sig: String,
    /// The community signature, hex.
    pub entry_sig: String,
}

/// The result of verifying one community's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The community.
    pub community: CommunityId,
    /// Entries checked.
    pub entries: u64,
    /// The first bad entry, if any.
    pub error: Option<ChainError>,
}

const ENTRY_COLUMNS: &str = "community_id, seq, entry_hash, prev_hash, record_id, kind, author, record_ts, \
                             appended_ts, record, record_sig, entry_sig";

impl Store {
    /// Validates `records` in order and appends them to the log of
    /// `community_key`'s community in one transaction, applying each
    /// capability's reducer as it goes. All or nothing.
    pub async fn append(
        &self,
        registry: &Registry,
        community_key: &SecretKey,
        records: Vec<SignedRecord>,
        now: Timestamp,
    ) -> Result<Vec<Entry>, AppendError> {
        self.append_checked(registry, community_key, records, now, Known::Refuse)
            .await
    }

    /// [`Store::append`], with records already in the log (or earlier in
    /// the batch) refused or, with [`Known::Skip`], left out, decided under
    /// the write lock: for records that may reach the home node by several
    /// paths at once, such as forwarded outbox records. Returns the new
    /// entries only.
    pub async fn append_checked(
        &self,
        registry: &Registry,
        community_key: &SecretKey,
        mut records: Vec<SignedRecord>,
        now: Timestamp,
        known: Known,
    ) -> Result<Vec<Entry>, AppendError> {
        let community_id = community_key.public_key().community_id();
        for (index, signed) in records.iter().enumerate() {
            let found = signed.record().community;
            if found != community_id {
                return Err(AppendError::WrongCommunity {
                    index,
                    expected: community_id,
                    found,
                });
            }
        }
        // Everything that needs no database is checked before the write lock.
        let mut capabilities = Vec::with_capacity(records.len());
        let mut keys = Vec::with_capacity(records.len() * 2);
        for (index, signed) in records.iter().enumerate() {
            let record = signed.record();
            let capability = registry
                .get(record.kind.capability())
                .filter(|capability| {
                    capability
                        .kinds()
                        .iter()
                        .any(|spec| spec.kind == record.kind.as_str())
                })
                .ok_or_else(|| AppendError::UnknownKind {
                    index,
                    kind: record.kind.clone(),
                })?;
            if record.ts.0 > now.0 + MAX_CLOCK_SKEW_MS {
                let findings = Findings::one(
                    "/ts",
                    "the record is dated more than 10 minutes in the future",
                );
                return Err(AppendError::Invalid { index, findings });
            }
            keys.push(record.author);
            keys.extend(capability.subjects(record));
            capabilities.push(capability);
        }

        let mut tx = self.write().await?;
        let conn = tx.conn();
        if known == Known::Skip {
            let ids: Vec<RecordId> = records.iter().map(SignedRecord::id).collect();
            let mut seen = records_in_log(conn, community_id, &ids).await?;
            (records, capabilities) = records
                .into_iter()
                .zip(capabilities)
                .filter(|(record, _)| seen.insert(record.id()))
                .unzip();
            if records.is_empty() {
                return Ok(Vec::new());
            }
        }
        let head = load_head(conn, self.backend == Backend::Postgres, community_id).await?;
        let (first_seq, prev) = match head {
            Some(head) => (head.next_seq, head.hash),
            None => (0, EntryHash::GENESIS),
        };
        if first_seq == 0
            && records
                .first()
                .is_none_or(|r| r.record().kind.as_str() != "community.create")
        {
            return Err(AppendError::UnknownCommunity(community_id));
        }
        // The community signatures are most of an append's CPU and need only
        // the chained headers: they are made on the thread pool while this
        // task checks the batch against the database. A batch refused below
        // drops the receiver and its signatures are thrown away.
        let sealing = Sealing::chain(first_seq, prev, now, &records);
        let (send_seals, seals) = tokio::sync::oneshot::channel();
        let signing_key = community_key.clone();
        rayon::spawn(move || {
            let _ = send_seals.send(sealing.sign(&signing_key));
        });
        check_duplicates(conn, community_id, &records).await?;

        // One read of every key the batch names; each accepted record then
        // updates the context, so later records see the earlier ones.
        let mut ctx = community::load_context(conn, community_id, &keys).await?;
        let before = one_run(&capabilities).then(|| ctx.clone());
        for (index, (signed, capability)) in records.iter().zip(&capabilities).enumerate() {
            ctx.seq = first_seq + index as u64;
            let invalid = |findings| AppendError::Invalid { index, findings };
            capability
                .validate(&ctx, signed.record())
                .map_err(invalid)?;
            capability
                .apply(&mut ctx, signed.record())
                .map_err(invalid)?;
        }

        let entries = seals
            .await
            .expect("the signing job sends its seals unless it panicked")
            .attach(records);
        insert_entries(conn, &entries).await?;
        reduce_batch(conn, registry, &entries, before.as_ref(), &ctx).await?;
        let bytes: i64 = entries
            .iter()
            .map(|entry| entry.record().encoded().len() as i64)
            .sum();
        let next_seq = first_seq + entries.len() as u64;
        let prev = entries.last().map_or(prev, Entry::hash);
        sqlx::query(
            "INSERT INTO log_heads (community_id, community_key, next_seq, head_hash, bytes) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (community_id) DO UPDATE SET next_seq = $3, head_hash = $4, \
             bytes = log_heads.bytes + $5",
        )
        .bind(community_id.to_hex())
        .bind(community_key.public_key().to_hex())
        .bind(next_seq as i64)
        .bind(prev.to_hex())
        .bind(bytes)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// Entries of a community with `seq >= from`, at most `limit`, in order.
    pub async fn entries(
        &self,
        community: CommunityId,
        from: u64,
        limit: u32,
    ) -> Result<Vec<LogRow>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM log_entries WHERE community_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
        );
        let mut rows = sqlx::query(&sql)
            .bind(community.to_hex())
            .bind(from as i64)
            .bind(i64::from(limit))
            .fetch(&self.pool);
        // Row by row: a range served to a peer is up to 20,000 entries, and
        // holding every driver row beside its `LogRow` doubled the peak.
        let mut entries = Vec::new();
        while let Some(row) = rows.try_next().await? {
            entries.push(log_row(&row)?);
        }
        Ok(entries)
    }

    /// The newest entries of a community, newest first.
    pub async fn recent_entries(
        &self,
        community: CommunityId,
        limit: u32,
    ) -> Result<Vec<LogRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM log_entries WHERE community_id = $1 ORDER BY seq DESC LIMIT $2"
        ))
        .bind(community.to_hex())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(log_row).collect()
    }

    /// Every community with a log on this node and its length.
    pub async fn log_heads(&self) -> Result<Vec<(CommunityId, u64, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT community_id, next_seq, bytes FROM log_heads ORDER BY community_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let next_seq: i64 = row.try_get("next_seq")?;
                let bytes: i64 = row.try_get("bytes")?;
                Ok((
                    parse_col(row, "community_id")?,
                    next_seq as u64,
                    bytes as u64,
                ))
            })
            .collect()
    }

    /// Checks every entry of a community's log: sequence, chain, record and
    /// community signatures, and that the head matches the last entry.
    pub async fn verify(&self, community: CommunityId) -> Result<VerifyReport, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let head = load_head(&mut conn, false, community).await?;
        let Some(head) = head else {
            return Ok(VerifyReport {
                community,
                entries: 0,
                error: None,
            });
        };
        let mut verifier = ChainVerifier::new(head.key);
        let mut checked = 0u64;
        let mut last_hash = EntryHash::GENESIS;
        let sql =
            format!("SELECT {ENTRY_COLUMNS} FROM log_entries WHERE community_id = $1 ORDER BY seq");
        let mut rows = sqlx::query(&sql).bind(community.to_hex()).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let seq_hint = row.try_get::<i64, _>("seq").unwrap_or(-1);
            let parsed = log_row(&row).and_then(|row| Ok((row.hash, raw_entry(&row)?)));
            let (hash, raw) = match parsed {
                Ok(parsed) => parsed,
                Err(error) => {
                    let reason = commons_kernel::log::ChainFault::Record(
                        commons_kernel::record::RecordError::Malformed(error.to_string()),
                    );
                    let error = ChainError {
                        community,
                        seq: seq_hint.max(0) as u64,
                        reason,
                    };
                    return Ok(VerifyReport {
                        community,
                        entries: checked,
                        error: Some(error),
                    });
                }
            };
            match verifier.check(raw, Some(hash)) {
                Ok(entry) => {
                    checked += 1;
                    last_hash = entry.hash();
                }
                Err(error) => {
                    return Ok(VerifyReport {
                        community,
                        entries: checked,
                        error: Some(error),
                    });
                }
            }
        }
        if verifier.next_seq() != head.next_seq || last_hash != head.hash {
            let error = ChainError {
                community,
                seq: verifier.next_seq(),
                reason: commons_kernel::log::ChainFault::Gap {
                    expected: head.next_seq,
                    found: verifier.next_seq(),
                },
            };
            return Ok(VerifyReport {
                community,
                entries: checked,
                error: Some(error),
            });
        }
        Ok(VerifyReport {
            community,
            entries: checked,
            error: None,
        })
    }

    /// Empties every projection table and rebuilds them by reducing every
    /// log entry in order, in one transaction. Returns the entries replayed.
    pub async fn replay(&self, registry: &Registry) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        for capability in registry.iter() {
            for table in capability.projection_tables() {
                sqlx::query(&format!("DELETE FROM {table}"))
                    .execute(tx.conn())
                    .await?;
            }
        }
        let communities: Vec<CommunityId> =
            sqlx::query("SELECT community_id FROM log_heads ORDER BY community_id")
                .fetch_all(tx.conn())
                .await?
                .iter()
                .map(|row| parse_col(row, "community_id"))
                .collect::<Result<_, _>>()?;
        let mut mirror = None;
        let mut count = 0u64;
        if self.writer.is_some() {
            // SQLite writes on its own connection, so a pooled one reads and
            // parses the next page while this task reduces the last. The
            // store's write lock, held by `tx`, keeps appends out meanwhile.
            let (send_pages, mut pages) = tokio::sync::mpsc::channel(2);
            let reader = tokio::spawn(read_pages(self.pool.clone(), communities, send_pages));
            while let Some(page) = pages.recv().await {
                let (community, entries) = page?;
                reduce_page(tx.conn(), registry, &mut mirror, community, &entries).await?;
                count += entries.len() as u64;
            }
            // The channel also closes when the reader panics: that must not
            // commit a partial replay.
            if let Err(error) = reader.await {
                std::panic::resume_unwind(error.into_panic());
            }
        } else {
            for community in communities {
                let mut from = 0u64;
                loop {
                    let entries = read_page(tx.conn(), community, from).await?;
                    if entries.is_empty() {
                        break;
                    }
                    reduce_page(tx.conn(), registry, &mut mirror, community, &entries).await?;
                    from += entries.len() as u64;
                    count += entries.len() as u64;
                }
            }
        }
        flush_mirror(tx.conn(), &mut mirror).await?;
        tx.commit().await?;
        Ok(count)
    }
}

/// Entries a replay reads per statement.
const REPLAY_PAGE: u32 = 2_000;

/// One page of a replay: up to [`REPLAY_PAGE`] entries of `community` from
/// `from` on, by primary-key range, so each page is an index range scan
/// however long the log is.
async fn read_page(
    conn: &mut AnyConnection,
    community: CommunityId,
    from: u64,
) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {REPLAY_COLUMNS} FROM log_entries \
         WHERE community_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
    ))
    .bind(community.to_hex())
    .bind(from as i64)
    .bind(i64::from(REPLAY_PAGE))
    .fetch_all(&mut *conn)
    .await?;
    parse_entries(community, &rows)
}

/// [`read_page`] on SQLite, as one value: the page's entries joined by the
/// ASCII record separator (0x1E), each `seq,appended_ts,ids,record`. The
/// driver copies each value of a row twice and hands every row to the
/// reading task on its own (a channel send and, as often as not, a thread
/// woken); that cost a replay more than parsing the records did, and a page
/// as one value pays it once. No stored entry holds the separator: records
/// are canonical JSON, which escapes every control character, and the
/// other fields are digits (a tampered one fails to parse, as it would
/// row by row). PostgreSQL has no `group_concat`; its replay reads rows.
async fn read_joined_page(
    conn: &mut AnyConnection,
    community: CommunityId,
    from: u64,
) -> Result<Vec<Entry>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT group_concat(seq || ',' || appended_ts || ',' || ids || ',' || record, \
         char(30) ORDER BY seq) AS page FROM (SELECT {REPLAY_COLUMNS} FROM log_entries \
         WHERE community_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3)"
    ))
    .bind(community.to_hex())
    .bind(from as i64)
    .bind(i64::from(REPLAY_PAGE))
    .fetch_one(&mut *conn)
    .await?;
    let Some(page) = row.try_get::<Option<&str>, _>("page")? else {
        return Ok(Vec::new());
    };
    parse_joined(community, page)
}

/// Reads every page of every community in order into `pages`, ending early
/// when the receiver is gone and with the error when a read fails.
async fn read_pages(
    pool: sqlx::AnyPool,
    communities: Vec<CommunityId>,
    pages: tokio::sync::mpsc::Sender<Result<(CommunityId, Vec<Entry>), StoreError>>,
) {
    let read = async {
        let mut conn = pool.acquire().await?;
        for community in communities {
            let mut from = 0u64;
            loop {
                let entries = read_joined_page(&mut conn, community, from).await?;
                if entries.is_empty() {
                    break;
                }
                from += entries.len() as u64;
                if pages.send(Ok((community, entries))).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok::<(), StoreError>(())
    };
    if let Err(error) = read.await {
        let _ = pages.send(Err(error)).await;
    }
}

/// Reduces one page of a community's log, each run by its capability; the
/// built-in community runs go through `mirror`, which follows one log and
/// starts afresh when the page is another community's. The mirror's writes
/// are flushed before any other reducer runs, since it may read them.
async fn reduce_page(
    conn: &mut AnyConnection,
    registry: &Registry,
    mirror: &mut Option<(CommunityId, community::ReplayMirror)>,
    community: CommunityId,
    entries: &[Entry],
) -> Result<(), StoreError> {
    if mirror
        .as_ref()
        .is_none_or(|(followed, _)| *followed != community)
    {
        flush_mirror(conn, mirror).await?;
        *mirror = Some((community, community::ReplayMirror::default()));
    }
    let (_, mirror) = mirror.as_mut().expect("set just above");
    for run in runs(entries) {
        let kind = &run[0].record().record().kind;
        let capability = registry.get(kind.capability()).ok_or_else(|| {
            StoreError::Corrupt(format!("no capability registered for kind {kind}"))
        })?;
        if community::is_builtin(capability.as_ref()) {
            mirror.reduce(run)?;
        } else {
            mirror.flush(conn, community).await?;
            capability.reduce(conn, run).await?;
        }
    }
    Ok(())
}

/// Writes what the replay mirror still holds, at the end of its log.
async fn flush_mirror(
    conn: &mut AnyConnection,
    mirror: &mut Option<(CommunityId, community::ReplayMirror)>,
) -> Result<(), StoreError> {
    match mirror {
        Some((community, mirror)) => mirror.flush(conn, *community).await,
        None => Ok(()),
    }
}

pub(crate) struct Head {
    pub(crate) key: PublicKey,
    pub(crate) next_seq: u64,
    pub(crate) hash: EntryHash,
}

/// Reads a log's head; `for_update` row-locks it on PostgreSQL so concurrent
/// appends to one community queue (SQLite queues on the store's write lock).
pub(crate) async fn load_head(
    conn: &mut AnyConnection,
    for_update: bool,
    community: CommunityId,
) -> Result<Option<Head>, StoreError> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!(
        "SELECT community_key, next_seq, head_hash FROM log_heads WHERE community_id = $1{lock}"
    ))
    .bind(community.to_hex())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let next_seq: i64 = row.try_get("next_seq")?;
    Ok(Some(Head {
        key: parse_col(&row, "community_key")?,
        next_seq: next_seq as u64,
        hash: parse_col(&row, "head_hash")?,
    }))
}

async fn check_duplicates(
    conn: &mut AnyConnection,
    community: CommunityId,
    records: &[SignedRecord],
) -> Result<(), AppendError> {
    let mut seen = HashSet::with_capacity(records.len());
    for (index, signed) in records.iter().enumerate() {
        if !seen.insert(signed.id()) {
            return Err(AppendError::Duplicate {
                index,
                id: signed.id(),
            });
        }
    }
    let ids: Vec<RecordId> = records.iter().map(SignedRecord::id).collect();
    let in_log = records_in_log(conn, community, &ids).await?;
    if let Some(index) = ids.iter().position(|id| in_log.contains(id)) {
        return Err(AppendError::Duplicate {
            index,
            id: ids[index],
        });
    }
    Ok(())
}

/// What an append does with records already in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Refuses the batch.
    Refuse,
    /// Leaves them out.
    Skip,
}

/// Which of `ids` are in a community's log: one statement per few hundred,
/// each a lookup in the `unhex(record_id)` index (see migration 0070). The
/// community is compared here, not in SQL: given `community_id = ?` too,
/// SQLite walked the community's whole log through the primary key instead.
pub(crate) async fn records_in_log(
    conn: &mut AnyConnection,
    community: CommunityId,
    ids: &[RecordId],
) -> Result<HashSet<RecordId>, StoreError> {
    let params = bulk::Params::of(conn);
    let community = community.to_hex();
    let mut found = HashSet::new();
    for chunk in ids.chunks(bulk::ROWS_PER_STATEMENT) {
        let keys = (1..=chunk.len())
            .map(|idx| match params {
                bulk::Params::Numbered => format!("unhex(${idx})"),
                bulk::Params::Anonymous => "unhex(?)".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT community_id, record_id FROM log_entries WHERE unhex(record_id) IN ({keys})"
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_hex());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let in_community: &str = row.try_get("community_id")?;
            if in_community == community {
                found.insert(parse_col(&row, "record_id")?);
            }
        }
    }
    Ok(found)
}

pub(crate) async fn insert_entries(
    conn: &mut AnyConnection,
    entries: &[Entry],
) -> Result<(), StoreError> {
    let head = format!("{} log_entries ({ENTRY_COLUMNS})", bulk::insert_into(conn));
    bulk::insert_rows(conn, &head, "", 12, entries, |query, entry| {
        let header = entry.header();
        let record = entry.record().record();
        let encoded = std::str::from_utf8(entry.record().encoded())
            .expect("canonical encodings are written from Rust strings");
        query
            .bind(header.community.to_hex())
            .bind(header.seq as i64)
            .bind(entry.hash().to_hex())
            .bind(header.prev.to_hex())
            .bind(header.record.to_hex())
            .bind(record.kind.as_str())
            .bind(record.author.to_hex())
            .bind(record.ts.0)
            .bind(header.ts.0)
            .bind(encoded)
            .bind(entry.record().signature().to_hex())
            .bind(entry.signature().to_hex())
    })
    .await?;
    Ok(())
}

/// Whether a batch whose records belong to `capabilities` (in order) is one
/// reducer run. Its reducer reads the keys the batch's context was loaded
/// for, so it may take the states before and after the batch from the
/// caller instead of loading them again.
pub(crate) fn one_run(capabilities: &[&Arc<dyn Capability>]) -> bool {
    capabilities
        .windows(2)
        .all(|pair| pair[0].capability() == pair[1].capability())
}

/// Runs the reducers over the batch's stored `entries`: with `before` (the
/// context before the batch, given when [`one_run`] holds) and `after`, the
/// one run's reducer only persists the difference; otherwise each run's
/// reducer loads what it reads.
pub(crate) async fn reduce_batch(
    conn: &mut AnyConnection,
    registry: &Registry,
    entries: &[Entry],
    before: Option<&ValidationContext>,
    after: &ValidationContext,
) -> Result<(), StoreError> {
    let capability_of = |entry: &Entry| {
        registry
            .get(entry.record().record().kind.capability())
            .expect("every kind was resolved before the batch was checked")
    };
    match (before, entries.first()) {
        (Some(before), Some(first)) => {
            capability_of(first)
                .reduce_applied(conn, entries, before, after)
                .await
        }
        _ => {
            for run in runs(entries) {
                capability_of(&run[0]).reduce(conn, run).await?;
            }
            Ok(())
        }
    }
}

/// Splits entries into maximal runs of one community and one capability,
/// keeping their order: each run goes to one reducer call.
pub(crate) fn runs(entries: &[Entry]) -> impl Iterator<Item = &[Entry]> {
    entries.chunk_by(|a, b| {
        let (a, b) = (a.record().record(), b.record().record());
        a.community == b.community && a.kind.capability() == b.kind.capability()
    })
}

/// The columns replay reads: what an entry is rebuilt from. The community
/// is the page's; kind, author and record time are inside the record. The
/// five fixed-width hex columns come back as one text (`ids`, see
/// [`REPLAY_IDS`]): the drivers copy every value of a row once or twice
/// (SQLite's `sqlite3_value_dup`, then the `Any` row) and each copy is an
/// allocation, so four values a row cost less than eight.
const REPLAY_COLUMNS: &str = "seq, appended_ts, record, \
     entry_hash || prev_hash || record_id || record_sig || entry_sig AS ids";

/// The hex columns in `ids`, each with its width in characters, in order.
const REPLAY_IDS: [(&str, usize); 5] = [
    ("entry_hash", 64),
    ("prev_hash", 64),
    ("record_id", 64),
    ("record_sig", 128),
    ("entry_sig", 128),
];

/// Rebuilds stored entries without re-checking signatures (replay trusts
/// what `verify` checks separately), decoding rows straight from the
/// driver's buffers, on every core.
fn parse_entries(community: CommunityId, rows: &[AnyRow]) -> Result<Vec<Entry>, StoreError> {
    use rayon::prelude::*;

    rows.par_iter()
        .with_min_len(256)
        .map(|row| {
            let seq: i64 = row.try_get("seq")?;
            let fields = StoredFields {
                seq: seq as u64,
                appended_ts: row.try_get("appended_ts")?,
                ids: row.try_get("ids")?,
                record: row.try_get("record")?,
            };
            trusted_entry(community, fields)
        })
        .collect()
}

/// [`parse_entries`] for a page read by [`read_joined_page`].
fn parse_joined(community: CommunityId, page: &str) -> Result<Vec<Entry>, StoreError> {
    use rayon::prelude::*;

    let items: Vec<&str> = page.split('\u{1e}').collect();
    items
        .par_iter()
        .with_min_len(256)
        .map(|item| {
            let corrupt = || StoreError::Corrupt(format!("replay page item {item:.40?}"));
            let mut parts = item.splitn(4, ',');
            let mut next = || parts.next().ok_or_else(corrupt);
            let (seq, appended_ts, ids, record) = (next()?, next()?, next()?, next()?);
            let fields = StoredFields {
                seq: seq.parse().map_err(|_| corrupt())?,
                appended_ts: appended_ts.parse().map_err(|_| corrupt())?,
                ids,
                record,
            };
            trusted_entry(community, fields)
        })
        .collect()
}

/// The columns of [`REPLAY_COLUMNS`] of one stored entry, borrowed.
struct StoredFields<'a> {
    seq: u64,
    appended_ts: i64,
    ids: &'a str,
    record: &'a str,
}

/// Rebuilds one stored entry without re-checking signatures.
fn trusted_entry(community: CommunityId, fields: StoredFields<'_>) -> Result<Entry, StoreError> {
    let StoredFields {
        seq,
        appended_ts,
        ids,
        record: text,
    } = fields;
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("entry {seq}: {what}: {e}"))
    };
    let record = Record::from_slice(text.as_bytes()).map_err(|e| corrupt("record", &e))?;
    let mut hex = [""; 5];
    let mut at = 0;
    for (slot, (column, width)) in hex.iter_mut().zip(REPLAY_IDS) {
        *slot = ids
            .get(at..at + width)
            .ok_or_else(|| corrupt(column, &format!("not {width} hex digits")))?;
        at += width;
    }
    if at != ids.len() {
        return Err(corrupt("ids", &"longer than its columns"));
    }
    let [entry_hash, prev_hash, record_id, record_sig, entry_sig] = hex;
    let signature = |column: &str, hex: &str| -> Result<Signature, StoreError> {
        Signature::from_hex(hex).ok_or_else(|| corrupt(column, &"not 64 bytes of hex"))
    };
    let record_id: RecordId = parse_id(seq, "record_id", record_id)?;
    let raw = RawEntry {
        header: EntryHeader {
            community,
            seq,
            prev: parse_id(seq, "prev_hash", prev_hash)?,
            record: record_id,
            ts: Timestamp(appended_ts),
        },
        record,
        record_signature: signature("record_sig", record_sig)?,
        signature: signature("entry_sig", entry_sig)?,
    };
    let hash = parse_id(seq, "entry_hash", entry_hash)?;
    Ok(raw.into_trusted(hash, record_id, text.as_bytes().to_vec()))
}

/// One id of entry `seq` from its hex digits.
fn parse_id<T: std::str::FromStr>(seq: u64, column: &str, hex: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    hex.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(format!("entry {seq}: {column}: {e}")))
}

fn log_row(row: &AnyRow) -> Result<LogRow, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    Ok(LogRow {
        community: parse_col(row, "community_id")?,
        seq: seq as u64,
        hash: parse_col(row, "entry_hash")?,
        prev: parse_col(row, "prev_hash")?,
        record_id: parse_col(row, "record_id")?,
        kind: row.try_get("kind")?,
        author: parse_col(row, "author")?,
        record_ts: Timestamp(row.try_get("record_ts")?),
        appended_ts: Timestamp(row.try_get("appended_ts")?),
        record: row.try_get("record")?,
        record_sig: row.try_get("record_sig")?,
        entry_sig: row.try_get("entry_sig")?,
    })
}

/// Rebuilds the unverified entry a stored row claims to be.
pub fn raw_entry(row: &LogRow) -> Result<RawEntry, StoreError> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("entry {}: {what}: {e}", row.seq))
    };
    let record = Record::from_slice(row.record.as_bytes()).map_err(|e| corrupt("record", &e))?;
    let signature = |text: &str| -> Result<Signature, StoreError> {
        Signature::from_hex(text).ok_or_else(|| corrupt("signature", &"not 64 bytes of hex"))
    };
    Ok(RawEntry {
        header: EntryHeader {
            community: row.community,
            seq: row.seq,
            prev: row.prev,
            record: row.record_id,
            ts: row.appended_ts,
        },
        record,
        record_signature: signature(&row.record_sig)?,
        signature: signature(&row.entry_sig)?,
    })
}
