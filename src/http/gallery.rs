//! Galleries_*: create or replace, get, patch, delete, list by resource group
//! and by subscription. Sharing answers as not yet supported.

use std::collections::BTreeMap;

use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::resource_group;
use super::subscription::register;
use super::{Listing, WRITE_ATTEMPTS, fresh_id};
use crate::AppState;
use crate::arm::api_version::{self, ApiVersion};
use crate::arm::json::ArmJson;
use crate::arm::request_id::RequestId;
use crate::arm::resource_id::{self, BaseUrl};
use crate::arm::{ArmError, lro};
use crate::domain::gallery::{
    self, Gallery, GalleryRequest, SharingPermission, SharingProfile, SharingRequest,
    SoftDeletePolicy,
};
use crate::domain::identity::{Identity, IdentityRequest, IdentityType};
use crate::domain::operation::OperationKind;
use crate::domain::tags::Tags;
use crate::domain::{DomainError, names, region};
use crate::store::{ListScope, QuotaClaim, Record, StoreError};
use crate::worker::{self, Start};

type Api = ApiVersion<api_version::Gallery>;
type GalleryPath = Path<(String, String, String)>;

pub const KIND: &str = "galleries";

// ---- wire types -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GalleryBody {
    location: Option<String>,
    tags: Option<Tags>,
    identity: Option<IdentityBody>,
    properties: Option<GalleryPropertiesBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GalleryPropertiesBody {
    description: Option<String>,
    sharing_profile: Option<SharingProfileBody>,
    soft_delete_policy: Option<SoftDeletePolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SharingProfileBody {
    permissions: Option<SharingPermission>,
    community_gallery_info: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdentityBody {
    #[serde(rename = "type")]
    kind: IdentityType,
    user_assigned_identities: Option<BTreeMap<String, IgnoredAny>>,
}

impl GalleryBody {
    fn into_request(self) -> (Option<String>, GalleryRequest) {
        let properties = self.properties;
        let (description, sharing, soft_delete_policy) = match properties {
            Some(p) => (p.description, p.sharing_profile, p.soft_delete_policy),
            None => (None, None, None),
        };
        let request = GalleryRequest {
            description,
            sharing: sharing.map(|s| SharingRequest {
                permissions: s.permissions,
                community_gallery_info: s.community_gallery_info.is_some(),
            }),
            soft_delete_policy,
            identity: self.identity.map(|i| IdentityRequest {
                kind: i.kind,
                user_assigned: i
                    .user_assigned_identities
                    .unwrap_or_default()
                    .into_keys()
                    .collect(),
            }),
            tags: self.tags,
        };
        (self.location, request)
    }
}

#[derive(Serialize)]
struct GalleryOut<'a> {
    name: &'a str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Tags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'a Identity>,
    properties: PropertiesOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PropertiesOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    identifier: IdentifierOut,
    provisioning_state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sharing_profile: Option<&'a SharingProfile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    soft_delete_policy: Option<&'a SoftDeletePolicy>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentifierOut {
    unique_name: String,
}

fn render<'a>(r: &'a Record, g: &'a Gallery, state: &'a str, id: String) -> GalleryOut<'a> {
    GalleryOut {
        name: &r.name,
        id,
        kind: gallery::TYPE_NAME,
        location: &r.location,
        tags: g.tags.as_ref(),
        identity: g.identity.as_ref(),
        properties: PropertiesOut {
            description: g.description.as_deref(),
            identifier: IdentifierOut {
                unique_name: gallery::unique_name(&r.subscription_id, &r.name),
            },
            provisioning_state: state,
            sharing_profile: g.sharing_profile.as_ref(),
            soft_delete_policy: g.soft_delete_policy.as_ref(),
        },
    }
}

/// In lists Azure upper-cases the resource group segment of each id.
fn list_id(r: &Record) -> String {
    let marker = "/resourceGroups/";
    match r.id.find(marker) {
        Some(start) => {
            let from = start + marker.len();
            let end = r.id[from..].find('/').map_or(r.id.len(), |i| from + i);
            format!(
                "{}{}{}",
                &r.id[..from],
                r.id[from..end].to_uppercase(),
                &r.id[end..]
            )
        }
        None => r.id.clone(),
    }
}

// ---- storage ----------------------------------------------------------------

fn gallery_id(subscription_id: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/galleries/{name}"
    )
}

fn decode(r: &Record) -> Result<Gallery, ArmError> {
    serde_json::from_str(&r.body)
        .map_err(|e| ArmError::internal(format!("stored gallery {} unreadable: {e}", r.id)))
}

fn not_found(resource_group: &str, name: &str) -> ArmError {
    ArmError::resource_not_found(&format!("{}/{name}", gallery::TYPE_NAME), resource_group)
}

