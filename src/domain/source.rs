//! Sources of image versions: managed images, snapshots, disks (the minimal
//! `Microsoft.Compute` resources the emulator keeps so a version has
//! something to be made from) and other image versions; and the checks Azure
//! makes between a source, the version and its definition.

use serde::{Deserialize, Serialize};

use super::image::{HyperVGeneration, Image, OsState, OsType};
use super::tags::Tags;
use super::{DomainError, arm_enum};

/// Azure's limit on a source disk for full replication (the seed's figure).
pub const MAX_DISK_GB: i32 = 1024;

arm_enum!(SourceKind {
    ManagedImage = "Microsoft.Compute/images",
    Snapshot = "Microsoft.Compute/snapshots",
    Disk = "Microsoft.Compute/disks",
    ImageVersion = "Microsoft.Compute/galleries/images/versions",
    VirtualMachine = "Microsoft.Compute/virtualMachines",
});

/// A snapshot or managed disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disk {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<OsType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyper_v_generation: Option<HyperVGeneration>,
    #[serde(rename = "diskSizeGB")]
    pub disk_size_gb: i32,
    pub create_option: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataDisk {
    pub lun: i32,
    #[serde(rename = "diskSizeGB")]
    pub disk_size_gb: i32,
}

/// A managed image (`Microsoft.Compute/images`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedImage {
    pub os_type: OsType,
    pub os_state: OsState,
    pub hyper_v_generation: HyperVGeneration,
    #[serde(rename = "osDiskSizeGB")]
    pub os_disk_size_gb: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_disks: Vec<DataDisk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// What the checks need to know of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    pub kind: SourceKind,
    /// The regions the source can be used in (an image version: every
    /// region it is published to).
    pub locations: Vec<String>,
    pub os_type: Option<OsType>,
    pub os_state: Option<OsState>,
    pub hyper_v_generation: Option<HyperVGeneration>,
    pub os_size_gb: i32,
    pub data_disks: Vec<DataDisk>,
}

/// Where in the storage profile a source id was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `storageProfile.source.id`: a managed image, VM or image version.
    Full,
    /// `osDiskImage.source.id` or a data disk's: a disk or snapshot.
    Disk,
}

/// Checks a known source against the version (region) and its definition
/// (OS type, OS state, Hyper-V generation), and Azure's size limit.
pub fn check(
    facts: &SourceFacts,
    id: &str,
    slot: Slot,
    definition: &Image,
    version_location: &str,
) -> Result<(), DomainError> {
    let kind_ok = match slot {
        Slot::Full => matches!(
            facts.kind,
            SourceKind::ManagedImage | SourceKind::ImageVersion | SourceKind::VirtualMachine
        ),
        Slot::Disk => matches!(facts.kind, SourceKind::Snapshot | SourceKind::Disk),
    };
    if !kind_ok {
        let message = match slot {
            Slot::Full => format!(
                "The source id: {id} must either be a managed image, virtual machine or another gallery image version"
            ),
            Slot::Disk => format!("The source id: {id} must be a managed disk or snapshot."),
        };
        return Err(DomainError::invalid("storageProfile", message));
    }
    if !facts.locations.iter().any(|l| l == version_location) {
        return Err(DomainError::SourceNotFound { id: id.to_string() });
    }
    if let Some(os_type) = facts.os_type
        && os_type != definition.os_type
    {
        return Err(DomainError::invalid(
            "storageProfile",
            format!(
                "The resource with id '{id}' has a different OS type ['{}'] than the parent gallery image OS type generation ['{}']",
                os_type.as_str(),
                definition.os_type.as_str()
            ),
        ));
    }
    if let Some(os_state) = facts.os_state
        && os_state != definition.os_state
    {
        return Err(DomainError::invalid(
            "storageProfile",
            format!(
                "Cannot create Gallery Image Version from: {id} since the OS State in the parent gallery image ({}) is not {}.",
                definition.os_state.as_str(),
                os_state.as_str()
            ),
        ));
    }
    if let Some(generation) = facts.hyper_v_generation
        && generation != definition.hyper_v_generation
    {
        return Err(DomainError::invalid(
            "storageProfile",
            format!(
                "The resource with id '{id}' has a different Hypervisor generation ['{}'] than the parent gallery image Hypervisor generation ['{}']",
                generation.as_str(),
                definition.hyper_v_generation.as_str()
            ),
        ));
    }
    let largest = facts
        .data_disks
        .iter()
        .map(|d| d.disk_size_gb)
        .chain([facts.os_size_gb])
        .max()
        .unwrap_or(0);
    if largest > MAX_DISK_GB {
        return Err(DomainError::invalid(
            "storageProfile",
            format!(
                "The source {id} has a disk of {largest} GB; gallery image versions support disks of at most {MAX_DISK_GB} GB."
            ),
        ));
    }
    Ok(())
}

