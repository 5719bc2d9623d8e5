//! Long-running operations: how a request starts one (as part of its own
//! write) and the worker that completes the ones that are due. The worker is
//! a step function in a loop; tests drive `step()` and move the clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::domain::image_version::ReplicationState;
use crate::domain::operation::{self, OperationKind, OperationStatus, Outcome};
use crate::domain::replication::{self, Failure};
use crate::domain::{ProvisioningState, quota};
use crate::store::{
    Change, OperationChange, OperationRecord, QuotaClaim, Record, Store, StoreError, Write,
};

/// How long a claim on an operation lasts before another instance (or this
/// one, restarted after a crash) may take it over.
const LEASE_MICROS: i64 = 10_000_000;
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
    pub finish: Finish,
}

/// When an accepted operation finishes.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// Inside the accepting write: succeeded, or failed with this failure.
    Now(Option<Failure>),
    /// When the worker reaches this time.
    At(i64),
}

/// The `error` of a failed operation.
pub fn operation_error(failure: &Failure) -> String {
    serde_json::json!({"code": failure.code, "message": failure.message}).to_string()
}

/// The write that accepts `start`: finishing the operation inside it, or
/// leaving the resource in the running state with the operation due later.
pub fn begin(now: i64, start: Start) -> Write {
    let Start {
        operation_id,
        kind,
        mut record,
        prior_revision,
        quota,
        finish,
    } = start;
    let mut op = OperationRecord {
        id: operation_id.clone(),
        subscription_id: record.subscription_id.clone(),
        location: record.location.clone(),
        kind: kind.as_str().to_string(),
        resource_key: record.key.clone(),
        status: OperationStatus::InProgress.as_str().to_string(),
        start_time: now,
        end_time: None,
        due_at: None,
        error: None,
        lease_owner: None,
        lease_until: None,
    };
    // The state a resource finished inside this write is left in.
    let settled = match finish {
        Finish::At(due) => {
            op.due_at = Some(due);
            None
        }
        Finish::Now(failure) => {
            let (status, state) = match &failure {
                Some(_) => (OperationStatus::Failed, ProvisioningState::Failed),
                None => (OperationStatus::Succeeded, ProvisioningState::Succeeded),
            };
            op.status = status.as_str().to_string();
            op.end_time = Some(now);
            op.error = failure.as_ref().map(operation_error);
            Some(state)
        }
    };
    let instant = settled.is_some();
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
            let state = settled.unwrap_or_else(|| kind.running_state());
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

/// What this instance's worker applied since it started.
#[derive(Debug, Default)]
pub struct Counters {
    /// Regions whose replication this instance finished.
    pub region_steps: AtomicU64,
    /// Operations this instance finished.
    pub operations_finished: AtomicU64,
}

/// What the worker applied: regions finished and operations finished.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub region_steps: u64,
    pub operations: u64,
}

