//! Conformance tests of the patterns facade on SQLite and, when configured,
//! PostgreSQL: seeding, submission, duplicates, review, replay, bad input.

use commons_fingerprint::{Config, Language, SharedFingerprint};
use commons_kernel::Role;
use commons_patterns::{Filter, Impact, Properties, Severity, State};
use commons_test_support::{TestDb, backends};

use crate::patterns::{Submission, summary_json};
use crate::{Node, NodeConfig, NodeError, User};

const QUERY: &str = r#"
def lookup(db, request):
    term = request.args["q"]
    cursor = db.cursor()
    cursor.execute("SELECT * FROM items WHERE title LIKE '%" + term + "%' ORDER BY id")
    found = []
    for row in cursor.fetchall():
        found.append(row[0])
    return found
"#;

const QUERY_LONGER: &str = r#"
def lookup(db, request):
    term = request.args["q"]
    cursor = db.cursor()
    cursor.execute("SELECT * FROM items WHERE title LIKE '%" + term + "%' ORDER BY id")
    found = []
    for row in cursor.fetchall():
        found.append(row[0])
    log.info("found %d", len(found))
    cache.set(term, found)
    return found
"#;

async fn node(db: &TestDb) -> (Node, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        max_connections: 4,
        default_communities: true,
        public_url: "http://127.0.0.1:8080".into(),
    };
    let (node, _) = Node::open(&config, crate::registry())
        .await
        .expect("open node");
    (node, dir)
}

async fn member(node: &Node, name: &str, community: &str) -> User {
    let user = node
        .create_user(name, "correct horse battery", false)
        .await
        .expect("user");
    node.join(&user, community).await.expect("join");
    user
}

async fn fingerprint(node: &Node, user: &User, community: &str, source: &str) -> SharedFingerprint {
    let (_, key) = node.pattern_key(user, community).await.expect("key");
    let config = Config::default();
    let local = commons_fingerprint::fingerprint(Language::Python, source.as_bytes(), &config)
        .expect("fingerprint");
    local.export(&key.key(), None, &config).expect("export").0
}

fn submission(fingerprint: SharedFingerprint, category: &str, security: Impact) -> Submission {
    Submission {
        title: "LIKE query built by concatenation".into(),
        description: "search term pasted into SQL".into(),
        language: "python".into(),
        properties: Properties {
            severity: Severity::High,
            category: category.into(),
            performance: Impact::None,
            security,
        },
        fingerprint,
        anonymous: false,
    }
}

#[tokio::test]
async fn first_start_seeds_accepted_domain_libraries() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let admin = node.user("admin").await.expect("admin");
        for domain in crate::DOMAIN_COMMUNITIES {
            let (_, key, library) = node.pattern_library(&admin, domain).await.expect("library");
            assert!(library.len() >= 4, "{domain}: {}", library.len());
            assert!(library.iter().all(|(p, _)| p.state == State::Accepted));
            // Each starter pattern matches its own example code.
            let mut index = commons_fingerprint::Library::new();
            for (idx, (_, fingerprint)) in library.iter().enumerate() {
                index.insert(idx as u64, fingerprint).expect("insert");
            }
            for seed in commons_patterns::library::seeds(domain) {
                let matches = commons_fingerprint::scan_source(
                    seed.language,
                    seed.source.as_bytes(),
                    &index,
                    &key.key(),
                    &Config::default(),
                )
                .expect("scan");
                assert!(
                    matches.iter().any(|m| m.similarity >= 0.99),
                    "{}",
                    seed.title
                );
            }
        }
        let (_, web) = node
            .patterns(
                None,
                "web",
                &Filter {
                    query: Some("concatenation".into()),
                    ..Filter::default()
                },
            )
            .await
            .expect("search");
        assert_eq!(web.len(), 1);
        assert_eq!(web[0].properties.category, "sql-injection");
    }
}

