//! GalleryApplications_* (synchronous, no provisioning state) and
//! GalleryApplicationVersions_* (long-running, replicated like image versions).

use std::collections::BTreeMap;

use axum::extract::{Extension, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::gallery;
use super::image_version::{self, PublishingBody, PublishingOut, ReplicationStatusOut, Versioned};
use super::tracked::{self, Decision, Parent, Target, Tracked};
use crate::AppState;
use crate::arm::api_version::{self, ApiVersion};
use crate::arm::json::ArmJson;
use crate::arm::request_id::RequestId;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, de_time, format_time};
use crate::domain::application::{
    self, Application, ApplicationRequest, ApplicationVersion, ApplicationVersionRequest,
    CustomAction, ManageActions, ManageRequest, Settings, Source,
};
use crate::domain::image::OsType;
use crate::domain::image_version::{Limits, Publishing, VersionNumber};
use crate::domain::operation::OperationKind;
use crate::domain::tags::Tags;
use crate::domain::{names, region};
use crate::store::{ListScope, Record, StoreError};

type Api = ApiVersion<api_version::Gallery>;
type ApplicationPath = ArmPath<(String, String, String, String)>;
type VersionPath = ArmPath<(String, String, String, String, String)>;

// ---- applications -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationBody {
    location: Option<String>,
    tags: Option<Tags>,
    properties: Option<ApplicationPropertiesBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ApplicationPropertiesBody {
    description: Option<String>,
    eula: Option<String>,
    privacy_statement_uri: Option<String>,
    release_note_uri: Option<String>,
    #[serde(default, deserialize_with = "de_time")]
    end_of_life_date: Option<i64>,
    #[serde(rename = "supportedOSType")]
    supported_os_type: Option<OsType>,
    custom_actions: Option<Vec<CustomAction>>,
}

impl ApplicationBody {
    fn into_request(self) -> (Option<String>, ApplicationRequest) {
        let p = self.properties.unwrap_or_default();
        let request = ApplicationRequest {
            description: p.description,
            eula: p.eula,
            privacy_statement_uri: p.privacy_statement_uri,
            release_note_uri: p.release_note_uri,
            end_of_life_date: p.end_of_life_date,
            supported_os_type: p.supported_os_type,
            custom_actions: p.custom_actions,
            tags: self.tags,
        };
        (self.location, request)
    }
}

#[derive(Serialize)]
struct ApplicationOut<'a> {
    name: &'a str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Tags>,
    properties: ApplicationPropertiesOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationPropertiesOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eula: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    privacy_statement_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release_note_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_of_life_date: Option<String>,
    #[serde(rename = "supportedOSType")]
    supported_os_type: OsType,
    #[serde(skip_serializing_if = "<[CustomAction]>::is_empty")]
    custom_actions: &'a [CustomAction],
}

pub struct Applications;

impl Tracked for Applications {
    type Model = Application;
    const KIND: &'static str = "applications";
    const TYPE_NAME: &'static str = application::TYPE_NAME;
    const ASYNCHRONOUS: bool = false;

    fn render<'a>(
        r: &'a Record,
        m: &'a Application,
        _state: &'a str,
        id: String,
    ) -> impl Serialize + 'a {
        ApplicationOut {
            name: &r.name,
            id,
            kind: application::TYPE_NAME,
            location: &r.location,
            tags: m.tags.as_ref(),
            properties: ApplicationPropertiesOut {
                description: m.description.as_deref(),
                eula: m.eula.as_deref(),
                privacy_statement_uri: m.privacy_statement_uri.as_deref(),
                release_note_uri: m.release_note_uri.as_deref(),
                end_of_life_date: m.end_of_life_date.map(format_time),
                supported_os_type: m.supported_os_type,
                custom_actions: &m.custom_actions,
            },
        }
    }

    fn refusal(e: StoreError, _r: &Record, _m: &Application) -> ArmError {
        e.into()
    }
}