/// A store refusal in the words of the gallery API.
fn refusal(e: StoreError, r: &Record, resource_group: &str) -> ArmError {
    match e {
        StoreError::Unique(_) => DomainError::GalleryNameNotUnique {
            name: r.name.clone(),
            subscription: r.subscription_id.clone(),
        }
        .into(),
        StoreError::QuotaExceeded { limit } => DomainError::QuotaExceeded {
            resource: "galleries",
            limit,
            location: r.location.clone(),
        }
        .into(),
        StoreError::ParentMissing(_) => ArmError::resource_group_not_found(resource_group),
        StoreError::HasChildren(_) => DomainError::CannotDeleteResource.into(),
        other => other.into(),
    }
}

struct Target {
    subscription_id: String,
    resource_group: String,
    name: String,
    key: String,
}

async fn target(
    state: &AppState,
    (subscription_id, resource_group, name): (String, String, String),
) -> Result<Target, ArmError> {
    let subscription_id = register(state, &subscription_id).await?;
    names::validate_resource_group_name(&resource_group)?;
    names::validate_gallery_name(&name)?;
    let key = resource_id::key(&gallery_id(&subscription_id, &resource_group, &name));
    Ok(Target {
        subscription_id,
        resource_group,
        name,
        key,
    })
}

/// Writes a new state of the gallery and answers with the started operation.
async fn accept(
    state: &AppState,
    t: &Target,
    base: &str,
    api: &Api,
    operation_id: &str,
    decide: impl Fn(
        Option<(&Record, Gallery)>,
    ) -> Result<(OperationKind, Option<Gallery>, Option<String>), ArmError>,
) -> Result<Response, ArmError> {
    for _ in 0..WRITE_ATTEMPTS {
        let now = state.clock.now();
        let existing = state.store.get(&t.key).await?;
        let stored = match &existing {
            Some(r) => Some((r, decode(r)?)),
            None => None,
        };
        let (kind, gallery, location) = decide(stored)?;
        let gallery = gallery.unwrap_or_default();
        let record = match &existing {
            Some(r) => Record {
                body: to_body(&gallery),
                ..r.clone()
            },
            None => {
                let location = location.clone().unwrap_or_default();
                let id = gallery_id(&t.subscription_id, &t.resource_group, &t.name);
                Record {
                    key: t.key.clone(),
                    id,
                    kind: KIND.to_string(),
                    parent_key: resource_group::key(&t.subscription_id, &t.resource_group),
                    subscription_id: t.subscription_id.clone(),
                    resource_group: t.resource_group.to_ascii_lowercase(),
                    name: t.name.clone(),
                    location,
                    provisioning_state: String::new(),
                    unique: Some((
                        format!("/subscriptions/{}", t.subscription_id),
                        t.name.to_ascii_lowercase(),
                    )),
                    operation_id: None,
                    body: to_body(&gallery),
                    revision: 0,
                    created_at: now,
                    updated_at: now,
                }
            }
        };
        let start = Start {
            operation_id: operation_id.to_string(),
            kind,
            record: record.clone(),
            prior_revision: existing.as_ref().map(|r| r.revision),
            quota: existing.is_none().then_some(QuotaClaim {
                limit: state.settings.gallery_quota,
            }),
        };
        let mut write = worker::begin(state.settings.timing, now, start);
        if existing.is_none() {
            resource_group::guard(
                state,
                &mut write,
                &t.subscription_id,
                &t.resource_group,
                &record.location,
            );
        }
        match state.store.write(&write).await {
            Ok(()) => {
                if write.has_due_operation() {
                    state.worker.wake();
                }
                return Ok(started(&record, &gallery, kind, base, api, operation_id));
            }
            Err(StoreError::AlreadyExists(_) | StoreError::Stale(_)) => continue,
            Err(e) => return Err(refusal(e, &record, &t.resource_group)),
        }
    }
    Err(ArmError::internal(
        "the gallery kept changing under concurrent writes; retry",
    ))
}

fn to_body(g: &Gallery) -> String {
    serde_json::to_string(g).unwrap_or_else(|_| "{}".into())
}

