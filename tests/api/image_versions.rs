//! GalleryImageVersions_*: versions of a definition as a client sees them:
//! names, target regions and their defaults, replica limits, the storage
//! profile, replication status, what an update may change, lists, deletes,
//! parents and the quota (issue 3, rules 1, 2, 4, 5, 7–9, 11).

use crate::common::*;

const RG: &str = "rg1";
const GAL: &str = "gal1";
const IMG: &str = "img1";

/// An emulator with gallery `gal1` and definition `img1` (Linux,
/// generalized) in westus.
async fn with_definition(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_image(
        RG,
        GAL,
        IMG,
        image_body("westus", "Contoso", "Finance", "Backend"),
    )
    .await;
    emu
}

fn source() -> String {
    unknown_image_id("base")
}

async fn put(emu: &Emulator, version: &str, body: Value) -> Reply {
    emu.put_version(RG, GAL, IMG, version, body).await
}

async fn get(emu: &Emulator, version: &str) -> Reply {
    emu.get_version(RG, GAL, IMG, version).await
}

async fn patch(emu: &Emulator, version: &str, body: Value) -> Reply {
    emu.patch_version(RG, GAL, IMG, version, body).await
}

/// A westus version published to `targetRegions` as given.
fn with_regions(target_regions: Value) -> Value {
    json!({
        "location": "westus",
        "properties": {
            "publishingProfile": {"targetRegions": target_regions},
            "storageProfile": {"source": {"id": source()}}
        }
    })
}

fn refused_with(reply: &Reply, status: StatusCode, code: &str, target: &str) -> String {
    let error = assert_arm_error(reply, status, code);
    assert_eq!(error["target"], target, "{error}");
    error["message"].as_str().unwrap_or_default().to_string()
}

const PROPS: &str = "galleryImageVersion.properties";

#[tokio::test]
async fn a_version_name_must_be_three_non_negative_int32_parts() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    for bad in [
        "1.0",
        "1.0.0.0",
        "v1.0.0",
        "1.0.0-beta",
        "2147483648.0.0",
        "1..0",
        "1.0.x",
    ] {
        let reply = put(&emu, bad, version_body("westus", &source())).await;
        let message = refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "galleryImageVersionName",
        );
        assert!(
            message.contains("Major(int).Minor(int).Patch(int)"),
            "{bad}: {message}"
        );
    }
    for good in [
        "1.0.0",
        "0.0.0",
        "2147483647.2147483647.2147483647",
        "2018.12.1",
    ] {
        emu.create_version(RG, GAL, IMG, good, version_body("westus", &source()))
            .await;
    }
    let (status, _, got) = get(&emu, "2018.12.1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "2018.12.1");
}

#[tokio::test]
async fn creating_a_version_answers_201_creating_with_display_region_names_and_defaults() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        // Regions without zones, so the type is Standard_LRS whatever the strategy.
        let body = with_regions(json!([
            {"name": "westus"},
            {"name": "North Central US", "regionalReplicaCount": 2}
        ]));
        let (status, headers, created) = put(&emu, "1.0.0", body).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", store.name());
        assert_eq!(created["properties"]["provisioningState"], "Creating");
        assert_eq!(header(&headers, "retry-after"), "1");
        let op = header(&headers, "azure-asyncoperation").to_string();
        assert!(op.contains("/locations/westus/capsOperations/"), "{op}");
        assert_eq!(
            created["id"],
            version_path(RG, GAL, IMG, "1.0.0"),
            "{created}"
        );
        assert_eq!(
            created["type"],
            "Microsoft.Compute/galleries/images/versions"
        );
        assert_eq!(created["location"], "westus");

        let (_, _, op_body) = emu.call("GET", &op, None).await;
        assert_eq!(op_body["status"], "Succeeded");
        let (status, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(status, StatusCode::OK);
        for body in [&created, &got] {
            let p = &body["properties"]["publishingProfile"];
            assert_eq!(
                p["targetRegions"],
                json!([
                    {"name": "West US", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS", "excludeFromLatest": false},
                    {"name": "North Central US", "regionalReplicaCount": 2, "storageAccountType": "Standard_LRS", "excludeFromLatest": false}
                ]),
                "{body}"
            );
            assert_eq!(p["replicaCount"], 1);
            // From 2025-03-03 the default is a strategy, and each region names its type.
            assert_eq!(p["storageAccountStrategy"], "PreferStandard_ZRS");
            assert!(p.get("storageAccountType").is_none(), "{body}");
            assert_eq!(p["excludeFromLatest"], false);
            let published = p["publishedDate"].as_str().expect("publishedDate");
            assert_eq!(
                published.len(),
                "2024-01-01T00:00:00.0000000+00:00".len(),
                "{published}"
            );
            assert!(p.get("endOfLifeDate").is_none(), "{body}");
            assert_eq!(
                body["properties"]["safetyProfile"],
                json!({
                    "allowDeletionOfReplicatedLocations": false,
                    "reportedForPolicyViolation": false,
                    "blockDeletionBeforeEndOfLife": false
                })
            );
            assert_eq!(
                body["properties"]["storageProfile"]["source"]["id"],
                source()
            );
        }
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
        assert_eq!(
            got["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"], 30,
            "the default size of an unknown source: {got}"
        );
    }
}

