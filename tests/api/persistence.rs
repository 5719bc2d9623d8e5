//! State outlives the process: after a SIGKILL the same store serves the same
//! galleries, resource groups, subscriptions, operations, quotas and paging
//! tokens. Runs on every configured store.

use crate::common::*;

/// What a client can read back about the state made by `populate`.
async fn snapshot(emu: &Emulator) -> Vec<Value> {
    let mut out = Vec::new();
    for (rg, name) in [("rg1", "alpha"), ("rg1", "Beta_2"), ("rg2", "gamma")] {
        let (status, _, body) = emu.get_gallery(rg, name).await;
        assert_eq!(status, StatusCode::OK, "{rg}/{name}: {body}");
        out.push(body);
    }
    out.push(
        emu.call("GET", &emu.api_at(&rg_path("rg1"), RG_API), None)
            .await
            .2,
    );
    out.push(Value::Array(
        emu.list_all(&emu.api(&galleries_of_subscription())).await,
    ));
    out.push(Value::Array(
        emu.list_all(&emu.api_at(&format!("/subscriptions/{SUB}/resourceGroups"), RG_API))
            .await,
    ));
    out.push(Value::Array(
        emu.list_all(&emu.api_at("/subscriptions", SUB_API)).await,
    ));
    out
}

#[tokio::test]
async fn everything_survives_a_kill_and_restart_on_the_same_store() {
    for store in Store::all() {
        let flags = ["--page-size", "2", "--gallery-quota", "2"];
        let mut emu = Emulator::start_on(&store, &flags);
        let (status, _, _) = emu
            .call(
                "PUT",
                &emu.api_at(&rg_path("rg1"), RG_API),
                Some(json!({"location": "westus", "tags": {"owner": "me", "env": "test"}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        emu.put_gallery(
            "rg1",
            "alpha",
            json!({"location": "westus", "tags": {"a": "1"}, "properties": {"description": "first"},
                   "identity": {"type": "SystemAssigned"}}),
        )
        .await;
        emu.put_gallery(
            "rg1",
            "Beta_2",
            json!({"location": "West US", "properties": {"softDeletePolicy": {"isSoftDeleteEnabled": false},
                   "sharingProfile": {"permissions": "Private"}}}),
        )
        .await;
        let (_, op_headers, _) = emu
            .put_gallery("rg2", "gamma", json!({"location": "eastus"}))
            .await;
        let op_url = header(&op_headers, "azure-asyncoperation").to_string();
        let extra = "12345678-1234-1234-1234-123456789abc";
        emu.call(
            "GET",
            &emu.api_at(&format!("/subscriptions/{extra}"), SUB_API),
            None,
        )
        .await;
        let (_, _, first_page) = emu
            .call("GET", &emu.api(&galleries_of_subscription()), None)
            .await;
        let next = first_page["nextLink"]
            .as_str()
            .expect("nextLink")
            .to_string();
        let before = snapshot(&emu).await;
        let (_, _, op_before) = emu.call("GET", &op_url, None).await;

        emu.kill();
        let emu = Emulator::start_on(&store, &flags);
        let after = snapshot(&emu).await;
        assert_eq!(before, after, "{}", store.name());
        assert_eq!(
            after[0]["identity"]["principalId"],
            before[0]["identity"]["principalId"]
        );
        assert_eq!(after[3]["tags"], json!({"owner": "me", "env": "test"}));

        // Monitors and continuation tokens issued before the crash still work
        // (the base URL is the new port's, the path and token are the same).
        let op_path = op_url
            .split_once("/subscriptions/")
            .map(|(_, p)| format!("/subscriptions/{p}"))
            .expect("path");
        let (status, _, op_after) = emu.call("GET", &emu.url(&op_path), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(op_after, op_before);
        let next_path = next
            .split_once("/subscriptions/")
            .map(|(_, p)| format!("/subscriptions/{p}"))
            .expect("path");
        let (status, _, page) = emu.call("GET", &emu.url(&next_path), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["value"].as_array().map(Vec::len), Some(1));

        // The quota count survived too: westus already holds two galleries.
        let reply = emu
            .put_gallery("rg1", "delta", json!({"location": "westus"}))
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "QuotaExceeded");
        // And the unique names.
        let reply = emu
            .put_gallery("rg3", "ALPHA", json!({"location": "eastus"}))
            .await;
        assert_arm_error(&reply, StatusCode::CONFLICT, "GalleryNameNotUnique");
    }
}

#[tokio::test]
async fn an_operation_running_at_a_crash_completes_after_restart() {
    for store in Store::all() {
        let mut emu = Emulator::start_on(&store, &["--timing", "manual"]);
        let (status, headers, _) = emu
            .put_gallery("rg1", "gal1", json!({"location": "westus"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let op_path = header(&headers, "azure-asyncoperation")
            .split_once("/subscriptions/")
            .map(|(_, p)| format!("/subscriptions/{p}"))
            .expect("path");
        emu.kill();

        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        let (_, _, op) = emu.call("GET", &emu.url(&op_path), None).await;
        assert_eq!(op["status"], "InProgress", "{}: {op}", store.name());
        let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(got["properties"]["provisioningState"], "Creating");
        let (status, _, _) = emu
            .call(
                "POST",
                &emu.url("/_emulator/clock/advance"),
                Some(json!({"seconds": 5})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, _, op) = emu.call("GET", &emu.url(&op_path), None).await;
        assert_eq!(op["status"], "Succeeded", "{op}");
        let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    }
}

#[tokio::test]
async fn a_deleted_gallery_stays_deleted_after_restart() {
    for store in Store::all() {
        let mut emu = Emulator::start_on(&store, &[]);
        emu.create_gallery("rg1", "gone", "westus").await;
        emu.create_gallery("rg1", "kept", "westus").await;
        emu.call("DELETE", &emu.api(&gallery_path("rg1", "gone")), None)
            .await;
        emu.kill();
        let emu = Emulator::start_on(&store, &[]);
        let reply = emu.get_gallery("rg1", "gone").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
        let items = emu.list_all(&emu.api(&galleries_in("rg1"))).await;
        assert_eq!(
            ids(&items),
            vec![gallery_path("RG1", "kept")],
            "{}",
            store.name()
        );
    }
}