/// Facts for a source id the emulator does not know: taken from the
/// definition, in the version's region, of the default size.
pub fn assumed(
    kind: SourceKind,
    definition: &Image,
    version_location: &str,
    size_gb: i32,
) -> SourceFacts {
    SourceFacts {
        kind,
        locations: vec![version_location.to_string()],
        os_type: Some(definition.os_type),
        os_state: Some(definition.os_state),
        hyper_v_generation: Some(definition.hyper_v_generation),
        os_size_gb: size_gb,
        data_disks: Vec::new(),
    }
}

/// The kind of resource an ARM id names, from its type segments.
pub fn kind_of(id: &str) -> Option<SourceKind> {
    let lower = id.to_ascii_lowercase();
    let segments: Vec<&str> = lower.trim_matches('/').split('/').collect();
    let provider = segments.iter().position(|s| *s == "providers")?;
    let types: Vec<&str> = segments[provider + 2..]
        .iter()
        .step_by(2)
        .copied()
        .collect();
    if segments.get(provider + 1) != Some(&"microsoft.compute") {
        return None;
    }
    match types.as_slice() {
        ["images"] => Some(SourceKind::ManagedImage),
        ["snapshots"] => Some(SourceKind::Snapshot),
        ["disks"] => Some(SourceKind::Disk),
        ["virtualmachines"] => Some(SourceKind::VirtualMachine),
        ["galleries", "images", "versions"] => Some(SourceKind::ImageVersion),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::image::{Architecture, Identifier};

    fn definition() -> Image {
        Image {
            description: None,
            eula: None,
            privacy_statement_uri: None,
            release_note_uri: None,
            os_type: OsType::Linux,
            os_state: OsState::Generalized,
            hyper_v_generation: HyperVGeneration::V2,
            end_of_life_date: None,
            identifier: Identifier {
                publisher: "p".into(),
                offer: "o".into(),
                sku: "s".into(),
            },
            recommended: None,
            disallowed: None,
            purchase_plan: None,
            features: Vec::new(),
            architecture: Architecture::X64,
            tags: None,
        }
    }

    fn facts(kind: SourceKind) -> SourceFacts {
        assumed(kind, &definition(), "westus", 30)
    }

    #[test]
    fn ids_name_their_kind() {
        assert_eq!(
            kind_of("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/i"),
            Some(SourceKind::ManagedImage)
        );
        assert_eq!(
            kind_of("/subscriptions/s/resourceGroups/rg/providers/microsoft.compute/Snapshots/x"),
            Some(SourceKind::Snapshot)
        );
        assert_eq!(
            kind_of(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0"
            ),
            Some(SourceKind::ImageVersion)
        );
        assert_eq!(
            kind_of(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
            ),
            None
        );
    }

    #[test]
    fn a_matching_source_passes_and_each_mismatch_is_named() {
        let d = definition();
        assert!(
            check(
                &facts(SourceKind::ManagedImage),
                "id",
                Slot::Full,
                &d,
                "westus"
            )
            .is_ok()
        );
        assert!(check(&facts(SourceKind::Snapshot), "id", Slot::Full, &d, "westus").is_err());
        assert!(
            check(
                &facts(SourceKind::ManagedImage),
                "id",
                Slot::Disk,
                &d,
                "westus"
            )
            .is_err()
        );
        assert!(matches!(
            check(
                &facts(SourceKind::ManagedImage),
                "id",
                Slot::Full,
                &d,
                "eastus"
            ),
            Err(DomainError::SourceNotFound { .. })
        ));
        let mut windows = facts(SourceKind::ManagedImage);
        windows.os_type = Some(OsType::Windows);
        assert!(check(&windows, "id", Slot::Full, &d, "westus").is_err());
        let mut specialized = facts(SourceKind::ManagedImage);
        specialized.os_state = Some(OsState::Specialized);
        assert!(check(&specialized, "id", Slot::Full, &d, "westus").is_err());
        let mut gen1 = facts(SourceKind::Snapshot);
        gen1.hyper_v_generation = Some(HyperVGeneration::V1);
        assert!(check(&gen1, "id", Slot::Disk, &d, "westus").is_err());
        let mut huge = facts(SourceKind::Disk);
        huge.os_size_gb = MAX_DISK_GB + 1;
        assert!(check(&huge, "id", Slot::Disk, &d, "westus").is_err());
    }
}
