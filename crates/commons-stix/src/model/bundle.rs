//! Bundles and the `StixObject` sum type: reading JSON into typed objects
//! (after validation) and writing them back.
//!
//! The object structs do not carry their `type`: the variant is the type.
//! Reading removes `type` before handing the rest to the struct, and writing
//! puts it back, so the structs cannot disagree with the enum.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    AttackPattern, Campaign, Custom, DomainName, EmailAddr, File, Identity, Indicator,
    IntrusionSet, Ipv4Addr, Ipv6Addr, Malware, MarkingDefinition, NetworkTraffic, Note,
    ObservedData, Opinion, Relationship, Report, Sighting, ThreatActor, Url, X509Certificate,
};
use crate::Identifier;
use crate::validate::{Finding, Severity, validate};

/// Why JSON could not be read as STIX.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StixError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not valid STIX; every finding is listed (warnings too).
    #[error("invalid STIX: {} error(s), first: {}", count_errors(.0), first_error(.0))]
    Invalid(Vec<Finding>),
}

/// A bundle: a wrapper that carries objects in and out.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// `bundle--UUID`.
    pub id: Identifier,
    /// The objects, in the order they were written.
    pub objects: Vec<StixObject>,
    /// Unknown properties.
    pub custom: Custom,
}

macro_rules! stix_objects {
    ($( $variant:ident($ty:ty) = $name:literal, )*) => {
        /// One STIX object. Types the model has no struct for (tool,
        /// vulnerability, custom `x-…` objects, …) are kept as JSON in
        /// [`StixObject::Other`].
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum StixObject {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant($ty),
            )*
            /// Any other type, verbatim (including its `type`).
            Other(Map<String, Value>),
        }

        impl StixObject {
            /// The `type` property.
            pub fn object_type(&self) -> &str {
                match self {
                    $( StixObject::$variant(_) => $name, )*
                    StixObject::Other(object) => object
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                }
            }

            /// The `id` property.
            pub fn id(&self) -> Option<Identifier> {
                match self {
                    $( StixObject::$variant(it) => Some(it.identifier().clone()), )*
                    StixObject::Other(object) => object
                        .get("id")
                        .and_then(Value::as_str)
                        .and_then(|id| Identifier::parse(id).ok()),
                }
            }

            /// Reads one object; `Err` names what the typed model rejected.
            /// Run [`validate`] first for every finding.
            pub fn from_value(value: Value) -> Result<StixObject, serde_json::Error> {
                let Value::Object(mut object) = value else {
                    return Err(serde::de::Error::custom("a STIX object is a JSON object"));
                };
                let object_type = object.get("type").and_then(Value::as_str).unwrap_or_default();
                match object_type {
                    $(
                        $name => {
                            object.remove("type");
                            serde_json::from_value(Value::Object(object)).map(StixObject::$variant)
                        }
                    )*
                    _ => Ok(StixObject::Other(object)),
                }
            }

            /// Writes the object as JSON, `type` included.
            pub fn to_value(&self) -> Value {
                let (object_type, value) = match self {
                    $(
                        StixObject::$variant(it) => (
                            $name,
                            serde_json::to_value(it).expect("model types always serialize"),
                        ),
                    )*
                    StixObject::Other(object) => return Value::Object(object.clone()),
                };
                let mut value = value;
                if let Value::Object(object) = &mut value {
                    object.insert("type".to_string(), Value::String(object_type.to_string()));
                }
                value
            }
        }
    };
}

stix_objects! {
    AttackPattern(AttackPattern) = "attack-pattern",
    Campaign(Campaign) = "campaign",
    Identity(Identity) = "identity",
    Indicator(Indicator) = "indicator",
    IntrusionSet(IntrusionSet) = "intrusion-set",
    Malware(Malware) = "malware",
    Note(Note) = "note",
    ObservedData(ObservedData) = "observed-data",
    Opinion(Opinion) = "opinion",
    Report(Report) = "report",
    ThreatActor(ThreatActor) = "threat-actor",
    Relationship(Relationship) = "relationship",
    Sighting(Sighting) = "sighting",
    MarkingDefinition(MarkingDefinition) = "marking-definition",
    Ipv4Addr(Ipv4Addr) = "ipv4-addr",
    Ipv6Addr(Ipv6Addr) = "ipv6-addr",
    DomainName(DomainName) = "domain-name",
    Url(Url) = "url",
    File(File) = "file",
    NetworkTraffic(NetworkTraffic) = "network-traffic",
    EmailAddr(EmailAddr) = "email-addr",
    X509Certificate(X509Certificate) = "x509-certificate",
}

