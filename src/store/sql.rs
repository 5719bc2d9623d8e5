//! The SQL both backends share, written once with `$n` placeholders (which
//! SQLite and Postgres both bind by number), and the macro that implements
//! `Store` over a backend's connections. Only transaction start and the claim
//! query differ by dialect; each backend module passes its own.

use super::{StoreError, constraint};

macro_rules! record_columns {
    () => {
        "key, id, kind, parent_key, subscription_id, resource_group, name, location, \
         provisioning_state, unique_scope, unique_key, operation_id, body, revision, \
         created_at, updated_at"
    };
}
pub(super) use record_columns;

macro_rules! operation_columns {
    () => {
        "id, subscription_id, location, kind, resource_key, status, start_time, end_time, \
         due_at, error, lease_owner, lease_until"
    };
}
pub(super) use operation_columns;

/// Maps a failed insert into `resources` to the constraint it violated.
pub(super) fn insert_error(e: sqlx::Error, key: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        // Postgres names the constraint; SQLite names the columns.
        let named = db.constraint().map(str::to_owned);
        let name = named.unwrap_or_else(|| {
            if db.message().contains("resources.unique_key") {
                constraint::RESOURCE_UNIQUE.to_owned()
            } else {
                constraint::RESOURCE_KEY.to_owned()
            }
        });
        return match name.as_str() {
            constraint::RESOURCE_UNIQUE => StoreError::Unique(constraint::RESOURCE_UNIQUE),
            _ => StoreError::AlreadyExists(key.to_owned()),
        };
    }
    StoreError::Backend(e)
}

pub(super) fn random_secret() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    // The system RNG failing is not recoverable; fall back to a time-derived
    // value rather than refusing to serve.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes[..16].copy_from_slice(&t.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A value bound to one of a statement's `$n` parameters.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bind<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    OptInt(Option<i64>),
}

/// The refusal a statement's result can stand for.
#[derive(Debug, Clone)]
pub(super) enum Refusal {
    Stale(String),
    ParentMissing(String),
    HasChildren(String),
}

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Stale(k) => StoreError::Stale(k),
            Refusal::ParentMissing(k) => StoreError::ParentMissing(k),
            Refusal::HasChildren(k) => StoreError::HasChildren(k),
        }
    }
}

/// What a statement's result must show for the write to go on.
#[derive(Debug, Clone)]
pub(super) enum Expect {
    Anything,
    /// At least one row changed.
    Changed(Refusal),
    /// The quota claim took a slot. A claim past the limit fails (it would
    /// set the count to NULL), so the statement cannot succeed without one.
    Claimed {
        limit: i64,
    },
    /// At least one row returned.
    Row(Refusal),
    /// No row returned.
    NoRow(Refusal),
}

impl Expect {
    /// Checks a statement that changed `changed` rows and returned `rows`.
    pub(super) fn check(&self, changed: u64, rows: usize) -> Result<(), StoreError> {
        let refused = match self {
            Expect::Anything => None,
            Expect::Changed(r) => (changed == 0).then_some(r),
            Expect::Row(r) => (rows == 0).then_some(r),
            Expect::NoRow(r) => (rows > 0).then_some(r),
            Expect::Claimed { limit } => {
                return match changed {
                    0 => Err(StoreError::QuotaExceeded { limit: *limit }),
                    _ => Ok(()),
                };
            }
        };
        refused.map_or(Ok(()), |r| Err(r.clone().into()))
    }

    /// Whether a statement that succeeds has met this: its refusals are
    /// errors of the statement itself, so nothing need be read before the
    /// write commits.
    pub(super) fn met_by_success(&self) -> bool {
        matches!(self, Expect::Anything | Expect::Claimed { .. })
    }

    /// The refusal a failed statement stands for, if its error is one.
    pub(super) fn refusal_in(&self, e: &sqlx::Error) -> Option<StoreError> {
        match (self, e) {
            (Expect::Claimed { limit }, sqlx::Error::Database(db))
                if db.kind() == sqlx::error::ErrorKind::NotNullViolation =>
            {
                Some(StoreError::QuotaExceeded { limit: *limit })
            }
            _ => None,
        }
    }
}

