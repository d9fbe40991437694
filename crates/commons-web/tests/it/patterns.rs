//! The patterns API on a real server: browse, search, key, submit with
//! duplicates and findings, votes, approval and withdrawal, bad input.

use commons_fingerprint::{CommunityKey, Config, Language};
use commons_test_support::backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{TestApp, check_problem};

const QUERY: &str = "def lookup(db, request):\n    term = request.args[\"q\"]\n    cursor = db.cursor()\n    cursor.execute(\"SELECT * FROM items WHERE title LIKE '%\" + term + \"%' ORDER BY id\")\n    found = []\n    for row in cursor.fetchall():\n        found.append(row[0])\n    return found\n";

async fn json_of(response: reqwest::Response, expected: StatusCode) -> Value {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, expected, "{body}");
    serde_json::from_str(&body).expect("JSON body")
}

fn fingerprint(key: &Value) -> Value {
    let hex_key = key["key"].as_str().expect("key");
    let mut bytes = [0u8; 32];
    for (idx, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_key[idx * 2..idx * 2 + 2], 16).expect("hex");
    }
    let epoch = key["epoch"].as_u64().expect("epoch") as u32;
    let config = Config::default();
    let local = commons_fingerprint::fingerprint(Language::Python, QUERY.as_bytes(), &config)
        .expect("fingerprint");
    let (shared, _) = local
        .export(&CommunityKey::new(bytes, epoch), None, &config)
        .expect("export");
    serde_json::to_value(shared).expect("serializes")
}

