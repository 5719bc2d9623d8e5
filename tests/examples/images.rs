//! The image definition (GalleryImage_*) and image version
//! (GalleryImageVersion_*) replays. An example names a gallery, a definition
//! and, for versions, sources by placeholder ids; the replay fills the
//! placeholders, makes what the example presumes (the sources in the
//! version's region, with the disks its response shows), sends the example's
//! request and holds the answer against the example's statuses, headers,
//! shape and values.

use serde_json::Value;

use crate::common::{SUB, StatusCode, json};
use crate::replay::{Replay, path_of};
use crate::spec::{self, Example, encode};

/// The operations replayed here.
pub const OPERATIONS: &[&str] = &[
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
];

/// Emulator flags of these replays: a source the emulator does not hold (a
/// virtual machine) has the 10 GB OS disk the examples show.
pub const FLAGS: &[&str] = &["--default-source-size-gb", "10"];

/// The Microsoft.Compute api-version the sources are made with.
const COMPUTE_API: &str = "2024-03-02";

/// The placeholders of the examples' source ids and what they become: every
/// source in the example's resource group (and, when made, in the version's
/// region), an image version source in the example's gallery.
const PLACEHOLDERS: &[(&str, &str)] = &[
    ("{resourceGroup}", "myResourceGroup"),
    ("{imageName}", "myManagedImage"),
    ("{vmName}", "myVM"),
    ("{osSnapshotName}", "myOsSnapshot"),
    ("{dataDiskName}", "myDataDisk"),
    ("{imageDefinitionName}", "mySourceImageDefinition"),
    ("{versionName}", "1.0.0"),
    ("{storageAccount}", "mystorageaccount"),
];

/// What cannot be replayed faithfully, or where the emulator is known to
/// differ: (example, status or 0 for all, path, why). The path is not
/// compared, and the replay's summary says why.
pub const EXAMPLE_LIMITS: &[(&str, u16, &str, &str)] = &[(
    "GalleryImageVersion_Create_WithVmAsSource",
    0,
    "properties.storageProfile.dataDiskImages",
    "the emulator holds no virtual machines: a VM source is taken on trust with an OS disk of --default-source-size-gb and no data disks, so the data disk Azure read from the VM cannot appear",
)];

/// What of an example version (`expected`, the body of `status`) is not
/// compared, and why: what only Azure can know, and where the example
/// contradicts Azure's recorded or documented behaviour.
pub fn not_compared(ex: &Example, status: u16, expected: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut skip = |path: String, why: &str| out.push((path, why.to_string()));
    let p = &expected["properties"];
    if p["safetyProfile"]["reportedForPolicyViolation"] == true {
        skip(
            "properties.safetyProfile.reportedForPolicyViolation".into(),
            "Azure's policy scan flagged the example's image; the emulator flags none",
        );
    }
    if !p["safetyProfile"]["policyViolations"].is_null() {
        skip(
            "properties.safetyProfile.policyViolations".into(),
            "Azure's policy scan results; the emulator flags no image",
        );
    }
    if !p["validationsProfile"].is_null() {
        skip(
            "properties.validationsProfile".into(),
            "results of Azure's image validation, which the emulator does not run",
        );
    }
    // Azure reports disk sizes once a version exists: in the recording
    // test_mgmt_compute_galleries the 201 (Creating) has no sizeInGB.
    if status == 201 {
        let why = "the example's 201 shows disk sizes while Creating; Azure (recordings/test_mgmt_compute_galleries) reports them once the version exists";
        let storage = &p["storageProfile"];
        if !storage["osDiskImage"]["sizeInGB"].is_null() {
            skip("properties.storageProfile.osDiskImage.sizeInGB".into(), why);
        }
        for (i, d) in storage["dataDiskImages"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if !d["sizeInGB"].is_null() {
                skip(
                    format!("properties.storageProfile.dataDiskImages[{i}].sizeInGB"),
                    why,
                );
            }
        }
    }
    // From 2025-03-03 a version that names neither a storage account type nor
    // a strategy gets storageAccountStrategy PreferStandard_ZRS (DIGEST §0,
    // item 10), so no profile-wide type.
    let request = &ex.parameters["galleryImageVersion"]["properties"]["publishingProfile"];
    if ex.operation_id == "GalleryImageVersions_CreateOrUpdate"
        && ex.api_version.as_str() >= "2025-03-03"
        && request["storageAccountType"].is_null()
        && request["storageAccountStrategy"].is_null()
        && !p["publishingProfile"]["storageAccountType"].is_null()
    {
        skip(
            "properties.publishingProfile.storageAccountType".into(),
            "from 2025-03-03 a version that names neither storageAccountType nor storageAccountStrategy gets PreferStandard_ZRS and no profile-wide type; the example still shows Standard_LRS",
        );
    }
    out
}

