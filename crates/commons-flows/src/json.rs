//! A minimal JSON reader for one-object-per-line logs: walks the members of
//! an object without building a tree, hands out raw string and number slices,
//! and unescapes only the strings the caller keeps. Nested values are skipped
//! iteratively, so hostile nesting cannot exhaust the stack.

use std::borrow::Cow;

/// A JSON value, borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Str(Str<'a>),
    /// The number's text.
    Num(&'a [u8]),
    Bool(bool),
    Null,
    /// The array's text, brackets included.
    Array(&'a [u8]),
    /// The object's text, braces included.
    Object(&'a [u8]),
}

/// A string as it appears between its quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Str<'a> {
    raw: &'a [u8],
    escaped: bool,
}

/// The input is not the JSON this reader expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

impl<'a> Str<'a> {
    /// The raw bytes, which equal the value when the string has no escapes.
    pub(crate) fn raw(&self) -> Option<&'a [u8]> {
        (!self.escaped).then_some(self.raw)
    }

    /// The decoded value as bytes (borrowed when there is nothing to decode).
    pub(crate) fn bytes(&self) -> Option<Cow<'a, [u8]>> {
        if !self.escaped {
            return Some(Cow::Borrowed(self.raw));
        }
        Some(Cow::Owned(unescape(self.raw)?.into_bytes()))
    }
}

impl<'a> Value<'a> {
    /// The bytes of a string or number value, for fields that exporters
    /// write either way (`"port": 443` or `"port": "443"`).
    pub(crate) fn scalar(&self) -> Option<Cow<'a, [u8]>> {
        match self {
            Value::Str(it) => it.bytes(),
            Value::Num(it) => Some(Cow::Borrowed(it)),
            _ => None,
        }
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.buf.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), Malformed> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// A string, the cursor on its opening quote.
    fn string(&mut self) -> Result<Str<'a>, Malformed> {
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        loop {
            let rest = self.buf.get(self.pos..).ok_or(Malformed)?;
            // Keys and most values are short: a plain loop finds their end
            // before a vectorised search would have set up.
            let short = rest
                .iter()
                .take(24)
                .position(|&it| it == b'"' || it == b'\\');
            let at = match short {
                Some(at) => at,
                None => memchr::memchr2(b'"', b'\\', rest).ok_or(Malformed)?,
            };
            self.pos += at;
            if rest[at] == b'"' {
                let raw = &self.buf[start..self.pos];
                self.pos += 1;
                return Ok(Str { raw, escaped });
            }
            escaped = true;
            self.pos += 2;
        }
    }

    fn value(&mut self) -> Result<Value<'a>, Malformed> {
        self.skip_ws();
        let start = self.pos;
        match self.peek().ok_or(Malformed)? {
            b'"' => self.string().map(Value::Str),
            b'{' => {
                self.skip_nested()?;
                Ok(Value::Object(&self.buf[start..self.pos]))
            }
            b'[' => {
                self.skip_nested()?;
                Ok(Value::Array(&self.buf[start..self.pos]))
            }
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => {
                while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
                    self.pos += 1;
                }
                Ok(Value::Num(&self.buf[start..self.pos]))
            }
            _ => Err(Malformed),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value<'a>) -> Result<Value<'a>, Malformed> {
        if self.buf.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(Malformed)
        }
    }

    /// Skips a whole object or array, the cursor on its opening bracket.
    fn skip_nested(&mut self) -> Result<(), Malformed> {
        let mut depth = 0usize;
        loop {
            match self.peek().ok_or(Malformed)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.checked_sub(1).ok_or(Malformed)?;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
    }
}

/// Calls `member` with each key and value of the object `text` holds (which
/// may be surrounded by whitespace and nothing else).
pub(crate) fn for_each_member<'a>(
    text: &'a [u8],
    mut member: impl FnMut(Str<'a>, Value<'a>),
) -> Result<(), Malformed> {
    let mut cursor = Cursor { buf: text, pos: 0 };
    cursor.expect(b'{')?;
    cursor.skip_ws();
    if cursor.peek() == Some(b'}') {
        cursor.pos += 1;
    } else {
        loop {
            cursor.skip_ws();
            if cursor.peek() != Some(b'"') {
                return Err(Malformed);
            }
            let key = cursor.string()?;
            cursor.expect(b':')?;
            let value = cursor.value()?;
            member(key, value);
            cursor.skip_ws();
            match cursor.peek() {
                Some(b',') => cursor.pos += 1,
                Some(b'}') => {
                    cursor.pos += 1;
                    break;
                }
                _ => return Err(Malformed),
            }
        }
    }
    cursor.skip_ws();
    if cursor.pos == text.len() {
        Ok(())
    } else {
        Err(Malformed)
    }
}

/// Calls `element` with each element of the array `text` holds.
pub(crate) fn for_each_element<'a>(
    text: &'a [u8],
    mut element: impl FnMut(Value<'a>),
) -> Result<(), Malformed> {
    let mut cursor = Cursor { buf: text, pos: 0 };
    cursor.expect(b'[')?;
    cursor.skip_ws();
    if cursor.peek() == Some(b']') {
        return Ok(());
    }
    loop {
        element(cursor.value()?);
        cursor.skip_ws();
        match cursor.peek() {
            Some(b',') => cursor.pos += 1,
            Some(b']') => return Ok(()),
            _ => return Err(Malformed),
        }
    }
}

/// Decodes JSON string escapes; `None` for an invalid escape or invalid UTF-8.
fn unescape(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut pos = 0;
    while pos < raw.len() {
        let byte = raw[pos];
        if byte != b'\\' {
            out.push(byte);
            pos += 1;
            continue;
        }
        let escape = *raw.get(pos + 1)?;
        pos += 2;
        let decoded = match escape {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = hex4(raw.get(pos..pos + 4)?)?;
                pos += 4;
                if (0xd800..0xdc00).contains(&high) {
                    if raw.get(pos..pos + 2) != Some(b"\\u") {
                        return None;
                    }
                    let low = hex4(raw.get(pos + 2..pos + 6)?)?;
                    pos += 6;
                    if !(0xdc00..0xe000).contains(&low) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00))?
                } else {
                    char::from_u32(high)?
                }
            }
            _ => return None,
        };
        let mut utf8 = [0u8; 4];
        out.extend_from_slice(decoded.encode_utf8(&mut utf8).as_bytes());
    }
    String::from_utf8(out).ok()
}

fn hex4(digits: &[u8]) -> Option<u32> {
    let mut value = 0;
    for &digit in digits {
        value = value << 4 | char::from(digit).to_digit(16)?;
    }
    Some(value)
}
