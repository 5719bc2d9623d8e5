//! Galleries_*: create, replace, get, patch and delete as a client sees them,
//! including the long-running operation headers and the properties the
//! emulator does not support yet. CRUD flows run on every configured store.

use crate::common::*;

fn operation_url(emu: &Emulator, location: &str, id: &str) -> String {
    format!(
        "{}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/{location}/capsOperations/{id}?api-version={API}",
        emu.base
    )
}

#[tokio::test]
async fn creating_a_gallery_answers_201_creating_with_an_operation_that_has_succeeded() {
    let emu = Emulator::start(&[]);
    let (status, headers, body) = emu
        .call(
            "PUT",
            &emu.api(&gallery_path("rg1", "gal1")),
            Some(json!({"location": "westus", "properties": {"description": "mine"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["properties"]["provisioningState"], "Creating");
    assert_eq!(headers["retry-after"], "1");
    let op = headers["azure-asyncoperation"]
        .to_str()
        .expect("header")
        .to_string();
    let (status, _, op_body) = emu.call("GET", &op, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(op_body["status"], "Succeeded");
}

#[tokio::test]
async fn a_new_gallery_has_its_id_type_canonical_location_and_unique_name() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let (status, headers, body) = emu
            .put_gallery(
                "rg1",
                "myGallery_1",
                json!({"location": "West US", "properties": {"description": "mine"}, "tags": {"env": "test"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", store.name());
        assert_eq!(body["name"], "myGallery_1");
        assert_eq!(body["id"], gallery_path("rg1", "myGallery_1"));
        assert_eq!(body["type"], "Microsoft.Compute/galleries");
        assert_eq!(body["location"], "westus");
        assert_eq!(body["tags"], json!({"env": "test"}));
        assert_eq!(body["properties"]["description"], "mine");
        assert_eq!(body["properties"]["provisioningState"], "Creating");
        assert_eq!(
            body["properties"]["identifier"]["uniqueName"],
            format!("{SUB}-MYGALLERY_1")
        );
        assert!(header(&headers, "content-type").starts_with("application/json"));
        assert_eq!(header(&headers, "location"), "", "a PUT has no Location");
    }
}

#[tokio::test]
async fn creating_a_gallery_answers_with_the_operation_headers_clients_poll() {
    let emu = Emulator::start(&[]);
    let (status, headers, _) = emu
        .put_gallery("rg1", "gal1", json!({"location": "West US"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let request_id = header(&headers, "x-ms-request-id");
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    assert_eq!(
        header(&headers, "azure-asyncoperation"),
        operation_url(&emu, "westus", request_id),
        "the operation id is the request id"
    );
    assert_eq!(header(&headers, "retry-after"), "1");
    let correlation = header(&headers, "x-ms-correlation-request-id");
    assert!(uuid::Uuid::parse_str(correlation).is_ok(), "{correlation}");
}

#[tokio::test]
async fn correlation_and_client_request_ids_are_echoed() {
    let emu = Emulator::start(&[]);
    let sent = [
        (
            "x-ms-correlation-request-id",
            "6b1d3c2e-0f4a-4c55-9d1e-2f3a4b5c6d7e",
        ),
        ("x-ms-client-request-id", "client-42"),
    ];
    let (status, headers, _) = emu
        .call_with_headers(
            "PUT",
            &emu.api(&gallery_path("rg1", "gal1")),
            Some(json!({"location": "westus"})),
            &sent,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for (name, value) in sent {
        assert_eq!(header(&headers, name), value, "{name}");
    }
    // Errors carry them too.
    let (status, headers, _) = emu
        .call_with_headers(
            "GET",
            &emu.api(&gallery_path("rg1", "missing")),
            None,
            &sent,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (name, value) in sent {
        assert_eq!(header(&headers, name), value, "{name} on an error");
    }
    assert!(!header(&headers, "x-ms-request-id").is_empty());
}

#[tokio::test]
async fn the_operation_of_a_create_reports_succeeded_with_its_times() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let (_, headers, _) = emu
            .put_gallery("rg1", "gal1", json!({"location": "eastus2"}))
            .await;
        let op_id = header(&headers, "x-ms-request-id").to_string();
        let (status, _, op) = emu
            .call("GET", header(&headers, "azure-asyncoperation"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{}", store.name());
        assert_eq!(op["name"], op_id);
        assert_eq!(op["status"], "Succeeded");
        for field in ["startTime", "endTime"] {
            let t = op[field].as_str().expect("time");
            // ARM's format: 7 fractional digits and an explicit offset.
            assert_eq!(t.len(), "2024-01-01T00:00:00.0000000+00:00".len(), "{t}");
            assert!(t.ends_with("+00:00"), "{t}");
        }
        assert!(op["endTime"].as_str() >= op["startTime"].as_str());
        let (status, _, body) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    }
}

#[tokio::test]
async fn replacing_a_gallery_answers_200_updating_and_replaces_its_properties() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        emu.put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "properties": {"description": "first"}, "tags": {"a": "1"}}),
        )
        .await;
        let (status, headers, body) = emu
            .put_gallery(
                "rg1",
                "gal1",
                json!({"location": "westus", "properties": {"description": "second"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["properties"]["provisioningState"], "Updating");
        assert_eq!(body["properties"]["description"], "second");
        assert!(body.get("tags").is_none(), "PUT replaces tags: {body}");
        assert_eq!(header(&headers, "retry-after"), "1");
        let op = header(&headers, "azure-asyncoperation");
        assert!(op.contains(header(&headers, "x-ms-request-id")));
        let (_, _, op_body) = emu.call("GET", op, None).await;
        assert_eq!(op_body["status"], "Succeeded");
        let (status, _, body) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["properties"]["provisioningState"], "Succeeded");
        assert_eq!(body["properties"]["description"], "second");
    }
}

#[tokio::test]
async fn patching_a_gallery_changes_what_is_sent_and_keeps_the_rest() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        emu.put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "properties": {"description": "first"}, "tags": {"env": "test"}}),
        )
        .await;
        let (status, headers, body) = emu
            .call(
                "PATCH",
                &emu.api(&gallery_path("rg1", "gal1")),
                Some(json!({"properties": {"description": "second"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["properties"]["provisioningState"], "Updating");
        assert_eq!(body["properties"]["description"], "second");
        assert_eq!(body["tags"], json!({"env": "test"}));
        assert_eq!(body["location"], "westus");
        let op = header(&headers, "azure-asyncoperation");
        assert!(
            op.starts_with(&format!("{}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/", emu.base)),
            "{op}"
        );
        assert_eq!(header(&headers, "retry-after"), "1");
        let (_, _, op_body) = emu.call("GET", op, None).await;
        assert_eq!(op_body["status"], "Succeeded");
        let (_, _, body) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(body["properties"]["provisioningState"], "Succeeded");
        assert_eq!(body["properties"]["description"], "second");
        assert_eq!(body["tags"], json!({"env": "test"}));

        // Tags sent in a PATCH replace the stored ones.
        let (status, _, body) = emu
            .call(
                "PATCH",
                &emu.api(&gallery_path("rg1", "gal1")),
                Some(json!({"tags": {"env": "prod"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["tags"], json!({"env": "prod"}));
        assert_eq!(body["properties"]["description"], "second");
    }
}

#[tokio::test]
async fn patching_a_missing_gallery_is_resource_not_found() {
    let emu = Emulator::start(&[]);
    let reply = emu
        .call(
            "PATCH",
            &emu.api(&gallery_path("rg1", "nothere")),
            Some(json!({"properties": {"description": "x"}})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn getting_a_missing_gallery_is_resource_not_found_naming_it() {
    let emu = Emulator::start(&[]);
    let reply = emu.get_gallery("rg1", "nothere").await;
    let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Microsoft.Compute/galleries/nothere") && message.contains("rg1"),
        "{message}"
    );
}

#[tokio::test]
async fn deleting_a_gallery_answers_202_with_both_monitors_and_it_is_gone() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        emu.create_gallery("rg1", "gal1", "West US").await;
        let (status, headers, body) = emu
            .call("DELETE", &emu.api(&gallery_path("rg1", "gal1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}: {body}", store.name());
        assert_eq!(body, Value::Null, "a 202 has an empty body");
        let op_id = header(&headers, "x-ms-request-id").to_string();
        let async_url = header(&headers, "azure-asyncoperation").to_string();
        assert_eq!(async_url, operation_url(&emu, "westus", &op_id));
        let location = header(&headers, "location").to_string();
        assert_eq!(
            location,
            format!(
                "{}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/{op_id}?monitor=true&api-version={API}",
                emu.base
            )
        );
        assert_eq!(header(&headers, "retry-after"), "1");

        let (status, _, body) = emu.call("GET", &location, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "monitor when done: {body}");
        let (status, _, op) = emu.call("GET", &async_url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(op["status"], "Succeeded");
        assert_eq!(op["name"], op_id);

        let reply = emu.get_gallery("rg1", "gal1").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let (status, headers, body) = emu
            .call("DELETE", &emu.api(&gallery_path("rg1", "gal1")), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "delete again: {body}");
        assert_eq!(header(&headers, "azure-asyncoperation"), "");
    }
}

#[tokio::test]
async fn deleting_a_gallery_that_never_existed_is_204() {
    let emu = Emulator::start(&[]);
    let (status, _, body) = emu
        .call("DELETE", &emu.api(&gallery_path("rg1", "never")), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
}

#[tokio::test]
async fn a_deleted_gallery_name_can_be_used_again() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    emu.call("DELETE", &emu.api(&gallery_path("rg1", "gal1")), None)
        .await;
    // Another region and another resource group: nothing of the old one is left.
    emu.create_gallery("rg2", "gal1", "eastus").await;
}

#[tokio::test]
async fn a_system_assigned_identity_gets_a_principal_that_survives_updates() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let body = json!({"location": "westus", "identity": {"type": "SystemAssigned"}});
        let (status, _, created) = emu.put_gallery("rg1", "gal1", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", store.name());
        assert_eq!(created["identity"]["type"], "SystemAssigned");
        assert_eq!(created["identity"]["tenantId"], TENANT);
        let principal = created["identity"]["principalId"]
            .as_str()
            .expect("principalId")
            .to_string();
        assert!(uuid::Uuid::parse_str(&principal).is_ok(), "{principal}");

        let (status, _, replaced) = emu.put_gallery("rg1", "gal1", body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(replaced["identity"]["principalId"], principal.as_str());
        let (_, _, patched) = emu
            .call(
                "PATCH",
                &emu.api(&gallery_path("rg1", "gal1")),
                Some(json!({"properties": {"description": "d"}})),
            )
            .await;
        assert_eq!(patched["identity"]["principalId"], principal.as_str());
        let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(got["identity"]["principalId"], principal.as_str());
        assert_eq!(got["identity"]["tenantId"], TENANT);
    }
}

#[tokio::test]
async fn a_user_assigned_identity_gets_principal_and_client_ids() {
    let emu = Emulator::start(&[]);
    let uai = format!(
        "/subscriptions/{SUB}/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/me"
    );
    let (status, _, body) = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "identity": {"type": "UserAssigned", "userAssignedIdentities": {uai.clone(): {}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entry = &body["identity"]["userAssignedIdentities"][&uai];
    assert!(entry["principalId"].is_string(), "{body}");
    assert!(entry["clientId"].is_string(), "{body}");
    assert!(body["identity"].get("principalId").is_none(), "{body}");

    let reply = emu
        .put_gallery(
            "rg1",
            "gal2",
            json!({"location": "westus", "identity": {"type": "UserAssigned"}}),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "identity.userAssignedIdentities");
}

#[tokio::test]
async fn a_disabled_soft_delete_policy_is_echoed_and_enabling_it_is_not_yet_supported() {
    let emu = Emulator::start(&[]);
    let (status, _, body) = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "properties": {"softDeletePolicy": {"isSoftDeleteEnabled": false}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["properties"]["softDeletePolicy"],
        json!({"isSoftDeleteEnabled": false})
    );
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(
        got["properties"]["softDeletePolicy"],
        json!({"isSoftDeleteEnabled": false})
    );

    let reply = emu
        .put_gallery(
            "rg1",
            "gal2",
            json!({"location": "westus", "properties": {"softDeletePolicy": {"isSoftDeleteEnabled": true}}}),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::NOT_IMPLEMENTED, "NotYetSupported");
    assert_eq!(
        error["target"],
        "properties.softDeletePolicy.isSoftDeleteEnabled"
    );
    let reply = emu.get_gallery("rg1", "gal2").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn private_sharing_is_accepted_and_group_or_community_sharing_is_not_yet_supported() {
    let emu = Emulator::start(&[]);
    let (status, _, body) = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "properties": {"sharingProfile": {"permissions": "Private"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["properties"]["sharingProfile"]["permissions"],
        "Private"
    );
    for permissions in ["Groups", "Community"] {
        let reply = emu
            .put_gallery(
                "rg1",
                "gal2",
                json!({"location": "westus", "properties": {"sharingProfile": {"permissions": permissions}}}),
            )
            .await;
        let error = assert_arm_error(&reply, StatusCode::NOT_IMPLEMENTED, "NotYetSupported");
        assert_eq!(
            error["target"], "properties.sharingProfile",
            "{permissions}"
        );
        let reply = emu
            .call(
                "PATCH",
                &emu.api(&gallery_path("rg1", "gal1")),
                Some(json!({"properties": {"sharingProfile": {"permissions": permissions}}})),
            )
            .await;
        assert_arm_error(&reply, StatusCode::NOT_IMPLEMENTED, "NotYetSupported");
    }
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(
        got["properties"]["sharingProfile"]["permissions"],
        "Private"
    );
}

#[tokio::test]
async fn sharing_through_post_share_is_not_yet_supported() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let reply = emu
        .call(
            "POST",
            &emu.api(&format!("{}/share", gallery_path("rg1", "gal1"))),
            Some(json!({"operationType": "Add", "groups": [{"type": "Subscriptions", "ids": [SUB]}]})),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::NOT_IMPLEMENTED, "NotYetSupported");
    assert_eq!(error["target"], "share");
}

#[tokio::test]
async fn a_gallery_without_description_or_tags_leaves_them_out() {
    let emu = Emulator::start(&[]);
    let body = emu.create_gallery("rg1", "gal1", "westus").await;
    assert!(body.get("tags").is_none(), "{body}");
    assert!(body.get("identity").is_none(), "{body}");
    assert!(body["properties"].get("description").is_none(), "{body}");
    assert!(body["properties"].get("sharingProfile").is_none(), "{body}");
}
