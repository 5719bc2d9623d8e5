//! The admin plane under `/_emulator/`: health, readiness, facts about the
//! instance, and reset.

use crate::common::*;

#[tokio::test]
async fn health_answers_healthy() {
    let emu = Emulator::start(&[]);
    let (status, headers, body) = emu.call("GET", &emu.url("/_emulator/health"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "healthy");
    assert!(header(&headers, "content-type").starts_with("application/json"));
}

#[tokio::test]
async fn ready_names_the_store_it_is_ready_on() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let (status, _, body) = emu.call("GET", &emu.url("/_emulator/ready"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "ready");
        assert_eq!(body["store"], store.name());
    }
}

#[tokio::test]
async fn ready_on_an_in_memory_store_says_so() {
    let emu = Emulator::start(&["--in-memory"]);
    let (status, _, body) = emu.call("GET", &emu.url("/_emulator/ready"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["store"], "sqlite-in-memory");
}

#[tokio::test]
async fn info_reports_version_store_settings_and_api_versions() {
    let emu = Emulator::start(&["--page-size", "7", "--gallery-quota", "3"]);
    let (status, _, info) = emu.call("GET", &emu.url("/_emulator/info"), None).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["name"], "gallery-emulator");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["store"], "sqlite");
    assert_eq!(info["timing"], "instant");
    assert_eq!(info["defaultSubscription"], SUB);
    assert_eq!(info["defaultTenant"], TENANT);
    assert_eq!(info["pageSize"], 7);
    assert_eq!(info["quotas"]["galleriesPerRegion"], 3);
    let galleries = info["apiVersions"]["Microsoft.Compute/galleries"]
        .as_array()
        .expect("gallery api-versions");
    for v in ["2018-06-01", "2021-10-01", "2025-12-03", "2026-03-03"] {
        assert!(galleries.contains(&json!(v)), "{v}");
    }
    let resources = info["apiVersions"]["Microsoft.Resources"]
        .as_array()
        .expect("resources api-versions");
    for v in [RG_API, SUB_API, "2024-11-01"] {
        assert!(resources.contains(&json!(v)), "{v}");
    }
}

#[tokio::test]
async fn reset_drops_everything_but_the_default_subscription() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--gallery-quota", "1"]);
        emu.create_gallery("rg1", "gal1", "westus").await;
        let other = "99999999-8888-7777-6666-555555555555";
        emu.call(
            "GET",
            &emu.api_at(&format!("/subscriptions/{other}"), SUB_API),
            None,
        )
        .await;

        let (status, _, body) = emu.call("POST", &emu.url("/_emulator/reset"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{}: {body}", store.name());
        assert_eq!(body, Value::Null);

        let reply = emu.get_gallery("rg1", "gal1").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let (_, _, list) = emu
            .call("GET", &emu.api(&galleries_of_subscription()), None)
            .await;
        assert_eq!(list, json!({"value": []}));
        let reply = emu
            .call("GET", &emu.api_at(&rg_path("rg1"), RG_API), None)
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceGroupNotFound");
        let subs = emu.list_all(&emu.api_at("/subscriptions", SUB_API)).await;
        let sub_ids: Vec<&str> = subs
            .iter()
            .map(|s| s["subscriptionId"].as_str().expect("subscriptionId"))
            .collect();
        assert_eq!(sub_ids, vec![SUB]);
        assert_eq!(subs[0]["state"], "Enabled");

        // Counters start again too: the one-gallery quota has room.
        emu.create_gallery("rg1", "gal1", "westus").await;
        // And a subscription used before the reset registers again on use.
        let (status, _, _) = emu
            .call(
                "GET",
                &emu.api_at(&format!("/subscriptions/{other}"), SUB_API),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            emu.list_all(&emu.api_at("/subscriptions", SUB_API))
                .await
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn admin_routes_need_no_api_version() {
    let emu = Emulator::start(&[]);
    for path in [
        "/_emulator/health",
        "/_emulator/ready",
        "/_emulator/info",
        "/_emulator/clock",
    ] {
        let (status, _, body) = emu.call("GET", &emu.url(path), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}
