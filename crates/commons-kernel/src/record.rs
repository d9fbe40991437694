//! Records: what an author signs, and how it is encoded and identified.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use crate::canonical::{self, CanonicalError};
use crate::id::{CommunityId, Kind, RecordId};
use crate::keys::{PublicKey, SecretKey, Signature};

/// Version of the record encoding; part of every encoding.
pub const RECORD_VERSION: i64 = 1;

/// Largest canonical encoding of a record, in bytes. Larger content belongs in
/// a blob referenced by hash.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Most references one record may carry.
pub const MAX_REFS: usize = 64;

/// Milliseconds since the Unix epoch, UTC.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// The signed content of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// What the record is; decides which capability validates and reduces it.
    pub kind: Kind,
    /// The community whose log the record is for.
    pub community: CommunityId,
    /// The author's public key.
    pub author: PublicKey,
    /// When the author made the record (the author's clock).
    pub ts: Timestamp,
    /// Kind-specific content; must have a canonical encoding.
    pub body: Value,
    /// Earlier records this one refers to.
    pub refs: Vec<RecordId>,
}

/// A record with its author's signature and its id. Only constructed by
/// signing or by verifying, so holding one means the signature is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRecord {
    record: Record,
    id: RecordId,
    signature: Signature,
    encoded: Vec<u8>,
}

/// Why bytes or values do not make a valid signed record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The input is not JSON of the record shape.
    #[error("malformed record: {0}")]
    Malformed(String),
    /// The body cannot be encoded canonically.
    #[error("record body has no canonical encoding: {0}")]
    NotCanonical(#[from] CanonicalError),
    /// The encoding exceeds [`MAX_RECORD_BYTES`].
    #[error("record is {size} bytes, more than the {MAX_RECORD_BYTES} allowed")]
    TooLarge {
        /// Encoded size.
        size: usize,
    },
    /// More than [`MAX_REFS`] references.
    #[error("record has {count} references, more than the {MAX_REFS} allowed")]
    TooManyRefs {
        /// Number of references.
        count: usize,
    },
    /// The signature does not verify against the author key.
    #[error("record signature does not verify for author {author}")]
    BadSignature {
        /// The claimed author.
        author: PublicKey,
    },
}

impl Record {
    /// The canonical encoding that is hashed and signed.
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        if self.refs.len() > MAX_REFS {
            return Err(RecordError::TooManyRefs {
                count: self.refs.len(),
            });
        }
        let encoded = self.write_canonical()?;
        if encoded.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge {
                size: encoded.len(),
            });
        }
        Ok(encoded)
    }

    /// The canonical JSON of `{v, kind, community, author, ts, body, refs}`,
    /// written field by field in key order instead of through a [`Value`]
    /// of the whole record (a test pins it to the general encoder's output).
    /// The kind, ids and keys need no escaping: their alphabets are
    /// lowercase letters, digits and `._-`.
    fn write_canonical(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut out = Vec::with_capacity(320);
        out.extend_from_slice(b"{\"author\":");
        canonical::write_string(&mut out, &self.author.to_hex());
        out.extend_from_slice(b",\"body\":");
        canonical::write_value(&mut out, &self.body, 1)?;
        out.extend_from_slice(b",\"community\":");
        canonical::write_string(&mut out, &self.community.to_hex());
        out.extend_from_slice(b",\"kind\":");
        canonical::write_string(&mut out, self.kind.as_str());
        out.extend_from_slice(b",\"refs\":[");
        for (idx, id) in self.refs.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            canonical::write_string(&mut out, &id.to_hex());
        }
        out.extend_from_slice(b"],\"ts\":");
        canonical::write_integer(&mut out, self.ts.0)?;
        out.extend_from_slice(b",\"v\":");
        canonical::write_integer(&mut out, RECORD_VERSION)?;
        out.push(b'}');
        Ok(out)
    }

    /// Parses the canonical form (or any JSON of the same shape) back into a record.
    pub fn from_json(value: &Value) -> Result<Record, RecordError> {
        let object = value
            .as_object()
            .ok_or_else(|| malformed("expected a JSON object"))?;
        let allowed = ["v", "kind", "community", "author", "ts", "body", "refs"];
        if let Some(key) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(malformed(&format!("unknown field {key:?}")));
        }
        match object.get("v").and_then(Value::as_i64) {
            Some(RECORD_VERSION) => {}
            Some(other) => return Err(malformed(&format!("unsupported record version {other}"))),
            None => return Err(malformed("missing integer field \"v\"")),
        }
        let text = |key: &str| -> Result<&str, RecordError> {
            object
                .get(key)
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(&format!("missing string field {key:?}")))
        };
        let kind = Kind::parse(text("kind")?).map_err(|e| malformed(&e.to_string()))?;
        let community = text("community")?
            .parse()
            .map_err(|e: crate::id::IdError| malformed(&e.to_string()))?;
        let author = text("author")?
            .parse()
            .map_err(|e: crate::id::IdError| malformed(&e.to_string()))?;
        let ts = object
            .get("ts")
            .and_then(Value::as_i64)
            .ok_or_else(|| malformed("missing integer field \"ts\""))?;
        let body = object
            .get("body")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let refs = match object.get("refs") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .ok_or_else(|| malformed("refs must be strings"))?
                        .parse()
                        .map_err(|e: crate::id::IdError| malformed(&e.to_string()))
                })
                .collect::<Result<Vec<RecordId>, RecordError>>()?,
            Some(_) => return Err(malformed("refs must be an array")),
        };
        Ok(Record {
            kind,
            community,
            author,
            ts: Timestamp(ts),
            body,
            refs,
        })
    }
}

