//! Configuration: one clap struct, every flag also an environment variable,
//! defaults that need no setup.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::domain::operation::Timing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Print the shell lines that point the Azure SDKs and az at this emulator (run it with the same flags as the server).
    Env,
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "gallery-emulator",
    version,
    about = "Emulates the Azure Compute Gallery ARM API (galleries, image definitions, image versions, applications) for offline tests."
)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to serve on; port 0 picks a free port and prints it.
    #[arg(
        long,
        env = "GALLERY_EMULATOR_LISTEN",
        default_value = "127.0.0.1:8443"
    )]
    pub listen: SocketAddr,

    /// Folder of the embedded SQLite store (created if missing).
    #[arg(
        long,
        env = "GALLERY_EMULATOR_DATA_DIR",
        default_value = ".gallery-emulator"
    )]
    pub data_dir: PathBuf,

    /// Keep state in memory only; it is gone when the process exits.
    #[arg(
        long,
        env = "GALLERY_EMULATOR_IN_MEMORY",
        conflicts_with = "database_url"
    )]
    pub in_memory: bool,

    /// Use Postgres (postgres://user@host/db) instead of SQLite, to share state between instances.
    #[arg(long, env = "GALLERY_EMULATOR_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Postgres schema to keep the emulator's tables in (created if missing).
    #[arg(
        long,
        env = "GALLERY_EMULATOR_DATABASE_SCHEMA",
        requires = "database_url"
    )]
    pub database_schema: Option<String>,

    /// Subscription that exists from the first start.
    #[arg(
        long,
        env = "GALLERY_EMULATOR_SUBSCRIPTION",
        default_value = "00000000-0000-0000-0000-000000000001"
    )]
    pub subscription: uuid::Uuid,

    /// Tenant that subscriptions belong to.
    #[arg(
        long,
        env = "GALLERY_EMULATOR_TENANT",
        default_value = "00000000-0000-0000-0000-0000000000aa"
    )]
    pub tenant: uuid::Uuid,

    /// Refuse resources in resource groups that were not created first (404 ResourceGroupNotFound), as Azure does.
    #[arg(long, env = "GALLERY_EMULATOR_REQUIRE_RESOURCE_GROUPS")]
    pub require_resource_groups: bool,

    /// Accept any api-version instead of only the ones Azure serves.
    #[arg(long, env = "GALLERY_EMULATOR_NO_API_VERSION_CHECK")]
    pub no_api_version_check: bool,

    /// Items per page of a list; more items are reached through nextLink.
    #[arg(long, env = "GALLERY_EMULATOR_PAGE_SIZE", default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub page_size: i64,

    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(long, env = "GALLERY_EMULATOR_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Galleries allowed per subscription and region.
    #[arg(long, env = "GALLERY_EMULATOR_GALLERY_QUOTA", default_value_t = crate::domain::quota::DEFAULT_GALLERIES_PER_REGION)]
    pub gallery_quota: i64,

    /// Image definitions allowed per subscription and region.
    #[arg(long, env = "GALLERY_EMULATOR_IMAGE_QUOTA", default_value_t = crate::domain::quota::DEFAULT_IMAGES_PER_REGION)]
    pub image_quota: i64,

    /// Image versions allowed per subscription and region.
    #[arg(long, env = "GALLERY_EMULATOR_IMAGE_VERSION_QUOTA", default_value_t = crate::domain::quota::DEFAULT_IMAGE_VERSIONS_PER_REGION)]
    pub image_version_quota: i64,

    /// Replicas allowed per target region of a version.
    #[arg(long, env = "GALLERY_EMULATOR_MAX_REPLICAS_PER_REGION", default_value_t = 10, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub max_replicas_per_region: i32,

    /// Refuse image version sources the emulator does not hold (404 NotFound), instead of assuming them.
    #[arg(long, env = "GALLERY_EMULATOR_STRICT_SOURCES")]
    pub strict_sources: bool,

    /// Size in GB assumed for a source the emulator does not hold, or a disk created without one.
    #[arg(long, env = "GALLERY_EMULATOR_DEFAULT_SOURCE_SIZE_GB", default_value_t = 30, value_parser = clap::value_parser!(i32).range(1..=32_768))]
    pub default_source_size_gb: i32,

    /// How long-running operations progress: instant (done before the first poll), realistic (modelled durations, multiplied by --time-scale) or manual (only when POST /_emulator/clock/advance moves the clock). PUT /_emulator/timing switches it at run time.
    #[arg(long, env = "GALLERY_EMULATOR_TIMING", default_value = "instant")]
    pub timing: Timing,

    /// Multiplies the modelled durations of realistic and manual timing (0.01: a 10-minute replication takes 6 seconds).
    #[arg(long, env = "GALLERY_EMULATOR_TIME_SCALE", default_value_t = 1.0, value_parser = parse_time_scale)]
    pub time_scale: f64,

    /// Extra host names (or IPs) the server certificate is valid for, e.g. a container's name.
    #[arg(
        long = "hostname",
        env = "GALLERY_EMULATOR_HOSTNAMES",
        value_delimiter = ','
    )]
    pub hostnames: Vec<String>,

    /// Serve this certificate chain (PEM) instead of the emulator's own.
    #[arg(long, env = "GALLERY_EMULATOR_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "GALLERY_EMULATOR_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Authentication: lenient (any or no bearer token) or strict (a valid token from the emulator's own token endpoint).
    #[arg(long, env = "GALLERY_EMULATOR_AUTH", default_value = "lenient")]
    pub auth: crate::auth::AuthMode,

    /// Base URL for the absolute links the emulator returns (default: from each request's Host).
    #[arg(long, env = "GALLERY_EMULATOR_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Log format.
    #[arg(
        long,
        env = "GALLERY_EMULATOR_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Log filter, e.g. info or gallery_emulator=debug (debug logs every request).
    #[arg(long, env = "GALLERY_EMULATOR_LOG", default_value = "info")]
    pub log: String,
}

