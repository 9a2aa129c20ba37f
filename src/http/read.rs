//! The read operations (`import-api.md` §7): what an import stored, shaped like Huawei's
//! `ListApiGroupsV2`, `ListApisV2` and `ShowDetailsOfApiV2` so the official SDKs can call
//! them.
//!
//! Same contract as the import: the path's ids are validated, the caller is authenticated
//! before anything else is looked at and authorized for the operation's action in the
//! path's project, and every lookup is scoped to the path's instance (an unknown instance is
//! `APIG.3030`; a group or API of another instance does not exist for this one). Query
//! values that cannot be used are `APIG.2012` naming the parameter; parameters this product
//! does not know are ignored, as the SDKs send some of them empty-handed.

use super::response::{json_response, CallerId, ErrorResponse, RequestId};
use super::AppState;
use crate::auth::{GET_API_ACTION, LIST_APIS_ACTION, LIST_GROUPS_ACTION};
use crate::error::{ApigError, Code};
use crate::model::{
    Api, AuthType, BackendEndpoint, Group, Id, Method, PathId, Protocol, ReferenceKind,
    RequestType, Scope, SharedKind,
};
use crate::store::{Store, StoreError};
use crate::views::{self, ListApiGroupsResponse, ListApisResponse, Lookups};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeSet;

/// `GET` — ListApiGroupsV2.
pub const API_GROUPS_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/api-groups";
/// `GET` — ListApisV2.
pub const APIS_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/apis";
/// `GET` — ShowDetailsOfApiV2.
pub const API_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/apis/{api_id}";

/// Default page size of the list operations.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page size of the list operations.
pub const MAX_LIMIT: u64 = 500;

/// ListApiGroupsV2: `offset`, `limit`, `id`, `name` (fuzzy unless `precise_search`
/// names it).
pub async fn list_api_groups(
    State(state): State<AppState>,
    request_id: RequestId,
    request: Request,
) -> Response {
    let mut caller = None;
    let result = groups(&state, request, &mut caller).await;
    finish(result, &request_id, caller)
}

/// ListApisV2: `offset`, `limit`, `id`, `name`, `group_id`, `req_protocol`, `req_method`,
/// `req_uri`, `auth_type`, `type`, `vpc_channel_name`, `tags`, `env_id`, `precise_search`.
pub async fn list_apis(
    State(state): State<AppState>,
    request_id: RequestId,
    request: Request,
) -> Response {
    let mut caller = None;
    let result = apis(&state, request, &mut caller).await;
    finish(result, &request_id, caller)
}

/// ShowDetailsOfApiV2.
pub async fn show_api(
    State(state): State<AppState>,
    request_id: RequestId,
    request: Request,
) -> Response {
    let mut caller = None;
    let result = api(&state, request, &mut caller).await;
    finish(result, &request_id, caller)
}

fn finish<T: Serialize>(
    result: Result<T, ApigError>,
    request_id: &RequestId,
    caller: Option<String>,
) -> Response {
    let mut response = match result {
        Ok(body) => json_response(StatusCode::OK, &body, request_id),
        Err(error) => ErrorResponse::new(error, request_id).into_response(),
    };
    if let Some(caller) = caller {
        response.extensions_mut().insert(CallerId(caller));
    }
    response
}

/// The one place the read operations authenticate and authorize a caller (headers only:
/// nothing of the request is used before this succeeds).
async fn authorize(
    state: &AppState,
    parts: &Parts,
    body: axum::body::Body,
    project: &PathId,
    action: &str,
    caller_id: &mut Option<String>,
) -> Result<(), ApigError> {
    // A signed GET may hash a body; the signature covers it, so it goes in too.
    let (caller, _body) = super::authn::authenticate(state, parts, body).await?;
    *caller_id = Some(caller.id.clone());
    caller.authorize(project, action)?;
    Ok(())
}

/// The validated `{project_id}` and `{instance_id}` (segments 2 and 5) and, for
/// ShowDetailsOfApiV2, the raw `{api_id}` (segment 7).
fn path_segment(path: &str, index: usize, name: &str) -> Result<PathId, ApigError> {
    path.split('/')
        .nth(index)
        .and_then(|raw| percent_encoding::percent_decode_str(raw).decode_utf8().ok())
        .and_then(|decoded| PathId::parse(&decoded))
        .ok_or_else(|| ApigError::parameter(Code::Apig2012, name))
}

fn scope_of(path: &str) -> Result<Scope, ApigError> {
    Ok(Scope::new(
        path_segment(path, 2, "project_id")?,
        path_segment(path, 5, "instance_id")?,
    ))
}

