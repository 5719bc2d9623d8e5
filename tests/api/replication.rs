//! Replication of versions region by region, as a client watches it through
//! `$expand=ReplicationStatus`: on the manual clock step by step, on the
//! system clock in realistic timing, across a crash, and shared by two
//! instances on one store.

use std::time::{Duration, Instant};

use crate::common::*;

const RG: &str = "rg1";
const GAL: &str = "gal1";
const IMG: &str = "img1";

/// An emulator with gallery `gal1` and definition `img1` in westus, every
/// operation settled.
async fn with_definition(store: &Store, flags: &[&str]) -> Emulator {
    let emu = Emulator::start_on(store, flags);
    prepare(&emu).await;
    emu
}

async fn prepare(emu: &Emulator) {
    emu.create_gallery(RG, GAL, "westus").await;
    emu.create_image(RG, GAL, IMG, image_body("westus", "p", "o", "s"))
        .await;
    if emu.timing().await == "manual" {
        emu.settle().await;
    }
}

/// A westus version of 30 GB (the default size of an unknown source),
/// published to `regions`, with extra publishing properties.
fn body(regions: &[&str], publishing: Value) -> Value {
    let mut body = version_body_in("westus", &unknown_image_id("base"), regions);
    if let (Some(target), Some(extra)) = (
        body["properties"]["publishingProfile"].as_object_mut(),
        publishing.as_object(),
    ) {
        target.extend(extra.clone());
    }
    body
}

/// One region of a replication status: display name, state, progress.
type Region = (String, String, i64);

#[derive(Debug, Clone)]
struct Watched {
    provisioning: String,
    aggregated: String,
    regions: Vec<Region>,
}

impl Emulator {
    async fn timing(&self) -> String {
        let (_, _, timing) = self.call("GET", &self.url("/_emulator/timing"), None).await;
        timing["mode"].as_str().unwrap_or_default().to_string()
    }

    async fn watch(&self, version: &str) -> Watched {
        let url = self.api(&format!(
            "{}?$expand=ReplicationStatus",
            version_path(RG, GAL, IMG, version)
        ));
        let (status, _, got) = self.call("GET", &url, None).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        let props = &got["properties"];
        let status = &props["replicationStatus"];
        Watched {
            provisioning: props["provisioningState"].as_str().unwrap_or("").into(),
            aggregated: status["aggregatedState"].as_str().unwrap_or("").into(),
            regions: status["summary"]
                .as_array()
                .expect("summary")
                .iter()
                .map(|r| {
                    (
                        r["region"].as_str().unwrap_or("").into(),
                        r["state"].as_str().unwrap_or("").into(),
                        r["progress"].as_i64().expect("progress"),
                    )
                })
                .collect(),
        }
    }

    async fn worker_counters(&self) -> Value {
        let (status, _, got) = self.call("GET", &self.url("/_emulator/worker"), None).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        got
    }

    async fn step_clock(&self) -> (i64, i64) {
        let moved = self.advance_clock(json!({"toNextEvent": true})).await;
        (
            moved["completedRegions"].as_i64().expect("regions"),
            moved["completedOperations"].as_i64().expect("operations"),
        )
    }

