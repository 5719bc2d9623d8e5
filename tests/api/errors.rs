//! ARM error responses: api-version checks, bad bodies, locations, size
//! limits, unknown routes and methods. Every one is a JSON
//! `{"error":{"code","message"}}`, never a 500 or plain text.

use crate::common::*;

const GALLERY_VERSIONS: &[&str] = &[
    "2018-06-01",
    "2019-03-01",
    "2019-07-01",
    "2019-12-01",
    "2020-09-30",
    "2021-07-01",
    "2021-10-01",
    "2022-01-03",
    "2022-03-03",
    "2022-08-03",
    "2023-07-03",
    "2024-03-03",
    "2025-03-03",
    "2025-12-03",
    "2026-03-03",
];

#[tokio::test]
async fn a_missing_api_version_is_missing_api_version_parameter() {
    let emu = Emulator::start(&[]);
    let body = Some(json!({"location": "westus"}));
    for (method, path, body) in [
        ("PUT", gallery_path("rg1", "gal1"), body),
        ("GET", gallery_path("rg1", "gal1"), None),
        ("GET", galleries_of_subscription(), None),
        ("GET", rg_path("rg1"), None),
        ("GET", "/subscriptions".to_string(), None),
        (
            "GET",
            format!(
                "/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/x"
            ),
            None,
        ),
    ] {
        let reply = emu.call(method, &emu.url(&path), body).await;
        assert_arm_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
        );
    }
    let reply = emu
        .call(
            "GET",
            &emu.url(&format!("{}?api-version=", gallery_path("rg1", "gal1"))),
            None,
        )
        .await;
    assert_arm_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "MissingApiVersionParameter",
    );
}

