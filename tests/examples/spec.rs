//! The reference material the replays read: the operations of GalleryRP.json
//! (method, path, where each parameter goes) and the official example files
//! of every api-version folder under GALLERY_EMULATOR_SPEC_DIR.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::SUB;

/// What a request of one operation is built from.
#[derive(Debug, Clone)]
pub struct SpecOperation {
    pub id: String,
    pub method: String,
    pub path: String,
    /// Name of the body parameter, if the operation takes one.
    pub body: Option<String>,
    /// Query parameters other than api-version.
    pub query: Vec<String>,
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Resolves a parameter `$ref`: local (`#/parameters/X`) or into the stored
/// common-types (`…/common-types/resource-management/v3/types.json#/parameters/X`).
fn resolve_param(spec_dir: &Path, spec: &Value, p: &Value) -> Value {
    let Some(r) = p["$ref"].as_str() else {
        return p.clone();
    };
    let (file, pointer) = r.split_once('#').unwrap_or((r, ""));
    let target = if file.is_empty() {
        spec.clone()
    } else {
        let at = file
            .find("common-types/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        read_json(&spec_dir.join(&file[at..]))
    };
    target
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("$ref {r} points at nothing"))
}

/// Every operation of 2026-03-03/GalleryRP.json, by operationId.
pub fn operations(spec_dir: &Path) -> BTreeMap<String, SpecOperation> {
    let spec = read_json(&spec_dir.join("2026-03-03/GalleryRP.json"));
    let mut out = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let shared: Vec<Value> = item["parameters"].as_array().cloned().unwrap_or_default();
        for (method, op) in item.as_object().expect("path item") {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            let params: Vec<Value> = op["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .chain(&shared)
                .map(|p| resolve_param(spec_dir, &spec, p))
                .collect();
            let named = |location: &str| -> Vec<String> {
                params
                    .iter()
                    .filter(|p| p["in"] == location)
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect()
            };
            out.insert(
                id.to_string(),
                SpecOperation {
                    id: id.to_string(),
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    body: named("body").into_iter().next(),
                    query: named("query")
                        .into_iter()
                        .filter(|q| q != "api-version")
                        .collect(),
                },
            );
        }
    }
    out
}

/// One official example file.
#[derive(Debug, Clone)]
pub struct Example {
    /// Relative to the spec folder, e.g. `2026-03-03/examples/galleryExamples/Gallery_Get.json`.
    pub file: String,
    /// File name without `.json`.
    pub stem: String,
    /// The example's operationId, or the one its file name implies (older
    /// copies lack the field).
    pub operation_id: String,
    pub api_version: String,
    /// `parameters`, with `{subscription-id}` replaced by a real GUID.
    pub parameters: Value,
    /// `responses`, likewise.
    pub responses: Value,
}

impl Example {
    pub fn statuses(&self) -> Vec<u16> {
        self.responses
            .as_object()
            .map(|m| m.keys().filter_map(|k| k.parse().ok()).collect())
            .unwrap_or_default()
    }

    pub fn response_body(&self, status: u16) -> Option<&Value> {
        self.responses
            .get(status.to_string())
            .and_then(|r| r.get("body"))
    }

    pub fn response_headers(&self, status: u16) -> Vec<String> {
        self.responses
            .get(status.to_string())
            .and_then(|r| r["headers"].as_object())
            .map(|h| h.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// `Gallery_Create_WithSharingProfile` → `Galleries_CreateOrUpdate`, checked
/// against the contract's operationIds.
fn implied_operation_id(stem: &str, known: &BTreeMap<String, SpecOperation>) -> Option<String> {
    let (family, rest) = stem.split_once('_')?;
    let plural = match family.strip_suffix('y') {
        Some(base) => format!("{base}ies"),
        None => format!("{family}s"),
    };
    let verb = rest.split('_').next()?;
    let verb = match verb {
        "Create" => "CreateOrUpdate",
        "ListBySubscription" => "List",
        v => v,
    };
    let id = format!("{plural}_{verb}");
    known.contains_key(&id).then_some(id)
}

/// Every `*/examples/*/*.json` under the spec folder, in path order.
pub fn examples(spec_dir: &Path, known: &BTreeMap<String, SpecOperation>) -> Vec<Example> {
    let mut files: Vec<PathBuf> = Vec::new();
    for version in std::fs::read_dir(spec_dir).expect("spec folder").flatten() {
        let examples = version.path().join("examples");
        for group in std::fs::read_dir(&examples).into_iter().flatten().flatten() {
            for file in std::fs::read_dir(group.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if file.path().extension().is_some_and(|e| e == "json") {
                    files.push(file.path());
                }
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).expect("example");
            let text = text
                .replace("{subscription-id}", SUB)
                .replace("{subscriptionId}", SUB);
            let json: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            let rel = path
                .strip_prefix(spec_dir)
                .unwrap_or(path)
                .display()
                .to_string();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let operation_id = json["operationId"]
                .as_str()
                .map(str::to_string)
                .or_else(|| implied_operation_id(&stem, known))
                .unwrap_or_else(|| panic!("{rel}: no operationId and none implied by its name"));
            let folder_version = rel.split('/').next().unwrap_or_default().to_string();
            let params = &json["parameters"];
            let api_version = params["api-version"]
                .as_str()
                .or(params["version"].as_str())
                .map(str::to_string)
                .unwrap_or(folder_version);
            Example {
                file: rel,
                stem,
                operation_id,
                api_version,
                parameters: params.clone(),
                responses: json["responses"].clone(),
            }
        })
        .collect()
}

/// Percent-encodes a path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request an example describes: path and query from `parameters`
/// (api-version included), and the body from the body parameter.
pub struct Request {
    pub method: String,
    pub path_and_query: String,
    pub body: Option<Value>,
}

pub fn request(op: &SpecOperation, ex: &Example) -> Result<Request, String> {
    let mut path = String::new();
    for segment in op.path.split('/').skip(1) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = ex.parameters[name]
                    .as_str()
                    .ok_or_else(|| format!("{}: no value for path parameter {name}", ex.file))?;
                path.push_str(&encode(value));
            }
            None => path.push_str(segment),
        }
    }
    let mut query = vec![format!("api-version={}", encode(&ex.api_version))];
    for name in &op.query {
        if let Some(v) = ex.parameters.get(name) {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            query.push(format!("{}={}", encode(name), encode(&v)));
        }
    }
    Ok(Request {
        method: op.method.clone(),
        path_and_query: format!("{path}?{}", query.join("&")),
        body: op.body.as_ref().and_then(|b| ex.parameters.get(b)).cloned(),
    })
}
