//! Blobs over the sync protocol: serving a blob's manifest and chunks to
//! peers that may receive its community, and fetching a blob from whichever
//! connected peer has it, one verified chunk at a time, moving on to the
//! next peer when one lacks it or fails. The node checks the manifest
//! against the blob id and each chunk against the manifest, and keeps the
//! chunks it has, so a fetch that stops resumes with what is missing.

use std::collections::{HashMap, HashSet};

use commons_kernel::CommunityId;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::{PeerId, Swarm};
use tokio::sync::oneshot;

use super::{Behaviour, Driver, Internal};
use crate::counters;
use crate::replica::{BlobManifest, Replica};
use crate::wire::{BlobPart, Request, Response};

type BlobKey = (CommunityId, [u8; 32]);

/// Blob fetches under way and the requests they wait for.
#[derive(Default)]
pub(super) struct Fetches {
    fetches: HashMap<BlobKey, Fetch>,
    requests: HashMap<OutboundRequestId, BlobKey>,
}

impl Fetches {
    /// Whether an outbound request is a blob request.
    pub(super) fn owns(&self, request: &OutboundRequestId) -> bool {
        self.requests.contains_key(request)
    }
}

struct Fetch {
    waiters: Vec<oneshot::Sender<Result<(), String>>>,
    tried: HashSet<PeerId>,
    peer: Option<PeerId>,
    missing: Vec<u32>,
}

/// What the node did with a part of a blob.
pub(super) enum Progress {
    Manifest(BlobKey, PeerId, Result<Vec<u32>, String>),
    Chunk(BlobKey, PeerId, Result<bool, String>),
}

impl<R: Replica> Driver<R> {
    pub(super) fn serve_blob(
        &mut self,
        key: commons_kernel::PublicKey,
        community: CommunityId,
        id: [u8; 32],
        part: BlobPart,
        channel: ResponseChannel<Response>,
    ) {
        let replica = self.replica.clone();
        let internal = self.internal_tx.clone();
        tokio::spawn(async move {
            let response = match part {
                BlobPart::Manifest => match replica.blob_manifest(key, community, id).await {
                    Some(manifest) => Response::BlobManifest {
                        size: manifest.size,
                        chunks: manifest
                            .chunks
                            .into_iter()
                            .map(serde_bytes::ByteArray::new)
                            .collect(),
                    },
                    None => Response::Denied("not available".into()),
                },
                BlobPart::Chunk(index) => {
                    match replica.blob_chunk(key, community, id, index).await {
                        Some(bytes) => Response::BlobChunk(serde_bytes::ByteBuf::from(bytes)),
                        None => Response::Denied("not available".into()),
                    }
                }
            };
            let _ = internal.send(Internal::Respond { channel, response });
        });
    }

    pub(super) fn fetch_blob(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        community: CommunityId,
        id: [u8; 32],
        done: oneshot::Sender<Result<(), String>>,
    ) {
        let key = (community, id);
        if let Some(fetch) = self.blobs.fetches.get_mut(&key) {
            fetch.waiters.push(done);
            return;
        }
        self.blobs.fetches.insert(
            key,
            Fetch {
                waiters: vec![done],
                tried: HashSet::new(),
                peer: None,
                missing: Vec::new(),
            },
        );
        self.next_blob_peer(swarm, key, None);
    }

    /// Asks the next untried peer (holders of the community first) for the
    /// manifest, or ends the fetch when none is left.
    fn next_blob_peer(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        key: BlobKey,
        failed: Option<String>,
    ) {
        let holders = self.holders.get(&key.0).cloned().unwrap_or_default();
        let Some(fetch) = self.blobs.fetches.get_mut(&key) else {
            return;
        };
        let mut candidates: Vec<PeerId> = self
            .connected
            .keys()
            .filter(|peer| !fetch.tried.contains(peer))
            .copied()
            .collect();
        candidates.sort_by_key(|peer| !holders.contains(peer));
        let Some(peer) = candidates.first().copied() else {
            let reason = failed.unwrap_or_else(|| "no connected peer has the blob".into());
            self.finish_blob(key, Err(reason));
            return;
        };
        fetch.tried.insert(peer);
        fetch.peer = Some(peer);
        let request = Request::Blob {
            community: key.0,
            id: serde_bytes::ByteArray::new(key.1),
            part: BlobPart::Manifest,
        };
        let id = swarm.behaviour_mut().sync.send_request(&peer, request);
        self.blobs.requests.insert(id, key);
    }

