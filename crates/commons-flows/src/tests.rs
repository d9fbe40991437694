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
