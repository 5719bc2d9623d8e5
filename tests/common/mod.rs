//! Test harness: spawns the real `gallery-emulator` binary on port 0 against
//! a fresh store (a SQLite folder, or a private schema of the Postgres named
//! by `TEST_DATABASE_URL`) and talks to it over HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use reqwest::StatusCode;
pub use serde_json::{Value, json};

pub const SUB: &str = "00000000-0000-0000-0000-000000000001";
pub const API: &str = "2026-03-03";

/// The environment variable naming the Postgres the store tests also run on.
pub const POSTGRES_ENV: &str = "TEST_DATABASE_URL";

/// Where an emulator keeps its state; the same store can be served again
/// after a restart.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Store {
    pub fn sqlite() -> Store {
        let dir =
            std::env::temp_dir().join(format!("gallery-emulator-test-{}", uuid::Uuid::new_v4()));
        Store::Sqlite(dir)
    }

    /// A fresh Postgres schema, or `None` (with the reason printed) when
    /// `TEST_DATABASE_URL` is unset.
    pub fn postgres() -> Option<Store> {
        match std::env::var(POSTGRES_ENV) {
            Ok(url) if !url.is_empty() => Some(Store::Postgres {
                url,
                schema: format!("t_{}", uuid::Uuid::new_v4().simple()),
            }),
            _ => {
                eprintln!("skipping the Postgres variant: {POSTGRES_ENV} is not set");
                None
            }
        }
    }

    /// SQLite always; Postgres too when configured.
    pub fn all() -> Vec<Store> {
        let mut stores = vec![Store::sqlite()];
        stores.extend(Store::postgres());
        stores
    }

    pub fn name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres { .. } => "postgres",
        }
    }

    fn args(&self) -> Vec<String> {
        match self {
            Store::Sqlite(dir) => vec!["--data-dir".into(), dir.display().to_string()],
            Store::Postgres { url, schema } => vec![
                "--database-url".into(),
                url.clone(),
                "--database-schema".into(),
                schema.clone(),
            ],
        }
    }
}

pub struct Emulator {
    child: Child,
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
}

impl Emulator {
    /// Starts the binary on `store` with extra flags, and waits until it listens.
    pub fn start_on(store: &Store, extra: &[&str]) -> Emulator {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gallery-emulator"));
        cmd.args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .args(store.args())
            .args(extra)
            .env_remove("GALLERY_EMULATOR_TIMING")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn gallery-emulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Emulator {
            child,
            base: addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            store: store.clone(),
        }
    }

    /// Starts on a fresh SQLite folder.
    pub fn start(extra: &[&str]) -> Emulator {
        Emulator::start_on(&Store::sqlite(), extra)
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base, path_and_query)
    }

    /// `path` with `?api-version=` (or `&api-version=`) appended.
    pub fn api(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.url(&format!("{path}{sep}api-version={API}"))
    }

    pub async fn send(&self, method: &str, url: &str, body: Option<Value>) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request")
    }

    /// Sends and returns status, headers and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let resp = self.send(method, url, body).await;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, json)
    }

    /// Stops the process abruptly (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn gallery_path(rg: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{name}")
}

// ---- helpers added for the API tests ----------------------------------------

/// The api-version the resource group routes are called with (azure-mgmt-resource's).
pub const RG_API: &str = "2025-04-01";
/// The api-version `az login` lists subscriptions with.
pub const SUB_API: &str = "2022-12-01";
/// The tenant subscriptions belong to by default.
pub const TENANT: &str = "00000000-0000-0000-0000-0000000000aa";

pub type Reply = (StatusCode, reqwest::header::HeaderMap, Value);

async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, json)
}

impl Emulator {
    /// `path` with an explicit `api-version`.
    pub fn api_at(&self, path: &str, version: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.url(&format!("{path}{sep}api-version={version}"))
    }