#[tokio::test]
async fn a_regional_replica_count_falls_back_to_the_version_replica_count() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let mut body = with_regions(json!([
        {"name": "westus"},
        {"name": "eastus", "regionalReplicaCount": 5}
    ]));
    body["properties"]["publishingProfile"]["replicaCount"] = json!(3);
    let created = emu.create_version(RG, GAL, IMG, "1.0.0", body).await;
    let p = &created["properties"]["publishingProfile"];
    assert_eq!(p["replicaCount"], 3);
    assert_eq!(p["targetRegions"][0]["regionalReplicaCount"], 3);
    assert_eq!(p["targetRegions"][1]["regionalReplicaCount"], 5);
}

#[tokio::test]
async fn without_target_regions_a_version_is_published_to_its_own_region() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        let created = emu
            .create_version(RG, GAL, IMG, "1.0.0", version_body("West US", &source()))
            .await;
        assert_eq!(created["location"], "westus");
        assert_eq!(
            created["properties"]["publishingProfile"]["targetRegions"],
            json!([{"name": "West US", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS", "excludeFromLatest": false}]),
            "{}",
            store.name()
        );
        // An empty list is the same as none.
        let created = emu
            .create_version(RG, GAL, IMG, "1.0.1", with_regions(json!([])))
            .await;
        assert_eq!(
            created["properties"]["publishingProfile"]["targetRegions"][0]["name"],
            "West US"
        );
    }
}

#[tokio::test]
async fn target_regions_must_include_the_versions_own_region() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let reply = put(
        &emu,
        "1.0.0",
        with_regions(json!([{"name": "eastus"}, {"name": "northeurope"}])),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.targetRegions"),
    );
    assert!(
        message.contains("must contain the location of image version")
            && message.contains("westus"),
        "{message}"
    );
    let reply = get(&emu, "1.0.0").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn duplicate_target_regions_are_refused_in_any_spelling() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let reply = put(
        &emu,
        "1.0.0",
        with_regions(json!([{"name": "westus"}, {"name": "West US"}])),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.targetRegions"),
    );
    assert_eq!(
        message,
        "Duplicate regions are not allowed in target publishing regions."
    );
}

#[tokio::test]
async fn an_unknown_target_region_is_refused_naming_its_entry() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let reply = put(
        &emu,
        "1.0.0",
        with_regions(json!([{"name": "westus"}, {"name": "moonbase1"}])),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.targetRegions[1].name"),
    );
    assert!(message.contains("moonbase1"), "{message}");
    let reply = put(
        &emu,
        "1.0.0",
        with_regions(json!([{"regionalReplicaCount": 1}])),
    )
    .await;
    refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.targetRegions[0].name"),
    );
}

#[tokio::test]
async fn zone_redundant_storage_is_refused_where_the_region_has_no_zones() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let reply = put(
        &emu,
        "1.0.0",
        with_regions(json!([{"name": "westus", "storageAccountType": "Standard_ZRS"}])),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.targetRegions[0].storageAccountType"),
    );
    assert!(
        message.contains("ZRS storage account type is not supported in this region"),
        "{message}"
    );
    // The profile-wide type applies to every region that does not set its own.
    let mut body = with_regions(json!([{"name": "westus"}]));
    body["properties"]["publishingProfile"]["storageAccountType"] = json!("Standard_ZRS");
    let reply = put(&emu, "1.0.0", body).await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");

    let created = emu
        .create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            with_regions(json!([
                {"name": "westus"},
                {"name": "eastus", "storageAccountType": "Standard_ZRS"}
            ])),
        )
        .await;
    let regions = &created["properties"]["publishingProfile"]["targetRegions"];
    assert_eq!(regions[0]["storageAccountType"], "Standard_LRS");
    assert_eq!(regions[1]["name"], "East US");
    assert_eq!(regions[1]["storageAccountType"], "Standard_ZRS");
}