/// How a unique violation in a statement reads.
#[derive(Debug, Clone, Copy)]
pub(super) enum OnUnique<'a> {
    Plain,
    /// An insert of the record with this key: its key, or its unique pair, is taken.
    Insert(&'a str),
    /// An update of the record with this key: its unique pair is taken.
    Update(&'a str),
}

/// One statement of a write, written with parameters `$1..$n`.
#[derive(Debug, Clone)]
pub(super) struct Statement<'a> {
    pub sql: &'static str,
    pub binds: Vec<Bind<'a>>,
    pub expect: Expect,
    pub on_unique: OnUnique<'a>,
}

impl<'a> Statement<'a> {
    pub(super) fn new(sql: &'static str, binds: Vec<Bind<'a>>) -> Self {
        Statement {
            sql,
            binds,
            expect: Expect::Anything,
            on_unique: OnUnique::Plain,
        }
    }

    pub(super) fn expect(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }

    pub(super) fn on_unique(mut self, on_unique: OnUnique<'a>) -> Self {
        self.on_unique = on_unique;
        self
    }
}

/// The statements joined into one text, each statement's `$n` moved past the
/// parameters of the statements before it (SQLite binds `$n` across the
/// statements of one query), with their binds in order.
pub(super) fn joined<'a>(statements: &[Statement<'a>]) -> (String, Vec<Bind<'a>>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    for statement in statements {
        let offset = binds.len();
        let mut chars = statement.sql.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            sql.push(c);
            if c != '$' {
                continue;
            }
            let mut n = 0usize;
            let mut digits = false;
            while let Some((_, d)) = chars.next_if(|(_, d)| d.is_ascii_digit()) {
                n = n * 10 + (d as usize - '0' as usize);
                digits = true;
            }
            if digits {
                sql.push_str(&(n + offset).to_string());
            }
        }
        sql.push_str(";\n");
        binds.extend_from_slice(&statement.binds);
    }
    (sql, binds)
}

