//! The store conformance suite: every check runs on SQLite (a file, and in
//! memory where that is a different configuration) and on Postgres when
//! `TEST_DATABASE_URL` names one, each on a fresh database of its own.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use gallery_emulator::store::postgres::PgStore;
use gallery_emulator::store::sqlite::SqliteStore;
use gallery_emulator::store::{
    Change, OperationRecord, QuotaClaim, Record, Store, SubscriptionRecord, Write,
};

/// Generates, in a module `on_every_backend`, one test per check taking
/// `Arc<dyn Store>`, run on a fresh SQLite file, SQLite in memory and Postgres.
macro_rules! on_every_backend {
    ($($(#[$attr:meta])* $check:ident),+ $(,)?) => {
        mod on_every_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attr])*
                async fn $check() {
                    $crate::run(stringify!($check), $crate::Reach::AlsoInMemory, |db| async move {
                        super::$check(db.open().await).await
                    })
                    .await;
                }
            )+
        }
    };
}

/// Generates, in a module `on_every_database`, one test per check taking a
/// `Database` (not yet created) that the check opens, reopens and races on:
/// SQLite files and Postgres schemas, the backends that outlive a process.
macro_rules! on_every_database {
    ($($(#[$attr:meta])* $check:ident),+ $(,)?) => {
        mod on_every_database {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attr])*
                async fn $check() {
                    $crate::run(stringify!($check), $crate::Reach::Durable, super::$check).await;
                }
            )+
        }
    };
}

/// Asserts a store call failed with the given `StoreError` pattern.
macro_rules! assert_err {
    ($result:expr, $pattern:pat) => {
        match $result {
            Err($pattern) => {}
            other => panic!("expected Err({}), got {:?}", stringify!($pattern), other),
        }
    };
}

#[path = "../common/mod.rs"]
mod common;

mod atomicity;
mod concurrency;
mod durability;
mod lists;
mod operations;
mod preconditions;
mod quota;
mod records;
mod subscriptions;
mod two_instances;

pub const POSTGRES_ENV: &str = "TEST_DATABASE_URL";

/// Where a check runs: a database that may not exist yet.
#[derive(Debug, Clone)]
pub enum Database {
    SqliteFile(PathBuf),
    SqliteInMemory,
    Postgres { url: String, schema: String },
}

impl Database {
    pub fn name(&self) -> &'static str {
        match self {
            Database::SqliteFile(_) => "sqlite file",
            Database::SqliteInMemory => "sqlite in memory",
            Database::Postgres { .. } => "postgres",
        }
    }

    /// Opens (creating and migrating) the database; every call is another
    /// handle on the same data, like another emulator instance, except in
    /// memory, where each call is a database of its own.
    pub async fn open(&self) -> Arc<dyn Store> {
        self.try_open()
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.name()))
    }

    pub async fn try_open(&self) -> Result<Arc<dyn Store>, gallery_emulator::store::StoreError> {
        Ok(match self {
            Database::SqliteFile(dir) => Arc::new(SqliteStore::open_file(dir).await?),
            Database::SqliteInMemory => Arc::new(SqliteStore::open_in_memory().await?),
            Database::Postgres { url, schema } => {
                Arc::new(PgStore::connect(url, Some(schema)).await?)
            }
        })
    }

    /// The SQLite file, for checks that look at it on disk.
    pub fn sqlite_dir(&self) -> Option<&PathBuf> {
        match self {
            Database::SqliteFile(dir) => Some(dir),
            _ => None,
        }
    }

    /// Another fresh database of the same backend.
    pub fn sibling(&self) -> Database {
        match self {
            Database::SqliteFile(_) => Database::SqliteFile(fresh_dir()),
            Database::SqliteInMemory => Database::SqliteInMemory,
            Database::Postgres { url, .. } => Database::Postgres {
                url: url.clone(),
                schema: fresh_schema(),
            },
        }
    }

    /// Removes what the database left behind (best effort).
    pub async fn remove(&self) {
        match self {
            Database::SqliteFile(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Database::SqliteInMemory => {}
            Database::Postgres { url, schema } => {
                if let Ok(pool) = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            }
        }
    }
}

fn fresh_dir() -> PathBuf {
    std::env::temp_dir().join(format!("gallery-emulator-store-{}", uuid::Uuid::new_v4()))
}

fn fresh_schema() -> String {
    format!("store_{}", uuid::Uuid::new_v4().simple())
}

pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!("skipping Postgres: {POSTGRES_ENV} is not set");
            None
        }
    }
}

/// Which backends a check runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    AlsoInMemory,
    Durable,
}

pub fn databases(reach: Reach) -> Vec<Database> {
    let mut all = vec![Database::SqliteFile(fresh_dir())];
    if reach == Reach::AlsoInMemory {
        all.push(Database::SqliteInMemory);
    }
    if let Some(url) = postgres_url() {
        all.push(Database::Postgres {
            url,
            schema: fresh_schema(),
        });
    }
    all
}

