//! Blobs by hash: content-addressed files in the data directory, fetched
//! from peers in verified chunks.
//!
//! A blob is cut into chunks of [`CHUNK_BYTES`]; its manifest is the list of
//! the chunks' BLAKE3 hashes, and its id is the BLAKE3 hash of the manifest
//! (a hash tree of depth one). A receiver checks the manifest against the id
//! and every chunk against the manifest as it arrives, so any peer may serve
//! a blob, and a fetch cut short resumes with the chunks still missing.
//! Blobs are kept per community (`blobs/<community>/<id>/`), and a peer is
//! served a community's blobs only if it may receive that community's log:
//! a private community's blobs go to its member nodes only. A record
//! references a blob by writing its id (64 hex characters) in its body.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use commons_kernel::{CommunityId, PublicKey};

use crate::{Node, NodeError, User};

/// How the node asks the running p2p layer for a blob it lacks.
pub type BlobFetcher = Arc<
    dyn Fn(
            CommunityId,
            [u8; 32],
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync,
>;

/// Bytes per chunk.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// The largest blob accepted, in bytes.
pub const MAX_BLOB_BYTES: u64 = 256 * 1024 * 1024;

/// A blob's manifest: its size and its chunks' hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of each chunk, in order.
    pub chunks: Vec<[u8; 32]>,
}

impl Manifest {
    /// The manifest of `bytes`.
    pub fn of(bytes: &[u8]) -> Manifest {
        Manifest {
            size: bytes.len() as u64,
            chunks: bytes
                .chunks(CHUNK_BYTES)
                .map(|chunk| *blake3::hash(chunk).as_bytes())
                .collect(),
        }
    }

