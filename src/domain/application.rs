//! VM applications (`galleries/applications`) and their versions
//! (`…/applications/{a}/versions`). Applications are synchronous and carry no
//! provisioning state; versions publish and replicate like image versions and
//! share their publishing rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::image::OsType;
use super::image_version::{self, Limits, Publishing, PublishingRequest};
use super::tags::{self, Tags};
use super::{DomainError, arm_enum};

pub const TYPE_NAME: &str = "Microsoft.Compute/galleries/applications";
pub const VERSION_TYPE_NAME: &str = "Microsoft.Compute/galleries/applications/versions";

const PREFIX: &str = "galleryApplication.properties";
const VERSION_PREFIX: &str = "galleryApplicationVersion.properties";

arm_enum!(ParameterType {
    String = "String",
    ConfigurationDataBlob = "ConfigurationDataBlob",
    LogOutputBlob = "LogOutputBlob",
});
arm_enum!(RebootBehavior { None = "None", Rerun = "Rerun" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomActionParameter {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ParameterType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomAction {
    pub name: String,
    pub script: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<CustomActionParameter>,
}

/// The stored state of an application beyond its name and location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eula: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_statement_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_note_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_life_date: Option<i64>,
    #[serde(rename = "supportedOSType")]
    pub supported_os_type: OsType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_actions: Vec<CustomAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// An application as a client sends it; `None` is "not sent".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationRequest {
    pub description: Option<String>,
    pub eula: Option<String>,
    pub privacy_statement_uri: Option<String>,
    pub release_note_uri: Option<String>,
    pub end_of_life_date: Option<i64>,
    pub supported_os_type: Option<OsType>,
    pub custom_actions: Option<Vec<CustomAction>>,
    pub tags: Option<Tags>,
}

fn check_actions(actions: &[CustomAction], prefix: &str) -> Result<(), DomainError> {
    for (i, action) in actions.iter().enumerate() {
        if action.name.is_empty() || action.script.is_empty() {
            return Err(DomainError::invalid(
                format!("{prefix}.customActions[{i}]"),
                "A custom action needs a name and a script.",
            ));
        }
        if actions[..i]
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(&action.name))
        {
            return Err(DomainError::invalid(
                format!("{prefix}.customActions[{i}].name"),
                format!(
                    "Custom action names must be unique; '{}' is repeated.",
                    action.name
                ),
            ));
        }
        if let Some(j) = action.parameters.iter().position(|p| p.name.is_empty()) {
            return Err(DomainError::invalid(
                format!("{prefix}.customActions[{i}].parameters[{j}].name"),
                "Required parameter 'name' is missing (null).",
            ));
        }
    }
    Ok(())
}

fn check_end_of_life(date: Option<i64>, now: i64, path: &str) -> Result<(), DomainError> {
    if date.is_some_and(|d| d <= now) {
        return Err(DomainError::invalid(
            path,
            "EndOfLifeDate must be set to a future date.",
        ));
    }
    Ok(())
}

/// A new application (PUT): `supportedOSType` is required.
pub fn create(request: ApplicationRequest, now: i64) -> Result<Application, DomainError> {
    let supported_os_type = request.supported_os_type.ok_or_else(|| {
        DomainError::invalid(
            format!("{PREFIX}.supportedOSType"),
            "Required parameter 'supportedOSType' is missing (null).",
        )
    })?;
    let application = Application {
        description: request.description,
        eula: request.eula,
        privacy_statement_uri: request.privacy_statement_uri,
        release_note_uri: request.release_note_uri,
        end_of_life_date: request.end_of_life_date,
        supported_os_type,
        custom_actions: request.custom_actions.unwrap_or_default(),
        tags: request.tags,
    };
    check_end_of_life(
        application.end_of_life_date,
        now,
        &format!("{PREFIX}.endOfLifeDate"),
    )?;
    check_actions(&application.custom_actions, PREFIX)?;
    if let Some(tags) = &application.tags {
        tags::validate(tags)?;
    }
    Ok(application)
}

/// An update: everything but `supportedOSType` may change. With `replace`
/// (PUT) what is not sent is cleared; with PATCH it is kept.
pub fn update(
    stored: &Application,
    request: ApplicationRequest,
    replace: bool,
    now: i64,
) -> Result<Application, DomainError> {
    if replace && request.supported_os_type.is_none() {
        return Err(DomainError::invalid(
            format!("{PREFIX}.supportedOSType"),
            "Required parameter 'supportedOSType' is missing (null).",
        ));
    }
    if request
        .supported_os_type
        .is_some_and(|t| t != stored.supported_os_type)
    {
        return Err(DomainError::PropertyChangeNotAllowed {
            path: format!("{PREFIX}.supportedOSType"),
        });
    }
    let pick = |sent: Option<String>, held: &Option<String>| {
        if replace {
            sent
        } else {
            sent.or_else(|| held.clone())
        }
    };
    let application = Application {
        description: pick(request.description, &stored.description),
        eula: pick(request.eula, &stored.eula),
        privacy_statement_uri: pick(request.privacy_statement_uri, &stored.privacy_statement_uri),
        release_note_uri: pick(request.release_note_uri, &stored.release_note_uri),
        end_of_life_date: if replace {
            request.end_of_life_date
        } else {
            request.end_of_life_date.or(stored.end_of_life_date)
        },
        supported_os_type: stored.supported_os_type,
        custom_actions: match (request.custom_actions, replace) {
            (Some(actions), _) => actions,
            (None, true) => Vec::new(),
            (None, false) => stored.custom_actions.clone(),
        },
        tags: if replace {
            request.tags
        } else {
            request.tags.or_else(|| stored.tags.clone())
        },
    };
    if request.end_of_life_date.is_some() {
        check_end_of_life(
            application.end_of_life_date,
            now,
            &format!("{PREFIX}.endOfLifeDate"),
        )?;
    }
    check_actions(&application.custom_actions, PREFIX)?;
    if let Some(tags) = &application.tags {
        tags::validate(tags)?;
    }
    Ok(application)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub media_link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_configuration_link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManageActions {
    pub install: String,
    pub remove: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_behavior_after_reboot: Option<RebootBehavior>,
}

/// The stored state of an application version beyond its name and location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationVersion {
    pub publishing: Publishing,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_actions: Option<ManageActions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub advanced_settings: BTreeMap<String, String>,
    pub enable_health_check: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_actions: Vec<CustomAction>,
    pub allow_deletion_of_replicated_locations: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManageRequest {
    pub install: Option<String>,
    pub remove: Option<String>,
    pub update: Option<String>,
}

/// An application version as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationVersionRequest {
    pub publishing: Option<PublishingRequest>,
    pub media_link: Option<String>,
    pub default_configuration_link: Option<String>,
    pub manage_actions: Option<ManageRequest>,
    pub settings: Option<Settings>,
    pub advanced_settings: Option<BTreeMap<String, String>>,
    pub enable_health_check: Option<bool>,
    pub custom_actions: Option<Vec<CustomAction>>,
    pub allow_deletion_of_replicated_locations: Option<bool>,
    pub tags: Option<Tags>,
}

/// Azure's cap on script and file names in a version's manage actions and settings.
const MAX_COMMAND: usize = 4096;

fn manage(request: ManageRequest) -> Result<ManageActions, DomainError> {
    let path = format!("{VERSION_PREFIX}.publishingProfile.manageActions");
    let required = |value: Option<String>, name: &str| {
        value.filter(|v| !v.is_empty()).ok_or_else(|| {
            DomainError::invalid(
                format!("{path}.{name}"),
                format!("Required parameter '{name}' is missing (null)."),
            )
        })
    };
    let actions = ManageActions {
        install: required(request.install, "install")?,
        remove: required(request.remove, "remove")?,
        update: request.update,
    };
    for (value, name) in [
        (Some(&actions.install), "install"),
        (Some(&actions.remove), "remove"),
        (actions.update.as_ref(), "update"),
    ] {
        if value.is_some_and(|v| v.len() > MAX_COMMAND) {
            return Err(DomainError::invalid(
                format!("{path}.{name}"),
                format!("The {name} command may be at most {MAX_COMMAND} characters long."),
            ));
        }
    }
    Ok(actions)
}

/// A new application version (PUT): a media link is required; publishing
/// follows the image version rules.
pub fn create_version(
    request: ApplicationVersionRequest,
    home: &str,
    now: i64,
    limits: Limits,
) -> Result<ApplicationVersion, DomainError> {
    let media_link = request
        .media_link
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            DomainError::invalid(
                format!("{VERSION_PREFIX}.publishingProfile.source.mediaLink"),
                "Required parameter 'mediaLink' is missing (null).",
            )
        })?;
    let publishing =
        image_version::publish(request.publishing.unwrap_or_default(), home, now, limits)
            .map_err(|e| image_version::rebase(e, VERSION_PREFIX))?;
    let settings = request.settings;
    for (value, name) in [
        (
            settings.as_ref().and_then(|s| s.package_file_name.as_ref()),
            "packageFileName",
        ),
        (
            settings.as_ref().and_then(|s| s.config_file_name.as_ref()),
            "configFileName",
        ),
    ] {
        if value.is_some_and(|v| v.len() > MAX_COMMAND) {
            return Err(DomainError::invalid(
                format!("{VERSION_PREFIX}.publishingProfile.settings.{name}"),
                format!("The {name} may be at most {MAX_COMMAND} characters long."),
            ));
        }
    }
    let version = ApplicationVersion {
        publishing,
        source: Source {
            media_link,
            default_configuration_link: request.default_configuration_link,
        },
        manage_actions: request.manage_actions.map(manage).transpose()?,
        settings,
        advanced_settings: request.advanced_settings.unwrap_or_default(),
        enable_health_check: request.enable_health_check.unwrap_or(false),
        custom_actions: request.custom_actions.unwrap_or_default(),
        allow_deletion_of_replicated_locations: request
            .allow_deletion_of_replicated_locations
            .unwrap_or(false),
        tags: request.tags,
    };
    check_actions(
        &version.custom_actions,
        &format!("{VERSION_PREFIX}.publishingProfile"),
    )?;
    if let Some(tags) = &version.tags {
        tags::validate(tags)?;
    }
    Ok(version)
}

