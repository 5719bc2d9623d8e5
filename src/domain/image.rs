//! Image definitions (`galleries/images`): required identity of the image,
//! the publisher/offer/SKU triple unique within a gallery, the defaults Azure
//! fills in by api-version, and the few properties an update may change.

use serde::{Deserialize, Serialize};

use super::tags::{self, Tags};
use super::{DomainError, arm_enum};

pub const TYPE_NAME: &str = "Microsoft.Compute/galleries/images";

arm_enum!(OsType { Windows = "Windows", Linux = "Linux" });
arm_enum!(OsState { Generalized = "Generalized", Specialized = "Specialized" });
arm_enum!(HyperVGeneration { V1 = "V1", V2 = "V2" });
arm_enum!(Architecture { X64 = "x64", Arm64 = "Arm64" });
arm_enum!(HostCaching {
    None = "None",
    ReadOnly = "ReadOnly",
    ReadWrite = "ReadWrite",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    pub publisher: String,
    pub offer: String,
    pub sku: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommended {
    #[serde(rename = "vCPUs", default, skip_serializing_if = "Option::is_none")]
    pub v_cpus: Option<ResourceRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ResourceRange>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disallowed {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disk_types: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchasePlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at_version: Option<String>,
    pub name: String,
    pub value: String,
}

/// The stored state of an image definition beyond its name and location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eula: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_statement_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_note_uri: Option<String>,
    pub os_type: OsType,
    pub os_state: OsState,
    pub hyper_v_generation: HyperVGeneration,
    /// Microseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_of_life_date: Option<i64>,
    pub identifier: Identifier,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended: Option<Recommended>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disallowed: Option<Disallowed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_plan: Option<PurchasePlan>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<Feature>,
    pub architecture: Architecture,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// An image definition as a client sends it; `None` is "not sent".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRequest {
    pub description: Option<String>,
    pub eula: Option<String>,
    pub privacy_statement_uri: Option<String>,
    pub release_note_uri: Option<String>,
    pub os_type: Option<OsType>,
    pub os_state: Option<OsState>,
    pub hyper_v_generation: Option<HyperVGeneration>,
    pub end_of_life_date: Option<i64>,
    pub identifier: Option<IdentifierRequest>,
    pub recommended: Option<Recommended>,
    pub disallowed: Option<Disallowed>,
    pub purchase_plan: Option<PurchasePlan>,
    pub features: Option<Vec<Feature>>,
    pub architecture: Option<Architecture>,
    pub allow_update_image: Option<bool>,
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentifierRequest {
    pub publisher: Option<String>,
    pub offer: Option<String>,
    pub sku: Option<String>,
}

/// What differs by api-version in what Azure fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    /// From 2025-03-03: Hyper-V generation V2 and `SecurityType=TrustedLaunchSupported`.
    pub trusted_launch: bool,
}

impl Defaults {
    pub fn for_api_version(api_version: &str) -> Self {
        Defaults {
            trusted_launch: api_version >= "2025-03-03",
        }
    }
}

const PREFIX: &str = "galleryImage.properties";

fn required<T>(value: Option<T>, name: &str) -> Result<T, DomainError> {
    value.ok_or_else(|| {
        DomainError::invalid(
            format!("{PREFIX}.{name}"),
            format!("Required parameter '{name}' is missing (null)."),
        )
    })
}

/// Publisher 1–128, offer and SKU 1–64: letters, digits, `-`, `.`, `_`, not ending with `.`.
fn identifier_part(value: Option<String>, name: &str, max: usize) -> Result<String, DomainError> {
    let value = required(value, &format!("identifier.{name}"))?;
    let ok = (1..=max).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && !value.ends_with('.');
    if ok {
        Ok(value)
    } else {
        Err(DomainError::invalid(
            format!("{PREFIX}.identifier.{name}"),
            format!(
                "Asset name {PREFIX}.identifier.{name} is not valid. It cannot be empty. Allowed characters are uppercase or lowercase letters, digits, hyphen(-), period (.), underscore (_). Names are not allowed to end with period(.). The length of the name cannot exceed {max} characters."
            ),
        ))
    }
}

fn check_range(range: &Option<ResourceRange>, name: &str) -> Result<(), DomainError> {
    if let Some(ResourceRange {
        min: Some(min),
        max: Some(max),
    }) = range
        && min > max
    {
        return Err(DomainError::invalid(
            format!("{PREFIX}.recommended.{name}"),
            format!(
                "The minimum value of {name} must not be greater than the maximum value of {name}."
            ),
        ));
    }
    for (value, bound) in [
        (range.as_ref().and_then(|r| r.min), "min"),
        (range.as_ref().and_then(|r| r.max), "max"),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(DomainError::invalid(
                format!("{PREFIX}.recommended.{name}.{bound}"),
                format!("The value of {name}.{bound} must not be negative."),
            ));
        }
    }
    Ok(())
}

fn check_end_of_life(date: Option<i64>, now: i64) -> Result<(), DomainError> {
    if date.is_some_and(|d| d <= now) {
        return Err(DomainError::invalid(
            format!("{PREFIX}.endOfLifeDate"),
            "EndOfLifeDate must be set to a future date.",
        ));
    }
    Ok(())
}

/// The key that makes publisher/offer/SKU unique within a gallery, case-insensitively.
pub fn unique_key(identifier: &Identifier) -> String {
    format!(
        "{}\n{}\n{}",
        identifier.publisher, identifier.offer, identifier.sku
    )
    .to_lowercase()
}

/// A new image definition from a PUT: required fields, limits and defaults.
pub fn create(request: ImageRequest, defaults: Defaults, now: i64) -> Result<Image, DomainError> {
    let os_type = required(request.os_type, "osType")?;
    let os_state = required(request.os_state, "osState")?;
    let id = required(request.identifier, "identifier")?;
    let identifier = Identifier {
        publisher: identifier_part(id.publisher, "publisher", 128)?,
        offer: identifier_part(id.offer, "offer", 64)?,
        sku: identifier_part(id.sku, "sku", 64)?,
    };
    let mut features = request.features.unwrap_or_default();
    let hyper_v_generation = request
        .hyper_v_generation
        .unwrap_or(if defaults.trusted_launch {
            HyperVGeneration::V2
        } else {
            HyperVGeneration::V1
        });
    if defaults.trusted_launch
        && hyper_v_generation == HyperVGeneration::V2
        && !features
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case("SecurityType"))
    {
        features.push(Feature {
            starts_at_version: None,
            name: "SecurityType".into(),
            value: "TrustedLaunchSupported".into(),
        });
    }
    let image = Image {
        description: request.description,
        eula: request.eula,
        privacy_statement_uri: request.privacy_statement_uri,
        release_note_uri: request.release_note_uri,
        os_type,
        os_state,
        hyper_v_generation,
        end_of_life_date: request.end_of_life_date,
        identifier,
        recommended: request.recommended,
        disallowed: request.disallowed.filter(|d| !d.disk_types.is_empty()),
        purchase_plan: request.purchase_plan,
        features,
        architecture: request.architecture.unwrap_or(Architecture::X64),
        tags: request.tags,
    };
    validate(&image, now)?;
    Ok(image)
}

