//! Property tables: for every object category and supported type, which
//! properties exist, which are required, and what their values must be.

use serde_json::{Map, Value};

use super::{Findings, child};
use crate::identifier::check_type_name;
use crate::pattern::{hash_length, is_hex_of_length};
use crate::vocab::{self, Category};
use crate::{Identifier, Timestamp};

/// What a property's value must be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// Exactly `"2.1"`.
    SpecVersion,
    Str,
    Bool,
    /// An integer in `min..=max`.
    Int(i64, i64),
    /// A number (integer or float) in `min..=max`.
    Float(f64, f64),
    Timestamp,
    /// A timestamp with at least millisecond precision (`created`,
    /// `modified`).
    TimestampMillis,
    Ref(Targets),
    RefList(Targets),
    StrList,
    /// An open vocabulary: other values are warnings.
    Vocab(&'static [&'static str]),
    VocabList(&'static [&'static str]),
    /// A closed enumeration: other values are errors.
    Enum(&'static [&'static str]),
    KillChainPhases,
    ExternalReferences,
    GranularMarkings,
    Hashes,
    Dictionary,
    Extensions,
    /// Hex digits.
    Hex,
    /// Any JSON value.
    Any,
}

/// What a reference may point to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Targets {
    Types(&'static [&'static str]),
    Domain,
    DomainOrObservable,
    ObservableOrRelationship,
    Observable,
    Any,
}

/// One property of a table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Prop {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        required: false,
    }
}

const IDENTITY: Targets = Targets::Types(&["identity"]);
const MARKING: Targets = Targets::Types(&["marking-definition"]);
const COUNT: Kind = Kind::Int(0, 999_999_999);
const PORT: Kind = Kind::Int(0, 65_535);
const SIZE: Kind = Kind::Int(0, i64::MAX);

const DOMAIN_COMMON: &[Prop] = &[
    req("spec_version", Kind::SpecVersion),
    opt("created_by_ref", Kind::Ref(IDENTITY)),
    req("created", Kind::TimestampMillis),
    req("modified", Kind::TimestampMillis),
    opt("revoked", Kind::Bool),
    opt("labels", Kind::StrList),
    opt("confidence", Kind::Int(0, 100)),
    opt("lang", Kind::Str),
    opt("external_references", Kind::ExternalReferences),
    opt("object_marking_refs", Kind::RefList(MARKING)),
    opt("granular_markings", Kind::GranularMarkings),
    opt("extensions", Kind::Extensions),
];

const OBSERVABLE_COMMON: &[Prop] = &[
    opt("spec_version", Kind::SpecVersion),
    opt("object_marking_refs", Kind::RefList(MARKING)),
    opt("granular_markings", Kind::GranularMarkings),
    opt("defanged", Kind::Bool),
    opt("extensions", Kind::Extensions),
];

const META_COMMON: &[Prop] = &[
    req("spec_version", Kind::SpecVersion),
    opt("created_by_ref", Kind::Ref(IDENTITY)),
    req("created", Kind::TimestampMillis),
    opt("external_references", Kind::ExternalReferences),
    opt("object_marking_refs", Kind::RefList(MARKING)),
    opt("granular_markings", Kind::GranularMarkings),
    opt("extensions", Kind::Extensions),
];

/// The common properties of a category.
pub(super) fn common(category: Category) -> &'static [Prop] {
    match category {
        Category::Domain | Category::Relationship => DOMAIN_COMMON,
        Category::Observable => OBSERVABLE_COMMON,
        Category::Meta | Category::Bundle => META_COMMON,
    }
}

/// The properties of `ipv4-addr` and `ipv6-addr`.
const ADDRESS: &[Prop] = &[
    req("value", Kind::Str),
    opt(
        "resolves_to_refs",
        Kind::RefList(Targets::Types(&["mac-addr"])),
    ),
    opt(
        "belongs_to_refs",
        Kind::RefList(Targets::Types(&["autonomous-system"])),
    ),
];