/// Objects that know their identifier.
trait Identified {
    fn identifier(&self) -> &Identifier;
}

macro_rules! identified {
    ($($ty:ty),* $(,)?) => {
        $( impl Identified for $ty {
            fn identifier(&self) -> &Identifier {
                &self.common.id
            }
        } )*
    };
}

identified!(
    AttackPattern,
    Campaign,
    Identity,
    Indicator,
    IntrusionSet,
    Malware,
    Note,
    ObservedData,
    Opinion,
    Report,
    ThreatActor,
    Relationship,
    Sighting,
    Ipv4Addr,
    Ipv6Addr,
    DomainName,
    Url,
    File,
    NetworkTraffic,
    EmailAddr,
    X509Certificate,
);

impl Identified for MarkingDefinition {
    fn identifier(&self) -> &Identifier {
        &self.id
    }
}

impl Bundle {
    /// A bundle of `objects`.
    pub fn new(id: Identifier, objects: Vec<StixObject>) -> Bundle {
        Bundle {
            id,
            objects,
            custom: Custom::new(),
        }
    }

    /// Reads a bundle from JSON text. The bundle is validated first and
    /// refused with every finding if any is an error; warnings are not
    /// reported here (call [`validate`] to see them).
    pub fn from_json(text: &str) -> Result<Bundle, StixError> {
        let value: Value = serde_json::from_str(text)?;
        Bundle::from_value(value)
    }

    /// Reads a bundle from a JSON value; see [`Bundle::from_json`].
    pub fn from_value(value: Value) -> Result<Bundle, StixError> {
        let findings = validate(&value);
        if findings.iter().any(|it| it.severity == Severity::Error) {
            return Err(StixError::Invalid(findings));
        }
        let not_a_bundle = || {
            StixError::Invalid(vec![Finding::error(
                "/type",
                "not-a-bundle",
                "expected an object of type 'bundle'",
            )])
        };
        let Value::Object(mut object) = value else {
            return Err(not_a_bundle());
        };
        if object.get("type").and_then(Value::as_str) != Some("bundle") {
            return Err(not_a_bundle());
        }
        object.remove("type");
        let id = object
            .remove("id")
            .and_then(|it| it.as_str().and_then(|id| Identifier::parse(id).ok()));
        let objects = match object.remove("objects") {
            Some(Value::Array(objects)) => objects,
            _ => Vec::new(),
        };
        let mut problems = Vec::new();
        let mut typed = Vec::with_capacity(objects.len());
        for (idx, object) in objects.into_iter().enumerate() {
            match StixObject::from_value(object) {
                Ok(it) => typed.push(it),
                Err(error) => problems.push(Finding::error(
                    format!("/objects/{idx}"),
                    "model",
                    error.to_string(),
                )),
            }
        }
        let Some(id) = id else {
            problems.push(Finding::error("/id", "identifier", "a bundle needs an id"));
            return Err(StixError::Invalid(problems));
        };
        if !problems.is_empty() {
            return Err(StixError::Invalid(problems));
        }
        Ok(Bundle {
            id,
            objects: typed,
            custom: object.into_iter().collect(),
        })
    }

    /// Writes the bundle as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut object: Map<String, Value> = self
            .custom
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        object.insert("type".to_string(), Value::String("bundle".to_string()));
        object.insert("id".to_string(), Value::String(self.id.to_string()));
        object.insert(
            "objects".to_string(),
            Value::Array(self.objects.iter().map(StixObject::to_value).collect()),
        );
        Value::Object(object)
    }

    /// Writes the bundle as compact JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

impl Serialize for StixObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for StixObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StixObject, D::Error> {
        let value = Value::deserialize(deserializer)?;
        StixObject::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Bundle {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

fn count_errors(findings: &[Finding]) -> usize {
    findings
        .iter()
        .filter(|it| it.severity == Severity::Error)
        .count()
}

fn first_error(findings: &[Finding]) -> String {
    findings
        .iter()
        .find(|it| it.severity == Severity::Error)
        .map(|it| format!("{}: {}", it.pointer, it.message))
        .unwrap_or_default()
}
