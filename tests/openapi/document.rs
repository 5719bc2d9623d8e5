//! openapi.json on its own: valid OpenAPI 3.0 in the ways a fuzzer and a
//! code generator rely on, and written in the conventions of the contract.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{load_document, operations, resolve, template_params};

fn walk_refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    if let Some(r) = v.as_str() {
                        out.push((at.clone(), r));
                    }
                } else {
                    walk_refs(v, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                walk_refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_document_is_openapi_3_0_with_info_and_paths() {
    let doc = load_document();
    let version = doc["openapi"].as_str().unwrap_or("");
    assert!(
        version.starts_with("3.0."),
        "openapi must be 3.0.x, found {version:?}"
    );
    assert!(doc["info"]["title"].is_string(), "info.title");
    assert!(doc["info"]["version"].is_string(), "info.version");
    let paths = doc["paths"].as_object().expect("paths is an object");
    assert!(!paths.is_empty());
    for path in paths.keys() {
        assert!(path.starts_with('/'), "path {path} must start with /");
        assert!(
            !path.contains('?'),
            "path {path} must not carry a query string"
        );
    }
    let allowed = [
        "get",
        "put",
        "post",
        "delete",
        "options",
        "head",
        "patch",
        "trace",
        "parameters",
        "summary",
        "description",
        "servers",
    ];
    for (path, item) in paths {
        for key in item.as_object().expect("path item").keys() {
            assert!(
                allowed.contains(&key.as_str()) || key.starts_with("x-"),
                "{path}: {key} is no field of a path item"
            );
        }
    }
}

#[test]
fn every_ref_resolves_inside_the_document() {
    let doc = load_document();
    let mut refs = Vec::new();
    walk_refs(&doc, String::new(), &mut refs);
    assert!(!refs.is_empty());
    let broken: Vec<String> = refs
        .iter()
        .filter(|(_, r)| r.strip_prefix('#').and_then(|p| doc.pointer(p)).is_none())
        .map(|(at, r)| format!("{at}: {r}"))
        .collect();
    assert!(
        broken.is_empty(),
        "unresolved $refs:\n{}",
        broken.join("\n")
    );
}

#[test]
fn every_operation_has_a_unique_contract_style_operation_id_and_responses() {
    let doc = load_document();
    let ops = operations(&doc);
    assert!(!ops.is_empty());
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let mut problems = Vec::new();
    for op in &ops {
        let id = op.id();
        // The contract's style: Group_Verb, e.g. Galleries_CreateOrUpdate.
        let well_formed = id.split_once('_').is_some_and(|(group, verb)| {
            !group.is_empty()
                && !verb.is_empty()
                && group.starts_with(|c: char| c.is_ascii_uppercase())
                && verb.starts_with(|c: char| c.is_ascii_uppercase())
                && group.chars().all(|c| c.is_ascii_alphanumeric())
                && verb.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !well_formed {
            problems.push(format!(
                "{}: operationId {id:?} is not Group_Verb",
                op.label()
            ));
        }
        if let Some(other) = seen.insert(id, op.label()) {
            problems.push(format!(
                "operationId {id} is used twice: {other} and {}",
                op.label()
            ));
        }
        match op.op.get("responses").and_then(Value::as_object) {
            None => problems.push(format!("{}: no responses", op.label())),
            Some(r) if r.is_empty() => problems.push(format!("{}: empty responses", op.label())),
            Some(responses) => {
                if !responses
                    .keys()
                    .any(|k| k.starts_with('2') || k.starts_with('5'))
                {
                    problems.push(format!("{}: documents no success answer", op.label()));
                }
                for (code, response) in responses {
                    let ok_key = code == "default"
                        || (code.len() == 3 && code.chars().all(|c| c.is_ascii_digit()));
                    if !ok_key {
                        problems.push(format!("{}: response key {code:?}", op.label()));
                    }
                    match resolve(&doc, response) {
                        Ok(r) if r["description"].is_string() => {}
                        _ => problems.push(format!(
                            "{}: response {code} has no description",
                            op.label()
                        )),
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether an operation is a sign-in route, whose errors are OAuth's.
fn is_sign_in(op: &crate::Operation<'_>) -> bool {
    op.op["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "Identity"))
}

#[test]
fn every_arm_route_requires_api_version_and_the_admin_plane_does_not_take_it() {
    let doc = load_document();
    let mut problems = Vec::new();
    for op in operations(&doc) {
        let api = op.param("query", "api-version");
        let arm = ["/subscriptions", "/providers", "/tenants"]
            .iter()
            .any(|p| op.path.starts_with(p));
        if arm {
            match api {
                Some(p) if p["required"] == true => {}
                Some(_) => problems.push(format!("{}: api-version is not required", op.label())),
                None => problems.push(format!("{}: no api-version parameter", op.label())),
            }
        } else if op.path.starts_with("/_emulator/") {
            if api.is_some() {
                problems.push(format!(
                    "{}: the admin plane takes no api-version",
                    op.label()
                ));
            }
        } else if api.is_some_and(|p| p["required"] == true) {
            // Sign-in routes: MSAL may send one; it is never checked.
            problems.push(format!(
                "{}: a sign-in route does not require api-version",
                op.label()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn path_parameters_match_the_template_and_are_required() {
    let doc = load_document();
    let mut problems = Vec::new();
    for op in operations(&doc) {
        let mut declared: Vec<String> = op
            .params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap_or("").to_string())
            .collect();
        declared.sort();
        let mut templated = template_params(op.path);
        templated.sort();
        if declared != templated {
            problems.push(format!(
                "{}: path parameters {declared:?}, template has {templated:?}",
                op.label()
            ));
        }
        for p in &op.params {
            if p["in"] == "path" && p["required"] != true {
                problems.push(format!(
                    "{}: path parameter {} must be required",
                    op.label(),
                    p["name"]
                ));
            }
            let located = ["path", "query", "header", "cookie"]
                .iter()
                .any(|l| p["in"] == *l);
            if !located
                || !p["name"].is_string()
                || !(p["schema"].is_object() || p["content"].is_object())
            {
                problems.push(format!("{}: malformed parameter {p}", op.label()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_response_names_its_request_id_and_errors_use_the_arm_envelope_or_oauths_on_sign_in() {
    let doc = load_document();
    let mut problems = Vec::new();
    for op in operations(&doc) {
        let Some(responses) = op.op["responses"].as_object() else {
            continue;
        };
        for (code, response) in responses {
            let Ok(r) = resolve(&doc, response) else {
                continue;
            };
            if r["headers"]["x-ms-request-id"].is_null() {
                problems.push(format!(
                    "{}: response {code} lacks x-ms-request-id",
                    op.label()
                ));
            }
            let error = code == "default" || code.starts_with('4') || code.starts_with('5');
            if let (true, Some(content)) = (error, r["content"].as_object()) {
                let schema = &content
                    .get("application/json")
                    .map(|m| m["schema"].clone())
                    .unwrap_or_default();
                let expected = if is_sign_in(&op) {
                    "#/components/schemas/OAuthError"
                } else {
                    "#/components/schemas/ErrorResponse"
                };
                // The router's own answers (405, 404) are ARM errors everywhere.
                let router_answer =
                    code == "default" && schema["$ref"] == "#/components/schemas/ErrorResponse";
                if schema["$ref"] != expected && !router_answer {
                    problems.push(format!(
                        "{}: error response {code} is not {expected}",
                        op.label()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
