//! Minimal `Microsoft.Compute` disks, snapshots and managed images: what an
//! image version can be made from. Created, read, listed and deleted like any
//! tracked resource; and `resolve` checks a version's sources against them.

use axum::extract::{Extension, State};
use axum::http::Uri;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::resource_group;
use super::subscription::parse_id;
use super::tracked::{self, Decision, Parent, Target, Tracked};
use crate::AppState;
use crate::arm::api_version::{self, ApiVersion};
use crate::arm::json::ArmJson;
use crate::arm::request_id::RequestId;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, resource_id};
use crate::domain::image::{HyperVGeneration, Image, OsState, OsType};
use crate::domain::image_version::{ImageVersion, StorageProfile};
use crate::domain::operation::OperationKind;
use crate::domain::source::{self, DataDisk, Disk, ManagedImage, Slot, SourceFacts, SourceKind};
use crate::domain::tags::Tags;
use crate::domain::{DomainError, names, region};
use crate::store::{ListScope, Record, StoreError};

type Api = ApiVersion<api_version::ComputeResources>;
type SourcePath = ArmPath<(String, String, String)>;

// ---- disks and snapshots ----------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskBody {
    location: Option<String>,
    tags: Option<Tags>,
    properties: Option<DiskPropertiesBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DiskPropertiesBody {
    os_type: Option<OsType>,
    hyper_v_generation: Option<HyperVGeneration>,
    #[serde(rename = "diskSizeGB")]
    disk_size_gb: Option<i32>,
    creation_data: Option<CreationData>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct CreationData {
    create_option: Option<String>,
}

#[derive(Serialize)]
struct DiskOut<'a> {
    name: &'a str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Tags>,
    sku: serde_json::Value,
    properties: DiskPropertiesOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiskPropertiesOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    os_type: Option<OsType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hyper_v_generation: Option<HyperVGeneration>,
    #[serde(rename = "diskSizeGB")]
    disk_size_gb: i32,
    creation_data: serde_json::Value,
    time_created: String,
    provisioning_state: &'a str,
}

fn render_disk<'a>(
    r: &'a Record,
    d: &'a Disk,
    state: &'a str,
    id: String,
    type_name: &'static str,
) -> DiskOut<'a> {
    DiskOut {
        name: &r.name,
        id,
        kind: type_name,
        location: &r.location,
        tags: d.tags.as_ref(),
        sku: serde_json::json!({"name": "Standard_LRS", "tier": "Standard"}),
        properties: DiskPropertiesOut {
            os_type: d.os_type,
            hyper_v_generation: d.hyper_v_generation,
            disk_size_gb: d.disk_size_gb,
            creation_data: serde_json::json!({"createOption": d.create_option}),
            time_created: crate::arm::format_time(r.created_at),
            provisioning_state: state,
        },
    }
}

pub struct Disks;
pub struct Snapshots;

fn plain_refusal(e: StoreError) -> ArmError {
    e.into()
}

impl Tracked for Disks {
    type Model = Disk;
    const KIND: &'static str = "disks";
    const TYPE_NAME: &'static str = "Microsoft.Compute/disks";

    fn render<'a>(r: &'a Record, m: &'a Disk, state: &'a str, id: String) -> impl Serialize + 'a {
        render_disk(r, m, state, id, Self::TYPE_NAME)
    }

    fn refusal(e: StoreError, _r: &Record, _m: &Disk) -> ArmError {
        plain_refusal(e)
    }
}

impl Tracked for Snapshots {
    type Model = Disk;
    const KIND: &'static str = "snapshots";
    const TYPE_NAME: &'static str = "Microsoft.Compute/snapshots";

    fn render<'a>(r: &'a Record, m: &'a Disk, state: &'a str, id: String) -> impl Serialize + 'a {
        render_disk(r, m, state, id, Self::TYPE_NAME)
    }

    fn refusal(e: StoreError, _r: &Record, _m: &Disk) -> ArmError {
        plain_refusal(e)
    }
}