    /// Like `call`, with extra request headers.
    pub async fn call_with_headers(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.expect("request")).await
    }

    /// Sends `body` verbatim as `application/json` (for malformed bodies).
    pub async fn call_raw(&self, method: &str, url: &str, body: impl Into<Vec<u8>>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let req = self
            .client
            .request(method, url)
            .header("content-type", "application/json")
            .body(body.into());
        reply(req.send().await.expect("request")).await
    }

    /// PUTs a gallery with `body` at the default api-version.
    pub async fn put_gallery(&self, rg: &str, name: &str, body: Value) -> Reply {
        self.call("PUT", &self.api(&gallery_path(rg, name)), Some(body))
            .await
    }

    /// PUTs a gallery in `location` and asserts it was created.
    pub async fn create_gallery(&self, rg: &str, name: &str, location: &str) -> Value {
        let (status, _, body) = self
            .put_gallery(rg, name, json!({"location": location}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create {rg}/{name}: {body}");
        body
    }

    /// GETs a gallery at the default api-version.
    pub async fn get_gallery(&self, rg: &str, name: &str) -> Reply {
        self.call("GET", &self.api(&gallery_path(rg, name)), None)
            .await
    }

    /// Follows `nextLink` from `first` until it is absent; returns every page.
    pub async fn pages(&self, first: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut url = first.to_string();
        loop {
            let (status, _, page) = self.call("GET", &url, None).await;
            assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
            assert!(pages.len() < 100, "nextLink never ends");
            let next = page["nextLink"].as_str().map(str::to_owned);
            pages.push(page);
            match next {
                Some(next) => url = next,
                None => return pages,
            }
        }
    }

    /// Every item of a list, following `nextLink`.
    pub async fn list_all(&self, first: &str) -> Vec<Value> {
        self.pages(first)
            .await
            .iter()
            .flat_map(|p| p["value"].as_array().cloned().expect("value array"))
            .collect()
    }
}

/// `/subscriptions/{SUB}/resourceGroups/{rg}`
pub fn rg_path(rg: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}")
}

/// `/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries`
pub fn galleries_in(rg: &str) -> String {
    format!("{}/providers/Microsoft.Compute/galleries", rg_path(rg))
}

/// `/subscriptions/{SUB}/providers/Microsoft.Compute/galleries`
pub fn galleries_of_subscription() -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Compute/galleries")
}

/// A response header as text ("" when absent).
pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().expect("header text"))
        .unwrap_or("")
}

/// Asserts an ARM error response: `status`, a JSON `{"error":{code,message}}`
/// body with `code`, and a JSON content type. Returns the `error` object.
pub fn assert_arm_error(reply: &Reply, status: StatusCode, code: &str) -> Value {
    let (got, headers, body) = reply;
    assert_eq!(*got, status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message of {body}"
    );
    assert!(
        header(headers, "content-type").starts_with("application/json"),
        "content type of {body}"
    );
    body["error"].clone()
}

/// Item ids of a list page or list.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

/// A response read off a raw HTTP/1.1 connection.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// Header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Emulator {
    /// `host:port` the emulator listens on.
    pub fn authority(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Writes `request` (a whole HTTP/1.1 request; it should say
    /// `Connection: close`) on a fresh connection and reads the response, for
    /// what reqwest will not send (chunked bodies, odd request lines).
    pub fn raw_http(&self, request: &[u8]) -> RawReply {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(self.authority()).expect("connect");
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        conn.write_all(request).expect("write request");
        let mut raw = Vec::new();
        // The server may close early (a refused body); keep what was read.
        let _ = conn.read_to_end(&mut raw);
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut rest = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        if chunked {
            let mut body = Vec::new();
            while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
                let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                    .unwrap_or(0);
                if size == 0 || rest.len() < eol + 2 + size {
                    break;
                }
                body.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
                rest.drain(..(eol + 2 + size + 2).min(rest.len()));
            }
            rest = body;
        }
        RawReply {
            status,
            headers,
            body: rest,
        }
    }
}

impl Emulator {
    /// Sends every request at once and returns the replies in request order.
    pub async fn concurrently(&self, requests: Vec<(&str, String, Option<Value>)>) -> Vec<Reply> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (method, url, body)) in requests.into_iter().enumerate() {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut req = self.client.request(method, url);
            if let Some(body) = body {
                req = req.json(&body);
            }
            tasks.spawn(async move { (i, reply(req.send().await.expect("request")).await) });
        }
        let mut replies: Vec<(usize, Reply)> = tasks.join_all().await;
        replies.sort_by_key(|(i, _)| *i);
        replies.into_iter().map(|(_, r)| r).collect()
    }
}

// ---- helpers for image definitions, versions, sources and latest ------------

/// The api-version the minimal disks, snapshots and managed images are called with.
pub const COMPUTE_API: &str = "2024-03-02";

/// `.../galleries/{gallery}/images/{image}`
pub fn image_path(rg: &str, gallery: &str, image: &str) -> String {
    format!("{}/images/{image}", gallery_path(rg, gallery))
}

/// `.../galleries/{gallery}/images`
pub fn images_in(rg: &str, gallery: &str) -> String {
    format!("{}/images", gallery_path(rg, gallery))
}

/// `.../galleries/{gallery}/images/{image}/versions/{version}`
pub fn version_path(rg: &str, gallery: &str, image: &str, version: &str) -> String {
    format!("{}/versions/{version}", image_path(rg, gallery, image))
}

/// `.../galleries/{gallery}/images/{image}/versions`
pub fn versions_in(rg: &str, gallery: &str, image: &str) -> String {
    format!("{}/versions", image_path(rg, gallery, image))
}

