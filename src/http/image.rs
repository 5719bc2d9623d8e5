//! GalleryImages_*: image definitions in a gallery.

use axum::extract::{Extension, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::gallery;
use super::tracked::{self, Decision, Parent, Target, Tracked};
use crate::AppState;
use crate::arm::api_version::{self, ApiVersion};
use crate::arm::json::ArmJson;
use crate::arm::request_id::RequestId;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, de_lenient_i32, de_time, format_time};
use crate::domain::image::{
    self, Architecture, Defaults, Disallowed, Feature, HyperVGeneration, Identifier,
    IdentifierRequest, Image, ImageRequest, OsState, OsType, PurchasePlan, Recommended,
    ResourceRange,
};
use crate::domain::operation::OperationKind;
use crate::domain::tags::Tags;
use crate::domain::{DomainError, names, region};
use crate::store::{ListScope, QuotaClaim, Record, StoreError};

type Api = ApiVersion<api_version::Gallery>;
type ImagePath = ArmPath<(String, String, String, String)>;

pub const KIND: &str = "images";

// ---- wire types -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageBody {
    location: Option<String>,
    tags: Option<Tags>,
    properties: Option<ImagePropertiesBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ImagePropertiesBody {
    description: Option<String>,
    eula: Option<String>,
    privacy_statement_uri: Option<String>,
    release_note_uri: Option<String>,
    os_type: Option<OsType>,
    os_state: Option<OsState>,
    hyper_v_generation: Option<HyperVGeneration>,
    #[serde(default, deserialize_with = "de_time")]
    end_of_life_date: Option<i64>,
    identifier: Option<IdentifierBody>,
    recommended: Option<RecommendedBody>,
    disallowed: Option<DisallowedBody>,
    purchase_plan: Option<PurchasePlan>,
    features: Option<Vec<Feature>>,
    architecture: Option<Architecture>,
    allow_update_image: Option<bool>,
}

#[derive(Deserialize)]
struct IdentifierBody {
    publisher: Option<String>,
    offer: Option<String>,
    sku: Option<String>,
}

#[derive(Deserialize)]
struct RecommendedBody {
    #[serde(rename = "vCPUs")]
    v_cpus: Option<RangeBody>,
    memory: Option<RangeBody>,
}

/// Templates send these int32 values as strings ("1", "64").
#[derive(Deserialize)]
struct RangeBody {
    #[serde(default, deserialize_with = "de_lenient_i32")]
    min: Option<i32>,
    #[serde(default, deserialize_with = "de_lenient_i32")]
    max: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisallowedBody {
    disk_types: Option<Vec<String>>,
}

impl RangeBody {
    fn into_range(self) -> ResourceRange {
        ResourceRange {
            min: self.min,
            max: self.max,
        }
    }
}

impl ImageBody {
    fn into_request(self) -> (Option<String>, ImageRequest) {
        let p = self.properties.unwrap_or_default();
        let request = ImageRequest {
            description: p.description,
            eula: p.eula,
            privacy_statement_uri: p.privacy_statement_uri,
            release_note_uri: p.release_note_uri,
            os_type: p.os_type,
            os_state: p.os_state,
            hyper_v_generation: p.hyper_v_generation,
            end_of_life_date: p.end_of_life_date,
            identifier: p.identifier.map(|i| IdentifierRequest {
                publisher: i.publisher,
                offer: i.offer,
                sku: i.sku,
            }),
            recommended: p.recommended.map(|r| Recommended {
                v_cpus: r.v_cpus.map(RangeBody::into_range),
                memory: r.memory.map(RangeBody::into_range),
            }),
            disallowed: p.disallowed.map(|d| Disallowed {
                disk_types: d.disk_types.unwrap_or_default(),
            }),
            purchase_plan: p.purchase_plan,
            features: p.features,
            architecture: p.architecture,
            allow_update_image: p.allow_update_image,
            tags: self.tags,
        };
        (self.location, request)
    }
}

#[derive(Serialize)]
struct ImageOut<'a> {
    name: &'a str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Tags>,
    properties: PropertiesOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PropertiesOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eula: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    privacy_statement_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release_note_uri: Option<&'a str>,
    os_type: OsType,
    os_state: OsState,
    hyper_v_generation: HyperVGeneration,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_of_life_date: Option<String>,
    identifier: &'a Identifier,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommended: Option<&'a Recommended>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disallowed: Option<&'a Disallowed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purchase_plan: Option<&'a PurchasePlan>,
    #[serde(skip_serializing_if = "<[Feature]>::is_empty")]
    features: &'a [Feature],
    architecture: Architecture,
    provisioning_state: &'a str,
}

pub struct Images;

impl Tracked for Images {
    type Model = Image;
    const KIND: &'static str = KIND;
    const TYPE_NAME: &'static str = image::TYPE_NAME;

