//! The document tells the truth about answers: a scripted session touches
//! every documented operation (successes, long-running states and the
//! usual errors) and each answer's status must be documented for that
//! operation, its required headers present and its body valid against the
//! documented schema.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Emulator, SUB, StatusCode, json};
use crate::{load_document, operations, resolve};

type Answer = (StatusCode, reqwest::header::HeaderMap, Value);

/// Validates `v` against an OpenAPI 3.0 schema (the subset the document uses).
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let schema = match resolve(doc, schema) {
        Ok(s) => s,
        Err(e) => return out.push(format!("{at}: {e}")),
    };
    if v.is_null() {
        if schema["nullable"] != true && !schema["type"].is_null() {
            out.push(format!(
                "{at}: null where the schema wants {}",
                schema["type"]
            ));
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(v)
    {
        out.push(format!("{at}: {v} is not one of {allowed:?}"));
    }
    match schema["type"].as_str() {
        Some("object") => {
            let Some(map) = v.as_object() else {
                return out.push(format!("{at}: {v} is not an object"));
            };
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or("");
                if !map.contains_key(name) {
                    out.push(format!("{at}: required property {name} is missing"));
                }
            }
            let properties = schema["properties"].as_object();
            for (k, value) in map {
                match properties.and_then(|p| p.get(k)) {
                    Some(s) => validate(doc, s, value, &format!("{at}.{k}"), out),
                    None => match &schema["additionalProperties"] {
                        Value::Bool(false) => {
                            out.push(format!("{at}: property {k} is not in the schema"))
                        }
                        s @ Value::Object(_) => validate(doc, s, value, &format!("{at}.{k}"), out),
                        _ => {}
                    },
                }
            }
        }
        Some("array") => match v.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    validate(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
                }
            }
            None => out.push(format!("{at}: {v} is not an array")),
        },
        Some("string") if !v.is_string() => out.push(format!("{at}: {v} is not a string")),
        Some("boolean") if !v.is_boolean() => out.push(format!("{at}: {v} is not a boolean")),
        Some("number") if !v.is_number() => out.push(format!("{at}: {v} is not a number")),
        Some("integer") => match v.as_i64() {
            Some(n) => {
                if schema["minimum"].as_i64().is_some_and(|m| n < m) {
                    out.push(format!("{at}: {n} is below {}", schema["minimum"]));
                }
            }
            None => out.push(format!("{at}: {v} is not an integer")),
        },
        _ => {}
    }
}

struct Session<'a> {
    emu: &'a Emulator,
    doc: &'a Value,
    problems: Vec<String>,
    exercised: BTreeSet<String>,
}

impl Session<'_> {
    /// Sends the request, checks the answer against the document's `operation_id`.
    async fn call(
        &mut self,
        operation_id: &str,
        method: &str,
        url: &str,
        body: Option<Value>,
        expected: u16,
    ) -> Answer {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            self.emu.url(url)
        };
        let answer = self.emu.call(method, &url, body).await;
        self.check(operation_id, method, &url, answer, expected)
    }

    /// POSTs a form-encoded body (the token endpoint) and checks the answer.
    async fn call_form(
        &mut self,
        operation_id: &str,
        path: &str,
        form: &str,
        expected: u16,
    ) -> Answer {
        let url = self.emu.url(path);
        let resp = self
            .emu
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.check(
            operation_id,
            "POST",
            &url,
            (status, headers, value),
            expected,
        )
    }

    /// Checks an answer against the document's `operation_id`.
    fn check(
        &mut self,
        operation_id: &str,
        method: &str,
        url: &str,
        answer: Answer,
        expected: u16,
    ) -> Answer {
        let (status, headers, value) = &answer;
        let what = format!("{operation_id} ({method} {url}) -> {}", status.as_u16());
        self.exercised.insert(operation_id.to_string());
        if status.as_u16() != expected {
            self.problems
                .push(format!("{what}: the session expected {expected}: {value}"));
        }
        let ops = operations(self.doc);
        let Some(op) = ops.iter().find(|o| o.id() == operation_id) else {
            self.problems.push(format!("{what}: no such operationId"));
            return answer;
        };
        if op.method != method {
            self.problems
                .push(format!("{what}: documented as {}", op.method));
        }
        let code = status.as_u16().to_string();
        let responses = &op.op["responses"];
        let response = if !responses[&code].is_null() {
            &responses[&code]
        } else if status.is_client_error() || status.is_server_error() {
            &responses["default"]
        } else {
            &Value::Null
        };
        let Ok(response) = resolve(self.doc, response) else {
            self.problems.push(format!("{what}: unresolvable response"));
            return answer;
        };
        if response.is_null() {
            self.problems
                .push(format!("{what}: status {code} is not documented"));
            return answer;
        }
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = resolve(self.doc, header).unwrap_or(header);
            let present = headers.get(name.to_ascii_lowercase().as_str());
            match present {
                None if header["required"] == true => self
                    .problems
                    .push(format!("{what}: required header {name} is missing")),
                Some(v) if header["schema"]["type"] == "integer" => {
                    let n = v.to_str().ok().and_then(|s| s.parse::<i64>().ok());
                    let min = header["schema"]["minimum"].as_i64().unwrap_or(i64::MIN);
                    if n.is_none_or(|n| n < min) {
                        self.problems.push(format!(
                            "{what}: header {name} is {v:?}, not an integer >= {min}"
                        ));
                    }
                }
                _ => {}
            }
        }
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // A documented body that is not JSON (the CA certificate): the media
        // type must match and the body must not be empty.
        let other_media = response["content"]
            .as_object()
            .and_then(|c| c.keys().find(|k| *k != "application/json"));
        if let (Some(media), true) = (
            other_media,
            response["content"]["application/json"].is_null(),
        ) {
            if !content_type.starts_with(media.as_str()) {
                self.problems.push(format!(
                    "{what}: content-type {content_type:?}, documented {media}"
                ));
            }
            if value.as_str().is_none_or(str::is_empty) {
                self.problems.push(format!(
                    "{what}: documented a {media} body, answered {value}"
                ));
            }
            return answer;
        }
        match response["content"]["application/json"]["schema"].clone() {
            Value::Null => {
                if !value.is_null() && method != "HEAD" {
                    self.problems.push(format!(
                        "{what}: documented without a body, answered {value}"
                    ));
                }
            }
            schema => {
                if !content_type.starts_with("application/json") {
                    self.problems
                        .push(format!("{what}: content-type {content_type:?}"));
                }
                let mut out = Vec::new();
                validate(self.doc, &schema, value, "body", &mut out);
                self.problems
                    .extend(out.into_iter().map(|p| format!("{what}: {p}")));
            }
        }
        answer
    }
}

