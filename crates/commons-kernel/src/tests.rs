//! Unit and property tests of encoding, signing and chain verification.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::canonical;
use crate::id::{EntryHash, Kind, RecordId};
use crate::keys::{PublicKey, SecretKey, Signature};
use crate::log::{ChainFault, ChainVerifier, Entry, EntryHeader, RawEntry};
use crate::record::{Record, SignedRecord, Timestamp};

fn record(author: &SecretKey, community: &SecretKey, body: Value) -> Record {
    Record {
        kind: Kind::parse("test.note").expect("valid kind"),
        community: community.public_key().community_id(),
        author: author.public_key(),
        ts: Timestamp(1_700_000_000_000),
        body,
        refs: Vec::new(),
    }
}

#[track_caller]
fn check_canonical(value: Value, expect: &str) {
    let bytes = canonical::to_vec(&value).expect("canonical");
    assert_eq!(String::from_utf8(bytes).expect("utf-8"), expect);
}

#[test]
fn canonical_sorts_keys_and_escapes() {
    check_canonical(
        json!({"b": 1, "a": [true, null, "x\"\n\u{1}é"]}),
        r#"{"a":[true,null,"x\"\n\u0001é"],"b":1}"#,
    );
    check_canonical(json!({}), "{}");
    check_canonical(json!(-9007199254740991i64), "-9007199254740991");
}

#[test]
fn canonical_rejects_floats_and_non_ascii_keys() {
    assert!(canonical::to_vec(&json!(1.5)).is_err());
    assert!(canonical::to_vec(&json!(9007199254740992i64)).is_err());
    assert!(canonical::to_vec(&json!({"é": 1})).is_err());
}

#[test]
fn tampered_record_fails_verification() {
    let author = SecretKey::generate();
    let community = SecretKey::generate();
    let signed = SignedRecord::sign(record(&author, &community, json!({"text": "hi"})), &author)
        .expect("sign");
    let mut wire = signed.to_wire();
    wire["record"]["body"]["text"] = json!("hello");
    assert!(SignedRecord::from_wire(&wire).is_err());
    assert_eq!(
        SignedRecord::from_wire(&signed.to_wire()).expect("valid"),
        signed
    );
}

fn chain(community: &SecretKey, author: &SecretKey, n: usize) -> Vec<Entry> {
    let mut prev = EntryHash::GENESIS;
    (0..n)
        .map(|seq| {
            let signed = SignedRecord::sign(record(author, community, json!({"n": seq})), author)
                .expect("sign");
            let entry = Entry::seal(seq as u64, prev, Timestamp(seq as i64), signed, community);
            prev = entry.hash();
            entry
        })
        .collect()
}

fn raw(entry: &Entry) -> RawEntry {
    RawEntry {
        header: *entry.header(),
        record: entry.record().record().clone(),
        record_signature: *entry.record().signature(),
        signature: *entry.signature(),
    }
}

#[test]
fn header_encoding_is_the_canonical_json_of_its_fields() {
    let header = EntryHeader {
        community: SecretKey::generate().public_key().community_id(),
        seq: 42,
        prev: EntryHash::from_bytes([3; 32]),
        record: RecordId::from_bytes([9; 32]),
        ts: Timestamp(-5),
    };
    let general = canonical::to_vec(&json!({
        "v": crate::log::ENTRY_VERSION,
        "community": header.community.to_hex(),
        "seq": header.seq,
        "prev": header.prev.to_hex(),
        "record": header.record.to_hex(),
        "ts": header.ts.0,
    }))
    .expect("encodes");
    assert_eq!(
        String::from_utf8(header.encode()).expect("utf-8"),
        String::from_utf8(general).expect("utf-8")
    );
}

