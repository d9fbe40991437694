//! Conformance tests of the intel capability through the node facade, on
//! SQLite and, when configured, PostgreSQL: publish, page, revoke, sightings,
//! false positives, delete, settings, and replay equal to live.

use commons_intel::SightingBody;
use commons_node::intel::{FeedQuery, IndicatorStatus, ObjectsQuery, SettingsBody, VersionMatch};
use commons_node::{Node, NodeConfig, NodeError, User, registry};
use commons_test_support::{TestDb, backends};
use serde_json::{Value, json};
use sqlx::Row;

async fn node(db: &TestDb) -> (Node, User, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        max_connections: 4,
        default_communities: true,
        public_url: "http://127.0.0.1:8080".into(),
    };
    let (node, _) = Node::open(&config, registry()).await.expect("open node");
    let admin = node.user("admin").await.expect("admin");
    (node, admin, dir)
}

fn indicator(n: u32, pattern: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("bad host {n}"),
        "labels": ["botnet"],
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-12-01T00:00:00Z"
    })
}

fn ip_indicator(n: u32) -> Value {
    indicator(
        n,
        &format!("[ipv4-addr:value = '10.0.{}.{}']", n / 256, n % 256),
    )
}

/// Every projection row of the intel tables, in a stable order.
async fn projections(node: &Node) -> String {
    let pool = node.store().pool();
    let mut out = String::new();
    for (table, order) in [
        ("intel_objects", "community_id, added_us"),
        ("intel_heads", "community_id"),
        ("intel_indicators", "community_id, object_id"),
        ("intel_evidence", "community_id, seq"),
        ("intel_settings", "community_id"),
    ] {
        let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .fetch_all(pool)
            .await
            .expect("read projection");
        for row in rows {
            let mut line = format!("{table}:");
            for idx in 0..row.len() {
                let text: Option<String> = row.try_get(idx).ok();
                let number: Option<i64> = row.try_get(idx).ok();
                line.push_str(&format!(" {text:?}/{number:?}"));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[tokio::test]
async fn publish_page_revoke_and_replay() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, _dir) = node(&db).await;
        let objects: Vec<Value> = (0..25).map(ip_indicator).collect();
        let outcome = node
            .intel_publish(&admin, "security", objects)
            .await
            .expect("publish");
        assert_eq!(outcome.added.len(), 25);

        // Paging by date_added loses and repeats nothing.
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let query = ObjectsQuery {
                after_us: after,
                limit: 10,
                ..ObjectsQuery::default()
            };
            let page = node
                .intel_objects(Some(&admin), "security", &query)
                .await
                .expect("page");
            seen.extend(page.rows.iter().map(|row| row.object_id.clone()));
            after = page.rows.last().map(|row| row.added_us);
            if !page.more {
                break;
            }
        }
        assert_eq!(seen.len(), 25);
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), 25);

        // Re-adding the same version is a failure, a new version is added.
        let again = node
            .intel_add(
                &admin,
                node.resolve_community("security").await.expect("id"),
                vec![ip_indicator(0)],
            )
            .await
            .expect("add");
        assert_eq!(again.added.len(), 0);
        assert_eq!(again.failures.len(), 1);

        let id = "indicator--00000000-0000-4000-8000-000000000003";
        node.intel_revoke(&admin, "security", id, Some("sinkholed".into()))
            .await
            .expect("revoke");
        let detail = node
            .intel_indicator(Some(&admin), "security", id)
            .await
            .expect("indicator");
        assert_eq!(detail.score.status, IndicatorStatus::Revoked);
        assert_eq!(detail.versions.len(), 2);
        assert_eq!(detail.object["revoked"], json!(true));

        let all_versions = ObjectsQuery {
            limit: 100,
            ids: vec![id.to_owned()],
            versions: VersionMatch {
                all: true,
                ..VersionMatch::default()
            },
            ..ObjectsQuery::default()
        };
        let page = node
            .intel_objects(Some(&admin), "security", &all_versions)
            .await
            .expect("versions");
        assert_eq!(page.rows.len(), 2);

        let sighted = "indicator--00000000-0000-4000-8000-000000000004";
        node.intel_sighting(
            &admin,
            "security",
            SightingBody {
                indicator: sighted.into(),
                count: 3,
                first_seen: "2026-12-02T00:00:00Z".into(),
                last_seen: "2026-12-03T00:00:00Z".into(),
            },
        )
        .await
        .expect("sighting");
        node.intel_false_positive(&admin, "security", sighted, Some("a CDN".into()))
            .await
            .expect("false positive");
        let detail = node
            .intel_indicator(Some(&admin), "security", sighted)
            .await
            .expect("indicator");
        assert_eq!((detail.sightings, detail.false_positives), (3, 1));
        assert_eq!(detail.evidence.len(), 2);

        node.intel_set_settings(
            &admin,
            "security",
            SettingsBody {
                threshold: Some(95),
                ..SettingsBody::default()
            },
        )
        .await
        .expect("settings");
        let bundle = node
            .intel_active_bundle(&admin, Some("security"))
            .await
            .expect("bundle");
        assert_eq!(bundle["objects"].as_array().map(Vec::len), Some(0));

        node.intel_delete(
            &admin,
            "security",
            "indicator--00000000-0000-4000-8000-000000000005",
            None,
        )
        .await
        .expect("delete");
        let (feed, _) = node
            .intel_feed(
                Some(&admin),
                "security",
                &FeedQuery {
                    include_inactive: true,
                    limit: 100,
                    ..FeedQuery::default()
                },
            )
            .await
            .expect("feed");
        assert_eq!(feed.len(), 24);

        let live = projections(&node).await;
        node.replay().await.expect("replay");
        assert_eq!(projections(&node).await, live, "replay equals live");
    }
}

