//! Conformance tests of the node facade, run on SQLite and, when configured,
//! PostgreSQL.

use commons_kernel::{Role, Visibility};
use commons_store::Registry;
use commons_test_support::{TestDb, backends};
use serde_json::json;

use crate::{Node, NodeConfig, NodeError};

async fn node(db: &TestDb) -> (Node, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig {
        data_dir: dir.path().to_owned(),
        database_url: Some(db.url.clone()),
        max_connections: 4,
        default_communities: true,
        public_url: "http://127.0.0.1:8080".into(),
    };
    let (node, first) = Node::open(&config, Registry::with_kernel())
        .await
        .expect("open node");
    let first = first.expect("first start");
    assert_eq!(first.communities, ["web", "ml", "embedded", "security"]);
    assert!(
        first
            .admin_setup_url
            .starts_with("http://127.0.0.1:8080/setup?token=setup_")
    );
    (node, dir)
}

/// Every row of the community projections.
async fn projection_rows(node: &Node) -> String {
    let mut out = String::new();
    let store = node.store();
    for summary in store.communities().await.expect("communities") {
        out.push_str(&format!("{summary:?}\n"));
        let id = summary.info.id;
        for member in store.members(id).await.expect("members") {
            out.push_str(&format!("member {member:?}\n"));
        }
        for (key, invite) in store.invites(id).await.expect("invites") {
            out.push_str(&format!("invite {key} {invite:?}\n"));
        }
    }
    out
}

async fn snapshot(node: &Node) -> String {
    let mut out = projection_rows(node).await;
    for view in node.communities(None).await.expect("communities") {
        out.push_str(&format!(
            "{} {} {:?} {} {}\n",
            view.name, view.visibility, view.policy, view.members, view.entries
        ));
        for member in node.store().members(view.id).await.expect("members") {
            out.push_str(&format!(
                "  {} {} {} {:?} {}\n",
                member.key, member.name, member.role, member.status, member.since_seq
            ));
        }
    }
    out
}

#[tokio::test]
async fn first_start_membership_and_replay() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let admin = node.user("admin").await.expect("admin");
        let alice = node
            .create_user("alice", "correct horse battery", false)
            .await
            .expect("alice");
        let bob = node
            .create_user("bob", "correct horse battery", false)
            .await
            .expect("bob");

        let view = node.join(&alice, "web").await.expect("join web");
        assert_eq!(view.role, Some(Role::Member));
        let private = node
            .create_community(&alice, "team", Visibility::Private, "invite-only")
            .await
            .expect("team");
        assert!(matches!(
            node.join(&bob, "team").await,
            Err(NodeError::NotFound { .. })
        ));
        node.invite(&alice, "team", "bob").await.expect("invite");
        let view = node.join(&bob, "team").await.expect("join after invite");
        assert_eq!(view.role, Some(Role::Member));
        assert!(matches!(
            node.set_role(&bob, "team", "alice", Role::Member).await,
            Err(NodeError::Invalid(_))
        ));
        node.set_role(&alice, "team", "bob", Role::Moderator)
            .await
            .expect("promote");
        assert!(
            matches!(node.leave(&alice, "team").await, Err(NodeError::Invalid(_))),
            "last admin cannot leave"
        );
        node.leave(&bob, "team").await.expect("bob leaves");
        assert!(matches!(
            node.join(&admin, &private.id.to_hex()).await,
            Err(NodeError::NotFound { .. })
        ));

        let before = snapshot(&node).await;
        let replayed = node.replay().await.expect("replay");
        assert_eq!(replayed, 4 + 6, "four geneses and six membership records");
        assert_eq!(snapshot(&node).await, before);
        for report in node.verify(None).await.expect("verify") {
            assert!(report.error.is_none(), "{report:?}");
        }
        node.close().await;
    }
}

#[tokio::test]
async fn duplicate_and_forged_records_are_rejected() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let alice = node
            .create_user("alice", "correct horse battery", false)
            .await
            .expect("alice");
        let entry = node.join(&alice, "ml").await.expect("join");
        let rows = node.log("ml", Some(&alice), 1, 10).await.expect("log");
        let wire = json!({
            "record": serde_json::from_str::<serde_json::Value>(&rows[0].record).expect("json"),
            "signature": rows[0].record_sig,
        });
        assert!(
            matches!(
                node.submit_signed(&wire).await,
                Err(NodeError::Duplicate(_))
            ),
            "{entry:?}"
        );
        let mut forged = wire.clone();
        forged["record"]["body"]["name"] = json!("mallory");
        assert!(matches!(
            node.submit_signed(&forged).await,
            Err(NodeError::BadInput(_))
        ));
        node.close().await;
    }
}

