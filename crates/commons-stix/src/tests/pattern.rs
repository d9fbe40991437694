//! The pattern parser: accepted patterns print canonically, rejected ones
//! say where and what was expected, and printing then parsing is lossless.

use proptest::prelude::*;

use crate::Timestamp;
use crate::pattern::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, Pattern, PropTest,
    Qualifier, Seconds, check_pattern, parse_pattern,
};
use crate::validate::Severity;

/// Parses `input` and compares its canonical print with `expect`.
#[track_caller]
fn check(input: &str, expect: &str) {
    let pattern = parse_pattern(input).unwrap_or_else(|error| panic!("{input}: {error}"));
    let printed = pattern.to_string();
    assert_eq!(printed, expect);
    assert_eq!(
        parse_pattern(&printed).as_ref(),
        Ok(&pattern),
        "reparse of {printed}"
    );
}

/// Parses `input`, which must fail with `expect` (`byte: message`).
#[track_caller]
fn check_error(input: &str, expect: &str) {
    let error = parse_pattern(input).expect_err(input);
    assert_eq!(
        format!(
            "{}: expected {}, found {}",
            error.position, error.expected, error.found
        ),
        expect
    );
}

#[test]
fn specification_examples_parse() {
    for (input, expect) in [
        (
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        ),
        (
            r"[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']",
            r"[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']",
        ),
        (
            "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
            "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
        ),
        (
            "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
            "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
        ),
        (
            "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
            "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
        ),
        (
            "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
            "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
        ),
        (
            "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
            "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
        ),
        (
            "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']",
            "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']",
        ),
        (
            "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
            "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
        ),
        (
            "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
            "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
        ),
        (
            "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
            "[file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar'] OR [process:name = 'fooproc' OR process:name = 'procfoo']",
        ),
        (
            "[url:value = 'http://example.com/foo'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
            "[url:value = 'http://example.com/foo'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
        ),
    ] {
        check(input, expect);
    }
}

#[test]
fn operators() {
    check("[file:size = 1280]", "[file:size = 1280]");
    check("[file:size == 1280]", "[file:size = 1280]");
    check("[file:size <> 1280]", "[file:size != 1280]");
    check("[file:size<1024]", "[file:size < 1024]");
    check("[file:size <= +1024]", "[file:size <= 1024]");
    check("[file:size > -1.5]", "[file:size > -1.5]");
    check("[file:size >= .5]", "[file:size >= 0.5]");
    check("[file:name IN ('a', 'b')]", "[file:name IN ('a', 'b')]");
    check("[file:size NOT IN (1,2.0)]", "[file:size NOT IN (1, 2.0)]");
    check("[file:size IN ()]", "[file:size IN ()]");
    check("[file:name LIKE 'foo%']", "[file:name LIKE 'foo%']");
    check(
        "[file:name NOT MATCHES '^a']",
        "[file:name NOT MATCHES '^a']",
    );
    check(
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
    );
    check(
        "[ipv4-addr:value NOT ISSUPERSET '10.0.0.1']",
        "[ipv4-addr:value NOT ISSUPERSET '10.0.0.1']",
    );
    check("[EXISTS file:name]", "[EXISTS file:name]");
    check("[NOT EXISTS file:name]", "[NOT EXISTS file:name]");
    check("[file:name NOT = 'a']", "[file:name NOT = 'a']");
    check(
        "[file:x = true AND file:y != false]",
        "[file:x = true AND file:y != false]",
    );
}

