//! Ed25519 keys of nodes, users and communities.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use zeroize::Zeroize;

use crate::id::{CommunityId, HexCase, IdError, decode_hex, encode_hex};

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

/// An Ed25519 secret key. Its `Debug` output is redacted and it is wiped on drop.
pub struct SecretKey(SigningKey);

/// An Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

/// A public key decompressed once ([`PublicKey::decompress`]); `None` when
/// the bytes are not a curve point, which verifies nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecompressedKey(Option<VerifyingKey>);

/// A signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signature does not verify")]
pub struct BadSignature;

impl PublicKey {
    /// Wraps 32 bytes as a key.
    ///
    /// The bytes are not checked to be a curve point: that costs a square
    /// root on every parse, and every store read and record body parses
    /// keys. A key that is not a point cannot verify any signature, so it can
    /// never author a record or sign a log; [`PublicKey::verify`] and
    /// [`verify_batch`] reject it there.
    pub const fn from_bytes(bytes: [u8; 32]) -> PublicKey {
        PublicKey(bytes)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex form.
    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }

    /// Verifies `signature` over `message` in the strict sense (no malleable
    /// signatures, no small-order keys), so one message has one valid signature
    /// per key.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), BadSignature> {
        self.decompress().verify(message, signature)
    }

    /// The key decompressed, for checking many signatures by one key: the
    /// decompression is a field square root, a sixth of a verification.
    pub(crate) fn decompress(&self) -> DecompressedKey {
        DecompressedKey(VerifyingKey::from_bytes(&self.0).ok())
    }

    /// The id of the community whose log this key signs.
    pub fn community_id(&self) -> CommunityId {
        let hash = blake3::hash(&self.0);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&hash.as_bytes()[..16]);
        CommunityId::from_bytes(bytes)
    }
}

impl FromStr for PublicKey {
    type Err = IdError;
    fn from_str(text: &str) -> Result<PublicKey, IdError> {
        let mut bytes = [0u8; 32];
        decode_hex(text.as_bytes(), &mut bytes, HexCase::Either).ok_or_else(|| IdError {
            what: "public key",
            value: text.chars().take(80).collect(),
            reason: "expected 32 bytes as lowercase hex",
        })?;
        Ok(PublicKey::from_bytes(bytes))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PublicKey, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl SecretKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> SecretKey {
        SecretKey(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// Restores a key from its 32 secret bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(bytes))
    }

    /// The 32 secret bytes. Callers must not log or persist them unencrypted
    /// except in a file readable only by the node's operator.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> SecretKey {
        let mut bytes = self.0.to_bytes();
        let key = SecretKey::from_bytes(&bytes);
        bytes.zeroize();
        key
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecretKey(public {}, secret redacted)",
            self.public_key()
        )
    }
}

impl Signature {
    /// Wraps raw signature bytes.
    pub fn from_bytes(bytes: [u8; 64]) -> Signature {
        Signature(bytes)
    }

    /// Parses raw signature bytes from a slice.
    pub fn from_slice(bytes: &[u8]) -> Result<Signature, IdError> {
        let bytes: [u8; 64] = bytes.try_into().map_err(|_| IdError {
            what: "signature",
            value: encode_hex(bytes),
            reason: "expected 64 bytes",
        })?;
        Ok(Signature(bytes))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Lowercase hex form.
    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }

    /// A signature from its 128 hex digits (either case), or `None`.
    pub fn from_hex(text: &str) -> Option<Signature> {
        let mut bytes = [0u8; 64];
        decode_hex(text.as_bytes(), &mut bytes, HexCase::Either)?;
        Some(Signature(bytes))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Signature, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let bytes = hex::decode(text.as_ref()).map_err(serde::de::Error::custom)?;
        Signature::from_slice(&bytes).map_err(serde::de::Error::custom)
    }
}

impl DecompressedKey {
    /// [`PublicKey::verify`] without decompressing the key again.
    pub(crate) fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), BadSignature> {
        let key = self.0.as_ref().ok_or(BadSignature)?;
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &signature)
            .map_err(|_| BadSignature)
    }
}

/// Verifies many (message, signature, key) triples at once: chunks run on
/// every core, each as one Ed25519 batch equation (about twice as fast as
/// checking one by one). A failing chunk is rechecked item by item so the
/// error names the first bad index.
pub fn verify_batch(items: &[(&[u8], &Signature, &PublicKey)]) -> Result<(), usize> {
    use rayon::prelude::*;

    /// Small enough to spread a thousand records over a few cores, large
    /// enough that the batch equation pays off.
    const CHUNK: usize = 128;
    if items.len() <= CHUNK {
        return verify_chunk(items);
    }
    let first_bad = items
        .par_chunks(CHUNK)
        .enumerate()
        .filter_map(|(chunk_idx, chunk)| {
            verify_chunk(chunk).err().map(|idx| chunk_idx * CHUNK + idx)
        })
        .min();
    match first_bad {
        Some(idx) => Err(idx),
        None => Ok(()),
    }
}

fn verify_chunk(items: &[(&[u8], &Signature, &PublicKey)]) -> Result<(), usize> {
    let mut messages = Vec::with_capacity(items.len());
    let mut signatures = Vec::with_capacity(items.len());
    let mut keys = Vec::with_capacity(items.len());
    // Decompressing a key costs a field square root, and a batch mostly
    // repeats a few authors: each distinct key is decompressed once.
    let mut decompressed: std::collections::HashMap<[u8; 32], VerifyingKey> =
        std::collections::HashMap::new();
    for (idx, (message, signature, key)) in items.iter().enumerate() {
        let verifying_key = match decompressed.get(&key.0) {
            Some(verifying_key) => *verifying_key,
            None => match VerifyingKey::from_bytes(&key.0) {
                Ok(verifying_key) if !verifying_key.is_weak() => {
                    decompressed.insert(key.0, verifying_key);
                    verifying_key
                }
                _ => return Err(idx),
            },
        };
        messages.push(*message);
        signatures.push(ed25519_dalek::Signature::from_bytes(&signature.0));
        keys.push(verifying_key);
    }
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        return Ok(());
    }
    for (idx, (message, signature, key)) in items.iter().enumerate() {
        if key.verify(message, signature).is_err() {
            return Err(idx);
        }
    }
    Ok(())
}
