//! Conformance tests of the patterns facade on SQLite and, when configured,
//! PostgreSQL: seeding, submission, duplicates, review, replay, bad input.

use commons_fingerprint::{Config, Language, SharedFingerprint};
use commons_kernel::Role;
use commons_patterns::{Filter, Impact, Properties, Severity, State};
use commons_test_support::{TestDb, backends};

use crate::patterns::{PatternSummary, Submission, summary_json};
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
            let (_, library) = node.pattern_library(&admin, domain).await.expect("library");
            let (key, library) = (library.key, library.patterns);
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

const N_PLUS_ONE: &str = r#"
def totals(db, orders):
    result = {}
    for order in orders:
        rows = db.query("SELECT amount FROM lines WHERE order_id = ?", order.id)
        total = 0
        for row in rows:
            total = total + row.amount
        result[order.id] = total
    return result
"#;

/// Five members vote for the pattern and, when asked, an expert approves.
async fn accept(node: &Node, community: &str, id: &str) -> PatternSummary {
    let admin = node.user("admin").await.expect("admin");
    let mut summary = None;
    for name in ["v1", "v2", "v3", "v4", "v5"] {
        let voter = match node.user(name).await {
            Ok(user) => user,
            Err(_) => member(node, name, community).await,
        };
        summary = Some(
            node.vote_pattern(&voter, community, id, 1)
                .await
                .expect("vote"),
        );
    }
    let summary = summary.expect("five votes");
    if summary.state == State::Accepted {
        return summary;
    }
    node.set_role(&admin, community, "v1", Role::Expert)
        .await
        .expect("expert");
    let expert = node.user("v1").await.expect("v1");
    node.approve_pattern(&expert, community, id)
        .await
        .expect("approve")
}

#[tokio::test]
async fn accepting_a_security_pattern_alerts_on_the_watched_roots() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let alice = member(&node, "alice", "web").await;
        let repo = tempfile::tempdir().expect("repo");
        // A renamed copy of the pattern at lines 4–12, and the n+1 loop.
        let copy = QUERY
            .replace("lookup", "search_items")
            .replace("term", "needle")
            .replace("found", "hits");
        std::fs::write(repo.path().join("app.py"), format!("import os\n\n{copy}")).expect("write");
        std::fs::write(repo.path().join("report.py"), N_PLUS_ONE).expect("write");
        let root = node.watch_scan_root(repo.path()).await.expect("watch");
        assert_eq!(
            node.scan_roots().await.expect("roots"),
            std::slice::from_ref(&root)
        );

        // A pattern without a security impact raises nothing.
        let fp = fingerprint(&node, &alice, "web", N_PLUS_ONE).await;
        let plain = node
            .submit_pattern(&alice, "web", submission(fp, "n+1-query", Impact::None))
            .await
            .expect("submit");
        let accepted = accept(&node, "web", &plain.pattern.id).await;
        assert_eq!(accepted.state, State::Accepted);
        assert!(node.notifications(10).await.expect("list").is_empty());

        // A security pattern raises one alert naming the file and lines.
        let fp = fingerprint(&node, &alice, "web", QUERY).await;
        let security = node
            .submit_pattern(&alice, "web", submission(fp, "sql-injection", Impact::High))
            .await
            .expect("submit");
        let accepted = accept(&node, "web", &security.pattern.id).await;
        assert_eq!(accepted.state, State::Accepted);
        let alerts = node.notifications(10).await.expect("list");
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].pattern, security.pattern.id);
        assert_eq!(alerts[0].severity, Severity::High);
        let places: Vec<(String, u32, u32)> = alerts[0]
            .places
            .iter()
            .map(|p| (p.file.clone(), p.first_line, p.last_line))
            .collect();
        assert_eq!(
            places,
            [(root.join("app.py").display().to_string(), 4, 10)],
            "{alerts:?}"
        );

        // A root that is gone is refused; forgetting one works.
        let gone = node.watch_scan_root(&repo.path().join("missing")).await;
        assert!(matches!(gone, Err(NodeError::BadInput(_))), "{gone:?}");
        assert!(node.unwatch_scan_root(repo.path()).await.expect("unwatch"));
        assert!(node.scan_roots().await.expect("roots").is_empty());
    }
}