#[tokio::test]
async fn replica_counts_must_be_between_one_and_ten() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let mut body = with_regions(json!([{"name": "westus"}]));
    body["properties"]["publishingProfile"]["replicaCount"] = json!(0);
    let reply = put(&emu, "1.0.0", body).await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.replicaCount"),
    );
    assert!(
        message.contains("The value 0 of parameter") && message.contains("between 1 and 10"),
        "{message}"
    );
    for (count, ok) in [(0, false), (11, false), (-1, false), (10, true)] {
        let reply = put(
            &emu,
            "1.0.0",
            with_regions(json!([{"name": "westus", "regionalReplicaCount": count}])),
        )
        .await;
        if ok {
            assert_eq!(reply.0, StatusCode::CREATED, "{count}: {}", reply.2);
        } else {
            refused_with(
                &reply,
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                &format!("{PROPS}.publishingProfile.targetRegions[0].regionalReplicaCount"),
            );
        }
    }
}

#[tokio::test]
async fn the_replica_limit_per_region_is_configurable() {
    let emu = with_definition(&Store::sqlite(), &["--max-replicas-per-region", "3"]).await;
    let reply = put(
        &emu,
        "1.0.0",
        with_regions(json!([{"name": "westus", "regionalReplicaCount": 4}])),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.targetRegions[0].regionalReplicaCount"),
    );
    assert!(message.contains("between 1 and 3"), "{message}");
    emu.create_version(
        RG,
        GAL,
        IMG,
        "1.0.0",
        with_regions(json!([{"name": "westus", "regionalReplicaCount": 3}])),
    )
    .await;
}

#[tokio::test]
async fn a_version_needs_exactly_one_kind_of_source() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let storage = format!("{PROPS}.storageProfile");

    let reply = put(
        &emu,
        "1.0.0",
        json!({"location": "westus", "properties": {"publishingProfile": {"replicaCount": 1}}}),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &storage,
    );
    assert!(message.contains("storageProfile"), "{message}");

    let one_and_only = "The gallery artifact version source can only be specified either directly under storageProfile or within individual OS or data disks. One and only one source type (user image, snapshot, disk, virtual machine) can be provided.";
    let snapshot = compute_path("elsewhere", "snapshots", "snap");
    for storage_profile in [
        json!({}),
        json!({"osDiskImage": {"hostCaching": "ReadOnly"}}),
        json!({"source": {"id": source()}, "osDiskImage": {"source": {"id": snapshot}}}),
        json!({"source": {"id": source(), "virtualMachineId": compute_path("elsewhere", "virtualMachines", "vm")}}),
    ] {
        let reply = put(
            &emu,
            "1.0.0",
            json!({"location": "westus", "properties": {"storageProfile": storage_profile}}),
        )
        .await;
        let message = refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            &storage,
        );
        assert_eq!(message, one_and_only, "{storage_profile}");
    }
    let reply = put(
        &emu,
        "1.0.0",
        json!({"location": "westus", "properties": {"storageProfile": {"source": {"id": "images/relative"}}}}),
    )
    .await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &storage,
    );
    assert!(
        message.contains("Expect fully qualified resource Id"),
        "{message}"
    );
    let reply = get(&emu, "1.0.0").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}

#[tokio::test]
async fn replication_status_is_only_returned_when_expanded() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "eastus2"}])),
        )
        .await;
        let (_, _, plain) = get(&emu, "1.0.0").await;
        assert!(
            plain["properties"].get("replicationStatus").is_none(),
            "{}: {plain}",
            store.name()
        );
        let url = emu.api(&format!(
            "{}?$expand=ReplicationStatus",
            version_path(RG, GAL, IMG, "1.0.0")
        ));
        let (status, _, expanded) = emu.call("GET", &url, None).await;
        assert_eq!(status, StatusCode::OK, "{expanded}");
        let replication = &expanded["properties"]["replicationStatus"];
        assert_eq!(replication["aggregatedState"], "Completed", "{expanded}");
        let summary = replication["summary"].as_array().expect("summary");
        let mut regions: Vec<&str> = summary
            .iter()
            .map(|s| s["region"].as_str().expect("region"))
            .collect();
        regions.sort();
        assert_eq!(regions, ["East US 2", "West US"]);
        for s in summary {
            assert_eq!(s["state"], "Completed", "{s}");
            assert_eq!(s["progress"], 100, "{s}");
        }
        // The list does not expand.
        let items = emu.list_all(&emu.api(&versions_in(RG, GAL, IMG))).await;
        assert!(items[0]["properties"].get("replicationStatus").is_none());
    }
}

