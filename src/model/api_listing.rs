//! What a listing of APIs shows of each one (`ListApisV2`'s `ApiInfoPerPage`): the
//! definition without the backend's parameters, the backend policies and the references a
//! list never names (throttle, access control, plugins, orchestrations). A store can keep
//! it beside the API, small, so that a page of a listing reads it instead of whole APIs.

use super::api::{
    Api, AuthType, BackendEndpoint, HttpEndpoint, MatchMode, Method, Protocol, RequestParam,
    RequestType, VpcEndpoint,
};
use super::ids::Id;

/// An API as a listing shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiListing {
    pub id: Id,
    pub group_id: Id,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
    pub definition: ListedDefinition,
}

/// The part of an [`ApiDefinition`](super::ApiDefinition) a listing shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedDefinition {
    pub name: String,
    pub remark: Option<String>,
    pub method: Method,
    pub path: String,
    pub match_mode: MatchMode,
    pub protocol: Protocol,
    pub request_type: RequestType,
    pub cors: bool,
    pub auth_type: AuthType,
    pub app_code_auth: bool,
    pub authorizer: Option<String>,
    pub content_type: Option<String>,
    pub send_fg_body_base64: bool,
    pub tags: Vec<String>,
    pub req_params: Vec<RequestParam>,
    pub backend: ListedBackend,
    /// Name of the group's gateway response set.
    pub response: Option<String>,
    pub result_normal_sample: Option<String>,
    pub result_failure_sample: Option<String>,
}

/// The backend as a listing shows it: the HTTP request of an `HTTP` / `HTTP-VPC` backend,
/// only the type of the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListedBackend {
    Http(HttpEndpoint),
    HttpVpc(VpcEndpoint),
    Function,
    Mock,
}

impl ListedBackend {
    pub fn of(endpoint: &BackendEndpoint) -> Self {
        match endpoint {
            BackendEndpoint::Http(http) => ListedBackend::Http(http.clone()),
            BackendEndpoint::HttpVpc(vpc) => ListedBackend::HttpVpc(vpc.clone()),
            BackendEndpoint::Function(_) => ListedBackend::Function,
            BackendEndpoint::Mock(_) => ListedBackend::Mock,
        }
    }
}

impl From<&Api> for ApiListing {
    fn from(api: &Api) -> Self {
        let d = &api.definition;
        ApiListing {
            id: api.id.clone(),
            group_id: api.group_id.clone(),
            version: api.version,
            created_at: api.created_at.clone(),
            updated_at: api.updated_at.clone(),
            definition: ListedDefinition {
                name: d.name.clone(),
                remark: d.remark.clone(),
                method: d.method,
                path: d.path.clone(),
                match_mode: d.match_mode,
                protocol: d.protocol,
                request_type: d.request_type,
                cors: d.cors,
                auth_type: d.auth_type,
                app_code_auth: d.app_code_auth,
                authorizer: d.authorizer.clone(),
                content_type: d.content_type.clone(),
                send_fg_body_base64: d.send_fg_body_base64,
                tags: d.tags.clone(),
                req_params: d.req_params.clone(),
                backend: ListedBackend::of(&d.backend.endpoint),
                response: d.response.clone(),
                result_normal_sample: d.result_normal_sample.clone(),
                result_failure_sample: d.result_failure_sample.clone(),
            },
        }
    }
}

impl From<Api> for ApiListing {
    fn from(api: Api) -> Self {
        ApiListing::from(&api)
    }
}
