//! The intel API and the TAXII 2.1 server over HTTP: publish, feed filters,
//! indicator history, and every TAXII endpoint with its media types,
//! headers, paging, filters and errors.

use reqwest::{Client, Method, StatusCode, header};
use serde_json::{Value, json};

use super::{PASSWORD, TestApp, check_problem};
use commons_test_support::backends;

const TAXII: &str = "application/taxii+json;version=2.1";

fn indicator(n: u32, pattern: &str, labels: &[&str]) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "labels": labels,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z"
    })
}

fn ip(n: u32) -> Value {
    indicator(
        n,
        &format!("[ipv4-addr:value = '10.1.{}.{}']", n / 256, n % 256),
        &["c2"],
    )
}

#[tokio::test]
async fn api_publish_feed_and_indicator_history() {
    for backend in backends() {
        let app = TestApp::spawn_full(backend).await;
        let alice = app.token("alice", &["write"]).await;
        let response = app
            .call(
                &alice,
                Method::POST,
                "/api/v1/communities/security/join",
                None,
            )
            .await;
        assert!(response.status().is_success());
        let bundle = json!({
            "type": "bundle",
            "id": "bundle--11111111-1111-4111-8111-111111111111",
            "objects": [
                ip(1),
                ip(2),
                indicator(3, "[domain-name:value = 'evil.example']", &["phishing"]),
                {
                    "type": "malware", "spec_version": "2.1",
                    "id": "malware--22222222-2222-4222-8222-222222222222",
                    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                    "name": "Evil", "is_family": true
                },
                {
                    "type": "relationship", "spec_version": "2.1",
                    "id": "relationship--33333333-3333-4333-8333-333333333333",
                    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                    "relationship_type": "indicates",
                    "source_ref": "indicator--00000000-0000-4000-8000-000000000001",
                    "target_ref": "malware--22222222-2222-4222-8222-222222222222"
                }
            ]
        });
        let path = "/api/v1/communities/security/intel/objects";
        let response = app.call(&alice, Method::POST, path, Some(bundle)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["added"], 5);

        // Invalid STIX: every finding, nothing written.
        let mut broken = ip(9);
        broken["pattern"] = json!("[ipv4-addr:value = ");
        broken["valid_from"] = json!("soon");
        let response = app
            .call(
                &alice,
                Method::POST,
                path,
                Some(json!({ "objects": [ip(8), broken] })),
            )
            .await;
        let problem = check_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let findings = problem["findings"].to_string();
        assert!(findings.contains("/objects/1/pattern"), "{findings}");
        assert!(findings.contains("/objects/1/valid_from"), "{findings}");
        let response = app
            .call(&alice, Method::POST, path, Some(json!({ "nothing": true })))
            .await;
        check_problem(response, StatusCode::BAD_REQUEST).await;

        // The feed and its filters.
        let feed = |query: &'static str| {
            let app = &app;
            async move {
                let body: Value = reqwest::get(app.url(&format!("{path}?{query}")))
                    .await
                    .expect("feed")
                    .json()
                    .await
                    .expect("feed json");
                body["items"].as_array().expect("items").len()
            }
        };
        assert_eq!(feed("").await, 5);
        assert_eq!(feed("type=indicator").await, 3);
        assert_eq!(feed("type=indicator,malware").await, 4);
        assert_eq!(feed("label=c2").await, 2);
        assert_eq!(feed("source=alice").await, 5);
        assert_eq!(feed("source=root").await, 0);
        // A member's IP indicators decay with a 30-day half-life, domains 90.
        assert_eq!(feed("min_confidence=20").await, 3);
        assert_eq!(feed("min_confidence=40").await, 1);
        assert_eq!(feed("min_confidence=99").await, 0);
        assert_eq!(feed("valid_before=2026-10-01T00:00:00Z").await, 0);
        assert_eq!(feed("added_after=2999-01-01T00:00:00Z").await, 0);
        let body: Value = reqwest::get(app.url(&format!("{path}?limit=2")))
            .await
            .expect("feed")
            .json()
            .await
            .expect("json");
        let next = body["next"].as_str().expect("next").to_owned();
        let body: Value = reqwest::get(app.url(&format!("{path}?limit=10&added_after={next}")))
            .await
            .expect("feed")
            .json()
            .await
            .expect("json");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(3));
        let response = reqwest::get(app.url(&format!("{path}?added_after=yesterday")))
            .await
            .expect("feed");
        check_problem(response, StatusCode::BAD_REQUEST).await;
        let response = reqwest::get(app.url(&format!("{path}?colour=red")))
            .await
            .expect("feed");
        check_problem(response, StatusCode::BAD_REQUEST).await;

        // Evidence and the indicator page's data.
        let base = "/api/v1/communities/security/intel/indicators/indicator--00000000-0000-4000-8000-000000000001";
        let response = app
            .call(
                &alice,
                Method::POST,
                &format!("{base}/sightings"),
                Some(json!({ "count": 2, "first_seen": "2026-11-02T00:00:00Z", "last_seen": "2026-11-03T00:00:00Z" })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let response = app
            .call(
                &alice,
                Method::POST,
                &format!("{base}/sightings"),
                Some(json!({ "count": 1, "first_seen": "2026-11-02T00:00:00Z", "last_seen": "2026-11-03T00:00:00Z", "src_ip": "192.0.2.1" })),
            )
            .await;
        check_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let response = app
            .call(
                &alice,
                Method::POST,
                &format!("{base}/false-positives"),
                Some(json!({ "reason": "a CDN" })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let detail: Value = reqwest::get(app.url(base))
            .await
            .expect("indicator")
            .json()
            .await
            .expect("json");
        assert_eq!(detail["sightings"], 2);
        assert_eq!(detail["false_positives"], 1);
        assert_eq!(detail["relationships"].as_array().map(Vec::len), Some(1));
        assert!(detail["history"].as_array().is_some_and(|it| it.len() >= 2));
        let response = app
            .call(
                &alice,
                Method::POST,
                &format!("{base}/revoke"),
                Some(json!({})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let detail: Value = reqwest::get(app.url(base))
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(detail["status"], "revoked");

        // Settings are for admins.
        let settings = "/api/v1/communities/security/intel/settings";
        let response = app
            .call(
                &alice,
                Method::PUT,
                settings,
                Some(json!({ "threshold": 50 })),
            )
            .await;
        check_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let root = app.token("root", &["admin"]).await;
        let response = app
            .call(
                &root,
                Method::POST,
                "/api/v1/communities/security/join",
                None,
            )
            .await;
        assert!(response.status().is_success());
        let admin = app.token("admin", &["admin"]).await;
        let response = app
            .call(
                &admin,
                Method::PUT,
                settings,
                Some(json!({ "threshold": 50, "half_life_days": { "ip": 7 } })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["half_life_days"]["ip"], 7.0);
        let response = app
            .call(
                &admin,
                Method::PUT,
                settings,
                Some(json!({ "threshold": 500 })),
            )
            .await;
        check_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

        let response = app
            .call(
                &alice,
                Method::GET,
                "/api/v1/communities/security/intel/active",
                None,
            )
            .await;
        let active: Value = response.json().await.expect("json");
        assert_eq!(active["type"], "bundle");
    }
}

fn taxii(app: &TestApp, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    Client::new()
        .request(method, app.url(path))
        .header(header::ACCEPT, TAXII)
        .bearer_auth(token)
}

async fn taxii_ok(
    request: reqwest::RequestBuilder,
    expected: StatusCode,
) -> (header::HeaderMap, Value) {
    let response = request.send().await.expect("taxii request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    assert_eq!(status, expected, "{body}");
    if !body.is_empty() {
        assert_eq!(
            headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(TAXII),
            "{body}"
        );
    }
    (headers, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn taxii_server_end_to_end() {
    for backend in backends() {
        let app = TestApp::spawn_full(backend).await;
        let alice = app.token("alice", &["write"]).await;
        let reader = app.token("bob", &["read"]).await;
        app.call(
            &alice,
            Method::POST,
            "/api/v1/communities/security/join",
            None,
        )
        .await;

        // Authentication and media types.
        let response = Client::new()
            .get(app.url("/taxii2/"))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        let response = Client::new()
            .get(app.url("/taxii2/"))
            .basic_auth("alice", Some("wrong"))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let (_, discovery) = taxii_ok(
            Client::new()
                .get(app.url("/taxii2/"))
                .header(header::ACCEPT, TAXII)
                .basic_auth("alice", Some(PASSWORD)),
            StatusCode::OK,
        )
        .await;
        assert!(
            discovery["api_roots"][0]
                .as_str()
                .is_some_and(|root| root.ends_with("/taxii2/commons/"))
        );
        let (_, _) = taxii_ok(
            Client::new()
                .get(app.url("/taxii2/commons/"))
                .header(header::ACCEPT, "application/taxii+json")
                .basic_auth("anyone", Some(&alice)),
            StatusCode::OK,
        )
        .await;
        let response = Client::new()
            .get(app.url("/taxii2/commons/"))
            .bearer_auth(&alice)
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);

        let (_, collections) = taxii_ok(
            taxii(&app, Method::GET, "/taxii2/commons/collections/", &alice),
            StatusCode::OK,
        )
        .await;
        let security = collections["collections"]
            .as_array()
            .expect("collections")
            .iter()
            .find(|it| it["alias"] == "security")
            .expect("security collection")
            .clone();
        assert_eq!(security["can_write"], true);
        let id = security["id"].as_str().expect("id").to_owned();
        let (_, collection) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                &format!("/taxii2/commons/collections/{id}/"),
                &reader,
            ),
            StatusCode::OK,
        )
        .await;
        assert_eq!(collection["can_write"], false);
        let (_, missing) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                "/taxii2/commons/collections/00000000-0000-4000-8000-000000000000/objects/",
                &alice,
            ),
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(missing["http_status"], "404");

        // Adding: media type, permission, status resource, duplicates.
        let objects_path = format!("/taxii2/commons/collections/{id}/objects/");
        let envelope = json!({ "objects": (1..=5).map(ip).collect::<Vec<_>>() });
        let response = taxii(&app, Method::POST, &objects_path, &alice)
            .header(header::CONTENT_TYPE, "application/json")
            .body(envelope.to_string())
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let (_, _) = taxii_ok(
            taxii(&app, Method::POST, &objects_path, &reader)
                .header(header::CONTENT_TYPE, TAXII)
                .body(envelope.to_string()),
            StatusCode::FORBIDDEN,
        )
        .await;
        let (_, status) = taxii_ok(
            taxii(&app, Method::POST, &objects_path, &alice)
                .header(header::CONTENT_TYPE, TAXII)
                .body(envelope.to_string()),
            StatusCode::ACCEPTED,
        )
        .await;
        assert_eq!(
            (status["status"].as_str(), status["success_count"].as_u64()),
            (Some("complete"), Some(5))
        );
        let (_, again) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                &format!(
                    "/taxii2/commons/status/{}/",
                    status["id"].as_str().expect("id")
                ),
                &alice,
            ),
            StatusCode::OK,
        )
        .await;
        assert_eq!(again, status);
        let mut broken = ip(7);
        broken["pattern"] = json!("[nope");
        let mut newer = ip(1);
        newer["modified"] = json!("2026-06-01T00:00:00.000Z");
        let (_, status) = taxii_ok(
            taxii(&app, Method::POST, &objects_path, &alice)
                .header(header::CONTENT_TYPE, TAXII)
                .body(json!({ "objects": [ip(2), broken, newer, ip(6)] }).to_string()),
            StatusCode::ACCEPTED,
        )
        .await;
        assert_eq!(status["success_count"], 2, "{status}");
        assert_eq!(status["failure_count"], 2, "{status}");
        let oversized = json!({ "objects": (0..5000).map(ip).collect::<Vec<_>>() }).to_string();
        assert!(oversized.len() > 1024 * 1024);
        let response = taxii(&app, Method::POST, &objects_path, &alice)
            .header(header::CONTENT_TYPE, TAXII)
            .body(oversized)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

        // Paging with next tokens and the date headers.
        let mut seen = Vec::new();
        let mut query = "limit=2".to_owned();
        loop {
            let (headers, page) = taxii_ok(
                taxii(
                    &app,
                    Method::GET,
                    &format!("{objects_path}?{query}"),
                    &reader,
                ),
                StatusCode::OK,
            )
            .await;
            assert!(headers.contains_key("x-taxii-date-added-first"));
            assert!(headers.contains_key("x-taxii-date-added-last"));
            for object in page["objects"].as_array().expect("objects") {
                seen.push(object["id"].as_str().expect("id").to_owned());
            }
            if page["more"] != true {
                break;
            }
            query = format!("limit=2&next={}", page["next"].as_str().expect("next"));
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
        let count = |page: &Value| page["objects"].as_array().map_or(0, Vec::len);
        let (_, page) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                &format!("{objects_path}?match[version]=all"),
                &reader,
            ),
            StatusCode::OK,
        )
        .await;
        assert_eq!(count(&page), 7);
        let (_, page) = taxii_ok(
            taxii(&app, Method::GET, &format!("{objects_path}?match[version]=first&match[id]=indicator--00000000-0000-4000-8000-000000000001"), &reader),
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["objects"][0]["modified"], "2026-01-01T00:00:00.000Z");
        let (_, page) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                &format!("{objects_path}?match[type]=malware"),
                &reader,
            ),
            StatusCode::OK,
        )
        .await;
        assert_eq!(count(&page), 0);
        let (_, page) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                &format!("{objects_path}?match[spec_version]=2.1&added_after=2000-01-01T00:00:00Z"),
                &reader,
            ),
            StatusCode::OK,
        )
        .await;
        assert_eq!(count(&page), 6);
        let (_, manifest) = taxii_ok(
            taxii(
                &app,
                Method::GET,
                &format!("/taxii2/commons/collections/{id}/manifest/"),
                &reader,
            ),
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            manifest["objects"][0]["media_type"],
            "application/stix+json;version=2.1"
        );
        for bad in [
            "limit=0",
            "limit=x",
            "next=abc",
            "added_after=now",
            "match[colour]=red",
        ] {
            let (_, error) = taxii_ok(
                taxii(&app, Method::GET, &format!("{objects_path}?{bad}"), &reader),
                StatusCode::BAD_REQUEST,
            )
            .await;
            assert!(error["title"].is_string(), "{bad}");
        }

        // One object, its versions, deletion.
        let one = format!("{objects_path}indicator--00000000-0000-4000-8000-000000000001/");
        let (_, page) = taxii_ok(taxii(&app, Method::GET, &one, &reader), StatusCode::OK).await;
        assert_eq!(page["objects"][0]["modified"], "2026-06-01T00:00:00.000Z");
        let (_, versions) = taxii_ok(
            taxii(&app, Method::GET, &format!("{one}versions/"), &reader),
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            versions["versions"],
            json!(["2026-01-01T00:00:00.000Z", "2026-06-01T00:00:00.000Z"])
        );
        taxii_ok(
            taxii(
                &app,
                Method::DELETE,
                &format!("{one}?match[version]=2026-06-01T00:00:00.000Z"),
                &alice,
            ),
            StatusCode::OK,
        )
        .await;
        let (_, page) = taxii_ok(taxii(&app, Method::GET, &one, &reader), StatusCode::OK).await;
        assert_eq!(page["objects"][0]["modified"], "2026-01-01T00:00:00.000Z");
        taxii_ok(
            taxii(&app, Method::DELETE, &one, &reader),
            StatusCode::FORBIDDEN,
        )
        .await;
        taxii_ok(taxii(&app, Method::DELETE, &one, &alice), StatusCode::OK).await;
        taxii_ok(
            taxii(&app, Method::GET, &one, &reader),
            StatusCode::NOT_FOUND,
        )
        .await;
        taxii_ok(
            taxii(&app, Method::GET, &format!("{one}versions/"), &reader),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

#[tokio::test]
async fn intel_pages_publish_browse_and_show_an_indicator() {
    let app = TestApp::spawn_full(commons_test_support::TestBackend::Sqlite).await;
    let browser = app.login("alice").await;
    let response = browser
        .post(&app, "/api/v1/communities/security/join")
        .send()
        .await
        .expect("join");
    assert!(response.status().is_success());
    let feed = app.url("/c/security/intel");
    let page = browser.client.get(&feed).send().await.expect("feed");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains("Intel feed"));

    let mut broken = ip(2);
    broken["pattern"] = json!("[ipv4-addr:value = ");
    let response = browser
        .client
        .post(app.url("/c/security/intel/publish"))
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("bundle", &json!([broken]).to_string()),
        ])
        .send()
        .await
        .expect("publish");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("/objects/0/pattern")
    );
    let response = browser
        .client
        .post(app.url("/c/security/intel/publish"))
        .form(&[("csrf", browser.csrf.as_str()), ("bundle", "{ nope")])
        .send()
        .await
        .expect("publish");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let mut named = ip(1);
    named["name"] = json!("Botnet controller");
    let response = browser
        .client
        .post(app.url("/c/security/intel/publish"))
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("bundle", &json!({ "objects": [named] }).to_string()),
        ])
        .send()
        .await
        .expect("publish");
    assert_eq!(response.status(), StatusCode::OK, "redirected to the feed");
    let html = response.text().await.expect("html");
    assert!(html.contains("Botnet controller"), "{html}");
    let filtered = browser
        .client
        .get(format!(
            "{feed}?type=malware&label=&min_confidence=&source="
        ))
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("html");
    assert!(!filtered.contains("Botnet controller"));
    let response = browser
        .client
        .get(format!("{feed}?min_confidence=500"))
        .send()
        .await
        .expect("feed");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let indicator = browser
        .client
        .get(
            app.url("/c/security/intel/indicators/indicator--00000000-0000-4000-8000-000000000001"),
        )
        .send()
        .await
        .expect("indicator");
    assert_eq!(indicator.status(), StatusCode::OK);
    let html = indicator.text().await.expect("html");
    assert!(
        html.contains("Confidence over time") && html.contains("10.1.0.1"),
        "{html}"
    );
    let missing = browser
        .client
        .get(
            app.url("/c/security/intel/indicators/indicator--00000000-0000-4000-8000-000000000099"),
        )
        .send()
        .await
        .expect("indicator");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