    fn request_chunk(&mut self, swarm: &mut Swarm<Behaviour>, key: BlobKey) {
        let Some(fetch) = self.blobs.fetches.get_mut(&key) else {
            return;
        };
        let (Some(peer), Some(index)) = (fetch.peer, fetch.missing.first().copied()) else {
            self.finish_blob(key, Ok(()));
            return;
        };
        let request = Request::Blob {
            community: key.0,
            id: serde_bytes::ByteArray::new(key.1),
            part: BlobPart::Chunk(index),
        };
        let id = swarm.behaviour_mut().sync.send_request(&peer, request);
        self.blobs.requests.insert(id, key);
    }

    fn finish_blob(&mut self, key: BlobKey, result: Result<(), String>) {
        self.report();
        if let Some(fetch) = self.blobs.fetches.remove(&key) {
            for waiter in fetch.waiters {
                let _ = waiter.send(result.clone());
            }
        }
    }

    /// Handles the answer to a blob request (`None`: the request failed).
    pub(super) fn on_blob_response(
        &mut self,
        swarm: &mut Swarm<Behaviour>,
        peer: PeerId,
        request: OutboundRequestId,
        response: Option<Response>,
    ) {
        let Some(key) = self.blobs.requests.remove(&request) else {
            return;
        };
        let replica = self.replica.clone();
        let internal = self.internal_tx.clone();
        match response {
            Some(Response::BlobManifest { size, chunks }) => {
                let manifest = BlobManifest {
                    size,
                    chunks: chunks.into_iter().map(|c| c.into_array()).collect(),
                };
                tokio::spawn(async move {
                    let result = replica.store_blob_manifest(key.0, key.1, manifest).await;
                    let _ = internal.send(Internal::Blob(Progress::Manifest(key, peer, result)));
                });
            }
            Some(Response::BlobChunk(bytes)) => {
                let Some(index) = self
                    .blobs
                    .fetches
                    .get(&key)
                    .and_then(|fetch| fetch.missing.first().copied())
                else {
                    return;
                };
                self.count(counters::BLOB_CHUNKS, 1);
                tokio::spawn(async move {
                    let result = replica
                        .store_blob_chunk(key.0, key.1, index, bytes.into_vec())
                        .await;
                    let _ = internal.send(Internal::Blob(Progress::Chunk(key, peer, result)));
                });
            }
            // Denied, failed or off-protocol: try the next peer.
            other => {
                let reason = match other {
                    Some(Response::Denied(reason)) => format!("{peer}: {reason}"),
                    _ => format!("{peer}: no answer"),
                };
                self.next_blob_peer(swarm, key, Some(reason));
            }
        }
    }

    pub(super) fn on_blob_progress(&mut self, swarm: &mut Swarm<Behaviour>, progress: Progress) {
        match progress {
            Progress::Manifest(key, _, Ok(missing)) => {
                if let Some(fetch) = self.blobs.fetches.get_mut(&key) {
                    fetch.missing = missing;
                }
                self.request_chunk(swarm, key);
            }
            Progress::Chunk(key, _, Ok(complete)) => {
                if let Some(fetch) = self.blobs.fetches.get_mut(&key)
                    && !fetch.missing.is_empty()
                {
                    fetch.missing.remove(0);
                }
                if complete {
                    self.finish_blob(key, Ok(()));
                } else {
                    self.request_chunk(swarm, key);
                }
            }
            Progress::Manifest(key, peer, Err(reason))
            | Progress::Chunk(key, peer, Err(reason)) => {
                // A peer that sends a manifest or chunk that does not verify
                // is penalized like one that sends a bad entry.
                self.count(counters::INVALID, 1);
                self.penalize(swarm, peer, format!("bad blob data: {reason}"));
                self.next_blob_peer(swarm, key, Some(reason));
            }
        }
    }
}
