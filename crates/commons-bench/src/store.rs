//! Append and replay throughput through the node facade on a real store.
//! The workload is invitations: each record names a fresh key, so every
//! append validates membership and role and writes a projection row.

use commons_kernel::{Kind, Record, SecretKey, SignedRecord, Timestamp};
use commons_node::{Node, NodeConfig};
use commons_test_support::{TestBackend, TestDb, backends};
use serde_json::{Value, json};

use crate::Phase;

const SINGLE: usize = 2_000;
const BATCHED: usize = 50_000;
const BATCH: usize = 1_000;
const REPLAYS: usize = 3;

pub async fn run() -> anyhow::Result<()> {
    for backend in backends() {
        let label = match backend {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres => "postgres",
        };
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir()?;
        let config = NodeConfig {
            data_dir: dir.path().to_owned(),
            database_url: Some(db.url.clone()),
            max_connections: 4,
            default_communities: true,
            public_url: "http://127.0.0.1".into(),
        };
        let (node, _) = Node::open(&config, commons_node::registry()).await?;
        let user = node.create_user("bench", "bench password 1", false).await?;
        let community = node.join(&user, "web").await?.id;
        // The bench user's secret: exported and re-opened, as a remote author would hold it.
        let export = node.export_identity("bench", "bench passphrase").await?;
        let author = open_identity(&node, &export).await?;

        let wires = records(&author, community, SINGLE + BATCHED);
        let phase = Phase::start();
        for wire in &wires[..SINGLE] {
            node.append_wire_batch(community, std::slice::from_ref(wire))
                .await?;
        }
        phase.report(
            &format!("append, single, {label}"),
            SINGLE,
            "records/s",
            1_000.0,
        );

        let phase = Phase::start();
        for chunk in wires[SINGLE..].chunks(BATCH) {
            node.append_wire_batch(community, chunk).await?;
        }
        phase.report(
            &format!("append, batches of {BATCH}, {label}"),
            BATCHED,
            "records/s",
            20_000.0,
        );

        // Replay is measured several times; the best run is the one least
        // disturbed by other work on the machine.
        for run in 1..=REPLAYS {
            let phase = Phase::start();
            let replayed = node.replay().await?;
            phase.report(
                &format!("replay ({replayed} entries, run {run}), {label}"),
                replayed as usize,
                "entries/s",
                200_000.0,
            );
        }
        node.close().await;
    }
    Ok(())
}

async fn open_identity(
    _node: &Node,
    export: &commons_node::accounts::IdentityExport,
) -> anyhow::Result<SecretKey> {
    // The author signs on their own machine; the bench holds the key the way
    // an exported identity hands it over.
    Ok(commons_node::secrets::open_with_passphrase(
        &export.salt,
        &export.sealed_secret,
        "bench passphrase",
    )?)
}

fn records(author: &SecretKey, community: commons_kernel::CommunityId, n: usize) -> Vec<Value> {
    (0..n)
        .map(|idx| {
            let record = Record {
                kind: Kind::parse("community.invite").expect("valid kind"),
                community,
                author: author.public_key(),
                ts: Timestamp(1_700_000_000_000 + idx as i64),
                body: json!({ "member": SecretKey::from_bytes(&seed(idx)).public_key() }),
                refs: Vec::new(),
            };
            SignedRecord::sign(record, author).expect("sign").to_wire()
        })
        .collect()
}

fn seed(idx: usize) -> [u8; 32] {
    let mut bytes = [7u8; 32];
    bytes[..8].copy_from_slice(&(idx as u64).to_le_bytes());
    bytes
}
