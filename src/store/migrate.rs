//! Schema migrations, embedded in the binary and applied at start, in order,
//! each in its own transaction. Postgres instances starting together take an
//! advisory lock so only one applies them.

pub(super) struct Migration {
    pub version: i64,
    pub sql: &'static str,
}

pub(super) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/sqlite/0002_drop_group_index.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/sqlite/0003_replication_steps.sql"),
    },
];

pub(super) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/postgres/0002_drop_group_index.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/postgres/0003_replication_steps.sql"),
    },
];

pub(super) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

/// Applies what `$migrations` has beyond the recorded versions, each in a
/// transaction `$begin` opens (SQLite: `BEGIN IMMEDIATE`, so a second process
/// waits instead of failing to upgrade its read lock) and starting with
/// `$lock` (Postgres: an advisory lock).
macro_rules! run {
    ($begin:expr, $migrations:expr, $lock:expr) => {{
        let mut result: Result<(), $crate::store::StoreError> = Ok(());
        for migration in $migrations {
            let mut tx = $begin.await?;
            if let Some(lock) = $lock {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            sqlx::query($crate::store::migrate::CREATE_TABLE)
                .execute(&mut *tx)
                .await?;
            let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await?;
            if applied.is_none() {
                if let Err(e) = sqlx::raw_sql(migration.sql).execute(&mut *tx).await {
                    result = Err($crate::store::StoreError::Migration(format!(
                        "migration {} failed: {e}",
                        migration.version
                    )));
                    break;
                }
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_micros() as i64)
                    .unwrap_or_default();
                sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(migration.version)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        result
    }};
}
pub(super) use run;