#[tokio::test]
async fn verified_passwords_are_remembered_until_changed_or_disabled() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let alice = node
            .create_user("alice", "correct horse battery", false)
            .await
            .expect("alice");
        let before = node.credential_stats();
        node.authenticate("alice", "correct horse battery")
            .await
            .expect("first check");
        node.authenticate("alice", "correct horse battery")
            .await
            .expect("second check");
        let after = node.credential_stats();
        assert_eq!(after.misses - before.misses, 1, "argon2 ran once");
        assert_eq!(after.hits - before.hits, 1, "then memory answered");
        assert!(matches!(
            node.authenticate("alice", "wrong horse battery").await,
            Err(NodeError::Unauthorized(_))
        ));

        node.change_password(&alice, "correct horse battery", "staple battery horse")
            .await
            .expect("change");
        assert!(matches!(
            node.authenticate("alice", "correct horse battery").await,
            Err(NodeError::Unauthorized(_))
        ));
        node.authenticate("alice", "staple battery horse")
            .await
            .expect("new password");
        node.authenticate("alice", "staple battery horse")
            .await
            .expect("new password, remembered");

        node.set_user_disabled("alice", true)
            .await
            .expect("disable");
        assert!(matches!(
            node.authenticate("alice", "staple battery horse").await,
            Err(NodeError::Forbidden(_))
        ));
        node.set_user_disabled("alice", false)
            .await
            .expect("enable");
        node.authenticate("alice", "staple battery horse")
            .await
            .expect("enabled again");
        node.close().await;
    }
}

/// One membership action by one of four users on one of two communities.
#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize),
    Leave(usize, usize),
    Invite(usize, usize, usize),
    Approve(usize, usize, usize),
    Role(usize, usize, usize, Role),
    Remove(usize, usize, usize),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let role = prop_oneof![
        Just(Role::Member),
        Just(Role::Expert),
        Just(Role::Moderator),
        Just(Role::Admin)
    ];
    prop_oneof![
        (0..4usize, 0..2usize).prop_map(|(u, c)| Op::Join(u, c)),
        (0..4usize, 0..2usize).prop_map(|(u, c)| Op::Leave(u, c)),
        (0..4usize, 0..2usize, 0..4usize).prop_map(|(u, c, v)| Op::Invite(u, c, v)),
        (0..4usize, 0..2usize, 0..4usize).prop_map(|(u, c, v)| Op::Approve(u, c, v)),
        (0..4usize, 0..2usize, 0..4usize, role).prop_map(|(u, c, v, r)| Op::Role(u, c, v, r)),
        (0..4usize, 0..2usize, 0..4usize).prop_map(|(u, c, v)| Op::Remove(u, c, v)),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..Default::default() })]

    /// Whatever sequence of accepted and rejected membership records a node
    /// sees, dropping every projection and replaying the logs gives the same
    /// tables, and every log verifies.
    #[test]
    fn replay_reproduces_projections(ops in proptest::collection::vec(op(), 1..40)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
          for backend in backends() {
            let ops = ops.clone();
            let db = TestDb::new(backend).await;
            let (node, _dir) = node(&db).await;
            let owner = node.user("admin").await.expect("admin");
            let mut users = Vec::new();
            for name in ["u0", "u1", "u2", "u3"] {
                users.push(node.create_user(name, "correct horse battery", false).await.expect("user"));
            }
            node.create_community(&owner, "moderated", Visibility::Public, "moderated").await.expect("create");
            node.create_community(&owner, "closed", Visibility::Private, "invite-only").await.expect("create");
            let names = ["moderated", "closed"];
            for op in ops {
                // Rejections are expected; only storage errors are failures.
                let result = match op {
                    Op::Join(u, c) => node.join(&users[u], names[c]).await.map(drop),
                    Op::Leave(u, c) => node.leave(&users[u], names[c]).await,
                    Op::Invite(u, c, v) => node.invite(&users[u], names[c], users[v].name.as_str()).await,
                    Op::Approve(u, c, v) => node.approve(&users[u], names[c], users[v].name.as_str()).await,
                    Op::Role(u, c, v, r) => node.set_role(&users[u], names[c], users[v].name.as_str(), r).await,
                    Op::Remove(u, c, v) => node.remove_member(&users[u], names[c], users[v].name.as_str()).await,
                };
                assert!(!matches!(result, Err(NodeError::Store(_))), "{result:?}");
            }
            let mut before = snapshot(&node).await;
            for id in [node.resolve_community("closed").await.expect("closed")] {
                for member in node.store().members(id).await.expect("members") {
                    before.push_str(&format!("closed {} {} {:?}\n", member.key, member.role, member.status));
                }
            }
            node.replay().await.expect("replay");
            let mut after = snapshot(&node).await;
            for id in [node.resolve_community("closed").await.expect("closed")] {
                for member in node.store().members(id).await.expect("members") {
                    after.push_str(&format!("closed {} {} {:?}\n", member.key, member.role, member.status));
                }
            }
            assert_eq!(before, after);
            for report in node.verify(None).await.expect("verify") {
                assert!(report.error.is_none(), "{report:?}");
            }
            node.close().await;
          }
        });
    }
}

