//! HTTP/1.x requests: method, request target and Host header, read from the
//! start of a client payload.

/// A request line and its Host header, borrowed from the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) uri: &'a str,
    pub(crate) host: Option<&'a str>,
}

/// Request heads longer than this are not looked into.
const MAX_HEAD: usize = 16 * 1024;

const METHODS: [&[u8]; 9] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"CONNECT ",
    b"PATCH ",
    b"TRACE ",
];

/// Whether a payload starts with a known request method (a cheap test run
/// on every client payload).
pub(crate) fn starts_request(payload: &[u8]) -> bool {
    match payload.first() {
        Some(b'G' | b'P' | b'H' | b'D' | b'O' | b'C' | b'T') => {
            METHODS.iter().any(|method| payload.starts_with(method))
        }
        _ => false,
    }
}

/// Parses the request line and finds the Host header among the headers the
/// payload holds.
pub(crate) fn parse_request(payload: &[u8]) -> Option<Request<'_>> {
    let head = &payload[..payload.len().min(MAX_HEAD)];
    let line_end = memchr::memchr(b'\n', head)?;
    let line = trim_cr(&head[..line_end]);
    let mut parts = line.splitn(3, |&it| it == b' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    let version = parts.next()?;
    if method.is_empty()
        || !method.iter().all(u8::is_ascii_uppercase)
        || uri.is_empty()
        || !version.starts_with(b"HTTP/1.")
    {
        return None;
    }
    let mut host = None;
    let mut rest = &head[line_end + 1..];
    while let Some(end) = memchr::memchr(b'\n', rest) {
        let header = trim_cr(&rest[..end]);
        if header.is_empty() {
            break;
        }
        if let Some(value) = header_value(header, b"host") {
            host = std::str::from_utf8(value).ok();
            break;
        }
        rest = &rest[end + 1..];
    }
    let uri = std::str::from_utf8(uri).ok()?;
    Some(Request {
        method: std::str::from_utf8(method).ok()?,
        uri,
        host: host
            .filter(|it| !it.is_empty())
            .or_else(|| absolute_uri_host(uri)),
    })
}

/// The authority of an absolute request target (`GET http://host/path`, as
/// sent to proxies), without user information.
fn absolute_uri_host(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    (!host.is_empty()).then_some(host)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The trimmed value of `header` if its name is `name` (ASCII case-insensitive).
fn header_value<'a>(header: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let colon = memchr::memchr(b':', header)?;
    if !header[..colon].eq_ignore_ascii_case(name) {
        return None;
    }
    Some(header[colon + 1..].trim_ascii())
}