// ---- managed images ---------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedImageBody {
    location: Option<String>,
    tags: Option<Tags>,
    properties: Option<ManagedImagePropertiesBody>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ManagedImagePropertiesBody {
    storage_profile: Option<ImageStorageBody>,
    hyper_v_generation: Option<HyperVGeneration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageStorageBody {
    os_disk: Option<OsDiskBody>,
    data_disks: Option<Vec<DataDiskBody>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OsDiskBody {
    os_type: Option<OsType>,
    os_state: Option<OsState>,
    #[serde(rename = "diskSizeGB")]
    disk_size_gb: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataDiskBody {
    lun: Option<i32>,
    #[serde(rename = "diskSizeGB")]
    disk_size_gb: Option<i32>,
}

#[derive(Serialize)]
struct ManagedImageOut<'a> {
    name: &'a str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Tags>,
    properties: serde_json::Value,
}

pub struct ManagedImages;

impl Tracked for ManagedImages {
    type Model = ManagedImage;
    const KIND: &'static str = "managedimages";
    const TYPE_NAME: &'static str = "Microsoft.Compute/images";

    fn render<'a>(
        r: &'a Record,
        m: &'a ManagedImage,
        state: &'a str,
        id: String,
    ) -> impl Serialize + 'a {
        let data_disks: Vec<serde_json::Value> = m
            .data_disks
            .iter()
            .map(|d| serde_json::json!({"lun": d.lun, "diskSizeGB": d.disk_size_gb, "caching": "None"}))
            .collect();
        ManagedImageOut {
            name: &r.name,
            id,
            kind: Self::TYPE_NAME,
            location: &r.location,
            tags: m.tags.as_ref(),
            properties: serde_json::json!({
                "storageProfile": {
                    "osDisk": {
                        "osType": m.os_type,
                        "osState": m.os_state,
                        "diskSizeGB": m.os_disk_size_gb,
                        "caching": "ReadWrite",
                    },
                    "dataDisks": data_disks,
                },
                "hyperVGeneration": m.hyper_v_generation,
                "provisioningState": state,
            }),
        }
    }

    fn refusal(e: StoreError, _r: &Record, _m: &ManagedImage) -> ArmError {
        plain_refusal(e)
    }
}

// ---- handlers ---------------------------------------------------------------

fn target<T: Tracked>(
    (subscription_id, resource_group, name): (String, String, String),
) -> Result<Target, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    names::validate_resource_group_name(&resource_group)?;
    names::validate_artifact_name(&name, "resourceName")?;
    let type_segment = T::TYPE_NAME.rsplit('/').next().unwrap_or_default();
    let id = format!(
        "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/{type_segment}/{name}"
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

async fn put<T: Tracked>(
    state: &AppState,
    t: &Target,
    base: &str,
    api: &Api,
    operation_id: &str,
    location: Option<String>,
    model: T::Model,
) -> Result<Response, ArmError>
where
    T::Model: Clone,
{
    let location = region::resolve(location.as_deref(), T::TYPE_NAME)?.name;
    tracked::accept::<T>(
        state,
        t,
        base,
        api.as_str(),
        operation_id,
        |stored| match stored {
            None => Ok(Decision {
                location: Some(location.to_string()),
                ..Decision::new(OperationKind::Create, model.clone())
            }),
            Some((r, _)) => {
                t.same_location(r, location)?;
                Ok(Decision::new(OperationKind::Update, model.clone()))
            }
        },
    )
    .await
}

fn disk_model(body: DiskBody, default_size_gb: i32) -> Result<(Option<String>, Disk), ArmError> {
    let p = body.properties.unwrap_or_default();
    let create_option = p
        .creation_data
        .and_then(|c| c.create_option)
        .ok_or_else(|| {
            ArmError::invalid_parameter(
                "properties.creationData.createOption",
                "Required parameter 'createOption' is missing (null).",
            )
        })?;
    let disk_size_gb = p.disk_size_gb.unwrap_or(default_size_gb);
    if disk_size_gb < 1 {
        return Err(ArmError::invalid_parameter(
            "properties.diskSizeGB",
            "The disk size must be at least 1 GB.",
        ));
    }
    Ok((
        body.location,
        Disk {
            os_type: p.os_type,
            hyper_v_generation: p.hyper_v_generation,
            disk_size_gb,
            create_option,
            tags: body.tags,
        },
    ))
}

/// Disks_CreateOrUpdate and Snapshots_CreateOrUpdate: the same body, `T` says which.
pub async fn disk_create_or_update<T: Tracked<Model = Disk>>(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): SourcePath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<DiskBody>,
) -> Result<Response, ArmError> {
    let t = target::<T>(path)?;
    let (location, model) = disk_model(body, state.settings.default_source_size_gb)?;
    put::<T>(&state, &t, &base, &api, &operation_id, location, model).await
}

