//! Image versions (`galleries/images/versions`): `Major.Minor.Patch` names,
//! publishing to target regions, the source of the disks, what an update may
//! change, and which version is "latest".

use serde::{Deserialize, Serialize};

use super::image::HostCaching;
use super::region;
use super::tags::{self, Tags};
use super::{DomainError, arm_enum};

pub const TYPE_NAME: &str = "Microsoft.Compute/galleries/images/versions";

arm_enum!(StorageAccountType {
    StandardLrs = "Standard_LRS",
    StandardZrs = "Standard_ZRS",
    PremiumLrs = "Premium_LRS",
    PremiumV2Lrs = "PremiumV2_LRS",
});
arm_enum!(ReplicationMode { Full = "Full", Shallow = "Shallow" });
arm_enum!(StorageAccountStrategy {
    PreferStandardZrs = "PreferStandard_ZRS",
    DefaultStandardLrs = "DefaultStandard_LRS",
});
arm_enum!(ReplicationState {
    Unknown = "Unknown",
    Replicating = "Replicating",
    Completed = "Completed",
    Failed = "Failed",
});

/// A version number: `Major.Minor.Patch`, each a non-negative 32-bit integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionNumber(pub u32, pub u32, pub u32);

impl VersionNumber {
    pub fn parse(name: &str, target: &str) -> Result<Self, DomainError> {
        let invalid = || {
            DomainError::invalid(
                target,
                "The image version name is invalid. The image version name should follow Major(int).Minor(int).Patch(int) format, where int is between 0 and 2,147,483,647 (inclusive). For e.g: 1.0.0, 2018.12.1 etc.",
            )
        };
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() != 3 {
            return Err(invalid());
        }
        let mut numbers = [0u32; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || part.len() > 10 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let n: u64 = part.parse().map_err(|_| invalid())?;
            if n > i32::MAX as u64 {
                return Err(invalid());
            }
            *slot = n as u32;
        }
        Ok(VersionNumber(numbers[0], numbers[1], numbers[2]))
    }

    /// A key whose text order is the numeric order, for the store's index.
    pub fn sort_key(self) -> String {
        format!("{:010}.{:010}.{:010}", self.0, self.1, self.2)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskSecurityProfile {
    #[serde(
        rename = "confidentialVMEncryptionType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub confidential_vm_encryption_type: Option<String>,
    #[serde(
        rename = "secureVMDiskEncryptionSetId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub secure_vm_disk_encryption_set_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsDiskEncryption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_encryption_set_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_profile: Option<DiskSecurityProfile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataDiskEncryption {
    pub lun: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_encryption_set_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_profile: Option<DiskSecurityProfile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encryption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk_image: Option<OsDiskEncryption>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_disk_images: Vec<DataDiskEncryption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalReplicaSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_type: Option<StorageAccountType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_replica_count: Option<i32>,
}

/// A region a version is published to, as stored (region in canonical form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRegion {
    pub name: String,
    pub regional_replica_count: i32,
    pub storage_account_type: StorageAccountType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    #[serde(default)]
    pub exclude_from_latest: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_replica_sets: Vec<AdditionalReplicaSet>,
}

/// A target region as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetRegionRequest {
    pub name: Option<String>,
    pub regional_replica_count: Option<i32>,
    pub storage_account_type: Option<StorageAccountType>,
    pub encryption: Option<Encryption>,
    pub exclude_from_latest: Option<bool>,
    pub additional_replica_sets: Vec<AdditionalReplicaSet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Publishing {
    pub target_regions: Vec<TargetRegion>,
    pub replica_count: i32,
    pub exclude_from_latest: bool,
    pub published_date: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_life_date: Option<i64>,
    pub storage_account_type: StorageAccountType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_mode: Option<ReplicationMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_strategy: Option<StorageAccountStrategy>,
    /// Replication to each target region, as planned and as far as it got.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replication: Vec<super::replication::RegionJob>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishingRequest {
    pub target_regions: Option<Vec<TargetRegionRequest>>,
    pub replica_count: Option<i32>,
    pub exclude_from_latest: Option<bool>,
    pub end_of_life_date: Option<i64>,
    pub storage_account_type: Option<StorageAccountType>,
    pub replication_mode: Option<ReplicationMode>,
    pub storage_account_strategy: Option<StorageAccountStrategy>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_gallery_image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_machine_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lun: Option<i32>,
    #[serde(rename = "sizeInGB", default, skip_serializing_if = "Option::is_none")]
    pub size_in_gb: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_caching: Option<HostCaching>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DiskSource>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<FullSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk_image: Option<DiskImage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_disk_images: Vec<DiskImage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafetyProfile {
    pub allow_deletion_of_replicated_locations: bool,
    pub block_deletion_before_end_of_life: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafetyRequest {
    pub allow_deletion_of_replicated_locations: Option<bool>,
    pub block_deletion_before_end_of_life: Option<bool>,
}

/// Replication of the version to one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionReplication {
    pub region: String,
    pub state: ReplicationState,
    pub progress: i32,
    pub details: String,
}

/// The stored state of an image version beyond its name and location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageVersion {
    pub publishing: Publishing,
    pub storage: StorageProfile,
    pub safety: SafetyProfile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// What a client sends for a version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageVersionRequest {
    pub publishing: Option<PublishingRequest>,
    pub storage: Option<StorageProfile>,
    pub safety: Option<SafetyRequest>,
    pub tags: Option<Tags>,
}

/// Limits that are Azure's defaults and configurable, and the defaults that
/// depend on the api-version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_replicas_per_region: i32,
    /// From 2025-03-03, a version that names neither a storage account type
    /// nor a strategy gets `PreferStandard_ZRS`.
    pub prefer_zrs_by_default: bool,
}

