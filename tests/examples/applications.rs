//! Replays of the GalleryApplication_* and GalleryApplicationVersion_*
//! examples: the gallery (and the application, and the version for the
//! version's Get/Update/Delete/List) are made first, then the example's
//! request is sent; its status must be among the example's and its body
//! have the example's shape.
//!
//! Not replayed faithfully: the examples' subscription placeholder is replaced
//! by the emulator's subscription; an `endOfLifeDate` in the past (2019) is
//! moved to 2099, since the emulator (like Azure) refuses a past one; the
//! version examples' responses show `settings`/`advancedSettings` their
//! requests do not send, so those are not compared; an application answer
//! never has `provisioningState` (applications are synchronous).

use serde_json::Value;

use crate::common::{SUB, StatusCode, json};
use crate::replay::Replay;
use crate::shape::compare;
use crate::spec;

pub const OPERATIONS: &[&str] = &[
    "GalleryApplications_CreateOrUpdate",
    "GalleryApplications_Get",
    "GalleryApplications_Update",
    "GalleryApplications_Delete",
    "GalleryApplications_ListByGallery",
    "GalleryApplicationVersions_CreateOrUpdate",
    "GalleryApplicationVersions_Get",
    "GalleryApplicationVersions_Update",
    "GalleryApplicationVersions_Delete",
    "GalleryApplicationVersions_ListByGalleryApplication",
];

/// Paths of the example bodies the emulator cannot reproduce from the request.
const NOT_COMPARED: &[&str] = &[
    "properties.publishingProfile.settings",
    "properties.publishingProfile.advancedSettings",
    "properties.provisioningState",
    "properties.replicationStatus.summary.details",
    "nextLink",
    "properties.publishingProfile.endOfLifeDate",
    "value[0].properties.publishingProfile.endOfLifeDate",
];

fn param(r: &Replay<'_>, name: &str, default: &str) -> String {
    r.ex.parameters[name]
        .as_str()
        .unwrap_or(default)
        .to_string()
}

fn future_end_of_life(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, value) in map.iter_mut() {
                if k == "endOfLifeDate" {
                    *value = json!("2099-01-01T00:00:00Z");
                } else {
                    future_end_of_life(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(future_end_of_life),
        _ => {}
    }
}

async fn put(r: &mut Replay<'_>, what: &str, path: &str, body: Value, lro: bool) -> bool {
    let url = r.url(path);
    let (status, headers, answer) = r.send("PUT", &url, Some(body)).await;
    if status != StatusCode::CREATED {
        r.problem(format!("setup {what}: {status}: {answer}"));
        return false;
    }
    if lro {
        r.await_operation(what, &headers).await;
    }
    true
}

/// A setup body from the example's own answer: its writable values.
fn setup_from_example(r: &Replay<'_>, fallback: Value) -> Value {
    let shown = r.ex.response_body(200).cloned().unwrap_or(Value::Null);
    let mut shown = if shown["value"].is_array() {
        shown["value"][0].clone()
    } else {
        shown
    };
    if !shown["properties"].is_object() {
        return fallback;
    }
    for k in ["id", "name", "type"] {
        shown.as_object_mut().map(|m| m.remove(k));
    }
    if let Some(p) = shown["properties"].as_object_mut() {
        p.remove("provisioningState");
        p.remove("replicationStatus");
    }
    if let Some(p) = shown["properties"]["publishingProfile"].as_object_mut() {
        p.remove("publishedDate");
    }
    future_end_of_life(&mut shown);
    shown
}

pub async fn replay(r: &mut Replay<'_>, id: &str, req: spec::Request) -> String {
    let rg = param(r, "resourceGroupName", "myResourceGroup");
    let gallery = format!(
        "/subscriptions/{SUB}/resourceGroups/{}/providers/Microsoft.Compute/galleries/{}",
        spec::encode(&rg),
        spec::encode(&param(r, "galleryName", "myGallery"))
    );
    let app = format!(
        "{gallery}/applications/{}",
        spec::encode(&param(r, "galleryApplicationName", "myApplication"))
    );
    if !put(r, "gallery", &gallery, json!({"location": "West US"}), true).await {
        return String::new();
    }
    let creates_app = id == "GalleryApplications_CreateOrUpdate";
    let version_op = id.starts_with("GalleryApplicationVersions_");
    if !creates_app {
        let fallback = json!({"location": "West US", "properties": {"supportedOSType": "Windows"}});
        let os = if version_op {
            fallback
        } else {
            setup_from_example(r, fallback)
        };
        if !put(r, "application", &app, os, false).await {
            return String::new();
        }
    }
    if version_op && id != "GalleryApplicationVersions_CreateOrUpdate" {
        let version = format!(
            "{app}/versions/{}",
            spec::encode(&param(r, "galleryApplicationVersionName", "1.0.0"))
        );
        let fallback = json!({"location": "West US", "properties": {"publishingProfile": {
            "source": {"mediaLink": "https://mystorageaccount.blob.core.windows.net/mycontainer/package.zip?{sasKey}"},
            "manageActions": {"install": "install", "remove": "remove"}}}});
        let body = setup_from_example(r, fallback);
        if !put(r, "version", &version, body, true).await {
            return String::new();
        }
    }
    let path_and_query = match req.path_and_query.split_once("/resourceGroups/") {
        Some((_, rest)) => format!("/subscriptions/{SUB}/resourceGroups/{rest}"),
        None => req.path_and_query.clone(),
    };
    let mut body = req.body.clone();
    if let Some(b) = body.as_mut() {
        future_end_of_life(b);
    }
    let url = r.emu.url(&path_and_query);
    let answer = r.send(&req.method, &url, body).await;
    r.check_status_only(&format!("{} {}", req.method, id), &answer);
    let (status, headers, ours) = &answer;
    let lro = version_op && matches!(req.method.as_str(), "PUT" | "PATCH" | "DELETE");
    if headers.get("azure-asyncoperation").is_some() != lro && status.is_success() {
        r.problem(format!(
            "{id}: Azure-AsyncOperation present: {}, expected {lro}",
            !lro
        ));
    }
    if let Some(expected) = r.ex.response_body(status.as_u16()).cloned() {
        let mut diffs = Vec::new();
        let skip = |p: &str| {
            NOT_COMPARED
                .iter()
                .any(|n| p.starts_with(n) || p.contains(&format!("].{n}")) || p.ends_with(n))
        };
        compare(&expected, ours, "", &skip, &mut diffs);
        for d in diffs {
            r.problem(format!("{id} ({status}): {d}"));
        }
    }
    if !creates_app && !version_op {
        r.notes
            .push("applications are synchronous: no provisioningState".into());
    }
    format!("{} {}", status.as_u16(), id)
}