fn header(answer: &Answer, name: &str) -> String {
    answer
        .1
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn every_answer_of_a_session_over_all_operations_is_documented_and_valid() {
    let doc = load_document();
    let manual = Emulator::start(&["--timing", "manual"]);
    let mut s = Session {
        emu: &manual,
        doc: &doc,
        problems: Vec::new(),
        exercised: BTreeSet::new(),
    };
    let g = "2026-03-03";
    let r = "2022-12-01";
    let rg = format!("/subscriptions/{SUB}/resourceGroups/rg1");
    let gallery = format!("{rg}/providers/Microsoft.Compute/galleries/g1");
    let q = |path: &str, v: &str| format!("{path}?api-version={v}");

    // The admin plane.
    s.call("Admin_Health", "GET", "/_emulator/health", None, 200)
        .await;
    s.call("Admin_Ready", "GET", "/_emulator/ready", None, 200)
        .await;
    s.call("Admin_Info", "GET", "/_emulator/info", None, 200)
        .await;
    s.call("Admin_CaCertificate", "GET", "/_emulator/ca.pem", None, 200)
        .await;
    s.call("Admin_ClockGet", "GET", "/_emulator/clock", None, 200)
        .await;
    s.call(
        "Admin_ClockAdvance",
        "POST",
        "/_emulator/clock/advance",
        Some(json!({})),
        400,
    )
    .await;
    s.call("Admin_TimingGet", "GET", "/_emulator/timing", None, 200)
        .await;
    s.call(
        "Admin_TimingSet",
        "PUT",
        "/_emulator/timing",
        Some(json!({"mode": "fast"})),
        400,
    )
    .await;
    s.call(
        "Admin_TimingSet",
        "PUT",
        "/_emulator/timing",
        Some(json!({"mode": "manual"})),
        200,
    )
    .await;
    s.call("Admin_Worker", "GET", "/_emulator/worker", None, 200)
        .await;

    // Fault rules: added, fired, listed, removed.
    s.call(
        "Admin_FaultsAdd",
        "POST",
        "/_emulator/faults",
        Some(json!({"status": 200, "code": "Nope"})),
        400,
    )
    .await;
    let throttle = s
        .call(
            "Admin_FaultsAdd",
            "POST",
            "/_emulator/faults",
            Some(json!({
                "method": "GET",
                "path": format!("/subscriptions/{SUB}"),
                "status": 429,
                "code": "TooManyRequests",
                "times": 1
            })),
            201,
        )
        .await;
    s.call(
        "Subscriptions_Get",
        "GET",
        &q(&format!("/subscriptions/{SUB}"), r),
        None,
        429,
    )
    .await;
    let replication = s
        .call(
            "Admin_FaultsAdd",
            "POST",
            "/_emulator/faults",
            Some(json!({
                "kind": "replication",
                "versionPattern": "*/versions/9.9.9",
                "region": "East US",
                "code": "ReplicationFailed",
                "afterProgress": 50
            })),
            201,
        )
        .await;
    s.call("Admin_FaultsList", "GET", "/_emulator/faults", None, 200)
        .await;
    let one = format!(
        "/_emulator/faults/{}",
        throttle.2["id"].as_str().unwrap_or("")
    );
    s.call("Admin_FaultDelete", "DELETE", &one, None, 204).await;
    s.call("Admin_FaultDelete", "DELETE", &one, None, 404).await;
    assert_eq!(replication.2["region"], "eastus", "{}", replication.2);
    s.call(
        "Admin_FaultsClear",
        "DELETE",
        "/_emulator/faults",
        None,
        204,
    )
    .await;

    // Subscriptions and resource groups.
    s.call(
        "Subscriptions_List",
        "GET",
        &q("/subscriptions", r),
        None,
        200,
    )
    .await;
    s.call(
        "Subscriptions_Get",
        "GET",
        &q(&format!("/subscriptions/{SUB}"), r),
        None,
        200,
    )
    .await;
    s.call(
        "Subscriptions_Get",
        "GET",
        &q("/subscriptions/not-a-guid", r),
        None,
        400,
    )
    .await;
    s.call("Tenants_List", "GET", &q("/tenants", r), None, 200)
        .await;
    s.call("Tenants_List", "GET", "/tenants", None, 400).await;

    // Sign-in.
    s.call(
        "Cloud_MetadataEndpoints",
        "GET",
        "/metadata/endpoints?api-version=2022-09-01",
        None,
        200,
    )
    .await;
    s.call(
        "Identity_InstanceDiscovery",
        "GET",
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https%3A%2F%2Flogin.example%2Fcommon%2Foauth2%2Fv2.0%2Fauthorize",
        None,
        200,
    )
    .await;
    s.call(
        "Identity_OpenIdConfiguration",
        "GET",
        "/organizations/v2.0/.well-known/openid-configuration",
        None,
        200,
    )
    .await;
    s.call(
        "Identity_OpenIdConfiguration",
        "GET",
        "/not%20a%20tenant/v2.0/.well-known/openid-configuration",
        None,
        400,
    )
    .await;
    s.call(
        "Identity_Keys",
        "GET",
        "/common/discovery/v2.0/keys",
        None,
        200,
    )
    .await;
    let token = "/common/oauth2/v2.0/token";
    s.call_form(
        "Identity_Token",
        token,
        "grant_type=client_credentials&client_id=app&client_secret=s&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
        200,
    )
    .await;
    s.call_form(
        "Identity_Token",
        token,
        "grant_type=authorization_code&client_id=app",
        400,
    )
    .await;
    s.call_form(
        "Identity_Token",
        token,
        "grant_type=client_credentials",
        400,
    )
    .await;

    let group = json!({"location": "West US", "tags": {"env": "test"}});
    s.call(
        "ResourceGroups_CreateOrUpdate",
        "PUT",
        &q(&rg, r),
        Some(group.clone()),
        201,
    )
    .await;
    s.call(
        "ResourceGroups_CreateOrUpdate",
        "PUT",
        &q(&rg, r),
        Some(group),
        200,
    )
    .await;
    s.call(
        "ResourceGroups_CreateOrUpdate",
        "PUT",
        &q(&rg, r),
        Some(json!({"location": "eastus"})),
        409,
    )
    .await;
    s.call("ResourceGroups_Get", "GET", &q(&rg, r), None, 200)
        .await;
    s.call(
        "ResourceGroups_Get",
        "GET",
        &q(&format!("{rg}x"), r),
        None,
        404,
    )
    .await;
    s.call(
        "ResourceGroups_CheckExistence",
        "HEAD",
        &q(&rg, r),
        None,
        204,
    )
    .await;
    s.call(
        "ResourceGroups_CheckExistence",
        "HEAD",
        &q(&format!("{rg}x"), r),
        None,
        404,
    )
    .await;
    s.call(
        "ResourceGroups_Update",
        "PATCH",
        &q(&rg, r),
        Some(json!({"tags": {"a": "b"}})),
        200,
    )
    .await;
    s.call(
        "ResourceGroups_List",
        "GET",
        &q(&format!("/subscriptions/{SUB}/resourceGroups"), r),
        None,
        200,
    )
    .await;

    // A gallery through its long-running states.
    let body =
        json!({"location": "West US", "tags": {"env": "test"}, "properties": {"description": "d"}});
    let created = s
        .call(
            "Galleries_CreateOrUpdate",
            "PUT",
            &q(&gallery, g),
            Some(body.clone()),
            201,
        )
        .await;
    let monitor = header(&created, "azure-asyncoperation");
    let running = s.call("Operation_Get", "GET", &monitor, None, 200).await;
    if running.2["status"] != "InProgress" || running.1.get("retry-after").is_none() {
        s.problems.push(format!(
            "a running operation: {:?} {}",
            running.1, running.2
        ));
    }
    let location_form = monitor.replacen('?', "?monitor=true&", 1);
    s.call("Operation_Get", "GET", &location_form, None, 202)
        .await;
    s.call("Galleries_Get", "GET", &q(&gallery, g), None, 200)
        .await;
    s.call(
        "Admin_ClockAdvance",
        "POST",
        "/_emulator/clock/advance",
        Some(json!({"toNextEvent": true})),
        200,
    )
    .await;
    s.call("Operation_Get", "GET", &monitor, None, 200).await;
    s.call("Operation_Get", "GET", &location_form, None, 204)
        .await;
    s.call(
        "Galleries_CreateOrUpdate",
        "PUT",
        &q(&gallery, g),
        Some(body),
        200,
    )
    .await;
    s.call(
        "Admin_ClockAdvance",
        "POST",
        "/_emulator/clock/advance",
        Some(json!({"seconds": 60})),
        200,
    )
    .await;
    s.call(
        "Galleries_Update",
        "PATCH",
        &q(&gallery, g),
        Some(json!({"properties": {"description": "e"}})),
        200,
    )
    .await;
    s.call(
        "Admin_ClockAdvance",
        "POST",
        "/_emulator/clock/advance",
        Some(json!({"seconds": 60})),
        200,
    )
    .await;
    s.call("Galleries_Get", "GET", &q(&gallery, g), None, 200)
        .await;
    s.call("Galleries_Get", "GET", &gallery, None, 400).await;
    s.call(
        "Galleries_Get",
        "GET",
        &q(&format!("{gallery}x"), g),
        None,
        404,
    )
    .await;
    s.call(
        "Galleries_List",
        "GET",
        &q(
            &format!("/subscriptions/{SUB}/providers/Microsoft.Compute/galleries"),
            g,
        ),
        None,
        200,
    )
    .await;
    s.call(
        "Galleries_ListByResourceGroup",
        "GET",
        &q(&format!("{rg}/providers/Microsoft.Compute/galleries"), g),
        None,
        200,
    )
    .await;

    // Refusals.
    let groups =
        json!({"location": "westus", "properties": {"sharingProfile": {"permissions": "Groups"}}});
    s.call(
        "Galleries_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}2"), g),
        Some(groups),
        501,
    )
    .await;
    s.call(
        "Galleries_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}2"), g),
        Some(json!({"location": "nowhere"})),
        400,
    )
    .await;
    s.call(
        "Galleries_CreateOrUpdate",
        "PUT",
        &q(&gallery, g),
        Some(json!({"location": "eastus"})),
        409,
    )
    .await;
    s.call(
        "Galleries_Update",
        "PATCH",
        &q(&format!("{gallery}x"), g),
        Some(json!({})),
        404,
    )
    .await;
    s.call(
        "GallerySharingProfile_Update",
        "POST",
        &q(&format!("{gallery}/share"), g),
        Some(json!({"operationType": "Reset"})),
        501,
    )
    .await;
    s.call("Operation_Get", "GET", &q(&format!("/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/capsOperations/nothing"), g), None, 404).await;

    images_and_sources(&mut s, &rg, &gallery).await;
    applications(&mut s, &gallery).await;

    // Deletes.
    let deleting = s
        .call("Galleries_Delete", "DELETE", &q(&gallery, g), None, 202)
        .await;
    s.call(
        "Operation_Get",
        "GET",
        &header(&deleting, "location"),
        None,
        202,
    )
    .await;
    s.call(
        "Admin_ClockAdvance",
        "POST",
        "/_emulator/clock/advance",
        Some(json!({"toNextEvent": true})),
        200,
    )
    .await;
    s.call(
        "Operation_Get",
        "GET",
        &header(&deleting, "azure-asyncoperation"),
        None,
        200,
    )
    .await;
    s.call("Galleries_Delete", "DELETE", &q(&gallery, g), None, 204)
        .await;
    s.call("ResourceGroups_Delete", "DELETE", &q(&rg, r), None, 200)
        .await;
    s.call("ResourceGroups_Delete", "DELETE", &q(&rg, r), None, 404)
        .await;
    s.call("Admin_Reset", "POST", "/_emulator/reset", None, 204)
        .await;

    // The clock of instant timing does not move.
    let instant = Emulator::start(&[]);
    s.emu = &instant;
    s.call(
        "Admin_ClockAdvance",
        "POST",
        "/_emulator/clock/advance",
        Some(json!({"seconds": 1})),
        409,
    )
    .await;

    let missing: Vec<String> = operations(&doc)
        .iter()
        .map(|o| o.id().to_string())
        .filter(|id| !s.exercised.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "the session calls no {missing:?}; add them to tests/openapi/conformance.rs"
    );
    assert!(s.problems.is_empty(), "{}", s.problems.join("\n"));
}