impl Limits {
    pub fn new(max_replicas_per_region: i32, api_version: &str) -> Self {
        Limits {
            max_replicas_per_region,
            prefer_zrs_by_default: api_version >= "2025-03-03",
        }
    }
}

const PREFIX: &str = "galleryImageVersion.properties";

fn invalid(path: &str, message: impl Into<String>) -> DomainError {
    DomainError::invalid(format!("{PREFIX}.{path}"), message)
}

fn check_replicas(value: i32, path: &str, limits: Limits) -> Result<(), DomainError> {
    if !(1..=limits.max_replicas_per_region).contains(&value) {
        return Err(invalid(
            path,
            format!(
                "The value {value} of parameter {path} is out of range. The value must be between 1 and {}, inclusive.",
                limits.max_replicas_per_region
            ),
        ));
    }
    Ok(())
}

/// Resolves the target regions of a request: canonical names, the home
/// region present, no duplicates, known regions, ZRS only where zones exist,
/// replica counts within limits.
fn resolve_regions(
    requested: Option<&[TargetRegionRequest]>,
    home: &str,
    replica_count: i32,
    storage_account_type: StorageAccountType,
    strategy: Option<StorageAccountStrategy>,
    limits: Limits,
) -> Result<Vec<TargetRegion>, DomainError> {
    let default_home = [TargetRegionRequest {
        name: Some(home.to_string()),
        ..Default::default()
    }];
    let requested = match requested {
        Some(list) if !list.is_empty() => list,
        _ => &default_home[..],
    };
    let mut regions: Vec<TargetRegion> = Vec::with_capacity(requested.len());
    for (i, t) in requested.iter().enumerate() {
        let path = format!("publishingProfile.targetRegions[{i}]");
        let name = t.name.as_deref().ok_or_else(|| {
            invalid(
                &format!("{path}.name"),
                "Required parameter 'name' is missing (null).",
            )
        })?;
        let found = region::find(name).ok_or_else(|| {
            invalid(
                &format!("{path}.name"),
                format!("The region '{name}' is not a known Azure region."),
            )
        })?;
        if regions.iter().any(|r| r.name == found.name) {
            return Err(invalid(
                "publishingProfile.targetRegions",
                "Duplicate regions are not allowed in target publishing regions.",
            ));
        }
        let count = t.regional_replica_count.unwrap_or(replica_count);
        check_replicas(count, &format!("{path}.regionalReplicaCount"), limits)?;
        let account = t.storage_account_type.unwrap_or(match strategy {
            Some(StorageAccountStrategy::PreferStandardZrs) if found.has_zones => {
                StorageAccountType::StandardZrs
            }
            _ => storage_account_type,
        });
        if account == StorageAccountType::StandardZrs && !found.has_zones {
            return Err(invalid(
                &format!("{path}.storageAccountType"),
                format!(
                    "ZRS storage account type is not supported in this region ('{}').",
                    found.name
                ),
            ));
        }
        for (j, set) in t.additional_replica_sets.iter().enumerate() {
            if let Some(n) = set.regional_replica_count {
                check_replicas(
                    n,
                    &format!("{path}.additionalReplicaSets[{j}].regionalReplicaCount"),
                    limits,
                )?;
            }
        }
        regions.push(TargetRegion {
            name: found.name.to_string(),
            regional_replica_count: count,
            storage_account_type: account,
            encryption: t.encryption.clone(),
            exclude_from_latest: t.exclude_from_latest.unwrap_or(false),
            additional_replica_sets: t.additional_replica_sets.clone(),
        });
    }
    if !regions.iter().any(|r| r.name == home) {
        let listed: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
        return Err(invalid(
            "publishingProfile.targetRegions",
            format!(
                "Gallery image version publishing profile regions '{}' must contain the location of image version '{home}'.",
                listed.join(", ")
            ),
        ));
    }
    Ok(regions)
}

