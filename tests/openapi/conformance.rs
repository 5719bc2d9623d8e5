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
        match response["content"]["application/json"]["schema"].clone() {
            Value::Null => {
                if !value.is_null() && method != "HEAD" {
                    self.problems.push(format!(
                        "{what}: documented without a body, answered {value}"
                    ));
                }
            }
            schema => {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
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
