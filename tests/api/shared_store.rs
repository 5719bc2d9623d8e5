//! Several instances on one store (the load-balanced setup the Postgres store
//! is for; SQLite files allow it too): each sees what the others wrote,
//! rules hold across them, and a reset through one is a reset for all.

use crate::common::*;

#[tokio::test]
async fn instances_on_one_store_see_each_others_writes_and_share_the_rules() {
    for store in Store::all() {
        let a = Emulator::start_on(&store, &["--gallery-quota", "1", "--page-size", "1"]);
        let b = Emulator::start_on(&store, &["--gallery-quota", "1", "--page-size", "1"]);
        let (_, headers, _) = a
            .put_gallery("rg1", "gal1", json!({"location": "westus"}))
            .await;
        let (status, _, body) = b.get_gallery("rg1", "gal1").await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        // B answers A's operation.
        let op_path = header(&headers, "azure-asyncoperation")
            .split_once("/subscriptions/")
            .map(|(_, p)| format!("/subscriptions/{p}"))
            .expect("path");
        let (status, _, op) = b.call("GET", &b.url(&op_path), None).await;
        assert_eq!(status, StatusCode::OK, "{op}");
        assert_eq!(op["status"], "Succeeded");
        // Quota and unique names hold across instances.
        let reply = b
            .put_gallery("rg2", "gal2", json!({"location": "westus"}))
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
        let reply = b
            .put_gallery("rg2", "gal1", json!({"location": "eastus"}))
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "GalleryNameNotUnique");
        // A continuation token from one instance works on the other.
        b.create_gallery("rg2", "gal3", "eastus").await;
        let (_, _, page) = a
            .call("GET", &a.api(&galleries_of_subscription()), None)
            .await;
        let next = page["nextLink"].as_str().expect("nextLink");
        let next_path = next
            .split_once("/subscriptions/")
            .map(|(_, p)| format!("/subscriptions/{p}"))
            .expect("path");
        let (status, _, page) = b.call("GET", &b.url(&next_path), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["value"][0]["name"], "gal3");
    }
}

#[tokio::test]
async fn a_skip_token_from_before_a_reset_through_another_instance_is_refused() {
    for store in Store::all() {
        let a = Emulator::start_on(&store, &["--page-size", "1"]);
        let b = Emulator::start_on(&store, &["--page-size", "1"]);
        a.create_gallery("rg1", "gal1", "westus").await;
        a.create_gallery("rg1", "gal2", "westus").await;
        let (_, _, page) = a
            .call("GET", &a.api(&galleries_of_subscription()), None)
            .await;
        let next = page["nextLink"].as_str().expect("nextLink").to_string();
        let (status, _, _) = b.call("POST", &b.url("/_emulator/reset"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        a.create_gallery("rg1", "gal1", "westus").await;
        a.create_gallery("rg1", "gal2", "westus").await;
        let reply = a.call("GET", &next, None).await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSkipToken");
        // And tokens issued after the reset work on both instances.
        let (_, _, page) = a
            .call("GET", &a.api(&galleries_of_subscription()), None)
            .await;
        let next_path = page["nextLink"]
            .as_str()
            .expect("nextLink")
            .split_once("/subscriptions/")
            .map(|(_, p)| format!("/subscriptions/{p}"))
            .expect("path");
        let (status, _, body) = b.call("GET", &b.url(&next_path), None).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
    }
}

#[tokio::test]
async fn a_subscription_used_after_a_reset_through_another_instance_is_registered_again() {
    for store in Store::all() {
        let a = Emulator::start_on(&store, &[]);
        let b = Emulator::start_on(&store, &[]);
        let other = "77777777-6666-5555-4444-333333333333";
        let path = format!(
            "/subscriptions/{other}/resourceGroups/rg1/providers/Microsoft.Compute/galleries/gal1"
        );
        a.call("PUT", &a.api(&path), Some(json!({"location": "westus"})))
            .await;
        let (status, _, _) = b.call("POST", &b.url("/_emulator/reset"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) = a
            .call("PUT", &a.api(&path), Some(json!({"location": "westus"})))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let subs: Vec<String> = b
            .list_all(&b.api_at("/subscriptions", SUB_API))
            .await
            .iter()
            .map(|s| s["subscriptionId"].as_str().unwrap_or_default().to_string())
            .collect();
        assert!(
            subs.contains(&other.to_string()),
            "{}: {subs:?}",
            store.name()
        );
        let (status, _, body) = b
            .call(
                "GET",
                &b.api_at(&format!("/subscriptions/{other}"), SUB_API),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
