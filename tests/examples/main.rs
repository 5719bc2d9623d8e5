//! Replays Azure's official GalleryRP examples against the emulator. Runs
//! only when GALLERY_EMULATOR_SPEC_DIR names the azure-spec folder (CI sets
//! it to ../shared/reference/azure-spec); otherwise each test says it skipped.
//!
//! Examples of the supported operations (galleries, image definitions, image
//! versions; every api-version folder) are replayed one by one on a fresh
//! emulator: status among the example's, body with the example's shape (and,
//! for definitions and versions, its values), and 501 NotYetSupported where
//! an example uses a feature the emulator does not support yet. Examples of
//! other operations must get the error openapi/coverage.md promises for them.

mod applications;
#[path = "../common/mod.rs"]
mod common;
#[path = "../openapi/coverage_md.rs"]
mod coverage_md;
mod images;
mod replay;
mod shape;
mod spec;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use coverage_md::State;
use replay::GALLERY_OPERATIONS;
use spec::{Example, SpecOperation};

struct Reference {
    operations: BTreeMap<String, SpecOperation>,
    examples: Vec<Example>,
}

fn reference(test: &str) -> Option<Reference> {
    let dir: PathBuf = coverage_md::spec_dir(test)?;
    let operations = spec::operations(&dir);
    let examples = spec::examples(&dir, &operations);
    assert!(
        !examples.is_empty(),
        "no example files under {}",
        dir.display()
    );
    Some(Reference {
        operations,
        examples,
    })
}

fn is_gallery(ex: &Example) -> bool {
    GALLERY_OPERATIONS.contains(&ex.operation_id.as_str())
}

#[tokio::test]
async fn official_examples_of_supported_operations_answer_a_listed_status_with_the_example_shape() {
    let Some(reference) = reference("the example replays of supported operations") else {
        return;
    };
    let mut report = Vec::new();
    let mut failed = Vec::new();
    let mut replayed = 0;
    for ex in reference.examples.iter().filter(|e| is_gallery(e)) {
        let op = &reference.operations[&ex.operation_id];
        let outcome = replay::gallery(ex, op).await;
        replayed += 1;
        if outcome.problems.is_empty() {
            report.push(format!(
                "ok   {} [{}]: {}",
                outcome.file, ex.operation_id, outcome.summary
            ));
        } else {
            report.push(format!("FAIL {} [{}]", outcome.file, ex.operation_id));
            failed.push(format!(
                "{} [{}]:\n  {}",
                outcome.file,
                ex.operation_id,
                outcome.problems.join("\n  ")
            ));
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        replayed >= 35,
        "only {replayed} examples of supported operations found"
    );
    for id in GALLERY_OPERATIONS {
        assert!(
            reference.examples.iter().any(|e| e.operation_id == *id),
            "no example of {id}"
        );
    }
    assert!(
        failed.is_empty(),
        "{} of {replayed} examples do not replay:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[tokio::test]
async fn examples_of_operations_not_yet_supported_get_the_error_coverage_md_promises() {
    let Some(reference) = reference("the not-yet-supported example replays") else {
        return;
    };
    let coverage = coverage_md::load();
    let emu = common::Emulator::start(&[]);
    let mut problems = Vec::new();
    let mut replayed = 0;
    for ex in reference.examples.iter().filter(|e| !is_gallery(e)) {
        let Some(row) = coverage.get(&ex.operation_id) else {
            problems.push(format!(
                "{}: {} is not in coverage.md",
                ex.file, ex.operation_id
            ));
            continue;
        };
        let State::NotYetSupported { status, code } = &row.state else {
            problems.push(format!(
                "{}: coverage.md calls {} supported, but no replay checks its examples; add one to tests/examples/replay.rs",
                ex.file, ex.operation_id
            ));
            continue;
        };
        let op = &reference.operations[&ex.operation_id];
        let req = match spec::request(op, ex) {
            Ok(req) => req,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let (got, headers, body) = emu
            .call(&req.method, &emu.url(&req.path_and_query), req.body)
            .await;
        replayed += 1;
        let got_code = body["error"]["code"].as_str().unwrap_or("");
        if got.as_u16() != *status || got_code != code {
            problems.push(format!(
                "{} [{}] {} {}: coverage.md promises {status} {code}, the emulator answers {} {got_code:?}",
                ex.file,
                ex.operation_id,
                req.method,
                req.path_and_query,
                got.as_u16()
            ));
        }
        if headers.get("x-ms-request-id").is_none() {
            problems.push(format!("{}: no x-ms-request-id", ex.file));
        }
    }
    assert!(replayed > 0, "no example of an unsupported operation found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_operation_id_of_the_example_files_is_covered_by_a_replay() {
    let Some(reference) = reference("the example coverage check") else {
        return;
    };
    let coverage = coverage_md::load();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for ex in &reference.examples {
        seen.insert(ex.operation_id.clone());
        let Some(op) = reference.operations.get(&ex.operation_id) else {
            problems.push(format!(
                "{}: {} is no operation of GalleryRP.json",
                ex.file, ex.operation_id
            ));
            continue;
        };
        if let Err(e) = spec::request(op, ex) {
            problems.push(e);
        }
        let covered = is_gallery(ex)
            || matches!(
                coverage.get(&ex.operation_id).map(|r| &r.state),
                Some(State::NotYetSupported { .. })
            );
        if !covered {
            problems.push(format!(
                "{}: no replay covers {} (neither a Gallery replay nor not yet supported in coverage.md)",
                ex.file, ex.operation_id
            ));
        }
    }
    for id in GALLERY_OPERATIONS {
        if !seen.contains(*id) {
            problems.push(format!("no example file exercises the {id} replay"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
