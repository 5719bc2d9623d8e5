//! ARM resource paths: case-insensitive keywords brought to one spelling
//! before routing, lower-cased keys for storage, and the base URL that
//! absolute links start with.

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Uri, header};

use super::{ArmConfig, ArmError};

/// Keyword segments of ARM paths in their canonical spelling.
const KEYWORDS: &[&str] = &[
    "subscriptions",
    "resourceGroups",
    "providers",
    "Microsoft.Compute",
    "Microsoft.Resources",
    "galleries",
    "images",
    "versions",
    "applications",
    "share",
    "locations",
    "capsOperations",
    "disks",
    "snapshots",
];

fn canonical(segment: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(segment))
}

/// Rewrites the keyword segments of an ARM path (`/subscriptions/{s}/resourcegroups/…`)
/// to their canonical spelling, leaving names as they are. Non-ARM paths are untouched.
pub fn canonical_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    // segments[0] is the empty string before the leading slash.
    if segments.len() < 2 || !segments[1].eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    out.push("");
    // subscriptions/{id}, then alternating keyword/name pairs, except that
    // `providers` is followed by a namespace and then a type/name pair.
    let mut i = 1;
    while i < segments.len() {
        let seg = segments[i];
        out.push(canonical(seg).unwrap_or(seg));
        let follower = segments.get(i + 1).copied();
        if let Some(next) = follower {
            if seg.eq_ignore_ascii_case("providers") {
                out.push(canonical(next).unwrap_or(next));
            } else {
                out.push(next);
            }
        }
        i += 2;
    }
    let rewritten = out.join("/");
    (rewritten != path).then_some(rewritten)
}

/// Collapses repeated slashes (`//metadata/endpoints`, from a base URL that
/// ends in `/`), as ARM's front door does.
fn collapse_slashes(path: &str) -> Option<String> {
    if !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    Some(out)
}

/// Applies `canonical_path` to a request before it is routed.
pub fn normalize(mut req: Request) -> Request {
    let collapsed = collapse_slashes(req.uri().path());
    let path = collapsed.as_deref().unwrap_or(req.uri().path());
    if let Some(path) = canonical_path(path).or(collapsed.clone()) {
        let path_and_query = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// The key a resource is stored under: its id, lower-cased.
pub fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// Whether a request came in over TLS; set by the listener.
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

/// `scheme://host[:port]` of a request: the configured public URL, else the
/// scheme it came in on and its `Host`.
pub fn base_url(
    config: &ArmConfig,
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    uri: &Uri,
) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let scheme = extensions.get::<Scheme>().map(|s| s.0).unwrap_or("http");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}")
}

/// `scheme://host[:port]` of this request, for absolute URLs.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl<St> FromRequestParts<St> for BaseUrl
where
    St: Send + Sync,
    ArmConfig: FromRef<St>,
{
    type Rejection = ArmError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        Ok(BaseUrl(base_url(
            &ArmConfig::from_ref(state),
            &parts.headers,
            &parts.extensions,
            &parts.uri,
        )))
    }
}

/// Path parameters whose every failure (a segment that is not valid UTF-8,
/// say) is an ARM error.
pub struct ArmPath<T>(pub T);

impl<St, T> FromRequestParts<St> for ArmPath<T>
where
    St: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ArmError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ArmPath(value)),
            Err(rejection) => Err(ArmError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "InvalidRequestUri",
                format!(
                    "The request URI '{}' is not valid: {}",
                    parts.uri.path(),
                    rejection.body_text()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_get_one_spelling_and_names_keep_theirs() {
        assert_eq!(
            canonical_path("/SUBSCRIPTIONS/abc/resourcegroups/Images/PROVIDERS/microsoft.compute/Galleries/Versions/IMAGES/x").as_deref(),
            Some("/subscriptions/abc/resourceGroups/Images/providers/Microsoft.Compute/galleries/Versions/images/x")
        );
        assert_eq!(
            canonical_path("/subscriptions/abc/resourcegroups").as_deref(),
            Some("/subscriptions/abc/resourceGroups")
        );
        assert_eq!(canonical_path("/subscriptions/abc/resourceGroups/rg"), None);
        assert_eq!(canonical_path("/_emulator/health"), None);
        assert_eq!(
            collapse_slashes("//metadata//endpoints").as_deref(),
            Some("/metadata/endpoints")
        );
        assert_eq!(collapse_slashes("/subscriptions/x"), None);
    }
}