/// How many disks of each kind the storage profile names; exactly one kind of
/// source, unique LUNs and source ids.
fn validate_storage(storage: &StorageProfile) -> Result<(), DomainError> {
    let full = storage.source.as_ref().map_or(0, |s| {
        [&s.id, &s.community_gallery_image_id, &s.virtual_machine_id]
            .iter()
            .filter(|v| v.is_some())
            .count()
    });
    let disk_sources: Vec<&DiskSource> = storage
        .os_disk_image
        .iter()
        .chain(storage.data_disk_images.iter())
        .filter_map(|d| d.source.as_ref())
        .filter(|s| s.id.is_some() || s.uri.is_some())
        .collect();
    let one_and_only = "The gallery artifact version source can only be specified either directly under storageProfile or within individual OS or data disks. One and only one source type (user image, snapshot, disk, virtual machine) can be provided.";
    if full > 1 || (full == 1 && !disk_sources.is_empty()) || (full == 0 && disk_sources.is_empty())
    {
        return Err(invalid("storageProfile", one_and_only));
    }
    let mut luns = std::collections::HashSet::new();
    for (i, d) in storage.data_disk_images.iter().enumerate() {
        let lun = d.lun.ok_or_else(|| {
            invalid(
                &format!("storageProfile.dataDiskImages[{i}].lun"),
                "Required parameter 'lun' is missing (null).",
            )
        })?;
        if !luns.insert(lun) {
            return Err(invalid(
                "storageProfile.dataDiskImages",
                "Duplicated lun numbers have been detected in the input data disks. Lun number must be unique for each data disk.",
            ));
        }
    }
    let mut ids = std::collections::HashSet::new();
    for s in &disk_sources {
        if let Some(id) = &s.id
            && !ids.insert(id.to_ascii_lowercase())
        {
            return Err(invalid(
                "storageProfile",
                "Duplicated source ids are found in the input disks. Source id should be unique for each disk.",
            ));
        }
    }
    for id in storage
        .source
        .iter()
        .flat_map(|s| [&s.id, &s.virtual_machine_id])
        .flatten()
        .chain(disk_sources.iter().filter_map(|s| s.id.as_ref()))
    {
        let lower = id.to_ascii_lowercase();
        if !(lower.starts_with("/subscriptions/") || lower.starts_with("/providers/")) {
            return Err(invalid(
                "storageProfile",
                format!(
                    "Property id {id} at path 'properties.storageProfile' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'."
                ),
            ));
        }
    }
    Ok(())
}