#[tokio::test]
async fn in_manual_timing_a_version_replicates_until_the_clock_moves() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        emu.create_gallery(RG, GAL, "westus").await;
        emu.settle().await;
        emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
            .await;
        emu.settle().await;
        let (status, headers, _) = put(
            &emu,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "eastus"}])),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", store.name());
        let op = header(&headers, "azure-asyncoperation").to_string();
        let (_, _, op_body) = emu.call("GET", &op, None).await;
        assert_eq!(op_body["status"], "InProgress");

        let expand = emu.api(&format!(
            "{}?$expand=ReplicationStatus",
            version_path(RG, GAL, IMG, "1.0.0")
        ));
        let (_, _, running) = emu.call("GET", &expand, None).await;
        assert_eq!(running["properties"]["provisioningState"], "Creating");
        let replication = &running["properties"]["replicationStatus"];
        assert_eq!(replication["aggregatedState"], "InProgress", "{running}");
        for s in replication["summary"].as_array().expect("summary") {
            assert_eq!(s["state"], "Replicating", "{s}");
            assert!(s["progress"].as_i64().is_some_and(|p| p < 100), "{s}");
        }

        // The version's own region finishes first; the operation runs on.
        let moved = emu.advance_clock(json!({"toNextEvent": true})).await;
        assert_eq!(moved["completedRegions"], 1, "{moved}");
        assert_eq!(moved["completedOperations"], 0, "{moved}");
        let (_, _, half) = emu.call("GET", &expand, None).await;
        assert_eq!(half["properties"]["provisioningState"], "Creating");
        let summary = &half["properties"]["replicationStatus"]["summary"];
        assert_eq!(summary[0]["state"], "Completed", "{half}");
        assert_eq!(summary[0]["progress"], 100, "{half}");
        assert_eq!(summary[1]["state"], "Replicating", "{half}");
        assert!(
            summary[1]["progress"]
                .as_i64()
                .is_some_and(|p| p > 0 && p < 100)
        );
        let moved = emu.advance_clock(json!({"toNextEvent": true})).await;
        assert_eq!(moved["completedRegions"], 1, "{moved}");
        assert_eq!(moved["completedOperations"], 1, "{moved}");
        let (_, _, done) = emu.call("GET", &expand, None).await;
        assert_eq!(done["properties"]["provisioningState"], "Succeeded");
        assert_eq!(
            done["properties"]["replicationStatus"]["aggregatedState"],
            "Completed"
        );
        let (_, _, op_body) = emu.call("GET", &op, None).await;
        assert_eq!(op_body["status"], "Succeeded");
    }
}

#[tokio::test]
async fn adding_a_target_region_answers_200_updating_and_publishes_there() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            with_regions(json!([{"name": "westus"}])),
        )
        .await;
        let (status, headers, patched) = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {"targetRegions": [
                {"name": "westus"},
                {"name": "northeurope", "regionalReplicaCount": 2}
            ]}}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {patched}", store.name());
        assert_eq!(patched["properties"]["provisioningState"], "Updating");
        assert!(!header(&headers, "azure-asyncoperation").is_empty());
        let (_, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
        let regions = &got["properties"]["publishingProfile"]["targetRegions"];
        assert_eq!(regions.as_array().map(Vec::len), Some(2), "{got}");
        assert_eq!(regions[1]["name"], "North Europe");
        assert_eq!(regions[1]["regionalReplicaCount"], 2);
        // What the update did not touch stays.
        assert_eq!(
            got["properties"]["storageProfile"]["source"]["id"],
            source()
        );
        // A PUT on the existing version is an update too.
        let (status, _, replaced) = put(
            &emu,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "northeurope"}, {"name": "eastus"}])),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        assert_eq!(replaced["properties"]["provisioningState"], "Updating");
        assert_eq!(
            replaced["properties"]["publishingProfile"]["targetRegions"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }
}

