//! Bad input returns typed errors, never a panic or a hang.

use commons_fingerprint::{
    Config, FingerprintError, Language, Limits, fingerprint, fingerprint_lines, normalize,
};
use proptest::prelude::*;

#[track_caller]
fn check_error(language: Language, source: &[u8], limits: Limits, expect: FingerprintError) {
    let config = Config {
        limits,
        ..Config::default()
    };
    let error = fingerprint(language, source, &config).expect_err("bad input");
    assert_eq!(error, expect);
}

#[test]
fn binary_files_are_refused() {
    check_error(
        Language::C,
        b"\x7fELF\x02\x01\x01\x00\x00",
        Limits::default(),
        FingerprintError::Binary { offset: 7 },
    );
}

#[test]
fn invalid_utf8_is_refused() {
    check_error(
        Language::Python,
        b"x = '\xff\xfe'\n",
        Limits::default(),
        FingerprintError::InvalidUtf8 { offset: 5 },
    );
}

#[test]
fn oversize_files_are_refused_before_parsing() {
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    check_error(
        Language::Go,
        b"package main\n",
        limits,
        FingerprintError::TooLarge {
            size: 13,
            limit: 10,
        },
    );
}

#[test]
fn pathological_nesting_is_refused_not_overflowed() {
    let limits = Limits::default();
    let deep = |open: &str, middle: &str, close: &str, n: usize| {
        format!("{}{}{}", open.repeat(n), middle, close.repeat(n)).into_bytes()
    };
    let cases = [
        (
            Language::Python,
            deep("x = ", "", "", 1)
                .into_iter()
                .chain(deep("(", "1", ")", 200_000))
                .collect::<Vec<u8>>(),
        ),
        (Language::JavaScript, deep("[", "1", "]", 200_000)),
        (
            Language::Rust,
            deep("fn f() { ", "", "", 1)
                .into_iter()
                .chain(deep("{", "1", "}", 200_000))
                .collect(),
        ),
        (
            Language::C,
            deep("int x = ", "", "", 1)
                .into_iter()
                .chain(deep("(", "1", ")", 200_000))
                .collect(),
        ),
    ];
    for (language, source) in cases {
        let result = normalize(language, &source, &limits).map(|it| it.len());
        assert_eq!(
            result,
            Err(FingerprintError::TooDeep { limit: 10_000 }),
            "{language}"
        );
    }
}

#[test]
fn nesting_within_the_limit_is_fine() {
    let source = format!("x = {}1{}\n", "(".repeat(2_000), ")".repeat(2_000));
    let normalized = normalize(Language::Python, source.as_bytes(), &Limits::default()).unwrap();
    assert!(normalized.len() > 2_000);
}

#[test]
fn the_parser_work_budget_stops_a_parse() {
    let source = "def f(x):\n    return x + 1\n".repeat(2_000);
    let limits = Limits {
        parse_steps_per_byte: 0,
        min_parse_steps: 10,
        ..Limits::default()
    };
    check_error(
        Language::Python,
        source.as_bytes(),
        limits,
        FingerprintError::ParseBudgetExceeded { budget: 10 },
    );
    // The thread's parser is reset after a cancelled parse: the next one works.
    assert!(fingerprint(Language::Python, source.as_bytes(), &Config::default()).is_ok());
}

#[test]
fn token_limit() {
    let limits = Limits {
        max_tokens: 100,
        ..Limits::default()
    };
    let source = "x = 1\n".repeat(100);
    check_error(
        Language::Python,
        source.as_bytes(),
        limits,
        FingerprintError::TooManyTokens { limit: 100 },
    );
}

#[test]
fn empty_and_comment_only_sources_have_empty_fingerprints() {
    for source in ["", "# nothing here\n", "\u{feff}", "\n\n\n"] {
        let fingerprint =
            fingerprint(Language::Python, source.as_bytes(), &Config::default()).unwrap();
        assert_eq!(fingerprint.token_count, 0);
        assert!(fingerprint.grams.is_empty());
    }
}

#[test]
fn line_ranges_that_select_nothing_are_errors() {
    let source = b"def f():\n    return 1\n";
    let config = Config::default();
    for (first, last) in [(3, 1), (5, 9), (0, 0)] {
        assert_eq!(
            fingerprint_lines(Language::Python, source, first..=last, &config).unwrap_err(),
            FingerprintError::EmptyLineRange { first, last }
        );
    }
}

#[test]
fn errors_explain_themselves() {
    let error = FingerprintError::TooLarge {
        size: 20,
        limit: 10,
    };
    assert_eq!(
        error.to_string(),
        "source is 20 bytes, over the limit of 10"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), idx in 0usize..10) {
        let language = Language::ALL[idx];
        let _ = fingerprint(language, &bytes, &Config::default());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n\t{}()\\[\\]\"'`$#]{0,300}", idx in 0usize..10) {
        let language = Language::ALL[idx];
        let result = fingerprint(language, text.as_bytes(), &Config::default());
        prop_assert!(result.is_ok(), "{result:?}");
    }
}
