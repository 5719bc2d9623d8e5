//! The hierarchy: a write may require its parent to exist or its target to
//! have no children, and a resource group's deletion takes everything in it.

use std::sync::Arc;

use gallery_emulator::store::{
    Change, ListScope, OperationChange, PageRequest, Store, StoreError, Write,
};

use crate::{
    GALLERIES, OTHER_SUB, SUB, gallery, group, group_key, image, insert, insert_counted, operation,
};

async fn a_missing_parent_fails_the_write_and_writes_nothing(store: Arc<dyn Store>) {
    let g = gallery(SUB, "rg", "g1", "westus");
    let op = operation("op-1", &g.key, 100);
    let write = Write {
        require_parent: Some(g.parent_key.clone()),
        changes: vec![Change::Insert {
            record: g.clone(),
            quota: None,
        }],
        operations: vec![OperationChange::Insert(op.clone())],
        ..Write::default()
    };
    match store.write(&write).await {
        Err(StoreError::ParentMissing(key)) => assert_eq!(key, g.parent_key),
        other => panic!("expected ParentMissing, got {other:?}"),
    }
    assert_eq!(store.get(&g.key).await.expect("get"), None);
    assert_eq!(store.get_operation(&op.id).await.expect("get op"), None);

    store
        .write(&insert(group(SUB, "rg")))
        .await
        .expect("parent");
    store.write(&write).await.expect("with the parent present");
    assert_eq!(store.get(&g.key).await.expect("get"), Some(g));
    assert!(store.get_operation(&op.id).await.expect("get op").is_some());
}

async fn a_record_with_children_is_kept_when_the_write_requires_none(store: Arc<dyn Store>) {
    let g = gallery(SUB, "rg", "g1", "westus");
    let child = image(&g, "img");
    store.write(&insert(g.clone())).await.expect("gallery");
    store.write(&insert(child.clone())).await.expect("child");
    let remove = Write {
        require_no_children: Some(g.key.clone()),
        changes: vec![Change::Delete {
            key: g.key.clone(),
            expected_revision: Some(0),
            counted: true,
        }],
        operations: vec![OperationChange::Insert(operation("op-del", &g.key, 5))],
        ..Write::default()
    };
    match store.write(&remove).await {
        Err(StoreError::HasChildren(key)) => assert_eq!(key, g.key),
        other => panic!("expected HasChildren, got {other:?}"),
    }
    assert_eq!(store.get(&g.key).await.expect("get"), Some(g.clone()));
    assert_eq!(store.get_operation("op-del").await.expect("get op"), None);

    store
        .write(&crate::delete(&child.key, None, false))
        .await
        .expect("delete child");
    store.write(&remove).await.expect("no children left");
    assert_eq!(store.get(&g.key).await.expect("get"), None);
}

async fn deleting_a_resource_group_removes_everything_in_it_and_recounts_the_quota(
    store: Arc<dyn Store>,
) {
    let rg = group(SUB, "doomed");
    store.write(&insert(rg.clone())).await.expect("group");
    let mut doomed = Vec::new();
    for n in 0..2 {
        let g = gallery(SUB, "doomed", &format!("g{n}"), "westus");
        store
            .write(&insert_counted(g.clone(), 3))
            .await
            .expect("gallery");
        let img = image(&g, "img");
        store.write(&insert(img.clone())).await.expect("image");
        doomed.push(g);
        doomed.push(img);
    }
    let op = operation("op-doomed", &doomed[0].key, 10);
    store
        .write(&Write {
            operations: vec![OperationChange::Insert(op.clone())],
            ..Write::default()
        })
        .await
        .expect("operation");

    // Neighbours: another group of the same subscription, the same group
    // name in another subscription.
    let kept_group = group(SUB, "kept");
    let kept = gallery(SUB, "kept", "k", "westus");
    let elsewhere_group = group(OTHER_SUB, "doomed");
    let elsewhere = gallery(OTHER_SUB, "doomed", "x", "westus");
    for r in [&kept_group, &elsewhere_group] {
        store.write(&insert(r.clone())).await.expect("neighbour");
    }
    for r in [&kept, &elsewhere] {
        store
            .write(&insert_counted(r.clone(), 3))
            .await
            .expect("neighbour");
    }
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "kept", "full", "westus"), 3))
            .await,
        StoreError::QuotaExceeded { .. }
    );

    store
        .write(&Write {
            changes: vec![Change::DeleteResourceGroup {
                subscription_id: SUB.into(),
                resource_group: "doomed".into(),
            }],
            ..Write::default()
        })
        .await
        .expect("delete the group");

    assert_eq!(store.get(&rg.key).await.expect("get"), None);
    for r in &doomed {
        assert_eq!(store.get(&r.key).await.expect("get"), None, "{}", r.key);
    }
    for r in [&kept_group, &kept, &elsewhere_group, &elsewhere] {
        assert_eq!(
            store.get(&r.key).await.expect("get").as_ref(),
            Some(r),
            "{}",
            r.key
        );
    }
    // Operations are history: they outlive the group.
    assert_eq!(store.get_operation(&op.id).await.expect("get op"), Some(op));
    assert_eq!(
        store
            .count_children(&group_key(SUB, "doomed"))
            .await
            .expect("count"),
        0
    );

    // One gallery is left in westus of SUB, so two more fit, and no third.
    for name in ["n1", "n2"] {
        store
            .write(&insert_counted(gallery(SUB, "kept", name, "westus"), 3))
            .await
            .unwrap_or_else(|e| panic!("{name} after the recount: {e}"));
    }
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "kept", "n3", "westus"), 3))
            .await,
        StoreError::QuotaExceeded { .. }
    );
    // The other subscription kept its own count (1 of 3).
    for name in ["y1", "y2"] {
        store
            .write(&insert_counted(
                gallery(OTHER_SUB, "other", name, "westus"),
                3,
            ))
            .await
            .expect("other subscription");
    }
    assert_err!(
        store
            .write(&insert_counted(
                gallery(OTHER_SUB, "other", "y3", "westus"),
                3
            ))
            .await,
        StoreError::QuotaExceeded { .. }
    );
    let listed = store
        .list(
            &ListScope::Subscription {
                subscription_id: SUB.into(),
                kind: GALLERIES.into(),
            },
            &PageRequest {
                after: None,
                limit: 100,
            },
        )
        .await
        .expect("list");
    let names: Vec<_> = listed.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["k", "n1", "n2"]);
}

async fn deleting_a_missing_resource_group_is_a_no_op(store: Arc<dyn Store>) {
    let g = gallery(SUB, "rg", "g", "westus");
    store.write(&insert_counted(g.clone(), 1)).await.expect("g");
    store
        .write(&Write {
            changes: vec![Change::DeleteResourceGroup {
                subscription_id: SUB.into(),
                resource_group: "nothing-here".into(),
            }],
            ..Write::default()
        })
        .await
        .expect("delete an empty group");
    assert_eq!(store.get(&g.key).await.expect("get"), Some(g));
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "rg", "h", "westus"), 1))
            .await,
        StoreError::QuotaExceeded { .. }
    );
}

on_every_backend!(
    a_missing_parent_fails_the_write_and_writes_nothing,
    a_record_with_children_is_kept_when_the_write_requires_none,
    deleting_a_resource_group_removes_everything_in_it_and_recounts_the_quota,
    deleting_a_missing_resource_group_is_a_no_op,
);