/// The specific properties of each type whose properties are all known.
const SPECIFIC: &[(&str, &[Prop])] = &[
    (
        "attack-pattern",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("aliases", Kind::StrList),
            opt("kill_chain_phases", Kind::KillChainPhases),
        ],
    ),
    (
        "campaign",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("aliases", Kind::StrList),
            opt("first_seen", Kind::Timestamp),
            opt("last_seen", Kind::Timestamp),
            opt("objective", Kind::Str),
        ],
    ),
    (
        "course-of-action",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("action", Kind::Any),
        ],
    ),
    (
        "grouping",
        &[
            opt("name", Kind::Str),
            opt("description", Kind::Str),
            req(
                "context",
                Kind::Vocab(&["suspicious-activity", "malware-analysis", "unspecified"]),
            ),
            req("object_refs", Kind::RefList(Targets::Any)),
        ],
    ),
    (
        "identity",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("roles", Kind::StrList),
            opt("identity_class", Kind::Vocab(vocab::IDENTITY_CLASS)),
            opt("sectors", Kind::VocabList(vocab::INDUSTRY_SECTOR)),
            opt("contact_information", Kind::Str),
        ],
    ),
    (
        "incident",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("kill_chain_phases", Kind::KillChainPhases),
        ],
    ),
    (
        "indicator",
        &[
            opt("name", Kind::Str),
            opt("description", Kind::Str),
            opt("indicator_types", Kind::VocabList(vocab::INDICATOR_TYPE)),
            req("pattern", Kind::Str),
            req("pattern_type", Kind::Vocab(vocab::PATTERN_TYPE)),
            opt("pattern_version", Kind::Str),
            req("valid_from", Kind::Timestamp),
            opt("valid_until", Kind::Timestamp),
            opt("kill_chain_phases", Kind::KillChainPhases),
        ],
    ),
    (
        "infrastructure",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("infrastructure_types", Kind::StrList),
            opt("aliases", Kind::StrList),
            opt("kill_chain_phases", Kind::KillChainPhases),
            opt("first_seen", Kind::Timestamp),
            opt("last_seen", Kind::Timestamp),
        ],
    ),
    (
        "intrusion-set",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("aliases", Kind::StrList),
            opt("first_seen", Kind::Timestamp),
            opt("last_seen", Kind::Timestamp),
            opt("goals", Kind::StrList),
            opt("resource_level", Kind::Vocab(vocab::ATTACK_RESOURCE_LEVEL)),
            opt("primary_motivation", Kind::Vocab(vocab::ATTACK_MOTIVATION)),
            opt(
                "secondary_motivations",
                Kind::VocabList(vocab::ATTACK_MOTIVATION),
            ),
        ],
    ),
    (
        "location",
        &[
            opt("name", Kind::Str),
            opt("description", Kind::Str),
            opt("latitude", Kind::Float(-90.0, 90.0)),
            opt("longitude", Kind::Float(-180.0, 180.0)),
            opt("precision", Kind::Float(0.0, f64::MAX)),
            opt("region", Kind::Str),
            opt("country", Kind::Str),
            opt("administrative_area", Kind::Str),
            opt("city", Kind::Str),
            opt("street_address", Kind::Str),
            opt("postal_code", Kind::Str),
        ],
    ),
    (
        "malware",
        &[
            opt("name", Kind::Str),
            opt("description", Kind::Str),
            opt("malware_types", Kind::VocabList(vocab::MALWARE_TYPE)),
            req("is_family", Kind::Bool),
            opt("aliases", Kind::StrList),
            opt("kill_chain_phases", Kind::KillChainPhases),
            opt("first_seen", Kind::Timestamp),
            opt("last_seen", Kind::Timestamp),
            opt(
                "operating_system_refs",
                Kind::RefList(Targets::Types(&["software"])),
            ),
            opt(
                "architecture_execution_envs",
                Kind::VocabList(vocab::PROCESSOR_ARCHITECTURE),
            ),
            opt(
                "implementation_languages",
                Kind::VocabList(vocab::IMPLEMENTATION_LANGUAGE),
            ),
            opt("capabilities", Kind::VocabList(vocab::MALWARE_CAPABILITIES)),
            opt(
                "sample_refs",
                Kind::RefList(Targets::Types(&["file", "artifact"])),
            ),
        ],
    ),
    (
        "note",
        &[
            opt("abstract", Kind::Str),
            req("content", Kind::Str),
            opt("authors", Kind::StrList),
            req("object_refs", Kind::RefList(Targets::Any)),
        ],
    ),
    (
        "observed-data",
        &[
            req("first_observed", Kind::Timestamp),
            req("last_observed", Kind::Timestamp),
            req("number_observed", Kind::Int(1, 999_999_999)),
            opt("objects", Kind::Dictionary),
            opt(
                "object_refs",
                Kind::RefList(Targets::ObservableOrRelationship),
            ),
        ],
    ),
    (
        "opinion",
        &[
            opt("explanation", Kind::Str),
            opt("authors", Kind::StrList),
            req("opinion", Kind::Enum(vocab::OPINION)),
            req("object_refs", Kind::RefList(Targets::Any)),
        ],
    ),
    (
        "report",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("report_types", Kind::VocabList(vocab::REPORT_TYPE)),
            req("published", Kind::Timestamp),
            req("object_refs", Kind::RefList(Targets::Any)),
        ],
    ),
    (
        "threat-actor",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt(
                "threat_actor_types",
                Kind::VocabList(vocab::THREAT_ACTOR_TYPE),
            ),
            opt("aliases", Kind::StrList),
            opt("first_seen", Kind::Timestamp),
            opt("last_seen", Kind::Timestamp),
            opt("roles", Kind::VocabList(vocab::THREAT_ACTOR_ROLE)),
            opt("goals", Kind::StrList),
            opt(
                "sophistication",
                Kind::Vocab(vocab::THREAT_ACTOR_SOPHISTICATION),
            ),
            opt("resource_level", Kind::Vocab(vocab::ATTACK_RESOURCE_LEVEL)),
            opt("primary_motivation", Kind::Vocab(vocab::ATTACK_MOTIVATION)),
            opt(
                "secondary_motivations",
                Kind::VocabList(vocab::ATTACK_MOTIVATION),
            ),
            opt(
                "personal_motivations",
                Kind::VocabList(vocab::ATTACK_MOTIVATION),
            ),
        ],
    ),
    (
        "tool",
        &[
            req("name", Kind::Str),
            opt("description", Kind::Str),
            opt("tool_types", Kind::StrList),
            opt("aliases", Kind::StrList),
            opt("kill_chain_phases", Kind::KillChainPhases),
            opt("tool_version", Kind::Str),
        ],
    ),
    (
        "vulnerability",
        &[req("name", Kind::Str), opt("description", Kind::Str)],
    ),
    (
        "relationship",
        &[
            req("relationship_type", Kind::Str),
            opt("description", Kind::Str),
            req("source_ref", Kind::Ref(Targets::DomainOrObservable)),
            req("target_ref", Kind::Ref(Targets::DomainOrObservable)),
            opt("start_time", Kind::Timestamp),
            opt("stop_time", Kind::Timestamp),
        ],
    ),
    (
        "sighting",
        &[
            opt("description", Kind::Str),
            opt("first_seen", Kind::Timestamp),
            opt("last_seen", Kind::Timestamp),
            opt("count", COUNT),
            req("sighting_of_ref", Kind::Ref(Targets::Domain)),
            opt(
                "observed_data_refs",
                Kind::RefList(Targets::Types(&["observed-data"])),
            ),
            opt(
                "where_sighted_refs",
                Kind::RefList(Targets::Types(&["identity", "location"])),
            ),
            opt("summary", Kind::Bool),
        ],
    ),
    (
        "marking-definition",
        &[
            opt("name", Kind::Str),
            opt("definition_type", Kind::Str),
            opt("definition", Kind::Dictionary),
        ],
    ),
    ("ipv4-addr", ADDRESS),
    ("ipv6-addr", ADDRESS),
    (
        "domain-name",
        &[
            req("value", Kind::Str),
            opt(
                "resolves_to_refs",
                Kind::RefList(Targets::Types(&["ipv4-addr", "ipv6-addr", "domain-name"])),
            ),
        ],
    ),
    ("url", &[req("value", Kind::Str)]),
    (
        "email-addr",
        &[
            req("value", Kind::Str),
            opt("display_name", Kind::Str),
            opt(
                "belongs_to_ref",
                Kind::Ref(Targets::Types(&["user-account"])),
            ),
        ],
    ),
    (
        "file",
        &[
            opt("hashes", Kind::Hashes),
            opt("size", SIZE),
            opt("name", Kind::Str),
            opt("name_enc", Kind::Str),
            opt("magic_number_hex", Kind::Hex),
            opt("mime_type", Kind::Str),
            opt("ctime", Kind::Timestamp),
            opt("mtime", Kind::Timestamp),
            opt("atime", Kind::Timestamp),
            opt(
                "parent_directory_ref",
                Kind::Ref(Targets::Types(&["directory"])),
            ),
            opt("contains_refs", Kind::RefList(Targets::Observable)),
            opt("content_ref", Kind::Ref(Targets::Types(&["artifact"]))),
        ],
    ),
    (
        "network-traffic",
        &[
            opt("start", Kind::Timestamp),
            opt("end", Kind::Timestamp),
            opt("is_active", Kind::Bool),
            opt(
                "src_ref",
                Kind::Ref(Targets::Types(&[
                    "ipv4-addr",
                    "ipv6-addr",
                    "mac-addr",
                    "domain-name",
                ])),
            ),
            opt(
                "dst_ref",
                Kind::Ref(Targets::Types(&[
                    "ipv4-addr",
                    "ipv6-addr",
                    "mac-addr",
                    "domain-name",
                ])),
            ),
            opt("src_port", PORT),
            opt("dst_port", PORT),
            req("protocols", Kind::StrList),
            opt("src_byte_count", SIZE),
            opt("dst_byte_count", SIZE),
            opt("src_packets", SIZE),
            opt("dst_packets", SIZE),
            opt("ipfix", Kind::Dictionary),
            opt("src_payload_ref", Kind::Ref(Targets::Types(&["artifact"]))),
            opt("dst_payload_ref", Kind::Ref(Targets::Types(&["artifact"]))),
            opt(
                "encapsulates_refs",
                Kind::RefList(Targets::Types(&["network-traffic"])),
            ),
            opt(
                "encapsulated_by_ref",
                Kind::Ref(Targets::Types(&["network-traffic"])),
            ),
        ],
    ),
    (
        "x509-certificate",
        &[
            opt("is_self_signed", Kind::Bool),
            opt("hashes", Kind::Hashes),
            opt("version", Kind::Str),
            opt("serial_number", Kind::Str),
            opt("signature_algorithm", Kind::Str),
            opt("issuer", Kind::Str),
            opt("validity_not_before", Kind::Timestamp),
            opt("validity_not_after", Kind::Timestamp),
            opt("subject", Kind::Str),
            opt("subject_public_key_algorithm", Kind::Str),
            opt("subject_public_key_modulus", Kind::Str),
            opt("subject_public_key_exponent", SIZE),
            opt("x509_v3_extensions", Kind::Dictionary),
        ],
    ),
];

