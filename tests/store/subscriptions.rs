//! Subscriptions, the paging secret and reset: the state around resources.

use std::sync::Arc;

use gallery_emulator::store::{
    Change, ListScope, OperationChange, PageRequest, Record, Store, StoreError, SubscriptionRecord,
    Write,
};

use crate::{
    Database, GALLERIES, OTHER_SUB, SUB, gallery, insert, insert_counted, operation, subscription,
};

async fn ensure_subscription_registers_once_and_keeps_the_first_registration(
    store: Arc<dyn Store>,
) {
    assert_eq!(store.get_subscription(SUB).await.expect("get"), None);
    let first = subscription(SUB, "First name");
    assert_eq!(
        store.ensure_subscription(&first).await.expect("ensure"),
        first
    );
    let mut second = subscription(SUB, "Second name");
    second.state = "Disabled".into();
    second.created_at = 99;
    assert_eq!(
        store
            .ensure_subscription(&second)
            .await
            .expect("ensure again"),
        first
    );
    assert_eq!(store.get_subscription(SUB).await.expect("get"), Some(first));
    // Ids are compared as given.
    assert_eq!(
        store
            .get_subscription(&SUB.to_uppercase())
            .await
            .expect("get"),
        None
    );
}

async fn subscriptions_list_in_id_order_in_pages(store: Arc<dyn Store>) {
    let ids: Vec<String> = [3, 0, 4, 1, 2]
        .iter()
        .map(|n| format!("00000000-0000-0000-0000-00000000000{n}"))
        .collect();
    for id in &ids {
        store
            .ensure_subscription(&subscription(id, id))
            .await
            .expect("ensure");
    }
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_subscriptions(&PageRequest { after, limit: 2 })
            .await
            .expect("list");
        pages += 1;
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|s| s.subscription_id.clone()));
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), seen.last());
                after = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(seen, sorted);

    let whole = store
        .list_subscriptions(&PageRequest {
            after: None,
            limit: 5,
        })
        .await
        .expect("list");
    assert_eq!(whole.items.len(), 5);
    assert_eq!(whole.next, None);
}

async fn the_paging_secret_is_stable_until_reset(store: Arc<dyn Store>) {
    let first = store.paging_secret().await.expect("secret");
    assert!(
        first.len() >= 16,
        "a secret of {} bytes is too short",
        first.len()
    );
    assert_eq!(store.paging_secret().await.expect("secret"), first);
    store.reset().await.expect("reset");
    let after_reset = store.paging_secret().await.expect("secret");
    assert_ne!(after_reset, first);
    assert_eq!(store.paging_secret().await.expect("secret"), after_reset);
}

async fn reset_empties_resources_operations_subscriptions_and_quota_counts(store: Arc<dyn Store>) {
    let g = gallery(SUB, "rg", "g", "westus");
    store.write(&insert_counted(g.clone(), 1)).await.expect("g");
    store
        .write(&Write {
            operations: vec![OperationChange::Insert(operation("op", &g.key, 10))],
            ..Write::default()
        })
        .await
        .expect("op");
    store
        .ensure_subscription(&subscription(SUB, "sub"))
        .await
        .expect("sub");
    store
        .ensure_subscription(&subscription(OTHER_SUB, "other"))
        .await
        .expect("sub");

    store.reset().await.expect("reset");
    store.ping().await.expect("still migrated");

    assert_eq!(store.get(&g.key).await.expect("get"), None);
    assert_eq!(store.get_operation("op").await.expect("get op"), None);
    assert_eq!(store.next_due().await.expect("next due"), None);
    assert_eq!(store.get_subscription(SUB).await.expect("get sub"), None);
    let subs = store
        .list_subscriptions(&PageRequest {
            after: None,
            limit: 10,
        })
        .await
        .expect("list subs");
    assert_eq!(subs.items, []);
    let galleries = store
        .list(
            &ListScope::Subscription {
                subscription_id: SUB.into(),
                kind: GALLERIES.into(),
            },
            &PageRequest {
                after: None,
                limit: 10,
            },
        )
        .await
        .expect("list");
    assert_eq!(galleries.items, []);
    // The quota count went with the records: one fits again.
    store
        .write(&insert_counted(g.clone(), 1))
        .await
        .expect("quota starts over");
    assert_err!(
        store
            .write(&insert_counted(gallery(SUB, "rg", "h", "westus"), 1))
            .await,
        StoreError::QuotaExceeded { .. }
    );
    // And the store works as before.
    store
        .write(&insert(gallery(SUB, "rg", "i", "westus")))
        .await
        .expect("insert after reset");
}

async fn a_write_registers_its_subscription_once_and_only_if_it_commits(store: Arc<dyn Store>) {
    let first = subscription(SUB, "First");
    let mut g = gallery(SUB, "rg", "g", "westus");
    g.unique = None;
    let register_and_create = |s: SubscriptionRecord, r: Record| Write {
        changes: vec![
            Change::EnsureSubscription(s),
            Change::Insert {
                record: r,
                quota: None,
            },
        ],
        ..Write::default()
    };
    store
        .write(&register_and_create(first.clone(), g.clone()))
        .await
        .expect("register and create");
    assert_eq!(
        store.get_subscription(SUB).await.expect("get"),
        Some(first.clone())
    );

    // Registering again keeps the first registration.
    store
        .write(&register_and_create(
            subscription(SUB, "Second"),
            gallery(SUB, "rg", "h", "westus"),
        ))
        .await
        .expect("register again");
    assert_eq!(store.get_subscription(SUB).await.expect("get"), Some(first));

    // A write that fails registers nothing.
    assert_err!(
        store
            .write(&register_and_create(subscription(OTHER_SUB, "Other"), g))
            .await,
        StoreError::AlreadyExists(_)
    );
    assert_eq!(store.get_subscription(OTHER_SUB).await.expect("get"), None);
}

on_every_backend!(
    ensure_subscription_registers_once_and_keeps_the_first_registration,
    subscriptions_list_in_id_order_in_pages,
    the_paging_secret_is_stable_until_reset,
    reset_empties_resources_operations_subscriptions_and_quota_counts,
    a_write_registers_its_subscription_once_and_only_if_it_commits,
);

// ---- across handles on one database -----------------------------------------

async fn the_paging_secret_survives_reopening_and_is_shared_by_every_handle(db: Database) {
    let first = db.open().await;
    let secret = first.paging_secret().await.expect("secret");
    let second = db.open().await;
    assert_eq!(second.paging_secret().await.expect("secret"), secret);
    drop(first);
    drop(second);
    let reopened = db.open().await;
    assert_eq!(reopened.paging_secret().await.expect("secret"), secret);
}

async fn a_reset_through_one_handle_changes_the_secret_every_handle_signs_with(db: Database) {
    let a = db.open().await;
    let b = db.open().await;
    let before = a.paging_secret().await.expect("secret");
    assert_eq!(b.paging_secret().await.expect("secret"), before);
    a.reset().await.expect("reset");
    let a_after = a.paging_secret().await.expect("secret");
    assert_ne!(a_after, before);
    // Instances behind one load balancer must agree, or a nextLink from one
    // is refused by the other (and pre-reset links keep working on it).
    assert_eq!(b.paging_secret().await.expect("secret"), a_after);
}

on_every_database!(
    the_paging_secret_survives_reopening_and_is_shared_by_every_handle,
    a_reset_through_one_handle_changes_the_secret_every_handle_signs_with,
);
