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

async fn snapshot(node: &Node) -> String {
    let mut out = String::new();
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