/// An indicator's row is keyed by its latest version's date_added, so a new
/// version and a deleted one move it: its sightings and false positives
/// must move with it.
#[tokio::test]
async fn indicator_counters_follow_new_and_deleted_versions() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, _dir) = node(&db).await;
        node.intel_publish(&admin, "security", (0..3).map(ip_indicator).collect())
            .await
            .expect("publish");
        let id = "indicator--00000000-0000-4000-8000-000000000001";
        node.intel_sighting(
            &admin,
            "security",
            SightingBody {
                indicator: id.into(),
                count: 5,
                first_seen: "2026-12-02T00:00:00Z".into(),
                last_seen: "2026-12-03T00:00:00Z".into(),
            },
        )
        .await
        .expect("sighting");
        node.intel_false_positive(&admin, "security", id, None)
            .await
            .expect("false positive");
        let counters = |detail: commons_node::intel::IndicatorDetail| {
            (
                detail.sightings,
                detail.false_positives,
                detail.versions.len(),
            )
        };
        node.intel_revoke(&admin, "security", id, None)
            .await
            .expect("revoke");
        let detail = node
            .intel_indicator(Some(&admin), "security", id)
            .await
            .expect("revoked indicator");
        assert_eq!(detail.score.status, IndicatorStatus::Revoked);
        assert_eq!(counters(detail), (5, 1, 2));

        let revoked_version = node
            .intel_indicator(Some(&admin), "security", id)
            .await
            .expect("indicator")
            .object["modified"]
            .as_str()
            .expect("a modified time")
            .to_owned();
        node.intel_delete(&admin, "security", id, Some(vec![revoked_version]))
            .await
            .expect("delete the revoking version");
        let detail = node
            .intel_indicator(Some(&admin), "security", id)
            .await
            .expect("indicator again");
        assert_ne!(detail.score.status, IndicatorStatus::Revoked);
        assert_eq!(counters(detail), (5, 1, 1));

        node.intel_delete(&admin, "security", id, None)
            .await
            .expect("delete");
        assert!(
            node.intel_indicator(Some(&admin), "security", id)
                .await
                .is_err()
        );
        let rows = sqlx::query("SELECT object_id FROM intel_indicators ORDER BY added_us")
            .fetch_all(node.store().pool())
            .await
            .expect("indicator rows");
        assert_eq!(rows.len(), 2, "one row per remaining indicator");

        let live = projections(&node).await;
        node.replay().await.expect("replay");
        assert_eq!(projections(&node).await, live, "replay equals live");
    }
}

#[tokio::test]
async fn invalid_stix_reports_every_finding() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, _dir) = node(&db).await;
        let mut broken = ip_indicator(1);
        broken["pattern"] = json!("[ipv4-addr:value = ");
        broken["created"] = json!("yesterday");
        let mut no_id = ip_indicator(2);
        no_id.as_object_mut().expect("object").remove("id");
        let error = node
            .intel_publish(&admin, "security", vec![ip_indicator(0), broken, no_id])
            .await
            .expect_err("invalid");
        let NodeError::Invalid(findings) = error else {
            panic!("expected findings, got {error}");
        };
        let pointers: Vec<&str> = findings.0.iter().map(|it| it.pointer.as_str()).collect();
        assert!(pointers.contains(&"/objects/1/pattern"), "{pointers:?}");
        assert!(pointers.contains(&"/objects/1/created"), "{pointers:?}");
        assert!(
            pointers.iter().any(|it| it.starts_with("/objects/2")),
            "{pointers:?}"
        );
        let (feed, _) = node
            .intel_feed(
                Some(&admin),
                "security",
                &FeedQuery {
                    limit: 10,
                    ..FeedQuery::default()
                },
            )
            .await
            .expect("feed");
        assert!(feed.is_empty(), "nothing was written");
    }
}

