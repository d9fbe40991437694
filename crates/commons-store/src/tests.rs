//! Tests of what the node facade cannot reach: migrations of data written
//! under an older schema. Run on SQLite and, when configured, PostgreSQL.

use std::borrow::Cow;

use commons_kernel::{
    CommunityId, Entry, EntryHash, Kind, Record, RecordId, SecretKey, SignedRecord, Timestamp,
};
use commons_test_support::{TestBackend, TestDb, backends};
use serde_json::json;
use sqlx::migrate::Migrator;

use crate::log::insert_entries;
use crate::{AppendError, Registry, Store, StoreConfig};

/// Entries in the log written before migration 0070.
const ENTRIES: usize = 300;

/// Migration 0070 replaced `UNIQUE (community_id, record_id)` by a unique
/// index on the record id's bytes; on SQLite it rebuilt `log_entries`.
#[tokio::test]
async fn the_record_index_migration_keeps_logs_and_refuses_duplicates() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let Log {
            community_key,
            records,
            entries,
            ..
        } = invitations(ENTRIES);
        let community = community_key.public_key().community_id();
        let ids: Vec<RecordId> = records.iter().map(SignedRecord::id).collect();
        write_before_0070(&db, &community_key, &entries).await;

        let config = StoreConfig {
            url: db.url.clone(),
            max_connections: 2,
        };
        let registry = Registry::with_kernel();
        let store = Store::open(&config, &registry).await.expect("migrate");
        let report = store.verify(community).await.expect("verify");
        assert_eq!((report.entries, report.error), (ENTRIES as u64, None));
        let found = store
            .records_in_log(community, &ids)
            .await
            .expect("records in log");
        assert_eq!(found.len(), ENTRIES);
        assert!(store.has_record(community, ids[7]).await.expect("lookup"));
        let elsewhere = SecretKey::from_bytes(&[3; 32]).public_key().community_id();
        assert!(!store.has_record(elsewhere, ids[7]).await.expect("lookup"));

        let refused = store
            .append(
                &registry,
                &community_key,
                vec![records[5].clone()],
                Timestamp(1_800_000_000_000),
            )
            .await;
        assert!(
            matches!(refused, Err(AppendError::Duplicate { index: 0, id }) if id == ids[5]),
            "{refused:?}"
        );
        // The index itself refuses a second entry of a record, as the
        // constraint it replaced did (replication relies on that).
        let last = entries.last().expect("entries").hash();
        let again = Entry::seal_all(
            ENTRIES as u64,
            last,
            Timestamp(1_700_000_200_000),
            vec![records[5].clone()],
            &community_key,
        );
        let mut tx = store.write().await.expect("write");
        assert!(insert_entries(tx.conn(), &again).await.is_err());
        drop(tx);
        store.close().await;
    }
}

/// A replay reads a log a page at a time (2,000 entries; on SQLite each
/// page as one joined text): a log of several pages, the last one short,
/// rebuilds every row.
#[tokio::test]
async fn a_replay_of_several_pages_rebuilds_every_row() {
    const LONG: usize = 4_100;
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let Log {
            community_key,
            author,
            entries,
            ..
        } = invitations(LONG);
        let community = community_key.public_key().community_id();
        let config = StoreConfig {
            url: db.url.clone(),
            max_connections: 2,
        };
        let registry = Registry::with_kernel();
        let store = Store::open(&config, &registry).await.expect("open");
        let pool = store.pool().clone();
        write_log(&pool, &community_key, &entries).await;

        assert_eq!(store.replay(&registry).await.expect("replay"), LONG as u64);
        let invites = store.invites(community).await.expect("invites");
        let mut seqs: Vec<u64> = invites.iter().map(|(_, invite)| invite.seq).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (0..LONG as u64).collect::<Vec<_>>());
        assert!(
            invites
                .iter()
                .all(|(_, invite)| invite.inviter == author.public_key())
        );
        store.close().await;
    }
}

/// Writes `entries` and their head into `db` migrated to just before 0070,
/// the way the store wrote them then.
async fn write_before_0070(db: &TestDb, community_key: &SecretKey, entries: &[Entry]) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.expect("connect");
    let mut migrator: Migrator = match db.backend {
        TestBackend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        TestBackend::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    let before: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|migration| migration.version < 70)
        .cloned()
        .collect();
    migrator.migrations = Cow::Owned(before);
    migrator.run(&pool).await.expect("migrate to before 0070");
    write_log(&pool, community_key, entries).await;
    pool.close().await;
}

/// Writes `entries` of a log and its head as `Store::append` would, with no
/// validation and no reducer: the projections stay empty until a replay.
async fn write_log(pool: &sqlx::AnyPool, community_key: &SecretKey, entries: &[Entry]) {
    let mut conn = pool.acquire().await.expect("connection");
    insert_entries(&mut conn, entries)
        .await
        .expect("insert entries");
    let last = entries.last().expect("entries");
    sqlx::query(
        "INSERT INTO log_heads (community_id, community_key, next_seq, head_hash, bytes) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(community_key.public_key().community_id().to_hex())
    .bind(community_key.public_key().to_hex())
    .bind(entries.len() as i64)
    .bind(last.hash().to_hex())
    .bind(0_i64)
    .execute(&mut *conn)
    .await
    .expect("insert head");
}

/// A community log of invitations, with its keys.
struct Log {
    community_key: SecretKey,
    author: SecretKey,
    records: Vec<SignedRecord>,
    entries: Vec<Entry>,
}

/// A log of `n` invitations by one author, sealed from its first entry on.
fn invitations(n: usize) -> Log {
    let community_key = SecretKey::from_bytes(&[1; 32]);
    let community = community_key.public_key().community_id();
    let author = SecretKey::from_bytes(&[2; 32]);
    let records: Vec<SignedRecord> = (0..n).map(|idx| invite(&author, community, idx)).collect();
    let entries = Entry::seal_all(
        0,
        EntryHash::GENESIS,
        Timestamp(1_700_000_100_000),
        records.clone(),
        &community_key,
    );
    Log {
        community_key,
        author,
        records,
        entries,
    }
}

fn invite(author: &SecretKey, community: CommunityId, idx: usize) -> SignedRecord {
    let mut seed = [9u8; 32];
    seed[..8].copy_from_slice(&(idx as u64).to_le_bytes());
    let record = Record {
        kind: Kind::parse("community.invite").expect("valid kind"),
        community,
        author: author.public_key(),
        ts: Timestamp(1_700_000_000_000 + idx as i64),
        body: json!({ "member": SecretKey::from_bytes(&seed).public_key() }),
        refs: Vec::new(),
    };
    SignedRecord::sign(record, author).expect("sign")
}
