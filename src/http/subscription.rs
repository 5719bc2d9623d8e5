//! Subscriptions: any id is accepted and registered on first use; the list
//! and get answers are what `az login` needs.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::arm::api_version::{ApiVersion, Resources};
use crate::arm::resource_id::{ArmPath, BaseUrl};
use crate::arm::{ArmError, format_time};
use crate::store::{StoreError, SubscriptionRecord};

/// The canonical (lower-case) form of a subscription id, or 400 for one that is no GUID.
pub fn parse_id(raw: &str) -> Result<String, ArmError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.to_string())
        .map_err(|_| {
            ArmError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "InvalidSubscriptionId",
                format!("The provided subscription identifier '{raw}' is malformed or invalid."),
            )
        })
}

/// The record of a subscription registered on first use.
pub fn record(state: &AppState, id: &str) -> SubscriptionRecord {
    SubscriptionRecord {
        subscription_id: id.to_string(),
        display_name: if id == state.settings.subscription {
            "Emulator Subscription".to_string()
        } else {
            format!("Subscription {id}")
        },
        tenant_id: state.settings.tenant.clone(),
        state: "Enabled".to_string(),
        created_at: state.clock.now(),
    }
}

/// Registers a subscription unless it exists and returns the stored one.
pub async fn register(state: &AppState, id: &str) -> Result<SubscriptionRecord, StoreError> {
    state.store.ensure_subscription(&record(state, id)).await
}

fn render(s: &SubscriptionRecord) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.subscription_id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.subscription_id,
        "tenantId": s.tenant_id,
        "displayName": s.display_name,
        "state": s.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        },
        "registeredAt": format_time(s.created_at),
    })
}

/// Subscriptions_List
pub async fn subscriptions_list(
    State(state): State<AppState>,
    api: ApiVersion<Resources>,
    BaseUrl(base): BaseUrl,
    uri: axum::http::Uri,
) -> Result<axum::response::Response, ArmError> {
    let listing = super::Listing::of(&state, &uri).await?;
    let page = state.store.list_subscriptions(&listing.page).await?;
    let items: Vec<Value> = page.items.iter().map(render).collect();
    listing
        .respond(&items, page.next, &base, api.as_str())
        .await
}

/// Subscriptions_Get
pub async fn subscriptions_get(
    State(state): State<AppState>,
    _api: ApiVersion<Resources>,
    ArmPath(subscription_id): ArmPath<String>,
) -> Result<Json<Value>, ArmError> {
    let id = parse_id(&subscription_id)?;
    Ok(Json(render(&register(&state, &id).await?)))
}
