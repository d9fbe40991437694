//! Submitting records to community logs, reading logs back, verifying and
//! replaying them.

use commons_kernel::record::parse_wire;
use commons_kernel::{CommunityId, Entry, Kind, Record, RecordId, SecretKey, SignedRecord};
use commons_store::{Known, LogRow, VerifyReport};
use serde_json::Value;

use crate::accounts::User;
use crate::{Node, NodeError, now};

impl Node {
    /// Signs a record as `user` and appends it to the community's log.
    pub async fn submit(
        &self,
        user: &User,
        community: CommunityId,
        kind: &str,
        body: Value,
        refs: Vec<RecordId>,
    ) -> Result<Entry, NodeError> {
        if user.disabled {
            return Err(NodeError::Forbidden("this account is disabled".into()));
        }
        let kind = Kind::parse(kind).map_err(|e| NodeError::BadInput(e.to_string()))?;
        let record = Record {
            kind,
            community,
            author: user.public_key,
            ts: now(),
            body,
            refs,
        };
        let secret = self.user_secret(user).await?;
        let signed =
            SignedRecord::sign(record, &secret).map_err(|e| NodeError::BadInput(e.to_string()))?;
        let mut entries = self.append(community, vec![signed]).await?;
        Ok(entries.pop().expect("one record appended gives one entry"))
    }

    /// Appends a record signed elsewhere, given in wire form.
    pub async fn submit_signed(&self, wire: &Value) -> Result<Entry, NodeError> {
        let (record, signature) =
            parse_wire(wire).map_err(|e| NodeError::BadInput(e.to_string()))?;
        let community = record.community;
        let signed = SignedRecord::verify(record, signature)
            .map_err(|e| NodeError::BadInput(e.to_string()))?;
        let mut entries = self.append(community, vec![signed]).await?;
        Ok(entries.pop().expect("one record appended gives one entry"))
    }

    /// Appends verified records to a community this node is home for, all
    /// or nothing. Away from home they are checked and queued for the home
    /// node instead, and the answer is [`NodeError::Queued`].
    pub async fn append(
        &self,
        community: CommunityId,
        records: Vec<SignedRecord>,
    ) -> Result<Vec<Entry>, NodeError> {
        self.append_checked(community, records, Known::Refuse).await
    }

