//! What the handlers of every tracked resource type share: naming the target,
//! the read-decide-write loop that starts an operation, get, list and delete.
//! A type plugs in through `Tracked`.

use std::sync::Arc;

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Listing, WRITE_ATTEMPTS, resource_group};
use crate::arm::resource_id;
use crate::arm::{ArmError, lro};
use crate::domain::ProvisioningState;
use crate::domain::image_version::Publishing;
use crate::domain::operation::OperationKind;
use crate::domain::replication::{self, Pace};
use crate::store::{ListScope, QuotaClaim, Record, StoreError};
use crate::worker::{self, Finish, Start};
use crate::{AppState, Settings};

/// A resource type served under a resource group.
pub trait Tracked {
    /// The domain type stored as the record's body.
    type Model: Serialize + DeserializeOwned;
    /// The store's kind for records of this type.
    const KIND: &'static str;
    /// The ARM `type`, e.g. `Microsoft.Compute/galleries`.
    const TYPE_NAME: &'static str;
    /// Whether writes are long-running operations (201/200 with
    /// `Azure-AsyncOperation`, 202 deletes) or finish in the request (201/200,
    /// 200 deletes, as gallery applications do).
    const ASYNCHRONOUS: bool = true;

    /// The wire form of a resource in `state`, with `id` as it should appear.
    fn render<'a>(
        r: &'a Record,
        model: &'a Self::Model,
        state: &'a str,
        id: String,
    ) -> impl Serialize + 'a;

    /// The id as a list shows it (the stored one unless a type says otherwise).
    fn list_id(r: &Record) -> String {
        r.id.clone()
    }

    /// A store refusal particular to this type (uniqueness, quota), in ARM's words.
    fn refusal(e: StoreError, r: &Record, model: &Self::Model) -> ArmError;

    /// For a type that replicates to regions (versions): its publishing
    /// profile, where the replication is planned and tracked, and the size
    /// of what is copied, in GB.
    fn replicated<'a>(
        _model: &'a mut Self::Model,
        _settings: &Settings,
    ) -> Option<(&'a mut Publishing, f64)> {
        None
    }
}

/// Where a request's resource lives.
#[derive(Debug, Clone)]
pub struct Target {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    /// The id as this request spells it.
    pub id: String,
    pub key: String,
    pub parent: Parent,
}

#[derive(Debug, Clone)]
pub enum Parent {
    /// A top-level resource: its resource group is made on first use or required.
    ResourceGroup,
    /// A nested resource: the parent must exist (`ParentResourceNotFound`).
    Resource { key: String, name: String },
}

impl Target {
    pub fn parent_key(&self) -> String {
        match &self.parent {
            Parent::ResourceGroup => {
                resource_group::key(&self.subscription_id, &self.resource_group)
            }
            Parent::Resource { key, .. } => key.clone(),
        }
    }

    /// A PUT may not move an existing resource to another location.
    pub fn same_location(&self, existing: &Record, requested: &str) -> Result<(), ArmError> {
        if existing.location == requested {
            return Ok(());
        }
        Err(crate::domain::DomainError::LocationChange {
            name: existing.name.clone(),
            resource_group: self.resource_group.clone(),
            existing: existing.location.clone(),
            requested: requested.to_string(),
        }
        .into())
    }

