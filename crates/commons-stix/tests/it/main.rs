//! The crate as its callers use it: a feed bundle read, validated and
//! written back, its indicators compiled into a matcher, observed data
//! evaluated with detail, and indicators scored.

use serde_json::{Value, json};

use commons_stix::confidence::{ConfidenceModel, IndicatorFacts, IndicatorKind, Status};
use commons_stix::matcher::MatcherBuilder;
use commons_stix::model::Tlp;
use commons_stix::{
    Bundle, Severity, StixError, StixObject, evaluate, observations_from_json, parse_pattern,
    validate,
};

fn feed() -> Value {
    json!({
        "type": "bundle",
        "id": "bundle--44af6c39-c09b-49c5-9de2-394224b04982",
        "objects": [
            Tlp::Amber.to_json(),
            {
                "type": "identity", "spec_version": "2.1",
                "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                "created": "2017-04-14T13:07:49.812Z", "modified": "2017-04-14T13:07:49.812Z",
                "name": "Example CERT", "identity_class": "organization", "sectors": ["technology"]
            },
            {
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
                "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                "created": "2017-04-14T13:07:49.812Z", "modified": "2017-04-14T13:07:49.812Z",
                "name": "C2 server", "indicator_types": ["malicious-activity"],
                "pattern": "[ipv4-addr:value = '198.51.100.3' OR ipv4-addr:value ISSUBSET '203.0.113.0/24']",
                "pattern_type": "stix", "pattern_version": "2.1",
                "valid_from": "2017-04-14T13:07:49.812Z",
                "confidence": 70,
                "object_marking_refs": [Tlp::Amber.id()],
                "x_example_feed_score": 7
            },
            {
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--c2b1b4e4-5f0a-4f55-9c7a-3a4c2e9f4d11",
                "created": "2017-04-14T13:07:49.812Z", "modified": "2017-04-14T13:07:49.812Z",
                "pattern": "[domain-name:value = 'evil.example.net'] FOLLOWEDBY [url:value = 'http://evil.example.net/stage2'] WITHIN 600 SECONDS",
                "pattern_type": "stix",
                "valid_from": "2017-04-14T13:07:49.812Z"
            },
            {
                "type": "malware", "spec_version": "2.1",
                "id": "malware--fdd60b30-b67c-41e3-b0b9-f01faf20d111",
                "created": "2017-04-14T13:07:49.812Z", "modified": "2017-04-14T13:07:49.812Z",
                "name": "Poison Ivy", "is_family": true, "malware_types": ["remote-access-trojan"]
            },
            {
                "type": "relationship", "spec_version": "2.1",
                "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
                "created": "2017-04-14T13:07:49.812Z", "modified": "2017-04-14T13:07:49.812Z",
                "relationship_type": "indicates",
                "source_ref": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
                "target_ref": "malware--fdd60b30-b67c-41e3-b0b9-f01faf20d111"
            },
            {
                "type": "sighting", "spec_version": "2.1",
                "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
                "created": "2017-04-15T13:07:49.812Z", "modified": "2017-04-15T13:07:49.812Z",
                "sighting_of_ref": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
                "count": 2,
                "where_sighted_refs": ["identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"]
            },
            {
                "type": "opinion", "spec_version": "2.1",
                "id": "opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7",
                "created": "2017-04-16T13:07:49.812Z", "modified": "2017-04-16T13:07:49.812Z",
                "opinion": "strongly-disagree", "explanation": "This address is our own proxy.",
                "object_refs": ["indicator--a932fcc6-e032-476c-826f-cb970a5a1ade"]
            }
        ]
    })
}

