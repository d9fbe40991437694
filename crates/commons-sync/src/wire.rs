//! The wire format: log entries as compact CBOR, the gossip payload, and the
//! request-response messages of the `/commons/sync/1` protocol.
//!
//! Only this module knows how an entry looks on the wire. An entry travels
//! as its header fields, the record's canonical bytes and the two signatures;
//! the record id and the entry hash are recomputed by the receiver, never
//! trusted from the sender.

use commons_kernel::log::RawEntry;
use commons_kernel::record::Record;
use commons_kernel::{CommunityId, Entry, EntryHash, EntryHeader, RecordId, Signature, Timestamp};
use serde::{Deserialize, Serialize};

/// The largest gossip payload (one entry) accepted, in bytes.
pub const MAX_GOSSIP_BYTES: usize = 64 * 1024;

/// One log entry on the wire. It is encoded as a CBOR array, not a map, so
/// field names cost nothing per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireTuple", from = "WireTuple")]
pub struct WireEntry {
    /// Position in the log.
    pub seq: u64,
    /// Hash of the previous entry.
    #[serde(with = "serde_bytes")]
    pub prev: [u8; 32],
    /// When the home node appended it.
    pub ts: i64,
    /// The record's canonical encoding.
    #[serde(with = "serde_bytes")]
    pub record: Vec<u8>,
    /// The author's signature.
    #[serde(with = "serde_bytes")]
    pub record_sig: [u8; 64],
    /// The community's signature over the header.
    #[serde(with = "serde_bytes")]
    pub entry_sig: [u8; 64],
}

/// The positional wire form of [`WireEntry`].
#[derive(Serialize, Deserialize)]
struct WireTuple(
    u64,
    serde_bytes::ByteArray<32>,
    i64,
    serde_bytes::ByteBuf,
    serde_bytes::ByteArray<64>,
    serde_bytes::ByteArray<64>,
);

impl From<WireEntry> for WireTuple {
    fn from(entry: WireEntry) -> WireTuple {
        WireTuple(
            entry.seq,
            serde_bytes::ByteArray::new(entry.prev),
            entry.ts,
            serde_bytes::ByteBuf::from(entry.record),
            serde_bytes::ByteArray::new(entry.record_sig),
            serde_bytes::ByteArray::new(entry.entry_sig),
        )
    }
}

impl From<WireTuple> for WireEntry {
    fn from(tuple: WireTuple) -> WireEntry {
        WireEntry {
            seq: tuple.0,
            prev: tuple.1.into_array(),
            ts: tuple.2,
            record: tuple.3.into_vec(),
            record_sig: tuple.4.into_array(),
            entry_sig: tuple.5.into_array(),
        }
    }
}

/// A request of the sync protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// "How long are your logs of these communities?" Answered only for
    /// communities the asking node may receive.
    Heads(Vec<CommunityId>),
    /// "Send me the entries of `community` from `from` on", at most `limit`.
    Range {
        /// The community.
        community: CommunityId,
        /// First sequence number wanted.
        from: u64,
        /// Most entries wanted; the server caps it further.
        limit: u32,
    },
    /// Records written on the sending node for a community whose home the
    /// receiver is (the sender's outbox).
    Submit {
        /// The community.
        community: CommunityId,
        /// Signed records.
        records: Vec<WireRecord>,
    },
    /// New entries of a private community, sent directly to a member node
    /// instead of over gossip.
    Push {
        /// The community.
        community: CommunityId,
        /// Consecutive entries.
        entries: Vec<WireEntry>,
    },
    /// "Send me this part of a blob of `community`" (see `blobs`).
    Blob {
        /// The community the blob belongs to; checked like its log.
        community: CommunityId,
        /// The blob id.
        id: serde_bytes::ByteArray<32>,
        /// The manifest, or one chunk.
        part: BlobPart,
    },
}

/// Which part of a blob is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlobPart {
    /// The size and the chunk hashes.
    Manifest,
    /// One chunk, by index.
    Chunk(u32),
}

/// A signed record on the wire: canonical bytes and the author signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRecord(
    #[serde(with = "serde_bytes")] pub Vec<u8>,
    #[serde(with = "serde_bytes")] pub [u8; 64],
);

impl WireRecord {
    /// The wire form of a signed record.
    pub fn from_record(record: &commons_kernel::SignedRecord) -> WireRecord {
        WireRecord(record.encoded().to_vec(), *record.signature().as_bytes())
    }

    /// The hash of the record bytes: the record's id when they are its
    /// canonical encoding (as every honest node sends them), known before
    /// anything is decoded or checked.
    pub fn claimed_id(&self) -> RecordId {
        RecordId::from_bytes(*blake3::hash(&self.0).as_bytes())
    }

    /// Decodes and verifies the author signature.
    pub fn to_record(&self) -> Result<commons_kernel::SignedRecord, WireError> {
        let value: serde_json::Value = serde_json::from_slice(&self.0)
            .map_err(|error| WireError::Record(error.to_string()))?;
        let record =
            Record::from_json(&value).map_err(|error| WireError::Record(error.to_string()))?;
        commons_kernel::SignedRecord::verify(record, Signature::from_bytes(self.1))
            .map_err(|error| WireError::Record(error.to_string()))
    }
}

