//! The canonical encoding that record ids and signatures are computed over.
//!
//! The encoding is RFC 8785 (JSON Canonicalization Scheme) restricted to a
//! subset where it is trivially unambiguous: object keys are ASCII and sorted
//! bytewise, numbers are integers within ±2^53 written without exponent or
//! fraction, strings use the shortest JSON escapes, and there is no
//! insignificant whitespace. Floats are rejected rather than canonicalised,
//! because two implementations disagreeing on the last digit of a float would
//! disagree on a record id.

use serde_json::Value;

/// Largest integer magnitude the encoding accepts (JavaScript's safe range).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Why a value has no canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// Floating-point numbers have no canonical form here.
    #[error("number {0} is not an integer within ±2^53")]
    NotAnInteger(String),
    /// Object keys must be ASCII so byte order equals RFC 8785's UTF-16 order.
    #[error("object key {0:?} is not ASCII")]
    NonAsciiKey(String),
    /// Nesting beyond [`MAX_DEPTH`] is refused to bound recursion.
    #[error("value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Maximum nesting depth of arrays and objects.
pub const MAX_DEPTH: usize = 32;

/// Encodes `value` canonically.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, value, 0)?;
    Ok(out)
}

/// Checks that `value` has a canonical encoding without producing it: the
/// walk of [`write_value`] with its refusals, in its order (so the same
/// error), and no output.
pub fn check(value: &Value) -> Result<(), CanonicalError> {
    check_value(value, 0)
}

fn check_value(value: &Value, depth: usize) -> Result<(), CanonicalError> {
    if depth > MAX_DEPTH {
        return Err(CanonicalError::TooDeep);
    }
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => {}
        Value::Number(number) => {
            if number.as_i64().is_none_or(|n| n.abs() > MAX_SAFE_INTEGER) {
                return Err(CanonicalError::NotAnInteger(number.to_string()));
            }
        }
        Value::Array(items) => {
            for item in items {
                check_value(item, depth + 1)?;
            }
        }
        Value::Object(map) => {
            if let Some(key) = map.keys().find(|key| !key.is_ascii()) {
                return Err(CanonicalError::NonAsciiKey(key.clone()));
            }
            // serde_json's map is ordered by key (no `preserve_order`), so
            // this is `write_value`'s sorted order without sorting.
            for item in map.values() {
                check_value(item, depth + 1)?;
            }
        }
    }
    Ok(())
}

/// Appends the encoding of `value` nested `depth` levels deep, for callers
/// that write the levels above it themselves (see `Record::encode`).
pub(crate) fn write_value(
    out: &mut Vec<u8>,
    value: &Value,
    depth: usize,
) -> Result<(), CanonicalError> {
    if depth > MAX_DEPTH {
        return Err(CanonicalError::TooDeep);
    }
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            let integer = number
                .as_i64()
                .filter(|n| n.abs() <= MAX_SAFE_INTEGER)
                .ok_or_else(|| CanonicalError::NotAnInteger(number.to_string()))?;
            write_integer(out, integer)?;
        }
        Value::String(string) => write_string(out, string),
        Value::Array(items) => {
            out.push(b'[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                write_value(out, item, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            if let Some(key) = keys.iter().find(|key| !key.is_ascii()) {
                return Err(CanonicalError::NonAsciiKey((*key).clone()));
            }
            keys.sort_unstable();
            out.push(b'{');
            for (idx, key) in keys.into_iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                write_string(out, key);
                out.push(b':');
                write_value(out, &map[key], depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Appends an integer, refusing one outside ±2^53.
pub(crate) fn write_integer(out: &mut Vec<u8>, integer: i64) -> Result<(), CanonicalError> {
    use std::io::Write;

    if integer.abs() > MAX_SAFE_INTEGER {
        return Err(CanonicalError::NotAnInteger(integer.to_string()));
    }
    write!(out, "{integer}").expect("writing to a Vec cannot fail");
    Ok(())
}

/// Appends a string with the shortest JSON escapes. Runs of bytes that need
/// none (every byte of a multi-byte UTF-8 character is one of them) are
/// copied whole: records are mostly such runs, and a push per character
/// made this the costliest part of signing a large record.
pub(crate) fn write_string(out: &mut Vec<u8>, string: &str) {
    out.push(b'"');
    let bytes = string.as_bytes();
    let mut start = 0;
    for (idx, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..0x20 => {
                out.extend_from_slice(&bytes[start..idx]);
                out.extend_from_slice(format!("\\u{:04x}", byte).as_bytes());
                start = idx + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..idx]);
        out.extend_from_slice(escape);
        start = idx + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}