/// Implements `Store` for `$store`, which has `kind: StoreKind`, an
/// `async fn reader(&self)` lending a connection to read with (`&mut *` of it
/// is a `$db` connection), an `async fn begin_write(&self)` opening a write
/// transaction (the same, with `commit()`) and an `async fn apply(&self, &Write)`
/// that commits a write (with `plan` and `run`).
macro_rules! impl_store {
    (
        $store:ty,
        $db:ty,
        claim_sql = $claim_sql:expr,
        lock_shared = $shared:literal,
        lock_exclusive = $exclusive:literal,
        batched = $batched:literal,
        json_page_open = $page_open:literal,
        json_page_close = $page_close:literal,
        json_page_ordered = $page_ordered:literal,
        keys_of_json = $keys_of_json:literal
    ) => {
        /// The `$columns` of the rows `$inner` selects as one JSON array of
        /// rows, in the order `$order` when the aggregate can keep one
        /// (`$page_ordered`; else the rows are put back in order once read,
        /// see `sorted`). The columns default to a whole record's.
        macro_rules! json_page {
            ($order:literal, $inner:literal) => {
                json_page!(record_columns!(), $order, $inner)
            };
            ($columns:expr, $order:literal, $inner:expr) => {
                if $page_ordered {
                    concat!("SELECT ", $page_open, $columns, ") ORDER BY ", $order, $page_close,
                        " AS page FROM (", $inner, ") AS t")
                } else {
                    concat!("SELECT ", $page_open, $columns, ")", $page_close,
                        " AS page FROM (", $inner, ") AS t")
                }
            };
        }

        /// The rows of a page in the order of the query that read them, when
        /// its aggregate did not keep that order. The order is SQLite's
        /// `BINARY` collation, which is byte order, as `str` compares.
        fn sorted<T>(mut items: Vec<T>, order: impl FnMut(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
            if !$page_ordered {
                items.sort_by(order);
            }
            items
        }

        use sqlx::Row as _;
        use $crate::store::sql::{
            insert_error, joined, operation_columns, random_secret, record_columns, Bind, Expect,
            OnUnique, Refusal, Statement,
        };
        use $crate::store::{
            Change, ListScope, OperationChange, OperationRecord, Page, PageRequest, Record,
            SubscriptionRecord, Write,
        };

        type DbRow = <$db as sqlx::Database>::Row;

        /// The rows of a page that the database returned as one JSON array
        /// (one row instead of one per record: lists are read in a single hop).
        fn page_rows<T: serde::de::DeserializeOwned>(row: &DbRow) -> Result<Vec<T>, StoreError> {
            let text: String = row.try_get(0)?;
            serde_json::from_str(&text).map_err(|e| StoreError::Backend(sqlx::Error::Decode(Box::new(e))))
        }

        /// A record's columns as a row or a page row carries them (`record_columns!()`).
        type RecordColumns = (
            String, String, String, String, String, String, String, String, String,
            Option<String>, Option<String>, Option<String>, String, i64, i64, i64,
        );

        fn record_of(c: RecordColumns) -> Record {
            Record {
                key: c.0,
                id: c.1,
                kind: c.2,
                parent_key: c.3,
                subscription_id: c.4,
                resource_group: c.5,
                name: c.6,
                location: c.7,
                provisioning_state: c.8,
                unique: c.9.zip(c.10),
                operation_id: c.11,
                body: c.12,
                revision: c.13,
                created_at: c.14,
                updated_at: c.15,
            }
        }

        fn records_from_page(row: &DbRow) -> Result<Vec<Record>, StoreError> {
            Ok(page_rows::<RecordColumns>(row)?.into_iter().map(record_of).collect())
        }

        impl $store {
            /// The rows of one page of `scope`, read with the query for its
            /// kind of scope (each binds `$1` the parent or the subscription,
            /// `$2` the kind, `$3` the key to continue after, `$4` how many rows).
            async fn scoped_page<T: serde::de::DeserializeOwned>(
                &self,
                scope: &ListScope,
                page: &PageRequest,
                children: &'static str,
                subscription: &'static str,
            ) -> Result<Vec<T>, StoreError> {
                let (sql, first, kind) = match scope {
                    ListScope::Children { parent_key, kind } => (children, parent_key, kind),
                    ListScope::Subscription { subscription_id, kind } => (subscription, subscription_id, kind),
                };
                let row = sqlx::query(sql)
                    .bind(first)
                    .bind(kind)
                    .bind(page.after.as_deref().unwrap_or(""))
                    .bind(page.limit + 1)
                    .fetch_one(&mut *self.reader().await?)
                    .await?;
                page_rows(&row)
            }
        }

        fn operation_from(row: &DbRow) -> Result<OperationRecord, sqlx::Error> {
            Ok(OperationRecord {
                id: row.try_get("id")?,
                subscription_id: row.try_get("subscription_id")?,
                location: row.try_get("location")?,
                kind: row.try_get("kind")?,
                resource_key: row.try_get("resource_key")?,
                status: row.try_get("status")?,
                start_time: row.try_get("start_time")?,
                end_time: row.try_get("end_time")?,
                due_at: row.try_get("due_at")?,
                error: row.try_get("error")?,
                lease_owner: row.try_get("lease_owner")?,
                lease_until: row.try_get("lease_until")?,
            })
        }

        fn subscription_from(row: &DbRow) -> Result<SubscriptionRecord, sqlx::Error> {
            Ok(SubscriptionRecord {
                subscription_id: row.try_get("subscription_id")?,
                display_name: row.try_get("display_name")?,
                tenant_id: row.try_get("tenant_id")?,
                state: row.try_get("state")?,
                created_at: row.try_get("created_at")?,
            })
        }

        fn page_of<T>(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let next = if items.len() > limit {
                items.truncate(limit);
                items.last().map(key)
            } else {
                None
            };
            Page { items, next }
        }

        /// The statements of a write, in order: its preconditions, its
        /// record changes, its operation changes.
        fn plan(write: &Write) -> Result<Vec<Statement<'_>>, StoreError> {
            let mut out = Vec::new();
            if let Some(parent) = &write.require_parent {
                out.push(
                    Statement::new(concat!("SELECT key FROM resources WHERE key = $1", $shared), vec![Bind::Text(parent)])
                        .expect(Expect::Row(Refusal::ParentMissing(parent.clone()))),
                );
            }
            if let Some(key) = &write.require_no_children {
                // Postgres: the parent is held shared by a creating child and
                // the deleted record exclusively here, so they serialise.
                if !$exclusive.is_empty() {
                    out.push(Statement::new(
                        concat!("SELECT key FROM resources WHERE key = $1", $exclusive),
                        vec![Bind::Text(key)],
                    ));
                }
                out.push(
                    Statement::new("SELECT key FROM resources WHERE parent_key = $1 LIMIT 1", vec![Bind::Text(key)])
                        .expect(Expect::NoRow(Refusal::HasChildren(key.clone()))),
                );
            }
            for change in &write.changes {
                match change {
                    Change::Insert { record, quota } => {
                        if let Some(quota) = quota {
                            if quota.limit < 1 {
                                return Err(StoreError::QuotaExceeded { limit: quota.limit });
                            }
                            out.push(
                                Statement::new(
                                    "INSERT INTO quota_usage (subscription_id, kind, location, used) \
                                     VALUES ($1, $2, $3, 1) \
                                     ON CONFLICT (subscription_id, kind, location) \
                                     DO UPDATE SET used = CASE WHEN quota_usage.used < $4 \
                                     THEN quota_usage.used + 1 END",
                                    vec![
                                        Bind::Text(&record.subscription_id),
                                        Bind::Text(&record.kind),
                                        Bind::Text(&record.location),
                                        Bind::Int(quota.limit),
                                    ],
                                )
                                .expect(Expect::Claimed { limit: quota.limit }),
                            );
                        }
                        out.push(
                            Statement::new(
                                concat!("INSERT INTO resources (", record_columns!(), ") VALUES \
                                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"),
                                record_binds(record),
                            )
                            .on_unique(OnUnique::Insert(&record.key)),
                        );
                    }
                    Change::InsertIfAbsent(record) => {
                        out.push(Statement::new(
                            concat!("INSERT INTO resources (", record_columns!(), ") VALUES \
                                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                                     ON CONFLICT (key) DO NOTHING"),
                            record_binds(record),
                        ));
                        // Postgres: held so a concurrent delete of it waits for
                        // this write (a SQLite write excludes every other writer).
                        if !$shared.is_empty() {
                            out.push(
                                Statement::new(concat!("SELECT key FROM resources WHERE key = $1", $shared), vec![Bind::Text(&record.key)])
                                    .expect(Expect::Row(Refusal::Stale(record.key.clone()))),
                            );
                        }
                    }
                    Change::EnsureSubscription(s) => out.push(Statement::new(
                        "INSERT INTO subscriptions (subscription_id, display_name, tenant_id, state, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscription_id) DO NOTHING",
                        vec![
                            Bind::Text(&s.subscription_id),
                            Bind::Text(&s.display_name),
                            Bind::Text(&s.tenant_id),
                            Bind::Text(&s.state),
                            Bind::Int(s.created_at),
                        ],
                    )),
                    Change::Update { record, expected_revision } => out.push(
                        Statement::new(
                            "UPDATE resources SET id = $2, provisioning_state = $3, unique_scope = $4, \
                             unique_key = $5, operation_id = $6, body = $7, revision = $8, updated_at = $9 \
                             WHERE key = $1 AND revision = $10",
                            vec![
                                Bind::Text(&record.key),
                                Bind::Text(&record.id),
                                Bind::Text(&record.provisioning_state),
                                Bind::OptText(record.unique.as_ref().map(|u| u.0.as_str())),
                                Bind::OptText(record.unique.as_ref().map(|u| u.1.as_str())),
                                Bind::OptText(record.operation_id.as_deref()),
                                Bind::Text(&record.body),
                                Bind::Int(expected_revision + 1),
                                Bind::Int(record.updated_at),
                                Bind::Int(*expected_revision),
                            ],
                        )
                        .expect(Expect::Changed(Refusal::Stale(record.key.clone())))
                        .on_unique(OnUnique::Update(&record.key)),
                    ),
                    Change::Delete { key, expected_revision, counted } => {
                        // The quota slot is released first, found through the
                        // row the delete removes.
                        if *counted {
                            out.push(Statement::new(
                                "UPDATE quota_usage SET used = used - 1 WHERE used > 0 \
                                 AND (subscription_id, kind, location) IN (SELECT subscription_id, kind, location \
                                 FROM resources WHERE key = $1 AND ($2 IS NULL OR revision = $2))",
                                vec![Bind::Text(key), Bind::OptInt(*expected_revision)],
                            ));
                        }
                        let delete = Statement::new(
                            "DELETE FROM resources WHERE key = $1 AND ($2 IS NULL OR revision = $2)",
                            vec![Bind::Text(key), Bind::OptInt(*expected_revision)],
                        );
                        out.push(match expected_revision {
                            Some(_) => delete.expect(Expect::Changed(Refusal::Stale(key.clone()))),
                            None => delete,
                        });
                    }
                    Change::DeleteResourceGroup { subscription_id, resource_group } => {
                        // Postgres: writes that hold the group (as a parent)
                        // finish first, so what they create is deleted with it.
                        if !$exclusive.is_empty() {
                            out.push(Statement::new(
                                concat!(
                                    "SELECT key FROM resources WHERE subscription_id = $1 AND resource_group = $2 \
                                     AND kind = 'resourcegroups'",
                                    $exclusive
                                ),
                                vec![Bind::Text(subscription_id), Bind::Text(resource_group)],
                            ));
                        }
                        out.push(Statement::new(
                            "DELETE FROM resources WHERE subscription_id = $1 AND resource_group = $2",
                            vec![Bind::Text(subscription_id), Bind::Text(resource_group)],
                        ));
                        out.push(Statement::new(
                            "UPDATE quota_usage SET used = (SELECT COUNT(*) FROM resources r \
                             WHERE r.subscription_id = quota_usage.subscription_id \
                             AND r.kind = quota_usage.kind AND r.location = quota_usage.location) \
                             WHERE subscription_id = $1",
                            vec![Bind::Text(subscription_id)],
                        ));
                    }
                }
            }
            for change in &write.operations {
                out.push(match change {
                    OperationChange::Insert(op) => Statement::new(
                        concat!(
                            "INSERT INTO operations (", operation_columns!(), ") VALUES \
                             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                        ),
                        vec![
                            Bind::Text(&op.id),
                            Bind::Text(&op.subscription_id),
                            Bind::Text(&op.location),
                            Bind::Text(&op.kind),
                            Bind::Text(&op.resource_key),
                            Bind::Text(&op.status),
                            Bind::Int(op.start_time),
                            Bind::OptInt(op.end_time),
                            Bind::OptInt(op.due_at),
                            Bind::OptText(op.error.as_deref()),
                            Bind::OptText(op.lease_owner.as_deref()),
                            Bind::OptInt(op.lease_until),
                        ],
                    ),
                    OperationChange::Finish { id, status, end_time, error, lease_owner } => Statement::new(
                        "UPDATE operations SET status = $2, end_time = $3, error = $4, due_at = NULL, \
                         lease_owner = NULL, lease_until = NULL \
                         WHERE id = $1 AND due_at IS NOT NULL AND ($5 IS NULL OR lease_owner = $5)",
                        vec![
                            Bind::Text(id),
                            Bind::Text(status),
                            Bind::Int(*end_time),
                            Bind::OptText(error.as_deref()),
                            Bind::OptText(lease_owner.as_deref()),
                        ],
                    )
                    .expect(Expect::Changed(Refusal::Stale(id.clone()))),
                    OperationChange::Reschedule { id, due_at, lease_owner } => Statement::new(
                        "UPDATE operations SET due_at = $2, lease_owner = NULL, lease_until = NULL \
                         WHERE id = $1 AND due_at IS NOT NULL AND lease_owner = $3",
                        vec![Bind::Text(id), Bind::Int(*due_at), Bind::Text(lease_owner)],
                    )
                    .expect(Expect::Changed(Refusal::Stale(id.clone()))),
                    OperationChange::Step { operation_id, region, state, at, owner } => Statement::new(
                        "INSERT INTO replication_steps (operation_id, region, state, applied_at, owner) \
                         VALUES ($1, $2, $3, $4, $5)",
                        vec![
                            Bind::Text(operation_id),
                            Bind::Text(region),
                            Bind::Text(state),
                            Bind::Int(*at),
                            Bind::Text(owner),
                        ],
                    ),
                });
            }
            Ok(out)
        }

        fn record_binds(r: &Record) -> Vec<Bind<'_>> {
            vec![
                Bind::Text(&r.key),
                Bind::Text(&r.id),
                Bind::Text(&r.kind),
                Bind::Text(&r.parent_key),
                Bind::Text(&r.subscription_id),
                Bind::Text(&r.resource_group),
                Bind::Text(&r.name),
                Bind::Text(&r.location),
                Bind::Text(&r.provisioning_state),
                Bind::OptText(r.unique.as_ref().map(|u| u.0.as_str())),
                Bind::OptText(r.unique.as_ref().map(|u| u.1.as_str())),
                Bind::OptText(r.operation_id.as_deref()),
                Bind::Text(&r.body),
                Bind::Int(r.revision),
                Bind::Int(r.created_at),
                Bind::Int(r.updated_at),
            ]
        }

        type DbQuery<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>;

        fn bound<'q>(mut query: DbQuery<'q>, binds: &[Bind<'q>]) -> DbQuery<'q> {
            for bind in binds {
                query = match *bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::OptText(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                    Bind::OptInt(v) => query.bind(v),
                };
            }
            query
        }

        /// A failed statement in ARM's terms: a unique violation names what
        /// was taken.
        async fn refusal_of(
            conn: &mut <$db as sqlx::Database>::Connection,
            e: sqlx::Error,
            statement: Option<&Statement<'_>>,
        ) -> StoreError {
            if let Some(refusal) = statement.and_then(|s| s.expect.refusal_in(&e)) {
                return refusal;
            }
            match statement.map_or(OnUnique::Plain, |s| s.on_unique) {
                OnUnique::Plain => StoreError::Backend(e),
                OnUnique::Update(key) => insert_error(e, key),
                // SQLite reports the unique pair before the primary key when
                // both clash (Postgres reports the key); a whole record
                // inserted again is `AlreadyExists`.
                OnUnique::Insert(key) => match insert_error(e, key) {
                    StoreError::Unique(c) => {
                        let taken = sqlx::query("SELECT key FROM resources WHERE key = $1")
                            .bind(key)
                            .fetch_optional(&mut *conn)
                            .await;
                        match taken {
                            Ok(Some(_)) => StoreError::AlreadyExists(key.to_owned()),
                            _ => StoreError::Unique(c),
                        }
                    }
                    other => other,
                },
            }
        }

        /// Runs `statements` in `tx`: as one query (a round trip to the
        /// database for the whole write) when `$batched`, else one by one.
        /// Several statements in one prepared query are a SQLite driver feature
        /// of sqlx 0.8 (deprecated there for later versions); `Executor::fetch_many`
        /// yields each statement's result in order.
        async fn run(
            conn: &mut <$db as sqlx::Database>::Connection,
            statements: &[Statement<'_>],
        ) -> Result<(), StoreError> {
            if !$batched {
                for statement in statements {
                    let query = bound(sqlx::query(statement.sql), &statement.binds);
                    let counted = match statement.expect {
                        Expect::Row(_) | Expect::NoRow(_) => {
                            query.fetch_all(&mut *conn).await.map(|rows| (0, rows.len()))
                        }
                        _ => query.execute(&mut *conn).await.map(|done| (done.rows_affected(), 0)),
                    };
                    match counted {
                        Ok((changed, rows)) => statement.expect.check(changed, rows)?,
                        Err(e) => return Err(refusal_of(conn, e, Some(statement)).await),
                    }
                }
                return Ok(());
            }
            let (sql, binds) = joined(statements);
            let mut failed = None;
            {
                let mut results = sqlx::Executor::fetch_many(&mut *conn, bound(sqlx::query(&sql), &binds));
                let (mut index, mut rows) = (0, 0);
                while let Some(result) =
                    std::future::poll_fn(|cx| futures_core::Stream::poll_next(results.as_mut(), cx)).await
                {
                    match result {
                        Ok(sqlx::Either::Right(_)) => rows += 1,
                        Ok(sqlx::Either::Left(done)) => {
                            if let Some(statement) = statements.get(index) {
                                statement.expect.check(done.rows_affected(), rows)?;
                            }
                            index += 1;
                            rows = 0;
                        }
                        Err(e) => {
                            failed = Some((e, index));
                            break;
                        }
                    }
                }
            }
            match failed {
                Some((e, index)) => Err(refusal_of(conn, e, statements.get(index)).await),
                None => Ok(()),
            }
        }

        async fn insert_subscription<'e>(
            executor: impl sqlx::Executor<'e, Database = $db>,
            s: &SubscriptionRecord,
        ) -> Result<(), sqlx::Error> {
            sqlx::query(
                "INSERT INTO subscriptions (subscription_id, display_name, tenant_id, state, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscription_id) DO NOTHING",
            )
            .bind(&s.subscription_id)
            .bind(&s.display_name)
            .bind(&s.tenant_id)
            .bind(&s.state)
            .bind(s.created_at)
            .execute(executor)
            .await?;
            Ok(())
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn kind(&self) -> StoreKind {
                self.kind
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT version FROM schema_migrations")
                    .fetch_all(&mut *self.reader().await?)
                    .await?;
                Ok(())
            }

            async fn reset(&self) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                for table in [
                    "resources",
                    "quota_usage",
                    "operations",
                    "replication_steps",
                    "subscriptions",
                    "meta",
                ] {
                    sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn paging_secret(&self) -> Result<Vec<u8>, StoreError> {
                // Read every time: another instance sharing the store may have reset it.
                let row = sqlx::query("SELECT value FROM meta WHERE name = 'paging_secret'")
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                if let Some(row) = row {
                    let secret: String = row.try_get("value")?;
                    return Ok(secret.into_bytes());
                }
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO meta (name, value) VALUES ('paging_secret', $1) ON CONFLICT (name) DO NOTHING")
                    .bind(random_secret())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                let row = sqlx::query("SELECT value FROM meta WHERE name = 'paging_secret'")
                    .fetch_one(&mut *self.reader().await?)
                    .await?;
                let secret: String = row.try_get("value")?;
                Ok(secret.into_bytes())
            }

            async fn ensure_subscription(
                &self,
                s: &SubscriptionRecord,
            ) -> Result<SubscriptionRecord, StoreError> {
                if let Some(found) = self.get_subscription(&s.subscription_id).await? {
                    return Ok(found);
                }
                let mut tx = self.begin_write().await?;
                insert_subscription(&mut *tx, s).await?;
                tx.commit().await?;
                self.get_subscription(&s.subscription_id)
                    .await?
                    .ok_or_else(|| StoreError::Stale(s.subscription_id.clone()))
            }

            async fn get_subscription(&self, id: &str) -> Result<Option<SubscriptionRecord>, StoreError> {
                let row = sqlx::query("SELECT * FROM subscriptions WHERE subscription_id = $1")
                    .bind(id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                Ok(row.as_ref().map(subscription_from).transpose()?)
            }

            async fn list_subscriptions(
                &self,
                page: &PageRequest,
            ) -> Result<Page<SubscriptionRecord>, StoreError> {
                let rows = sqlx::query(
                    "SELECT * FROM subscriptions WHERE subscription_id > $1 ORDER BY subscription_id LIMIT $2",
                )
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(page.limit + 1)
                .fetch_all(&mut *self.reader().await?)
                .await?;
                let items = rows.iter().map(subscription_from).collect::<Result<Vec<_>, _>>()?;
                Ok(page_of(items, page.limit, |s| s.subscription_id.clone()))
            }

            async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
                let row = sqlx::query_as::<_, RecordColumns>(concat!(
                    "SELECT ", record_columns!(), " FROM resources WHERE key = $1"
                ))
                .bind(key)
                .fetch_optional(&mut *self.reader().await?)
                .await?;
                Ok(row.map(record_of))
            }

            async fn list_revisions(
                &self,
                scope: &ListScope,
                page: &PageRequest,
            ) -> Result<Page<(String, i64)>, StoreError> {
                let rows = self.scoped_page::<(String, i64)>(
                    scope,
                    page,
                    json_page!("key, revision", "key", "SELECT key, revision FROM resources \
                        WHERE parent_key = $1 AND kind = $2 AND key > $3 ORDER BY key LIMIT $4"),
                    json_page!("key, revision", "key", "SELECT key, revision FROM resources \
                        WHERE subscription_id = $1 AND kind = $2 AND key > $3 ORDER BY key LIMIT $4"),
                ).await?;
                let items = sorted(rows, |a, b| a.0.cmp(&b.0));
                Ok(page_of(items, page.limit, |(key, _)| key.clone()))
            }

            async fn get_many(&self, keys: &[String]) -> Result<Vec<Record>, StoreError> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let keys = serde_json::to_string(keys)
                    .map_err(|e| StoreError::Backend(sqlx::Error::Encode(Box::new(e))))?;
                let row = sqlx::query(json_page!(record_columns!(), "key",
                    concat!("SELECT * FROM resources WHERE key IN (", $keys_of_json, ")")))
                .bind(keys)
                .fetch_one(&mut *self.reader().await?)
                .await?;
                records_from_page(&row)
            }

            async fn list(&self, scope: &ListScope, page: &PageRequest) -> Result<Page<Record>, StoreError> {
                let rows = self.scoped_page::<RecordColumns>(
                    scope,
                    page,
                    json_page!("key", "SELECT * FROM resources \
                        WHERE parent_key = $1 AND kind = $2 AND key > $3 ORDER BY key LIMIT $4"),
                    json_page!("key", "SELECT * FROM resources \
                        WHERE subscription_id = $1 AND kind = $2 AND key > $3 ORDER BY key LIMIT $4"),
                ).await?;
                let items = sorted(rows.into_iter().map(record_of).collect(), |a, b| a.key.cmp(&b.key));
                Ok(page_of(items, page.limit, |r| r.key.clone()))
            }

            async fn list_unique_desc(
                &self,
                kind: &str,
                scope: &str,
                page: &PageRequest,
            ) -> Result<Page<Record>, StoreError> {
                let row = sqlx::query(json_page!("unique_key DESC", "SELECT * FROM resources \
                         WHERE kind = $1 AND unique_scope = $2 AND unique_key IS NOT NULL \
                         AND ($3 IS NULL OR unique_key < $3) ORDER BY unique_key DESC LIMIT $4"))
                    .bind(kind)
                    .bind(scope)
                    .bind(page.after.as_deref())
                    .bind(page.limit + 1)
                    .fetch_one(&mut *self.reader().await?)
                    .await?;
                let items = sorted(records_from_page(&row)?, |a, b| b.unique.cmp(&a.unique));
                Ok(page_of(items, page.limit, |r| {
                    r.unique.as_ref().map(|u| u.1.clone()).unwrap_or_default()
                }))
            }

            async fn count_children(&self, parent_key: &str) -> Result<i64, StoreError> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM resources WHERE parent_key = $1")
                    .bind(parent_key)
                    .fetch_one(&mut *self.reader().await?)
                    .await?;
                Ok(row.try_get("n")?)
            }

            async fn write(&self, write: &Write) -> Result<(), StoreError> {
                self.apply(write).await
            }

            async fn get_operation(&self, id: &str) -> Result<Option<OperationRecord>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", operation_columns!(), " FROM operations WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                Ok(row.as_ref().map(operation_from).transpose()?)
            }

            async fn claim_due(
                &self,
                now: i64,
                limit: i64,
                owner: &str,
                lease_until: i64,
            ) -> Result<Vec<OperationRecord>, StoreError> {
                let mut tx = self.begin_write().await?;
                let rows = sqlx::query($claim_sql)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                let mut ops = rows.iter().map(operation_from).collect::<Result<Vec<_>, _>>()?;
                ops.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id)));
                Ok(ops)
            }

            async fn next_due(&self) -> Result<Option<i64>, StoreError> {
                let row = sqlx::query("SELECT MIN(due_at) AS due FROM operations WHERE due_at IS NOT NULL")
                    .fetch_one(&mut *self.reader().await?)
                    .await?;
                Ok(row.try_get("due")?)
            }

            async fn count_steps(&self) -> Result<i64, StoreError> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM replication_steps")
                    .fetch_one(&mut *self.reader().await?)
                    .await?;
                Ok(row.try_get("n")?)
            }

            async fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError> {
                let row = sqlx::query("SELECT value FROM meta WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *self.reader().await?)
                    .await?;
                Ok(row.map(|r| r.try_get("value")).transpose()?)
            }

            async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO meta (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }

    };
}
pub(super) use impl_store;
