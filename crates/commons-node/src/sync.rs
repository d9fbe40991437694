//! Replication as the node sees it: which communities it replicates, storing
//! entries that peers sent, serving ranges of its logs, deciding which peer
//! nodes may receive a community, and the network status the p2p layer
//! reports for operators.
//!
//! **Member node.** A private community's log goes only to its home node and
//! to nodes whose node key is an active member of it or holds an invitation
//! (a member with the right to invite invites the node key, e.g.
//! `commons community invite team <node key>`). Public communities go to
//! anyone. Local data never enters a log, so it is never offered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use commons_kernel::log::RawEntry;
use commons_kernel::{CommunityId, Entry, MemberStatus, PublicKey, SignedRecord, Visibility};
use commons_store::Known;
use commons_store::replicate::{ReplicateError, Replicated};
use tokio::sync::broadcast;

use crate::{Node, NodeError};

/// Per-node sync bookkeeping that lives beside the store.
pub(crate) struct SyncState {
    appended: broadcast::Sender<Vec<Entry>>,
    network: Mutex<Option<NetworkStatus>>,
    pub(crate) blob_fetcher: Mutex<Option<crate::blobs::BlobFetcher>>,
}

impl Default for SyncState {
    fn default() -> SyncState {
        SyncState {
            appended: broadcast::channel(1024).0,
            network: Mutex::new(None),
            blob_fetcher: Mutex::new(None),
        }
    }
}

/// A community this node replicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaInfo {
    /// The community.
    pub community: CommunityId,
    /// Whether it is public (followed communities are public by rule).
    pub public: bool,
    /// The local log length.
    pub next_seq: u64,
    /// Whether this node is its home.
    pub is_home: bool,
    /// Its home node's key (`None` while its log has not arrived).
    pub home: Option<PublicKey>,
}

/// What the node did with entries a peer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// Stored; the log now has `next_seq` entries.
    Applied {
        /// The new log length.
        next_seq: u64,
    },
    /// Already stored.
    Duplicate,
    /// They start after the local log's end.
    Gap {
        /// The local log length.
        next_seq: u64,
    },
    /// This node does not replicate the community.
    NotReplicated,
    /// Invalid: the peer is to blame.
    Invalid(String),
    /// This node failed to store them (not the peer's fault).
    Failed(String),
}

/// What the p2p layer reports, for `node info`, `peers`, `sync status` and
/// `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkStatus {
    /// This node's peer id.
    pub peer_id: String,
    /// Listen addresses.
    pub listen: Vec<String>,
    /// Connected peers: peer id and address.
    pub peers: Vec<(String, String)>,
    /// Per community: the longest log a peer reported.
    pub best_seq: BTreeMap<CommunityId, u64>,
    /// Per community: the last sync error.
    pub last_error: BTreeMap<CommunityId, String>,
    /// Counters by name.
    pub counters: BTreeMap<String, u64>,
}

/// One row of `commons sync status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunitySync {
    /// The community.
    pub community: CommunityId,
    /// Local log length.
    pub local_seq: u64,
    /// The longest log known (local or reported by a peer).
    pub best_seq: u64,
    /// Entries still to fetch.
    pub lag: u64,
    /// Whether this node is its home.
    pub is_home: bool,
    /// Writes queued for the home node.
    pub outbox: u64,
    /// The last sync error.
    pub last_error: Option<String>,
}

impl Node {
    /// The node key's secret bytes: the p2p layer derives the node's peer id
    /// from them, so the peer id is the node key.
    pub fn network_secret(&self) -> [u8; 32] {
        self.inner.node_key.to_bytes()
    }

    /// Entries this node appends from now on, batch by batch.
    pub fn appended(&self) -> broadcast::Receiver<Vec<Entry>> {
        self.inner.sync.appended.subscribe()
    }

    pub(crate) fn announce(&self, entries: &[Entry]) {
        if self.inner.sync.appended.receiver_count() > 0 {
            let _ = self.inner.sync.appended.send(entries.to_vec());
        }
    }