/// The application a request names, validated.
pub fn target(
    (subscription_id, resource_group, gallery_name, name): (String, String, String, String),
) -> Result<Target, ArmError> {
    let parent = gallery::target((subscription_id, resource_group, gallery_name))?;
    names::validate_artifact_name(&name, "galleryApplicationName")?;
    let id = format!("{}/applications/{name}", parent.id);
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

/// GalleryApplications_CreateOrUpdate
pub async fn gallery_applications_create_or_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ApplicationPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<ApplicationBody>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    let (location, request) = body.into_request();
    let location = region::resolve(location.as_deref(), application::TYPE_NAME)?.name;
    let now = state.clock.now();
    tracked::accept::<Applications>(&state, &t, &base, api.as_str(), &operation_id, |stored| {
        match stored {
            None => Ok(Decision {
                location: Some(location.to_string()),
                ..Decision::new(
                    OperationKind::Create,
                    application::create(request.clone(), now)?,
                )
            }),
            Some((r, current)) => {
                t.same_location(r, location)?;
                Ok(Decision::new(
                    OperationKind::Update,
                    application::update(&current, request.clone(), true, now)?,
                ))
            }
        }
    })
    .await
}

/// GalleryApplications_Update
pub async fn gallery_applications_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ApplicationPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<ApplicationBody>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    let (_location, request) = body.into_request();
    let now = state.clock.now();
    tracked::accept::<Applications>(&state, &t, &base, api.as_str(), &operation_id, |stored| {
        match stored {
            None => Err(t.not_found::<Applications>()),
            Some((_, current)) => Ok(Decision::new(
                OperationKind::Update,
                application::update(&current, request.clone(), false, now)?,
            )),
        }
    })
    .await
}

/// GalleryApplications_Delete
pub async fn gallery_applications_delete(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ApplicationPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
) -> Result<Response, ArmError> {
    let t = target(path)?;
    tracked::delete::<Applications>(&state, &t, &base, api.as_str(), &operation_id).await
}

/// GalleryApplications_Get
pub async fn gallery_applications_get(
    State(state): State<AppState>,
    _api: Api,
    ArmPath(path): ApplicationPath,
) -> Result<Response, ArmError> {
    tracked::get::<Applications>(&state, &target(path)?).await
}

/// GalleryApplications_ListByGallery
pub async fn gallery_applications_list_by_gallery(
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
        kind: Applications::KIND.to_string(),
    };
    tracked::list::<Applications>(&state, scope, &uri, &base, api.as_str()).await
}

