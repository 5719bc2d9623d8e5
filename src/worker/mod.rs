//! Long-running operations: how a request starts one (as part of its own
//! write) and the worker that completes the ones that are due. The worker is
//! a step function in a loop; tests drive `step()` and move the clock.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::operation::{self, OperationKind, OperationStatus, Outcome, Timing};
use crate::domain::{ProvisioningState, quota};
use crate::store::{
    Change, OperationChange, OperationRecord, QuotaClaim, Record, Store, StoreError, Write,
};

/// How long a claim on an operation lasts before another instance may take it over.
const LEASE_MICROS: i64 = 30_000_000;
/// Operations claimed per step.
const BATCH: i64 = 64;
/// Longest sleep of an idle worker: another instance sharing the store may
/// have made work due without waking this one.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// An operation a request starts on a resource.
pub struct Start {
    pub operation_id: String,
    pub kind: OperationKind,
    /// The resource as it should be once the operation succeeds (for a delete: as stored).
    pub record: Record,
    /// The stored revision the write expects; `None` creates the record.
    pub prior_revision: Option<i64>,
    pub quota: Option<QuotaClaim>,
}

/// The write that accepts `start`: in instant timing the operation finishes
/// inside it; otherwise the resource shows the running state and the
/// operation is due after its nominal duration.
pub fn begin(timing: Timing, now: i64, start: Start) -> Write {
    let Start {
        operation_id,
        kind,
        mut record,
        prior_revision,
        quota,
    } = start;
    let instant = timing == Timing::Instant;
    let mut op = OperationRecord {
        id: operation_id.clone(),
        subscription_id: record.subscription_id.clone(),
        location: record.location.clone(),
        kind: kind.as_str().to_string(),
        resource_key: record.key.clone(),
        status: OperationStatus::InProgress.as_str().to_string(),
        start_time: now,
        end_time: None,
        due_at: Some(now + kind.nominal_duration_micros()),
        error: None,
        lease_owner: None,
        lease_until: None,
    };
    if instant {
        op.status = OperationStatus::Succeeded.as_str().to_string();
        op.end_time = Some(now);
        op.due_at = None;
    }
    record.updated_at = now;
    let mut write = Write::default();
    match (kind, instant) {
        (OperationKind::Delete, true) => {
            write.require_no_children = Some(record.key.clone());
            write.changes.push(Change::Delete {
                key: record.key.clone(),
                expected_revision: prior_revision,
                counted: quota::counts(&record.kind),
            });
        }
        (OperationKind::Delete, false) => {
            write.require_no_children = Some(record.key.clone());
            record.provisioning_state = ProvisioningState::Deleting.as_str().to_string();
            record.operation_id = Some(operation_id);
            write.changes.push(Change::Update {
                record,
                expected_revision: prior_revision.unwrap_or(0),
            });
        }
        (_, _) => {
            let state = if instant {
                ProvisioningState::Succeeded
            } else {
                kind.running_state()
            };
            record.provisioning_state = state.as_str().to_string();
            record.operation_id = (!instant).then_some(operation_id);
            write.changes.push(match prior_revision {
                None => Change::Insert { record, quota },
                Some(expected_revision) => Change::Update {
                    record,
                    expected_revision,
                },
            });
        }
    }
    write.operations.push(OperationChange::Insert(op));
    write
}

pub struct Worker {
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    wake: Notify,
    owner: String,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, clock: Arc<Clock>) -> Self {
        Worker {
            store,
            clock,
            wake: Notify::new(),
            owner: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Asks the loop to look for due work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Completes every operation due at the clock's now; returns how many.
    pub async fn step(&self) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let now = self.clock.now();
            let due = self
                .store
                .claim_due(now, BATCH, &self.owner, now + LEASE_MICROS)
                .await?;
            if due.is_empty() {
                return Ok(done);
            }
            for op in due {
                self.complete(op, now).await?;
                done += 1;
            }
        }
    }

    /// Runs until the process ends: step, then sleep until the next due
    /// operation, a wake-up, or the idle check.
    pub async fn run(&self) {
        loop {
            if let Err(e) = self.step().await {
                tracing::warn!(error = %e, "worker step failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let mut sleep = IDLE_CHECK;
            if !self.clock.is_manual()
                && let Ok(Some(due)) = self.store.next_due().await
            {
                let wait = u64::try_from(due - self.clock.now()).unwrap_or(0);
                sleep = sleep.min(Duration::from_micros(wait));
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    }

    async fn complete(&self, op: OperationRecord, now: i64) -> Result<(), StoreError> {
        // A concurrent write to the resource makes the write stale; read again.
        for _ in 0..5 {
            match self.store.write(&self.completion(&op, now).await?).await {
                Err(StoreError::Stale(key)) if key != op.id => continue,
                Err(StoreError::Stale(_)) => return Ok(()),
                Err(StoreError::HasChildren(_)) => return self.fail_delete(&op, now).await,
                other => return other,
            }
        }
        Ok(())
    }

    async fn completion(&self, op: &OperationRecord, now: i64) -> Result<Write, StoreError> {
        let mut write = Write::default();
        let mut status = OperationStatus::Succeeded;
        let kind = OperationKind::parse(&op.kind).unwrap_or(OperationKind::Update);
        let record = self.store.get(&op.resource_key).await?;
        match (record, operation::outcome(kind)) {
            // Superseded by a later operation on the same resource.
            (Some(r), _) if r.operation_id.as_deref() != Some(op.id.as_str()) => {}
            (Some(mut r), Outcome::Provisioned(state)) => {
                let expected_revision = r.revision;
                r.provisioning_state = state.as_str().to_string();
                r.operation_id = None;
                r.updated_at = now;
                write.changes.push(Change::Update {
                    record: r,
                    expected_revision,
                });
            }
            (Some(r), Outcome::Removed) => {
                write.require_no_children = Some(r.key.clone());
                write.changes.push(Change::Delete {
                    key: r.key.clone(),
                    expected_revision: Some(r.revision),
                    counted: quota::counts(&r.kind),
                });
            }
            (None, Outcome::Removed) => {}
            // The resource went away with its resource group.
            (None, Outcome::Provisioned(_)) => status = OperationStatus::Canceled,
        }
        write.operations.push(OperationChange::Finish {
            id: op.id.clone(),
            status: status.as_str().to_string(),
            end_time: now,
            error: None,
            lease_owner: Some(self.owner.clone()),
        });
        Ok(write)
    }

    /// A delete that found children after all: the resource is kept and the
    /// operation fails the way a synchronous refusal would have.
    async fn fail_delete(&self, op: &OperationRecord, now: i64) -> Result<(), StoreError> {
        let mut write = Write::default();
        if let Some(mut r) = self.store.get(&op.resource_key).await?
            && r.operation_id.as_deref() == Some(op.id.as_str())
        {
            let expected_revision = r.revision;
            r.provisioning_state = ProvisioningState::Succeeded.as_str().to_string();
            r.operation_id = None;
            r.updated_at = now;
            write.changes.push(Change::Update {
                record: r,
                expected_revision,
            });
        }
        let error = serde_json::json!({
            "code": "CannotDeleteResource",
            "message": "Can not delete resource before nested resources are deleted.",
            "status": 409,
        });
        write.operations.push(OperationChange::Finish {
            id: op.id.clone(),
            status: OperationStatus::Failed.as_str().to_string(),
            end_time: now,
            error: Some(error.to_string()),
            lease_owner: Some(self.owner.clone()),
        });
        match self.store.write(&write).await {
            Err(StoreError::Stale(_)) => Ok(()),
            other => other,
        }
    }
}
