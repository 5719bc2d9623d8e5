//! "Latest" through the admin plane
//! (`/_emulator/latest/subscriptions/…/images/{i}[?region=]`): the highest
//! version by number that is provisioned, not excluded from latest (for the
//! version or in the asked region) and published to that region (issue 3, rule 10).

use crate::common::*;

const RG: &str = "rg1";
const GAL: &str = "gal1";
const IMG: &str = "img1";

async fn with_definition(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
        .await;
    emu
}

fn source() -> String {
    unknown_image_id("base")
}

/// Creates `version` published to `regions` (the first is its home).
async fn version(emu: &Emulator, version: &str, regions: &[&str]) {
    emu.create_version(
        RG,
        GAL,
        IMG,
        version,
        version_body_in(regions[0], &source(), regions),
    )
    .await;
}

async fn latest(emu: &Emulator, region: Option<&str>) -> Reply {
    emu.call("GET", &emu.url(&latest_path(RG, GAL, IMG, region)), None)
        .await
}

/// The name of the latest version, asserting a 200.
async fn latest_name(emu: &Emulator, region: Option<&str>) -> String {
    let (status, _, body) = latest(emu, region).await;
    assert_eq!(status, StatusCode::OK, "latest in {region:?}: {body}");
    body["name"].as_str().expect("name").to_string()
}

fn assert_none_latest(reply: &Reply) {
    let error = assert_arm_error(reply, StatusCode::NOT_FOUND, "GalleryImageNotFound");
    assert_eq!(error["target"], "imageReference", "{error}");
}

#[tokio::test]
async fn latest_is_the_highest_version_by_number_not_by_text() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        for v in ["1.9.0", "1.10.0", "1.2.3", "0.99.99"] {
            version(&emu, v, &["westus"]).await;
        }
        let (status, _, body) = latest(&emu, None).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["name"], "1.10.0");
        assert_eq!(body["id"], version_path(RG, GAL, IMG, "1.10.0"));
        assert_eq!(body["type"], "Microsoft.Compute/galleries/images/versions");
        assert_eq!(body["properties"]["provisioningState"], "Succeeded");
        assert_eq!(
            body["properties"]["replicationStatus"]["aggregatedState"],
            "Completed"
        );

        version(&emu, "1.10.1", &["westus"]).await;
        version(&emu, "9.0.0", &["westus"]).await;
        version(&emu, "10.0.0", &["westus"]).await;
        assert_eq!(latest_name(&emu, None).await, "10.0.0");
        assert_eq!(latest_name(&emu, Some("westus")).await, "10.0.0");
        assert_eq!(latest_name(&emu, Some("West US")).await, "10.0.0");
    }
}

