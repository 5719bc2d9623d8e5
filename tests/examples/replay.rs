//! Replaying one official example against a fresh emulator: set up what the
//! example presumes (a gallery to get, patch, delete or list), send the
//! example's request, and hold the answer against the example. The image
//! definition and image version examples are set up in `images`.

use std::time::Duration;

use serde_json::Value;

use crate::common::{Emulator, SUB, StatusCode, json};
use crate::shape::{compare, compare_leaves, compare_values};
use crate::spec::{self, Example, SpecOperation, encode};
use crate::{applications, images};

/// The operations these replays know how to set up and check.
pub const GALLERY_OPERATIONS: &[&str] = &[
    "Galleries_CreateOrUpdate",
    "Galleries_Get",
    "Galleries_Update",
    "Galleries_Delete",
    "Galleries_List",
    "Galleries_ListByResourceGroup",
    "GallerySharingProfile_Update",
    "GalleryImages_CreateOrUpdate",
    "GalleryImages_Get",
    "GalleryImages_Update",
    "GalleryImages_Delete",
    "GalleryImages_ListByGallery",
    "GalleryImageVersions_CreateOrUpdate",
    "GalleryImageVersions_Get",
    "GalleryImageVersions_Update",
    "GalleryImageVersions_Delete",
    "GalleryImageVersions_ListByGalleryImage",
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

/// Places where an official example contradicts itself; the path is not
/// compared there, and the replay says so in its summary.
const EXAMPLE_DEFECTS: &[(&str, u16, &str, &str)] = &[
    (
        "Gallery_Create_WithManagedIdentity",
        201,
        "properties.softDeletePolicy",
        "the 201 body shows soft delete enabled although the request does not enable it (its 200 body does not show it)",
    ),
    (
        "Gallery_Create_WithManagedIdentity",
        202,
        "properties.softDeletePolicy",
        "the 202 body shows soft delete enabled although the request does not enable it",
    ),
];

/// What one replay found.
pub struct Outcome {
    pub file: String,
    pub summary: String,
    pub problems: Vec<String>,
}

/// The features of a gallery body (request or example response) that the
/// emulator answers with 501 NotYetSupported.
pub fn unsupported_features(gallery: &Value) -> Vec<&'static str> {
    let mut out = Vec::new();
    let sharing = &gallery["properties"]["sharingProfile"];
    match sharing["permissions"].as_str() {
        Some(p) if p.eq_ignore_ascii_case("Groups") => out.push("sharing with Groups"),
        Some(p) if p.eq_ignore_ascii_case("Community") => out.push("sharing with Community"),
        _ => {}
    }
    if !sharing["communityGalleryInfo"].is_null() {
        out.push("communityGalleryInfo");
    }
    if gallery["properties"]["softDeletePolicy"]["isSoftDeleteEnabled"] == true {
        out.push("soft delete enabled");
    }
    out
}

/// The PUT body that makes the gallery an example response shows.
fn setup_body(resource: &Value) -> Value {
    let mut body = json!({"location": resource["location"].as_str().unwrap_or("West US")});
    if resource["tags"].is_object() {
        body["tags"] = resource["tags"].clone();
    }
    if let Some(kind) = resource["identity"]["type"].as_str() {
        body["identity"] = json!({"type": kind});
        if let Some(ids) = resource["identity"]["userAssignedIdentities"].as_object() {
            body["identity"]["userAssignedIdentities"] =
                ids.keys().map(|k| (k.clone(), json!({}))).collect();
        }
    }
    let props = &resource["properties"];
    let mut properties = json!({});
    if props["description"].is_string() {
        properties["description"] = props["description"].clone();
    }
    if let Some(permissions) = props["sharingProfile"]["permissions"].as_str() {
        properties["sharingProfile"] = json!({"permissions": permissions});
        let info = &props["sharingProfile"]["communityGalleryInfo"];
        if info.is_object() {
            // Only the writable fields; publicNames and communityGalleryEnabled are read-only.
            let mut writable = json!({"publicNamePrefix": "prefix"});
            for k in [
                "publisherUri",
                "publisherContact",
                "eula",
                "publicNamePrefix",
            ] {
                if info[k].is_string() {
                    writable[k] = info[k].clone();
                }
            }
            properties["sharingProfile"]["communityGalleryInfo"] = writable;
        }
    }
    if props["softDeletePolicy"].is_object() {
        properties["softDeletePolicy"] = props["softDeletePolicy"].clone();
    }
    body["properties"] = properties;
    body
}