fn version_change(path: &str) -> DomainError {
    DomainError::PropertyChangeNotAllowed {
        path: format!("{VERSION_PREFIX}.{path}"),
    }
}

/// An update of a version: target regions and replica counts, exclusion from
/// latest, end of life, the safety profile and tags may change; the package,
/// its manage actions and settings may not.
pub fn update_version(
    stored: &ApplicationVersion,
    request: ApplicationVersionRequest,
    home: &str,
    now: i64,
    limits: Limits,
) -> Result<ApplicationVersion, DomainError> {
    if request
        .media_link
        .as_ref()
        .is_some_and(|m| m != &stored.source.media_link)
    {
        return Err(version_change("publishingProfile.source.mediaLink"));
    }
    if request
        .default_configuration_link
        .as_ref()
        .is_some_and(|l| Some(l) != stored.source.default_configuration_link.as_ref())
    {
        return Err(version_change(
            "publishingProfile.source.defaultConfigurationLink",
        ));
    }
    if let Some(sent) = request.manage_actions {
        let same = stored.manage_actions.as_ref().is_some_and(|held| {
            sent.install.as_ref().is_none_or(|v| v == &held.install)
                && sent.remove.as_ref().is_none_or(|v| v == &held.remove)
                && sent
                    .update
                    .as_ref()
                    .is_none_or(|v| Some(v) == held.update.as_ref())
        });
        if !same {
            return Err(version_change("publishingProfile.manageActions"));
        }
    }
    if let Some(sent) = &request.settings
        && Some(sent) != stored.settings.as_ref()
        && sent != &Settings::default()
    {
        return Err(version_change("publishingProfile.settings"));
    }
    let mut next = stored.clone();
    let allow = request
        .allow_deletion_of_replicated_locations
        .unwrap_or(stored.allow_deletion_of_replicated_locations);
    if let Some(p) = request.publishing {
        next.publishing = image_version::republish(&stored.publishing, p, allow, home, now, limits)
            .map_err(|e| image_version::rebase(e, VERSION_PREFIX))?;
    }
    next.allow_deletion_of_replicated_locations = allow;
    if let Some(health) = request.enable_health_check {
        next.enable_health_check = health;
    }
    if let Some(settings) = request.advanced_settings {
        next.advanced_settings = settings;
    }
    if let Some(actions) = request.custom_actions {
        check_actions(&actions, &format!("{VERSION_PREFIX}.publishingProfile"))?;
        next.custom_actions = actions;
    }
    if let Some(tags) = request.tags {
        tags::validate(&tags)?;
        next.tags = Some(tags);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    fn limits() -> Limits {
        Limits::new(10, "2024-03-03")
    }

    fn version_request() -> ApplicationVersionRequest {
        ApplicationVersionRequest {
            media_link: Some("https://acct.blob.core.windows.net/c/pkg".into()),
            manage_actions: Some(ManageRequest {
                install: Some("install.sh".into()),
                remove: Some("remove.sh".into()),
                update: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_application_needs_its_os_type_and_cannot_change_it() {
        assert!(create(ApplicationRequest::default(), NOW).is_err());
        let app = create(
            ApplicationRequest {
                supported_os_type: Some(OsType::Linux),
                ..Default::default()
            },
            NOW,
        )
        .expect("valid");
        let change = ApplicationRequest {
            supported_os_type: Some(OsType::Windows),
            ..Default::default()
        };
        assert!(matches!(
            update(&app, change, true, NOW),
            Err(DomainError::PropertyChangeNotAllowed { .. })
        ));
        let described = ApplicationRequest {
            description: Some("d".into()),
            ..Default::default()
        };
        assert!(
            update(&app, described.clone(), true, NOW).is_err(),
            "a PUT names the OS type"
        );
        assert_eq!(
            update(&app, described, false, NOW)
                .expect("patch")
                .description
                .as_deref(),
            Some("d")
        );
    }

    #[test]
    fn a_version_needs_a_media_link_and_both_manage_actions() {
        let mut r = version_request();
        r.media_link = None;
        assert!(create_version(r, "westus", NOW, limits()).is_err());
        let mut r = version_request();
        if let Some(m) = r.manage_actions.as_mut() {
            m.remove = None;
        }
        assert!(create_version(r, "westus", NOW, limits()).is_err());
        let v = create_version(version_request(), "westus", NOW, limits()).expect("valid");
        assert_eq!(v.publishing.target_regions[0].name, "westus");
        assert!(!v.enable_health_check);
    }

    #[test]
    fn publishing_errors_name_the_application_version() {
        let mut r = version_request();
        r.publishing = Some(PublishingRequest {
            replica_count: Some(0),
            ..Default::default()
        });
        match create_version(r, "westus", NOW, limits()) {
            Err(DomainError::InvalidParameter { target, .. }) => {
                assert_eq!(
                    target,
                    "galleryApplicationVersion.properties.publishingProfile.replicaCount"
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_package_manage_actions_and_settings_are_fixed() {
        let v = create_version(version_request(), "westus", NOW, limits()).expect("valid");
        let mut r = ApplicationVersionRequest {
            media_link: Some("https://other/pkg".into()),
            ..Default::default()
        };
        assert!(update_version(&v, r.clone(), "westus", NOW, limits()).is_err());
        r.media_link = None;
        r.manage_actions = Some(ManageRequest {
            install: Some("other.sh".into()),
            ..Default::default()
        });
        assert!(update_version(&v, r, "westus", NOW, limits()).is_err());
        let same = version_request();
        assert!(update_version(&v, same, "westus", NOW, limits()).is_ok());
    }
}
