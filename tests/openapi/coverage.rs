//! openapi/coverage.md against the contract (GalleryRP.json, when
//! GALLERY_EMULATOR_SPEC_DIR names it), against openapi.json, and against
//! what the running emulator answers for the operations it does not support.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{Emulator, SUB, json};
use crate::coverage_md::{self, State};
use crate::router_source::normalise;
use crate::{load_document, operations};

/// operationId → (METHOD, path) of the contract.
fn contract_operations(spec_dir: &std::path::Path) -> BTreeMap<String, (String, String)> {
    let file = spec_dir.join("2026-03-03/GalleryRP.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let spec: Value = serde_json::from_str(&text).expect("GalleryRP.json is JSON");
    let mut out = BTreeMap::new();
    for key in ["paths", "x-ms-paths"] {
        let Some(paths) = spec[key].as_object() else {
            continue;
        };
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                if let Some(id) = op["operationId"].as_str() {
                    out.insert(id.to_string(), (method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn coverage_md_lists_every_operation_of_the_contract_with_its_method_and_path() {
    let Some(dir) = coverage_md::spec_dir("the contract check of coverage.md") else {
        return;
    };
    let contract = contract_operations(&dir);
    assert_eq!(
        contract.len(),
        63,
        "GalleryRP.json 2026-03-03 has 63 operations"
    );
    let coverage = coverage_md::load();
    let listed: BTreeMap<&str, &coverage_md::Row> = coverage
        .gallery_rp
        .iter()
        .map(|r| (r.operation_id.as_str(), r))
        .collect();
    let mut problems = Vec::new();
    for (id, (method, path)) in &contract {
        match listed.get(id.as_str()) {
            None => problems.push(format!("{id} ({method} {path}) is missing")),
            Some(row) => {
                if row.method != *method || row.path != *path {
                    problems.push(format!(
                        "{id}: coverage.md says {} {}, the contract {method} {path}",
                        row.method, row.path
                    ));
                }
            }
        }
    }
    for id in listed.keys() {
        if !contract.contains_key(*id) {
            problems.push(format!("{id} is not an operation of the contract"));
        }
    }
    assert!(
        problems.is_empty(),
        "openapi/coverage.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn coverage_md_rows_are_unique_and_name_a_state() {
    let coverage = coverage_md::load();
    let mut seen = BTreeSet::new();
    for row in coverage.gallery_rp.iter().chain(&coverage.emulator_only) {
        assert!(
            seen.insert(row.operation_id.clone()),
            "{} listed twice",
            row.operation_id
        );
        assert!(
            row.path.starts_with('/'),
            "{}: path {:?}",
            row.operation_id,
            row.path
        );
    }
    for row in &coverage.gallery_rp {
        if let State::NotYetSupported { status, code } = &row.state {
            assert!(
                (*status == 501 && code == "NotYetSupported")
                    || (*status == 404 && code == "InvalidResourceType"),
                "{}: a not yet supported operation answers 501 NotYetSupported (served path) or 404 InvalidResourceType (unserved path), not {status} {code}",
                row.operation_id
            );
        }
    }
}

#[test]
fn operations_coverage_md_calls_supported_or_served_are_in_openapi_json_and_unserved_ones_are_not()
{
    let coverage = coverage_md::load();
    let doc = load_document();
    let ops = operations(&doc);
    let by_id: BTreeMap<&str, (String, String)> = ops
        .iter()
        .map(|o| (o.id(), (o.method.clone(), normalise(o.path))))
        .collect();
    let surface: BTreeSet<(String, String)> = by_id.values().cloned().collect();
    let mut problems = Vec::new();
    for row in &coverage.gallery_rp {
        let wanted = (row.method.clone(), normalise(&row.path));
        let served = match &row.state {
            State::Supported => true,
            State::NotYetSupported { status, .. } => *status != 404,
        };
        if served {
            match by_id.get(row.operation_id.as_str()) {
                None => problems.push(format!(
                    "{} is {:?} in coverage.md but not an operationId of openapi.json",
                    row.operation_id, row.state
                )),
                Some(found) if *found != wanted => problems.push(format!(
                    "{}: openapi.json has {} {}, coverage.md {} {}",
                    row.operation_id, found.0, found.1, wanted.0, wanted.1
                )),
                Some(_) => {}
            }
        } else if surface.contains(&wanted) || by_id.contains_key(row.operation_id.as_str()) {
            problems.push(format!(
                "{} is documented in openapi.json, so coverage.md cannot promise 404 InvalidResourceType for it",
                row.operation_id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_operation_of_openapi_json_is_listed_in_coverage_md() {
    let coverage = coverage_md::load();
    let doc = load_document();
    let rows: BTreeMap<&str, &coverage_md::Row> = coverage
        .gallery_rp
        .iter()
        .chain(&coverage.emulator_only)
        .map(|r| (r.operation_id.as_str(), r))
        .collect();
    let mut problems = Vec::new();
    for op in operations(&doc) {
        match rows.get(op.id()) {
            None => problems.push(format!("{} is not in coverage.md", op.label())),
            Some(row) => {
                if row.method != op.method || normalise(&row.path) != normalise(op.path) {
                    problems.push(format!(
                        "{}: coverage.md says {} {}",
                        op.label(),
                        row.method,
                        row.path
                    ));
                }
            }
        }
    }
    for row in &coverage.emulator_only {
        if !operations(&doc).iter().any(|o| o.id() == row.operation_id) {
            problems.push(format!(
                "{} is an emulator-only route of coverage.md but not in openapi.json",
                row.operation_id
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn placeholder(name: &str) -> String {
    match name {
        "subscriptionId" | "sharedGallerySubscriptionId" => SUB.to_string(),
        "location" => "westus".into(),
        "resourceGroupName" => "myResourceGroup".into(),
        n if n.ends_with("VersionName") => "1.0.0".into(),
        n => format!("{n}1"),
    }
}

#[tokio::test]
async fn a_client_gets_the_error_coverage_md_promises_for_each_operation_not_yet_supported() {
    let coverage = coverage_md::load();
    let emu = Emulator::start(&[]);
    let mut problems = Vec::new();
    let mut checked = 0;
    for row in &coverage.gallery_rp {
        let State::NotYetSupported { status, code } = &row.state else {
            continue;
        };
        let mut path = row.path.clone();
        for name in crate::template_params(&row.path) {
            path = path.replace(&format!("{{{name}}}"), &placeholder(&name));
        }
        let body = matches!(row.method.as_str(), "PUT" | "PATCH" | "POST").then(|| json!({}));
        let url = emu.api(&path);
        let (got, headers, answer) = emu.call(&row.method, &url, body).await;
        checked += 1;
        let got_code = answer["error"]["code"].as_str().unwrap_or("");
        if got.as_u16() != *status || got_code != code {
            problems.push(format!(
                "{} ({} {path}): coverage.md promises {status} {code}, the emulator answers {} {got_code:?}",
                row.operation_id, row.method, got.as_u16()
            ));
        }
        if headers.get("x-ms-request-id").is_none() {
            problems.push(format!("{}: no x-ms-request-id", row.operation_id));
        }
    }
    assert!(
        checked > 0,
        "coverage.md lists nothing as not yet supported"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[cfg(test)]
mod parser {
    use crate::coverage_md::{State, parse};

    #[test]
    fn rows_of_both_tables_and_the_promised_error_are_read() {
        let text = "# x\n\n## GalleryRP operations\n\n| # | operationId | method | path | state | what a client gets today |\n|---|---|---|---|---|---|\n| 1 | A_Get | GET | `/a/{x}` | supported | 200. 501 `NotYetSupported` for some bodies. |\n| 2 | B_Get | POST | `/b` | not yet supported | `501 NotYetSupported` (after the api-version check). |\n| 3 | C_Get | get | `/c` | not yet supported | `404 InvalidResourceType` |\n\n## Emulator-only routes\n\n| operationId | method | path | notes |\n|---|---|---|---|\n| Admin_Health | GET | `/_emulator/health` | Liveness. |\n";
        let c = parse(text).expect("parses");
        assert_eq!(c.gallery_rp.len(), 3);
        assert_eq!(c.gallery_rp[0].state, State::Supported);
        assert_eq!(c.gallery_rp[0].path, "/a/{x}");
        assert_eq!(
            c.gallery_rp[1].state,
            State::NotYetSupported {
                status: 501,
                code: "NotYetSupported".into()
            }
        );
        assert_eq!(c.gallery_rp[2].method, "GET");
        assert_eq!(
            c.gallery_rp[2].state,
            State::NotYetSupported {
                status: 404,
                code: "InvalidResourceType".into()
            }
        );
        assert_eq!(c.emulator_only[0].operation_id, "Admin_Health");
    }

    #[test]
    fn a_not_yet_supported_row_without_an_answer_is_refused() {
        let text =
            "## GalleryRP operations\n| 1 | A_Get | GET | `/a` | not yet supported | soon |\n";
        assert!(parse(text).is_err());
        let text = "## GalleryRP operations\n| 1 | A_Get | GET | `/a` | maybe | 200 |\n";
        assert!(parse(text).is_err());
    }
}
