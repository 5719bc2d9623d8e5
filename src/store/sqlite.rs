//! The embedded default store: one SQLite file in WAL mode with full fsync,
//! or a private in-memory database for throwaway state.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{Mutex, MutexGuard, mpsc, oneshot};

use super::{StoreError, StoreKind};

pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    kind: StoreKind,
    /// The one write lock, taken in-process (see `begin_write`).
    writer: Arc<Mutex<()>>,
    /// Writes waiting for the committer (see `commit_groups`).
    committer: mpsc::UnboundedSender<Pending>,
}

/// A write waiting to be committed, and where its outcome goes.
struct Pending {
    write: Write,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The most writes committed together.
const GROUP_MAX: usize = 64;

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
            // A connection to a local file does not go stale: no ping before use.
            let opened = SqlitePoolOptions::new()
                .max_connections(4)
                .min_connections(1)
                .test_before_acquire(false)
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
            .test_before_acquire(false)
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
        let writer = Arc::new(Mutex::new(()));
        let (committer, queue) = mpsc::unbounded_channel();
        tokio::spawn(commit_groups(pool.clone(), writer.clone(), queue));
        Ok(SqliteStore {
            pool,
            kind,
            writer,
            committer,
        })
    }

    /// Hands the write to the committer and waits until it is committed or refused.
    /// When no write is under way, the write is committed right here instead.
    async fn apply(&self, write: &Write) -> Result<(), StoreError> {
        if let Ok(_writer) = self.writer.try_lock() {
            let mut outcomes = commit_group(&self.pool, std::slice::from_ref(write)).await?;
            return outcomes.pop().unwrap_or(Ok(()));
        }
        let (done, outcome) = oneshot::channel();
        let pending = Pending {
            write: write.clone(),
            done,
        };
        let gone = || StoreError::Backend(sqlx::Error::PoolClosed);
        self.committer.send(pending).map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }

    /// Writers queue in-process for the one write lock SQLite has, instead of
    /// colliding on it and sleeping in SQLite's busy handler; and they take it
    /// up front, because a deferred transaction that reads and then writes can
    /// fail with SQLITE_BUSY instead of waiting its turn.
    async fn begin_write(
        &self,
    ) -> Result<(MutexGuard<'_, ()>, sqlx::Transaction<'static, sqlx::Sqlite>), StoreError> {
        let guard = self.writer.lock().await;
        Ok((guard, self.pool.begin_with("BEGIN IMMEDIATE").await?))
    }
}

/// Commits the writes that wait, together: one transaction (one fsync) for
/// all the writes that queued while the last group was being committed.
/// Each write is in its own savepoint, so a refused write is undone alone.
/// A write's outcome is sent only once the transaction has committed.
async fn commit_groups(
    pool: sqlx::SqlitePool,
    writer: Arc<Mutex<()>>,
    mut queue: mpsc::UnboundedReceiver<Pending>,
) {
    let mut group = Vec::with_capacity(GROUP_MAX);
    while queue.recv_many(&mut group, GROUP_MAX).await > 0 {
        let (writes, done): (Vec<_>, Vec<_>) = group.drain(..).map(|p| (p.write, p.done)).unzip();
        let outcomes = {
            let _writer = writer.lock().await;
            commit_group(&pool, &writes).await
        };
        match outcomes {
            Ok(outcomes) => {
                for (done, outcome) in done.into_iter().zip(outcomes) {
                    let _ = done.send(outcome);
                }
            }
            // Nothing was committed: every write of the group fails alike.
            Err(e) => {
                let message = e.to_string();
                for done in done {
                    let failed =
                        sqlx::Error::Protocol(format!("the write was not committed: {message}"));
                    let _ = done.send(Err(StoreError::Backend(failed)));
                }
            }
        }
    }
}

/// Applies `writes` in one transaction and commits what was not refused;
/// the outcome of each write, or the error that stopped the whole group.
async fn commit_group(
    pool: &sqlx::SqlitePool,
    writes: &[Write],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // A write alone needs no savepoint: when it is refused, nothing commits.
    let alone = writes.len() == 1;
    let mut outcomes = Vec::with_capacity(writes.len());
    // Whether the savepoint of the write before is still open, and how it ended.
    let mut open: Option<bool> = None;
    for write in writes {
        let planned = match plan(write) {
            Ok(planned) => planned,
            Err(e) => {
                outcomes.push(Err(e));
                continue;
            }
        };
        let mut statements = Vec::with_capacity(planned.len() + 3);
        if !alone {
            match open.take() {
                Some(true) => statements.push(Statement::new("RELEASE w", vec![])),
                Some(false) => {
                    statements.push(Statement::new("ROLLBACK TO w", vec![]));
                    statements.push(Statement::new("RELEASE w", vec![]));
                }
                None => {}
            }
            statements.push(Statement::new("SAVEPOINT w", vec![]));
        }
        statements.extend(planned);
        let outcome = run(&mut tx, &statements).await;
        open = Some(outcome.is_ok());
        outcomes.push(outcome);
    }
    if alone && outcomes.iter().any(Result::is_err) {
        return Ok(outcomes);
    }
    if open == Some(false) {
        sqlx::query("ROLLBACK TO w").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
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
    json_page_close = ")",
    json_page_ordered = false,
    keys_of_json = "SELECT value FROM json_each($1)"
);