/// Values set by the server that differ by nature: the id (held against the
/// request's path instead) and the time of publishing.
pub fn server_set(path: &str) -> bool {
    matches!(path, "id" | "properties.publishingProfile.publishedDate")
}

/// The example with its source placeholders filled in (`{subscriptionId}`
/// already is).
pub fn fill_placeholders(ex: &Example) -> Example {
    let gallery = ex.parameters["galleryName"]
        .as_str()
        .unwrap_or("myGalleryName")
        .to_string();
    let fill = |v: &Value| -> Value {
        let mut text = v.to_string();
        for (placeholder, value) in PLACEHOLDERS {
            text = text.replace(placeholder, value);
        }
        text = text.replace("{galleryName}", &gallery);
        serde_json::from_str(&text).expect("still JSON")
    };
    Example {
        parameters: fill(&ex.parameters),
        responses: fill(&ex.responses),
        ..ex.clone()
    }
}

/// The features of a version body the emulator answers with 501 NotYetSupported.
pub fn unsupported(version: &Value) -> Vec<&'static str> {
    let p = &version["properties"];
    let mut out = Vec::new();
    if !p["securityProfile"].is_null() {
        out.push("securityProfile");
    }
    if p["restore"] == true {
        out.push("restore of a soft-deleted version");
    }
    if p["publishingProfile"]["targetExtendedLocations"]
        .as_array()
        .is_some_and(|l| !l.is_empty())
    {
        out.push("targetExtendedLocations");
    }
    out
}

/// Replays one example of an image definition or version operation.
pub async fn replay(r: &mut Replay<'_>, id: &str, req: spec::Request) -> String {
    match id {
        "GalleryImages_CreateOrUpdate" => image_create(r, req).await,
        "GalleryImages_Get" => image_get(r, req).await,
        "GalleryImages_Update" => image_update(r, req).await,
        "GalleryImages_Delete" => image_delete(r, req).await,
        "GalleryImages_ListByGallery" => image_list(r, req).await,
        "GalleryImageVersions_CreateOrUpdate" => version_create(r, req).await,
        "GalleryImageVersions_Get" => version_get(r, req).await,
        "GalleryImageVersions_Update" => version_update(r, req).await,
        "GalleryImageVersions_Delete" => version_delete(r, req).await,
        "GalleryImageVersions_ListByGalleryImage" => version_list(r, req).await,
        other => {
            r.problem(format!("no replay for {other}"));
            String::new()
        }
    }
}

// ---- names and paths --------------------------------------------------------

struct Names {
    gallery: String,
    image: String,
    version: String,
}

fn names(ex: &Example) -> Names {
    let p = |name: &str, default: &str| ex.parameters[name].as_str().unwrap_or(default).to_string();
    let rg = p("resourceGroupName", "myResourceGroup");
    let gallery = format!(
        "/subscriptions/{SUB}/resourceGroups/{}/providers/Microsoft.Compute/galleries/{}",
        encode(&rg),
        encode(&p("galleryName", "myGalleryName"))
    );
    let image = format!(
        "{gallery}/images/{}",
        encode(&p("galleryImageName", "myGalleryImageName"))
    );
    let version = format!(
        "{image}/versions/{}",
        encode(&p("galleryImageVersionName", "1.0.0"))
    );
    Names {
        gallery,
        image,
        version,
    }
}

fn canonical(region: &str) -> String {
    crate::shape::canonical_location(region)
}

// ---- setup ------------------------------------------------------------------

/// PUTs a GalleryRP resource, expects 201 and waits for its operation.
async fn put_and_wait(r: &mut Replay<'_>, what: &str, path: &str, body: Value) -> bool {
    let url = r.url(path);
    let (status, headers, answer) = r.send("PUT", &url, Some(body.clone())).await;
    if status != StatusCode::CREATED {
        r.problem(format!(
            "setup: PUT {what} with {body} answered {status}: {answer}"
        ));
        return false;
    }
    r.await_operation(&format!("setup PUT {what}"), &headers)
        .await;
    true
}

