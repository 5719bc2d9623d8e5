//! GalleryApplicationVersions_*: long-running and replicated like image
//! versions: defaults, the package and its manage actions, names, target
//! regions and replica limits, what an update may change, replication status,
//! manual timing, deletes, parents, lists and "latest" (issue 6, rules 1–5).

use crate::common::*;

const RG: &str = "rg1";
const GAL: &str = "gal1";
const APP: &str = "app1";
const PROPS: &str = "galleryApplicationVersion.properties";

/// An emulator with gallery `gal1` and application `app1` (Linux) in westus.
async fn with_application(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_application(RG, GAL, APP, application_body("westus", "Linux"))
        .await;
    emu
}

/// The same, under manual timing, with the gallery settled.
async fn with_application_manual(store: &Store) -> Emulator {
    let emu = Emulator::start_on(store, &["--timing", "manual"]);
    emu.create_gallery(RG, GAL, "westus").await;
    emu.settle().await;
    emu.create_application(RG, GAL, APP, application_body("westus", "Linux"))
        .await;
    emu
}

fn media() -> String {
    media_link("app1.tar.gz")
}

fn body() -> Value {
    app_version_body("westus", &media())
}

fn with_regions(target_regions: Value) -> Value {
    let mut body = body();
    body["properties"]["publishingProfile"]["targetRegions"] = target_regions;
    body
}

async fn put(emu: &Emulator, version: &str, body: Value) -> Reply {
    emu.put_app_version(RG, GAL, APP, version, body).await
}

async fn get(emu: &Emulator, version: &str) -> Reply {
    emu.get_app_version(RG, GAL, APP, version).await
}

async fn patch(emu: &Emulator, version: &str, body: Value) -> Reply {
    emu.patch_app_version(RG, GAL, APP, version, body).await
}

async fn create(emu: &Emulator, version: &str, body: Value) -> Value {
    emu.create_app_version(RG, GAL, APP, version, body).await
}

fn expand_url(emu: &Emulator, version: &str) -> String {
    emu.api(&format!(
        "{}?$expand=ReplicationStatus",
        app_version_path(RG, GAL, APP, version)
    ))
}

fn refused_with(reply: &Reply, status: StatusCode, code: &str, target: &str) -> String {
    let error = assert_arm_error(reply, status, code);
    assert_eq!(error["target"], target, "{error}");
    error["message"].as_str().unwrap_or_default().to_string()
}

fn region_names(body: &Value) -> Vec<String> {
    body["properties"]["publishingProfile"]["targetRegions"]
        .as_array()
        .expect("targetRegions")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn creating_a_version_answers_201_creating_with_defaults_at_both_api_versions() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        for (version, api) in [("1.0.0", AZ_APP_API), ("2.0.0", API)] {
            let url = emu.api_at(&app_version_path(RG, GAL, APP, version), api);
            let (status, headers, created) = emu.call("PUT", &url, Some(body())).await;
            let what = format!("{} at {api}", store.name());
            assert_eq!(status, StatusCode::CREATED, "{what}: {created}");
            assert_eq!(created["properties"]["provisioningState"], "Creating");
            let op = header(&headers, "azure-asyncoperation").to_string();
            assert!(op.contains("/locations/westus/"), "{what}: {op}");
            assert!(op.contains(&format!("api-version={api}")), "{what}: {op}");
            assert_eq!(created["id"], app_version_path(RG, GAL, APP, version));
            assert_eq!(created["name"], version);
            assert_eq!(
                created["type"],
                "Microsoft.Compute/galleries/applications/versions"
            );
            assert_eq!(created["location"], "westus");

            let (_, _, op_body) = emu.call("GET", &op, None).await;
            assert_eq!(op_body["status"], "Succeeded", "{what}: {op_body}");
            let (status, _, got) = emu.call("GET", &url, None).await;
            assert_eq!(status, StatusCode::OK, "{what}: {got}");
            assert_eq!(got["properties"]["provisioningState"], "Succeeded");
            for body in [&created, &got] {
                let p = &body["properties"]["publishingProfile"];
                assert_eq!(p["enableHealthCheck"], false, "{what}: {body}");
                assert_eq!(p["replicaCount"], 1, "{what}: {body}");
                assert_eq!(p["excludeFromLatest"], false, "{what}: {body}");
                assert_eq!(p["targetRegions"].as_array().map(Vec::len), Some(1));
                let home = &p["targetRegions"][0];
                assert_eq!(home["name"], "West US", "{what}: {body}");
                assert_eq!(home["regionalReplicaCount"], 1);
                assert_eq!(home["storageAccountType"], "Standard_LRS");
                assert_eq!(home["excludeFromLatest"], false);
                assert!(p["publishedDate"].is_string(), "{what}: {body}");
                assert_eq!(p["source"], json!({"mediaLink": media()}));
                assert_eq!(
                    p["manageActions"],
                    json!({"install": "install.sh", "remove": "remove.sh"})
                );
                assert!(p.get("endOfLifeDate").is_none(), "{body}");
                assert_eq!(
                    body["properties"]["safetyProfile"]["allowDeletionOfReplicatedLocations"],
                    false,
                    "{what}: {body}"
                );
                assert!(body["properties"].get("replicationStatus").is_none());
            }
        }
    }
}

