//! Validation of STIX 2.1 JSON against the specification, reporting every
//! finding (JSON pointer, severity, stable code, message) rather than the
//! first.
//!
//! Validation works on `serde_json::Value`, not on the typed model, because
//! its job is to describe input that does not fit the model. What the
//! specification says MUST is an [`Severity::Error`]; what it says SHOULD
//! (open vocabularies, relationships it does not define, custom property
//! names without `x_`) is a [`Severity::Warning`]. The property tables in
//! `validate/properties.rs` are data, the cross-property rules (time order,
//! mutually exclusive properties, TLP objects, patterns) live in
//! `validate/rules.rs`.

mod properties;
mod rules;

use rustc_hash::FxHashSet;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Identifier;
use crate::identifier::check_type_name;
use crate::vocab::{self, Category};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The specification says MUST: the object is invalid.
    Error,
    /// The specification says SHOULD, or the content can never be useful.
    Warning,
}

/// One problem, located by a JSON pointer into the validated value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// JSON pointer, e.g. `/objects/3/created`.
    pub pointer: String,
    /// Error or warning.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `required`, `timestamp`.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

impl Finding {
    /// A finding at `pointer`.
    pub fn new(
        pointer: impl Into<String>,
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            pointer: pointer.into(),
            severity,
            code,
            message: message.into(),
        }
    }

    /// An error at `pointer`.
    pub fn error(
        pointer: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Finding {
        Finding::new(pointer, Severity::Error, code, message)
    }

    /// A warning at `pointer`.
    pub fn warning(
        pointer: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Finding {
        Finding::new(pointer, Severity::Warning, code, message)
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{severity} at {pointer} [{}]: {}",
            self.code, self.message
        )
    }
}

/// Validates a bundle, a single object, or a JSON array of objects, and
/// returns every finding (empty when the input is valid).
pub fn validate(value: &Value) -> Vec<Finding> {
    let mut findings = Findings::default();
    match value {
        Value::Object(object) if object.get("type").and_then(Value::as_str) == Some("bundle") => {
            validate_bundle(object, &mut findings);
        }
        Value::Object(object) => validate_object(object, "", &mut findings),
        Value::Array(items) => {
            for (idx, item) in items.iter().enumerate() {
                validate_value(item, &format!("/{idx}"), &mut findings);
            }
        }
        _ => findings.error(
            "",
            "shape",
            "expected a STIX object, a bundle or a list of objects",
        ),
    }
    findings.0
}

/// Findings being collected.
#[derive(Default)]
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    pub(crate) fn error(&mut self, pointer: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(Finding::error(pointer, code, message));
    }

    pub(crate) fn warning(
        &mut self,
        pointer: &str,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(Finding::warning(pointer, code, message));
    }
}

