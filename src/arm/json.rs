//! `ArmJson<T>`: a JSON request body whose every failure (empty, too large,
//! malformed, wrong type, unknown enum value) is an ARM error naming the path.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use serde::de::DeserializeOwned;

use super::{ArmConfig, ArmError};

pub struct ArmJson<T>(pub T);

impl<St, T> FromRequest<St> for ArmJson<T>
where
    St: Send + Sync,
    ArmConfig: FromRef<St>,
    T: DeserializeOwned,
{
    type Rejection = ArmError;

    async fn from_request(req: Request, state: &St) -> Result<Self, Self::Rejection> {
        let limit = ArmConfig::from_ref(state).max_body_bytes;
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ArmError::body_too_large(limit)
            } else {
                ArmError::invalid_request_content(rejection.body_text())
            }
        })?;
        parse(&bytes).map(ArmJson)
    }
}

/// Deserializes `bytes`, describing a failure the way ARM does.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ArmError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return Err(ArmError::invalid_request_content(
                "The request content was empty.",
            ));
        }
        // Serde would read a struct from an array of its fields; ARM bodies are objects.
        Some(b'{') => {}
        Some(_) => {
            return Err(ArmError::invalid_request_content(
                "The request content must be a JSON object.",
            ));
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        // serde_json appends its own position; keep the reason and say the path ARM-style.
        let reason = text.split(" at line ").next().unwrap_or(&text).to_string();
        let detail = format!(
            "{reason}. Path '{}', line {}, position {}.",
            if path == "." { "" } else { &path },
            inner.line(),
            inner.column()
        );
        let err = ArmError::invalid_request_content(detail);
        if path == "." {
            err
        } else {
            err.with_target(path)
        }
    })?;
    de.end().map_err(|e| {
        let text = e.to_string();
        let reason = text.split(" at line ").next().unwrap_or(&text).to_string();
        ArmError::invalid_request_content(format!(
            "{reason}. Path '', line {}, position {}.",
            e.line(),
            e.column()
        ))
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        location: Option<String>,
        properties: Option<Props>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Props {
        description: Option<String>,
    }

    #[test]
    fn wrong_types_name_their_path() {
        let err = parse::<Body>(br#"{"properties":{"description":5}}"#).expect_err("type error");
        assert_eq!(err.code, "InvalidRequestContent");
        assert_eq!(err.target.as_deref(), Some("properties.description"));
        assert!(
            err.message.contains("Path 'properties.description'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn malformed_and_empty_bodies_are_invalid_content() {
        assert_eq!(
            parse::<Body>(b"{").expect_err("bad").code,
            "InvalidRequestContent"
        );
        assert_eq!(
            parse::<Body>(b"").expect_err("empty").code,
            "InvalidRequestContent"
        );
        assert_eq!(
            parse::<Body>(b"[]").expect_err("array").code,
            "InvalidRequestContent"
        );
        let trailing = parse::<Body>(br#"{"location":"westus"} trailing"#);
        assert_eq!(
            trailing.expect_err("trailing").code,
            "InvalidRequestContent"
        );
    }
}