#[test]
fn sealing_a_batch_equals_sealing_one_by_one() {
    let community = SecretKey::generate();
    let author = SecretKey::generate();
    let records: Vec<SignedRecord> = (0..300)
        .map(|n| {
            SignedRecord::sign(record(&author, &community, json!({ "n": n })), &author)
                .expect("sign")
        })
        .collect();
    let mut prev = EntryHash::GENESIS;
    let one_by_one: Vec<Entry> = records
        .iter()
        .enumerate()
        .map(|(seq, signed)| {
            let entry = Entry::seal(seq as u64, prev, Timestamp(7), signed.clone(), &community);
            prev = entry.hash();
            entry
        })
        .collect();
    let batch = Entry::seal_all(0, EntryHash::GENESIS, Timestamp(7), records, &community);
    // Ed25519 signatures are deterministic, so the two must agree byte for byte.
    let parts = |entries: &[Entry]| {
        entries
            .iter()
            .map(|e| (e.hash(), e.signature().to_hex()))
            .collect::<Vec<_>>()
    };
    assert_eq!(parts(&batch), parts(&one_by_one));
}

#[test]
fn chain_names_first_bad_entry() {
    let community = SecretKey::generate();
    let author = SecretKey::generate();
    let entries = chain(&community, &author, 5);
    let mut verifier = ChainVerifier::new(community.public_key());
    for entry in &entries {
        verifier
            .check(raw(entry), Some(entry.hash()))
            .expect("valid chain");
    }

    let mut verifier = ChainVerifier::new(community.public_key());
    let mut tampered: Vec<RawEntry> = entries.iter().map(raw).collect();
    tampered[3].record.body = json!({"n": 99});
    for entry in &tampered[..3] {
        verifier
            .check(entry.clone(), None)
            .expect("prefix is valid");
    }
    let error = verifier
        .check(tampered[3].clone(), None)
        .expect_err("tampered");
    assert_eq!(error.seq, 3);
    assert!(matches!(error.reason, ChainFault::Record(_)), "{error}");

    let mut verifier = ChainVerifier::new(community.public_key());
    verifier.check(raw(&entries[0]), None).expect("first");
    let error = verifier.check(raw(&entries[2]), None).expect_err("gap");
    assert!(matches!(
        error.reason,
        ChainFault::Gap {
            expected: 1,
            found: 2
        }
    ));
}

/// One way a run of entries from a peer can be wrong.
#[derive(Debug, Clone, Copy)]
enum Tamper {
    Nothing,
    CommunitySignature,
    AuthorSignature,
    Body,
    Unencodable,
    Seq,
    Prev,
    RecordId,
    Community,
    Dropped,
    Swapped,
}

const TAMPERS: [Tamper; 11] = [
    Tamper::Nothing,
    Tamper::CommunitySignature,
    Tamper::AuthorSignature,
    Tamper::Body,
    Tamper::Unencodable,
    Tamper::Seq,
    Tamper::Prev,
    Tamper::RecordId,
    Tamper::Community,
    Tamper::Dropped,
    Tamper::Swapped,
];

fn tamper(raws: &mut Vec<RawEntry>, idx: usize, how: Tamper) {
    let flip = |signature: &Signature| {
        let mut bytes = *signature.as_bytes();
        bytes[idx % 64] ^= 0x40;
        Signature::from_bytes(bytes)
    };
    let last = raws.len() - 1;
    let raw = &mut raws[idx];
    match how {
        Tamper::Nothing => {}
        Tamper::CommunitySignature => raw.signature = flip(&raw.signature),
        Tamper::AuthorSignature => raw.record_signature = flip(&raw.record_signature),
        Tamper::Body => raw.record.body = json!({"n": "changed"}),
        Tamper::Unencodable => raw.record.body = json!({"n": 1.5}),
        Tamper::Seq => raw.header.seq += 1,
        Tamper::Prev => raw.header.prev = EntryHash::from_bytes([7; 32]),
        Tamper::RecordId => raw.header.record = RecordId::from_bytes([7; 32]),
        Tamper::Community => {
            raw.header.community = SecretKey::generate().public_key().community_id();
        }
        Tamper::Dropped => {
            raws.remove(idx);
        }
        Tamper::Swapped => raws.swap(idx, (idx + 1).min(last)),
    }
}

