//! Long-running operations: stored with the write that starts them, leased
//! to one worker at a time when due, finished once by their lease holder.

use std::sync::Arc;

use gallery_emulator::store::{OperationChange, OperationRecord, Store, StoreError, Write};

use crate::operation;

async fn add(store: &Arc<dyn Store>, ops: &[OperationRecord]) {
    store
        .write(&Write {
            operations: ops.iter().cloned().map(OperationChange::Insert).collect(),
            ..Write::default()
        })
        .await
        .expect("insert operations");
}

fn finish(id: &str, status: &str, end_time: i64, owner: Option<&str>) -> Write {
    Write {
        operations: vec![OperationChange::Finish {
            id: id.into(),
            status: status.into(),
            end_time,
            error: None,
            lease_owner: owner.map(str::to_owned),
        }],
        ..Write::default()
    }
}

fn ids(ops: &[OperationRecord]) -> Vec<&str> {
    ops.iter().map(|o| o.id.as_str()).collect()
}

async fn an_operation_reads_back_with_every_field_and_next_due_is_the_earliest(
    store: Arc<dyn Store>,
) {
    assert_eq!(store.next_due().await.expect("next due"), None);
    assert_eq!(store.get_operation("nope").await.expect("get"), None);

    let full = OperationRecord {
        id: "op-full".into(),
        subscription_id: "sub".into(),
        location: "westeurope".into(),
        kind: "Delete".into(),
        resource_key: "/subscriptions/sub/resourcegroups/rg".into(),
        status: "Failed".into(),
        start_time: 1_700_000_000_000_000,
        end_time: Some(1_700_000_000_500_000),
        due_at: None,
        error: Some(r#"{"code":"Conflict","message":"ünïcode"}"#.into()),
        lease_owner: Some("worker-a".into()),
        lease_until: Some(i64::MAX),
    };
    add(
        &store,
        &[
            full.clone(),
            operation("op-300", "/r/1", 300),
            operation("op-100", "/r/2", 100),
            operation("op-200", "/r/3", 200),
        ],
    )
    .await;
    assert_eq!(
        store.get_operation(&full.id).await.expect("get"),
        Some(full)
    );
    assert_eq!(
        store.get_operation("op-100").await.expect("get"),
        Some(operation("op-100", "/r/2", 100))
    );
    // A finished operation (no due_at) never counts, however early it started.
    assert_eq!(store.next_due().await.expect("next due"), Some(100));
}

async fn inserting_an_operation_id_twice_fails_and_keeps_the_first(store: Arc<dyn Store>) {
    let first = operation("op", "/r/1", 10);
    add(&store, std::slice::from_ref(&first)).await;
    let mut second = first.clone();
    second.resource_key = "/r/2".into();
    let outcome = store
        .write(&Write {
            operations: vec![OperationChange::Insert(second)],
            ..Write::default()
        })
        .await;
    assert!(outcome.is_err(), "a duplicate operation id was accepted");
    assert_eq!(store.get_operation("op").await.expect("get"), Some(first));
}

async fn claim_due_leases_only_due_unleased_operations(store: Arc<dyn Store>) {
    add(
        &store,
        &[
            operation("op-500", "/r/5", 500),
            operation("op-200", "/r/2", 200),
            operation("op-100", "/r/1", 100),
        ],
    )
    .await;
    assert_eq!(
        store.claim_due(99, 10, "a", 1_000).await.expect("claim"),
        [],
        "nothing is due before 100"
    );

    let claimed = store.claim_due(250, 10, "a", 1_000).await.expect("claim");
    assert_eq!(ids(&claimed), ["op-100", "op-200"]);
    for op in &claimed {
        assert_eq!(op.lease_owner.as_deref(), Some("a"));
        assert_eq!(op.lease_until, Some(1_000));
        let stored = store.get_operation(&op.id).await.expect("get").expect("op");
        assert_eq!(&stored, op);
    }

    // Leased until 1000: nobody else gets them before that, even once the
    // third is due; the third goes to whoever asks first.
    assert_eq!(
        store.claim_due(300, 10, "b", 2_000).await.expect("claim"),
        []
    );
    let third = store.claim_due(999, 10, "b", 5_000).await.expect("claim");
    assert_eq!(ids(&third), ["op-500"]);
    assert_eq!(
        store.claim_due(1_000, 10, "c", 9_000).await.expect("claim"),
        [],
        "a lease holds up to and including lease_until"
    );

    // Expired: another owner takes them over.
    let taken = store.claim_due(1_001, 10, "c", 9_000).await.expect("claim");
    assert_eq!(ids(&taken), ["op-100", "op-200"]);
    assert!(
        taken
            .iter()
            .all(|o| o.lease_owner.as_deref() == Some("c") && o.lease_until == Some(9_000))
    );
    // Leasing does not make an operation any less due.
    assert_eq!(store.next_due().await.expect("next due"), Some(100));
}

async fn claim_due_takes_at_most_limit_earliest_first(store: Arc<dyn Store>) {
    let ops: Vec<_> = (0..5)
        .map(|n| operation(&format!("op-{n}"), "/r", 100 - n * 10))
        .collect();
    add(&store, &ops).await;
    let first = store.claim_due(1_000, 2, "a", 2_000).await.expect("claim");
    assert_eq!(ids(&first), ["op-4", "op-3"]);
    let rest = store.claim_due(1_000, 10, "b", 2_000).await.expect("claim");
    assert_eq!(ids(&rest), ["op-2", "op-1", "op-0"]);
    assert_eq!(
        store.claim_due(1_000, 10, "c", 2_000).await.expect("claim"),
        []
    );
}

async fn finishing_needs_the_lease_owner_and_happens_once(store: Arc<dyn Store>) {
    add(
        &store,
        &[
            operation("op-1", "/r/1", 100),
            operation("op-2", "/r/2", 150),
        ],
    )
    .await;
    store.claim_due(200, 10, "a", 1_000).await.expect("claim");

    match store
        .write(&finish("op-1", "Succeeded", 300, Some("b")))
        .await
    {
        Err(StoreError::Stale(id)) => assert_eq!(id, "op-1"),
        other => panic!("expected Stale, got {other:?}"),
    }
    let untouched = store.get_operation("op-1").await.expect("get").expect("op");
    assert_eq!(untouched.status, "InProgress");
    assert_eq!(untouched.due_at, Some(100));
    assert_eq!(untouched.lease_owner.as_deref(), Some("a"));

    store
        .write(&Write {
            operations: vec![OperationChange::Finish {
                id: "op-1".into(),
                status: "Failed".into(),
                end_time: 300,
                error: Some(r#"{"code":"Boom"}"#.into()),
                lease_owner: Some("a".into()),
            }],
            ..Write::default()
        })
        .await
        .expect("finish by the owner");
    let done = store.get_operation("op-1").await.expect("get").expect("op");
    assert_eq!(done.status, "Failed");
    assert_eq!(done.end_time, Some(300));
    assert_eq!(done.error.as_deref(), Some(r#"{"code":"Boom"}"#));
    assert_eq!(done.due_at, None);
    assert_eq!(done.start_time, 500);
    assert_eq!(store.next_due().await.expect("next due"), Some(150));

    assert_err!(
        store
            .write(&finish("op-1", "Succeeded", 400, Some("a")))
            .await,
        StoreError::Stale(_)
    );
    assert_err!(
        store.write(&finish("op-1", "Succeeded", 400, None)).await,
        StoreError::Stale(_)
    );
    assert_eq!(
        store.get_operation("op-1").await.expect("get").as_ref(),
        Some(&done)
    );
    assert_err!(
        store
            .write(&finish("op-missing", "Succeeded", 400, None))
            .await,
        StoreError::Stale(_)
    );

    // Without an owner, a running operation finishes whoever holds it.
    store
        .write(&finish("op-2", "Canceled", 500, None))
        .await
        .expect("finish without an owner");
    assert_eq!(store.next_due().await.expect("next due"), None);
    assert_eq!(
        store
            .claim_due(i64::MAX - 1, 10, "z", i64::MAX)
            .await
            .expect("claim"),
        [],
        "finished operations are never claimed"
    );
}

async fn a_lease_taken_over_after_expiry_cannot_be_finished_by_its_first_owner(
    store: Arc<dyn Store>,
) {
    add(&store, &[operation("op", "/r", 100)]).await;
    assert_eq!(
        store
            .claim_due(100, 1, "a", 200)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_eq!(
        store
            .claim_due(201, 1, "b", 400)
            .await
            .expect("claim")
            .len(),
        1
    );
    assert_err!(
        store
            .write(&finish("op", "Succeeded", 250, Some("a")))
            .await,
        StoreError::Stale(_)
    );
    store
        .write(&finish("op", "Succeeded", 250, Some("b")))
        .await
        .expect("the new owner finishes");
}

async fn an_operation_written_with_a_failing_finish_is_not_kept(store: Arc<dyn Store>) {
    // Operation changes are part of the write: the insert goes with the
    // finish that fails after it.
    let write = Write {
        operations: vec![
            OperationChange::Insert(operation("op-new", "/r", 10)),
            OperationChange::Finish {
                id: "op-missing".into(),
                status: "Succeeded".into(),
                end_time: 20,
                error: None,
                lease_owner: None,
            },
        ],
        ..Write::default()
    };
    assert_err!(store.write(&write).await, StoreError::Stale(_));
    assert_eq!(store.get_operation("op-new").await.expect("get"), None);
    assert_eq!(store.next_due().await.expect("next due"), None);
}

fn step(operation_id: &str, region: &str, owner: &str) -> OperationChange {
    OperationChange::Step {
        operation_id: operation_id.into(),
        region: region.into(),
        state: "Completed".into(),
        at: 50,
        owner: owner.into(),
    }
}

async fn a_rescheduled_operation_is_due_again_and_released_only_by_its_holder(
    store: Arc<dyn Store>,
) {
    add(&store, &[operation("op", "/r", 100)]).await;
    let reschedule = |owner: &str, due_at: i64| Write {
        operations: vec![OperationChange::Reschedule {
            id: "op".into(),
            due_at,
            lease_owner: owner.into(),
        }],
        ..Write::default()
    };
    // Not leased yet: nobody holds it.
    assert_err!(
        store.write(&reschedule("a", 500)).await,
        StoreError::Stale(_)
    );
    assert_eq!(
        ids(&store.claim_due(100, 10, "a", 10_000).await.expect("claim")),
        ["op"]
    );
    assert_err!(
        store.write(&reschedule("b", 500)).await,
        StoreError::Stale(_)
    );
    store
        .write(&reschedule("a", 500))
        .await
        .expect("reschedule");
    let op = store.get_operation("op").await.expect("get").expect("kept");
    assert_eq!(
        (op.due_at, op.lease_owner, op.lease_until),
        (Some(500), None, None)
    );
    assert_eq!(op.status, "InProgress");
    assert_eq!(store.next_due().await.expect("next due"), Some(500));
    // The lease is released: another worker takes it when it is due, not before.
    assert!(
        store
            .claim_due(499, 10, "b", 10_000)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        ids(&store.claim_due(500, 10, "b", 10_000).await.expect("claim")),
        ["op"]
    );
    // A finished operation is not rescheduled.
    store
        .write(&finish("op", "Succeeded", 600, Some("b")))
        .await
        .expect("finish");
    assert_err!(
        store.write(&reschedule("b", 700)).await,
        StoreError::Stale(_)
    );
}

async fn each_region_step_of_an_operation_is_recorded_once(store: Arc<dyn Store>) {
    assert_eq!(store.count_steps().await.expect("count"), 0);
    let write = |changes: Vec<OperationChange>| Write {
        operations: changes,
        ..Write::default()
    };
    store
        .write(&write(vec![
            step("op1", "westus", "a"),
            step("op1", "eastus", "a"),
        ]))
        .await
        .expect("two regions");
    store
        .write(&write(vec![step("op2", "westus", "b")]))
        .await
        .expect("another operation, same region");
    // The same region of the same operation again fails the whole write.
    assert!(
        store
            .write(&write(vec![
                step("op2", "eastus", "b"),
                step("op1", "westus", "b")
            ]))
            .await
            .is_err()
    );
    assert_eq!(store.count_steps().await.expect("count"), 3);
    store.reset().await.expect("reset");
    assert_eq!(store.count_steps().await.expect("count"), 0);
}

async fn meta_values_are_kept_and_replaced(store: Arc<dyn Store>) {
    assert_eq!(store.get_meta("virtual_now").await.expect("get"), None);
    store.set_meta("virtual_now", "100").await.expect("set");
    store.set_meta("virtual_now", "250").await.expect("replace");
    assert_eq!(
        store.get_meta("virtual_now").await.expect("get").as_deref(),
        Some("250")
    );
    store.reset().await.expect("reset");
    assert_eq!(store.get_meta("virtual_now").await.expect("get"), None);
}

on_every_backend!(
    a_rescheduled_operation_is_due_again_and_released_only_by_its_holder,
    each_region_step_of_an_operation_is_recorded_once,
    meta_values_are_kept_and_replaced,
    an_operation_reads_back_with_every_field_and_next_due_is_the_earliest,
    inserting_an_operation_id_twice_fails_and_keeps_the_first,
    claim_due_leases_only_due_unleased_operations,
    claim_due_takes_at_most_limit_earliest_first,
    finishing_needs_the_lease_owner_and_happens_once,
    a_lease_taken_over_after_expiry_cannot_be_finished_by_its_first_owner,
    an_operation_written_with_a_failing_finish_is_not_kept,
);
