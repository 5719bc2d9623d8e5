//! Sources of image versions: the minimal `Microsoft.Compute` disks,
//! snapshots and managed images (PUT, GET, list, DELETE), and the checks a
//! version's sources go through: region, OS type and state, Hyper-V
//! generation, size, kind, unknown ids and `--strict-sources` (issue 3, rule 6).

use crate::common::*;

const RG: &str = "rg1";
const SRC: &str = "sources";
const GAL: &str = "gal1";
const IMG: &str = "img1";

const IMAGE_API: &str = "2024-11-01";

/// A disk or snapshot body.
fn disk_body(location: &str, os_type: &str, generation: &str, size_gb: i64, create: &str) -> Value {
    json!({
        "location": location,
        "tags": {"kind": "source"},
        "properties": {
            "osType": os_type,
            "hyperVGeneration": generation,
            "diskSizeGB": size_gb,
            "creationData": {"createOption": create}
        }
    })
}

/// A managed image body with an OS disk and one data disk at LUN 0.
fn managed_image_body(location: &str, os_state: &str, generation: &str, os_gb: i64) -> Value {
    json!({
        "location": location,
        "properties": {
            "hyperVGeneration": generation,
            "storageProfile": {
                "osDisk": {"osType": "Linux", "osState": os_state, "diskSizeGB": os_gb},
                "dataDisks": [{"lun": 0, "diskSizeGB": 20}]
            }
        }
    })
}

/// An emulator with gallery `gal1` and definition `img1` in westus: Linux,
/// generalized, generation V2 (the default at the current api-version).
async fn with_definition(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    emu.create_gallery(RG, GAL, "westus").await;
    let created = emu
        .create_image(
            RG,
            GAL,
            IMG,
            image_body("westus", "Contoso", "Finance", "Backend"),
        )
        .await;
    assert_eq!(created["properties"]["hyperVGeneration"], "V2");
    emu
}

async fn managed_image(emu: &Emulator, name: &str, body: Value) -> String {
    let (status, _, got) = emu
        .call(
            "PUT",
            &emu.api_at(&compute_path(SRC, "images", name), IMAGE_API),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{got}");
    got["id"].as_str().expect("id").to_string()
}

fn disks_body(location: &str, os_id: &str, data: &[(i64, &str)]) -> Value {
    let data: Vec<Value> = data
        .iter()
        .map(|(lun, id)| json!({"lun": lun, "source": {"id": id}}))
        .collect();
    json!({
        "location": location,
        "properties": {"storageProfile": {
            "osDiskImage": {"source": {"id": os_id}},
            "dataDiskImages": data
        }}
    })
}

fn refused(reply: &Reply, status: StatusCode, code: &str) -> String {
    let error = assert_arm_error(reply, status, code);
    assert_eq!(error["target"], "storageProfile", "{error}");
    error["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn disks_snapshots_and_managed_images_can_be_created_read_listed_and_deleted() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &[]);
        let cases = [
            (
                "disks",
                "Microsoft.Compute/disks",
                COMPUTE_API,
                disk_body("westus", "Linux", "V2", 64, "Empty"),
            ),
            (
                "snapshots",
                "Microsoft.Compute/snapshots",
                COMPUTE_API,
                disk_body("West US", "Windows", "V1", 128, "Copy"),
            ),
            (
                "images",
                "Microsoft.Compute/images",
                IMAGE_API,
                managed_image_body("westus", "Generalized", "V2", 100),
            ),
        ];
        for (kind, type_name, api, body) in cases {
            let url = emu.api_at(&compute_path(SRC, kind, "src1"), api);
            let (status, _, created) = emu.call("PUT", &url, Some(body.clone())).await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "{} {kind}: {created}",
                store.name()
            );
            assert_eq!(created["id"], compute_path(SRC, kind, "src1"));
            assert_eq!(created["type"], type_name);
            assert_eq!(created["location"], "westus");

            let (status, _, got) = emu.call("GET", &url, None).await;
            assert_eq!(status, StatusCode::OK, "{kind}: {got}");
            assert_eq!(got["properties"]["provisioningState"], "Succeeded");
            if kind == "images" {
                let os = &got["properties"]["storageProfile"]["osDisk"];
                assert_eq!(os["osType"], "Linux");
                assert_eq!(os["osState"], "Generalized");
                assert_eq!(os["diskSizeGB"], 100);
                assert_eq!(got["properties"]["hyperVGeneration"], "V2");
                assert_eq!(
                    got["properties"]["storageProfile"]["dataDisks"][0]["diskSizeGB"],
                    20
                );
            } else {
                let p = &got["properties"];
                assert_eq!(p["osType"], body["properties"]["osType"], "{kind}");
                assert_eq!(
                    p["hyperVGeneration"],
                    body["properties"]["hyperVGeneration"]
                );
                assert_eq!(p["diskSizeGB"], body["properties"]["diskSizeGB"]);
                assert_eq!(
                    p["creationData"]["createOption"],
                    body["properties"]["creationData"]["createOption"]
                );
                assert_eq!(got["tags"], json!({"kind": "source"}));
            }

            let list = emu.api_at(
                &format!("{}/providers/Microsoft.Compute/{kind}", rg_path(SRC)),
                api,
            );
            let items = emu.list_all(&list).await;
            assert_eq!(ids(&items), [compute_path(SRC, kind, "src1")], "{kind}");

            let (status, headers, _) = emu.call("DELETE", &url, None).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{kind}");
            assert!(!header(&headers, "location").is_empty());
            let reply = emu.call("GET", &url, None).await;
            assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
            assert!(emu.list_all(&list).await.is_empty(), "{kind}");
        }
    }
}