fn traffic() -> Value {
    json!({
        "type": "bundle",
        "id": "bundle--7e9b4a6e-3b3a-4f4b-8f59-2f5c1b1d6f10",
        "objects": [
            {
                "type": "observed-data", "spec_version": "2.1",
                "id": "observed-data--6a1f4b2e-2e0b-4bd4-8d8a-c3a1a8e2b0f1",
                "created": "2017-05-01T10:00:00.000Z", "modified": "2017-05-01T10:00:00.000Z",
                "first_observed": "2017-05-01T10:00:00Z", "last_observed": "2017-05-01T10:00:05Z",
                "number_observed": 1,
                "object_refs": ["domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"]
            },
            {
                "type": "observed-data", "spec_version": "2.1",
                "id": "observed-data--0e5c9a51-5d0f-4a68-9d51-7a1f3f0d9b22",
                "created": "2017-05-01T10:03:00.000Z", "modified": "2017-05-01T10:03:00.000Z",
                "first_observed": "2017-05-01T10:03:00Z", "last_observed": "2017-05-01T10:03:00Z",
                "number_observed": 3,
                "object_refs": [
                    "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d",
                    "url--c1477287-23ac-5971-a010-5c287877fa60",
                    "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
                ]
            },
            {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", "value": "evil.example.net"},
            {"type": "url", "spec_version": "2.1", "id": "url--c1477287-23ac-5971-a010-5c287877fa60", "value": "http://evil.example.net/stage2"},
            {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "203.0.113.77"},
            {
                "type": "network-traffic", "spec_version": "2.1",
                "id": "network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d",
                "dst_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "dst_port": 80, "protocols": ["ipv4", "tcp", "http"]
            }
        ]
    })
}

#[test]
fn a_feed_bundle_reads_validates_and_writes_back() {
    let text = feed().to_string();
    assert_eq!(validate(&feed()), []);
    let bundle = Bundle::from_json(&text).expect("valid feed");
    assert_eq!(bundle.objects.len(), 8);
    assert_eq!(
        bundle
            .objects
            .iter()
            .map(StixObject::object_type)
            .collect::<Vec<_>>(),
        [
            "marking-definition",
            "identity",
            "indicator",
            "indicator",
            "malware",
            "relationship",
            "sighting",
            "opinion"
        ]
    );
    let written: Value = serde_json::from_str(&bundle.to_json()).expect("JSON");
    assert_eq!(written, feed());
    assert_eq!(written["objects"][2]["x_example_feed_score"], 7);
}

#[test]
fn an_invalid_feed_lists_every_problem() {
    let mut broken = feed();
    broken["objects"][2]["pattern"] = json!("[ipv4-addr:value = '198.51.100.3'");
    broken["objects"][2]["valid_until"] = json!("2016-01-01T00:00:00Z");
    broken["objects"][4]["is_family"] = json!("yes");
    broken["objects"][5]["source_ref"] = json!("sighting--ee20065d-2555-424f-ad9e-0f8428623c75");
    broken["objects"][7]["opinion"] = json!("meh");
    let findings = validate(&broken);
    let lines: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "error at /objects/2/valid_until [time-order]: valid_until must be after valid_from",
            "error at /objects/2/pattern [pattern-syntax]: at byte 33: expected ']' or a comparison operator (AND, OR), found end of input",
            "error at /objects/4/is_family [type]: expected true or false",
            "error at /objects/5/source_ref [reference-type]: sighting--ee20065d-2555-424f-ad9e-0f8428623c75 must refer to a domain object or cyber-observable",
            "error at /objects/7/opinion [enum]: 'meh' is not one of strongly-disagree, disagree, neutral, agree, strongly-agree",
        ]
    );
    assert!(findings.iter().all(|it| it.severity == Severity::Error));
    let Err(StixError::Invalid(refused)) = Bundle::from_value(broken) else {
        panic!("refused");
    };
    assert_eq!(refused, findings);
    let json = serde_json::to_value(&refused[0]).expect("serializes");
    assert_eq!(json["severity"], "error");
    assert_eq!(json["pointer"], "/objects/2/valid_until");
}

