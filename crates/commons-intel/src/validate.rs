//! Pure checks of intel records: body shape, STIX validity of every
//! published object (every finding, located under `/body`), sighting
//! windows and settings ranges.

use std::borrow::Borrow;

use commons_kernel::capability::{ValidationContext, check_author};
use commons_kernel::{Findings, KindSpec, Record, Validator};
use commons_stix::confidence::IndicatorKind;
use commons_stix::{Identifier, Severity, Timestamp};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Intel;
use crate::records::{
    self, DeleteBody, FalsePositiveBody, KINDS, MAX_OBJECTS, PublishShape, RevokeBody,
    SettingsBody, SightingBody,
};

/// The longest free-text reason accepted.
const MAX_REASON: usize = 2_000;

/// The largest count one sighting record may claim.
const MAX_SIGHTING_COUNT: u32 = 1_000_000_000;

impl Validator for Intel {
    fn capability(&self) -> &'static str {
        "intel"
    }

    fn kinds(&self) -> &'static [KindSpec] {
        KINDS
    }

    fn validate(&self, ctx: &ValidationContext, record: &Record) -> Result<(), Findings> {
        let spec = KINDS
            .iter()
            .find(|spec| spec.kind == record.kind.as_str())
            .ok_or_else(|| Findings::one("/kind", "not an intel kind"))?;
        check_author(ctx, record, spec)?;
        let mut findings = Findings::default();
        match spec.kind {
            records::PUBLISH => {
                if parse::<PublishShape>(&record.body, &mut findings).is_some() {
                    check_publish(records::published_objects(&record.body), &mut findings);
                }
            }
            records::REVOKE => {
                if let Some(body) = parse::<RevokeBody>(&record.body, &mut findings) {
                    check_id(&body.object_id, "/body/object_id", &mut findings);
                    check_reason(body.reason.as_deref(), &mut findings);
                }
            }
            records::SIGHTING => {
                if let Some(body) = parse::<SightingBody>(&record.body, &mut findings) {
                    check_sighting(&body, &mut findings);
                }
            }
            records::FALSE_POSITIVE => {
                if let Some(body) = parse::<FalsePositiveBody>(&record.body, &mut findings) {
                    check_indicator_id(&body.indicator, "/body/indicator", &mut findings);
                    check_reason(body.reason.as_deref(), &mut findings);
                }
            }
            records::DELETE => {
                if let Some(body) = parse::<DeleteBody>(&record.body, &mut findings) {
                    check_id(&body.object_id, "/body/object_id", &mut findings);
                    for (idx, version) in body.versions.iter().flatten().enumerate() {
                        if let Err(e) = Timestamp::parse(version) {
                            findings.push(format!("/body/versions/{idx}"), e.to_string());
                        }
                    }
                }
            }
            _ => {
                if let Some(body) = parse::<SettingsBody>(&record.body, &mut findings) {
                    check_settings(&body, &mut findings);
                }
            }
        }
        findings.into_result()
    }
}

/// Every error-level finding about each object, as `(index, findings)`
/// for the objects that have any; pointers are relative to the object.
///
/// An object is checked once: the node checks what a TAXII client sends
/// (to report each object's status) and then the store checks the record
/// carrying it, so objects found valid are remembered by a digest of their
/// JSON (see [`Verified`]) and the second check is a lookup. Validity is a
/// function of the object alone, so the memory cannot change a verdict.
pub fn validate_objects<V: Borrow<Value>>(
    objects: &[V],
) -> Vec<(usize, Vec<commons_stix::Finding>)> {
    let mut found = Vec::new();
    let mut newly_valid = Vec::new();
    let known = VERIFIED.known(objects);
    for (idx, (object, digest)) in objects.iter().zip(known).enumerate() {
        let Err(digest) = digest else {
            continue;
        };
        let findings = object_findings(object.borrow());
        if findings.is_empty() {
            newly_valid.push(digest);
        } else {
            found.push((idx, findings));
        }
    }
    VERIFIED.remember(newly_valid);
    found
}

/// Digests of objects recently found valid, bounded by [`Verified::CAPACITY`]
/// (when full, it starts over).
#[derive(Debug, Default)]
pub struct Verified {
    digests: std::sync::Mutex<std::collections::HashSet<[u8; 32]>>,
}

static VERIFIED: std::sync::LazyLock<Verified> = std::sync::LazyLock::new(Verified::default);

impl Verified {
    /// The most digests kept.
    pub const CAPACITY: usize = 1 << 17;

    /// The BLAKE3 hash of `object`'s compact JSON, written into `buffer`
    /// first: the serializer writes a piece at a time, and feeding the
    /// pieces to the hasher cost more than writing the text and hashing it
    /// whole.
    fn digest(object: &Value, buffer: &mut Vec<u8>) -> [u8; 32] {
        buffer.clear();
        // Writing into a vector cannot fail, and a Value always serializes.
        let _ = serde_json::to_writer(&mut *buffer, object);
        *blake3::hash(buffer).as_bytes()
    }

