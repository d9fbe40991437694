//! Unit tests: parsers checked on hand-built bytes, one `check` per feature.

mod build;
mod capture;
mod decode;
mod extract;
mod flows;
mod logs;

use crate::event::{DnsAnswer, Event};

/// One line per event, compact enough to compare whole scans.
pub(crate) fn render(event: &Event) -> String {
    match event {
        Event::Flow(flow) => format!(
            "flow {} orig={}p/{}b resp={}p/{}b {}..{}",
            flow.tuple,
            flow.orig.packets,
            flow.orig.bytes,
            flow.resp.packets,
            flow.resp.bytes,
            flow.first_seen_ns,
            flow.last_seen_ns
        ),
        Event::Dns(dns) => {
            let answers: Vec<String> = dns.answers.iter().map(render_answer).collect();
            format!(
                "dns {} {} {} type={} [{}]",
                dns.tuple,
                if dns.is_response { "response" } else { "query" },
                dns.query,
                dns.qtype,
                answers.join(", ")
            )
        }
        Event::Tls(tls) => format!("tls {} sni={}", tls.tuple, tls.sni),
        Event::Http(http) => format!(
            "http {} {} host={} uri={}",
            http.tuple,
            http.method,
            http.host.as_deref().unwrap_or("-"),
            http.uri
        ),
        Event::Hash(hash) => format!("hash {} {}", hash.tuple, hash.hash),
    }
}
mod indicators;
mod matching;
mod text;

/// One DNS answer as `TYPE value`.
pub(crate) fn render_answer(answer: &DnsAnswer) -> String {
    match answer {
        DnsAnswer::A(ip) => format!("A {ip}"),
        DnsAnswer::Aaaa(ip) => format!("AAAA {ip}"),
        DnsAnswer::Cname(name) => format!("CNAME {name}"),
    }
}

/// The JSON-lines key tokens.
mod tokens {
    use crate::flowlog::Token;

    #[test]
    fn tokens_match_by_word_and_by_bytes() {
        let short = Token::new(b",\"src_ip\":".to_vec());
        assert_eq!(
            short.strip(b",\"src_ip\":\"10.0.0.1\",\"dst\""),
            Some(&b"\"10.0.0.1\",\"dst\""[..])
        );
        // Fewer than 16 bytes left: compared byte by byte.
        assert_eq!(short.strip(b",\"src_ip\":1}"), Some(&b"1}"[..]));
        assert_eq!(short.strip(b",\"src_iq\":\"10.0.0.1\",\"dst\""), None);
        assert_eq!(short.strip(b",\"src_i"), None);
        let long = Token::new(b",\"ipv4_src_addr\":".to_vec());
        assert_eq!(
            long.strip(b",\"ipv4_src_addr\":\"10.0.0.1\""),
            Some(&b"\"10.0.0.1\""[..])
        );
        assert_eq!(long.strip(b",\"ipv4_src_addr_\":\"10.0.0.1\""), None);
        let longer = Token::new(b",\"orig_ip_bytes\":".to_vec());
        assert_eq!(longer.strip(b",\"orig_ip_bytes\":5}"), Some(&b"5}"[..]));
    }
}