/// The verified-password cache on its own.
mod credential_cache {
    use crate::credentials::*;

    #[test]
    fn a_pair_counts_only_against_the_same_user_and_hash() {
        let cache = CredentialCache::default();
        assert!(!cache.check("ann", "pw", 1, "h1"));
        cache.remember("ann", "pw", 1, "h1");
        assert!(cache.check("ann", "pw", 1, "h1"));
        assert!(!cache.check("ann", "other", 1, "h1"));
        assert!(!cache.check("ann", "pw", 2, "h1"));
        // A new password hash (the password changed) drops the entry.
        assert!(!cache.check("ann", "pw", 1, "h2"));
        assert!(!cache.check("ann", "pw", 1, "h1"));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (1, 5));
    }

    #[test]
    fn the_name_and_password_boundary_is_unambiguous() {
        let cache = CredentialCache::default();
        cache.remember("ab", "c", 1, "h");
        assert!(!cache.check("a", "bc", 1, "h"));
    }

    #[test]
    fn forgetting_a_user_drops_only_their_entries() {
        let cache = CredentialCache::default();
        cache.remember("ann", "pw", 1, "h");
        cache.remember("bob", "pw", 2, "h");
        cache.forget_user(1);
        assert!(!cache.check("ann", "pw", 1, "h"));
        assert!(cache.check("bob", "pw", 2, "h"));
    }

    #[test]
    fn the_table_stays_bounded() {
        let cache = CredentialCache::default();
        for n in 0..CAPACITY + 10 {
            cache.remember(&format!("user{n}"), "pw", n as i64, "h");
        }
        assert!(cache.stats().entries <= CAPACITY);
        assert!(cache.check(
            &format!("user{}", CAPACITY + 9),
            "pw",
            (CAPACITY + 9) as i64,
            "h"
        ));
    }
}

/// Saved scan runs on disk.
mod scan_runs {
    use crate::scans::*;

    fn run(id: &str, ts_ms: i64, alerts: usize) -> ScanRun {
        ScanRun {
            id: id.to_owned(),
            ts_ms,
            user: "admin".into(),
            communities: vec!["security".into()],
            indicator_files: Vec::new(),
            inputs: vec![ScanRunInput {
                path: "flows.csv".into(),
                format: Some("flow-csv".into()),
                records: 10,
                skipped: 1,
                error: None,
            }],
            alerts: (0..alerts)
                .map(|n| ScanRunAlert {
                    indicator: format!("indicator--{n}"),
                    name: None,
                    community: Some("security".into()),
                    observable: "dst_ip".into(),
                    value: "10.0.0.1".into(),
                    flow: "tcp 10.0.0.2:1234 → 10.0.0.1:443".into(),
                    first_seen: "2026-01-01T00:00:00Z".into(),
                    last_seen: "2026-01-01T00:00:00Z".into(),
                    count: 1,
                    confidence: 50,
                    threat_score: (n % 100) as u8,
                })
                .collect(),
            alerts_total: alerts as u64,
        }
    }

    #[test]
    fn runs_are_kept_newest_first_and_bounded() {
        let dir = tempfile::tempdir().expect("temp dir");
        for n in 0..KEEP + 3 {
            save(dir.path(), run(&format!("{n:016x}"), n as i64, 1)).expect("save");
        }
        let runs = list(dir.path()).expect("list");
        assert_eq!(runs.len(), KEEP);
        assert_eq!(runs[0].id, format!("{:016x}", KEEP + 2));
        assert!(
            load(dir.path(), &format!("{:016x}", 0))
                .expect("load")
                .is_none()
        );
        assert!(
            load(dir.path(), "../../etc/passwd")
                .expect("load")
                .is_none()
        );
    }

    #[test]
    fn a_run_keeps_its_worst_alerts() {
        let dir = tempfile::tempdir().expect("temp dir");
        save(dir.path(), run("00000000000000aa", 1, MAX_ALERTS + 5)).expect("save");
        let kept = load(dir.path(), "00000000000000aa")
            .expect("load")
            .expect("run");
        assert_eq!(kept.alerts.len(), MAX_ALERTS);
        assert_eq!(kept.alerts_total, (MAX_ALERTS + 5) as u64);
        assert_eq!(kept.alerts[0].threat_score, 99);
    }

    #[test]
    fn nothing_saved_is_an_empty_list() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(list(dir.path()).expect("list"), []);
    }
}

