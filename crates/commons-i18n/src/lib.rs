//! Fluent message catalogs and locale negotiation for the UI and the CLI.
//!
//! The catalogs are Project Fluent files compiled into the binary, one per
//! supported locale, and parsed once into a [`Catalog`]. Every locale carries
//! every message (a unit test enforces it), so falling back to English is a
//! safety net for a bug, not a feature callers rely on; falling back to the
//! message id is the last resort so a missing message never panics a request.
//!
//! Negotiation is a pure function of two strings: the user's stored setting
//! (or a language cookie) and the `Accept-Language` header. The caller does
//! the IO.
#![warn(missing_docs)]

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_langneg::{LanguageIdentifier, NegotiationStrategy, negotiate_languages};

pub use fluent_bundle::FluentValue;

/// Supported locales: code and native name, English first.
const LOCALES: &[(&str, &str)] = &[("en", "English"), ("sv", "Svenska")];

/// Sources of the catalogs, in the order of [`LOCALES`].
const SOURCES: &[&str] = &[
    include_str!("../locales/en/main.ftl"),
    include_str!("../locales/sv/main.ftl"),
];

/// A supported locale. Only [`Catalog`] and [`Locale::parse`] make one, so a
/// `Locale` always has a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Locale(usize);

/// All message bundles, parsed once. `Send + Sync`, so one is shared by
/// every request.
pub struct Catalog {
    bundles: Vec<FluentBundle<FluentResource>>,
}

impl Locale {
    /// English, the fallback.
    pub const EN: Locale = Locale(0);

    /// The supported locale with exactly this code (`en`, `sv`).
    pub fn parse(code: &str) -> Option<Locale> {
        LOCALES
            .iter()
            .position(|(known, _)| known.eq_ignore_ascii_case(code.trim()))
            .map(Locale)
    }

    /// The BCP 47 code, for `<html lang>` and settings.
    pub fn code(self) -> &'static str {
        LOCALES[self.0].0
    }

    /// The locale's name in its own language.
    pub fn native_name(self) -> &'static str {
        LOCALES[self.0].1
    }
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog::new()
    }
}

impl Catalog {
    /// Parses every catalog.
    pub fn new() -> Catalog {
        let bundles = LOCALES
            .iter()
            .zip(SOURCES)
            .map(|((code, _), source)| {
                let resource =
                    FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(_, errors)| {
                        panic!("the {code} catalog is compiled in and tested to parse: {errors:?}")
                    });
                let langid: unic_langid::LanguageIdentifier =
                    code.parse().expect("locale codes are valid language tags");
                let mut bundle = FluentBundle::new_concurrent(vec![langid]);
                // Isolation marks (U+2068/U+2069) would end up in HTML
                // attributes and test assertions; the UI sets `dir` itself.
                bundle.set_use_isolating(false);
                bundle
                    .add_resource(resource)
                    .expect("message ids are unique within a catalog (tested)");
                bundle
            })
            .collect();
        Catalog { bundles }
    }

    /// Supported locales: code and native name.
    pub fn locales() -> &'static [(&'static str, &'static str)] {
        LOCALES
    }

    /// Picks the locale for a request: the user's setting (or language
    /// cookie) if supported, else the best match of `Accept-Language`
    /// honouring q-values, else English.
    pub fn negotiate(&self, user_setting: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(locale) = user_setting.and_then(Locale::parse) {
            return locale;
        }
        let Some(header) = accept_language else {
            return Locale::EN;
        };
        let requested = parse_accept_language(header);
        let available: Vec<LanguageIdentifier> = LOCALES
            .iter()
            .map(|(code, _)| code.parse().expect("locale codes are valid language tags"))
            .collect();
        let chosen = negotiate_languages(&requested, &available, None, NegotiationStrategy::Lookup);
        chosen
            .first()
            .and_then(|langid| Locale::parse(&langid.to_string()))
            .unwrap_or(Locale::EN)
    }

    /// Formats a message. Falls back to English, then to the id itself.
    pub fn message(&self, locale: Locale, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for bundle in [&self.bundles[locale.0], &self.bundles[Locale::EN.0]] {
            let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            return Cow::into_owned(text);
        }
        id.to_owned()
    }

    /// Formats a message without arguments.
    pub fn text(&self, locale: Locale, id: &str) -> String {
        self.message(locale, id, &[])
    }
}

/// Language ranges of an `Accept-Language` header, best first. Ranges with
/// `q=0` are refused, not wanted; malformed ranges are skipped.
fn parse_accept_language(header: &str) -> Vec<LanguageIdentifier> {
    let mut ranges: Vec<(f32, usize, LanguageIdentifier)> = header
        .split(',')
        .enumerate()
        .filter_map(|(idx, range)| {
            let mut parts = range.split(';');
            let tag = parts.next()?.trim();
            let mut quality = 1.0_f32;
            for param in parts {
                if let Some(value) = param.trim().strip_prefix("q=") {
                    quality = value.trim().parse().ok()?;
                }
            }
            if tag == "*" || quality.is_nan() || quality <= 0.0 {
                return None;
            }
            Some((quality, idx, tag.parse().ok()?))
        })
        .collect();
    // Stable on ties: equal weights keep the order the browser sent.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().map(|(_, _, langid)| langid).collect()
}

#[cfg(test)]
mod tests;
