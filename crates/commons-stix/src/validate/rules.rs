//! Rules that involve more than one property or more than a value's shape:
//! time order, mutually exclusive and co-required properties, observable
//! value formats, relationship endpoints, TLP objects and patterns.

use serde_json::{Map, Value};

use super::{Findings, Severity, child};
use crate::model::{Tlp, Tlp1};
use crate::net::IpNet;
use crate::pattern::{check_pattern, parse_pattern};
use crate::vocab::{self, GENERIC_RELATIONSHIPS};
use crate::{Identifier, Timestamp};

/// Applies the rules of `object_type`.
pub(super) fn check(
    object_type: &str,
    object: &Map<String, Value>,
    pointer: &str,
    findings: &mut Findings,
) {
    if object.contains_key("created") && object.contains_key("modified") {
        check_order(
            object,
            "created",
            "modified",
            Order::NotBefore,
            pointer,
            findings,
        );
    }
    match object_type {
        "indicator" => {
            check_order(
                object,
                "valid_from",
                "valid_until",
                Order::After,
                pointer,
                findings,
            );
            check_indicator_pattern(object, pointer, findings);
        }
        "campaign" | "intrusion-set" | "threat-actor" | "infrastructure" | "sighting" => {
            check_order(
                object,
                "first_seen",
                "last_seen",
                Order::NotBefore,
                pointer,
                findings,
            );
        }
        "malware" => {
            check_order(
                object,
                "first_seen",
                "last_seen",
                Order::NotBefore,
                pointer,
                findings,
            );
            if object.get("is_family") == Some(&Value::Bool(true)) && !object.contains_key("name") {
                findings.error(
                    &child(pointer, "name"),
                    "required",
                    "a malware family (is_family: true) needs a name",
                );
            }
        }
        "observed-data" => check_observed_data(object, pointer, findings),
        "relationship" => check_relationship(object, pointer, findings),
        "marking-definition" => check_marking_definition(object, pointer, findings),
        "location" => {
            let has = |key: &str| object.contains_key(key);
            if !(has("region") || has("country") || (has("latitude") && has("longitude"))) {
                findings.error(
                    pointer,
                    "required",
                    "a location needs region, country, or latitude and longitude",
                );
            }
            if has("latitude") != has("longitude") {
                findings.error(pointer, "co-required", "latitude and longitude go together");
            }
        }
        "ipv4-addr" => check_value_format(
            object,
            pointer,
            findings,
            "an IPv4 address or CIDR block",
            is_ipv4,
        ),
        "ipv6-addr" => check_value_format(
            object,
            pointer,
            findings,
            "an IPv6 address or CIDR block",
            is_ipv6,
        ),
        "domain-name" => {
            check_value_format(object, pointer, findings, "a domain name", is_domain_name)
        }
        "url" => check_value_format(
            object,
            pointer,
            findings,
            "a URL (RFC 3986: a scheme, no spaces)",
            is_url,
        ),
        "email-addr" => {
            check_value_format(object, pointer, findings, "an e-mail address", is_email)
        }
        "file" if !object.contains_key("hashes") && !object.contains_key("name") => {
            findings.error(pointer, "required", "a file needs hashes or name");
        }
        "network-traffic" => {
            if !object.contains_key("src_ref") && !object.contains_key("dst_ref") {
                findings.error(
                    pointer,
                    "required",
                    "network traffic needs src_ref or dst_ref",
                );
            }
            check_order(object, "start", "end", Order::NotBefore, pointer, findings);
            if object.get("is_active") == Some(&Value::Bool(true)) && object.contains_key("end") {
                findings.error(
                    &child(pointer, "end"),
                    "exclusive",
                    "active traffic (is_active: true) has no end",
                );
            }
        }
        "x509-certificate" => {
            let common = [
                "type",
                "id",
                "spec_version",
                "object_marking_refs",
                "granular_markings",
                "defanged",
                "extensions",
            ];
            if object.keys().all(|key| common.contains(&key.as_str())) {
                findings.error(
                    pointer,
                    "required",
                    "an X.509 certificate needs at least one certificate property",
                );
            }
        }
        _ => {}
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    /// `later >= earlier`.
    NotBefore,
    /// `later > earlier`.
    After,
}

/// When both timestamps are present and valid, `later` must not be before
/// (or, for [`Order::After`], must be after) `earlier`.
fn check_order(
    object: &Map<String, Value>,
    earlier: &str,
    later: &str,
    order: Order,
    pointer: &str,
    findings: &mut Findings,
) {
    let parse = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .and_then(|text| Timestamp::parse(text).ok())
    };
    let (Some(first), Some(second)) = (parse(earlier), parse(later)) else {
        return;
    };
    let wrong = match order {
        Order::NotBefore => second < first,
        Order::After => second <= first,
    };
    if wrong {
        let relation = match order {
            Order::NotBefore => "must not be before",
            Order::After => "must be after",
        };
        findings.error(
            &child(pointer, later),
            "time-order",
            format!("{later} {relation} {earlier}"),
        );
    }
}

