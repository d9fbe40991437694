//! The values a scan produces: flows, DNS, TLS, HTTP and hash events, each
//! tied to the 5-tuple of the flow it came from.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of TCP.
pub const TCP: u8 = 6;
/// IP protocol number of UDP.
pub const UDP: u8 = 17;
/// IP protocol number of ICMP.
pub const ICMP: u8 = 1;
/// IP protocol number of ICMPv6.
pub const ICMPV6: u8 = 58;

/// A flow's 5-tuple, oriented from the originator (`src`, the side that
/// opened the connection or sent first) to the responder (`dst`).
///
/// Protocols without ports (ICMP, ESP, …) have both ports 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiveTuple {
    /// IP protocol number (6 TCP, 17 UDP, …).
    pub proto: u8,
    /// Originator address.
    pub src: IpAddr,
    /// Originator port.
    pub src_port: u16,
    /// Responder address.
    pub dst: IpAddr,
    /// Responder port.
    pub dst_port: u16,
}

impl FiveTuple {
    /// A tuple with unspecified addresses, for events whose log line names no flow.
    pub const UNKNOWN: FiveTuple = FiveTuple {
        proto: 0,
        src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        src_port: 0,
        dst: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        dst_port: 0,
    };
}

impl fmt::Display for FiveTuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.proto {
            TCP => "tcp",
            UDP => "udp",
            ICMP => "icmp",
            ICMPV6 => "icmp6",
            _ => "",
        };
        let endpoint = |f: &mut fmt::Formatter<'_>, ip: IpAddr, port: u16| match ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{port}"),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{port}"),
        };
        if proto.is_empty() {
            write!(f, "proto-{} ", self.proto)?;
        } else {
            write!(f, "{proto} ")?;
        }
        endpoint(f, self.src, self.src_port)?;
        f.write_str(" -> ")?;
        endpoint(f, self.dst, self.dst_port)
    }
}

/// Packets and bytes sent by one side of a flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Direction {
    /// Packets sent.
    pub packets: u64,
    /// Bytes sent, counted at the IP layer (headers included, as NetFlow and
    /// Zeek's `*_ip_bytes` do); for log inputs, whatever byte count the log gives.
    pub bytes: u64,
}

/// A bidirectional flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// The 5-tuple, originator first.
    pub tuple: FiveTuple,
    /// First packet, nanoseconds since the Unix epoch.
    pub first_seen_ns: i64,
    /// Last packet, nanoseconds since the Unix epoch.
    pub last_seen_ns: i64,
    /// What the originator sent.
    pub orig: Direction,
    /// What the responder sent.
    pub resp: Direction,
}

/// One DNS answer record this crate keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    /// An A record.
    A(Ipv4Addr),
    /// An AAAA record.
    Aaaa(Ipv6Addr),
    /// A CNAME record's target name.
    Cname(String),
}

/// A DNS message (from a capture) or a DNS log record (from Zeek).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsEvent {
    /// The flow the message travelled on.
    pub tuple: FiveTuple,
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Whether this is a response (a log record that has answers counts as one).
    pub is_response: bool,
    /// The first question's name, without the trailing dot.
    pub query: String,
    /// The first question's type (1 A, 28 AAAA, 5 CNAME, …); 0 if unknown.
    pub qtype: u16,
    /// A, AAAA and CNAME answers, in message order.
    pub answers: Vec<DnsAnswer>,
}

/// A TLS ClientHello's server name (or a Zeek ssl log record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsEvent {
    /// The flow.
    pub tuple: FiveTuple,
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// The server_name extension's host name.
    pub sni: String,
}

/// An HTTP/1.x request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpEvent {
    /// The flow.
    pub tuple: FiveTuple,
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// The request method.
    pub method: String,
    /// The Host header (or the host of an absolute request URI), if any.
    pub host: Option<String>,
    /// The request target as sent (a path, or an absolute URI through a proxy).
    pub uri: String,
}

/// A hash of a file or certificate seen on a flow (Zeek ssl `cert_chain_fps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashEvent {
    /// The flow.
    pub tuple: FiveTuple,
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// The hash in lowercase hexadecimal.
    pub hash: String,
}

/// Anything a scan extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A flow, emitted when it ends (idle timeout) or when the input ends.
    Flow(Flow),
    /// A DNS message or log record.
    Dns(DnsEvent),
    /// A TLS server name.
    Tls(TlsEvent),
    /// An HTTP request.
    Http(HttpEvent),
    /// A file or certificate hash.
    Hash(HashEvent),
}

impl Event {
    /// The flow the event belongs to.
    pub fn tuple(&self) -> &FiveTuple {
        match self {
            Event::Flow(it) => &it.tuple,
            Event::Dns(it) => &it.tuple,
            Event::Tls(it) => &it.tuple,
            Event::Http(it) => &it.tuple,
            Event::Hash(it) => &it.tuple,
        }
    }

    /// When it happened (a flow's first packet), nanoseconds since the Unix epoch.
    pub fn ts_ns(&self) -> i64 {
        match self {
            Event::Flow(it) => it.first_seen_ns,
            Event::Dns(it) => it.ts_ns,
            Event::Tls(it) => it.ts_ns,
            Event::Http(it) => it.ts_ns,
            Event::Hash(it) => it.ts_ns,
        }
    }
}
