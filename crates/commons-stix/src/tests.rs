//! Unit tests, one module per feature, with shared fixtures here.

mod confidence;
mod evaluate;
mod matcher;
mod model;
mod pattern;
mod validate;

use serde_json::{Value, json};

/// A valid object of each supported type, keyed by type.
pub(crate) fn sample(object_type: &str) -> Value {
    let created = "2016-05-12T08:17:27.000Z";
    let sdo = |extra: Value| {
        let mut object = json!({
            "type": object_type,
            "spec_version": "2.1",
            "id": format!("{object_type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            "created": created,
            "modified": created,
        });
        merge(&mut object, extra);
        object
    };
    let sco = |extra: Value| {
        let mut object = json!({
            "type": object_type,
            "spec_version": "2.1",
            "id": format!("{object_type}--4b0bdc60-6c1a-5a5a-a3b8-8a2c4e1a2f3b"),
        });
        merge(&mut object, extra);
        object
    };
    let identity = "identity--311b2d2d-f010-4473-83ec-1edf84858f4c";
    let indicator = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    match object_type {
        "attack-pattern" => sdo(json!({"name": "Spearphishing Attachment"})),
        "campaign" => sdo(
            json!({"name": "Green Group Attacks", "first_seen": "2016-01-01T00:00:00Z", "last_seen": "2016-02-01T00:00:00Z"}),
        ),
        "identity" => sdo(json!({"name": "ACME Widget, Inc.", "identity_class": "organization"})),
        "indicator" => sdo(json!({
            "name": "Malicious site",
            "indicator_types": ["malicious-activity"],
            "pattern": "[domain-name:value = 'evil.example.com']",
            "pattern_type": "stix",
            "valid_from": "2016-01-01T00:00:00Z",
            "valid_until": "2017-01-01T00:00:00Z",
        })),
        "intrusion-set" => {
            sdo(json!({"name": "Bobcat Breakin", "primary_motivation": "organizational-gain"}))
        }
        "malware" => {
            sdo(json!({"name": "Cryptolocker", "is_family": true, "malware_types": ["ransomware"]}))
        }
        "note" => sdo(json!({"content": "Seen in our network too.", "object_refs": [indicator]})),
        "observed-data" => sdo(json!({
            "first_observed": "2015-12-21T19:00:00Z",
            "last_observed": "2015-12-21T19:00:00Z",
            "number_observed": 50,
            "object_refs": ["ipv4-addr--4b0bdc60-6c1a-5a5a-a3b8-8a2c4e1a2f3b"],
        })),
        "opinion" => sdo(
            json!({"opinion": "strongly-disagree", "explanation": "False positive", "object_refs": [indicator]}),
        ),
        "report" => sdo(
            json!({"name": "The Black Vine", "published": "2016-01-20T17:00:00.000Z", "object_refs": [indicator]}),
        ),
        "threat-actor" => {
            sdo(json!({"name": "Evil Org", "threat_actor_types": ["crime-syndicate"]}))
        }
        "relationship" => sdo(json!({
            "relationship_type": "indicates",
            "source_ref": indicator,
            "target_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
        })),
        "sighting" => sdo(json!({
            "sighting_of_ref": indicator,
            "count": 3,
            "first_seen": "2016-01-01T00:00:00Z",
            "last_seen": "2016-01-02T00:00:00Z",
            "where_sighted_refs": [identity],
        })),
        "marking-definition" => json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41d1",
            "created": created,
            "definition_type": "statement",
            "definition": {"statement": "Copyright 2016, Example Corp"},
        }),
        "ipv4-addr" => sco(json!({"value": "198.51.100.3"})),
        "ipv6-addr" => sco(json!({"value": "2001:0db8:85a3:0000:0000:8a2e:0370:7334"})),
        "domain-name" => sco(json!({"value": "example.com"})),
        "url" => sco(json!({"value": "https://example.com/research/index.html"})),
        "file" => sco(
            json!({"name": "foo.exe", "hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}}),
        ),
        "network-traffic" => sco(json!({
            "src_ref": "ipv4-addr--4b0bdc60-6c1a-5a5a-a3b8-8a2c4e1a2f3b",
            "dst_port": 443,
            "protocols": ["ipv4", "tcp", "tls"],
        })),
        "email-addr" => sco(json!({"value": "john@example.com", "display_name": "John Doe"})),
        "x509-certificate" => sco(
            json!({"issuer": "C=ZA, O=Thawte", "serial_number": "02:08:87:83:f2:13:58:1f:79:52:1e:66:90:0a:02:24:c9:6b:c7:dc"}),
        ),
        other => panic!("no sample for {other}"),
    }
}

/// Every type [`sample`] knows.
pub(crate) const SAMPLE_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "identity",
    "indicator",
    "intrusion-set",
    "malware",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "relationship",
    "sighting",
    "marking-definition",
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "file",
    "network-traffic",
    "email-addr",
    "x509-certificate",
];

/// Sets every key of `extra` on `object`; a JSON null removes the key.
pub(crate) fn merge(object: &mut Value, extra: Value) {
    let (Some(object), Value::Object(extra)) = (object.as_object_mut(), extra) else {
        panic!("merge takes two objects");
    };
    for (key, value) in extra {
        if value.is_null() {
            object.remove(&key);
        } else {
            object.insert(key, value);
        }
    }
}

/// A bundle of `objects`.
pub(crate) fn bundle(objects: Vec<Value>) -> Value {
    json!({
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": objects,
    })
}