#[tokio::test]
async fn a_source_without_its_required_parts_is_refused() {
    let emu = Emulator::start(&[]);
    let reply = emu
        .put_source(
            SRC,
            "disks",
            "d1",
            json!({"location": "westus", "properties": {"diskSizeGB": 10}}),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "properties.creationData.createOption");
    let reply = emu
        .call(
            "PUT",
            &emu.api_at(&compute_path(SRC, "images", "m1"), IMAGE_API),
            Some(json!({"location": "westus", "properties": {"storageProfile": {}}})),
        )
        .await;
    let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(error["target"], "properties.storageProfile.osDisk");
    let reply = emu
        .put_source(
            SRC,
            "snapshots",
            "s1",
            json!({"properties": {"creationData": {"createOption": "Empty"}}}),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "LocationRequired");
}

#[tokio::test]
async fn a_version_from_a_managed_image_reports_the_images_disk_sizes() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        let id = managed_image(
            &emu,
            "base",
            managed_image_body("westus", "Generalized", "V2", 100),
        )
        .await;
        let created = emu
            .create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
            .await;
        assert_eq!(
            created["properties"]["storageProfile"]["source"]["id"],
            id.as_str()
        );
        let (_, _, got) = emu.get_version(RG, GAL, IMG, "1.0.0").await;
        let storage = &got["properties"]["storageProfile"];
        assert_eq!(storage["source"]["id"], id.as_str(), "{}", store.name());
        assert_eq!(storage["osDiskImage"]["sizeInGB"], 100, "{got}");
        let data = storage["dataDiskImages"].as_array().expect("data disks");
        assert_eq!(data.len(), 1, "{got}");
        assert_eq!(data[0]["lun"], 0);
        assert_eq!(data[0]["sizeInGB"], 20);
    }
}

#[tokio::test]
async fn a_version_from_snapshots_reports_the_size_of_each_disk() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        let os = emu
            .create_source(
                SRC,
                "snapshots",
                "os",
                disk_body("westus", "Linux", "V2", 64, "Copy"),
            )
            .await;
        let data = emu
            .create_source(
                SRC,
                "disks",
                "data",
                json!({"location": "westus", "properties": {"diskSizeGB": 256, "creationData": {"createOption": "Empty"}}}),
            )
            .await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            disks_body("westus", &os, &[(3, &data)]),
        )
        .await;
        let (_, _, got) = emu.get_version(RG, GAL, IMG, "1.0.0").await;
        let storage = &got["properties"]["storageProfile"];
        assert_eq!(
            storage["osDiskImage"]["sizeInGB"],
            64,
            "{}: {got}",
            store.name()
        );
        assert_eq!(storage["osDiskImage"]["source"]["id"], os.as_str());
        assert_eq!(storage["dataDiskImages"][0]["lun"], 3);
        assert_eq!(storage["dataDiskImages"][0]["sizeInGB"], 256);
        assert_eq!(storage["dataDiskImages"][0]["source"]["id"], data.as_str());
        assert!(storage.get("source").is_none(), "{got}");
    }
}

