//! The embedded default store: one SQLite file in WAL mode with full fsync,
//! or a private in-memory database for throwaway state.
//!
//! Every write goes through one connection (`Writer`), so its page cache
//! stays warm: SQLite drops a connection's cache whenever another connection
//! has written. Reads use a few other connections, opened as they are needed
//! (`Readers`). Neither is a sqlx pool: a pool sends every connection it gets
//! back a ping, a round trip to the connection's thread that a local file
//! does not need.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit, mpsc, oneshot};

use super::{StoreError, StoreKind};

pub struct SqliteStore {
    kind: StoreKind,
    /// Connections for reads; `None` in memory, where the writer's
    /// connection is the database and reads take their turn on it.
    readers: Option<Readers>,
    /// The connection writes go through, and their turn to use it.
    writer: Arc<Mutex<Writer>>,
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
/// The most connections reading at once.
const READERS: usize = 4;

/// The writers' connection.
struct Writer {
    conn: SqliteConnection,
    /// A transaction was begun and may not have ended: the request that
    /// began it was dropped, or its end failed. Rolled back before the next.
    open: bool,
}

impl Writer {
    /// Ends whatever transaction a dropped write left open.
    async fn settle(&mut self) {
        if self.open {
            // Fails harmlessly when the transaction did end.
            let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
            self.open = false;
        }
    }

    async fn finish(&mut self, sql: &'static str) -> Result<(), StoreError> {
        sqlx::query(sql).execute(&mut self.conn).await?;
        self.open = false;
        Ok(())
    }
}

/// The read connections: at most `READERS` in use, each kept for the next
/// read once used.
struct Readers {
    options: SqliteConnectOptions,
    idle: std::sync::Mutex<Vec<SqliteConnection>>,
    permits: Semaphore,
}

/// A connection some code reads with.
enum Reader<'a> {
    Leased {
        conn: Option<SqliteConnection>,
        readers: &'a Readers,
        _permit: SemaphorePermit<'a>,
    },
    Writer(MutexGuard<'a, Writer>),
}

impl Deref for Reader<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Reader::Leased { conn, .. } => conn.as_ref().expect("a leased connection"),
            Reader::Writer(w) => &w.conn,
        }
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Reader::Leased { conn, .. } => conn.as_mut().expect("a leased connection"),
            Reader::Writer(w) => &mut w.conn,
        }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Reader::Leased { conn, readers, .. } = self
            && let Some(conn) = conn.take()
            && let Ok(mut idle) = readers.idle.lock()
        {
            idle.push(conn);
        }
    }
}

/// A write transaction of the store's own (reset, claims, settings): the
/// writer's connection, held until it commits or is dropped.
struct WriteTx<'a>(MutexGuard<'a, Writer>);

impl WriteTx<'_> {
    async fn commit(mut self) -> Result<(), StoreError> {
        self.0.finish("COMMIT").await
    }
}

impl Deref for WriteTx<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.0.conn
    }
}

impl DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.0.conn
    }
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
        let conn = loop {
            match options.connect().await {
                Err(sqlx::Error::Database(e)) if attempt < 20 && e.message().contains("locked") => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                }
                other => break other?,
            }
        };
        let readers = Readers {
            options,
            idle: Default::default(),
            permits: Semaphore::new(READERS),
        };
        Self::migrated(conn, Some(readers), StoreKind::Sqlite).await
    }

    /// A database that lives as long as the process, in its one connection.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let conn = SqliteConnectOptions::from_str("sqlite::memory:")?
            .foreign_keys(false)
            .connect()
            .await?;
        Self::migrated(conn, None, StoreKind::SqliteInMemory).await
    }

    async fn migrated(
        mut conn: SqliteConnection,
        readers: Option<Readers>,
        kind: StoreKind,
    ) -> Result<Self, StoreError> {
        super::migrate::run!(
            sqlx::Connection::begin_with(&mut conn, "BEGIN IMMEDIATE"),
            super::migrate::SQLITE,
            None::<&str>
        )?;
        let writer = Arc::new(Mutex::new(Writer { conn, open: false }));
        let (committer, queue) = mpsc::unbounded_channel();
        tokio::spawn(commit_groups(writer.clone(), queue));
        Ok(SqliteStore {
            kind,
            readers,
            writer,
            committer,
        })
    }

    /// A connection to read with.
    async fn reader(&self) -> Result<Reader<'_>, StoreError> {
        let Some(readers) = &self.readers else {
            let mut writer = self.writer.lock().await;
            writer.settle().await;
            return Ok(Reader::Writer(writer));
        };
        let permit = readers
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Backend(sqlx::Error::PoolClosed))?;
        let idle = readers.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => readers.options.connect().await?,
        };
        Ok(Reader::Leased {
            conn: Some(conn),
            readers,
            _permit: permit,
        })
    }

    /// Hands the write to the committer and waits until it is committed or refused.
    /// When no write is under way, the write is committed right here instead.
    async fn apply(&self, write: &Write) -> Result<(), StoreError> {
        if let Ok(mut writer) = self.writer.try_lock() {
            let mut outcomes = commit_group(&mut writer, std::slice::from_ref(write)).await?;
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
    async fn begin_write(&self) -> Result<WriteTx<'_>, StoreError> {
        let mut writer = self.writer.lock().await;
        writer.settle().await;
        writer.open = true;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer.conn)
            .await?;
        Ok(WriteTx(writer))
    }
}

/// Commits the writes that wait, together: one transaction (one fsync) for
/// all the writes that queued while the last group was being committed.
/// Each write is in its own savepoint, so a refused write is undone alone.
/// A write's outcome is sent only once the transaction has committed.
async fn commit_groups(writer: Arc<Mutex<Writer>>, mut queue: mpsc::UnboundedReceiver<Pending>) {
    let mut group = Vec::with_capacity(GROUP_MAX);
    while queue.recv_many(&mut group, GROUP_MAX).await > 0 {
        let (writes, done): (Vec<_>, Vec<_>) = group.drain(..).map(|p| (p.write, p.done)).unzip();
        let outcomes = commit_group(&mut *writer.lock().await, &writes).await;
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
/// A write alone is one query with its `BEGIN`, and its `COMMIT` too when
/// every refusal of its statements is an error of the statement (a create):
/// one round trip to the connection's thread. Else `COMMIT` follows once
/// the results are checked.
async fn commit_group(
    writer: &mut Writer,
    writes: &[Write],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    writer.settle().await;
    writer.open = true;
    let alone = writes.len() == 1;
    if !alone {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer.conn)
            .await?;
    }
    let mut outcomes = Vec::with_capacity(writes.len());
    // Whether the write alone commits in its own query.
    let mut committing = false;
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
        if alone {
            statements.push(Statement::new("BEGIN IMMEDIATE", vec![]));
            committing = planned.iter().all(|s| s.expect.met_by_success());
        } else {
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
        if committing {
            statements.push(Statement::new("COMMIT", vec![]));
        }
        let outcome = run(&mut writer.conn, &statements).await;
        open = Some(outcome.is_ok());
        outcomes.push(outcome);
    }
    if alone && outcomes.iter().any(Result::is_err) {
        // Refused, or its BEGIN or COMMIT failed: nothing of it commits.
        writer.settle().await;
        return Ok(outcomes);
    }
    if committing {
        writer.open = false;
        return Ok(outcomes);
    }
    if open == Some(false) {
        sqlx::query("ROLLBACK TO w")
            .execute(&mut writer.conn)
            .await?;
    }
    writer.finish("COMMIT").await?;
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
