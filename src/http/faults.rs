//! Fault injection over HTTP: the `inject` layer that answers a request with
//! the error of the request rule it fires, and the admin routes under
//! `/_emulator/faults` that add, list and remove rules (`crate::faults`).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::arm::ArmError;
use crate::arm::json::ArmJson;
use crate::arm::resource_id::ArmPath;
use crate::faults::{RequestFacts, RuleInput, TEST_ID_HEADER};

/// The header naming the rule that answered a request.
pub const RULE_HEADER: &str = "x-emulator-fault-rule";

/// Runs inside the request-id and authentication layers: a request a rule
/// fires on gets that rule's ARM error (with `Retry-After` for 429 and 503)
/// and never reaches its handler.
pub async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.faults.is_armed() {
        return next.run(req).await;
    }
    // The facts borrow the request; they are gone before it moves on.
    let failure = {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        state.faults.request_failure(&RequestFacts {
            method: req.method().as_str(),
            path: req.uri().path(),
            client_request_id: header("x-ms-client-request-id"),
            test_id: header(TEST_ID_HEADER),
        })
    };
    let Some(failure) = failure else {
        return next.run(req).await;
    };
    tracing::info!(rule = %failure.rule_id, status = failure.status, code = %failure.code, "fault injected");
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut error = ArmError::new(status, &failure.code, failure.message);
    error.retry_after = failure.retry_after;
    let mut response = error.into_response();
    if let Ok(v) = HeaderValue::from_str(&failure.rule_id) {
        response.headers_mut().insert(RULE_HEADER, v);
    }
    response
}

/// `POST /_emulator/faults`: adds a rule; 201 with the rule.
pub async fn faults_add(
    State(state): State<AppState>,
    ArmJson(input): ArmJson<RuleInput>,
) -> Result<Response, ArmError> {
    let rule = state.faults.add(input)?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

/// `GET /_emulator/faults`: every rule with its firing count.
pub async fn faults_list(State(state): State<AppState>) -> Response {
    #[derive(serde::Serialize)]
    struct RuleList {
        value: Vec<crate::faults::Rule>,
    }
    Json(RuleList {
        value: state.faults.list(),
    })
    .into_response()
}

/// `DELETE /_emulator/faults`: removes every rule.
pub async fn faults_clear(State(state): State<AppState>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

/// `DELETE /_emulator/faults/{id}`: removes one rule; 404 when there is none.
pub async fn fault_delete(
    State(state): State<AppState>,
    ArmPath(id): ArmPath<String>,
) -> Result<StatusCode, ArmError> {
    if state.faults.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The fault rule '{id}' was not found."),
        )
        .with_target("id"))
    }
}