fn saved_run(id: &str, user: &str, value: &str) -> commons_node::scans::ScanRun {
    use commons_node::scans::{ScanRun, ScanRunAlert, ScanRunInput};
    ScanRun {
        id: id.to_owned(),
        ts_ms: 1_790_000_000_000,
        user: user.to_owned(),
        communities: vec!["security".into()],
        indicator_files: vec!["local.json".into()],
        inputs: vec![ScanRunInput {
            path: "flows.csv".into(),
            format: Some("flow-csv".into()),
            records: 12,
            skipped: 2,
            error: None,
        }],
        alerts: vec![ScanRunAlert {
            indicator: "indicator--00000000-0000-4000-8000-000000000001".into(),
            name: Some("Botnet controller".into()),
            community: Some("security".into()),
            observable: "dst_ip".into(),
            value: value.to_owned(),
            flow: format!("tcp 192.168.1.5:50000 → {value}:443"),
            first_seen: "2026-11-02T00:00:00Z".into(),
            last_seen: "2026-11-02T00:01:00Z".into(),
            count: 3,
            confidence: 63,
            threat_score: 57,
        }],
        alerts_total: 1,
    }
}

#[tokio::test]
async fn scan_results_page_lists_runs_and_their_alerts() {
    let app = TestApp::spawn_full(commons_test_support::TestBackend::Sqlite).await;
    let data_dir = app.dir.path().join("node");

    // Signed out: to the login page.
    let response = Client::new()
        .get(app.url("/intel/scans"))
        .send()
        .await
        .expect("scans");
    assert_eq!(response.url().path(), "/login");

    let alice = app.login("alice").await;
    let html = alice
        .client
        .get(app.url("/intel/scans"))
        .send()
        .await
        .expect("scans")
        .text()
        .await
        .expect("html");
    assert!(html.contains("No saved scan runs yet"), "{html}");

    commons_node::scans::save(
        &data_dir,
        saved_run("00000000000000a1", "alice", "10.1.0.1"),
    )
    .expect("save alice's run");
    commons_node::scans::save(&data_dir, saved_run("00000000000000b2", "root", "10.1.0.2"))
        .expect("save root's run");

    let list = alice
        .client
        .get(app.url("/intel/scans"))
        .send()
        .await
        .expect("scans");
    assert_eq!(list.status(), StatusCode::OK);
    let html = list.text().await.expect("html");
    assert!(html.contains("/intel/scans/00000000000000a1"), "{html}");
    assert!(
        !html.contains("00000000000000b2"),
        "another member's run is not listed"
    );
    assert!(html.contains("flows.csv") && html.contains("security, local.json"));

    let run = alice
        .client
        .get(app.url("/intel/scans/00000000000000a1"))
        .send()
        .await
        .expect("run");
    assert_eq!(run.status(), StatusCode::OK);
    let html = run.text().await.expect("html");
    for expected in [
        "/c/security/intel/indicators/indicator--00000000-0000-4000-8000-000000000001",
        "Botnet controller",
        "10.1.0.1",
        "192.168.1.5:50000",
        "Threat score",
        ">57<",
        ">63<",
        "12 records read, 2 skipped",
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }

    // Swedish.
    let html = alice
        .client
        .get(app.url("/intel/scans/00000000000000a1"))
        .header(header::ACCEPT_LANGUAGE, "sv")
        .send()
        .await
        .expect("run")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Hotpoäng") && html.contains("Matchat värde"),
        "{html}"
    );

    // Another member's run, an unknown run and a hostile id are not found.
    for path in [
        "/intel/scans/00000000000000b2",
        "/intel/scans/00000000000000c3",
        "/intel/scans/..%2F..%2Fetc",
    ] {
        let response = alice.client.get(app.url(path)).send().await.expect("run");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // Administrators see every run.
    let root = app.login("root").await;
    let html = root
        .client
        .get(app.url("/intel/scans"))
        .send()
        .await
        .expect("scans")
        .text()
        .await
        .expect("html");
    assert!(html.contains("00000000000000a1") && html.contains("00000000000000b2"));
}