#[test]
fn evaluating_observed_data_with_detail() {
    let observations = observations_from_json(&traffic()).expect("observations");
    assert_eq!(observations.len(), 2);
    let staged = parse_pattern(
        "[domain-name:value = 'evil.example.net'] FOLLOWEDBY [url:value = 'http://evil.example.net/stage2'] WITHIN 600 SECONDS",
    )
    .expect("valid");
    let evaluation = evaluate(&staged, &observations);
    assert!(evaluation.matched);
    let detail = serde_json::to_value(&evaluation).expect("serializes");
    assert_eq!(
        detail,
        json!({
            "matched": true,
            "exhausted": false,
            "bindings": [
                {
                    "expression": "[domain-name:value = 'evil.example.net']",
                    "observations": [{"index": 0, "id": "observed-data--6a1f4b2e-2e0b-4bd4-8d8a-c3a1a8e2b0f1", "count": 1}]
                },
                {
                    "expression": "[url:value = 'http://evil.example.net/stage2']",
                    "observations": [{"index": 1, "id": "observed-data--0e5c9a51-5d0f-4a68-9d51-7a1f3f0d9b22", "count": 1}]
                }
            ],
            "warnings": []
        })
    );
    let too_tight = parse_pattern(
        "([domain-name:value = 'evil.example.net'] FOLLOWEDBY [url:value = 'http://evil.example.net/stage2']) WITHIN 100 SECONDS",
    )
    .expect("valid");
    assert!(!evaluate(&too_tight, &observations).matched);
    // Qualifiers bind tighter than operators: without the parentheses the
    // window applies to the url observation alone.
    let unparenthesized = parse_pattern(
        "[domain-name:value = 'evil.example.net'] FOLLOWEDBY [url:value = 'http://evil.example.net/stage2'] WITHIN 100 SECONDS",
    )
    .expect("valid");
    assert!(evaluate(&unparenthesized, &observations).matched);
    let reversed = parse_pattern(
        "[url:value = 'http://evil.example.net/stage2'] FOLLOWEDBY [domain-name:value = 'evil.example.net']",
    )
    .expect("valid");
    assert!(!evaluate(&reversed, &observations).matched);
    let repeated =
        parse_pattern("[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24'] REPEATS 3 TIMES")
            .expect("valid");
    assert!(evaluate(&repeated, &observations).matched);
}

#[test]
fn feed_indicators_in_a_matcher() {
    let bundle = Bundle::from_value(feed()).expect("valid");
    let mut builder = MatcherBuilder::new();
    let mut ids = Vec::new();
    for object in &bundle.objects {
        if let StixObject::Indicator(indicator) = object
            && indicator.pattern_type == "stix"
        {
            let pattern = parse_pattern(&indicator.pattern).expect("validated");
            let id = builder.add(&pattern).expect("room for more");
            ids.push((id, indicator.common.id.to_string()));
        }
    }
    let matcher = builder.build();
    assert_eq!(matcher.len(), 2);
    assert_eq!(
        (matcher.stats().indexed, matcher.stats().multi_observation),
        (1, 1)
    );
    let observations = observations_from_json(&traffic()).expect("observations");
    let matched: Vec<&str> = matcher
        .match_observations(&observations)
        .into_iter()
        .map(|id| ids[id as usize].1.as_str())
        .collect();
    assert_eq!(
        matched,
        [
            "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
            "indicator--c2b1b4e4-5f0a-4f55-9c7a-3a4c2e9f4d11"
        ]
    );
}

#[test]
fn scoring_the_feed_indicator() {
    let bundle = Bundle::from_value(feed()).expect("valid");
    let StixObject::Indicator(indicator) = &bundle.objects[2] else {
        panic!("an indicator");
    };
    let pattern = parse_pattern(&indicator.pattern).expect("valid");
    let kind = IndicatorKind::of_pattern(&pattern);
    assert_eq!(kind, IndicatorKind::Ip);
    let model = ConfidenceModel::default();
    let facts = IndicatorFacts {
        standing: f64::from(indicator.common.confidence.unwrap_or(50)) / 100.0,
        kind,
        reference_time: indicator.valid_from.unix_seconds(),
        sightings: 2,
        false_positives: 1,
        valid_until: indicator.valid_until.map(|it| it.unix_seconds()),
        revoked: indicator.common.revoked.unwrap_or(false),
    };
    // 0.7 → 1 − 0.3 · 0.81 = 0.757 → halved by the false positive.
    let score = model.score(&facts, facts.reference_time);
    assert_eq!((score.confidence, score.status), (38, Status::Active));
    let month_later = model.score(&facts, facts.reference_time + 30 * 86_400);
    assert_eq!(
        (month_later.confidence, month_later.status),
        (24, Status::Active)
    );
}
