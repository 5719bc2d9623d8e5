//! Subscriptions: the default one exists from the start, any GUID is
//! registered on first use, and the list is what `az login` reads.

use crate::common::*;

async fn subscription_ids(emu: &Emulator) -> Vec<String> {
    emu.list_all(&emu.api_at("/subscriptions", SUB_API))
        .await
        .iter()
        .map(|s| {
            s["subscriptionId"]
                .as_str()
                .expect("subscriptionId")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn the_default_subscription_is_listed_enabled_in_the_default_tenant() {
    let emu = Emulator::start(&[]);
    let (status, _, body) = emu
        .call("GET", &emu.api_at("/subscriptions", SUB_API), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let value = body["value"].as_array().expect("value");
    assert_eq!(value.len(), 1, "{body}");
    let sub = &value[0];
    assert_eq!(sub["id"], format!("/subscriptions/{SUB}"));
    assert_eq!(sub["subscriptionId"], SUB);
    assert_eq!(sub["tenantId"], TENANT);
    assert_eq!(sub["state"], "Enabled");
    assert!(sub["displayName"].as_str().is_some_and(|n| !n.is_empty()));
}

#[tokio::test]
async fn getting_a_new_subscription_registers_it() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let new = "3f2b6c1a-9d4e-4b7a-8c2d-1e5f6a7b8c9d";
        let (status, _, body) = emu
            .call(
                "GET",
                &emu.api_at(&format!("/subscriptions/{new}"), SUB_API),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["subscriptionId"], new);
        assert_eq!(body["id"], format!("/subscriptions/{new}"));
        assert_eq!(body["tenantId"], TENANT);
        assert_eq!(body["state"], "Enabled");
        let mut listed = subscription_ids(&emu).await;
        listed.sort();
        let mut expected = vec![SUB.to_string(), new.to_string()];
        expected.sort();
        assert_eq!(listed, expected);
        // Asking again changes nothing.
        let (status, _, again) = emu
            .call(
                "GET",
                &emu.api_at(&format!("/subscriptions/{new}"), SUB_API),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again, body);
        assert_eq!(subscription_ids(&emu).await.len(), 2);
    }
}

#[tokio::test]
async fn a_subscription_id_in_upper_case_is_the_same_subscription() {
    let emu = Emulator::start(&[]);
    let upper = "ABCDEF01-2345-6789-ABCD-EF0123456789";
    let (status, _, body) = emu
        .call(
            "GET",
            &emu.api_at(&format!("/subscriptions/{upper}"), SUB_API),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["subscriptionId"], upper.to_ascii_lowercase());
    emu.call(
        "GET",
        &emu.api_at(
            &format!("/subscriptions/{}", upper.to_ascii_lowercase()),
            SUB_API,
        ),
        None,
    )
    .await;
    assert_eq!(subscription_ids(&emu).await.len(), 2);
}

#[tokio::test]
async fn using_a_new_subscription_for_a_gallery_registers_it() {
    let emu = Emulator::start(&[]);
    let new = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let (status, _, _) = emu
        .call(
            "PUT",
            &emu.api(&format!(
                "/subscriptions/{new}/resourceGroups/rg1/providers/Microsoft.Compute/galleries/gal1"
            )),
            Some(json!({"location": "westus"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(subscription_ids(&emu).await.contains(&new.to_string()));
    // Its galleries are its own.
    let (_, _, mine) = emu
        .call("GET", &emu.api(&galleries_of_subscription()), None)
        .await;
    assert_eq!(mine, json!({"value": []}));
}

#[tokio::test]
async fn a_subscription_id_that_is_no_guid_is_invalid_subscription_id() {
    let emu = Emulator::start(&[]);
    for bad in ["not-a-guid", "1234", "00000000-0000-0000-0000-00000000000g"] {
        let reply = emu
            .call(
                "GET",
                &emu.api_at(&format!("/subscriptions/{bad}"), SUB_API),
                None,
            )
            .await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSubscriptionId");
        assert!(
            error["message"].as_str().unwrap_or_default().contains(bad),
            "{error}"
        );
    }
    assert_eq!(subscription_ids(&emu).await, vec![SUB.to_string()]);
}

#[tokio::test]
async fn subscription_routes_check_their_own_api_versions() {
    let emu = Emulator::start(&[]);
    let reply = emu.call("GET", &emu.url("/subscriptions"), None).await;
    assert_arm_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "MissingApiVersionParameter",
    );
    let reply = emu
        .call("GET", &emu.api_at("/subscriptions", "2026-03-03"), None)
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound");
    let (status, _, _) = emu
        .call("GET", &emu.api_at("/subscriptions", "2016-06-01"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn repeated_slashes_in_a_path_are_collapsed_as_arm_does() {
    let emu = Emulator::start(&[]);
    // az builds `{endpoint}/metadata/endpoints` from an endpoint ending in `/`.
    let (status, _, body) = emu
        .call(
            "GET",
            &emu.url("//metadata/endpoints?api-version=2022-09-01"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["resourceManager"].is_string(), "{body}");
    let (status, _, body) = emu
        .call(
            "GET",
            &emu.url("//subscriptions?api-version=2022-12-01"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["value"][0]["subscriptionId"], SUB);
}
