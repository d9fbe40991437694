//! The sync outbox, a local table: records signed on this node for a
//! community whose home is another node, kept until their entries come back
//! through sync, so a write made offline survives restarts.

use commons_kernel::record::parse_wire;
use commons_kernel::{CommunityId, RecordId, SignedRecord};
use sqlx::Row;

use crate::{Store, StoreError, parse_col};

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
    /// Queues a signed record. Idempotent.
    pub async fn queue_outbox(&self, record: &SignedRecord, now_ms: i64) -> Result<(), StoreError> {
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records still waiting, oldest first.
    pub async fn outbox(&self) -> Result<Vec<Pending>, StoreError> {
        let rows = sqlx::query(
            "SELECT community_id, record, record_sig, created_ts FROM sync_outbox \
             ORDER BY created_ts, record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let record: String = row.try_get("record")?;
                let signature: String = row.try_get("record_sig")?;
                let wire = serde_json::json!({
                    "record": serde_json::from_str::<serde_json::Value>(&record)
                        .map_err(|e| StoreError::Corrupt(format!("outbox record: {e}")))?,
                    "signature": signature,
                });
                let (record, signature) = parse_wire(&wire)
                    .map_err(|e| StoreError::Corrupt(format!("outbox record: {e}")))?;
                let record = SignedRecord::verify(record, signature)
                    .map_err(|e| StoreError::Corrupt(format!("outbox record: {e}")))?;
                Ok(Pending {
                    community: parse_col(row, "community_id")?,
                    record,
                    created_ts: row.try_get("created_ts")?,
                })
            })
            .collect()
    }

    /// Drops outbox rows whose records are now in their community's log.
    /// Returns how many left.
    pub async fn settle_outbox(&self, community: CommunityId) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM sync_outbox WHERE community_id = $1 AND record_id IN \
             (SELECT record_id FROM log_entries WHERE community_id = $1)",
        )
        .bind(community.to_hex())
        .execute(&self.pool)
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
            "SELECT 1 AS one FROM log_entries WHERE community_id = $1 AND record_id = $2",
        )
        .bind(community.to_hex())
        .bind(id.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}
