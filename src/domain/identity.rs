//! Managed identities on a resource (`identity`): the system-assigned
//! principal and user-assigned identities keep their ids across updates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DomainError, arm_enum};

arm_enum!(IdentityType {
    SystemAssigned = "SystemAssigned",
    UserAssigned = "UserAssigned",
    SystemAndUserAssigned = "SystemAssigned, UserAssigned",
    None = "None",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssigned {
    pub principal_id: String,
    pub client_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(rename = "type")]
    pub kind: IdentityType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_assigned_identities: BTreeMap<String, UserAssigned>,
}

/// What a client asks for: the type and the user-assigned identity ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRequest {
    pub kind: IdentityType,
    pub user_assigned: Vec<String>,
}

/// Resolves a request against the identity already held, minting ids with
/// `fresh_id` only for principals that are new.
pub fn resolve(
    request: IdentityRequest,
    existing: Option<&Identity>,
    tenant_id: &str,
    fresh_id: &mut dyn FnMut() -> String,
) -> Result<Identity, DomainError> {
    let system = matches!(
        request.kind,
        IdentityType::SystemAssigned | IdentityType::SystemAndUserAssigned
    );
    let user = matches!(
        request.kind,
        IdentityType::UserAssigned | IdentityType::SystemAndUserAssigned
    );
    if user && request.user_assigned.is_empty() {
        return Err(DomainError::invalid(
            "identity.userAssignedIdentities",
            "The identity type includes 'UserAssigned' but no user assigned identities were provided.",
        ));
    }
    if !user && !request.user_assigned.is_empty() {
        return Err(DomainError::invalid(
            "identity.userAssignedIdentities",
            "User assigned identities may only be provided with identity type 'UserAssigned' or 'SystemAssigned, UserAssigned'.",
        ));
    }
    let mut user_assigned = BTreeMap::new();
    for id in request.user_assigned {
        if !is_user_assigned_identity_id(&id) {
            return Err(DomainError::invalid(
                "identity.userAssignedIdentities",
                format!(
                    "The user assigned identity '{id}' is not a valid resource id of type 'Microsoft.ManagedIdentity/userAssignedIdentities'."
                ),
            ));
        }
        let kept = existing.and_then(|e| {
            e.user_assigned_identities
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&id))
                .map(|(_, v)| v.clone())
        });
        let value = kept.unwrap_or_else(|| UserAssigned {
            principal_id: fresh_id(),
            client_id: fresh_id(),
        });
        user_assigned.insert(id, value);
    }
    let principal_id = system.then(|| {
        existing
            .and_then(|e| e.principal_id.clone())
            .unwrap_or_else(&mut *fresh_id)
    });
    Ok(Identity {
        kind: request.kind,
        tenant_id: system.then(|| tenant_id.to_string()),
        principal_id,
        user_assigned_identities: user_assigned,
    })
}

fn is_user_assigned_identity_id(id: &str) -> bool {
    let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
    parts.len() == 8
        && parts[0].eq_ignore_ascii_case("subscriptions")
        && parts[2].eq_ignore_ascii_case("resourceGroups")
        && parts[4].eq_ignore_ascii_case("providers")
        && parts[5].eq_ignore_ascii_case("Microsoft.ManagedIdentity")
        && parts[6].eq_ignore_ascii_case("userAssignedIdentities")
        && parts.iter().all(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UAI: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/me";

    fn counter() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("id-{n}")
        }
    }

    #[test]
    fn principals_survive_an_update_and_new_ones_get_fresh_ids() {
        let mut fresh = counter();
        let first = resolve(
            IdentityRequest {
                kind: IdentityType::SystemAndUserAssigned,
                user_assigned: vec![UAI.into()],
            },
            None,
            "t",
            &mut fresh,
        )
        .expect("valid");
        assert_eq!(first.tenant_id.as_deref(), Some("t"));
        let again = resolve(
            IdentityRequest {
                kind: IdentityType::SystemAndUserAssigned,
                user_assigned: vec![UAI.into()],
            },
            Some(&first),
            "t",
            &mut fresh,
        )
        .expect("valid");
        assert_eq!(first, again);
    }

    #[test]
    fn user_assigned_type_needs_valid_identity_ids() {
        let mut fresh = counter();
        let none = IdentityRequest {
            kind: IdentityType::UserAssigned,
            user_assigned: vec![],
        };
        assert!(resolve(none, None, "t", &mut fresh).is_err());
        let bad = IdentityRequest {
            kind: IdentityType::UserAssigned,
            user_assigned: vec!["/x".into()],
        };
        assert!(resolve(bad, None, "t", &mut fresh).is_err());
    }
}
