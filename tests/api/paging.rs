//! Lists: pages of `--page-size` items linked by an absolute `nextLink` with
//! a signed `$skiptoken` that only the list that issued it accepts.

use std::collections::HashSet;

use crate::common::*;

/// Five galleries: three in `rgA`, two in `rgB`.
async fn five_galleries(emu: &Emulator) -> Vec<String> {
    let mut ids = Vec::new();
    for (rg, name) in [
        ("rgA", "g3"),
        ("rgB", "g1"),
        ("rgA", "g5"),
        ("rgB", "g4"),
        ("rgA", "g2"),
    ] {
        let body = emu.create_gallery(rg, name, "westus").await;
        ids.push(body["id"].as_str().expect("id").to_string());
    }
    ids
}

/// The id as lists show it: the resource group segment upper-cased.
fn list_id(rg: &str, name: &str) -> String {
    gallery_path(&rg.to_uppercase(), name)
}

fn token_of(next_link: &str) -> String {
    next_link
        .split_once("$skiptoken=")
        .map(|(_, t)| t.split('&').next().unwrap_or(t).to_string())
        .expect("a $skiptoken in nextLink")
}

#[tokio::test]
async fn a_subscription_list_pages_through_every_gallery_exactly_once() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--page-size", "2"]);
        five_galleries(&emu).await;
        let first = emu.api(&galleries_of_subscription());
        let pages = emu.pages(&first).await;
        let sizes: Vec<usize> = pages
            .iter()
            .map(|p| p["value"].as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(sizes, vec![2, 2, 1], "{}", store.name());
        for page in &pages[..2] {
            let next = page["nextLink"].as_str().expect("nextLink");
            assert!(
                next.starts_with(&format!("{}{}?", emu.base, galleries_of_subscription())),
                "absolute: {next}"
            );
            assert!(next.contains(&format!("api-version={API}")), "{next}");
            assert!(next.contains("$skiptoken="), "{next}");
        }
        assert!(pages[2].get("nextLink").is_none(), "{}", pages[2]);

        let items: Vec<Value> = pages
            .iter()
            .flat_map(|p| p["value"].as_array().cloned().unwrap_or_default())
            .collect();
        let got = ids(&items);
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), 5, "{got:?}");
        let mut expected: Vec<String> = [
            ("rgA", "g2"),
            ("rgA", "g3"),
            ("rgA", "g5"),
            ("rgB", "g1"),
            ("rgB", "g4"),
        ]
        .iter()
        .map(|(rg, n)| list_id(rg, n))
        .collect();
        expected.sort();
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, expected);

        // The same walk gives the same order.
        let again = ids(&emu.list_all(&first).await);
        assert_eq!(got, again);
    }
}

#[tokio::test]
async fn a_resource_group_list_pages_through_its_own_galleries_only() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--page-size", "2"]);
        five_galleries(&emu).await;
        let pages = emu.pages(&emu.api(&galleries_in("rgA"))).await;
        assert_eq!(pages.len(), 2, "{}: {pages:?}", store.name());
        let next = pages[0]["nextLink"].as_str().expect("nextLink");
        assert!(
            next.starts_with(&format!("{}{}?", emu.base, galleries_in("rgA"))),
            "{next}"
        );
        let items: Vec<Value> = pages
            .iter()
            .flat_map(|p| p["value"].as_array().cloned().unwrap_or_default())
            .collect();
        assert_eq!(
            ids(&items),
            vec![
                list_id("rgA", "g2"),
                list_id("rgA", "g3"),
                list_id("rgA", "g5")
            ]
        );
        // Exactly a page of items: one page, no nextLink.
        let pages = emu.pages(&emu.api(&galleries_in("rgB"))).await;
        assert_eq!(pages.len(), 1, "{pages:?}");
        assert_eq!(
            ids(pages[0]["value"].as_array().expect("value")),
            vec![list_id("rgB", "g1"), list_id("rgB", "g4")]
        );
    }
}

#[tokio::test]
async fn list_items_are_full_galleries_with_the_resource_group_upper_cased_in_the_id() {
    let emu = Emulator::start(&[]);
    let (_, _, created) = emu
        .put_gallery(
            "MixedCase_rg",
            "gal1",
            json!({"location": "westus", "tags": {"a": "b"}, "properties": {"description": "d"}}),
        )
        .await;
    assert_eq!(created["id"], gallery_path("MixedCase_rg", "gal1"));
    for list in [galleries_of_subscription(), galleries_in("mixedcase_rg")] {
        let items = emu.list_all(&emu.api(&list)).await;
        assert_eq!(items.len(), 1, "{list}");
        let item = &items[0];
        assert_eq!(item["id"], gallery_path("MIXEDCASE_RG", "gal1"));
        assert_eq!(item["name"], "gal1");
        assert_eq!(item["type"], "Microsoft.Compute/galleries");
        assert_eq!(item["location"], "westus");
        assert_eq!(item["tags"], json!({"a": "b"}));
        assert_eq!(item["properties"]["description"], "d");
        assert_eq!(item["properties"]["provisioningState"], "Succeeded");
        assert_eq!(
            item["properties"]["identifier"]["uniqueName"],
            format!("{SUB}-GAL1")
        );
    }
    // A single GET keeps the spelling of the creation.
    let (_, _, got) = emu.get_gallery("mixedcase_rg", "gal1").await;
    assert_eq!(got["id"], gallery_path("MixedCase_rg", "gal1"));
}