/// The fields of a record's JSON, decoded in one pass: the text fields
/// borrow from the input (canonical encodings escape nothing in them), and
/// only the body becomes a [`Value`].
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields<'a> {
    v: i64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    community: Cow<'a, str>,
    #[serde(borrow)]
    author: Cow<'a, str>,
    ts: i64,
    #[serde(default = "empty_object")]
    body: Value,
    #[serde(default, borrow)]
    refs: Vec<Cow<'a, str>>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

impl Record {
    /// Parses a record's JSON text — its canonical encoding as stored in a
    /// log — straight into a record, without building a [`Value`] of the
    /// whole record first. Accepts what [`Record::from_json`] accepts for
    /// the same text, save that a repeated field is refused.
    pub fn from_slice(bytes: &[u8]) -> Result<Record, RecordError> {
        let fields: Fields<'_> =
            serde_json::from_slice(bytes).map_err(|e| malformed(&e.to_string()))?;
        if fields.v != RECORD_VERSION {
            return Err(malformed(&format!(
                "unsupported record version {}",
                fields.v
            )));
        }
        let id_error = |e: crate::id::IdError| malformed(&e.to_string());
        let refs = fields
            .refs
            .iter()
            .map(|item| item.parse().map_err(id_error))
            .collect::<Result<Vec<RecordId>, RecordError>>()?;
        Ok(Record {
            kind: Kind::parse(&fields.kind).map_err(id_error)?,
            community: fields.community.parse().map_err(id_error)?,
            author: fields.author.parse().map_err(id_error)?,
            ts: Timestamp(fields.ts),
            body: fields.body,
            refs,
        })
    }
}

impl SignedRecord {
    /// Signs `record` with `key`, which must be the author's key.
    pub fn sign(record: Record, key: &SecretKey) -> Result<SignedRecord, RecordError> {
        assert_eq!(
            record.author,
            key.public_key(),
            "a record must be signed by its author"
        );
        let encoded = record.encode()?;
        let signature = key.sign(&encoded);
        let id = record_id(&encoded);
        Ok(SignedRecord {
            record,
            id,
            signature,
            encoded,
        })
    }

    /// Checks `signature` over `record` and builds the signed record.
    pub fn verify(record: Record, signature: Signature) -> Result<SignedRecord, RecordError> {
        let signed = SignedRecord::unverified(record, signature)?.0;
        signed
            .record
            .author
            .verify(&signed.encoded, &signed.signature)
            .map_err(|_| RecordError::BadSignature {
                author: signed.record.author,
            })?;
        Ok(signed)
    }

    /// Builds the signed record without checking the signature, for callers
    /// that verify many signatures in one batch (see [`crate::keys::verify_batch`])
    /// and then call [`SignedRecord::into_verified`] only on success.
    pub fn unverified(
        record: Record,
        signature: Signature,
    ) -> Result<UnverifiedRecord, RecordError> {
        let encoded = record.encode()?;
        let id = record_id(&encoded);
        Ok(UnverifiedRecord(SignedRecord {
            record,
            id,
            signature,
            encoded,
        }))
    }

    /// Reassembles a record read back from the node's own store, where it was
    /// verified before it was written. Never use it for data from elsewhere.
    pub fn trusted(
        record: Record,
        id: RecordId,
        signature: Signature,
        encoded: Vec<u8>,
    ) -> SignedRecord {
        SignedRecord {
            record,
            id,
            signature,
            encoded,
        }
    }

    /// Parses the wire form `{"record": {...}, "signature": "hex"}` and verifies it.
    pub fn from_wire(value: &Value) -> Result<SignedRecord, RecordError> {
        let (record, signature) = parse_wire(value)?;
        SignedRecord::verify(record, signature)
    }

    /// The wire form `{"record": {...}, "signature": "hex"}`.
    pub fn to_wire(&self) -> Value {
        let record: Value =
            serde_json::from_slice(&self.encoded).expect("canonical encoding is valid JSON");
        json!({ "record": record, "signature": self.signature.to_hex() })
    }

    /// The signed content.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The record id.
    pub fn id(&self) -> RecordId {
        self.id
    }

    /// The author's signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The canonical encoding the signature covers.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }
}

/// A record whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub struct UnverifiedRecord(SignedRecord);

impl UnverifiedRecord {
    /// The canonical encoding, the signature and the claimed author, for batch verification.
    pub fn parts(&self) -> (&[u8], &Signature, &PublicKey) {
        (&self.0.encoded, &self.0.signature, &self.0.record.author)
    }

    /// The record id (the hash of the canonical encoding).
    pub fn id(&self) -> RecordId {
        self.0.id
    }

    /// Declares the signature checked; only call after a successful batch verification.
    pub fn into_verified(self) -> SignedRecord {
        self.0
    }

    /// Checks the signature alone.
    pub fn verify(self) -> Result<SignedRecord, RecordError> {
        SignedRecord::verify(self.0.record, self.0.signature)
    }
}

/// Parses the wire form without verifying it.
pub fn parse_wire(value: &Value) -> Result<(Record, Signature), RecordError> {
    let object = value
        .as_object()
        .ok_or_else(|| malformed("expected a JSON object"))?;
    let record = Record::from_json(
        object
            .get("record")
            .ok_or_else(|| malformed("missing field \"record\""))?,
    )?;
    let signature_hex = object
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("missing string field \"signature\""))?;
    let signature_bytes =
        hex::decode(signature_hex).map_err(|_| malformed("signature is not hex"))?;
    let signature =
        Signature::from_slice(&signature_bytes).map_err(|e| malformed(&e.to_string()))?;
    Ok((record, signature))
}

fn record_id(encoded: &[u8]) -> RecordId {
    RecordId::from_bytes(*blake3::hash(encoded).as_bytes())
}

fn malformed(message: &str) -> RecordError {
    RecordError::Malformed(message.to_owned())
}