#[tokio::test]
async fn every_version_property_is_accepted_and_returned() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        let body = json!({
            "location": "westus",
            "tags": {"stage": "beta"},
            "properties": {
                "publishingProfile": {
                    "source": {
                        "mediaLink": media(),
                        "defaultConfigurationLink": media_link("config.json")
                    },
                    "manageActions": {"install": "i.sh", "remove": "r.sh", "update": "u.sh"},
                    "settings": {
                        "packageFileName": "app.tar.gz",
                        "configFileName": "app.json",
                        "scriptBehaviorAfterReboot": "Rerun"
                    },
                    "advancedSettings": {"timeout": "300"},
                    "enableHealthCheck": true,
                    "customActions": [{
                        "name": "restart",
                        "script": "restart.sh",
                        "parameters": [{"name": "force", "type": "String", "defaultValue": "no"}]
                    }],
                    "replicaCount": 2,
                    "excludeFromLatest": true,
                    "endOfLifeDate": "2040-01-01T00:00:00Z",
                    "targetRegions": [
                        {"name": "westus"},
                        {"name": "eastus", "regionalReplicaCount": 3, "excludeFromLatest": true}
                    ]
                },
                "safetyProfile": {"allowDeletionOfReplicatedLocations": true}
            }
        });
        let created = create(&emu, "1.0.0", body.clone()).await;
        let (_, _, got) = get(&emu, "1.0.0").await;
        for out in [&created, &got] {
            let sent = &body["properties"]["publishingProfile"];
            let p = &out["properties"]["publishingProfile"];
            let what = format!("{}: {out}", store.name());
            for field in [
                "source",
                "manageActions",
                "settings",
                "advancedSettings",
                "enableHealthCheck",
                "customActions",
                "replicaCount",
                "excludeFromLatest",
            ] {
                assert_eq!(p[field], sent[field], "{field} of {what}");
            }
            assert!(
                p["endOfLifeDate"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("2040-01-01T00:00:00")),
                "{what}"
            );
            assert_eq!(p["targetRegions"][0]["name"], "West US");
            assert_eq!(p["targetRegions"][0]["regionalReplicaCount"], 2, "{what}");
            assert_eq!(p["targetRegions"][1]["name"], "East US");
            assert_eq!(p["targetRegions"][1]["regionalReplicaCount"], 3);
            assert_eq!(p["targetRegions"][1]["excludeFromLatest"], true);
            assert_eq!(
                out["properties"]["safetyProfile"]["allowDeletionOfReplicatedLocations"],
                true
            );
            assert_eq!(out["tags"], json!({"stage": "beta"}));
        }
    }
}

#[tokio::test]
async fn replication_status_is_only_returned_when_expanded() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        create(
            &emu,
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
        let (status, _, expanded) = emu.call("GET", &expand_url(&emu, "1.0.0"), None).await;
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
        let items = emu.list_all(&emu.api(&app_versions_in(RG, GAL, APP))).await;
        assert!(items[0]["properties"].get("replicationStatus").is_none());
    }
}