/// The specific properties of a type, when the crate knows all of them.
pub(super) fn specific(object_type: &str) -> Option<&'static [Prop]> {
    SPECIFIC
        .iter()
        .find(|(name, _)| *name == object_type)
        .map(|(_, props)| *props)
}

/// Checks `prop` of `object`: presence if required, then its value.
pub(super) fn check_property(
    object: &Map<String, Value>,
    prop: &Prop,
    pointer: &str,
    findings: &mut Findings,
) {
    // Most listed properties are absent: build no pointer for them.
    let value = match object.get(prop.name) {
        None if !prop.required => return,
        value => value,
    };
    let pointer = child(pointer, prop.name);
    match value {
        None => findings.error(&pointer, "required", format!("{} is required", prop.name)),
        Some(value) => check_value(prop.kind, value, &pointer, findings),
    }
}

fn check_value(kind: Kind, value: &Value, pointer: &str, findings: &mut Findings) {
    match kind {
        Kind::SpecVersion => {
            if value.as_str() != Some("2.1") {
                findings.error(
                    pointer,
                    "spec-version",
                    format!("spec_version must be \"2.1\", found {value}"),
                );
            }
        }
        Kind::Str => {
            expect_string(value, pointer, findings);
        }
        Kind::Bool => {
            if !value.is_boolean() {
                findings.error(pointer, "type", "expected true or false");
            }
        }
        Kind::Int(min, max) => check_int(value, min, max, pointer, findings),
        Kind::Float(min, max) => match value.as_f64() {
            Some(number) if (min..=max).contains(&number) => {}
            Some(number) => findings.error(
                pointer,
                "range",
                format!("{number} is outside {min}..{max}"),
            ),
            None => findings.error(pointer, "type", "expected a number"),
        },
        Kind::Timestamp => {
            check_timestamp(value, pointer, findings);
        }
        Kind::TimestampMillis => {
            if let Some(ts) = check_timestamp(value, pointer, findings)
                && ts.fraction_digits() < 3
            {
                findings.error(
                    pointer,
                    "timestamp-precision",
                    "created and modified need at least millisecond precision (e.g. 2016-05-12T08:17:27.000Z)",
                );
            }
        }
        Kind::Ref(targets) => check_ref(value, targets, pointer, findings),
        Kind::RefList(targets) => {
            for (idx, item) in non_empty_list(value, pointer, findings) {
                check_ref(item, targets, &format!("{pointer}/{idx}"), findings);
            }
        }
        Kind::StrList => {
            for (idx, item) in non_empty_list(value, pointer, findings) {
                expect_string(item, &format!("{pointer}/{idx}"), findings);
            }
        }
        Kind::Vocab(words) => check_vocab(value, words, pointer, findings),
        Kind::VocabList(words) => {
            for (idx, item) in non_empty_list(value, pointer, findings) {
                check_vocab(item, words, &format!("{pointer}/{idx}"), findings);
            }
        }
        Kind::Enum(words) => {
            if let Some(text) = expect_string(value, pointer, findings)
                && !words.contains(&text)
            {
                findings.error(
                    pointer,
                    "enum",
                    format!("'{text}' is not one of {}", words.join(", ")),
                );
            }
        }
        Kind::KillChainPhases => {
            for (idx, item) in non_empty_list(value, pointer, findings) {
                let item_pointer = format!("{pointer}/{idx}");
                let Some(phase) = expect_object(item, &item_pointer, findings) else {
                    continue;
                };
                for name in ["kill_chain_name", "phase_name"] {
                    check_property(phase, &req(name, Kind::Str), &item_pointer, findings);
                }
            }
        }
        Kind::ExternalReferences => {
            for (idx, item) in non_empty_list(value, pointer, findings) {
                check_external_reference(item, &format!("{pointer}/{idx}"), findings);
            }
        }
        Kind::GranularMarkings => {
            for (idx, item) in non_empty_list(value, pointer, findings) {
                check_granular_marking(item, &format!("{pointer}/{idx}"), findings);
            }
        }
        Kind::Hashes => check_hashes(value, pointer, findings),
        Kind::Dictionary => {
            if let Some(dictionary) = expect_object(value, pointer, findings)
                && dictionary.is_empty()
            {
                findings.error(
                    pointer,
                    "empty-dictionary",
                    "a dictionary must not be empty; omit the property instead",
                );
            }
        }
        Kind::Extensions => check_extensions(value, pointer, findings),
        Kind::Hex => {
            if let Some(text) = expect_string(value, pointer, findings)
                && !(text.len() % 2 == 0 && text.bytes().all(|it| it.is_ascii_hexdigit()))
            {
                findings.error(pointer, "hex", "expected an even number of hex digits");
            }
        }
        Kind::Any => {}
    }
}