    /// The communities this node replicates: every log it holds (hosted or
    /// joined through a member node) and every community it follows.
    pub async fn replicated(&self) -> Result<Vec<ReplicaInfo>, NodeError> {
        let heads: BTreeMap<CommunityId, u64> = self
            .store()
            .log_heads()
            .await?
            .into_iter()
            .map(|(id, next_seq, _)| (id, next_seq))
            .collect();
        let mut ids: BTreeSet<CommunityId> = heads.keys().copied().collect();
        ids.extend(self.store().follows().await?.into_iter().map(|(id, _)| id));
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let info = self.store().community_info(id).await?;
            out.push(ReplicaInfo {
                community: id,
                // A followed community without its genesis yet is public:
                // following refuses private communities.
                public: info
                    .as_ref()
                    .is_none_or(|info| info.visibility == Visibility::Public),
                next_seq: heads.get(&id).copied().unwrap_or(0),
                is_home: info
                    .as_ref()
                    .is_some_and(|info| info.home == self.node_key()),
                home: info.map(|info| info.home),
            });
        }
        Ok(out)
    }

    /// Whether the node whose key is `peer` may receive `community`'s log:
    /// it is public, or `peer` is a member node (see the module docs).
    /// `false` for communities this node does not hold.
    pub async fn may_receive(
        &self,
        peer: PublicKey,
        community: CommunityId,
    ) -> Result<bool, NodeError> {
        let Some(info) = self.store().community_info(community).await? else {
            return Ok(false);
        };
        if info.visibility == Visibility::Public || info.home == peer {
            return Ok(true);
        }
        let member = self
            .store()
            .membership(community, peer)
            .await?
            .is_some_and(|m| m.status == MemberStatus::Active);
        Ok(member || self.store().is_invited(community, peer).await?)
    }

    /// Verifies and stores entries of `community` that `peer` sent.
    pub async fn accept_remote(
        &self,
        peer: PublicKey,
        community: CommunityId,
        entries: Vec<RawEntry>,
    ) -> RemoteOutcome {
        // Every entry a peer sends passes here: two indexed reads, not a
        // listing of every replicated community.
        let replicated = async {
            if self.store().holds_log(community).await? {
                return Ok::<bool, NodeError>(true);
            }
            Ok(self
                .store()
                .follows()
                .await?
                .iter()
                .any(|(id, _)| *id == community))
        };
        match replicated.await {
            Ok(true) => {}
            Ok(false) => return RemoteOutcome::NotReplicated,
            Err(error) => return RemoteOutcome::Failed(error.to_string()),
        }
        let range = entries
            .first()
            .zip(entries.last())
            .map(|(first, last)| (first.header.seq, last.header.seq));
        let outcome = self
            .store()
            .append_replicated(self.registry(), community, entries)
            .await;
        match outcome {
            Ok(Replicated::Applied { next_seq }) => {
                self.inner.snapshots.invalidate();
                if let Some((first, last)) = range {
                    self.alert_on_accepted(community, first, last).await;
                }
                let settled = match self.store().outbox_pending(community).await {
                    Ok(false) => Ok(0),
                    Ok(true) | Err(_) => self.store().settle_outbox(community).await,
                };
                if let Err(error) = settled {
                    tracing::warn!(%community, %error, "cannot settle the outbox");
                }
                RemoteOutcome::Applied { next_seq }
            }
            Ok(Replicated::Duplicate) => RemoteOutcome::Duplicate,
            Err(ReplicateError::Gap { next_seq, .. }) => RemoteOutcome::Gap { next_seq },
            Err(ReplicateError::Store(error)) => {
                tracing::error!(%community, %error, "storing entries from a peer failed");
                RemoteOutcome::Failed(error.to_string())
            }
            Err(error) => {
                tracing::warn!(%community, %peer, %error, "rejected entries from a peer");
                RemoteOutcome::Invalid(error.to_string())
            }
        }
    }

    /// Entries of `community` from `from` on, at most `limit`, and the log
    /// length, if `peer` may receive them.
    pub async fn serve_range(
        &self,
        peer: PublicKey,
        community: CommunityId,
        from: u64,
        limit: u32,
    ) -> Result<Option<(Vec<Entry>, u64)>, NodeError> {
        if !self.may_receive(peer, community).await? {
            return Ok(None);
        }
        let head = self
            .store()
            .log_heads()
            .await?
            .into_iter()
            .find(|(id, _, _)| *id == community)
            .map_or(0, |(_, next_seq, _)| next_seq);
        let rows = self.store().entries(community, from, limit).await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let raw = commons_store::log::raw_entry(&row)?;
            entries.push(raw.into_trusted(row.hash, row.record_id, row.record.into_bytes()));
        }
        Ok(Some((entries, head)))
    }

    /// Records what the p2p layer reports.
    pub fn set_network_status(&self, status: NetworkStatus) {
        *self
            .inner
            .sync
            .network
            .lock()
            .expect("the status lock is never held across a panic") = Some(status);
    }

    /// What the p2p layer last reported; `None` when it is not running.
    pub fn network_status(&self) -> Option<NetworkStatus> {
        self.inner
            .sync
            .network
            .lock()
            .expect("the status lock is never held across a panic")
            .clone()
    }

    /// Per replicated community: local and best known log length, lag and
    /// the last error.
    pub async fn sync_status(&self) -> Result<Vec<CommunitySync>, NodeError> {
        let network = self.network_status().unwrap_or_default();
        let outbox = self.outbox_counts().await?;
        Ok(self
            .replicated()
            .await?
            .into_iter()
            .map(|replica| {
                let best = network
                    .best_seq
                    .get(&replica.community)
                    .copied()
                    .unwrap_or(0)
                    .max(replica.next_seq);
                CommunitySync {
                    community: replica.community,
                    local_seq: replica.next_seq,
                    best_seq: best,
                    lag: best - replica.next_seq,
                    is_home: replica.is_home,
                    outbox: outbox.get(&replica.community).copied().unwrap_or(0),
                    last_error: network.last_error.get(&replica.community).cloned(),
                }
            })
            .collect())
    }
}

