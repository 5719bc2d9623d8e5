//! Single records: what goes in comes out, and inserts, updates and deletes
//! keep to their revision and uniqueness rules.

use std::sync::Arc;

use gallery_emulator::store::{Change, Record, Store, StoreError, Write, constraint};

use crate::{IMAGES, OTHER_SUB, SUB, delete, gallery, group, image, insert, insert_counted};

async fn a_fresh_store_answers_ping_and_holds_nothing(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
    assert_eq!(store.get("/no/such/key").await.expect("get"), None);
    assert_eq!(
        store.count_children("/no/such/key").await.expect("count"),
        0
    );
}

async fn a_record_reads_back_with_every_field_as_written(store: Arc<dyn Store>) {
    let full = Record {
        key: "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/galleries/g1".into(),
        id: "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/galleries/G1".into(),
        kind: "galleries".into(),
        parent_key: "/subscriptions/s/resourcegroups/rg".into(),
        subscription_id: "s".into(),
        resource_group: "rg".into(),
        name: "G1".into(),
        location: "eastus2euap".into(),
        provisioning_state: "Creating".into(),
        unique: Some(("/subscriptions/s".into(), "g1".into())),
        operation_id: Some("op-1".into()),
        body: r#"{"description":"ünïcode ✓ and \"quotes\"","tags":{"a":"b"}}"#.into(),
        revision: 41,
        created_at: 1_700_000_000_123_456,
        updated_at: i64::MAX,
    };
    let bare = Record {
        key: "/subscriptions/s/resourcegroups/rg".into(),
        id: "/subscriptions/s/resourceGroups/RG".into(),
        kind: "resourcegroups".into(),
        parent_key: "/subscriptions/s".into(),
        subscription_id: "s".into(),
        resource_group: "rg".into(),
        name: "RG".into(),
        location: String::new(),
        provisioning_state: "Succeeded".into(),
        unique: None,
        operation_id: None,
        body: String::new(),
        revision: 0,
        created_at: -5,
        updated_at: 0,
    };
    store
        .write(&insert(full.clone()))
        .await
        .expect("insert full");
    store
        .write(&insert(bare.clone()))
        .await
        .expect("insert bare");
    assert_eq!(store.get(&full.key).await.expect("get"), Some(full.clone()));
    assert_eq!(store.get(&bare.key).await.expect("get"), Some(bare));
    assert_eq!(
        store.count_children(&full.parent_key).await.expect("count"),
        1
    );
}

async fn a_key_is_stored_exactly_as_given(store: Arc<dyn Store>) {
    // Lower-casing ARM ids is the caller's job; the store compares bytes.
    let mut r = gallery(SUB, "rg", "Mixed", "westus");
    r.key = "/Subscriptions/X/Galleries/Mixed".into();
    r.unique = None;
    store.write(&insert(r.clone())).await.expect("insert");
    assert_eq!(store.get(&r.key).await.expect("get"), Some(r.clone()));
    assert_eq!(
        store
            .get("/subscriptions/x/galleries/mixed")
            .await
            .expect("get"),
        None
    );
    let mut lower = r.clone();
    lower.key = "/subscriptions/x/galleries/mixed".into();
    store
        .write(&insert(lower.clone()))
        .await
        .expect("a key differing only in case is another key");
    assert_eq!(store.get(&lower.key).await.expect("get"), Some(lower));
}