#[tokio::test]
async fn removing_a_region_needs_allow_deletion_of_replicated_locations() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "eastus"}])),
        )
        .await;
        let only_home = json!({"targetRegions": [{"name": "westus"}]});
        let reply = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": only_home}}),
        )
        .await;
        let message = refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            &format!("{PROPS}.publishingProfile.targetRegions"),
        );
        assert!(
            message.contains("eastus") && message.contains("allowDeletionOfReplicatedLocations"),
            "{}: {message}",
            store.name()
        );
        let (_, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(
            got["properties"]["publishingProfile"]["targetRegions"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );

        let (status, _, patched) = patch(
            &emu,
            "1.0.0",
            json!({"properties": {
                "publishingProfile": only_home,
                "safetyProfile": {"allowDeletionOfReplicatedLocations": true}
            }}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        let (_, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(
            got["properties"]["publishingProfile"]["targetRegions"],
            json!([{"name": "West US", "regionalReplicaCount": 1, "storageAccountType": "Standard_LRS", "excludeFromLatest": false}])
        );
        assert_eq!(
            got["properties"]["safetyProfile"]["allowDeletionOfReplicatedLocations"],
            true
        );
        // The home region itself can never go.
        let reply = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {"targetRegions": [{"name": "eastus"}]}}}),
        )
        .await;
        refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            &format!("{PROPS}.publishingProfile.targetRegions"),
        );
    }
}

#[tokio::test]
async fn replica_counts_exclusion_from_latest_and_end_of_life_can_change() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "eastus"}])),
        )
        .await;
        let (status, _, patched) = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {
                "replicaCount": 2,
                "excludeFromLatest": true,
                "endOfLifeDate": "2040-01-01T00:00:00Z",
                "targetRegions": [
                    {"name": "westus", "regionalReplicaCount": 4},
                    {"name": "eastus", "excludeFromLatest": true}
                ]
            }}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {patched}", store.name());
        let (_, _, got) = get(&emu, "1.0.0").await;
        let p = &got["properties"]["publishingProfile"];
        assert_eq!(p["replicaCount"], 2);
        assert_eq!(p["excludeFromLatest"], true);
        assert!(
            p["endOfLifeDate"]
                .as_str()
                .is_some_and(|d| d.starts_with("2040-01-01T00:00:00")),
            "{got}"
        );
        assert_eq!(p["targetRegions"][0]["regionalReplicaCount"], 4);
        assert_eq!(p["targetRegions"][1]["regionalReplicaCount"], 2);
        assert_eq!(p["targetRegions"][1]["excludeFromLatest"], true);

        let reply = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {"endOfLifeDate": "2001-01-01T00:00:00Z"}}}),
        )
        .await;
        let message = refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            &format!("{PROPS}.publishingProfile.endOfLifeDate"),
        );
        assert_eq!(message, "EndOfLifeDate must be set to a future date.");
        let reply = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {"replicaCount": 11}}}),
        )
        .await;
        refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            &format!("{PROPS}.publishingProfile.replicaCount"),
        );
        // Tags by PATCH.
        let (status, _, _) = patch(&emu, "1.0.0", json!({"tags": {"stage": "gold"}})).await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(got["tags"], json!({"stage": "gold"}));
        assert_eq!(
            got["properties"]["publishingProfile"]["excludeFromLatest"],
            true
        );
    }
}

#[tokio::test]
async fn an_end_of_life_in_the_past_is_refused_on_create() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let mut body = version_body("westus", &source());
    body["properties"]["publishingProfile"] = json!({"endOfLifeDate": "2020-01-01T00:00:00Z"});
    let reply = put(&emu, "1.0.0", body).await;
    refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.endOfLifeDate"),
    );
}

#[tokio::test]
async fn changing_the_source_of_a_version_is_property_change_not_allowed() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
            .await;
        let other = unknown_image_id("other");
        let target = format!("{PROPS}.storageProfile.source.id");
        let reply = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"storageProfile": {"source": {"id": other}}}}),
        )
        .await;
        let message = refused_with(
            &reply,
            StatusCode::CONFLICT,
            "PropertyChangeNotAllowed",
            &target,
        );
        assert_eq!(
            message,
            format!("Changing property '{target}' is not allowed.")
        );
        let reply = put(&emu, "1.0.0", version_body("westus", &other)).await;
        refused_with(
            &reply,
            StatusCode::CONFLICT,
            "PropertyChangeNotAllowed",
            &target,
        );
        // The same id, differently cased, is no change.
        let (status, _, body) = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"storageProfile": {"source": {"id": source().to_uppercase()}}}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        let (_, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(
            got["properties"]["storageProfile"]["source"]["id"],
            source()
        );
    }
}