async fn setup_gallery(r: &mut Replay<'_>, n: &Names) -> bool {
    put_and_wait(r, "gallery", &n.gallery, json!({"location": "West US"})).await
}

/// The definition the version examples presume: its OS type, state and
/// generation are those of the sources the replays make.
fn definition(sku: &str) -> Value {
    json!({
        "location": "West US",
        "properties": {
            "osType": "Windows",
            "osState": "Generalized",
            "hyperVGeneration": "V1",
            "identifier": {"publisher": "myPublisherName", "offer": "myOfferName", "sku": sku}
        }
    })
}

async fn setup_definition(r: &mut Replay<'_>, n: &Names) -> bool {
    setup_gallery(r, n).await
        && put_and_wait(r, "image definition", &n.image, definition("mySkuName")).await
}

/// PUTs a Microsoft.Compute source at its id and reads it back. Its
/// operation is not polled: the monitor URLs of disk and image operations
/// carry an api-version Operation_Get refuses (a reported defect); in the
/// default instant timing the resource has already succeeded.
async fn put_source(r: &mut Replay<'_>, id: &str, body: Value) -> bool {
    let url = r.emu.url(&format!("{id}?api-version={COMPUTE_API}"));
    let (status, _, answer) = r.send("PUT", &url, Some(body.clone())).await;
    // 200: a source an earlier item of the example already made.
    if status != StatusCode::CREATED && status != StatusCode::OK {
        r.problem(format!(
            "setup: PUT {id} with {body} answered {status}: {answer}"
        ));
        return false;
    }
    let (status, _, got) = r.send("GET", &url, None).await;
    if status != StatusCode::OK || got["properties"]["provisioningState"] != "Succeeded" {
        r.problem(format!("setup: GET {id} answered {status}: {got}"));
        return false;
    }
    true
}