#[test]
fn literals() {
    check(
        "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
        "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
    );
    check(
        "[file:magic_number_hex = h'FFD8']",
        "[file:magic_number_hex = h'ffd8']",
    );
    check("[file:x = h'']", "[file:x = h'']");
    check(
        "[file:x = 'it\\'s a \\\\ path']",
        "[file:x = 'it\\'s a \\\\ path']",
    );
    check("[file:x = 'ünïcödé ☃']", "[file:x = 'ünïcödé ☃']");
    check("[file:x = -0]", "[file:x = 0]");
    check(
        "[file:x = 9223372036854775807]",
        "[file:x = 9223372036854775807]",
    );
    check(
        "[file:x = -9223372036854775808]",
        "[file:x = -9223372036854775808]",
    );
    check(
        "[file:x = 100000000000000000000.0]",
        "[file:x = 100000000000000000000.0]",
    );
    check(
        "[file:x = t'2018-03-22T12:11:14.1Z']",
        "[file:x = t'2018-03-22T12:11:14.1Z']",
    );
}

#[test]
fn paths() {
    check("[file:hashes[*] = 'x']", "[file:hashes[*] = 'x']");
    check(
        "[file:a[0][-1].'b c'.d_e = 1]",
        "[file:a[0][-1].'b c'.d_e = 1]",
    );
    check("[file:'AND' = 1]", "[file:'AND' = 1]");
    check("[file:'true'.'x-y' = 1]", "[file:'true'.'x-y' = 1]");
    check(
        "[x-usb-device:usbdrive.serial_number = '5758']",
        "[x-usb-device:usbdrive.serial_number = '5758']",
    );
    check("[t:t.h.b = 1]", "[t:t.h.b = 1]");
}

