//! STIX identifiers, `object-type--UUID`, and the rules for type names.

use std::fmt;

/// A checked STIX identifier such as
/// `indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`: a valid type name, two
/// hyphens and an RFC 4122 UUID (versions 1–5, variant `10xx`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier(String);

/// Why a string is not a STIX identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// No `--` separates a type from a UUID.
    #[error("expected object-type--UUID, found no '--'")]
    MissingSeparator,
    /// The part before `--` is not a valid type name.
    #[error("invalid object type '{object_type}': {reason}")]
    InvalidType {
        /// The type as written.
        object_type: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The part after `--` is not an RFC 4122 UUID.
    #[error("invalid UUID '{uuid}': {reason}")]
    InvalidUuid {
        /// The UUID as written.
        uuid: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
}

impl Identifier {
    /// Checks and wraps `text`.
    pub fn parse(text: &str) -> Result<Identifier, IdentifierError> {
        let (object_type, uuid) = text
            .split_once("--")
            .ok_or(IdentifierError::MissingSeparator)?;
        check_type_name(object_type).map_err(|reason| IdentifierError::InvalidType {
            object_type: object_type.to_string(),
            reason,
        })?;
        check_uuid(uuid).map_err(|reason| IdentifierError::InvalidUuid {
            uuid: uuid.to_string(),
            reason,
        })?;
        Ok(Identifier(text.to_string()))
    }

    /// The identifier for `object_type` with the UUID made of `bytes`, with
    /// the version set to 4 and the RFC 4122 variant (the caller supplies the
    /// randomness: this crate does no IO). `None` if `object_type` is not a
    /// valid type name.
    pub fn from_random_bytes(object_type: &str, mut bytes: [u8; 16]) -> Option<Identifier> {
        check_type_name(object_type).ok()?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        Some(Identifier(format!(
            "{object_type}--{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )))
    }

    /// The identifier as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object type, the part before `--`.
    pub fn object_type(&self) -> &str {
        self.0
            .split_once("--")
            .map(|(object_type, _)| object_type)
            .expect("checked by parse")
    }

    /// The UUID, the part after `--`.
    pub fn uuid(&self) -> &str {
        self.0
            .split_once("--")
            .map(|(_, uuid)| uuid)
            .expect("checked by parse")
    }

    /// The UUID version digit (1–5).
    pub fn uuid_version(&self) -> u8 {
        self.uuid().as_bytes()[14] - b'0'
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Identifier {
    type Err = IdentifierError;

    fn from_str(text: &str) -> Result<Identifier, IdentifierError> {
        Identifier::parse(text)
    }
}

impl serde::Serialize for Identifier {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Identifier {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Identifier, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Identifier::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Type names are 3–250 characters of `a-z`, `0-9` and `-`, start with a
/// letter and never contain `--` (which separates type and UUID).
pub fn check_type_name(name: &str) -> Result<(), &'static str> {
    if !(3..=250).contains(&name.len()) {
        return Err("a type name has 3 to 250 characters");
    }
    if !name
        .bytes()
        .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
    {
        return Err("a type name uses only a-z, 0-9 and '-'");
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return Err("a type name starts with a letter");
    }
    if name.contains("--") || name.ends_with('-') {
        return Err("a type name has no '--' and does not end with '-'");
    }
    Ok(())
}

fn check_uuid(uuid: &str) -> Result<(), &'static str> {
    let bytes = uuid.as_bytes();
    if bytes.len() != 36 {
        return Err("a UUID has 36 characters");
    }
    for (idx, byte) in bytes.iter().enumerate() {
        let ok = match idx {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        };
        if !ok {
            return Err("a UUID is 8-4-4-4-12 hexadecimal digits");
        }
    }
    if !(b'1'..=b'5').contains(&bytes[14]) {
        return Err("the UUID version must be 1 to 5");
    }
    if !matches!(bytes[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B') {
        return Err("the UUID variant must be RFC 4122 (8, 9, a or b)");
    }
    Ok(())
}
