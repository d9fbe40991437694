//! Community logs: entries chained by hash and signed with the community key.
//!
//! An entry's header is `{v, community, seq, prev, record, ts}` in the
//! canonical encoding; the entry hash is BLAKE3 of those bytes and the
//! community key signs the same bytes. `prev` of entry 0 is all zeroes. The
//! header commits to the record id, which commits to the record's content, so
//! changing any stored byte of a record, reordering entries or dropping one
//! breaks the chain at that point.

use crate::id::{CommunityId, EntryHash, RecordId};
use crate::keys::{DecompressedKey, PublicKey, SecretKey, Signature};
use crate::record::{Record, RecordError, SignedRecord, Timestamp, UnverifiedRecord};

/// Version of the entry header encoding.
pub const ENTRY_VERSION: i64 = 1;

/// The part of an entry the community key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryHeader {
    /// The community whose log this is.
    pub community: CommunityId,
    /// Position in the log, from 0.
    pub seq: u64,
    /// Hash of the previous entry, [`EntryHash::GENESIS`] for entry 0.
    pub prev: EntryHash,
    /// The appended record's id.
    pub record: RecordId,
    /// When the home node appended it (the home node's clock).
    pub ts: Timestamp,
}

/// A log entry: header, record and the community's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    header: EntryHeader,
    hash: EntryHash,
    record: SignedRecord,
    signature: Signature,
}

/// An entry as read from storage or the network, not yet checked.
#[derive(Debug, Clone)]
pub struct RawEntry {
    /// The claimed header.
    pub header: EntryHeader,
    /// The record content.
    pub record: Record,
    /// The author's claimed signature.
    pub record_signature: Signature,
    /// The community's claimed signature over the header.
    pub signature: Signature,
}

/// Where and why a chain fails to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq} of community {community}: {reason}")]
pub struct ChainError {
    /// The community.
    pub community: CommunityId,
    /// The first bad entry's sequence number.
    pub seq: u64,
    /// What is wrong with it.
    pub reason: ChainFault,
}

/// What is wrong with a log entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainFault {
    /// The sequence number is not the next one.
    #[error("expected sequence number {expected}, found {found}")]
    Gap {
        /// The next expected number.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// `prev` is not the hash of the previous entry.
    #[error("previous-entry hash does not match")]
    BrokenLink,
    /// The entry names another community.
    #[error("entry belongs to community {0}")]
    WrongCommunity(CommunityId),
    /// The record is not what the header commits to.
    #[error("record does not match the id in the header")]
    RecordMismatch,
    /// The record is invalid or its author signature does not verify.
    #[error("{0}")]
    Record(RecordError),
    /// The community signature over the header does not verify.
    #[error("community signature does not verify")]
    BadCommunitySignature,
    /// The stored hash differs from the recomputed one.
    #[error("stored entry hash does not match its content")]
    HashMismatch,
}

impl EntryHeader {
    /// The canonical encoding that is hashed and signed: the canonical JSON
    /// of `{v, community, seq, prev, record, ts}`, written directly because
    /// every append and every verification pays for it (a test pins it to
    /// the general encoder's output).
    pub fn encode(&self) -> Vec<u8> {
        format!(
            r#"{{"community":"{}","prev":"{}","record":"{}","seq":{},"ts":{},"v":{}}}"#,
            self.community.to_hex(),
            self.prev.to_hex(),
            self.record.to_hex(),
            self.seq,
            self.ts.0,
            ENTRY_VERSION,
        )
        .into_bytes()
    }

    /// The entry hash.
    pub fn hash(&self) -> EntryHash {
        EntryHash::from_bytes(*blake3::hash(&self.encode()).as_bytes())
    }
}

/// Entries being sealed: their headers chained in order, not yet signed.
///
/// The hash chain is cheap and computed at once; the community signatures
/// dominate the cost of sealing and need nothing but the headers, so
/// [`Sealing::sign`] can run on other cores while the caller still checks
/// the records, which [`Seals::attach`] joins back afterwards.
#[derive(Debug)]
pub struct Sealing {
    headers: Vec<(EntryHeader, Vec<u8>, EntryHash)>,
}

/// Signed headers waiting for their records.
#[derive(Debug)]
pub struct Seals {
    headers: Vec<(EntryHeader, EntryHash, Signature)>,
}

impl Entry {
    /// Appends `record` after an entry whose hash is `prev` at position `seq - 1`,
    /// signing with the community key. The caller has validated the record.
    pub fn seal(
        seq: u64,
        prev: EntryHash,
        ts: Timestamp,
        record: SignedRecord,
        community_key: &SecretKey,
    ) -> Entry {
        Entry::seal_all(seq, prev, ts, vec![record], community_key)
            .pop()
            .expect("sealing one record yields one entry")
    }

