//! GalleryImages_*: image definitions as a client sees them: the operation a
//! create starts, every property echoed, the defaults by api-version, the
//! required parts, the unique publisher/offer/SKU triple, what may change,
//! lists, parents, deletes and the quota (issue 3, rules 1–3, 7–9, 11).

use crate::common::*;

const RG: &str = "rg1";
const GAL: &str = "gal1";

/// An emulator with gallery `gal1` in westus.
async fn with_gallery(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    emu.create_gallery(RG, GAL, "westus").await;
    emu
}

/// A definition carrying every property of the contract.
fn full_body() -> Value {
    json!({
        "location": "westus",
        "tags": {"env": "test", "team": "images"},
        "properties": {
            "description": "Backend servers",
            "eula": "https://contoso.example/eula",
            "privacyStatementUri": "https://contoso.example/privacy",
            "releaseNoteUri": "https://contoso.example/notes",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "endOfLifeDate": "2035-01-01T00:00:00Z",
            "identifier": {"publisher": "Contoso", "offer": "Finance", "sku": "Backend"},
            "recommended": {
                "vCPUs": {"min": 2, "max": 16},
                "memory": {"min": 4096, "max": 65536}
            },
            "disallowed": {"diskTypes": ["Standard_LRS"]},
            "purchasePlan": {"name": "plan1", "publisher": "contoso", "product": "finance"},
            "features": [
                {"name": "SecurityType", "value": "TrustedLaunch"},
                {"name": "IsAcceleratedNetworkSupported", "value": "true"}
            ],
            "architecture": "Arm64"
        }
    })
}

fn contoso() -> Value {
    image_body("westus", "Contoso", "Finance", "Backend")
}

#[tokio::test]
async fn creating_a_definition_answers_201_creating_with_an_operation_that_succeeds() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        let (status, headers, body) = emu.put_image(RG, GAL, "img1", contoso()).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", store.name());
        assert_eq!(body["properties"]["provisioningState"], "Creating");
        assert_eq!(body["name"], "img1");
        assert_eq!(body["id"], image_path(RG, GAL, "img1"));
        assert_eq!(body["type"], "Microsoft.Compute/galleries/images");
        assert_eq!(body["location"], "westus");
        assert_eq!(header(&headers, "retry-after"), "1");
        let request_id = header(&headers, "x-ms-request-id");
        let op = header(&headers, "azure-asyncoperation");
        assert!(
            op.contains(&format!(
                "/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/{request_id}"
            )),
            "{op}"
        );
        assert_eq!(header(&headers, "location"), "", "a PUT has no Location");
        let (status, _, op_body) = emu.call("GET", op, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(op_body["status"], "Succeeded");
        let (status, _, got) = emu.get_image(RG, GAL, "img1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    }
}

#[tokio::test]
async fn a_definition_echoes_every_property_it_was_created_with() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        let sent = full_body();
        let created = emu.create_image(RG, GAL, "img1", sent.clone()).await;
        let (status, _, got) = emu.get_image(RG, GAL, "img1").await;
        assert_eq!(status, StatusCode::OK, "{}: {got}", store.name());
        for body in [&created, &got] {
            let p = &body["properties"];
            let s = &sent["properties"];
            for field in [
                "description",
                "eula",
                "privacyStatementUri",
                "releaseNoteUri",
                "osType",
                "osState",
                "hyperVGeneration",
                "identifier",
                "recommended",
                "disallowed",
                "purchasePlan",
                "features",
                "architecture",
            ] {
                assert_eq!(p[field], s[field], "{field} in {body}");
            }
            let eol = p["endOfLifeDate"].as_str().expect("endOfLifeDate");
            assert!(eol.starts_with("2035-01-01T00:00:00"), "{eol}");
            assert!(eol.ends_with("+00:00"), "{eol}");
            assert_eq!(body["tags"], sent["tags"]);
            assert!(p.get("allowUpdateImage").is_none(), "write-only: {body}");
        }
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    }
}

