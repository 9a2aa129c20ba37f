//! Shared named objects of the document (throttling and access-control policies, custom
//! authorizers, gateway responses): saved according to `extend_mode`, then looked up by the
//! APIs that reference them.

use super::options::Mode;
use crate::config::Limits;
use crate::error::{echo, ApiFailure, ApigError, Code};
use crate::model::{Id, Scope, SharedKey, SharedKind, SharedObject};
use crate::spec::SharedItem;
use crate::store::{Catalog, SharedCreate, SharedWrite, SharedWriteOutcome};
use std::collections::{HashMap, HashSet};

/// How often an override retries after losing an optimistic-lock race.
const OVERRIDE_ATTEMPTS: usize = 3;

/// What each shared name resolves to for this import: usable, or the failure of every
/// API that references it. Names absent from the map are looked up in the store.
#[derive(Default)]
pub struct SharedBindings {
    resolved: HashMap<(SharedKind, String), Result<(), ApiFailure>>,
}

/// The store key of each shared item of the document (in order), for the import's first
/// read; `group_id` is the group the APIs go into.
pub fn keys(items: &[SharedItem], group_id: &Id) -> Vec<SharedKey> {
    items
        .iter()
        .map(|item| SharedKey {
            kind: item.kind,
            group_id: item.kind.per_group().then(|| group_id.clone()),
            name: item.name.clone(),
        })
        .collect()
}

/// The shared objects to create with a new group: each item whose definition mapped and
/// whose key `found` has nothing stored (the first item of a key only), by item index.
pub fn creates(
    items: &[SharedItem],
    found: &[Option<SharedObject>],
    group_id: &Id,
    limits: &Limits,
) -> Vec<(usize, SharedCreate)> {
    let keys = keys(items, group_id);
    let mut seen = HashSet::new();
    let now = crate::now_rfc3339();
    let mut out = Vec::new();
    for (index, (item, key)) in items.iter().zip(keys).enumerate() {
        let Ok(definition) = &item.definition else {
            continue;
        };
        if !seen.insert(key.clone()) || found.get(index).is_none_or(Option::is_some) {
            continue;
        }
        out.push((
            index,
            SharedCreate {
                limit: quota(key.kind, limits).map(|(limit, _)| limit),
                object: SharedObject {
                    id: Id::generate(),
                    key,
                    version: 1,
                    definition: definition.clone(),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                },
            },
        ));
    }
    out
}

impl SharedBindings {
    /// Save every shared object the document defines, knowing what the import's first read
    /// found at their keys (`found`, one per item) and what was created with the group
    /// (`created`, by item index): an object created is bound, one found is kept (merge);
    /// the rest are saved one by one as [`save`](Self::save) does (override replacements,
    /// objects new to an existing group's instance, and any that lost a race).
    #[allow(clippy::too_many_arguments)]
    pub async fn save_known(
        store: &dyn Catalog,
        scope: &Scope,
        group_id: &Id,
        items: &[SharedItem],
        found: &[Option<SharedObject>],
        created: &HashMap<usize, SharedWriteOutcome>,
        mode: Mode,
        limits: &Limits,
    ) -> Result<Self, ApigError> {
        let mut bindings = SharedBindings::default();
        let keys = keys(items, group_id);
        for (index, (item, key)) in items.iter().zip(keys).enumerate() {
            let binding = match &item.definition {
                Err(failure) => Err(failure.clone()),
                Ok(definition) => match created.get(&index) {
                    Some(SharedWriteOutcome::Created) => Ok(()),
                    Some(SharedWriteOutcome::QuotaReached) => {
                        let (limit, code) = quota(key.kind, limits).unwrap_or((0, Code::Apig3107));
                        Err(quota_failure(&key, code, limit))
                    }
                    _ if mode == Mode::Merge && found.get(index).is_some_and(Option::is_some) => {
                        Ok(())
                    }
                    _ => save_one(store, scope, key, definition, mode, limits).await?,
                },
            };
            bindings
                .resolved
                .insert((item.kind, item.name.clone()), binding);
        }
        Ok(bindings)
    }