#[tokio::test]
async fn a_patch_with_an_empty_storage_profile_is_accepted() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
        .await;
    let (status, _, body) = patch(
        &emu,
        "1.0.0",
        json!({"properties": {"storageProfile": {}, "publishingProfile": {"excludeFromLatest": true}}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["properties"]["storageProfile"]["source"]["id"],
        source()
    );
    assert_eq!(
        body["properties"]["publishingProfile"]["excludeFromLatest"],
        true
    );
}

#[tokio::test]
async fn storage_settings_of_a_version_cannot_change() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
        .await;
    let reply = patch(
        &emu,
        "1.0.0",
        json!({"properties": {"publishingProfile": {"storageAccountType": "Premium_LRS"}}}),
    )
    .await;
    refused_with(
        &reply,
        StatusCode::CONFLICT,
        "PropertyChangeNotAllowed",
        &format!("{PROPS}.publishingProfile.storageAccountType"),
    );
    let reply = patch(
        &emu,
        "1.0.0",
        json!({"properties": {"publishingProfile": {"targetRegions": [{"name": "westus", "storageAccountType": "Premium_LRS"}]}}}),
    )
    .await;
    assert_arm_error(&reply, StatusCode::CONFLICT, "PropertyChangeNotAllowed");
}

#[tokio::test]
async fn versions_are_listed_by_definition_page_by_page() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--page-size", "2"]).await;
        emu.create_image(RG, GAL, "img2", image_body("westus", "p", "o", "other"))
            .await;
        emu.create_version(RG, GAL, "img2", "9.9.9", version_body("westus", &source()))
            .await;
        let mut names = vec!["1.0.0", "1.1.0", "1.10.0", "2.0.0", "10.0.0"];
        for name in &names {
            emu.create_version(RG, GAL, IMG, name, version_body("westus", &source()))
                .await;
        }
        let pages = emu.pages(&emu.api(&versions_in(RG, GAL, IMG))).await;
        assert_eq!(pages.len(), 3, "{}: {pages:?}", store.name());
        let items: Vec<Value> = pages
            .iter()
            .flat_map(|p| p["value"].as_array().cloned().expect("value"))
            .collect();
        let mut listed: Vec<&str> = items
            .iter()
            .map(|i| i["name"].as_str().expect("name"))
            .collect();
        listed.sort();
        names.sort();
        assert_eq!(listed, names);
        for item in &items {
            assert_eq!(item["type"], "Microsoft.Compute/galleries/images/versions");
            assert_eq!(item["properties"]["provisioningState"], "Succeeded");
            assert!(item["properties"]["publishingProfile"]["publishedDate"].is_string());
        }
        let reply = emu
            .call("GET", &emu.api(&versions_in(RG, GAL, "missing")), None)
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn deleting_a_version_answers_202_and_then_it_is_gone() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
            .await;
        let url = emu.api(&version_path(RG, GAL, IMG, "1.0.0"));
        let (status, headers, body) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}: {body}", store.name());
        assert_eq!(body, Value::Null);
        let location = header(&headers, "location").to_string();
        assert!(location.contains("monitor=true"), "{location}");
        assert!(!header(&headers, "azure-asyncoperation").is_empty());
        let (status, _, _) = emu.call("GET", &location, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let reply = get(&emu, "1.0.0").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let (status, _, _) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // The number is free again.
        emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
            .await;
    }
}

#[tokio::test]
async fn a_definition_with_versions_cannot_be_deleted_until_they_are() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
            .await;
        let image = emu.api(&image_path(RG, GAL, IMG));
        let reply = emu.call("DELETE", &image, None).await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "CannotDeleteResource");
        assert_eq!(
            error["message"],
            "Can not delete resource before nested resources are deleted.",
            "{}",
            store.name()
        );
        let (status, _, _) = emu.get_image(RG, GAL, IMG).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = emu
            .call(
                "DELETE",
                &emu.api(&version_path(RG, GAL, IMG, "1.0.0")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (status, _, body) = emu.call("DELETE", &image, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
}

#[tokio::test]
async fn the_version_quota_counts_versions_per_subscription_and_region() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--image-version-quota", "2"]).await;
        for v in ["1.0.0", "1.0.1"] {
            emu.create_version(RG, GAL, IMG, v, version_body("westus", &source()))
                .await;
        }
        let reply = put(&emu, "1.0.2", version_body("westus", &source())).await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("Current Limit: 2")),
            "{}: {error}",
            store.name()
        );
        let reply = get(&emu, "1.0.2").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let (status, _, _) = patch(
            &emu,
            "1.0.1",
            json!({"properties": {"publishingProfile": {"excludeFromLatest": true}}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "an update claims nothing");
        let (status, _, _) = emu
            .call(
                "DELETE",
                &emu.api(&version_path(RG, GAL, IMG, "1.0.0")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        emu.create_version(RG, GAL, IMG, "1.0.2", version_body("westus", &source()))
            .await;
    }
}

#[tokio::test]
async fn a_version_under_a_missing_definition_is_parent_resource_not_found() {
    for store in Store::all() {
        let emu = with_definition(&store, &[]).await;
        let reply = emu
            .put_version(RG, GAL, "nodef", "1.0.0", version_body("westus", &source()))
            .await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ParentResourceNotFound");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("nodef") && m.contains("not found")),
            "{}: {error}",
            store.name()
        );
        let reply = emu
            .put_version(RG, "nogal", IMG, "1.0.0", version_body("westus", &source()))
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ParentResourceNotFound");
    }
}

#[tokio::test]
async fn patching_or_getting_a_missing_version_is_resource_not_found() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let reply = patch(&emu, "3.0.0", json!({"tags": {"a": "b"}})).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    let reply = get(&emu, "3.0.0").await;
    let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("images/img1/versions/3.0.0")),
        "{error}"
    );
}