#[tokio::test]
async fn numeric_strings_are_accepted_for_recommended_ranges_as_quickstart_templates_send_them() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    // The resource of sig-image-definition-create/azuredeploy.json, parameters filled in.
    let body = json!({
        "location": "westus",
        "properties": {
            "osType": "Linux",
            "osState": "Generalized",
            "identifier": {"publisher": "myPublisher", "offer": "myOffer", "sku": "mySku"},
            "recommended": {
                "vCPUs": {"min": "1", "max": "64"},
                "memory": {"min": "2048", "max": "307720"}
            }
        }
    });
    let created = emu.create_image(RG, GAL, "img1", body).await;
    assert_eq!(
        created["properties"]["recommended"],
        json!({"vCPUs": {"min": 1, "max": 64}, "memory": {"min": 2048, "max": 307720}})
    );
    let bad = json!({
        "location": "westus",
        "properties": {
            "osType": "Linux",
            "osState": "Generalized",
            "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
            "recommended": {"vCPUs": {"min": "one"}}
        }
    });
    let reply = emu.put_image(RG, GAL, "img2", bad).await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    assert_eq!(error["target"], "properties.recommended.vCPUs.min");
}

#[tokio::test]
async fn defaults_follow_the_api_version_the_definition_was_created_with() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let cases = [
        ("2021-10-01", "old", "V1", json!(null)),
        (
            "2025-03-03",
            "tl",
            "V2",
            json!([{"name": "SecurityType", "value": "TrustedLaunchSupported"}]),
        ),
        (
            "2026-03-03",
            "newest",
            "V2",
            json!([{"name": "SecurityType", "value": "TrustedLaunchSupported"}]),
        ),
    ];
    for (api, name, generation, features) in cases {
        let (status, _, created) = emu
            .call(
                "PUT",
                &emu.api_at(&image_path(RG, GAL, name), api),
                Some(image_body("westus", "p", "o", name)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{api}: {created}");
        let (_, _, got) = emu.get_image(RG, GAL, name).await;
        for body in [&created, &got] {
            let p = &body["properties"];
            assert_eq!(p["hyperVGeneration"], generation, "{api}: {body}");
            assert_eq!(p["architecture"], "x64", "{api}: {body}");
            assert_eq!(p.get("features").cloned().unwrap_or(Value::Null), features);
        }
    }
    // An explicit generation 1 at a new api-version gets no Trusted Launch feature.
    let mut body = image_body("westus", "p", "o", "gen1");
    body["properties"]["hyperVGeneration"] = json!("V1");
    let created = emu.create_image(RG, GAL, "gen1", body).await;
    assert_eq!(created["properties"]["hyperVGeneration"], "V1");
    assert!(created["properties"].get("features").is_none(), "{created}");
}

#[tokio::test]
async fn os_type_os_state_and_every_identifier_part_are_required() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let cases: [(&str, &str); 6] = [
        ("/properties/osType", "galleryImage.properties.osType"),
        ("/properties/osState", "galleryImage.properties.osState"),
        (
            "/properties/identifier",
            "galleryImage.properties.identifier",
        ),
        (
            "/properties/identifier/publisher",
            "galleryImage.properties.identifier.publisher",
        ),
        (
            "/properties/identifier/offer",
            "galleryImage.properties.identifier.offer",
        ),
        (
            "/properties/identifier/sku",
            "galleryImage.properties.identifier.sku",
        ),
    ];
    for (pointer, target) in cases {
        let mut body = contoso();
        let (parent, field) = pointer.rsplit_once('/').expect("pointer");
        body.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent object")
            .remove(field);
        let reply = emu.put_image(RG, GAL, "img1", body).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], target, "without {pointer}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("is missing")),
            "{error}"
        );
    }
    let reply = emu.get_image(RG, GAL, "img1").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn identifier_parts_have_their_length_and_character_limits() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let long = |n: usize| "a".repeat(n);
    let refused = [
        ("publisher", long(129)),
        ("offer", long(65)),
        ("sku", long(65)),
        ("publisher", String::new()),
        ("offer", "with space".to_string()),
        ("sku", "ends.".to_string()),
        ("publisher", "slash/ed".to_string()),
    ];
    for (part, value) in refused {
        let mut body = contoso();
        body["properties"]["identifier"][part] = json!(value);
        let reply = emu.put_image(RG, GAL, "img1", body).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(
            error["target"],
            format!("galleryImage.properties.identifier.{part}"),
            "{part} = {value:?}"
        );
    }
    let accepted = [
        ("a", long(128), long(64), long(64)),
        (
            "b",
            "Pub-1.x_y".to_string(),
            "O_2".to_string(),
            "s-3.0".to_string(),
        ),
    ];
    for (name, publisher, offer, sku) in accepted {
        let created = emu
            .create_image(
                RG,
                GAL,
                name,
                image_body("westus", &publisher, &offer, &sku),
            )
            .await;
        assert_eq!(created["properties"]["identifier"]["publisher"], publisher);
        assert_eq!(created["properties"]["identifier"]["sku"], sku);
    }
}