    /// Waits (on the system clock) until `version` has finished.
    async fn until_finished(&self, version: &str, seen: &mut Vec<Watched>) -> Watched {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let now = self.watch(version).await;
            if !["Creating", "Updating"].contains(&now.provisioning.as_str()) {
                return now;
            }
            assert!(Instant::now() < deadline, "{version} never finished");
            seen.push(now);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn states(w: &Watched) -> Vec<&str> {
    w.regions.iter().map(|r| r.1.as_str()).collect()
}

fn progress(w: &Watched) -> Vec<i64> {
    w.regions.iter().map(|r| r.2).collect()
}

/// No region's progress ever went down, nor a finished region back to
/// replicating, from one observation to the next.
fn assert_forward(seen: &[Watched]) {
    for pair in seen.windows(2) {
        for (before, after) in pair[0].regions.iter().zip(&pair[1].regions) {
            assert!(after.2 >= before.2, "{before:?} went back to {after:?}");
            assert!(
                before.1 == "Replicating" || before.1 == after.1,
                "{before:?} became {after:?}"
            );
        }
    }
}

fn op_path(headers: &reqwest::header::HeaderMap) -> String {
    header(headers, "azure-asyncoperation")
        .split_once("/subscriptions/")
        .map(|(_, p)| format!("/subscriptions/{p}"))
        .expect("Azure-AsyncOperation")
}

#[tokio::test]
async fn regions_replicate_one_by_one_as_the_manual_clock_moves() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--timing", "manual"]).await;
        let regions = ["westus", "eastus", "westeurope"];
        let (status, headers, created) = emu
            .put_version(RG, GAL, IMG, "1.0.0", body(&regions, json!({})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let op = emu.url(&op_path(&headers));
        let mut seen = vec![emu.watch("1.0.0").await];
        assert_eq!(seen[0].provisioning, "Creating");
        assert_eq!(seen[0].aggregated, "InProgress");
        assert_eq!(
            seen[0].regions,
            vec![
                ("West US".to_string(), "Replicating".to_string(), 0),
                ("East US".to_string(), "Replicating".to_string(), 0),
                ("West Europe".to_string(), "Replicating".to_string(), 0),
            ]
        );

        // 60 s in: the nearer the region, the further along (30 GB over three
        // regions: 97.5 s to westus on LRS, 198.75 s to eastus and 367.5 s to
        // westeurope on the zone-redundant storage the default strategy picks).
        let moved = emu.advance_clock(json!({"seconds": 60})).await;
        assert_eq!(moved["completedRegions"], 0, "{moved}");
        seen.push(emu.watch("1.0.0").await);
        assert_eq!(progress(&seen[1]), vec![61, 30, 16]);
        assert_eq!(states(&seen[1]), vec!["Replicating"; 3]);

        assert_eq!(emu.step_clock().await, (1, 0));
        seen.push(emu.watch("1.0.0").await);
        assert_eq!(
            states(&seen[2]),
            vec!["Completed", "Replicating", "Replicating"]
        );
        assert_eq!(seen[2].regions[0].2, 100);
        assert_eq!(seen[2].provisioning, "Creating");
        let (_, _, running) = emu.call("GET", &op, None).await;
        assert_eq!(running["status"], "InProgress", "{running}");

        assert_eq!(emu.step_clock().await, (1, 0));
        seen.push(emu.watch("1.0.0").await);
        assert_eq!(
            states(&seen[3]),
            vec!["Completed", "Completed", "Replicating"]
        );
        assert_eq!(seen[3].aggregated, "InProgress");

        assert_eq!(emu.step_clock().await, (1, 1));
        seen.push(emu.watch("1.0.0").await);
        assert_eq!(seen[4].provisioning, "Succeeded");
        assert_eq!(seen[4].aggregated, "Completed");
        assert_eq!(progress(&seen[4]), vec![100; 3]);
        assert_forward(&seen);
        let (_, _, done) = emu.call("GET", &op, None).await;
        assert_eq!(done["status"], "Succeeded", "{done}");
        // Nothing is left to happen.
        assert_eq!(emu.step_clock().await, (0, 0));

        let counters = emu.worker_counters().await;
        assert_eq!(counters["regionSteps"], 3, "{counters}");
        assert_eq!(counters["recordedSteps"], 3, "{counters}");
    }
}

#[tokio::test]
async fn an_update_replicates_only_what_is_new_and_drops_removed_regions() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--timing", "manual"]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            body(&["westus", "eastus"], json!({})),
        )
        .await;
        emu.settle().await;

