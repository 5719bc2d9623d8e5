//! Resource groups (Microsoft.Resources): made on first use unless
//! `--require-resource-groups`; deleting one deletes what it contains.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::subscription::parse_id;
use crate::AppState;
use crate::arm::api_version::{ApiVersion, Resources};
use crate::arm::json::ArmJson;
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, resource_id};
use crate::domain::resource_group::{self as rg, ResourceGroup};
use crate::domain::{ProvisioningState, names, region};
use crate::store::{Change, ListScope, Record, StoreError, Write};

pub const KIND: &str = "resourcegroups";

pub fn id(subscription_id: &str, name: &str) -> String {
    format!("/subscriptions/{subscription_id}/resourceGroups/{name}")
}

pub fn key(subscription_id: &str, name: &str) -> String {
    resource_id::key(&id(subscription_id, name))
}

fn record(
    subscription_id: &str,
    name: &str,
    location: &str,
    body: &ResourceGroup,
    now: i64,
) -> Record {
    let id = id(subscription_id, name);
    Record {
        key: resource_id::key(&id),
        id,
        kind: KIND.to_string(),
        parent_key: format!("/subscriptions/{subscription_id}"),
        subscription_id: subscription_id.to_string(),
        resource_group: name.to_ascii_lowercase(),
        name: name.to_string(),
        location: location.to_string(),
        provisioning_state: ProvisioningState::Succeeded.as_str().to_string(),
        unique: None,
        operation_id: None,
        body: serde_json::to_string(body).unwrap_or_else(|_| "{}".into()),
        revision: 0,
        created_at: now,
        updated_at: now,
    }
}

/// Adds to `write` what makes sure the resource group of a new resource
/// exists: a precondition when groups must be made first (its creation
/// registered the subscription), else the group and its subscription.
pub fn guard(
    state: &AppState,
    write: &mut Write,
    subscription_id: &str,
    name: &str,
    location: &str,
) {
    if state.settings.require_resource_groups {
        write.require_parent = Some(key(subscription_id, name));
    } else {
        let group = record(
            subscription_id,
            name,
            location,
            &ResourceGroup::default(),
            state.clock.now(),
        );
        write.changes.insert(0, Change::InsertIfAbsent(group));
        // A group made on first use may be the subscription's first use too.
        let subscription = super::subscription::record(state, subscription_id);
        write
            .changes
            .insert(0, Change::EnsureSubscription(subscription));
    }
}

/// For reads: 404 `ResourceGroupNotFound` when groups must exist and this one does not.
pub async fn check_exists(
    state: &AppState,
    subscription_id: &str,
    name: &str,
) -> Result<(), ArmError> {
    names::validate_resource_group_name(name)?;
    if state.settings.require_resource_groups
        && state
            .store
            .get(&key(subscription_id, name))
            .await?
            .is_none()
    {
        return Err(ArmError::resource_group_not_found(name));
    }
    Ok(())
}

