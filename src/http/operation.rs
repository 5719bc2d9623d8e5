//! The status monitor of long-running operations (`capsOperations`): the
//! `Azure-AsyncOperation` form answers 200 with the status body; the
//! `Location` form (`monitor=true`) answers 202 while running, 204 when done.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::subscription::parse_id;
use crate::AppState;
use crate::arm::api_version::{self, VersionSet};
use crate::arm::query::Query;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, format_time, lro};
use crate::domain::operation::OperationStatus;

/// The capsOperations GET, in both its forms.
pub async fn operation_get(
    State(state): State<AppState>,
    ArmPath((subscription_id, location, operation_id)): ArmPath<(String, String, String)>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let query = Query::parse(uri.query());
    let api_version = api_version::check_any(
        query.get("api-version"),
        state.arm.enforce_api_version,
        &[
            api_version::Gallery::VERSIONS,
            api_version::ComputeResources::VERSIONS,
        ],
    )?;
    let subscription_id = parse_id(&subscription_id)?;
    let op = state
        .store
        .get_operation(&operation_id.to_ascii_lowercase())
        .await?
        .filter(|op| op.subscription_id == subscription_id)
        .ok_or_else(|| ArmError::operation_not_found(&operation_id))?;
    let status = OperationStatus::parse(&op.status).unwrap_or(OperationStatus::InProgress);
    let running = status == OperationStatus::InProgress;
    let error: Option<serde_json::Value> = op
        .error
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());

    if query
        .get("monitor")
        .is_some_and(|m| m.eq_ignore_ascii_case("true"))
    {
        return Ok(match (status, &error) {
            (OperationStatus::InProgress, _) => {
                let monitor =
                    lro::monitor_url(&base, &subscription_id, &location, &op.id, &api_version);
                let mut r = StatusCode::ACCEPTED.into_response();
                if let Ok(v) = HeaderValue::from_str(&monitor) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(lro::RETRY_AFTER_SECONDS),
                );
                r
            }
            (OperationStatus::Failed | OperationStatus::Canceled, Some(e)) => {
                let code = e["code"].as_str().unwrap_or("OperationFailed");
                let message = e["message"].as_str().unwrap_or("The operation failed.");
                let http = e["status"]
                    .as_u64()
                    .and_then(|s| StatusCode::from_u16(s as u16).ok());
                ArmError::new(
                    http.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    code,
                    message,
                )
                .into_response()
            }
            _ => StatusCode::NO_CONTENT.into_response(),
        });
    }

    let mut body = json!({
        "name": op.id,
        "status": status.as_str(),
        "startTime": format_time(op.start_time),
    });
    if let Some(end) = op.end_time {
        body["endTime"] = format_time(end).into();
    }
    if let Some(e) = error {
        body["error"] = json!({"code": e["code"], "message": e["message"]});
    }
    let mut response = axum::Json(body).into_response();
    if running {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(lro::RETRY_AFTER_SECONDS),
        );
    }
    Ok(response)
}