fn gallery_path(rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{}/providers/Microsoft.Compute/galleries/{}",
        encode(rg),
        encode(name)
    )
}

pub struct Replay<'a> {
    pub emu: Emulator,
    pub ex: &'a Example,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    /// How the values of a resource are held against the example's.
    pub values: Values,
}

/// Galleries compare the values a client reads back; image definitions and
/// versions compare every value the example shows, but those only Azure
/// can know (`images::not_compared`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Values {
    Gallery,
    Artifact,
}

pub type Answer = (StatusCode, reqwest::header::HeaderMap, Value);

impl Replay<'_> {
    pub fn url(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.emu.url(&format!(
            "{path}{sep}api-version={}",
            encode(&self.ex.api_version)
        ))
    }

    pub fn problem(&mut self, p: impl Into<String>) {
        self.problems.push(p.into());
    }

    pub async fn send(&mut self, method: &str, url: &str, body: Option<Value>) -> Answer {
        let answer = self.emu.call(method, url, body).await;
        if answer.1.get("x-ms-request-id").is_none() {
            self.problem(format!("{method} {url}: no x-ms-request-id header"));
        }
        answer
    }

    /// Polls the Azure-AsyncOperation monitor of `headers` until the
    /// operation ends, and expects it to have succeeded.
    pub async fn await_operation(&mut self, what: &str, headers: &reqwest::header::HeaderMap) {
        let Some(url) = headers
            .get("azure-asyncoperation")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
        else {
            self.problem(format!("{what}: no Azure-AsyncOperation header"));
            return;
        };
        match headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok())
        {
            Some(s) if s >= 1 => {}
            other => self.problem(format!(
                "{what}: Retry-After must be an integer >= 1, got {other:?}"
            )),
        }
        for _ in 0..100 {
            let (status, _, body) = self.send("GET", &url, None).await;
            if status != StatusCode::OK {
                self.problem(format!(
                    "{what}: the operation monitor answered {status}: {body}"
                ));
                return;
            }
            match body["status"].as_str() {
                Some("InProgress") => tokio::time::sleep(Duration::from_millis(50)).await,
                Some("Succeeded") => return,
                _ => {
                    self.problem(format!("{what}: the operation ended {body}"));
                    return;
                }
            }
        }
        self.problem(format!("{what}: the operation did not finish"));
    }

    /// PUTs a gallery and waits for it; `false` when it was not created.
    async fn create(&mut self, rg: &str, name: &str, body: Value) -> bool {
        let url = self.url(&gallery_path(rg, name));
        let (status, headers, answer) = self.send("PUT", &url, Some(body.clone())).await;
        if status != StatusCode::CREATED {
            self.problem(format!(
                "setup: PUT {name} with {body} answered {status}: {answer}"
            ));
            return false;
        }
        self.await_operation("setup PUT", &headers).await;
        true
    }

    pub fn expect_not_yet_supported(&mut self, what: &str, answer: &Answer) {
        let (status, _, body) = answer;
        if *status != StatusCode::NOT_IMPLEMENTED || body["error"]["code"] != "NotYetSupported" {
            self.problem(format!(
                "{what}: expected 501 NotYetSupported, got {status}: {body}"
            ));
        } else if !body["error"]["message"].is_string() {
            self.problem(format!("{what}: the NotYetSupported error has no message"));
        }
    }

    async fn expect_absent(&mut self, rg: &str, name: &str) {
        let url = self.url(&gallery_path(rg, name));
        let (status, _, body) = self.send("GET", &url, None).await;
        if status != StatusCode::NOT_FOUND || body["error"]["code"] != "ResourceNotFound" {
            self.problem(format!(
                "GET {name} after it was refused or deleted: expected 404 ResourceNotFound, got {status}: {body}"
            ));
        }
    }

    /// Status listed by the example; body and headers of the example's
    /// response for it present in ours.
    pub fn check_answer(&mut self, what: &str, answer: &Answer, id: Option<&str>) {
        let (status, headers, body) = answer;
        let code = status.as_u16();
        if !self.ex.statuses().contains(&code) {
            self.problem(format!(
                "{what}: {status} is not among the example's statuses {:?}: {body}",
                self.ex.statuses()
            ));
            return;
        }
        for h in self.ex.response_headers(code) {
            if headers.get(h.to_ascii_lowercase().as_str()).is_none() {
                self.problem(format!(
                    "{what}: the example's {code} has header {h}, ours does not"
                ));
            }
        }
        if let Some(expected) = self.ex.response_body(code).cloned() {
            self.check_resource(what, code, &expected, body, id);
        }
    }

    pub fn check_resource(
        &mut self,
        what: &str,
        code: u16,
        expected: &Value,
        ours: &Value,
        id: Option<&str>,
    ) {
        let mut defects: Vec<(String, String)> = EXAMPLE_DEFECTS
            .iter()
            .chain(images::EXAMPLE_LIMITS)
            .filter(|(stem, status, _, _)| {
                *stem == self.ex.stem && (*status == code || *status == 0)
            })
            .map(|(_, _, path, why)| (path.to_string(), why.to_string()))
            .collect();
        if self.values == Values::Artifact {
            defects.extend(images::not_compared(self.ex, code, expected));
        }
        // One note per reason, naming its paths.
        let mut reasons: Vec<&str> = Vec::new();
        for (_, why) in &defects {
            if !reasons.contains(&why.as_str()) {
                reasons.push(why);
            }
        }
        for why in reasons {
            let paths: Vec<&str> = defects
                .iter()
                .filter(|(_, w)| w == why)
                .map(|(p, _)| p.as_str())
                .collect();
            let note = format!("{} not compared: {why}", paths.join(", "));
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        let skip = |p: &str| defects.iter().any(|(d, _)| p == *d);
        let mut diffs = Vec::new();
        compare(expected, ours, "", &skip, &mut diffs);
        let mut values = Vec::new();
        match self.values {
            Values::Gallery => {
                compare_values(expected, ours, "", &mut values);
                values.retain(|v| {
                    !defects
                        .iter()
                        .any(|(d, _)| v.contains(&d.replace('.', "/")))
                });
            }
            Values::Artifact => {
                let skip_value = |p: &str| skip(p) || images::server_set(p);
                compare_leaves(expected, ours, "", &skip_value, &mut values);
            }
        }
        for d in diffs.into_iter().chain(values) {
            self.problem(format!("{what} ({code}): {d}"));
        }
        if let Some(id) = id
            && !ours["id"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(id))
        {
            self.problem(format!("{what}: id is {}, expected {id}", ours["id"]));
        }
    }
}

