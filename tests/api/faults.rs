//! Fault injection under `/_emulator/faults`: request rules that fail
//! matching ARM requests (counted, deterministic), replication rules, and
//! the admin routes that keep them.

use std::time::{Duration, Instant};

use crate::common::*;

const FAULTS: &str = "/_emulator/faults";

impl Emulator {
    /// Adds a rule and asserts it was taken; the rule as listed.
    async fn add_fault(&self, rule: Value) -> Value {
        let (status, headers, body) = self.call("POST", &self.url(FAULTS), Some(rule)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(headers.get("x-ms-request-id").is_some());
        assert!(
            body["id"].as_str().is_some_and(|id| id.len() == 36),
            "{body}"
        );
        assert_eq!(body["fired"], 0);
        body
    }

    async fn faults(&self) -> Vec<Value> {
        let (status, _, body) = self.call("GET", &self.url(FAULTS), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["value"].as_array().expect("value").clone()
    }

    /// The firing count of rule `id`.
    async fn fired(&self, id: &Value) -> u64 {
        self.faults()
            .await
            .iter()
            .find(|r| r["id"] == *id)
            .unwrap_or_else(|| panic!("rule {id} is listed"))["fired"]
            .as_u64()
            .expect("fired")
    }
}

fn throttle(path: &str, times: u64) -> Value {
    json!({
        "method": "get",
        "path": path,
        "status": 429,
        "code": "TooManyRequests",
        "message": "Slow down.",
        "times": times,
    })
}

#[tokio::test]
async fn a_rule_for_n_times_fires_exactly_n_times_then_lets_requests_through() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let rule = emu
        .add_fault(json!({
            "method": "GET",
            "path": "*/galleries/gal1",
            "status": 500,
            "code": "InternalServerError",
            "message": "Injected.",
            "times": 3,
        }))
        .await;
    assert_eq!(rule["kind"], "request");
    assert_eq!(rule["spent"], false);
    for n in 1..=3 {
        let reply = emu.get_gallery("rg1", "gal1").await;
        let error = assert_arm_error(
            &reply,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
        );
        assert_eq!(error["message"], "Injected.");
        // The layers around the rule still run: ARM's headers are there.
        let headers = &reply.1;
        assert!(headers.get("x-ms-request-id").is_some());
        assert_eq!(header(headers, "x-ms-failure-cause"), "service");
        assert_eq!(header(headers, "x-emulator-fault-rule"), rule["id"]);
        // Only 429 and 503 carry Retry-After unless the rule names one.
        assert!(headers.get("retry-after").is_none());
        assert_eq!(emu.fired(&rule["id"]).await, n);
    }
    let (status, headers, body) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get("x-emulator-fault-rule").is_none());
    let listed = emu.faults().await;
    assert_eq!(listed.len(), 1, "a spent rule stays listed");
    assert_eq!(listed[0]["fired"], 3);
    assert_eq!(listed[0]["spent"], true);
    assert_eq!(listed[0]["times"], 3);
}

#[tokio::test]
async fn a_failing_write_does_not_reach_its_handler() {
    let emu = Emulator::start(&[]);
    emu.add_fault(json!({
        "method": "PUT", "path": "*/galleries/*", "status": 409, "code": "Conflict", "times": 1
    }))
    .await;
    let reply = emu
        .put_gallery("rg1", "gal1", json!({"location": "westus"}))
        .await;
    assert_arm_error(&reply, StatusCode::CONFLICT, "Conflict");
    let reply = emu.get_gallery("rg1", "gal1").await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    emu.create_gallery("rg1", "gal1", "westus").await;
}

