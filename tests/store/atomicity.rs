//! One write, one transaction: a change that fails takes every earlier
//! change of its write with it.

use std::sync::Arc;

use gallery_emulator::store::{Change, OperationChange, QuotaClaim, Store, StoreError, Write};

use crate::{SUB, gallery, group, insert, insert_counted, operation};

async fn a_write_whose_later_change_fails_leaves_no_trace_of_its_earlier_changes(
    store: Arc<dyn Store>,
) {
    let existing = gallery(SUB, "rg", "existing", "westus");
    let victim = gallery(SUB, "rg", "victim", "westus");
    store
        .write(&insert_counted(existing.clone(), 2))
        .await
        .expect("existing");
    store.write(&insert(victim.clone())).await.expect("victim");

    let new_group = group(SUB, "rg-new");
    let new = gallery(SUB, "rg-new", "new", "westus");
    let mut updated = existing.clone();
    updated.body = r#"{"description":"changed"}"#.into();
    let earlier = || {
        vec![
            Change::InsertIfAbsent(new_group.clone()),
            Change::Insert {
                record: new.clone(),
                quota: Some(QuotaClaim { limit: 2 }),
            },
            Change::Update {
                record: updated.clone(),
                expected_revision: 0,
            },
            Change::Delete {
                key: victim.key.clone(),
                expected_revision: Some(0),
                counted: false,
            },
        ]
    };
    let failing: Vec<(&str, Change)> = vec![
        (
            "a stale update",
            Change::Update {
                record: victim.clone(),
                expected_revision: 5,
            },
        ),
        (
            "an insert of a taken key",
            Change::Insert {
                record: existing.clone(),
                quota: None,
            },
        ),
        (
            "a unique clash",
            Change::Insert {
                record: gallery(SUB, "rg-x", "existing", "westus"),
                quota: None,
            },
        ),
        (
            "a stale delete",
            Change::Delete {
                key: "/missing".into(),
                expected_revision: Some(0),
                counted: false,
            },
        ),
        (
            "a quota refusal",
            Change::Insert {
                record: gallery(SUB, "rg", "over", "westus"),
                quota: Some(QuotaClaim { limit: 2 }),
            },
        ),
    ];
    for (what, last) in failing {
        let mut changes = earlier();
        changes.push(last);
        let write = Write {
            changes,
            operations: vec![OperationChange::Insert(operation("op-new", &new.key, 10))],
            ..Write::default()
        };
        let outcome = store.write(&write).await;
        assert!(
            matches!(
                outcome,
                Err(StoreError::Stale(_)
                    | StoreError::AlreadyExists(_)
                    | StoreError::Unique(_)
                    | StoreError::QuotaExceeded { .. })
            ),
            "{what}: {outcome:?}"
        );
        assert_eq!(
            store.get(&new_group.key).await.expect("get"),
            None,
            "{what}"
        );
        assert_eq!(store.get(&new.key).await.expect("get"), None, "{what}");
        assert_eq!(
            store.get(&existing.key).await.expect("get").as_ref(),
            Some(&existing),
            "{what}"
        );
        assert_eq!(
            store.get(&victim.key).await.expect("get").as_ref(),
            Some(&victim),
            "{what}"
        );
        assert_eq!(
            store.get_operation("op-new").await.expect("get op"),
            None,
            "{what}"
        );
    }

    // Nothing was claimed or released along the way: `existing` holds one of
    // two, the deletes of `victim` were uncounted, so exactly one more fits.
    store
        .write(&insert_counted(new.clone(), 2))
        .await
        .expect("one more fits");
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "rg", "third", "westus"), 2))
            .await,
        StoreError::QuotaExceeded { .. }
    );

    // And the same write without the failing change goes through whole.
    store
        .write(&crate::delete(&new.key, None, true))
        .await
        .expect("make room");
    store
        .write(&Write {
            changes: earlier(),
            operations: vec![OperationChange::Insert(operation("op-new", &new.key, 10))],
            ..Write::default()
        })
        .await
        .expect("the whole write");
    assert!(store.get(&new_group.key).await.expect("get").is_some());
    assert!(store.get(&new.key).await.expect("get").is_some());
    assert_eq!(
        store
            .get(&existing.key)
            .await
            .expect("get")
            .map(|r| r.revision),
        Some(1)
    );
    assert_eq!(store.get(&victim.key).await.expect("get"), None);
    assert!(
        store
            .get_operation("op-new")
            .await
            .expect("get op")
            .is_some()
    );
}

