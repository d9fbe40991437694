//! Identifier newtypes, each with one checked constructor.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is invalid: {reason}")]
pub struct IdError {
    /// Which identifier was being parsed.
    pub what: &'static str,
    /// The rejected input (truncated).
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Which letters a hex decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HexCase {
    /// `a-f` only: ids are compared and stored as text, so one id has one spelling.
    Lower,
    /// `a-f` and `A-F`.
    Either,
}

/// `bytes` as lowercase hex.
///
/// Every id bound to a statement or written to JSON passes through here;
/// `hex::encode` collects an iterator of `char`s, which showed up in store
/// profiles, so digits are looked up and pushed as bytes instead.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut digits = Vec::with_capacity(bytes.len() * 2);
    for byte in bytes {
        digits.push(DIGITS[usize::from(byte >> 4)]);
        digits.push(DIGITS[usize::from(byte & 0x0f)]);
    }
    String::from_utf8(digits).expect("hex digits are ASCII")
}

/// Fills `out` from exactly `2 * out.len()` hex digits; `None` when the
/// length is wrong or a digit is not one `case` accepts.
pub(crate) fn decode_hex(text: &[u8], out: &mut [u8], case: HexCase) -> Option<()> {
    if text.len() != out.len() * 2 {
        return None;
    }
    let table = match case {
        HexCase::Lower => &HEX_LOWER,
        HexCase::Either => &HEX_EITHER,
    };
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let high = table[usize::from(pair[0])];
        let low = table[usize::from(pair[1])];
        // Both tables mark a non-digit with the high bit.
        if (high | low) & 0x80 != 0 {
            return None;
        }
        *byte = high << 4 | low;
    }
    Some(())
}

/// Digit values by byte, `0xff` for bytes that are not digits.
const HEX_LOWER: [u8; 256] = hex_table(false);
const HEX_EITHER: [u8; 256] = hex_table(true);

const fn hex_table(upper: bool) -> [u8; 256] {
    let mut table = [0xff; 256];
    let mut idx = 0;
    while idx < 10 {
        table[b'0' as usize + idx] = idx as u8;
        idx += 1;
    }
    idx = 0;
    while idx < 6 {
        table[b'a' as usize + idx] = 10 + idx as u8;
        if upper {
            table[b'A' as usize + idx] = 10 + idx as u8;
        }
        idx += 1;
    }
    table
}

impl IdError {
    fn new(what: &'static str, value: &str, reason: &'static str) -> IdError {
        let value = value.chars().take(80).collect();
        IdError {
            what,
            value,
            reason,
        }
    }
}

macro_rules! hex_id {
    ($(#[$meta:meta])* $name:ident, $len:literal, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Wraps raw bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> $name {
                $name(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lowercase hexadecimal form, as used in URLs and JSON.
            pub fn to_hex(&self) -> String {
                encode_hex(&self.0)
            }

            /// Parses the raw bytes from a slice of the right length.
            pub fn from_slice(bytes: &[u8]) -> Result<$name, IdError> {
                let bytes: [u8; $len] = bytes
                    .try_into()
                    .map_err(|_| IdError::new($what, &encode_hex(bytes), "wrong length"))?;
                Ok($name(bytes))
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<$name, IdError> {
                if text.len() != $len * 2 {
                    return Err(IdError::new($what, text, concat!("expected ", stringify!($len), " bytes as lowercase hex")));
                }
                if text.bytes().any(|b| b.is_ascii_uppercase()) {
                    return Err(IdError::new($what, text, "hex must be lowercase"));
                }
                let mut bytes = [0u8; $len];
                decode_hex(text.as_bytes(), &mut bytes, HexCase::Lower)
                    .ok_or_else(|| IdError::new($what, text, "not hexadecimal"))?;
                Ok($name(bytes))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_hex())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    /// A community: the first 16 bytes of the BLAKE3 hash of its public key, so
    /// the id alone pins the key that signs the community's log.
    CommunityId,
    16,
    "community id"
);
hex_id!(
    /// A record: the BLAKE3 hash of its canonical encoding.
    RecordId,
    32,
    "record id"
);
hex_id!(
    /// A log entry: the BLAKE3 hash of its canonical header.
    EntryHash,
    32,
    "entry hash"
);

impl EntryHash {
    /// The `prev` of a log's first entry.
    pub const GENESIS: EntryHash = EntryHash([0; 32]);
}

/// A user or community name: 2 to 32 characters of `a-z`, `0-9`, `-` and `_`,
/// starting with a letter. Lowercase only so names never collide by case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Handle(String);

impl Handle {
    /// Parses a handle.
    pub fn parse(text: &str) -> Result<Handle, IdError> {
        let what = "name";
        if !(2..=32).contains(&text.len()) {
            return Err(IdError::new(what, text, "must be 2 to 32 characters long"));
        }
        if !text.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(IdError::new(
                what,
                text,
                "must start with a lowercase letter",
            ));
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !text.chars().all(allowed) {
            return Err(IdError::new(
                what,
                text,
                "may contain only a-z, 0-9, '-' and '_'",
            ));
        }
        Ok(Handle(text.to_owned()))
    }

    /// The handle as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Handle {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Handle, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Handle::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A record kind, `capability.name`: lowercase ASCII segments joined by dots,
/// for example `community.join`. The first segment names the capability that
/// validates and reduces it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Kind(String);

impl Kind {
    /// Parses a kind.
    pub fn parse(text: &str) -> Result<Kind, IdError> {
        let what = "record kind";
        if text.len() > 64 {
            return Err(IdError::new(what, text, "longer than 64 characters"));
        }
        let segment_ok = |segment: &str| {
            !segment.is_empty()
                && segment.starts_with(|c: char| c.is_ascii_lowercase())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        };
        if !text.contains('.') || !text.split('.').all(segment_ok) {
            return Err(IdError::new(
                what,
                text,
                "expected lowercase `capability.name`",
            ));
        }
        Ok(Kind(text.to_owned()))
    }

    /// The kind as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The capability that owns this kind (the first segment).
    pub fn capability(&self) -> &str {
        self.0
            .split('.')
            .next()
            .expect("a parsed kind has at least two segments")
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({})", self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Kind::parse(&text).map_err(serde::de::Error::custom)
    }
}