// ---- application versions ---------------------------------------------------

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
    publishing_profile: Option<VersionPublishingBody>,
    safety_profile: Option<SafetyBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionPublishingBody {
    #[serde(flatten)]
    base: PublishingBody,
    source: Option<SourceBody>,
    manage_actions: Option<ManageBody>,
    settings: Option<Settings>,
    advanced_settings: Option<BTreeMap<String, String>>,
    enable_health_check: Option<bool>,
    custom_actions: Option<Vec<CustomAction>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceBody {
    media_link: Option<String>,
    default_configuration_link: Option<String>,
}

#[derive(Deserialize)]
struct ManageBody {
    install: Option<String>,
    remove: Option<String>,
    update: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SafetyBody {
    allow_deletion_of_replicated_locations: Option<bool>,
}

impl VersionBody {
    fn into_request(self) -> Result<(Option<String>, ApplicationVersionRequest), ArmError> {
        let p = self.properties.unwrap_or_default();
        let mut request = ApplicationVersionRequest {
            allow_deletion_of_replicated_locations: p
                .safety_profile
                .and_then(|s| s.allow_deletion_of_replicated_locations),
            tags: self.tags,
            ..ApplicationVersionRequest::default()
        };
        if let Some(b) = p.publishing_profile {
            request.publishing = Some(b.base.into_request()?);
            if let Some(source) = b.source {
                request.media_link = source.media_link;
                request.default_configuration_link = source.default_configuration_link;
            }
            request.manage_actions = b.manage_actions.map(|m| ManageRequest {
                install: m.install,
                remove: m.remove,
                update: m.update,
            });
            request.settings = b.settings;
            request.advanced_settings = b.advanced_settings;
            request.enable_health_check = b.enable_health_check;
            request.custom_actions = b.custom_actions;
        }
        Ok((self.location, request))
    }
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
    properties: VersionPropertiesOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionPropertiesOut<'a> {
    publishing_profile: VersionPublishingOut<'a>,
    safety_profile: SafetyOut,
    provisioning_state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_status: Option<ReplicationStatusOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionPublishingOut<'a> {
    #[serde(flatten)]
    base: PublishingOut<'a>,
    source: &'a Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    manage_actions: Option<&'a ManageActions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<&'a Settings>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    advanced_settings: &'a BTreeMap<String, String>,
    enable_health_check: bool,
    #[serde(skip_serializing_if = "<[CustomAction]>::is_empty")]
    custom_actions: &'a [CustomAction],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SafetyOut {
    allow_deletion_of_replicated_locations: bool,
}

fn render_version<'a>(
    r: &'a Record,
    v: &'a ApplicationVersion,
    state: &'a str,
    id: String,
    expanded_at: Option<i64>,
) -> VersionOut<'a> {
    VersionOut {
        name: &r.name,
        id,
        kind: application::VERSION_TYPE_NAME,
        location: &r.location,
        tags: v.tags.as_ref(),
        properties: VersionPropertiesOut {
            publishing_profile: VersionPublishingOut {
                base: image_version::publishing_out(&v.publishing),
                source: &v.source,
                manage_actions: v.manage_actions.as_ref(),
                settings: v.settings.as_ref(),
                advanced_settings: &v.advanced_settings,
                enable_health_check: v.enable_health_check,
                custom_actions: &v.custom_actions,
            },
            safety_profile: SafetyOut {
                allow_deletion_of_replicated_locations: v.allow_deletion_of_replicated_locations,
            },
            provisioning_state: state,
            replication_status: expanded_at
                .map(|now| image_version::replication_status(&v.publishing, state, now)),
        },
    }
}

pub struct ApplicationVersions;

impl Tracked for ApplicationVersions {
    type Model = ApplicationVersion;
    const KIND: &'static str = "applicationversions";
    const TYPE_NAME: &'static str = application::VERSION_TYPE_NAME;

    fn render<'a>(
        r: &'a Record,
        m: &'a ApplicationVersion,
        state: &'a str,
        id: String,
    ) -> impl Serialize + 'a {
        render_version(r, m, state, id, None)
    }

    /// A package is small next to a disk: replicating one is modelled as 1 GB.
    fn replicated<'a>(
        m: &'a mut ApplicationVersion,
        _settings: &crate::Settings,
    ) -> Option<(&'a mut Publishing, f64)> {
        Some((&mut m.publishing, 1.0))
    }

    fn refusal(e: StoreError, r: &Record, _m: &ApplicationVersion) -> ArmError {
        match e {
            StoreError::Unique(_) => ArmError::new(
                axum::http::StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "An application version with the same number as '{}' already exists under this application.",
                    r.name
                ),
            )
            .with_target("galleryApplicationVersionName"),
            other => other.into(),
        }
    }
}

impl Versioned for ApplicationVersions {
    type Parent = Applications;
    const NO_LATEST: &'static str = "GalleryApplicationVersionNotFound";
    const LATEST_TARGET: &'static str = "packageReferenceId";

    fn publishing(model: &ApplicationVersion) -> &Publishing {
        &model.publishing
    }

