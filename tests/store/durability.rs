//! What outlives a handle: data across reopening, migrations applied once
//! however often (and however concurrently) a database is opened, and a
//! SQLite write-ahead log that does not grow without bound.

use std::sync::Arc;
use std::time::Instant;

use gallery_emulator::store::sqlite::SqliteStore;
use gallery_emulator::store::{
    ListScope, OperationChange, PageRequest, Store, StoreError, StoreKind, Write,
};

use crate::{
    Database, GALLERIES, Reach, SUB, databases, gallery, group, image, insert, insert_counted,
    operation, subscription,
};

async fn a_reopened_database_keeps_records_operations_subscriptions_and_quota_counts(db: Database) {
    let store = db.open().await;
    let rg = group(SUB, "rg");
    let g1 = gallery(SUB, "rg", "g1", "westus");
    let g2 = gallery(SUB, "rg", "g2", "westus");
    let img = image(&g1, "img");
    store.write(&insert(rg.clone())).await.expect("rg");
    store
        .write(&insert_counted(g1.clone(), 2))
        .await
        .expect("g1");
    store
        .write(&insert_counted(g2.clone(), 2))
        .await
        .expect("g2");
    store.write(&insert(img.clone())).await.expect("img");
    let op = operation("op-1", &g1.key, 1_000);
    let finished = operation("op-2", &g2.key, 2_000);
    store
        .write(&Write {
            operations: vec![
                OperationChange::Insert(op.clone()),
                OperationChange::Insert(finished.clone()),
            ],
            ..Write::default()
        })
        .await
        .expect("ops");
    store.claim_due(1_500, 1, "w", 9_000).await.expect("claim");
    store
        .write(&Write {
            operations: vec![OperationChange::Finish {
                id: finished.id.clone(),
                status: "Succeeded".into(),
                end_time: 2_500,
                error: None,
                lease_owner: None,
            }],
            ..Write::default()
        })
        .await
        .expect("finish");
    let sub = subscription(SUB, "kept");
    store.ensure_subscription(&sub).await.expect("sub");
    let secret = store.paging_secret().await.expect("secret");
    let op_stored = store.get_operation(&op.id).await.expect("get").expect("op");
    let finished_stored = store
        .get_operation(&finished.id)
        .await
        .expect("get")
        .expect("op");
    drop(store);

    let store = db.open().await;
    for r in [&rg, &g1, &g2, &img] {
        assert_eq!(store.get(&r.key).await.expect("get").as_ref(), Some(r));
    }
    assert_eq!(
        store.get_operation(&op.id).await.expect("get"),
        Some(op_stored)
    );
    assert_eq!(
        store.get_operation(&finished.id).await.expect("get"),
        Some(finished_stored)
    );
    assert_eq!(store.next_due().await.expect("next due"), Some(1_000));
    assert_eq!(store.get_subscription(SUB).await.expect("get"), Some(sub));
    assert_eq!(store.paging_secret().await.expect("secret"), secret);
    // The quota count persisted too: two of two are taken.
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "rg", "g3", "westus"), 2))
            .await,
        StoreError::QuotaExceeded { .. }
    );
    // And the lease: it is still held by "w" until 9000.
    assert_eq!(
        store
            .claim_due(5_000, 10, "x", 10_000)
            .await
            .expect("claim"),
        []
    );
}

/// How many migrations the emulator ships (the same number for both backends).
fn migration_count() -> i64 {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    std::fs::read_dir(dir)
        .map(|d| d.count() as i64)
        .unwrap_or(0)
}

async fn migrations_applied_at(db: &Database) -> i64 {
    match db {
        Database::SqliteFile(dir) => {
            let url = format!("sqlite://{}", dir.join("gallery-emulator.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.expect("open sqlite");
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
                .fetch_one(&pool)
                .await
                .expect("count");
            pool.close().await;
            n
        }
        Database::Postgres { url, schema } => {
            let pool = sqlx::PgPool::connect(url).await.expect("open postgres");
            let n: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {schema}.schema_migrations"))
                    .fetch_one(&pool)
                    .await
                    .expect("count");
            pool.close().await;
            n
        }
        Database::SqliteInMemory => unreachable!("in-memory databases are not reopened"),
    }
}

async fn opening_a_database_again_is_idempotent(db: Database) {
    let first = db.open().await;
    first.ping().await.expect("ping");
    let g = gallery(SUB, "rg", "g", "westus");
    first.write(&insert(g.clone())).await.expect("insert");
    let applied = migrations_applied_at(&db).await;
    assert!(applied >= 1);
    for _ in 0..3 {
        let again = db.open().await;
        again.ping().await.expect("ping");
        assert_eq!(again.get(&g.key).await.expect("get").as_ref(), Some(&g));
    }
    assert_eq!(migrations_applied_at(&db).await, applied);
    // The first handle still works alongside the others.
    first
        .write(&insert(gallery(SUB, "rg", "h", "westus")))
        .await
        .expect("insert through the first handle");
}

/// Opens `rounds` fresh siblings of `db` twice at once each; returns what failed.
async fn open_twice_at_once(db: &Database, rounds: usize, prepare: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for n in 0..rounds {
        let round = db.sibling();
        if prepare {
            create_empty(&round).await;
        }
        let (a, b) = tokio::join!(round.try_open(), round.try_open());
        let mut both = true;
        for (who, opened) in [("a", a), ("b", b)] {
            match opened {
                Ok(store) => store.ping().await.expect("ping"),
                Err(e) => {
                    both = false;
                    failures.push(format!("round {n}, instance {who}: {e}"));
                }
            }
        }
        if both {
            assert_eq!(
                migrations_applied_at(&round).await,
                migration_count(),
                "round {n}: each migration applied exactly once"
            );
        }
        round.remove().await;
    }
    failures
}

/// Makes the database exist, empty: the schema, or a SQLite file in WAL mode.
async fn create_empty(db: &Database) {
    match db {
        Database::SqliteFile(dir) => {
            std::fs::create_dir_all(dir).expect("mkdir");
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join("gallery-emulator.db"))
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
            let pool = sqlx::SqlitePool::connect_with(options)
                .await
                .expect("create sqlite");
            pool.close().await;
        }
        Database::Postgres { url, schema } => {
            let pool = sqlx::PgPool::connect(url).await.expect("connect");
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&pool)
                .await
                .expect("create schema");
            pool.close().await;
        }
        Database::SqliteInMemory => {}
    }
}