#[tokio::test]
async fn a_version_needs_a_media_link() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        let target = format!("{PROPS}.publishingProfile.source.mediaLink");
        let mut no_link = body();
        no_link["properties"]["publishingProfile"]["source"] = json!({});
        let mut empty_link = body();
        empty_link["properties"]["publishingProfile"]["source"] = json!({"mediaLink": ""});
        let mut no_source = body();
        no_source["properties"]["publishingProfile"]
            .as_object_mut()
            .expect("profile")
            .remove("source");
        for sent in [
            no_link,
            empty_link,
            no_source,
            json!({"location": "westus"}),
        ] {
            let reply = put(&emu, "1.0.0", sent.clone()).await;
            let message =
                refused_with(&reply, StatusCode::BAD_REQUEST, "InvalidParameter", &target);
            assert!(
                message.contains("mediaLink"),
                "{}: {sent}: {message}",
                store.name()
            );
        }
        let reply = get(&emu, "1.0.0").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn manage_actions_need_both_install_and_remove() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        for (actions, missing) in [
            (json!({"install": "install.sh"}), "remove"),
            (json!({"install": "install.sh", "remove": ""}), "remove"),
            (json!({"remove": "remove.sh"}), "install"),
        ] {
            let mut sent = body();
            sent["properties"]["publishingProfile"]["manageActions"] = actions;
            let reply = put(&emu, "1.0.0", sent).await;
            let message = refused_with(
                &reply,
                StatusCode::BAD_REQUEST,
                "InvalidParameter",
                &format!("{PROPS}.publishingProfile.manageActions.{missing}"),
            );
            assert!(message.contains(missing), "{}: {message}", store.name());
        }
        let reply = get(&emu, "1.0.0").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn a_version_name_must_be_three_non_negative_int32_parts() {
    let emu = with_application(&Store::sqlite(), &[]).await;
    for bad in [
        "1.0",
        "1.0.0.0",
        "v1.0.0",
        "1.0.0-beta",
        "2147483648.0.0",
        "1..0",
        "1.0.x",
    ] {
        let reply = put(&emu, bad, body()).await;
        let message = refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            "galleryApplicationVersionName",
        );
        assert!(
            message.contains("Major(int).Minor(int).Patch(int)"),
            "{bad}: {message}"
        );
    }
    for good in ["0.0.0", "2147483647.2147483647.2147483647", "2018.12.1"] {
        create(&emu, good, body()).await;
    }
    let (status, _, got) = get(&emu, "2018.12.1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "2018.12.1");
}

#[tokio::test]
async fn target_regions_follow_the_image_version_rules() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        let regions = format!("{PROPS}.publishingProfile.targetRegions");
        // The home region is required.
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
            &regions,
        );
        assert!(message.contains("westus"), "{}: {message}", store.name());
        // Duplicates in any spelling.
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
            &regions,
        );
        assert_eq!(
            message,
            "Duplicate regions are not allowed in target publishing regions."
        );
        // Unknown regions, naming the entry.
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
            &format!("{regions}[1].name"),
        );
        assert!(message.contains("moonbase1"), "{message}");
        let reply = get(&emu, "1.0.0").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        // An empty list is the home region.
        let created = create(&emu, "1.0.0", with_regions(json!([]))).await;
        assert_eq!(region_names(&created), ["West US"]);
    }
}

#[tokio::test]
async fn replica_counts_must_be_between_one_and_ten() {
    let emu = with_application(&Store::sqlite(), &[]).await;
    let mut sent = body();
    sent["properties"]["publishingProfile"]["replicaCount"] = json!(0);
    let reply = put(&emu, "1.0.0", sent).await;
    let message = refused_with(
        &reply,
        StatusCode::BAD_REQUEST,
        "InvalidParameter",
        &format!("{PROPS}.publishingProfile.replicaCount"),
    );
    assert!(message.contains("between 1 and 10"), "{message}");
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
    let emu = with_application(&Store::sqlite(), &["--max-replicas-per-region", "3"]).await;
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
    create(
        &emu,
        "1.0.0",
        with_regions(json!([{"name": "westus", "regionalReplicaCount": 3}])),
    )
    .await;
}

#[tokio::test]
async fn adding_a_target_region_answers_200_updating_and_publishes_there() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        create(&emu, "1.0.0", body()).await;
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
        assert_eq!(region_names(&got), ["West US", "North Europe"]);
        let p = &got["properties"]["publishingProfile"];
        assert_eq!(p["targetRegions"][1]["regionalReplicaCount"], 2);
        // What the update did not touch stays.
        assert_eq!(p["source"]["mediaLink"], media());
        assert_eq!(p["manageActions"]["install"], "install.sh");
        // A PUT on the existing version is an update too.
        let (status, _, replaced) = put(
            &emu,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "northeurope"}, {"name": "eastus"}])),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        assert_eq!(replaced["properties"]["provisioningState"], "Updating");
        assert_eq!(region_names(&replaced).len(), 3);
    }
}

