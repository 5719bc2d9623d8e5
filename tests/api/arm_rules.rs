//! ARM's rules for tracked resources as galleries follow them: case-insensitive
//! paths and names, immutable location, subscription-wide gallery names,
//! per-region quotas, tag limits and gallery name rules.

use crate::common::*;

#[tokio::test]
async fn path_keywords_are_case_insensitive() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let odd = format!(
            "/SUBSCRIPTIONS/{SUB}/resourcegroups/Rg1/PROVIDERS/microsoft.compute/GALLERIES/Gal1"
        );
        let (status, _, body) = emu
            .call("PUT", &emu.api(&odd), Some(json!({"location": "westus"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", store.name());
        assert_eq!(body["id"], gallery_path("Rg1", "Gal1"));
        for path in [
            gallery_path("Rg1", "Gal1"),
            odd.clone(),
            format!(
                "/subscriptions/{SUB}/ResourceGroups/Rg1/providers/MICROSOFT.COMPUTE/galleries/Gal1"
            ),
        ] {
            let (status, _, body) = emu.call("GET", &emu.api(&path), None).await;
            assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
            assert_eq!(body["name"], "Gal1");
        }
        let list = emu
            .list_all(&emu.api(&format!(
                "/subscriptions/{SUB}/RESOURCEGROUPS/rg1/providers/Microsoft.Compute/Galleries"
            )))
            .await;
        assert_eq!(list.len(), 1);
    }
}

#[tokio::test]
async fn names_are_case_insensitive_and_keep_the_first_spelling() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        emu.create_gallery("MyRG", "MyGallery", "westus").await;
        let (status, _, body) = emu.get_gallery("myrg", "MYGALLERY").await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["name"], "MyGallery");
        assert_eq!(body["id"], gallery_path("MyRG", "MyGallery"));
        assert_eq!(
            body["properties"]["identifier"]["uniqueName"],
            format!("{SUB}-MYGALLERY")
        );

        // A PUT spelled differently updates the same gallery and keeps its spelling.
        let (status, _, body) = emu
            .put_gallery(
                "MYRG",
                "mygallery",
                json!({"location": "westus", "properties": {"description": "again"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["name"], "MyGallery");
        assert_eq!(body["id"], gallery_path("MyRG", "MyGallery"));
        let list = emu.list_all(&emu.api(&galleries_of_subscription())).await;
        assert_eq!(list.len(), 1, "{list:?}");

        // Deleting by another spelling deletes it.
        let (status, _, _) = emu
            .call("DELETE", &emu.api(&gallery_path("myRg", "myGALLERY")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let reply = emu.get_gallery("MyRG", "MyGallery").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn subscription_ids_are_case_insensitive() {
    let emu = Emulator::start(&[]);
    let upper = "ABCDEF01-2345-6789-ABCD-EF0123456789";
    let lower = upper.to_ascii_lowercase();
    let path = |sub: &str| {
        format!(
            "/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Compute/galleries/gal1"
        )
    };
    let (status, headers, body) = emu
        .call(
            "PUT",
            &emu.api(&path(upper)),
            Some(json!({"location": "westus"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, got) = emu.call("GET", &emu.api(&path(&lower)), None).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["name"], "gal1");
    let (status, _, op) = emu
        .call("GET", header(&headers, "azure-asyncoperation"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{op}");
    assert_eq!(op["status"], "Succeeded");
}

#[tokio::test]
async fn changing_the_location_of_a_gallery_is_invalid_resource_location() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let reply = emu
        .put_gallery("rg1", "gal1", json!({"location": "eastus"}))
        .await;
    let error = assert_arm_error(&reply, StatusCode::CONFLICT, "InvalidResourceLocation");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("westus") && message.contains("eastus"),
        "{message}"
    );
    // The display name of the same region is no change.
    let (status, _, body) = emu
        .put_gallery("rg1", "gal1", json!({"location": "West US"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(got["location"], "westus");
}

#[tokio::test]
async fn a_gallery_name_is_unique_within_the_subscription() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        emu.create_gallery("rg1", "shared", "westus").await;
        for (rg, name, location) in [("rg2", "shared", "westus"), ("rg2", "SHARED", "eastus")] {
            let reply = emu
                .put_gallery(rg, name, json!({"location": location}))
                .await;
            let error = assert_arm_error(&reply, StatusCode::CONFLICT, "GalleryNameNotUnique");
            assert_eq!(error["target"], "galleryName", "{}", store.name());
            let reply = emu.get_gallery(rg, name).await;
            assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        }
        // Another subscription may use the name.
        let other = "11111111-2222-3333-4444-555555555555";
        let (status, _, body) = emu
            .call(
                "PUT",
                &emu.api(&format!(
                    "/subscriptions/{other}/resourceGroups/rg2/providers/Microsoft.Compute/galleries/shared"
                )),
                Some(json!({"location": "westus"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            body["properties"]["identifier"]["uniqueName"],
            format!("{other}-SHARED")
        );
    }
}

#[tokio::test]
async fn the_gallery_quota_counts_per_region_and_a_delete_frees_a_slot() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--gallery-quota", "2"]);
        emu.create_gallery("rg1", "g1", "westus").await;
        emu.create_gallery("rg2", "g2", "West US").await;
        let reply = emu
            .put_gallery("rg1", "g3", json!({"location": "westus"}))
            .await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("westus") && message.contains('2'),
            "{}: {message}",
            store.name()
        );
        let reply = emu.get_gallery("rg1", "g3").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");

        // Updating a gallery at the quota claims nothing.
        let (status, _, body) = emu
            .put_gallery(
                "rg1",
                "g1",
                json!({"location": "westus", "properties": {"description": "d"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");

        emu.create_gallery("rg1", "g3", "eastus").await;

        let (status, _, _) = emu
            .call("DELETE", &emu.api(&gallery_path("rg1", "g1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        emu.create_gallery("rg1", "g4", "westus").await;
        let reply = emu
            .put_gallery("rg1", "g5", json!({"location": "westus"}))
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
    }
}

#[tokio::test]
async fn tags_beyond_arm_limits_are_refused_with_their_codes() {
    let emu = Emulator::start(&[]);
    let many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases = [
        (Value::Object(many), "InvalidTagCount"),
        (json!({"k".repeat(513): "v"}), "InvalidTagNameLength"),
        (json!({"k": "v".repeat(257)}), "InvalidTagValueLength"),
        (json!({"a/b": "v"}), "InvalidTagNameCharacters"),
        (json!({"a<b": "v"}), "InvalidTagNameCharacters"),
        (json!({"a?b": "v"}), "InvalidTagNameCharacters"),
    ];
    for (tags, code) in cases {
        let reply = emu
            .put_gallery("rg1", "gal1", json!({"location": "westus", "tags": tags}))
            .await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, code);
        assert_eq!(error["target"], "tags");
    }
    let reply = emu.get_gallery("rg1", "gal1").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn tags_at_the_limits_are_accepted_and_patching_past_them_is_refused() {
    let emu = Emulator::start(&[]);
    let mut fifty: serde_json::Map<String, Value> =
        (0..49).map(|i| (format!("k{i}"), json!("v"))).collect();
    fifty.insert("n".repeat(512), json!("v".repeat(256)));
    let (status, _, body) = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "tags": fifty.clone()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["tags"], Value::Object(fifty.clone()));

    let mut fifty_one = fifty.clone();
    fifty_one.insert("extra".into(), json!("v"));
    let reply = emu
        .call(
            "PATCH",
            &emu.api(&gallery_path("rg1", "gal1")),
            Some(json!({"tags": fifty_one})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidTagCount");
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(got["tags"], Value::Object(fifty));
}

#[tokio::test]
async fn invalid_gallery_names_are_invalid_parameter_on_gallery_name() {
    let emu = Emulator::start(&[]);
    let too_long = "a".repeat(81);
    for name in ["my-gallery", "_gal", "gal.", too_long.as_str(), "gal%20x"] {
        let reply = emu
            .put_gallery("rg1", name, json!({"location": "westus"}))
            .await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], "galleryName", "{name}");
    }
    let reply = emu.get_gallery("rg1", "my-gallery").await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    // The longest name and the allowed punctuation are fine.
    emu.create_gallery("rg1", &"a".repeat(80), "westus").await;
    emu.create_gallery("rg1", "g_1.v2", "westus").await;
}

#[tokio::test]
async fn invalid_resource_group_names_are_invalid_parameter() {
    let emu = Emulator::start(&[]);
    let reply = emu
        .put_gallery("rg.", "gal1", json!({"location": "westus"}))
        .await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "resourceGroupName");
}
