//! Races: uniqueness, quotas and leases hold for concurrent writers on one
//! handle and, what several emulator instances rely on, across handles
//! (separate pools) on one database.

use std::collections::BTreeMap;
use std::sync::Arc;

use gallery_emulator::store::{
    Change, ListScope, OperationChange, PageRequest, QuotaClaim, Store, StoreError, Write,
};
use tokio::sync::Barrier;

use crate::{Database, GALLERIES, SUB, gallery, group, operation};

const RACERS: usize = 20;

/// Runs `RACERS` writes at once, racer `i` on `stores[i % len]`, and tallies
/// the outcomes by name.
async fn race(stores: &[Arc<dyn Store>], writes: Vec<Write>) -> BTreeMap<String, usize> {
    let barrier = Arc::new(Barrier::new(writes.len()));
    let tasks: Vec<_> = writes
        .into_iter()
        .enumerate()
        .map(|(i, write)| {
            let store = stores[i % stores.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store.write(&write).await
            })
        })
        .collect();
    let mut tally = BTreeMap::new();
    for task in tasks {
        let outcome = match task.await.expect("racer") {
            Ok(()) => "ok".to_string(),
            Err(StoreError::Unique(name)) => format!("unique {name}"),
            Err(StoreError::QuotaExceeded { limit }) => format!("quota {limit}"),
            Err(other) => format!("unexpected: {other}"),
        };
        *tally.entry(outcome).or_insert(0) += 1;
    }
    tally
}

async fn galleries_stored(store: &Arc<dyn Store>) -> Vec<String> {
    store
        .list(
            &ListScope::Subscription {
                subscription_id: SUB.into(),
                kind: GALLERIES.into(),
            },
            &PageRequest {
                after: None,
                limit: 1000,
            },
        )
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|r| r.key)
        .collect()
}

/// Creates as the gallery handler does: the group if absent, then the
/// gallery claiming a quota.
fn create(rg: &str, name: &str, limit: i64) -> Write {
    Write {
        changes: vec![
            Change::InsertIfAbsent(group(SUB, rg)),
            Change::Insert {
                record: gallery(SUB, rg, name, "westus"),
                quota: Some(QuotaClaim { limit }),
            },
        ],
        operations: vec![OperationChange::Insert(operation(
            &format!("op-{rg}-{name}"),
            "/r",
            10,
        ))],
        ..Write::default()
    }
}

async fn one_unique_pair_across(stores: &[Arc<dyn Store>]) {
    // Same name, different resource groups: different keys, one unique pair.
    let writes = (0..RACERS)
        .map(|i| create(&format!("rg{i}"), "contested", 100))
        .collect();
    let tally = race(stores, writes).await;
    let expected = BTreeMap::from([
        ("ok".to_string(), 1),
        ("unique resources_unique_key".to_string(), RACERS - 1),
    ]);
    assert_eq!(tally, expected);
    for store in stores {
        assert_eq!(galleries_stored(store).await.len(), 1);
    }
    // The losers' groups and operations went with them.
    let winner = &galleries_stored(&stores[0]).await[0];
    let groups = stores[0]
        .list(
            &ListScope::Children {
                parent_key: format!("/subscriptions/{SUB}"),
                kind: crate::GROUPS.into(),
            },
            &PageRequest {
                after: None,
                limit: 1000,
            },
        )
        .await
        .expect("list groups")
        .items;
    assert_eq!(groups.len(), 1);
    assert!(winner.starts_with(&groups[0].key));
}

async fn one_quota_across(stores: &[Arc<dyn Store>]) {
    let writes = (0..RACERS)
        .map(|i| create("rg", &format!("g{i:02}"), 5))
        .collect();
    let tally = race(stores, writes).await;
    let expected = BTreeMap::from([("ok".to_string(), 5), ("quota 5".to_string(), RACERS - 5)]);
    assert_eq!(tally, expected);
    for store in stores {
        assert_eq!(galleries_stored(store).await.len(), 5);
    }
    let mut ops = 0;
    for i in 0..RACERS {
        if stores[0]
            .get_operation(&format!("op-rg-g{i:02}"))
            .await
            .expect("get op")
            .is_some()
        {
            ops += 1;
        }
    }
    assert_eq!(ops, 5, "only the admitted creates keep their operation");
}