/// Batches of invitations and joins, one batch mixing both (each record
/// seeing the ones before it), replay to the same rows on both backends.
#[tokio::test]
async fn batched_membership_records_replay_to_the_same_rows() {
    use commons_kernel::{Kind, Record, SecretKey, SignedRecord, Timestamp};

    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let owner = node.user("admin").await.expect("admin");
        node.create_community(&owner, "closed", Visibility::Private, "invite-only")
            .await
            .expect("create");
        let community = node.resolve_community("closed").await.expect("closed");
        let owner_key = node.user_secret(&owner).await.expect("owner key");
        let guests: Vec<SecretKey> = (0..300u16)
            .map(|idx| {
                let mut seed = [9u8; 32];
                seed[..2].copy_from_slice(&idx.to_le_bytes());
                SecretKey::from_bytes(&seed)
            })
            .collect();
        let mut ts = 1_700_000_000_000;
        let mut sign = |kind: &str, key: &SecretKey, body: serde_json::Value| {
            ts += 1;
            let record = Record {
                kind: Kind::parse(kind).expect("kind"),
                community,
                author: key.public_key(),
                ts: Timestamp(ts),
                body,
                refs: Vec::new(),
            };
            SignedRecord::sign(record, key).expect("sign")
        };
        let invite = |sign: &mut dyn FnMut(&str, &SecretKey, serde_json::Value) -> SignedRecord,
                      guest: &SecretKey| {
            sign(
                "community.invite",
                &owner_key,
                json!({ "member": guest.public_key() }),
            )
        };
        let join = |sign: &mut dyn FnMut(&str, &SecretKey, serde_json::Value) -> SignedRecord,
                    idx: usize| {
            sign(
                "community.join",
                &guests[idx],
                json!({ "name": format!("guest{idx}") }),
            )
        };
        let first: Vec<_> = guests[..200].iter().map(|g| invite(&mut sign, g)).collect();
        node.append(community, first).await.expect("invitations");
        let joins: Vec<_> = (0..150).map(|idx| join(&mut sign, idx)).collect();
        node.append(community, joins).await.expect("joins");
        // Invite then join in one batch: each join sees its invitation.
        let mut mixed = Vec::new();
        for (idx, guest) in guests.iter().enumerate().skip(200) {
            mixed.push(invite(&mut sign, guest));
            mixed.push(join(&mut sign, idx));
        }
        node.append(community, mixed).await.expect("mixed batch");
        let promote = sign(
            "community.role",
            &owner_key,
            json!({ "member": guests[0].public_key(), "role": "moderator" }),
        );
        node.append(community, vec![promote]).await.expect("role");

        let before = projection_rows(&node).await;
        assert_eq!(before.matches("\ninvite ").count(), 50, "{before}");
        assert!(before.contains("guest299"), "{before}");
        node.replay().await.expect("replay");
        assert_eq!(projection_rows(&node).await, before);
        node.close().await;
    }
}

#[tokio::test]
async fn forwarded_records_already_in_the_log_are_left_out_not_refused() {
    use commons_kernel::{Kind, Record, SecretKey, SignedRecord};
    use commons_store::Known;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (node, _dir) = node(&db).await;
        let ml = node.resolve_community("ml").await.expect("ml");
        let join = |idx: usize| {
            let key = SecretKey::generate();
            let record = Record {
                kind: Kind::parse("community.join").expect("kind"),
                community: ml,
                author: key.public_key(),
                ts: crate::now(),
                body: json!({ "name": format!("m{idx}") }),
                refs: Vec::new(),
            };
            SignedRecord::sign(record, &key).expect("sign")
        };
        let (a, b, c) = (join(1), join(2), join(3));
        node.append(ml, vec![a.clone(), b.clone()])
            .await
            .expect("first two");
        let length = node.store().entries(ml, 0, 1000).await.expect("log").len();
        // The plain append refuses a batch holding a stored record.
        assert!(matches!(
            node.append(ml, vec![b.clone(), c.clone()]).await,
            Err(NodeError::Duplicate(_))
        ));
        // A repeated forward stores only what is new, once.
        let entries = node
            .append_checked(
                ml,
                vec![b.clone(), c.clone(), c.clone(), a.clone()],
                Known::Skip,
            )
            .await
            .expect("new ones");
        assert_eq!(
            entries.iter().map(|e| e.record().id()).collect::<Vec<_>>(),
            vec![c.id()]
        );
        assert!(
            node.append_checked(ml, vec![a, b, c], Known::Skip)
                .await
                .expect("none")
                .is_empty()
        );
        let log = node.store().entries(ml, 0, 1000).await.expect("log");
        assert_eq!(log.len(), length + 1);
        node.close().await;
    }
}