    /// [`Node::append`], with records already in the log refused or, with
    /// [`Known::Skip`], left out (see `Store::append_checked`); returns the
    /// new entries.
    pub async fn append_checked(
        &self,
        community: CommunityId,
        records: Vec<SignedRecord>,
        known: Known,
    ) -> Result<Vec<Entry>, NodeError> {
        let key = match self.community_secret(community).await {
            Ok(key) => key,
            Err(NodeError::NotHome(_)) => return Err(self.queue_away(community, records).await),
            Err(error) => return Err(error),
        };
        let entries = self
            .store()
            .append_checked(self.registry(), &key, records, now(), known)
            .await?;
        self.inner.snapshots.invalidate();
        self.announce(&entries);
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            self.alert_on_accepted(community, first.seq(), last.seq())
                .await;
        }
        Ok(entries)
    }

    pub(crate) async fn community_secret(
        &self,
        community: CommunityId,
    ) -> Result<SecretKey, NodeError> {
        // The home is the node the log names (genesis or the last
        // `community.home`); holding the key is not enough.
        let home = self.store().home_node(community).await?;
        match (self.store().community_secret(community).await?, home) {
            (Some(wrapped), Some(home)) if home == self.node_key() => {
                Ok(self.inner.wrap.unwrap(&wrapped)?)
            }
            // Created here a moment ago: the genesis entry is being written.
            (Some(wrapped), None) => Ok(self.inner.wrap.unwrap(&wrapped)?),
            (_, Some(_)) => Err(NodeError::NotHome(community.to_hex())),
            (None, None) => Err(NodeError::NotFound {
                what: "community",
                name: community.to_hex(),
            }),
        }
    }

    /// Entries from `from` on, at most `limit`, if the viewer may see the community.
    pub async fn log(
        &self,
        id_or_name: &str,
        viewer: Option<&User>,
        from: u64,
        limit: u32,
    ) -> Result<Vec<LogRow>, NodeError> {
        let view = self.community(id_or_name, viewer).await?;
        Ok(self.store().entries(view.id, from, limit.min(1000)).await?)
    }

    /// The newest entries, newest first.
    pub async fn recent_log(
        &self,
        id_or_name: &str,
        viewer: Option<&User>,
        limit: u32,
    ) -> Result<Vec<LogRow>, NodeError> {
        let view = self.community(id_or_name, viewer).await?;
        if limit <= crate::snapshots::SNAPSHOT_ENTRIES
            && let Some(snapshot) = self.snapshot(view.id).await?
        {
            return Ok(self
                .recent_of(&snapshot)
                .await?
                .iter()
                .take(limit as usize)
                .cloned()
                .collect());
        }
        Ok(self
            .store()
            .recent_entries(view.id, limit.min(1000))
            .await?)
    }

    /// Verifies one community's log, or every log when `community` is `None`.
    pub async fn verify(&self, community: Option<&str>) -> Result<Vec<VerifyReport>, NodeError> {
        let ids = match community {
            Some(id_or_name) => vec![self.resolve_community(id_or_name).await?],
            None => self
                .store()
                .log_heads()
                .await?
                .into_iter()
                .map(|(id, _, _)| id)
                .collect(),
        };
        let mut reports = Vec::with_capacity(ids.len());
        for id in ids {
            reports.push(self.store().verify(id).await?);
        }
        Ok(reports)
    }

    /// Rebuilds every projection from the logs; returns the entries replayed.
    pub async fn replay(&self) -> Result<u64, NodeError> {
        let replayed = self.store().replay(self.registry()).await?;
        self.inner.snapshots.invalidate();
        Ok(replayed)
    }

    /// Log lengths in entries and bytes, per community (for metrics).
    pub async fn log_sizes(&self) -> Result<Vec<(CommunityId, u64, u64)>, NodeError> {
        Ok(self.store().log_heads().await?)
    }

    /// Writes a consistent copy of the SQLite database to `path`.
    pub async fn backup(&self, path: &std::path::Path) -> Result<(), NodeError> {
        if path.exists() {
            return Err(NodeError::Conflict(format!(
                "{} exists; choose a new file",
                path.display()
            )));
        }
        let path = path
            .to_str()
            .ok_or_else(|| NodeError::BadInput("the backup path is not UTF-8".into()))?;
        if self.backend() != crate::Backend::Sqlite {
            return Err(NodeError::BadInput(
                "backup copies the embedded SQLite database; for PostgreSQL use pg_dump (see README)".into(),
            ));
        }
        Ok(self.store().backup_sqlite(path).await?)
    }
}

impl Node {
    /// Appends records signed elsewhere (wire form), verifying all author
    /// signatures in one batch first; all or nothing. This is the bulk import
    /// path and what the append benchmark measures.
    pub async fn append_wire_batch(
        &self,
        community: CommunityId,
        wires: &[Value],
    ) -> Result<Vec<Entry>, NodeError> {
        use rayon::prelude::*;

        let parse = |(index, wire): (usize, &Value)| {
            let (record, signature) = parse_wire(wire)
                .map_err(|e| NodeError::BadInput(format!("record {index}: {e}")))?;
            SignedRecord::unverified(record, signature)
                .map_err(|e| NodeError::BadInput(format!("record {index}: {e}")))
        };
        // Parsing, encoding and hashing are independent per record: a large
        // batch spreads them over the cores like the signature checks below.
        let unverified = if wires.len() < 64 {
            wires
                .iter()
                .enumerate()
                .map(parse)
                .collect::<Result<Vec<_>, NodeError>>()?
        } else {
            wires
                .par_iter()
                .enumerate()
                .map(parse)
                .collect::<Result<Vec<_>, NodeError>>()?
        };
        let parts: Vec<(
            &[u8],
            &commons_kernel::Signature,
            &commons_kernel::PublicKey,
        )> = unverified.iter().map(|record| record.parts()).collect();
        if let Err(index) = commons_kernel::keys::verify_batch(&parts) {
            return Err(NodeError::BadInput(format!(
                "record {index}: signature does not verify"
            )));
        }
        let records = unverified
            .into_iter()
            .map(|record| record.into_verified())
            .collect();
        self.append(community, records).await
    }
}
