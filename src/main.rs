//! Parse the configuration, start logging, open the store, serve.

use clap::Parser;
use gallery_emulator::config::{Config, LogFormat};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    if let Some(gallery_emulator::config::Command::Env) = config.command {
        return match gallery_emulator::keys(&config) {
            Ok(keys) => {
                let ca = keys.tls.ca_path.clone().unwrap_or_default();
                let ca = std::fs::canonicalize(&ca).unwrap_or(ca);
                print!("{}", config.env_script(&ca));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("gallery-emulator: cannot read the emulator's keys: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    let store = match gallery_emulator::open_store(&config).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("gallery-emulator: cannot open the store: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("gallery-emulator: cannot listen on {}: {e}", config.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    let keys = match gallery_emulator::keys(&config) {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("gallery-emulator: cannot set up TLS and token keys: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let ca = keys.tls.ca_path.as_ref().map_or_else(
        || format!("https://{addr}/_emulator/ca.pem"),
        |p| p.display().to_string(),
    );
    let (state, tls) = gallery_emulator::state(&config, store, keys);
    println!(
        "gallery-emulator listening on http://{addr} and https://{addr} (store: {}, timing: {}, auth: {}, CA: {ca})",
        state.store.kind().as_str(),
        config.timing.as_str(),
        config.auth.as_str()
    );
    match gallery_emulator::run(listener, state, Some(tls)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gallery-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
