//! What an export reads from the store: the group, the requested APIs, and the shared
//! objects the file carries — the throttling and access-control policies and custom
//! authorizers the APIs name (instance-scoped objects other groups' APIs use are not this
//! group's to export), and every gateway response of the group.

use super::ExportSource;
use crate::error::ApigError;
use crate::model::{Id, Scope, SharedKey, SharedKind};
use crate::store::Catalog;
use std::collections::BTreeSet;

/// Read the group `raw_group` (as the client wrote it) and its APIs (`api_ids`, or all
/// when empty). Unknown instance → `APIG.3030`-family error of the store's read path,
/// unknown group → `APIG.3001`, an id that is not one of the group's APIs → `APIG.3002`.
pub async fn load(
    store: &dyn Catalog,
    scope: &Scope,
    raw_group: &str,
    api_ids: &[String],
) -> Result<ExportSource, ApigError> {
    if !store.instance_exists(scope).await? {
        return Err(ApigError::instance_not_found(scope));
    }
    let not_found = || ApigError::group_not_found(raw_group);
    let group_id = Id::parse(raw_group).ok_or_else(not_found)?;
    let group = store
        .get_group(scope, &group_id)
        .await?
        .ok_or_else(not_found)?;
    let mut apis = store.list_apis(scope, &group.id).await?;
    if !api_ids.is_empty() {
        if let Some(missing) = api_ids
            .iter()
            .find(|id| !apis.iter().any(|a| a.id.as_str() == id.as_str()))
        {
            return Err(ApigError::api_not_found(missing));
        }
        apis.retain(|a| api_ids.iter().any(|id| id == a.id.as_str()));
    }

    let mut names: BTreeSet<(SharedKind, String)> = BTreeSet::new();
    for api in &apis {
        let d = &api.definition;
        let named = [
            (SharedKind::Throttle, &d.ratelimit),
            (SharedKind::AccessControl, &d.access_control),
            (SharedKind::Authorizer, &d.authorizer),
        ];
        for (kind, name) in named {
            if let Some(name) = name {
                names.insert((kind, name.clone()));
            }
        }
    }
    let mut shared = Vec::new();
    for (kind, name) in names {
        let key = SharedKey {
            kind,
            group_id: None,
            name,
        };
        if let Some(object) = store.get_shared(scope, &key).await? {
            shared.push(object);
        }
    }
    shared.extend(
        store
            .list_shared(scope, SharedKind::GatewayResponse, Some(&group.id))
            .await?,
    );
    Ok(ExportSource {
        group,
        apis,
        shared,
    })
}
