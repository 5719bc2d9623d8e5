//! The emulator's own OpenAPI document (openapi/openapi.json) and
//! openapi/coverage.md, held against the router they describe: its source
//! (src/http/mod.rs) and the running binary.

#[path = "../common/mod.rs"]
mod common;
mod conformance;
mod coverage;
#[path = "coverage_md.rs"]
mod coverage_md;
mod document;
mod router;
mod router_source;

use std::path::PathBuf;

use serde_json::Value;

/// The HTTP methods an OpenAPI path item can hold.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub fn document_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json")
}

/// openapi/openapi.json, parsed.
pub fn load_document() -> Value {
    let path = document_file();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// Follows a local `$ref` (`#/components/...`), or returns `v` itself.
pub fn resolve<'a>(doc: &'a Value, v: &'a Value) -> Result<&'a Value, String> {
    let mut v = v;
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return Ok(v);
        };
        let pointer = r
            .strip_prefix('#')
            .ok_or_else(|| format!("$ref {r} is not local to the document"))?;
        v = doc
            .pointer(pointer)
            .ok_or_else(|| format!("$ref {r} points at nothing"))?;
    }
    Err("$ref chain too long".into())
}

/// One operation of the document.
pub struct Operation<'a> {
    pub path: &'a str,
    /// Upper-case.
    pub method: String,
    pub op: &'a Value,
    /// Path-item and operation parameters, `$ref`s resolved (operation ones win).
    pub params: Vec<&'a Value>,
}

impl Operation<'_> {
    pub fn id(&self) -> &str {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn param(&self, location: &str, name: &str) -> Option<&Value> {
        self.params
            .iter()
            .copied()
            .find(|p| p["in"] == location && p["name"] == name)
    }

    /// `METHOD path`, for messages.
    pub fn label(&self) -> String {
        format!("{} {} ({})", self.method, self.path, self.id())
    }
}

pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let shared: Vec<&Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let mut params: Vec<&Value> = Vec::new();
            let own: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for p in own.into_iter().chain(shared.iter().copied()) {
                let p = resolve(doc, p).unwrap_or(p);
                let taken = params
                    .iter()
                    .any(|q| q["in"] == p["in"] && q["name"] == p["name"]);
                if !taken {
                    params.push(p);
                }
            }
            out.push(Operation {
                path,
                method: method.to_ascii_uppercase(),
                op,
                params,
            });
        }
    }
    out
}

/// `{name}` segments of a path template, in order.
pub fn template_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_string)
        .collect()
}