    fn render_expanded<'a>(
        r: &'a Record,
        m: &'a ApplicationVersion,
        state: &'a str,
        now: i64,
    ) -> impl Serialize + 'a {
        render_version(r, m, state, r.id.clone(), Some(now))
    }
}

fn version_target(
    (subscription_id, resource_group, gallery_name, application_name, name): (
        String,
        String,
        String,
        String,
        String,
    ),
) -> Result<(Target, VersionNumber), ArmError> {
    let parent = target((
        subscription_id,
        resource_group,
        gallery_name,
        application_name,
    ))?;
    let number = VersionNumber::parse(&name, "galleryApplicationVersionName")?;
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
                name: parent.name,
            },
        },
        number,
    ))
}

fn limits(state: &AppState, api: &Api) -> Limits {
    Limits::new(state.settings.max_replicas_per_region, api.as_str())
}

/// GalleryApplicationVersions_CreateOrUpdate
pub async fn gallery_application_versions_create_or_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): VersionPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<VersionBody>,
) -> Result<Response, ArmError> {
    let (t, number) = version_target(path)?;
    let (location, request) = body.into_request()?;
    let location = region::resolve(location.as_deref(), application::VERSION_TYPE_NAME)?.name;
    let limits = limits(&state, &api);
    let now = state.clock.now();
    tracked::accept::<ApplicationVersions>(
        &state,
        &t,
        &base,
        api.as_str(),
        &operation_id,
        |stored| match stored {
            None => Ok(Decision {
                location: Some(location.to_string()),
                unique: Some((t.parent_key(), number.sort_key())),
                ..Decision::new(
                    OperationKind::Create,
                    application::create_version(request.clone(), location, now, limits)?,
                )
            }),
            Some((r, current)) => {
                t.same_location(r, location)?;
                Ok(Decision::new(
                    OperationKind::Update,
                    application::update_version(
                        &current,
                        request.clone(),
                        &r.location,
                        now,
                        limits,
                    )?,
                ))
            }
        },
    )
    .await
}

/// GalleryApplicationVersions_Update
pub async fn gallery_application_versions_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): VersionPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<VersionBody>,
) -> Result<Response, ArmError> {
    let (t, _) = version_target(path)?;
    let (_location, request) = body.into_request()?;
    let limits = limits(&state, &api);
    let now = state.clock.now();
    tracked::accept::<ApplicationVersions>(
        &state,
        &t,
        &base,
        api.as_str(),
        &operation_id,
        |stored| match stored {
            None => Err(t.not_found::<ApplicationVersions>()),
            Some((r, current)) => Ok(Decision::new(
                OperationKind::Update,
                application::update_version(&current, request.clone(), &r.location, now, limits)?,
            )),
        },
    )
    .await
}

/// GalleryApplicationVersions_Delete
pub async fn gallery_application_versions_delete(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): VersionPath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
) -> Result<Response, ArmError> {
    let (t, _) = version_target(path)?;
    tracked::delete::<ApplicationVersions>(&state, &t, &base, api.as_str(), &operation_id).await
}

/// GalleryApplicationVersions_Get, with `$expand=ReplicationStatus`.
pub async fn gallery_application_versions_get(
    State(state): State<AppState>,
    _api: Api,
    ArmPath(path): VersionPath,
    uri: Uri,
) -> Result<Response, ArmError> {
    let (t, _) = version_target(path)?;
    image_version::get_version::<ApplicationVersions>(&state, &t, &uri).await
}

/// GalleryApplicationVersions_ListByGalleryApplication
pub async fn gallery_application_versions_list_by_gallery_application(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): ApplicationPath,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let application = target(path)?;
    if state.store.get(&application.key).await?.is_none() {
        return Err(application.not_found::<Applications>());
    }
    let scope = ListScope::Children {
        parent_key: application.key,
        kind: ApplicationVersions::KIND.to_string(),
    };
    tracked::list::<ApplicationVersions>(&state, scope, &uri, &base, api.as_str()).await
}