/// A new version from a PUT.
pub fn create(
    request: ImageVersionRequest,
    home: &str,
    now: i64,
    limits: Limits,
) -> Result<ImageVersion, DomainError> {
    let storage = request.storage.ok_or_else(|| {
        invalid(
            "storageProfile",
            "Required parameter 'storageProfile' is missing (null).",
        )
    })?;
    validate_storage(&storage)?;
    let publishing = publish(request.publishing.unwrap_or_default(), home, now, limits)?;
    let safety = request.safety.unwrap_or_default();
    let version = ImageVersion {
        publishing,
        storage,
        safety: SafetyProfile {
            allow_deletion_of_replicated_locations: safety
                .allow_deletion_of_replicated_locations
                .unwrap_or(false),
            block_deletion_before_end_of_life: safety
                .block_deletion_before_end_of_life
                .unwrap_or(false),
        },
        tags: request.tags,
    };
    if let Some(tags) = &version.tags {
        tags::validate(tags)?;
    }
    Ok(version)
}

/// The publishing profile of a new version (image or application): storage
/// settings, target regions with the home region, replica counts, defaults.
/// Error targets name `galleryImageVersion.properties`; see `rebase`.
pub fn publish(
    p: PublishingRequest,
    home: &str,
    now: i64,
    limits: Limits,
) -> Result<Publishing, DomainError> {
    if p.storage_account_type.is_some() && p.storage_account_strategy.is_some() {
        return Err(invalid(
            "publishingProfile.storageAccountStrategy",
            "storageAccountType and storageAccountStrategy cannot both be set.",
        ));
    }
    let replica_count = p.replica_count.unwrap_or(1);
    check_replicas(replica_count, "publishingProfile.replicaCount", limits)?;
    let strategy = p.storage_account_strategy.or((limits.prefer_zrs_by_default
        && p.storage_account_type.is_none())
    .then_some(StorageAccountStrategy::PreferStandardZrs));
    let storage_account_type = p
        .storage_account_type
        .unwrap_or(StorageAccountType::StandardLrs);
    let target_regions = resolve_regions(
        p.target_regions.as_deref(),
        home,
        replica_count,
        storage_account_type,
        strategy,
        limits,
    )?;
    if let Some(eol) = p.end_of_life_date
        && eol <= now
    {
        return Err(invalid(
            "publishingProfile.endOfLifeDate",
            "EndOfLifeDate must be set to a future date.",
        ));
    }
    Ok(Publishing {
        target_regions,
        replica_count,
        exclude_from_latest: p.exclude_from_latest.unwrap_or(false),
        published_date: now,
        end_of_life_date: p.end_of_life_date,
        storage_account_type,
        replication_mode: p.replication_mode,
        storage_account_strategy: strategy,
        replication: Vec::new(),
    })
}

/// Moves an error's target from `galleryImageVersion.properties` to another
/// artifact's properties (application versions share the publishing rules).
pub fn rebase(e: DomainError, prefix: &str) -> DomainError {
    let moved = |path: String| match path.strip_prefix(PREFIX) {
        Some(rest) => format!("{prefix}{rest}"),
        None => path,
    };
    match e {
        DomainError::InvalidParameter { target, message } => DomainError::InvalidParameter {
            target: moved(target),
            message,
        },
        DomainError::PropertyChangeNotAllowed { path } => {
            DomainError::PropertyChangeNotAllowed { path: moved(path) }
        }
        other => other,
    }
}

fn change_not_allowed(path: &str) -> DomainError {
    DomainError::PropertyChangeNotAllowed {
        path: format!("{PREFIX}.{path}"),
    }
}

/// An update (PUT on an existing version, or PATCH): target regions and their
/// replica counts, exclusion from latest, end of life, safety profile and tags
/// may change; sources, disks and storage settings may not.
pub fn update(
    stored: &ImageVersion,
    request: ImageVersionRequest,
    home: &str,
    now: i64,
    limits: Limits,
) -> Result<ImageVersion, DomainError> {
    if let Some(storage) = &request.storage {
        check_storage_unchanged(&stored.storage, storage)?;
    }
    let mut next = stored.clone();
    if let Some(p) = request.publishing {
        let allow = request
            .safety
            .as_ref()
            .and_then(|s| s.allow_deletion_of_replicated_locations)
            .unwrap_or(stored.safety.allow_deletion_of_replicated_locations);
        next.publishing = republish(&stored.publishing, p, allow, home, now, limits)?;
    }
    if let Some(s) = request.safety {
        if let Some(v) = s.allow_deletion_of_replicated_locations {
            next.safety.allow_deletion_of_replicated_locations = v;
        }
        if let Some(v) = s.block_deletion_before_end_of_life {
            next.safety.block_deletion_before_end_of_life = v;
        }
    }
    if let Some(tags) = request.tags {
        tags::validate(&tags)?;
        next.tags = Some(tags);
    }
    Ok(next)
}