/// Images_CreateOrUpdate (managed images)
pub async fn images_create_or_update(
    State(state): State<AppState>,
    api: Api,
    ArmPath(path): SourcePath,
    BaseUrl(base): BaseUrl,
    Extension(RequestId(operation_id)): Extension<RequestId>,
    ArmJson(body): ArmJson<ManagedImageBody>,
) -> Result<Response, ArmError> {
    let t = target::<ManagedImages>(path)?;
    let p = body.properties.unwrap_or_default();
    let storage = p.storage_profile.ok_or_else(|| {
        ArmError::invalid_parameter(
            "properties.storageProfile",
            "Required parameter 'storageProfile' is missing (null).",
        )
    })?;
    let os = storage.os_disk.ok_or_else(|| {
        ArmError::invalid_parameter(
            "properties.storageProfile.osDisk",
            "Required parameter 'osDisk' is missing (null).",
        )
    })?;
    let required = |path: &str| {
        ArmError::invalid_parameter(
            path,
            format!(
                "Required parameter '{}' is missing (null).",
                path.rsplit('.').next().unwrap_or(path)
            ),
        )
    };
    let mut data_disks = Vec::new();
    for (i, d) in storage
        .data_disks
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        data_disks.push(DataDisk {
            lun: d.lun.ok_or_else(|| {
                required(&format!("properties.storageProfile.dataDisks[{i}].lun"))
            })?,
            disk_size_gb: d
                .disk_size_gb
                .unwrap_or(state.settings.default_source_size_gb),
        });
    }
    let model = ManagedImage {
        os_type: os
            .os_type
            .ok_or_else(|| required("properties.storageProfile.osDisk.osType"))?,
        os_state: os
            .os_state
            .ok_or_else(|| required("properties.storageProfile.osDisk.osState"))?,
        hyper_v_generation: p.hyper_v_generation.unwrap_or(HyperVGeneration::V1),
        os_disk_size_gb: os
            .disk_size_gb
            .unwrap_or(state.settings.default_source_size_gb),
        data_disks,
        tags: body.tags,
    };
    put::<ManagedImages>(&state, &t, &base, &api, &operation_id, body.location, model).await
}

macro_rules! read_handlers {
    ($ty:ty, $get:ident, $delete:ident, $list:ident) => {
        pub async fn $get(
            State(state): State<AppState>,
            _api: Api,
            ArmPath(path): SourcePath,
        ) -> Result<Response, ArmError> {
            tracked::get::<$ty>(&state, &target::<$ty>(path)?).await
        }

        pub async fn $delete(
            State(state): State<AppState>,
            api: Api,
            ArmPath(path): SourcePath,
            BaseUrl(base): BaseUrl,
            Extension(RequestId(operation_id)): Extension<RequestId>,
        ) -> Result<Response, ArmError> {
            let t = target::<$ty>(path)?;
            tracked::delete::<$ty>(&state, &t, &base, api.as_str(), &operation_id).await
        }

        pub async fn $list(
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
                kind: <$ty as Tracked>::KIND.to_string(),
            };
            tracked::list::<$ty>(&state, scope, &uri, &base, api.as_str()).await
        }
    };
}

read_handlers!(Disks, disks_get, disks_delete, disks_list_by_resource_group);
read_handlers!(
    Snapshots,
    snapshots_get,
    snapshots_delete,
    snapshots_list_by_resource_group
);
read_handlers!(
    ManagedImages,
    images_get,
    images_delete,
    images_list_by_resource_group
);

// ---- resolving the sources of a version -------------------------------------