#[tokio::test]
async fn an_end_of_life_date_in_the_past_is_refused() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let mut body = contoso();
    body["properties"]["endOfLifeDate"] = json!("2020-01-01T00:00:00Z");
    let reply = emu.put_image(RG, GAL, "img1", body).await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "galleryImage.properties.endOfLifeDate");
    assert_eq!(
        error["message"],
        "EndOfLifeDate must be set to a future date."
    );
    let mut body = contoso();
    body["properties"]["endOfLifeDate"] = json!("not a date");
    let reply = emu.put_image(RG, GAL, "img1", body).await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    assert_eq!(error["target"], "properties.endOfLifeDate");
}

#[tokio::test]
async fn a_recommended_minimum_above_its_maximum_is_refused() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    for (range, target) in [
        ("vCPUs", "galleryImage.properties.recommended.vCPUs"),
        ("memory", "galleryImage.properties.recommended.memory"),
    ] {
        let mut body = contoso();
        body["properties"]["recommended"] = json!({range: {"min": 8, "max": 2}});
        let reply = emu.put_image(RG, GAL, "img1", body).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], target);
        assert_eq!(
            error["message"],
            format!(
                "The minimum value of {range} must not be greater than the maximum value of {range}."
            )
        );
    }
    // Equal bounds are fine.
    let mut body = contoso();
    body["properties"]["recommended"] = json!({"vCPUs": {"min": 4, "max": 4}});
    emu.create_image(RG, GAL, "img1", body).await;
}

#[tokio::test]
async fn an_os_type_outside_the_enum_is_invalid_request_content_naming_the_path() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let mut body = contoso();
    body["properties"]["osType"] = json!("Solaris");
    let reply = emu.put_image(RG, GAL, "img1", body).await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    assert_eq!(error["target"], "properties.osType");
    // Enums are read case-insensitively and written back canonically.
    let mut body = contoso();
    body["properties"]["osType"] = json!("linux");
    body["properties"]["osState"] = json!("GENERALIZED");
    let created = emu.create_image(RG, GAL, "img1", body).await;
    assert_eq!(created["properties"]["osType"], "Linux");
    assert_eq!(created["properties"]["osState"], "Generalized");
}

#[tokio::test]
async fn publisher_offer_and_sku_are_unique_within_a_gallery_case_insensitively() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_gallery(RG, "gal2", "westus").await;
        emu.create_image(RG, GAL, "img1", contoso()).await;

        let reply = emu
            .put_image(
                RG,
                GAL,
                "img2",
                image_body("westus", "contoso", "FINANCE", "backend"),
            )
            .await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "OperationNotAllowed");
        assert_eq!(
            error["target"],
            "galleryImage.properties.identifier",
            "{}",
            store.name()
        );
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Gallery image: img2 identified by (publisher:contoso")
                && message.ends_with(
                    "already exists. Choose a different publisher, offer, sku combination."
                ),
            "{message}"
        );
        let reply = emu.get_image(RG, GAL, "img2").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");

        // Two shared values are fine, in any position.
        for (name, p, o, s) in [
            ("img3", "Contoso", "Finance", "Frontend"),
            ("img4", "Contoso", "Sales", "Backend"),
            ("img5", "Fabrikam", "Finance", "Backend"),
        ] {
            emu.create_image(RG, GAL, name, image_body("westus", p, o, s))
                .await;
        }
        // The same triple in another gallery is fine.
        emu.create_image(RG, "gal2", "img1", contoso()).await;
        // Replacing the definition that holds the triple is not a conflict with itself.
        let (status, _, body) = emu.put_image(RG, GAL, "img1", contoso()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn the_triple_of_a_deleted_definition_can_be_used_again() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    emu.create_image(RG, GAL, "img1", contoso()).await;
    let (status, _, _) = emu
        .call("DELETE", &emu.api(&image_path(RG, GAL, "img1")), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    emu.create_image(RG, GAL, "img2", contoso()).await;
}

/// (JSON pointer under `properties`, new value, target) of each property
/// that may not change.
fn immutable_changes() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("osType", json!("Windows"), "osType"),
        ("osState", json!("Specialized"), "osState"),
        ("hyperVGeneration", json!("V1"), "hyperVGeneration"),
        ("architecture", json!("x64"), "architecture"),
        (
            "identifier/publisher",
            json!("Fabrikam"),
            "identifier.publisher",
        ),
        ("identifier/offer", json!("Sales"), "identifier.offer"),
        ("identifier/sku", json!("Frontend"), "identifier.sku"),
        ("eula", json!("https://other.example/eula"), "eula"),
        (
            "privacyStatementUri",
            json!("https://other.example/p"),
            "privacyStatementUri",
        ),
        (
            "releaseNoteUri",
            json!("https://other.example/n"),
            "releaseNoteUri",
        ),
        (
            "purchasePlan",
            json!({"name": "plan2", "publisher": "contoso", "product": "finance"}),
            "purchasePlan",
        ),
        (
            "disallowed",
            json!({"diskTypes": ["Premium_LRS"]}),
            "disallowed",
        ),
    ]
}