fn expect_string<'a>(value: &'a Value, pointer: &str, findings: &mut Findings) -> Option<&'a str> {
    let text = value.as_str();
    if text.is_none() {
        findings.error(pointer, "type", "expected a string");
    }
    text
}

fn expect_object<'a>(
    value: &'a Value,
    pointer: &str,
    findings: &mut Findings,
) -> Option<&'a Map<String, Value>> {
    let object = value.as_object();
    if object.is_none() {
        findings.error(pointer, "type", "expected an object");
    }
    object
}

/// The items of a list, with an error if `value` is not a list or is empty.
fn non_empty_list<'a>(
    value: &'a Value,
    pointer: &str,
    findings: &mut Findings,
) -> std::iter::Enumerate<std::slice::Iter<'a, Value>> {
    let items: &[Value] = match value {
        Value::Array(items) => {
            if items.is_empty() {
                findings.error(
                    pointer,
                    "empty-list",
                    "a list must not be empty; omit the property instead",
                );
            }
            items
        }
        _ => {
            findings.error(pointer, "type", "expected a list");
            &[]
        }
    };
    items.iter().enumerate()
}

fn check_int(value: &Value, min: i64, max: i64, pointer: &str, findings: &mut Findings) {
    let number = value.as_i64().or_else(|| value.as_u64().map(|_| i64::MAX));
    match number {
        Some(number) if (min..=max).contains(&number) => {}
        Some(_) => findings.error(pointer, "range", format!("{value} is outside {min}..{max}")),
        None => findings.error(pointer, "type", "expected an integer"),
    }
}