#[tokio::test]
async fn review_duplicates_and_replay() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let admin = node.user("admin").await.expect("admin");
        let alice = member(&node, "alice", "web").await;
        let fp = fingerprint(&node, &alice, "web", QUERY).await;
        let submitted = node
            .submit_pattern(
                &alice,
                "web",
                submission(fp.clone(), "sql-injection", Impact::High),
            )
            .await
            .expect("submit");
        let id = submitted.pattern.id.clone();
        assert_eq!(submitted.pattern.state, State::Submitted);
        assert_eq!(submitted.pattern.author, Some(alice.public_key));

        // The same hash set again is refused; a longer version is linked.
        let again = node
            .submit_pattern(&alice, "web", submission(fp, "sql-injection", Impact::High))
            .await;
        assert!(
            matches!(again, Err(NodeError::Conflict(ref text)) if text.contains(&id)),
            "{again:?}"
        );
        let longer = fingerprint(&node, &alice, "web", QUERY_LONGER).await;
        let near = node
            .submit_pattern(
                &alice,
                "web",
                submission(longer, "sql-injection", Impact::High),
            )
            .await
            .expect("near duplicate submits");
        assert_eq!(near.similar.len(), 1);
        assert_eq!(near.similar[0].pattern.id, id);
        let (_, detail) = node
            .pattern(None, "web", &near.pattern.id)
            .await
            .expect("show");
        assert_eq!(detail.similar[0].id, id);

        // Five members vote; security needs an expert before acceptance.
        let mut voters = Vec::new();
        for name in ["bob", "carol", "dave", "erin", "frank"] {
            voters.push(member(&node, name, "web").await);
        }
        let first = node
            .vote_pattern(&voters[0], "web", &id[..10], 1)
            .await
            .expect("vote");
        assert_eq!(first.state, State::InReview);
        // A changed vote replaces the earlier one.
        node.vote_pattern(&voters[0], "web", &id, -1)
            .await
            .expect("change vote");
        node.vote_pattern(&voters[0], "web", &id, 1)
            .await
            .expect("change back");
        for voter in &voters[1..] {
            node.vote_pattern(voter, "web", &id, 1).await.expect("vote");
        }
        let (_, detail) = node.pattern(None, "web", &id).await.expect("show");
        assert_eq!(detail.summary.votes_for, 5);
        assert_eq!(detail.summary.state, State::InReview);
        assert!(detail.needs_expert);

        // Not an expert yet, then an expert.
        let denied = node.approve_pattern(&voters[0], "web", &id).await;
        assert!(matches!(denied, Err(NodeError::Forbidden(_))), "{denied:?}");
        node.set_role(&admin, "web", "bob", Role::Expert)
            .await
            .expect("role");
        let accepted = node
            .approve_pattern(&voters[0], "web", &id)
            .await
            .expect("approve");
        assert_eq!(accepted.state, State::Accepted);
        let (_, detail) = node.pattern(None, "web", &id).await.expect("show");
        let states: Vec<State> = detail.transitions.iter().map(|t| t.state).collect();
        assert_eq!(states, [State::InReview, State::Accepted]);
        let closed = node.vote_pattern(&voters[1], "web", &id, -1).await;
        assert!(matches!(closed, Err(NodeError::Conflict(_))), "{closed:?}");

        // Reviewer suggestions: voters on sql-injection/python patterns.
        let (_, detail) = node
            .pattern(None, "web", &near.pattern.id)
            .await
            .expect("show");
        let names: Vec<&str> = detail.reviewers.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), 5, "{names:?}");
        assert_eq!(
            names[0], "admin",
            "the starter pattern's submitter ranks first"
        );
        assert!(
            !names.contains(&"alice"),
            "the submitter is not suggested: {names:?}"
        );

        // Replay gives the same projections.
        let before = snapshot(&node).await;
        node.replay().await.expect("replay");
        assert_eq!(snapshot(&node).await, before);
    }
}

async fn snapshot(node: &Node) -> String {
    let mut out = String::new();
    for domain in ["web", "security"] {
        let (_, list) = node
            .patterns(None, domain, &Filter::default())
            .await
            .expect("list");
        for pattern in list {
            let (_, detail) = node.pattern(None, domain, &pattern.id).await.expect("show");
            out.push_str(&format!("{}\n", summary_json(&pattern)));
            out.push_str(&format!("{:?}\n", detail.votes));
            out.push_str(&format!("{:?}\n", detail.transitions));
            out.push_str(&format!("{:?}\n", detail.similar));
        }
    }
    out
}

