//! GalleryImageVersions_*: versions of an image definition.

use axum::extract::{Extension, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::image;
use super::tracked::{self, Decision, Parent, Target, Tracked};
use crate::arm::api_version::{self, ApiVersion};
use crate::arm::json::ArmJson;
use crate::arm::query::Query;
use crate::arm::request_id::RequestId;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, de_time, format_time};
use crate::domain::image_version::{
    self, AdditionalReplicaSet, Encryption, ImageVersion, ImageVersionRequest, Limits, Publishing,
    PublishingRequest, ReplicationMode, ReplicationState, SafetyRequest, StorageAccountStrategy,
    StorageAccountType, StorageProfile, TargetRegionRequest, VersionNumber,
};
use crate::domain::operation::OperationKind;
use crate::domain::tags::Tags;
use crate::domain::{DomainError, ProvisioningState, region};
use crate::store::{ListScope, PageRequest, QuotaClaim, Record, StoreError};
use crate::{AppState, Settings};

type Api = ApiVersion<api_version::Gallery>;
type VersionPath = ArmPath<(String, String, String, String, String)>;

pub const KIND: &str = "versions";

// ---- wire types -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionBody {
    location: Option<String>,
    tags: Option<Tags>,
    properties: Option<VersionPropertiesBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VersionPropertiesBody {
    publishing_profile: Option<PublishingBody>,
    storage_profile: Option<StorageProfile>,
    safety_profile: Option<SafetyBody>,
    security_profile: Option<IgnoredAny>,
    restore: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishingBody {
    target_regions: Option<Vec<TargetRegionBody>>,
    replica_count: Option<i32>,
    exclude_from_latest: Option<bool>,
    #[serde(default, deserialize_with = "de_time")]
    end_of_life_date: Option<i64>,
    storage_account_type: Option<StorageAccountType>,
    replication_mode: Option<ReplicationMode>,
    storage_account_strategy: Option<StorageAccountStrategy>,
    target_extended_locations: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetRegionBody {
    name: Option<String>,
    regional_replica_count: Option<i32>,
    storage_account_type: Option<StorageAccountType>,
    encryption: Option<Encryption>,
    exclude_from_latest: Option<bool>,
    additional_replica_sets: Option<Vec<AdditionalReplicaSet>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SafetyBody {
    allow_deletion_of_replicated_locations: Option<bool>,
    block_deletion_before_end_of_life: Option<bool>,
}

impl PublishingBody {
    /// The publishing profile a client sent, refusing what is not yet supported.
    pub fn into_request(self) -> Result<PublishingRequest, ArmError> {
        if self
            .target_extended_locations
            .as_ref()
            .is_some_and(|l| !l.is_empty())
        {
            return Err(not_yet(
                "Publishing to extended locations (edge zones)",
                "properties.publishingProfile.targetExtendedLocations",
            ));
        }
        Ok(PublishingRequest {
            target_regions: self.target_regions.map(|regions| {
                regions
                    .into_iter()
                    .map(|t| TargetRegionRequest {
                        name: t.name,
                        regional_replica_count: t.regional_replica_count,
                        storage_account_type: t.storage_account_type,
                        encryption: t.encryption,
                        exclude_from_latest: t.exclude_from_latest,
                        additional_replica_sets: t.additional_replica_sets.unwrap_or_default(),
                    })
                    .collect()
            }),
            replica_count: self.replica_count,
            exclude_from_latest: self.exclude_from_latest,
            end_of_life_date: self.end_of_life_date,
            storage_account_type: self.storage_account_type,
            replication_mode: self.replication_mode,
            storage_account_strategy: self.storage_account_strategy,
        })
    }
}

impl VersionBody {
    fn into_request(self) -> Result<(Option<String>, ImageVersionRequest), ArmError> {
        let p = self.properties.unwrap_or_default();
        if p.security_profile.is_some() {
            return Err(not_yet(
                "Image version security profiles (UEFI settings)",
                "properties.securityProfile",
            ));
        }
        if p.restore == Some(true) {
            return Err(not_yet(
                "Restoring soft-deleted image versions",
                "properties.restore",
            ));
        }
        let publishing = p
            .publishing_profile
            .map(PublishingBody::into_request)
            .transpose()?;
        let request = ImageVersionRequest {
            publishing,
            storage: p.storage_profile,
            safety: p.safety_profile.map(|s| SafetyRequest {
                allow_deletion_of_replicated_locations: s.allow_deletion_of_replicated_locations,
                block_deletion_before_end_of_life: s.block_deletion_before_end_of_life,
            }),
            tags: self.tags,
        };
        Ok((self.location, request))
    }
}

pub fn not_yet(feature: &str, target: &str) -> ArmError {
    DomainError::NotYetSupported {
        feature: feature.into(),
        target: target.into(),
    }
    .into()
}

#[derive(Serialize)]
struct VersionOut<'a> {
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
    publishing_profile: PublishingOut<'a>,
    storage_profile: std::borrow::Cow<'a, StorageProfile>,
    safety_profile: SafetyOut,
    provisioning_state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_status: Option<ReplicationStatusOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishingOut<'a> {
    target_regions: Vec<TargetRegionOut<'a>>,
    replica_count: i32,
    exclude_from_latest: bool,
    published_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_of_life_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_account_type: Option<StorageAccountType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_mode: Option<ReplicationMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage_account_strategy: Option<StorageAccountStrategy>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRegionOut<'a> {
    name: &'static str,
    regional_replica_count: i32,
    storage_account_type: StorageAccountType,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption: Option<&'a Encryption>,
    exclude_from_latest: bool,
    #[serde(skip_serializing_if = "<[AdditionalReplicaSet]>::is_empty")]
    additional_replica_sets: &'a [AdditionalReplicaSet],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SafetyOut {
    allow_deletion_of_replicated_locations: bool,
    reported_for_policy_violation: bool,
    block_deletion_before_end_of_life: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationStatusOut {
    aggregated_state: &'static str,
    summary: Vec<RegionStatusOut>,
}

#[derive(Serialize)]
pub struct RegionStatusOut {
    region: &'static str,
    state: ReplicationState,
    details: String,
    progress: i32,
}

/// Azure reports disk sizes once a version exists, not while it is created.
fn storage_as_of<'a>(
    storage: &'a StorageProfile,
    state: &str,
) -> std::borrow::Cow<'a, StorageProfile> {
    if state != ProvisioningState::Creating.as_str() {
        return std::borrow::Cow::Borrowed(storage);
    }
    let mut pending = storage.clone();
    for disk in pending
        .os_disk_image
        .iter_mut()
        .chain(pending.data_disk_images.iter_mut())
    {
        disk.size_in_gb = None;
    }
    std::borrow::Cow::Owned(pending)
}

fn display_name(canonical: &str) -> &'static str {
    region::find(canonical).map_or("", |r| r.display_name)
}