/// Parses a timestamp property, reporting why it is not one.
fn check_timestamp(value: &Value, pointer: &str, findings: &mut Findings) -> Option<Timestamp> {
    let text = expect_string(value, pointer, findings)?;
    match Timestamp::parse(text) {
        Ok(ts) => Some(ts),
        Err(error) => {
            findings.error(pointer, "timestamp", error.to_string());
            None
        }
    }
}

fn check_ref(value: &Value, targets: Targets, pointer: &str, findings: &mut Findings) {
    let Some(text) = expect_string(value, pointer, findings) else {
        return;
    };
    let id = match Identifier::parse(text) {
        Ok(id) => id,
        Err(error) => return findings.error(pointer, "identifier", error.to_string()),
    };
    let target_type = id.object_type();
    let category = vocab::category(target_type);
    let custom = category.is_none();
    let allowed = match targets {
        Targets::Types(types) => types.contains(&target_type),
        // Custom types may be domain objects or observables.
        Targets::Domain => custom || category == Some(Category::Domain),
        Targets::Observable => custom || category == Some(Category::Observable),
        Targets::DomainOrObservable => {
            custom || matches!(category, Some(Category::Domain | Category::Observable))
        }
        Targets::ObservableOrRelationship => {
            custom
                || matches!(
                    category,
                    Some(Category::Observable | Category::Relationship)
                )
        }
        Targets::Any => true,
    };
    if !allowed {
        let expected = match targets {
            Targets::Types(types) => types.join(" or "),
            Targets::Domain => "a domain object".to_string(),
            Targets::Observable => "a cyber-observable".to_string(),
            Targets::DomainOrObservable => "a domain object or cyber-observable".to_string(),
            Targets::ObservableOrRelationship => "a cyber-observable or relationship".to_string(),
            Targets::Any => String::new(),
        };
        findings.error(
            pointer,
            "reference-type",
            format!("{text} must refer to {expected}"),
        );
    }
}

