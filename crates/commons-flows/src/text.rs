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

/// A plain decimal `[-]digits[.digits]`, read in one pass: the sign, the
/// integer part (at most 19 digits), the fraction as nanoseconds (digits
/// past the ninth are dropped), and whether there was a point. `None` for
/// anything else (exponents, signs inside, empty parts).
fn decimal(text: &[u8]) -> Option<(bool, u64, i64, bool)> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut whole: u64 = 0;
    let mut at = 0;
    while let Some(&byte) = digits.get(at) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        whole = whole * 10 + u64::from(digit);
        at += 1;
        if at > 19 {
            return None;
        }
    }
    if at == 0 {
        return None;
    }
    let Some(rest) = digits.get(at..).filter(|it| !it.is_empty()) else {
        return Some((negative, whole, 0, false));
    };
    let fraction = rest.strip_prefix(b".")?;
    let mut nanos: i64 = 0;
    let mut scale: i64 = 100_000_000;
    for &byte in fraction {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        nanos += i64::from(digit) * scale;
        scale /= 10;
    }
    Some((negative, whole, nanos, true))
}

/// Seconds since the epoch, as an integer or decimal (`1591367999.305988`),
/// to nanoseconds without going through a float when it can be helped.
pub(crate) fn parse_epoch_seconds(text: &[u8]) -> Option<i64> {
    match decimal(text) {
        Some((negative, whole, nanos, _)) => {
            let ns = i64::try_from(whole)
                .ok()?
                .checked_mul(1_000_000_000)?
                .checked_add(nanos)?;
            Some(if negative { -ns } else { ns })
        }
        None => {
            let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
            let ns = value * 1e9;
            (ns.is_finite() && ns.abs() < 9.2e18).then_some(ns as i64)
        }
    }
}

/// A number of seconds, milliseconds, microseconds or nanoseconds since the
/// epoch, told apart by magnitude: integers below 10^11 are seconds (up to
/// the year 5138), below 10^14 milliseconds, below 10^17 microseconds,
/// above that nanoseconds; decimals are seconds. Or an RFC 3339 time.
pub(crate) fn parse_time(text: &[u8]) -> Option<i64> {
    if text.len() >= 10 && text[4] == b'-' {
        return parse_rfc3339(text);
    }
    match decimal(text) {
        Some((false, value, _, false)) => Some(integer_time(i64::try_from(value).ok()?)),
        Some((negative, whole, nanos, true)) => {
            let ns = i64::try_from(whole)
                .ok()?
                .checked_mul(1_000_000_000)?
                .checked_add(nanos)?;
            Some(if negative { -ns } else { ns })
        }
        _ => parse_epoch_seconds(text),
    }
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

// Fast paths. Each reads the plain form of a value at the start of `bytes`
// and returns it with the number of bytes it took, leaving the caller to
// check what follows (a comma, a quote, the end). `None` means "not the
// plain form": the caller falls back to the general parser above, which
// also decides whether the value is bad. They parse and find the value's end
// in one pass, which is most of the cost of reading a flow record.

/// Up to 19 decimal digits (so no overflow check is needed).
#[inline(always)]
pub(crate) fn lead_u64(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        value = value * 10 + u64::from(digit);
        at += 1;
        if at > 19 {
            return None;
        }
    }
    (at > 0).then_some((value, at))
}

/// A dotted quad.
#[inline(always)]
pub(crate) fn lead_ipv4(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    let mut at = 0;
    for part in 0..4 {
        if part > 0 {
            if bytes.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let mut octet: u32 = 0;
        let start = at;
        while let Some(&byte) = bytes.get(at) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 || at - start == 3 {
                break;
            }
            octet = octet * 10 + u32::from(digit);
            at += 1;
        }
        if at == start || octet > 255 {
            return None;
        }
        value = value << 8 | octet;
    }
    Some((value, at))
}

/// Unsigned `digits[.digits]`: the integer part, the fraction in
/// nanoseconds (digits past the ninth dropped), whether there was a point,
/// and the length.
#[inline(always)]
pub(crate) fn lead_decimal(bytes: &[u8]) -> Option<(u64, i64, bool, usize)> {
    let (whole, mut at) = lead_u64(bytes)?;
    if bytes.get(at) != Some(&b'.') {
        return Some((whole, 0, false, at));
    }
    at += 1;
    let mut nanos: i64 = 0;
    let mut scale: i64 = 100_000_000;
    while let Some(&byte) = bytes.get(at) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        nanos += i64::from(digit) * scale;
        scale /= 10;
        at += 1;
    }
    Some((whole, nanos, true, at))
}

/// A time in the plain forms `parse_time` reads (no RFC 3339, no sign).
#[inline(always)]
pub(crate) fn lead_time(bytes: &[u8]) -> Option<(i64, usize)> {
    let (whole, nanos, point, len) = lead_decimal(bytes)?;
    let whole = i64::try_from(whole).ok()?;
    let ns = if point {
        whole.checked_mul(1_000_000_000)?.checked_add(nanos)?
    } else {
        integer_time(whole)
    };
    Some((ns, len))
}

/// An integer time in seconds, milliseconds, microseconds or nanoseconds
/// (see `parse_time`), in nanoseconds.
#[inline(always)]
pub(crate) fn integer_time(value: i64) -> i64 {
    if value < 100_000_000_000 {
        value * 1_000_000_000
    } else if value < 100_000_000_000_000 {
        value * 1_000_000
    } else if value < 100_000_000_000_000_000 {
        value * 1_000
    } else {
        value
    }
}
