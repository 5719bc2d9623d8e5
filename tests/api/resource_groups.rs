//! Resource groups (Microsoft.Resources): create, read, check, patch, list and
//! delete (which takes the galleries in it along), made on first use unless
//! `--require-resource-groups`.

use crate::common::*;

fn rg_url(emu: &Emulator, rg: &str) -> String {
    emu.api_at(&rg_path(rg), RG_API)
}

#[tokio::test]
async fn a_resource_group_is_created_201_then_replaced_200() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let (status, _, body) = emu
            .call(
                "PUT",
                &rg_url(&emu, "rg1"),
                Some(json!({"location": "West US", "tags": {"env": "test"}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", store.name());
        assert_eq!(body["id"], rg_path("rg1"));
        assert_eq!(body["name"], "rg1");
        assert_eq!(body["type"], "Microsoft.Resources/resourceGroups");
        assert_eq!(body["location"], "westus");
        assert_eq!(body["tags"], json!({"env": "test"}));
        assert_eq!(body["properties"]["provisioningState"], "Succeeded");

        let (status, _, body) = emu
            .call(
                "PUT",
                &emu.api_at(&rg_path("RG1"), "2024-11-01"),
                Some(json!({"location": "westus", "tags": {"env": "prod"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["name"], "rg1");
        assert_eq!(body["tags"], json!({"env": "prod"}));

        let (status, _, got) = emu.call("GET", &rg_url(&emu, "Rg1"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["id"], rg_path("rg1"));
        assert_eq!(got["tags"], json!({"env": "prod"}));
        assert_eq!(got["location"], "westus");
    }
}

#[tokio::test]
async fn head_tells_whether_a_resource_group_exists() {
    let emu = Emulator::start(&[]);
    emu.call(
        "PUT",
        &rg_url(&emu, "rg1"),
        Some(json!({"location": "westus"})),
    )
    .await;
    let (status, _, body) = emu.call("HEAD", &rg_url(&emu, "RG1"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    let (status, _, _) = emu.call("HEAD", &rg_url(&emu, "missing"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn getting_a_missing_resource_group_is_resource_group_not_found() {
    let emu = Emulator::start(&[]);
    let reply = emu.call("GET", &rg_url(&emu, "missing"), None).await;
    let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing")
    );
    for method in ["PATCH", "DELETE"] {
        let body = (method == "PATCH").then(|| json!({"tags": {}}));
        let reply = emu.call(method, &rg_url(&emu, "missing"), body).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
    }
}

#[tokio::test]
async fn patching_a_resource_group_replaces_tags_and_keeps_them_when_absent() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        emu.call(
            "PUT",
            &rg_url(&emu, "rg1"),
            Some(json!({"location": "westus", "tags": {"a": "1"}})),
        )
        .await;
        let (status, _, body) = emu
            .call(
                "PATCH",
                &rg_url(&emu, "rg1"),
                Some(json!({"tags": {"b": "2"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["tags"], json!({"b": "2"}));
        assert_eq!(body["location"], "westus");
        let (status, _, body) = emu
            .call("PATCH", &rg_url(&emu, "rg1"), Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["tags"], json!({"b": "2"}));
        let (_, _, got) = emu.call("GET", &rg_url(&emu, "rg1"), None).await;
        assert_eq!(got["tags"], json!({"b": "2"}));
        let reply = emu
            .call(
                "PATCH",
                &rg_url(&emu, "rg1"),
                Some(json!({"tags": {"a/b": "x"}})),
            )
            .await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidTagNameCharacters");
    }
}

#[tokio::test]
async fn a_resource_group_cannot_move_to_another_location() {
    let emu = Emulator::start(&[]);
    emu.call(
        "PUT",
        &rg_url(&emu, "rg1"),
        Some(json!({"location": "westus"})),
    )
    .await;
    let reply = emu
        .call(
            "PUT",
            &rg_url(&emu, "rg1"),
            Some(json!({"location": "eastus"})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::CONFLICT, "InvalidResourceGroupLocation");
}

#[tokio::test]
async fn a_resource_group_put_needs_a_known_location_and_valid_tags() {
    let emu = Emulator::start(&[]);
    let reply = emu.call("PUT", &rg_url(&emu, "rg1"), Some(json!({}))).await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "LocationRequired");
    let reply = emu
        .call(
            "PUT",
            &rg_url(&emu, "rg1"),
            Some(json!({"location": "moon"})),
        )
        .await;
    assert_arm_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "LocationNotAvailableForResourceType",
    );
    let reply = emu
        .call(
            "PUT",
            &rg_url(&emu, "rg1"),
            Some(json!({"location": "westus", "tags": {"k": "v".repeat(257)}})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidTagValueLength");
    let reply = emu
        .call(
            "PUT",
            &rg_url(&emu, "bad.name."),
            Some(json!({"location": "westus"})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    let (status, _, _) = emu.call("HEAD", &rg_url(&emu, "rg1"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn resource_groups_are_listed_by_subscription() {
    let emu = Emulator::start(&[]);
    for rg in ["beta", "Alpha"] {
        emu.call(
            "PUT",
            &rg_url(&emu, rg),
            Some(json!({"location": "westus"})),
        )
        .await;
    }
    let items = emu
        .list_all(&emu.api_at(&format!("/subscriptions/{SUB}/resourceGroups"), RG_API))
        .await;
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["Alpha", "beta"]);
    assert_eq!(items[0]["id"], rg_path("Alpha"));
    assert_eq!(items[0]["type"], "Microsoft.Resources/resourceGroups");
}

#[tokio::test]
async fn deleting_a_resource_group_deletes_its_galleries_and_frees_their_quota() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--gallery-quota", "2"]);
        emu.call(
            "PUT",
            &rg_url(&emu, "rg1"),
            Some(json!({"location": "westus"})),
        )
        .await;
        emu.create_gallery("rg1", "g1", "westus").await;
        emu.create_gallery("RG1", "g2", "westus").await;
        emu.create_gallery("rg2", "keep", "eastus").await;

        let (status, _, _) = emu.call("DELETE", &rg_url(&emu, "Rg1"), None).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::ACCEPTED,
            "{}: {status}",
            store.name()
        );
        let reply = emu.call("GET", &rg_url(&emu, "rg1"), None).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        for name in ["g1", "g2"] {
            let reply = emu.get_gallery("rg1", name).await;
            assert_eq!(reply.0, StatusCode::NOT_FOUND, "{name}: {}", reply.2);
        }
        let listed = ids(&emu.list_all(&emu.api(&galleries_of_subscription())).await);
        assert_eq!(listed, vec![gallery_path("RG2", "keep")]);
        let (status, _, _) = emu.get_gallery("rg2", "keep").await;
        assert_eq!(status, StatusCode::OK);

        // The quota and the names are free again.
        emu.create_gallery("rg3", "g1", "westus").await;
        emu.create_gallery("rg3", "g2", "westus").await;
        let reply = emu
            .put_gallery("rg3", "g3", json!({"location": "westus"}))
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
    }
}

#[tokio::test]
async fn without_the_flag_a_gallery_creates_its_resource_group() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("auto_rg", "gal1", "East US").await;
    let (status, _, rg) = emu.call("GET", &rg_url(&emu, "auto_rg"), None).await;
    assert_eq!(status, StatusCode::OK, "{rg}");
    assert_eq!(rg["name"], "auto_rg");
    assert_eq!(rg["location"], "eastus");
    assert_eq!(rg["properties"]["provisioningState"], "Succeeded");
    let (status, _, _) = emu.call("HEAD", &rg_url(&emu, "AUTO_RG"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // A second gallery elsewhere leaves the group as it was.
    emu.create_gallery("auto_rg", "gal2", "westus").await;
    let (_, _, rg) = emu.call("GET", &rg_url(&emu, "auto_rg"), None).await;
    assert_eq!(rg["location"], "eastus");
    // Reads in a group that does not exist are plain not-found.
    let reply = emu.get_gallery("nowhere", "gal1").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn with_the_flag_galleries_need_their_resource_group_first() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--require-resource-groups"]);
        let reply = emu
            .put_gallery("rg1", "gal1", json!({"location": "westus"}))
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        let reply = emu.get_gallery("rg1", "gal1").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        let reply = emu.call("GET", &emu.api(&galleries_in("rg1")), None).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        let reply = emu
            .call(
                "PATCH",
                &emu.api(&gallery_path("rg1", "gal1")),
                Some(json!({"tags": {}})),
            )
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        let reply = emu
            .call("DELETE", &emu.api(&gallery_path("rg1", "gal1")), None)
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        let reply = emu.call("GET", &rg_url(&emu, "rg1"), None).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        // The subscription-wide list has nothing to require.
        let (status, _, body) = emu
            .call("GET", &emu.api(&galleries_of_subscription()), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"value": []}));

        let (status, _, _) = emu
            .call(
                "PUT",
                &rg_url(&emu, "rg1"),
                Some(json!({"location": "westus"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}", store.name());
        emu.create_gallery("RG1", "gal1", "westus").await;
        let (status, _, _) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(status, StatusCode::OK);
        let items = emu.list_all(&emu.api(&galleries_in("rg1"))).await;
        assert_eq!(ids(&items), vec![gallery_path("RG1", "gal1")]);
        let reply = emu.get_gallery("rg1", "other").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}