/// `replicationStatus` of a version in `state` at `now`.
pub fn replication_status(p: &Publishing, state: &str, now: i64) -> ReplicationStatusOut {
    let provisioned = state == ProvisioningState::Succeeded.as_str();
    let summary: Vec<RegionStatusOut> = image_version::replication(p, provisioned, now)
        .into_iter()
        .map(|s| RegionStatusOut {
            region: display_name(&s.region),
            state: s.state,
            details: s.details,
            progress: s.progress,
        })
        .collect();
    let aggregated_state = if summary.iter().any(|s| s.state == ReplicationState::Failed) {
        "Failed"
    } else if summary
        .iter()
        .all(|s| s.state == ReplicationState::Completed)
    {
        "Completed"
    } else {
        "InProgress"
    };
    ReplicationStatusOut {
        aggregated_state,
        summary,
    }
}

/// The wire form of a publishing profile (regions in display form).
pub fn publishing_out(p: &Publishing) -> PublishingOut<'_> {
    PublishingOut {
        target_regions: p
            .target_regions
            .iter()
            .map(|t| TargetRegionOut {
                name: display_name(&t.name),
                regional_replica_count: t.regional_replica_count,
                storage_account_type: t.storage_account_type,
                encryption: t.encryption.as_ref(),
                exclude_from_latest: t.exclude_from_latest,
                additional_replica_sets: &t.additional_replica_sets,
            })
            .collect(),
        replica_count: p.replica_count,
        exclude_from_latest: p.exclude_from_latest,
        published_date: format_time(p.published_date),
        end_of_life_date: p.end_of_life_date.map(format_time),
        // A strategy and a profile-wide type are exclusive; with a
        // strategy each region names its own.
        storage_account_type: p
            .storage_account_strategy
            .is_none()
            .then_some(p.storage_account_type),
        replication_mode: p.replication_mode,
        storage_account_strategy: p.storage_account_strategy,
    }
}