    pub fn not_found<T: Tracked>(&self) -> ArmError {
        let relative = self
            .id
            .split_once("/providers/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map_or(self.name.as_str(), |(_, path)| path);
        ArmError::resource_not_found(
            &format!(
                "{}/{}",
                T::TYPE_NAME.split('/').next().unwrap_or(""),
                relative
            ),
            &self.resource_group,
        )
    }
}

/// What a handler decided for the resource it read.
pub struct Decision<M> {
    pub kind: OperationKind,
    pub model: M,
    /// For a create: the canonical location.
    pub location: Option<String>,
    /// For a create: the (scope, key) that must be unique for this kind.
    pub unique: Option<(String, String)>,
    /// For a create: the quota it claims.
    pub quota: Option<QuotaClaim>,
}

impl<M> Decision<M> {
    pub fn new(kind: OperationKind, model: M) -> Self {
        Decision {
            kind,
            model,
            location: None,
            unique: None,
            quota: None,
        }
    }
}

pub fn decode<T: Tracked>(r: &Record) -> Result<T::Model, ArmError> {
    serde_json::from_str(&r.body)
        .map_err(|e| ArmError::internal(format!("stored resource {} is unreadable: {e}", r.id)))
}

/// Store refusals every type shares.
pub fn common_refusal(e: StoreError, t: &Target) -> ArmError {
    match e {
        StoreError::ParentMissing(_) => match &t.parent {
            Parent::ResourceGroup => ArmError::resource_group_not_found(&t.resource_group),
            Parent::Resource { name, .. } => ArmError::new(
                StatusCode::NOT_FOUND,
                "ParentResourceNotFound",
                format!(
                    "Can not perform requested operation on nested resource. Parent resource '{name}' not found."
                ),
            ),
        },
        StoreError::HasChildren(_) => crate::domain::DomainError::CannotDeleteResource.into(),
        other => other.into(),
    }
}

/// Reads the resource, lets `decide` choose what happens, writes that with
/// its operation in one transaction, and answers as the operation's start.
pub async fn accept<T: Tracked>(
    state: &AppState,
    t: &Target,
    base: &str,
    api_version: &str,
    operation_id: &str,
    decide: impl Fn(Option<(&Record, T::Model)>) -> Result<Decision<T::Model>, ArmError>,
) -> Result<Response, ArmError> {
    for attempt in 0..WRITE_ATTEMPTS {
        let now = state.clock.now();
        // A PUT is most often a create: the first attempt writes the create
        // `decide` makes of nothing, without reading first. If the record
        // exists after all, its insert is refused and the next attempt reads.
        // Not for a type that replicates: planning its replication draws on
        // fault rules, which must be drawn on once, for what is decided.
        let guess = (attempt == 0)
            .then(|| decide(None).ok())
            .flatten()
            .filter(|d| d.kind == OperationKind::Create)
            .and_then(|mut d| {
                T::replicated(&mut d.model, &state.settings)
                    .is_none()
                    .then_some(d)
            });
        let guessed = guess.is_some();
        let (existing, mut decision) = match guess {
            Some(decision) => (None, decision),
            None => {
                let existing = state.store.get(&t.key).await?;
                let stored = match &existing {
                    Some(r) => Some((r, decode::<T>(r)?)),
                    None => None,
                };
                let decision = decide(stored)?;
                (existing, decision)
            }
        };
        let marked = existing
            .as_ref()
            .is_some_and(|r| r.provisioning_state == ProvisioningState::Deleting.as_str());
        // Only the delete may be retried on a resource marked for deletion.
        if marked && decision.kind != OperationKind::Delete {
            return Err(marked_for_deletion::<T>(
                existing.as_ref().map_or("", |r| r.name.as_str()),
            ));
        }
        let pace = if T::ASYNCHRONOUS {
            state.clock.pace()
        } else {
            Pace::Instant
        };
        let home = existing.as_ref().map_or_else(
            || decision.location.clone().unwrap_or_default(),
            |r| r.location.clone(),
        );
        let finish = schedule::<T>(state, &t.id, &home, &mut decision, pace, now);
        let body = serde_json::to_string(&decision.model)
            .map_err(|e| ArmError::internal(format!("cannot store the resource: {e}")))?;
        let record = match &existing {
            Some(r) => Record { body, ..r.clone() },
            None => Record {
                key: t.key.clone(),
                id: t.id.clone(),
                kind: T::KIND.to_string(),
                parent_key: t.parent_key(),
                subscription_id: t.subscription_id.clone(),
                resource_group: t.resource_group.to_ascii_lowercase(),
                name: t.name.clone(),
                location: decision.location.clone().unwrap_or_default(),
                provisioning_state: String::new(),
                unique: decision.unique.clone(),
                operation_id: None,
                body,
                revision: first_revision(),
                created_at: now,
                updated_at: now,
            },
        };
        let start = Start {
            operation_id: operation_id.to_string(),
            kind: decision.kind,
            record: record.clone(),
            prior_revision: existing.as_ref().map(|r| r.revision),
            quota: if existing.is_none() {
                decision.quota
            } else {
                None
            },
            finish,
        };
        let mut write = worker::begin(now, start);
        if !T::ASYNCHRONOUS {
            write.operations.clear();
        }
        if existing.is_none() {
            match &t.parent {
                // A nested resource's parent was registered with its subscription.
                Parent::ResourceGroup => resource_group::guard(
                    state,
                    &mut write,
                    &t.subscription_id,
                    &t.resource_group,
                    &record.location,
                ),
                Parent::Resource { key, .. } => write.require_parent = Some(key.clone()),
            }
        }
        match state.store.write(&write).await {
            Ok(()) => {
                if write.has_due_operation() {
                    state.worker.wake();
                }
                if !T::ASYNCHRONOUS {
                    return Ok(finished::<T>(&record, &decision.model, decision.kind));
                }
                return Ok(started::<T>(
                    &record,
                    &decision.model,
                    decision.kind,
                    base,
                    api_version,
                    operation_id,
                ));
            }
            // A refused guess (the record exists, or the refusal is one an
            // update would not meet): read the record and decide again.
            Err(_) if guessed => continue,
            Err(StoreError::AlreadyExists(_) | StoreError::Stale(_)) => continue,
            // A racing create of the same resource can trip the unique index
            // before the primary key; then it is an update, not a conflict.
            Err(StoreError::Unique(_))
                if existing.is_none() && state.store.get(&t.key).await?.is_some() =>
            {
                continue;
            }
            Err(e @ (StoreError::ParentMissing(_) | StoreError::HasChildren(_))) => {
                return Err(common_refusal(e, t));
            }
            Err(e) => return Err(T::refusal(e, &record, &decision.model)),
        }
    }
    Err(ArmError::internal(
        "the resource kept changing under concurrent writes; retry",
    ))
}

/// When the operation `decision` starts finishes, at `pace`; for a type
/// that replicates, after the replication it plans for each target region.
fn schedule<T: Tracked>(
    state: &AppState,
    id: &str,
    home: &str,
    decision: &mut Decision<T::Model>,
    pace: Pace,
    now: i64,
) -> Finish {
    let mut due = None;
    let mut failure = None;
    if decision.kind != OperationKind::Delete
        && let Some((publishing, size_gb)) = T::replicated(&mut decision.model, &state.settings)
    {
        let source = replication::Source { size_gb, home };
        let jobs = replication::plan(
            &publishing.replication,
            publishing,
            source,
            pace,
            now,
            |region| state.faults.replication_failure(id, region),
        );
        due = replication::next_due(&jobs);
        if let Some(Err(f)) = replication::outcome(&jobs) {
            failure = Some(f.clone());
        }
        publishing.replication = jobs;
    }
    match pace {
        Pace::Instant => Finish::Now(failure),
        Pace::Scaled(_) => Finish::At(
            due.unwrap_or_else(|| now + pace.scale(decision.kind.nominal_duration_micros())),
        ),
    }
}

fn marked_for_deletion<T: Tracked>(name: &str) -> ArmError {
    let noun = T::TYPE_NAME.rsplit('/').next().unwrap_or("resource");
    ArmError::new(
        StatusCode::CONFLICT,
        "OperationNotAllowed",
        format!(
            "Operation 'Update {noun}' is not allowed on {name}; since it is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete)"
        ),
    )
}

/// The answer to a synchronous write: the resource as it now is, or an empty 200 for a delete.
fn finished<T: Tracked>(r: &Record, model: &T::Model, kind: OperationKind) -> Response {
    match kind {
        OperationKind::Delete => StatusCode::OK.into_response(),
        OperationKind::Create => (
            StatusCode::CREATED,
            axum::Json(T::render(r, model, &r.provisioning_state, r.id.clone())),
        )
            .into_response(),
        OperationKind::Update => {
            axum::Json(T::render(r, model, &r.provisioning_state, r.id.clone())).into_response()
        }
    }
}

fn started<T: Tracked>(
    r: &Record,
    model: &T::Model,
    kind: OperationKind,
    base: &str,
    api_version: &str,
    operation_id: &str,
) -> Response {
    let async_url = lro::async_operation_url(
        base,
        &r.subscription_id,
        &r.location,
        operation_id,
        api_version,
    );
    match kind {
        OperationKind::Delete => {
            let monitor = lro::monitor_url(
                base,
                &r.subscription_id,
                &r.location,
                operation_id,
                api_version,
            );
            lro::started(
                StatusCode::ACCEPTED,
                None,
                &async_url,
                Some(&monitor),
                operation_id,
            )
        }
        OperationKind::Create | OperationKind::Update => {
            let status = if kind == OperationKind::Create {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let running = kind.running_state().as_str();
            let body = serde_json::to_string(&T::render(r, model, running, r.id.clone()))
                .unwrap_or_default();
            lro::started(status, Some(body), &async_url, None, operation_id)
        }
    }
}

/// GET of one resource.
pub async fn get<T: Tracked>(state: &AppState, t: &Target) -> Result<Response, ArmError> {
    let r = state
        .store
        .get(&t.key)
        .await?
        .ok_or_else(|| t.not_found::<T>())?;
    let model = decode::<T>(&r)?;
    Ok(axum::Json(T::render(&r, &model, &r.provisioning_state, r.id.clone())).into_response())
}

/// DELETE: 204 when there is nothing to delete, else the started operation.
pub async fn delete<T: Tracked>(
    state: &AppState,
    t: &Target,
    base: &str,
    api_version: &str,
    operation_id: &str,
) -> Result<Response, ArmError> {
    if state.store.get(&t.key).await?.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    accept::<T>(
        state,
        t,
        base,
        api_version,
        operation_id,
        |stored| match stored {
            None => Err(t.not_found::<T>()),
            Some((_, model)) => Ok(Decision::new(OperationKind::Delete, model)),
        },
    )
    .await
}

/// One page of a list. The page's keys and revisions are read first; the
/// items already rendered at those revisions are reused (`rendered`), and
/// only the others are read whole and rendered: one by one when they are
/// few, else the whole page in one read.
pub async fn list<T: Tracked>(
    state: &AppState,
    scope: ListScope,
    uri: &Uri,
    base: &str,
    api_version: &str,
) -> Result<Response, ArmError> {
    let listing = Listing::of(state, uri).await?;
    let page = state.store.list_revisions(&scope, &listing.page).await?;
    let mut items = state.rendered.get_all(&page.items);
    let missing: Vec<String> = page
        .items
        .iter()
        .zip(&items)
        .filter(|(_, item)| item.is_none())
        .map(|((key, _), _)| key.clone())
        .collect();
    if missing.len() * 2 > items.len() {
        let whole = state.store.list(&scope, &listing.page).await?;
        let items = whole
            .items
            .iter()
            .map(|r| render_kept::<T>(state, r))
            .collect::<Result<Vec<_>, _>>()?;
        return listing
            .respond_rendered(items.iter(), whole.next, base, api_version)
            .await;
    }
    if !missing.is_empty() {
        let mut fresh = std::collections::HashMap::new();
        for r in state.store.get_many(&missing).await? {
            fresh.insert(r.key.clone(), render_kept::<T>(state, &r)?);
        }
        // A record deleted since the page was read is left out.
        for ((key, _), item) in page.items.iter().zip(items.iter_mut()) {
            if item.is_none() {
                *item = fresh.remove(key);
            }
        }
    }
    listing
        .respond_rendered(items.iter().flatten(), page.next, base, api_version)
        .await
}

/// A record's listed form, kept for the lists after.
fn render_kept<T: Tracked>(state: &AppState, r: &Record) -> Result<Arc<[u8]>, ArmError> {
    let model = decode::<T>(r)?;
    let item: Arc<[u8]> =
        serde_json::to_vec(&T::render(r, &model, &r.provisioning_state, T::list_id(r)))
            .map_err(|e| ArmError::internal(format!("cannot render the resource: {e}")))?
            .into();
    state.rendered.put(r.key.clone(), r.revision, item.clone());
    Ok(item)
}

/// A new record's first revision: random, so that a record deleted and made
/// again does not repeat a revision of the one before (`rendered` relies on it).
fn first_revision() -> i64 {
    // 52 bits: far from overflowing however often the record changes.
    (uuid::Uuid::new_v4().as_u128() >> 76) as i64
}

/// The id with the resource group segment upper-cased, as Azure lists galleries.
pub fn upper_group_id(r: &Record) -> String {
    let marker = "/resourceGroups/";
    match r.id.find(marker) {
        Some(start) => {
            let from = start + marker.len();
            let end = r.id[from..].find('/').map_or(r.id.len(), |i| from + i);
            format!(
                "{}{}{}",
                &r.id[..from],
                r.id[from..end].to_uppercase(),
                &r.id[end..]
            )
        }
        None => r.id.clone(),
    }
}

/// Key of an id.
pub fn key(id: &str) -> String {
    resource_id::key(id)
}