    /// Seals `records` as consecutive entries from `first_seq` after `prev`.
    pub fn seal_all(
        first_seq: u64,
        prev: EntryHash,
        ts: Timestamp,
        records: Vec<SignedRecord>,
        community_key: &SecretKey,
    ) -> Vec<Entry> {
        Sealing::chain(first_seq, prev, ts, &records)
            .sign(community_key)
            .attach(records)
    }

    /// The header.
    pub fn header(&self) -> &EntryHeader {
        &self.header
    }

    /// Position in the log.
    pub fn seq(&self) -> u64 {
        self.header.seq
    }

    /// The entry hash.
    pub fn hash(&self) -> EntryHash {
        self.hash
    }

    /// The record.
    pub fn record(&self) -> &SignedRecord {
        &self.record
    }

    /// The community signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
}

/// Checks a log entry by entry, in order, from its first entry.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    community: CommunityId,
    key: PublicKey,
    /// `key`, decompressed once for every entry it checks.
    verifying: DecompressedKey,
    next_seq: u64,
    prev: EntryHash,
}

impl ChainVerifier {
    /// Starts at entry 0 of the log signed by `key`.
    pub fn new(key: PublicKey) -> ChainVerifier {
        ChainVerifier::resume(key, 0, EntryHash::GENESIS)
    }

    /// Resumes after an entry already trusted (for incremental checks).
    pub fn resume(key: PublicKey, next_seq: u64, prev: EntryHash) -> ChainVerifier {
        ChainVerifier {
            community: key.community_id(),
            key,
            verifying: key.decompress(),
            next_seq,
            prev,
        }
    }

    /// The sequence number the next entry must have.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Checks the next entry. `stored_hash`, when given, must equal the
    /// recomputed hash.
    pub fn check(
        &mut self,
        raw: RawEntry,
        stored_hash: Option<EntryHash>,
    ) -> Result<Entry, ChainError> {
        let seq = raw.header.seq;
        let fail = |reason| ChainError {
            community: self.community,
            seq,
            reason,
        };
        if raw.header.community != self.community {
            return Err(fail(ChainFault::WrongCommunity(raw.header.community)));
        }
        if seq != self.next_seq {
            return Err(fail(ChainFault::Gap {
                expected: self.next_seq,
                found: seq,
            }));
        }
        if raw.header.prev != self.prev {
            return Err(fail(ChainFault::BrokenLink));
        }
        if raw.record.community != self.community {
            return Err(fail(ChainFault::WrongCommunity(raw.record.community)));
        }
        let encoded = raw.header.encode();
        let hash = EntryHash::from_bytes(*blake3::hash(&encoded).as_bytes());
        if stored_hash.is_some_and(|stored| stored != hash) {
            return Err(fail(ChainFault::HashMismatch));
        }
        if self.verifying.verify(&encoded, &raw.signature).is_err() {
            return Err(fail(ChainFault::BadCommunitySignature));
        }
        let record = SignedRecord::verify(raw.record, raw.record_signature)
            .map_err(|e| fail(ChainFault::Record(e)))?;
        if record.id() != raw.header.record {
            return Err(fail(ChainFault::RecordMismatch));
        }
        self.next_seq = seq + 1;
        self.prev = hash;
        Ok(Entry {
            header: raw.header,
            hash,
            record,
            signature: raw.signature,
        })
    }

