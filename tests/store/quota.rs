//! Quotas: an insert that claims one fits within `limit` records of its kind
//! per subscription and location, or fails and writes nothing.

use std::sync::Arc;

use gallery_emulator::store::{
    Change, ListScope, OperationChange, PageRequest, QuotaClaim, Store, StoreError, Write,
};

use crate::{GALLERIES, IMAGES, OTHER_SUB, SUB, delete, gallery, group, insert_counted, operation};

async fn galleries_in(store: &Arc<dyn Store>, sub: &str) -> usize {
    store
        .list(
            &ListScope::Subscription {
                subscription_id: sub.into(),
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
        .len()
}

async fn a_quota_admits_exactly_its_limit_per_subscription_kind_and_location(
    store: Arc<dyn Store>,
) {
    for n in 0..3 {
        store
            .write(&insert_counted(
                gallery(SUB, "rg", &format!("w{n}"), "westus"),
                3,
            ))
            .await
            .unwrap_or_else(|e| panic!("insert {n} within the quota: {e}"));
    }
    let fourth = gallery(SUB, "rg", "w3", "westus");
    match store.write(&insert_counted(fourth.clone(), 3)).await {
        Err(StoreError::QuotaExceeded { limit }) => assert_eq!(limit, 3),
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    assert_eq!(store.get(&fourth.key).await.expect("get"), None);
    // Refused again: a refusal does not count either.
    assert_err!(
        store.write(&insert_counted(fourth.clone(), 3)).await,
        StoreError::QuotaExceeded { limit: 3 }
    );
    assert_eq!(galleries_in(&store, SUB).await, 3);

    // Every other location, subscription and kind counts on its own.
    for n in 0..3 {
        store
            .write(&insert_counted(
                gallery(SUB, "rg", &format!("e{n}"), "eastus"),
                3,
            ))
            .await
            .expect("another location");
        store
            .write(&insert_counted(
                gallery(OTHER_SUB, "rg", &format!("w{n}"), "westus"),
                3,
            ))
            .await
            .expect("another subscription");
        let mut img = gallery(SUB, "rg", &format!("i{n}"), "westus");
        img.kind = IMAGES.into();
        store
            .write(&insert_counted(img, 3))
            .await
            .expect("another kind");
    }
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "rg", "e3", "eastus"), 3))
            .await,
        StoreError::QuotaExceeded { .. }
    );
    // A larger limit on the next claim admits more: the limit is the caller's.
    store
        .write(&insert_counted(fourth, 4))
        .await
        .expect("limit raised to 4");
}

async fn a_refused_quota_claim_rolls_back_the_whole_write(store: Arc<dyn Store>) {
    store
        .write(&insert_counted(gallery(SUB, "rg", "only", "westus"), 1))
        .await
        .expect("first");
    let rg = group(SUB, "rg-new");
    let refused = gallery(SUB, "rg-new", "second", "westus");
    let op = operation("op-refused", &refused.key, 10);
    let write = Write {
        changes: vec![
            Change::InsertIfAbsent(rg.clone()),
            Change::Insert {
                record: refused.clone(),
                quota: Some(QuotaClaim { limit: 1 }),
            },
        ],
        operations: vec![OperationChange::Insert(op.clone())],
        ..Write::default()
    };
    assert_err!(
        store.write(&write).await,
        StoreError::QuotaExceeded { limit: 1 }
    );
    assert_eq!(store.get(&rg.key).await.expect("get"), None);
    assert_eq!(store.get(&refused.key).await.expect("get"), None);
    assert_eq!(store.get_operation(&op.id).await.expect("get op"), None);
    assert_eq!(store.next_due().await.expect("next due"), None);
}

async fn a_counted_delete_releases_one_claim_and_an_uncounted_one_does_not(store: Arc<dyn Store>) {
    let a = gallery(SUB, "rg", "a", "westus");
    let b = gallery(SUB, "rg", "b", "westus");
    let c = gallery(SUB, "rg", "c", "westus");
    store.write(&insert_counted(a.clone(), 2)).await.expect("a");
    store.write(&insert_counted(b.clone(), 2)).await.expect("b");
    assert_err!(
        store.write(&insert_counted(c.clone(), 2)).await,
        StoreError::QuotaExceeded { .. }
    );

    store
        .write(&delete(&a.key, Some(0), true))
        .await
        .expect("counted delete");
    store
        .write(&insert_counted(c.clone(), 2))
        .await
        .expect("the released claim is free");
    assert_err!(
        store.write(&insert_counted(a.clone(), 2)).await,
        StoreError::QuotaExceeded { .. }
    );

    store
        .write(&delete(&b.key, None, false))
        .await
        .expect("uncounted delete");
    assert_err!(
        store.write(&insert_counted(a.clone(), 2)).await,
        StoreError::QuotaExceeded { .. }
    );

    // A counted delete that finds nothing releases nothing.
    store
        .write(&delete(&b.key, None, true))
        .await
        .expect("counted delete of a missing key");
    assert_err!(
        store.write(&insert_counted(a, 2)).await,
        StoreError::QuotaExceeded { .. }
    );
}

async fn a_quota_below_one_admits_nothing(store: Arc<dyn Store>) {
    for limit in [0, -1] {
        let r = gallery(SUB, "rg", "g", "westus");
        match store.write(&insert_counted(r.clone(), limit)).await {
            Err(StoreError::QuotaExceeded { limit: l }) => assert_eq!(l, limit),
            other => panic!("limit {limit}: expected QuotaExceeded, got {other:?}"),
        }
        assert_eq!(store.get(&r.key).await.expect("get"), None);
    }
    store
        .write(&insert_counted(gallery(SUB, "rg", "g", "westus"), 1))
        .await
        .expect("the refusals claimed nothing");
}

on_every_backend!(
    a_quota_admits_exactly_its_limit_per_subscription_kind_and_location,
    a_refused_quota_claim_rolls_back_the_whole_write,
    a_counted_delete_releases_one_claim_and_an_uncounted_one_does_not,
    a_quota_below_one_admits_nothing,
);