#[tokio::test]
async fn a_version_excluded_from_latest_is_skipped_until_it_is_included_again() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        version(&emu, "1.0.0", &["westus"]).await;
        let mut body = version_body("westus", &source());
        body["properties"]["publishingProfile"] = json!({"excludeFromLatest": true});
        emu.create_version(RG, GAL, IMG, "2.0.0", body).await;
        assert_eq!(latest_name(&emu, None).await, "1.0.0", "{}", store.name());
        assert_eq!(latest_name(&emu, Some("westus")).await, "1.0.0");

        let (status, _, _) = emu
            .patch_version(
                RG,
                GAL,
                IMG,
                "2.0.0",
                json!({"properties": {"publishingProfile": {"excludeFromLatest": false}}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(latest_name(&emu, None).await, "2.0.0");
        let (status, _, _) = emu
            .patch_version(
                RG,
                GAL,
                IMG,
                "1.0.0",
                json!({"properties": {"publishingProfile": {"excludeFromLatest": true}}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(latest_name(&emu, None).await, "2.0.0");
    }
}

#[tokio::test]
async fn a_version_excluded_in_the_asked_region_is_skipped_there_only() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        version(&emu, "1.0.0", &["westus", "eastus"]).await;
        let body = json!({
            "location": "westus",
            "properties": {
                "publishingProfile": {"targetRegions": [
                    {"name": "westus"},
                    {"name": "eastus", "excludeFromLatest": true}
                ]},
                "storageProfile": {"source": {"id": source()}}
            }
        });
        emu.create_version(RG, GAL, IMG, "2.0.0", body).await;
        assert_eq!(
            latest_name(&emu, Some("eastus")).await,
            "1.0.0",
            "{}",
            store.name()
        );
        assert_eq!(latest_name(&emu, Some("East US")).await, "1.0.0");
        assert_eq!(latest_name(&emu, Some("westus")).await, "2.0.0");
        assert_eq!(latest_name(&emu, None).await, "2.0.0");
    }
}

#[tokio::test]
async fn a_version_not_published_to_the_asked_region_is_skipped() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        version(&emu, "1.0.0", &["westus", "northeurope"]).await;
        version(&emu, "2.0.0", &["westus"]).await;
        assert_eq!(
            latest_name(&emu, Some("northeurope")).await,
            "1.0.0",
            "{}",
            store.name()
        );
        assert_eq!(latest_name(&emu, Some("westus")).await, "2.0.0");
        let reply = latest(&emu, Some("japaneast")).await;
        assert_none_latest(&reply);
        let message = reply.2["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("japaneast"), "{message}");

        // Publishing 2.0.0 there makes it the latest there too.
        let (status, _, _) = emu
            .patch_version(
                RG,
                GAL,
                IMG,
                "2.0.0",
                json!({"properties": {"publishingProfile": {"targetRegions": [{"name": "westus"}, {"name": "northeurope"}]}}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(latest_name(&emu, Some("northeurope")).await, "2.0.0");
    }
}

#[tokio::test]
async fn a_version_still_being_created_is_not_latest() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        emu.create_gallery(RG, GAL, "westus").await;
        emu.settle().await;
        emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
            .await;
        emu.settle().await;
        version(&emu, "1.0.0", &["westus"]).await;
        assert_none_latest(&latest(&emu, None).await);
        emu.settle().await;
        assert_eq!(latest_name(&emu, None).await, "1.0.0", "{}", store.name());

        version(&emu, "2.0.0", &["westus"]).await;
        let (_, _, creating) = emu.get_version(RG, GAL, IMG, "2.0.0").await;
        assert_eq!(creating["properties"]["provisioningState"], "Creating");
        assert_eq!(latest_name(&emu, None).await, "1.0.0");
        assert_eq!(latest_name(&emu, Some("westus")).await, "1.0.0");
        emu.settle().await;
        assert_eq!(latest_name(&emu, None).await, "2.0.0");

        // A version being deleted is not latest any more.
        let (status, _, _) = emu
            .call(
                "DELETE",
                &emu.api(&version_path(RG, GAL, IMG, "2.0.0")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (_, _, deleting) = emu.get_version(RG, GAL, IMG, "2.0.0").await;
        assert_eq!(deleting["properties"]["provisioningState"], "Deleting");
        assert_eq!(latest_name(&emu, None).await, "1.0.0");
    }
}

#[tokio::test]
async fn a_deleted_version_is_no_longer_latest() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    version(&emu, "1.0.0", &["westus"]).await;
    version(&emu, "2.0.0", &["westus"]).await;
    let (status, _, _) = emu
        .call(
            "DELETE",
            &emu.api(&version_path(RG, GAL, IMG, "2.0.0")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(latest_name(&emu, None).await, "1.0.0");
}

#[tokio::test]
async fn without_an_eligible_version_latest_is_gallery_image_not_found() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        let reply = latest(&emu, None).await;
        assert_none_latest(&reply);
        let message = reply.2["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(IMG), "{}: {message}", store.name());

        let mut body = version_body("westus", &source());
        body["properties"]["publishingProfile"] = json!({"excludeFromLatest": true});
        emu.create_version(RG, GAL, IMG, "1.0.0", body).await;
        assert_none_latest(&latest(&emu, None).await);
        assert_none_latest(&latest(&emu, Some("westus")).await);
    }
}

#[tokio::test]
async fn latest_of_an_unknown_region_is_invalid_parameter() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    version(&emu, "1.0.0", &["westus"]).await;
    let reply = latest(&emu, Some("atlantis")).await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "region");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("atlantis")),
        "{error}"
    );
}

#[tokio::test]
async fn latest_of_a_missing_definition_or_a_malformed_id_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let url = emu.url(&latest_path(RG, GAL, "nothere", None));
    let reply = emu.call("GET", &url, None).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    let url = emu.url(&format!("/_emulator/latest{}", gallery_path(RG, GAL)));
    let reply = emu.call("GET", &url, None).await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "imageId");
}

#[tokio::test]
async fn latest_is_per_definition() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    emu.create_image(RG, GAL, "img2", image_body("westus", "p", "o", "other"))
        .await;
    version(&emu, "1.0.0", &["westus"]).await;
    emu.create_version(RG, GAL, "img2", "5.0.0", version_body("westus", &source()))
        .await;
    assert_eq!(latest_name(&emu, None).await, "1.0.0");
    let url = emu.url(&latest_path(RG, GAL, "img2", None));
    let (status, _, body) = emu.call("GET", &url, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "5.0.0");
}