#[tokio::test]
async fn a_malformed_api_version_is_invalid_api_version_parameter() {
    let emu = Emulator::start(&[]);
    for version in ["abc", "2021-7-1", "20210701"] {
        let reply = emu
            .call(
                "GET",
                &emu.api_at(&gallery_path("rg1", "gal1"), version),
                None,
            )
            .await;
        let error = assert_arm_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
        );
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(version) && message.contains("2026-03-03"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_unknown_api_version_is_no_registered_provider_found_listing_the_supported_ones() {
    let emu = Emulator::start(&[]);
    let reply = emu
        .call(
            "PUT",
            &emu.api_at(&gallery_path("rg1", "gal1"), "2017-01-01"),
            Some(json!({"location": "westus"})),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("2017-01-01"), "{message}");
    for v in GALLERY_VERSIONS {
        assert!(message.contains(v), "{v} missing from {message}");
    }
    // Resource group api-versions are not gallery ones, and the other way round.
    let reply = emu
        .call(
            "GET",
            &emu.api_at(&galleries_of_subscription(), RG_API),
            None,
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound");
    let reply = emu
        .call("GET", &emu.api_at(&rg_path("rg1"), "2026-03-03"), None)
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound");
    let reply = emu
        .call(
            "GET",
            &emu.api_at(&gallery_path("rg1", "gal1"), "2021-07-01-preview"),
            None,
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "NoRegisteredProviderFound");
}

#[tokio::test]
async fn every_stable_gallery_api_version_is_accepted_for_the_whole_lifecycle() {
    let emu = Emulator::start(&[]);
    for (i, version) in GALLERY_VERSIONS.iter().enumerate() {
        let path = gallery_path("rg1", &format!("g{i}"));
        let (status, headers, body) = emu
            .call(
                "PUT",
                &emu.api_at(&path, version),
                Some(json!({"location": "westus"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{version}: {body}");
        let op = header(&headers, "azure-asyncoperation");
        assert!(
            op.ends_with(&format!("?api-version={version}")),
            "{version}: {op}"
        );
        let (status, _, op_body) = emu.call("GET", op, None).await;
        assert_eq!(status, StatusCode::OK, "{version}: {op_body}");
        let (status, _, _) = emu.call("GET", &emu.api_at(&path, version), None).await;
        assert_eq!(status, StatusCode::OK, "{version}");
        let (status, _, _) = emu
            .call(
                "GET",
                &emu.api_at(&galleries_of_subscription(), version),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{version}");
        let (status, headers, _) = emu.call("DELETE", &emu.api_at(&path, version), None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{version}");
        let location = header(&headers, "location");
        assert!(
            location.ends_with(&format!("monitor=true&api-version={version}")),
            "{location}"
        );
    }
}

#[tokio::test]
async fn the_api_version_check_can_be_turned_off() {
    let emu = Emulator::start(&["--no-api-version-check"]);
    let path = gallery_path("rg1", "gal1");
    let (status, headers, body) = emu
        .call(
            "PUT",
            &emu.api_at(&path, "2099-01-01"),
            Some(json!({"location": "westus"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let op = header(&headers, "azure-asyncoperation");
    assert!(op.ends_with("api-version=2099-01-01"), "{op}");
    let (status, _, op_body) = emu.call("GET", op, None).await;
    assert_eq!(status, StatusCode::OK, "{op_body}");
    let (status, _, _) = emu.call("GET", &emu.api_at(&path, "abc"), None).await;
    assert_eq!(status, StatusCode::OK);
    // Still required.
    let reply = emu.call("GET", &emu.url(&path), None).await;
    assert_arm_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "MissingApiVersionParameter",
    );
}

#[tokio::test]
async fn malformed_json_is_invalid_request_content() {
    let emu = Emulator::start(&[]);
    let url = emu.api(&gallery_path("rg1", "gal1"));
    for raw in [
        &b"{\"location\": "[..],
        b"{location: westus}",
        b"not json",
        b"[]",
        b"null",
        b"\"westus\"",
        b"{\"location\":\"west\xffus\"}",
    ] {
        let reply = emu.call_raw("PUT", &url, raw.to_vec()).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("The request content was invalid and could not be deserialized"),
            "{message}"
        );
    }
    let reply = emu.get_gallery("rg1", "gal1").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn content_after_the_json_value_is_invalid_request_content() {
    let emu = Emulator::start(&[]);
    for raw in [
        &br#"{"location":"westus"} trailing"#[..],
        br#"{"location":"westus"}{"location":"eastus"}"#,
        br#"{"location":"westus"},"#,
    ] {
        let reply = emu
            .call_raw("PUT", &emu.api(&gallery_path("rg1", "gal1")), raw.to_vec())
            .await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    }
    let reply = emu.get_gallery("rg1", "gal1").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn an_empty_body_is_invalid_request_content() {
    let emu = Emulator::start(&[]);
    for method in ["PUT", "PATCH"] {
        let reply = emu
            .call_raw(method, &emu.api(&gallery_path("rg1", "gal1")), "")
            .await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
        let reply = emu
            .call(method, &emu.api(&gallery_path("rg1", "gal1")), None)
            .await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    }
}

#[tokio::test]
async fn a_wrongly_typed_property_is_invalid_request_content_naming_its_path() {
    let emu = Emulator::start(&[]);
    let cases = [
        (
            json!({"location": "westus", "properties": {"description": 5}}),
            "properties.description",
        ),
        (json!({"location": 7}), "location"),
        (json!({"location": "westus", "tags": {"k": 1}}), "tags.k"),
        (json!({"location": "westus", "tags": ["a"]}), "tags"),
        (
            json!({"location": "westus", "properties": "text"}),
            "properties",
        ),
        (
            json!({"location": "westus", "identity": {"type": "Bogus"}}),
            "identity.type",
        ),
        (
            json!({"location": "westus", "properties": {"sharingProfile": {"permissions": "Everyone"}}}),
            "properties.sharingProfile.permissions",
        ),
        (
            json!({"location": "westus", "properties": {"softDeletePolicy": {"isSoftDeleteEnabled": "no"}}}),
            "properties.softDeletePolicy.isSoftDeleteEnabled",
        ),
    ];
    for (body, target) in cases {
        let reply = emu.put_gallery("rg1", "gal1", body.clone()).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
        assert_eq!(error["target"], target, "{body}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(target), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_enum_value_lists_the_allowed_values() {
    let emu = Emulator::start(&[]);
    let reply = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "identity": {"type": "Bogus"}}),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Bogus") && message.contains("SystemAssigned"),
        "{message}"
    );
    // Enum values are matched case-insensitively and echoed canonically.
    let (status, _, body) = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "identity": {"type": "systemassigned"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["identity"]["type"], "SystemAssigned");
}

#[tokio::test]
async fn a_missing_location_is_location_required() {
    let emu = Emulator::start(&[]);
    for body in [
        json!({}),
        json!({"properties": {"description": "x"}}),
        json!({"location": null}),
    ] {
        let reply = emu.put_gallery("rg1", "gal1", body).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "LocationRequired");
        assert_eq!(error["target"], "location");
    }
}

#[tokio::test]
async fn an_unknown_region_is_location_not_available_for_resource_type() {
    let emu = Emulator::start(&[]);
    for location in ["moon", "", "west-us"] {
        let reply = emu
            .put_gallery("rg1", "gal1", json!({"location": location}))
            .await;
        let error = assert_arm_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "LocationNotAvailableForResourceType",
        );
        assert_eq!(error["target"], "location");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("Microsoft.Compute/galleries") && message.contains("westus"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_413_with_an_arm_error() {
    let emu = Emulator::start(&["--max-body-bytes", "1024"]);
    let big = json!({"location": "westus", "properties": {"description": "x".repeat(2000)}});
    let reply = emu.put_gallery("rg1", "gal1", big.clone()).await;
    assert_arm_error(
        &reply,
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
    );
    // Without a Content-Length too (chunked).
    let json = serde_json::to_vec(&big).expect("json");
    let mut request = format!(
        "PUT {}?api-version={API} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        gallery_path("rg1", "gal1"),
        emu.authority()
    )
    .into_bytes();
    for chunk in json.chunks(256) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let reply = emu.raw_http(&request);
    assert_eq!(reply.status, 413, "{reply:?}");
    assert_eq!(reply.json()["error"]["code"], "RequestEntityTooLarge");
    // Just under the limit is fine.
    let small = json!({"location": "westus", "properties": {"description": "x".repeat(900)}});
    let (status, _, body) = emu.put_gallery("rg1", "gal1", small).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_unknown_route_is_404_with_an_arm_code() {
    let emu = Emulator::start(&[]);
    for path in [
        "/nothing".to_string(),
        format!("/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Compute/widgets/w1"),
        format!("{}/images/i1/bogus/x", gallery_path("rg1", "gal1")),
        "/_emulator/nothing".to_string(),
    ] {
        let reply = emu.call("GET", &emu.api(&path), None).await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "InvalidResourceType");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains(&path),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_method_a_route_does_not_serve_is_405_method_not_allowed() {
    let emu = Emulator::start(&[]);
    for (method, path) in [
        ("POST", gallery_path("rg1", "gal1")),
        ("PUT", "/subscriptions".to_string()),
        ("DELETE", galleries_of_subscription()),
        ("GET", format!("{}/share", gallery_path("rg1", "gal1"))),
        ("DELETE", "/_emulator/health".to_string()),
    ] {
        let reply = emu
            .call(method, &emu.api(&path), Some(json!({"location": "westus"})))
            .await;
        let error = assert_arm_error(&reply, StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains(method),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_non_guid_subscription_on_a_gallery_route_is_invalid_subscription_id() {
    let emu = Emulator::start(&[]);
    let path =
        "/subscriptions/not-a-guid/resourceGroups/rg1/providers/Microsoft.Compute/galleries/gal1";
    let reply = emu
        .call("PUT", &emu.api(path), Some(json!({"location": "westus"})))
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSubscriptionId");
    let reply = emu
        .call(
            "GET",
            &emu.api("/subscriptions/not-a-guid/providers/Microsoft.Compute/galleries"),
            None,
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidSubscriptionId");
}

#[tokio::test]
async fn an_unknown_operation_is_resource_not_found() {
    let emu = Emulator::start(&[]);
    let (_, headers, _) = emu
        .put_gallery("rg1", "gal1", json!({"location": "westus"}))
        .await;
    let op_id = header(&headers, "x-ms-request-id").to_string();
    let missing = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/{}",
        uuid::Uuid::new_v4()
    );
    let reply = emu.call("GET", &emu.api(&missing), None).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    // An operation is only visible in its own subscription.
    let other = format!(
        "/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Compute/locations/westus/capsOperations/{op_id}"
    );
    let reply = emu.call("GET", &emu.api(&other), None).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_gets_an_arm_error() {
    let emu = Emulator::start(&[]);
    for path in [
        gallery_path("rg1", "g%FF"),
        galleries_in("r%FFg"),
        format!(
            "/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/%FF"
        ),
        format!("/subscriptions/{SUB}/resourceGroups/r%FFg"),
    ] {
        let version = if path.contains("Microsoft.Compute") {
            API
        } else {
            RG_API
        };
        let reply = emu.call("GET", &emu.api_at(&path, version), None).await;
        assert_eq!(reply.0, StatusCode::BAD_REQUEST, "{path}");
        assert!(reply.2["error"]["code"].is_string(), "{path}: {}", reply.2);
        assert!(
            header(&reply.1, "content-type").starts_with("application/json"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn odd_requests_never_get_a_500_or_a_plain_text_body() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let gal = gallery_path("rg1", "gal1");
    let deep = format!(
        "{{\"location\":\"westus\",\"properties\":{{\"description\":{}1{}}}}}",
        "[".repeat(500),
        "]".repeat(500)
    );
    let raw_cases: Vec<(&str, String, Vec<u8>)> = vec![
        ("PUT", emu.api(&gal), deep.into_bytes()),
        (
            "PUT",
            emu.api(&gal),
            br#"{"location":"westus","location":"eastus"}"#.to_vec(),
        ),
        ("PATCH", emu.api(&gal), b"{\"tags\":".to_vec()),
        ("PATCH", emu.api(&gal), b"[1,2]".to_vec()),
        (
            "PUT",
            emu.api(&rg_path("rg2")).replace(API, RG_API),
            b"{".to_vec(),
        ),
        ("POST", emu.url("/_emulator/clock/advance"), b"{".to_vec()),
        (
            "POST",
            emu.url("/_emulator/clock/advance"),
            br#"{"hours":1}"#.to_vec(),
        ),
        (
            "GET",
            emu.url(&format!("{gal}?api-version=%ZZ")),
            Vec::new(),
        ),
        (
            "GET",
            emu.api(&format!("{}&$skiptoken=%00%ff", galleries_in("rg1"))),
            Vec::new(),
        ),
        ("GET", emu.api(&gallery_path("rg1", "g%C3%A4l")), Vec::new()),
        ("GET", emu.api(&gallery_path("rg%2Fx", "gal1")), Vec::new()),
    ];
    for (method, url, body) in raw_cases {
        let (status, headers, json) = emu.call_raw(method, &url, body).await;
        assert!(
            status.is_client_error(),
            "{method} {url} answered {status}: {json}"
        );
        assert!(
            json["error"]["code"].is_string(),
            "{method} {url} answered {status} with {json}"
        );
        assert!(
            header(&headers, "content-type").starts_with("application/json"),
            "{method} {url}"
        );
    }
}
