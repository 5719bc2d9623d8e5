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
