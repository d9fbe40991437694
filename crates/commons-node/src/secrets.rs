//! Secrets at rest: password hashing, token hashing, and wrapping of secret
//! keys with the node's key-encryption key.
//!
//! Secret keys of users and communities live in the database encrypted with
//! XChaCha20-Poly1305 under a key derived from the node's own secret, which is
//! kept in a separate file in the data directory. A stolen database alone
//! reveals no usable key.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use commons_kernel::SecretKey;
use rand::RngCore;
use zeroize::Zeroize;

/// Wraps secret keys for storage.
#[derive(Clone)]
pub struct KeyWrap {
    cipher: XChaCha20Poly1305,
}

/// A wrapped secret failed to open: wrong node key or tampered data.
#[derive(Debug, thiserror::Error)]
#[error(
    "a stored secret key does not decrypt; the data directory's node key does not match the database"
)]
pub struct UnwrapError;

impl KeyWrap {
    /// Derives the wrapping key from the node's secret.
    pub fn new(node_secret: &SecretKey) -> KeyWrap {
        let mut secret = node_secret.to_bytes();
        let mut key = blake3::derive_key("commons 2026 secret-key wrapping v1", &secret);
        secret.zeroize();
        let cipher = XChaCha20Poly1305::new((&key).into());
        key.zeroize();
        KeyWrap { cipher }
    }

    /// Encrypts a secret key; hex of nonce and ciphertext.
    pub fn wrap(&self, key: &SecretKey) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut plain = key.to_bytes();
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_slice())
            .expect("encrypting 32 bytes cannot fail");
        plain.zeroize();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        hex::encode(out)
    }

    /// Decrypts a wrapped secret key.
    pub fn unwrap(&self, wrapped: &str) -> Result<SecretKey, UnwrapError> {
        let bytes = hex::decode(wrapped).map_err(|_| UnwrapError)?;
        if bytes.len() < 24 {
            return Err(UnwrapError);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let mut plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| UnwrapError)?;
        let key_bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| UnwrapError)?;
        plain.zeroize();
        Ok(SecretKey::from_bytes(&key_bytes))
    }
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A fresh random bearer secret with a prefix naming what it is.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The stored form of a bearer secret. Tokens carry 256 random bits, so a
/// fast hash suffices; no salt or stretching is needed.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Encrypts a secret key under a passphrase, for identity export.
pub fn seal_with_passphrase(key: &SecretKey, passphrase: &str) -> (String, String) {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let wrap = passphrase_wrap(passphrase, salt.as_str());
    (salt.as_str().to_owned(), wrap.wrap(key))
}

/// Decrypts what [`seal_with_passphrase`] produced.
pub fn open_with_passphrase(
    salt: &str,
    sealed: &str,
    passphrase: &str,
) -> Result<SecretKey, UnwrapError> {
    passphrase_wrap(passphrase, salt).unwrap(sealed)
}

fn passphrase_wrap(passphrase: &str, salt: &str) -> KeyWrap {
    let mut key = [0u8; 32];
    Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt.as_bytes(), &mut key)
        .expect("argon2 accepts any passphrase and a 22-character salt");
    let cipher = XChaCha20Poly1305::new((&key).into());
    key.zeroize();
    KeyWrap { cipher }
}