fn set(body: &mut Value, pointer: &str, value: Value) {
    let (parent, field) = match pointer.rsplit_once('/') {
        Some((p, f)) => (format!("/properties/{p}"), f),
        None => ("/properties".to_string(), pointer),
    };
    body.pointer_mut(&parent)
        .and_then(Value::as_object_mut)
        .expect("parent object")
        .insert(field.to_string(), value);
}

#[tokio::test]
async fn a_put_that_changes_an_immutable_property_is_property_change_not_allowed() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_image(RG, GAL, "img1", full_body()).await;
        for (pointer, value, target) in immutable_changes() {
            let mut body = full_body();
            set(&mut body, pointer, value);
            let reply = emu.put_image(RG, GAL, "img1", body).await;
            let error = assert_arm_error(&reply, StatusCode::CONFLICT, "PropertyChangeNotAllowed");
            let path = format!("galleryImage.properties.{target}");
            assert_eq!(error["target"], path, "{}: {pointer}", store.name());
            assert_eq!(
                error["message"],
                format!("Changing property '{path}' is not allowed.")
            );
        }
        let (_, _, got) = emu.get_image(RG, GAL, "img1").await;
        assert_eq!(got["properties"]["osType"], "Linux");
        assert_eq!(got["properties"]["identifier"]["sku"], "Backend");
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    }
}