async fn a_failed_write_leaves_the_store_usable(store: Arc<dyn Store>) {
    // A rolled-back transaction must not hold a lock or a connection.
    for n in 0..20 {
        let mut r = gallery(SUB, "rg", &format!("g{n}"), "westus");
        r.unique = None;
        store.write(&insert(r.clone())).await.expect("insert");
        assert_err!(store.write(&insert(r)).await, StoreError::AlreadyExists(_));
        assert_err!(
            store
                .write(&Write {
                    require_parent: Some("/missing".into()),
                    ..Write::default()
                })
                .await,
            StoreError::ParentMissing(_)
        );
    }
    assert_eq!(
        store
            .count_children(&crate::group_key(SUB, "rg"))
            .await
            .expect("count"),
        20
    );
}

async fn concurrent_writes_each_keep_their_own_outcome(store: Arc<dyn Store>) {
    // Writes that arrive together may be committed together (SQLite does);
    // a refused one still takes only its own changes with it.
    let taken = gallery(SUB, "rg", "taken", "westus");
    store.write(&insert(taken.clone())).await.expect("taken");
    const WRITERS: usize = 48;
    let refused = |i: usize| i % 3 == 1;
    let barrier = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let record = gallery(SUB, "rg", &format!("c{i}"), "westus");
            let mut changes = vec![Change::Insert {
                record: record.clone(),
                quota: None,
            }];
            if refused(i) {
                changes.push(Change::Insert {
                    record: taken.clone(),
                    quota: None,
                });
            }
            let write = Write {
                changes,
                operations: vec![OperationChange::Insert(operation(
                    &format!("op-{i}"),
                    &record.key,
                    10,
                ))],
                ..Write::default()
            };
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                (i, record.key, store.write(&write).await)
            })
        })
        .collect();
    for task in tasks {
        let (i, key, outcome) = task.await.expect("writer");
        let stored = store.get(&key).await.expect("get");
        let op = store.get_operation(&format!("op-{i}")).await.expect("op");
        if refused(i) {
            assert!(
                matches!(outcome, Err(StoreError::AlreadyExists(ref k)) if *k == taken.key),
                "write {i}: {outcome:?}"
            );
            assert_eq!((stored, op), (None, None), "write {i} left a trace");
        } else {
            assert!(outcome.is_ok(), "write {i}: {outcome:?}");
            assert!(stored.is_some() && op.is_some(), "write {i} is missing");
        }
    }
    let kept = (0..WRITERS).filter(|&i| !refused(i)).count() as i64;
    assert_eq!(
        store
            .count_children(&crate::group_key(SUB, "rg"))
            .await
            .expect("count"),
        kept + 1
    );
}

async fn a_write_dropped_before_it_ends_is_whole_or_absent_and_the_store_carries_on(
    store: Arc<dyn Store>,
) {
    // A request can be dropped at any await (its client went away): its
    // write is committed whole or not at all, and the next writes and reads
    // go on as if it had never started.
    for polls in 1..=6 {
        let record = gallery(SUB, "rg", &format!("dropped{polls}"), "westus");
        let op_id = format!("op-dropped{polls}");
        let write = Write {
            changes: vec![Change::Insert {
                record: record.clone(),
                quota: Some(QuotaClaim { limit: 100 }),
            }],
            operations: vec![OperationChange::Insert(operation(&op_id, &record.key, 10))],
            ..Write::default()
        };
        {
            let mut pending = std::pin::pin!(store.write(&write));
            for _ in 0..polls {
                let waker = std::task::Waker::noop();
                let mut cx = std::task::Context::from_waker(waker);
                if pending.as_mut().poll(&mut cx).is_ready() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        let after = gallery(SUB, "rg", &format!("after{polls}"), "westus");
        store
            .write(&insert(after.clone()))
            .await
            .unwrap_or_else(|e| panic!("the write after a dropped one ({polls} polls): {e}"));
        assert!(store.get(&after.key).await.expect("get").is_some());
        let stored = store.get(&record.key).await.expect("get");
        let op = store.get_operation(&op_id).await.expect("op");
        assert_eq!(
            stored.is_some(),
            op.is_some(),
            "a write dropped after {polls} polls left half of itself"
        );
    }
}

on_every_backend!(
    a_write_whose_later_change_fails_leaves_no_trace_of_its_earlier_changes,
    a_failed_write_leaves_the_store_usable,
    concurrent_writes_each_keep_their_own_outcome,
    a_write_dropped_before_it_ends_is_whole_or_absent_and_the_store_carries_on,
);