fn validate(image: &Image, now: i64) -> Result<(), DomainError> {
    if let Some(tags) = &image.tags {
        tags::validate(tags)?;
    }
    if let Some(recommended) = &image.recommended {
        check_range(&recommended.v_cpus, "vCPUs")?;
        check_range(&recommended.memory, "memory")?;
    }
    check_end_of_life(image.end_of_life_date, now)?;
    for feature in &image.features {
        if feature.name.is_empty() {
            return Err(DomainError::invalid(
                format!("{PREFIX}.features"),
                "Every feature needs a name.",
            ));
        }
    }
    Ok(())
}

/// Whether sent features are the stored ones, counting the `SecurityType`
/// feature Azure adds by default as sent when the request names none.
fn same_features(sent: &[Feature], stored: &[Feature]) -> bool {
    if sent == stored {
        return true;
    }
    let names_security = sent
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case("SecurityType"));
    let defaulted = |f: &&Feature| {
        f.name == "SecurityType"
            && f.value == "TrustedLaunchSupported"
            && f.starts_at_version.is_none()
    };
    !names_security && stored.iter().filter(|f| !defaulted(f)).eq(sent.iter())
}

fn unchanged<T: PartialEq>(sent: Option<&T>, stored: &T, path: &str) -> Result<(), DomainError> {
    match sent {
        Some(value) if value != stored => Err(DomainError::PropertyChangeNotAllowed {
            path: format!("{PREFIX}.{path}"),
        }),
        _ => Ok(()),
    }
}