/// A time scale: a number above 0 and at most 1000.
pub fn time_scale(v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 && v <= 1_000.0 {
        Ok(v)
    } else {
        Err("expected a number above 0 and at most 1000, e.g. 0.01".to_string())
    }
}

fn parse_time_scale(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|e| e.to_string())
        .and_then(time_scale)
}

impl Config {
    /// The shell exports and az lines a client needs, for a server started
    /// with this configuration whose CA is at `ca_path`.
    pub fn env_script(&self, ca_path: &std::path::Path) -> String {
        let host = if self.listen.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            self.listen.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("https://{host}:{}", self.listen.port()));
        let url = url.trim_end_matches('/');
        let ca = ca_path.display();
        let tenant = self.tenant;
        let subscription = self.subscription;
        format!(
            "# gallery-emulator at {url}\n\
             export REQUESTS_CA_BUNDLE=\"{ca}\"        # Python SDK and az trust the emulator's CA\n\
             export NODE_EXTRA_CA_CERTS=\"{ca}\"       # node reads it at start\n\
             export SSL_CERT_FILE=\"{ca}\"\n\
             export AZURE_CORE_INSTANCE_DISCOVERY=false  # az: no instance discovery\n\
             export AZURE_AUTHORITY_HOST=\"{url}\"      # azure-identity signs in here\n\
             export AZURE_TENANT_ID={tenant}\n\
             export AZURE_CLIENT_ID=11111111-1111-1111-1111-111111111111\n\
             export AZURE_CLIENT_SECRET=any-secret\n\
             export AZURE_SUBSCRIPTION_ID={subscription}\n\
             export ARM_ENDPOINT=\"{url}\"\n\
             # az: register the emulator as a cloud and sign in\n\
             # az cloud register -n GalleryEmulator --endpoint-resource-manager {url}/ && az cloud set -n GalleryEmulator\n\
             # az login --service-principal -u 11111111-1111-1111-1111-111111111111 -p any-secret --tenant {tenant}\n"
        )
    }
}