#[tokio::test]
async fn method_and_path_must_both_match() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    emu.create_gallery("rg1", "other", "westus").await;
    let rule = emu
        .add_fault(throttle(&gallery_path("RG1", "GAL1"), 5))
        .await;
    assert_eq!(rule["method"], "GET", "method is kept upper case");
    // Another gallery, another method, the list: no match.
    let (status, _, _) = emu.get_gallery("rg1", "other").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = emu
        .call(
            "PATCH",
            &emu.api(&gallery_path("rg1", "gal1")),
            Some(json!({"tags": {"a": "b"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = emu.call("GET", &emu.api(&galleries_in("rg1")), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(emu.fired(&rule["id"]).await, 0);
    // The path is matched without its query, ignoring case.
    let reply = emu.get_gallery("rg1", "gal1").await;
    assert_arm_error(&reply, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert_eq!(emu.fired(&rule["id"]).await, 1);
}

#[tokio::test]
async fn client_request_id_and_test_id_rules_match_only_their_requests() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let by_client = emu
        .add_fault(json!({
            "path": "*", "status": 503, "code": "ServiceUnavailable",
            "clientRequestId": "aaaaaaaa-0000-0000-0000-000000000001"
        }))
        .await;
    let by_test = emu
        .add_fault(json!({
            "path": "*", "status": 400, "code": "BadThing", "testId": "test-b"
        }))
        .await;
    let url = emu.api(&gallery_path("rg1", "gal1"));
    for headers in [
        vec![],
        vec![(
            "x-ms-client-request-id",
            "aaaaaaaa-0000-0000-0000-000000000002",
        )],
        vec![("x-emulator-test-id", "test-a")],
    ] {
        let (status, _, body) = emu.call_with_headers("GET", &url, None, &headers).await;
        assert_eq!(status, StatusCode::OK, "{headers:?}: {body}");
    }
    let reply = emu
        .call_with_headers(
            "GET",
            &url,
            None,
            &[(
                "x-ms-client-request-id",
                "AAAAAAAA-0000-0000-0000-000000000001",
            )],
        )
        .await;
    assert_arm_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
    );
    assert_eq!(
        header(&reply.1, "x-ms-client-request-id"),
        "AAAAAAAA-0000-0000-0000-000000000001",
        "the client request id is echoed on an injected answer"
    );
    let reply = emu
        .call_with_headers("DELETE", &url, None, &[("x-emulator-test-id", "test-b")])
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "BadThing");
    assert_eq!(header(&reply.1, "x-ms-failure-cause"), "gateway");
    assert_eq!(emu.fired(&by_client["id"]).await, 1);
    assert_eq!(emu.fired(&by_test["id"]).await, 1);
    // The gallery was not deleted.
    let (status, _, _) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_admin_plane_is_never_failed() {
    let emu = Emulator::start(&[]);
    let rule = emu
        .add_fault(json!({"path": "*", "status": 500, "code": "Broken"}))
        .await;
    for path in ["/_emulator/health", "/_emulator/info", FAULTS] {
        let (status, _, body) = emu.call("GET", &emu.url(path), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let reply = emu
        .call("GET", &emu.api_at("/subscriptions", SUB_API), None)
        .await;
    assert_arm_error(&reply, StatusCode::INTERNAL_SERVER_ERROR, "Broken");
    assert_eq!(emu.fired(&rule["id"]).await, 1);
}

#[tokio::test]
async fn throttling_and_unavailability_always_carry_retry_after() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let path = gallery_path("rg1", "gal1");
    for (rule, status, retry_after) in [
        (
            json!({"path": path, "status": 429, "code": "TooManyRequests", "times": 1}),
            429,
            "1",
        ),
        (
            json!({"path": path, "status": 503, "code": "ServiceUnavailable", "times": 1}),
            503,
            "1",
        ),
        (
            json!({"path": path, "status": 503, "code": "ServiceUnavailable", "retryAfter": 7, "times": 1}),
            503,
            "7",
        ),
        (
            json!({"path": path, "status": 500, "code": "InternalServerError", "retryAfter": 2, "times": 1}),
            500,
            "2",
        ),
    ] {
        emu.add_fault(rule.clone()).await;
        let (got, headers, body) = emu.get_gallery("rg1", "gal1").await;
        assert_eq!(got.as_u16(), status, "{rule}: {body}");
        assert_eq!(header(&headers, "retry-after"), retry_after, "{rule}");
    }
    let (status, _, _) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(status, StatusCode::OK);
}

/// The statuses 40 GETs get under a 50% rule seeded with `seed`.
async fn statuses_under(seed: u64) -> Vec<u16> {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let rule = emu
        .add_fault(json!({
            "method": "GET", "path": "*/galleries/gal1", "status": 503,
            "code": "ServiceUnavailable", "probability": 0.5, "seed": seed
        }))
        .await;
    assert_eq!(rule["seed"], seed);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(emu.get_gallery("rg1", "gal1").await.0.as_u16());
    }
    let failed = statuses.iter().filter(|s| **s == 503).count() as u64;
    assert_eq!(emu.fired(&rule["id"]).await, failed);
    statuses
}

#[tokio::test]
async fn a_seeded_probability_gives_the_same_statuses_on_every_run() {
    let first = statuses_under(42).await;
    let second = statuses_under(42).await;
    assert_eq!(first, second);
    let failed = first.iter().filter(|s| **s == 503).count();
    assert!(
        (5..=35).contains(&failed),
        "{failed} of 40 failed: {first:?}"
    );
    assert!(first.iter().all(|s| *s == 503 || *s == 200), "{first:?}");
    assert_ne!(
        first,
        statuses_under(43).await,
        "another seed, another sequence"
    );
}

#[tokio::test]
async fn invalid_rules_are_refused_with_the_property_at_fault() {
    let emu = Emulator::start(&[]);
    for (rule, target) in [
        (json!({"status": 500}), "code"),
        (json!({"code": "X"}), "status"),
        (json!({"code": "X", "status": 302}), "status"),
        (json!({"code": "X", "status": 600}), "status"),
        (
            json!({"code": "X", "status": 503, "probability": 0}),
            "probability",
        ),
        (
            json!({"code": "X", "status": 503, "probability": 1.01}),
            "probability",
        ),
        (json!({"code": "X", "status": 503, "times": 0}), "times"),
        (
            json!({"code": "X", "status": 503, "retryAfter": 100000}),
            "retryAfter",
        ),
        (json!({"code": "X", "kind": "disk"}), "kind"),
        (
            json!({"code": "X", "kind": "replication", "region": "westus"}),
            "versionPattern",
        ),
        (
            json!({"code": "X", "kind": "replication", "versionPattern": "*", "region": "nowhere"}),
            "region",
        ),
        (
            json!({"code": "X", "kind": "replication", "versionPattern": "*", "region": "westus", "afterProgress": 100}),
            "afterProgress",
        ),
        (
            json!({"code": "X", "kind": "replication", "versionPattern": "*", "region": "westus", "method": "GET"}),
            "method",
        ),
    ] {
        let reply = emu.call("POST", &emu.url(FAULTS), Some(rule.clone())).await;
        let error = assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidParameter");
        assert_eq!(error["target"], target, "{rule}: {error}");
    }
    // Not a rule at all.
    let reply = emu
        .call(
            "POST",
            &emu.url(FAULTS),
            Some(json!({"code": "X", "status": 500, "colour": "red"})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    let reply = emu
        .call(
            "POST",
            &emu.url(FAULTS),
            Some(json!({"code": "X", "status": "500"})),
        )
        .await;
    assert_arm_error(&reply, StatusCode::BAD_REQUEST, "InvalidRequestContent");
    assert!(emu.faults().await.is_empty());
}

#[tokio::test]
async fn replication_rules_are_kept_normalised_and_listed() {
    let emu = Emulator::start(&[]);
    let rule = emu
        .add_fault(json!({
            "kind": "replication",
            "versionPattern": "*/images/img1/versions/1.*",
            "region": "East US 2",
            "code": "ReplicationFailed",
            "message": "The copy to East US 2 failed.",
            "afterProgress": 30,
            "times": 1
        }))
        .await;
    assert_eq!(rule["kind"], "replication");
    assert_eq!(rule["region"], "eastus2");
    assert_eq!(rule["afterProgress"], 30);
    assert!(
        rule.get("status").is_none() && rule.get("path").is_none(),
        "{rule}"
    );
    let defaulted = emu
        .add_fault(json!({
            "kind": "replication", "versionPattern": "*", "region": "westus", "code": "Failed"
        }))
        .await;
    assert_eq!(defaulted["afterProgress"], 0);
    assert!(defaulted.get("times").is_none());
    assert!(defaulted["message"].as_str().is_some_and(|m| !m.is_empty()));
    let listed = emu.faults().await;
    assert_eq!(listed, vec![rule, defaulted]);
    // A replication rule never fails a request.
    emu.create_gallery("rg1", "gal1", "westus").await;
}

#[tokio::test]
async fn rules_are_deleted_one_by_one_cleared_and_dropped_by_reset() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let a = emu.add_fault(throttle("*/galleries/gal1", 10)).await;
    let b = emu.add_fault(throttle("*/galleries/gal2", 10)).await;

    let one = emu.url(&format!("{FAULTS}/{}", a["id"].as_str().expect("id")));
    let (status, _, body) = emu.call("DELETE", &one, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let reply = emu.call("DELETE", &one, None).await;
    assert_arm_error(&reply, StatusCode::NOT_FOUND, "ResourceNotFound");
    assert_eq!(emu.faults().await, vec![b]);
    let (status, _, _) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(status, StatusCode::OK, "a deleted rule fires no more");

    emu.add_fault(throttle("*", 10)).await;
    let (status, _, body) = emu.call("DELETE", &emu.url(FAULTS), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(emu.faults().await.is_empty());
    let (status, _, _) = emu.get_gallery("rg1", "gal1").await;
    assert_eq!(status, StatusCode::OK);

    emu.add_fault(throttle("*", 10)).await;
    let (status, _, _) = emu.call("POST", &emu.url("/_emulator/reset"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(emu.faults().await.is_empty());
    let (status, _, _) = emu
        .call("GET", &emu.api_at("/subscriptions", SUB_API), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// What azure-core's RetryPolicy does: on 429 or 503, sleep Retry-After
/// seconds and send the request again.
async fn get_with_retries(emu: &Emulator, url: &str, attempts: usize) -> (Reply, usize) {
    for attempt in 1..=attempts {
        let reply = emu.call("GET", url, None).await;
        if !matches!(reply.0.as_u16(), 429 | 503) || attempt == attempts {
            return (reply, attempt);
        }
        let seconds: u64 = header(&reply.1, "retry-after")
            .parse()
            .expect("Retry-After is integer seconds");
        tokio::time::sleep(Duration::from_secs(seconds)).await;
    }
    unreachable!("attempts is at least 1")
}

#[tokio::test]
async fn a_client_that_honours_retry_after_succeeds_once_the_rule_is_spent() {
    let emu = Emulator::start(&[]);
    emu.create_gallery("rg1", "gal1", "westus").await;
    let rule = emu
        .add_fault(json!({
            "method": "GET", "path": "*/galleries/gal1", "status": 429,
            "code": "TooManyRequests", "retryAfter": 1, "times": 1
        }))
        .await;
    let unavailable = emu
        .add_fault(json!({
            "method": "GET", "path": "*/galleries/gal1", "status": 503,
            "code": "ServiceUnavailable", "times": 1
        }))
        .await;
    let started = Instant::now();
    let ((status, _, body), attempts) =
        get_with_retries(&emu, &emu.api(&gallery_path("rg1", "gal1")), 4).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "gal1");
    assert_eq!(attempts, 3);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "slept Retry-After twice"
    );
    assert_eq!(emu.fired(&rule["id"]).await, 1);
    assert_eq!(emu.fired(&unavailable["id"]).await, 1);
}