fn check_vocab(value: &Value, words: &[&str], pointer: &str, findings: &mut Findings) {
    if let Some(text) = expect_string(value, pointer, findings)
        && !words.contains(&text)
    {
        findings.warning(
            pointer,
            "vocabulary",
            format!("'{text}' is not in the suggested vocabulary"),
        );
    }
}

fn check_external_reference(value: &Value, pointer: &str, findings: &mut Findings) {
    let Some(reference) = expect_object(value, pointer, findings) else {
        return;
    };
    let props = [
        req("source_name", Kind::Str),
        opt("description", Kind::Str),
        opt("url", Kind::Str),
        opt("hashes", Kind::Hashes),
        opt("external_id", Kind::Str),
    ];
    for prop in &props {
        check_property(reference, prop, pointer, findings);
    }
    if !["description", "url", "external_id"]
        .iter()
        .any(|key| reference.contains_key(*key))
    {
        findings.error(
            pointer,
            "required",
            "an external reference needs description, url or external_id besides source_name",
        );
    }
}

fn check_granular_marking(value: &Value, pointer: &str, findings: &mut Findings) {
    let Some(marking) = expect_object(value, pointer, findings) else {
        return;
    };
    let props = [
        opt("lang", Kind::Str),
        opt("marking_ref", Kind::Ref(MARKING)),
        req("selectors", Kind::StrList),
    ];
    for prop in &props {
        check_property(marking, prop, pointer, findings);
    }
    if marking.contains_key("lang") == marking.contains_key("marking_ref") {
        findings.error(
            pointer,
            "exclusive",
            "a granular marking has exactly one of lang and marking_ref",
        );
    }
}

