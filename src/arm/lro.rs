//! Long-running operation responses: the status monitor URLs and the headers
//! that make SDK pollers find them without waiting.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::query::encode;

/// Seconds clients wait between polls: never 0 or absent, which makes the
/// Python SDK and az sleep 30 s.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// The `Azure-AsyncOperation` URL of an operation.
pub fn async_operation_url(
    base_url: &str,
    subscription: &str,
    location: &str,
    operation_id: &str,
    api_version: &str,
) -> String {
    format!(
        "{base_url}/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/capsOperations/{operation_id}?api-version={}",
        encode(api_version)
    )
}

/// The `Location` URL of an operation: the same resource with `monitor=true`.
pub fn monitor_url(
    base_url: &str,
    subscription: &str,
    location: &str,
    operation_id: &str,
    api_version: &str,
) -> String {
    format!(
        "{base_url}/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{location}/capsOperations/{operation_id}?monitor=true&api-version={}",
        encode(api_version)
    )
}

/// A response that started an operation: `status` with an optional JSON body,
/// `Azure-AsyncOperation`, `Retry-After`, the operation id as request id, and
/// `Location` when given (deletes and actions).
pub fn started(
    status: StatusCode,
    body: Option<String>,
    async_operation: &str,
    location: Option<&str>,
    operation_id: &str,
) -> Response {
    let mut response = match body {
        Some(json) => {
            let mut r = (status, json).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        None => status.into_response(),
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(async_operation) {
        headers.insert("azure-asyncoperation", v);
    }
    if let Some(Ok(v)) = location.map(HeaderValue::from_str) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    if let Ok(v) = HeaderValue::from_str(operation_id) {
        headers.insert("x-ms-request-id", v);
    }
    response
}