#[tokio::test]
async fn the_next_link_keeps_the_api_version_of_the_request() {
    let emu = Emulator::start(&["--page-size", "1"]);
    emu.create_gallery("rg1", "g1", "westus").await;
    emu.create_gallery("rg1", "g2", "westus").await;
    let (status, _, page) = emu
        .call(
            "GET",
            &emu.api_at(&galleries_of_subscription(), "2021-10-01"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let next = page["nextLink"].as_str().expect("nextLink");
    assert!(next.contains("api-version=2021-10-01"), "{next}");
    let (status, _, page) = emu.call("GET", next, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["value"][0]["name"], "g2");
}

#[tokio::test]
async fn a_forged_or_tampered_skip_token_is_refused() {
    let emu = Emulator::start(&["--page-size", "2"]);
    five_galleries(&emu).await;
    let (_, _, page) = emu
        .call("GET", &emu.api(&galleries_of_subscription()), None)
        .await;
    let next = page["nextLink"].as_str().expect("nextLink").to_string();
    let token = token_of(&next);
    let (after, tag) = token.split_once('.').expect("a signed token");
    // Point the token further along without re-signing it.
    let flip = |s: &str, at: usize| -> String {
        s.char_indices()
            .map(|(i, c)| match (i == at, c) {
                (true, '0') => '1',
                (true, _) => '0',
                (false, c) => c,
            })
            .collect()
    };
    let tampered_after = flip(after, after.len() - 1);
    let flipped_tag = flip(tag, 0);
    for bad in [
        "abc".to_string(),
        String::new(),
        format!("{tampered_after}.{tag}"),
        format!("{after}.{flipped_tag}"),
        format!("{after}.{}", &tag[..tag.len() - 2]),
        after.to_string(),
    ] {
        let url = emu.api(&format!("{}?$skiptoken={bad}", galleries_of_subscription()));
        let reply = emu.call("GET", &url, None).await;
        if bad.is_empty() {
            // An empty token is a first page or a refusal, never a 500.
            assert!(reply.0 == StatusCode::OK || reply.0 == StatusCode::BAD_REQUEST);
            continue;
        }
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSkipToken");
        assert_eq!(error["target"], "$skiptoken", "{bad}");
    }
}

#[tokio::test]
async fn a_skip_token_from_another_list_is_refused() {
    let emu = Emulator::start(&["--page-size", "2"]);
    five_galleries(&emu).await;
    let (_, _, page) = emu
        .call("GET", &emu.api(&galleries_of_subscription()), None)
        .await;
    let token = token_of(page["nextLink"].as_str().expect("nextLink"));
    for other in [
        galleries_in("rgA"),
        galleries_in("rgB"),
        format!("/subscriptions/{SUB}/resourceGroups"),
    ] {
        let version = if other.ends_with("resourceGroups") {
            RG_API
        } else {
            API
        };
        let url = emu.api_at(&format!("{other}?$skiptoken={token}"), version);
        let reply = emu.call("GET", &url, None).await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSkipToken");
    }
    // And one from a resource group list on the subscription list.
    let (_, _, page) = emu.call("GET", &emu.api(&galleries_in("rgA")), None).await;
    let token = token_of(page["nextLink"].as_str().expect("nextLink"));
    let url = emu.api(&format!(
        "{}?$skiptoken={token}",
        galleries_of_subscription()
    ));
    let reply = emu.call("GET", &url, None).await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSkipToken");
    // The same list spelled in other case accepts it.
    let url = emu.api(&format!(
        "/subscriptions/{SUB}/resourceGroups/RGA/providers/Microsoft.Compute/galleries?$skiptoken={token}"
    ));
    let (status, _, page) = emu.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(page["value"].as_array().expect("value")).len(), 1);
}

#[tokio::test]
async fn a_skip_token_from_before_a_reset_is_refused() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--page-size", "2"]);
        five_galleries(&emu).await;
        let (_, _, page) = emu
            .call("GET", &emu.api(&galleries_of_subscription()), None)
            .await;
        let next = page["nextLink"].as_str().expect("nextLink").to_string();
        let (status, _, _) = emu.call("POST", &emu.url("/_emulator/reset"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        five_galleries(&emu).await;
        let reply = emu.call("GET", &next, None).await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSkipToken");
    }
}

#[tokio::test]
async fn items_deleted_between_pages_do_not_shift_the_rest() {
    let emu = Emulator::start(&["--page-size", "2"]);
    five_galleries(&emu).await;
    let (_, _, page) = emu
        .call("GET", &emu.api(&galleries_of_subscription()), None)
        .await;
    let first = ids(page["value"].as_array().expect("value"));
    // Delete the first item of the first page.
    let (status, _, _) = emu
        .call("DELETE", &emu.api(&gallery_path("rgA", "g2")), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let rest = ids(&emu
        .list_all(page["nextLink"].as_str().expect("nextLink"))
        .await);
    assert_eq!(first.len() + rest.len(), 5);
    let all: HashSet<&String> = first.iter().chain(&rest).collect();
    assert_eq!(all.len(), 5, "{first:?} {rest:?}");
}

#[tokio::test]
async fn an_empty_list_is_an_empty_value_array() {
    let emu = Emulator::start(&[]);
    for list in [galleries_of_subscription(), galleries_in("nothing")] {
        let (status, _, body) = emu.call("GET", &emu.api(&list), None).await;
        assert_eq!(status, StatusCode::OK, "{list}: {body}");
        assert_eq!(body, json!({"value": []}), "{list}");
    }
}

#[tokio::test]
async fn resource_group_and_subscription_lists_page_too() {
    let emu = Emulator::start(&["--page-size", "2"]);
    for rg in ["r1", "r2", "r3"] {
        let (status, _, body) = emu
            .call(
                "PUT",
                &emu.api_at(&rg_path(rg), RG_API),
                Some(json!({"location": "westus"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let pages = emu
        .pages(&emu.api_at(&format!("/subscriptions/{SUB}/resourceGroups"), RG_API))
        .await;
    assert_eq!(pages.len(), 2);
    let next = pages[0]["nextLink"].as_str().expect("nextLink");
    assert!(next.contains(&format!("api-version={RG_API}")), "{next}");
    let names: Vec<&str> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().expect("value"))
        .map(|rg| rg["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["r1", "r2", "r3"]);

    for i in 0..2 {
        let sub = format!("aaaaaaaa-0000-0000-0000-00000000000{i}");
        let (status, _, _) = emu
            .call(
                "GET",
                &emu.api_at(&format!("/subscriptions/{sub}"), SUB_API),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let subs = emu.list_all(&emu.api_at("/subscriptions", SUB_API)).await;
    let sub_ids: Vec<&str> = subs
        .iter()
        .map(|s| s["subscriptionId"].as_str().expect("subscriptionId"))
        .collect();
    assert_eq!(sub_ids.len(), 3, "{sub_ids:?}");
    assert!(sub_ids.contains(&SUB));
}

#[tokio::test]
async fn a_list_shows_every_change_to_an_item_at_once() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let described =
            |text: &str| json!({"location": "westus", "properties": {"description": text}});
        let list = emu.api(&galleries_of_subscription());
        let descriptions = || async {
            emu.list_all(&list)
                .await
                .iter()
                .map(|g| {
                    g["properties"]["description"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect::<Vec<_>>()
        };
        emu.put_gallery("rg1", "g1", described("one")).await;
        emu.put_gallery("rg1", "g2", described("other")).await;
        assert_eq!(descriptions().await, ["one", "other"], "{}", store.name());

        // Deleted and made again under the same name: the new one is listed.
        let (status, _, _) = emu
            .call("DELETE", &emu.api(&gallery_path("rg1", "g1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}", store.name());
        assert_eq!(descriptions().await, ["other"], "{}", store.name());
        emu.put_gallery("rg1", "g1", described("two")).await;
        assert_eq!(descriptions().await, ["two", "other"], "{}", store.name());

        let (status, _, _) = emu
            .call(
                "PATCH",
                &emu.api(&gallery_path("rg1", "g1")),
                Some(json!({"properties": {"description": "three"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}", store.name());
        assert_eq!(descriptions().await, ["three", "other"], "{}", store.name());

        emu.put_gallery("rg1", "g1", described("four")).await;
        assert_eq!(descriptions().await, ["four", "other"], "{}", store.name());

        // And after a reset, only what is made afterwards.
        let (status, _, _) = emu.call("POST", &emu.url("/_emulator/reset"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{}", store.name());
        emu.put_gallery("rg1", "g1", described("five")).await;
        assert_eq!(descriptions().await, ["five"], "{}", store.name());
    }
}
