//! DNS messages (RFC 1035): the first question and the A, AAAA and CNAME
//! answers, with name compression followed safely (bounded jumps, bounded
//! length).

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::event::DnsAnswer;

/// A parsed DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) is_response: bool,
    pub(crate) query: String,
    pub(crate) qtype: u16,
    pub(crate) answers: Vec<DnsAnswer>,
}

const HEADER_LEN: usize = 12;
const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
/// Compression pointers followed in one name before it is declared a loop.
const MAX_JUMPS: usize = 32;
/// The longest name text kept (RFC 1035 allows 255 octets on the wire;
/// escapes can make the text longer).
const MAX_NAME_TEXT: usize = 1024;
/// Answers read per message.
const MAX_ANSWERS: usize = 64;

fn be16(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

/// Parses a DNS message; `None` when it is not one (too short, no question,
/// a malformed question). Answers stop at the first malformed record.
pub(crate) fn parse(message: &[u8]) -> Option<Message> {
    let flags = be16(message, 2)?;
    let question_count = be16(message, 4)?;
    let answer_count = be16(message, 6)?;
    let opcode = (flags >> 11) & 0x0f;
    if question_count == 0 || opcode > 6 {
        return None;
    }
    let mut query = String::new();
    let mut pos = read_name(message, HEADER_LEN, &mut query)?;
    let qtype = be16(message, pos)?;
    be16(message, pos + 2)?;
    pos += 4;
    // Further questions are rare and unsupported by most servers; skip them.
    for _ in 1..question_count.min(16) {
        pos = skip_name(message, pos)? + 4;
    }
    let is_response = flags & 0x8000 != 0;
    let mut answers = Vec::new();
    if is_response {
        for _ in 0..answer_count.min(MAX_ANSWERS as u16) {
            let Some((answer, next)) = read_answer(message, pos) else {
                break;
            };
            pos = next;
            answers.extend(answer);
        }
    }
    Some(Message {
        is_response,
        query,
        qtype,
        answers,
    })
}

/// One resource record at `pos`: the answer if it is one we keep, and the
/// position after the record.
fn read_answer(message: &[u8], pos: usize) -> Option<(Option<DnsAnswer>, usize)> {
    let pos = skip_name(message, pos)?;
    let rtype = be16(message, pos)?;
    let rdlen = usize::from(be16(message, pos + 8)?);
    let rdata_at = pos + 10;
    let rdata = message.get(rdata_at..rdata_at + rdlen)?;
    let answer = match rtype {
        TYPE_A => {
            let octets: [u8; 4] = rdata.try_into().ok()?;
            Some(DnsAnswer::A(Ipv4Addr::from(octets)))
        }
        TYPE_AAAA => {
            let octets: [u8; 16] = rdata.try_into().ok()?;
            Some(DnsAnswer::Aaaa(Ipv6Addr::from(octets)))
        }
        TYPE_CNAME => {
            let mut name = String::new();
            read_name(message, rdata_at, &mut name)?;
            Some(DnsAnswer::Cname(name))
        }
        _ => None,
    };
    Some((answer, rdata_at + rdlen))
}

/// Reads the (possibly compressed) name at `pos` into `out` as dotted text
/// without the final dot, escaping bytes that are not printable ASCII (and
/// dots inside labels) the way `dig` does. Returns the position after the
/// name as it appears at `pos`.
pub(crate) fn read_name(message: &[u8], mut pos: usize, out: &mut String) -> Option<usize> {
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *message.get(pos)?;
        match len & 0xc0 {
            0xc0 => {
                let target = usize::from(be16(message, pos)? & 0x3fff);
                end.get_or_insert(pos + 2);
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return None;
                }
                pos = target;
            }
            0x00 if len == 0 => return Some(end.unwrap_or(pos + 1)),
            0x00 => {
                let label = message.get(pos + 1..pos + 1 + usize::from(len))?;
                if !out.is_empty() {
                    out.push('.');
                }
                push_label(out, label);
                if out.len() > MAX_NAME_TEXT {
                    return None;
                }
                pos += 1 + usize::from(len);
            }
            _ => return None,
        }
    }
}

fn push_label(out: &mut String, label: &[u8]) {
    for &byte in label {
        match byte {
            b'.' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x21..=0x7e => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "\\{byte:03}");
            }
        }
    }
}

/// The position after the (possibly compressed) name at `pos`.
fn skip_name(message: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *message.get(pos)?;
        match len & 0xc0 {
            0xc0 => {
                message.get(pos + 1)?;
                return Some(pos + 2);
            }
            0x00 if len == 0 => return Some(pos + 1),
            0x00 => pos += 1 + usize::from(len),
            _ => return None,
        }
    }
}
