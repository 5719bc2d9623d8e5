//! Lists: the children of a parent or a subscription's records of one kind,
//! ordered by key, in keyset pages that say where to continue.

use std::sync::Arc;

use gallery_emulator::store::{ListScope, Page, PageRequest, Record, Store};

use crate::{GALLERIES, IMAGES, OTHER_SUB, SUB, gallery, image, insert};

/// Every page of `scope` at `limit` per page, following `next`.
async fn pages(store: &Arc<dyn Store>, scope: &ListScope, limit: i64) -> Vec<Page<Record>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(scope, &PageRequest { after, limit })
            .await
            .expect("list");
        after = page.next.clone();
        pages.push(page);
        if after.is_none() || pages.len() > 20 {
            return pages;
        }
    }
}

fn names(page: &Page<Record>) -> Vec<&str> {
    page.items.iter().map(|r| r.name.as_str()).collect()
}

async fn children_come_in_key_order_in_pages_with_next_only_while_more_exist(
    store: Arc<dyn Store>,
) {
    let g = gallery(SUB, "rg", "g", "westus");
    store.write(&insert(g.clone())).await.expect("gallery");
    for name in ["d", "b", "e", "a", "c"] {
        store.write(&insert(image(&g, name))).await.expect("image");
    }
    // Noise: another kind under the same parent, the same kind elsewhere.
    let mut app = image(&g, "aa");
    app.kind = "applications".into();
    store.write(&insert(app)).await.expect("application");
    let other = gallery(SUB, "rg", "other", "westus");
    store.write(&insert(other.clone())).await.expect("gallery");
    store
        .write(&insert(image(&other, "b2")))
        .await
        .expect("image");

    let scope = ListScope::Children {
        parent_key: g.key.clone(),
        kind: IMAGES.into(),
    };
    let paged = pages(&store, &scope, 2).await;
    assert_eq!(paged.len(), 3);
    assert_eq!(names(&paged[0]), ["a", "b"]);
    assert_eq!(paged[0].next.as_deref(), Some(image(&g, "b").key.as_str()));
    assert_eq!(names(&paged[1]), ["c", "d"]);
    assert_eq!(paged[1].next.as_deref(), Some(image(&g, "d").key.as_str()));
    assert_eq!(names(&paged[2]), ["e"]);
    assert_eq!(paged[2].next, None);
    assert_eq!(paged[0].items[0], image(&g, "a"));

    // A page that ends exactly at the last item has no next.
    let whole = pages(&store, &scope, 5).await;
    assert_eq!(whole.len(), 1);
    assert_eq!(names(&whole[0]), ["a", "b", "c", "d", "e"]);
    assert_eq!(whole[0].next, None);
    let short = store
        .list(
            &scope,
            &PageRequest {
                after: None,
                limit: 4,
            },
        )
        .await
        .expect("list");
    assert_eq!(short.items.len(), 4);
    assert_eq!(short.next.as_deref(), Some(image(&g, "d").key.as_str()));

    // `after` needs not be a stored key: the page starts after it.
    let from_middle = store
        .list(
            &scope,
            &PageRequest {
                after: Some(format!("{}/images/bz", g.key)),
                limit: 10,
            },
        )
        .await
        .expect("list");
    assert_eq!(names(&from_middle), ["c", "d", "e"]);
    assert_eq!(from_middle.next, None);

    // A parent without children of the kind lists nothing.
    let none = store
        .list(
            &ListScope::Children {
                parent_key: g.key.clone(),
                kind: "versions".into(),
            },
            &PageRequest {
                after: None,
                limit: 2,
            },
        )
        .await
        .expect("list");
    assert_eq!(none.items, []);
    assert_eq!(none.next, None);
}

async fn a_subscription_lists_its_records_of_one_kind_across_resource_groups(
    store: Arc<dyn Store>,
) {
    let mut expected = Vec::new();
    for (rg, name) in [("rg2", "b"), ("rg1", "a"), ("rg3", "c"), ("rg1", "d")] {
        let g = gallery(SUB, rg, name, "westus");
        store.write(&insert(g.clone())).await.expect("gallery");
        store.write(&insert(image(&g, "img"))).await.expect("image");
        expected.push(g);
    }
    store
        .write(&insert(gallery(OTHER_SUB, "rg1", "z", "westus")))
        .await
        .expect("other subscription");
    expected.sort_by(|a, b| a.key.cmp(&b.key));

    let scope = ListScope::Subscription {
        subscription_id: SUB.into(),
        kind: GALLERIES.into(),
    };
    let paged = pages(&store, &scope, 3).await;
    assert_eq!(paged.len(), 2);
    assert_eq!(paged[0].items, expected[..3]);
    assert_eq!(paged[0].next.as_deref(), Some(expected[2].key.as_str()));
    assert_eq!(paged[1].items, expected[3..]);
    assert_eq!(paged[1].next, None);

    let images = pages(
        &store,
        &ListScope::Subscription {
            subscription_id: SUB.into(),
            kind: IMAGES.into(),
        },
        100,
    )
    .await;
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].items.len(), 4);
    assert!(images[0].items.iter().all(|r| r.kind == IMAGES));

    let empty = pages(
        &store,
        &ListScope::Subscription {
            subscription_id: "00000000-0000-0000-0000-0000000000ff".into(),
            kind: GALLERIES.into(),
        },
        2,
    )
    .await;
    assert_eq!(empty.len(), 1);
    assert_eq!(empty[0].items, []);
}

