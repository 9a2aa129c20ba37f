//! ListApisV2 and ShowDetailsOfApiV2.

use super::{count, in_instance, require_instance, total, Page, TextFilter};
use crate::error::ApigError;
use crate::model::{
    Api, ApiListing, AuthType, BackendEndpoint, Group, Id, ListedBackend, Method, Protocol,
    ReferenceKind, RequestType, Scope, SharedKind,
};
use crate::store::{sort_apis, sort_groups, Paged, Store};
use crate::views::{self, ListApisResponse, Lookups};
use std::collections::{BTreeMap, BTreeSet};

/// The filters of ListApisV2; `None` or empty matches every API.
#[derive(Debug, Clone, Default)]
pub struct ApiFilters {
    pub id: Option<String>,
    pub name: Option<TextFilter>,
    pub req_uri: Option<TextFilter>,
    pub req_protocol: Option<Protocol>,
    pub req_method: Option<Method>,
    pub auth_type: Option<AuthType>,
    pub api_type: Option<RequestType>,
    pub vpc_channel_name: Option<String>,
    /// Any of these tags; `#no_tags#` selects APIs without tags.
    pub tags: Vec<String>,
    /// APIs are not published: filtering by an environment selects none.
    pub env_id: bool,
}

impl ApiFilters {
    /// No filter given: every API matches.
    pub fn is_empty(&self) -> bool {
        self.id.is_none()
            && self.name.is_none()
            && self.req_uri.is_none()
            && self.req_protocol.is_none()
            && self.req_method.is_none()
            && self.auth_type.is_none()
            && self.api_type.is_none()
            && self.vpc_channel_name.is_none()
            && self.tags.is_empty()
            && !self.env_id
    }

    pub fn matches(&self, api: &Api) -> bool {
        let d = &api.definition;
        let channel = match &d.backend.endpoint {
            BackendEndpoint::HttpVpc(vpc) => Some(vpc.channel_name.as_str()),
            _ => None,
        };
        let tags_match = self.tags.is_empty()
            || self.tags.iter().any(|t| {
                if t == "#no_tags#" {
                    d.tags.is_empty()
                } else {
                    d.tags.contains(t)
                }
            });
        !self.env_id
            && self.id.as_deref().is_none_or(|id| api.id.as_str() == id)
            && self.name.as_ref().is_none_or(|f| f.matches(&d.name))
            && self.req_uri.as_ref().is_none_or(|f| f.matches(&d.path))
            && self.req_protocol.is_none_or(|p| d.protocol == p)
            && self.req_method.is_none_or(|m| d.method == m)
            && self.auth_type.is_none_or(|a| d.auth_type == a)
            && self.api_type.is_none_or(|t| d.request_type == t)
            && self
                .vpc_channel_name
                .as_deref()
                .is_none_or(|name| channel == Some(name))
            && tags_match
    }
}

/// What ListApisV2 asks for: a page of the matching APIs, of one group (`group_id`, as the
/// client wrote it) or of all.
#[derive(Debug, Clone, Default)]
pub struct ListApis {
    pub page: Page,
    pub group_id: Option<String>,
    pub filters: ApiFilters,
}

