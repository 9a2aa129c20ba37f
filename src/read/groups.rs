//! ListApiGroupsV2.

use super::{count, require_instance, sort_groups, Page, TextFilter};
use crate::error::ApigError;
use crate::model::Scope;
use crate::store::Store;
use crate::views::{self, ListApiGroupsResponse};

/// What ListApiGroupsV2 asks for: a page of the groups with this `id` and a matching `name`.
#[derive(Debug, Clone, Default)]
pub struct ListApiGroups {
    pub page: Page,
    pub id: Option<String>,
    pub name: Option<TextFilter>,
}

/// ListApiGroupsV2: the instance's groups, oldest first, filtered and paged.
pub async fn list_api_groups(
    store: &dyn Store,
    scope: &Scope,
    request: &ListApiGroups,
) -> Result<ListApiGroupsResponse, ApigError> {
    require_instance(store, scope).await?;
    let mut groups = store.list_groups(scope).await?;
    groups.retain(|g| {
        request.id.as_deref().is_none_or(|id| g.id.as_str() == id)
            && request
                .name
                .as_ref()
                .is_none_or(|f| f.matches(g.name.as_str()))
    });
    sort_groups(&mut groups);
    let (total, groups) = request.page.of(groups);
    Ok(ListApiGroupsResponse {
        total,
        size: count(groups.len()),
        groups: groups.iter().map(views::group_info).collect(),
    })
}