#[tokio::test]
async fn patterns_browse_submit_and_review() {
    for backend in backends() {
        let app = TestApp::spawn_full(backend).await;
        let alice = app.token("alice", &["write"]).await;
        let bob = app.token("bob", &["write"]).await;
        let root = app.token("root", &["write"]).await;

        // Anyone may browse a public community's library.
        let list = json_of(
            reqwest::get(app.url("/api/v1/communities/security/patterns?state=accepted"))
                .await
                .expect("list"),
            StatusCode::OK,
        )
        .await;
        assert!(list.as_array().expect("array").len() >= 4, "{list}");
        let found = json_of(
            reqwest::get(app.url("/api/v1/communities/security/patterns?q=md5%20passwords"))
                .await
                .expect("search"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(found[0]["properties"]["category"], "weak-password-hash");
        let bad = reqwest::get(app.url("/api/v1/communities/web/patterns?state=lost"))
            .await
            .expect("bad state");
        check_problem(bad, StatusCode::BAD_REQUEST).await;

        // The key is for members only.
        let denied = app
            .call(
                &alice,
                Method::GET,
                "/api/v1/communities/web/patterns/key",
                None,
            )
            .await;
        check_problem(denied, StatusCode::FORBIDDEN).await;
        for token in [&alice, &bob] {
            let joined = app
                .call(token, Method::POST, "/api/v1/communities/web/join", None)
                .await;
            assert_eq!(joined.status(), StatusCode::OK);
        }
        let key = json_of(
            app.call(
                &alice,
                Method::GET,
                "/api/v1/communities/web/patterns/key",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let submission = json!({
            "title": "LIKE query by concatenation",
            "description": "a search term pasted into SQL",
            "language": "python",
            "properties": { "severity": "high", "category": "sql-injection", "security": "high" },
            "fingerprint": fingerprint(&key),
        });

        // Submit; the same again is a conflict.
        let unauthenticated = reqwest::Client::new()
            .post(app.url("/api/v1/communities/web/patterns"))
            .json(&submission)
            .send()
            .await
            .expect("post");
        check_problem(unauthenticated, StatusCode::UNAUTHORIZED).await;
        let created = json_of(
            app.call(
                &alice,
                Method::POST,
                "/api/v1/communities/web/patterns",
                Some(submission.clone()),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(created["state"], "submitted");
        let id = created["id"].as_str().expect("id").to_owned();
        let again = app
            .call(
                &bob,
                Method::POST,
                "/api/v1/communities/web/patterns",
                Some(submission.clone()),
            )
            .await;
        let problem = check_problem(again, StatusCode::CONFLICT).await;
        assert!(problem["detail"].as_str().expect("detail").contains(&id));
        let outsider = app
            .call(
                &root,
                Method::POST,
                "/api/v1/communities/web/patterns",
                Some(submission.clone()),
            )
            .await;
        check_problem(outsider, StatusCode::FORBIDDEN).await;

        // Every bad field is named.
        let mut invalid = submission.clone();
        invalid["title"] = json!("");
        invalid["properties"]["severity"] = json!("doom");
        invalid["fingerprint"]["keyed_with"] = json!("md5");
        invalid["similar"] = json!([]);
        let refused = app
            .call(
                &alice,
                Method::POST,
                "/api/v1/communities/web/patterns",
                Some(invalid),
            )
            .await;
        let problem = check_problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        let pointers: Vec<&str> = problem["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["pointer"].as_str())
            .collect();
        assert_eq!(
            pointers,
            [
                "/body/title",
                "/body/properties/severity",
                "/body/fingerprint/keyed_with",
                "/body/similar"
            ]
        );

        // Review.
        let path = format!("/api/v1/communities/web/patterns/{id}");
        let voted = json_of(
            app.call(
                &bob,
                Method::POST,
                &format!("{path}/vote"),
                Some(json!({ "vote": 1 })),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(voted["state"], "in-review");
        let bad_vote = app
            .call(
                &bob,
                Method::POST,
                &format!("{path}/vote"),
                Some(json!({ "vote": 2 })),
            )
            .await;
        check_problem(bad_vote, StatusCode::BAD_REQUEST).await;
        let non_member = app
            .call(
                &root,
                Method::POST,
                &format!("{path}/vote"),
                Some(json!({ "vote": 1 })),
            )
            .await;
        let problem = check_problem(non_member, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["findings"][0]["pointer"], "/author");
        let own = app
            .call(
                &alice,
                Method::POST,
                &format!("{path}/vote"),
                Some(json!({ "vote": 1 })),
            )
            .await;
        check_problem(own, StatusCode::FORBIDDEN).await;
        let not_expert = app
            .call(&bob, Method::POST, &format!("{path}/approve"), None)
            .await;
        check_problem(not_expert, StatusCode::FORBIDDEN).await;
        let detail = json_of(
            reqwest::get(app.url(&path)).await.expect("show"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(detail["votes_cast"][0]["name"], "bob");
        assert_eq!(detail["needs_expert"], true);
        assert_eq!(detail["transitions"][0]["state"], "in-review");
        let missing = reqwest::get(app.url("/api/v1/communities/web/patterns/abcdef"))
            .await
            .expect("missing");
        check_problem(missing, StatusCode::NOT_FOUND).await;
        let not_theirs = app
            .call(&bob, Method::POST, &format!("{path}/withdraw"), None)
            .await;
        check_problem(not_theirs, StatusCode::FORBIDDEN).await;
        let withdrawn = json_of(
            app.call(&alice, Method::POST, &format!("{path}/withdraw"), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(withdrawn["state"], "withdrawn");
        let closed = app
            .call(
                &bob,
                Method::POST,
                &format!("{path}/vote"),
                Some(json!({ "vote": -1 })),
            )
            .await;
        check_problem(closed, StatusCode::CONFLICT).await;

        // The library carries the accepted fingerprints for a member's scan.
        let library = json_of(
            app.call(
                &bob,
                Method::GET,
                "/api/v1/communities/web/patterns/library",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(library["patterns"].as_array().expect("patterns").len() >= 4);
        assert!(library["patterns"][0]["fingerprint"]["hashes"].is_array());
    }
}

#[tokio::test]
async fn pattern_pages_browse_and_submit() {
    let app = TestApp::spawn_full(commons_test_support::TestBackend::Sqlite).await;
    let browser = app.login("alice").await;
    let joined = browser
        .post(&app, "/c/web/join")
        .form(&[("csrf", browser.csrf.as_str())])
        .send()
        .await
        .expect("join");
    assert!(joined.status().is_success() || joined.status().is_redirection());
    for (path, needle) in [
        ("/c/web/patterns", "SQL built by string concatenation"),
        ("/c/web/patterns?language=javascript", "innerHTML"),
        (
            "/c/web/patterns?severity=critical&q=cursor",
            "cursor.execute",
        ),
        ("/c/web/patterns/review", "Review queue"),
        ("/c/web/patterns/new", "commons pattern abstract"),
    ] {
        let page = browser
            .client
            .get(app.url(path))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let html = page.text().await.expect("html");
        assert!(html.contains(needle), "{path}: {needle} missing");
    }
    let filtered = browser
        .client
        .get(app.url("/c/web/patterns?language=javascript"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        !filtered.contains("cursor.execute"),
        "the language filter applies"
    );

    // The submission page takes `pattern abstract --community` output.
    let key = json_of(
        browser
            .client
            .get(app.url("/api/v1/communities/web/patterns/key"))
            .send()
            .await
            .expect("key"),
        StatusCode::OK,
    )
    .await;
    let abstracted = json!({
        "format": "commons-pattern/1",
        "title": "LIKE query by concatenation",
        "severity": "high",
        "language": "python",
        "key": format!("community:{}", key["community"].as_str().expect("id")),
        "fingerprint": fingerprint(&key),
        "gate": {},
    })
    .to_string();
    let local = json!({ "key": "local", "fingerprint": {} }).to_string();
    let refused = browser
        .post(&app, "/c/web/patterns/new")
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("fingerprint", local.as_str()),
            ("category", "sql-injection"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("--community web")
    );
    let bad_category = browser
        .post(&app, "/c/web/patterns/new")
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("fingerprint", abstracted.as_str()),
            ("category", "Not A Slug"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(bad_category.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_category
            .text()
            .await
            .expect("html")
            .contains("properties/category")
    );
    let created = browser
        .post(&app, "/c/web/patterns/new")
        .form(&[
            ("csrf", browser.csrf.as_str()),
            ("fingerprint", abstracted.as_str()),
            ("category", "sql-injection"),
            ("severity", "high"),
            ("performance", "none"),
            ("security", "high"),
            ("description", "search term pasted into SQL"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(
        created.status(),
        StatusCode::OK,
        "redirected to the pattern page"
    );
    let html = created.text().await.expect("html");
    assert!(html.contains("LIKE query by concatenation"), "{html}");
    assert!(html.contains("Submitted"));
    assert!(html.contains("Suggested reviewers"));

    // Swedish.
    let swedish = browser
        .client
        .get(app.url("/c/web/patterns"))
        .header("accept-language", "sv")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(swedish.contains("Mönster i web"), "{swedish}");
}

#[tokio::test]
async fn author_lookup_key_rotation_and_alert_page() {
    for backend in backends() {
        let app = TestApp::spawn_full(backend).await;
        let admin = app.token("admin", &["write"]).await;
        let alice = app.token("alice", &["write"]).await;
        let bob = app.token("bob", &["write"]).await;
        for token in [&alice, &bob] {
            let joined = app
                .call(token, Method::POST, "/api/v1/communities/web/join", None)
                .await;
            assert_eq!(joined.status(), StatusCode::OK);
        }
        let key = json_of(
            app.call(
                &alice,
                Method::GET,
                "/api/v1/communities/web/patterns/key",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let submission = json!({
            "title": "LIKE query by concatenation",
            "language": "python",
            "properties": { "severity": "high", "category": "sql-injection", "security": "high" },
            "fingerprint": fingerprint(&key),
            "anonymous": true,
        });
        let created = json_of(
            app.call(
                &alice,
                Method::POST,
                "/api/v1/communities/web/patterns",
                Some(submission.clone()),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let id = created["id"].as_str().expect("id").to_owned();
        assert_eq!(created["author"], Value::Null);

        // Moderators see the author; members get a problem.
        let path = format!("/api/v1/communities/web/patterns/{}/author", &id[..12]);
        let author = json_of(
            app.call(&admin, Method::GET, &path, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(author["author"], "alice");
        let denied = app.call(&bob, Method::GET, &path, None).await;
        check_problem(denied, StatusCode::FORBIDDEN).await;
        let missing = app
            .call(
                &admin,
                Method::GET,
                "/api/v1/communities/web/patterns/ffffffff/author",
                None,
            )
            .await;
        check_problem(missing, StatusCode::NOT_FOUND).await;

        // Rotation: admins only; old-epoch hashes are then refused.
        let rotate = "/api/v1/communities/web/patterns/key/rotate";
        let denied = app.call(&bob, Method::POST, rotate, None).await;
        check_problem(denied, StatusCode::FORBIDDEN).await;
        let rotated = json_of(
            app.call(&admin, Method::POST, rotate, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(rotated["epoch"], 1);
        let mut stale = submission.clone();
        stale["title"] = json!("the same, under the old key");
        let refused = app
            .call(
                &bob,
                Method::POST,
                "/api/v1/communities/web/patterns",
                Some(stale),
            )
            .await;
        let problem = check_problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem.to_string().contains("key_epoch"), "{problem}");
        let library = json_of(
            app.call(
                &bob,
                Method::GET,
                "/api/v1/communities/web/patterns/library",
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(library["epoch"], 1);
        let epochs: Vec<&Value> = library["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|key| &key["epoch"])
            .collect();
        assert_eq!(epochs, [&json!(1), &json!(0)], "{library}");

        // The alert page is for node administrators.
        let browser = app.login("root").await;
        let page = browser
            .client
            .get(app.url("/admin/notifications"))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text()
                .await
                .expect("html")
                .contains("Watched scan roots")
        );
        let browser = app.login("bob").await;
        let page = browser
            .client
            .get(app.url("/admin/notifications"))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
    }
}
