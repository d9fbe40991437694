//! The flow table: decoded packets grouped into bidirectional flows under a
//! canonical 5-tuple key, counted per direction and expired when idle; and
//! the payload inspection that yields DNS, TLS and HTTP events on them.
//!
//! The originator is the sender of a TCP SYN (the receiver of a SYN-ACK when
//! the capture starts mid-handshake); otherwise the first sender, unless it
//! sends from a well-known port to an ephemeral one, in which case it is
//! taken for the responder. No TCP stream is reassembled: a DNS message over
//! TCP is read when one segment holds it whole, HTTP request heads from the
//! segment that starts them. The one exception is the ClientHello, which
//! modern clients often split over two segments: the client's first bytes
//! are buffered in sequence order (up to 16 KiB) until the server name is found.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::decode::{Decoded, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use crate::dns;
use crate::event::{Direction, DnsEvent, Event, FiveTuple, Flow, HttpEvent, TCP, TlsEvent, UDP};
use crate::hash::BuildWordHasher;
use crate::http;
use crate::tls::{self, Sni};

/// Client bytes buffered while waiting for the rest of a ClientHello.
const MAX_TLS_BUFFER: usize = 16 * 1024;
const DNS_PORT: u16 = 53;

/// The canonical key: the lower (address, port) endpoint first, so both
/// directions of a flow find the same entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    lo: u128,
    hi: u128,
    lo_port: u16,
    hi_port: u16,
    proto: u8,
    v6: bool,
}

impl Hash for Key {
    /// Three words instead of one per field: the table is probed for every packet.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let fold = |address: u128| (address as u64) ^ ((address >> 64) as u64).rotate_left(29);
        state.write_u64(fold(self.lo));
        state.write_u64(fold(self.hi));
        state.write_u64(
            u64::from(self.lo_port) << 32
                | u64::from(self.hi_port) << 16
                | u64::from(self.proto) << 1
                | u64::from(self.v6),
        );
    }
}

impl Key {
    /// The key of a packet, and whether its sender is the `lo` endpoint.
    fn of(packet: &Decoded<'_>) -> (Key, bool) {
        let from_lo = (packet.src, packet.src_port) <= (packet.dst, packet.dst_port);
        let (lo, lo_port, hi, hi_port) = if from_lo {
            (packet.src, packet.src_port, packet.dst, packet.dst_port)
        } else {
            (packet.dst, packet.dst_port, packet.src, packet.src_port)
        };
        let key = Key {
            lo,
            hi,
            lo_port,
            hi_port,
            proto: packet.proto,
            v6: packet.v6,
        };
        (key, from_lo)
    }

    fn ip(&self, address: u128) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(address))
        } else {
            IpAddr::V4(Ipv4Addr::from(address as u32))
        }
    }

    fn tuple(&self, orig_is_lo: bool) -> FiveTuple {
        let (src, src_port, dst, dst_port) = if orig_is_lo {
            (self.lo, self.lo_port, self.hi, self.hi_port)
        } else {
            (self.hi, self.hi_port, self.lo, self.lo_port)
        };
        FiveTuple {
            proto: self.proto,
            src: self.ip(src),
            src_port,
            dst: self.ip(dst),
            dst_port,
        }
    }
}

#[derive(Debug)]
struct FlowState {
    serial: u64,
    orig_is_lo: bool,
    first_seen_ns: i64,
    last_seen_ns: i64,
    from_lo: Direction,
    from_hi: Direction,
    fin_from_lo: bool,
    fin_from_hi: bool,
    reset: bool,
    app: App,
}

/// What the client side of a TCP flow has shown so far.
#[derive(Debug)]
enum App {
    /// No client payload yet.
    Open,
    /// A ClientHello split over segments; bytes so far and the next sequence number.
    TlsPending { bytes: Vec<u8>, next_seq: u32 },
    /// Requests seen: every client payload may start another.
    Http,
    /// Nothing more to look for.
    Done,
}

impl FlowState {
    fn closed(&self) -> bool {
        self.reset || (self.fin_from_lo && self.fin_from_hi)
    }

