//! The shared store: Postgres, for state kept outside the process and for
//! several emulator instances behind one load balancer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{StoreError, StoreKind};

pub struct PgStore {
    pool: sqlx::PgPool,
    kind: StoreKind,
}

/// Serialises migrations of instances that start at the same time.
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(7158093531)";

impl PgStore {
    /// Connects to `url`, optionally confined to `schema` (made if missing),
    /// and migrates.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            let valid = !schema.is_empty()
                && schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(StoreError::Migration(format!(
                    "schema name '{schema}' must be letters, digits and underscores"
                )));
            }
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            // Under the migration lock: two instances creating one schema at
            // once would otherwise clash in pg_namespace.
            let mut tx = admin.begin().await?;
            sqlx::query(MIGRATION_LOCK).execute(&mut *tx).await?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            admin.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        super::migrate::run!(pool.begin(), super::migrate::POSTGRES, Some(MIGRATION_LOCK))?;
        Ok(PgStore {
            pool,
            kind: StoreKind::Postgres,
        })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A connection to read with.
    async fn reader(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Each write in its own transaction.
    async fn apply(&self, write: &Write) -> Result<(), StoreError> {
        let statements = plan(write)?;
        let mut tx = self.begin_write().await?;
        run(&mut tx, &statements).await?;
        tx.commit().await?;
        Ok(())
    }
}

super::sql::impl_store!(
    PgStore,
    sqlx::Postgres,
    claim_sql = concat!(
        "UPDATE operations SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM operations WHERE due_at IS NOT NULL AND due_at <= $3 \
         AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4 \
         FOR UPDATE SKIP LOCKED) RETURNING ",
        operation_columns!()
    ),
    lock_shared = " FOR SHARE",
    lock_exclusive = " FOR UPDATE",
    batched = false,
    json_page_open = "COALESCE(json_agg(json_build_array(",
    json_page_close = "), '[]'::json)::text",
    json_page_ordered = true,
    keys_of_json = "SELECT json_array_elements_text($1::json)"
);