/// A response of the sync protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// Log lengths (next sequence numbers) of the communities asked about
    /// that the asker may receive.
    Heads(Vec<(CommunityId, u64)>),
    /// Entries in order, and the server's log length.
    Entries {
        /// The community.
        community: CommunityId,
        /// Consecutive entries from the requested position.
        entries: Vec<WireEntry>,
        /// The server's next sequence number.
        head: u64,
    },
    /// Push received.
    Ack,
    /// Refused; the reason is for logs, and says nothing about whether the
    /// community exists.
    Denied(String),
    /// A blob's manifest: its size and the BLAKE3 hash of each chunk.
    BlobManifest {
        /// Size in bytes.
        size: u64,
        /// Chunk hashes, in order.
        chunks: Vec<serde_bytes::ByteArray<32>>,
    },
    /// One chunk of a blob.
    BlobChunk(serde_bytes::ByteBuf),
}

/// Why bytes from a peer are not an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Larger than allowed.
    #[error("payload of {0} bytes exceeds the limit")]
    Oversized(usize),
    /// Not CBOR of the expected shape.
    #[error("undecodable payload: {0}")]
    Undecodable(String),
    /// The record bytes are not a record.
    #[error("malformed record: {0}")]
    Record(String),
    /// The hash the gossip payload claims is not the entry's hash.
    #[error("claimed entry hash does not match the entry")]
    HashMismatch,
}

impl WireEntry {
    /// The wire form of a stored or verified entry.
    pub fn from_entry(entry: &Entry) -> WireEntry {
        let header = entry.header();
        WireEntry {
            seq: header.seq,
            prev: *header.prev.as_bytes(),
            ts: header.ts.0,
            record: entry.record().encoded().to_vec(),
            record_sig: *entry.record().signature().as_bytes(),
            entry_sig: *entry.signature().as_bytes(),
        }
    }

    /// The unverified entry this claims to be, as the kernel's chain
    /// verifier takes it. The record id in the header is the hash of the
    /// bytes received; the verifier then checks the record re-encodes to it.
    pub fn to_raw(&self, community: CommunityId) -> Result<RawEntry, WireError> {
        let value: serde_json::Value = serde_json::from_slice(&self.record)
            .map_err(|error| WireError::Record(error.to_string()))?;
        let record =
            Record::from_json(&value).map_err(|error| WireError::Record(error.to_string()))?;
        Ok(RawEntry {
            header: self.header(community),
            record,
            record_signature: Signature::from_bytes(self.record_sig),
            signature: Signature::from_bytes(self.entry_sig),
        })
    }

    /// The header this entry claims.
    pub fn header(&self, community: CommunityId) -> EntryHeader {
        EntryHeader {
            community,
            seq: self.seq,
            prev: EntryHash::from_bytes(self.prev),
            record: RecordId::from_bytes(*blake3::hash(&self.record).as_bytes()),
            ts: Timestamp(self.ts),
        }
    }

    /// Bytes of the entry itself (record, signatures and header fields),
    /// the baseline the protocol overhead is measured against.
    pub fn content_len(&self) -> usize {
        self.record.len() + 64 + 64 + 32 + 8 + 8
    }
}

/// The gossip payload: the 32-byte entry hash (the gossip message id, so
/// the same entry arriving over two paths is one message), then the
/// community id, then the CBOR entry.
pub fn encode_gossip(community: CommunityId, entry: &WireEntry) -> Vec<u8> {
    let hash = entry.header(community).hash();
    let mut out = Vec::with_capacity(48 + entry.content_len() + 16);
    out.extend_from_slice(hash.as_bytes());
    out.extend_from_slice(community.as_bytes());
    cbor4ii::serde::to_vec(out, entry).expect("writing CBOR into a Vec cannot fail")
}

/// The message id of a gossip payload: its first 32 bytes, or the whole
/// payload when it is shorter (it is then rejected by [`decode_gossip`]).
pub fn gossip_message_id(payload: &[u8]) -> Vec<u8> {
    payload[..payload.len().min(32)].to_vec()
}

/// Decodes a gossip payload and checks the claimed hash against the entry.
pub fn decode_gossip(payload: &[u8]) -> Result<(CommunityId, EntryHash, WireEntry), WireError> {
    if payload.len() > MAX_GOSSIP_BYTES {
        return Err(WireError::Oversized(payload.len()));
    }
    if payload.len() < 48 {
        return Err(WireError::Undecodable("payload too short".into()));
    }
    let claimed = EntryHash::from_slice(&payload[..32])
        .map_err(|error| WireError::Undecodable(error.to_string()))?;
    let community = CommunityId::from_slice(&payload[32..48])
        .map_err(|error| WireError::Undecodable(error.to_string()))?;
    let entry: WireEntry = cbor4ii::serde::from_slice(&payload[48..])
        .map_err(|error| WireError::Undecodable(error.to_string()))?;
    if entry.header(community).hash() != claimed {
        return Err(WireError::HashMismatch);
    }
    Ok((community, claimed, entry))
}