async fn facts_of(state: &AppState, id: &str) -> Result<Option<SourceFacts>, ArmError> {
    let Some(kind) = source::kind_of(id) else {
        return Ok(None);
    };
    let Some(r) = state.store.get(&resource_id::key(id)).await? else {
        return Ok(None);
    };
    let locations = vec![r.location.clone()];
    Ok(Some(match kind {
        SourceKind::Disk | SourceKind::Snapshot => {
            let d: Disk = tracked::decode::<Disks>(&r)?;
            SourceFacts {
                kind,
                locations,
                os_type: d.os_type,
                os_state: None,
                hyper_v_generation: d.hyper_v_generation,
                os_size_gb: d.disk_size_gb,
                data_disks: Vec::new(),
            }
        }
        SourceKind::ManagedImage => {
            let m: ManagedImage = tracked::decode::<ManagedImages>(&r)?;
            SourceFacts {
                kind,
                locations,
                os_type: Some(m.os_type),
                os_state: Some(m.os_state),
                hyper_v_generation: Some(m.hyper_v_generation),
                os_size_gb: m.os_disk_size_gb,
                data_disks: m.data_disks,
            }
        }
        SourceKind::ImageVersion => {
            let v: ImageVersion = tracked::decode::<super::image_version::Versions>(&r)?;
            let parent = state.store.get(&r.parent_key).await?;
            let definition = match &parent {
                Some(p) => Some(tracked::decode::<super::image::Images>(p)?),
                None => None,
            };
            let size = v
                .storage
                .os_disk_image
                .as_ref()
                .and_then(|d| d.size_in_gb)
                .unwrap_or(state.settings.default_source_size_gb);
            SourceFacts {
                kind,
                // A version can be a source wherever it is published.
                locations: v
                    .publishing
                    .target_regions
                    .iter()
                    .map(|t| t.name.clone())
                    .collect(),
                os_type: definition.as_ref().map(|d| d.os_type),
                os_state: definition.as_ref().map(|d| d.os_state),
                hyper_v_generation: definition.as_ref().map(|d| d.hyper_v_generation),
                os_size_gb: size,
                data_disks: v
                    .storage
                    .data_disk_images
                    .iter()
                    .filter_map(|d| {
                        Some(DataDisk {
                            lun: d.lun?,
                            disk_size_gb: d.size_in_gb.unwrap_or(size),
                        })
                    })
                    .collect(),
            }
        }
        SourceKind::VirtualMachine => return Ok(None),
    }))
}

/// Checks every source of a new version and fills in the disk sizes Azure
/// reports once the version exists. Unknown sources are taken on trust
/// (with the default size) unless `--strict-sources`.
pub async fn resolve(
    state: &AppState,
    storage: &StorageProfile,
    definition: &Image,
    version_location: &str,
) -> Result<StorageProfile, ArmError> {
    let default_size = state.settings.default_source_size_gb;
    let mut resolved = storage.clone();
    let known =
        |facts: Option<SourceFacts>, id: &str, kind: SourceKind| -> Result<SourceFacts, ArmError> {
            match facts {
                Some(f) => Ok(f),
                None if state.settings.strict_sources => {
                    Err(DomainError::SourceNotFound { id: id.to_string() }.into())
                }
                None => Ok(source::assumed(
                    kind,
                    definition,
                    version_location,
                    default_size,
                )),
            }
        };
    if let Some(full) = &storage.source {
        let id = full.id.as_ref().or(full.virtual_machine_id.as_ref());
        if let Some(id) = id {
            let kind = source::kind_of(id).unwrap_or(SourceKind::ManagedImage);
            let facts = known(facts_of(state, id).await?, id, kind)?;
            source::check(&facts, id, Slot::Full, definition, version_location)?;
            let os = resolved.os_disk_image.get_or_insert_with(Default::default);
            os.size_in_gb = Some(facts.os_size_gb);
            os.host_caching
                .get_or_insert(crate::domain::image::HostCaching::ReadOnly);
            for d in &facts.data_disks {
                if !resolved
                    .data_disk_images
                    .iter()
                    .any(|x| x.lun == Some(d.lun))
                {
                    resolved
                        .data_disk_images
                        .push(crate::domain::image_version::DiskImage {
                            lun: Some(d.lun),
                            size_in_gb: Some(d.disk_size_gb),
                            host_caching: Some(crate::domain::image::HostCaching::None),
                            source: None,
                        });
                }
            }
        }
    }
    let disks = resolved
        .os_disk_image
        .iter_mut()
        .chain(resolved.data_disk_images.iter_mut());
    for disk in disks {
        let Some(id) = disk.source.as_ref().and_then(|s| s.id.clone()) else {
            continue;
        };
        let kind = source::kind_of(&id).unwrap_or(SourceKind::Snapshot);
        let facts = known(facts_of(state, &id).await?, &id, kind)?;
        source::check(&facts, &id, Slot::Disk, definition, version_location)?;
        disk.size_in_gb = Some(facts.os_size_gb);
        disk.host_caching
            .get_or_insert(crate::domain::image::HostCaching::ReadOnly);
    }
    Ok(resolved)
}