/// `pointer` extended by one property name, escaped per RFC 6901.
pub(crate) fn child(pointer: &str, key: &str) -> String {
    if !key.contains(['~', '/']) {
        let mut child = String::with_capacity(pointer.len() + 1 + key.len());
        child.push_str(pointer);
        child.push('/');
        child.push_str(key);
        return child;
    }
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn validate_value(value: &Value, pointer: &str, findings: &mut Findings) {
    match value {
        Value::Object(object) => validate_object(object, pointer, findings),
        _ => findings.error(pointer, "shape", "a STIX object is a JSON object"),
    }
}

fn validate_bundle(bundle: &Map<String, Value>, findings: &mut Findings) {
    check_id(bundle, "", Some("bundle"), findings);
    if bundle.contains_key("spec_version") {
        findings.warning(
            "/spec_version",
            "unknown-property",
            "a 2.1 bundle has no spec_version (that was STIX 2.0)",
        );
    }
    for key in bundle.keys() {
        if !matches!(key.as_str(), "type" | "id" | "objects" | "spec_version") {
            check_custom_name(key, &child("", key), findings);
        }
    }
    let Some(objects) = bundle.get("objects") else {
        return;
    };
    let Value::Array(objects) = objects else {
        findings.error("/objects", "type", "objects must be a list");
        return;
    };
    if objects.is_empty() {
        findings.error(
            "/objects",
            "empty-list",
            "a list must not be empty; omit the property instead",
        );
    }
    let mut versions = FxHashSet::default();
    for (idx, object) in objects.iter().enumerate() {
        let pointer = format!("/objects/{idx}");
        validate_value(object, &pointer, findings);
        let id = object.get("id").and_then(Value::as_str);
        let version = object.get("modified").and_then(Value::as_str);
        if let Some(id) = id
            && !versions.insert((id, version))
        {
            findings.warning(
                &pointer,
                "duplicate",
                format!("{id} appears twice with the same version"),
            );
        }
    }
}

/// Validates one object at `pointer`.
fn validate_object(object: &Map<String, Value>, pointer: &str, findings: &mut Findings) {
    let object_type = match object.get("type") {
        None => {
            findings.error(&child(pointer, "type"), "required", "type is required");
            None
        }
        Some(Value::String(object_type)) => match check_type_name(object_type) {
            Ok(()) => Some(object_type.as_str()),
            Err(reason) => {
                findings.error(
                    &child(pointer, "type"),
                    "type-name",
                    format!("invalid type '{object_type}': {reason}"),
                );
                None
            }
        },
        Some(_) => {
            findings.error(&child(pointer, "type"), "type", "type must be a string");
            None
        }
    };
    check_id(object, pointer, object_type, findings);
    let Some(object_type) = object_type else {
        return;
    };
    if object_type == "bundle" {
        findings.error(
            &child(pointer, "type"),
            "nested-bundle",
            "a bundle cannot be inside a list of objects",
        );
        return;
    }
    let category = vocab::category(object_type).unwrap_or_else(|| guess_category(object));
    let common = properties::common(category);
    let specific = properties::specific(object_type);
    for prop in common.iter().chain(specific.unwrap_or_default()) {
        properties::check_property(object, prop, pointer, findings);
    }
    let standard = vocab::category(object_type).is_some();
    for key in object.keys() {
        let known = matches!(key.as_str(), "type" | "id")
            || common.iter().any(|prop| prop.name == key)
            || specific
                .unwrap_or_default()
                .iter()
                .any(|prop| prop.name == key);
        if known {
            continue;
        }
        let key_pointer = child(pointer, key);
        check_property_name(key, &key_pointer, findings);
        // Only a type whose properties are all listed can tell a custom
        // property from a standard one it does not model.
        if standard && specific.is_some() && !key.starts_with("x_") {
            findings.warning(
                &key_pointer,
                "unknown-property",
                format!("'{key}' is not a {object_type} property; custom property names should start with x_"),
            );
        }
    }
    rules::check(object_type, object, pointer, findings);
}

/// A custom type is treated as a Domain Object when it has `created`,
/// otherwise as a Cyber-observable Object.
fn guess_category(object: &Map<String, Value>) -> Category {
    if object.contains_key("created") {
        Category::Domain
    } else {
        Category::Observable
    }
}

/// `id` is required, a valid identifier, and names the object's type.
fn check_id(
    object: &Map<String, Value>,
    pointer: &str,
    object_type: Option<&str>,
    findings: &mut Findings,
) {
    let id_pointer = child(pointer, "id");
    match object.get("id") {
        None => findings.error(&id_pointer, "required", "id is required"),
        Some(Value::String(id)) => match Identifier::parse(id) {
            Ok(id) => {
                if let Some(object_type) = object_type
                    && id.object_type() != object_type
                {
                    findings.error(
                        &id_pointer,
                        "identifier",
                        format!(
                            "the id names type '{}' but the object is a {object_type}",
                            id.object_type()
                        ),
                    );
                }
            }
            Err(error) => findings.error(&id_pointer, "identifier", error.to_string()),
        },
        Some(_) => findings.error(&id_pointer, "identifier", "id must be a string"),
    }
}

/// Property names use `a-z A-Z 0-9 _` and have 3–250 characters.
fn check_property_name(key: &str, pointer: &str, findings: &mut Findings) {
    let valid_chars = key
        .bytes()
        .all(|it| it.is_ascii_alphanumeric() || it == b'_');
    if !valid_chars || !(3..=250).contains(&key.len()) {
        findings.error(
            pointer,
            "property-name",
            format!("'{key}' is not a valid property name (3-250 characters of a-z, A-Z, 0-9, _)"),
        );
    }
}

fn check_custom_name(key: &str, pointer: &str, findings: &mut Findings) {
    check_property_name(key, pointer, findings);
    if !key.starts_with("x_") {
        findings.warning(
            pointer,
            "unknown-property",
            format!("'{key}' is not a bundle property"),
        );
    }
}
