//! The sync outbox, a local table: records signed on this node for a
//! community whose home is another node, kept until their entries come back
//! through sync, so a write made offline survives restarts.

use std::collections::HashSet;

use commons_kernel::record::Record;
use commons_kernel::{CommunityId, Findings, RecordId, Signature, SignedRecord, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::log::{AppendError, MAX_CLOCK_SKEW_MS};
use crate::{Registry, Store, StoreError, parse_col};

/// A record waiting in the outbox.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The community.
    pub community: CommunityId,
    /// The signed record.
    pub record: SignedRecord,
    /// When it was queued, ms.
    pub created_ts: i64,
}

impl Store {
    /// Queues signed records, in one transaction. Idempotent.
    pub async fn queue_outbox(
        &self,
        records: &[SignedRecord],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        // Under the store's write lock like every other write: on SQLite a
        // write outside it, landing between the reads and the writes of an
        // append, made that append fail with SQLITE_BUSY_SNAPSHOT.
        let mut tx = self.write().await?;
        for record in records {
            let encoded = std::str::from_utf8(record.encoded())
                .expect("canonical encodings are written from Rust strings");
            sqlx::query(
                "INSERT INTO sync_outbox (community_id, record_id, record, record_sig, created_ts) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id, record_id) DO NOTHING",
            )
            .bind(record.record().community.to_hex())
            .bind(record.id().to_hex())
            .bind(encoded)
            .bind(record.signature().to_hex())
            .bind(now_ms)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await
    }

    /// Records still waiting, oldest first.
    pub async fn outbox(&self) -> Result<Vec<Pending>, StoreError> {
        let rows = sqlx::query(
            "SELECT community_id, record_id, record, record_sig, created_ts FROM sync_outbox \
             ORDER BY created_ts, record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pending_row).collect()
    }

    /// Drops outbox rows whose records are now in their community's log.
    /// Returns how many left. Costs one indexed read per queued record of
    /// `community`, whatever the log's length, and writes only when some
    /// came back.
    pub async fn settle_outbox(&self, community: CommunityId) -> Result<u64, StoreError> {
        const CAME_BACK: &str = "FROM sync_outbox WHERE community_id = $1 AND EXISTS \
             (SELECT 1 FROM log_entries l WHERE l.community_id = sync_outbox.community_id \
              AND unhex(l.record_id) = unhex(sync_outbox.record_id))";
        let any = sqlx::query(&format!("SELECT 1 AS one {CAME_BACK} LIMIT 1"))
            .bind(community.to_hex())
            .fetch_optional(&self.pool)
            .await?;
        if any.is_none() {
            return Ok(0);
        }
        let done = self
            .execute_write(sqlx::query(&format!("DELETE {CAME_BACK}")).bind(community.to_hex()))
            .await?;
        Ok(done.rows_affected())
    }

    /// Whether a record is in a community's log.
    pub async fn has_record(
        &self,
        community: CommunityId,
        id: RecordId,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM log_entries WHERE community_id = $1 AND unhex(record_id) = unhex($2)",
        )
        .bind(community.to_hex())
        .bind(id.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Which of `ids` are in a community's log, in a few statements.
    pub async fn records_in_log(
        &self,
        community: CommunityId,
        ids: &[RecordId],
    ) -> Result<HashSet<RecordId>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        crate::log::records_in_log(&mut conn, community, ids).await
    }

    /// Checks records written away from home against this node's copy of
    /// the community, as its home node will check them: each kind's schema
    /// and the community's rules, after the writes already queued for it
    /// (so a queued join lets the same member's next write through).
    /// Nothing is written; a record this refuses is never queued.
    pub async fn check_away(
        &self,
        registry: &Registry,
        community: CommunityId,
        records: &[SignedRecord],
        now: Timestamp,
    ) -> Result<(), AppendError> {
        self.settle_outbox(community).await?;
        let queued: Vec<SignedRecord> = self
            .outbox()
            .await?
            .into_iter()
            .filter(|pending| pending.community == community)
            .map(|pending| pending.record)
            .collect();
        let capability_of = |signed: &SignedRecord| {
            let record = signed.record();
            registry
                .get(record.kind.capability())
                .filter(|capability| {
                    capability
                        .kinds()
                        .iter()
                        .any(|spec| spec.kind == record.kind.as_str())
                })
                .cloned()
        };
        let ids: Vec<RecordId> = records.iter().map(SignedRecord::id).collect();
        let in_log = self.records_in_log(community, &ids).await?;
        let mut keys = Vec::new();
        let mut fresh = Vec::with_capacity(records.len());
        for (index, signed) in records.iter().enumerate() {
            let record = signed.record();
            if record.community != community {
                return Err(AppendError::WrongCommunity {
                    index,
                    expected: community,
                    found: record.community,
                });
            }
            let capability = capability_of(signed).ok_or_else(|| AppendError::UnknownKind {
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
            if in_log.contains(&signed.id()) {
                return Err(AppendError::Duplicate {
                    index,
                    id: signed.id(),
                });
            }
            keys.push(record.author);
            keys.extend(capability.subjects(record));
            fresh.push(capability);
        }
        let earlier: Vec<_> = queued
            .iter()
            .filter(|signed| records.iter().all(|r| r.id() != signed.id()))
            .filter_map(|signed| Some((signed, capability_of(signed)?)))
            .collect();
        for (signed, capability) in &earlier {
            keys.push(signed.record().author);
            keys.extend(capability.subjects(signed.record()));
        }
        let mut conn = self.pool.acquire().await.map_err(StoreError::from)?;
        let Some(head) = crate::log::load_head(&mut conn, false, community).await? else {
            return Err(AppendError::UnknownCommunity(community));
        };
        let mut ctx = crate::community::load_context(&mut conn, community, &keys).await?;
        let mut seq = head.next_seq;
        // Earlier queued writes the home node will see first; one the home
        // node will refuse changes nothing here either.
        for (signed, capability) in &earlier {
            ctx.seq = seq;
            if capability.validate(&ctx, signed.record()).is_ok()
                && capability.apply(&mut ctx, signed.record()).is_ok()
            {
                seq += 1;
            }
        }
        for (index, (signed, capability)) in records.iter().zip(&fresh).enumerate() {
            ctx.seq = seq;
            let invalid = |findings| AppendError::Invalid { index, findings };
            capability
                .validate(&ctx, signed.record())
                .map_err(invalid)?;
            capability
                .apply(&mut ctx, signed.record())
                .map_err(invalid)?;
            seq += 1;
        }
        Ok(())
    }

    /// The records queued for one community, oldest first.
    pub async fn queued(&self, community: CommunityId) -> Result<Vec<Pending>, StoreError> {
        Ok(self
            .outbox()
            .await?
            .into_iter()
            .filter(|pending| pending.community == community)
            .collect())
    }
}

/// Rebuilds a queued record. It was verified before it was queued, so its
/// signature is not checked again on every read of the outbox.
fn pending_row(row: &AnyRow) -> Result<Pending, StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("outbox record: {e}"));
    let text: &str = row.try_get("record")?;
    let record = Record::from_slice(text.as_bytes()).map_err(|e| corrupt(&e))?;
    let signature: &str = row.try_get("record_sig")?;
    let signature = Signature::from_hex(signature).ok_or_else(|| corrupt(&"bad signature hex"))?;
    Ok(Pending {
        community: parse_col(row, "community_id")?,
        record: SignedRecord::trusted(
            record,
            parse_col(row, "record_id")?,
            signature,
            text.as_bytes().to_vec(),
        ),
        created_ts: row.try_get("created_ts")?,
    })
}