#[test]
fn precedence_and_grouping() {
    check(
        "[a:b = 1] OR [a:b = 2] AND [a:b = 3]",
        "[a:b = 1] OR [a:b = 2] AND [a:b = 3]",
    );
    check(
        "([a:b = 1] OR [a:b = 2]) AND [a:b = 3]",
        "([a:b = 1] OR [a:b = 2]) AND [a:b = 3]",
    );
    check(
        "[a:b = 1] FOLLOWEDBY [a:b = 2] OR [a:b = 3]",
        "[a:b = 1] FOLLOWEDBY [a:b = 2] OR [a:b = 3]",
    );
    check("(([a:b = 1]))", "[a:b = 1]");
    check("[((a:b = 1))]", "[a:b = 1]");
    check(
        "[a:b = 1] AND ([a:b = 2] AND [a:b = 3])",
        "[a:b = 1] AND [a:b = 2] AND [a:b = 3]",
    );
    check(
        "[a:b = 1 OR (a:b = 2 OR a:b = 3)]",
        "[a:b = 1 OR a:b = 2 OR a:b = 3]",
    );
    check(
        "[a:b = 1 AND (a:b = 2 OR a:b = 3)]",
        "[a:b = 1 AND (a:b = 2 OR a:b = 3)]",
    );
    check(
        "[a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS",
        "[a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS",
    );
    check(
        "([a:b = 1] AND [a:b = 2]) WITHIN 5 SECONDS",
        "([a:b = 1] AND [a:b = 2]) WITHIN 5 SECONDS",
    );
    check(
        "[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS",
        "[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    );
    check(
        "([a:b = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS",
        "([a:b = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS",
    );
    check(
        "[a:b = 1] REPEATS 2 TIMES WITHIN 0.5 SECONDS",
        "[a:b = 1] REPEATS 2 TIMES WITHIN 0.5 SECONDS",
    );
}

#[test]
fn qualified_and_grouped_trees_differ() {
    let flat = parse_pattern("[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS").expect("valid");
    let nested = parse_pattern("([a:b = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS").expect("valid");
    assert_ne!(flat, nested);
    let ObservationExpr::Qualified { qualifiers, .. } = &flat.expression else {
        panic!("qualified");
    };
    assert_eq!(qualifiers.len(), 2);
}

#[test]
fn whitespace_and_comments() {
    check(
        "( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])",
        "[network-traffic:dst_port IN (443, 6443, 8443) AND network-traffic:src_packets != 0]",
    );
    check("/* leading */ [a:b = 1] // trailing", "[a:b = 1]");
    check("\u{a0}[a:b\u{2003}=\n1]\t", "[a:b = 1]");
}

#[test]
fn syntax_errors_give_position_and_expectation() {
    check_error(
        "file:size = 1280",
        "0: expected '[' starting an observation expression, or '(', found identifier 'file'",
    );
    check_error(
        "[file:size = ]",
        "13: expected a literal (string, number, boolean, t'…', h'…' or b'…'), found ']'",
    );
    check_error(
        "[file:hashes.MD5 = cead3f77]",
        "19: expected a literal (string, number, boolean, t'…', h'…' or b'…'), found identifier 'cead3f77'",
    );
    check_error(
        "[file.size = 1280]",
        "5: expected ':' after the object type, found '.'",
    );
    check_error(
        "[file:name MATCHES /.*\\.dll/]",
        "19: expected a token, found character '/'",
    );
    check_error(
        "[a:b = 'x'] WITHIN ]",
        "19: expected a positive number of seconds, found ']'",
    );
    check_error(
        "[a:b = 'x'] WITHIN 5 HOURS",
        "21: expected 'SECONDS', found identifier 'HOURS'",
    );
    check_error(
        "[a:b = 'x'] WITHIN -5 SECONDS",
        "19: expected a positive number of seconds, found integer -5",
    );
    check_error(
        "[a:b = 'x'] WITHIN 0 SECONDS",
        "19: expected a positive number of seconds, found integer 0",
    );
    check_error(
        "[a:b = 'x'] REPEATS 0 TIMES",
        "20: expected a positive integer, found integer 0",
    );
    check_error(
        "[a:b = 'x'] REPEATS 1.5 TIMES",
        "20: expected a positive integer, found number 1.5",
    );
    check_error(
        "[network-traffic:dst_ref.value ISSUBSET ]",
        "40: expected a string literal '…', found ']'",
    );
    check_error(
        "[file:hashes.MD5 =? 'x']",
        "18: expected a token, found character '?'",
    );
    check_error(
        "[x:y == t'2457-73-22T32:81:84.1Z']",
        "8: expected a timestamp t'YYYY-MM-DDTHH:MM:SS[.s+]Z', found t'2457-73-22T32:81:84.1Z' (month 73 is out of range)",
    );
    check_error(
        "[x:y = t'2024-02-30T12:00:00Z']",
        "7: expected a timestamp t'YYYY-MM-DDTHH:MM:SS[.s+]Z', found t'2024-02-30T12:00:00Z' (day 30 is out of range)",
    );
    check_error(
        "[artifact:payload_bin = b'====']",
        "24: expected padded base64 in b'…', found b'===='",
    );
    check_error(
        "[a:b = h'abc']",
        "7: expected an even number of hex digits in h'…', found h'abc'",
    );
    check_error(
        "[foo:bar=1] within 2 seconds",
        "12: expected an observation operator (AND, OR, FOLLOWEDBY), a qualifier or end of input, found identifier 'within'",
    );
    check_error(
        "[a:b = 'unterminated]",
        "7: expected a closing quote for the string starting here, found end of input",
    );
    check_error(
        "[a:b = 'bad \\n escape']",
        "12: expected \\' or \\\\ (the only escapes in a string), found another character after the backslash",
    );
    check_error(
        "[a:b = 007]",
        "7: expected an integer without leading zeros, found 007",
    );
    check_error(
        "[a:b = 99999999999999999999]",
        "7: expected an integer that fits 64 bits, found integer 99999999999999999999",
    );
    check_error(
        "[file:hashes.SHA-256 = 'x']",
        "13: expected a property name (quote names containing '-', e.g. 'SHA-256'), found identifier 'SHA-256'",
    );
    check_error(
        "[a:b = 1",
        "8: expected ']' or a comparison operator (AND, OR), found end of input",
    );
    check_error(
        "([a:b = 1]",
        "10: expected ')' or an observation operator (AND, OR, FOLLOWEDBY), found end of input",
    );
    check_error(
        "[a:b < true]",
        "7: expected an ordered literal (string, number, t'…', h'…' or b'…'), found 'true'",
    );
    check_error(
        "[a:b LIKE 5]",
        "10: expected a string literal '…', found integer 5",
    );
    check_error(
        "[a:b IN (1 2)]",
        "11: expected ',' or ')' in the set, found integer 2",
    );
    check_error(
        "[a:b[x] = 1]",
        "5: expected a list index or '*', found identifier 'x'",
    );
    check_error(
        "[a:b] ",
        "4: expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET), found ']'",
    );
    check_error(
        "[a:b = 1] START '2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'",
        "16: expected a timestamp literal t'…', found string '2016-01-01T00:00:00Z'",
    );
    check_error(
        "[a:b = 1] /* open",
        "10: expected '*/' closing the comment, found end of input",
    );
    check_error(
        "[NOT a:b = 1]",
        "5: expected 'EXISTS', found identifier 'a'",
    );
    check_error(
        "",
        "0: expected '[' starting an observation expression, or '(', found end of input",
    );
    check_error(
        "[a:b = 1] AND",
        "13: expected '[' starting an observation expression, or '(', found end of input",
    );
}

#[test]
fn nesting_depth_is_limited() {
    let deep = format!("{}[a:b = 1]{}", "(".repeat(200), ")".repeat(200));
    let error = parse_pattern(&deep).expect_err("too deep");
    assert_eq!(error.position, 100);
    assert_eq!(error.expected, "at most 100 levels of nesting");
    let wide = vec!["[a:b = 1]"; 5_000].join(" AND ");
    let pattern = parse_pattern(&wide).expect("long chains are fine");
    let ObservationExpr::And(items) = &pattern.expression else {
        panic!("one n-ary AND");
    };
    assert_eq!(items.len(), 5_000);
}

#[track_caller]
fn check_issues(input: &str, expect: &[&str]) {
    let pattern = parse_pattern(input).expect("valid");
    let found: Vec<String> = check_pattern(&pattern)
        .into_iter()
        .map(|it| format!("{:?}: {}", it.severity, it.message))
        .collect();
    assert_eq!(found, expect);
}

#[test]
fn semantic_checks() {
    check_issues(
        "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
        &[],
    );
    check_issues(
        "[file:hashes.'SHA-256' = 'f00']",
        &["Error: 'f00' is not a valid SHA-256 hash (64 hex digits)"],
    );
    check_issues(
        "[file:hashes.sha1 IN ('0', 'x')]",
        &[
            "Error: '0' is not a valid SHA-1 hash (40 hex digits)",
            "Error: 'x' is not a valid SHA-1 hash (40 hex digits)",
        ],
    );
    check_issues(
        "[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES",
        &["Error: two REPEATS qualifiers apply to one expression; parenthesize to nest them"],
    );
    check_issues("([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES", &[]);
    check_issues(
        "[a:b = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'",
        &[
            "Warning: START t'2016-06-01T00:00:00Z' is not before STOP t'2016-06-01T00:00:00Z': the expression never matches",
        ],
    );
    check_issues(
        "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x']",
        &[
            "Warning: AND joins tests of different object types (domain-name, ipv4-addr); they must hold for one object, so this never matches",
        ],
    );
    check_issues(
        "[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x']",
        &[],
    );
    check_issues(
        "[ipv4-addr:value ISSUBSET 'ten/8']",
        &[
            "Warning: 'ten/8' is not an IP address or CIDR block, so 'ipv4-addr:value ISSUBSET 'ten/8'' never matches",
        ],
    );
    check_issues(
        "[a:b MATCHES '(?<=x)y']",
        &[
            "Warning: the regular expression in 'a:b MATCHES '(?<=x)y'' is not supported here, so it never matches: regex parse error:\n    (?<=x)y\n    ^^^^\nerror: look-around, including look-ahead and look-behind, is not supported",
        ],
    );
    check_issues(
        "[a:b IN (1, 'x')]",
        &["Warning: the set in 'a:b IN (1, 'x')' mixes literal types"],
    );
    check_issues(
        "[indicator:name = 'x']",
        &["Warning: 'indicator' is not a cyber-observable type; patterns only match observables"],
    );
    assert_eq!(
        check_pattern(&parse_pattern("[a:b = 1]").expect("valid"))[..],
        []
    );
    let _ = Severity::Error;
}

// Generators for arbitrary well-formed trees.

fn identifier() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("not reserved", |it| {
        !matches!(it.as_str(), "true" | "false")
    })
}

