//! Catalog completeness and negotiation checks.

use std::collections::BTreeSet;

use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast;

use super::*;

/// Arguments every message may use; the catalogs' header lists the same.
fn standard_args() -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    args.set("name", "alice");
    args.set("count", 3);
    args.set("min", 10);
    args.set("role", "Member");
    args.set("kinds", "security");
    args.set("page", "Home");
    args.set("key", "ab12cd34");
    args.set("home", "ef56ab78");
    args.set("records", 1200);
    args.set("skipped", 2);
    args.set("kept", 100);
    args.set("total", 140);
    args
}

fn message_ids(source: &str) -> BTreeSet<String> {
    let resource = FluentResource::try_new(source.to_owned()).expect("catalog parses");
    resource
        .entries()
        .filter_map(|entry| match entry {
            ast::Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn catalogs_parse_without_errors() {
    for ((code, _), source) in LOCALES.iter().zip(SOURCES) {
        if let Err((_, errors)) = FluentResource::try_new((*source).to_owned()) {
            panic!("{code}: {errors:?}");
        }
    }
}

#[test]
fn every_locale_has_every_message() {
    let english = message_ids(SOURCES[0]);
    assert!(english.len() > 50, "the English catalog looks truncated");
    for ((code, _), source) in LOCALES.iter().zip(SOURCES).skip(1) {
        let other = message_ids(source);
        let missing: Vec<_> = english.difference(&other).collect();
        let extra: Vec<_> = other.difference(&english).collect();
        assert!(missing.is_empty(), "{code} lacks {missing:?}");
        assert!(extra.is_empty(), "{code} has ids English lacks: {extra:?}");
    }
}

#[test]
fn every_message_formats_without_errors() {
    let catalog = Catalog::new();
    let args = standard_args();
    for (idx, source) in SOURCES.iter().enumerate() {
        let bundle = &catalog.bundles[idx];
        for id in message_ids(source) {
            let pattern = bundle
                .get_message(&id)
                .and_then(|message| message.value())
                .unwrap_or_else(|| panic!("{}: {id} has no value", LOCALES[idx].0));
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
            assert!(errors.is_empty(), "{}: {id}: {errors:?}", LOCALES[idx].0);
            assert!(!text.trim().is_empty(), "{}: {id} is empty", LOCALES[idx].0);
            assert!(
                !text.contains('\u{2068}') && !text.contains('\u{2069}'),
                "{}: {id} has isolation marks",
                LOCALES[idx].0
            );
        }
    }
}

#[track_caller]
fn check_negotiate(user_setting: Option<&str>, accept_language: Option<&str>, expect: &str) {
    let catalog = Catalog::new();
    assert_eq!(
        catalog.negotiate(user_setting, accept_language).code(),
        expect
    );
}

#[test]
fn negotiate_falls_back_to_english() {
    check_negotiate(None, None, "en");
    check_negotiate(None, Some(""), "en");
    check_negotiate(None, Some("de-DE,fr;q=0.8"), "en");
    check_negotiate(None, Some("garbage;;;,,"), "en");
    check_negotiate(Some("xx"), None, "en");
}

#[test]
fn negotiate_prefers_the_user_setting() {
    check_negotiate(Some("sv"), Some("en-US"), "sv");
    check_negotiate(Some("en"), Some("sv-SE"), "en");
}

#[test]
fn negotiate_reads_accept_language() {
    check_negotiate(None, Some("sv-SE,sv;q=0.9,en;q=0.8"), "sv");
    check_negotiate(None, Some("de, sv;q=0.5"), "sv");
    check_negotiate(None, Some("en-GB"), "en");
}

#[test]
fn negotiate_honours_q_values_not_order() {
    check_negotiate(None, Some("en;q=0.3, sv;q=0.9"), "sv");
    check_negotiate(None, Some("sv;q=0.1, en"), "en");
    check_negotiate(None, Some("sv;q=0, en;q=0.2"), "en");
}

#[test]
fn message_falls_back_to_the_id() {
    let catalog = Catalog::new();
    let sv = Locale::parse("sv").expect("sv is supported");
    assert_eq!(catalog.text(sv, "no-such-message"), "no-such-message");
    assert_eq!(catalog.text(sv, "nav-home"), "Start");
    assert_eq!(
        catalog.message(Locale::EN, "signed-in-as", &[("name", "bo".into())]),
        "Signed in as bo"
    );
    assert_eq!(
        catalog.message(Locale::EN, "policy-votes", &[("count", 1.into())]),
        "One net vote accepts a contribution."
    );
}

#[test]
fn catalog_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Catalog>();
}

#[test]
fn locales_lists_native_names() {
    assert_eq!(Catalog::locales(), &[("en", "English"), ("sv", "Svenska")]);
    let sv = Locale::parse("SV").expect("case-insensitive");
    assert_eq!((sv.code(), sv.native_name()), ("sv", "Svenska"));
}
