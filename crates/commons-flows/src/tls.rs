//! TLS ClientHello: the server_name extension, read from the client's first
//! bytes on a connection, across TLS records and (with the caller's buffer)
//! across TCP segments.

use std::borrow::Cow;

/// What the client's bytes so far say about the server name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sni {
    /// The ClientHello names this server.
    Found(String),
    /// A complete ClientHello without a server name (or a malformed one).
    Absent,
    /// A ClientHello that continues beyond the bytes given.
    Incomplete,
    /// Not a TLS handshake starting with a ClientHello.
    NotClientHello,
}

const CONTENT_HANDSHAKE: u8 = 0x16;
const HANDSHAKE_CLIENT_HELLO: u8 = 0x01;
const EXTENSION_SERVER_NAME: u16 = 0;
const NAME_TYPE_HOST: u8 = 0;
const RECORD_HEADER_LEN: usize = 5;

/// Whether a client payload could start a TLS handshake record.
pub(crate) fn starts_handshake(payload: &[u8]) -> bool {
    matches!(payload, [CONTENT_HANDSHAKE, 3, 0..=4, ..])
}

/// Reads the server name from the start of a client's byte stream.
pub(crate) fn client_hello_sni(stream: &[u8]) -> Sni {
    if !starts_handshake(stream) {
        return Sni::NotClientHello;
    }
    let (handshake, stream_ended) = handshake_bytes(stream);
    if handshake
        .first()
        .is_some_and(|&it| it != HANDSHAKE_CLIENT_HELLO)
    {
        return Sni::NotClientHello;
    }
    let Some(declared) = handshake
        .get(1..4)
        .map(|it| usize::from(it[0]) << 16 | usize::from(it[1]) << 8 | usize::from(it[2]))
    else {
        return Sni::Incomplete;
    };
    let body_end = (4 + declared).min(handshake.len());
    let complete = handshake.len() >= 4 + declared;
    let mut reader = Reader {
        buf: &handshake[4..body_end],
        pos: 0,
    };
    match server_name(&mut reader) {
        Some(Some(name)) => Sni::Found(name),
        Some(None) => Sni::Absent,
        None if complete || stream_ended => Sni::Absent,
        None => Sni::Incomplete,
    }
}

/// Concatenates the payloads of the leading handshake records (borrowing
/// when the first record holds everything). The flag says the record stream
/// ended in something other than a handshake record, so no more is coming.
fn handshake_bytes(stream: &[u8]) -> (Cow<'_, [u8]>, bool) {
    let record = |at: usize| -> Option<&[u8]> {
        let header = stream.get(at..at + RECORD_HEADER_LEN)?;
        if header[0] != CONTENT_HANDSHAKE {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let end = (at + RECORD_HEADER_LEN + len).min(stream.len());
        Some(&stream[at + RECORD_HEADER_LEN..end])
    };
    let Some(first) = record(0) else {
        return (Cow::Borrowed(&[]), false);
    };
    let needed = first.get(1..4).map_or(usize::MAX, |it| {
        4 + (usize::from(it[0]) << 16 | usize::from(it[1]) << 8 | usize::from(it[2]))
    });
    let mut at = RECORD_HEADER_LEN + first.len();
    if first.len() >= needed || at >= stream.len() {
        return (Cow::Borrowed(first), false);
    }
    let mut joined = first.to_vec();
    while joined.len() < needed {
        match record(at) {
            Some(payload) => {
                joined.extend_from_slice(payload);
                at += RECORD_HEADER_LEN + payload.len();
            }
            None => return (Cow::Owned(joined), at + RECORD_HEADER_LEN <= stream.len()),
        }
    }
    (Cow::Owned(joined), false)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(bytes)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        let bytes = self.take(2)?;
        Some(u16::from_be_bytes([bytes[0], bytes[1]]))
    }
}

/// `None`: ran out of bytes. `Some(None)`: no server name in a complete hello.
fn server_name(reader: &mut Reader<'_>) -> Option<Option<String>> {
    // Legacy version and random.
    reader.take(2 + 32)?;
    let session_id_len = reader.u8()?;
    reader.take(usize::from(session_id_len))?;
    let suites_len = reader.u16()?;
    reader.take(usize::from(suites_len))?;
    let compression_len = reader.u8()?;
    reader.take(usize::from(compression_len))?;
    if reader.pos == reader.buf.len() {
        // A hello without extensions (SSL 3.0 style) ends here.
        return Some(None);
    }
    let extensions_len = usize::from(reader.u16()?);
    let extensions_end = reader.pos + extensions_len;
    while reader.pos + 4 <= extensions_end {
        let extension_type = reader.u16()?;
        let len = reader.u16()?;
        let data = reader.take(usize::from(len))?;
        if extension_type == EXTENSION_SERVER_NAME {
            return Some(host_name(data));
        }
    }
    if reader.pos < extensions_end && extensions_end > reader.buf.len() {
        return None;
    }
    Some(None)
}

fn host_name(data: &[u8]) -> Option<String> {
    let mut reader = Reader { buf: data, pos: 0 };
    let list_len = usize::from(reader.u16()?);
    let list_end = (2 + list_len).min(data.len());
    while reader.pos + 3 <= list_end {
        let name_type = reader.u8()?;
        let len = reader.u16()?;
        let name = reader.take(usize::from(len))?;
        if name_type == NAME_TYPE_HOST && !name.is_empty() {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
    }
    None
}
