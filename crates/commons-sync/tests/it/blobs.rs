//! Blobs by hash: fetched in verified chunks from any peer that has them
//! (here one that is not the author), resumed from the chunks a node has,
//! and never served to a node that may not receive the community.

use commons_kernel::Visibility;
use commons_node::NodeError;
use commons_node::blobs::{CHUNK_BYTES, Manifest};

use crate::support::{config, node};

fn counter(node: &crate::support::TestNode, name: &str) -> u64 {
    node.sync()
        .status()
        .counters
        .get(name)
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_come_in_verified_chunks_from_any_peer_that_has_them() {
    let mut author = node(true).await;
    author.start(config(Vec::new())).await;
    let web = author.community("web").await;
    let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 1000)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let id = author.node.put_blob(web, &bytes).await.expect("put");
    assert_eq!(id, Manifest::of(&bytes).id());

    // A relay fetches it from the author.
    let mut relay = node(false).await;
    relay.node.follow(&web.to_hex()).await.expect("follow");
    relay.start(config(vec![author.addr()])).await;
    relay.wait_len(web, 1).await;
    relay
        .sync()
        .fetch_blob(web, id)
        .await
        .expect("fetch from the author");

    // A reader that cannot reach the author gets it from the relay.
    let mut reader = node(false).await;
    let peer = |node: &commons_node::Node| -> commons_sync::PeerId {
        node.peer_id().parse().expect("peer id")
    };
    author.sync().block(peer(&reader.node)).await;
    reader.node.follow(&web.to_hex()).await.expect("follow");
    reader.start(config(vec![relay.addr()])).await;
    reader.wait_len(web, 1).await;
    reader
        .sync()
        .fetch_blob(web, id)
        .await
        .expect("fetch from the relay");
    assert_eq!(
        reader.node.blob(web, &id).await.expect("read"),
        Some(bytes.clone())
    );
    assert_eq!(counter(&reader, commons_sync::counters::BLOB_CHUNKS), 3);

    // A fetch resumes from the chunks a node already has.
    let mut resumer = node(false).await;
    resumer.node.follow(&web.to_hex()).await.expect("follow");
    resumer.start(config(vec![relay.addr()])).await;
    resumer.wait_len(web, 1).await;
    let manifest = Manifest::of(&bytes);
    let missing = resumer
        .node
        .store_blob_manifest(web, &id, &manifest)
        .await
        .expect("manifest");
    assert_eq!(missing, vec![0, 1, 2]);
    // A chunk that does not match its hash is refused.
    let bad = resumer
        .node
        .store_blob_chunk(web, &id, 0, &bytes[1..=CHUNK_BYTES])
        .await;
    assert!(matches!(bad, Err(NodeError::BadInput(_))), "{bad:?}");
    let mut lying = manifest.clone();
    lying.size += 1;
    assert!(matches!(
        resumer.node.store_blob_manifest(web, &id, &lying).await,
        Err(NodeError::BadInput(_))
    ));
    resumer
        .node
        .store_blob_chunk(web, &id, 0, &bytes[..CHUNK_BYTES])
        .await
        .expect("first chunk");
    resumer.sync().fetch_blob(web, id).await.expect("resume");
    assert_eq!(counter(&resumer, commons_sync::counters::BLOB_CHUNKS), 2);
    assert_eq!(
        resumer.node.blob(web, &id).await.expect("read"),
        Some(bytes.clone())
    );

    // A private community's blob is not served to a node that is not a
    // member node, and an unknown blob is a clear error.
    let admin = author.node.user("admin").await.expect("admin");
    let team = author
        .node
        .create_community(&admin, "team", Visibility::Private, "invite-only")
        .await
        .expect("team")
        .id;
    let secret = author
        .node
        .put_blob(team, b"private bytes")
        .await
        .expect("put");
    let mut spy = node(false).await;
    spy.start(config(vec![author.addr()])).await;
    let refused = spy.sync().fetch_blob(team, secret).await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(spy.node.blob(team, &secret).await.expect("read"), None);
    let unknown = reader.sync().fetch_blob(web, [7; 32]).await;
    assert!(unknown.is_err(), "{unknown:?}");
}