fn check_indicator_pattern(object: &Map<String, Value>, pointer: &str, findings: &mut Findings) {
    if object.get("pattern_type").and_then(Value::as_str) != Some("stix") {
        return;
    }
    let Some(text) = object.get("pattern").and_then(Value::as_str) else {
        return;
    };
    let pattern_pointer = child(pointer, "pattern");
    match parse_pattern(text) {
        Ok(pattern) => {
            for issue in check_pattern(&pattern) {
                match issue.severity {
                    Severity::Error => findings.error(&pattern_pointer, "pattern", issue.message),
                    Severity::Warning => {
                        findings.warning(&pattern_pointer, "pattern", issue.message)
                    }
                }
            }
        }
        Err(error) => findings.error(&pattern_pointer, "pattern-syntax", error.to_string()),
    }
}

fn check_observed_data(object: &Map<String, Value>, pointer: &str, findings: &mut Findings) {
    check_order(
        object,
        "first_observed",
        "last_observed",
        Order::NotBefore,
        pointer,
        findings,
    );
    match (
        object.contains_key("objects"),
        object.contains_key("object_refs"),
    ) {
        (true, true) => findings.error(
            pointer,
            "exclusive",
            "observed-data has objects or object_refs, not both",
        ),
        (false, false) => findings.error(
            pointer,
            "required",
            "observed-data needs object_refs (or the deprecated objects)",
        ),
        (true, false) => {
            findings.warning(
                &child(pointer, "objects"),
                "deprecated",
                "objects is deprecated in 2.1; use object_refs",
            );
        }
        (false, true) => {}
    }
}

fn check_relationship(object: &Map<String, Value>, pointer: &str, findings: &mut Findings) {
    check_order(
        object,
        "start_time",
        "stop_time",
        Order::After,
        pointer,
        findings,
    );
    let relationship_type = object.get("relationship_type").and_then(Value::as_str);
    if let Some(relationship_type) = relationship_type {
        let well_formed = !relationship_type.is_empty()
            && relationship_type
                .bytes()
                .all(|it| it.is_ascii_lowercase() || it.is_ascii_digit() || it == b'-');
        if !well_formed {
            findings.error(
                &child(pointer, "relationship_type"),
                "relationship-type",
                format!("'{relationship_type}' may only use a-z, 0-9 and '-'"),
            );
        }
    }
    let endpoint = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .and_then(|text| Identifier::parse(text).ok())
    };
    let (Some(relationship_type), Some(source), Some(target)) = (
        relationship_type,
        endpoint("source_ref"),
        endpoint("target_ref"),
    ) else {
        return;
    };
    if matches!(relationship_type, "derived-from" | "duplicate-of")
        && source.object_type() != target.object_type()
    {
        findings.warning(
            &child(pointer, "target_ref"),
            "relationship-endpoints",
            format!(
                "{relationship_type} relates objects of the same type, not {} and {}",
                source.object_type(),
                target.object_type()
            ),
        );
    }
    if GENERIC_RELATIONSHIPS.contains(&relationship_type) {
        return;
    }
    if let Some(targets) = vocab::defined_targets(source.object_type(), relationship_type)
        && !vocab::target_allowed(targets, target.object_type())
    {
        findings.warning(
            &child(pointer, "target_ref"),
            "relationship-endpoints",
            format!(
                "the specification defines {} {relationship_type} only towards {}, not {}",
                source.object_type(),
                targets.join(", "),
                target.object_type()
            ),
        );
    }
}