/// An update of a publishing profile: regions added, removed (only with
/// `allow_deletion`) or re-counted, exclusion and end of life; the storage
/// settings are fixed.
pub fn republish(
    held: &Publishing,
    p: PublishingRequest,
    allow_deletion: bool,
    home: &str,
    now: i64,
    limits: Limits,
) -> Result<Publishing, DomainError> {
    let mut next = held.clone();
    if p.storage_account_type
        .is_some_and(|t| t != held.storage_account_type)
    {
        return Err(change_not_allowed("publishingProfile.storageAccountType"));
    }
    if p.replication_mode
        .is_some_and(|m| Some(m) != held.replication_mode)
    {
        return Err(change_not_allowed("publishingProfile.replicationMode"));
    }
    if p.storage_account_strategy
        .is_some_and(|s| Some(s) != held.storage_account_strategy)
    {
        return Err(change_not_allowed(
            "publishingProfile.storageAccountStrategy",
        ));
    }
    let replica_count = p.replica_count.unwrap_or(held.replica_count);
    check_replicas(replica_count, "publishingProfile.replicaCount", limits)?;
    if let Some(requested) = p.target_regions.as_deref() {
        let regions = resolve_regions(
            Some(requested),
            home,
            replica_count,
            held.storage_account_type,
            held.storage_account_strategy,
            limits,
        )?;
        for region in &regions {
            if let Some(old) = held.target_regions.iter().find(|r| r.name == region.name)
                && old.storage_account_type != region.storage_account_type
            {
                return Err(change_not_allowed(
                    "publishingProfile.targetRegions.storageAccountType",
                ));
            }
        }
        let removed: Vec<&str> = held
            .target_regions
            .iter()
            .filter(|old| !regions.iter().any(|r| r.name == old.name))
            .map(|r| r.name.as_str())
            .collect();
        if !removed.is_empty() && !allow_deletion {
            return Err(DomainError::invalid(
                format!("{PREFIX}.publishingProfile.targetRegions"),
                format!(
                    "Removing replicated regions '{}' is not allowed unless safetyProfile.allowDeletionOfReplicatedLocations is true.",
                    removed.join(", ")
                ),
            ));
        }
        // A region listed again without its encryption keeps the stored one.
        let regions = regions
            .into_iter()
            .map(|mut region| {
                if region.encryption.is_none() {
                    region.encryption = held
                        .target_regions
                        .iter()
                        .find(|old| old.name == region.name)
                        .and_then(|old| old.encryption.clone());
                }
                region
            })
            .collect();
        next.target_regions = regions;
    }
    next.replica_count = replica_count;
    if let Some(exclude) = p.exclude_from_latest {
        next.exclude_from_latest = exclude;
    }
    if let Some(eol) = p.end_of_life_date {
        if eol <= now {
            return Err(invalid(
                "publishingProfile.endOfLifeDate",
                "EndOfLifeDate must be set to a future date.",
            ));
        }
        next.end_of_life_date = Some(eol);
    }
    Ok(next)
}