fn render<'a>(
    r: &'a Record,
    v: &'a ImageVersion,
    state: &'a str,
    id: String,
    expanded_at: Option<i64>,
) -> VersionOut<'a> {
    VersionOut {
        name: &r.name,
        id,
        kind: image_version::TYPE_NAME,
        location: &r.location,
        tags: v.tags.as_ref(),
        properties: PropertiesOut {
            publishing_profile: publishing_out(&v.publishing),
            storage_profile: storage_as_of(&v.storage, state),
            safety_profile: SafetyOut {
                allow_deletion_of_replicated_locations: v
                    .safety
                    .allow_deletion_of_replicated_locations,
                reported_for_policy_violation: false,
                block_deletion_before_end_of_life: v.safety.block_deletion_before_end_of_life,
            },
            provisioning_state: state,
            replication_status: expanded_at
                .map(|now| replication_status(&v.publishing, state, now)),
        },
    }
}

/// A versioned artifact (image or application version): what "latest" and
/// `$expand=ReplicationStatus` need of it.
pub trait Versioned: Tracked {
    /// The type of its parent, for the parent's not-found error.
    type Parent: Tracked;
    /// The error code and target a client gets when no version is latest.
    const NO_LATEST: &'static str;
    const LATEST_TARGET: &'static str;
    fn publishing(model: &Self::Model) -> &Publishing;
    /// The wire form with `replicationStatus` as of `now`.
    fn render_expanded<'a>(
        r: &'a Record,
        m: &'a Self::Model,
        state: &'a str,
        now: i64,
    ) -> impl Serialize + 'a;
}

pub struct Versions;

impl Versioned for Versions {
    type Parent = image::Images;
    const NO_LATEST: &'static str = "GalleryImageNotFound";
    const LATEST_TARGET: &'static str = "imageReference";

    fn publishing(model: &ImageVersion) -> &Publishing {
        &model.publishing
    }

    fn render_expanded<'a>(
        r: &'a Record,
        m: &'a ImageVersion,
        state: &'a str,
        now: i64,
    ) -> impl Serialize + 'a {
        render(r, m, state, r.id.clone(), Some(now))
    }
}

impl Tracked for Versions {
    type Model = ImageVersion;
    const KIND: &'static str = KIND;
    const TYPE_NAME: &'static str = image_version::TYPE_NAME;

    fn render<'a>(
        r: &'a Record,
        m: &'a ImageVersion,
        state: &'a str,
        id: String,
    ) -> impl Serialize + 'a {
        render(r, m, state, id, None)
    }

    fn replicated<'a>(
        m: &'a mut ImageVersion,
        settings: &Settings,
    ) -> Option<(&'a mut Publishing, f64)> {
        let size: i32 = m
            .storage
            .os_disk_image
            .iter()
            .chain(&m.storage.data_disk_images)
            .map(|d| d.size_in_gb.unwrap_or(settings.default_source_size_gb))
            .sum();
        let size = if size > 0 {
            size
        } else {
            settings.default_source_size_gb
        };
        Some((&mut m.publishing, f64::from(size)))
    }

    fn refusal(e: StoreError, r: &Record, _m: &ImageVersion) -> ArmError {
        match e {
            StoreError::Unique(_) => ArmError::new(
                axum::http::StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "An image version with the same number as '{}' already exists under this image definition.",
                    r.name
                ),
            )
            .with_target("galleryImageVersionName"),
            StoreError::QuotaExceeded { limit } => DomainError::QuotaExceeded {
                resource: "gallery image versions",
                limit,
                location: r.location.clone(),
            }
            .into(),
            other => other.into(),
        }
    }
}

/// The image version a request names, validated.
fn target(
    (subscription_id, resource_group, gallery_name, image_name, name): (
        String,
        String,
        String,
        String,
        String,
    ),
) -> Result<(Target, VersionNumber), ArmError> {
    let parent = image::target((subscription_id, resource_group, gallery_name, image_name))?;
    let number = VersionNumber::parse(&name, "galleryImageVersionName")?;
    let id = format!("{}/versions/{name}", parent.id);
    Ok((
        Target {
            key: tracked::key(&id),
            id,
            subscription_id: parent.subscription_id,
            resource_group: parent.resource_group,
            name,
            parent: Parent::Resource {
                key: parent.key,
                name: format!("{}/{}", gallery_of(&parent.id), parent.name),
            },
        },
        number,
    ))
}