fn check_marking_definition(object: &Map<String, Value>, pointer: &str, findings: &mut Findings) {
    match (
        object.contains_key("definition_type"),
        object.contains_key("definition"),
    ) {
        (true, false) => findings.error(
            &child(pointer, "definition"),
            "co-required",
            "definition_type needs definition",
        ),
        (false, true) => findings.error(
            &child(pointer, "definition_type"),
            "co-required",
            "definition needs definition_type",
        ),
        (false, false) if !object.contains_key("extensions") => findings.error(
            pointer,
            "required",
            "a marking definition needs definition_type and definition, or an extension",
        ),
        _ => {}
    }
    if let (Some("statement"), Some(definition)) = (
        object.get("definition_type").and_then(Value::as_str),
        object.get("definition"),
    ) && definition
        .get("statement")
        .and_then(Value::as_str)
        .is_none()
    {
        findings.error(
            &child(pointer, "definition"),
            "required",
            "a statement marking needs definition.statement",
        );
    }
    let Some(id) = object.get("id").and_then(Value::as_str) else {
        return;
    };
    let canonical = Tlp::from_id(id)
        .map(Tlp::to_json)
        .or_else(|| Tlp1::from_id(id).map(Tlp1::to_json));
    if let Some(canonical) = canonical
        && !same_marking(object, &canonical)
    {
        findings.error(
            pointer,
            "tlp",
            format!(
                "{id} is a fixed TLP marking; its content must be exactly the published object"
            ),
        );
    }
}

/// Whether `object` is the canonical TLP `canonical`, comparing timestamps
/// as instants (precision may differ).
fn same_marking(object: &Map<String, Value>, canonical: &Value) -> bool {
    let Some(canonical) = canonical.as_object() else {
        return false;
    };
    let instant = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .and_then(|it| Timestamp::parse(it).ok())
    };
    object.len() == canonical.len()
        && canonical.iter().all(|(key, expected)| match key.as_str() {
            "created" => {
                instant(object.get(key)).is_some()
                    && instant(object.get(key)) == instant(Some(expected))
            }
            _ => object.get(key) == Some(expected),
        })
}

/// An observable's `value` must have its type's format; `defanged` values
/// (`example[.]com`, `198.51.100[.]3`) are exempt.
fn check_value_format(
    object: &Map<String, Value>,
    pointer: &str,
    findings: &mut Findings,
    what: &str,
    valid: fn(&str) -> bool,
) {
    let Some(value) = object.get("value").and_then(Value::as_str) else {
        return;
    };
    let defanged = object.get("defanged") == Some(&Value::Bool(true));
    if !defanged && !valid(value) {
        findings.error(
            &child(pointer, "value"),
            "value-format",
            format!("'{value}' is not {what}"),
        );
    }
}

fn is_ipv4(value: &str) -> bool {
    matches!(IpNet::parse(value), Some(IpNet::V4 { .. }))
}

fn is_ipv6(value: &str) -> bool {
    matches!(IpNet::parse(value), Some(IpNet::V6 { .. }))
}

fn is_domain_name(value: &str) -> bool {
    let name = value.strip_suffix('.').unwrap_or(value);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok)
}

fn is_url(value: &str) -> bool {
    let scheme_ok = value.split_once(':').is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    scheme_ok && !value.chars().any(char::is_whitespace)
}

fn is_email(value: &str) -> bool {
    value
        .rsplit_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !value.chars().any(char::is_whitespace)
}