fn object_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ipv4-addr".to_string()),
        Just("file".to_string()),
        Just("x-acme".to_string()),
        "[a-z][a-z0-9]{2,6}",
    ]
}

fn property() -> impl Strategy<Value = String> {
    prop_oneof![
        identifier(),
        ".{0,8}",
        Just("AND".to_string()),
        Just("SHA-256".to_string())
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        -62_167_219_200i64..253_402_300_799,
        0u32..1_000_000_000,
        0u16..12,
    )
        .prop_map(|(seconds, nanos, digits)| {
            let nanos = if digits < 9 {
                nanos - nanos % 10u32.pow(9 - u32::from(digits))
            } else {
                nanos
            };
            Timestamp::from_unix_with_digits(seconds, nanos, digits).expect("in range")
        })
}

fn literal(allow_bool: bool) -> impl Strategy<Value = Literal> {
    let base = prop_oneof![
        any::<i64>().prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |it| it.is_finite())
            .prop_map(Literal::Float),
        ".{0,10}".prop_map(Literal::Str),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Literal::Binary),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Literal::Hex),
        timestamp().prop_map(Literal::Timestamp),
    ];
    if allow_bool {
        prop_oneof![base, any::<bool>().prop_map(Literal::Bool)].boxed()
    } else {
        base.boxed()
    }
}

