//! Export, library and scan through the public API.

use commons_fingerprint::{
    CommunityKey, Config, CorpusError, ExportError, Language, Library, LibraryError,
    ReferenceCorpus, SharedFingerprint, SharedProblem, fingerprint, fingerprint_lines, scan_source,
};
use proptest::prelude::*;

use crate::{key, print};

const PATTERN: &str = r#"
def load_profile(request, store):
    raw = request.cookies.get("profile")
    if raw is None:
        return store.default_profile()
    profile = pickle.loads(base64.b64decode(raw))
    store.remember(profile.owner, profile)
    for item in profile.items:
        store.index(item.kind, item.label, item)
    return profile
"#;

/// The host file: unrelated code, then the pattern renamed and re-laid out
/// starting at line 12.
const HOST: &str = r#"import os


def unrelated(a, b):
    total = 0
    for x in range(a):
        total += x * b
    return total


# planted below
def fetch_settings(req, backend):
    blob = req.cookies.get("settings-v2")
    if blob is None:
        return backend.default_profile()
    settings = pickle.loads(
        base64.b64decode(blob)
    )
    backend.remember(settings.owner, settings)
    for entry in settings.items:
        backend.index(entry.kind, entry.label, entry)
    return settings


def trailer():
    return os.getcwd()
"#;

fn shared(source: &str) -> SharedFingerprint {
    print(Language::Python, source)
        .export(&key(), None, &Config::default())
        .expect("the test pattern passes the gate")
        .0
}

fn library_with(pattern: &SharedFingerprint) -> Library {
    let mut library = Library::new();
    library.insert(42, pattern).expect("a valid pattern");
    library
}

