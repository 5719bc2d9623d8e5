//! Galleries: what a create, replace or patch may contain and what it leaves.

use serde::{Deserialize, Serialize};

use super::identity::{self, Identity, IdentityRequest};
use super::tags::{self, Tags};
use super::{DomainError, arm_enum};

pub const TYPE_NAME: &str = "Microsoft.Compute/galleries";

arm_enum!(SharingPermission {
    Private = "Private",
    Groups = "Groups",
    Community = "Community",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharingProfile {
    pub permissions: SharingPermission,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftDeletePolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_soft_delete_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_period_in_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period_in_days: Option<i32>,
}

/// The stored state of a gallery beyond its name and location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Gallery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_profile: Option<SharingProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_delete_policy: Option<SoftDeletePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// The sharing profile as a client sends it (groups are read-only and ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharingRequest {
    pub permissions: Option<SharingPermission>,
    pub community_gallery_info: bool,
}

/// The writable part of a gallery body, shared by PUT and PATCH.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GalleryRequest {
    pub description: Option<String>,
    pub sharing: Option<SharingRequest>,
    pub soft_delete_policy: Option<SoftDeletePolicy>,
    pub identity: Option<IdentityRequest>,
    pub tags: Option<Tags>,
}

/// `identifier.uniqueName`: the subscription id and the upper-cased name.
pub fn unique_name(subscription_id: &str, name: &str) -> String {
    format!("{subscription_id}-{}", name.to_uppercase())
}

/// PUT: the request replaces every writable property; identities keep their ids.
pub fn replace(
    request: GalleryRequest,
    existing: Option<&Gallery>,
    tenant_id: &str,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<Gallery, DomainError> {
    let held = existing.and_then(|g| g.identity.as_ref());
    build(request, held, tenant_id, fresh_id)
}

/// PATCH: properties absent from the request keep their stored values.
pub fn patch(
    request: GalleryRequest,
    existing: &Gallery,
    tenant_id: &str,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<Gallery, DomainError> {
    let merged = GalleryRequest {
        description: request.description.or_else(|| existing.description.clone()),
        sharing: request.sharing.or_else(|| {
            existing.sharing_profile.as_ref().map(|p| SharingRequest {
                permissions: Some(p.permissions),
                community_gallery_info: false,
            })
        }),
        soft_delete_policy: request
            .soft_delete_policy
            .or_else(|| existing.soft_delete_policy.clone()),
        identity: request.identity.or_else(|| {
            existing.identity.as_ref().map(|i| IdentityRequest {
                kind: i.kind,
                user_assigned: i.user_assigned_identities.keys().cloned().collect(),
            })
        }),
        tags: request.tags.or_else(|| existing.tags.clone()),
    };
    build(merged, existing.identity.as_ref(), tenant_id, fresh_id)
}

fn build(
    request: GalleryRequest,
    held_identity: Option<&Identity>,
    tenant_id: &str,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<Gallery, DomainError> {
    if let Some(tags) = &request.tags {
        tags::validate(tags)?;
    }
    let sharing_profile = match request.sharing {
        None => None,
        Some(sharing) => {
            let permissions = sharing.permissions.unwrap_or(SharingPermission::Private);
            if permissions != SharingPermission::Private || sharing.community_gallery_info {
                let feature = if sharing.community_gallery_info {
                    "Community gallery sharing (communityGalleryInfo)".to_string()
                } else {
                    format!(
                        "Gallery sharing with permissions '{}'",
                        permissions.as_str()
                    )
                };
                return Err(DomainError::NotYetSupported {
                    feature,
                    target: "properties.sharingProfile".into(),
                });
            }
            Some(SharingProfile { permissions })
        }
    };
    if let Some(policy) = &request.soft_delete_policy {
        if policy.is_soft_delete_enabled == Some(true) {
            return Err(DomainError::NotYetSupported {
                feature: "Soft delete of gallery images".into(),
                target: "properties.softDeletePolicy.isSoftDeleteEnabled".into(),
            });
        }
        for (value, field) in [
            (policy.retention_period_in_days, "retentionPeriodInDays"),
            (policy.grace_period_in_days, "gracePeriodInDays"),
        ] {
            if value.is_some_and(|days| days < 0) {
                return Err(DomainError::invalid(
                    format!("properties.softDeletePolicy.{field}"),
                    format!("The value of parameter {field} must not be negative."),
                ));
            }
        }
    }
    let identity = match request.identity {
        None => None,
        Some(wanted) => Some(identity::resolve(
            wanted,
            held_identity,
            tenant_id,
            fresh_id,
        )?),
    };
    Ok(Gallery {
        description: request.description,
        sharing_profile,
        soft_delete_policy: request.soft_delete_policy,
        identity,
        tags: request.tags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> impl FnMut() -> String {
        || "00000000-0000-0000-0000-00000000000a".to_string()
    }

    #[test]
    fn unique_name_is_subscription_and_upper_cased_name() {
        assert_eq!(unique_name("sub", "myGallery"), "sub-MYGALLERY");
    }

    #[test]
    fn patch_keeps_what_the_request_leaves_out() {
        let stored = Gallery {
            description: Some("old".into()),
            tags: Some(Tags::from([("a".into(), "b".into())])),
            ..Gallery::default()
        };
        let patched = patch(
            GalleryRequest {
                description: Some("new".into()),
                ..Default::default()
            },
            &stored,
            "t",
            &mut fresh(),
        )
        .expect("valid");
        assert_eq!(patched.description.as_deref(), Some("new"));
        assert_eq!(patched.tags, stored.tags);
    }

    #[test]
    fn replace_drops_what_the_request_leaves_out() {
        let stored = Gallery {
            description: Some("old".into()),
            ..Gallery::default()
        };
        let replaced =
            replace(GalleryRequest::default(), Some(&stored), "t", &mut fresh()).expect("valid");
        assert_eq!(replaced.description, None);
    }

    #[test]
    fn private_sharing_is_accepted_and_other_sharing_is_not_yet_supported() {
        let private = GalleryRequest {
            sharing: Some(SharingRequest {
                permissions: Some(SharingPermission::Private),
                community_gallery_info: false,
            }),
            ..Default::default()
        };
        assert!(replace(private, None, "t", &mut fresh()).is_ok());
        let groups = GalleryRequest {
            sharing: Some(SharingRequest {
                permissions: Some(SharingPermission::Groups),
                community_gallery_info: false,
            }),
            ..Default::default()
        };
        assert!(matches!(
            replace(groups, None, "t", &mut fresh()),
            Err(DomainError::NotYetSupported { .. })
        ));
    }

    #[test]
    fn enabling_soft_delete_is_not_yet_supported_but_disabled_policy_is_kept() {
        let on = GalleryRequest {
            soft_delete_policy: Some(SoftDeletePolicy {
                is_soft_delete_enabled: Some(true),
                retention_period_in_days: None,
                grace_period_in_days: None,
            }),
            ..Default::default()
        };
        assert!(matches!(
            replace(on, None, "t", &mut fresh()),
            Err(DomainError::NotYetSupported { .. })
        ));
        let off = SoftDeletePolicy {
            is_soft_delete_enabled: Some(false),
            retention_period_in_days: None,
            grace_period_in_days: None,
        };
        let kept = replace(
            GalleryRequest {
                soft_delete_policy: Some(off.clone()),
                ..Default::default()
            },
            None,
            "t",
            &mut fresh(),
        )
        .expect("valid");
        assert_eq!(kept.soft_delete_policy, Some(off));
    }
}