async fn paging_over_five_records_two_at_a_time_takes_three_pages_in_both_scopes(
    store: Arc<dyn Store>,
) {
    let parent = crate::group(SUB, "rg");
    store.write(&insert(parent.clone())).await.expect("group");
    for n in [4, 2, 0, 3, 1] {
        store
            .write(&insert(gallery(SUB, "rg", &format!("g{n}"), "westus")))
            .await
            .expect("gallery");
    }
    for scope in [
        ListScope::Children {
            parent_key: parent.key.clone(),
            kind: GALLERIES.into(),
        },
        ListScope::Subscription {
            subscription_id: SUB.into(),
            kind: GALLERIES.into(),
        },
    ] {
        let paged = pages(&store, &scope, 2).await;
        let shape: Vec<_> = paged.iter().map(|p| (names(p), p.next.is_some())).collect();
        assert_eq!(
            shape,
            [
                (vec!["g0", "g1"], true),
                (vec!["g2", "g3"], true),
                (vec!["g4"], false)
            ],
            "{scope:?}"
        );
    }
}

async fn unique_keys_list_from_the_highest_down_in_pages(store: Arc<dyn Store>) {
    // Image versions: unique within their image by a key whose text order
    // is the version order.
    let g = gallery(SUB, "rg", "g", "westus");
    let img = image(&g, "img");
    let version = |parent: &Record, name: &str, sort: &str| {
        let mut v = image(parent, name);
        v.kind = "versions".into();
        v.unique = Some((parent.key.clone(), sort.into()));
        v
    };
    let numbers = [
        ("1.0.0", "0000000001.0000000000.0000000000"),
        ("10.0.0", "0000000010.0000000000.0000000000"),
        ("2.1.0", "0000000002.0000000001.0000000000"),
        ("2.0.9", "0000000002.0000000000.0000000009"),
        ("1.10.0", "0000000001.0000000010.0000000000"),
    ];
    for (name, sort) in numbers {
        store
            .write(&insert(version(&img, name, sort)))
            .await
            .expect("version");
    }
    // Noise: another image's versions, another kind in the same scope, and
    // a version without a unique key.
    let other = image(&g, "other");
    store
        .write(&insert(version(
            &other,
            "99.0.0",
            "0000000099.0000000000.0000000000",
        )))
        .await
        .expect("other image");
    let mut other_kind = version(&img, "98.0.0", "0000000098.0000000000.0000000000");
    other_kind.kind = "applicationversions".into();
    store.write(&insert(other_kind)).await.expect("other kind");
    let mut keyless = version(&img, "97.0.0", "unused");
    keyless.unique = None;
    store.write(&insert(keyless)).await.expect("keyless");

    let mut seen = Vec::new();
    let mut page = PageRequest {
        after: None,
        limit: 2,
    };
    let mut pages = 0;
    loop {
        let found = store
            .list_unique_desc("versions", &img.key, &page)
            .await
            .expect("list");
        pages += 1;
        assert!(found.items.len() <= 2);
        seen.extend(found.items.iter().map(|r| r.name.clone()));
        match found.next {
            Some(next) => {
                let last = found.items.last().expect("a page with next has items");
                assert_eq!(Some(&next), last.unique.as_ref().map(|u| &u.1));
                page.after = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["10.0.0", "2.1.0", "2.0.9", "1.10.0", "1.0.0"]);

    let below = store
        .list_unique_desc(
            "versions",
            &img.key,
            &PageRequest {
                after: Some("0000000002.0000000001.0000000000".into()),
                limit: 10,
            },
        )
        .await
        .expect("list");
    let names: Vec<_> = below.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["2.0.9", "1.10.0", "1.0.0"]);
    assert_eq!(below.next, None);
}

async fn revisions_page_like_the_records_and_get_many_reads_the_ones_that_exist(
    store: Arc<dyn Store>,
) {
    let g = gallery(SUB, "rg", "g", "westus");
    store.write(&insert(g.clone())).await.expect("gallery");
    let mut images = Vec::new();
    for (n, name) in ["d", "b", "e", "a", "c"].into_iter().enumerate() {
        let mut r = image(&g, name);
        r.revision = 10 * n as i64;
        store.write(&insert(r.clone())).await.expect("image");
        images.push(r);
    }
    let scope = ListScope::Children {
        parent_key: g.key.clone(),
        kind: IMAGES.into(),
    };
    for limit in [2, 3, 10] {
        let mut after = None;
        loop {
            let request = PageRequest { after, limit };
            let records = store.list(&scope, &request).await.expect("list");
            let revisions = store
                .list_revisions(&scope, &request)
                .await
                .expect("revisions");
            let expected: Vec<(String, i64)> = records
                .items
                .iter()
                .map(|r| (r.key.clone(), r.revision))
                .collect();
            assert_eq!(revisions.items, expected, "limit {limit}");
            assert_eq!(revisions.next, records.next, "limit {limit}");
            after = records.next;
            if after.is_none() {
                break;
            }
        }
    }

    let mut wanted: Vec<String> = images.iter().map(|r| r.key.clone()).collect();
    wanted.push("/not/there".into());
    let mut got = store.get_many(&wanted).await.expect("get_many");
    got.sort_by(|a, b| a.key.cmp(&b.key));
    images.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(got, images);
    assert!(store.get_many(&[]).await.expect("none").is_empty());
}

on_every_backend!(
    revisions_page_like_the_records_and_get_many_reads_the_ones_that_exist,
    children_come_in_key_order_in_pages_with_next_only_while_more_exist,
    a_subscription_lists_its_records_of_one_kind_across_resource_groups,
    paging_over_five_records_two_at_a_time_takes_three_pages_in_both_scopes,
    unique_keys_list_from_the_highest_down_in_pages,
);
