//! Long-running operations under `--timing manual`: they stay in progress
//! until the admin plane moves the clock, and both monitor URLs say so.

use crate::common::*;

async fn advance(emu: &Emulator, body: Value) -> Value {
    let (status, _, clock) = emu
        .call("POST", &emu.url("/_emulator/clock/advance"), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    clock
}

async fn clock(emu: &Emulator) -> Value {
    let (status, _, clock) = emu.call("GET", &emu.url("/_emulator/clock"), None).await;
    assert_eq!(status, StatusCode::OK, "{clock}");
    clock
}

#[tokio::test]
async fn a_create_stays_in_progress_until_the_clock_moves() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        let (status, headers, body) = emu
            .put_gallery("rg1", "gal1", json!({"location": "westus"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", store.name());
        assert_eq!(body["properties"]["provisioningState"], "Creating");
        let op_url = header(&headers, "azure-asyncoperation").to_string();
        let op_id = header(&headers, "x-ms-request-id").to_string();

        let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(got["properties"]["provisioningState"], "Creating");
        let (status, headers, op) = emu.call("GET", &op_url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(op["status"], "InProgress");
        assert_eq!(op["name"], op_id);
        assert!(op["startTime"].is_string());
        assert!(op.get("endTime").is_none(), "{op}");
        assert_eq!(header(&headers, "retry-after"), "1");

        let before = clock(&emu).await;
        let after = advance(&emu, json!({"seconds": 5})).await;
        assert_eq!(after["mode"], "manual");
        assert_eq!(
            after["nowMicros"].as_i64().expect("nowMicros")
                - before["nowMicros"].as_i64().expect("nowMicros"),
            5_000_000
        );
        assert_eq!(after["completedOperations"], 1);

        let (status, headers, op) = emu.call("GET", &op_url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(op["status"], "Succeeded");
        assert_eq!(op["endTime"], after["now"], "ends at the virtual now");
        assert!(op["endTime"].as_str() > op["startTime"].as_str());
        assert_eq!(header(&headers, "retry-after"), "");
        let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    }
}

#[tokio::test]
async fn a_delete_monitor_answers_202_while_running_and_204_when_done() {
    for store in Store::all() {
        let emu = Emulator::start_on(&store, &["--timing", "manual"]);
        emu.create_gallery("rg1", "gal1", "westus").await;
        advance(&emu, json!({"seconds": 5})).await;
        let (status, headers, _) = emu
            .call("DELETE", &emu.api(&gallery_path("rg1", "gal1")), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{}", store.name());
        let location = header(&headers, "location").to_string();
        let async_url = header(&headers, "azure-asyncoperation").to_string();

        let (status, headers, body) = emu.call("GET", &location, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(header(&headers, "location"), location);
        assert_eq!(header(&headers, "retry-after"), "1");
        let (_, _, op) = emu.call("GET", &async_url, None).await;
        assert_eq!(op["status"], "InProgress");
        let (status, _, got) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["properties"]["provisioningState"], "Deleting");

        let moved = advance(&emu, json!({"toNextEvent": true})).await;
        assert_eq!(moved["completedOperations"], 1);
        let (status, _, body) = emu.call("GET", &location, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let (_, _, op) = emu.call("GET", &async_url, None).await;
        assert_eq!(op["status"], "Succeeded");
        assert!(op["endTime"].is_string());
        let reply = emu.get_gallery("rg1", "gal1").await;
        assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    }
}

#[tokio::test]
async fn to_next_event_moves_the_clock_just_far_enough() {
    let emu = Emulator::start(&["--timing", "manual"]);
    let idle = advance(&emu, json!({"toNextEvent": true})).await;
    assert_eq!(idle["completedOperations"], 0);
    let start = clock(&emu).await["nowMicros"].as_i64().expect("now");
    assert_eq!(idle["nowMicros"], start, "nothing due: the clock stays");

    let (_, headers, _) = emu
        .put_gallery("rg1", "gal1", json!({"location": "westus"}))
        .await;
    let moved = advance(&emu, json!({"toNextEvent": true})).await;
    assert_eq!(moved["completedOperations"], 1);
    let moved_by = moved["nowMicros"].as_i64().expect("now") - start;
    assert!(
        moved_by > 0 && moved_by <= 10_000_000,
        "moved {moved_by} µs"
    );
    let (_, _, op) = emu
        .call("GET", header(&headers, "azure-asyncoperation"), None)
        .await;
    assert_eq!(op["status"], "Succeeded");
}

#[tokio::test]
async fn an_update_shows_updating_until_the_clock_moves() {
    let emu = Emulator::start(&["--timing", "manual"]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    advance(&emu, json!({"seconds": 5})).await;
    let (status, headers, body) = emu
        .call(
            "PATCH",
            &emu.api(&gallery_path("rg1", "gal1")),
            Some(json!({"properties": {"description": "new"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["provisioningState"], "Updating");
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(got["properties"]["provisioningState"], "Updating");
    assert_eq!(got["properties"]["description"], "new");
    advance(&emu, json!({"seconds": 5})).await;
    let (_, _, op) = emu
        .call("GET", header(&headers, "azure-asyncoperation"), None)
        .await;
    assert_eq!(op["status"], "Succeeded");
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn a_short_advance_leaves_the_operation_running() {
    let emu = Emulator::start(&["--timing", "manual"]);
    let (_, headers, _) = emu
        .put_gallery("rg1", "gal1", json!({"location": "westus"}))
        .await;
    let moved = advance(&emu, json!({"seconds": 0.5})).await;
    assert_eq!(moved["completedOperations"], 0);
    let (_, _, op) = emu
        .call("GET", header(&headers, "azure-asyncoperation"), None)
        .await;
    assert_eq!(op["status"], "InProgress");
}

#[tokio::test]
async fn advancing_the_clock_in_instant_timing_is_clock_not_manual() {
    let emu = Emulator::start(&[]);
    let reply = emu
        .call(
            "POST",
            &emu.url("/_emulator/clock/advance"),
            Some(json!({"seconds": 5})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::CONFLICT, "ClockNotManual");
    let clock = clock(&emu).await;
    assert_eq!(clock["mode"], "system");
    assert!(clock["now"].as_str().is_some_and(|t| t.ends_with("+00:00")));
    assert!(clock["nowMicros"].as_i64().is_some_and(|n| n > 0));
}

#[tokio::test]
async fn the_clock_reports_manual_mode_and_refuses_bad_advances() {
    let emu = Emulator::start(&["--timing", "manual"]);
    let clock = clock(&emu).await;
    assert_eq!(clock["mode"], "manual");
    assert!(clock["now"].is_string());
    for body in [
        json!({"seconds": -1}),
        json!({"seconds": 1, "toNextEvent": true}),
        json!({}),
        json!({"toNextEvent": false}),
    ] {
        let reply = emu
            .call("POST", &emu.url("/_emulator/clock/advance"), Some(body))
            .await;
        assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
    }
    let reply = emu
        .call(
            "POST",
            &emu.url("/_emulator/clock/advance"),
            Some(json!({"minutes": 1})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
}

#[tokio::test]
async fn a_replace_while_creating_supersedes_the_create() {
    let emu = Emulator::start(&["--timing", "manual"]);
    let (_, first, _) = emu
        .put_gallery("rg1", "gal1", json!({"location": "westus"}))
        .await;
    let (status, second, body) = emu
        .put_gallery(
            "rg1",
            "gal1",
            json!({"location": "westus", "properties": {"description": "two"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["properties"]["provisioningState"], "Updating");
    advance(&emu, json!({"seconds": 5})).await;
    for headers in [&first, &second] {
        let (_, _, op) = emu
            .call("GET", header(headers, "azure-asyncoperation"), None)
            .await;
        assert_eq!(op["status"], "Succeeded", "{op}");
    }
    let (_, _, got) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(got["properties"]["provisioningState"], "Succeeded");
    assert_eq!(got["properties"]["description"], "two");
}

#[tokio::test]
async fn a_gallery_that_vanishes_with_its_resource_group_cancels_its_operation() {
    let emu = Emulator::start(&["--timing", "manual"]);
    let (_, headers, _) = emu
        .put_gallery("rg1", "gal1", json!({"location": "westus"}))
        .await;
    let (status, _, _) = emu
        .call("DELETE", &emu.api_at(&rg_path("rg1"), RG_API), None)
        .await;
    assert!(status.is_success(), "{status}");
    advance(&emu, json!({"seconds": 5})).await;
    let (status, _, op) = emu
        .call("GET", header(&headers, "azure-asyncoperation"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(op["status"], "Canceled", "{op}");
    assert!(op["endTime"].is_string());
}