    /// Checks consecutive entries like [`ChainVerifier::check`] one after
    /// the other, with the same result and the same error, but verifies
    /// their community and author signatures together with
    /// [`verify_batch`](crate::keys::verify_batch), about twice as fast on
    /// one core and spread over every core. This is how entries from peers
    /// are checked: after a partition a node checks thousands at once.
    ///
    /// The batch equation accepts every signature the one-by-one strict
    /// check accepts. It can also accept one that the key's holder crafted
    /// with a small-order component to fail the strict check; nobody else
    /// can make such a signature for that key. A community key's holder can
    /// fork the log anyway, and author signatures reach a log only through
    /// its home node's own checks.
    pub fn check_all(&mut self, raws: Vec<RawEntry>) -> Result<Vec<Entry>, ChainError> {
        // Everything but the signatures first, up to the first fault. An
        // entry whose record is at fault is kept with the signatures that
        // [`ChainVerifier::check`] verifies before it finds that fault, so
        // a bad signature found first is reported first, as there.
        let mut linked: Vec<Linked> = Vec::with_capacity(raws.len());
        let mut fault: Option<(u64, ChainFault)> = None;
        let (mut next_seq, mut prev) = (self.next_seq, self.prev);
        for raw in raws {
            let seq = raw.header.seq;
            let found = if raw.header.community != self.community {
                Some(ChainFault::WrongCommunity(raw.header.community))
            } else if seq != next_seq {
                Some(ChainFault::Gap {
                    expected: next_seq,
                    found: seq,
                })
            } else if raw.header.prev != prev {
                Some(ChainFault::BrokenLink)
            } else if raw.record.community != self.community {
                Some(ChainFault::WrongCommunity(raw.record.community))
            } else {
                None
            };
            if let Some(reason) = found {
                fault = Some((seq, reason));
                break;
            }
            let encoded = raw.header.encode();
            let hash = EntryHash::from_bytes(*blake3::hash(&encoded).as_bytes());
            let record = match SignedRecord::unverified(raw.record, raw.record_signature) {
                Ok(record) => record,
                Err(error) => {
                    linked.push(Linked {
                        header: raw.header,
                        encoded,
                        hash,
                        signature: raw.signature,
                        record: None,
                    });
                    fault = Some((seq, ChainFault::Record(error)));
                    break;
                }
            };
            let mismatch = record.id() != raw.header.record;
            linked.push(Linked {
                header: raw.header,
                encoded,
                hash,
                signature: raw.signature,
                record: Some(record),
            });
            if mismatch {
                fault = Some((seq, ChainFault::RecordMismatch));
                break;
            }
            next_seq = seq + 1;
            prev = hash;
        }
        let items: Vec<(&[u8], &Signature, &PublicKey)> = linked
            .iter()
            .flat_map(|link| {
                let community = (link.encoded.as_slice(), &link.signature, &self.key);
                let author = link.record.as_ref().map(UnverifiedRecord::parts);
                std::iter::once(community).chain(author)
            })
            .collect();
        if let Err(idx) = crate::keys::verify_batch(&items) {
            let link = &linked[idx / 2];
            let reason = match (&link.record, idx % 2) {
                (Some(record), 1) => ChainFault::Record(RecordError::BadSignature {
                    author: *record.parts().2,
                }),
                _ => ChainFault::BadCommunitySignature,
            };
            return Err(ChainError {
                community: self.community,
                seq: link.header.seq,
                reason,
            });
        }
        if let Some((seq, reason)) = fault {
            return Err(ChainError {
                community: self.community,
                seq,
                reason,
            });
        }
        self.next_seq = next_seq;
        self.prev = prev;
        Ok(linked
            .into_iter()
            .map(|link| Entry {
                header: link.header,
                hash: link.hash,
                record: link
                    .record
                    .expect("every entry of a chain without faults has its record")
                    .into_verified(),
                signature: link.signature,
            })
            .collect())
    }
}

impl Sealing {
    /// Chains headers for `records` as consecutive entries from `first_seq`
    /// after `prev`.
    pub fn chain(
        first_seq: u64,
        prev: EntryHash,
        ts: Timestamp,
        records: &[SignedRecord],
    ) -> Sealing {
        let mut prev = prev;
        let headers = records
            .iter()
            .enumerate()
            .map(|(idx, record)| {
                let header = EntryHeader {
                    community: record.record().community,
                    seq: first_seq + idx as u64,
                    prev,
                    record: record.id(),
                    ts,
                };
                let encoded = header.encode();
                let hash = EntryHash::from_bytes(*blake3::hash(&encoded).as_bytes());
                prev = hash;
                (header, encoded, hash)
            })
            .collect();
        Sealing { headers }
    }

    /// Signs every header with the community key, on every core.
    pub fn sign(self, community_key: &SecretKey) -> Seals {
        use rayon::prelude::*;

        let sign = |(header, encoded, hash): (EntryHeader, Vec<u8>, EntryHash)| {
            (header, hash, community_key.sign(&encoded))
        };
        // Handing a few signatures to the thread pool costs more than it saves.
        let headers = if self.headers.len() < 64 {
            self.headers.into_iter().map(sign).collect()
        } else {
            self.headers
                .into_par_iter()
                .with_min_len(32)
                .map(sign)
                .collect()
        };
        Seals { headers }
    }
}

impl Seals {
    /// The entries: each signed header with its record.
    ///
    /// # Panics
    /// When `records` are not the records the headers were chained for, in
    /// the same order: the caller mixed up two batches.
    pub fn attach(self, records: Vec<SignedRecord>) -> Vec<Entry> {
        assert_eq!(
            self.headers.len(),
            records.len(),
            "seals attach to the records they were chained for"
        );
        self.headers
            .into_iter()
            .zip(records)
            .map(|((header, hash, signature), record)| {
                assert_eq!(
                    header.record,
                    record.id(),
                    "seals attach to the records they were chained for"
                );
                Entry {
                    header,
                    hash,
                    record,
                    signature,
                }
            })
            .collect()
    }
}

impl RawEntry {
    /// Skips verification for an entry read back from the node's own store,
    /// where it was verified before it was written; replay uses this.
    pub fn into_trusted(self, hash: EntryHash, record_id: RecordId, encoded: Vec<u8>) -> Entry {
        let record = SignedRecord::trusted(self.record, record_id, self.record_signature, encoded);
        Entry {
            header: self.header,
            hash,
            record,
            signature: self.signature,
        }
    }
}

/// An entry whose place in the chain checked out, its signatures not yet
/// ([`ChainVerifier::check_all`]).
struct Linked {
    header: EntryHeader,
    encoded: Vec<u8>,
    hash: EntryHash,
    signature: Signature,
    /// `None` when the record does not encode.
    record: Option<UnverifiedRecord>,
}