/// Sources and disk layout are fixed at creation; a request may repeat them
/// (clients send the storage profile back on PATCH) or send `{}`.
fn check_storage_unchanged(
    held: &StorageProfile,
    sent: &StorageProfile,
) -> Result<(), DomainError> {
    let full = |s: &StorageProfile| s.source.clone().unwrap_or_default();
    let sent_full = full(sent);
    let held_full = full(held);
    for (sent, held, path) in [
        (&sent_full.id, &held_full.id, "storageProfile.source.id"),
        (
            &sent_full.virtual_machine_id,
            &held_full.virtual_machine_id,
            "storageProfile.source.virtualMachineId",
        ),
        (
            &sent_full.community_gallery_image_id,
            &held_full.community_gallery_image_id,
            "storageProfile.source.communityGalleryImageId",
        ),
    ] {
        if let Some(v) = sent
            && !held.as_ref().is_some_and(|h| h.eq_ignore_ascii_case(v))
        {
            return Err(change_not_allowed(path));
        }
    }
    if let Some(os) = &sent.os_disk_image
        && let Some(id) = os.source.as_ref().and_then(|s| s.id.as_ref())
    {
        let held_id = held
            .os_disk_image
            .as_ref()
            .and_then(|d| d.source.as_ref())
            .and_then(|s| s.id.as_ref());
        if !held_id.is_some_and(|h| h.eq_ignore_ascii_case(id)) {
            return Err(change_not_allowed("storageProfile.osDiskImage.source.id"));
        }
    }
    for d in &sent.data_disk_images {
        let Some(held_disk) = held.data_disk_images.iter().find(|h| h.lun == d.lun) else {
            return Err(DomainError::PropertyChangeNotAllowed {
                path: format!("{PREFIX}.storageProfile.dataDiskImages"),
            });
        };
        let sent_id = d.source.as_ref().and_then(|s| s.id.as_ref());
        let held_id = held_disk.source.as_ref().and_then(|s| s.id.as_ref());
        if let Some(id) = sent_id
            && !held_id.is_some_and(|h| h.eq_ignore_ascii_case(id))
        {
            return Err(change_not_allowed(
                "storageProfile.dataDiskImages.source.id",
            ));
        }
    }
    Ok(())
}

/// Whether a version may be picked as "latest" in `region`: provisioned, not
/// excluded (globally, or in that region's entry) and published to that region.
pub fn eligible_for_latest(
    publishing: &Publishing,
    provisioned: bool,
    region: Option<&str>,
) -> bool {
    if !provisioned || publishing.exclude_from_latest {
        return false;
    }
    match region {
        None => true,
        Some(wanted) => publishing
            .target_regions
            .iter()
            .any(|r| r.name == wanted && !r.exclude_from_latest),
    }
}

/// The highest eligible version among `candidates` (number, publishing
/// profile, provisioned): image and application versions alike.
pub fn latest<'a>(
    candidates: impl IntoIterator<Item = (VersionNumber, &'a Publishing, bool)>,
    region: Option<&str>,
) -> Option<(VersionNumber, &'a Publishing)> {
    candidates
        .into_iter()
        .filter(|(_, v, provisioned)| eligible_for_latest(v, *provisioned, region))
        .max_by_key(|(n, _, _)| *n)
        .map(|(n, v, _)| (n, v))
}

