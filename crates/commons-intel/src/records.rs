//! The intel record kinds and their bodies (wire types).
//!
//! A sighting carries only an indicator reference, a count and a time
//! window: what a member reports back never includes its own addresses.

use std::borrow::Cow;

use commons_kernel::{KindSpec, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Publishes STIX objects.
pub const PUBLISH: &str = "intel.publish";
/// Revokes an indicator (or any object with `modified`).
pub const REVOKE: &str = "intel.revoke";
/// Reports that an indicator matched.
pub const SIGHTING: &str = "intel.sighting";
/// Reports that an indicator matched something benign.
pub const FALSE_POSITIVE: &str = "intel.false-positive";
/// Removes an object (or some of its versions) from the collection.
pub const DELETE: &str = "intel.delete";
/// Sets the community's confidence model.
pub const SETTINGS: &str = "intel.settings";

/// The most objects one `intel.publish` record carries.
pub const MAX_OBJECTS: usize = 10_000;

/// The kinds, with the least role each needs.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: PUBLISH,
        min_role: Some(Role::Member),
        summary: "publish STIX 2.1 objects to the community feed",
    },
    KindSpec {
        kind: REVOKE,
        min_role: Some(Role::Member),
        summary: "revoke an object the author published (moderators: any)",
    },
    KindSpec {
        kind: SIGHTING,
        min_role: Some(Role::Member),
        summary: "report sightings of an indicator: reference, count and time window only",
    },
    KindSpec {
        kind: FALSE_POSITIVE,
        min_role: Some(Role::Member),
        summary: "report that an indicator matched something benign",
    },
    KindSpec {
        kind: DELETE,
        min_role: Some(Role::Member),
        summary: "remove an object the author published from the collection (moderators: any)",
    },
    KindSpec {
        kind: SETTINGS,
        min_role: Some(Role::Admin),
        summary: "set the community's half-lives and expiry threshold",
    },
];

/// `intel.publish`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// STIX 2.1 objects in their wire form (see [`to_wire`]).
    pub objects: Vec<Value>,
}

/// The shape of an `intel.publish` body, checked without copying its
/// objects (a record carries up to a thousand); they are then read in place
/// with [`published_objects`]. Its errors are `PublishBody`'s.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishShape {
    #[allow(dead_code, reason = "read for its shape only")]
    objects: Vec<serde::de::IgnoredAny>,
}

/// The elements of a publish body whose shape `PublishShape` accepted.
pub(crate) fn published_objects(body: &Value) -> &[Value] {
    body.get("objects")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The form an object travels in inside an `intel.publish` record.
///
/// Records are signed over the kernel's canonical encoding, which takes
/// integers within ±2^53 only, while STIX objects may hold decimals
/// (`"x_score": 7.5`, custom properties, large counters). An object that
/// encodes canonically travels as itself — so records written before this
/// form existed keep their bytes and ids — and any other object travels as
/// a string holding its compact JSON text. No STIX object is a string, so
/// the two forms cannot be confused; the signature covers the text, so
/// every node reads back the same numbers.
pub fn to_wire(object: Value) -> Value {
    let size = wire_size(&object);
    into_wire(object, size)
}

/// The bytes `object` takes in a record, in its wire form.
pub fn wire_len(object: &Value) -> usize {
    wire_size(object).len
}

/// Which wire form an object takes (see [`to_wire`]) and its size, found
/// with one canonical-encoding check: a publish needs both, and the check
/// encodes the whole object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireSize {
    /// Whether the object encodes canonically and so travels as itself.
    pub canonical: bool,
    /// The bytes its wire form takes (compact JSON).
    pub len: usize,
}

/// The [`WireSize`] of `object`.
pub fn wire_size(object: &Value) -> WireSize {
    if commons_kernel::canonical::check(object).is_ok() {
        let mut counter = Counter(0);
        // Writing to a counter cannot fail, and a Value always serializes.
        let _ = serde_json::to_writer(&mut counter, object);
        WireSize {
            canonical: true,
            len: counter.0,
        }
    } else {
        WireSize {
            canonical: false,
            len: Value::String(object.to_string()).to_string().len(),
        }
    }
}

/// [`to_wire`] of an object whose [`wire_size`] is `size`.
pub fn into_wire(object: Value, size: WireSize) -> Value {
    if size.canonical {
        object
    } else {
        Value::String(object.to_string())
    }
}

/// Counts the bytes written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The object a wire element stands for; an error for a string that does
/// not hold a JSON object.
pub fn from_wire(element: Value) -> Result<Value, String> {
    match element {
        Value::String(_) => from_wire_ref(&element).map(Cow::into_owned),
        object => Ok(object),
    }
}

/// [`from_wire`] of a borrowed element: an object stays borrowed.
pub(crate) fn from_wire_ref(element: &Value) -> Result<Cow<'_, Value>, String> {
    match element {
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(object @ Value::Object(_)) => Ok(Cow::Owned(object)),
            Ok(_) => Err("a string in objects must hold a JSON object".into()),
            Err(e) => Err(format!("a string in objects must hold a JSON object: {e}")),
        },
        object => Ok(Cow::Borrowed(object)),
    }
}

/// `intel.revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// The STIX id.
    pub object_id: String,
    /// Why, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `intel.sighting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SightingBody {
    /// The indicator's STIX id.
    pub indicator: String,
    /// How many times it matched, at least 1.
    pub count: u32,
    /// First match, STIX timestamp.
    pub first_seen: String,
    /// Last match, STIX timestamp, not before `first_seen`.
    pub last_seen: String,
}

/// `intel.false-positive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FalsePositiveBody {
    /// The indicator's STIX id.
    pub indicator: String,
    /// What it matched that was benign, in words (no addresses needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `intel.delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteBody {
    /// The STIX id.
    pub object_id: String,
    /// Only these versions (STIX timestamps); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<String>>,
}

/// `intel.settings`: the fields given replace the current ones. Integers
/// only: records are canonically encoded, which admits no floats.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// Half-life in days per indicator kind (`ip`, `domain`, `url`, `file`,
    /// `email`, `certificate`, `other`); 0 means no decay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<std::collections::BTreeMap<String, u32>>,
    /// Scores below this make an indicator inactive, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u8>,
    /// Percent of the gap to certainty each sighting closes, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sighting_boost_percent: Option<u8>,
    /// Percent of the score each false positive removes, 0–100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub false_positive_penalty_percent: Option<u8>,
}