fn operator() -> impl Strategy<Value = Operator> {
    prop_oneof![
        literal(true).prop_map(Operator::Eq),
        literal(true).prop_map(Operator::Ne),
        literal(false).prop_map(Operator::Lt),
        literal(false).prop_map(Operator::Le),
        literal(false).prop_map(Operator::Gt),
        literal(false).prop_map(Operator::Ge),
        prop::collection::vec(literal(true), 0..4).prop_map(Operator::In),
        ".{0,8}".prop_map(Operator::Like),
        ".{0,8}".prop_map(Operator::Matches),
        ".{0,8}".prop_map(Operator::IsSubset),
        ".{0,8}".prop_map(Operator::IsSuperset),
        Just(Operator::Exists),
    ]
}

fn path_step() -> impl Strategy<Value = PathStep> {
    prop_oneof![
        property().prop_map(PathStep::Key),
        any::<i64>().prop_map(PathStep::Index),
        Just(PathStep::AnyIndex)
    ]
}

fn test() -> impl Strategy<Value = ComparisonExpr> {
    (
        object_type(),
        property(),
        prop::collection::vec(path_step(), 0..3),
        any::<bool>(),
        operator(),
    )
        .prop_map(|(object_type, property, steps, negated, operator)| {
            ComparisonExpr::Test(PropTest {
                path: ObjectPath {
                    object_type,
                    property,
                    steps,
                },
                negated,
                operator,
            })
        })
}

/// Joins `items` with `make`, splicing children that already are `make`
/// nodes, as the parser does.
fn flatten<T>(items: Vec<T>, make: fn(Vec<T>) -> T, unwrap: fn(T) -> Result<Vec<T>, T>) -> T {
    let mut flat = Vec::new();
    for item in items {
        match unwrap(item) {
            Ok(inner) => flat.extend(inner),
            Err(item) => flat.push(item),
        }
    }
    make(flat)
}