fn internal(error: StoreError) -> ApigError {
    tracing::error!(target: "apig_import::http", %error, "read operation failed");
    ApigError::internal()
}

async fn require_instance(store: &dyn Store, scope: &Scope) -> Result<(), ApigError> {
    if store.instance_exists(scope).await.map_err(internal)? {
        Ok(())
    } else {
        Err(crate::import::instance_not_found(scope))
    }
}

fn api_not_found(raw: &str) -> ApigError {
    ApigError::with_message(
        Code::Apig3002,
        format!("{};id:{raw}", Code::Apig3002.base_message()),
    )
}

fn group_not_found(raw: &str) -> ApigError {
    // A query value can be anything: echo a bounded prefix of it.
    let shown: String = raw.chars().take(64).collect();
    ApigError::new(Code::Apig3001, format!("id:{shown}"))
}

// ---------------------------------------------------------------------------------------
// Query parameters

/// The decoded query pairs of a request.
struct Query(Vec<(String, String)>);

impl Query {
    fn of(parts: &Parts) -> Self {
        let pairs = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Query(pairs)
    }

    /// The first non-empty value of `name` (an empty value counts as absent).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every non-empty value of `name`, each split on commas.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ApigError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => parse(raw)
                .map(Some)
                .ok_or_else(|| ApigError::parameter(Code::Apig2012, name)),
        }
    }

    /// `offset` (≥ 0, default 0) and `limit` (1–500, default 20).
    fn page(&self) -> Result<Page, ApigError> {
        let offset = self
            .parsed("offset", |v| v.parse::<u64>().ok())?
            .unwrap_or(0);
        let limit = self
            .parsed("limit", |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
            })?
            .unwrap_or(DEFAULT_LIMIT);
        Ok(Page { offset, limit })
    }

    /// Is `field` to be matched exactly (`precise_search=name,req_uri`)?
    fn precise(&self, field: &str) -> bool {
        self.all("precise_search").iter().any(|f| f == field)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Page {
    offset: u64,
    limit: u64,
}

impl Page {
    /// This page of `items`, with the total count.
    fn of<T>(self, items: Vec<T>) -> (i64, Vec<T>) {
        let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let skip = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(self.limit).unwrap_or(usize::MAX);
        (total, items.into_iter().skip(skip).take(take).collect())
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A text filter: exact, or a case-insensitive substring.
struct TextFilter {
    value: String,
    exact: bool,
}

impl TextFilter {
    fn new(query: &Query, name: &str) -> Option<Self> {
        query.get(name).map(|value| TextFilter {
            value: value.to_string(),
            exact: query.precise(name),
        })
    }

    fn matches(&self, candidate: &str) -> bool {
        if self.exact {
            candidate == self.value
        } else {
            candidate
                .to_lowercase()
                .contains(&self.value.to_lowercase())
        }
    }
}

fn parse_protocol(v: &str) -> Option<Protocol> {
    match v.to_ascii_uppercase().as_str() {
        "HTTP" => Some(Protocol::Http),
        "HTTPS" => Some(Protocol::Https),
        "BOTH" => Some(Protocol::Both),
        _ => None,
    }
}

fn parse_auth_type(v: &str) -> Option<AuthType> {
    match v.to_ascii_uppercase().as_str() {
        "NONE" => Some(AuthType::None),
        "APP" => Some(AuthType::App),
        "IAM" => Some(AuthType::Iam),
        "AUTHORIZER" => Some(AuthType::Authorizer),
        _ => None,
    }
}

fn parse_api_type(v: &str) -> Option<RequestType> {
    match v {
        "1" => Some(RequestType::Public),
        "2" => Some(RequestType::Private),
        _ => None,
    }
}

/// Groups in a stable order: oldest first, then by name (unique in an instance).
fn sort_groups(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        (a.created_at.as_str(), a.name.as_str()).cmp(&(b.created_at.as_str(), b.name.as_str()))
    });
}

// ---------------------------------------------------------------------------------------
// ListApiGroupsV2

async fn groups(
    state: &AppState,
    request: Request,
    caller: &mut Option<String>,
) -> Result<ListApiGroupsResponse, ApigError> {
    let (parts, body) = request.into_parts();
    let scope = scope_of(parts.uri.path())?;
    authorize(
        state,
        &parts,
        body,
        &scope.project_id,
        LIST_GROUPS_ACTION,
        caller,
    )
    .await?;

    let query = Query::of(&parts);
    let page = query.page()?;
    let id = query.get("id").map(str::to_string);
    let name = TextFilter::new(&query, "name");

    let store = &*state.store;
    require_instance(store, &scope).await?;
    let mut groups = store.list_groups(&scope).await.map_err(internal)?;
    groups.retain(|g| {
        id.as_deref().is_none_or(|id| g.id.as_str() == id)
            && name.as_ref().is_none_or(|f| f.matches(g.name.as_str()))
    });
    sort_groups(&mut groups);
    let (total, groups) = page.of(groups);
    Ok(ListApiGroupsResponse {
        total,
        size: count(groups.len()),
        groups: groups.iter().map(views::group_info).collect(),
    })
}

// ---------------------------------------------------------------------------------------
// ListApisV2

/// The filters of ListApisV2.
struct ApiFilters {
    id: Option<String>,
    name: Option<TextFilter>,
    req_uri: Option<TextFilter>,
    req_protocol: Option<Protocol>,
    req_method: Option<Method>,
    auth_type: Option<AuthType>,
    api_type: Option<RequestType>,
    vpc_channel_name: Option<String>,
    /// Any of these tags; `#no_tags#` selects APIs without tags.
    tags: Vec<String>,
    /// APIs are not published: filtering by an environment selects none.
    env_id: bool,
}

impl ApiFilters {
    fn parse(query: &Query) -> Result<Self, ApigError> {
        Ok(ApiFilters {
            id: query.get("id").map(str::to_string),
            name: TextFilter::new(query, "name"),
            req_uri: TextFilter::new(query, "req_uri"),
            req_protocol: query.parsed("req_protocol", parse_protocol)?,
            req_method: query.parsed("req_method", Method::parse)?,
            auth_type: query.parsed("auth_type", parse_auth_type)?,
            api_type: query.parsed("type", parse_api_type)?,
            vpc_channel_name: query.get("vpc_channel_name").map(str::to_string),
            tags: query.all("tags"),
            env_id: query.get("env_id").is_some(),
        })
    }

    fn matches(&self, api: &Api) -> bool {
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

async fn apis(
    state: &AppState,
    request: Request,
    caller: &mut Option<String>,
) -> Result<ListApisResponse, ApigError> {
    let (parts, body) = request.into_parts();
    let scope = scope_of(parts.uri.path())?;
    authorize(
        state,
        &parts,
        body,
        &scope.project_id,
        LIST_APIS_ACTION,
        caller,
    )
    .await?;

    let query = Query::of(&parts);
    let page = query.page()?;
    let group_id = query.get("group_id").map(str::to_string);
    let filters = ApiFilters::parse(&query)?;

    let store = &*state.store;
    require_instance(store, &scope).await?;
    let mut groups = match group_id {
        Some(raw) => {
            let id = Id::parse(&raw).ok_or_else(|| group_not_found(&raw))?;
            let group = store.get_group(&scope, &id).await.map_err(internal)?;
            vec![group.ok_or_else(|| group_not_found(&raw))?]
        }
        None => store.list_groups(&scope).await.map_err(internal)?,
    };
    sort_groups(&mut groups);

    // Every matching API, group by group, each group's APIs by path, method, match mode.
    let mut matching: Vec<(usize, Api)> = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        let mut apis = store.list_apis(&scope, &group.id).await.map_err(internal)?;
        apis.retain(|api| filters.matches(api));
        apis.sort_by(|a, b| {
            let key = |api: &Api| {
                let d = &api.definition;
                (d.path.clone(), d.method, d.match_mode)
            };
            key(a).cmp(&key(b))
        });
        matching.extend(apis.into_iter().map(|api| (index, api)));
    }
    let (total, page_items) = page.of(matching);

    let apis: Vec<&Api> = page_items.iter().map(|(_, api)| api).collect();
    let lookups = lookups(store, &scope, &apis).await?;
    Ok(ListApisResponse {
        total,
        size: count(page_items.len()),
        apis: page_items
            .iter()
            .map(|(index, api)| views::api_summary(api, groups.get(*index), &lookups))
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// ShowDetailsOfApiV2

async fn api(
    state: &AppState,
    request: Request,
    caller: &mut Option<String>,
) -> Result<views::ApiDetail, ApigError> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let scope = scope_of(path)?;
    let raw_id = path_segment(path, 7, "api_id")?;
    authorize(
        state,
        &parts,
        body,
        &scope.project_id,
        GET_API_ACTION,
        caller,
    )
    .await?;

    let store = &*state.store;
    require_instance(store, &scope).await?;
    let not_found = || api_not_found(raw_id.as_str());
    let id = Id::parse(raw_id.as_str()).ok_or_else(not_found)?;
    let api = store
        .get_api(&scope, &id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let group = store
        .get_group(&scope, &api.group_id)
        .await
        .map_err(internal)?;
    let lookups = lookups(store, &scope, &[&api]).await?;
    Ok(views::api_detail(&api, group.as_ref(), &lookups))
}

// ---------------------------------------------------------------------------------------
// Names → ids

/// Resolve what `apis` reference by name, reading only what they need.
async fn lookups(store: &dyn Store, scope: &Scope, apis: &[&Api]) -> Result<Lookups, ApigError> {
    let mut lookups = Lookups::default();
    let uses_vpc = |api: &&Api| {
        let d = &api.definition;
        std::iter::once(&d.backend)
            .chain(d.backend_policies.iter().map(|p| &p.backend))
            .any(|b| matches!(b.endpoint, BackendEndpoint::HttpVpc(_)))
    };
    if apis.iter().any(|a| a.definition.authorizer.is_some()) {
        for object in store
            .list_shared(scope, SharedKind::Authorizer, None)
            .await
            .map_err(internal)?
        {
            lookups.authorizers.insert(object.key.name, object.id);
        }
    }
    let response_groups: BTreeSet<&Id> = apis
        .iter()
        .filter(|a| a.definition.response.is_some())
        .map(|a| &a.group_id)
        .collect();
    for group_id in response_groups {
        for object in store
            .list_shared(scope, SharedKind::GatewayResponse, Some(group_id))
            .await
            .map_err(internal)?
        {
            lookups
                .responses
                .insert((group_id.clone(), object.key.name), object.id);
        }
    }
    if apis.iter().any(uses_vpc) {
        for reference in store
            .list_references(scope, ReferenceKind::VpcChannel)
            .await
            .map_err(internal)?
        {
            lookups.vpc_channels.insert(reference.name, reference.id);
        }
    }
    Ok(lookups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Query {
        let request = axum::http::Request::get(format!("/x?{q}"))
            .body(())
            .expect("request");
        Query::of(&request.into_parts().0)
    }

    #[test]
    fn pages() {
        assert_eq!(
            query("").page().expect("page"),
            Page {
                offset: 0,
                limit: 20
            }
        );
        assert_eq!(
            query("offset=3&limit=500").page().expect("page"),
            Page {
                offset: 3,
                limit: 500
            }
        );
        assert_eq!(query("limit=").page().expect("page").limit, 20);
        for (bad, name) in [
            ("limit=abc", "limit"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=-1", "limit"),
            ("offset=-1", "offset"),
            ("offset=1.5", "offset"),
        ] {
            let e = query(bad).page().expect_err(bad);
            assert_eq!(e.code, Code::Apig2012, "{bad}");
            assert!(
                e.message.contains(&format!("parameterName:{name}")),
                "{bad}"
            );
        }
        assert_eq!(
            Page {
                offset: 2,
                limit: 2
            }
            .of(vec![1, 2, 3, 4, 5]),
            (5, vec![3, 4])
        );
        assert_eq!(
            Page {
                offset: 9,
                limit: 2
            }
            .of(vec![1, 2]),
            (2, vec![])
        );
    }

    #[test]
    fn text_filters() {
        let q = query("name=Prod&req_uri=%2Fshop&precise_search=req_uri");
        let name = TextFilter::new(&q, "name").expect("name");
        assert!(name.matches("list_products") && !name.matches("health"));
        let uri = TextFilter::new(&q, "req_uri").expect("uri");
        assert!(uri.matches("/shop") && !uri.matches("/shop/products"));
        assert_eq!(query("tags=a,b&tags=c").all("tags"), ["a", "b", "c"]);
    }

    #[test]
    fn path_ids() {
        let p = "/v2/p1/apigw/instances/i1/apis/0123456789abcdef0123456789abcdef";
        let scope = scope_of(p).expect("scope");
        assert_eq!(
            (scope.project_id.as_str(), scope.instance_id.as_str()),
            ("p1", "i1")
        );
        assert!(path_segment(p, 7, "api_id").is_ok());
        let e = path_segment("/v2/p1/apigw/instances/i1/apis/a.b", 7, "api_id").expect_err("bad");
        assert!(e.message.contains("parameterName:api_id"));
        assert!(scope_of("/v2/p%2F1/apigw/instances/i1/apis").is_err());
    }
}
