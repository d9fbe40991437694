//! STIX Domain Objects: the higher-level intelligence concepts a feed
//! carries (indicators, malware, actors, reports, observations, …).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{CommonProperties, Custom, KillChainPhase};
use crate::{Identifier, Timestamp};

/// Defines an object struct: the flattened common properties, required
/// fields, optional fields (as `Option`s, omitted when `None`) and the
/// `custom` map that keeps every other property.
macro_rules! stix_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident: $common:ty {
            $( $(#[$rmeta:meta])* $rfield:ident : $rty:ty, )*
        } optional {
            $( $(#[$ometa:meta])* $ofield:ident : $oty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// The properties every object of this category has.
            #[serde(flatten)]
            pub common: $common,
            $( $(#[$rmeta])* pub $rfield: $rty, )*
            $(
                $(#[$ometa])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $ofield: Option<$oty>,
            )*
            /// Properties the model does not name, `x_…` custom ones included.
            #[serde(flatten)]
            pub custom: Custom,
        }
    };
}

pub(crate) use stix_struct;

stix_struct! {
    /// `attack-pattern`: a way adversaries try to compromise targets (TTP).
    pub struct AttackPattern: CommonProperties {
        /// Name, e.g. a CAPEC or ATT&CK technique name.
        name: String,
    } optional {
        /// More details.
        description: String,
        /// Other names.
        aliases: Vec<String>,
        /// Kill chain phases it is used in.
        kill_chain_phases: Vec<KillChainPhase>,
    }
}

stix_struct! {
    /// `campaign`: a grouping of adversarial behaviours over a period of time
    /// against a specific set of targets.
    pub struct Campaign: CommonProperties {
        /// Name.
        name: String,
    } optional {
        /// More details.
        description: String,
        /// Other names.
        aliases: Vec<String>,
        /// First seen (not after `last_seen`).
        first_seen: Timestamp,
        /// Last seen.
        last_seen: Timestamp,
        /// The campaign's primary goal.
        objective: String,
    }
}

stix_struct! {
    /// `identity`: an individual, organization or group.
    pub struct Identity: CommonProperties {
        /// Name.
        name: String,
    } optional {
        /// More details.
        description: String,
        /// Roles this identity performs.
        roles: Vec<String>,
        /// `identity-class-ov`.
        identity_class: String,
        /// `industry-sector-ov`.
        sectors: Vec<String>,
        /// How to contact it.
        contact_information: String,
    }
}

stix_struct! {
    /// `indicator`: a pattern that can detect suspicious or malicious
    /// activity.
    pub struct Indicator: CommonProperties {
        /// The detection pattern, in the language `pattern_type` names.
        pattern: String,
        /// `pattern-type-ov`: `stix`, `snort`, `yara`, …
        pattern_type: String,
        /// From when the indicator is valid.
        valid_from: Timestamp,
    } optional {
        /// Name.
        name: String,
        /// More details.
        description: String,
        /// `indicator-type-ov`.
        indicator_types: Vec<String>,
        /// Version of the pattern language.
        pattern_version: String,
        /// Until when it is valid (after `valid_from`).
        valid_until: Timestamp,
        /// Kill chain phases it detects.
        kill_chain_phases: Vec<KillChainPhase>,
    }
}

stix_struct! {
    /// `intrusion-set`: adversarial behaviours and resources believed to be
    /// orchestrated by one organization.
    pub struct IntrusionSet: CommonProperties {
        /// Name.
        name: String,
    } optional {
        /// More details.
        description: String,
        /// Other names.
        aliases: Vec<String>,
        /// First seen.
        first_seen: Timestamp,
        /// Last seen.
        last_seen: Timestamp,
        /// High-level goals.
        goals: Vec<String>,
        /// `attack-resource-level-ov`.
        resource_level: String,
        /// `attack-motivation-ov`.
        primary_motivation: String,
        /// `attack-motivation-ov`.
        secondary_motivations: Vec<String>,
    }
}

stix_struct! {
    /// `malware`: malicious code, as a family or an instance.
    pub struct Malware: CommonProperties {
        /// Whether this is a family (then `name` is required) or an instance.
        is_family: bool,
    } optional {
        /// Name.
        name: String,
        /// More details.
        description: String,
        /// `malware-type-ov`.
        malware_types: Vec<String>,
        /// Other names.
        aliases: Vec<String>,
        /// Kill chain phases it is used in.
        kill_chain_phases: Vec<KillChainPhase>,
        /// First seen.
        first_seen: Timestamp,
        /// Last seen.
        last_seen: Timestamp,
        /// `software` objects it runs on.
        operating_system_refs: Vec<Identifier>,
        /// `processor-architecture-ov`.
        architecture_execution_envs: Vec<String>,
        /// `implementation-language-ov`.
        implementation_languages: Vec<String>,
        /// `malware-capabilities-ov`.
        capabilities: Vec<String>,
        /// `file` or `artifact` samples.
        sample_refs: Vec<Identifier>,
    }
}

stix_struct! {
    /// `note`: analyst text added to other objects.
    pub struct Note: CommonProperties {
        /// The note itself.
        content: String,
        /// The objects it is about (at least one).
        object_refs: Vec<Identifier>,
    } optional {
        /// A summary.
        r#abstract: String,
        /// Who wrote it.
        authors: Vec<String>,
    }
}

stix_struct! {
    /// `observed-data`: cyber-observables seen on systems and networks,
    /// with when and how often.
    pub struct ObservedData: CommonProperties {
        /// Start of the observation window.
        first_observed: Timestamp,
        /// End of the window (not before `first_observed`).
        last_observed: Timestamp,
        /// How many times the data was seen (1–999,999,999).
        number_observed: u64,
    } optional {
        /// The deprecated 2.0 inline objects, keyed by local reference.
        objects: BTreeMap<String, Value>,
        /// The observed objects (exclusive with `objects`).
        object_refs: Vec<Identifier>,
    }
}

/// How strongly an `opinion` agrees with the objects it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpinionValue {
    /// `strongly-disagree`.
    StronglyDisagree,
    /// `disagree`.
    Disagree,
    /// `neutral`.
    Neutral,
    /// `agree`.
    Agree,
    /// `strongly-agree`.
    StronglyAgree,
}

stix_struct! {
    /// `opinion`: an assessment of the correctness of other objects — how
    /// a member reports a false positive in STIX terms.
    pub struct Opinion: CommonProperties {
        /// The assessment.
        opinion: OpinionValue,
        /// The objects assessed (at least one).
        object_refs: Vec<Identifier>,
    } optional {
        /// Why.
        explanation: String,
        /// Who holds the opinion.
        authors: Vec<String>,
    }
}

stix_struct! {
    /// `report`: a collection of threat intelligence on a topic.
    pub struct Report: CommonProperties {
        /// Name.
        name: String,
        /// When it was officially published.
        published: Timestamp,
        /// What it covers (at least one object).
        object_refs: Vec<Identifier>,
    } optional {
        /// More details.
        description: String,
        /// `report-type-ov`.
        report_types: Vec<String>,
    }
}

stix_struct! {
    /// `threat-actor`: individuals, groups or organizations with malicious
    /// intent.
    pub struct ThreatActor: CommonProperties {
        /// Name.
        name: String,
    } optional {
        /// More details.
        description: String,
        /// `threat-actor-type-ov`.
        threat_actor_types: Vec<String>,
        /// Other names.
        aliases: Vec<String>,
        /// First seen.
        first_seen: Timestamp,
        /// Last seen.
        last_seen: Timestamp,
        /// `threat-actor-role-ov`.
        roles: Vec<String>,
        /// High-level goals.
        goals: Vec<String>,
        /// `threat-actor-sophistication-ov`.
        sophistication: String,
        /// `attack-resource-level-ov`.
        resource_level: String,
        /// `attack-motivation-ov`.
        primary_motivation: String,
        /// `attack-motivation-ov`.
        secondary_motivations: Vec<String>,
        /// `attack-motivation-ov`.
        personal_motivations: Vec<String>,
    }
}
