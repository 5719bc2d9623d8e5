//! The HTTP surface: one module per resource type, handlers named after the
//! contract's operationIds. Wire types live only here.

pub mod admin;
pub mod application;
pub mod faults;
pub mod gallery;
pub mod identity;
pub mod image;
pub mod image_version;
pub mod operation;
pub mod rendered;
pub mod resource_group;
pub mod source;
pub mod subscription;
pub mod tracked;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};

use crate::AppState;
use crate::arm::{ArmError, request_id};
use crate::store::StoreError;

/// How often a handler re-reads and re-decides when a concurrent write got in first.
pub const WRITE_ATTEMPTS: usize = 8;

const COMPUTE: &str =
    "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute";
const GALLERY: &str = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/galleries/{gallery}";
const APPLICATION: &str = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/galleries/{gallery}/applications/{application}";
const IMAGE: &str = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/galleries/{gallery}/images/{image}";

pub fn router(state: AppState) -> Router {
    let max_body = state.arm.max_body_bytes;
    Router::new()
        .route("/subscriptions", get(subscription::subscriptions_list))
        .route("/subscriptions/{subscription_id}", get(subscription::subscriptions_get))
        .route(
            "/subscriptions/{subscription_id}/resourceGroups",
            get(resource_group::resource_groups_list),
        )
        .route(
            "/subscriptions/{subscription_id}/resourceGroups/{resource_group}",
            get(resource_group::resource_groups_get)
                .head(resource_group::resource_groups_check_existence)
                .put(resource_group::resource_groups_create_or_update)
                .patch(resource_group::resource_groups_update)
                .delete(resource_group::resource_groups_delete),
        )
        .route(
            "/subscriptions/{subscription_id}/providers/Microsoft.Compute/galleries",
            get(gallery::galleries_list),
        )
        .route(
            "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/galleries",
            get(gallery::galleries_list_by_resource_group),
        )
        .route(
            GALLERY,
            get(gallery::galleries_get)
                .put(gallery::galleries_create_or_update)
                .patch(gallery::galleries_update)
                .delete(gallery::galleries_delete),
        )
        .route(&format!("{GALLERY}/share"), post(gallery::gallery_sharing_profile_update))
        .route(&format!("{GALLERY}/images"), get(image::gallery_images_list_by_gallery))
        .route(
            &format!("{GALLERY}/applications"),
            get(application::gallery_applications_list_by_gallery),
        )
        .route(
            APPLICATION,
            get(application::gallery_applications_get)
                .put(application::gallery_applications_create_or_update)
                .patch(application::gallery_applications_update)
                .delete(application::gallery_applications_delete),
        )
        .route(
            &format!("{APPLICATION}/versions"),
            get(application::gallery_application_versions_list_by_gallery_application),
        )
        .route(
            &format!("{APPLICATION}/versions/{{version}}"),
            get(application::gallery_application_versions_get)
                .put(application::gallery_application_versions_create_or_update)
                .patch(application::gallery_application_versions_update)
                .delete(application::gallery_application_versions_delete),
        )
        .route(
            IMAGE,
            get(image::gallery_images_get)
                .put(image::gallery_images_create_or_update)
                .patch(image::gallery_images_update)
                .delete(image::gallery_images_delete),
        )
        .route(
            &format!("{IMAGE}/versions"),
            get(image_version::gallery_image_versions_list_by_gallery_image),
        )
        .route(
            &format!("{IMAGE}/versions/{{version}}"),
            get(image_version::gallery_image_versions_get)
                .put(image_version::gallery_image_versions_create_or_update)
                .patch(image_version::gallery_image_versions_update)
                .delete(image_version::gallery_image_versions_delete),
        )
        .route(&format!("{COMPUTE}/disks"), get(source::disks_list_by_resource_group))
        .route(
            &format!("{COMPUTE}/disks/{{name}}"),
            get(source::disks_get)
                .put(source::disk_create_or_update::<source::Disks>)
                .delete(source::disks_delete),
        )
        .route(&format!("{COMPUTE}/snapshots"), get(source::snapshots_list_by_resource_group))
        .route(
            &format!("{COMPUTE}/snapshots/{{name}}"),
            get(source::snapshots_get)
                .put(source::disk_create_or_update::<source::Snapshots>)
                .delete(source::snapshots_delete),
        )
        .route(&format!("{COMPUTE}/images"), get(source::images_list_by_resource_group))
        .route(
            &format!("{COMPUTE}/images/{{name}}"),
            get(source::images_get)
                .put(source::images_create_or_update)
                .delete(source::images_delete),
        )
        .route(
            "/subscriptions/{subscription_id}/providers/Microsoft.Compute/locations/{location}/capsOperations/{operation_id}",
            get(operation::operation_get),
        )
        .route("/tenants", get(identity::tenants_list))
        .route("/metadata/endpoints", get(identity::metadata_endpoints))
        .route("/common/discovery/instance", get(identity::instance_discovery))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(identity::openid_configuration),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(identity::token))
        .route("/{tenant}/discovery/v2.0/keys", get(identity::keys))
        .route("/_emulator/health", get(admin::health))
        .route("/_emulator/ca.pem", get(admin::ca_pem))
        .route("/_emulator/ready", get(admin::ready))
        .route("/_emulator/info", get(admin::info))
        .route("/_emulator/reset", post(admin::reset))
        .route("/_emulator/clock", get(admin::clock_get))
        .route("/_emulator/clock/advance", post(admin::clock_advance))
        .route("/_emulator/timing", get(admin::timing_get).put(admin::timing_set))
        .route("/_emulator/worker", get(admin::worker))
        .route("/_emulator/latest/{*image_id}", get(admin::latest))
        .route(
            "/_emulator/faults",
            get(faults::faults_list)
                .post(faults::faults_add)
                .delete(faults::faults_clear),
        )
        .route("/_emulator/faults/{id}", delete(faults::fault_delete))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), faults::inject))
        .layer(middleware::from_fn_with_state(state.clone(), identity::authenticate))
        .layer(middleware::from_fn(request_id::layer))
        .with_state(state)
}

