//! The one error type of the ARM boundary and its catalogue of codes.
//! Every failure a client can see is built here and rendered once as
//! `{"error":{"code","message","target","details"}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::DomainError;
use crate::store::StoreError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// An ARM error response: status, body and the optional `Retry-After` throttling uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<ErrorDetail>,
    pub retry_after: Option<u32>,
}

impl std::fmt::Display for ArmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ArmError {}

impl ArmError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            target: None,
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn missing_api_version() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    pub fn invalid_api_version(given: &str, supported: &[&str]) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{given}' is invalid. The supported versions are '{}'.",
                supported.join(",")
            ),
        )
    }

    pub fn no_registered_provider(given: &str, type_name: &str, supported: &[&str]) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'global' and API version '{given}' for type '{type_name}'. The supported api-versions are '{}'.",
                supported.join(", ")
            ),
        )
    }

    pub fn invalid_request_content(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request content exceeds the maximum allowed size of {limit} bytes."),
        )
    }

    pub fn invalid_parameter(target: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameter", message).with_target(target)
    }

    pub fn route_not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!("The resource path '{path}' is not served by gallery-emulator."),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource '{path}' does not support http method '{method}'."),
        )
    }

    pub fn resource_not_found(type_path: &str, resource_group: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{type_path}' under resource group '{resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    pub fn resource_group_not_found(resource_group: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{resource_group}' could not be found."),
        )
    }

    pub fn subscription_not_found(subscription: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    }

    pub fn operation_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The operation '{id}' was not found."),
        )
    }

    pub fn invalid_skip_token() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidSkipToken",
            "The continuation token in '$skiptoken' is not valid for this request or has expired. Start the list again without it.",
        )
        .with_target("$skiptoken")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            message,
        )
    }

    pub fn not_yet_supported(feature: &str, target: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotYetSupported",
            format!(
                "{feature} is not yet supported by gallery-emulator. See openapi/coverage.md for what is."
            ),
        )
        .with_target(target)
    }

    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({"code": self.code, "message": self.message});
        if let Some(target) = &self.target {
            error["target"] = target.clone().into();
        }
        if !self.details.is_empty() {
            error["details"] = serde_json::to_value(&self.details).unwrap_or_default();
        }
        serde_json::json!({ "error": error })
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(
            "x-ms-failure-cause",
            HeaderValue::from_static(if self.status.is_server_error() {
                "service"
            } else {
                "gateway"
            }),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<DomainError> for ArmError {
    fn from(e: DomainError) -> Self {
        use DomainError as D;
        match e {
            D::InvalidParameter { target, message } => {
                ArmError::invalid_parameter(&target, message)
            }
            D::InvalidTag { code, message } => {
                ArmError::new(StatusCode::BAD_REQUEST, code, message).with_target("tags")
            }
            D::LocationNotAvailable { location, type_name } => ArmError::new(
                StatusCode::BAD_REQUEST,
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{location}' is not available for resource type '{type_name}'. List of available regions for the resource type is '{}'.",
                    crate::domain::region::names().collect::<Vec<_>>().join(",")
                ),
            )
            .with_target("location"),
            D::LocationRequired => ArmError::new(
                StatusCode::BAD_REQUEST,
                "LocationRequired",
                "The location property is required for this definition.",
            )
            .with_target("location"),
            D::LocationChange { name, resource_group, existing, requested } => ArmError::new(
                StatusCode::CONFLICT,
                "InvalidResourceLocation",
                format!(
                    "The resource '{name}' already exists in location '{existing}' in resource group '{resource_group}'. A resource with the same name cannot be created in location '{requested}'. Please select a new resource name."
                ),
            )
            .with_target("location"),
            D::PropertyChangeNotAllowed { path } => ArmError::new(
                StatusCode::CONFLICT,
                "PropertyChangeNotAllowed",
                format!("Changing property '{path}' is not allowed."),
            )
            .with_target(path),
            D::GalleryNameNotUnique { name, subscription } => ArmError::new(
                StatusCode::CONFLICT,
                "GalleryNameNotUnique",
                format!(
                    "The gallery name {name} is not unique within the subscription {subscription}. Please pick another gallery name"
                ),
            )
            .with_target("galleryName"),
            D::QuotaExceeded { resource, limit, location } => ArmError::new(
                StatusCode::CONFLICT,
                "QuotaExceeded",
                format!(
                    "Operation could not be completed as it results in exceeding approved {resource} quota. Location: {location}, Current Limit: {limit}."
                ),
            ),
            D::CannotDeleteResource => ArmError::new(
                StatusCode::CONFLICT,
                "CannotDeleteResource",
                "Can not delete resource before nested resources are deleted.",
            ),
            D::NotYetSupported { feature, target } => ArmError::not_yet_supported(&feature, &target),
            D::SourceNotFound { id } => ArmError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!(
                    "Source {id} is not found. Please check source exists, and is in the same region as gallery image version being created."
                ),
            )
            .with_target("storageProfile"),
        }
    }
}

impl From<StoreError> for ArmError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        let mut err = ArmError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The emulator's store could not complete the request. Retry shortly.",
        );
        err.retry_after = Some(1);
        err
    }
}