#[tokio::test]
async fn a_known_source_in_another_region_is_not_found() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        let id = managed_image(
            &emu,
            "east",
            managed_image_body("eastus", "Generalized", "V2", 30),
        )
        .await;
        let reply = emu
            .put_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
            .await;
        let message = refused(&reply, StatusCode::NOT_FOUND, "NotFound");
        assert_eq!(
            message,
            format!(
                "Source {id} is not found. Please check source exists, and is in the same region as gallery image version being created."
            ),
            "{}",
            store.name()
        );
        let snap = emu
            .create_source(
                SRC,
                "snapshots",
                "east",
                disk_body("eastus", "Linux", "V2", 30, "Copy"),
            )
            .await;
        let reply = emu
            .put_version(RG, GAL, IMG, "1.0.0", disks_body("westus", &snap, &[]))
            .await;
        refused(&reply, StatusCode::NOT_FOUND, "NotFound");
    }
}

#[tokio::test]
async fn a_source_of_another_os_type_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let snap = emu
        .create_source(
            SRC,
            "snapshots",
            "win",
            disk_body("westus", "Windows", "V2", 30, "Copy"),
        )
        .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", disks_body("westus", &snap, &[]))
        .await;
    let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(
        message,
        format!(
            "The resource with id '{snap}' has a different OS type ['Windows'] than the parent gallery image OS type generation ['Linux']"
        )
    );
}

#[tokio::test]
async fn a_specialized_source_for_a_generalized_definition_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let id = managed_image(
        &emu,
        "special",
        managed_image_body("westus", "Specialized", "V2", 30),
    )
    .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
        .await;
    let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(
        message,
        format!(
            "Cannot create Gallery Image Version from: {id} since the OS State in the parent gallery image (Generalized) is not Specialized."
        )
    );
}

#[tokio::test]
async fn a_source_of_another_hyper_v_generation_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let snap = emu
        .create_source(
            SRC,
            "snapshots",
            "gen1",
            disk_body("westus", "Linux", "V1", 30, "Copy"),
        )
        .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", disks_body("westus", &snap, &[]))
        .await;
    let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(
        message,
        format!(
            "The resource with id '{snap}' has a different Hypervisor generation ['V1'] than the parent gallery image Hypervisor generation ['V2']"
        )
    );
    let id = managed_image(
        &emu,
        "gen1",
        managed_image_body("westus", "Generalized", "V1", 30),
    )
    .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
        .await;
    refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
}

#[tokio::test]
async fn a_source_disk_larger_than_one_terabyte_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let big = emu
        .create_source(
            SRC,
            "snapshots",
            "big",
            disk_body("westus", "Linux", "V2", 1025, "Copy"),
        )
        .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", disks_body("westus", &big, &[]))
        .await;
    let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert!(
        message.contains("1025") && message.contains("1024"),
        "{message}"
    );
    // A data disk counts as much as the OS disk.
    let os = emu
        .create_source(
            SRC,
            "snapshots",
            "os",
            disk_body("westus", "Linux", "V2", 30, "Copy"),
        )
        .await;
    let id = managed_image(
        &emu,
        "bigdata",
        json!({"location": "westus", "properties": {"hyperVGeneration": "V2", "storageProfile": {
            "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30},
            "dataDisks": [{"lun": 0, "diskSizeGB": 2048}]
        }}}),
    )
    .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
        .await;
    refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    // Exactly one terabyte is within the limit.
    let edge = emu
        .create_source(
            SRC,
            "snapshots",
            "edge",
            disk_body("westus", "Linux", "V2", 1024, "Copy"),
        )
        .await;
    emu.create_version(
        RG,
        GAL,
        IMG,
        "1.0.0",
        disks_body("westus", &os, &[(0, &edge)]),
    )
    .await;
}