/// Runs `check` on a fresh database of every configured backend, each on a
/// thread and runtime of its own so that one backend failing does not hide
/// how the others fare; removes every database afterwards.
pub async fn run<F, Fut>(name: &str, reach: Reach, check: F)
where
    F: Fn(Database) -> Fut + Send + Clone + 'static,
    Fut: Future<Output = ()>,
{
    let mut failed = Vec::new();
    for db in databases(reach) {
        println!("{name}: on {}", db.name());
        let check = check.clone();
        let on = db.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            std::thread::spawn(move || {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(check(on))
            })
            .join()
        })
        .await
        .expect("join");
        db.remove().await;
        if outcome.is_err() {
            failed.push(db.name());
        }
    }
    assert!(failed.is_empty(), "{name} failed on: {}", failed.join(", "));
}

// ---- what the checks write --------------------------------------------------

pub const SUB: &str = "00000000-0000-0000-0000-00000000000a";
pub const OTHER_SUB: &str = "00000000-0000-0000-0000-00000000000b";
pub const GALLERIES: &str = "galleries";
pub const GROUPS: &str = "resourcegroups";
pub const IMAGES: &str = "images";

pub fn group_key(sub: &str, rg: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourcegroups/{}",
        rg.to_ascii_lowercase()
    )
}

/// A resource group record, as the resource-group handler stores one.
pub fn group(sub: &str, rg: &str) -> Record {
    Record {
        key: group_key(sub, rg),
        id: format!("/subscriptions/{sub}/resourceGroups/{rg}"),
        kind: GROUPS.into(),
        parent_key: format!("/subscriptions/{sub}"),
        subscription_id: sub.into(),
        resource_group: rg.to_ascii_lowercase(),
        name: rg.into(),
        location: "westus".into(),
        provisioning_state: "Succeeded".into(),
        unique: None,
        operation_id: None,
        body: "{}".into(),
        revision: 0,
        created_at: 1_000,
        updated_at: 1_000,
    }
}

/// A gallery record in `sub`/`rg`, unique by name within the subscription.
pub fn gallery(sub: &str, rg: &str, name: &str, location: &str) -> Record {
    let parent = group_key(sub, rg);
    Record {
        key: format!(
            "{parent}/providers/microsoft.compute/galleries/{}",
            name.to_ascii_lowercase()
        ),
        id: format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{name}"
        ),
        kind: GALLERIES.into(),
        parent_key: parent,
        subscription_id: sub.into(),
        resource_group: rg.to_ascii_lowercase(),
        name: name.into(),
        location: location.into(),
        provisioning_state: "Succeeded".into(),
        unique: Some((format!("/subscriptions/{sub}"), name.to_ascii_lowercase())),
        operation_id: None,
        body: r#"{"description":"a gallery"}"#.into(),
        revision: 0,
        created_at: 2_000,
        updated_at: 2_000,
    }
}

/// An image definition under `parent` (a gallery record).
pub fn image(parent: &Record, name: &str) -> Record {
    Record {
        key: format!("{}/images/{}", parent.key, name.to_ascii_lowercase()),
        id: format!("{}/images/{name}", parent.id),
        kind: IMAGES.into(),
        parent_key: parent.key.clone(),
        subscription_id: parent.subscription_id.clone(),
        resource_group: parent.resource_group.clone(),
        name: name.into(),
        location: parent.location.clone(),
        provisioning_state: "Succeeded".into(),
        unique: None,
        operation_id: None,
        body: "{}".into(),
        revision: 0,
        created_at: 3_000,
        updated_at: 3_000,
    }
}

pub fn insert(record: Record) -> Write {
    Write {
        changes: vec![Change::Insert {
            record,
            quota: None,
        }],
        ..Write::default()
    }
}

pub fn insert_counted(record: Record, limit: i64) -> Write {
    Write {
        changes: vec![Change::Insert {
            record,
            quota: Some(QuotaClaim { limit }),
        }],
        ..Write::default()
    }
}

pub fn delete(key: &str, expected_revision: Option<i64>, counted: bool) -> Write {
    Write {
        changes: vec![Change::Delete {
            key: key.into(),
            expected_revision,
            counted,
        }],
        ..Write::default()
    }
}

/// A running operation on `resource_key`, due at `due_at`.
pub fn operation(id: &str, resource_key: &str, due_at: i64) -> OperationRecord {
    OperationRecord {
        id: id.into(),
        subscription_id: SUB.into(),
        location: "westus".into(),
        kind: "Create".into(),
        resource_key: resource_key.into(),
        status: "InProgress".into(),
        start_time: 500,
        end_time: None,
        due_at: Some(due_at),
        error: None,
        lease_owner: None,
        lease_until: None,
    }
}

pub fn subscription(id: &str, display_name: &str) -> SubscriptionRecord {
    SubscriptionRecord {
        subscription_id: id.into(),
        display_name: display_name.into(),
        tenant_id: "00000000-0000-0000-0000-0000000000aa".into(),
        state: "Enabled".into(),
        created_at: 7_000,
    }
}