/// The resource type segment of a Microsoft.Compute id (`images`,
/// `snapshots`, `disks`, `virtualMachines`, `galleries`).
fn source_kind(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    lower
        .split_once("/providers/microsoft.compute/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or("")
        .to_string()
}

fn managed_image(location: &str, os_size: i64, data: &[(i64, i64)]) -> Value {
    let data_disks: Vec<Value> = data
        .iter()
        .map(|(lun, size)| json!({"lun": lun, "diskSizeGB": size}))
        .collect();
    json!({
        "location": location,
        "properties": {
            "hyperVGeneration": "V1",
            "storageProfile": {
                "osDisk": {"osType": "Windows", "osState": "Generalized", "diskSizeGB": os_size},
                "dataDisks": data_disks
            }
        }
    })
}

/// Makes the sources a storage profile names, in `location`, with the disk
/// sizes the example's version (`shown`) reports; `false` when one failed.
async fn make_sources(r: &mut Replay<'_>, storage: &Value, shown: &Value, location: &str) -> bool {
    let shown = &shown["properties"]["storageProfile"];
    let os_size = shown["osDiskImage"]["sizeInGB"].as_i64().unwrap_or(10);
    let data: Vec<(i64, i64)> = shown["dataDiskImages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| Some((d["lun"].as_i64()?, d["sizeInGB"].as_i64().unwrap_or(10))))
        .collect();
    if let Some(id) = storage["source"]["id"].as_str() {
        let made = match source_kind(id).as_str() {
            "images" => put_source(r, id, managed_image(location, os_size, &data)).await,
            "galleries" => make_source_version(r, id, location, os_size, &data).await,
            other => {
                r.problem(format!("a full source of kind {other:?}: {id}"));
                false
            }
        };
        if !made {
            return false;
        }
    }
    if storage["source"]["virtualMachineId"].is_string() {
        let note = "the source VM is taken on trust (the emulator holds no VMs)".to_string();
        if !r.notes.contains(&note) {
            r.notes.push(note);
        }
    }
    let mut disks: Vec<(String, Option<&str>, i64)> = Vec::new();
    if let Some(id) = storage["osDiskImage"]["source"]["id"].as_str() {
        disks.push((id.to_string(), Some("Windows"), os_size));
    }
    for d in storage["dataDiskImages"].as_array().into_iter().flatten() {
        if let Some(id) = d["source"]["id"].as_str() {
            let size = data
                .iter()
                .find(|(lun, _)| Some(*lun) == d["lun"].as_i64())
                .map_or(10, |(_, s)| *s);
            disks.push((id.to_string(), None, size));
        }
    }
    for (id, os_type, size) in disks {
        let mut properties = json!({"diskSizeGB": size, "creationData": {"createOption": "Copy"}});
        if let Some(os) = os_type {
            properties["osType"] = json!(os);
            properties["hyperVGeneration"] = json!("V1");
        }
        let body = json!({"location": location, "properties": properties});
        if !put_source(r, &id, body).await {
            return false;
        }
    }
    true
}

/// An image version to make another from: its own definition (another
/// identifier, the same OS) and a managed image with the example's disks.
async fn make_source_version(
    r: &mut Replay<'_>,
    id: &str,
    location: &str,
    os_size: i64,
    data: &[(i64, i64)],
) -> bool {
    let Some(definition_path) = id.rfind("/versions/").map(|i| &id[..i]) else {
        r.problem(format!("not an image version id: {id}"));
        return false;
    };
    let managed = format!(
        "/subscriptions/{SUB}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/images/mySourceManagedImage"
    );
    put_and_wait(
        r,
        "source image definition",
        definition_path,
        definition("mySourceSkuName"),
    )
    .await
        && put_source(r, &managed, managed_image(location, os_size, data)).await
        && put_and_wait(
            r,
            "source image version",
            id,
            json!({"location": location, "properties": {"storageProfile": {"source": {"id": managed}}}}),
        )
        .await
}

/// Copies the writable properties of `from` named in `keys`.
fn writable(from: &Value, keys: &[&str]) -> Value {
    let mut out = json!({});
    for k in keys {
        if !from[*k].is_null() {
            out[*k] = from[*k].clone();
        }
    }
    out
}

/// The PUT body that makes the version an example shows; with `keep`, only
/// the target regions it accepts.
fn version_setup(shown: &Value, keep: &dyn Fn(&Value) -> bool) -> Value {
    let p = &shown["properties"];
    let pp = &p["publishingProfile"];
    let mut publishing = writable(
        pp,
        &[
            "replicaCount",
            "excludeFromLatest",
            "endOfLifeDate",
            "replicationMode",
            "storageAccountStrategy",
        ],
    );
    if pp["storageAccountStrategy"].is_null() && !pp["storageAccountType"].is_null() {
        publishing["storageAccountType"] = pp["storageAccountType"].clone();
    }
    if let Some(regions) = pp["targetRegions"].as_array() {
        publishing["targetRegions"] = regions
            .iter()
            .filter(|t| keep(t))
            .map(|t| {
                writable(
                    t,
                    &[
                        "name",
                        "regionalReplicaCount",
                        "storageAccountType",
                        "encryption",
                        "excludeFromLatest",
                        "additionalReplicaSets",
                    ],
                )
            })
            .collect();
    }
    let sp = &p["storageProfile"];
    let storage = if sp["source"].is_object() {
        json!({"source": sp["source"]})
    } else {
        let mut storage = json!({});
        if sp["osDiskImage"].is_object() {
            storage["osDiskImage"] = writable(&sp["osDiskImage"], &["hostCaching", "source"]);
        }
        if let Some(disks) = sp["dataDiskImages"].as_array() {
            storage["dataDiskImages"] = disks
                .iter()
                .map(|d| writable(d, &["lun", "hostCaching", "source"]))
                .collect();
        }
        storage
    };
    let mut properties = json!({"publishingProfile": publishing, "storageProfile": storage});
    let safety = writable(
        &p["safetyProfile"],
        &[
            "allowDeletionOfReplicatedLocations",
            "blockDeletionBeforeEndOfLife",
        ],
    );
    if safety.as_object().is_some_and(|s| !s.is_empty()) {
        properties["safetyProfile"] = safety;
    }
    if !p["securityProfile"].is_null() {
        properties["securityProfile"] = p["securityProfile"].clone();
    }
    let mut body = json!({
        "location": shown["location"].as_str().unwrap_or("West US"),
        "properties": properties
    });
    if shown["tags"].is_object() {
        body["tags"] = shown["tags"].clone();
    }
    body
}

/// Makes the version an example shows (and its sources) at `path`. `Err`
/// with the features when the emulator refuses them, as it must.
async fn make_version(
    r: &mut Replay<'_>,
    path: &str,
    setup: Value,
    shown: &Value,
) -> Result<bool, Vec<&'static str>> {
    let location = setup["location"].as_str().unwrap_or("West US").to_string();
    if !make_sources(r, &setup["properties"]["storageProfile"], shown, &location).await {
        return Ok(false);
    }
    let features = unsupported(&setup);
    if !features.is_empty() {
        let url = r.url(path);
        let put = r.send("PUT", &url, Some(setup)).await;
        r.expect_not_yet_supported("setup PUT", &put);
        expect_absent(r, path).await;
        return Err(features);
    }
    Ok(put_and_wait(r, "image version", path, setup).await)
}

/// The PUT body that makes the definition an example shows.
fn image_setup(shown: &Value) -> Value {
    let mut body = json!({"location": shown["location"].as_str().unwrap_or("West US")});
    if shown["tags"].is_object() {
        body["tags"] = shown["tags"].clone();
    }
    body["properties"] = writable(
        &shown["properties"],
        &[
            "description",
            "eula",
            "privacyStatementUri",
            "releaseNoteUri",
            "osType",
            "osState",
            "hyperVGeneration",
            "endOfLifeDate",
            "identifier",
            "recommended",
            "disallowed",
            "purchasePlan",
            "features",
            "architecture",
        ],
    );
    body
}

async fn expect_absent(r: &mut Replay<'_>, path: &str) {
    let url = r.url(path);
    let (status, _, body) = r.send("GET", &url, None).await;
    if status != StatusCode::NOT_FOUND || body["error"]["code"] != "ResourceNotFound" {
        r.problem(format!(
            "GET {path} after it was refused or deleted: expected 404 ResourceNotFound, got {status}: {body}"
        ));
    }
}

// ---- the flows --------------------------------------------------------------

/// PUT the example's body (201, the example's 201), the same again (200, the
/// example's 200), then GET: Succeeded.
async fn create_flow(r: &mut Replay<'_>, req: spec::Request) -> String {
    let body = req.body.clone().unwrap_or_else(|| json!({}));
    let url = r.emu.url(&req.path_and_query);
    let id = path_of(&req);
    let answer = r.send("PUT", &url, Some(body.clone())).await;
    let features = unsupported(&body);
    if !features.is_empty() {
        r.expect_not_yet_supported("PUT", &answer);
        expect_absent(r, &id).await;
        return format!(
            "501 NotYetSupported ({}), nothing created",
            features.join(", ")
        );
    }
    if answer.0 != StatusCode::CREATED {
        r.problem(format!(
            "PUT of a new resource: expected 201, got {}: {}",
            answer.0, answer.2
        ));
    }
    r.check_answer("PUT (create)", &answer, Some(&id));
    r.await_operation("PUT (create)", &answer.1).await;
    let again = r.send("PUT", &url, Some(body)).await;
    if again.0 != StatusCode::OK {
        r.problem(format!(
            "the same PUT again: expected 200, got {}: {}",
            again.0, again.2
        ));
    }
    r.check_answer("PUT (again)", &again, Some(&id));
    r.await_operation("PUT (again)", &again.1).await;
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

/// DELETE (202 and its monitors, or 204), the resource gone, DELETE again.
async fn delete_flow(r: &mut Replay<'_>, req: spec::Request) -> String {
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
    expect_absent(r, &path_of(&req)).await;
    let again = r.send("DELETE", &url, None).await;
    r.check_answer("DELETE again", &again, None);
    format!("{} then {}", answer.0.as_u16(), again.0.as_u16())
}

/// GET the list (one item per page) and every nextLink: the first page has
/// the example page's shape, every item made is listed with the example
/// item's shape and values, plus the one extra item.
async fn list_flow(
    r: &mut Replay<'_>,
    req: spec::Request,
    page: &Value,
    made: Vec<(String, String, Value)>,
) -> String {
    let url = r.emu.url(&req.path_and_query);
    let first = r.send("GET", &url, None).await;
    r.check_status_only("GET list", &first);
    let skip = |p: &str| p == "value" || p.starts_with("value[");
    let mut diffs = Vec::new();
    crate::shape::compare(page, &first.2, "", &skip, &mut diffs);
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
            "the list has {} items, expected {}",
            ours.len(),
            made.len() + 1
        ));
    }
    for (name, id, expected) in &made {
        match ours.iter().find(|i| i["name"] == name.as_str()) {
            Some(found) => {
                let found = found.clone();
                r.check_resource("list item", 200, expected, &found, Some(id));
            }
            None => r.problem(format!("{name} is not in the list")),
        }
    }
    format!("200 over {pages} pages, shape and values match")
}