#[tokio::test]
async fn size_in_gb_appears_once_the_version_has_succeeded() {
    let emu = Emulator::start(&["--timing", "manual"]);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
        .await;
    emu.settle().await;
    let (status, _, created) = put(&emu, "1.0.0", version_body("westus", &source())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        created["properties"]["storageProfile"]["osDiskImage"]
            .get("sizeInGB")
            .is_none(),
        "{created}"
    );
    let (_, _, creating) = get(&emu, "1.0.0").await;
    assert!(
        creating["properties"]["storageProfile"]["osDiskImage"]
            .get("sizeInGB")
            .is_none(),
        "{creating}"
    );
    emu.settle().await;
    let (_, _, done) = get(&emu, "1.0.0").await;
    assert_eq!(
        done["properties"]["storageProfile"]["osDiskImage"]["sizeInGB"],
        30
    );
}

#[tokio::test]
async fn a_storage_account_strategy_picks_zone_redundant_storage_where_zones_exist() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let body = json!({
        "location": "westus",
        "properties": {
            "publishingProfile": {
                "storageAccountStrategy": "PreferStandard_ZRS",
                "targetRegions": [
                    {"name": "westus"},
                    {"name": "eastus"},
                    {"name": "eastus2", "storageAccountType": "Premium_LRS"}
                ]
            },
            "storageProfile": {"source": {"id": source()}}
        }
    });
    let created = emu.create_version(RG, GAL, IMG, "1.0.0", body).await;
    let p = &created["properties"]["publishingProfile"];
    assert_eq!(p["storageAccountStrategy"], "PreferStandard_ZRS");
    let types: Vec<&str> = p["targetRegions"]
        .as_array()
        .expect("regions")
        .iter()
        .map(|r| r["storageAccountType"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["Standard_LRS", "Standard_ZRS", "Premium_LRS"]);

    let mut both = version_body("westus", &source());
    both["properties"]["publishingProfile"] = json!({
        "storageAccountType": "Standard_LRS",
        "storageAccountStrategy": "DefaultStandard_LRS"
    });
    let reply = put(&emu, "1.0.1", both).await;
    refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.storageAccountStrategy"),
    );
}