        // A second replica in westus and a new region: eastus stays complete.
        let grow = json!({"properties": {"publishingProfile": {"targetRegions": [
            {"name": "westus", "regionalReplicaCount": 2},
            {"name": "eastus"},
            {"name": "northeurope"}
        ]}}});
        let (status, _, updated) = emu.patch_version(RG, GAL, IMG, "1.0.0", grow).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["properties"]["provisioningState"], "Updating");
        let mut seen = vec![emu.watch("1.0.0").await];
        assert_eq!(seen[0].provisioning, "Updating");
        assert_eq!(
            states(&seen[0]),
            vec!["Replicating", "Completed", "Replicating"]
        );
        assert_eq!(seen[0].regions[1].2, 100);
        // While it updates, the version is still the latest.
        let (status, _, latest) = emu
            .call("GET", &emu.url(&latest_path(RG, GAL, IMG, None)), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{latest}");
        assert_eq!(latest["name"], "1.0.0");

        assert_eq!(emu.step_clock().await, (1, 0));
        seen.push(emu.watch("1.0.0").await);
        assert_eq!(emu.step_clock().await, (1, 1));
        seen.push(emu.watch("1.0.0").await);
        assert_forward(&seen);
        assert_eq!(seen[2].provisioning, "Succeeded");
        assert_eq!(states(&seen[2]), vec!["Completed"; 3]);

        // Removing a replicated region needs the safety flag ...
        let shrink = |allow: bool| {
            json!({"properties": {
                "publishingProfile": {"targetRegions": [
                    {"name": "westus", "regionalReplicaCount": 2},
                    {"name": "northeurope"}
                ]},
                "safetyProfile": {"allowDeletionOfReplicatedLocations": allow}
            }})
        };
        let reply = emu
            .patch_version(RG, GAL, IMG, "1.0.0", shrink(false))
            .await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        // ... and then copies nothing: the regions left are complete.
        let (status, _, _) = emu.patch_version(RG, GAL, IMG, "1.0.0", shrink(true)).await;
        assert_eq!(status, StatusCode::OK);
        let shrunk = emu.watch("1.0.0").await;
        assert_eq!(shrunk.provisioning, "Updating");
        assert_eq!(
            shrunk.regions,
            vec![
                ("West US".to_string(), "Completed".to_string(), 100),
                ("North Europe".to_string(), "Completed".to_string(), 100),
            ]
        );
        assert_eq!(emu.step_clock().await, (0, 1));
        assert_eq!(emu.watch("1.0.0").await.provisioning, "Succeeded");
        let counters = emu.worker_counters().await;
        assert_eq!(counters["recordedSteps"], 4, "{counters}");
    }
}

#[tokio::test]
async fn shallow_replication_finishes_every_region_in_seconds() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--timing", "manual"]).await;
        emu.create_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            body(
                &["westus", "eastus", "japaneast"],
                json!({"replicationMode": "Shallow"}),
            ),
        )
        .await;
        let moved = emu.advance_clock(json!({"seconds": 4.9})).await;
        assert_eq!(moved["completedRegions"], 0, "{moved}");
        let moved = emu.advance_clock(json!({"seconds": 0.1})).await;
        assert_eq!(moved["completedRegions"], 3, "{moved}");
        assert_eq!(moved["completedOperations"], 1, "{moved}");
        let done = emu.watch("1.0.0").await;
        assert_eq!(done.provisioning, "Succeeded");
        assert_eq!(states(&done), vec!["Completed"; 3]);
    }
}

#[tokio::test]
async fn application_versions_replicate_region_by_region_too() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        emu.create_gallery(RG, GAL, "westus").await;
        emu.settle().await;
        emu.create_application(RG, GAL, "app", application_body("westus", "Linux"))
            .await;
        emu.create_app_version(
            RG,
            GAL,
            "app",
            "1.0.0",
            app_version_body_in("westus", &media_link("app.zip"), &["westus", "eastus"]),
        )
        .await;
        // 1 GB over two regions: 31.875 s to westus, 34.6875 s to eastus (ZRS).
        emu.advance_clock(json!({"seconds": 32})).await;
        let url = emu.api(&format!(
            "{}?$expand=ReplicationStatus",
            app_version_path(RG, GAL, "app", "1.0.0")
        ));
        let (_, _, half) = emu.call("GET", &url, None).await;
        let summary = &half["properties"]["replicationStatus"]["summary"];
        assert_eq!(summary[0]["state"], "Completed", "{half}");
        assert_eq!(summary[1]["state"], "Replicating", "{half}");
        assert_eq!(half["properties"]["provisioningState"], "Creating");
        emu.advance_clock(json!({"seconds": 3})).await;
        let (_, _, done) = emu.call("GET", &url, None).await;
        assert_eq!(
            done["properties"]["provisioningState"], "Succeeded",
            "{done}"
        );
        assert_eq!(
            done["properties"]["replicationStatus"]["aggregatedState"],
            "Completed"
        );
    }
}