#[test]
fn a_renamed_relaid_copy_is_found_with_its_lines() {
    let library = library_with(&shared(PATTERN));
    let matches = scan_source(
        Language::Python,
        HOST.as_bytes(),
        &library,
        &key(),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(matches.len(), 1, "{matches:?}");
    let found = &matches[0];
    assert_eq!(found.pattern, 42);
    assert_eq!(found.similarity, 1.0);
    // The region runs from the first to the last matched gram; the copy's
    // first and last lines (12 and 22) lie within one share window of them.
    assert!((12..=13).contains(&found.first_line), "{found:?}");
    assert!((21..=22).contains(&found.last_line), "{found:?}");
}

#[test]
fn a_pattern_from_a_line_range_matches_where_that_code_is_copied() {
    let config = Config::default();
    let pattern = fingerprint_lines(Language::Python, HOST.as_bytes(), 12..=22, &config)
        .unwrap()
        .export(&key(), None, &config)
        .unwrap()
        .0;
    let library = library_with(&pattern);
    let matches = scan_source(
        Language::Python,
        PATTERN.as_bytes(),
        &library,
        &key(),
        &config,
    )
    .unwrap();
    assert_eq!(matches.len(), 1);
    // A region runs from the first to the last matched gram: the pattern's
    // first and last lines lie within one share window of them, not
    // necessarily inside.
    assert!((2..=3).contains(&matches[0].first_line), "{matches:?}");
    assert!((9..=10).contains(&matches[0].last_line), "{matches:?}");
}

#[test]
fn two_copies_are_two_matches() {
    let library = library_with(&shared(PATTERN));
    let twice = format!("{PATTERN}\n{PATTERN}");
    let matches = scan_source(
        Language::Python,
        twice.as_bytes(),
        &library,
        &key(),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(matches.len(), 2, "{matches:?}");
    assert!(matches[0].last_line < matches[1].first_line);
}

/// How [`sibling`] goes on after the statements it shares with [`PATTERN`].
const SIBLING_TAIL: &str = r#"    log.info("loaded %s", profile.owner)
    with open(store.path(profile.owner), "wb") as out:
        out.write(raw)
    return profile
"#;

/// A function that starts like [`PATTERN`] (up to the `pickle.loads` line),
/// then goes its own way.
fn sibling() -> String {
    let head: String = PATTERN
        .lines()
        .take(6)
        .map(|line| format!("{line}\n"))
        .collect();
    format!("{head}{SIBLING_TAIL}")
}

fn scan_with(patterns: &[(u64, &str)], source: &str) -> Vec<commons_fingerprint::Match> {
    let mut library = Library::new();
    for (id, pattern) in patterns {
        library
            .insert(*id, &shared(pattern))
            .expect("a valid pattern");
    }
    scan_source(
        Language::Python,
        source.as_bytes(),
        &library,
        &key(),
        &Config::default(),
    )
    .expect("test sources fingerprint")
}

#[test]
fn a_copy_counts_for_the_pattern_it_matches_best() {
    // Alone, the sibling is found in the copy of the pattern through the
    // statements they share...
    let alone = scan_with(&[(7, &sibling())], HOST);
    assert_eq!(alone.len(), 1, "{alone:?}");
    // ...but next to the pattern those grams are the pattern's.
    let both = scan_with(&[(7, &sibling()), (42, PATTERN)], HOST);
    assert_eq!(both.len(), 1, "{both:?}");
    assert_eq!((both[0].pattern, both[0].similarity), (42, 1.0));
}

#[test]
fn copies_of_two_similar_patterns_are_both_found() {
    let file = format!("{PATTERN}\n{}", sibling());
    let matches = scan_with(&[(7, &sibling()), (42, PATTERN)], &file);
    let found: Vec<u64> = matches.iter().map(|it| it.pattern).collect();
    assert_eq!(found, [42, 7], "{matches:?}");
}

#[test]
fn another_key_or_epoch_or_language_finds_nothing() {
    let library = library_with(&shared(PATTERN));
    let config = Config::default();
    let scan = |key: &CommunityKey| {
        scan_source(Language::Python, HOST.as_bytes(), &library, key, &config).unwrap()
    };
    assert!(scan(&CommunityKey::new([8; 32], 1)).is_empty());
    assert!(scan(&CommunityKey::new([7; 32], 2)).is_empty());
    let as_js = scan_source(
        Language::JavaScript,
        b"let x = 1;",
        &library,
        &key(),
        &config,
    )
    .unwrap();
    assert!(as_js.is_empty());
}

#[test]
fn unrelated_code_matches_nothing() {
    let library = library_with(&shared(PATTERN));
    let other = "def f(a, b):\n    c = a + b\n    for i in range(c):\n        print(i, a, b)\n    return c\n";
    let matches = scan_source(
        Language::Python,
        other.as_bytes(),
        &library,
        &key(),
        &Config::default(),
    )
    .unwrap();
    assert!(matches.is_empty(), "{matches:?}");
}

#[test]
fn exports_are_sorted_sets_with_scheme_ids() {
    let pattern = shared(PATTERN);
    assert!(pattern.hashes.windows(2).all(|it| it[0] < it[1]));
    assert_eq!(pattern.scheme.language, Language::Python);
    assert_eq!(pattern.scheme.k, commons_fingerprint::DEFAULT_K);
    assert_eq!(
        pattern.scheme.window,
        commons_fingerprint::DEFAULT_SHARE_WINDOW
    );
    assert_eq!(pattern.scheme.grammar, "tree-sitter-python 0.25.0");
    assert_eq!(pattern.key_epoch, 1);
    assert_eq!(pattern.keyed_with, "blake3-keyed-64");
    assert_eq!(pattern.validate(), Ok(()));
}

#[test]
fn shared_json_round_trips_with_hex_hashes() {
    let pattern = shared(PATTERN);
    let json = serde_json::to_value(&pattern).unwrap();
    let first = json["hashes"][0].as_str().unwrap();
    assert_eq!(first.len(), 16);
    assert_eq!(u64::from_str_radix(first, 16).unwrap(), pattern.hashes[0]);
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["hashes", "key_epoch", "keyed_with", "scheme", "token_count"]
    );
    let back: SharedFingerprint = serde_json::from_value(json).unwrap();
    assert_eq!(back, pattern);
}

#[test]
fn malformed_hex_is_rejected() {
    let mut json = serde_json::to_value(shared(PATTERN)).unwrap();
    json["hashes"][0] = "+00000000000000f".into();
    assert!(serde_json::from_value::<SharedFingerprint>(json).is_err());
}

#[test]
fn validation_reports_every_problem_by_field() {
    let mut pattern = shared(PATTERN);
    pattern.scheme.format = 99;
    pattern.keyed_with = "md5".into();
    pattern.hashes.reverse();
    pattern.token_count = 3;
    assert_eq!(
        pattern.validate(),
        Err(vec![
            SharedProblem::Format(99),
            SharedProblem::KeyedWith("md5".into()),
            SharedProblem::Unsorted(1),
            SharedProblem::TokenCount(3),
        ])
    );
    let message = SharedProblem::KeyedWith("md5".into()).to_string();
    assert!(message.starts_with("keyed_with:"), "{message}");
    let mut library = Library::new();
    assert!(matches!(
        library.insert(1, &pattern),
        Err(LibraryError::Invalid { id: 1, .. })
    ));
}

#[test]
fn ids_are_unique() {
    let pattern = shared(PATTERN);
    let mut library = library_with(&pattern);
    assert_eq!(
        library.insert(42, &pattern),
        Err(LibraryError::DuplicateId(42))
    );
    assert_eq!(library.len(), 1);
}

#[test]
fn tiny_code_cannot_be_exported() {
    let fingerprint = print(Language::Python, "pickle.loads(data)\n");
    let error = fingerprint
        .export(&key(), None, &Config::default())
        .unwrap_err();
    assert!(
        matches!(error, ExportError::TooSmall { min: 10, .. }),
        "{error:?}"
    );
}

#[test]
fn the_share_window_cannot_be_smaller_than_the_scan_window() {
    let fingerprint = print(Language::Python, PATTERN);
    let config = Config {
        share_window: 2,
        ..Config::default()
    };
    assert_eq!(
        fingerprint.export(&key(), None, &config).unwrap_err(),
        ExportError::WindowTooSmall {
            window: commons_fingerprint::DEFAULT_WINDOW,
            share_window: 2
        }
    );
}

#[test]
fn common_grams_are_dropped_and_common_patterns_refused() {
    let config = Config::default();
    let generic =
        "def f(self, x):\n    self.x = x\n    self.y = None\n    self.z = []\n    return self\n";
    // A corpus where the generic code is everywhere and the pattern nowhere.
    let documents: Vec<String> = (0..50)
        .map(|n| format!("{generic}\nv{n} = {n}\n"))
        .collect();
    let corpus = ReferenceCorpus::build(
        documents.iter().map(|it| (Language::Python, it.as_str())),
        &config,
    );
    assert_eq!(corpus.documents(Language::Python), 50);
    let error = print(Language::Python, generic)
        .export(&key(), Some(&corpus), &config)
        .unwrap_err();
    assert!(
        matches!(error, ExportError::Uninformative { .. }),
        "{error:?}"
    );
    let (_, report) = print(Language::Python, PATTERN)
        .export(&key(), Some(&corpus), &config)
        .unwrap();
    assert_eq!(report.common, 0);
    assert_eq!(report.kept, report.grams);
    assert_eq!(report.corpus_documents, 50);
}

#[test]
fn a_corpus_of_another_k_is_refused() {
    let other = Config {
        k: 10,
        ..Config::default()
    };
    let corpus = ReferenceCorpus::build([(Language::Python, PATTERN)], &other);
    let error = print(Language::Python, PATTERN)
        .export(&key(), Some(&corpus), &Config::default())
        .unwrap_err();
    assert_eq!(error, ExportError::CorpusMismatch { field: "k" });
}

#[test]
fn corpus_bytes_round_trip() {
    let config = Config::default();
    let documents = [PATTERN, HOST, PATTERN, HOST];
    let corpus =
        ReferenceCorpus::build(documents.iter().map(|it| (Language::Python, *it)), &config);
    assert!(corpus.stored_grams(Language::Python) > 0);
    let bytes = corpus.to_bytes();
    assert_eq!(ReferenceCorpus::from_bytes(&bytes), Ok(corpus));
    assert_eq!(
        ReferenceCorpus::from_bytes(b"nope"),
        Err(CorpusError::Magic)
    );
    assert!(matches!(
        ReferenceCorpus::from_bytes(&bytes[..bytes.len() - 1]),
        Err(CorpusError::Truncated(_))
    ));
}

#[test]
fn scanning_reuses_one_fingerprint_across_libraries() {
    let config = Config::default();
    let file = fingerprint(Language::Python, HOST.as_bytes(), &config).unwrap();
    let library = library_with(&shared(PATTERN));
    assert_eq!(library.scan(&file, &key(), 0.5).len(), 1);
    assert!(Library::new().scan(&file, &key(), 0.5).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn corpus_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut input = b"CFPCORP1".to_vec();
        input.extend(bytes);
        let _ = ReferenceCorpus::from_bytes(&input);
    }
}