// ---- image definitions ------------------------------------------------------

async fn image_create(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    if !setup_gallery(r, &n).await {
        return String::new();
    }
    create_flow(r, req).await
}

async fn image_get(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let Some(shown) = r.ex.response_body(200).cloned() else {
        r.problem("the example has no 200 body");
        return String::new();
    };
    if !setup_gallery(r, &n).await
        || !put_and_wait(r, "image definition", &n.image, image_setup(&shown)).await
    {
        return String::new();
    }
    let answer = r.send("GET", &r.emu.url(&req.path_and_query), None).await;
    r.check_answer("GET", &answer, Some(&path_of(&req)));
    format!("{}, shape and values match", answer.0.as_u16())
}

async fn image_update(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let shown =
        r.ex.response_body(200)
            .cloned()
            .unwrap_or_else(|| json!({}));
    let body = req.body.clone().unwrap_or_else(|| json!({}));
    // The PATCH is what sets the description, and the features when it may.
    let mut setup = image_setup(&shown);
    if let Some(p) = setup["properties"].as_object_mut() {
        p.remove("description");
        if body["properties"]["allowUpdateImage"] == true {
            p.remove("features");
        }
    }
    if !setup_gallery(r, &n).await || !put_and_wait(r, "image definition", &n.image, setup).await {
        return String::new();
    }
    let url = r.emu.url(&req.path_and_query);
    let answer = r.send("PATCH", &url, Some(body)).await;
    r.check_answer("PATCH", &answer, Some(&path_of(&req)));
    r.await_operation("PATCH", &answer.1).await;
    let got = r.send("GET", &url, None).await;
    for key in ["description", "features"] {
        let (kept, wanted) = (&got.2["properties"][key], &shown["properties"][key]);
        if !wanted.is_null() && kept != wanted {
            r.problem(format!(
                "GET after the PATCH: {key} is {kept}, expected {wanted}"
            ));
        }
    }
    format!("{}, shape and values match", answer.0.as_u16())
}