#[tokio::test]
async fn rotation_starts_a_new_key_epoch() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let admin = node.user("admin").await.expect("admin");
        let alice = member(&node, "alice", "web").await;
        let old_fp = fingerprint(&node, &alice, "web", QUERY).await;
        assert_eq!(old_fp.key_epoch, 0);

        // Members may not rotate; the admin may.
        assert!(matches!(
            node.rotate_pattern_key(&alice, "web").await,
            Err(NodeError::Forbidden(_))
        ));
        let (_, key) = node
            .rotate_pattern_key(&admin, "web")
            .await
            .expect("rotate");
        assert_eq!(key.epoch, 1);
        let (_, current) = node.pattern_key(&alice, "web").await.expect("key");
        assert_eq!(current, key);

        // Old-epoch hashes are refused, new-epoch ones accepted.
        let stale = node
            .submit_pattern(
                &alice,
                "web",
                submission(old_fp, "sql-injection", Impact::High),
            )
            .await;
        assert!(
            matches!(stale, Err(NodeError::Invalid(ref f)) if f.0[0].pointer == "/body/fingerprint/key_epoch"),
            "{stale:?}"
        );
        let new_fp = fingerprint(&node, &alice, "web", QUERY).await;
        assert_eq!(new_fp.key_epoch, 1);
        let submitted = node
            .submit_pattern(
                &alice,
                "web",
                submission(new_fp, "sql-injection", Impact::High),
            )
            .await
            .expect("submit");
        assert_eq!(submitted.pattern.key_epoch, 1);
        accept(&node, "web", &submitted.pattern.id).await;

        // The library carries the key of every epoch in use, and each
        // pattern matches its example under its own epoch's key only.
        let (_, library) = node.pattern_library(&alice, "web").await.expect("library");
        let epochs: Vec<u32> = library.epoch_keys.iter().map(|k| k.epoch).collect();
        assert_eq!(epochs, [1, 0]);
        let config = Config::default();
        for (summary, fingerprint) in &library.patterns {
            let mut index = commons_fingerprint::Library::new();
            index.insert(0, fingerprint).expect("insert");
            let source = commons_patterns::library::SEEDS
                .iter()
                .find(|seed| seed.title == summary.title)
                .map_or(QUERY, |seed| seed.source);
            let language = Language::from_name(&summary.language).expect("language");
            for key in &library.epoch_keys {
                let found = commons_fingerprint::scan_source(
                    language,
                    source.as_bytes(),
                    &index,
                    &key.key(),
                    &config,
                )
                .expect("scan");
                assert_eq!(
                    !found.is_empty(),
                    key.epoch == summary.key_epoch,
                    "{} under epoch {}",
                    summary.title,
                    key.epoch
                );
            }
        }

        // A second rotation goes on to epoch 2; replay keeps the epoch.
        let (_, key) = node
            .rotate_pattern_key(&admin, "web")
            .await
            .expect("rotate");
        assert_eq!(key.epoch, 2);
        node.replay().await.expect("replay");
        let (_, current) = node.pattern_key(&alice, "web").await.expect("key");
        assert_eq!(current.epoch, 2);
    }
}

