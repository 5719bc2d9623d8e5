//! The embedded default store: one SQLite file in WAL mode with full fsync,
//! or a private in-memory database for throwaway state.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{StoreError, StoreKind};

pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    kind: StoreKind,
    writer: tokio::sync::Mutex<()>,
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/gallery-emulator.db` and migrates it.
    pub async fn open_file(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Migration(format!("cannot create {}: {e}", dir.display())))?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join("gallery-emulator.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false);
        // Switching a new file to WAL takes a lock the busy timeout does not
        // wait for; a second process opening the same new file retries.
        let mut attempt = 0;
        let pool = loop {
            let opened = SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .connect_with(options.clone())
                .await;
            match opened {
                Err(sqlx::Error::Database(e)) if attempt < 20 && e.message().contains("locked") => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                }
                other => break other?,
            }
        };
        Self::migrated(pool, StoreKind::Sqlite).await
    }

    /// A database that lives as long as the process: one connection that is
    /// never recycled, because closing it would drop the data.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::migrated(pool, StoreKind::SqliteInMemory).await
    }

    async fn migrated(pool: sqlx::SqlitePool, kind: StoreKind) -> Result<Self, StoreError> {
        super::migrate::run!(
            pool,
            super::migrate::SQLITE,
            None::<&str>,
            begin = "BEGIN IMMEDIATE"
        )?;
        Ok(SqliteStore {
            pool,
            kind,
            writer: Default::default(),
        })
    }

    /// Writers queue in-process for the one write lock SQLite has, instead of
    /// colliding on it and sleeping in SQLite's busy handler; and they take it
    /// up front, because a deferred transaction that reads and then writes can
    /// fail with SQLITE_BUSY instead of waiting its turn.
    async fn begin_write(
        &self,
    ) -> Result<
        (
            tokio::sync::MutexGuard<'_, ()>,
            sqlx::Transaction<'static, sqlx::Sqlite>,
        ),
        StoreError,
    > {
        let guard = self.writer.lock().await;
        Ok((guard, self.pool.begin_with("BEGIN IMMEDIATE").await?))
    }
}

super::sql::impl_store!(
    SqliteStore,
    sqlx::Sqlite,
    claim_sql = concat!(
        "UPDATE operations SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM operations WHERE due_at IS NOT NULL AND due_at <= $3 \
         AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4) \
         RETURNING ",
        operation_columns!()
    ),
    lock_shared = "",
    lock_exclusive = "",
    batched = true,
    json_page_open = "json_group_array(json_array(",
    json_body = "json(body)",
    json_page_close = ")"
);