/// `/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/{kind}/{name}`,
/// `kind` one of `disks`, `snapshots`, `images` (managed images).
pub fn compute_path(rg: &str, kind: &str, name: &str) -> String {
    format!("{}/providers/Microsoft.Compute/{kind}/{name}", rg_path(rg))
}

/// A definition body with only what is required: Linux, generalized, the triple.
pub fn image_body(location: &str, publisher: &str, offer: &str, sku: &str) -> Value {
    json!({
        "location": location,
        "properties": {
            "osType": "Linux",
            "osState": "Generalized",
            "identifier": {"publisher": publisher, "offer": offer, "sku": sku}
        }
    })
}

/// A version body made from `source_id` (`storageProfile.source.id`).
pub fn version_body(location: &str, source_id: &str) -> Value {
    json!({
        "location": location,
        "properties": {"storageProfile": {"source": {"id": source_id}}}
    })
}

/// A version body made from `source_id`, published to `regions`.
pub fn version_body_in(location: &str, source_id: &str, regions: &[&str]) -> Value {
    let target_regions: Vec<Value> = regions.iter().map(|r| json!({"name": r})).collect();
    json!({
        "location": location,
        "properties": {
            "publishingProfile": {"targetRegions": target_regions},
            "storageProfile": {"source": {"id": source_id}}
        }
    })
}

/// The id of a managed image the emulator does not hold (accepted on trust
/// unless `--strict-sources`).
pub fn unknown_image_id(name: &str) -> String {
    compute_path("elsewhere", "images", name)
}

/// `/_emulator/latest/...` for an image definition, optionally for a region.
pub fn latest_path(rg: &str, gallery: &str, image: &str, region: Option<&str>) -> String {
    let path = format!("/_emulator/latest{}", image_path(rg, gallery, image));
    match region {
        Some(region) => format!("{path}?region={}", region.replace(' ', "%20")),
        None => path,
    }
}

impl Emulator {
    /// PUTs a definition at the default api-version.
    pub async fn put_image(&self, rg: &str, gallery: &str, image: &str, body: Value) -> Reply {
        self.call(
            "PUT",
            &self.api(&image_path(rg, gallery, image)),
            Some(body),
        )
        .await
    }

    /// PUTs a definition and asserts it was created.
    pub async fn create_image(&self, rg: &str, gallery: &str, image: &str, body: Value) -> Value {
        let (status, _, got) = self.put_image(rg, gallery, image, body).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "create {gallery}/{image}: {got}"
        );
        got
    }

    /// GETs a definition at the default api-version.
    pub async fn get_image(&self, rg: &str, gallery: &str, image: &str) -> Reply {
        self.call("GET", &self.api(&image_path(rg, gallery, image)), None)
            .await
    }

    /// PUTs a version at the default api-version.
    pub async fn put_version(
        &self,
        rg: &str,
        gallery: &str,
        image: &str,
        version: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "PUT",
            &self.api(&version_path(rg, gallery, image, version)),
            Some(body),
        )
        .await
    }

    /// PUTs a version and asserts it was created.
    pub async fn create_version(
        &self,
        rg: &str,
        gallery: &str,
        image: &str,
        version: &str,
        body: Value,
    ) -> Value {
        let (status, _, got) = self.put_version(rg, gallery, image, version, body).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "create {gallery}/{image}/{version}: {got}"
        );
        got
    }

    /// GETs a version at the default api-version.
    pub async fn get_version(&self, rg: &str, gallery: &str, image: &str, version: &str) -> Reply {
        self.call(
            "GET",
            &self.api(&version_path(rg, gallery, image, version)),
            None,
        )
        .await
    }

    /// PATCHes a version at the default api-version.
    pub async fn patch_version(
        &self,
        rg: &str,
        gallery: &str,
        image: &str,
        version: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "PATCH",
            &self.api(&version_path(rg, gallery, image, version)),
            Some(body),
        )
        .await
    }

    /// PUTs a disk, snapshot or managed image (`kind` as in `compute_path`).
    pub async fn put_source(&self, rg: &str, kind: &str, name: &str, body: Value) -> Reply {
        self.call(
            "PUT",
            &self.api_at(&compute_path(rg, kind, name), COMPUTE_API),
            Some(body),
        )
        .await
    }

    /// PUTs a source and asserts it was created; returns its id.
    pub async fn create_source(&self, rg: &str, kind: &str, name: &str, body: Value) -> String {
        let (status, _, got) = self.put_source(rg, kind, name, body).await;
        assert_eq!(status, StatusCode::CREATED, "create {kind}/{name}: {got}");
        got["id"].as_str().expect("id").to_string()
    }

    /// POSTs `/_emulator/clock/advance` (manual timing) and returns its body.
    pub async fn advance_clock(&self, body: Value) -> Value {
        let (status, _, got) = self
            .call("POST", &self.url("/_emulator/clock/advance"), Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "advance: {got}");
        got
    }

    /// Under manual timing, moves the clock from event to event until no
    /// operation is left to complete.
    pub async fn settle(&self) {
        for _ in 0..50 {
            let moved = self.advance_clock(json!({"toNextEvent": true})).await;
            if moved["completedOperations"] == 0 && moved["completedRegions"] == 0 {
                return;
            }
        }
        panic!("operations never settled");
    }
}