    fn render<'a>(r: &'a Record, m: &'a Image, state: &'a str, id: String) -> impl Serialize + 'a {
        ImageOut {
            name: &r.name,
            id,
            kind: image::TYPE_NAME,
            location: &r.location,
            tags: m.tags.as_ref(),
            properties: PropertiesOut {
                description: m.description.as_deref(),
                eula: m.eula.as_deref(),
                privacy_statement_uri: m.privacy_statement_uri.as_deref(),
                release_note_uri: m.release_note_uri.as_deref(),
                os_type: m.os_type,
                os_state: m.os_state,
                hyper_v_generation: m.hyper_v_generation,
                end_of_life_date: m.end_of_life_date.map(format_time),
                identifier: &m.identifier,
                recommended: m.recommended.as_ref(),
                disallowed: m.disallowed.as_ref(),
                purchase_plan: m.purchase_plan.as_ref(),
                features: &m.features,
                architecture: m.architecture,
                provisioning_state: state,
            },
        }
    }

    fn refusal(e: StoreError, r: &Record, m: &Image) -> ArmError {
        match e {
            StoreError::Unique(_) => ArmError::new(
                axum::http::StatusCode::CONFLICT,
                "OperationNotAllowed",
                format!(
                    "Gallery image: {} identified by (publisher:{}, offer:{}, sku:{}) already exists. Choose a different publisher, offer, sku combination.",
                    r.name, m.identifier.publisher, m.identifier.offer, m.identifier.sku
                ),
            )
            .with_target("galleryImage.properties.identifier"),
            StoreError::QuotaExceeded { limit } => DomainError::QuotaExceeded {
                resource: "gallery image definitions",
                limit,
                location: r.location.clone(),
            }
            .into(),
            other => other.into(),
        }
    }
}

/// The image definition a request names, validated.
pub fn target(
    (subscription_id, resource_group, gallery_name, name): (String, String, String, String),
) -> Result<Target, ArmError> {
    let parent = gallery::target((subscription_id, resource_group, gallery_name))?;
    names::validate_artifact_name(&name, "galleryImageName")?;
    let id = format!("{}/images/{name}", parent.id);
    Ok(Target {
        key: tracked::key(&id),
        id,
        subscription_id: parent.subscription_id,
        resource_group: parent.resource_group,
        name,
        parent: Parent::Resource {
            key: parent.key,
            name: parent.name,
        },
    })
}

/// GalleryImages_CreateOrUpdate
pub async fn gallery_images_create_or_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ImagePath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<ImageBody>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    let (location, request) = body.into_request();
    let location = region::resolve(location.as_deref(), image::TYPE_NAME)?.name;
    let defaults = Defaults::for_api_version(api.as_str());
    let quota = state.settings.image_quota;
    let now = state.clock.now();
    tracked::accept::<Images>(
        &state,
        &t,
        &base,
        api.as_str(),
        &operation_id,
        |stored| match stored {
            None => {
                let model = image::create(request.clone(), defaults, now)?;
                Ok(Decision {
                    location: Some(location.to_string()),
                    unique: Some((t.parent_key(), image::unique_key(&model.identifier))),
                    quota: Some(QuotaClaim { limit: quota }),
                    ..Decision::new(OperationKind::Create, model)
                })
            }
            Some((r, current)) => {
                t.same_location(r, location)?;
                let model = image::update(&current, request.clone(), true, now)?;
                Ok(Decision::new(OperationKind::Update, model))
            }
        },
    )
    .await
}

/// GalleryImages_Update
pub async fn gallery_images_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ImagePath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<ImageBody>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    let (_location, request) = body.into_request();
    let now = state.clock.now();
    tracked::accept::<Images>(
        &state,
        &t,
        &base,
        api.as_str(),
        &operation_id,
        |stored| match stored {
            None => Err(t.not_found::<Images>()),
            Some((_, current)) => {
                let model = image::update(&current, request.clone(), false, now)?;
                Ok(Decision::new(OperationKind::Update, model))
            }
        },
    )
    .await
}

/// GalleryImages_Delete
pub async fn gallery_images_delete(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ImagePath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    tracked::delete::<Images>(&state, &t, &base, api.as_str(), &operation_id).await
}

/// GalleryImages_Get
pub async fn gallery_images_get(
    State(state): State<AppState>,
    _api: Api,
    ArmPath(path): ImagePath,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    tracked::get::<Images>(&state, &t).await
}

/// GalleryImages_ListByGallery
pub async fn gallery_images_list_by_gallery(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ArmPath<(String, String, String)>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let gallery = gallery::target(path)?;
    if state.store.get(&gallery.key).await?.is_none() {
        return Err(gallery.not_found::<gallery::Galleries>());
    }
    let scope = ListScope::Children {
        parent_key: gallery.key,
        kind: KIND.to_string(),
    };
    tracked::list::<Images>(&state, scope, &uri, &base, api.as_str()).await
}