/// An update (PUT on an existing definition, or PATCH): only description,
/// end of life, recommended ranges, tags, and features with
/// `allowUpdateImage`, may change. With `replace` (PUT) what is not sent
/// among the updatable properties is cleared; with PATCH it is kept.
pub fn update(
    stored: &Image,
    request: ImageRequest,
    replace: bool,
    now: i64,
) -> Result<Image, DomainError> {
    unchanged(request.os_type.as_ref(), &stored.os_type, "osType")?;
    unchanged(request.os_state.as_ref(), &stored.os_state, "osState")?;
    unchanged(
        request.hyper_v_generation.as_ref(),
        &stored.hyper_v_generation,
        "hyperVGeneration",
    )?;
    unchanged(
        request.architecture.as_ref(),
        &stored.architecture,
        "architecture",
    )?;
    if let Some(id) = &request.identifier {
        unchanged(
            id.publisher.as_ref(),
            &stored.identifier.publisher,
            "identifier.publisher",
        )?;
        unchanged(
            id.offer.as_ref(),
            &stored.identifier.offer,
            "identifier.offer",
        )?;
        unchanged(id.sku.as_ref(), &stored.identifier.sku, "identifier.sku")?;
    }
    let optional = |sent: &Option<String>, held: &Option<String>, path: &str| match sent {
        Some(v) if Some(v) != held.as_ref() => Err(DomainError::PropertyChangeNotAllowed {
            path: format!("{PREFIX}.{path}"),
        }),
        _ => Ok(()),
    };
    optional(&request.eula, &stored.eula, "eula")?;
    optional(
        &request.privacy_statement_uri,
        &stored.privacy_statement_uri,
        "privacyStatementUri",
    )?;
    optional(
        &request.release_note_uri,
        &stored.release_note_uri,
        "releaseNoteUri",
    )?;
    if let Some(plan) = &request.purchase_plan
        && Some(plan) != stored.purchase_plan.as_ref()
    {
        return Err(DomainError::PropertyChangeNotAllowed {
            path: format!("{PREFIX}.purchasePlan"),
        });
    }
    if let Some(disallowed) = &request.disallowed {
        let held = stored.disallowed.clone().unwrap_or_default();
        if disallowed.disk_types != held.disk_types {
            return Err(DomainError::PropertyChangeNotAllowed {
                path: format!("{PREFIX}.disallowed"),
            });
        }
    }
    let features = match request.features {
        Some(features) if !same_features(&features, &stored.features) => {
            if request.allow_update_image != Some(true) {
                return Err(DomainError::PropertyChangeNotAllowed {
                    path: format!("{PREFIX}.features"),
                });
            }
            features
        }
        _ => stored.features.clone(),
    };
    let keep = |sent: Option<String>, held: &Option<String>| {
        if replace {
            sent
        } else {
            sent.or_else(|| held.clone())
        }
    };
    let image = Image {
        description: keep(request.description, &stored.description),
        end_of_life_date: if replace {
            request.end_of_life_date
        } else {
            request.end_of_life_date.or(stored.end_of_life_date)
        },
        recommended: if replace {
            request.recommended
        } else {
            request.recommended.or_else(|| stored.recommended.clone())
        },
        tags: if replace {
            request.tags
        } else {
            request.tags.or_else(|| stored.tags.clone())
        },
        features,
        ..stored.clone()
    };
    if request.end_of_life_date.is_some() {
        check_end_of_life(image.end_of_life_date, now)?;
    }
    if let Some(tags) = &image.tags {
        tags::validate(tags)?;
    }
    if let Some(recommended) = &image.recommended {
        check_range(&recommended.v_cpus, "vCPUs")?;
        check_range(&recommended.memory, "memory")?;
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    fn request() -> ImageRequest {
        ImageRequest {
            os_type: Some(OsType::Linux),
            os_state: Some(OsState::Generalized),
            identifier: Some(IdentifierRequest {
                publisher: Some("Contoso".into()),
                offer: Some("Finance".into()),
                sku: Some("Backend".into()),
            }),
            ..ImageRequest::default()
        }
    }

    fn with_identifier(r: &mut ImageRequest, f: impl FnOnce(&mut IdentifierRequest)) {
        if let Some(i) = r.identifier.as_mut() {
            f(i);
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
    fn os_type_os_state_and_identifier_are_required() {
        let mut r = request();
        r.os_type = None;
        assert_eq!(
            target(
                create(
                    r,
                    Defaults {
                        trusted_launch: false
                    },
                    NOW
                )
                .expect_err("no osType")
            ),
            "galleryImage.properties.osType"
        );
        let mut r = request();
        with_identifier(&mut r, |i| i.sku = None);
        assert_eq!(
            target(
                create(
                    r,
                    Defaults {
                        trusted_launch: false
                    },
                    NOW
                )
                .expect_err("no sku")
            ),
            "galleryImage.properties.identifier.sku"
        );
    }

    #[test]
    fn identifier_parts_have_their_length_and_character_limits() {
        let mut r = request();
        with_identifier(&mut r, |i| i.publisher = Some("p".repeat(129)));
        assert!(
            create(
                r,
                Defaults {
                    trusted_launch: false
                },
                NOW
            )
            .is_err()
        );
        let mut r = request();
        with_identifier(&mut r, |i| i.offer = Some("offer.".into()));
        assert!(
            create(
                r,
                Defaults {
                    trusted_launch: false
                },
                NOW
            )
            .is_err()
        );
        let mut r = request();
        with_identifier(&mut r, |i| i.offer = Some("o".repeat(64)));
        assert!(
            create(
                r,
                Defaults {
                    trusted_launch: false
                },
                NOW
            )
            .is_ok()
        );
    }

    #[test]
    fn defaults_follow_the_api_version() {
        let old = create(request(), Defaults::for_api_version("2021-10-01"), NOW).expect("valid");
        assert_eq!(old.hyper_v_generation, HyperVGeneration::V1);
        assert!(old.features.is_empty());
        assert_eq!(old.architecture, Architecture::X64);
        let new = create(request(), Defaults::for_api_version("2025-03-03"), NOW).expect("valid");
        assert_eq!(new.hyper_v_generation, HyperVGeneration::V2);
        assert_eq!(new.features[0].value, "TrustedLaunchSupported");
    }

    #[test]
    fn end_of_life_must_be_in_the_future_and_ranges_ordered() {
        let mut r = request();
        r.end_of_life_date = Some(NOW - 1);
        assert_eq!(
            target(
                create(
                    r,
                    Defaults {
                        trusted_launch: false
                    },
                    NOW
                )
                .expect_err("past")
            ),
            "galleryImage.properties.endOfLifeDate"
        );
        let mut r = request();
        r.recommended = Some(Recommended {
            v_cpus: Some(ResourceRange {
                min: Some(4),
                max: Some(2),
            }),
            memory: None,
        });
        assert_eq!(
            target(
                create(
                    r,
                    Defaults {
                        trusted_launch: false
                    },
                    NOW
                )
                .expect_err("min>max")
            ),
            "galleryImage.properties.recommended.vCPUs"
        );
    }

    #[test]
    fn the_triple_is_compared_case_insensitively() {
        let a = Identifier {
            publisher: "Contoso".into(),
            offer: "Finance".into(),
            sku: "Backend".into(),
        };
        let b = Identifier {
            publisher: "contoso".into(),
            offer: "FINANCE".into(),
            sku: "backend".into(),
        };
        assert_eq!(unique_key(&a), unique_key(&b));
    }

    #[test]
    fn only_the_seeds_list_may_change() {
        let stored = create(
            request(),
            Defaults {
                trusted_launch: false,
            },
            NOW,
        )
        .expect("valid");
        let mut r = request();
        r.os_type = Some(OsType::Windows);
        assert_eq!(
            target(update(&stored, r, true, NOW).expect_err("osType")),
            "galleryImage.properties.osType"
        );
        let mut r = request();
        r.eula = Some("new".into());
        assert_eq!(
            target(update(&stored, r, true, NOW).expect_err("eula")),
            "galleryImage.properties.eula"
        );
        let mut r = request();
        r.description = Some("new".into());
        r.recommended = Some(Recommended {
            v_cpus: None,
            memory: Some(ResourceRange {
                min: Some(1),
                max: Some(8),
            }),
        });
        let updated = update(&stored, r, true, NOW).expect("updatable");
        assert_eq!(updated.description.as_deref(), Some("new"));
    }

    #[test]
    fn features_change_only_with_allow_update_image() {
        let stored = create(
            request(),
            Defaults {
                trusted_launch: false,
            },
            NOW,
        )
        .expect("valid");
        let feature = Feature {
            starts_at_version: Some("2.0.0".into()),
            name: "DiskControllerTypes".into(),
            value: "SCSI".into(),
        };
        let mut r = ImageRequest {
            features: Some(vec![feature.clone()]),
            ..ImageRequest::default()
        };
        assert!(update(&stored, r.clone(), false, NOW).is_err());
        r.allow_update_image = Some(true);
        assert_eq!(
            update(&stored, r, false, NOW).expect("allowed").features,
            vec![feature]
        );
    }

    #[test]
    fn patch_keeps_and_put_clears_unsent_updatable_properties() {
        let mut r = request();
        r.description = Some("kept?".into());
        let stored = create(
            r,
            Defaults {
                trusted_launch: false,
            },
            NOW,
        )
        .expect("valid");
        assert_eq!(
            update(&stored, ImageRequest::default(), false, NOW)
                .expect("patch")
                .description
                .as_deref(),
            Some("kept?")
        );
        assert_eq!(
            update(&stored, request(), true, NOW)
                .expect("put")
                .description,
            None
        );
    }

    #[test]
    fn putting_the_same_definition_again_keeps_the_defaulted_security_feature() {
        let mut r = request();
        r.features = Some(Vec::new());
        let stored =
            create(r.clone(), Defaults::for_api_version("2026-03-03"), NOW).expect("valid");
        assert_eq!(stored.features.len(), 1);
        let again = update(&stored, r, true, NOW).expect("same request again");
        assert_eq!(again.features, stored.features);
    }
}
