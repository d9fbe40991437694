//! Pure checks of `patterns.*` records against their schema and the
//! community's roles: every finding is reported, each naming its field.
//!
//! What needs the projections (does the pattern exist, is it a duplicate, is
//! the voter its submitter, does the state allow this) is checked by the home
//! node before it signs or appends (see the node's patterns facade); the
//! reducer ignores what would not apply, so a log replays the same way
//! whatever a home node let through.

use commons_fingerprint::{Language, SharedFingerprint};
use commons_kernel::capability::{Findings, ValidationContext, Validator, check_author};
use commons_kernel::community::body;
use commons_kernel::record::Record;
use commons_kernel::{KindSpec, RecordId};
use serde_json::Value;

use crate::records::{
    APPROVE, COUNTS, CountsBody, KINDS, PatternRef, Properties, ROTATE, RotateBody, SUBMIT,
    SubmitBody, TRANSITION, TransitionBody, VOTE, VoteBody, WITHDRAW,
};

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 4000;
/// Most hashes a submission may carry.
pub const MAX_HASHES: usize = 4096;
/// Most near-duplicates a submission links.
pub const MAX_SIMILAR: usize = 16;
/// Most patterns one `patterns.counts` record reports.
pub const MAX_COUNTS: usize = 1000;
/// Largest count one report may carry for one pattern.
pub const MAX_MATCHES: u64 = 1_000_000_000;

/// Validates the `patterns.*` kinds.
#[derive(Debug, Clone, Copy, Default)]
pub struct PatternsValidator;

impl Validator for PatternsValidator {
    fn capability(&self) -> &'static str {
        "patterns"
    }

    fn kinds(&self) -> &'static [KindSpec] {
        KINDS
    }

    fn validate(&self, ctx: &ValidationContext, record: &Record) -> Result<(), Findings> {
        let spec = KINDS
            .iter()
            .find(|spec| spec.kind == record.kind.as_str())
            .ok_or_else(|| {
                Findings::one(
                    "/kind",
                    format!("unknown patterns record kind {}", record.kind),
                )
            })?;
        let Some(info) = &ctx.community else {
            return Err(Findings::one(
                "/community",
                "the community has no genesis entry",
            ));
        };
        let by_home = record.author == info.home;
        match spec.kind {
            SUBMIT => {
                let anonymous = record.body.get("anonymous") == Some(&Value::Bool(true));
                if anonymous && !by_home {
                    return Err(Findings::one(
                        "/author",
                        "an anonymous submission is signed by the community's home node",
                    ));
                }
                if !anonymous {
                    check_author(ctx, record, &member_spec(spec))?;
                }
                check_submit(&record.body).into_result()
            }
            VOTE => {
                check_author(ctx, record, spec)?;
                let vote = body::<VoteBody>(record)?;
                let mut findings = Findings::default();
                check_pattern_id(&vote.pattern, &mut findings);
                if vote.vote != 1 && vote.vote != -1 {
                    findings.push("/body/vote", "must be 1 (for) or -1 (against)");
                }
                findings.into_result()
            }
            APPROVE => {
                check_author(ctx, record, spec)?;
                let approval = body::<PatternRef>(record)?;
                let mut findings = Findings::default();
                check_pattern_id(&approval.pattern, &mut findings);
                findings.into_result()
            }
            WITHDRAW => {
                if !by_home {
                    check_author(ctx, record, &member_spec(spec))?;
                }
                let withdrawal = body::<PatternRef>(record)?;
                let mut findings = Findings::default();
                check_pattern_id(&withdrawal.pattern, &mut findings);
                findings.into_result()
            }
            TRANSITION => {
                if !by_home {
                    return Err(Findings::one(
                        "/author",
                        "only the community's home node records state transitions",
                    ));
                }
                let transition = body::<TransitionBody>(record)?;
                let mut findings = Findings::default();
                check_pattern_id(&transition.pattern, &mut findings);
                if transition.reason.chars().count() > MAX_TITLE {
                    findings.push("/body/reason", format!("at most {MAX_TITLE} characters"));
                }
                findings.into_result()
            }
            ROTATE => {
                check_author(ctx, record, spec)?;
                let rotation = body::<RotateBody>(record)?;
                if rotation.epoch == 0 {
                    return Err(Findings::one(
                        "/body/epoch",
                        "epoch 0 is the community's first key; a rotation starts epoch 1 or later",
                    ));
                }
                Ok(())
            }
            COUNTS => {
                check_author(ctx, record, spec)?;
                let counts = body::<CountsBody>(record)?;
                check_counts(&counts).into_result()
            }
            other => unreachable!("kind {other} is listed in KINDS but not handled"),
        }
    }
}