/// Replays one example of a supported operation against a fresh emulator.
pub async fn gallery(ex: &Example, op: &SpecOperation) -> Outcome {
    let artifact = images::OPERATIONS.contains(&op.id.as_str());
    let filled;
    let ex = if artifact {
        filled = images::fill_placeholders(ex);
        &filled
    } else {
        ex
    };
    let list = op.id.contains("_List");
    let mut flags: Vec<&str> = Vec::new();
    // One item per page, so that the example's nextLink has a counterpart.
    if list {
        flags.extend(["--page-size", "1"]);
    }
    if artifact {
        flags.extend(images::FLAGS);
    }
    let mut r = Replay {
        emu: Emulator::start(&flags),
        ex,
        problems: Vec::new(),
        notes: Vec::new(),
        values: if artifact {
            Values::Artifact
        } else {
            Values::Gallery
        },
    };
    let summary = match spec::request(op, ex) {
        Err(e) => {
            r.problem(e);
            String::new()
        }
        Ok(req) => match op.id.as_str() {
            "Galleries_CreateOrUpdate" => create_or_update(&mut r, req).await,
            "Galleries_Get" => get(&mut r, req).await,
            "Galleries_Update" => update(&mut r, req).await,
            "Galleries_Delete" => delete(&mut r, req).await,
            "Galleries_List" | "Galleries_ListByResourceGroup" => list_replay(&mut r, req).await,
            "GallerySharingProfile_Update" => share(&mut r, req).await,
            id if artifact => images::replay(&mut r, id, req).await,
            id if applications::OPERATIONS.contains(&id) => {
                applications::replay(&mut r, id, req).await
            }
            other => {
                r.problem(format!("no replay for {other}"));
                String::new()
            }
        },
    };
    let summary = if r.notes.is_empty() {
        summary
    } else {
        format!("{summary}; {}", r.notes.join("; "))
    };
    Outcome {
        file: ex.file.clone(),
        summary,
        problems: r.problems,
    }
}

