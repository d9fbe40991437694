//! STIX Relationship Objects: `relationship` links two objects, `sighting`
//! says something was seen.

use serde::{Deserialize, Serialize};

use super::domain::stix_struct;
use super::{CommonProperties, Custom};
use crate::{Identifier, Timestamp};

stix_struct! {
    /// `relationship`: `source_ref` —`relationship_type`→ `target_ref`.
    pub struct Relationship: CommonProperties {
        /// Lower-case words joined by hyphens, e.g. `indicates`.
        relationship_type: String,
        /// The source object (a Domain or Cyber-observable Object).
        source_ref: Identifier,
        /// The target object (a Domain or Cyber-observable Object).
        target_ref: Identifier,
    } optional {
        /// More details.
        description: String,
        /// When the relationship started to hold.
        start_time: Timestamp,
        /// When it stopped (after `start_time`).
        stop_time: Timestamp,
    }
}

stix_struct! {
    /// `sighting`: a belief that something (an indicator, malware, …) was
    /// seen, how often and where.
    pub struct Sighting: CommonProperties {
        /// What was seen: a Domain Object.
        sighting_of_ref: Identifier,
    } optional {
        /// More details.
        description: String,
        /// First seen.
        first_seen: Timestamp,
        /// Last seen (not before `first_seen`).
        last_seen: Timestamp,
        /// How many times (0–999,999,999).
        count: u64,
        /// `observed-data` objects with the raw evidence.
        observed_data_refs: Vec<Identifier>,
        /// `identity` or `location` objects where it was seen.
        where_sighted_refs: Vec<Identifier>,
        /// Whether this is a summary of other sightings.
        summary: bool,
    }
}