async fn inserting_an_existing_key_fails_with_already_exists_and_keeps_the_first(
    store: Arc<dyn Store>,
) {
    let first = gallery(SUB, "rg", "g1", "westus");
    store.write(&insert(first.clone())).await.expect("insert");
    let mut second = first.clone();
    second.body = r#"{"description":"second"}"#.into();
    second.unique = None;
    match store.write(&insert(second)).await {
        Err(StoreError::AlreadyExists(key)) => assert_eq!(key, first.key),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(store.get(&first.key).await.expect("get"), Some(first));
}

async fn inserting_a_record_again_whole_is_already_exists_not_a_unique_clash(
    store: Arc<dyn Store>,
) {
    // Two concurrent creates of one new resource both insert it; the loser
    // must see AlreadyExists (re-read, answer as an update), not Unique
    // (which the gallery handler reports as 409 GalleryNameNotUnique).
    let first = gallery(SUB, "rg", "g1", "westus");
    store.write(&insert(first.clone())).await.expect("insert");
    match store.write(&insert(first.clone())).await {
        Err(StoreError::AlreadyExists(key)) => assert_eq!(key, first.key),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_err!(
        store.write(&insert_counted(first.clone(), 10)).await,
        StoreError::AlreadyExists(_)
    );
    assert_eq!(store.get(&first.key).await.expect("get"), Some(first));
}

async fn an_update_with_the_stored_revision_applies_and_bumps_the_revision_by_one(
    store: Arc<dyn Store>,
) {
    let original = gallery(SUB, "rg", "g1", "westus");
    store
        .write(&insert(original.clone()))
        .await
        .expect("insert");

    let mut changed = original.clone();
    changed.id = original.id.to_uppercase();
    changed.provisioning_state = "Updating".into();
    changed.unique = Some(("/subscriptions/other-scope".into(), "renamed".into()));
    changed.operation_id = Some("op-7".into());
    changed.body = r#"{"description":"changed"}"#.into();
    changed.updated_at = 9_999;
    // The revision written is the expected one plus one, whatever the record says.
    changed.revision = 1234;
    store
        .write(&Write {
            changes: vec![Change::Update {
                record: changed.clone(),
                expected_revision: 0,
            }],
            ..Write::default()
        })
        .await
        .expect("update");
    let stored = store
        .get(&original.key)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.id, changed.id);
    assert_eq!(stored.provisioning_state, "Updating");
    assert_eq!(stored.unique, changed.unique);
    assert_eq!(stored.operation_id.as_deref(), Some("op-7"));
    assert_eq!(stored.body, changed.body);
    assert_eq!(stored.updated_at, 9_999);
    assert_eq!(stored.created_at, original.created_at);

    // Clearing the optional fields clears them.
    let mut cleared = stored.clone();
    cleared.unique = None;
    cleared.operation_id = None;
    store
        .write(&Write {
            changes: vec![Change::Update {
                record: cleared,
                expected_revision: 1,
            }],
            ..Write::default()
        })
        .await
        .expect("second update");
    let stored = store
        .get(&original.key)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.revision, 2);
    assert_eq!(stored.unique, None);
    assert_eq!(stored.operation_id, None);
}

async fn an_update_with_a_wrong_revision_or_of_a_missing_key_is_stale(store: Arc<dyn Store>) {
    let original = gallery(SUB, "rg", "g1", "westus");
    store
        .write(&insert(original.clone()))
        .await
        .expect("insert");
    for expected_revision in [1, -1, 7] {
        let mut changed = original.clone();
        changed.body = "{}".into();
        match store
            .write(&Write {
                changes: vec![Change::Update {
                    record: changed,
                    expected_revision,
                }],
                ..Write::default()
            })
            .await
        {
            Err(StoreError::Stale(key)) => assert_eq!(key, original.key),
            other => panic!("revision {expected_revision}: expected Stale, got {other:?}"),
        }
    }
    assert_eq!(
        store.get(&original.key).await.expect("get"),
        Some(original.clone())
    );
    let missing = gallery(SUB, "rg", "missing", "westus");
    assert_err!(
        store
            .write(&Write {
                changes: vec![Change::Update {
                    record: missing.clone(),
                    expected_revision: 0,
                }],
                ..Write::default()
            })
            .await,
        StoreError::Stale(_)
    );
    assert_eq!(store.get(&missing.key).await.expect("get"), None);
}

async fn a_delete_checks_the_expected_revision_when_given(store: Arc<dyn Store>) {
    let r = gallery(SUB, "rg", "g1", "westus");
    store.write(&insert(r.clone())).await.expect("insert");
    match store.write(&delete(&r.key, Some(3), false)).await {
        Err(StoreError::Stale(key)) => assert_eq!(key, r.key),
        other => panic!("expected Stale, got {other:?}"),
    }
    assert_eq!(store.get(&r.key).await.expect("get"), Some(r.clone()));
    store
        .write(&delete(&r.key, Some(0), false))
        .await
        .expect("delete at the stored revision");
    assert_eq!(store.get(&r.key).await.expect("get"), None);
    // Gone: with an expected revision that is stale, without one it is done.
    assert_err!(
        store.write(&delete(&r.key, Some(0), false)).await,
        StoreError::Stale(_)
    );
    store
        .write(&delete(&r.key, None, false))
        .await
        .expect("deleting a missing key without a revision is fine");
    store
        .write(&delete("/never/existed", None, true))
        .await
        .expect("deleting a missing counted key is fine");

    let again = gallery(SUB, "rg", "g2", "westus");
    store.write(&insert(again.clone())).await.expect("insert");
    store
        .write(&delete(&again.key, None, false))
        .await
        .expect("delete without a revision");
    assert_eq!(store.get(&again.key).await.expect("get"), None);
}