    fn flow(&self, key: &Key) -> Flow {
        let (orig, resp) = if self.orig_is_lo {
            (self.from_lo, self.from_hi)
        } else {
            (self.from_hi, self.from_lo)
        };
        Flow {
            tuple: key.tuple(self.orig_is_lo),
            first_seen_ns: self.first_seen_ns,
            last_seen_ns: self.last_seen_ns,
            orig,
            resp,
        }
    }
}

/// Flows in progress.
#[derive(Debug)]
pub(crate) struct FlowTable {
    flows: HashMap<Key, FlowState, BuildWordHasher>,
    next_serial: u64,
    idle_timeout_ns: i64,
    last_sweep_ns: Option<i64>,
}

impl FlowTable {
    pub(crate) fn new(idle_timeout_ns: i64) -> FlowTable {
        FlowTable {
            flows: HashMap::with_capacity_and_hasher(1024, BuildWordHasher),
            next_serial: 0,
            idle_timeout_ns: idle_timeout_ns.max(1),
            last_sweep_ns: None,
        }
    }

    /// Accounts one packet and emits what its payload reveals.
    pub(crate) fn packet(
        &mut self,
        ts_ns: i64,
        packet: &Decoded<'_>,
        emit: &mut impl FnMut(Event),
    ) {
        self.maybe_sweep(ts_ns, emit);
        let (key, from_lo) = Key::of(packet);
        let syn_only = packet.proto == TCP && packet.tcp_flags & (TCP_SYN | TCP_ACK) == TCP_SYN;
        if syn_only
            && let Some(old) = self.flows.get(&key)
            && old.closed()
        {
            // A new connection reusing the 5-tuple of one that ended.
            let old = self.flows.remove(&key).expect("just looked up");
            emit(Event::Flow(old.flow(&key)));
        }
        let next_serial = &mut self.next_serial;
        let state = self.flows.entry(key).or_insert_with(|| {
            let serial = *next_serial;
            *next_serial += 1;
            FlowState {
                serial,
                orig_is_lo: sender_is_originator(packet) == from_lo,
                first_seen_ns: ts_ns,
                last_seen_ns: ts_ns,
                from_lo: Direction::default(),
                from_hi: Direction::default(),
                fin_from_lo: false,
                fin_from_hi: false,
                reset: false,
                app: App::Open,
            }
        });
        let direction = if from_lo {
            &mut state.from_lo
        } else {
            &mut state.from_hi
        };
        direction.packets += 1;
        direction.bytes += u64::from(packet.ip_len);
        state.first_seen_ns = state.first_seen_ns.min(ts_ns);
        state.last_seen_ns = state.last_seen_ns.max(ts_ns);
        if packet.proto == TCP {
            if packet.tcp_flags & TCP_FIN != 0 {
                if from_lo {
                    state.fin_from_lo = true;
                } else {
                    state.fin_from_hi = true;
                }
            }
            state.reset |= packet.tcp_flags & TCP_RST != 0;
        }
        if !packet.payload.is_empty() {
            let from_orig = from_lo == state.orig_is_lo;
            inspect(state, &key, packet, from_orig, ts_ns, emit);
        }
    }

    /// Emits every remaining flow, in order of first packet.
    pub(crate) fn finish(mut self, emit: &mut impl FnMut(Event)) {
        let mut rest: Vec<(Key, FlowState)> = self.flows.drain().collect();
        rest.sort_unstable_by_key(|(_, state)| state.serial);
        for (key, state) in rest {
            emit(Event::Flow(state.flow(&key)));
        }
    }

    fn maybe_sweep(&mut self, now_ns: i64, emit: &mut impl FnMut(Event)) {
        let interval = (self.idle_timeout_ns / 4).max(1_000_000_000);
        let last = *self.last_sweep_ns.get_or_insert(now_ns);
        if now_ns.saturating_sub(last) < interval {
            return;
        }
        self.last_sweep_ns = Some(now_ns);
        let deadline = now_ns.saturating_sub(self.idle_timeout_ns);
        let mut expired = Vec::new();
        self.flows.retain(|key, state| {
            let keep = state.last_seen_ns >= deadline;
            if !keep {
                expired.push((state.serial, state.flow(key)));
            }
            keep
        });
        expired.sort_unstable_by_key(|(serial, _)| *serial);
        for (_, flow) in expired {
            emit(Event::Flow(flow));
        }
    }
}