fn comparison() -> impl Strategy<Value = ComparisonExpr> {
    test().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|items| flatten(
                items,
                ComparisonExpr::And,
                |it| match it {
                    ComparisonExpr::And(inner) => Ok(inner),
                    other => Err(other),
                }
            )),
            prop::collection::vec(inner, 2..4).prop_map(|items| flatten(
                items,
                ComparisonExpr::Or,
                |it| match it {
                    ComparisonExpr::Or(inner) => Ok(inner),
                    other => Err(other),
                }
            )),
        ]
    })
}

fn qualifier() -> impl Strategy<Value = Qualifier> {
    prop_oneof![
        (1u64..u64::MAX).prop_map(|it| Qualifier::Within(Seconds::Int(it))),
        (1e-9f64..1e12).prop_map(|it| Qualifier::Within(Seconds::Float(it))),
        (1u64..u64::MAX).prop_map(Qualifier::Repeats),
        (timestamp(), timestamp()).prop_map(|(start, stop)| Qualifier::StartStop { start, stop }),
    ]
}

fn observation() -> impl Strategy<Value = ObservationExpr> {
    comparison()
        .prop_map(ObservationExpr::Observation)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(|items| flatten(
                    items,
                    ObservationExpr::And,
                    |it| match it {
                        ObservationExpr::And(inner) => Ok(inner),
                        other => Err(other),
                    }
                )),
                prop::collection::vec(inner.clone(), 2..4).prop_map(|items| flatten(
                    items,
                    ObservationExpr::Or,
                    |it| match it {
                        ObservationExpr::Or(inner) => Ok(inner),
                        other => Err(other),
                    }
                )),
                prop::collection::vec(inner.clone(), 2..4).prop_map(|items| flatten(
                    items,
                    ObservationExpr::FollowedBy,
                    |it| match it {
                        ObservationExpr::FollowedBy(inner) => Ok(inner),
                        other => Err(other),
                    }
                )),
                (inner, prop::collection::vec(qualifier(), 1..3)).prop_map(|(expr, qualifiers)| {
                    ObservationExpr::Qualified {
                        expr: Box::new(expr),
                        qualifiers,
                    }
                }),
            ]
        })
}

proptest! {
    #[test]
    fn print_then_parse_is_lossless(expression in observation()) {
        let pattern = Pattern { expression };
        let printed = pattern.to_string();
        prop_assert_eq!(parse_pattern(&printed), Ok(pattern), "{}", printed);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in ".{0,80}") {
        if let Ok(pattern) = parse_pattern(&text) {
            let _ = check_pattern(&pattern);
            prop_assert_eq!(parse_pattern(&pattern.to_string()), Ok(pattern));
        }
    }

    #[test]
    fn parsing_pattern_like_text_never_panics(
        parts in prop::collection::vec(prop_oneof![
            Just("["), Just("]"), Just("("), Just(")"), Just("a:b"), Just("x-y:z.w[*]"), Just("="), Just("!="),
            Just("<="), Just("IN"), Just("LIKE"), Just("MATCHES"), Just("AND"), Just("OR"), Just("NOT"),
            Just("EXISTS"), Just("FOLLOWEDBY"), Just("WITHIN 5 SECONDS"), Just("REPEATS 2 TIMES"),
            Just("START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'"), Just("'s'"), Just("1"),
            Just("-2.5"), Just("h'ff'"), Just("b'AA=='"), Just("true"), Just(","), Just("t'"), Just("'"),
        ], 0..24)
    ) {
        let text = parts.join(" ");
        if let Ok(pattern) = parse_pattern(&text) {
            let _ = check_pattern(&pattern);
            prop_assert_eq!(parse_pattern(&pattern.to_string()), Ok(pattern));
        }
    }
}
