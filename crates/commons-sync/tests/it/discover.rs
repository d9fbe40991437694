//! Federated discovery: a search can include the public communities a node
//! follows but the viewer has not joined, and says where each result comes
//! from — also when two communities share a name.

use commons_node::discover::Origin;
use commons_patterns::views::Filter;
use commons_test_support::TestBackend;

use crate::away::{Restartable, ticking};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_includes_followed_communities_and_names_their_home() {
    for backend in commons_test_support::backends() {
        discovery(backend).await;
    }
}

async fn discovery(backend: TestBackend) {
    // Both nodes host their own "web"; the second also follows the first's.
    let mut home = Restartable::with(backend, commons_node::registry(), true).await;
    home.start(ticking(Vec::new())).await;
    let web = home
        .node
        .find_home_community("web")
        .await
        .expect("lookup")
        .expect("web");
    let len = home
        .node
        .log_sizes()
        .await
        .expect("sizes")
        .into_iter()
        .find(|(id, _, _)| *id == web)
        .map(|(_, n, _)| n)
        .expect("web log");
    let mut other = Restartable::with(backend, commons_node::registry(), true).await;
    let own_web = other
        .node
        .find_home_community("web")
        .await
        .expect("lookup")
        .expect("own web");
    other.node.follow(&web.to_hex()).await.expect("follow");
    other
        .start(ticking(vec![
            home.sync.as_ref().expect("started").listen_addrs()[0].clone(),
        ]))
        .await;
    other.wait_len(web, len).await;
    let erin = other
        .node
        .create_user("erin", "correct horse battery", false)
        .await
        .expect("erin");

    // Without followed communities only this node's own "web" is found.
    let found = other
        .node
        .discover(Some(&erin), "web", false)
        .await
        .expect("discover");
    let ids: Vec<_> = found.iter().map(|d| d.community.id).collect();
    assert_eq!(ids, vec![own_web]);
    assert_eq!(found[0].origin, Origin::Home);
    // With them, both, each with its origin and home node.
    let found = other
        .node
        .discover(Some(&erin), "web", true)
        .await
        .expect("discover");
    let followed = found
        .iter()
        .find(|d| d.community.id == web)
        .expect("followed web");
    assert_eq!(followed.origin, Origin::Followed);
    assert_eq!(followed.community.home, home.node.node_key());
    assert!(followed.name_matches);

    // Patterns: a word of the followed community's first pattern finds it
    // there only when followed communities are included.
    let (_, patterns) = home
        .node
        .patterns(
            None,
            &web.to_hex(),
            &Filter {
                limit: 1,
                ..Filter::default()
            },
        )
        .await
        .expect("patterns");
    let title = &patterns.first().expect("seeded patterns").title;
    let word = title
        .split_whitespace()
        .max_by_key(|w| w.len())
        .expect("a word");
    let with = other
        .node
        .discover(Some(&erin), word, true)
        .await
        .expect("discover");
    let hit = with
        .iter()
        .find(|d| d.community.id == web)
        .expect("found in the followed web");
    assert!(hit.patterns.iter().any(|p| &p.title == title));
    let without = other
        .node
        .discover(Some(&erin), word, false)
        .await
        .expect("discover");
    assert!(without.iter().all(|d| d.community.id != web));
    // Bad input.
    assert!(matches!(
        other.node.discover(Some(&erin), "   ", true).await,
        Err(commons_node::NodeError::BadInput(_))
    ));
    // Once her join is in the log, the followed community counts as joined.
    other.node.join(&erin, &web.to_hex()).await.expect("join");
    other.wait_len(web, len + 1).await;
    let found = other
        .node
        .discover(Some(&erin), "web", false)
        .await
        .expect("discover");
    let joined = found
        .iter()
        .find(|d| d.community.id == web)
        .expect("joined web");
    assert_eq!(joined.origin, Origin::Joined);
}