pub struct Worker {
    store: Arc<dyn Store>,
    clock: Arc<Clock>,
    wake: Notify,
    owner: String,
    pub counters: Counters,
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, clock: Arc<Clock>) -> Self {
        Worker {
            store,
            clock,
            wake: Notify::new(),
            owner: uuid::Uuid::new_v4().to_string(),
            counters: Counters::default(),
        }
    }

    /// The id this instance's worker claims operations under.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Asks the loop to look for due work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Applies everything due at the clock's now: regions that finished
    /// replicating and operations that finished.
    pub async fn step(&self) -> Result<Applied, StoreError> {
        let mut applied = Applied::default();
        loop {
            let now = self.clock.now();
            let due = self
                .store
                .claim_due(now, BATCH, &self.owner, now + LEASE_MICROS)
                .await?;
            if due.is_empty() {
                return Ok(applied);
            }
            for op in due {
                let done = self.complete(op, now).await?;
                applied.region_steps += done.region_steps;
                applied.operations += done.operations;
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

    async fn complete(&self, op: OperationRecord, now: i64) -> Result<Applied, StoreError> {
        // A concurrent write to the resource makes the write stale; read again.
        for _ in 0..5 {
            let (write, applied) = self.completion(&op, now).await?;
            match self.store.write(&write).await {
                Ok(()) => {
                    self.counters
                        .region_steps
                        .fetch_add(applied.region_steps, Ordering::Relaxed);
                    self.counters
                        .operations_finished
                        .fetch_add(applied.operations, Ordering::Relaxed);
                    return Ok(applied);
                }
                Err(StoreError::Stale(key)) if key != op.id => continue,
                Err(StoreError::Stale(_)) => return Ok(Applied::default()),
                Err(StoreError::HasChildren(_)) => {
                    self.fail_delete(&op, now).await?;
                    return Ok(Applied {
                        region_steps: 0,
                        operations: 1,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Applied::default())
    }

    /// The write that applies what is due of `op` at `now`: the regions of
    /// its replication that finished, and the operation's end once nothing
    /// is left to replicate (else it is due again at the next region's end).
    async fn completion(
        &self,
        op: &OperationRecord,
        now: i64,
    ) -> Result<(Write, Applied), StoreError> {
        let mut write = Write::default();
        let mut applied = Applied {
            region_steps: 0,
            operations: 1,
        };
        let mut status = OperationStatus::Succeeded;
        let mut error = None;
        let kind = OperationKind::parse(&op.kind).unwrap_or(OperationKind::Update);
        let record = self.store.get(&op.resource_key).await?;
        match (record, operation::outcome(kind)) {
            // Superseded by a later operation on the same resource.
            (Some(r), _) if r.operation_id.as_deref() != Some(op.id.as_str()) => {}
            (Some(mut r), Outcome::Provisioned(state)) => {
                let expected_revision = r.revision;
                r.updated_at = now;
                r.provisioning_state = state.as_str().to_string();
                r.operation_id = None;
                // An unreadable replication cannot progress; the version
                // completes as if it had none.
                if let Ok(Some(step)) = advance_stored(&r.body, now) {
                    r.body = step.body;
                    applied.region_steps = step.finished.len() as u64;
                    for (region, state) in step.finished {
                        write.operations.push(OperationChange::Step {
                            operation_id: op.id.clone(),
                            region,
                            state: state.as_str().to_string(),
                            at: now,
                            owner: self.owner.clone(),
                        });
                    }
                    if let Some(due_at) = step.next_due {
                        r.provisioning_state = kind.running_state().as_str().to_string();
                        r.operation_id = Some(op.id.clone());
                        write.changes.push(Change::Update {
                            record: r,
                            expected_revision,
                        });
                        write.operations.push(OperationChange::Reschedule {
                            id: op.id.clone(),
                            due_at,
                            lease_owner: self.owner.clone(),
                        });
                        applied.operations = 0;
                        return Ok((write, applied));
                    }
                    if let Some(failure) = step.failure {
                        r.provisioning_state = ProvisioningState::Failed.as_str().to_string();
                        status = OperationStatus::Failed;
                        error = Some(operation_error(&failure));
                    }
                }
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
            error,
            lease_owner: Some(self.owner.clone()),
        });
        Ok((write, applied))
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

/// What a step of the worker did to a version's stored replication.
#[derive(Debug)]
struct Advanced {
    /// The version's body with the replication as it now stands.
    body: String,
    /// The regions this step finished, with the state each reached.
    finished: Vec<(String, ReplicationState)>,
    /// When the next region finishes, while any still replicates.
    next_due: Option<i64>,
    /// Once every region finished: the first region's failure, if any.
    failure: Option<Failure>,
}

/// Advances the replication stored in a version's JSON body to `now`; `None`
/// when the body tracks none (not a version, or stored before tracking).
fn advance_stored(body: &str, now: i64) -> Result<Option<Advanced>, serde_json::Error> {
    let mut doc: serde_json::Value = serde_json::from_str(body)?;
    let Some(slot) = doc.pointer_mut("/publishing/replication") else {
        return Ok(None);
    };
    let mut jobs: Vec<replication::RegionJob> = serde_json::from_value(slot.take())?;
    let finished = replication::advance(&mut jobs, now);
    let failure = match replication::outcome(&jobs) {
        Some(Err(f)) => Some(f.clone()),
        _ => None,
    };
    *slot = serde_json::to_value(&jobs)?;
    Ok(Some(Advanced {
        body: doc.to_string(),
        finished,
        next_due: replication::next_due(&jobs),
        failure,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::replication::fixtures::{NOW, SECOND, SOURCE};
    use crate::domain::replication::{Pace, plan, test_publishing};

    #[test]
    fn a_stored_replication_advances_in_place() {
        let mut p = test_publishing(&[("westus", 1), ("eastus", 1)], NOW);
        p.replication = plan(&[], &p, SOURCE, Pace::Scaled(1.0), NOW, |_| None);
        let body = serde_json::json!({"publishing": p, "other": 1}).to_string();
        // westus takes 30 + 30 × 3 × 0.5 × 1.25 = 86.25 s, eastus 142.5 s.
        let step = advance_stored(&body, NOW + 90 * SECOND)
            .expect("readable")
            .expect("tracked");
        assert_eq!(
            step.finished,
            vec![("westus".to_string(), ReplicationState::Completed)]
        );
        assert_eq!(step.next_due, Some(NOW + 142_500_000));
        let done = advance_stored(&step.body, NOW + 143 * SECOND)
            .expect("readable")
            .expect("tracked");
        assert_eq!(done.finished.len(), 1);
        assert_eq!((done.next_due, done.failure), (None, None));
        assert!(done.body.contains("\"other\":1"));
        assert!(
            advance_stored("{\"publishing\":{}}", NOW)
                .expect("readable")
                .is_none()
        );
    }
}