    /// Record what `name` of `kind` resolves to without saving anything (the dry run's
    /// simulation of [`SharedBindings::save_known`]).
    pub fn bind(&mut self, kind: SharedKind, name: String, binding: Result<(), ApiFailure>) {
        self.resolved.insert((kind, name), binding);
    }

    /// Is `name` of `kind` usable by an API? `missing` is the failure when it exists neither
    /// in the document nor in the store.
    pub async fn resolve(
        &mut self,
        store: &dyn Catalog,
        scope: &Scope,
        group_id: &Id,
        kind: SharedKind,
        name: &str,
        missing: impl FnOnce() -> ApiFailure,
    ) -> Result<Result<(), ApiFailure>, ApigError> {
        if let Some(binding) = self.resolved.get(&(kind, name.to_string())) {
            return Ok(binding.clone());
        }
        let key = SharedKey {
            kind,
            group_id: kind.per_group().then(|| group_id.clone()),
            name: name.to_string(),
        };
        let found = store.get_shared(scope, &key).await?;
        let binding = match found {
            Some(_) => Ok(()),
            None => Err(missing()),
        };
        self.resolved
            .insert((kind, name.to_string()), binding.clone());
        Ok(binding)
    }
}

pub(super) fn quota(kind: SharedKind, limits: &Limits) -> Option<(u32, Code)> {
    match kind {
        SharedKind::Throttle => Some((limits.max_throttles_per_instance, Code::Apig3107)),
        SharedKind::AccessControl => Some((limits.max_acls_per_instance, Code::Apig3112)),
        SharedKind::Authorizer | SharedKind::GatewayResponse => None,
    }
}

/// The failure of an object that the per-instance quota of its kind leaves no room for.
pub(super) fn quota_failure(key: &SharedKey, code: Code, limit: u32) -> ApiFailure {
    ApiFailure::new(
        code,
        format!(
            "{}. {} {:?} cannot be saved, limit:{limit}",
            code.base_message(),
            key.kind.as_str(),
            echo(&key.name)
        ),
    )
}

/// Create the object, or — when the name is taken — keep (merge) or replace (override) it.
async fn save_one(
    store: &dyn Catalog,
    scope: &Scope,
    key: SharedKey,
    definition: &crate::model::SharedDefinition,
    mode: Mode,
    limits: &Limits,
) -> Result<Result<(), ApiFailure>, ApigError> {
    let quota = quota(key.kind, limits);
    for _ in 0..OVERRIDE_ATTEMPTS {
        let existing = store.get_shared(scope, &key).await?;
        let now = crate::now_rfc3339();
        let write = match (existing, mode) {
            (Some(_), Mode::Merge) => return Ok(Ok(())),
            (Some(stored), Mode::Override) => SharedWrite::replace(stored, definition.clone(), now),
            (None, _) => SharedWrite::Create(SharedObject {
                id: Id::generate(),
                key: key.clone(),
                version: 1,
                definition: definition.clone(),
                created_at: now.clone(),
                updated_at: now,
            }),
        };
        let outcome = store
            .write_shared(scope, write, quota.map(|(limit, _)| limit))
            .await?;
        match outcome {
            SharedWriteOutcome::Created | SharedWriteOutcome::Replaced => return Ok(Ok(())),
            SharedWriteOutcome::QuotaReached => {
                let (limit, code) = quota.unwrap_or((0, Code::Apig3107));
                return Ok(Err(quota_failure(&key, code, limit)));
            }
            // Lost a race with another import: look again.
            SharedWriteOutcome::NameTaken | SharedWriteOutcome::VersionConflict => continue,
        }
    }
    tracing::warn!(kind = key.kind.as_str(), name = %key.name, "shared object kept changing under override");
    Err(ApigError::internal())
}