async fn route_not_found(uri: Uri) -> Response {
    ArmError::route_not_found(uri.path()).into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    ArmError::method_not_allowed(method.as_str(), uri.path()).into_response()
}

/// Registers the default subscription on start.
pub async fn seed(state: &AppState) -> Result<(), StoreError> {
    subscription::register(state, &state.settings.subscription)
        .await
        .map(|_| ())
}

/// Fresh ids for principals and operations.
pub fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The paging side of a list request: where to continue, and how to link on.
pub struct Listing {
    pub page: crate::store::PageRequest,
    /// Read only when a token is read or made.
    secret: Option<Vec<u8>>,
    path: String,
    store: std::sync::Arc<dyn crate::store::Store>,
}

impl Listing {
    /// Reads `$skiptoken` from the request, refusing a token this list did not issue.
    pub async fn of(state: &AppState, uri: &Uri) -> Result<Self, ArmError> {
        let query = crate::arm::query::Query::parse(uri.query());
        let (after, secret) = match query.get("$skiptoken") {
            Some(token) => {
                let secret = state.store.paging_secret().await?;
                (
                    Some(crate::arm::paging::read_token(&secret, uri.path(), token)?),
                    Some(secret),
                )
            }
            None => (None, None),
        };
        Ok(Listing {
            page: crate::store::PageRequest {
                after,
                limit: state.arm.page_size,
            },
            secret,
            path: uri.path().to_string(),
            store: state.store.clone(),
        })
    }

    /// The `{"value","nextLink"}` response of a page.
    pub async fn respond<T: serde::Serialize>(
        &self,
        items: &[T],
        next: Option<String>,
        base_url: &str,
        api_version: &str,
    ) -> Result<Response, ArmError> {
        let next_link = self.next_link(next, base_url, api_version).await?;
        Ok(axum::Json(crate::arm::paging::Page {
            value: items,
            next_link,
        })
        .into_response())
    }

    /// The same response for items already rendered as JSON.
    pub async fn respond_rendered<'a>(
        &self,
        items: impl Iterator<Item = &'a std::sync::Arc<[u8]>> + Clone,
        next: Option<String>,
        base_url: &str,
        api_version: &str,
    ) -> Result<Response, ArmError> {
        let next_link = self.next_link(next, base_url, api_version).await?;
        let size = items.clone().map(|item| item.len() + 1).sum::<usize>()
            + next_link.as_ref().map_or(0, |link| link.len() + 16)
            + 16;
        let mut body = Vec::with_capacity(size);
        body.extend_from_slice(b"{\"value\":[");
        for (n, item) in items.enumerate() {
            if n > 0 {
                body.push(b',');
            }
            body.extend_from_slice(item);
        }
        body.push(b']');
        if let Some(link) = next_link {
            body.extend_from_slice(b",\"nextLink\":");
            serde_json::to_writer(&mut body, &link)
                .map_err(|e| ArmError::internal(format!("cannot write the next link: {e}")))?;
        }
        body.push(b'}');
        Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response())
    }

    /// The absolute link to the page after `next`, if there is one.
    async fn next_link(
        &self,
        next: Option<String>,
        base_url: &str,
        api_version: &str,
    ) -> Result<Option<String>, ArmError> {
        let Some(after) = next else {
            return Ok(None);
        };
        let secret = match &self.secret {
            Some(secret) => secret.clone(),
            None => self.store.paging_secret().await?,
        };
        let token = crate::arm::paging::make_token(&secret, &self.path, &after);
        Ok(Some(crate::arm::paging::next_link(
            base_url,
            &self.path,
            api_version,
            &token,
        )))
    }
}
