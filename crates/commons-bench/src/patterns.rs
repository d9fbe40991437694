//! Pattern submission against a growing library: the duplicate and
//! near-duplicate check looks submitted hashes up in the `pattern_hashes`
//! index, so submitting with 10,000 patterns in the community should cost
//! about what it costs with 10 (target: at most 1.2x).

use std::time::Instant;

use commons_kernel::{Kind, Record, SecretKey, SignedRecord, Timestamp};
use commons_node::patterns::{Impact, Properties, Severity, Submission};
use commons_node::{Node, NodeConfig};
use commons_test_support::{TestBackend, TestDb, backends};
use serde_json::{Value, json};

use crate::report;

/// Submissions timed at each library size.
const PROBES: usize = 200;
/// Hashes per synthetic pattern (a typical 10–20 line pattern keeps 10–30).
const HASHES: usize = 20;

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
        let (_, key) = node.pattern_key(&user, "web").await?;
        let template = scheme_template(&key.key())?;

        // A second member fills the library with synthetic patterns in batches.
        let filler = SecretKey::from_bytes(&[9u8; 32]);
        let join = sign(
            &filler,
            community,
            "community.join",
            json!({ "name": "filler" }),
            0,
        );
        node.append_wire_batch(community, &[join]).await?;
        let mut next = 1u64;
        // Warm the pool, the statement caches and the page cache in another
        // community, so the first size measured is not the cold one.
        node.join(&user, "ml").await?;
        let (_, ml_key) = node.pattern_key(&user, "ml").await?;
        let ml_template = scheme_template(&ml_key.key())?;
        for _ in 0..PROBES / 2 {
            next += 1;
            node.submit_pattern(&user, "ml", probe(&ml_template, next)?)
                .await?;
        }
        let mut per_size = Vec::new();
        for size in [10usize, 10_000] {
            let have = commons_node::patterns::Filter {
                limit: 1000,
                ..Default::default()
            };
            let present = node.patterns(None, "web", &have).await?.1.len();
            let missing = size.saturating_sub(present.min(size));
            let wires: Vec<Value> = (0..missing)
                .map(|_| {
                    next += 1;
                    let body = submission_body(&template, next);
                    sign(&filler, community, "patterns.submit", body, next)
                })
                .collect();
            for chunk in wires.chunks(1000) {
                node.append_wire_batch(community, chunk).await?;
            }
            let started = Instant::now();
            for _ in 0..PROBES {
                next += 1;
                node.submit_pattern(&user, "web", probe(&template, next)?)
                    .await?;
            }
            let per_submission = started.elapsed().as_secs_f64() * 1000.0 / PROBES as f64;
            println!("pattern submission with {size:>6} patterns, {label}: {per_submission:.2} ms");
            per_size.push(per_submission);
        }
        report(
            &format!("submission cost 10k / 10 patterns, {label}"),
            per_size[1] / per_size[0],
            "x",
            1.2,
            false,
        );
        node.close().await;
    }
    Ok(())
}

/// A submission of a synthetic fingerprint.
fn probe(template: &Value, seed: u64) -> anyhow::Result<Submission> {
    Ok(Submission {
        title: format!("probe {seed}"),
        description: String::new(),
        language: "python".into(),
        properties: Properties {
            severity: Severity::Medium,
            category: "bench".into(),
            performance: Impact::None,
            security: Impact::None,
        },
        fingerprint: serde_json::from_value(fingerprint_json(template, seed))?,
        anonymous: false,
    })
}

/// The scheme of a real fingerprint, reused for synthetic hash sets.
fn scheme_template(key: &commons_fingerprint::CommunityKey) -> anyhow::Result<Value> {
    let source = "def f(db, request):\n    term = request.args[\"q\"]\n    cursor = db.cursor()\n    cursor.execute(\"SELECT * FROM t WHERE a LIKE '%\" + term + \"%' ORDER BY id\")\n    found = []\n    for row in cursor.fetchall():\n        found.append(row[0])\n    return found\n";
    let config = commons_fingerprint::Config::default();
    let local = commons_fingerprint::fingerprint(
        commons_fingerprint::Language::Python,
        source.as_bytes(),
        &config,
    )?;
    let (shared, _) = local
        .export(key, None, &config)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(serde_json::to_value(shared)?)
}

/// A fingerprint with `HASHES` pseudo-random hashes derived from `seed`.
fn fingerprint_json(template: &Value, seed: u64) -> Value {
    let mut hashes: Vec<u64> = (0..HASHES as u64)
        .map(|idx| {
            let digest = blake3::hash(&[seed.to_le_bytes(), idx.to_le_bytes()].concat());
            u64::from_le_bytes(digest.as_bytes()[..8].try_into().expect("8 bytes"))
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut fingerprint = template.clone();
    fingerprint["hashes"] = hashes.iter().map(|h| format!("{h:016x}")).collect();
    fingerprint
}

fn submission_body(template: &Value, seed: u64) -> Value {
    json!({
        "title": format!("synthetic {seed}"),
        "description": "",
        "language": "python",
        "properties": { "severity": "low", "category": "bench" },
        "fingerprint": fingerprint_json(template, seed),
        "anonymous": false,
        "similar": [],
    })
}

fn sign(
    author: &SecretKey,
    community: commons_kernel::CommunityId,
    kind: &str,
    body: Value,
    idx: u64,
) -> Value {
    let record = Record {
        kind: Kind::parse(kind).expect("valid kind"),
        community,
        author: author.public_key(),
        ts: Timestamp(1_700_000_000_000 + idx as i64),
        body,
        refs: Vec::new(),
    };
    SignedRecord::sign(record, author).expect("sign").to_wire()
}
