//! A short-lived memory of verified passwords, so that HTTP Basic
//! authentication (TAXII clients send it on every request) does not run
//! argon2 each time.
//!
//! An entry is keyed by a keyed BLAKE3 hash of the name and password (the
//! key is random per process, so the table reveals nothing that could be
//! checked offline) and remembers the user and the password hash it was
//! verified against. A lookup still reads the account: the entry counts
//! only while the stored password hash is the same one, so a password
//! change invalidates it by itself, and a disabled account is refused as
//! before. Entries live [`TTL`]; the table holds at most [`CAPACITY`]
//! entries. Changing a password or disabling an account also forgets the
//! user's entries at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified password is remembered.
pub const TTL: Duration = Duration::from_secs(60);

/// The most entries kept.
pub const CAPACITY: usize = 4096;

/// One verified pair.
#[derive(Debug, Clone)]
struct Verified {
    user_id: i64,
    password_hash: String,
    until: Instant,
}

/// Counters for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from memory.
    pub hits: u64,
    /// Lookups that ran argon2.
    pub misses: u64,
    /// Entries now held.
    pub entries: usize,
}

/// The cache (see the module documentation).
#[derive(Debug)]
pub struct CredentialCache {
    key: [u8; 32],
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<[u8; 32], Verified>,
    hits: u64,
    misses: u64,
}

impl Default for CredentialCache {
    fn default() -> Self {
        CredentialCache {
            key: rand::random(),
            state: Mutex::new(State::default()),
        }
    }
}

impl CredentialCache {
    fn slot(&self, name: &str, password: &str) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(password.as_bytes());
        *hasher.finalize().as_bytes()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves nothing half-written that
        // matters: the worst case is a forgotten entry.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `name` and `password` were verified recently against the
    /// account `user_id` whose stored hash is still `password_hash`.
    /// Counts a hit or a miss.
    pub fn check(&self, name: &str, password: &str, user_id: i64, password_hash: &str) -> bool {
        let slot = self.slot(name, password);
        let mut state = self.state();
        let now = Instant::now();
        let fresh = state.entries.get(&slot).is_some_and(|entry| {
            entry.user_id == user_id && entry.password_hash == password_hash && entry.until > now
        });
        if fresh {
            state.hits += 1;
        } else {
            state.entries.remove(&slot);
            state.misses += 1;
        }
        fresh
    }

    /// Remembers a pair argon2 just verified.
    pub fn remember(&self, name: &str, password: &str, user_id: i64, password_hash: &str) {
        let slot = self.slot(name, password);
        let mut state = self.state();
        let now = Instant::now();
        if state.entries.len() >= CAPACITY {
            state.entries.retain(|_, entry| entry.until > now);
        }
        if state.entries.len() >= CAPACITY {
            // Still full of live entries: start over rather than track age.
            state.entries.clear();
        }
        state.entries.insert(
            slot,
            Verified {
                user_id,
                password_hash: password_hash.to_owned(),
                until: now + TTL,
            },
        );
    }

    /// Forgets every entry of one account.
    pub fn forget_user(&self, user_id: i64) {
        self.state()
            .entries
            .retain(|_, entry| entry.user_id != user_id);
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        let state = self.state();
        CacheStats {
            hits: state.hits,
            misses: state.misses,
            entries: state.entries.len(),
        }
    }
}