impl Node {
    /// This node's libp2p peer id, derived from the node key without
    /// libp2p: the base58 form of the identity multihash of the
    /// protobuf-encoded Ed25519 public key.
    pub fn peer_id(&self) -> String {
        let mut bytes = vec![0x00, 36, 0x08, 0x01, 0x12, 32];
        bytes.extend_from_slice(self.node_key().as_bytes());
        base58(&bytes)
    }

    pub(crate) fn node_info_json(&self) -> serde_json::Value {
        let network = self.network_status();
        serde_json::json!({
            "peer_id": self.peer_id(),
            "node_key": self.node_key(),
            "running": network.is_some(),
            "listen": network.map(|n| n.listen).unwrap_or_default(),
        })
    }

    pub(crate) fn peers_json(&self) -> serde_json::Value {
        let peers = self.network_status().map(|n| n.peers).unwrap_or_default();
        peers
            .into_iter()
            .map(|(peer_id, address)| serde_json::json!({ "peer_id": peer_id, "address": address }))
            .collect()
    }

    pub(crate) async fn sync_status_json(&self) -> Result<serde_json::Value, NodeError> {
        let mut rows = Vec::new();
        let pending = self.pending_writes(None).await?;
        for row in self.sync_status().await? {
            let name = self
                .store()
                .community(row.community)
                .await?
                .map(|summary| summary.info.name.to_string());
            rows.push(serde_json::json!({
                "community": row.community,
                "name": name,
                "is_home": row.is_home,
                "local_seq": row.local_seq,
                "best_seq": row.best_seq,
                "lag": row.lag,
                "outbox": row.outbox,
                "last_error": row.last_error,
                "pending": pending
                    .iter()
                    .filter(|p| p.community == row.community)
                    .map(crate::away::pending_json)
                    .collect::<Vec<_>>(),
            }));
        }
        Ok(serde_json::Value::Array(rows))
    }
}

