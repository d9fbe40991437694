//! Writes away from the community's home node over HTTP: 202 with the
//! queued record, refused writes still 4xx, pending items on the community
//! page, each community's home node where names clash, and discovery of
//! followed communities.

use commons_node::sync::RemoteOutcome;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::{TestApp, backends};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_away_from_home_are_accepted_and_shown_as_pending() {
    for backend in backends() {
        let home = TestApp::spawn(backend).await;
        let away = TestApp::spawn(backend).await;
        let web = home.community_id("web").await;
        // The away node replicates the home node's "web", as sync would.
        away.node.follow(&web.to_hex()).await.expect("follow");
        let rows = home
            .node
            .store()
            .entries(web, 0, 1000)
            .await
            .expect("entries");
        let raws = rows
            .iter()
            .map(|row| commons_store::log::raw_entry(row).expect("raw entry"))
            .collect();
        let outcome = away
            .node
            .accept_remote(home.node.node_key(), web, raws)
            .await;
        assert!(
            matches!(outcome, RemoteOutcome::Applied { .. }),
            "{outcome:?}"
        );

        let alice = away.token("alice", &["write"]).await;
        let join = away
            .call(
                &alice,
                Method::POST,
                &format!("/api/v1/communities/{web}/join"),
                None,
            )
            .await;
        assert_eq!(join.status(), StatusCode::OK);
        let invite = away
            .call(
                &alice,
                Method::POST,
                &format!("/api/v1/communities/{web}/invite"),
                Some(json!({ "member": "bob" })),
            )
            .await;
        assert_eq!(invite.status(), StatusCode::ACCEPTED);
        assert_eq!(
            invite.headers()[header::CONTENT_TYPE],
            "application/json",
            "an accepted write is not a problem document"
        );
        let body: Value = invite.json().await.expect("json");
        assert_eq!(body["queued"], true, "{body}");
        assert_eq!(body["community"], web.to_hex(), "{body}");
        assert_eq!(body["records"].as_array().map(Vec::len), Some(1), "{body}");
        // A write the home node would refuse is refused here.
        let role = away
            .call(
                &alice,
                Method::PUT,
                &format!("/api/v1/communities/{web}/members/bob/role"),
                Some(json!({ "role": "admin" })),
            )
            .await;
        assert_eq!(role.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // The community page lists what waits for the home node.
        let page = reqwest::get(away.url(&format!("/c/{web}")))
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains("Pending (2)"), "{page}");
        assert!(page.contains("community.invite"), "{page}");
        // Two communities are called "web" here: each names its home node.
        let list = reqwest::get(away.url("/communities"))
            .await
            .expect("list")
            .text()
            .await
            .expect("html");
        let home_short = &home.node.node_key().to_hex()[..8];
        let own_short = &away.node.node_key().to_hex()[..8];
        assert!(list.contains(&format!("on {home_short}")), "{list}");
        assert!(list.contains(&format!("on {own_short}")), "{list}");
        // Discovery says where each "web" comes from.
        let found = reqwest::get(away.url("/discover?q=web&followed=1"))
            .await
            .expect("discover")
            .text()
            .await
            .expect("html");
        assert!(found.contains("on this node"), "{found}");
        assert!(
            found.contains(&format!("home node {home_short}")),
            "{found}"
        );
    }
}