// ---- helpers for gallery applications and application versions --------------

/// The api-version az's `sig gallery-application version` commands send.
pub const AZ_APP_API: &str = "2022-01-03";

/// `.../galleries/{gallery}/applications/{application}`
pub fn application_path(rg: &str, gallery: &str, application: &str) -> String {
    format!("{}/applications/{application}", gallery_path(rg, gallery))
}

/// `.../galleries/{gallery}/applications`
pub fn applications_in(rg: &str, gallery: &str) -> String {
    format!("{}/applications", gallery_path(rg, gallery))
}

/// `.../galleries/{gallery}/applications/{application}/versions/{version}`
pub fn app_version_path(rg: &str, gallery: &str, application: &str, version: &str) -> String {
    format!(
        "{}/versions/{version}",
        application_path(rg, gallery, application)
    )
}

/// `.../galleries/{gallery}/applications/{application}/versions`
pub fn app_versions_in(rg: &str, gallery: &str, application: &str) -> String {
    format!("{}/versions", application_path(rg, gallery, application))
}

/// `/_emulator/latest/...` for an application, optionally for a region.
pub fn app_latest_path(rg: &str, gallery: &str, application: &str, region: Option<&str>) -> String {
    let path = format!(
        "/_emulator/latest{}",
        application_path(rg, gallery, application)
    );
    match region {
        Some(region) => format!("{path}?region={}", region.replace(' ', "%20")),
        None => path,
    }
}

/// An application body with only what is required: the supported OS type.
pub fn application_body(location: &str, os: &str) -> Value {
    json!({"location": location, "properties": {"supportedOSType": os}})
}

/// A blob URL standing for an application package.
pub fn media_link(name: &str) -> String {
    format!("https://acct.blob.core.windows.net/packages/{name}")
}

/// An application version body: a package at `media` with install and remove actions.
pub fn app_version_body(location: &str, media: &str) -> Value {
    json!({
        "location": location,
        "properties": {
            "publishingProfile": {
                "source": {"mediaLink": media},
                "manageActions": {"install": "install.sh", "remove": "remove.sh"}
            }
        }
    })
}

/// An application version body published to `regions`.
pub fn app_version_body_in(location: &str, media: &str, regions: &[&str]) -> Value {
    let mut body = app_version_body(location, media);
    let target_regions: Vec<Value> = regions.iter().map(|r| json!({"name": r})).collect();
    body["properties"]["publishingProfile"]["targetRegions"] = Value::Array(target_regions);
    body
}

impl Emulator {
    /// PUTs an application at the default api-version.
    pub async fn put_application(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "PUT",
            &self.api(&application_path(rg, gallery, application)),
            Some(body),
        )
        .await
    }

    /// PUTs an application and asserts it was created.
    pub async fn create_application(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        body: Value,
    ) -> Value {
        let (status, _, got) = self.put_application(rg, gallery, application, body).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "create {gallery}/{application}: {got}"
        );
        got
    }

    /// GETs an application at the default api-version.
    pub async fn get_application(&self, rg: &str, gallery: &str, application: &str) -> Reply {
        self.call(
            "GET",
            &self.api(&application_path(rg, gallery, application)),
            None,
        )
        .await
    }

    /// PATCHes an application at the default api-version.
    pub async fn patch_application(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "PATCH",
            &self.api(&application_path(rg, gallery, application)),
            Some(body),
        )
        .await
    }

    /// PUTs an application version at the default api-version.
    pub async fn put_app_version(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        version: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "PUT",
            &self.api(&app_version_path(rg, gallery, application, version)),
            Some(body),
        )
        .await
    }

    /// PUTs an application version and asserts it was created.
    pub async fn create_app_version(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        version: &str,
        body: Value,
    ) -> Value {
        let (status, _, got) = self
            .put_app_version(rg, gallery, application, version, body)
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "create {gallery}/{application}/{version}: {got}"
        );
        got
    }

    /// GETs an application version at the default api-version.
    pub async fn get_app_version(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        version: &str,
    ) -> Reply {
        self.call(
            "GET",
            &self.api(&app_version_path(rg, gallery, application, version)),
            None,
        )
        .await
    }

    /// PATCHes an application version at the default api-version.
    pub async fn patch_app_version(
        &self,
        rg: &str,
        gallery: &str,
        application: &str,
        version: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "PATCH",
            &self.api(&app_version_path(rg, gallery, application, version)),
            Some(body),
        )
        .await
    }
}