async fn image_delete(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    if !setup_definition(r, &n).await {
        return String::new();
    }
    delete_flow(r, req).await
}

async fn image_list(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let Some(page) = r.ex.response_body(200).cloned() else {
        r.problem("the example has no 200 body");
        return String::new();
    };
    if !setup_gallery(r, &n).await {
        return String::new();
    }
    let mut made = Vec::new();
    for item in page["value"].as_array().into_iter().flatten() {
        let Some(name) = item["name"].as_str() else {
            r.problem(format!("example item without a name: {item}"));
            continue;
        };
        let path = format!("{}/images/{}", n.gallery, encode(name));
        if put_and_wait(r, "image definition", &path, image_setup(item)).await {
            made.push((name.to_string(), path, item.clone()));
        }
    }
    // One more, so that the list has a second page.
    let extra = format!("{}/images/emulatorExtraImage", n.gallery);
    put_and_wait(
        r,
        "extra image definition",
        &extra,
        definition("emulatorExtraSku"),
    )
    .await;
    list_flow(r, req, &page, made).await
}

// ---- image versions ---------------------------------------------------------

async fn version_create(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let body = req.body.clone().unwrap_or_else(|| json!({}));
    let shown =
        r.ex.response_body(201)
            .or(r.ex.response_body(200))
            .cloned()
            .unwrap_or_else(|| json!({}));
    let location = body["location"].as_str().unwrap_or("West US").to_string();
    if !setup_definition(r, &n).await
        || !make_sources(r, &body["properties"]["storageProfile"], &shown, &location).await
    {
        return String::new();
    }
    create_flow(r, req).await
}