fn rg_and_name(ex: &Example) -> (String, String) {
    (
        ex.parameters["resourceGroupName"]
            .as_str()
            .unwrap_or("myResourceGroup")
            .to_string(),
        ex.parameters["galleryName"]
            .as_str()
            .unwrap_or("myGallery")
            .to_string(),
    )
}

pub fn path_of(req: &spec::Request) -> String {
    req.path_and_query
        .split_once('?')
        .map_or(req.path_and_query.clone(), |(p, _)| p.to_string())
}

async fn create_or_update(r: &mut Replay<'_>, req: spec::Request) -> String {
    let (rg, name) = rg_and_name(r.ex);
    let body = req.body.clone().unwrap_or_else(|| json!({}));
    let url = r.emu.url(&req.path_and_query);
    let features = unsupported_features(&body);
    let answer = r.send("PUT", &url, Some(body.clone())).await;
    if !features.is_empty() {
        r.expect_not_yet_supported("PUT", &answer);
        r.expect_absent(&rg, &name).await;
        return format!(
            "501 NotYetSupported ({}), nothing created",
            features.join(", ")
        );
    }
    let id = path_of(&req);
    if answer.0 != StatusCode::CREATED {
        r.problem(format!(
            "PUT of a new gallery: expected 201, got {}: {}",
            answer.0, answer.2
        ));
    }
    r.check_answer("PUT (create)", &answer, Some(&id));
    r.await_operation("PUT (create)", &answer.1).await;
    // The same PUT again replaces the gallery: the example's 200.
    let again = r.send("PUT", &url, Some(body)).await;
    if again.0 != StatusCode::OK {
        r.problem(format!(
            "PUT of an existing gallery: expected 200, got {}: {}",
            again.0, again.2
        ));
    }
    r.check_answer("PUT (replace)", &again, Some(&id));
    r.await_operation("PUT (replace)", &again.1).await;
    let got = r.send("GET", &url, None).await;
    if got.2["properties"]["provisioningState"] != "Succeeded" {
        r.problem(format!("GET after the operations: {}", got.2));
    }
    format!(
        "{} then {}, shape and values match",
        answer.0.as_u16(),
        again.0.as_u16()
    )
}

async fn get(r: &mut Replay<'_>, req: spec::Request) -> String {
    let (rg, name) = rg_and_name(r.ex);
    let Some(shown) = r.ex.response_body(200).cloned() else {
        r.problem("the example has no 200 body");
        return String::new();
    };
    let setup = setup_body(&shown);
    let url = r.emu.url(&req.path_and_query);
    let features = unsupported_features(&shown);
    if !features.is_empty() {
        // The gallery the example shows cannot be made: the PUT that would
        // make it is refused, and the GET finds nothing.
        let put = r
            .send("PUT", &r.url(&gallery_path(&rg, &name)), Some(setup))
            .await;
        r.expect_not_yet_supported("setup PUT", &put);
        let answer = r.send("GET", &url, None).await;
        if answer.0 != StatusCode::NOT_FOUND {
            r.problem(format!(
                "GET of the refused gallery: expected 404, got {}",
                answer.0
            ));
        }
        return format!(
            "setup PUT 501 NotYetSupported ({}), GET 404",
            features.join(", ")
        );
    }
    if !r.create(&rg, &name, setup).await {
        return String::new();
    }
    let answer = r.send("GET", &url, None).await;
    r.check_answer("GET", &answer, Some(&path_of(&req)));
    format!("{}, shape and values match", answer.0.as_u16())
}

