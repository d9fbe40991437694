//! Field parsing shared by the text formats (Zeek logs, flow records):
//! addresses, integers, timestamps (epoch seconds or RFC 3339) and protocol
//! names, all from bytes and without allocation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::event::{ICMP, ICMPV6, TCP, UDP};

/// A dotted-quad IPv4 address.
pub(crate) fn parse_ipv4(text: &[u8]) -> Option<u32> {
    let mut value: u32 = 0;
    let mut octet: u32 = 0;
    let mut digits = 0;
    let mut dots = 0;
    for &byte in text {
        match byte {
            b'0'..=b'9' => {
                octet = octet * 10 + u32::from(byte - b'0');
                digits += 1;
                if digits > 3 || octet > 255 {
                    return None;
                }
            }
            b'.' => {
                if digits == 0 || dots == 3 {
                    return None;
                }
                value = value << 8 | octet;
                octet = 0;
                digits = 0;
                dots += 1;
            }
            _ => return None,
        }
    }
    if dots != 3 || digits == 0 {
        return None;
    }
    Some(value << 8 | octet)
}

/// An IPv4 or IPv6 address (IPv6 in any RFC 4291 text form, without brackets).
pub(crate) fn parse_ip(text: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_ipv4(text) {
        return Some(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    if text.len() > 64 || !text.contains(&b':') {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

/// A decimal unsigned integer.
pub(crate) fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    let mut value: u64 = 0;
    for &byte in text {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

/// A count that may be written as a float (`12.0`) by some exporters.
pub(crate) fn parse_count(text: &[u8]) -> Option<u64> {
    parse_u64(text).or_else(|| {
        let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
        (value.is_finite() && value >= 0.0).then_some(value as u64)
    })
}

/// A port number.
pub(crate) fn parse_port(text: &[u8]) -> Option<u16> {
    u16::try_from(parse_count(text)?).ok()
}

/// Seconds since the epoch, as an integer or decimal (`1591367999.305988`),
/// to nanoseconds without going through a float when it can be helped.
pub(crate) fn parse_epoch_seconds(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (whole, fraction) = match memchr::memchr(b'.', digits) {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &b""[..]),
    };
    let exact = !whole.is_empty() && whole.len() <= 12 && fraction.iter().all(u8::is_ascii_digit);
    if !exact {
        let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
        let ns = value * 1e9;
        return (ns.is_finite() && ns.abs() < 9.2e18).then_some(ns as i64);
    }
    let seconds = parse_u64(whole)? as i64;
    let mut nanos: i64 = 0;
    for position in 0..9 {
        let digit = fraction.get(position).map_or(0, |it| i64::from(it - b'0'));
        nanos = nanos * 10 + digit;
    }
    let ns = seconds * 1_000_000_000 + nanos;
    Some(if negative { -ns } else { ns })
}

/// A number of seconds, milliseconds, microseconds or nanoseconds since the
/// epoch, told apart by magnitude: values below 10^11 are seconds (up to the
/// year 5138), below 10^14 milliseconds, below 10^17 microseconds, above that
/// nanoseconds. Or an RFC 3339 time.
pub(crate) fn parse_time(text: &[u8]) -> Option<i64> {
    if text.len() >= 10 && text[4] == b'-' {
        return parse_rfc3339(text);
    }
    if !text.contains(&b'.')
        && !text.contains(&b'e')
        && let Some(value) = parse_u64(text)
    {
        let value = i64::try_from(value).ok()?;
        return Some(if value < 100_000_000_000 {
            value * 1_000_000_000
        } else if value < 100_000_000_000_000 {
            value * 1_000_000
        } else if value < 100_000_000_000_000_000 {
            value * 1_000
        } else {
            value
        });
    }
    parse_epoch_seconds(text)
}

/// An RFC 3339 (ISO 8601 profile) timestamp: `2024-01-31T12:00:00.5Z`,
/// with a `Z` or numeric offset (a space may stand for the `T`; a missing
/// offset means UTC).
pub(crate) fn parse_rfc3339(text: &[u8]) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        Some(parse_u64(text.get(range)?)? as i64)
    };
    let year = number(0..4)?;
    let month = number(5..7)?;
    let day = number(8..10)?;
    let hour = number(11..13)?;
    let minute = number(14..16)?;
    let second = number(17..19)?;
    if text.get(4) != Some(&b'-')
        || text.get(7) != Some(&b'-')
        || !matches!(text.get(10), Some(b'T' | b't' | b' '))
        || text.get(13) != Some(&b':')
        || text.get(16) != Some(&b':')
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if text.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while text.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + i64::from(text[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset_s = match text.get(at..) {
        Some(b"" | b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]) => {
            let hours = parse_u64(&[*h1, *h2])? as i64;
            let minutes = parse_u64(&[*m1, *m2])? as i64;
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(seconds * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// An IP protocol given as a number or a name.
pub(crate) fn parse_proto(text: &[u8]) -> Option<u8> {
    if let Some(number) = parse_u64(text) {
        return u8::try_from(number).ok();
    }
    let mut lower = [0u8; 16];
    let name = lower.get_mut(..text.len())?;
    name.copy_from_slice(text);
    name.make_ascii_lowercase();
    Some(match &*name {
        b"tcp" => TCP,
        b"udp" => UDP,
        b"icmp" => ICMP,
        b"icmpv6" | b"icmp6" | b"ipv6-icmp" => ICMPV6,
        b"gre" => 47,
        b"esp" => 50,
        b"sctp" => 132,
        _ => return None,
    })
}

/// Iterates over the lines of `input` (without their `\n` or `\r\n`), with
/// 1-based line numbers.
pub(crate) fn lines(input: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut rest = input;
    let mut line_no = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        line_no += 1;
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &b""[..]),
        };
        rest = next;
        Some((line_no, line.strip_suffix(b"\r").unwrap_or(line)))
    })
}
