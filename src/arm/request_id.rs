//! Request ids and the headers ARM puts on every response, plus the trace
//! span each request runs in.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// This request's id; handlers use it as the id of an operation they start.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const REQUEST_ID: &str = "x-ms-request-id";
const CORRELATION_ID: &str = "x-ms-correlation-request-id";
const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

fn header(headers: &HeaderMap, name: &str) -> Option<HeaderValue> {
    headers.get(name).cloned()
}

pub async fn layer(mut req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation =
        header(req.headers(), CORRELATION_ID).or_else(|| HeaderValue::from_str(&request_id).ok());
    let client_request_id = header(req.headers(), CLIENT_REQUEST_ID);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", %method, %path, request_id = %request_id);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let headers = response.headers_mut();
    if let (false, Ok(v)) = (
        headers.contains_key(REQUEST_ID),
        HeaderValue::from_str(&request_id),
    ) {
        headers.insert(REQUEST_ID, v);
    }
    if let Some(v) = correlation {
        headers.insert(CORRELATION_ID, v);
    }
    if let Some(v) = client_request_id {
        headers.insert(CLIENT_REQUEST_ID, v);
    }
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    headers.insert("expires", HeaderValue::from_static("-1"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "served"
        );
    });
    response
}
