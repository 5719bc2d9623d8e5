//! gallery-emulator: the Azure Compute Gallery control plane (ARM API) in one
//! process. `app()` builds the service for tests; `run()` serves it.

pub mod arm;
pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod faults;
pub mod http;
pub mod serve;
pub mod store;
pub mod tls;
pub mod worker;

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::FromRef;
use tokio::net::TcpListener;
use tokio::sync::RwLock;

use crate::arm::ArmConfig;
use crate::clock::Clock;
use crate::config::Config;
use crate::store::{Store, StoreError};

/// Settings the handlers and the worker read.
#[derive(Debug, Clone)]
pub struct Settings {
    pub subscription: String,
    pub tenant: String,
    pub require_resource_groups: bool,
    pub gallery_quota: i64,
    pub image_quota: i64,
    pub image_version_quota: i64,
    pub max_replicas_per_region: i32,
    pub strict_sources: bool,
    pub default_source_size_gb: i32,
    pub auth: auth::AuthMode,
}

/// What every handler shares: the store, the clock, the settings and the
/// worker's wake-up.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<Clock>,
    pub arm: ArmConfig,
    pub settings: Arc<Settings>,
    pub worker: Arc<worker::Worker>,
    /// The CA clients trust for the emulator's HTTPS.
    pub ca_pem: Arc<str>,
    /// Signs (and in strict mode verifies) access tokens.
    pub signer: Arc<auth::Signer>,
    /// Subscriptions known to be registered, to skip the store on the hot path.
    pub known_subscriptions: Arc<RwLock<HashSet<String>>>,
    /// Fault-injection rules (`/_emulator/faults`).
    pub faults: Arc<faults::Faults>,
    /// Resources' listed forms, kept from one list to the next.
    pub rendered: Arc<http::rendered::Rendered>,
}

impl FromRef<AppState> for ArmConfig {
    fn from_ref(state: &AppState) -> Self {
        state.arm.clone()
    }
}

/// Opens the store the configuration names and migrates it.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match (&config.database_url, config.in_memory) {
        (Some(url), _) => Arc::new(
            store::postgres::PgStore::connect(url, config.database_schema.as_deref()).await?,
        ),
        (None, true) => Arc::new(store::sqlite::SqliteStore::open_in_memory().await?),
        (None, false) => Arc::new(store::sqlite::SqliteStore::open_file(&config.data_dir).await?),
    })
}

/// What the emulator keeps beside its data: its certificates (the user's,
/// or its own CA) and its token signing key.
pub struct Keys {
    pub tls: tls::Tls,
    pub signer: auth::Signer,
}

/// Loads or makes the keys under `<data dir>/tls`.
pub fn keys(config: &Config) -> Result<Keys, String> {
    let dir = config.data_dir.join("tls");
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => tls::supplied(cert, key),
        _ => tls::own(Some(&dir), &config.hostnames),
    }
    .map_err(|e| e.to_string())?;
    let signer = auth::Signer::load_or_create(Some(&dir))?;
    Ok(Keys { tls, signer })
}

/// Builds the state for `config` over an opened store.
pub fn state(
    config: &Config,
    store: Arc<dyn Store>,
    keys: Keys,
) -> (AppState, Arc<rustls::ServerConfig>) {
    let clock = Arc::new(Clock::new(config.timing, config.time_scale));
    let settings = Arc::new(Settings {
        subscription: config.subscription.to_string(),
        tenant: config.tenant.to_string(),
        require_resource_groups: config.require_resource_groups,
        gallery_quota: config.gallery_quota,
        image_quota: config.image_quota,
        image_version_quota: config.image_version_quota,
        max_replicas_per_region: config.max_replicas_per_region,
        strict_sources: config.strict_sources,
        default_source_size_gb: config.default_source_size_gb,
        auth: config.auth,
    });
    let state = AppState {
        worker: Arc::new(worker::Worker::new(store.clone(), clock.clone())),
        store,
        ca_pem: Arc::from(keys.tls.ca_pem.as_str()),
        signer: Arc::new(keys.signer),
        clock,
        arm: ArmConfig {
            enforce_api_version: !config.no_api_version_check,
            page_size: config.page_size,
            max_body_bytes: config.max_body_bytes,
            public_url: config
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
        },
        settings,
        known_subscriptions: Default::default(),
        faults: Arc::new(faults::Faults::new()),
        rendered: Default::default(),
    };
    (state, keys.tls.config)
}

/// The whole service: ARM routes, admin plane and protocol layers.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves `state` on `listener` (HTTPS with `tls`, and plain HTTP) until the
/// process is stopped, with the worker running.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<(), StoreError> {
    http::seed(&state).await?;
    // A manual clock carries on from the virtual now it reached before a restart.
    if let Some(kept) = state.store.get_meta(clock::VIRTUAL_NOW).await? {
        state.clock.advance_to(kept.parse().unwrap_or_default());
    }
    let worker = state.worker.clone();
    tokio::spawn(async move { worker.run().await });
    serve::serve(listener, http::router(state), tls).await;
    Ok(())
}