/// The spec with the member role required, for kinds whose home-node path
/// needs no membership.
fn member_spec(spec: &KindSpec) -> KindSpec {
    KindSpec {
        min_role: Some(commons_kernel::Role::Member),
        ..*spec
    }
}

fn check_pattern_id(id: &str, findings: &mut Findings) {
    if id.parse::<RecordId>().is_err() {
        findings.push(
            "/body/pattern",
            "must be a pattern id (the submission's record id, 64 hex digits)",
        );
    }
}

/// Every problem of a `patterns.counts` body, each at its field.
pub fn check_counts(counts: &CountsBody) -> Findings {
    let mut findings = Findings::default();
    if !is_day(&counts.period) {
        findings.push("/body/period", "must be a UTC day, YYYY-MM-DD");
    }
    if counts.counts.is_empty() {
        findings.push("/body/counts", "must name at least one pattern");
    }
    if counts.counts.len() > MAX_COUNTS {
        findings.push(
            "/body/counts",
            format!("at most {MAX_COUNTS} patterns per report"),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (idx, count) in counts.counts.iter().enumerate() {
        if count.pattern.parse::<RecordId>().is_err() {
            findings.push(
                format!("/body/counts/{idx}/pattern"),
                "must be a pattern id (64 hex digits)",
            );
        } else if !seen.insert(count.pattern.as_str()) {
            findings.push(
                format!("/body/counts/{idx}/pattern"),
                "is reported twice; send one count per pattern",
            );
        }
        if count.matches == 0 || count.matches > MAX_MATCHES {
            findings.push(
                format!("/body/counts/{idx}/matches"),
                format!("must be between 1 and {MAX_MATCHES}"),
            );
        }
    }
    findings
}

/// Whether `text` is a calendar day `YYYY-MM-DD` (months 01–12, days 01–31).
fn is_day(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()].iter().all(u8::is_ascii_digit) && text[range].parse::<u32>().is_ok()
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Every problem of a submission body, each at its field.
pub fn check_submit(body: &Value) -> Findings {
    let mut findings = Findings::default();
    let Some(map) = body.as_object() else {
        findings.push("/body", "must be an object");
        return findings;
    };
    const FIELDS: &[&str] = &[
        "title",
        "description",
        "language",
        "properties",
        "fingerprint",
        "anonymous",
        "similar",
    ];
    for key in map.keys() {
        if !FIELDS.contains(&key.as_str()) {
            findings.push(format!("/body/{key}"), "unknown field");
        }
    }
    match map.get("title").and_then(Value::as_str) {
        None => findings.push("/body/title", "required: a short name for the pattern"),
        Some(title) if title.trim().is_empty() => findings.push("/body/title", "must not be empty"),
        Some(title) if title.chars().count() > MAX_TITLE => {
            findings.push("/body/title", format!("at most {MAX_TITLE} characters"))
        }
        Some(_) => {}
    }
    match map.get("description") {
        None => {}
        Some(Value::String(text)) if text.chars().count() > MAX_DESCRIPTION => findings.push(
            "/body/description",
            format!("at most {MAX_DESCRIPTION} characters"),
        ),
        Some(Value::String(_)) => {}
        Some(_) => findings.push("/body/description", "must be a string"),
    }
    let language = match map.get("language").and_then(Value::as_str) {
        None => {
            findings.push("/body/language", "required: the language of the code");
            None
        }
        Some(name) => match Language::from_name(name) {
            Ok(language) => Some(language),
            Err(e) => {
                findings.push("/body/language", e.to_string());
                None
            }
        },
    };
    match map.get("properties") {
        None => findings.push(
            "/body/properties",
            "required: severity and category at least",
        ),
        Some(value) => check_properties(value, &mut findings),
    }
    match map.get("fingerprint") {
        None => findings.push(
            "/body/fingerprint",
            "required: the output of `commons pattern abstract`",
        ),
        Some(value) => match serde_json::from_value::<SharedFingerprint>(value.clone()) {
            Err(e) => findings.push("/body/fingerprint", e.to_string()),
            Ok(fingerprint) => check_fingerprint(&fingerprint, language, &mut findings),
        },
    }
    match map.get("anonymous") {
        None | Some(Value::Bool(_)) => {}
        Some(_) => findings.push("/body/anonymous", "must be true or false"),
    }
    match map.get("similar") {
        None => {}
        Some(Value::Array(items)) => {
            if items.len() > MAX_SIMILAR {
                findings.push("/body/similar", format!("at most {MAX_SIMILAR} entries"));
            }
            for (idx, item) in items.iter().enumerate() {
                if item
                    .as_str()
                    .is_none_or(|text| text.parse::<RecordId>().is_err())
                {
                    findings.push(format!("/body/similar/{idx}"), "must be a pattern id");
                }
            }
        }
        Some(_) => findings.push("/body/similar", "must be a list of pattern ids"),
    }
    if findings.0.is_empty()
        && let Err(e) = serde_json::from_value::<SubmitBody>(body.clone())
    {
        findings.push("/body", e.to_string());
    }
    findings
}

fn check_properties(value: &Value, findings: &mut Findings) {
    let Some(map) = value.as_object() else {
        findings.push("/body/properties", "must be an object");
        return;
    };
    for key in map.keys() {
        if !["severity", "category", "performance", "security"].contains(&key.as_str()) {
            findings.push(
                format!("/body/properties/{key}"),
                "unknown property; use severity, category, performance or security",
            );
        }
    }
    match map.get("severity").and_then(Value::as_str) {
        None => findings.push(
            "/body/properties/severity",
            "required: critical, high, medium, low or info",
        ),
        Some(text) => {
            if let Err(e) = text.parse::<crate::records::Severity>() {
                findings.push("/body/properties/severity", e);
            }
        }
    }
    match map.get("category").and_then(Value::as_str) {
        None => findings.push(
            "/body/properties/category",
            "required: a slug such as sql-injection",
        ),
        Some(text) => {
            if let Err(e) = check_category(text) {
                findings.push("/body/properties/category", e);
            }
        }
    }
    for field in ["performance", "security"] {
        match map.get(field) {
            None => {}
            Some(Value::String(text)) => {
                if let Err(e) = text.parse::<crate::records::Impact>() {
                    findings.push(format!("/body/properties/{field}"), e);
                }
            }
            Some(_) => findings.push(
                format!("/body/properties/{field}"),
                "must be none, low, medium or high",
            ),
        }
    }
}

/// Checks a category slug: 1–64 characters of `a-z`, `0-9`, `-` and `+`.
pub fn check_category(text: &str) -> Result<(), String> {
    if text.is_empty() || text.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        return Err(format!(
            "{text:?} is not a slug; use lowercase letters, digits, '-' and '+', e.g. sql-injection"
        ));
    }
    Ok(())
}

fn check_fingerprint(
    fingerprint: &SharedFingerprint,
    language: Option<Language>,
    findings: &mut Findings,
) {
    if let Err(problems) = fingerprint.validate() {
        for problem in problems {
            // Each problem's text starts with the field it is about.
            let text = problem.to_string();
            let (field, message) = text.split_once(": ").unwrap_or(("", text.as_str()));
            let pointer = if field.is_empty() {
                "/body/fingerprint".to_owned()
            } else {
                format!("/body/fingerprint/{}", field.replace('.', "/"))
            };
            findings.push(pointer, message.to_owned());
        }
    }
    if fingerprint.hashes.len() > MAX_HASHES {
        findings.push(
            "/body/fingerprint/hashes",
            format!(
                "{} hashes; at most {MAX_HASHES} (mark a smaller region of code)",
                fingerprint.hashes.len()
            ),
        );
    }
    if let Some(language) = language
        && fingerprint.scheme.language != language
    {
        findings.push(
            "/body/fingerprint/scheme/language",
            format!(
                "is {}, but the submission says {}",
                fingerprint.scheme.language.name(),
                language.name()
            ),
        );
    }
}

impl Properties {
    /// Checks properties built in code (the CLI and the API build them from
    /// `key=value` pairs), with pointers under `/body/properties`.
    pub fn check(&self) -> Findings {
        let mut findings = Findings::default();
        if let Err(e) = check_category(&self.category) {
            findings.push("/body/properties/category", e);
        }
        findings
    }
}