async fn version_get(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let Some(shown) = r.ex.response_body(200).cloned() else {
        r.problem("the example has no 200 body");
        return String::new();
    };
    if !setup_definition(r, &n).await {
        return String::new();
    }
    let url = r.emu.url(&req.path_and_query);
    match make_version(r, &n.version, version_setup(&shown, &|_| true), &shown).await {
        Ok(false) => String::new(),
        Err(features) => {
            let answer = r.send("GET", &url, None).await;
            if answer.0 != StatusCode::NOT_FOUND {
                r.problem(format!(
                    "GET of the refused version: expected 404, got {}",
                    answer.0
                ));
            }
            format!(
                "setup PUT 501 NotYetSupported ({}), GET 404",
                features.join(", ")
            )
        }
        Ok(true) => {
            let answer = r.send("GET", &url, None).await;
            r.check_answer("GET", &answer, Some(&path_of(&req)));
            format!("{}, shape and values match", answer.0.as_u16())
        }
    }
}

async fn version_update(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let shown =
        r.ex.response_body(200)
            .cloned()
            .unwrap_or_else(|| json!({}));
    let body = req.body.clone().unwrap_or_else(|| json!({}));
    let home = canonical(shown["location"].as_str().unwrap_or("West US"));
    let patched: Vec<String> = body["properties"]["publishingProfile"]["targetRegions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(canonical))
        .collect();
    // The version before the PATCH: the regions the PATCH adds are not there yet.
    let keep = |t: &Value| {
        let name = canonical(t["name"].as_str().unwrap_or(""));
        name == home || !patched.contains(&name)
    };
    let setup = version_setup(&shown, &keep);
    if !setup_definition(r, &n).await {
        return String::new();
    }
    match make_version(r, &n.version, setup, &shown).await {
        Ok(true) => {}
        Ok(false) => return String::new(),
        Err(features) => return format!("setup PUT 501 NotYetSupported ({})", features.join(", ")),
    }
    let url = r.emu.url(&req.path_and_query);
    let features = unsupported(&body);
    let answer = r.send("PATCH", &url, Some(body)).await;
    if !features.is_empty() {
        r.expect_not_yet_supported("PATCH", &answer);
        let got = r.send("GET", &url, None).await;
        if got.0 != StatusCode::OK || got.2["properties"]["provisioningState"] != "Succeeded" {
            r.problem(format!("GET after the refused PATCH: {} {}", got.0, got.2));
        }
        return format!(
            "501 NotYetSupported ({}), the version unchanged",
            features.join(", ")
        );
    }
    r.check_answer("PATCH", &answer, Some(&path_of(&req)));
    r.await_operation("PATCH", &answer.1).await;
    let got = r.send("GET", &url, None).await;
    let regions: Vec<String> = got.2["properties"]["publishingProfile"]["targetRegions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(canonical))
        .collect();
    if !patched.is_empty() && regions != patched {
        r.problem(format!(
            "GET after the PATCH: target regions {regions:?}, the PATCH sent {patched:?}"
        ));
    }
    format!("{}, shape and values match", answer.0.as_u16())
}

async fn version_delete(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let managed = format!(
        "/subscriptions/{SUB}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/images/myManagedImage"
    );
    let shown = json!({"location": "West US", "properties": {"storageProfile": {"source": {"id": managed}}}});
    if !setup_definition(r, &n).await
        || !matches!(
            make_version(r, &n.version, version_setup(&shown, &|_| true), &shown).await,
            Ok(true)
        )
    {
        return String::new();
    }
    delete_flow(r, req).await
}

async fn version_list(r: &mut Replay<'_>, req: spec::Request) -> String {
    let n = names(r.ex);
    let Some(page) = r.ex.response_body(200).cloned() else {
        r.problem("the example has no 200 body");
        return String::new();
    };
    if !setup_definition(r, &n).await {
        return String::new();
    }
    let mut made = Vec::new();
    let mut items: Vec<Value> = page["value"].as_array().cloned().unwrap_or_default();
    // One more, so that the list has a second page.
    let extra = "99.0.0";
    let mut extra_item = items.first().cloned().unwrap_or_else(|| json!({}));
    extra_item["name"] = json!(extra);
    items.push(extra_item);
    let count = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let Some(name) = item["name"].as_str().map(str::to_string) else {
            r.problem(format!("example item without a name: {item}"));
            continue;
        };
        let path = format!("{}/versions/{}", n.image, encode(&name));
        let made_it = matches!(
            make_version(r, &path, version_setup(&item, &|_| true), &item).await,
            Ok(true)
        );
        // The sources of the example's item are reused by the extra one.
        if made_it && i + 1 < count {
            made.push((name, path, item));
        }
    }
    list_flow(r, req, &page, made).await
}