fn gallery_of(image_id: &str) -> &str {
    image_id
        .split("/galleries/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

fn limits(state: &AppState, api: &Api) -> Limits {
    Limits::new(state.settings.max_replicas_per_region, api.as_str())
}

/// GalleryImageVersions_CreateOrUpdate
pub async fn gallery_image_versions_create_or_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): VersionPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<VersionBody>,
) -> Result<Response, ArmError> {
    let (t, number) = target(path)?;
    let (location, mut request) = body.into_request()?;
    let location = region::resolve(location.as_deref(), image_version::TYPE_NAME)?.name;
    let parent = t.parent_key();
    let definition = match state.store.get(&parent).await? {
        Some(r) => tracked::decode::<image::Images>(&r)?,
        None => {
            return Err(tracked::common_refusal(
                StoreError::ParentMissing(parent),
                &t,
            ));
        }
    };
    if state.store.get(&t.key).await?.is_none()
        && let Some(storage) = &request.storage
    {
        request.storage =
            Some(super::source::resolve(&state, storage, &definition, location).await?);
    }
    let quota = state.settings.image_version_quota;
    let limits = limits(&state, &api);
    let now = state.clock.now();
    tracked::accept::<Versions>(&state, &t, &base, api.as_str(), &operation_id, |stored| {
        match stored {
            None => Ok(Decision {
                location: Some(location.to_string()),
                unique: Some((t.parent_key(), number.sort_key())),
                quota: Some(QuotaClaim { limit: quota }),
                ..Decision::new(
                    OperationKind::Create,
                    image_version::create(request.clone(), location, now, limits)?,
                )
            }),
            Some((r, current)) => {
                t.same_location(r, location)?;
                let model =
                    image_version::update(&current, request.clone(), &r.location, now, limits)?;
                Ok(Decision::new(OperationKind::Update, model))
            }
        }
    })
    .await
}

/// GalleryImageVersions_Update
pub async fn gallery_image_versions_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): VersionPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<VersionBody>,
) -> Result<Response, ArmError> {
    let (t, _) = target(path)?;
    let (_location, request) = body.into_request()?;
    let limits = limits(&state, &api);
    let now = state.clock.now();
    tracked::accept::<Versions>(&state, &t, &base, api.as_str(), &operation_id, |stored| {
        match stored {
            None => Err(t.not_found::<Versions>()),
            Some((r, current)) => {
                let model =
                    image_version::update(&current, request.clone(), &r.location, now, limits)?;
                Ok(Decision::new(OperationKind::Update, model))
            }
        }
    })
    .await
}

/// GalleryImageVersions_Delete
pub async fn gallery_image_versions_delete(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): VersionPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
) -> Result<Response, ArmError> {
    let (t, _) = target(path)?;
    if let Some(r) = state.store.get(&t.key).await? {
        let v = tracked::decode::<Versions>(&r)?;
        let eol = v.publishing.end_of_life_date;
        if v.safety.block_deletion_before_end_of_life && eol.is_some_and(|d| d > state.clock.now())
        {
            return Err(ArmError::new(
                axum::http::StatusCode::CONFLICT,
                "DeleteGalleryImageVersionBlockedBeforeEndOfLife",
                format!(
                    "The gallery image version '{}' cannot be deleted before its end of life date '{}' because safetyProfile.blockDeletionBeforeEndOfLife is true.",
                    r.name,
                    eol.map(format_time).unwrap_or_default()
                ),
            )
            .with_target("galleryImageVersion.properties.safetyProfile.blockDeletionBeforeEndOfLife"));
        }
    }
    tracked::delete::<Versions>(&state, &t, &base, api.as_str(), &operation_id).await
}

/// GalleryImageVersions_Get, with `$expand=ReplicationStatus`.
pub async fn gallery_image_versions_get(
    State(state): State<AppState>,
    _api: Api,
    ArmPath(path): VersionPath,
    uri: Uri,
) -> Result<Response, ArmError> {
    let (t, _) = target(path)?;
    get_version::<Versions>(&state, &t, &uri).await
}