    /// The blob id: BLAKE3 over the size and the chunk hashes.
    pub fn id(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.size.to_le_bytes());
        for chunk in &self.chunks {
            hasher.update(chunk);
        }
        *hasher.finalize().as_bytes()
    }

    /// Whether the chunk count fits the size.
    fn is_consistent(&self) -> bool {
        self.size <= MAX_BLOB_BYTES
            && self.chunks.len() as u64 == self.size.div_ceil(CHUNK_BYTES as u64)
    }

    fn chunk_len(&self, index: usize) -> usize {
        let start = index * CHUNK_BYTES;
        (self.size as usize - start).min(CHUNK_BYTES)
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = self.size.to_le_bytes().to_vec();
        for chunk in &self.chunks {
            out.extend_from_slice(chunk);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Manifest> {
        let (size, rest) = bytes.split_first_chunk::<8>()?;
        if rest.len() % 32 != 0 {
            return None;
        }
        Some(Manifest {
            size: u64::from_le_bytes(*size),
            chunks: rest
                .chunks(32)
                .map(|c| c.try_into().expect("32-byte chunks"))
                .collect(),
        })
    }
}

impl Node {
    fn blob_dir(&self, community: CommunityId, id: &[u8; 32]) -> PathBuf {
        self.inner
            .data_dir
            .join("blobs")
            .join(community.to_hex())
            .join(hex::encode(id))
    }

    async fn held(&self, community: CommunityId) -> Result<(), NodeError> {
        if self.store().community(community).await?.is_none() {
            return Err(NodeError::NotFound {
                what: "community",
                name: community.to_hex(),
            });
        }
        Ok(())
    }

    /// Stores a blob for a community this node holds; returns its id.
    pub async fn put_blob(
        &self,
        community: CommunityId,
        bytes: &[u8],
    ) -> Result<[u8; 32], NodeError> {
        self.held(community).await?;
        if bytes.len() as u64 > MAX_BLOB_BYTES {
            return Err(NodeError::BadInput(format!(
                "a blob holds at most {MAX_BLOB_BYTES} bytes"
            )));
        }
        let manifest = Manifest::of(bytes);
        let id = manifest.id();
        self.store_blob_manifest(community, &id, &manifest).await?;
        for (index, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
            self.store_blob_chunk(community, &id, index as u32, chunk)
                .await?;
        }
        Ok(id)
    }

    /// A blob's bytes, when every chunk is here.
    pub async fn blob(
        &self,
        community: CommunityId,
        id: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, NodeError> {
        let Some(manifest) = self.read_manifest(community, id).await else {
            return Ok(None);
        };
        let dir = self.blob_dir(community, id);
        let mut out = Vec::with_capacity(manifest.size as usize);
        for index in 0..manifest.chunks.len() {
            match tokio::fs::read(dir.join(index.to_string())).await {
                Ok(chunk) => out.extend_from_slice(&chunk),
                Err(_) => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    async fn read_manifest(&self, community: CommunityId, id: &[u8; 32]) -> Option<Manifest> {
        let bytes = tokio::fs::read(self.blob_dir(community, id).join("manifest"))
            .await
            .ok()?;
        Manifest::decode(&bytes).filter(|m| m.id() == *id)
    }

    /// The manifest of a blob, if `peer` may receive the community and this
    /// node has the manifest.
    pub async fn serve_blob_manifest(
        &self,
        peer: PublicKey,
        community: CommunityId,
        id: &[u8; 32],
    ) -> Result<Option<Manifest>, NodeError> {
        if !self.may_receive(peer, community).await? {
            return Ok(None);
        }
        Ok(self.read_manifest(community, id).await)
    }

    /// One chunk of a blob, if `peer` may receive the community and this node
    /// has that chunk.
    pub async fn serve_blob_chunk(
        &self,
        peer: PublicKey,
        community: CommunityId,
        id: &[u8; 32],
        index: u32,
    ) -> Result<Option<Vec<u8>>, NodeError> {
        if !self.may_receive(peer, community).await? {
            return Ok(None);
        }
        let path = self.blob_dir(community, id).join(index.to_string());
        Ok(tokio::fs::read(path).await.ok())
    }

    /// Stores a manifest a peer sent after checking it against the id;
    /// returns the indexes of the chunks still missing.
    pub async fn store_blob_manifest(
        &self,
        community: CommunityId,
        id: &[u8; 32],
        manifest: &Manifest,
    ) -> Result<Vec<u32>, NodeError> {
        self.held(community).await?;
        if manifest.id() != *id || !manifest.is_consistent() {
            return Err(NodeError::BadInput(
                "the manifest does not match the blob id".into(),
            ));
        }
        let dir = self.blob_dir(community, id);
        let io = |e: std::io::Error| NodeError::BadInput(format!("cannot write the blob: {e}"));
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        tokio::fs::write(dir.join("manifest"), manifest.encode())
            .await
            .map_err(io)?;
        let mut missing = Vec::new();
        for index in 0..manifest.chunks.len() {
            if !tokio::fs::try_exists(dir.join(index.to_string()))
                .await
                .unwrap_or(false)
            {
                missing.push(index as u32);
            }
        }
        Ok(missing)
    }

    /// Stores one chunk after checking it against the manifest; returns
    /// whether the blob is now complete.
    pub async fn store_blob_chunk(
        &self,
        community: CommunityId,
        id: &[u8; 32],
        index: u32,
        bytes: &[u8],
    ) -> Result<bool, NodeError> {
        let manifest = self
            .read_manifest(community, id)
            .await
            .ok_or_else(|| NodeError::BadInput("no manifest for this blob".into()))?;
        let i = index as usize;
        let expected = manifest
            .chunks
            .get(i)
            .ok_or_else(|| NodeError::BadInput(format!("chunk {index} is out of range")))?;
        if bytes.len() != manifest.chunk_len(i) || *blake3::hash(bytes).as_bytes() != *expected {
            return Err(NodeError::BadInput(format!(
                "chunk {index} does not match its hash"
            )));
        }
        let dir = self.blob_dir(community, id);
        let io = |e: std::io::Error| NodeError::BadInput(format!("cannot write the blob: {e}"));
        // Written aside and renamed, so a crash never leaves a torn chunk.
        let part = dir.join(format!("{index}.part"));
        tokio::fs::write(&part, bytes).await.map_err(io)?;
        tokio::fs::rename(&part, dir.join(index.to_string()))
            .await
            .map_err(io)?;
        for index in 0..manifest.chunks.len() {
            if !tokio::fs::try_exists(dir.join(index.to_string()))
                .await
                .unwrap_or(false)
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Node {
    /// Lets the running p2p layer fetch blobs this node lacks.
    pub fn set_blob_fetcher(&self, fetcher: BlobFetcher) {
        *self
            .inner
            .sync
            .blob_fetcher
            .lock()
            .expect("the fetcher lock is never held across a panic") = Some(fetcher);
    }

    /// Stores the file at `path` as a blob of a community `user` can see;
    /// returns the blob id, hex, for records to reference.
    pub async fn add_blob_file(
        &self,
        user: &User,
        community: &str,
        path: &Path,
    ) -> Result<String, NodeError> {
        let view = self.community(community, Some(user)).await?;
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| NodeError::BadInput(format!("cannot read {}: {e}", path.display())))?;
        Ok(hex::encode(self.put_blob(view.id, &bytes).await?))
    }

    /// Writes a blob of a community `user` can see to `out`, fetching it
    /// from peers first when it is not here. Returns its size.
    pub async fn get_blob_file(
        &self,
        user: &User,
        community: &str,
        id: &str,
        out: &Path,
    ) -> Result<u64, NodeError> {
        let view = self.community(community, Some(user)).await?;
        let id: [u8; 32] = hex::decode(id)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| NodeError::BadInput("a blob id is 64 hex characters".into()))?;
        if self.blob(view.id, &id).await?.is_none() {
            let fetcher = self
                .inner
                .sync
                .blob_fetcher
                .lock()
                .expect("the fetcher lock is never held across a panic")
                .clone();
            let Some(fetcher) = fetcher else {
                return Err(NodeError::NotFound {
                    what: "blob",
                    name: format!(
                        "{} (not here, and the node is not running to fetch it)",
                        hex::encode(id)
                    ),
                });
            };
            fetcher(view.id, id)
                .await
                .map_err(|reason| NodeError::NotFound {
                    what: "blob",
                    name: format!("{} ({reason})", hex::encode(id)),
                })?;
        }
        let bytes = self
            .blob(view.id, &id)
            .await?
            .ok_or_else(|| NodeError::NotFound {
                what: "blob",
                name: hex::encode(id),
            })?;
        let mut file = std::fs::OpenOptions::new();
        file.write(true).create_new(true);
        std::io::Write::write_all(
            &mut file.open(out).map_err(|e| {
                NodeError::BadInput(format!(
                    "cannot create {}: {e} (it must not exist yet)",
                    out.display()
                ))
            })?,
            &bytes,
        )
        .map_err(|e| NodeError::BadInput(format!("cannot write {}: {e}", out.display())))?;
        Ok(bytes.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_name_their_chunks() {
        let bytes = vec![7u8; CHUNK_BYTES * 2 + 10];
        let manifest = Manifest::of(&bytes);
        assert_eq!(manifest.chunks.len(), 3);
        assert_eq!(manifest.chunk_len(2), 10);
        assert!(manifest.is_consistent());
        assert_eq!(Manifest::decode(&manifest.encode()), Some(manifest.clone()));
        let mut lying = manifest.clone();
        lying.size += 1;
        assert_ne!(lying.id(), manifest.id());
        assert_eq!(Manifest::of(&[]).chunks.len(), 0);
    }
}
