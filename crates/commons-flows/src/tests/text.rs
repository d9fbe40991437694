//! Field parsing: the fast leading-value readers agree with plain ones,
//! times in every accepted form.

use proptest::prelude::*;

use crate::text::{
    lead_decimal, lead_ipv4, lead_time, lead_u64, parse_ip, parse_proto, parse_rfc3339, parse_time,
};

#[track_caller]
fn check_time(text: &str, expect: Option<i64>) {
    assert_eq!(parse_time(text.as_bytes()), expect, "{text}");
}

#[test]
fn times_in_every_form() {
    check_time("1700000000", Some(1_700_000_000_000_000_000));
    check_time("1700000000.5", Some(1_700_000_000_500_000_000));
    check_time("1700000000.123456789123", Some(1_700_000_000_123_456_789));
    check_time("1700000000123", Some(1_700_000_000_123_000_000));
    check_time("1700000000123456", Some(1_700_000_000_123_456_000));
    check_time("1700000000123456789", Some(1_700_000_000_123_456_789));
    check_time("-1.5", Some(-1_500_000_000));
    check_time("1.7e9", Some(1_700_000_000_000_000_000));
    check_time("2023-11-14T22:13:20Z", Some(1_700_000_000_000_000_000));
    check_time(
        "2023-11-14 23:13:20.25+01:00",
        Some(1_700_000_000_250_000_000),
    );
    check_time("1969-12-31T23:59:59Z", Some(-1_000_000_000));
    check_time("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000_000));
    check_time("2023-13-01T00:00:00Z", None);
    check_time("yesterday", None);
    check_time("", None);
    assert_eq!(parse_rfc3339(b"2023-11-14T22:13:20.Z"), None);
}

#[test]
fn protocols_by_number_or_name() {
    for (text, expect) in [
        ("6", Some(6)),
        ("TCP", Some(6)),
        ("udp", Some(17)),
        ("ipv6-icmp", Some(58)),
        ("256", None),
        ("carrier-pigeon", None),
    ] {
        assert_eq!(parse_proto(text.as_bytes()), expect, "{text}");
    }
}

#[test]
fn leading_values_stop_at_the_first_foreign_byte() {
    assert_eq!(lead_u64(b"12345678901,"), Some((12_345_678_901, 11)));
    assert_eq!(lead_u64(b"1234567"), Some((1_234_567, 7)));
    assert_eq!(lead_u64(b"00000000000000000042\""), None);
    assert_eq!(lead_u64(b",1"), None);
    assert_eq!(lead_ipv4(b"192.168.1.254,x"), Some((0xc0a8_01fe, 13)));
    assert_eq!(lead_ipv4(b"1.2.3.256"), None);
    assert_eq!(lead_ipv4(b"1.2.3"), None);
    assert_eq!(
        lead_decimal(b"17.000123456789,"),
        Some((17, 123_456, true, 15))
    );
    assert_eq!(lead_decimal(b"17.,"), Some((17, 0, true, 3)));
    assert_eq!(
        lead_time(b"1700000000123}"),
        Some((1_700_000_000_123_000_000, 13))
    );
}

proptest! {
    #[test]
    fn lead_u64_reads_the_digit_prefix(digits in "[0-9]{1,19}", tail in "([^0-9][0-9]{0,4})?") {
        let text = format!("{digits}{tail}");
        prop_assert_eq!(lead_u64(text.as_bytes()), Some((digits.parse::<u64>().unwrap(), digits.len())));
    }

    #[test]
    fn lead_decimal_matches_a_float_reading(whole in 0u64..10_000_000_000, fraction in "[0-9]{0,12}", tail in "[,}\\]\"]?") {
        let text = format!("{whole}.{fraction}{tail}");
        let (read_whole, nanos, point, len) = lead_decimal(text.as_bytes()).unwrap();
        let padded = format!("{fraction:0<9}");
        prop_assert_eq!((read_whole, point, len), (whole, true, text.len() - tail.len()));
        prop_assert_eq!(nanos, padded[..9].parse::<i64>().unwrap());
    }

    #[test]
    fn lead_ipv4_agrees_with_std(address in any::<u32>(), tail in "[,\"]?") {
        let text = format!("{}{tail}", std::net::Ipv4Addr::from(address));
        prop_assert_eq!(lead_ipv4(text.as_bytes()), Some((address, text.len() - tail.len())));
        prop_assert_eq!(parse_ip(&text.as_bytes()[..text.len() - tail.len()]), Some(std::net::IpAddr::V4(address.into())));
    }

    #[test]
    fn leading_readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = (lead_u64(&bytes), lead_ipv4(&bytes), lead_decimal(&bytes), lead_time(&bytes), parse_time(&bytes));
    }
}