#[tokio::test]
async fn removing_a_region_needs_allow_deletion_of_replicated_locations() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        create(
            &emu,
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
        assert_eq!(region_names(&got).len(), 2);

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
        assert_eq!(region_names(&got), ["West US"]);
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
async fn the_package_manage_actions_and_settings_cannot_change() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        let mut sent = body();
        sent["properties"]["publishingProfile"]["settings"] =
            json!({"packageFileName": "app.tar.gz", "scriptBehaviorAfterReboot": "None"});
        let created = create(&emu, "1.0.0", sent.clone()).await;
        let profile = format!("{PROPS}.publishingProfile");
        let cases = [
            (
                json!({"source": {"mediaLink": media_link("other.tar.gz")}}),
                format!("{profile}.source.mediaLink"),
            ),
            (
                json!({"source": {"mediaLink": media(), "defaultConfigurationLink": media_link("c.json")}}),
                format!("{profile}.source.defaultConfigurationLink"),
            ),
            (
                json!({"manageActions": {"install": "other.sh", "remove": "remove.sh"}}),
                format!("{profile}.manageActions"),
            ),
            (
                json!({"manageActions": {"install": "install.sh", "remove": "remove.sh", "update": "u.sh"}}),
                format!("{profile}.manageActions"),
            ),
            (
                json!({"settings": {"packageFileName": "renamed.tar.gz"}}),
                format!("{profile}.settings"),
            ),
        ];
        for (change, target) in cases {
            for method in ["PATCH", "PUT"] {
                let reply = if method == "PATCH" {
                    patch(
                        &emu,
                        "1.0.0",
                        json!({"properties": {"publishingProfile": change.clone()}}),
                    )
                    .await
                } else {
                    let mut whole = sent.clone();
                    for (k, v) in change.as_object().expect("change") {
                        whole["properties"]["publishingProfile"][k] = v.clone();
                    }
                    put(&emu, "1.0.0", whole).await
                };
                let message = refused_with(
                    &reply,
                    StatusCode::CONFLICT,
                    "PropertyChangeNotAllowed",
                    &target,
                );
                assert_eq!(
                    message,
                    format!("Changing property '{target}' is not allowed."),
                    "{} {method}",
                    store.name()
                );
            }
        }
        let (_, _, got) = get(&emu, "1.0.0").await;
        assert_eq!(
            got["properties"]["publishingProfile"],
            created["properties"]["publishingProfile"],
            "{}: nothing changed",
            store.name()
        );
        // Sending everything back unchanged, as clients do, is fine.
        let (status, _, same) = put(&emu, "1.0.0", sent).await;
        assert_eq!(status, StatusCode::OK, "{same}");
        let (status, _, same) = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {
                "source": {"mediaLink": media()},
                "manageActions": {"install": "install.sh", "remove": "remove.sh"},
                "enableHealthCheck": true
            }}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{same}");
        assert_eq!(
            same["properties"]["publishingProfile"]["enableHealthCheck"],
            true
        );
    }
}

