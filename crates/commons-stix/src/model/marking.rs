//! `marking-definition` objects and the fixed Traffic Light Protocol
//! markings: TLP 2.0 (the OASIS extension, which the feed uses) and the
//! TLP 1.0 objects of the STIX 2.1 specification (recognised on input).
//!
//! TLP markings are identified by fixed identifiers: every producer uses the
//! same objects, so a consumer can recognise them by id alone. Other
//! instances of a TLP marking must not be created, which is why the
//! validator compares an object carrying one of these ids with the canonical
//! object.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Custom, ExternalReference, GranularMarking};
use crate::{Identifier, Timestamp};

/// The extension definition that TLP 2.0 markings use.
pub const TLP_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// `marking-definition`: a data marking (TLP, a statement, or an extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkingDefinition {
    /// Always `"2.1"`.
    pub spec_version: String,
    /// The identifier.
    pub id: Identifier,
    /// The identity that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_ref: Option<Identifier>,
    /// When it was created.
    pub created: Timestamp,
    /// A name, e.g. `TLP:AMBER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `statement` or `tlp` (with `definition`), for 2.1-style markings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_type: Option<String>,
    /// The marking content for `definition_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Value>,
    /// References to non-STIX information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_references: Option<Vec<ExternalReference>>,
    /// Markings of this marking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_marking_refs: Option<Vec<Identifier>>,
    /// Granular markings of this marking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granular_markings: Option<Vec<GranularMarking>>,
    /// Extensions (TLP 2.0 markings live here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<BTreeMap<String, Value>>,
    /// Unknown properties.
    #[serde(flatten)]
    pub custom: Custom,
}

/// A TLP 2.0 level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    /// TLP:CLEAR — no limit on disclosure.
    Clear,
    /// TLP:GREEN — within the community.
    Green,
    /// TLP:AMBER — within the recipient's organization and its clients.
    Amber,
    /// TLP:AMBER+STRICT — within the recipient's organization only.
    AmberStrict,
    /// TLP:RED — the named recipients only.
    Red,
}

/// A TLP 1.0 level, as the STIX 2.1 specification defines its markings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp1 {
    /// TLP:WHITE.
    White,
    /// TLP:GREEN.
    Green,
    /// TLP:AMBER.
    Amber,
    /// TLP:RED.
    Red,
}

impl Tlp {
    /// Every level, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The fixed identifier of the level's marking definition.
    pub const fn id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The value of the extension's `tlp_2_0` property, e.g. `amber+strict`.
    pub const fn level(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The marking's name, e.g. `TLP:AMBER+STRICT`.
    pub const fn name(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The level whose marking has identifier `id`.
    pub fn from_id(id: &str) -> Option<Tlp> {
        Tlp::ALL.into_iter().find(|tlp| tlp.id() == id)
    }

    /// The canonical marking-definition object, as JSON.
    pub fn to_json(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id(),
            "created": "2022-10-01T00:00:00.000Z",
            "name": self.name(),
            "extensions": {
                TLP_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.level(),
                }
            }
        })
    }

    /// The canonical marking-definition object.
    pub fn marking_definition(self) -> MarkingDefinition {
        let mut value = self.to_json();
        if let Some(object) = value.as_object_mut() {
            object.remove("type");
        }
        serde_json::from_value(value).expect("the canonical TLP object fits the model")
    }
}

impl Tlp1 {
    /// Every level, least restrictive first.
    pub const ALL: [Tlp1; 4] = [Tlp1::White, Tlp1::Green, Tlp1::Amber, Tlp1::Red];

    /// The fixed identifier of the level's marking definition.
    pub const fn id(self) -> &'static str {
        match self {
            Tlp1::White => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
            Tlp1::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            Tlp1::Amber => "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
            Tlp1::Red => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        }
    }

    /// The `definition.tlp` value, e.g. `white`.
    pub const fn level(self) -> &'static str {
        match self {
            Tlp1::White => "white",
            Tlp1::Green => "green",
            Tlp1::Amber => "amber",
            Tlp1::Red => "red",
        }
    }

    /// The level whose marking has identifier `id`.
    pub fn from_id(id: &str) -> Option<Tlp1> {
        Tlp1::ALL.into_iter().find(|tlp| tlp.id() == id)
    }

    /// The canonical marking-definition object, as JSON.
    pub fn to_json(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id(),
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": format!("TLP:{}", self.level().to_uppercase()),
            "definition": { "tlp": self.level() },
        })
    }
}