fn started(
    r: &Record,
    g: &Gallery,
    kind: OperationKind,
    base: &str,
    api: &Api,
    operation_id: &str,
) -> Response {
    let async_url = lro::async_operation_url(
        base,
        &r.subscription_id,
        &r.location,
        operation_id,
        api.as_str(),
    );
    match kind {
        OperationKind::Delete => {
            let monitor = lro::monitor_url(
                base,
                &r.subscription_id,
                &r.location,
                operation_id,
                api.as_str(),
            );
            lro::started(
                StatusCode::ACCEPTED,
                None,
                &async_url,
                Some(&monitor),
                operation_id,
            )
        }
        OperationKind::Create | OperationKind::Update => {
            let status = if kind == OperationKind::Create {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let running = kind.running_state().as_str();
            let body =
                serde_json::to_string(&render(r, g, running, r.id.clone())).unwrap_or_default();
            lro::started(status, Some(body), &async_url, None, operation_id)
        }
    }
}

// ---- handlers ---------------------------------------------------------------

/// Galleries_CreateOrUpdate
pub async fn galleries_create_or_update(
    State(state): State<AppState>,
    api: Api,
    Path(path): GalleryPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<GalleryBody>,
) -> Result<Response, ArmError> {
    let t = target(&state, path).await?;
    let (location, request) = body.into_request();
    let location = region::resolve(location.as_deref(), gallery::TYPE_NAME)?.name;
    let tenant = state.settings.tenant.clone();
    accept(
        &state,
        &t,
        &base,
        &api,
        &operation_id,
        |stored| match stored {
            None => {
                let g = gallery::replace(request.clone(), None, &tenant, &mut fresh_id)?;
                Ok((OperationKind::Create, Some(g), Some(location.to_string())))
            }
            Some((r, current)) => {
                if r.location != location {
                    return Err(DomainError::LocationChange {
                        name: r.name.clone(),
                        resource_group: t.resource_group.clone(),
                        existing: r.location.clone(),
                        requested: location.to_string(),
                    }
                    .into());
                }
                let g = gallery::replace(request.clone(), Some(&current), &tenant, &mut fresh_id)?;
                Ok((OperationKind::Update, Some(g), None))
            }
        },
    )
    .await
}

/// Galleries_Update
pub async fn galleries_update(
    State(state): State<AppState>,
    api: Api,
    Path(path): GalleryPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<GalleryBody>,
) -> Result<Response, ArmError> {
    let t = target(&state, path).await?;
    resource_group::check_exists(&state, &t.subscription_id, &t.resource_group).await?;
    let (_location, request) = body.into_request();
    let tenant = state.settings.tenant.clone();
    accept(
        &state,
        &t,
        &base,
        &api,
        &operation_id,
        |stored| match stored {
            None => Err(not_found(&t.resource_group, &t.name)),
            Some((_, current)) => {
                let g = gallery::patch(request.clone(), &current, &tenant, &mut fresh_id)?;
                Ok((OperationKind::Update, Some(g), None))
            }
        },
    )
    .await
}

/// Galleries_Delete
pub async fn galleries_delete(
    State(state): State<AppState>,
    api: Api,
    Path(path): GalleryPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
) -> Result<Response, ArmError> {
    let t = target(&state, path).await?;
    resource_group::check_exists(&state, &t.subscription_id, &t.resource_group).await?;
    if state.store.get(&t.key).await?.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    accept(
        &state,
        &t,
        &base,
        &api,
        &operation_id,
        |stored| match stored {
            None => Err(not_found(&t.resource_group, &t.name)),
            Some((_, current)) => Ok((OperationKind::Delete, Some(current), None)),
        },
    )
    .await
}

/// Galleries_Get
pub async fn galleries_get(
    State(state): State<AppState>,
    _api: Api,
    Path(path): GalleryPath,
) -> Result<Response, ArmError> {
    let t = target(&state, path).await?;
    resource_group::check_exists(&state, &t.subscription_id, &t.resource_group).await?;
    let r = state
        .store
        .get(&t.key)
        .await?
        .ok_or_else(|| not_found(&t.resource_group, &t.name))?;
    let g = decode(&r)?;
    Ok(axum::Json(render(&r, &g, &r.provisioning_state, r.id.clone())).into_response())
}

async fn list(
    state: &AppState,
    scope: ListScope,
    uri: &Uri,
    base: &str,
    api: &Api,
) -> Result<Response, ArmError> {
    let listing = Listing::of(state, uri).await?;
    let page = state.store.list(&scope, &listing.page).await?;
    let galleries = page
        .items
        .iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    let items: Vec<GalleryOut<'_>> = page
        .items
        .iter()
        .zip(&galleries)
        .map(|(r, g)| render(r, g, &r.provisioning_state, list_id(r)))
        .collect();
    Ok(listing.respond(&items, page.next.clone(), base, api.as_str()))
}

/// Galleries_List
pub async fn galleries_list(
    State(state): State<AppState>,
    api: Api,
    Path(subscription_id): Path<String>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let subscription_id = register(&state, &subscription_id).await?;
    let scope = ListScope::Subscription {
        subscription_id,
        kind: KIND.to_string(),
    };
    list(&state, scope, &uri, &base, &api).await
}

/// Galleries_ListByResourceGroup
pub async fn galleries_list_by_resource_group(
    State(state): State<AppState>,
    api: Api,
    Path((subscription_id, resource_group)): Path<(String, String)>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let subscription_id = register(&state, &subscription_id).await?;
    resource_group::check_exists(&state, &subscription_id, &resource_group).await?;
    let scope = ListScope::Children {
        parent_key: resource_group::key(&subscription_id, &resource_group),
        kind: KIND.to_string(),
    };
    list(&state, scope, &uri, &base, &api).await
}

/// GallerySharingProfile_Update: not yet supported.
pub async fn gallery_sharing_profile_update(_api: Api) -> ArmError {
    ArmError::not_yet_supported("Gallery sharing (POST .../share)", "share")
}