#[tokio::test]
async fn realistic_timing_replicates_on_the_system_clock_scaled() {
    let emu = with_definition(
        &Store::sqlite(),
        &["--timing", "realistic", "--time-scale", "0.01"],
    )
    .await;
    let (status, headers, _) = emu
        .put_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            body(&["westus", "eastus"], json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // 86.25 s and 142.5 s of modelled time: about 0.9 s and 1.4 s.
    let mut seen = Vec::new();
    let done = emu.until_finished("1.0.0", &mut seen).await;
    assert!(
        seen.iter()
            .any(|w| w.aggregated == "InProgress" && w.regions.iter().any(|r| r.2 > 0)),
        "replication was never seen in progress"
    );
    seen.push(done);
    assert_forward(&seen);
    let done = seen.last().expect("done");
    assert_eq!(done.provisioning, "Succeeded");
    assert_eq!(states(done), vec!["Completed"; 2]);
    let (_, _, op) = emu.call("GET", &emu.url(&op_path(&headers)), None).await;
    assert_eq!(op["status"], "Succeeded", "{op}");
}

#[tokio::test]
async fn timing_switches_at_run_time_and_now_never_goes_back() {
    let emu = Emulator::start(&[]);
    let timing = |body: Value| {
        let emu = &emu;
        async move {
            emu.call("PUT", &emu.url("/_emulator/timing"), Some(body))
                .await
        }
    };
    let (_, _, got) = emu.call("GET", &emu.url("/_emulator/timing"), None).await;
    assert_eq!(got, json!({"mode": "instant", "timeScale": 1.0}));
    let (status, _, got) = timing(json!({"mode": "realistic", "timeScale": 0.5})).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, json!({"mode": "realistic", "timeScale": 0.5}));
    let (_, _, info) = emu.call("GET", &emu.url("/_emulator/info"), None).await;
    assert_eq!(info["timing"], "realistic");

    // Manual keeps the scale; its clock starts at now and moves when told.
    let (_, _, got) = timing(json!({"mode": "manual"})).await;
    assert_eq!(got, json!({"mode": "manual", "timeScale": 0.5}));
    let (_, _, clock) = emu.call("GET", &emu.url("/_emulator/clock"), None).await;
    let frozen = clock["nowMicros"].as_i64().expect("now");
    let moved = emu.advance_clock(json!({"seconds": 7200})).await;
    assert_eq!(moved["nowMicros"].as_i64(), Some(frozen + 7_200_000_000));
    // Leaving manual carries on from the virtual now, two hours ahead.
    timing(json!({"mode": "instant"})).await;
    let (_, _, clock) = emu.call("GET", &emu.url("/_emulator/clock"), None).await;
    assert!(clock["nowMicros"].as_i64().expect("now") >= frozen + 7_200_000_000);
    assert_eq!(clock["mode"], "system");
    let (status, _, _) = emu
        .put_gallery(RG, GAL, json!({"location": "westus"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, got) = emu.get_gallery(RG, GAL).await;
    assert_eq!(
        got["properties"]["provisioningState"], "Succeeded",
        "instant again"
    );

    for (bad, target) in [
        (json!({"mode": "fast"}), "mode"),
        (json!({"mode": "realistic", "timeScale": 0}), "timeScale"),
        (json!({"mode": "realistic", "timeScale": -1}), "timeScale"),
        (json!({"mode": "realistic", "timeScale": "x"}), "timeScale"),
        (json!({"mode": "manual", "speed": 2}), ""),
    ] {
        let reply = timing(bad.clone()).await;
        assert_eq!(reply.0, StatusCode::BAD_REQUEST, "{bad}: {}", reply.2);
        if !target.is_empty() {
            assert!(
                reply.2["error"]["target"]
                    .as_str()
                    .is_some_and(|t| t.contains(target)),
                "{bad}: {}",
                reply.2
            );
        }
    }
    let (_, _, got) = emu.call("GET", &emu.url("/_emulator/timing"), None).await;
    assert_eq!(got["mode"], "instant", "refused switches changed nothing");
}

#[tokio::test]
async fn the_manual_clock_carries_on_after_a_restart() {
    for store in Store::all() {
        let mut emu = Emulator::start_on(&store, &["--timing", "manual"]);
        let moved = emu.advance_clock(json!({"seconds": 86_400})).await;
        let reached = moved["nowMicros"].as_i64().expect("now");
        emu.kill();
        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        let (_, _, clock) = emu.call("GET", &emu.url("/_emulator/clock"), None).await;
        assert!(
            clock["nowMicros"].as_i64().expect("now") >= reached,
            "{}: {clock}",
            store.name()
        );
    }
}

const VERSIONS: [&str; 3] = ["1.0.0", "1.0.1", "1.0.2"];
const REGIONS: [&str; 3] = ["westus", "eastus", "westeurope"];

async fn create_versions(emu: &Emulator) {
    for v in VERSIONS {
        emu.create_version(RG, GAL, IMG, v, body(&REGIONS, json!({})))
            .await;
    }
}

async fn watch_all(emu: &Emulator) -> Vec<Watched> {
    let mut all = Vec::new();
    for v in VERSIONS {
        all.push(emu.watch(v).await);
    }
    all
}

fn assert_all_complete(all: &[Watched], store: &Store) {
    for w in all {
        assert_eq!(w.provisioning, "Succeeded", "{}", store.name());
        assert_eq!(states(w), vec!["Completed"; 3], "{}", store.name());
    }
}

#[tokio::test]
async fn a_kill_mid_replication_on_the_manual_clock_resumes_where_it_was() {
    for store in Store::all() {
        let flags = ["--timing", "manual"];
        let mut emu = with_definition(&store, &flags).await;
        create_versions(&emu).await;
        // Every westus region finishes first.
        assert_eq!(emu.step_clock().await, (3, 0));
        emu.advance_clock(json!({"seconds": 20})).await;
        let before = watch_all(&emu).await;
        emu.kill();

        let emu = Emulator::start_on(&store, &flags);
        let after = watch_all(&emu).await;
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(a.provisioning, "Creating", "{}", store.name());
            assert_eq!(a.regions, b.regions, "{}: nothing moved", store.name());
        }
        emu.settle().await;
        let end = watch_all(&emu).await;
        assert_all_complete(&end, &store);
        for (i, w) in end.into_iter().enumerate() {
            assert_forward(&[before[i].clone(), w]);
        }
        let counters = emu.worker_counters().await;
        assert_eq!(counters["recordedSteps"], 9, "{}: {counters}", store.name());
    }
}

#[tokio::test]
async fn a_kill_mid_replication_in_realistic_timing_resumes_and_finishes() {
    for store in Store::all() {
        // 30 GB over three regions at 0.02: about 2 s, 4 s and 7.4 s.
        let flags = ["--timing", "realistic", "--time-scale", "0.02"];
        let mut emu = with_definition(&store, &flags).await;
        create_versions(&emu).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while emu.worker_counters().await["regionSteps"].as_i64() < Some(3) {
            assert!(Instant::now() < deadline, "no region finished");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let before = watch_all(&emu).await;
        assert!(
            before.iter().all(|w| w.provisioning == "Creating"),
            "{}: the kill came too late to test anything",
            store.name()
        );
        emu.kill();

        let emu = Emulator::start_on(&store, &flags);
        let mut end = Vec::new();
        for (v, b) in VERSIONS.iter().zip(before) {
            let mut seen = vec![b];
            let done = emu.until_finished(v, &mut seen).await;
            seen.push(done);
            assert_forward(&seen);
            end.push(seen.pop().expect("done"));
        }
        assert_all_complete(&end, &store);
        let counters = emu.worker_counters().await;
        assert_eq!(counters["recordedSteps"], 9, "{}: {counters}", store.name());
    }
}

#[tokio::test]
async fn two_instances_on_one_postgres_share_the_replication_and_apply_each_step_once() {
    let Some(store) = Store::postgres() else {
        return;
    };
    let flags = ["--timing", "realistic", "--time-scale", "0.01"];
    let a = with_definition(&store, &flags).await;
    let b = Emulator::start_on(&store, &flags);
    let count = 24;
    for i in 0..count {
        let emu = if i % 2 == 0 { &a } else { &b };
        emu.create_version(RG, GAL, IMG, &format!("2.0.{i}"), body(&REGIONS, json!({})))
            .await;
    }
    for i in 0..count {
        let watcher = if i % 2 == 0 { &b } else { &a };
        let url = watcher.api(&format!(
            "{}?$expand=ReplicationStatus",
            version_path(RG, GAL, IMG, &format!("2.0.{i}"))
        ));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, _, got) = watcher.call("GET", &url, None).await;
            if got["properties"]["provisioningState"] == "Succeeded" {
                assert_eq!(
                    got["properties"]["replicationStatus"]["aggregatedState"],
                    "Completed"
                );
                break;
            }
            assert!(Instant::now() < deadline, "2.0.{i} never finished: {got}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (ca, cb) = (a.worker_counters().await, b.worker_counters().await);
    let steps = |c: &Value| c["regionSteps"].as_i64().expect("steps");
    assert_ne!(ca["instance"], cb["instance"]);
    assert_eq!(steps(&ca) + steps(&cb), count * 3, "{ca} {cb}");
    assert_eq!(ca["recordedSteps"], count * 3, "{ca}");
    assert_eq!(cb["recordedSteps"], count * 3, "{cb}");
}

async fn add_rule(emu: &Emulator, rule: Value) {
    let (status, _, got) = emu
        .call("POST", &emu.url("/_emulator/faults"), Some(rule))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{got}");
}

fn eastus_fails(after_progress: i64) -> Value {
    json!({
        "kind": "replication",
        "versionPattern": "*/images/img1/versions/1.*",
        "region": "East US",
        "code": "ReplicationFailed",
        "message": "Copy to eastus failed.",
        "afterProgress": after_progress,
        "times": 1
    })
}

#[tokio::test]
async fn a_region_failed_by_a_fault_rule_fails_the_version_with_its_error() {
    for store in Store::all() {
        let emu = with_definition(&store, &["--timing", "manual"]).await;
        add_rule(&emu, eastus_fails(40)).await;
        let (_, headers, _) = emu
            .put_version(
                RG,
                GAL,
                IMG,
                "1.0.0",
                body(&["westus", "eastus"], json!({})),
            )
            .await;
        let op = emu.url(&op_path(&headers));
        // 30 GB over two regions: westus takes 86.25 s; eastus (ZRS) would
        // take 142.5 s × 1.25 = 178.125 s and fails at 40%, at 71.25 s.
        assert_eq!(emu.step_clock().await, (1, 0));
        let failed = emu.watch("1.0.0").await;
        assert_eq!(
            failed.regions[1],
            ("East US".to_string(), "Failed".to_string(), 40)
        );
        assert_eq!(failed.regions[0].1, "Replicating");
        assert_eq!(failed.aggregated, "Failed");
        assert_eq!(failed.provisioning, "Creating", "westus still replicates");
        let url = emu.api(&format!(
            "{}?$expand=ReplicationStatus",
            version_path(RG, GAL, IMG, "1.0.0")
        ));
        let (_, _, got) = emu.call("GET", &url, None).await;
        let details = got["properties"]["replicationStatus"]["summary"][1]["details"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(details.contains("ReplicationFailed"), "{details}");

        assert_eq!(emu.step_clock().await, (1, 1));
        let done = emu.watch("1.0.0").await;
        assert_eq!(done.provisioning, "Failed", "{}", store.name());
        assert_eq!(states(&done), vec!["Completed", "Failed"]);
        let (_, _, op_body) = emu.call("GET", &op, None).await;
        assert_eq!(op_body["status"], "Failed", "{op_body}");
        assert_eq!(
            op_body["error"],
            json!({"code": "ReplicationFailed", "message": "Copy to eastus failed."})
        );
        let (_, _, rules) = emu.call("GET", &emu.url("/_emulator/faults"), None).await;
        assert_eq!(rules["value"][0]["fired"], 1, "{rules}");

        // An update tries the failed region again; the rule is spent.
        let (status, _, _) = emu
            .patch_version(RG, GAL, IMG, "1.0.0", json!({"tags": {"retry": "1"}}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let retried = emu.watch("1.0.0").await;
        assert_eq!(retried.provisioning, "Updating");
        assert_eq!(
            retried.regions[1],
            ("East US".to_string(), "Replicating".to_string(), 0)
        );
        emu.settle().await;
        let healed = emu.watch("1.0.0").await;
        assert_eq!(healed.provisioning, "Succeeded");
        assert_eq!(states(&healed), vec!["Completed"; 2]);
    }
}

#[tokio::test]
async fn in_instant_timing_a_failed_region_fails_the_operation_before_the_first_poll() {
    let emu = with_definition(&Store::sqlite(), &[]).await;
    add_rule(&emu, eastus_fails(0)).await;
    let (status, headers, _) = emu
        .put_version(
            RG,
            GAL,
            IMG,
            "1.0.0",
            body(&["westus", "eastus"], json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, op) = emu.call("GET", &emu.url(&op_path(&headers)), None).await;
    assert_eq!(op["status"], "Failed", "{op}");
    assert_eq!(op["error"]["code"], "ReplicationFailed");
    let failed = emu.watch("1.0.0").await;
    assert_eq!(failed.provisioning, "Failed");
    assert_eq!(
        failed.regions,
        vec![
            ("West US".to_string(), "Completed".to_string(), 100),
            ("East US".to_string(), "Failed".to_string(), 0),
        ]
    );
    // Another version of the same image is not matched once the rule is spent.
    emu.create_version(
        RG,
        GAL,
        IMG,
        "1.0.1",
        body(&["westus", "eastus"], json!({})),
    )
    .await;
    assert_eq!(emu.watch("1.0.1").await.provisioning, "Succeeded");
}

#[tokio::test]
async fn a_dead_instances_share_of_the_replication_is_taken_over() {
    let Some(store) = Store::postgres() else {
        return;
    };
    // 30 GB over three regions at 0.05: about 5 s, 10 s and 18 s.
    let flags = ["--timing", "realistic", "--time-scale", "0.05"];
    let a = with_definition(&store, &flags).await;
    let mut b = Emulator::start_on(&store, &flags);
    let count = 8;
    for i in 0..count {
        b.create_version(RG, GAL, IMG, &format!("3.0.{i}"), body(&REGIONS, json!({})))
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.worker_counters().await["recordedSteps"].as_i64() < Some(count) {
        assert!(Instant::now() < deadline, "no region finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.kill();
    for i in 0..count {
        let url = a.api(&format!(
            "{}?$expand=ReplicationStatus",
            version_path(RG, GAL, IMG, &format!("3.0.{i}"))
        ));
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let (_, _, got) = a.call("GET", &url, None).await;
            if got["properties"]["provisioningState"] == "Succeeded" {
                break;
            }
            assert!(Instant::now() < deadline, "3.0.{i} never finished: {got}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let counters = a.worker_counters().await;
    assert_eq!(counters["recordedSteps"], count * 3, "{counters}");
}