fn sender_is_originator(packet: &Decoded<'_>) -> bool {
    if packet.proto == TCP {
        match packet.tcp_flags & (TCP_SYN | TCP_ACK) {
            TCP_SYN => return true,
            flags if flags == TCP_SYN | TCP_ACK => return false,
            _ => {}
        }
    }
    !(packet.src_port < 1024 && packet.dst_port >= 1024)
}

fn inspect(
    state: &mut FlowState,
    key: &Key,
    packet: &Decoded<'_>,
    from_orig: bool,
    ts_ns: i64,
    emit: &mut impl FnMut(Event),
) {
    let payload = packet.payload;
    let dns_port = packet.src_port == DNS_PORT || packet.dst_port == DNS_PORT;
    match packet.proto {
        UDP if dns_port => {
            if let Some(message) = dns::parse(payload) {
                emit(dns_event(key.tuple(state.orig_is_lo), ts_ns, message));
            }
        }
        TCP if dns_port => {
            // Length-prefixed messages, read when a segment holds them whole.
            let mut rest = payload;
            while let [high, low, tail @ ..] = rest {
                let len = usize::from(u16::from_be_bytes([*high, *low]));
                let Some(message) = tail.get(..len) else {
                    break;
                };
                if let Some(message) = dns::parse(message) {
                    emit(dns_event(key.tuple(state.orig_is_lo), ts_ns, message));
                }
                rest = &tail[len..];
            }
        }
        TCP if from_orig => client_payload(state, key, packet, ts_ns, emit),
        _ => {}
    }
}

fn client_payload(
    state: &mut FlowState,
    key: &Key,
    packet: &Decoded<'_>,
    ts_ns: i64,
    emit: &mut impl FnMut(Event),
) {
    let payload = packet.payload;
    let next_seq_after = packet.tcp_seq.wrapping_add(payload.len() as u32);
    let tuple = || key.tuple(state.orig_is_lo);
    match &mut state.app {
        App::Done => {}
        App::TlsPending { bytes, next_seq } => {
            if packet.tcp_seq != *next_seq {
                // A retransmission of bytes already held is ignored; a gap ends the wait.
                let behind = next_seq.wrapping_sub(packet.tcp_seq) as i32 > 0;
                if !behind {
                    state.app = App::Done;
                }
                return;
            }
            bytes.extend_from_slice(payload);
            *next_seq = next_seq_after;
            let sni = tls::client_hello_sni(bytes);
            let full = bytes.len() >= MAX_TLS_BUFFER;
            match sni {
                Sni::Incomplete if !full => {}
                Sni::Found(name) => {
                    emit(tls_event(key.tuple(state.orig_is_lo), ts_ns, name));
                    state.app = App::Done;
                }
                _ => state.app = App::Done,
            }
        }
        App::Open if tls::starts_handshake(payload) => match tls::client_hello_sni(payload) {
            Sni::Found(name) => {
                emit(tls_event(tuple(), ts_ns, name));
                state.app = App::Done;
            }
            Sni::Incomplete => {
                state.app = App::TlsPending {
                    bytes: payload.to_vec(),
                    next_seq: next_seq_after,
                };
            }
            Sni::Absent | Sni::NotClientHello => state.app = App::Done,
        },
        App::Open | App::Http => {
            let request = http::starts_request(payload)
                .then(|| http::parse_request(payload))
                .flatten();
            match request {
                Some(request) => {
                    emit(Event::Http(HttpEvent {
                        tuple: tuple(),
                        ts_ns,
                        method: request.method.to_string(),
                        host: request.host.map(str::to_string),
                        uri: request.uri.to_string(),
                    }));
                    state.app = App::Http;
                }
                None if matches!(state.app, App::Open) => state.app = App::Done,
                None => {}
            }
        }
    }
}

fn dns_event(tuple: FiveTuple, ts_ns: i64, message: dns::Message) -> Event {
    Event::Dns(DnsEvent {
        tuple,
        ts_ns,
        is_response: message.is_response,
        query: message.query,
        qtype: message.qtype,
        answers: message.answers,
    })
}

fn tls_event(tuple: FiveTuple, ts_ns: i64, sni: String) -> Event {
    Event::Tls(TlsEvent { tuple, ts_ns, sni })
}
