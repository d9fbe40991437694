//! HTTP boundary tests: a real server on 127.0.0.1:0 over a real store, on
//! SQLite and (when `COMMONS_TEST_POSTGRES` is set) PostgreSQL, driven with
//! reqwest.

mod away;
mod patterns;

use std::net::SocketAddr;

use commons_kernel::{CommunityId, Kind, Record, SecretKey, SignedRecord, Timestamp};
use commons_node::{Node, NodeConfig};
use commons_test_support::{TestBackend, TestDb, backends};
use commons_web::{AppState, RateLimitConfig, WebConfig};
use reqwest::{Client, Method, StatusCode, header};
use serde_json::{Value, json};

mod intel;

const PASSWORD: &str = "correct horse battery";

struct TestApp {
    base: String,
    node: Node,
    dir: tempfile::TempDir,
    _db: TestDb,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A signed-in browser: a cookie jar and the session's CSRF token.
struct Browser {
    client: Client,
    csrf: String,
}

impl TestApp {
    async fn spawn(backend: TestBackend) -> TestApp {
        TestApp::spawn_with(backend, WebConfig::default()).await
    }

    async fn spawn_with(backend: TestBackend, web: WebConfig) -> TestApp {
        TestApp::spawn_with_registry(backend, web, commons_store::Registry::with_kernel()).await
    }

    /// A node running every capability of `commons_node::registry()`.
    async fn spawn_full(backend: TestBackend) -> TestApp {
        TestApp::spawn_with_registry(backend, WebConfig::default(), commons_node::registry()).await
    }

    async fn spawn_with_registry(
        backend: TestBackend,
        web: WebConfig,
        registry: commons_store::Registry,
    ) -> TestApp {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let config = NodeConfig {
            data_dir: dir.path().join("node"),
            database_url: Some(db.url.clone()),
            max_connections: 4,
            default_communities: true,
            public_url: "http://localhost".into(),
        };
        let (node, _) = Node::open(&config, registry).await.expect("open node");
        node.create_user("root", PASSWORD, true)
            .await
            .expect("root");
        node.create_user("alice", PASSWORD, false)
            .await
            .expect("alice");
        node.create_user("bob", PASSWORD, false).await.expect("bob");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(node.clone(), web);
        tokio::spawn(commons_web::serve(listener, state, async {
            let _ = stopped.await;
        }));
        TestApp {
            base: format!("http://{address}"),
            node,
            dir,
            _db: db,
            _shutdown: shutdown,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login(&self, name: &str) -> Browser {
        let client = Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let response = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "name": name, "password": PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("login body");
        Browser {
            client,
            csrf: body["csrf"].as_str().expect("csrf").to_owned(),
        }
    }

    async fn token(&self, name: &str, scopes: &[&str]) -> String {
        let user = self.node.user(name).await.expect("user");
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.node
            .create_token(&user, "test", &scopes)
            .await
            .expect("token")
            .1
    }

    /// A request with a bearer token.
    async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = Client::new()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    async fn community_id(&self, name: &str) -> CommunityId {
        let body: Value = reqwest::get(self.url(&format!("/api/v1/communities/{name}")))
            .await
            .expect("get community")
            .json()
            .await
            .expect("community json");
        body["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("community id")
    }
}

impl Browser {
    fn post(&self, app: &TestApp, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(app.url(path))
            .header("x-csrf-token", &self.csrf)
    }
}

/// Asserts a problem document with `status` and returns it.
#[track_caller]
fn problem_of(
    status: StatusCode,
    expected: StatusCode,
    content_type: Option<&str>,
    body: &str,
) -> Value {
    assert_eq!(status, expected, "body: {body}");
    assert_eq!(
        content_type,
        Some("application/problem+json"),
        "body: {body}"
    );
    let problem: Value = serde_json::from_str(body).expect("problem is JSON");
    assert_eq!(problem["status"], expected.as_u16(), "{problem}");
    problem
}

async fn check_problem(response: reqwest::Response, expected: StatusCode) -> Value {
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.expect("body");
    problem_of(status, expected, content_type.as_deref(), &body)
}

fn signed_join(key: &SecretKey, community: CommunityId, name: &str) -> SignedRecord {
    let record = Record {
        kind: Kind::parse("community.join").expect("kind"),
        community,
        author: key.public_key(),
        ts: commons_node::now(),
        body: json!({ "name": name }),
        refs: Vec::new(),
    };
    SignedRecord::sign(record, key).expect("sign")
}

#[tokio::test]
async fn ops_endpoints() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let response = reqwest::get(app.url("/healthz")).await.expect("healthz");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().contains_key("x-request-id"));
        assert_eq!(response.text().await.expect("text"), "ok");
        let response = reqwest::get(app.url("/readyz")).await.expect("readyz");
        assert_eq!(response.status(), StatusCode::OK);
        let metrics = reqwest::get(app.url("/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        for needle in [
            "http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
            "http_request_duration_seconds_bucket{",
            "commons_log_entries{community=",
            "commons_log_bytes{community=",
        ] {
            assert!(metrics.contains(needle), "{needle} missing from\n{metrics}");
        }
        let response = reqwest::get(app.url("/no/such/page")).await.expect("404");
        check_problem(response, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test]
async fn login_sets_a_session_cookie() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let client = Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let response = client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "name": "alice", "password": PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("set-cookie")
            .to_owned();
        assert!(cookie.starts_with("commons_session=sess"), "{cookie}");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} missing in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "{cookie}");
        let me: Value = client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("me json");
        assert_eq!(me["name"], "alice");

