//! Writes away from home: a record written on a node that is not its
//! community's home node is checked against the local copy of the community
//! (and the writes already queued for it), kept in the persistent outbox,
//! forwarded by the p2p layer to the home node — directly, or through a peer
//! that replicates the community and relays it — and shown as pending until
//! its entry comes back.
//!
//! A relay keeps a forwarded record in its own outbox like one written
//! locally, so it survives the relay's restarts too; both copies leave their
//! outboxes when the entry arrives.

use commons_kernel::{CommunityId, SignedRecord};
use serde_json::{Value, json};

use crate::{Node, NodeError, now};

/// A write waiting for its community's home node.
#[derive(Debug, Clone)]
pub struct PendingWrite {
    /// The community.
    pub community: CommunityId,
    /// The signed record.
    pub record: SignedRecord,
    /// When it was queued, ms since the epoch.
    pub queued_ts: i64,
}

impl Node {
    /// Checks `records` against the local copy of the community and queues
    /// them for its home node. The answer is always an error: `Queued` when
    /// they were queued, the reason otherwise.
    pub(crate) async fn queue_away(
        &self,
        community: CommunityId,
        records: Vec<SignedRecord>,
    ) -> NodeError {
        let queued = async {
            self.store()
                .check_away(self.registry(), community, &records, now())
                .await?;
            self.store().queue_outbox(&records, now().0).await?;
            Ok::<_, NodeError>(())
        };
        match queued.await {
            Ok(()) => NodeError::Queued {
                community,
                records: records.iter().map(SignedRecord::id).collect(),
            },
            Err(error) => error,
        }
    }

    /// Writes still waiting for their home node, oldest first; all
    /// communities or one.
    pub async fn pending_writes(
        &self,
        community: Option<CommunityId>,
    ) -> Result<Vec<PendingWrite>, NodeError> {
        let rows = match community {
            Some(community) => {
                self.store().settle_outbox(community).await?;
                self.store().queued(community).await?
            }
            None => self.store().outbox().await?,
        };
        Ok(rows
            .into_iter()
            .map(|pending| PendingWrite {
                community: pending.community,
                record: pending.record,
                queued_ts: pending.created_ts,
            })
            .collect())
    }
}

impl Node {
    /// Appends a queued record once this node is its community's home (the
    /// community moved here). A record the log now refuses leaves the
    /// outbox with a warning; one this node cannot yet append (it lacks the
    /// key) stays.
    pub(crate) async fn append_pending(&self, community: CommunityId, record: SignedRecord) {
        let id = record.id();
        match self.append(community, vec![record]).await {
            Ok(_) | Err(NodeError::Duplicate(_)) => {}
            Err(NodeError::Invalid(findings)) => {
                tracing::warn!(%community, record = %id, %findings, "a queued write is refused; dropped");
                if let Err(error) = self.store().drop_outbox(community, id).await {
                    tracing::warn!(%community, %error, "cannot drop a refused write");
                }
                return;
            }
            Err(error) => {
                tracing::debug!(%community, %error, "a queued write waits for the key");
                return;
            }
        }
        if let Err(error) = self.store().settle_outbox(community).await {
            tracing::warn!(%community, %error, "cannot settle the outbox");
        }
    }
}

/// The JSON of a pending write, as `sync status` and the API show it.
pub fn pending_json(pending: &PendingWrite) -> Value {
    let record = pending.record.record();
    json!({
        "record": pending.record.id(),
        "community": pending.community,
        "kind": record.kind.as_str(),
        "author": record.author,
        "ts": record.ts.0,
        "queued_ts": pending.queued_ts,
    })
}

/// The reply the CLI and the API give for a queued write.
pub fn queued_json(error: &NodeError) -> Option<Value> {
    let NodeError::Queued { community, records } = error else {
        return None;
    };
    Some(json!({
        "queued": true,
        "community": community,
        "records": records,
        "detail": error.to_string(),
    }))
}