    fn digests(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<[u8; 32]>> {
        // Poisoning leaves a set of digests, each still true.
        self.digests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// For each object: `Ok(())` when it is known valid, else `Err(digest)`.
    fn known<V: Borrow<Value>>(&self, objects: &[V]) -> Vec<Result<(), [u8; 32]>> {
        let mut buffer = Vec::new();
        let digests: Vec<[u8; 32]> = objects
            .iter()
            .map(|object| Verified::digest(object.borrow(), &mut buffer))
            .collect();
        let set = self.digests();
        digests
            .into_iter()
            .map(|digest| {
                if set.contains(&digest) {
                    Ok(())
                } else {
                    Err(digest)
                }
            })
            .collect()
    }

    fn remember(&self, digests: Vec<[u8; 32]>) {
        if digests.is_empty() {
            return;
        }
        let mut set = self.digests();
        if set.len() + digests.len() > Self::CAPACITY {
            set.clear();
        }
        set.extend(digests);
    }
}

/// The error-level findings about one object: the STIX validator's, and
/// "a bundle cannot be published inside a feed" for nested bundles.
pub fn object_findings(object: &Value) -> Vec<commons_stix::Finding> {
    if object.get("type").and_then(Value::as_str) == Some("bundle") {
        return vec![commons_stix::Finding::error(
            "/type",
            "nested-bundle",
            "publish the bundle's objects, not the bundle itself",
        )];
    }
    if !object.is_object() {
        return vec![commons_stix::Finding::error(
            "",
            "shape",
            "expected a STIX object",
        )];
    }
    commons_stix::validate(object)
        .into_iter()
        .filter(|finding| finding.severity == Severity::Error)
        .collect()
}

fn parse<T: DeserializeOwned>(body: &Value, findings: &mut Findings) -> Option<T> {
    // From the borrowed tree: a publish body holds up to a thousand objects,
    // which `from_value(body.clone())` copied twice.
    match T::deserialize(body) {
        Ok(body) => Some(body),
        Err(e) => {
            findings.push("/body", e.to_string());
            None
        }
    }
}

fn check_publish(elements: &[Value], findings: &mut Findings) {
    if elements.is_empty() {
        findings.push("/body/objects", "publish at least one object");
    }
    if elements.len() > MAX_OBJECTS {
        findings.push(
            "/body/objects",
            format!(
                "{} objects is more than the {MAX_OBJECTS} one record may carry; split them",
                elements.len()
            ),
        );
        return;
    }
    let mut objects = Vec::with_capacity(elements.len());
    let mut positions = Vec::with_capacity(elements.len());
    for (idx, element) in elements.iter().enumerate() {
        match records::from_wire_ref(element) {
            Ok(object) => {
                objects.push(object);
                positions.push(idx);
            }
            Err(message) => findings.push(format!("/body/objects/{idx}"), message),
        }
    }
    for (at, problems) in validate_objects(&objects) {
        let idx = positions[at];
        for finding in problems {
            findings.push(
                format!("/body/objects/{idx}{}", finding.pointer),
                format!("[{}] {}", finding.code, finding.message),
            );
        }
    }
}

fn check_id(id: &str, pointer: &str, findings: &mut Findings) {
    if let Err(e) = Identifier::parse(id) {
        findings.push(pointer, e.to_string());
    }
}

fn check_indicator_id(id: &str, pointer: &str, findings: &mut Findings) {
    match Identifier::parse(id) {
        Ok(id) if id.object_type() == "indicator" => {}
        Ok(id) => findings.push(
            pointer,
            format!("expected an indicator id, not a {}", id.object_type()),
        ),
        Err(e) => findings.push(pointer, e.to_string()),
    }
}

fn check_reason(reason: Option<&str>, findings: &mut Findings) {
    if reason.is_some_and(|reason| reason.len() > MAX_REASON) {
        findings.push(
            "/body/reason",
            format!("the reason is longer than {MAX_REASON} bytes"),
        );
    }
}

fn check_sighting(body: &SightingBody, findings: &mut Findings) {
    check_indicator_id(&body.indicator, "/body/indicator", findings);
    if body.count == 0 || body.count > MAX_SIGHTING_COUNT {
        findings.push(
            "/body/count",
            format!("the count must be between 1 and {MAX_SIGHTING_COUNT}"),
        );
    }
    let first = Timestamp::parse(&body.first_seen)
        .map_err(|e| findings.push("/body/first_seen", e.to_string()))
        .ok();
    let last = Timestamp::parse(&body.last_seen)
        .map_err(|e| findings.push("/body/last_seen", e.to_string()))
        .ok();
    if let (Some(first), Some(last)) = (first, last)
        && last < first
    {
        findings.push("/body/last_seen", "last_seen is before first_seen");
    }
}

fn check_settings(body: &SettingsBody, findings: &mut Findings) {
    for (name, days) in body.half_life_days.iter().flatten() {
        if kind_named(name).is_none() {
            findings.push(
                format!("/body/half_life_days/{name}"),
                "unknown indicator kind; use ip, domain, url, file, email, certificate or other",
            );
        }
        if *days > 36_500 {
            findings.push(
                format!("/body/half_life_days/{name}"),
                "a half-life is between 0 (no decay) and 36500 days",
            );
        }
    }
    if body.threshold.is_some_and(|threshold| threshold > 100) {
        findings.push("/body/threshold", "the threshold is between 0 and 100");
    }
    for (pointer, percent) in [
        ("/body/sighting_boost_percent", body.sighting_boost_percent),
        (
            "/body/false_positive_penalty_percent",
            body.false_positive_penalty_percent,
        ),
    ] {
        if percent.is_some_and(|percent| percent > 100) {
            findings.push(pointer, "a percentage is between 0 and 100");
        }
    }
}

/// The indicator kind named `name` in settings (`ip`, `domain`, …).
pub fn kind_named(name: &str) -> Option<IndicatorKind> {
    IndicatorKind::ALL.into_iter().find(|kind| {
        serde_json::to_value(kind)
            .ok()
            .and_then(|value| value.as_str().map(|text| text == name))
            .unwrap_or(false)
    })
}
