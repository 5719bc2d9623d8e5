//! Persistence. One `Store` trait, two implementations (SQLite, the embedded
//! default, and Postgres, for shared state), one conformance suite run on both.
//! Every write is one transaction that checks its own preconditions, so rules
//! such as uniqueness and quotas hold across emulator instances.

mod migrate;
pub mod postgres;
mod sql;
pub mod sqlite;

use async_trait::async_trait;

/// A stored ARM resource. `key` is the lower-cased id (ARM ids are
/// case-insensitive); `id` keeps the spelling used at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: String,
    pub id: String,
    pub kind: String,
    pub parent_key: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub provisioning_state: String,
    /// A scope and key that must be unique among records of this kind
    /// (a gallery name within its subscription, say).
    pub unique: Option<(String, String)>,
    /// The operation whose completion this record waits for, if any.
    pub operation_id: Option<String>,
    /// The resource's own properties as JSON.
    pub body: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRecord {
    pub id: String,
    pub subscription_id: String,
    pub location: String,
    pub kind: String,
    pub resource_key: String,
    pub status: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
    /// When the worker should complete it; `None` once finished.
    pub due_at: Option<i64>,
    /// `{"code","message"}` of a failed operation.
    pub error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub subscription_id: String,
    pub display_name: String,
    pub tenant_id: String,
    pub state: String,
    pub created_at: i64,
}

/// A quota claimed by an insert: at most `limit` records of the record's kind
/// per subscription and location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaClaim {
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Fails with `AlreadyExists` when the key is taken.
    Insert {
        record: Record,
        quota: Option<QuotaClaim>,
    },
    /// Inserts unless the key is taken (resource groups made on first use).
    InsertIfAbsent(Record),
    /// Registers a subscription unless it exists (subscriptions made on first use).
    EnsureSubscription(SubscriptionRecord),
    /// Fails with `Stale` unless the stored revision is `expected_revision`;
    /// the stored revision becomes `expected_revision + 1`.
    Update {
        record: Record,
        expected_revision: i64,
    },
    /// Fails with `Stale` unless the stored revision matches (when given).
    Delete {
        key: String,
        expected_revision: Option<i64>,
        counted: bool,
    },
    /// Removes a resource group and everything in it.
    DeleteResourceGroup {
        subscription_id: String,
        resource_group: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationChange {
    Insert(OperationRecord),
    /// Finishes a running operation; with `lease_owner`, only if that owner
    /// still holds it (else `Stale`).
    Finish {
        id: String,
        status: String,
        end_time: i64,
        error: Option<String>,
        lease_owner: Option<String>,
    },
    /// Makes a running operation due again at `due_at` and releases its
    /// lease, if `lease_owner` still holds it (else `Stale`).
    Reschedule {
        id: String,
        due_at: i64,
        lease_owner: String,
    },
    /// Records that `owner` finished `region` of the operation's replication;
    /// recording the same region of an operation twice fails the write.
    Step {
        operation_id: String,
        region: String,
        state: String,
        at: i64,
        owner: String,
    },
}

/// One atomic write: its preconditions, record changes and operation changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Write {
    /// A record that must exist (the parent of what is created).
    pub require_parent: Option<String>,
    /// A record that must have no children (what is being deleted).
    pub require_no_children: Option<String>,
    pub changes: Vec<Change>,
    pub operations: Vec<OperationChange>,
}

impl Write {
    /// Whether the write leaves an operation for the worker to finish.
    pub fn has_due_operation(&self) -> bool {
        self.operations
            .iter()
            .any(|op| matches!(op, OperationChange::Insert(o) if o.due_at.is_some()))
    }
}

/// What to list: the children of a parent, or every record of a kind in a
/// subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    Children {
        parent_key: String,
        kind: String,
    },
    Subscription {
        subscription_id: String,
        kind: String,
    },
}

/// Keyset paging: records with a key greater than `after`, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The key to continue after, when more items exist.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    SqliteInMemory,
    Postgres,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::SqliteInMemory => "sqlite-in-memory",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a record with key {0} already exists")]
    AlreadyExists(String),
    #[error("record {0} changed or vanished since it was read")]
    Stale(String),
    #[error("parent {0} does not exist")]
    ParentMissing(String),
    #[error("record {0} still has children")]
    HasChildren(String),
    #[error("unique constraint {0} violated")]
    Unique(&'static str),
    #[error("quota of {limit} reached")]
    QuotaExceeded { limit: i64 },
    #[error("store backend: {0}")]
    Backend(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(String),
}

/// The names of the constraints a write can violate, mapped to errors by name.
pub mod constraint {
    pub const RESOURCE_KEY: &str = "resources_pkey";
    pub const RESOURCE_UNIQUE: &str = "resources_unique_key";
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn kind(&self) -> StoreKind;
    /// Reachable and migrated.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Drops all state and makes a new paging secret.
    async fn reset(&self) -> Result<(), StoreError>;
    /// The secret that signs continuation tokens, made on first use.
    async fn paging_secret(&self) -> Result<Vec<u8>, StoreError>;

    /// Registers a subscription unless it exists; returns the stored one.
    async fn ensure_subscription(
        &self,
        subscription: &SubscriptionRecord,
    ) -> Result<SubscriptionRecord, StoreError>;
    async fn get_subscription(&self, id: &str) -> Result<Option<SubscriptionRecord>, StoreError>;
    async fn list_subscriptions(
        &self,
        page: &PageRequest,
    ) -> Result<Page<SubscriptionRecord>, StoreError>;

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError>;
    async fn list(&self, scope: &ListScope, page: &PageRequest)
    -> Result<Page<Record>, StoreError>;
    /// The keys and revisions of the records `list` would return.
    async fn list_revisions(
        &self,
        scope: &ListScope,
        page: &PageRequest,
    ) -> Result<Page<(String, i64)>, StoreError>;
    /// The records with these keys that exist, in no particular order.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Record>, StoreError>;
    async fn count_children(&self, parent_key: &str) -> Result<i64, StoreError>;
    /// Records of `kind` under `scope` from the highest unique key down
    /// (versions by number, for "latest"); `page.after` continues below it.
    async fn list_unique_desc(
        &self,
        kind: &str,
        scope: &str,
        page: &PageRequest,
    ) -> Result<Page<Record>, StoreError>;
    async fn write(&self, write: &Write) -> Result<(), StoreError>;

    async fn get_operation(&self, id: &str) -> Result<Option<OperationRecord>, StoreError>;
    /// Leases up to `limit` operations due at `now` to `owner` until `lease_until`.
    async fn claim_due(
        &self,
        now: i64,
        limit: i64,
        owner: &str,
        lease_until: i64,
    ) -> Result<Vec<OperationRecord>, StoreError>;
    /// The earliest `due_at` of any running operation.
    async fn next_due(&self) -> Result<Option<i64>, StoreError>;
    /// How many replication steps were recorded (`OperationChange::Step`).
    async fn count_steps(&self) -> Result<i64, StoreError>;
    /// A value the emulator keeps beside its state (the virtual clock's now).
    async fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError>;
    async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError>;
}