/// GET of a version; `$expand=ReplicationStatus` adds `replicationStatus`.
pub async fn get_version<T: Versioned>(
    state: &AppState,
    t: &Target,
    uri: &Uri,
) -> Result<Response, ArmError> {
    let expand = Query::parse(uri.query()).get("$expand").is_some_and(|e| {
        e.split(',')
            .any(|v| v.trim().eq_ignore_ascii_case("ReplicationStatus"))
    });
    let r = state
        .store
        .get(&t.key)
        .await?
        .ok_or_else(|| t.not_found::<T>())?;
    let model = tracked::decode::<T>(&r)?;
    let now = state.clock.now();
    let state = r.provisioning_state.as_str();
    Ok(if expand {
        axum::Json(T::render_expanded(&r, &model, state, now)).into_response()
    } else {
        axum::Json(T::render(&r, &model, state, r.id.clone())).into_response()
    })
}

/// GalleryImageVersions_ListByGalleryImage
pub async fn gallery_image_versions_list_by_gallery_image(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ArmPath<(String, String, String, String)>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let image = image::target(path)?;
    if state.store.get(&image.key).await?.is_none() {
        return Err(image.not_found::<image::Images>());
    }
    let scope = ListScope::Children {
        parent_key: image.key,
        kind: KIND.to_string(),
    };
    tracked::list::<Versions>(&state, scope, &uri, &base, api.as_str()).await
}

/// The "latest" version under `parent_key` in `region` (any region when
/// `None`): the highest provisioned version not excluded from latest, found
/// by walking versions from the highest number down.
pub async fn resolve_latest<T: Versioned>(
    state: &AppState,
    parent_key: &str,
    region: Option<&str>,
) -> Result<Option<(Record, T::Model)>, ArmError> {
    let mut page = PageRequest {
        after: None,
        limit: 64,
    };
    loop {
        let found = state
            .store
            .list_unique_desc(T::KIND, parent_key, &page)
            .await?;
        let models = found
            .items
            .iter()
            .map(tracked::decode::<T>)
            .collect::<Result<Vec<_>, _>>()?;
        let candidates = found.items.iter().zip(&models).filter_map(|(r, m)| {
            let number = VersionNumber::parse(&r.name, "name").ok()?;
            let provisioned = r.provisioning_state == ProvisioningState::Succeeded.as_str()
                || r.provisioning_state == ProvisioningState::Updating.as_str();
            Some((number, T::publishing(m), provisioned))
        });
        if let Some((number, _)) = image_version::latest(candidates, region) {
            let index = found
                .items
                .iter()
                .position(|r| VersionNumber::parse(&r.name, "name").ok() == Some(number));
            let mut models = models;
            return Ok(index.map(|i| (found.items[i].clone(), models.swap_remove(i))));
        }
        match found.next {
            Some(after) => page.after = Some(after),
            None => return Ok(None),
        }
    }
}

/// The latest version under `parent`, as the admin plane answers it until VM
/// deployment resolves versions itself.
pub async fn latest_response<T: Versioned>(
    state: &AppState,
    parent: &Target,
    region: Option<&str>,
) -> Result<Response, ArmError> {
    if state.store.get(&parent.key).await?.is_none() {
        return Err(parent.not_found::<T::Parent>());
    }
    let region = match region {
        Some(name) => Some(
            region::find(name)
                .ok_or_else(|| {
                    ArmError::invalid_parameter(
                        "region",
                        format!("The region '{name}' is not a known Azure region."),
                    )
                })?
                .name,
        ),
        None => None,
    };
    match resolve_latest::<T>(state, &parent.key, region).await? {
        Some((r, m)) => {
            let now = state.clock.now();
            Ok(axum::Json(T::render_expanded(&r, &m, &r.provisioning_state, now)).into_response())
        }
        None => Err(ArmError::new(
            axum::http::StatusCode::NOT_FOUND,
            T::NO_LATEST,
            format!(
                "No version of {} is available as latest{}.",
                parent.id,
                region
                    .map(|r| format!(" in {r} region"))
                    .unwrap_or_default()
            ),
        )
        .with_target(T::LATEST_TARGET)),
    }
}