async fn update(r: &mut Replay<'_>, req: spec::Request) -> String {
    let (rg, name) = rg_and_name(r.ex);
    let shown =
        r.ex.response_body(200)
            .cloned()
            .unwrap_or_else(|| json!({}));
    let mut setup = setup_body(&shown);
    // The PATCH is what sets the description.
    if let Some(p) = setup["properties"].as_object_mut() {
        p.remove("description");
    }
    let body = req.body.clone().unwrap_or_else(|| json!({}));
    let url = r.emu.url(&req.path_and_query);
    let setup_features = unsupported_features(&setup);
    if !setup_features.is_empty() {
        let put = r
            .send("PUT", &r.url(&gallery_path(&rg, &name)), Some(setup))
            .await;
        r.expect_not_yet_supported("setup PUT", &put);
        return format!(
            "setup PUT 501 NotYetSupported ({})",
            setup_features.join(", ")
        );
    }
    if !r.create(&rg, &name, setup).await {
        return String::new();
    }
    let features = unsupported_features(&body);
    let answer = r.send("PATCH", &url, Some(body)).await;
    if !features.is_empty() {
        r.expect_not_yet_supported("PATCH", &answer);
        return format!("501 NotYetSupported ({})", features.join(", "));
    }
    r.check_answer("PATCH", &answer, Some(&path_of(&req)));
    r.await_operation("PATCH", &answer.1).await;
    let got = r.send("GET", &url, None).await;
    let kept = &got.2["properties"]["description"];
    if let Some(d) = shown["properties"]["description"].as_str()
        && kept != d
    {
        r.problem(format!(
            "GET after the PATCH: description is {kept}, expected {d:?}"
        ));
    }
    format!("{}, shape and values match", answer.0.as_u16())
}

async fn delete(r: &mut Replay<'_>, req: spec::Request) -> String {
    let (rg, name) = rg_and_name(r.ex);
    if !r.create(&rg, &name, json!({"location": "West US"})).await {
        return String::new();
    }
    let url = r.emu.url(&req.path_and_query);
    let answer = r.send("DELETE", &url, None).await;
    if ![200, 202, 204].contains(&answer.0.as_u16()) {
        r.problem(format!(
            "DELETE: expected 200, 202 or 204, got {}: {}",
            answer.0, answer.2
        ));
    }
    r.check_answer("DELETE", &answer, None);
    if answer.0 == StatusCode::ACCEPTED {
        r.await_operation("DELETE", &answer.1).await;
        match answer.1.get("location").and_then(|v| v.to_str().ok()) {
            Some(location) => {
                let location = location.to_string();
                let (status, _, body) = r.send("GET", &location, None).await;
                if !matches!(status.as_u16(), 200 | 204) {
                    r.problem(format!(
                        "the Location monitor of a finished delete answered {status}: {body}"
                    ));
                }
            }
            None => r.problem("DELETE 202 without Location"),
        }
    }
    r.expect_absent(&rg, &name).await;
    let again = r.send("DELETE", &url, None).await;
    r.check_answer("DELETE again", &again, None);
    format!("{} then {}", answer.0.as_u16(), again.0.as_u16())
}

