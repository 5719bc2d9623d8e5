//! Galleries_*: create or replace, get, patch, delete, list by resource group
//! and by subscription. Sharing answers as not yet supported.

use std::collections::BTreeMap;

use axum::extract::{Extension, State};
use axum::http::Uri;
use axum::response::Response;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::fresh_id;
use super::resource_group;
use super::subscription::parse_id;
use super::tracked::{self, Decision, Parent, Target, Tracked};
use crate::AppState;
use crate::arm::ArmError;
use crate::arm::api_version::{self, ApiVersion};
use crate::arm::json::ArmJson;
use crate::arm::request_id::RequestId;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::domain::gallery::{
    self, Gallery, GalleryRequest, SharingPermission, SharingProfile, SharingRequest,
    SoftDeletePolicy,
};
use crate::domain::identity::{Identity, IdentityRequest, IdentityType};
use crate::domain::operation::OperationKind;
use crate::domain::tags::Tags;
use crate::domain::{DomainError, names, region};
use crate::store::{ListScope, QuotaClaim, Record, StoreError};

type Api = ApiVersion<api_version::Gallery>;
type GalleryPath = ArmPath<(String, String, String)>;

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

// ---- handlers ---------------------------------------------------------------

pub struct Galleries;

impl Tracked for Galleries {
    type Model = Gallery;
    const KIND: &'static str = KIND;
    const TYPE_NAME: &'static str = gallery::TYPE_NAME;

    fn render<'a>(
        r: &'a Record,
        model: &'a Gallery,
        state: &'a str,
        id: String,
    ) -> impl Serialize + 'a {
        render(r, model, state, id)
    }

    /// Azure lists galleries with the resource group upper-cased.
    fn list_id(r: &Record) -> String {
        tracked::upper_group_id(r)
    }

    fn refusal(e: StoreError, r: &Record, _model: &Gallery) -> ArmError {
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
            other => other.into(),
        }
    }
}

/// The gallery a request names, validated.
pub fn target(
    (subscription_id, resource_group, name): (String, String, String),
) -> Result<Target, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    names::validate_resource_group_name(&resource_group)?;
    names::validate_gallery_name(&name)?;
    let id = format!(
        "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/galleries/{name}"
    );
    Ok(Target {
        key: tracked::key(&id),
        id,
        subscription_id,
        resource_group,
        name,
        parent: Parent::ResourceGroup,
    })
}

/// Galleries_CreateOrUpdate
pub async fn galleries_create_or_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): GalleryPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<GalleryBody>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    let (location, request) = body.into_request();
    let location = region::resolve(location.as_deref(), gallery::TYPE_NAME)?.name;
    let tenant = state.settings.tenant.clone();
    let quota = state.settings.gallery_quota;
    tracked::accept::<Galleries>(&state, &t, &base, api.as_str(), &operation_id, |stored| {
        match stored {
            None => Ok(Decision {
                location: Some(location.to_string()),
                unique: Some((
                    format!("/subscriptions/{}", t.subscription_id),
                    t.name.to_ascii_lowercase(),
                )),
                quota: Some(QuotaClaim { limit: quota }),
                ..Decision::new(
                    OperationKind::Create,
                    gallery::replace(request.clone(), None, &tenant, &mut fresh_id)?,
                )
            }),
            Some((r, current)) => {
                t.same_location(r, location)?;
                let g = gallery::replace(request.clone(), Some(&current), &tenant, &mut fresh_id)?;
                Ok(Decision::new(OperationKind::Update, g))
            }
        }
    })
    .await
}

/// Galleries_Update
pub async fn galleries_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): GalleryPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<GalleryBody>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    resource_group::check_exists(&state, &t.subscription_id, &t.resource_group).await?;
    let (_location, request) = body.into_request();
    let tenant = state.settings.tenant.clone();
    tracked::accept::<Galleries>(&state, &t, &base, api.as_str(), &operation_id, |stored| {
        match stored {
            None => Err(t.not_found::<Galleries>()),
            Some((_, current)) => {
                let g = gallery::patch(request.clone(), &current, &tenant, &mut fresh_id)?;
                Ok(Decision::new(OperationKind::Update, g))
            }
        }
    })
    .await
}

/// Galleries_Delete
pub async fn galleries_delete(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): GalleryPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    resource_group::check_exists(&state, &t.subscription_id, &t.resource_group).await?;
    tracked::delete::<Galleries>(&state, &t, &base, api.as_str(), &operation_id).await
}

/// Galleries_Get
pub async fn galleries_get(
    State(state): State<AppState>,
    _api: Api,
    ArmPath(path): GalleryPath,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    resource_group::check_exists(&state, &t.subscription_id, &t.resource_group).await?;
    tracked::get::<Galleries>(&state, &t).await
}

/// Galleries_List
pub async fn galleries_list(
    State(state): State<AppState>,
    api: Api,
    ArmPath(subscription_id): ArmPath<String>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    let scope = ListScope::Subscription {
        subscription_id,
        kind: KIND.to_string(),
    };
    tracked::list::<Galleries>(&state, scope, &uri, &base, api.as_str()).await
}

/// Galleries_ListByResourceGroup
pub async fn galleries_list_by_resource_group(
    State(state): State<AppState>,
    api: Api,
    ArmPath((subscription_id, resource_group)): ArmPath<(String, String)>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    resource_group::check_exists(&state, &subscription_id, &resource_group).await?;
    let scope = ListScope::Children {
        parent_key: resource_group::key(&subscription_id, &resource_group),
        kind: KIND.to_string(),
    };
    tracked::list::<Galleries>(&state, scope, &uri, &base, api.as_str()).await
}

/// GallerySharingProfile_Update: not yet supported.
pub async fn gallery_sharing_profile_update(_api: Api) -> ArmError {
    ArmError::not_yet_supported("Gallery sharing (POST .../share)", "share")
}