/// Applications (synchronous) and their versions (long-running); the
/// latest-version admin route for an application. Leaves the gallery empty.
async fn applications(s: &mut Session<'_>, gallery: &str) {
    let g = "2026-03-03";
    let q = |path: &str| format!("{path}?api-version={g}");
    let app = format!("{gallery}/applications/app1");
    let action = json!({"name": "a1", "script": "run.sh", "description": "d", "parameters": [{"name": "p1", "required": false, "type": "String", "defaultValue": "x"}]});
    let body = json!({"location": "West US", "tags": {"k": "v"}, "properties": {"description": "d", "eula": "e", "supportedOSType": "Linux", "endOfLifeDate": "2099-01-01T00:00:00Z", "customActions": [action]}});
    let created = s
        .call(
            "GalleryApplications_CreateOrUpdate",
            "PUT",
            &q(&app),
            Some(body.clone()),
            201,
        )
        .await;
    if created.1.get("azure-asyncoperation").is_some()
        || !created.2["properties"]["provisioningState"].is_null()
    {
        s.problems.push(format!(
            "an application is synchronous: {:?} {}",
            created.1, created.2
        ));
    }
    s.call(
        "GalleryApplications_CreateOrUpdate",
        "PUT",
        &q(&app),
        Some(body),
        200,
    )
    .await;
    for (body, status) in [
        (
            json!({"location": "westus", "properties": {"supportedOSType": "Windows"}}),
            409,
        ),
        (
            json!({"location": "westus", "properties": {"supportedOSType": "Linux", "customActions": [{"name": "", "script": "s"}]}}),
            400,
        ),
    ] {
        s.call(
            "GalleryApplications_CreateOrUpdate",
            "PUT",
            &q(&app),
            Some(body),
            status,
        )
        .await;
    }
    s.call(
        "GalleryApplications_CreateOrUpdate",
        "PUT",
        &q(&format!("{app}x")),
        Some(json!({"location": "westus", "properties": {}})),
        400,
    )
    .await;
    s.call(
        "GalleryApplications_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}x/applications/app1")),
        Some(json!({"location": "westus", "properties": {"supportedOSType": "Linux"}})),
        404,
    )
    .await;
    s.call(
        "GalleryApplications_Update",
        "PATCH",
        &q(&app),
        Some(json!({"properties": {"description": "e"}})),
        200,
    )
    .await;
    s.call(
        "GalleryApplications_Update",
        "PATCH",
        &q(&format!("{app}x")),
        Some(json!({})),
        404,
    )
    .await;
    s.call("GalleryApplications_Get", "GET", &q(&app), None, 200)
        .await;
    s.call(
        "GalleryApplications_Get",
        "GET",
        &q(&format!("{app}x")),
        None,
        404,
    )
    .await;
    s.call(
        "GalleryApplications_ListByGallery",
        "GET",
        &q(&format!("{gallery}/applications")),
        None,
        200,
    )
    .await;
    s.call(
        "GalleryApplications_ListByGallery",
        "GET",
        &q(&format!("{gallery}x/applications")),
        None,
        404,
    )
    .await;

    // Versions, through their long-running states.
    let v1 = format!("{app}/versions/1.0.0");
    let version = json!({
        "location": "West US",
        "tags": {"build": "1"},
        "properties": {
            "publishingProfile": {
                "source": {"mediaLink": "https://acct.blob.core.windows.net/c/pkg.zip", "defaultConfigurationLink": "https://acct.blob.core.windows.net/c/cfg"},
                "manageActions": {"install": "install.sh", "remove": "remove.sh", "update": "update.sh"},
                "settings": {"packageFileName": "pkg.zip", "configFileName": "cfg", "scriptBehaviorAfterReboot": "Rerun"},
                "advancedSettings": {"timeout": "300"},
                "enableHealthCheck": true,
                "customActions": [action],
                "targetRegions": [{"name": "West US"}, {"name": "eastus", "regionalReplicaCount": 2}],
                "endOfLifeDate": "2099-01-01T00:00:00Z"
            },
            "safetyProfile": {"allowDeletionOfReplicatedLocations": false}
        }
    });
    s.call(
        "GalleryApplicationVersions_CreateOrUpdate",
        "PUT",
        &q(&v1),
        Some(version.clone()),
        201,
    )
    .await;
    let (_, _, creating) = s
        .call(
            "GalleryApplicationVersions_Get",
            "GET",
            &format!("{}&$expand=ReplicationStatus", q(&v1)),
            None,
            200,
        )
        .await;
    if creating["properties"]["provisioningState"] != "Creating"
        || creating["properties"]["replicationStatus"]["aggregatedState"] != "InProgress"
    {
        s.problems
            .push(format!("an application version being created: {creating}"));
    }
    let latest = format!("/_emulator/latest{app}");
    s.call("Admin_LatestImageVersion", "GET", &latest, None, 404)
        .await;
    settle(s).await;
    let (_, _, body) = s
        .call("Admin_LatestImageVersion", "GET", &latest, None, 200)
        .await;
    if body["name"] != "1.0.0" {
        s.problems
            .push(format!("latest application version: {body}"));
    }
    s.call(
        "GalleryApplicationVersions_CreateOrUpdate",
        "PUT",
        &q(&v1),
        Some(version.clone()),
        200,
    )
    .await;
    settle(s).await;
    let mut other = version.clone();
    other["properties"]["publishingProfile"]["source"]["mediaLink"] = json!("https://other/pkg");
    s.call(
        "GalleryApplicationVersions_CreateOrUpdate",
        "PUT",
        &q(&v1),
        Some(other),
        409,
    )
    .await;
    let v2 = format!("{app}/versions/2.0.0");
    s.call(
        "GalleryApplicationVersions_CreateOrUpdate",
        "PUT",
        &q(&v2),
        Some(json!({"location": "westus", "properties": {"publishingProfile": {}}})),
        400,
    )
    .await;
    s.call(
        "GalleryApplicationVersions_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}/applications/nothing/versions/1.0.0")),
        Some(version),
        404,
    )
    .await;
    s.call(
        "GalleryApplicationVersions_Update",
        "PATCH",
        &q(&v1),
        Some(json!({"properties": {"publishingProfile": {"excludeFromLatest": true}}})),
        200,
    )
    .await;
    s.call(
        "GalleryApplicationVersions_Update",
        "PATCH",
        &q(&format!("{app}/versions/9.9.9")),
        Some(json!({})),
        404,
    )
    .await;
    settle(s).await;
    s.call("Admin_LatestImageVersion", "GET", &latest, None, 404)
        .await;
    s.call(
        "GalleryApplicationVersions_Get",
        "GET",
        &q(&format!("{app}/versions/9.9.9")),
        None,
        404,
    )
    .await;
    s.call(
        "GalleryApplicationVersions_ListByGalleryApplication",
        "GET",
        &q(&format!("{app}/versions")),
        None,
        200,
    )
    .await;
    s.call(
        "GalleryApplicationVersions_ListByGalleryApplication",
        "GET",
        &q(&format!("{gallery}/applications/nothing/versions")),
        None,
        404,
    )
    .await;

    // Deletes, children first.
    s.call("GalleryApplications_Delete", "DELETE", &q(&app), None, 409)
        .await;
    s.call(
        "GalleryApplicationVersions_Delete",
        "DELETE",
        &q(&v1),
        None,
        202,
    )
    .await;
    settle(s).await;
    s.call(
        "GalleryApplicationVersions_Delete",
        "DELETE",
        &q(&v1),
        None,
        204,
    )
    .await;
    s.call("GalleryApplications_Delete", "DELETE", &q(&app), None, 200)
        .await;
    s.call("GalleryApplications_Delete", "DELETE", &q(&app), None, 204)
        .await;
}