#[tokio::test]
async fn a_patch_that_changes_an_immutable_property_is_property_change_not_allowed() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_image(RG, GAL, "img1", full_body()).await;
        for (pointer, value, target) in immutable_changes() {
            let mut body = json!({"properties": {"identifier": {}}});
            set(&mut body, pointer, value);
            if body["properties"]["identifier"] == json!({}) {
                body["properties"]
                    .as_object_mut()
                    .expect("properties")
                    .remove("identifier");
            }
            let reply = emu
                .call(
                    "PATCH",
                    &emu.api(&image_path(RG, GAL, "img1")),
                    Some(body.clone()),
                )
                .await;
            let error = assert_arm_error(&reply, StatusCode::CONFLICT, "PropertyChangeNotAllowed");
            assert_eq!(
                error["target"],
                format!("galleryImage.properties.{target}"),
                "{}: {body}",
                store.name()
            );
        }
        // Sending the stored values back is no change.
        let (status, _, body) = emu
            .call(
                "PATCH",
                &emu.api(&image_path(RG, GAL, "img1")),
                Some(json!({"properties": {"osType": "Linux", "identifier": {"publisher": "Contoso", "offer": "Finance", "sku": "Backend"}}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn description_end_of_life_recommended_and_tags_can_be_replaced_by_put() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_image(RG, GAL, "img1", full_body()).await;
        let mut body = full_body();
        body["properties"]["description"] = json!("changed");
        body["properties"]["endOfLifeDate"] = json!("2040-06-01T00:00:00Z");
        body["properties"]["recommended"] = json!({"vCPUs": {"min": 4, "max": 8}});
        body["tags"] = json!({"env": "prod"});
        let (status, headers, replaced) = emu.put_image(RG, GAL, "img1", body).await;
        assert_eq!(status, StatusCode::OK, "{}: {replaced}", store.name());
        assert_eq!(replaced["properties"]["provisioningState"], "Updating");
        assert!(!header(&headers, "azure-asyncoperation").is_empty());
        let (_, _, got) = emu.get_image(RG, GAL, "img1").await;
        let p = &got["properties"];
        assert_eq!(p["provisioningState"], "Succeeded");
        assert_eq!(p["description"], "changed");
        assert!(
            p["endOfLifeDate"]
                .as_str()
                .is_some_and(|d| d.starts_with("2040-06-01T00:00:00")),
            "{got}"
        );
        assert_eq!(p["recommended"], json!({"vCPUs": {"min": 4, "max": 8}}));
        assert_eq!(got["tags"], json!({"env": "prod"}));

        // A PUT replaces: what it leaves out of the updatable properties is gone.
        let (status, _, _) = emu.put_image(RG, GAL, "img1", full_body()).await;
        assert_eq!(status, StatusCode::OK);
        let mut bare = full_body();
        for field in ["description", "recommended", "endOfLifeDate"] {
            bare["properties"]
                .as_object_mut()
                .expect("properties")
                .remove(field);
        }
        bare.as_object_mut().expect("body").remove("tags");
        let (status, _, replaced) = emu.put_image(RG, GAL, "img1", bare).await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        let (_, _, got) = emu.get_image(RG, GAL, "img1").await;
        for field in ["description", "recommended", "endOfLifeDate"] {
            assert!(got["properties"].get(field).is_none(), "{field}: {got}");
        }
        assert!(got.get("tags").is_none(), "{got}");
    }
}

#[tokio::test]
async fn a_patch_changes_what_it_sends_and_keeps_every_other_property() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_image(RG, GAL, "img1", full_body()).await;
        let (status, headers, patched) = emu
            .call(
                "PATCH",
                &emu.api(&image_path(RG, GAL, "img1")),
                Some(json!({"properties": {"description": "patched"}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}: {patched}", store.name());
        assert_eq!(patched["properties"]["provisioningState"], "Updating");
        assert_eq!(header(&headers, "retry-after"), "1");
        let (_, _, got) = emu.get_image(RG, GAL, "img1").await;
        let sent = full_body();
        assert_eq!(got["properties"]["description"], "patched");
        for field in [
            "eula",
            "recommended",
            "disallowed",
            "purchasePlan",
            "features",
            "identifier",
            "hyperVGeneration",
            "architecture",
        ] {
            assert_eq!(
                got["properties"][field], sent["properties"][field],
                "{field}"
            );
        }
        assert!(got["properties"]["endOfLifeDate"].is_string(), "{got}");
        assert_eq!(got["tags"], sent["tags"]);

        // Tags, end of life and recommended ranges by PATCH.
        let (status, _, _) = emu
            .call(
                "PATCH",
                &emu.api(&image_path(RG, GAL, "img1")),
                Some(json!({
                    "tags": {"only": "this"},
                    "properties": {
                        "endOfLifeDate": "2045-01-01T00:00:00Z",
                        "recommended": {"memory": {"min": 1024, "max": 2048}}
                    }
                })),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, got) = emu.get_image(RG, GAL, "img1").await;
        assert_eq!(got["tags"], json!({"only": "this"}));
        assert_eq!(
            got["properties"]["recommended"],
            json!({"memory": {"min": 1024, "max": 2048}})
        );
        assert!(
            got["properties"]["endOfLifeDate"]
                .as_str()
                .is_some_and(|d| d.starts_with("2045-01-01")),
            "{got}"
        );
        assert_eq!(got["properties"]["description"], "patched");

        // Updates are validated like creates.
        let reply = emu
            .call(
                "PATCH",
                &emu.api(&image_path(RG, GAL, "img1")),
                Some(json!({"properties": {"endOfLifeDate": "2001-01-01T00:00:00Z"}})),
            )
            .await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], "galleryImage.properties.endOfLifeDate");
        let reply = emu
            .call(
                "PATCH",
                &emu.api(&image_path(RG, GAL, "img1")),
                Some(json!({"properties": {"recommended": {"vCPUs": {"min": 9, "max": 1}}}})),
            )
            .await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], "galleryImage.properties.recommended.vCPUs");
    }
}

