//! Integration tests of the public API: discrimination, export, scanning,
//! bad input, and (gated by `COMMONS_FINGERPRINT_CORPUS_TESTS=1`, because
//! they read whole corpora) privacy and collision checks over real source.

mod bad_input;
mod corpora;
mod discrimination;
mod scanning;
mod stability;

use commons_fingerprint::{CommunityKey, Config, Fingerprint, Language, fingerprint};

/// The key tests share with "their community".
fn key() -> CommunityKey {
    CommunityKey::new([7; 32], 1)
}

fn print(language: Language, source: &str) -> Fingerprint {
    fingerprint(language, source.as_bytes(), &Config::default()).expect("test sources fingerprint")
}

/// Every gram hash the fingerprint selected, as a sorted set.
fn hashes(fingerprint: &Fingerprint) -> Vec<u64> {
    let mut hashes: Vec<u64> = fingerprint.grams.iter().map(|it| it.hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}
