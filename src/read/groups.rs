//! ListApiGroupsV2.

use super::{count, in_instance, total, Page, TextFilter};
use crate::error::ApigError;
use crate::model::{Id, Scope};
use crate::store::{sort_groups, Paged, Store};
use crate::views::{self, ListApiGroupsResponse};

/// What ListApiGroupsV2 asks for: a page of the groups with this `id` and a matching `name`.
#[derive(Debug, Clone, Default)]
pub struct ListApiGroups {
    pub page: Page,
    pub id: Option<String>,
    pub name: Option<TextFilter>,
}

/// ListApiGroupsV2: the instance's groups, oldest first, filtered and paged.
///
/// Unfiltered, the store reads only the page ([`Catalog::page_groups`](crate::store::Catalog));
/// filtered by `id`, only that group; filtered by name alone (a substring match no key
/// serves), every group.
pub async fn list_api_groups(
    store: &dyn Store,
    scope: &Scope,
    request: &ListApiGroups,
) -> Result<ListApiGroupsResponse, ApigError> {
    let groups = async {
        let paged = match (&request.id, &request.name) {
            (None, None) => store.page_groups(scope, request.page.request()).await?,
            (id, name) => {
                let mut groups = match id {
                    Some(raw) => match Id::parse(raw) {
                        Some(id) => store.get_group(scope, &id).await?.into_iter().collect(),
                        None => Vec::new(),
                    },
                    None => store.list_groups(scope).await?,
                };
                groups.retain(|g| {
                    id.as_deref().is_none_or(|id| g.id.as_str() == id)
                        && name.as_ref().is_none_or(|f| f.matches(g.name.as_str()))
                });
                sort_groups(&mut groups);
                Paged::of(groups, request.page.request())
            }
        };
        Ok(paged)
    };
    let paged = in_instance(store, scope, groups).await?;
    Ok(ListApiGroupsResponse {
        total: total(paged.total),
        size: count(paged.items.len()),
        groups: paged.items.iter().map(views::group_info).collect(),
    })
}
