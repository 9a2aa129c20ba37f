//! The read operations over HTTP (`import-api.md` §7): routes, and query strings turned
//! into [`crate::read`] requests.
//!
//! Same contract as the import: the path's ids are validated, the caller is authenticated
//! before anything else is looked at and authorized for the operation's action in the
//! path's project. Query values that cannot be used are `APIG.2012` naming the parameter;
//! parameters this product does not know are ignored, as the SDKs send some of them
//! empty-handed.

use super::authn;
use super::path::PathIds;
use super::response::Json;
use super::AppState;
use crate::auth::{GET_API_ACTION, LIST_APIS_ACTION, LIST_GROUPS_ACTION};
use crate::error::{ApigError, Code};
use crate::model::{AuthType, Method, Protocol, RequestType};
use crate::read::{self, ApiFilters, ListApiGroups, ListApis, Page, TextFilter};
use crate::views::{ApiDetail, ListApiGroupsResponse, ListApisResponse};
use axum::extract::{Request, State};
use axum::http::request::Parts;

/// `GET` — ListApiGroupsV2.
pub const API_GROUPS_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/api-groups";
/// `GET` — ListApisV2.
pub const APIS_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/apis";
/// `GET` — ShowDetailsOfApiV2.
pub const API_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/apis/{api_id}";

/// ListApiGroupsV2: `offset`, `limit`, `id`, `name` (fuzzy unless `precise_search`
/// names it).
pub async fn list_api_groups(
    State(state): State<AppState>,
    ids: PathIds,
    request: Request,
) -> Result<Json<ListApiGroupsResponse>, ApigError> {
    let parts = authorized(&state, &ids, request, LIST_GROUPS_ACTION).await?;
    let query = Query::of(&parts);
    let request = ListApiGroups {
        page: query.page()?,
        id: query.get("id").map(str::to_string),
        name: query.text_filter("name"),
    };
    let response = read::list_api_groups(&*state.store, &ids.scope, &request).await?;
    Ok(Json(response))
}

/// ListApisV2: `offset`, `limit`, `id`, `name`, `group_id`, `req_protocol`, `req_method`,
/// `req_uri`, `auth_type`, `type`, `vpc_channel_name`, `tags`, `env_id`, `precise_search`.
pub async fn list_apis(
    State(state): State<AppState>,
    ids: PathIds,
    request: Request,
) -> Result<Json<ListApisResponse>, ApigError> {
    let parts = authorized(&state, &ids, request, LIST_APIS_ACTION).await?;
    let query = Query::of(&parts);
    let request = ListApis {
        page: query.page()?,
        group_id: query.get("group_id").map(str::to_string),
        filters: api_filters(&query)?,
    };
    let response = read::list_apis(&*state.store, &ids.scope, &request).await?;
    Ok(Json(response))
}

/// ShowDetailsOfApiV2.
pub async fn show_api(
    State(state): State<AppState>,
    ids: PathIds,
    request: Request,
) -> Result<Json<ApiDetail>, ApigError> {
    let api_id = ids.api_id()?;
    authorized(&state, &ids, request, GET_API_ACTION).await?;
    let response = read::show_api(&*state.store, &ids.scope, api_id.as_str()).await?;
    Ok(Json(response))
}

/// Authenticate and authorize the caller (headers only: nothing of the request is used
/// before this succeeds); the request's head, for its query.
async fn authorized(
    state: &AppState,
    ids: &PathIds,
    request: Request,
    action: &str,
) -> Result<Parts, ApigError> {
    let (parts, body) = request.into_parts();
    // A signed GET may hash a body; the signature covers it, so it goes in too.
    authn::authorize(state, &parts, body, &ids.scope.project_id, action).await?;
    Ok(parts)
}

/// The filters of ListApisV2 from its query.
fn api_filters(query: &Query) -> Result<ApiFilters, ApigError> {
    Ok(ApiFilters {
        id: query.get("id").map(str::to_string),
        name: query.text_filter("name"),
        req_uri: query.text_filter("req_uri"),
        req_protocol: query.parsed("req_protocol", parse_protocol)?,
        req_method: query.parsed("req_method", Method::parse)?,
        auth_type: query.parsed("auth_type", parse_auth_type)?,
        api_type: query.parsed("type", parse_api_type)?,
        vpc_channel_name: query.get("vpc_channel_name").map(str::to_string),
        tags: query.all("tags"),
        env_id: query.get("env_id").is_some(),
    })
}

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
                    .filter(|n| (1..=read::MAX_LIMIT).contains(n))
            })?
            .unwrap_or(read::DEFAULT_LIMIT);
        Ok(Page { offset, limit })
    }

    /// The filter on `name`: exact when `precise_search` names it, else fuzzy.
    fn text_filter(&self, name: &str) -> Option<TextFilter> {
        self.get(name).map(|value| TextFilter {
            value: value.to_string(),
            exact: self.all("precise_search").iter().any(|f| f == name),
        })
    }
}

/// The model's one string form decides; the query is case-insensitive.
fn parse_protocol(v: &str) -> Option<Protocol> {
    v.to_ascii_uppercase().parse().ok()
}

fn parse_auth_type(v: &str) -> Option<AuthType> {
    v.to_ascii_uppercase().parse().ok()
}

fn parse_api_type(v: &str) -> Option<RequestType> {
    match v {
        "1" => Some(RequestType::Public),
        "2" => Some(RequestType::Private),
        _ => None,
    }
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
        assert_eq!(query("").page().expect("page"), Page::default());
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
    }

    #[test]
    fn text_filters() {
        let q = query("name=Prod&req_uri=%2Fshop&precise_search=req_uri");
        let name = q.text_filter("name").expect("name");
        assert!(!name.exact && name.matches("list_products"));
        let uri = q.text_filter("req_uri").expect("uri");
        assert!(uri.exact && !uri.matches("/shop/products"));
        assert_eq!(query("tags=a,b&tags=c").all("tags"), ["a", "b", "c"]);
    }

    #[test]
    fn filters_refuse_unknown_values() {
        let e = api_filters(&query("req_protocol=ftp")).expect_err("protocol");
        assert!(e.message.contains("parameterName:req_protocol"));
        let f = api_filters(&query("auth_type=app&type=2")).expect("filters");
        assert_eq!(f.auth_type, Some(AuthType::App));
        assert_eq!(f.api_type, Some(RequestType::Private));
    }
}