#[tokio::test]
async fn a_snapshot_as_the_whole_source_or_a_managed_image_as_a_disk_source_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let snap = emu
        .create_source(
            SRC,
            "snapshots",
            "snap",
            disk_body("westus", "Linux", "V2", 30, "Copy"),
        )
        .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", version_body("westus", &snap))
        .await;
    let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(
        message,
        format!(
            "The source id: {snap} must either be a managed image, virtual machine or another gallery image version"
        )
    );
    let id = managed_image(
        &emu,
        "img",
        managed_image_body("westus", "Generalized", "V2", 30),
    )
    .await;
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", disks_body("westus", &id, &[]))
        .await;
    let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    assert_eq!(
        message,
        format!("The source id: {id} must be a managed disk or snapshot.")
    );
}

#[tokio::test]
async fn an_unknown_source_is_taken_on_trust_with_the_configured_default_size() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--default-source-size-gb", "77"]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            version_body("westus", &unknown_image_id("ghost")),
        )
        .await;
        let snapshot = compute_path("elsewhere", "snapshots", "ghost");
        emu.create_version(RG, GAL, IMG, "1.0.1", disks_body("westus", &snapshot, &[]))
            .await;
        for v in ["1.0.0", "1.0.1"] {
            let (_, _, got) = emu.get_version(RG, GAL, IMG, v).await;
            assert_eq!(
                got["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"],
                77,
                "{}: {got}",
                store.name()
            );
        }
    }
}

#[tokio::test]
async fn with_strict_sources_an_unknown_source_is_not_found_and_a_known_one_works() {
    let emu = with_definition(&Store::sqlite(), &["--strict-sources"]).await;
    let ghost = unknown_image_id("ghost");
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", version_body("westus", &ghost))
        .await;
    let message = refused(&reply, StatusCode::NOT_FOUND, "NotFound");
    assert!(message.contains(&ghost), "{message}");
    let snapshot = compute_path("elsewhere", "snapshots", "ghost");
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.0", disks_body("westus", &snapshot, &[]))
        .await;
    refused(&reply, StatusCode::NOT_FOUND, "NotFound");

    let id = managed_image(
        &emu,
        "real",
        managed_image_body("westus", "Generalized", "V2", 40),
    )
    .await;
    emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
        .await;
    // A deleted source is unknown again.
    let (status, _, _) = emu
        .call(
            "DELETE",
            &emu.api_at(&compute_path(SRC, "images", "real"), IMAGE_API),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let reply = emu
        .put_version(RG, GAL, IMG, "1.0.1", version_body("westus", &id))
        .await;
    refused(&reply, StatusCode::NOT_FOUND, "NotFound");
}

#[tokio::test]
async fn a_source_id_is_matched_case_insensitively() {
    let emu = with_definition(&Store::sqlite(), &["--strict-sources"]).await;
    let id = managed_image(
        &emu,
        "base",
        managed_image_body("westus", "Generalized", "V2", 55),
    )
    .await;
    // ARM ids are case-insensitive past the leading `/subscriptions/`.
    let shouted = id
        .replace("resourceGroups/sources", "RESOURCEGROUPS/Sources")
        .replace(
            "Microsoft.Compute/images/base",
            "microsoft.compute/IMAGES/BASE",
        );
    assert_ne!(shouted, id);
    emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &shouted))
        .await;
    emu.create_version(
        RG,
        GAL,
        IMG,
        "1.0.1",
        version_body("westus", &id.to_uppercase()),
    )
    .await;
    for v in ["1.0.0", "1.0.1"] {
        let (_, _, got) = emu.get_version(RG, GAL, IMG, v).await;
        assert_eq!(
            got["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"], 55,
            "{got}"
        );
    }
}

#[tokio::test]
async fn another_image_version_can_be_the_source() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--strict-sources"]).await;
        let id = managed_image(
            &emu,
            "base",
            managed_image_body("westus", "Generalized", "V2", 90),
        )
        .await;
        emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &id))
            .await;
        emu.create_image(
            RG,
            GAL,
            "img2",
            image_body("westus", "Contoso", "Finance", "Copy"),
        )
        .await;
        let from = version_path(RG, GAL, IMG, "1.0.0");
        emu.create_version(RG, GAL, "img2", "2.0.0", version_body("westus", &from))
            .await;
        let (_, _, got) = emu.get_version(RG, GAL, "img2", "2.0.0").await;
        let storage = &got["properties"]["storageProfile"];
        assert_eq!(storage["source"]["id"], from.as_str(), "{}", store.name());
        assert_eq!(storage["osDiskImage"]["sizeInGB"], 90, "{got}");
        assert_eq!(storage["dataDiskImages"][0]["sizeInGB"], 20, "{got}");

        // The source version's definition must match the new one's.
        let mut windows = image_body("westus", "Contoso", "Finance", "Win");
        windows["properties"]["osType"] = json!("Windows");
        emu.create_image(RG, GAL, "win", windows).await;
        let reply = emu
            .put_version(RG, GAL, "win", "1.0.0", version_body("westus", &from))
            .await;
        let message = refused(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert!(message.contains("different OS type"), "{message}");
    }
}

