//! The admin plane under `/_emulator/`: liveness, readiness, facts about this
//! instance, reset, timing and the clock of manual timing, and the worker's
//! counters.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use std::sync::atomic::Ordering;

use crate::arm::api_version::{self, VersionSet};
use crate::arm::json::ArmJson;
use crate::arm::resource_id::ArmPath;
use crate::arm::{ArmError, format_time};
use crate::domain::operation::Timing;
use crate::worker::Applied;
use crate::{AppState, clock, config};

/// The CA that signs the emulator's HTTPS certificate, for clients to trust.
pub async fn ca_pem(State(state): State<AppState>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
        state.ca_pem.to_string(),
    )
        .into_response()
}

pub async fn health() -> Json<Value> {
    Json(json!({"status": "healthy"}))
}

/// Ready once the store answers and is migrated.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => {
            Json(json!({"status": "ready", "store": state.store.kind().as_str()})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            ArmError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "StoreUnavailable",
                "The store is not reachable.",
            )
            .into_response()
        }
    }
}

pub async fn info(State(state): State<AppState>) -> Json<Value> {
    let (timing, time_scale) = state.clock.timing();
    Json(json!({
        "name": "gallery-emulator",
        "version": env!("CARGO_PKG_VERSION"),
        "store": state.store.kind().as_str(),
        "timing": timing.as_str(),
        "timeScale": time_scale,
        "defaultSubscription": state.settings.subscription,
        "defaultTenant": state.settings.tenant,
        "requireResourceGroups": state.settings.require_resource_groups,
        "pageSize": state.arm.page_size,
        "quotas": {
            "galleriesPerRegion": state.settings.gallery_quota,
            "imageDefinitionsPerRegion": state.settings.image_quota,
            "imageVersionsPerRegion": state.settings.image_version_quota,
            "replicasPerRegion": state.settings.max_replicas_per_region,
        },
        "apiVersions": {
            "Microsoft.Compute/galleries": api_version::Gallery::VERSIONS,
            "Microsoft.Resources": api_version::Resources::VERSIONS,
            "Microsoft.Compute/disks,snapshots,images": api_version::ComputeResources::VERSIONS,
        },
    }))
}

/// Drops all state and every fault rule; the default subscription is
/// registered again.
pub async fn reset(State(state): State<AppState>) -> Result<StatusCode, ArmError> {
    state.faults.clear();
    state.store.reset().await?;
    state.rendered.clear();
    state.known_subscriptions.write().await.clear();
    super::seed(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn clock_get(State(state): State<AppState>) -> Json<Value> {
    Json(clock_body(&state, None))
}

fn clock_body(state: &AppState, applied: Option<Applied>) -> Value {
    let mut body = json!({
        "mode": if state.clock.is_manual() { "manual" } else { "system" },
        "timing": state.clock.timing().0.as_str(),
        "now": format_time(state.clock.now()),
        "nowMicros": state.clock.now(),
    });
    if let Some(applied) = applied {
        body["completedOperations"] = applied.operations.into();
        body["completedRegions"] = applied.region_steps.into();
    }
    body
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Advance {
    seconds: Option<f64>,
    to_next_event: Option<bool>,
}

/// Moves the manual clock (by `seconds`, or to the next due operation) and
/// completes what became due before answering.
pub async fn clock_advance(
    State(state): State<AppState>,
    ArmJson(advance): ArmJson<Advance>,
) -> Result<Json<Value>, ArmError> {
    if !state.clock.is_manual() {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "ClockNotManual",
            "The clock only moves in manual timing; start the emulator with --timing manual.",
        ));
    }
    match (advance.seconds, advance.to_next_event) {
        (Some(s), None | Some(false)) if s.is_finite() && s >= 0.0 => {
            state.clock.advance((s * 1_000_000.0) as i64);
        }
        (None, Some(true)) => {
            if let Some(due) = state.store.next_due().await? {
                state.clock.advance_to(due);
            }
        }
        _ => {
            return Err(ArmError::invalid_parameter(
                "seconds",
                "Give either a non-negative number of 'seconds' or 'toNextEvent': true.",
            ));
        }
    }
    // Kept so that a restart carries on from here, not from the system's now.
    state
        .store
        .set_meta(clock::VIRTUAL_NOW, &state.clock.now().to_string())
        .await?;
    let applied = state.worker.step().await?;
    Ok(Json(clock_body(&state, Some(applied))))
}

pub async fn timing_get(State(state): State<AppState>) -> Json<Value> {
    Json(timing_body(&state))
}

fn timing_body(state: &AppState) -> Value {
    let (timing, scale) = state.clock.timing();
    json!({"mode": timing.as_str(), "timeScale": scale})
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimingBody {
    mode: Timing,
    time_scale: Option<f64>,
}

/// Switches timing at run time. Operations already accepted keep the
/// schedule they were given; a manual clock starts at now.
pub async fn timing_set(
    State(state): State<AppState>,
    ArmJson(body): ArmJson<TimingBody>,
) -> Result<Json<Value>, ArmError> {
    let scale = match body.time_scale {
        None => state.clock.timing().1,
        Some(s) => {
            config::time_scale(s).map_err(|e| ArmError::invalid_parameter("timeScale", e))?
        }
    };
    state.clock.set_timing(body.mode, scale);
    state.worker.wake();
    Ok(Json(timing_body(&state)))
}

/// What this instance's worker applied since it started, and how many
/// replication steps the store recorded across every instance sharing it.
pub async fn worker(State(state): State<AppState>) -> Result<Json<Value>, ArmError> {
    let counters = &state.worker.counters;
    Ok(Json(json!({
        "instance": state.worker.owner(),
        "regionSteps": counters.region_steps.load(Ordering::Relaxed),
        "operationsFinished": counters.operations_finished.load(Ordering::Relaxed),
        "recordedSteps": state.store.count_steps().await?,
    })))
}

/// The latest version of an image definition, optionally for one region:
/// `GET /_emulator/latest/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{g}/images/{i}?region=`.
pub async fn latest(
    State(state): State<AppState>,
    ArmPath(image_id): ArmPath<String>,
    uri: axum::http::Uri,
) -> Result<Response, ArmError> {
    let segments: Vec<&str> = image_id.trim_matches('/').split('/').collect();
    let keyword = |i: usize, word: &str| {
        segments
            .get(i)
            .is_some_and(|s| s.eq_ignore_ascii_case(word))
    };
    let shaped = segments.len() == 10
        && keyword(0, "subscriptions")
        && keyword(2, "resourceGroups")
        && keyword(4, "providers")
        && keyword(5, "Microsoft.Compute")
        && keyword(6, "galleries");
    let parts = || {
        (
            segments[1].to_string(),
            segments[3].to_string(),
            segments[7].to_string(),
            segments[9].to_string(),
        )
    };
    let query = crate::arm::query::Query::parse(uri.query());
    let region = query.get("region");
    use super::image_version::latest_response;
    match (shaped, segments.get(8)) {
        (true, Some(kind)) if kind.eq_ignore_ascii_case("images") => {
            let image = super::image::target(parts())?;
            latest_response::<super::image_version::Versions>(&state, &image, region).await
        }
        (true, Some(kind)) if kind.eq_ignore_ascii_case("applications") => {
            let application = super::application::target(parts())?;
            latest_response::<super::application::ApplicationVersions>(&state, &application, region)
                .await
        }
        _ => Err(ArmError::invalid_parameter(
            "imageId",
            "Give an image definition or application id: /_emulator/latest/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{g}/images/{i} (or /applications/{a}).",
        )),
    }
}