/// Checks `raws` in one batch and one by one, from `from` on, and expects
/// the same entries or the same first error.
#[track_caller]
fn check_batched(community: &SecretKey, entries: &[Entry], from: usize, raws: Vec<RawEntry>) {
    let resume = || match from.checked_sub(1) {
        Some(before) => {
            ChainVerifier::resume(community.public_key(), from as u64, entries[before].hash())
        }
        None => ChainVerifier::new(community.public_key()),
    };
    let mut verifier = resume();
    let one_by_one: Result<Vec<Entry>, _> = raws
        .clone()
        .into_iter()
        .map(|raw| verifier.check(raw, None))
        .collect();
    let mut batched = resume();
    assert_eq!(batched.check_all(raws), one_by_one);
    if one_by_one.is_ok() {
        assert_eq!(batched.next_seq(), verifier.next_seq());
    }
}

#[test]
fn a_long_run_checked_at_once_names_the_first_bad_signature() {
    let community = SecretKey::generate();
    let author = SecretKey::generate();
    let entries = chain(&community, &author, 300);
    let raws = || entries.iter().map(raw).collect::<Vec<_>>();
    check_batched(&community, &entries, 0, raws());
    for (idx, how) in [
        (250, Tamper::AuthorSignature),
        (140, Tamper::CommunitySignature),
        (299, Tamper::Body),
    ] {
        let mut tampered = raws();
        tamper(&mut tampered, idx, how);
        if idx + 1 < tampered.len() {
            // A later fault of another kind does not hide the first one.
            tamper(&mut tampered, idx + 1, Tamper::Prev);
        }
        check_batched(&community, &entries, 0, tampered);
    }
}

proptest! {
    #[test]
    fn checking_a_run_at_once_equals_checking_it_entry_by_entry(
        n in 1usize..24,
        from in 0usize..3,
        at in 0usize..24,
        how in 0usize..TAMPERS.len(),
    ) {
        let community = SecretKey::generate();
        let author = SecretKey::generate();
        let entries = chain(&community, &author, n + from);
        let mut raws: Vec<RawEntry> = entries[from..].iter().map(raw).collect();
        tamper(&mut raws, at % n, TAMPERS[how]);
        prop_assume!(!raws.is_empty());
        check_batched(&community, &entries, from, raws);
    }

    #[test]
    fn record_wire_roundtrip(text in ".{0,64}", number in -1_000_000i64..1_000_000, tags in proptest::collection::vec("[a-z]{1,8}", 0..5)) {
        let author = SecretKey::generate();
        let community = SecretKey::generate();
        let signed = SignedRecord::sign(record(&author, &community, json!({"text": text, "n": number, "tags": tags})), &author).expect("sign");
        let wire = serde_json::to_string(&signed.to_wire()).expect("json");
        let parsed: Value = serde_json::from_str(&wire).expect("parse");
        let back = SignedRecord::from_wire(&parsed).expect("verify");
        prop_assert_eq!(back.id(), signed.id());
        prop_assert_eq!(back.encoded(), signed.encoded());
    }

    #[test]
    fn typed_decoding_equals_the_value_path(text in ".{0,64}", number in -1_000_000i64..1_000_000, tags in proptest::collection::vec("[a-z]{1,8}", 0..5), refs in 0usize..3) {
        let author = SecretKey::generate();
        let community = SecretKey::generate();
        let mut content = record(&author, &community, json!({"text": text, "n": number, "tags": tags, "nested": {"b": [null, true]}}));
        content.refs = (0..refs).map(|idx| RecordId::from_bytes([idx as u8; 32])).collect();
        let signed = SignedRecord::sign(content, &author).expect("sign");
        let value: Value = serde_json::from_slice(signed.encoded()).expect("json");
        let by_value = Record::from_json(&value).expect("value path");
        let typed = Record::from_slice(signed.encoded()).expect("typed path");
        prop_assert_eq!(&typed, &by_value);
        prop_assert_eq!(&typed, signed.record());
    }

    #[test]
    fn any_single_byte_flip_in_a_body_is_detected(idx in 0usize..4, flip in 1u8..=255) {
        let community = SecretKey::generate();
        let author = SecretKey::generate();
        let entries = chain(&community, &author, 4);
        let mut verifier = ChainVerifier::new(community.public_key());
        let mut raws: Vec<RawEntry> = entries.iter().map(raw).collect();
        let mut bytes = raws[idx].signature.as_bytes().to_owned();
        bytes[(flip as usize) % 64] ^= flip;
        raws[idx].signature = Signature::from_bytes(bytes);
        let mut failed_at = None;
        for entry in raws {
            if let Err(error) = verifier.check(entry, None) {
                failed_at = Some(error.seq);
                break;
            }
        }
        prop_assert_eq!(failed_at, Some(idx as u64));
    }
}