/// Replication of each target region at `now`: as its job stands, or, for a
/// region without one (a version stored before replication was tracked),
/// complete once the version is provisioned.
pub fn replication(publishing: &Publishing, provisioned: bool, now: i64) -> Vec<RegionReplication> {
    publishing
        .target_regions
        .iter()
        .map(
            |r| match publishing.replication.iter().find(|j| j.region == r.name) {
                Some(job) => RegionReplication {
                    region: r.name.clone(),
                    state: job.state,
                    progress: job.progress(now),
                    details: job.details(),
                },
                None => RegionReplication {
                    region: r.name.clone(),
                    state: if provisioned {
                        ReplicationState::Completed
                    } else {
                        ReplicationState::Replicating
                    },
                    progress: if provisioned { 100 } else { 0 },
                    details: String::new(),
                },
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;
    const LIMITS: Limits = Limits {
        max_replicas_per_region: 10,
        prefer_zrs_by_default: false,
    };

    fn source() -> StorageProfile {
        StorageProfile {
            source: Some(FullSource {
                id: Some(
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/src"
                        .into(),
                ),
                ..FullSource::default()
            }),
            ..StorageProfile::default()
        }
    }

    fn regions(names: &[(&str, Option<i32>)]) -> ImageVersionRequest {
        ImageVersionRequest {
            storage: Some(source()),
            publishing: Some(PublishingRequest {
                target_regions: Some(
                    names
                        .iter()
                        .map(|(n, c)| TargetRegionRequest {
                            name: Some(n.to_string()),
                            regional_replica_count: *c,
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn target(e: DomainError) -> String {
        match e {
            DomainError::InvalidParameter { target, .. } => target,
            DomainError::PropertyChangeNotAllowed { path } => path,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn version_names_are_three_non_negative_int32_parts() {
        assert_eq!(
            VersionNumber::parse("1.0.0", "v").ok(),
            Some(VersionNumber(1, 0, 0))
        );
        assert_eq!(
            VersionNumber::parse("2147483647.0.1", "v").ok(),
            Some(VersionNumber(2147483647, 0, 1))
        );
        for bad in [
            "1.0",
            "1.0.0.0",
            "v1.0.0",
            "1.0.0-beta",
            "2147483648.0.0",
            "-1.0.0",
            "1..0",
            "1.0.x",
            " 1.0.0",
        ] {
            assert!(VersionNumber::parse(bad, "v").is_err(), "{bad}");
        }
        assert!(VersionNumber(1, 10, 0) > VersionNumber(1, 9, 99));
        assert!(VersionNumber(1, 10, 0).sort_key() > VersionNumber(1, 9, 99).sort_key());
    }

    #[test]
    fn the_home_region_is_filled_in_and_must_be_listed() {
        let v = create(
            ImageVersionRequest {
                storage: Some(source()),
                ..Default::default()
            },
            "westus",
            NOW,
            LIMITS,
        )
        .expect("valid");
        assert_eq!(v.publishing.target_regions.len(), 1);
        assert_eq!(v.publishing.target_regions[0].name, "westus");
        assert_eq!(v.publishing.target_regions[0].regional_replica_count, 1);
        assert_eq!(
            v.publishing.target_regions[0].storage_account_type,
            StorageAccountType::StandardLrs
        );
        let err =
            create(regions(&[("eastus", None)]), "westus", NOW, LIMITS).expect_err("home missing");
        assert_eq!(
            target(err),
            "galleryImageVersion.properties.publishingProfile.targetRegions"
        );
    }

    #[test]
    fn duplicate_unknown_and_zrs_without_zones_are_refused() {
        assert!(
            create(
                regions(&[("westus", None), ("West US", None)]),
                "westus",
                NOW,
                LIMITS
            )
            .is_err()
        );
        assert!(
            create(
                regions(&[("westus", None), ("atlantis", None)]),
                "westus",
                NOW,
                LIMITS
            )
            .is_err()
        );
        let mut r = regions(&[("westus", None)]);
        if let Some(p) = r.publishing.as_mut() {
            p.storage_account_type = Some(StorageAccountType::StandardZrs);
        }
        assert!(create(r, "westus", NOW, LIMITS).is_err());
        let mut r = regions(&[("eastus", None)]);
        if let Some(p) = r.publishing.as_mut() {
            p.storage_account_type = Some(StorageAccountType::StandardZrs);
        }
        assert!(create(r, "eastus", NOW, LIMITS).is_ok());
    }

    #[test]
    fn regional_replica_count_falls_back_to_replica_count_within_limits() {
        let mut r = regions(&[("westus", None), ("eastus", Some(3))]);
        if let Some(p) = r.publishing.as_mut() {
            p.replica_count = Some(2);
        }
        let v = create(r, "westus", NOW, LIMITS).expect("valid");
        assert_eq!(v.publishing.target_regions[0].regional_replica_count, 2);
        assert_eq!(v.publishing.target_regions[1].regional_replica_count, 3);
        assert!(create(regions(&[("westus", Some(11))]), "westus", NOW, LIMITS).is_err());
        assert!(create(regions(&[("westus", Some(0))]), "westus", NOW, LIMITS).is_err());
    }

    #[test]
    fn exactly_one_kind_of_source_is_required() {
        let none = ImageVersionRequest {
            storage: Some(StorageProfile::default()),
            ..Default::default()
        };
        assert!(create(none, "westus", NOW, LIMITS).is_err());
        let mut both = source();
        both.os_disk_image = Some(DiskImage {
            source: Some(DiskSource {
                id: Some("/subscriptions/s/snap".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert!(
            create(
                ImageVersionRequest {
                    storage: Some(both),
                    ..Default::default()
                },
                "westus",
                NOW,
                LIMITS
            )
            .is_err()
        );
        let missing = ImageVersionRequest::default();
        assert_eq!(
            target(create(missing, "westus", NOW, LIMITS).expect_err("no storage")),
            "galleryImageVersion.properties.storageProfile"
        );
    }

    #[test]
    fn updates_may_change_regions_but_not_sources_and_removal_needs_the_safety_flag() {
        let v = create(
            regions(&[("westus", None), ("eastus", None)]),
            "westus",
            NOW,
            LIMITS,
        )
        .expect("valid");
        let added = update(
            &v,
            regions(&[("westus", None), ("eastus", None), ("northeurope", Some(2))]),
            "westus",
            NOW,
            LIMITS,
        )
        .expect("adding is fine");
        assert_eq!(added.publishing.target_regions.len(), 3);
        let removal = update(&v, regions(&[("westus", None)]), "westus", NOW, LIMITS);
        assert!(removal.is_err());
        let mut allowed = regions(&[("westus", None)]);
        allowed.safety = Some(SafetyRequest {
            allow_deletion_of_replicated_locations: Some(true),
            ..Default::default()
        });
        assert_eq!(
            update(&v, allowed, "westus", NOW, LIMITS)
                .expect("allowed")
                .publishing
                .target_regions
                .len(),
            1
        );
        let mut other_source = regions(&[("westus", None), ("eastus", None)]);
        if let Some(s) = other_source.storage.as_mut() {
            s.source = Some(FullSource {
                id: Some("/subscriptions/s/other".into()),
                ..Default::default()
            });
        }
        assert_eq!(
            target(update(&v, other_source, "westus", NOW, LIMITS).expect_err("source change")),
            "galleryImageVersion.properties.storageProfile.source.id"
        );
        let empty = ImageVersionRequest {
            storage: Some(StorageProfile::default()),
            ..Default::default()
        };
        assert!(update(&v, empty, "westus", NOW, LIMITS).is_ok());
    }

    #[test]
    fn latest_is_the_highest_eligible_version_for_the_region() {
        let a = create(
            regions(&[("westus", None), ("eastus", None)]),
            "westus",
            NOW,
            LIMITS,
        )
        .expect("valid");
        let mut b = a.clone();
        b.publishing.exclude_from_latest = true;
        let mut c = a.clone();
        c.publishing.target_regions[1].exclude_from_latest = true;
        let candidates = || {
            vec![
                (VersionNumber(1, 0, 0), &a.publishing, true),
                (VersionNumber(3, 0, 0), &b.publishing, true),
                (VersionNumber(2, 0, 0), &c.publishing, true),
                (VersionNumber(4, 0, 0), &a.publishing, false),
            ]
        };
        assert_eq!(
            latest(candidates(), None).map(|l| l.0),
            Some(VersionNumber(2, 0, 0))
        );
        assert_eq!(
            latest(candidates(), Some("eastus")).map(|l| l.0),
            Some(VersionNumber(1, 0, 0))
        );
        assert_eq!(latest(candidates(), Some("northeurope")).map(|l| l.0), None);
    }

    #[test]
    fn from_2025_03_03_zone_redundant_storage_is_preferred_where_zones_exist() {
        let limits = Limits::new(10, "2025-03-03");
        let v = create(
            regions(&[("westus", None), ("eastus", None)]),
            "westus",
            NOW,
            limits,
        )
        .expect("valid");
        assert_eq!(
            v.publishing.storage_account_strategy,
            Some(StorageAccountStrategy::PreferStandardZrs)
        );
        assert_eq!(
            v.publishing.target_regions[0].storage_account_type,
            StorageAccountType::StandardLrs
        );
        assert_eq!(
            v.publishing.target_regions[1].storage_account_type,
            StorageAccountType::StandardZrs
        );
        let old = create(
            regions(&[("eastus", None)]),
            "eastus",
            NOW,
            Limits::new(10, "2024-03-03"),
        )
        .expect("valid");
        assert_eq!(old.publishing.storage_account_strategy, None);
        assert_eq!(
            old.publishing.target_regions[0].storage_account_type,
            StorageAccountType::StandardLrs
        );
    }
}
