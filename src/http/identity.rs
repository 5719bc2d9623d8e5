//! Sign-in like Entra ID, enough for MSAL (az, azure-identity): per-tenant
//! OpenID configuration, a client-credentials token endpoint issuing JWTs,
//! the JWKS they name and instance discovery; plus the cloud metadata
//! (`/metadata/endpoints`) and tenant list ARM clients read.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::arm::api_version::{ApiVersion, Resources};
use crate::arm::query::Query;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::auth::{self, Claims};

/// Tokens last an hour, as Entra's do.
const TOKEN_LIFETIME_SECONDS: i64 = 3599;

/// OAuth errors are `{"error","error_description"}`, as MSAL expects.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description, "error_codes": [], "timestamp": ""})))
        .into_response()
}

fn tenant_ok(tenant: &str) -> bool {
    !tenant.is_empty()
        && tenant.len() <= 64
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub async fn openid_configuration(
    BaseUrl(base): BaseUrl,
    ArmPath(tenant): ArmPath<String>,
) -> Response {
    if !tenant_ok(&tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            "The tenant is not valid.",
        );
    }
    Json(json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/{tenant}/openid/userinfo"),
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "gallery-emulator",
        "cloud_graph_host_name": "graph.gallery-emulator",
        "msgraph_host": "graph.gallery-emulator",
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`
pub async fn keys(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"keys": [state.signer.jwk()]}))
}

/// `GET /common/discovery/instance`: MSAL's instance discovery.
pub async fn instance_discovery(BaseUrl(base): BaseUrl, uri: Uri) -> Json<Value> {
    let host = base.split("://").nth(1).unwrap_or(&base).to_string();
    let query = Query::parse(uri.query());
    let tenant = query
        .get("authorization_endpoint")
        .and_then(|e| e.split("://").nth(1))
        .and_then(|rest| rest.split('/').nth(1))
        .unwrap_or("common")
        .to_string();
    Json(json!({
        "tenant_discovery_endpoint": format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }))
}

/// `POST /{tenant}/oauth2/v2.0/token`: client credentials (any secret), and
/// the password and refresh-token grants some tools use.
pub async fn token(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    ArmPath(tenant): ArmPath<String>,
    body: Bytes,
) -> Response {
    if !tenant_ok(&tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            "The tenant is not valid.",
        );
    }
    let form = Query::parse(std::str::from_utf8(&body).ok());
    let grant = form.get("grant_type").unwrap_or_default();
    if !matches!(grant, "client_credentials" | "password" | "refresh_token") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Supported grant types are client_credentials, password and refresh_token.",
        );
    }
    let Some(client_id) = form.get("client_id").filter(|c| !c.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request body must contain 'client_id'.",
        );
    };
    let principal = form
        .get("username")
        .filter(|u| !u.is_empty())
        .unwrap_or(client_id);
    let scope = form
        .get("scope")
        .unwrap_or("https://management.azure.com/.default");
    let resource = scope
        .split_whitespace()
        .find(|s| s.ends_with("/.default"))
        .map(|s| s.trim_end_matches(".default").to_string())
        .unwrap_or_else(|| "https://management.azure.com/".to_string());
    // `https://management.core.windows.net//.default` names the resource with its slash.
    let aud = if resource.ends_with("//") {
        resource[..resource.len() - 1].to_string()
    } else {
        resource
    };
    let tenant_id =
        if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations") {
            state.settings.tenant.clone()
        } else {
            tenant.clone()
        };
    // Tokens live on the system clock, not the emulator's: clients compare
    // `exp` with their own time, which a manual clock does not move.
    let now = crate::clock::system_micros() / 1_000_000;
    let oid = auth::object_id(principal);
    let claims = Claims {
        aud,
        iss: format!("{base}/{tenant_id}/v2.0"),
        iat: now,
        nbf: now,
        exp: now + TOKEN_LIFETIME_SECONDS,
        tid: tenant_id,
        oid: oid.clone(),
        sub: oid,
        appid: client_id.to_string(),
        ver: "1.0".into(),
    };
    match state.signer.sign(&claims) {
        Ok(access_token) => Json(json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": access_token,
        }))
        .into_response(),
        Err(e) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
    }
}

/// `GET /metadata/endpoints`: the emulator described as a cloud.
pub async fn metadata_endpoints(BaseUrl(base): BaseUrl) -> Json<Value> {
    Json(json!({
        "name": "GalleryEmulator",
        "portal": base,
        "authentication": {
            "loginEndpoint": base,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "resourceManager": format!("{base}/"),
        "media": format!("{base}/"),
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "gallery": format!("{base}/"),
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
            "attestationEndpoint": "attest.azure.net",
        },
    }))
}

/// Tenants_List
pub async fn tenants_list(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
) -> Json<Value> {
    let tenant = &state.settings.tenant;
    Json(json!({"value": [{
        "id": format!("/tenants/{tenant}"),
        "tenantId": tenant,
        "countryCode": "US",
        "displayName": "Emulator Tenant",
        "domains": ["gallery-emulator.local"],
        "tenantCategory": "Home",
        "defaultDomain": "gallery-emulator.local",
        "tenantType": "AAD",
    }]}))
}

/// In strict mode, ARM routes need a valid, unexpired bearer token from the
/// emulator's own token endpoint; otherwise 401 as ARM answers it.
pub async fn authenticate(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let arm = path.starts_with("/subscriptions") || path.starts_with("/tenants");
    if !arm || state.settings.auth == auth::AuthMode::Lenient {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(|h| h.to_str().unwrap_or(""));
    let refusal = match header {
        None => Some(("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.".to_string())),
        Some(value) => match value.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) {
            None => Some((
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.".to_string(),
            )),
            Some(token) => match state.signer.verify(token, crate::clock::system_micros() / 1_000_000) {
                Ok(_) => None,
                Err(auth::TokenError::Expired { exp, now }) => Some((
                    "ExpiredAuthenticationToken",
                    format!(
                        "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                        crate::arm::format_time(exp * 1_000_000),
                        crate::arm::format_time(now * 1_000_000)
                    ),
                )),
                Err(auth::TokenError::WrongAudience(aud)) => Some((
                    "InvalidAuthenticationTokenAudience",
                    format!(
                        "The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.azure.com/'."
                    ),
                )),
                Err(auth::TokenError::Malformed | auth::TokenError::BadSignature) => {
                    Some(("InvalidAuthenticationToken", "The access token is invalid.".to_string()))
                }
            },
        },
    };
    match refusal {
        None => next.run(req).await,
        Some((code, message)) => {
            let base = crate::arm::resource_id::base_url(
                &state.arm,
                req.headers(),
                req.extensions(),
                req.uri(),
            );
            let authority = format!("{base}/{}", state.settings.tenant);
            let mut response =
                crate::arm::ArmError::new(StatusCode::UNAUTHORIZED, code, message.clone())
                    .into_response();
            let challenge = format!(
                "Bearer authorization_uri=\"{authority}\", error=\"invalid_token\", error_description=\"{}\"",
                message.replace('"', "'")
            );
            if let Ok(v) = axum::http::HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(axum::http::header::WWW_AUTHENTICATE, v);
            }
            response
        }
    }
}