#[tokio::test]
async fn patching_a_missing_definition_is_resource_not_found() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    let reply = emu
        .call(
            "PATCH",
            &emu.api(&image_path(RG, GAL, "nothere")),
            Some(json!({"properties": {"description": "x"}})),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("galleries/gal1/images/nothere")),
        "{error}"
    );
}

#[tokio::test]
async fn features_change_only_when_allow_update_image_is_sent() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        let mut body = contoso();
        body["properties"]["hyperVGeneration"] = json!("V2");
        body["properties"]["features"] =
            json!([{"name": "SecurityType", "value": "TrustedLaunchSupported"}]);
        emu.create_image(RG, GAL, "img1", body.clone()).await;

        let features = json!([
            {"startsAtVersion": "2.0.0", "name": "DiskControllerTypes", "value": "SCSI"},
            {"startsAtVersion": "2.0.0", "name": "SecurityType", "value": "TrustedLaunch"}
        ]);
        let mut changed = body.clone();
        changed["properties"]["features"] = features.clone();
        let reply = emu.put_image(RG, GAL, "img1", changed.clone()).await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "PropertyChangeNotAllowed");
        assert_eq!(
            error["target"],
            "galleryImage.properties.features",
            "{}",
            store.name()
        );
        let reply = emu
            .call(
                "PATCH",
                &emu.api(&image_path(RG, GAL, "img1")),
                Some(json!({"properties": {"features": features}})),
            )
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "PropertyChangeNotAllowed");

        changed["properties"]["allowUpdateImage"] = json!(true);
        let (status, _, replaced) = emu.put_image(RG, GAL, "img1", changed).await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        assert_eq!(replaced["properties"]["features"], features);
        assert!(replaced["properties"].get("allowUpdateImage").is_none());
        let (_, _, got) = emu.get_image(RG, GAL, "img1").await;
        assert_eq!(got["properties"]["features"], features);
    }
}

#[tokio::test]
async fn definitions_are_listed_by_gallery_page_by_page() {
    for store in Store::all() {
        let emu = with_gallery(&store, &["--page-size", "2"]).await;
        emu.create_gallery(RG, "other", "westus").await;
        emu.create_image(RG, "other", "elsewhere", contoso()).await;
        let mut names: Vec<String> = (0..5).map(|i| format!("img{i}")).collect();
        for name in &names {
            emu.create_image(RG, GAL, name, image_body("westus", "p", "o", name))
                .await;
        }
        let pages = emu.pages(&emu.api(&images_in(RG, GAL))).await;
        assert_eq!(pages.len(), 3, "{}: {pages:?}", store.name());
        for page in &pages[..2] {
            assert_eq!(page["value"].as_array().map(Vec::len), Some(2));
            assert!(page["nextLink"].is_string());
        }
        let items = emu.list_all(&emu.api(&images_in(RG, GAL))).await;
        let mut listed: Vec<String> = items
            .iter()
            .map(|i| i["name"].as_str().expect("name").to_string())
            .collect();
        listed.sort();
        names.sort();
        assert_eq!(listed, names);
        for item in &items {
            assert_eq!(item["type"], "Microsoft.Compute/galleries/images");
            assert_eq!(item["properties"]["provisioningState"], "Succeeded");
            assert_eq!(item["properties"]["osType"], "Linux");
            assert_eq!(
                item["id"],
                image_path(RG, GAL, item["name"].as_str().unwrap_or_default())
            );
        }
        let reply = emu
            .call("GET", &emu.api(&images_in(RG, "missing")), None)
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let (status, _, empty) = emu
            .call("GET", &emu.api(&images_in(RG, "other")), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(empty["value"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn a_definition_under_a_missing_gallery_is_parent_resource_not_found() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let reply = emu.put_image(RG, "nogallery", "img1", contoso()).await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ParentResourceNotFound");
        assert_eq!(
            error["message"],
            "Can not perform requested operation on nested resource. Parent resource 'nogallery' not found.",
            "{}",
            store.name()
        );
    }
}

#[tokio::test]
async fn an_invalid_definition_name_is_refused_naming_it() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    for name in ["-starts", "ends.", "has%20space"] {
        let reply = emu.put_image(RG, GAL, name, contoso()).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], "galleryImageName", "{name}");
    }
}