#[tokio::test]
async fn opt_in_match_counts_aggregate_and_replay() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let alice = member(&node, "alice", "web").await;
        let bob = member(&node, "bob", "web").await;
        let outsider = node
            .create_user("mallory", "correct horse battery", false)
            .await
            .expect("user");
        let (_, list) = node
            .patterns(None, "web", &Filter::default())
            .await
            .expect("list");
        let (first, second) = (list[0].id.clone(), list[1].id.clone());
        node.report_match_counts(&alice, "web", &[(first.clone(), 3), (second.clone(), 1)])
            .await
            .expect("report");
        // A later report of the same day replaces the earlier one.
        node.report_match_counts(&alice, "web", &[(first.clone(), 4)])
            .await
            .expect("report");
        let period = node
            .report_match_counts(&bob, "web", &[(first[..12].to_owned(), 2)])
            .await
            .expect("report");
        let (_, detail) = node.pattern(None, "web", &first).await.expect("show");
        assert_eq!(detail.match_counts.total, 6);
        assert_eq!(detail.match_counts.reporters, 2);
        assert_eq!(detail.match_counts.periods.len(), 1);
        assert_eq!(detail.match_counts.periods[0].period, period);
        assert_eq!(period.len(), 10);
        let (_, detail) = node.pattern(None, "web", &second).await.expect("show");
        assert_eq!(
            (detail.match_counts.total, detail.match_counts.reporters),
            (1, 1)
        );

        // Bad input: zero counts, unknown patterns, non-members.
        let zero = node
            .report_match_counts(&alice, "web", &[(first.clone(), 0)])
            .await;
        assert!(
            matches!(zero, Err(NodeError::Invalid(ref f)) if f.0[0].pointer == "/body/counts/0/matches"),
            "{zero:?}"
        );
        assert!(matches!(
            node.report_match_counts(&alice, "web", &[("ffffffff".into(), 1)])
                .await,
            Err(NodeError::NotFound { .. })
        ));
        assert!(matches!(
            node.report_match_counts(&alice, "web", &[]).await,
            Err(NodeError::Invalid(_))
        ));
        assert!(matches!(
            node.report_match_counts(&outsider, "web", &[(first.clone(), 1)])
                .await,
            Err(NodeError::Forbidden(_))
        ));

        // Replay gives the same aggregate.
        node.replay().await.expect("replay");
        let (_, detail) = node.pattern(None, "web", &first).await.expect("show");
        assert_eq!(
            (detail.match_counts.total, detail.match_counts.reporters),
            (6, 2)
        );
    }
}

#[tokio::test]
async fn anonymous_author_lookups_are_audited() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let admin = node.user("admin").await.expect("admin");
        let alice = member(&node, "alice", "web").await;
        let bob = member(&node, "bob", "web").await;
        let fp = fingerprint(&node, &alice, "web", QUERY).await;
        let mut anonymous = submission(fp, "sql-injection", Impact::High);
        anonymous.anonymous = true;
        let id = node
            .submit_pattern(&alice, "web", anonymous)
            .await
            .expect("submit")
            .pattern
            .id;
        let found = node
            .anonymous_author(&admin, "web", &id[..12])
            .await
            .expect("moderator");
        assert_eq!(found.as_deref(), Some("alice"));
        let refused = node.anonymous_author(&bob, "web", &id).await;
        assert!(
            matches!(refused, Err(NodeError::Forbidden(_))),
            "{refused:?}"
        );
        let rows = node.audit_rows(None, 10).await.expect("audit");
        let lookups: Vec<(&str, &str)> = rows
            .iter()
            .filter(|row| row.action == "pattern author")
            .map(|row| (row.actor.as_str(), row.outcome.as_str()))
            .collect();
        assert_eq!(lookups.len(), 2, "{rows:?}");
        assert_eq!(lookups[1], ("admin", "ok"));
        assert_eq!(lookups[0].0, "bob");
        assert!(lookups[0].1.starts_with("refused"), "{lookups:?}");
    }
}

#[tokio::test]
async fn concurrent_identical_submissions_keep_one() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let alice = member(&node, "alice", "web").await;
        let bob = member(&node, "bob", "web").await;
        let fp = fingerprint(&node, &alice, "web", QUERY).await;
        let (a, b) = tokio::join!(
            node.submit_pattern(
                &alice,
                "web",
                submission(fp.clone(), "sql-injection", Impact::High)
            ),
            node.submit_pattern(&bob, "web", submission(fp, "sql-injection", Impact::High)),
        );
        let outcomes = [a.is_ok(), b.is_ok()];
        assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
        let refused = if a.is_ok() { b } else { a };
        assert!(
            matches!(refused, Err(NodeError::Conflict(_))),
            "{refused:?}"
        );
    }
}

#[test]
fn utc_days() {
    assert_eq!(super::utc_day(0), "1970-01-01");
    assert_eq!(super::utc_day(951_782_400_000), "2000-02-29");
    assert_eq!(super::utc_day(1_796_428_799_999), "2026-12-04");
    assert_eq!(super::utc_day(1_796_428_800_000), "2026-12-05");
}
