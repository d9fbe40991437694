//! Observations: what a pattern is matched against. One observation is an
//! `observed-data` object with its cyber-observables resolved, whether they
//! came inline (`objects`, STIX 2.0) or by reference (`object_refs` into the
//! same bundle, STIX 2.1).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::Timestamp;

/// One observation window and the objects seen in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The `observed-data` id, when it has one.
    pub id: Option<String>,
    /// Start of the window.
    pub first_observed: Timestamp,
    /// End of the window (not before the start).
    pub last_observed: Timestamp,
    /// How many times the data was seen; each counts as a separate
    /// observation when binding a pattern.
    pub number_observed: u64,
    /// The cyber-observables, keyed by id (2.1) or local key (2.0);
    /// `*_ref` properties resolve against these keys.
    pub objects: BTreeMap<String, Value>,
}

/// Why JSON could not be read as observations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct ObservationError {
    /// JSON pointer to the offending value.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Observation {
    /// An observation of `objects` (keyed as they will be referenced) seen
    /// once at `at`.
    pub fn new(at: Timestamp, objects: BTreeMap<String, Value>) -> Observation {
        Observation {
            id: None,
            first_observed: at,
            last_observed: at,
            number_observed: 1,
            objects,
        }
    }
}

/// Reads observations from a bundle, a JSON list of objects, or one
/// `observed-data` object. In a bundle or list, `object_refs` resolve
/// against the other objects (references that do not resolve are dropped,
/// as they never match); objects that are not `observed-data` are only
/// reference targets.
pub fn observations_from_json(value: &Value) -> Result<Vec<Observation>, ObservationError> {
    let (objects, prefix): (&[Value], &str) = match value {
        Value::Object(object) if object.get("type").and_then(Value::as_str) == Some("bundle") => {
            match object.get("objects") {
                Some(Value::Array(objects)) => (objects, "/objects"),
                None => (&[], ""),
                Some(_) => return Err(error("/objects", "objects must be a list")),
            }
        }
        Value::Object(_) => (std::slice::from_ref(value), ""),
        Value::Array(objects) => (objects, ""),
        _ => {
            return Err(error(
                "",
                "expected a bundle, a list of objects or an observed-data object",
            ));
        }
    };
    let single = matches!(value, Value::Object(object) if object.get("type").and_then(Value::as_str) != Some("bundle"));
    let by_id: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|object| Some((object.get("id")?.as_str()?, object)))
        .collect();
    let mut observations = Vec::new();
    for (idx, object) in objects.iter().enumerate() {
        let pointer = if single {
            String::new()
        } else {
            format!("{prefix}/{idx}")
        };
        let Some(map) = object.as_object() else {
            return Err(error(&pointer, "expected a JSON object"));
        };
        if map.get("type").and_then(Value::as_str) != Some("observed-data") {
            continue;
        }
        observations.push(observation(map, &by_id, &pointer)?);
    }
    Ok(observations)
}

fn error(pointer: &str, message: &str) -> ObservationError {
    ObservationError {
        pointer: pointer.to_string(),
        message: message.to_string(),
    }
}

fn observation(
    map: &Map<String, Value>,
    by_id: &HashMap<&str, &Value>,
    pointer: &str,
) -> Result<Observation, ObservationError> {
    let timestamp = |key: &str| {
        let text = map
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| error(&format!("{pointer}/{key}"), &format!("{key} is required")))?;
        Timestamp::parse(text).map_err(|it| error(&format!("{pointer}/{key}"), &it.to_string()))
    };
    let first_observed = timestamp("first_observed")?;
    let last_observed = timestamp("last_observed")?;
    if last_observed < first_observed {
        return Err(error(
            &format!("{pointer}/last_observed"),
            "last_observed is before first_observed",
        ));
    }
    let number_observed = map
        .get("number_observed")
        .and_then(Value::as_u64)
        .filter(|it| *it >= 1)
        .ok_or_else(|| {
            error(
                &format!("{pointer}/number_observed"),
                "number_observed must be a positive integer",
            )
        })?;
    let mut objects = BTreeMap::new();
    if let Some(inline) = map.get("objects") {
        let Some(inline) = inline.as_object() else {
            return Err(error(
                &format!("{pointer}/objects"),
                "objects must be a dictionary",
            ));
        };
        objects.extend(
            inline
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
    }
    if let Some(refs) = map.get("object_refs") {
        let Some(refs) = refs.as_array() else {
            return Err(error(
                &format!("{pointer}/object_refs"),
                "object_refs must be a list",
            ));
        };
        for id in refs.iter().filter_map(Value::as_str) {
            if let Some(object) = by_id.get(id) {
                objects.insert(id.to_string(), (*object).clone());
            }
        }
    }
    Ok(Observation {
        id: map.get("id").and_then(Value::as_str).map(str::to_string),
        first_observed,
        last_observed,
        number_observed,
        objects,
    })
}