#[tokio::test]
async fn the_location_of_a_definition_cannot_change() {
    let emu = with_gallery(&Store::sqlite(), &[]).await;
    emu.create_image(RG, GAL, "img1", contoso()).await;
    let reply = emu
        .put_image(
            RG,
            GAL,
            "img1",
            image_body("eastus", "Contoso", "Finance", "Backend"),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::CONFLICT, "InvalidResourceLocation");
    assert_eq!(error["target"], "location");
}

#[tokio::test]
async fn a_gallery_with_definitions_cannot_be_deleted_until_they_are() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_image(RG, GAL, "img1", contoso()).await;
        let reply = emu
            .call("DELETE", &emu.api(&gallery_path(RG, GAL)), None)
            .await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "CannotDeleteResource");
        assert_eq!(
            error["message"],
            "Can not delete resource before nested resources are deleted.",
            "{}",
            store.name()
        );
        let (status, _, got) = emu.get_gallery(RG, GAL).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");

        let (status, _, _) = emu
            .call("DELETE", &emu.api(&image_path(RG, GAL, "img1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (status, _, body) = emu
            .call("DELETE", &emu.api(&gallery_path(RG, GAL)), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let reply = emu.get_gallery(RG, GAL).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn the_image_quota_counts_definitions_per_subscription_and_region() {
    for store in Store::all() {
        let emu = with_gallery(&store, &["--image-quota", "2"]).await;
        emu.create_gallery(RG, "galeast", "eastus").await;
        emu.create_image(RG, GAL, "img1", image_body("westus", "p", "o", "1"))
            .await;
        emu.create_image(RG, GAL, "img2", image_body("westus", "p", "o", "2"))
            .await;
        let reply = emu
            .put_image(RG, GAL, "img3", image_body("westus", "p", "o", "3"))
            .await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("westus") && message.contains("Current Limit: 2"),
            "{}: {message}",
            store.name()
        );
        let reply = emu.get_image(RG, GAL, "img3").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        // Replacing one that exists claims nothing.
        let (status, _, _) = emu
            .put_image(RG, GAL, "img2", image_body("westus", "p", "o", "2"))
            .await;
        assert_eq!(status, StatusCode::OK);
        // Another region has its own count.
        emu.create_image(RG, "galeast", "img3", image_body("eastus", "p", "o", "3"))
            .await;
        // A delete frees its place.
        let (status, _, _) = emu
            .call("DELETE", &emu.api(&image_path(RG, GAL, "img1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        emu.create_image(RG, GAL, "img4", image_body("westus", "p", "o", "4"))
            .await;
    }
}

#[tokio::test]
async fn deleting_a_definition_answers_202_with_both_monitors_and_then_it_is_gone() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        emu.create_image(RG, GAL, "img1", contoso()).await;
        let (status, headers, body) = emu
            .call("DELETE", &emu.api(&image_path(RG, GAL, "img1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}: {body}", store.name());
        assert_eq!(body, Value::Null);
        assert_eq!(header(&headers, "retry-after"), "1");
        let location = header(&headers, "location").to_string();
        assert!(location.contains("monitor=true"), "{location}");
        let async_url = header(&headers, "azure-asyncoperation").to_string();
        assert!(async_url.contains("/capsOperations/"), "{async_url}");
        let (status, _, _) = emu.call("GET", &location, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, _, op) = emu.call("GET", &async_url, None).await;
        assert_eq!(op["status"], "Succeeded");
        let reply = emu.get_image(RG, GAL, "img1").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let (status, _, _) = emu
            .call("DELETE", &emu.api(&image_path(RG, GAL, "img1")), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "a second delete");
    }
}

#[tokio::test]
async fn the_az_cli_feature_update_recording_replays() {
    // test_gallery_image_definition_update_features.yaml: create at 2021-10-01,
    // then replace the features at 2024-03-03 with allowUpdateImage.
    let emu = Emulator::start(&[]);
    emu.create_gallery(RG, GAL, "eastus2euap").await;
    let path = image_path(RG, GAL, "image1");
    let (status, _, created) = emu
        .call(
            "PUT",
            &emu.api_at(&path, "2021-10-01"),
            Some(
                json!({"location": "eastus2euap", "properties": {"disallowed": {}, "features":
                [{"name": "SecurityType", "value": "TrustedLaunchSupported"}], "hyperVGeneration":
                "V2", "identifier": {"offer": "offer1", "publisher": "publisher1", "sku": "sku1"},
                "osState": "Generalized", "osType": "Linux"}, "tags": {}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["tags"], json!({}));
    assert_eq!(created["location"], "eastus2euap");
    let p = &created["properties"];
    assert_eq!(p["architecture"], "x64");
    assert_eq!(p["hyperVGeneration"], "V2");
    assert_eq!(
        p["features"],
        json!([{"name": "SecurityType", "value": "TrustedLaunchSupported"}])
    );
    assert!(
        p.get("disallowed").is_none(),
        "an empty disallowed is left out: {created}"
    );
    assert_eq!(p["provisioningState"], "Creating");

    let (status, headers, replaced) = emu
        .call(
            "PUT",
            &emu.api_at(&path, "2024-03-03"),
            Some(json!({"location": "eastus2euap", "properties": {"allowUpdateImage": true, "architecture":
                "x64", "features": [{"name": "DiskControllerTypes", "startsAtVersion": "2.0.0",
                "value": "SCSI"}, {"name": "SecurityType", "startsAtVersion": "2.0.0", "value":
                "TrustedLaunch"}], "hyperVGeneration": "V2", "identifier": {"offer": "offer1",
                "publisher": "publisher1", "sku": "sku1"}, "osState": "Generalized", "osType":
                "Linux"}, "tags": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert!(header(&headers, "azure-asyncoperation").contains("api-version=2024-03-03"));
    let expected = json!([
        {"startsAtVersion": "2.0.0", "name": "DiskControllerTypes", "value": "SCSI"},
        {"startsAtVersion": "2.0.0", "name": "SecurityType", "value": "TrustedLaunch"}
    ]);
    assert_eq!(replaced["properties"]["features"], expected);
    assert_eq!(replaced["properties"]["provisioningState"], "Updating");
    assert!(replaced["properties"].get("allowUpdateImage").is_none());
    let (_, _, got) = emu
        .call("GET", &emu.api_at(&path, "2024-03-03"), None)
        .await;
    assert_eq!(got["properties"]["features"], expected);
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn concurrent_creates_of_one_triple_leave_exactly_one_definition() {
    for store in Store::all() {
        let emu = with_gallery(&store, &[]).await;
        let requests = (0..6)
            .map(|i| {
                (
                    "PUT",
                    emu.api(&image_path(RG, GAL, &format!("race{i}"))),
                    Some(contoso()),
                )
            })
            .collect();
        let replies = emu.concurrently(requests).await;
        let created = replies
            .iter()
            .filter(|r| r.0 == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "{}: {replies:?}", store.name());
        for reply in replies.iter().filter(|r| r.0 != StatusCode::CREATED) {
            assert_arm_error(reply, StatusCode::CONFLICT, "OperationNotAllowed");
        }
        let items = emu.list_all(&emu.api(&images_in(RG, GAL))).await;
        assert_eq!(items.len(), 1);
    }
}

#[tokio::test]
async fn concurrent_creates_cannot_exceed_the_image_quota() {
    for store in Store::all() {
        let emu = with_gallery(&store, &["--image-quota", "2"]).await;
        let requests = (0..6)
            .map(|i| {
                let name = format!("q{i}");
                let body = image_body("westus", "p", "o", &name);
                ("PUT", emu.api(&image_path(RG, GAL, &name)), Some(body))
            })
            .collect();
        let replies = emu.concurrently(requests).await;
        let created = replies
            .iter()
            .filter(|r| r.0 == StatusCode::CREATED)
            .count();
        assert_eq!(created, 2, "{}: {replies:?}", store.name());
        for reply in replies.iter().filter(|r| r.0 != StatusCode::CREATED) {
            assert_arm_error(reply, StatusCode::CONFLICT, "QuotaExceeded");
        }
        let items = emu.list_all(&emu.api(&images_in(RG, GAL))).await;
        assert_eq!(items.len(), 2);
    }
}