fn render(r: &Record) -> Result<Value, ArmError> {
    let body: ResourceGroup = serde_json::from_str(&r.body)
        .map_err(|e| ArmError::internal(format!("stored resource group unreadable: {e}")))?;
    let mut out = json!({
        "id": r.id,
        "name": r.name,
        "type": rg::TYPE_NAME,
        "location": r.location,
        "properties": {"provisioningState": r.provisioning_state},
    });
    if let Some(tags) = body.tags {
        out["tags"] = json!(tags);
    }
    if let Some(managed_by) = body.managed_by {
        out["managedBy"] = json!(managed_by);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupBody {
    location: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    managed_by: Option<String>,
}

async fn load(state: &AppState, subscription_id: &str, name: &str) -> Result<Record, ArmError> {
    state
        .store
        .get(&key(subscription_id, name))
        .await?
        .ok_or_else(|| ArmError::resource_group_not_found(name))
}

/// ResourceGroups_CreateOrUpdate
pub async fn resource_groups_create_or_update(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
    ArmPath((subscription_id, name)): ArmPath<(String, String)>,
    ArmJson(body): ArmJson<ResourceGroupBody>,
) -> Result<Response, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    names::validate_resource_group_name(&name)?;
    let location = region::resolve(body.location.as_deref(), rg::TYPE_NAME)?.name;
    let group = rg::build(body.tags, body.managed_by)?;
    for _ in 0..super::WRITE_ATTEMPTS {
        let now = state.clock.now();
        let existing = state.store.get(&key(&subscription_id, &name)).await?;
        let (change, status, stored) = match existing {
            None => {
                let r = record(&subscription_id, &name, location, &group, now);
                (
                    Change::Insert {
                        record: r.clone(),
                        quota: None,
                    },
                    StatusCode::CREATED,
                    r,
                )
            }
            Some(mut r) => {
                if r.location != location {
                    return Err(ArmError::new(
                        StatusCode::CONFLICT,
                        "InvalidResourceGroupLocation",
                        format!(
                            "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                            r.location
                        ),
                    ));
                }
                let expected_revision = r.revision;
                r.body = serde_json::to_string(&group).unwrap_or_else(|_| "{}".into());
                r.updated_at = now;
                (
                    Change::Update {
                        record: r.clone(),
                        expected_revision,
                    },
                    StatusCode::OK,
                    r,
                )
            }
        };
        let mut changes = vec![change];
        if status == StatusCode::CREATED {
            let subscription = super::subscription::record(&state, &subscription_id);
            changes.insert(0, Change::EnsureSubscription(subscription));
        }
        match state
            .store
            .write(&Write {
                changes,
                ..Write::default()
            })
            .await
        {
            Ok(()) => return Ok((status, Json(render(&stored)?)).into_response()),
            Err(StoreError::AlreadyExists(_) | StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ArmError::internal(
        "the resource group kept changing; retry",
    ))
}

/// ResourceGroups_Get
pub async fn resource_groups_get(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
    ArmPath((subscription_id, name)): ArmPath<(String, String)>,
) -> Result<Json<Value>, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    Ok(Json(render(&load(&state, &subscription_id, &name).await?)?))
}

/// ResourceGroups_CheckExistence
pub async fn resource_groups_check_existence(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
    ArmPath((subscription_id, name)): ArmPath<(String, String)>,
) -> Result<StatusCode, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    Ok(
        match state.store.get(&key(&subscription_id, &name)).await? {
            Some(_) => StatusCode::NO_CONTENT,
            None => StatusCode::NOT_FOUND,
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupPatch {
    tags: Option<BTreeMap<String, String>>,
    managed_by: Option<String>,
}

/// ResourceGroups_Update
pub async fn resource_groups_update(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
    ArmPath((subscription_id, name)): ArmPath<(String, String)>,
    ArmJson(patch): ArmJson<ResourceGroupPatch>,
) -> Result<Json<Value>, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    for _ in 0..super::WRITE_ATTEMPTS {
        let mut r = load(&state, &subscription_id, &name).await?;
        let stored: ResourceGroup = serde_json::from_str(&r.body).unwrap_or_default();
        let group = rg::build(
            patch.tags.clone().or(stored.tags),
            patch.managed_by.clone().or(stored.managed_by),
        )?;
        let expected_revision = r.revision;
        r.body = serde_json::to_string(&group).unwrap_or_else(|_| "{}".into());
        r.updated_at = state.clock.now();
        let write = Write {
            changes: vec![Change::Update {
                record: r.clone(),
                expected_revision,
            }],
            ..Write::default()
        };
        match state.store.write(&write).await {
            Ok(()) => return Ok(Json(render(&r)?)),
            Err(StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ArmError::internal(
        "the resource group kept changing; retry",
    ))
}

/// ResourceGroups_Delete: removes the group and every resource in it.
pub async fn resource_groups_delete(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
    ArmPath((subscription_id, name)): ArmPath<(String, String)>,
) -> Result<StatusCode, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    load(&state, &subscription_id, &name).await?;
    let write = Write {
        changes: vec![Change::DeleteResourceGroup {
            subscription_id,
            resource_group: name.to_ascii_lowercase(),
        }],
        ..Write::default()
    };
    state.store.write(&write).await?;
    Ok(StatusCode::OK)
}

/// ResourceGroups_List
pub async fn resource_groups_list(
    State(state): State<AppState>,
    api: ApiVersion<Resources>,
    ArmPath(subscription_id): ArmPath<String>,
    BaseUrl(base): BaseUrl,
    uri: Uri,
) -> Result<Response, ArmError> {
    let subscription_id = parse_id(&subscription_id)?;
    let listing = super::Listing::of(&state, &uri).await?;
    let scope = ListScope::Children {
        parent_key: format!("/subscriptions/{subscription_id}"),
        kind: KIND.to_string(),
    };
    let page = state.store.list(&scope, &listing.page).await?;
    let items = page
        .items
        .iter()
        .map(render)
        .collect::<Result<Vec<_>, _>>()?;
    listing
        .respond(&items, page.next, &base, api.as_str())
        .await
}