        let response = Client::new()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "name": "alice", "password": "wrong password!" }))
            .send()
            .await
            .expect("login");
        assert_eq!(
            response
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
        check_problem(response, StatusCode::UNAUTHORIZED).await;
        let response = reqwest::get(app.url("/api/v1/me"))
            .await
            .expect("anonymous me");
        check_problem(response, StatusCode::UNAUTHORIZED).await;

        // Logout ends the session server-side.
        let response = client
            .post(app.url("/api/v1/auth/logout"))
            .send()
            .await
            .expect("logout without csrf");
        check_problem(response, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn session_writes_need_the_csrf_header() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let alice = app.login("alice").await;
        let response = alice
            .client
            .post(app.url("/api/v1/communities"))
            .json(&json!({ "name": "garden" }))
            .send()
            .await
            .expect("create");
        check_problem(response, StatusCode::FORBIDDEN).await;
        let response = alice
            .client
            .post(app.url("/api/v1/communities"))
            .header("x-csrf-token", "csrf_wrong")
            .json(&json!({ "name": "garden" }))
            .send()
            .await
            .expect("create");
        check_problem(response, StatusCode::FORBIDDEN).await;
        let response = alice
            .post(&app, "/api/v1/communities")
            .json(&json!({ "name": "garden" }))
            .send()
            .await
            .expect("create");
        assert_eq!(response.status(), StatusCode::CREATED);
        let response = alice
            .post(&app, "/api/v1/auth/logout")
            .send()
            .await
            .expect("logout");
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let response = alice
            .client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me");
        check_problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn tokens_are_created_used_and_revoked() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let alice = app.login("alice").await;
        let response = alice
            .post(&app, "/api/v1/tokens")
            .json(&json!({ "name": "ci", "scopes": ["read", "write"] }))
            .send()
            .await
            .expect("create token");
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.expect("token json");
        let token = created["token"].as_str().expect("token").to_owned();
        assert!(token.starts_with("cmn_"), "{token}");
        let id = created["details"]["id"].as_i64().expect("id");

        let response = app.call(&token, Method::GET, "/api/v1/me", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app
            .call(
                &token,
                Method::POST,
                "/api/v1/communities",
                Some(json!({ "name": "tools" })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let listed: Value = app
            .call(&token, Method::GET, "/api/v1/tokens", None)
            .await
            .json()
            .await
            .expect("tokens");
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

        let reader = app.token("alice", &["read"]).await;
        let response = app
            .call(
                &reader,
                Method::POST,
                "/api/v1/communities",
                Some(json!({ "name": "nope" })),
            )
            .await;
        check_problem(response, StatusCode::FORBIDDEN).await;
        let response = app.call(&reader, Method::GET, "/api/v1/users", None).await;
        check_problem(response, StatusCode::FORBIDDEN).await;

        let response = app
            .call(
                &token,
                Method::DELETE,
                &format!("/api/v1/tokens/{id}"),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let response = app.call(&token, Method::GET, "/api/v1/me", None).await;
        check_problem(response, StatusCode::UNAUTHORIZED).await;
        let response = app
            .call("cmn_made_up", Method::GET, "/api/v1/me", None)
            .await;
        check_problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn communities_create_list_join_leave() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let alice = app.token("alice", &["write"]).await;
        let bob = app.token("bob", &["write"]).await;
        let response = app
            .call(
                &alice,
                Method::POST,
                "/api/v1/communities",
                Some(json!({ "name": "secret-club", "visibility": "private", "template": "moderated" })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: Value = response.json().await.expect("json");
        assert_eq!(created["role"], "admin");
        assert_eq!(created["visibility"], "private");

        let names = |list: &Value| -> Vec<String> {
            list.as_array()
                .expect("array")
                .iter()
                .map(|c| c["name"].as_str().expect("name").to_owned())
                .collect()
        };
        let list: Value = app
            .call(&alice, Method::GET, "/api/v1/communities", None)
            .await
            .json()
            .await
            .expect("list");
        assert!(names(&list).contains(&"secret-club".to_owned()), "{list}");
        let list: Value = app
            .call(&bob, Method::GET, "/api/v1/communities", None)
            .await
            .json()
            .await
            .expect("list");
        let mut visible = names(&list);
        visible.sort();
        assert_eq!(visible, ["embedded", "ml", "security", "web"]);
        for path in [
            "/api/v1/communities/secret-club",
            "/api/v1/communities/secret-club/members",
            "/api/v1/communities/secret-club/log",
        ] {
            let response = app.call(&bob, Method::GET, path, None).await;
            check_problem(response, StatusCode::NOT_FOUND).await;
            let response = reqwest::get(app.url(path)).await.expect("anonymous");
            check_problem(response, StatusCode::NOT_FOUND).await;
        }

        let response = app
            .call(&bob, Method::POST, "/api/v1/communities/web/join", None)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let joined: Value = response.json().await.expect("json");
        assert_eq!(joined["role"], "member");
        let members: Value = app
            .call(&bob, Method::GET, "/api/v1/communities/web/members", None)
            .await
            .json()
            .await
            .expect("members");
        assert!(members.to_string().contains("\"bob\""), "{members}");
        let log: Value = reqwest::get(app.url("/api/v1/communities/web/log?from=1&limit=5"))
            .await
            .expect("log")
            .json()
            .await
            .expect("log json");
        assert_eq!(log["entries"][0]["kind"], "community.join", "{log}");
        let verify: Value = reqwest::get(app.url("/api/v1/communities/web/verify"))
            .await
            .expect("verify")
            .json()
            .await
            .expect("verify json");
        assert_eq!(verify["ok"], true, "{verify}");
        assert_eq!(verify["entries"], 2, "{verify}");

        let response = app
            .call(&bob, Method::POST, "/api/v1/communities/web/leave", None)
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let view: Value = app
            .call(&bob, Method::GET, "/api/v1/communities/web", None)
            .await
            .json()
            .await
            .expect("view");
        assert_eq!(view["role"], Value::Null, "{view}");
    }
}

#[tokio::test]
async fn bad_input_is_a_problem() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let alice = app.token("alice", &["write"]).await;
        let post = |body: Vec<u8>, content_type: Option<&'static str>| {
            let mut request = Client::new()
                .post(app.url("/api/v1/communities"))
                .bearer_auth(&alice)
                .body(body);
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            request.send()
        };
        let json = Some("application/json");
        let cases: Vec<(Vec<u8>, Option<&'static str>, StatusCode)> = vec![
            (b"{\"name\": ".to_vec(), json, StatusCode::BAD_REQUEST),
            (
                b"{\"name\": 42}".to_vec(),
                json,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                b"{\"name\": \"x\", \"extra\": 1}".to_vec(),
                json,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                b"{\"name\": \"caf\xff\"}".to_vec(),
                json,
                StatusCode::BAD_REQUEST,
            ),
            (
                b"{\"name\": \"garden\"}".to_vec(),
                None,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                b"name=garden".to_vec(),
                Some("text/plain"),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                b"{\"name\": \"Not A Name\"}".to_vec(),
                json,
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (body, content_type, expected) in cases {
            let response = post(body, content_type).await.expect("post");
            check_problem(response, expected).await;
        }
        let mut big = b"{\"name\": \"".to_vec();
        big.resize(1024 * 1024 + 16, b'a');
        big.extend_from_slice(b"\"}");
        let response = post(big, json).await.expect("post");
        check_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;

        let response = app
            .call(&alice, Method::GET, "/api/v1/communities/nowhere", None)
            .await;
        check_problem(response, StatusCode::NOT_FOUND).await;
        let response = app
            .call(
                &alice,
                Method::POST,
                "/api/v1/communities/nowhere/join",
                None,
            )
            .await;
        check_problem(response, StatusCode::NOT_FOUND).await;
        let response = app
            .call(
                &alice,
                Method::GET,
                "/api/v1/communities/web/log?limit=many",
                None,
            )
            .await;
        check_problem(response, StatusCode::BAD_REQUEST).await;
        let response = app
            .call(&alice, Method::DELETE, "/api/v1/communities", None)
            .await;
        check_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    }
}

#[tokio::test]
async fn records_signed_elsewhere() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let bob = app.token("bob", &["write"]).await;
        let web = app.community_id("web").await;
        let key = SecretKey::generate();
        let submit = |wire: Value| app.call(&bob, Method::POST, "/api/v1/records", Some(wire));

        let wire = signed_join(&key, web, "visitor").to_wire();
        let response = submit(wire.clone()).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let appended: Value = response.json().await.expect("json");
        assert_eq!(appended["seq"], 1, "{appended}");
        check_problem(submit(wire.clone()).await, StatusCode::CONFLICT).await;

        let mut forged = wire.clone();
        forged["record"]["body"]["name"] = json!("mallory");
        check_problem(submit(forged).await, StatusCode::BAD_REQUEST).await;

        // A stranger may not invite: not a member.
        let stranger = SecretKey::generate();
        let invite = Record {
            kind: Kind::parse("community.invite").expect("kind"),
            community: web,
            author: stranger.public_key(),
            ts: Timestamp(commons_node::now().0),
            body: json!({ "member": SecretKey::generate().public_key() }),
            refs: Vec::new(),
        };
        let wire = SignedRecord::sign(invite, &stranger)
            .expect("sign")
            .to_wire();
        let problem = check_problem(submit(wire).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(
            problem["findings"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            "{problem}"
        );

        let unknown = signed_join(
            &key,
            SecretKey::generate().public_key().community_id(),
            "visitor",
        );
        check_problem(submit(unknown.to_wire()).await, StatusCode::NOT_FOUND).await;

        // A member may not change roles.
        let response = app
            .call(&bob, Method::POST, "/api/v1/communities/web/join", None)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = app
            .call(
                &bob,
                Method::PUT,
                "/api/v1/communities/web/members/bob/role",
                Some(json!({ "role": "admin" })),
            )
            .await;
        check_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let response = app
            .call(
                &bob,
                Method::PUT,
                "/api/v1/communities/web/members/bob/role",
                Some(json!({ "role": "emperor" })),
            )
            .await;
        check_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

#[tokio::test]
async fn rate_limits_answer_429() {
    for backend in backends() {
        let web = WebConfig {
            rate_limits: RateLimitConfig {
                per_second: 1,
                burst: 3,
                logins_per_minute: 2,
            },
            ..WebConfig::default()
        };
        let app = TestApp::spawn_with(backend, web).await;
        let mut limited = None;
        for _ in 0..10 {
            let response = reqwest::get(app.url("/api/v1/communities"))
                .await
                .expect("get");
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                limited = Some(response);
                break;
            }
        }
        let response = limited.expect("the address limit is reached within 10 requests");
        let retry_after: u64 = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After seconds");
        assert!(retry_after >= 1);
        check_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
        // Operations endpoints are not limited.
        let response = reqwest::get(app.url("/healthz")).await.expect("healthz");
        assert_eq!(response.status(), StatusCode::OK);
    }
    for backend in backends() {
        // Logins are limited per address and name, long before the API limit.
        let app = TestApp::spawn(backend).await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let response = Client::new()
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({ "name": "alice", "password": "guess guess guess" }))
                .send()
                .await
                .expect("login");
            statuses.push(response.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    }
}

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = TestApp::spawn_full(TestBackend::Sqlite).await;
    let document: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("openapi json");
    assert_eq!(document["openapi"], "3.1.0");
    let expected = [
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/register"),
        ("get", "/api/v1/me"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("post", "/api/v1/users/{name}/disable"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("delete", "/api/v1/tokens/{id}"),
        ("get", "/api/v1/communities"),
        ("post", "/api/v1/communities"),
        ("get", "/api/v1/communities/{community}"),
        ("get", "/api/v1/communities/{community}/members"),
        ("post", "/api/v1/communities/{community}/join"),
        ("post", "/api/v1/communities/{community}/leave"),
        ("post", "/api/v1/communities/{community}/invite"),
        ("post", "/api/v1/communities/{community}/approve"),
        ("post", "/api/v1/communities/{community}/remove"),
        (
            "put",
            "/api/v1/communities/{community}/members/{member}/role",
        ),
        ("put", "/api/v1/communities/{community}/policy"),
        ("post", "/api/v1/communities/{community}/follow"),
        ("get", "/api/v1/communities/{community}/log"),
        ("post", "/api/v1/records"),
        ("get", "/api/v1/communities/{community}/verify"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/openapi.json"),
        ("get", "/api/v1/communities/{community}/patterns"),
        ("post", "/api/v1/communities/{community}/patterns"),
        ("get", "/api/v1/communities/{community}/patterns/key"),
        ("get", "/api/v1/communities/{community}/patterns/library"),
        ("get", "/api/v1/communities/{community}/patterns/{pattern}"),
        (
            "post",
            "/api/v1/communities/{community}/patterns/{pattern}/vote",
        ),
        (
            "post",
            "/api/v1/communities/{community}/patterns/{pattern}/approve",
        ),
        (
            "post",
            "/api/v1/communities/{community}/patterns/{pattern}/withdraw",
        ),
        ("get", "/api/v1/communities/{community}/intel/objects"),
        ("post", "/api/v1/communities/{community}/intel/objects"),
        (
            "get",
            "/api/v1/communities/{community}/intel/indicators/{id}",
        ),
        (
            "post",
            "/api/v1/communities/{community}/intel/indicators/{id}/revoke",
        ),
        (
            "post",
            "/api/v1/communities/{community}/intel/indicators/{id}/sightings",
        ),
        (
            "post",
            "/api/v1/communities/{community}/intel/indicators/{id}/false-positives",
        ),
        ("get", "/api/v1/communities/{community}/intel/settings"),
        ("put", "/api/v1/communities/{community}/intel/settings"),
        ("get", "/api/v1/communities/{community}/intel/active"),
        (
            "get",
            "/api/v1/communities/{community}/patterns/{pattern}/author",
        ),
        (
            "post",
            "/api/v1/communities/{community}/patterns/key/rotate",
        ),
    ];
    let paths = document["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected);
    let log_parameters =
        document["paths"]["/api/v1/communities/{community}/log"]["get"]["parameters"].to_string();
    assert!(log_parameters.contains("\"limit\""), "{log_parameters}");
    let audit_parameters = document["paths"]["/api/v1/audit"]["get"]["parameters"].to_string();
    assert!(
        audit_parameters.contains("\"before\""),
        "{audit_parameters}"
    );

    // Every documented operation is routed: the router's own 404 and 405
    // never answer it.
    let root = app.token("root", &["admin"]).await;
    for (method, path) in &expected {
        let concrete = path
            .replace("{community}", "web")
            .replace("{member}", "alice")
            .replace("{name}", "bob")
            .replace("{pattern}", "0123")
            .replace("{id}", "1");
        let method: Method = method.to_uppercase().parse().expect("method");
        let response = app.call(&root, method.clone(), &concrete, None).await;
        let status = response.status();
        let body = response.text().await.expect("body");
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}: {body}"
        );
        assert!(
            !body.contains("no such resource"),
            "{method} {concrete}: {body}"
        );
    }
}

#[tokio::test]
async fn audit_rows_for_admins() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let alice = app.token("alice", &["write"]).await;
        let response = app
            .call(
                &alice,
                Method::POST,
                "/api/v1/communities",
                Some(json!({ "name": "garden" })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("request id")
            .to_owned();
        let response = Client::new()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "name": "bob", "password": "not bob's password" }))
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

        let response = app.call(&alice, Method::GET, "/api/v1/audit", None).await;
        check_problem(response, StatusCode::FORBIDDEN).await;
        let root_write = app.token("root", &["write"]).await;
        let response = app
            .call(&root_write, Method::GET, "/api/v1/audit", None)
            .await;
        check_problem(response, StatusCode::FORBIDDEN).await;

        let root = app.token("root", &["admin"]).await;
        let response = app
            .call(&root, Method::GET, "/api/v1/audit?limit=10", None)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let rows: Value = response.json().await.expect("rows");
        let rows = rows.as_array().expect("array");
        let created = rows
            .iter()
            .find(|row| row["request_id"] == request_id.as_str())
            .expect("the create is audited");
        assert_eq!(created["actor"], "alice");
        assert_eq!(created["action"], "POST /api/v1/communities");
        assert_eq!(created["target"], "/api/v1/communities");
        assert_eq!(created["outcome"], "201");
        assert_eq!(created["address"], "127.0.0.1");
        let login = &rows[0];
        assert_eq!(login["action"], "POST /api/v1/auth/login", "{login}");
        assert_eq!(login["actor"], "anonymous", "{login}");
        assert_eq!(login["outcome"], "401", "{login}");
    }
}

#[tokio::test]
async fn control_socket_executes_commands() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let path = app.dir.path().join("control.sock");
    let listener = tokio::net::UnixListener::bind(&path).expect("bind socket");
    let state = AppState::new(app.node.clone(), WebConfig::default());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(commons_web::serve_control(listener, state, async {
        let _ = stopped.await;
    }));
    let exchange = |body: &'static str| {
        let path = path.clone();
        async move {
            let mut stream = tokio::net::UnixStream::connect(&path)
                .await
                .expect("connect");
            let request = format!(
                "POST /control HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(request.as_bytes()).await.expect("write");
            let mut response = String::new();
            stream.read_to_string(&mut response).await.expect("read");
            response
        }
    };
    let response = exchange(r#"{"command":"user-list"}"#).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"alice\""), "{response}");
    let response = exchange(r#"{"command":"user-disable","name":"nobody"}"#).await;
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    let response = exchange(r#"{"command":"launch-missiles"}"#).await;
    assert!(response.starts_with("HTTP/1.1 422"), "{response}");
}

/// The CSRF token a logged-out page's forms carry, and the one its cookie sets.
async fn anonymous_page(app: &TestApp, path: &str, language: &str) -> (String, String, String) {
    let response = Client::new()
        .get(app.url(path))
        .header(header::ACCEPT_LANGUAGE, language)
        .send()
        .await
        .expect("page");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("commons_csrf="))
        .and_then(|value| value.split(';').next())
        .expect("a fresh csrf cookie")
        .to_owned();
    let html = response.text().await.expect("html");
    let field = html
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a csrf field")
        .to_owned();
    (html, field, cookie)
}

#[tokio::test]
async fn anonymous_community_pages_are_shared_until_an_append() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let (first, first_field, first_cookie) = anonymous_page(&app, "/c/web", "en").await;
        let (second, second_field, second_cookie) = anonymous_page(&app, "/c/web", "en").await;
        // The page is shared, the token is each visitor's own.
        assert_eq!(first_field, first_cookie);
        assert_eq!(second_field, second_cookie);
        assert_ne!(first_field, second_field);
        assert!(!first.contains('\0') && !second.contains('\0'));
        assert_eq!(
            first.replace(&first_field, "TOKEN"),
            second.replace(&second_field, "TOKEN")
        );
        assert!(!first.contains("bob"), "bob is no member yet");
        let (swedish, _, _) = anonymous_page(&app, "/c/web", "sv").await;
        assert!(swedish.contains(r#"<html lang="sv">"#), "{swedish}");
        assert!(first.contains(r#"<html lang="en">"#), "{first}");

        // An append shows at once, by name and by id.
        let bob = app.login("bob").await;
        let response = bob
            .client
            .post(app.url("/api/v1/communities/web/join"))
            .header("x-csrf-token", &bob.csrf)
            .send()
            .await
            .expect("join");
        assert_eq!(response.status(), StatusCode::OK);
        let (after, _, _) = anonymous_page(&app, "/c/web", "en").await;
        assert!(after.contains("bob"), "{after}");
        let id = app.community_id("web").await;
        let (by_id, _, _) = anonymous_page(&app, &format!("/c/{id}"), "en").await;
        assert!(by_id.contains("bob"), "{by_id}");

        // A member's page is their own: their session's token, a leave form.
        let page = bob
            .client
            .get(app.url("/c/web"))
            .send()
            .await
            .expect("member page")
            .text()
            .await
            .expect("html");
        assert!(page.contains(&bob.csrf), "{page}");
        assert!(page.contains("/leave"), "{page}");

        // Unknown communities are not cached into existence.
        let response = reqwest::get(app.url("/c/nowhere")).await.expect("page");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