/// Moves the manual clock until every due operation has completed.
async fn settle(s: &mut Session<'_>) {
    for _ in 0..20 {
        let (_, _, clock) = s
            .call(
                "Admin_ClockAdvance",
                "POST",
                "/_emulator/clock/advance",
                Some(json!({"seconds": 3600})),
                200,
            )
            .await;
        if clock["completedOperations"] == 0 {
            return;
        }
    }
}

/// Disks, snapshots and managed images; image definitions and versions made
/// from them; the latest-version admin route. Leaves the gallery empty.
async fn images_and_sources(s: &mut Session<'_>, rg: &str, gallery: &str) {
    let g = "2026-03-03";
    let c = "2024-03-02";
    let q = |path: &str, v: &str| format!("{path}?api-version={v}");
    let compute = format!("{rg}/providers/Microsoft.Compute");
    let disk = format!("{compute}/disks/disk1");
    let snapshot = format!("{compute}/snapshots/snap1");
    let managed = format!("{compute}/images/managed1");

    // The sources, in the region of the versions.
    let disk_body = json!({"location": "West US", "tags": {"k": "v"}, "properties": {"diskSizeGB": 10, "creationData": {"createOption": "Empty"}}});
    s.call(
        "Disks_CreateOrUpdate",
        "PUT",
        &q(&disk, c),
        Some(disk_body.clone()),
        201,
    )
    .await;
    s.call(
        "Disks_CreateOrUpdate",
        "PUT",
        &q(&format!("{compute}/disks/disk2"), c),
        Some(json!({"location": "westus", "properties": {}})),
        400,
    )
    .await;
    s.call(
        "Disks_CreateOrUpdate",
        "PUT",
        &q(&disk, c),
        Some(json!({"location": "eastus", "properties": {"creationData": {"createOption": "Empty"}}})),
        409,
    )
    .await;
    s.call(
        "Disks_CreateOrUpdate",
        "PUT",
        &q(&disk, g),
        Some(disk_body.clone()),
        400,
    )
    .await;
    s.call(
        "Snapshots_CreateOrUpdate",
        "PUT",
        &q(&snapshot, c),
        Some(json!({"location": "westus", "properties": {"osType": "Linux", "hyperVGeneration": "V2", "diskSizeGB": 10, "creationData": {"createOption": "Copy"}}})),
        201,
    )
    .await;
    let image_body = json!({"location": "westus", "properties": {"hyperVGeneration": "V2", "storageProfile": {"osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 10}, "dataDisks": [{"lun": 1, "diskSizeGB": 10}]}}});
    s.call(
        "Images_CreateOrUpdate",
        "PUT",
        &q(&managed, c),
        Some(image_body.clone()),
        201,
    )
    .await;
    s.call(
        "Images_CreateOrUpdate",
        "PUT",
        &q(&format!("{compute}/images/managed2"), c),
        Some(json!({"location": "westus", "properties": {"storageProfile": {"osDisk": {"osType": "Linux"}}}})),
        400,
    )
    .await;
    settle(s).await;
    s.call(
        "Disks_CreateOrUpdate",
        "PUT",
        &q(&disk, c),
        Some(disk_body),
        200,
    )
    .await;
    s.call(
        "Snapshots_CreateOrUpdate",
        "PUT",
        &q(&snapshot, c),
        Some(json!({"location": "westus", "properties": {"diskSizeGB": 0, "creationData": {"createOption": "Empty"}}})),
        400,
    )
    .await;
    s.call(
        "Images_CreateOrUpdate",
        "PUT",
        &q(&managed, c),
        Some(image_body),
        200,
    )
    .await;
    settle(s).await;
    s.call("Disks_Get", "GET", &q(&disk, c), None, 200).await;
    s.call("Disks_Get", "GET", &q(&format!("{disk}x"), c), None, 404)
        .await;
    s.call("Snapshots_Get", "GET", &q(&snapshot, c), None, 200)
        .await;
    s.call("Images_Get", "GET", &q(&managed, c), None, 200)
        .await;
    s.call(
        "Images_Get",
        "GET",
        &q(&format!("{managed}x"), c),
        None,
        404,
    )
    .await;
    for (id, path) in [
        ("Disks_ListByResourceGroup", "disks"),
        ("Snapshots_ListByResourceGroup", "snapshots"),
        ("Images_ListByResourceGroup", "images"),
    ] {
        let (_, _, page) = s
            .call(id, "GET", &q(&format!("{compute}/{path}"), c), None, 200)
            .await;
        if page["value"].as_array().is_none_or(|v| v.len() != 1) {
            s.problems.push(format!("{id}: one item expected: {page}"));
        }
    }

    // An image definition.
    let image = format!("{gallery}/images/image1");
    let definition = json!({
        "location": "West US",
        "tags": {"team": "a"},
        "properties": {
            "description": "d",
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "endOfLifeDate": "2099-01-01T00:00:00Z",
            "identifier": {"publisher": "Contoso", "offer": "Finance", "sku": "Backend"},
            "recommended": {"vCPUs": {"min": 1, "max": 8}, "memory": {"min": "2", "max": "64"}},
            "disallowed": {"diskTypes": ["Standard_LRS"]},
            "purchasePlan": {"name": "plan", "publisher": "Contoso", "product": "Finance"},
            // With the feature Azure adds to V2 definitions, so that the
            // same PUT again is the same definition.
            "features": [
                {"name": "DiskControllerTypes", "value": "SCSI"},
                {"name": "SecurityType", "value": "TrustedLaunchSupported"}
            ],
            "architecture": "x64"
        }
    });
    s.call(
        "GalleryImages_CreateOrUpdate",
        "PUT",
        &q(&image, g),
        Some(definition.clone()),
        201,
    )
    .await;
    s.call("GalleryImages_Get", "GET", &q(&image, g), None, 200)
        .await;
    settle(s).await;
    s.call(
        "GalleryImages_CreateOrUpdate",
        "PUT",
        &q(&image, g),
        Some(definition.clone()),
        200,
    )
    .await;
    settle(s).await;
    let mut other_os = definition.clone();
    other_os["properties"]["osType"] = json!("Windows");
    s.call(
        "GalleryImages_CreateOrUpdate",
        "PUT",
        &q(&image, g),
        Some(other_os),
        409,
    )
    .await;
    s.call(
        "GalleryImages_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}/images/image2"), g),
        Some(json!({"location": "westus", "properties": {"osType": "Linux", "osState": "Generalized", "identifier": {"publisher": "CONTOSO", "offer": "finance", "sku": "backend"}}})),
        409,
    )
    .await;
    s.call(
        "GalleryImages_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}/images/image2"), g),
        Some(json!({"location": "westus", "properties": {"osState": "Generalized"}})),
        400,
    )
    .await;
    s.call(
        "GalleryImages_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}x/images/image1"), g),
        Some(definition),
        404,
    )
    .await;
    s.call(
        "GalleryImages_Update",
        "PATCH",
        &q(&image, g),
        Some(json!({"tags": {"team": "b"}, "properties": {"description": "e"}})),
        200,
    )
    .await;
    s.call(
        "GalleryImages_Update",
        "PATCH",
        &q(&format!("{gallery}/images/nothing"), g),
        Some(json!({})),
        404,
    )
    .await;
    settle(s).await;
    s.call(
        "GalleryImages_ListByGallery",
        "GET",
        &q(&format!("{gallery}/images"), g),
        None,
        200,
    )
    .await;
    s.call(
        "GalleryImages_ListByGallery",
        "GET",
        &q(&format!("{gallery}x/images"), g),
        None,
        404,
    )
    .await;
    s.call(
        "GalleryImages_Get",
        "GET",
        &q(&format!("{gallery}/images/nothing"), g),
        None,
        404,
    )
    .await;

    // Versions made from each kind of source.
    let v1 = format!("{image}/versions/1.0.0");
    let from_image = json!({
        "location": "westus",
        "tags": {"build": "1"},
        "properties": {
            "publishingProfile": {
                "targetRegions": [
                    {"name": "West US", "encryption": {"osDiskImage": {"diskEncryptionSetId": format!("{compute}/diskEncryptionSets/des")}, "dataDiskImages": [{"lun": 1, "diskEncryptionSetId": format!("{compute}/diskEncryptionSets/des")}]}},
                    {"name": "eastus", "regionalReplicaCount": 2, "storageAccountType": "Standard_ZRS", "additionalReplicaSets": [{"storageAccountType": "Premium_LRS", "regionalReplicaCount": 1}]}
                ],
                "replicaCount": 1,
                "endOfLifeDate": "2099-01-01T00:00:00Z",
                "replicationMode": "Full"
            },
            "storageProfile": {"source": {"id": managed}},
            "safetyProfile": {"allowDeletionOfReplicatedLocations": false, "blockDeletionBeforeEndOfLife": false}
        }
    });
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&v1, g),
        Some(from_image.clone()),
        201,
    )
    .await;
    let (_, _, creating) = s
        .call(
            "GalleryImageVersions_Get",
            "GET",
            &format!("{}&$expand=ReplicationStatus", q(&v1, g)),
            None,
            200,
        )
        .await;
    if creating["properties"]["replicationStatus"]["aggregatedState"] != "InProgress" {
        s.problems
            .push(format!("a version being created: {creating}"));
    }
    let latest = format!("/_emulator/latest{image}");
    s.call("Admin_LatestImageVersion", "GET", &latest, None, 404)
        .await;
    settle(s).await;
    let (_, _, done) = s
        .call(
            "GalleryImageVersions_Get",
            "GET",
            &format!("{}&$expand=ReplicationStatus", q(&v1, g)),
            None,
            200,
        )
        .await;
    if done["properties"]["replicationStatus"]["aggregatedState"] != "Completed"
        || done["properties"]["storageProfile"]["dataDiskImages"][0]["sizeInGB"] != 10
    {
        s.problems.push(format!("a created version: {done}"));
    }
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&v1, g),
        Some(from_image.clone()),
        200,
    )
    .await;
    let from_disks = json!({
        "location": "westus",
        "properties": {
            "storageProfile": {
                "osDiskImage": {"source": {"id": snapshot}, "hostCaching": "ReadOnly"},
                "dataDiskImages": [{"lun": 0, "source": {"id": disk}, "hostCaching": "None"}]
            }
        }
    });
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&format!("{image}/versions/1.0.1"), g),
        Some(from_disks),
        201,
    )
    .await;
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&format!("{image}/versions/2.0.0"), g),
        Some(json!({"location": "westus", "properties": {"publishingProfile": {"excludeFromLatest": true}, "storageProfile": {"source": {"id": v1}}}})),
        201,
    )
    .await;
    let v3 = format!("{image}/versions/3.0.0");
    let with = |key: &str, value: Value| {
        let mut body = from_image.clone();
        body["properties"][key] = value;
        body
    };
    for (body, status) in [
        (with("securityProfile", json!({"uefiSettings": {}})), 501),
        (with("restore", json!(true)), 501),
        (
            with(
                "publishingProfile",
                json!({"targetExtendedLocations": [{"name": "microsoftlosangeles1"}]}),
            ),
            501,
        ),
        (with("storageProfile", json!({})), 400),
        (
            with(
                "publishingProfile",
                json!({"targetRegions": [{"name": "eastus"}]}),
            ),
            400,
        ),
        (
            with(
                "publishingProfile",
                json!({"targetRegions": [{"name": "westus", "storageAccountType": "Standard_ZRS"}]}),
            ),
            400,
        ),
    ] {
        s.call(
            "GalleryImageVersions_CreateOrUpdate",
            "PUT",
            &q(&v3, g),
            Some(body),
            status,
        )
        .await;
    }
    let mut elsewhere = from_image.clone();
    elsewhere["location"] = json!("eastus");
    elsewhere["properties"]["publishingProfile"] = json!({});
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&v3, g),
        Some(elsewhere.clone()),
        404,
    )
    .await;
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&v1, g),
        Some(elsewhere),
        409,
    )
    .await;
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&format!("{image}/versions/1.0"), g),
        Some(from_image.clone()),
        400,
    )
    .await;
    s.call(
        "GalleryImageVersions_CreateOrUpdate",
        "PUT",
        &q(&format!("{gallery}/images/nothing/versions/1.0.0"), g),
        Some(from_image),
        404,
    )
    .await;
    settle(s).await;
    let regions = |names: &[&str]| json!({"properties": {"publishingProfile": {"targetRegions": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()}, "storageProfile": {}}});
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&format!("{image}/versions/1.0.1"), g),
        Some(regions(&["westus", "northeurope"])),
        200,
    )
    .await;
    settle(s).await;
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&format!("{image}/versions/1.0.1"), g),
        Some(regions(&["westus"])),
        400,
    )
    .await;
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&v1, g),
        Some(json!({"properties": {"restore": true, "storageProfile": {}}})),
        501,
    )
    .await;
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&v1, g),
        Some(json!({"properties": {"storageProfile": {"source": {"id": snapshot}}}})),
        409,
    )
    .await;
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&format!("{image}/versions/9.9.9"), g),
        Some(json!({})),
        404,
    )
    .await;
    s.call(
        "GalleryImageVersions_Get",
        "GET",
        &q(&format!("{image}/versions/9.9.9"), g),
        None,
        404,
    )
    .await;
    let (_, _, page) = s
        .call(
            "GalleryImageVersions_ListByGalleryImage",
            "GET",
            &q(&format!("{image}/versions"), g),
            None,
            200,
        )
        .await;
    if page["value"].as_array().is_none_or(|v| v.len() != 3) {
        s.problems.push(format!("three versions expected: {page}"));
    }
    s.call(
        "GalleryImageVersions_ListByGalleryImage",
        "GET",
        &q(&format!("{gallery}/images/nothing/versions"), g),
        None,
        404,
    )
    .await;

    // Latest: 2.0.0 is excluded, 1.0.1 is published to northeurope.
    for (query, status, name) in [
        ("", 200, "1.0.1"),
        ("?region=East%20US", 200, "1.0.0"),
        ("?region=northeurope", 200, "1.0.1"),
        ("?region=japaneast", 404, ""),
        ("?region=atlantis", 400, ""),
    ] {
        let (_, _, body) = s
            .call(
                "Admin_LatestImageVersion",
                "GET",
                &format!("{latest}{query}"),
                None,
                status,
            )
            .await;
        if status == 200 && body["name"] != name {
            s.problems
                .push(format!("latest{query}: {name} expected, got {body}"));
        }
    }
    s.call(
        "Admin_LatestImageVersion",
        "GET",
        &format!("/_emulator/latest{gallery}/images/nothing"),
        None,
        404,
    )
    .await;
    s.call(
        "Admin_LatestImageVersion",
        "GET",
        &format!("/_emulator/latest{gallery}"),
        None,
        400,
    )
    .await;

    // Deletes, children first; 1.0.0 (end of life 2099) only once its
    // deletion is no longer blocked.
    s.call("GalleryImages_Delete", "DELETE", &q(&image, g), None, 409)
        .await;
    let safety = |block: bool| json!({"properties": {"safetyProfile": {"blockDeletionBeforeEndOfLife": block}}});
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&v1, g),
        Some(safety(true)),
        200,
    )
    .await;
    settle(s).await;
    s.call(
        "GalleryImageVersions_Delete",
        "DELETE",
        &q(&v1, g),
        None,
        409,
    )
    .await;
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&v1, g),
        Some(safety(false)),
        200,
    )
    .await;
    settle(s).await;
    for v in ["1.0.0", "1.0.1", "2.0.0"] {
        let path = q(&format!("{image}/versions/{v}"), g);
        s.call("GalleryImageVersions_Delete", "DELETE", &path, None, 202)
            .await;
    }
    // Marked for deletion: only the delete may be retried.
    s.call(
        "GalleryImageVersions_Update",
        "PATCH",
        &q(&v1, g),
        Some(json!({"tags": {"late": "yes"}})),
        409,
    )
    .await;
    settle(s).await;
    s.call(
        "GalleryImageVersions_Delete",
        "DELETE",
        &q(&v1, g),
        None,
        204,
    )
    .await;
    s.call("GalleryImages_Delete", "DELETE", &q(&image, g), None, 202)
        .await;
    settle(s).await;
    s.call("GalleryImages_Delete", "DELETE", &q(&image, g), None, 204)
        .await;
    for (id, path) in [
        ("Disks_Delete", &disk),
        ("Snapshots_Delete", &snapshot),
        ("Images_Delete", &managed),
    ] {
        s.call(id, "DELETE", &q(path, c), None, 202).await;
    }
    settle(s).await;
    for (id, path) in [
        ("Disks_Delete", &disk),
        ("Snapshots_Delete", &snapshot),
        ("Images_Delete", &managed),
    ] {
        s.call(id, "DELETE", &q(path, c), None, 204).await;
    }
}

#[test]
fn the_validator_catches_missing_mistyped_and_unlisted_values() {
    let doc = json!({"components": {"schemas": {"E": {"type": "string", "enum": ["a"]}}}});
    let schema = json!({
        "type": "object",
        "required": ["x"],
        "additionalProperties": false,
        "properties": {
            "x": {"type": "integer", "minimum": 1},
            "e": {"$ref": "#/components/schemas/E"},
            "n": {"type": "string", "nullable": true},
            "l": {"type": "array", "items": {"type": "boolean"}}
        }
    });
    let check = |v: Value| {
        let mut out = Vec::new();
        validate(&doc, &schema, &v, "body", &mut out);
        out
    };
    assert!(check(json!({"x": 1, "e": "a", "n": null, "l": [true]})).is_empty());
    assert_eq!(check(json!({"e": "a"})).len(), 1);
    assert_eq!(check(json!({"x": 0})).len(), 1);
    assert_eq!(check(json!({"x": 1, "e": "b"})).len(), 1);
    assert_eq!(check(json!({"x": 1, "y": 1})).len(), 1);
    assert_eq!(check(json!({"x": 1, "l": [1]})).len(), 1);
    assert_eq!(check(json!({"x": "1"})).len(), 1);
}