fn check_hashes(value: &Value, pointer: &str, findings: &mut Findings) {
    let Some(hashes) = expect_object(value, pointer, findings) else {
        return;
    };
    if hashes.is_empty() {
        findings.error(
            pointer,
            "empty-dictionary",
            "hashes must not be empty; omit the property instead",
        );
    }
    for (algorithm, hash) in hashes {
        let hash_pointer = child(pointer, algorithm);
        let Some(hash) = expect_string(hash, &hash_pointer, findings) else {
            continue;
        };
        if !vocab::HASH_ALGORITHM.contains(&algorithm.as_str()) {
            findings.warning(
                &hash_pointer,
                "vocabulary",
                format!("'{algorithm}' is not in hash-algorithm-ov"),
            );
        }
        if let Some((name, len)) = hash_length(algorithm)
            && !is_hex_of_length(hash, len)
        {
            findings.error(
                &hash_pointer,
                "hash",
                format!("not a valid {name} hash ({len} hex digits)"),
            );
        }
    }
}

fn check_extensions(value: &Value, pointer: &str, findings: &mut Findings) {
    let Some(extensions) = expect_object(value, pointer, findings) else {
        return;
    };
    if extensions.is_empty() {
        findings.error(
            pointer,
            "empty-dictionary",
            "extensions must not be empty; omit the property instead",
        );
    }
    for (name, extension) in extensions {
        let extension_pointer = child(pointer, name);
        if name.starts_with("extension-definition--") {
            if let Err(error) = Identifier::parse(name) {
                findings.error(&extension_pointer, "identifier", error.to_string());
            }
        } else if check_type_name(name).is_err() {
            findings.error(
                &extension_pointer,
                "extension-name",
                format!("'{name}' is not a valid extension name"),
            );
        } else if !name.ends_with("-ext") {
            findings.warning(
                &extension_pointer,
                "extension-name",
                format!(
                    "'{name}' is neither an extension-definition id nor a predefined '-ext' name"
                ),
            );
        }
        expect_object(extension, &extension_pointer, findings);
    }
}