#[tokio::test]
async fn anonymous_submissions_and_withdrawal() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let admin = node.user("admin").await.expect("admin");
        let alice = member(&node, "alice", "web").await;
        let bob = member(&node, "bob", "web").await;
        let fp = fingerprint(&node, &alice, "web", QUERY).await;
        let mut anonymous = submission(fp, "sql-injection", Impact::High);
        anonymous.anonymous = true;
        let submitted = node
            .submit_pattern(&alice, "web", anonymous)
            .await
            .expect("submit");
        let id = submitted.pattern.id;
        assert_eq!(submitted.pattern.author, None);
        // The log names the home node, not alice.
        let log = node.recent_log("web", None, 1).await.expect("log");
        assert_eq!(log[0].author, node.node_key());
        assert!(!log[0].record.contains(&alice.public_key.to_hex()));
        // Moderators on the home node can find out; members cannot.
        let found = node
            .anonymous_author(&admin, "web", &id)
            .await
            .expect("moderator");
        assert_eq!(found.as_deref(), Some("alice"));
        assert!(matches!(
            node.anonymous_author(&bob, "web", &id).await,
            Err(NodeError::Forbidden(_))
        ));
        // Alice cannot vote on it; bob cannot withdraw it; alice can.
        assert!(matches!(
            node.vote_pattern(&alice, "web", &id, 1).await,
            Err(NodeError::Forbidden(_))
        ));
        assert!(matches!(
            node.withdraw_pattern(&bob, "web", &id).await,
            Err(NodeError::Forbidden(_))
        ));
        let withdrawn = node
            .withdraw_pattern(&alice, "web", &id)
            .await
            .expect("withdraw");
        assert_eq!(withdrawn.state, State::Withdrawn);
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let alice = member(&node, "alice", "web").await;
        let outsider = node
            .create_user("mallory", "correct horse battery", false)
            .await
            .expect("user");
        let fp = fingerprint(&node, &alice, "web", QUERY).await;

        // Non-members get no key and cannot submit or vote.
        assert!(matches!(
            node.pattern_key(&outsider, "web").await,
            Err(NodeError::Forbidden(_))
        ));
        assert!(matches!(
            node.submit_pattern(
                &outsider,
                "web",
                submission(fp.clone(), "sql-injection", Impact::High)
            )
            .await,
            Err(NodeError::Forbidden(_))
        ));
        let submitted = node
            .submit_pattern(
                &alice,
                "web",
                submission(fp.clone(), "sql-injection", Impact::High),
            )
            .await
            .expect("submit");
        let vote = node
            .vote_pattern(&outsider, "web", &submitted.pattern.id, 1)
            .await;
        assert!(
            matches!(vote, Err(NodeError::Invalid(ref f)) if f.0[0].pointer == "/author"),
            "{vote:?}"
        );
        assert!(matches!(
            node.vote_pattern(&alice, "web", &submitted.pattern.id, 1)
                .await,
            Err(NodeError::Forbidden(_))
        ));
        assert!(matches!(
            node.vote_pattern(&alice, "web", &submitted.pattern.id, 2)
                .await,
            Err(NodeError::BadInput(_))
        ));
        assert!(matches!(
            node.vote_pattern(&alice, "web", "ffffffff", 1).await,
            Err(NodeError::NotFound { .. })
        ));

        // Each bad field is named.
        let mut bad = submission(fp.clone(), "SQL injection", Impact::High);
        bad.title = String::new();
        bad.language = "c".into();
        let refused = node.submit_pattern(&alice, "web", bad).await;
        let Err(NodeError::Invalid(findings)) = refused else {
            panic!("expected findings, got {refused:?}");
        };
        let pointers: Vec<&str> = findings.0.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/body/title",
                "/body/properties/category",
                "/body/fingerprint/scheme/language"
            ]
        );
        let mut stale = submission(fp, "sql-injection", Impact::High);
        stale.fingerprint.key_epoch = 7;
        let refused = node.submit_pattern(&alice, "web", stale).await;
        assert!(
            matches!(refused, Err(NodeError::Invalid(ref f)) if f.0[0].pointer == "/body/fingerprint/key_epoch"),
            "{refused:?}"
        );
    }
}