async fn every_due_operation_claimed_once_across(stores: &[Arc<dyn Store>]) {
    const OPS: usize = 60;
    let ops: Vec<_> = (0..OPS)
        .map(|n| operation(&format!("op-{n:02}"), "/r", (n % 7) as i64))
        .collect();
    stores[0]
        .write(&Write {
            operations: ops.into_iter().map(OperationChange::Insert).collect(),
            ..Write::default()
        })
        .await
        .expect("insert operations");
    let workers = 8;
    let barrier = Arc::new(Barrier::new(workers));
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let store = stores[w % stores.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let owner = format!("worker-{w}");
                let mut mine = Vec::new();
                barrier.wait().await;
                loop {
                    let batch = store
                        .claim_due(100, 4, &owner, 1_000_000)
                        .await
                        .expect("claim");
                    if batch.is_empty() {
                        return (owner, mine);
                    }
                    for op in batch {
                        assert_eq!(op.lease_owner.as_deref(), Some(owner.as_str()));
                        mine.push(op.id);
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut claimed: BTreeMap<String, String> = BTreeMap::new();
    for task in tasks {
        let (owner, mine) = task.await.expect("worker");
        for id in mine {
            if let Some(first) = claimed.insert(id.clone(), owner.clone()) {
                panic!("{id} was claimed by {first} and again by {owner}");
            }
        }
    }
    assert_eq!(claimed.len(), OPS);
    // Each owner can finish exactly what it holds.
    for (id, owner) in &claimed {
        stores[0]
            .write(&Write {
                operations: vec![OperationChange::Finish {
                    id: id.clone(),
                    status: "Succeeded".into(),
                    end_time: 200,
                    error: None,
                    lease_owner: Some(owner.clone()),
                }],
                ..Write::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{owner} finishing {id}: {e}"));
    }
    assert_eq!(stores[0].next_due().await.expect("next due"), None);
}

async fn racing_updates_at_one_revision_across(stores: &[Arc<dyn Store>]) {
    let original = gallery(SUB, "rg", "g", "westus");
    stores[0]
        .write(&Write {
            changes: vec![Change::Insert {
                record: original.clone(),
                quota: None,
            }],
            ..Write::default()
        })
        .await
        .expect("insert");
    let barrier = Arc::new(Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let barrier = barrier.clone();
            let mut record = original.clone();
            record.body = format!(r#"{{"writer":{i}}}"#);
            tokio::spawn(async move {
                barrier.wait().await;
                let outcome = store
                    .write(&Write {
                        changes: vec![Change::Update {
                            record,
                            expected_revision: 0,
                        }],
                        ..Write::default()
                    })
                    .await;
                (i, outcome)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("racer") {
            (i, Ok(())) => winners.push(i),
            (_, Err(StoreError::Stale(_))) => {}
            (i, Err(e)) => panic!("racer {i}: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = stores[0]
        .get(&original.key)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.body, format!(r#"{{"writer":{}}}"#, winners[0]));
}

/// Races the creation of a child (requiring its parent) against the
/// deletion of the parent (requiring no children), round after round.
async fn child_and_parent_deletion_racing_across(stores: &[Arc<dyn Store>]) {
    const ROUNDS: usize = 40;
    let mut orphans = Vec::new();
    for n in 0..ROUNDS {
        let parent = gallery(SUB, "rg", &format!("p{n}"), "westus");
        let child = crate::image(&parent, "child");
        stores[0]
            .write(&Write {
                changes: vec![Change::Insert {
                    record: parent.clone(),
                    quota: None,
                }],
                ..Write::default()
            })
            .await
            .expect("parent");
        let remove = Write {
            require_no_children: Some(parent.key.clone()),
            changes: vec![Change::Delete {
                key: parent.key.clone(),
                expected_revision: None,
                counted: false,
            }],
            ..Write::default()
        };
        let create = Write {
            require_parent: Some(parent.key.clone()),
            changes: vec![Change::Insert {
                record: child.clone(),
                quota: None,
            }],
            ..Write::default()
        };
        let (a, b) = (stores[0].clone(), stores[n % stores.len()].clone());
        let barrier = Arc::new(Barrier::new(2));
        let (deleted, created) = {
            let (b1, b2) = (barrier.clone(), barrier);
            let del = tokio::spawn(async move {
                b1.wait().await;
                a.write(&remove).await
            });
            let add = tokio::spawn(async move {
                b2.wait().await;
                b.write(&create).await
            });
            (del.await.expect("delete"), add.await.expect("create"))
        };
        match (&deleted, &created) {
            (Ok(()), Err(StoreError::ParentMissing(_)))
            | (Err(StoreError::HasChildren(_)), Ok(())) => {}
            (Ok(()), Ok(())) => orphans.push(n),
            other => panic!("round {n}: {other:?}"),
        }
        let parent_left = stores[0].get(&parent.key).await.expect("get").is_some();
        let child_left = stores[0].get(&child.key).await.expect("get").is_some();
        assert!(
            parent_left || !child_left,
            "round {n}: {} survived its parent",
            child.key
        );
    }
    assert!(orphans.is_empty(), "rounds {orphans:?} left an orphan");
}

/// Races a create that requires its resource group against the group's
/// deletion, round after round: if the group is gone, so is all it held.
async fn group_deletion_and_create_racing_across(stores: &[Arc<dyn Store>]) {
    const ROUNDS: usize = 40;
    let mut orphans = Vec::new();
    for n in 0..ROUNDS {
        let rg = format!("rg{n}");
        let parent = group(SUB, &rg);
        let child = gallery(SUB, &rg, &format!("child{n}"), "westus");
        stores[0]
            .write(&Write {
                changes: vec![Change::Insert {
                    record: parent.clone(),
                    quota: None,
                }],
                ..Write::default()
            })
            .await
            .expect("group");
        let remove = Write {
            changes: vec![Change::DeleteResourceGroup {
                subscription_id: SUB.into(),
                resource_group: rg.clone(),
            }],
            ..Write::default()
        };
        let create = Write {
            require_parent: Some(parent.key.clone()),
            changes: vec![Change::Insert {
                record: child.clone(),
                quota: Some(QuotaClaim { limit: 1000 }),
            }],
            ..Write::default()
        };
        let (a, b) = (stores[0].clone(), stores[n % stores.len()].clone());
        let barrier = Arc::new(Barrier::new(2));
        let (b1, b2) = (barrier.clone(), barrier);
        let del = tokio::spawn(async move {
            b1.wait().await;
            a.write(&remove).await
        });
        let add = tokio::spawn(async move {
            b2.wait().await;
            b.write(&create).await
        });
        let deleted = del.await.expect("delete");
        let created = add.await.expect("create");
        assert!(deleted.is_ok(), "round {n}: {deleted:?}");
        assert!(
            matches!(created, Ok(()) | Err(StoreError::ParentMissing(_))),
            "round {n}: {created:?}"
        );
        let group_left = stores[0].get(&parent.key).await.expect("get").is_some();
        let child_left = stores[0].get(&child.key).await.expect("get").is_some();
        if child_left && !group_left {
            orphans.push(n);
        }
    }
    assert!(
        orphans.is_empty(),
        "rounds {orphans:?} left a gallery in a deleted group"
    );
}

async fn racing_inserts_of_one_unique_pair_admit_exactly_one(store: Arc<dyn Store>) {
    one_unique_pair_across(&[store]).await;
}

async fn racing_inserts_under_a_quota_of_five_admit_exactly_five(store: Arc<dyn Store>) {
    one_quota_across(&[store]).await;
}

async fn racing_workers_claim_each_due_operation_once(store: Arc<dyn Store>) {
    every_due_operation_claimed_once_across(&[store]).await;
}

async fn racing_updates_at_one_revision_admit_exactly_one(store: Arc<dyn Store>) {
    racing_updates_at_one_revision_across(&[store]).await;
}

async fn a_child_created_while_its_parent_is_deleted_is_never_orphaned(store: Arc<dyn Store>) {
    child_and_parent_deletion_racing_across(&[store]).await;
}

async fn a_record_created_while_its_resource_group_is_deleted_is_never_orphaned(
    store: Arc<dyn Store>,
) {
    group_deletion_and_create_racing_across(&[store]).await;
}

on_every_backend!(
    racing_inserts_of_one_unique_pair_admit_exactly_one,
    racing_inserts_under_a_quota_of_five_admit_exactly_five,
    racing_workers_claim_each_due_operation_once,
    racing_updates_at_one_revision_admit_exactly_one,
    a_child_created_while_its_parent_is_deleted_is_never_orphaned,
    a_record_created_while_its_resource_group_is_deleted_is_never_orphaned,
);

// ---- two instances: two pools on one database --------------------------------

async fn two_instances_racing_on_one_unique_pair_admit_exactly_one(db: Database) {
    let (a, b) = (db.open().await, db.open().await);
    one_unique_pair_across(&[a, b]).await;
}

async fn two_instances_racing_under_a_quota_of_five_admit_exactly_five(db: Database) {
    let (a, b) = (db.open().await, db.open().await);
    one_quota_across(&[a, b]).await;
}

async fn two_instances_claim_each_due_operation_once(db: Database) {
    let (a, b) = (db.open().await, db.open().await);
    every_due_operation_claimed_once_across(&[a, b]).await;
}

async fn two_instances_racing_updates_at_one_revision_admit_exactly_one(db: Database) {
    let (a, b) = (db.open().await, db.open().await);
    racing_updates_at_one_revision_across(&[a, b]).await;
}

async fn two_instances_never_orphan_a_child_created_while_its_parent_is_deleted(db: Database) {
    let (a, b) = (db.open().await, db.open().await);
    child_and_parent_deletion_racing_across(&[a, b]).await;
}

on_every_database!(
    two_instances_racing_on_one_unique_pair_admit_exactly_one,
    two_instances_racing_updates_at_one_revision_admit_exactly_one,
    two_instances_never_orphan_a_child_created_while_its_parent_is_deleted,
    two_instances_racing_under_a_quota_of_five_admit_exactly_five,
    two_instances_claim_each_due_operation_once,
);