#[tokio::test]
async fn from_2025_03_03_zone_redundant_storage_is_the_default_where_zones_exist() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let types = |body: &Value| -> Vec<String> {
        body["properties"]["publishingProfile"]["targetRegions"]
            .as_array()
            .expect("regions")
            .iter()
            .map(|r| r["storageAccountType"].as_str().expect("type").to_string())
            .collect()
    };
    let body = with_regions(json!([{"name": "westus"}, {"name": "eastus"}]));
    let (status, _, old) = emu
        .call(
            "PUT",
            &emu.api_at(&version_path(RG, GAL, IMG, "1.0.0"), "2024-03-03"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    assert_eq!(types(&old), ["Standard_LRS", "Standard_LRS"]);
    let (status, _, new) = emu
        .call(
            "PUT",
            &emu.api_at(&version_path(RG, GAL, IMG, "2.0.0"), "2025-03-03"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    assert_eq!(types(&new), ["Standard_LRS", "Standard_ZRS"]);
}

#[tokio::test]
async fn data_disks_need_unique_luns_and_unique_sources() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let snap = |name: &str| compute_path("elsewhere", "snapshots", name);
    let storage = format!("{PROPS}.storageProfile");
    let cases = [
        (
            json!({"osDiskImage": {"source": {"id": snap("os")}}, "dataDiskImages": [
                {"lun": 1, "source": {"id": snap("a")}},
                {"lun": 1, "source": {"id": snap("b")}}
            ]}),
            format!("{storage}.dataDiskImages"),
            "Duplicated lun numbers",
        ),
        (
            json!({"osDiskImage": {"source": {"id": snap("os")}}, "dataDiskImages": [
                {"lun": 0, "source": {"id": snap("os")}}
            ]}),
            storage.clone(),
            "Duplicated source ids",
        ),
        (
            json!({"osDiskImage": {"source": {"id": snap("os")}}, "dataDiskImages": [
                {"source": {"id": snap("a")}}
            ]}),
            format!("{storage}.dataDiskImages[0].lun"),
            "lun",
        ),
    ];
    for (profile, target, text) in cases {
        let reply = put(
            &emu,
            "1.0.0",
            json!({"location": "westus", "properties": {"storageProfile": profile}}),
        )
        .await;
        let message = refused_with(&reply, StatusCode::BAD_REQUEST, "InvalidParameter", &target);
        assert!(message.contains(text), "{message}");
    }
}

#[tokio::test]
async fn adding_a_data_disk_or_changing_a_disk_source_on_update_is_refused() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let snap = |name: &str| compute_path("elsewhere", "snapshots", name);
    let profile = json!({"osDiskImage": {"source": {"id": snap("os")}}, "dataDiskImages": [
        {"lun": 0, "source": {"id": snap("d0")}}
    ]});
    emu.create_version(
        RG,
        GAL,
        IMG,
        "1.0.0",
        json!({"location": "westus", "properties": {"storageProfile": profile}}),
    )
    .await;
    let reply = patch(
        &emu,
        "1.0.0",
        json!({"properties": {"storageProfile": {"dataDiskImages": [
            {"lun": 0, "source": {"id": snap("d0")}},
            {"lun": 5, "source": {"id": snap("d5")}}
        ]}}}),
    )
    .await;
    refused_with(
        &reply,
        StatusCode::CONFLICT,
        "PropertyChangeNotAllowed",
        &format!("{PROPS}.storageProfile.dataDiskImages"),
    );
    let reply = patch(
        &emu,
        "1.0.0",
        json!({"properties": {"storageProfile": {"osDiskImage": {"source": {"id": snap("other")}}}}}),
    )
    .await;
    refused_with(
        &reply,
        StatusCode::CONFLICT,
        "PropertyChangeNotAllowed",
        &format!("{PROPS}.storageProfile.osDiskImage.source.id"),
    );
    // Sending the profile back unchanged, as clients do on PATCH, is fine.
    let (status, _, body) = patch(
        &emu,
        "1.0.0",
        json!({"properties": {"storageProfile": profile, "publishingProfile": {"replicaCount": 2}}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_version_blocked_from_deletion_before_its_end_of_life_cannot_be_deleted() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    let mut body = version_body("westus", &source());
    body["properties"]["publishingProfile"] = json!({"endOfLifeDate": "2040-01-01T00:00:00Z"});
    body["properties"]["safetyProfile"] = json!({"blockDeletionBeforeEndOfLife": true});
    let created = emu.create_version(RG, GAL, IMG, "1.0.0", body).await;
    assert_eq!(
        created["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"],
        true
    );
    let reply = emu
        .call(
            "DELETE",
            &emu.api(&version_path(RG, GAL, IMG, "1.0.0")),
            None,
        )
        .await;
    assert_arm_error(
        &reply,
        StatusCode::CONFLICT,
        "DeleteGalleryImageVersionBlockedBeforeEndOfLife",
    );
    let (status, _, _) = get(&emu, "1.0.0").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_version_being_deleted_cannot_be_updated() {
    let emu = Emulator::start(&["--timing", "manual"]);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
        .await;
    emu.settle().await;
    emu.create_version(RG, GAL, IMG, "1.0.0", version_body("westus", &source()))
        .await;
    emu.settle().await;
    let (status, headers, _) = emu
        .call(
            "DELETE",
            &emu.api(&version_path(RG, GAL, IMG, "1.0.0")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let delete_op = header(&headers, "azure-asyncoperation").to_string();

    let reply = patch(&emu, "1.0.0", json!({"tags": {"late": "edit"}})).await;
    let error = assert_arm_error(&reply, StatusCode::CONFLICT, "OperationNotAllowed");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("marked for deletion")),
        "{error}"
    );
    emu.settle().await;
    let (_, _, op) = emu.call("GET", &delete_op, None).await;
    assert_eq!(op["status"], "Succeeded");
    let reply = get(&emu, "1.0.0").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
}