#[tokio::test]
async fn only_members_publish_and_only_publishers_revoke() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, _dir) = node(&db).await;
        let mallory = node
            .create_user("mallory", "correct horse battery", false)
            .await
            .expect("user");
        let error = node
            .intel_publish(&mallory, "security", vec![ip_indicator(1)])
            .await
            .expect_err("not a member");
        assert!(matches!(error, NodeError::Invalid(_)), "{error}");
        node.intel_publish(&admin, "security", vec![ip_indicator(1)])
            .await
            .expect("publish");
        node.join(&mallory, "security").await.expect("join");
        let error = node
            .intel_revoke(
                &mallory,
                "security",
                "indicator--00000000-0000-4000-8000-000000000001",
                None,
            )
            .await
            .expect_err("not the publisher");
        assert!(matches!(error, NodeError::Forbidden(_)), "{error}");
        let error = node
            .intel_revoke(
                &admin,
                "security",
                "indicator--00000000-0000-4000-8000-000000000009",
                None,
            )
            .await
            .expect_err("unknown");
        assert!(matches!(error, NodeError::NotFound { .. }), "{error}");
        let error = node
            .intel_sighting(
                &mallory,
                "security",
                SightingBody {
                    indicator: "indicator--00000000-0000-4000-8000-000000000001".into(),
                    count: 0,
                    first_seen: "2026-12-03T00:00:00Z".into(),
                    last_seen: "2026-12-02T00:00:00Z".into(),
                },
            )
            .await
            .expect_err("bad sighting");
        let NodeError::Invalid(findings) = error else {
            panic!("expected findings, got {error}");
        };
        assert_eq!(findings.0.len(), 2, "{findings}");
    }
}

/// Replay writes memberships before the next record of another capability
/// is reduced: a revoke by a member made moderator just before must count,
/// since the intel reducer reads the revoker's role from `members`.
#[tokio::test]
async fn a_revoke_by_a_new_moderator_replays_to_the_same_rows() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, _dir) = node(&db).await;
        let mod_user = node
            .create_user("mod", "correct horse battery", false)
            .await
            .expect("user");
        node.intel_publish(&admin, "security", vec![ip_indicator(1)])
            .await
            .expect("publish");
        node.join(&mod_user, "security").await.expect("join");
        node.set_role(&admin, "security", "mod", commons_kernel::Role::Moderator)
            .await
            .expect("role");
        node.intel_revoke(
            &mod_user,
            "security",
            "indicator--00000000-0000-4000-8000-000000000001",
            None,
        )
        .await
        .expect("revoke");
        let revoked: i64 = sqlx::query("SELECT revoked FROM intel_indicators")
            .fetch_one(node.store().pool())
            .await
            .expect("indicator row")
            .get("revoked");
        assert_eq!(revoked, 1, "the moderator's revoke counts");
        let live = projections(&node).await;
        node.replay().await.expect("replay");
        assert_eq!(projections(&node).await, live, "replay equals live");
    }
}

#[tokio::test]
async fn paging_under_four_writers_loses_and_repeats_nothing_and_tokens_survive_a_restart() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, dir) = node(&db).await;
        node.intel_publish(&admin, "security", (0..50).map(ip_indicator).collect())
            .await
            .expect("seed");
        let mut writers = Vec::new();
        for writer in 0..4u32 {
            let node = node.clone();
            let admin = admin.clone();
            writers.push(tokio::spawn(async move {
                for batch in 0..5u32 {
                    let first = 1000 + writer * 100 + batch * 10;
                    node.intel_publish(
                        &admin,
                        "security",
                        (first..first + 10).map(ip_indicator).collect(),
                    )
                    .await
                    .expect("concurrent publish");
                }
            }));
        }
        let mut seen = Vec::new();
        let mut after = None;
        let mut writers_done = false;
        loop {
            let query = ObjectsQuery {
                after_us: after,
                limit: 7,
                ..ObjectsQuery::default()
            };
            let page = node
                .intel_objects(Some(&admin), "security", &query)
                .await
                .expect("page");
            seen.extend(page.rows.iter().map(|row| row.object_id.clone()));
            after = page.rows.last().map(|row| row.added_us).or(after);
            if !page.more {
                if writers_done {
                    break;
                }
                for writer in writers.drain(..) {
                    writer.await.expect("writer");
                }
                writers_done = true;
            }
        }
        let unique: std::collections::HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no object repeats");
        assert_eq!(seen.len(), 250, "no object is lost");

        // A token taken before a restart continues after it.
        let page = node
            .intel_objects(
                Some(&admin),
                "security",
                &ObjectsQuery {
                    limit: 100,
                    ..ObjectsQuery::default()
                },
            )
            .await
            .expect("page");
        let token = page.rows.last().expect("rows").added_us;
        node.close().await;
        drop(node);
        let config = NodeConfig {
            data_dir: dir.path().to_owned(),
            database_url: Some(db.url.clone()),
            max_connections: 4,
            default_communities: true,
            public_url: "http://127.0.0.1:8080".into(),
        };
        let (node, _) = Node::open(&config, registry()).await.expect("reopen");
        let rest = node
            .intel_objects(
                Some(&admin),
                "security",
                &ObjectsQuery {
                    after_us: Some(token),
                    limit: 1000,
                    ..ObjectsQuery::default()
                },
            )
            .await
            .expect("page after restart");
        assert_eq!(rest.rows.len(), 150);
        assert_eq!(rest.rows[0].object_id, seen[100]);
    }
}

