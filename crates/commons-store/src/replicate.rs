//! Storing entries that peers sent: the replica's write path into a log.
//!
//! A replica never seals entries; it checks what the home node sealed. A
//! batch of consecutive entries is verified against the stored head (chain,
//! community and author signatures), then against the community's policy
//! with the same validators the home node ran, then inserted and reduced in
//! one transaction. Entries already stored are skipped when they are the
//! same bytes and refused as a fork when they are not.

use commons_kernel::log::{ChainError, ChainVerifier, RawEntry};
use commons_kernel::{CommunityId, EntryHash, Findings, PublicKey};
use sqlx::Row;

use crate::capability::Registry;
use crate::log::{insert_entries, load_head, one_run, reduce_batch};
use crate::{Backend, Store, StoreError, community, parse_col};

/// What storing a batch from a peer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicated {
    /// New entries were stored; the log now has `next_seq` entries.
    Applied {
        /// The new log length.
        next_seq: u64,
    },
    /// Every entry was already stored.
    Duplicate,
}

/// Why a batch from a peer was not stored. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicateError {
    /// The batch starts after the end of the local log.
    #[error("entries start at {found}, but the log ends before {next_seq}")]
    Gap {
        /// The local log length.
        next_seq: u64,
        /// The first sequence number received.
        found: u64,
    },
    /// An entry differs from the stored entry at its position.
    #[error("entry {seq} differs from the stored entry (a fork or a tampered copy)")]
    Fork {
        /// The position.
        seq: u64,
    },
    /// The genesis entry does not derive the community id.
    #[error("the genesis entry does not carry the key of community {0}")]
    WrongGenesis(CommunityId),
    /// The chain, a signature or the record encoding is bad.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// No registered capability owns an entry's kind.
    #[error("entry {seq} has kind {kind}, which this node does not run")]
    UnknownKind {
        /// The position.
        seq: u64,
        /// The kind.
        kind: String,
    },
    /// An entry breaks the community's rules.
    #[error("entry {seq} breaks the community's rules: {findings}")]
    Invalid {
        /// The position.
        seq: u64,
        /// What is wrong.
        findings: Findings,
    },
    /// The batch names no entries or mixes communities.
    #[error("{0}")]
    Malformed(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ReplicateError {
    fn from(error: sqlx::Error) -> ReplicateError {
        ReplicateError::Store(StoreError::Database(error))
    }
}

impl Store {
    /// Whether this node holds a log of `community` (an index lookup; the
    /// community summary counts members and is too slow for every entry).
    pub async fn holds_log(&self, community: CommunityId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT next_seq FROM log_heads WHERE community_id = $1")
            .bind(community.to_hex())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Whether records of `community` wait in the outbox: a read, so that
    /// storing entries from peers takes no second write transaction to
    /// settle an outbox that is empty (nearly always).
    pub async fn outbox_pending(&self, community: CommunityId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM sync_outbox WHERE community_id = $1 LIMIT 1")
            .bind(community.to_hex())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Verifies consecutive entries of `community` received from a peer and
    /// stores the ones after the local head, reducing them in the same
    /// transaction. All or nothing.
    pub async fn append_replicated(
        &self,
        registry: &Registry,
        community: CommunityId,
        raws: Vec<RawEntry>,
    ) -> Result<Replicated, ReplicateError> {
        let Some(first) = raws.first() else {
            return Err(ReplicateError::Malformed("no entries".into()));
        };
        let first_seq = first.header.seq;
        for (idx, raw) in raws.iter().enumerate() {
            if raw.header.community != community || raw.header.seq != first_seq + idx as u64 {
                return Err(ReplicateError::Malformed(
                    "entries must be consecutive entries of one community".into(),
                ));
            }
        }
        let mut tx = self.write().await?;
        let conn = tx.conn();
        let head = load_head(conn, self.backend == Backend::Postgres, community).await?;
        let (next_seq, prev, key) = match &head {
            Some(head) => (head.next_seq, head.hash, Some(head.key)),
            None => (0, EntryHash::GENESIS, None),
        };

        // Entries already stored must be the very same entries.
        if first_seq < next_seq {
            let last_stored = (first_seq + raws.len() as u64).min(next_seq);
            let rows = sqlx::query(
                "SELECT seq, entry_hash FROM log_entries \
                 WHERE community_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq",
            )
            .bind(community.to_hex())
            .bind(first_seq as i64)
            .bind(last_stored as i64)
            .fetch_all(&mut *conn)
            .await?;
            for (raw, row) in raws.iter().zip(&rows) {
                let stored: EntryHash = parse_col(row, "entry_hash")?;
                if raw.header.hash() != stored {
                    let seq: i64 = row.try_get("seq")?;
                    return Err(ReplicateError::Fork { seq: seq as u64 });
                }
            }
        }
        let fresh: Vec<RawEntry> = raws
            .into_iter()
            .filter(|raw| raw.header.seq >= next_seq)
            .collect();
        let Some(first) = fresh.first() else {
            return Ok(Replicated::Duplicate);
        };
        if first.header.seq != next_seq {
            return Err(ReplicateError::Gap {
                next_seq,
                found: first.header.seq,
            });
        }
        let key = match key {
            Some(key) => key,
            None => genesis_key(community, first)?,
        };

        let entries = ChainVerifier::resume(key, next_seq, prev).check_all(fresh)?;

        let mut keys = Vec::with_capacity(entries.len() * 2);
        let mut capabilities = Vec::with_capacity(entries.len());
        for entry in &entries {
            let record = entry.record().record();
            let capability = registry
                .get(record.kind.capability())
                .filter(|capability| {
                    capability
                        .kinds()
                        .iter()
                        .any(|spec| spec.kind == record.kind.as_str())
                })
                .ok_or_else(|| ReplicateError::UnknownKind {
                    seq: entry.seq(),
                    kind: record.kind.to_string(),
                })?;
            keys.push(record.author);
            keys.extend(capability.subjects(record));
            capabilities.push(capability);
        }
        let mut ctx = community::load_context(conn, community, &keys).await?;
        let before = one_run(&capabilities).then(|| ctx.clone());
        for (entry, capability) in entries.iter().zip(&capabilities) {
            ctx.seq = entry.seq();
            let invalid = |findings| ReplicateError::Invalid {
                seq: entry.seq(),
                findings,
            };
            let record = entry.record().record();
            capability.validate(&ctx, record).map_err(invalid)?;
            capability.apply(&mut ctx, record).map_err(invalid)?;
        }

        insert_entries(conn, &entries).await?;
        reduce_batch(conn, registry, &entries, before.as_ref(), &ctx).await?;
        let bytes: i64 = entries
            .iter()
            .map(|entry| entry.record().encoded().len() as i64)
            .sum();
        let last = entries.last().expect("at least one fresh entry");
        let new_next = last.seq() + 1;
        sqlx::query(
            "INSERT INTO log_heads (community_id, community_key, next_seq, head_hash, bytes) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (community_id) DO UPDATE SET next_seq = $3, head_hash = $4, \
             bytes = log_heads.bytes + $5",
        )
        .bind(community.to_hex())
        .bind(key.to_hex())
        .bind(new_next as i64)
        .bind(last.hash().to_hex())
        .bind(bytes)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(Replicated::Applied { next_seq: new_next })
    }
}

/// The community key a genesis entry names, checked against the id (which
/// is derived from the key, so a peer cannot pass off another log as this
/// community's).
fn genesis_key(community: CommunityId, genesis: &RawEntry) -> Result<PublicKey, ReplicateError> {
    if genesis.header.seq != 0 || genesis.record.kind.as_str() != "community.create" {
        return Err(ReplicateError::WrongGenesis(community));
    }
    let key: PublicKey = genesis
        .record
        .body
        .get("key")
        .and_then(serde_json::Value::as_str)
        .and_then(|text| text.parse().ok())
        .ok_or(ReplicateError::WrongGenesis(community))?;
    if key.community_id() != community {
        return Err(ReplicateError::WrongGenesis(community));
    }
    Ok(key)
}
