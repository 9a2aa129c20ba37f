//! The plan of an import (issue 11 item 3, `dry_run=true` / `apig plan`): the response the
//! import would give now, and what it would change, **without writing anything** — only
//! store reads.
//!
//! The steps are the import's (instance, document, group, shared objects, references,
//! in-file duplicates, create / update / conflict per API), with every write replaced by
//! its outcome computed from what is stored: the group's name and quota from the listing,
//! shared objects from their lookups, API quota from the group's count. The per-API
//! decision is the import's own ([`Existing::decide`]), so the plan cannot drift from it.
//! A race with a concurrent import can make the real import differ; the plan is of *now*.

use super::group::{self, GroupPlan};
use super::plan::{self, Decision, Existing};
use super::references::{ReferenceCheck, Registered};
use super::response::Action;
use super::shadowing::{self, Warning};
use super::shared::{self, SharedBindings};
use super::{
    candidates, respond, Checks, ImportRequest, ImportResponse, Mode, Slot, Triaged, Writer,
};
use crate::config::Limits;
use crate::error::{echo, ApigError, Code};
use crate::model::{Id, Scope, SharedKey, SharedKind};
use crate::spec::{self, SharedItem};
use crate::store::Catalog;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// The dry run's answer: the import's response, plus the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedImport {
    #[serde(flatten)]
    pub response: ImportResponse,
    pub plan: Plan,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Would the import write anything (a group, a shared object, an API)?
    pub changes: bool,
    pub group: GroupChange,
    /// Per API of the document that passed mapping and reference checks, in document order.
    pub apis: Vec<ApiChange>,
    /// Shared objects the document defines, and what would happen to each.
    pub shared: Vec<SharedChange>,
    /// Routes another route of the group would capture first, with both routes (each is
    /// also a `shadowed_route` item of the response's `warnings`).
    pub shadowed_routes: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupChange {
    /// `create` or `existing`.
    pub action: &'static str,
    /// Empty for a group that would be created (no id is allocated by a plan).
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    Create,
    Update,
    Unchanged,
    Conflict,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiChange {
    pub path: String,
    pub method: String,
    pub name: String,
    pub action: PlanAction,
    /// The stored API's id (`update`, `unchanged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What an `update` changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldChange>,
    /// Why a `conflict` fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// One changed field: a JSON pointer into the stored API's definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub pointer: String,
    pub old: Value,
    pub new: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct SharedChange {
    pub kind: &'static str,
    pub name: String,
    /// `create`, `replace`, `unchanged` (override of an identical object), `kept` (merge:
    /// the stored object stays), or `failed` (invalid, or over quota).
    pub action: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<FieldChange>,
}

/// Plan `request`: the response and the plan, nothing written. Refused as the import would
/// be (and with `checks.fail_on_warnings`, when a route is shadowed).
pub async fn plan(
    store: &dyn Catalog,
    limits: &Limits,
    request: ImportRequest,
    checks: Checks,
) -> Result<PlannedImport, ApigError> {
    let ImportRequest {
        scope,
        options,
        document,
        ..
    } = request;
    if !store.instance_exists(&scope).await? {
        return Err(ApigError::instance_not_found(&scope));
    }
    let parsed = spec::parse_document(&document, options.map_options(), limits)?;
    let writer = Writer::once();
    let (group_plan, group_warning) = group::plan(
        store,
        &scope,
        &options.group,
        &parsed,
        options.simple_mode,
        &writer,
    )
    .await?;
    let (group, group_change, existing_apis) = match group_plan {
        GroupPlan::Existing(group) => {
            let apis = store.list_apis(&scope, &group.id).await?;
            let change = GroupChange {
                action: "existing",
                id: group.id.to_string(),
                name: group.name.as_str().to_string(),
            };
            (group, change, apis)
        }
        GroupPlan::Create(group) => {
            check_new_group(store, &scope, group.name.as_str(), limits).await?;
            let change = GroupChange {
                action: "create",
                id: String::new(),
                name: group.name.as_str().to_string(),
            };
            (group, change, Vec::new())
        }
    };
    let warnings = shadowing::analyse(&shadowing::routes_of(&parsed, &existing_apis));
    if checks.fail_on_warnings {
        if let Some(first) = warnings.first() {
            return Err(shadowing::refusal(first));
        }
    }

    let (bindings, shared_changes) = simulate_shared(
        store,
        &scope,
        &group.id,
        &parsed.shared,
        options.extend_mode,
        limits,
    )
    .await?;
    let mut check = ReferenceCheck {
        store,
        scope: &scope,
        group_id: &group.id,
        registered: Registered::default(),
        shared: bindings,
    };
    let Triaged {
        reported,
        mut slots,
        candidates,
    } = candidates(parsed.operations, &mut check).await?;

    let existing = Existing::new(&existing_apis);
    let mut stored = existing_apis.len();
    let limit = usize::try_from(limits.max_apis_per_group).unwrap_or(usize::MAX);
    let mut apis = Vec::new();
    for candidate in candidates {
        let d = &candidate.definition;
        let mut change = ApiChange {
            path: d.path.clone(),
            method: d.method.as_str().to_string(),
            name: d.name.clone(),
            action: PlanAction::Conflict,
            id: None,
            diff: Vec::new(),
            error_code: None,
        };
        slots[candidate.slot] = match existing.decide(&candidate, options.api_mode) {
            Decision::Fail(failure) => {
                change.error_code = Some(failure.code.as_str().to_string());
                Slot::Failure(failure)
            }
            Decision::Unchanged(id) => {
                change.action = PlanAction::Unchanged;
                change.id = Some(id.to_string());
                Slot::Success {
                    action: Action::Update,
                    id,
                }
            }
            Decision::Create if stored >= limit => {
                let failure = plan::quota_reached(limits.max_apis_per_group);
                change.error_code = Some(failure.code.as_str().to_string());
                Slot::Failure(failure)
            }
            Decision::Create => {
                stored += 1;
                change.action = PlanAction::Create;
                Slot::Success {
                    action: Action::Create,
                    id: Id::generate(),
                }
            }
            Decision::Replace(old) => {
                change.diff = diff_of(&old.definition, &candidate.definition);
                change.action = PlanAction::Update;
                change.id = Some(old.id.to_string());
                Slot::Success {
                    action: Action::Update,
                    id: old.id.clone(),
                }
            }
        };
        apis.push(change);
    }

    let document_warnings = group_warning
        .into_iter()
        .chain(parsed.warnings.iter().cloned())
        .collect();
    let mut response = respond(reported, &group, slots, &Id::generate(), document_warnings);
    // The response's warnings array (the import's own) names each shadowed route too; the
    // plan has both routes of each.
    response
        .warnings
        .extend(warnings.iter().map(shadowing::Warning::flat));
    // Nothing is allocated by a plan: a new group, new APIs and the record have no id yet.
    response.swagger.id = String::new();
    response.swagger_id = String::new();
    if group_change.action == "create" {
        response.group_id = String::new();
    }
    for item in &mut response.success {
        if item.action == Action::Create {
            item.id = String::new();
        }
    }
    let changes = group_change.action == "create"
        || apis
            .iter()
            .any(|a| matches!(a.action, PlanAction::Create | PlanAction::Update))
        || shared_changes
            .iter()
            .any(|s| matches!(s.action, "create" | "replace"));
    Ok(PlannedImport {
        response,
        plan: Plan {
            changes,
            group: group_change,
            apis,
            shared: shared_changes,
            shadowed_routes: warnings,
        },
    })
}

/// What `create_group` would answer: the name taken (`APIG.3201`) or the quota reached
/// (`APIG.3101`), with the messages of `group::commit`.
async fn check_new_group(
    store: &dyn Catalog,
    scope: &Scope,
    name: &str,
    limits: &Limits,
) -> Result<(), ApigError> {
    let groups = store.list_groups(scope).await?;
    if groups.iter().any(|g| g.name.as_str() == name) {
        return Err(ApigError::new(
            Code::Apig3201,
            format!("name:{}", echo(name)),
        ));
    }
    if groups.len() >= usize::try_from(limits.max_groups_per_instance).unwrap_or(usize::MAX) {
        return Err(ApigError::new(
            Code::Apig3101,
            format!("limit:{}", limits.max_groups_per_instance),
        ));
    }
    Ok(())
}

/// [`SharedBindings::save_known`] without the writes: each object's outcome from its lookup (and,
/// for a new one, its kind's count against the quota), in document order — a later item of
/// the same name sees the earlier one as stored.
async fn simulate_shared(
    store: &dyn Catalog,
    scope: &Scope,
    group_id: &Id,
    items: &[SharedItem],
    mode: Mode,
    limits: &Limits,
) -> Result<(SharedBindings, Vec<SharedChange>), ApigError> {
    let mut bindings = SharedBindings::default();
    let mut changes = Vec::new();
    let mut planned: HashMap<(SharedKind, String), crate::model::SharedDefinition> = HashMap::new();
    let mut counts: HashMap<SharedKind, usize> = HashMap::new();
    for item in items {
        let mut change = SharedChange {
            kind: item.kind.as_str(),
            name: item.name.clone(),
            action: "failed",
            diff: Vec::new(),
        };
        let definition = match &item.definition {
            Err(failure) => {
                bindings.bind(item.kind, item.name.clone(), Err(failure.clone()));
                changes.push(change);
                continue;
            }
            Ok(definition) => definition,
        };
        let key = SharedKey {
            kind: item.kind,
            group_id: item.kind.per_group().then(|| group_id.clone()),
            name: item.name.clone(),
        };
        let slot = (item.kind, item.name.clone());
        let stored = match planned.get(&slot) {
            Some(definition) => Some(definition.clone()),
            None => store
                .get_shared(scope, &key)
                .await?
                .map(|object| object.definition),
        };
        let binding = match (stored, mode) {
            (Some(_), Mode::Merge) => {
                change.action = "kept";
                Ok(())
            }
            (Some(old), Mode::Override) => {
                if &old == definition {
                    change.action = "unchanged";
                } else {
                    change.action = "replace";
                    change.diff = diff_of(&old, definition);
                }
                planned.insert(slot, definition.clone());
                Ok(())
            }
            (None, _) => match shared::quota(item.kind, limits) {
                Some((limit, code)) => {
                    let count = match counts.get(&item.kind) {
                        Some(n) => *n,
                        None => store.list_shared(scope, item.kind, None).await?.len(),
                    };
                    if count >= usize::try_from(limit).unwrap_or(usize::MAX) {
                        counts.insert(item.kind, count);
                        Err(shared::quota_failure(&key, code, limit))
                    } else {
                        counts.insert(item.kind, count + 1);
                        change.action = "create";
                        planned.insert(slot, definition.clone());
                        Ok(())
                    }
                }
                None => {
                    change.action = "create";
                    planned.insert(slot, definition.clone());
                    Ok(())
                }
            },
        };
        bindings.bind(item.kind, item.name.clone(), binding);
        changes.push(change);
    }
    Ok((bindings, changes))
}

/// The field-level difference of two values as JSON: one entry per changed leaf (a value
/// of another type, or a member or element present on one side only, is one entry).
pub fn diff_of<T: Serialize>(old: &T, new: &T) -> Vec<FieldChange> {
    let (Ok(old), Ok(new)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    diff_values(&old, &new, &mut String::new(), &mut out);
    out
}

fn diff_values(old: &Value, new: &Value, pointer: &mut String, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for key in keys {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                diff_values(
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    pointer,
                    out,
                );
                pointer.truncate(length);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for index in 0..a.len().max(b.len()) {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                diff_values(
                    a.get(index).unwrap_or(&Value::Null),
                    b.get(index).unwrap_or(&Value::Null),
                    pointer,
                    out,
                );
                pointer.truncate(length);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(FieldChange {
            pointer: pointer.clone(),
            old: a.clone(),
            new: b.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diffs_are_json_pointers_to_changed_leaves() {
        let old = json!({"a": 1, "b": {"c/d": [1, 2], "e": "x"}, "gone": true});
        let new = json!({"a": 1, "b": {"c/d": [1, 3, 4], "e": "x"}, "added": null, "n": 2});
        let changes = diff_of(&old, &new);
        let pointers: Vec<(&str, Value, Value)> = changes
            .iter()
            .map(|c| (c.pointer.as_str(), c.old.clone(), c.new.clone()))
            .collect();
        assert_eq!(
            pointers,
            vec![
                ("/b/c~1d/1", json!(2), json!(3)),
                ("/b/c~1d/2", Value::Null, json!(4)),
                ("/gone", json!(true), Value::Null),
                ("/n", Value::Null, json!(2)),
            ]
        );
        assert!(diff_of(&old, &old).is_empty());
    }
}