/// ListApisV2: the matching APIs group by group (oldest group first), each group's APIs by
/// path, method and match mode; paged.
///
/// Without filters the store reads only the page ([`Catalog::page_apis`](crate::store::Catalog))
/// and the groups its APIs belong to; filtered by `id`, only that API; with any other filter
/// (matched on the stored definition, which no key holds) every API of the selected groups.
pub async fn list_apis(
    store: &dyn Store,
    scope: &Scope,
    request: &ListApis,
) -> Result<ListApisResponse, ApigError> {
    let group = async {
        let group: Option<Group> = match &request.group_id {
            Some(raw) => {
                let id = Id::parse(raw).ok_or_else(|| ApigError::group_not_found(raw))?;
                let group = store.get_group(scope, &id).await?;
                Some(group.ok_or_else(|| ApigError::group_not_found(raw))?)
            }
            None => None,
        };
        Ok(group)
    };
    let group = in_instance(store, scope, group).await?;
    let filters = &request.filters;
    let page = request.page.request();
    let paged = if filters.env_id {
        // APIs are not published: nothing is in any environment.
        Paged::of(Vec::new(), page)
    } else if filters.is_empty() {
        store
            .page_apis(scope, group.as_ref().map(|g| &g.id), page)
            .await?
    } else if let Some(raw) = &filters.id {
        let api = match Id::parse(raw) {
            Some(id) => store.get_api(scope, &id).await?,
            None => None,
        };
        let found = api.filter(|api| {
            filters.matches(api) && group.as_ref().is_none_or(|g| g.id == api.group_id)
        });
        Paged::of(found.iter().map(ApiListing::from).collect(), page)
    } else {
        let groups = match &group {
            Some(g) => vec![g.clone()],
            None => {
                let mut groups = store.list_groups(scope).await?;
                sort_groups(&mut groups);
                groups
            }
        };
        let mut matching: Vec<ApiListing> = Vec::new();
        for group in &groups {
            let mut apis = store.list_apis(scope, &group.id).await?;
            apis.retain(|api| filters.matches(api));
            sort_apis(&mut apis);
            matching.extend(apis.iter().map(ApiListing::from));
        }
        Paged::of(matching, page)
    };

    // The groups of the page's APIs (one, or a few at group boundaries).
    let mut groups: BTreeMap<Id, Option<Group>> = BTreeMap::new();
    if let Some(g) = group {
        groups.insert(g.id.clone(), Some(g));
    }
    for api in &paged.items {
        if !groups.contains_key(&api.group_id) {
            let g = store.get_group(scope, &api.group_id).await?;
            groups.insert(api.group_id.clone(), g);
        }
    }
    let lookups = lookups(store, scope, Needs::of_listings(&paged.items)).await?;
    Ok(ListApisResponse {
        total: total(paged.total),
        size: count(paged.items.len()),
        apis: paged
            .items
            .iter()
            .map(|api| {
                let group = groups.get(&api.group_id).and_then(Option::as_ref);
                views::listing_summary(api, group, &lookups)
            })
            .collect(),
    })
}

/// ShowDetailsOfApiV2 of the API `raw_id` (as the client wrote it).
pub async fn show_api(
    store: &dyn Store,
    scope: &Scope,
    raw_id: &str,
) -> Result<views::ApiDetail, ApigError> {
    require_instance(store, scope).await?;
    let not_found = || ApigError::api_not_found(raw_id);
    let id = Id::parse(raw_id).ok_or_else(not_found)?;
    let api = store.get_api(scope, &id).await?.ok_or_else(not_found)?;
    let group = store.get_group(scope, &api.group_id).await?;
    let lookups = lookups(store, scope, Needs::of_api(&api)).await?;
    Ok(views::api_detail(&api, group.as_ref(), &lookups))
}

/// What the shown APIs reference by name, to be looked up.
#[derive(Default)]
struct Needs<'a> {
    authorizers: bool,
    /// Groups whose gateway response sets are named.
    responses: BTreeSet<&'a Id>,
    vpc_channels: bool,
}

impl<'a> Needs<'a> {
    /// A list shows each API's authorizer, response set and main backend (not its
    /// backend policies).
    fn of_listings(apis: &'a [ApiListing]) -> Self {
        Needs {
            authorizers: apis.iter().any(|a| a.definition.authorizer.is_some()),
            responses: apis
                .iter()
                .filter(|a| a.definition.response.is_some())
                .map(|a| &a.group_id)
                .collect(),
            vpc_channels: apis
                .iter()
                .any(|a| matches!(a.definition.backend, ListedBackend::HttpVpc(_))),
        }
    }

    /// The detail shows the backend policies too.
    fn of_api(api: &'a Api) -> Self {
        let d = &api.definition;
        Needs {
            authorizers: d.authorizer.is_some(),
            responses: d.response.iter().map(|_| &api.group_id).collect(),
            vpc_channels: std::iter::once(&d.backend)
                .chain(d.backend_policies.iter().map(|p| &p.backend))
                .any(|b| matches!(b.endpoint, BackendEndpoint::HttpVpc(_))),
        }
    }
}

/// Resolve what the shown APIs reference by name, reading only what they need.
async fn lookups(store: &dyn Store, scope: &Scope, needs: Needs<'_>) -> Result<Lookups, ApigError> {
    let mut lookups = Lookups::default();
    if needs.authorizers {
        for object in store
            .list_shared(scope, SharedKind::Authorizer, None)
            .await?
        {
            lookups.authorizers.insert(object.key.name, object.id);
        }
    }
    for group_id in needs.responses {
        for object in store
            .list_shared(scope, SharedKind::GatewayResponse, Some(group_id))
            .await?
        {
            lookups
                .responses
                .insert((group_id.clone(), object.key.name), object.id);
        }
    }
    if needs.vpc_channels {
        for reference in store
            .list_references(scope, ReferenceKind::VpcChannel)
            .await?
        {
            lookups.vpc_channels.insert(reference.name, reference.id);
        }
    }
    Ok(lookups)
}