#[tokio::test]
async fn an_image_version_can_be_the_source_in_a_region_it_is_replicated_to() {
    let emu = Emulator::start(&["--strict-sources"]);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
        .await;
    emu.create_version(
        RG,
        GAL,
        IMG,
        "1.0.0",
        version_body_in("westus", &held_image(&emu).await, &["westus", "eastus"]),
    )
    .await;
    emu.create_gallery(RG, "galeast", "eastus").await;
    emu.create_image(RG, "galeast", IMG, image_body("eastus", "p", "o", "s"))
        .await;
    let from = version_path(RG, GAL, IMG, "1.0.0");
    let (status, _, body) = emu
        .put_version(RG, "galeast", IMG, "1.0.0", version_body("eastus", &from))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// A managed image in westus the emulator holds (for `--strict-sources`).
async fn held_image(emu: &Emulator) -> String {
    managed_image(
        emu,
        "held",
        managed_image_body("westus", "Generalized", "V2", 30),
    )
    .await
}

#[tokio::test]
async fn the_quickstart_version_template_body_is_accepted_with_its_host_caching() {
    // sig-image-version-create/azuredeploy.json, parameters filled in.
    let emu = with_definition(&Store::sqlite(), &["--strict-sources"]).await;
    let id = managed_image(
        &emu,
        "base",
        managed_image_body("westus", "Generalized", "V2", 64),
    )
    .await;
    let body = json!({
        "location": "westus",
        "properties": {
            "publishingProfile": {"replicaCount": 1, "targetRegions": [{"name": "westus"}]},
            "storageProfile": {"source": {"id": id}, "osDiskImage": {"hostCaching": "ReadWrite"}}
        }
    });
    let (status, _, created) = emu
        .call(
            "PUT",
            &emu.api_at(&version_path(RG, GAL, IMG, "1.0.0"), "2020-09-30"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, _, got) = emu.get_version(RG, GAL, IMG, "1.0.0").await;
    let os = &got["properties"]["storageProfile"]["osDiskImage"];
    assert_eq!(os["hostCaching"], "ReadWrite", "{got}");
    assert_eq!(os["sizeInGB"], 64);
    // Without one, the OS disk reports ReadOnly, as Azure does.
    emu.create_version(RG, GAL, IMG, "1.0.1", version_body("westus", &id))
        .await;
    let (_, _, got) = emu.get_version(RG, GAL, IMG, "1.0.1").await;
    assert_eq!(
        got["properties"]["storageProfile"]["osDiskImage"]["hostCaching"],
        "ReadOnly"
    );
}

#[tokio::test]
async fn operations_on_disks_snapshots_and_images_are_polled_with_their_own_api_version() {
    let emu = Emulator::start(&[]);
    for kind in ["disks", "snapshots"] {
        let (status, headers, _) = emu
            .put_source(
                "rg1",
                kind,
                "src1",
                disk_body("westus", "Linux", "V2", 30, "Empty"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let op = headers["azure-asyncoperation"]
            .to_str()
            .expect("header")
            .to_string();
        assert!(op.contains(&format!("api-version={COMPUTE_API}")), "{op}");
        let (status, _, body) = emu.call("GET", &op, None).await;
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert_eq!(body["status"], "Succeeded");
        let (status, headers, _) = emu
            .call(
                "DELETE",
                &emu.api_at(&compute_path("rg1", kind, "src1"), COMPUTE_API),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let monitor = headers["location"].to_str().expect("header").to_string();
        let (status, _, _) = emu.call("GET", &monitor, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{kind}");
    }
}
