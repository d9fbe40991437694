//! The typed STIX 2.1 object model: the properties shared by every object,
//! one struct per supported object type, and bundles.
//!
//! Every struct keeps the properties it does not know in a `custom` map
//! (`x_…` custom properties, and anything a later specification adds), so
//! reading an object and writing it back loses nothing. Optional properties
//! are `Option`s rather than defaulted values for the same reason: an
//! explicit `"revoked": false` survives a round trip.
//!
//! The typed model is what a caller holds once input is known to be valid;
//! [`crate::validate`] is where invalid input is described, finding by
//! finding. [`Bundle::from_json`] runs the validator first, so a value of
//! these types always came from input without errors.

mod bundle;
mod domain;
mod marking;
mod observable;
mod relationship;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Identifier, Timestamp};

pub use bundle::{Bundle, StixError, StixObject};
pub use domain::{
    AttackPattern, Campaign, Identity, Indicator, IntrusionSet, Malware, Note, ObservedData,
    Opinion, OpinionValue, Report, ThreatActor,
};
pub use marking::{MarkingDefinition, TLP_EXTENSION_ID, Tlp, Tlp1};
pub use observable::{
    DomainName, EmailAddr, File, Ipv4Addr, Ipv6Addr, NetworkTraffic, Url, X509Certificate,
};
pub use relationship::{Relationship, Sighting};

/// Properties the model does not name, kept verbatim.
pub type Custom = BTreeMap<String, Value>;

/// The common properties of Domain and Relationship Objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonProperties {
    /// Always `"2.1"` for objects this crate accepts.
    pub spec_version: String,
    /// The object's identifier; its type part equals the object type.
    pub id: Identifier,
    /// The identity that created the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<Identifier>,
    /// When this object was first created (millisecond precision or finer).
    pub created: Timestamp,
    /// When this version was made; never before `created`.
    pub modified: Timestamp,
    /// Whether the object is revoked: consumers must no longer use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<bool>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// The creator's confidence, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Language of the text properties (RFC 5646).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// References to non-STIX information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_references: Option<Vec<ExternalReference>>,
    /// Marking definitions that apply to the whole object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_marking_refs: Option<Vec<Identifier>>,
    /// Markings that apply to parts of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granular_markings: Option<Vec<GranularMarking>>,
    /// Extensions, keyed by extension-definition id or predefined name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<BTreeMap<String, Value>>,
}

/// The common properties of Cyber-observable Objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservableCommon {
    /// The object's identifier.
    pub id: Identifier,
    /// `"2.1"` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_version: Option<String>,
    /// Marking definitions that apply to the whole object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_marking_refs: Option<Vec<Identifier>>,
    /// Markings that apply to parts of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granular_markings: Option<Vec<GranularMarking>>,
    /// Whether values were defanged (e.g. `example[.]com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defanged: Option<bool>,
    /// Extensions, keyed by extension-definition id or predefined name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<BTreeMap<String, Value>>,
}

/// A pointer to information outside STIX.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalReference {
    /// The source, e.g. `capec` or `mitre-attack`.
    pub source_name: String,
    /// A human description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the information is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Hashes of the content at `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<BTreeMap<String, String>>,
    /// The identifier in the external system, e.g. `T1059`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Unknown properties.
    #[serde(flatten)]
    pub custom: Custom,
}

/// A phase of a kill chain, e.g. Lockheed Martin's `exploitation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillChainPhase {
    /// The kill chain, e.g. `lockheed-martin-cyber-kill-chain`.
    pub kill_chain_name: String,
    /// The phase within it.
    pub phase_name: String,
}

/// A marking applied to selected properties of an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GranularMarking {
    /// A language marking (exclusive with `marking_ref`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The marking definition (exclusive with `lang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marking_ref: Option<Identifier>,
    /// Selectors of the marked properties.
    pub selectors: Vec<String>,
}