/// Base58 (Bitcoin alphabet), as peer ids are written.
fn base58(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut digits: Vec<u8> = Vec::new();
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in &mut digits {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    std::iter::repeat_n('1', zeros)
        .chain(digits.iter().rev().map(|&d| ALPHABET[d as usize] as char))
        .collect()
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Appended here (this node is the community's home).
    Appended(Box<Entry>),
    /// Signed and queued for the home node; pending until it comes back.
    Queued(commons_kernel::RecordId),
}

/// Records waiting for one community's home node.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The community.
    pub community: CommunityId,
    /// Its home node's key.
    pub home: PublicKey,
    /// The records, oldest first.
    pub records: Vec<SignedRecord>,
}

impl Node {
    /// Signs a record as `user`; appends it when this node is the
    /// community's home, and otherwise queues it in the outbox for the home
    /// node (it shows as pending until its entry arrives through sync).
    pub async fn submit_or_queue(
        &self,
        user: &crate::User,
        community: CommunityId,
        kind: &str,
        body: serde_json::Value,
    ) -> Result<Submitted, NodeError> {
        match self.submit(user, community, kind, body, Vec::new()).await {
            Ok(entry) => Ok(Submitted::Appended(Box::new(entry))),
            Err(NodeError::Queued { records, .. }) => Ok(Submitted::Queued(
                records
                    .first()
                    .copied()
                    .expect("a queued submission names its record"),
            )),
            Err(error) => Err(error),
        }
    }

    /// Queued records per home node, for the p2p layer to forward. Records
    /// whose entries came back meanwhile are settled first.
    pub async fn outgoing(&self) -> Result<Vec<Outgoing>, NodeError> {
        let mut pending = self.store().outbox().await?;
        let communities: BTreeSet<CommunityId> = pending.iter().map(|p| p.community).collect();
        let mut settled = 0;
        for community in communities {
            settled += self.store().settle_outbox(community).await?;
        }
        if settled > 0 {
            pending = self.store().outbox().await?;
        }
        let mut by_community: BTreeMap<CommunityId, Vec<SignedRecord>> = BTreeMap::new();
        for pending in pending {
            by_community
                .entry(pending.community)
                .or_default()
                .push(pending.record);
        }
        let mut out = Vec::with_capacity(by_community.len());
        for (community, records) in by_community {
            let Some(info) = self.store().community_info(community).await? else {
                continue;
            };
            if info.home == self.node_key() {
                // The community moved here: what waited for its home is
                // appended now.
                for record in records {
                    self.append_pending(community, record).await;
                }
                continue;
            }
            out.push(Outgoing {
                community,
                home: info.home,
                records,
            });
        }
        Ok(out)
    }

    /// Records a peer forwards to this node: validated and appended like a
    /// local write when this node is the community's home, and otherwise
    /// checked and queued to relay them toward it. Records already in the
    /// log count as accepted (the forward was repeated).
    pub async fn accept_submission(
        &self,
        peer: PublicKey,
        community: CommunityId,
        records: Vec<SignedRecord>,
    ) -> Result<(), NodeError> {
        // The same record often arrives from several relays at once: the
        // append leaves out what another submission stored first.
        let ids: Vec<_> = records.iter().map(|record| record.id()).collect();
        let known = self.store().records_in_log(community, &ids).await?;
        let fresh: Vec<_> = records
            .into_iter()
            .filter(|record| !known.contains(&record.id()))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        tracing::debug!(%peer, %community, n = fresh.len(), "appending forwarded records");
        let appended = self.append_checked(community, fresh, Known::Skip).await;
        tracing::debug!(%peer, %community, outcome = ?appended.as_ref().map(Vec::len), "forwarded records handled");
        match appended {
            // Not the home node: relayed, kept in this node's outbox until
            // the entries come back.
            Ok(_) | Err(NodeError::Queued { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Pending outbox records per community.
    pub async fn outbox_counts(&self) -> Result<BTreeMap<CommunityId, u64>, NodeError> {
        let mut counts = BTreeMap::new();
        for pending in self.store().outbox().await? {
            *counts.entry(pending.community).or_default() += 1;
        }
        Ok(counts)
    }
}