#[tokio::test]
async fn decimals_travel_as_text_and_versions_in_one_publish_are_flagged() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, admin, _dir) = node(&db).await;
        let community = node.resolve_community("security").await.expect("id");
        node.intel_publish(&admin, "security", vec![ip_indicator(1)])
            .await
            .expect("first version");

        // One publish: a newer version of a stored object, two versions of
        // a new one, and objects holding decimals.
        let mut newer = ip_indicator(1);
        newer["modified"] = json!("2026-02-01T00:00:00.000Z");
        let older_two = ip_indicator(2);
        let mut newer_two = ip_indicator(2);
        newer_two["modified"] = json!("2026-03-01T00:00:00.000Z");
        let mut scored = ip_indicator(3);
        scored["x_score"] = json!(7.5);
        scored["x_weights"] = json!([0.25, 1e-3, -2.5e10]);
        let address = json!({
            "type": "ipv4-addr",
            "spec_version": "2.1",
            "id": "ipv4-addr--00000000-0000-4000-8000-000000000009",
            "value": "10.9.9.9",
            "x_risk": 0.125
        });
        let outcome = node
            .intel_add(
                &admin,
                community,
                vec![newer, newer_two, older_two, scored.clone(), address.clone()],
            )
            .await
            .expect("publish");
        assert_eq!(outcome.failures, []);
        assert_eq!(outcome.added.len(), 5);

        // The numbers come back as they were sent.
        let detail = node
            .intel_indicator(Some(&admin), "security", scored["id"].as_str().expect("id"))
            .await
            .expect("indicator");
        assert_eq!(detail.object["x_score"], json!(7.5));
        assert_eq!(detail.object, scored);
        let page = node
            .intel_objects(
                Some(&admin),
                "security",
                &ObjectsQuery {
                    limit: 100,
                    ids: vec![address["id"].as_str().expect("id").to_owned()],
                    ..ObjectsQuery::default()
                },
            )
            .await
            .expect("page");
        let stored: Value = serde_json::from_str(&page.rows[0].object).expect("json");
        assert_eq!(stored["x_risk"], json!(0.125));

        // Only the objects with decimals travel as text; the others keep
        // the form (and so the canonical bytes) they always had.
        let rows = node
            .log("security", Some(&admin), 1, 1000)
            .await
            .expect("log");
        let record: Value =
            serde_json::from_str(&rows.last().expect("entry").record).expect("json");
        let elements = record["body"]["objects"].as_array().expect("objects");
        let kinds: Vec<bool> = elements.iter().map(Value::is_string).collect();
        assert_eq!(kinds, [false, false, false, true, true]);

        // First and latest versions, in one publish and across publishes.
        let flags = sqlx::query(
            "SELECT object_id, version, is_first, is_latest FROM intel_objects \
             WHERE object_id LIKE 'indicator--%' ORDER BY object_id, version_ns",
        )
        .fetch_all(node.store().pool())
        .await
        .expect("flags")
        .into_iter()
        .map(|row| {
            let id: String = row.get("object_id");
            let version: String = row.get("version");
            let first: i64 = row.get("is_first");
            let latest: i64 = row.get("is_latest");
            format!("{} {version} {first}{latest}", &id[id.len() - 2..])
        })
        .collect::<Vec<_>>();
        assert_eq!(
            flags,
            [
                "01 2026-01-01T00:00:00.000Z 10",
                "01 2026-02-01T00:00:00.000Z 01",
                "02 2026-01-01T00:00:00.000Z 10",
                "02 2026-03-01T00:00:00.000Z 01",
                "03 2026-01-01T00:00:00.000Z 11",
            ]
        );
        let indicators: Vec<(String, String)> =
            sqlx::query("SELECT object_id, name FROM intel_indicators ORDER BY object_id")
                .fetch_all(node.store().pool())
                .await
                .expect("indicator rows")
                .into_iter()
                .map(|row| (row.get("object_id"), row.get("name")))
                .collect();
        assert_eq!(indicators.len(), 3);

        let live = projections(&node).await;
        node.replay().await.expect("replay");
        assert_eq!(projections(&node).await, live, "replay equals live");
    }
}