async fn list_replay(r: &mut Replay<'_>, req: spec::Request) -> String {
    let Some(page) = r.ex.response_body(200).cloned() else {
        r.problem("the example has no 200 body");
        return String::new();
    };
    let items = page["value"].as_array().cloned().unwrap_or_default();
    let mut made = Vec::new();
    let mut refused = Vec::new();
    for item in &items {
        let id = item["id"].as_str().unwrap_or("");
        let segments: Vec<&str> = id.split('/').collect();
        let after = |key: &str| {
            segments
                .iter()
                .position(|s| s.eq_ignore_ascii_case(key))
                .and_then(|i| segments.get(i + 1))
                .map(|s| s.to_string())
        };
        let rg = after("resourceGroups").unwrap_or_else(|| "myResourceGroup".into());
        let name = item["name"]
            .as_str()
            .map(str::to_string)
            .or_else(|| after("galleries"));
        let Some(name) = name else {
            r.problem(format!("example item without a name: {item}"));
            continue;
        };
        let features = unsupported_features(item);
        let setup = setup_body(item);
        if features.is_empty() {
            if r.create(&rg, &name, setup).await {
                made.push((rg, name, item.clone()));
            }
        } else {
            let put = r
                .send("PUT", &r.url(&gallery_path(&rg, &name)), Some(setup))
                .await;
            r.expect_not_yet_supported("setup PUT", &put);
            refused.push(name);
        }
    }
    // One more gallery, so that the list has a second page.
    let extra_rg = made
        .first()
        .map(|(rg, _, _)| rg.clone())
        .unwrap_or_else(|| "myResourceGroup".into());
    r.create(
        &extra_rg,
        "emulatorExtraGallery",
        json!({"location": "westus"}),
    )
    .await;

    let url = r.emu.url(&req.path_and_query);
    let first = r.send("GET", &url, None).await;
    r.check_status_only("GET list", &first);
    let skip = |p: &str| p == "value" || p.starts_with("value[");
    let mut diffs = Vec::new();
    compare(&page, &first.2, "", &skip, &mut diffs);
    if !first.2["value"].is_array() {
        diffs.push("`value` is not an array".into());
    }
    for d in diffs {
        r.problem(format!("GET list (first page): {d}"));
    }
    let mut ours: Vec<Value> = first.2["value"].as_array().cloned().unwrap_or_default();
    let mut next = first.2["nextLink"].as_str().map(str::to_string);
    let mut pages = 1;
    while let Some(link) = next.take() {
        if !link.contains("api-version=") {
            r.problem(format!("nextLink without api-version: {link}"));
        }
        let (status, _, body) = r.send("GET", &link, None).await;
        if status != StatusCode::OK || pages > 20 {
            r.problem(format!("following nextLink: {status}: {body}"));
            break;
        }
        pages += 1;
        ours.extend(body["value"].as_array().cloned().unwrap_or_default());
        next = body["nextLink"].as_str().map(str::to_string);
    }
    if ours.len() != made.len() + 1 {
        r.problem(format!(
            "the list has {} galleries, expected {}",
            ours.len(),
            made.len() + 1
        ));
    }
    for (rg, name, expected) in &made {
        match ours.iter().find(|g| {
            g["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) {
            Some(found) => {
                let id = gallery_path(rg, name);
                let found = found.clone();
                r.check_resource("list item", 200, expected, &found, Some(&id));
            }
            None => r.problem(format!("{name} is not in the list")),
        }
    }
    let mut summary = format!("200 over {pages} pages, shape and values match");
    if !refused.is_empty() {
        summary.push_str(&format!("; setup of {refused:?} 501 NotYetSupported"));
    }
    summary
}

async fn share(r: &mut Replay<'_>, req: spec::Request) -> String {
    let (rg, name) = rg_and_name(r.ex);
    if !r.create(&rg, &name, json!({"location": "West US"})).await {
        return String::new();
    }
    let url = r.emu.url(&req.path_and_query);
    let answer = r.send("POST", &url, req.body).await;
    r.expect_not_yet_supported("POST share", &answer);
    "501 NotYetSupported (GallerySharingProfile_Update)".into()
}

impl Replay<'_> {
    pub fn check_status_only(&mut self, what: &str, answer: &Answer) {
        if !self.ex.statuses().contains(&answer.0.as_u16()) {
            self.problem(format!(
                "{what}: {} is not among the example's statuses {:?}: {}",
                answer.0,
                self.ex.statuses(),
                answer.2
            ));
        }
    }
}