async fn a_unique_pair_admits_one_record_per_kind(store: Arc<dyn Store>) {
    let first = gallery(SUB, "rg1", "shared", "westus");
    store.write(&insert(first.clone())).await.expect("first");

    // Same kind, same pair, another key: refused by constraint name.
    let clash = gallery(SUB, "rg2", "shared", "eastus");
    match store.write(&insert(clash.clone())).await {
        Err(StoreError::Unique(name)) => assert_eq!(name, constraint::RESOURCE_UNIQUE),
        other => panic!("expected Unique, got {other:?}"),
    }
    assert_eq!(store.get(&clash.key).await.expect("get"), None);

    // Another kind may use the same pair.
    let mut other_kind = gallery(SUB, "rg2", "image-named-shared", "eastus");
    other_kind.kind = IMAGES.into();
    other_kind.unique = clash.unique.clone();
    store
        .write(&insert(other_kind))
        .await
        .expect("same pair in another kind");

    // Another scope, or no pair at all, is no clash either.
    store
        .write(&insert(gallery(OTHER_SUB, "rg2", "shared", "westus")))
        .await
        .expect("same name in another subscription");
    for n in 0..2 {
        let mut free = gallery(SUB, "rg3", &format!("free{n}"), "westus");
        free.unique = None;
        store
            .write(&insert(free))
            .await
            .expect("records without a pair");
    }

    // An update cannot move a record onto a taken pair.
    let mut mover = gallery(SUB, "rg4", "mover", "westus");
    store.write(&insert(mover.clone())).await.expect("mover");
    mover.unique = first.unique.clone();
    assert_err!(
        store
            .write(&Write {
                changes: vec![Change::Update {
                    record: mover,
                    expected_revision: 0,
                }],
                ..Write::default()
            })
            .await,
        StoreError::Unique("resources_unique_key")
    );

    // Deleting the holder frees the pair.
    store
        .write(&delete(&first.key, None, false))
        .await
        .expect("delete");
    store
        .write(&insert(clash))
        .await
        .expect("the pair is free again");
}

async fn a_unique_clash_under_a_quota_gives_back_the_claim(store: Arc<dyn Store>) {
    let first = gallery(SUB, "rg1", "shared", "westus");
    store.write(&insert_counted(first, 2)).await.expect("first");
    for rg in ["rg2", "rg3", "rg4"] {
        assert_err!(
            store
                .write(&insert_counted(gallery(SUB, rg, "shared", "westus"), 2))
                .await,
            StoreError::Unique(_)
        );
    }
    store
        .write(&insert_counted(gallery(SUB, "rg5", "second", "westus"), 2))
        .await
        .expect("the refused inserts used none of the quota");
}

async fn insert_if_absent_adds_a_missing_record_and_never_overwrites(store: Arc<dyn Store>) {
    let rg = group(SUB, "rg1");
    let add = |r: Record| Write {
        changes: vec![Change::InsertIfAbsent(r)],
        ..Write::default()
    };
    store
        .write(&add(rg.clone()))
        .await
        .expect("absent: inserted");
    assert_eq!(store.get(&rg.key).await.expect("get"), Some(rg.clone()));

    let mut other = rg.clone();
    other.body = r#"{"tags":{"x":"y"}}"#.into();
    other.location = "eastus".into();
    other.revision = 5;
    store
        .write(&add(other))
        .await
        .expect("present: no error either");
    assert_eq!(store.get(&rg.key).await.expect("get"), Some(rg.clone()));

    // Followed by an insert in the same write, as a create in a new group is.
    let g = gallery(SUB, "rg1", "g1", "westus");
    store
        .write(&Write {
            changes: vec![
                Change::InsertIfAbsent(rg.clone()),
                Change::Insert {
                    record: g.clone(),
                    quota: None,
                },
            ],
            ..Write::default()
        })
        .await
        .expect("group and gallery");
    assert_eq!(store.get(&g.key).await.expect("get"), Some(g));
    assert_eq!(store.get(&rg.key).await.expect("get"), Some(rg));
}

async fn count_children_counts_direct_children_of_every_kind(store: Arc<dyn Store>) {
    let g = gallery(SUB, "rg", "g1", "westus");
    store.write(&insert(g.clone())).await.expect("gallery");
    let a = image(&g, "a");
    let grandchild = image(&a, "v1");
    for r in [a, image(&g, "b"), grandchild] {
        store.write(&insert(r)).await.expect("child");
    }
    let mut other_kind = image(&g, "c");
    other_kind.kind = "applications".into();
    store.write(&insert(other_kind)).await.expect("child");
    assert_eq!(store.count_children(&g.key).await.expect("count"), 3);
    assert_eq!(
        store
            .count_children(&g.key.to_uppercase())
            .await
            .expect("count"),
        0
    );
}

on_every_backend!(
    a_fresh_store_answers_ping_and_holds_nothing,
    a_record_reads_back_with_every_field_as_written,
    a_key_is_stored_exactly_as_given,
    inserting_an_existing_key_fails_with_already_exists_and_keeps_the_first,
    inserting_a_record_again_whole_is_already_exists_not_a_unique_clash,
    an_update_with_the_stored_revision_applies_and_bumps_the_revision_by_one,
    an_update_with_a_wrong_revision_or_of_a_missing_key_is_stale,
    a_delete_checks_the_expected_revision_when_given,
    a_unique_pair_admits_one_record_per_kind,
    a_unique_clash_under_a_quota_gives_back_the_claim,
    insert_if_absent_adds_a_missing_record_and_never_overwrites,
    count_children_counts_direct_children_of_every_kind,
);