#[tokio::test]
async fn exclusion_from_latest_end_of_life_and_tags_can_change() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        create(&emu, "1.0.0", body()).await;
        let (status, _, patched) = patch(
            &emu,
            "1.0.0",
            json!({"tags": {"stage": "gold"}, "properties": {"publishingProfile": {
                "excludeFromLatest": true,
                "endOfLifeDate": "2040-01-01T00:00:00Z",
                "replicaCount": 2
            }}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {patched}", store.name());
        let (_, _, got) = get(&emu, "1.0.0").await;
        let p = &got["properties"]["publishingProfile"];
        assert_eq!(p["excludeFromLatest"], true, "{got}");
        assert_eq!(p["replicaCount"], 2);
        assert!(p["endOfLifeDate"].is_string(), "{got}");
        assert_eq!(got["tags"], json!({"stage": "gold"}));
        let reply = patch(
            &emu,
            "1.0.0",
            json!({"properties": {"publishingProfile": {"endOfLifeDate": "2001-01-01T00:00:00Z"}}}),
        )
        .await;
        refused_with(
            &reply,
            StatusCode::BAD_REQUEST,
            "InvalidParameter",
            &format!("{PROPS}.publishingProfile.endOfLifeDate"),
        );
    }
}

#[tokio::test]
async fn an_application_with_versions_cannot_be_deleted_until_they_are() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        create(&emu, "1.0.0", body()).await;
        let application = emu.api(&application_path(RG, GAL, APP));
        let reply = emu.call("DELETE", &application, None).await;
        let error = assert_arm_error(&reply, StatusCode::CONFLICT, "CannotDeleteResource");
        assert_eq!(
            error["message"],
            "Can not delete resource before nested resources are deleted.",
            "{}",
            store.name()
        );
        let (status, _, _) = emu.get_application(RG, GAL, APP).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = emu
            .call(
                "DELETE",
                &emu.api(&app_version_path(RG, GAL, APP, "1.0.0")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (status, _, body) = emu.call("DELETE", &application, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn deleting_a_version_answers_202_and_then_it_is_gone() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        create(&emu, "1.0.0", body()).await;
        let url = emu.api(&app_version_path(RG, GAL, APP, "1.0.0"));
        let (status, headers, body) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}: {body}", store.name());
        assert_eq!(body, Value::Null);
        let location = header(&headers, "location").to_string();
        assert!(location.contains("monitor=true"), "{location}");
        assert!(!header(&headers, "azure-asyncoperation").is_empty());
        let (status, _, _) = emu.call("GET", &location, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let reply = get(&emu, "1.0.0").await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("applications/app1/versions/1.0.0")),
            "{error}"
        );
        let (status, _, _) = emu.call("DELETE", &url, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // The number is free again.
        create(&emu, "1.0.0", self::body()).await;
    }
}

#[tokio::test]
async fn a_version_under_a_missing_application_is_parent_resource_not_found() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        let reply = emu.put_app_version(RG, GAL, "noapp", "1.0.0", body()).await;
        let error = assert_arm_error(&reply, StatusCode::NOT_FOUND, "ParentResourceNotFound");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("noapp")),
            "{}: {error}",
            store.name()
        );
        let reply = emu.put_app_version(RG, "nogal", APP, "1.0.0", body()).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ParentResourceNotFound");
        let reply = patch(&emu, "3.0.0", json!({"tags": {"a": "b"}})).await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let reply = emu
            .call("GET", &emu.api(&app_versions_in(RG, GAL, "noapp")), None)
            .await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn versions_are_listed_by_application_page_by_page() {
    for store in Store::all() {
        let emu = with_application(&store, &["--page-size", "2"]).await;
        emu.create_application(RG, GAL, "app2", application_body("westus", "Linux"))
            .await;
        emu.create_app_version(RG, GAL, "app2", "9.9.9", body())
            .await;
        let mut names = vec!["1.0.0", "1.1.0", "1.10.0", "2.0.0", "10.0.0"];
        for name in &names {
            create(&emu, name, body()).await;
        }
        let pages = emu.pages(&emu.api(&app_versions_in(RG, GAL, APP))).await;
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
            assert_eq!(
                item["type"],
                "Microsoft.Compute/galleries/applications/versions"
            );
            assert_eq!(item["properties"]["provisioningState"], "Succeeded");
        }
    }
}

