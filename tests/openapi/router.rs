//! openapi.json against the router: the `.route(..)` calls of
//! src/http/mod.rs, and the running binary answering each documented method
//! (and refusing the others with 405).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{Emulator, SUB, StatusCode, json};
use crate::router_source::{self, normalise};
use crate::{Operation, load_document, operations};

fn router_source() -> Vec<router_source::Route> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/mod.rs");
    let src = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    router_source::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// (normalised path, METHOD) pairs.
type Surface = BTreeSet<(String, String)>;

#[test]
fn the_document_lists_exactly_the_routes_and_methods_of_the_router_source() {
    let routes = router_source();
    let from_router: Surface = routes
        .iter()
        .flat_map(|r| r.methods.iter().map(|m| (normalise(&r.path), m.clone())))
        .collect();
    let doc = load_document();
    let from_doc: Surface = operations(&doc)
        .iter()
        .map(|o| (normalise(o.path), o.method.clone()))
        .collect();
    let undocumented: Vec<String> = from_router
        .difference(&from_doc)
        .map(|(p, m)| format!("  {m} {p}"))
        .collect();
    let unrouted: Vec<String> = from_doc
        .difference(&from_router)
        .map(|(p, m)| format!("  {m} {p}"))
        .collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "openapi/openapi.json and src/http/mod.rs disagree.\nrouted but not documented:\n{}\ndocumented but not routed:\n{}",
        undocumented.join("\n"),
        unrouted.join("\n")
    );
    // Two documented paths that differ only in parameter names would be one route.
    let mut by_shape: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for path in doc["paths"].as_object().expect("paths").keys() {
        by_shape.entry(normalise(path)).or_default().push(path);
    }
    for (shape, paths) in by_shape {
        assert_eq!(paths.len(), 1, "{shape} is documented as {paths:?}");
    }
}

/// A value for a parameter: its example, its default, its first enum value.
fn placeholder(p: &Value) -> String {
    let schema = &p["schema"];
    for v in [
        &p["example"],
        &schema["example"],
        &schema["default"],
        &schema["enum"][0],
    ] {
        match v {
            Value::String(s) => return s.clone(),
            Value::Bool(b) => return b.to_string(),
            Value::Number(n) => return n.to_string(),
            _ => {}
        }
    }
    match p["name"].as_str() {
        Some("subscriptionId") => SUB.to_string(),
        _ => "placeholder1".to_string(),
    }
}

fn url_for(emu: &Emulator, op: &Operation<'_>) -> String {
    let mut path = op.path.to_string();
    for p in &op.params {
        if p["in"] == "path" {
            let name = p["name"].as_str().unwrap_or("");
            path = path.replace(&format!("{{{name}}}"), &placeholder(p));
        }
    }
    let query: Vec<String> = op
        .params
        .iter()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .map(|p| format!("{}={}", p["name"].as_str().unwrap_or(""), placeholder(p)))
        .collect();
    if query.is_empty() {
        emu.url(&path)
    } else {
        emu.url(&format!("{path}?{}", query.join("&")))
    }
}

const PROBES: &[&str] = &["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS"];

#[tokio::test]
async fn the_running_emulator_routes_every_documented_method_and_refuses_the_others() {
    let emu = Emulator::start(&[]);
    let doc = load_document();
    let ops = operations(&doc);
    let mut by_path: BTreeMap<&str, Vec<&Operation<'_>>> = BTreeMap::new();
    for op in &ops {
        by_path.entry(op.path).or_default().push(op);
    }
    let mut problems = Vec::new();
    let mut probes = 0;
    for (path, path_ops) in &by_path {
        // The placeholder resource group exists, so that a HEAD (which has no
        // body to tell a handler's 404 from the router's) answers 204.
        let rg = path_ops
            .iter()
            .flat_map(|o| o.params.iter())
            .find(|p| p["name"] == "resourceGroupName")
            .map(|p| placeholder(p))
            .unwrap_or_else(|| "rg-openapi".into());
        let (status, _, _) = emu
            .call(
                "PUT",
                &emu.url(&format!(
                    "/subscriptions/{SUB}/resourceGroups/{rg}?api-version=2022-12-01"
                )),
                Some(json!({"location": "westus"})),
            )
            .await;
        assert!(
            status.is_success(),
            "creating the placeholder resource group: {status}"
        );

        let documented: BTreeSet<&str> = path_ops.iter().map(|o| o.method.as_str()).collect();
        let url = url_for(&emu, path_ops[0]);
        for method in PROBES {
            // axum answers HEAD on every GET route (RFC 9110), documented or not.
            if *method == "HEAD" && documented.contains("GET") && !documented.contains("HEAD") {
                continue;
            }
            probes += 1;
            let url = match path_ops.iter().find(|o| o.method == *method) {
                Some(op) => url_for(&emu, op),
                None => url.clone(),
            };
            let (status, headers, body) = emu.call(method, &url, None).await;
            let code = body["error"]["code"].as_str().unwrap_or("");
            if headers.get("x-ms-request-id").is_none() {
                problems.push(format!("{method} {path}: no x-ms-request-id"));
            }
            if documented.contains(method) {
                if status == StatusCode::METHOD_NOT_ALLOWED {
                    problems.push(format!("{method} {path}: documented but answered 405"));
                } else if status == StatusCode::NOT_FOUND && code == "InvalidResourceType" {
                    problems.push(format!(
                        "{method} {path}: documented but the router's fallback answered 404 InvalidResourceType"
                    ));
                } else if status == StatusCode::NOT_FOUND && *method == "HEAD" {
                    problems.push(format!(
                        "{method} {path}: 404 to a HEAD cannot be told from the router's fallback; the placeholder should exist"
                    ));
                }
            } else if status != StatusCode::METHOD_NOT_ALLOWED
                || (*method != "HEAD" && code != "MethodNotAllowed")
            {
                problems.push(format!(
                    "{method} {path}: not documented, so it must be 405 MethodNotAllowed; got {status} {code:?}"
                ));
            }
        }
    }
    assert!(probes > by_path.len(), "too few probes: {probes}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn a_path_the_document_does_not_list_is_the_routers_404_invalid_resource_type() {
    let emu = Emulator::start(&[]);
    for path in [
        "/_emulator/nothing".to_string(),
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/nothing/x?api-version=2026-03-03"
        ),
        "/providers/Microsoft.Compute/operations?api-version=2026-03-03".to_string(),
    ] {
        let (status, headers, body) = emu.call("GET", &emu.url(&path), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"]["code"], "InvalidResourceType", "{path}");
        assert!(headers.get("x-ms-request-id").is_some());
    }
}