#[test]
fn typed_decoding_refuses_what_is_not_a_record() {
    let author = SecretKey::generate();
    let community = SecretKey::generate();
    let signed = SignedRecord::sign(record(&author, &community, json!({})), &author).expect("sign");
    let text = std::str::from_utf8(signed.encoded()).expect("utf-8");
    // Without a body or refs it is still the same record.
    let bare = text
        .replace(r#""body":{},"#, "")
        .replace(r#","refs":[]"#, "");
    assert_eq!(
        Record::from_slice(bare.as_bytes()).expect("bare"),
        *signed.record()
    );
    let bad = [
        text.replace(r#""v":1"#, r#""v":2"#),
        text.replace(r#""v":1"#, r#""v":1,"extra":0"#),
        text.replace(r#""kind":"test.note""#, r#""kind":"Note""#),
        text.replace(r#""refs":[]"#, r#""refs":["zz"]"#),
        text.replace(r#""refs":[]"#, r#""refs":null"#),
        text.replace(r#""ts":1700000000000"#, r#""ts":1.5"#),
        text.replace(r#""author":""#, r#""author":"A"#),
        "[]".to_owned(),
        "{".to_owned(),
    ];
    for text in bad {
        assert!(Record::from_slice(text.as_bytes()).is_err(), "{text}");
        let by_value = serde_json::from_str::<Value>(&text)
            .ok()
            .map(|value| Record::from_json(&value));
        assert!(!matches!(by_value, Some(Ok(_))), "{text}");
    }
}

/// Any JSON value, floats, huge integers, escapes and non-ASCII keys included.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-10_000i64..10_000).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        proptest::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('é'),
                (0u8..0x20).prop_map(char::from)
            ],
            0..6
        )
        .prop_map(|chars| Value::String(chars.into_iter().collect())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z_\"é]{0,5}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn record_encoding_equals_the_general_encoder(body in any_json(), ts in prop_oneof![any::<i64>(), -100i64..100], refs in 0usize..3) {
        let author = SecretKey::from_bytes(&[1; 32]);
        let community = SecretKey::from_bytes(&[2; 32]);
        let mut content = record(&author, &community, body);
        content.ts = Timestamp(ts);
        content.refs = (0..refs).map(|idx| RecordId::from_bytes([idx as u8; 32])).collect();
        let general = canonical::to_vec(&json!({
            "v": 1,
            "kind": content.kind.as_str(),
            "community": content.community.to_hex(),
            "author": content.author.to_hex(),
            "ts": content.ts.0,
            "body": content.body,
            "refs": content.refs.iter().map(RecordId::to_hex).collect::<Vec<_>>(),
        }));
        match (content.encode(), general) {
            (Ok(direct), Ok(general)) => prop_assert_eq!(direct, general),
            (Err(crate::record::RecordError::NotCanonical(direct)), Err(general)) => {
                prop_assert_eq!(direct, general)
            }
            (direct, general) => prop_assert!(false, "{direct:?} but {general:?}"),
        }
    }
}

#[test]
fn deep_bodies_are_refused_at_the_same_depth() {
    let author = SecretKey::from_bytes(&[1; 32]);
    let community = SecretKey::from_bytes(&[2; 32]);
    for depth in 28..34 {
        let mut body = json!(1);
        for _ in 0..depth {
            body = json!([body]);
        }
        let content = record(&author, &community, body.clone());
        let general = canonical::to_vec(&json!({"body": body}));
        assert_eq!(content.encode().is_ok(), general.is_ok(), "depth {depth}");
    }
}

#[test]
fn signatures_parse_from_hex_and_reject_bad_text() {
    let hex = "0f".repeat(64);
    let signature = Signature::from_hex(&hex).expect("128 hex digits");
    assert_eq!(signature.as_bytes(), &[0x0f; 64]);
    assert_eq!(signature.to_hex(), hex);
    assert_eq!(
        Signature::from_hex(&"AB".repeat(64)).map(|s| *s.as_bytes()),
        Some([0xab; 64])
    );
    assert!(Signature::from_hex(&"0f".repeat(63)).is_none());
    assert!(Signature::from_hex(&format!("{}zz", "0f".repeat(63))).is_none());
    assert!(Signature::from_hex("").is_none());
}

#[test]
fn ids_refuse_uppercase_and_keys_accept_it() {
    let hex = "ab".repeat(32);
    assert!(hex.parse::<RecordId>().is_ok());
    assert!(hex.to_uppercase().parse::<RecordId>().is_err());
    assert!(format!("{}g", &hex[..63]).parse::<EntryHash>().is_err());
    let key: PublicKey = hex.to_uppercase().parse().expect("either case");
    assert_eq!(key.to_hex(), hex);
    assert!("ab".repeat(31).parse::<PublicKey>().is_err());
}

proptest! {
    #[test]
    fn hex_forms_match_the_hex_crate(bytes in any::<[u8; 32]>()) {
        let id = RecordId::from_bytes(bytes);
        prop_assert_eq!(id.to_hex(), hex::encode(bytes));
        prop_assert_eq!(id.to_hex().parse::<RecordId>().expect("own form"), id);
        let key = PublicKey::from_bytes(bytes);
        prop_assert_eq!(key.to_hex().parse::<PublicKey>().expect("own form"), key);
    }
}

/// The escaping `canonical::write_string` did a character at a time,
/// which its run-copying form must equal.
fn escaped_per_char(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

#[test]
fn check_refuses_what_the_encoder_refuses_deep_nesting_included() {
    let mut deep = json!(1);
    for _ in 0..canonical::MAX_DEPTH {
        deep = json!([deep]);
    }
    assert_eq!(canonical::check(&deep), Ok(()));
    let deeper = json!({ "a": deep });
    assert_eq!(
        canonical::check(&deeper),
        Err(canonical::CanonicalError::TooDeep)
    );
    assert_eq!(
        canonical::check(&deeper),
        canonical::to_vec(&deeper).map(drop)
    );
}

proptest! {
    #[test]
    fn check_agrees_with_the_encoder(value in any_json()) {
        prop_assert_eq!(canonical::check(&value), canonical::to_vec(&value).map(drop));
    }

    #[test]
    fn strings_escape_as_they_did_per_character(
        text in "(\\PC|[\u{0}-\u{1f}\"\\\\\u{7f}é€😀]){0,40}"
    ) {
        let bytes = canonical::to_vec(&Value::String(text.clone())).expect("a string encodes");
        prop_assert_eq!(String::from_utf8(bytes).expect("utf-8"), escaped_per_char(&text));
    }
}