#[tokio::test]
async fn in_manual_timing_a_version_replicates_until_the_clock_moves() {
    for store in Store::all() {
        let emu = with_application_manual(&store).await;
        let (status, headers, created) = put(
            &emu,
            "1.0.0",
            with_regions(json!([{"name": "westus"}, {"name": "eastus"}])),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {created}", store.name());
        let op = header(&headers, "azure-asyncoperation").to_string();
        let (_, _, op_body) = emu.call("GET", &op, None).await;
        assert_eq!(op_body["status"], "InProgress");

        let (_, _, running) = emu.call("GET", &expand_url(&emu, "1.0.0"), None).await;
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
        let (_, _, half) = emu.call("GET", &expand_url(&emu, "1.0.0"), None).await;
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
        let (_, _, done) = emu.call("GET", &expand_url(&emu, "1.0.0"), None).await;
        assert_eq!(done["properties"]["provisioningState"], "Succeeded");
        assert_eq!(
            done["properties"]["replicationStatus"]["aggregatedState"],
            "Completed"
        );
        let (_, _, op_body) = emu.call("GET", &op, None).await;
        assert_eq!(op_body["status"], "Succeeded");

        // The application itself never waits for the clock.
        let (status, headers, app) = emu
            .put_application(RG, GAL, "app2", application_body("westus", "Windows"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{app}");
        assert_eq!(header(&headers, "azure-asyncoperation"), "");
        let (status, _, body) = emu
            .call("DELETE", &emu.api(&application_path(RG, GAL, "app2")), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let reply = emu.get_application(RG, GAL, "app2").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

// ---- latest -----------------------------------------------------------------

async fn latest(emu: &Emulator, region: Option<&str>) -> Reply {
    emu.call(
        "GET",
        &emu.url(&app_latest_path(RG, GAL, APP, region)),
        None,
    )
    .await
}

async fn latest_name(emu: &Emulator, region: Option<&str>) -> String {
    let (status, _, body) = latest(emu, region).await;
    assert_eq!(status, StatusCode::OK, "latest in {region:?}: {body}");
    body["name"].as_str().expect("name").to_string()
}

fn assert_none_latest(reply: &Reply) {
    assert_arm_error(
        reply,
        StatusCode::NOT_FOUND,
        "GalleryApplicationVersionNotFound",
    );
}

async fn version_in(emu: &Emulator, version: &str, regions: &[&str]) {
    create(
        emu,
        version,
        app_version_body_in(regions[0], &media(), regions),
    )
    .await;
}

#[tokio::test]
async fn latest_is_the_highest_application_version_by_number() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        assert_none_latest(&latest(&emu, None).await);
        for v in ["1.9.0", "1.10.0", "1.2.3", "0.99.99"] {
            version_in(&emu, v, &["westus"]).await;
        }
        let (status, _, body) = latest(&emu, None).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", store.name());
        assert_eq!(body["name"], "1.10.0");
        assert_eq!(body["id"], app_version_path(RG, GAL, APP, "1.10.0"));
        assert_eq!(
            body["type"],
            "Microsoft.Compute/galleries/applications/versions"
        );
        assert_eq!(body["properties"]["provisioningState"], "Succeeded");
        assert_eq!(
            body["properties"]["replicationStatus"]["aggregatedState"],
            "Completed"
        );
        version_in(&emu, "10.0.0", &["westus"]).await;
        assert_eq!(latest_name(&emu, None).await, "10.0.0");
        assert_eq!(latest_name(&emu, Some("West US")).await, "10.0.0");
    }
}

#[tokio::test]
async fn latest_skips_versions_excluded_from_latest() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        version_in(&emu, "1.0.0", &["westus", "eastus"]).await;
        let mut excluded = body();
        excluded["properties"]["publishingProfile"]["excludeFromLatest"] = json!(true);
        create(&emu, "2.0.0", excluded).await;
        create(
            &emu,
            "1.5.0",
            with_regions(json!([
                {"name": "westus"},
                {"name": "eastus", "excludeFromLatest": true}
            ])),
        )
        .await;
        assert_eq!(latest_name(&emu, None).await, "1.5.0", "{}", store.name());
        assert_eq!(latest_name(&emu, Some("westus")).await, "1.5.0");
        assert_eq!(latest_name(&emu, Some("eastus")).await, "1.0.0");

        let (status, _, _) = patch(
            &emu,
            "2.0.0",
            json!({"properties": {"publishingProfile": {"excludeFromLatest": false}}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(latest_name(&emu, None).await, "2.0.0");
    }
}

#[tokio::test]
async fn latest_in_a_region_needs_a_version_published_there() {
    for store in Store::all() {
        let emu = with_application(&store, &[]).await;
        version_in(&emu, "1.0.0", &["westus", "northeurope"]).await;
        version_in(&emu, "2.0.0", &["westus"]).await;
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
        let reply = latest(&emu, Some("atlantis")).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], "region");
    }
}

#[tokio::test]
async fn latest_of_an_application_ignores_versions_still_being_created() {
    for store in Store::all() {
        let emu = with_application_manual(&store).await;
        version_in(&emu, "1.0.0", &["westus"]).await;
        assert_none_latest(&latest(&emu, None).await);
        emu.settle().await;
        assert_eq!(latest_name(&emu, None).await, "1.0.0", "{}", store.name());
        version_in(&emu, "2.0.0", &["westus"]).await;
        let (_, _, creating) = get(&emu, "2.0.0").await;
        assert_eq!(creating["properties"]["provisioningState"], "Creating");
        assert_eq!(latest_name(&emu, None).await, "1.0.0");
        emu.settle().await;
        assert_eq!(latest_name(&emu, None).await, "2.0.0");
    }
}

#[tokio::test]
async fn latest_of_a_missing_application_is_resource_not_found() {
    let emu = with_application(&Store::sqlite(), &[]).await;
    let url = emu.url(&app_latest_path(RG, GAL, "nothere", None));
    let reply = emu.call("GET", &url, None).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    // Image and application latest do not mix.
    emu.create_image(RG, GAL, APP, image_body("westus", "p", "o", "s"))
        .await;
    emu.create_version(
        RG,
        GAL,
        APP,
        "5.0.0",
        version_body("westus", &unknown_image_id("base")),
    )
    .await;
    assert_none_latest(&latest(&emu, None).await);
}
