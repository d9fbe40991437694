//! Application parsers: DNS messages, TLS ClientHello, HTTP request heads.

use super::build::client_hello;
use super::render_answer;
use crate::dns;
use crate::http;
use crate::tls::{self, Sni};

/// A response for www.example.com: a CNAME to edge.example.com (compressed
/// against the question) with an A and an AAAA record owned by the CNAME
/// target (a pointer to the CNAME's rdata).
const RESPONSE: &[u8] = &[
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, // header
    3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
    0, // @12
    0x00, 0x01, 0x00, 0x01, // A IN
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00,
    0x07, // CNAME, 7 bytes of rdata @45
    4, b'e', b'd', b'g', b'e', 0xc0, 0x10, // edge + pointer to "example.com" @16
    0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 93, 184, 216, 34, 0xc0,
    0x2d, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];

#[track_caller]
fn check_dns(message: &[u8], expect: Option<(&str, u16, bool, &[&str])>) {
    let actual = dns::parse(message).map(|it| {
        let answers: Vec<String> = it.answers.iter().map(render_answer).collect();
        (it.query, it.qtype, it.is_response, answers)
    });
    let expect = expect.map(|(query, qtype, response, answers)| {
        (
            query.to_string(),
            qtype,
            response,
            answers.iter().map(|it| it.to_string()).collect(),
        )
    });
    assert_eq!(actual, expect);
}

#[test]
fn dns_response_with_compression() {
    check_dns(
        RESPONSE,
        Some((
            "www.example.com",
            1,
            true,
            &[
                "CNAME edge.example.com",
                "A 93.184.216.34",
                "AAAA 2001:db8::1",
            ],
        )),
    );
}

#[test]
fn dns_query_has_no_answers() {
    let mut query = RESPONSE[..33].to_vec();
    query[2] = 0x01;
    query[3] = 0x00;
    query[7] = 0;
    check_dns(&query, Some(("www.example.com", 1, false, &[])));
}

#[test]
fn dns_answers_stop_at_the_first_malformed_record() {
    // Cut inside the AAAA record: the CNAME and the A survive.
    check_dns(
        &RESPONSE[..RESPONSE.len() - 5],
        Some((
            "www.example.com",
            1,
            true,
            &["CNAME edge.example.com", "A 93.184.216.34"],
        )),
    );
}

#[test]
fn dns_pointer_loops_and_bad_labels_are_rejected() {
    let mut looping = RESPONSE[..12].to_vec();
    looping.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    check_dns(&looping, None);
    let mut extended_label = RESPONSE[..12].to_vec();
    extended_label.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    check_dns(&extended_label, None);
}

#[test]
fn dns_odd_bytes_in_labels_are_escaped() {
    let mut message = RESPONSE[..12].to_vec();
    message[7] = 0;
    message.extend_from_slice(&[3, b'a', b'.', 0x07, 2, b'x', b'Y', 0, 0, 16, 0, 1]);
    check_dns(&message, Some(("a\\.\\007.xY", 16, true, &[])));
}

#[test]
fn dns_not_a_message() {
    check_dns(b"", None);
    check_dns(&[0; 11], None);
    // No question.
    check_dns(&[0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], None);
}

#[track_caller]
fn check_sni(stream: &[u8], expect: Sni) {
    assert_eq!(tls::client_hello_sni(stream), expect);
}

#[test]
fn sni_in_one_record() {
    check_sni(
        &client_hello(Some("example.org"), 32),
        Sni::Found("example.org".into()),
    );
}

#[test]
fn sni_absent() {
    check_sni(&client_hello(None, 32), Sni::Absent);
}

#[test]
fn sni_after_a_large_key_share_needs_more_bytes() {
    let hello = client_hello(Some("pq.example"), 1200);
    check_sni(&hello[..1000], Sni::Incomplete);
    check_sni(&hello, Sni::Found("pq.example".into()));
}

#[test]
fn sni_across_two_records() {
    let hello = client_hello(Some("split.example"), 100);
    let handshake = &hello[5..];
    let (first, second) = handshake.split_at(60);
    let mut stream = Vec::new();
    for part in [first, second] {
        stream.extend_from_slice(&[0x16, 0x03, 0x03]);
        stream.extend_from_slice(&(part.len() as u16).to_be_bytes());
        stream.extend_from_slice(part);
    }
    check_sni(&stream, Sni::Found("split.example".into()));
    check_sni(&stream[..70], Sni::Incomplete);
}

#[test]
fn not_a_client_hello() {
    check_sni(b"GET / HTTP/1.1\r\n", Sni::NotClientHello);
    let mut server_hello = client_hello(Some("x"), 0);
    server_hello[5] = 0x02;
    check_sni(&server_hello, Sni::NotClientHello);
}

#[track_caller]
fn check_http(payload: &[u8], expect: Option<(&str, &str, Option<&str>)>) {
    let actual = http::starts_request(payload)
        .then(|| http::parse_request(payload))
        .flatten()
        .map(|it| (it.method, it.uri, it.host));
    assert_eq!(actual, expect);
}

#[test]
fn http_request_with_host() {
    check_http(
        b"GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: test\r\nhOsT:  www.example.com:8080 \r\n\r\n",
        Some(("GET", "/index.html?q=1", Some("www.example.com:8080"))),
    );
}

#[test]
fn http_request_without_host_header_yet() {
    check_http(
        b"POST /upload HTTP/1.0\r\nContent-Length: 3\r\n",
        Some(("POST", "/upload", None)),
    );
}

#[test]
fn http_absolute_uri_gives_the_host() {
    check_http(
        b"GET http://user@proxy.example/a/b HTTP/1.1\r\n\r\n",
        Some((
            "GET",
            "http://user@proxy.example/a/b",
            Some("proxy.example"),
        )),
    );
}

#[test]
fn http_not_a_request() {
    check_http(b"HTTP/1.1 200 OK\r\n\r\n", None);
    check_http(b"GET / SPDY/3\r\n\r\n", None);
    check_http(b"GET /no-newline HTTP/1.1", None);
    check_http(b"", None);
}