async fn two_instances_migrating_an_empty_database_at_once_both_succeed(db: Database) {
    let failures = open_twice_at_once(&db, 8, true).await;
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_starting_on_a_new_postgres_schema_at_once_both_succeed() {
    let Some(url) = crate::postgres_url() else {
        return;
    };
    let db = Database::Postgres {
        url,
        schema: String::new(),
    };
    let failures = open_twice_at_once(&db, 20, false).await;
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_opening_a_new_sqlite_folder_at_once_both_succeed() {
    let db = Database::SqliteFile(std::env::temp_dir());
    let failures = open_twice_at_once(&db, 200, false).await;
    assert!(failures.is_empty(), "{failures:#?}");
}

async fn every_backend_reports_its_kind(db: Database) {
    let store = db.open().await;
    let expected = match db {
        Database::SqliteFile(_) => StoreKind::Sqlite,
        Database::SqliteInMemory => StoreKind::SqliteInMemory,
        Database::Postgres { .. } => StoreKind::Postgres,
    };
    assert_eq!(store.kind(), expected);
}

on_every_database!(
    a_reopened_database_keeps_records_operations_subscriptions_and_quota_counts,
    opening_a_database_again_is_idempotent,
    two_instances_migrating_an_empty_database_at_once_both_succeed,
);

#[tokio::test]
async fn every_backend_reports_its_kind_including_in_memory() {
    for db in databases(Reach::AlsoInMemory) {
        every_backend_reports_its_kind(db.clone()).await;
        db.remove().await;
    }
}

#[tokio::test]
async fn in_memory_stores_are_private_to_their_handle_and_keep_data_while_open() {
    let a = SqliteStore::open_in_memory().await.expect("a");
    let b = SqliteStore::open_in_memory().await.expect("b");
    let g = gallery(SUB, "rg", "g", "westus");
    a.write(&insert(g.clone())).await.expect("insert");
    assert_eq!(b.get(&g.key).await.expect("get"), None);
    // The one connection is never recycled: the data stays while the handle lives.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(a.get(&g.key).await.expect("get"), Some(g));
}

/// Writes one record per transaction, with the reads a handler makes
/// around each, and checks the WAL file stays near SQLite's auto-checkpoint
/// size (1000 pages) instead of growing with every write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_wal_stays_bounded_after_5000_single_record_writes() {
    const WRITES: usize = 5_000;
    const BOUND: u64 = 8 * 1024 * 1024;
    let db = Database::SqliteFile(
        std::env::temp_dir().join(format!("gallery-emulator-wal-{}", uuid::Uuid::new_v4())),
    );
    let dir = db.sqlite_dir().expect("file").clone();
    let store: Arc<dyn Store> = db.open().await;
    let wal = dir.join("gallery-emulator.db-wal");
    let started = Instant::now();
    let mut largest = 0;
    store.write(&insert(group(SUB, "rg"))).await.expect("rg");
    for n in 0..WRITES {
        let mut g = gallery(SUB, "rg", &format!("g{n:05}"), "westus");
        g.body = format!(
            r#"{{"description":"gallery number {n}","padding":"{}"}}"#,
            "x".repeat(200)
        );
        assert_eq!(store.get(&g.key).await.expect("get"), None);
        store
            .write(&insert_counted(g.clone(), 1_000_000))
            .await
            .expect("insert");
        assert!(store.get(&g.key).await.expect("get").is_some());
        if n % 250 == 0 {
            store.paging_secret().await.expect("secret");
            store
                .list(
                    &ListScope::Subscription {
                        subscription_id: SUB.into(),
                        kind: GALLERIES.into(),
                    },
                    &PageRequest {
                        after: None,
                        limit: 10,
                    },
                )
                .await
                .expect("list");
            store.next_due().await.expect("next due");
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        }
    }
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let db_size = std::fs::metadata(dir.join("gallery-emulator.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{WRITES} writes in {:?}: WAL {size} bytes (largest seen {largest}), database {db_size} bytes",
        started.elapsed()
    );
    drop(store);
    db.remove().await;
    assert!(
        size.max(largest) < BOUND,
        "the WAL grew to {} bytes after {WRITES} writes (database: {db_size} bytes): \
         something keeps a read open and stops checkpoints",
        size.max(largest)
    );
    assert!(
        db_size > 1_000_000,
        "the writes never reached the database file ({db_size} bytes)"
    );
}
