//! `ApiInfoPerPage` (items of `ListApisV2Response.apis`) and `ShowDetailsOfApiV2Response`,
//! with the models they nest: `BackendApi`, `VpcInfo`, `ApiFunc`, `ApiMock`, `ReqParam`,
//! `BackendParam`, `ApiPolicyHttpResp`, `ApiPolicyFunctionResp`, `ApiPolicyMockResp`,
//! `CoditionResp` (sic), `AuthOpt`, `ApiGroupCommonInfo`.
//!
//! Backend types: the SDK knows `HTTP`, `FUNCTION`, `MOCK` (and `GRPC`). An `HTTP-VPC`
//! backend is an `HTTP` backend whose `backend_api.vpc_channel_status` is `1` (uses a VPC
//! channel) with the channel in `backend_api.vpc_channel_info`; a plain `HTTP` backend has
//! status `2` and its address in `url_domain`. Backend policies of types `HTTP` and
//! `HTTP-VPC` are both `policy_https` items, told apart the same way.

use super::{Lookups, STATUS_VALID};
use crate::model::{
    Api, ApiListing, AuthType, Backend, BackendEndpoint, BackendParam as StoredBackendParam,
    BackendPolicy as StoredPolicy, ConditionOrigin, FunctionEndpoint, Group, HttpTarget,
    ListedBackend, PassThrough, PolicyCondition, RequestParam, RequestType, Scheme, VpcEndpoint,
};
use serde::Serialize;

/// `ListApisV2Response`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListApisResponse {
    /// Number of APIs matching the filters.
    pub total: i64,
    /// Number of APIs in this page.
    pub size: i64,
    pub apis: Vec<ApiSummary>,
}

/// `ApiInfoPerPage`: what a list item and the detail have in common.
///
/// Left out (no such thing is stored, or the product has no such feature): `version`,
/// `trace_enabled`, `sampling_strategy`, `sampling_param`, `body_remark`, `roma_app_id`,
/// `roma_app_name`, `domain_name`, `tag` (deprecated for `tags`), `arrange_necessary`,
/// `group_version`, `run_env_id`, `run_env_name`, `publish_id`, `publish_time` (APIs are
/// not published), `ld_api_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiSummary {
    pub id: String,
    pub name: String,
    /// `1` public, `2` private (`x-apigateway-request-type`).
    #[serde(rename = "type")]
    pub api_type: i32,
    pub req_protocol: &'static str,
    pub req_method: &'static str,
    pub req_uri: String,
    pub auth_type: &'static str,
    pub auth_opt: AuthOpt,
    pub cors: bool,
    pub match_mode: &'static str,
    pub backend_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub group_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_normal_sample: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_failure_sample: Option<String>,
    /// Id of the stored custom authorizer (auth type `AUTHORIZER`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    pub tags: Vec<String>,
    /// Id of the stored gateway response set of the group (`x-apigateway-response`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub is_send_fg_body_base64: bool,
    pub status: i32,
    pub register_time: String,
    pub update_time: String,
    /// The backend of types `HTTP` and `HTTP-VPC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_api: Option<BackendApi>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_group_info: Option<ApiGroupCommonInfo>,
    pub req_params: Vec<ReqParam>,
}

/// `ShowDetailsOfApiV2Response`: the summary and the backend in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiDetail {
    #[serde(flatten)]
    pub summary: ApiSummary,
    /// The backend of type `FUNCTION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub func_info: Option<ApiFunc>,
    /// The backend of type `MOCK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mock_info: Option<ApiMock>,
    pub backend_params: Vec<BackendParam>,
    pub policy_functions: Vec<PolicyFunction>,
    pub policy_mocks: Vec<PolicyMock>,
    pub policy_https: Vec<PolicyHttp>,
}

/// `AuthOpt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthOpt {
    /// `HEADER` (AppCode in a header, APP auth only) or `DISABLE`.
    pub app_code_auth_type: &'static str,
}

/// `ApiGroupCommonInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiGroupCommonInfo {
    pub id: String,
    pub name: String,
    pub status: i32,
    pub register_time: String,
    pub update_time: String,
}

/// `BackendApi`. Left out: `id`, `status`, `register_time`, `update_time` (a backend is not
/// stored on its own), `authorizer_id` (no backend authorizers), `version`,
/// `enable_sm_channel`, `member_group_url_infos`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendApi {
    /// Address of a backend without a VPC channel (host or IP with optional port).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_domain: Option<String>,
    pub req_protocol: &'static str,
    pub req_method: &'static str,
    pub req_uri: String,
    pub timeout: i64,
    pub retry_count: String,
    pub enable_client_ssl: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// `1` uses a VPC channel, `2` does not.
    pub vpc_channel_status: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_channel_info: Option<VpcInfo>,
}

/// `VpcInfo`. The channel's name has no field here; its id does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VpcInfo {
    /// Id of the registered VPC channel (left out if the channel is no longer registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_channel_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade_flag: Option<bool>,
}

/// `ApiFunc`. Left out: `id`, `status`, times, `authorizer_id`, `req_protocol`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiFunc {
    pub function_urn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// `sync` or `async`.
    pub invocation_type: &'static str,
    /// `V1` or `V2`.
    pub network_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_urn: Option<String>,
    pub timeout: i64,
}

/// `ApiMock`. Left out: `id`, `status`, times, `version`, `authorizer_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiMock {
    pub result_content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// `ReqParam`. Left out: `id`, `regular` and `json_schema` (not stored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReqParam {
    pub name: String,
    /// `STRING` or `NUMBER`.
    #[serde(rename = "type")]
    pub param_type: &'static str,
    /// `PATH`, `QUERY` or `HEADER`.
    pub location: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_value: Option<String>,
    /// `1` required, `2` optional.
    pub required: i32,
    /// `1` when the parameter has a constraint to check (enumerations, bounds, sizes).
    pub valid_enable: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumerations: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// `1` always passed to the backend, `2` never.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_through: Option<i32>,
    pub orchestrations: Vec<String>,
}

/// `BackendParam`. Left out: `id`, `req_param_id` (parameters have no ids of their own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendParam {
    /// `REQUEST`, `CONSTANT` or `SYSTEM`.
    pub origin: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    pub location: &'static str,
    pub value: String,
}

/// `CoditionResp` (the SDK's spelling). Left out: `id`, `req_param_id`, and the system,
/// cookie, authorizer and orchestration origins, which the import does not produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// `param` (a request parameter) or `source` (the client IP).
    pub condition_origin: &'static str,
    /// `exact`, `enum` or `pattern`.
    pub condition_type: &'static str,
    pub condition_value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req_param_name: Option<String>,
    /// Location of that request parameter, when it is one of the API's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req_param_location: Option<&'static str>,
}

/// `ApiPolicyHttpResp` (policies of types `HTTP` and `HTTP-VPC`). Left out: `id`,
/// `effect_mode` (not stored), `authorizer_id`, `enable_sm_channel`,
/// `member_group_url_infos`; the endpoint's `enableClientSsl` and `description` have no
/// field in this model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyHttp {
    pub name: String,
    pub backend_params: Vec<BackendParam>,
    pub conditions: Vec<Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_domain: Option<String>,
    pub req_protocol: &'static str,
    pub req_method: &'static str,
    pub req_uri: String,
    pub timeout: i64,
    pub retry_count: String,
    pub vpc_channel_status: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_channel_info: Option<VpcInfo>,
}

/// `ApiPolicyFunctionResp`. Left out: `id`, `effect_mode`, `authorizer_id`,
/// `req_protocol`; the endpoint's `description` has no field in this model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyFunction {
    pub name: String,
    pub backend_params: Vec<BackendParam>,
    pub conditions: Vec<Condition>,
    pub function_urn: String,
    pub invocation_type: &'static str,
    pub network_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_urn: Option<String>,
    pub timeout: i64,
}

/// `ApiPolicyMockResp`. Left out: `id`, `effect_mode`, `authorizer_id`; the endpoint's
/// `description` has no field in this model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyMock {
    pub name: String,
    pub backend_params: Vec<BackendParam>,
    pub conditions: Vec<Condition>,
    pub result_content: String,
}

/// The SDK types `min_num`/`max_num` as `int`: a whole bound is written as an integer; a
/// fractional one (possible for `NUMBER` parameters) has no exact `int` form and is left
/// out rather than rounded into a different constraint.
fn whole(value: Option<f64>) -> Option<i64> {
    value
        .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
        .map(|v| v as i64)
}

/// The `type` number of an API: `1` public, `2` private.
pub fn api_type(r: RequestType) -> i32 {
    match r {
        RequestType::Public => 1,
        RequestType::Private => 2,
    }
}

/// The SDK's `backend_type` of a backend: `HTTP` (with or without a VPC channel),
/// `FUNCTION` or `MOCK`.
pub fn backend_type(endpoint: &BackendEndpoint) -> &'static str {
    match endpoint {
        BackendEndpoint::Http(_) | BackendEndpoint::HttpVpc(_) => "HTTP",
        BackendEndpoint::Function(_) => "FUNCTION",
        BackendEndpoint::Mock(_) => "MOCK",
    }
}

/// The SDK writes the scheme in upper case (`HTTP`, `HTTPS`); the document and the store
/// in lower case.
fn scheme(s: Scheme) -> &'static str {
    match s {
        Scheme::Http => "HTTP",
        Scheme::Https => "HTTPS",
    }
}

fn req_param(p: &RequestParam) -> ReqParam {
    let validated = p.enumerations.is_some()
        || p.min_num.is_some()
        || p.max_num.is_some()
        || p.min_size.is_some()
        || p.max_size.is_some();
    ReqParam {
        name: p.name.clone(),
        param_type: p.param_type.as_str(),
        location: p.location.as_str(),
        default_value: p.default.clone(),
        sample_value: p.sample.clone(),
        required: if p.required { 1 } else { 2 },
        valid_enable: if validated { 1 } else { 2 },
        remark: p.description.clone(),
        enumerations: p.enumerations.clone(),
        min_num: whole(p.min_num),
        max_num: whole(p.max_num),
        min_size: p.min_size,
        max_size: p.max_size,
        pass_through: p.pass_through.map(|pt| match pt {
            PassThrough::Always => 1,
            PassThrough::Never => 2,
        }),
        orchestrations: p.orchestrations.clone(),
    }
}

fn backend_param(p: &StoredBackendParam) -> BackendParam {
    BackendParam {
        origin: p.origin.as_str(),
        name: p.name.clone(),
        remark: p.description.clone(),
        location: p.location.as_str(),
        value: p.value.clone(),
    }
}

fn condition(c: &PolicyCondition, params: &[RequestParam]) -> Condition {
    let param = c
        .parameter
        .as_deref()
        .and_then(|name| params.iter().find(|p| p.name == name));
    Condition {
        // The SDK calls a request-parameter condition `param`; the store `request`.
        condition_origin: match c.origin {
            ConditionOrigin::Source => "source",
            ConditionOrigin::Request => "param",
        },
        condition_type: c.condition_type.as_str(),
        condition_value: c.value.clone(),
        req_param_name: c.parameter.clone(),
        req_param_location: param.map(|p| p.location.as_str()),
    }
}

fn vpc_info(vpc: &VpcEndpoint, lookups: &Lookups) -> VpcInfo {
    VpcInfo {
        vpc_channel_id: lookups
            .vpc_channels
            .get(&vpc.channel_name)
            .map(ToString::to_string),
        cascade_flag: vpc.cascade_flag,
    }
}

/// The HTTP request to a backend: to `url_domain` (HTTP) or through the VPC channel in
/// `vpc_channel_info` (HTTP-VPC).
fn http_backend(
    target: &HttpTarget,
    url_domain: Option<String>,
    vpc_channel_info: Option<VpcInfo>,
) -> BackendApi {
    BackendApi {
        url_domain,
        req_protocol: scheme(target.scheme),
        req_method: target.method.as_str(),
        req_uri: target.path.clone(),
        timeout: i64::from(target.timeout_ms),
        retry_count: target.retry_count.to_string(),
        enable_client_ssl: target.enable_client_ssl,
        remark: target.description.clone(),
        vpc_channel_status: if vpc_channel_info.is_some() { 1 } else { 2 },
        vpc_channel_info,
    }
}

/// The HTTP part of a backend (`backend_api`), for `HTTP` and `HTTP-VPC` backends.
pub fn backend_api(backend: &Backend, lookups: &Lookups) -> Option<BackendApi> {
    match &backend.endpoint {
        BackendEndpoint::Http(http) => {
            Some(http_backend(&http.target, Some(http.address.clone()), None))
        }
        BackendEndpoint::HttpVpc(vpc) => Some(http_backend(
            &vpc.target,
            None,
            Some(vpc_info(vpc, lookups)),
        )),
        BackendEndpoint::Function(_) | BackendEndpoint::Mock(_) => None,
    }
}

/// [`backend_type`] of a listed backend.
fn listed_backend_type(backend: &ListedBackend) -> &'static str {
    match backend {
        ListedBackend::Http(_) | ListedBackend::HttpVpc(_) => "HTTP",
        ListedBackend::Function => "FUNCTION",
        ListedBackend::Mock => "MOCK",
    }
}

/// [`backend_api`] of a listed backend.
fn listed_backend_api(backend: &ListedBackend, lookups: &Lookups) -> Option<BackendApi> {
    match backend {
        ListedBackend::Http(http) => {
            Some(http_backend(&http.target, Some(http.address.clone()), None))
        }
        ListedBackend::HttpVpc(vpc) => Some(http_backend(
            &vpc.target,
            None,
            Some(vpc_info(vpc, lookups)),
        )),
        ListedBackend::Function | ListedBackend::Mock => None,
    }
}

fn func_info(f: &FunctionEndpoint) -> ApiFunc {
    ApiFunc {
        function_urn: f.function_urn.clone(),
        remark: f.description.clone(),
        invocation_type: f.invocation_type.as_str(),
        network_type: f.network_type.as_str(),
        version: f.version.clone(),
        alias_urn: f.alias_urn.clone(),
        timeout: i64::from(f.timeout_ms),
    }
}

/// A stored API as the SDK's `ApiInfoPerPage`. `group` is the API's group (looked up by
/// the caller; `None` leaves `group_name` and `api_group_info` out).
pub fn api_summary(api: &Api, group: Option<&Group>, lookups: &Lookups) -> ApiSummary {
    listing_summary(&ApiListing::from(api), group, lookups)
}

/// [`api_summary`] of what a listing keeps of an API (all the summary shows).
pub fn listing_summary(api: &ApiListing, group: Option<&Group>, lookups: &Lookups) -> ApiSummary {
    let d = &api.definition;
    let authorizer_id = match (d.auth_type, &d.authorizer) {
        (AuthType::Authorizer, Some(name)) => {
            lookups.authorizers.get(name).map(ToString::to_string)
        }
        _ => None,
    };
    let response_id = d.response.as_ref().and_then(|name| {
        lookups
            .responses
            .get(&(api.group_id.clone(), name.clone()))
            .map(ToString::to_string)
    });
    ApiSummary {
        id: api.id.to_string(),
        name: d.name.clone(),
        api_type: api_type(d.request_type),
        req_protocol: d.protocol.as_str(),
        req_method: d.method.as_str(),
        req_uri: d.path.clone(),
        auth_type: d.auth_type.as_str(),
        auth_opt: AuthOpt {
            app_code_auth_type: if d.app_code_auth { "HEADER" } else { "DISABLE" },
        },
        cors: d.cors,
        match_mode: d.match_mode.as_str(),
        backend_type: listed_backend_type(&d.backend),
        remark: d.remark.clone(),
        group_id: api.group_id.to_string(),
        group_name: group.map(|g| g.name.to_string()),
        result_normal_sample: d.result_normal_sample.clone(),
        result_failure_sample: d.result_failure_sample.clone(),
        authorizer_id,
        tags: d.tags.clone(),
        response_id,
        content_type: d.content_type.clone(),
        is_send_fg_body_base64: d.send_fg_body_base64,
        status: STATUS_VALID,
        register_time: api.created_at.clone(),
        update_time: api.updated_at.clone(),
        backend_api: listed_backend_api(&d.backend, lookups),
        api_group_info: group.map(|g| ApiGroupCommonInfo {
            id: g.id.to_string(),
            name: g.name.to_string(),
            status: STATUS_VALID,
            register_time: g.created_at.clone(),
            update_time: g.updated_at.clone(),
        }),
        req_params: d.req_params.iter().map(req_param).collect(),
    }
}

/// A stored API as the SDK's `ShowDetailsOfApiV2Response`.
pub fn api_detail(api: &Api, group: Option<&Group>, lookups: &Lookups) -> ApiDetail {
    let d = &api.definition;
    let mut detail = ApiDetail {
        summary: api_summary(api, group, lookups),
        func_info: None,
        mock_info: None,
        backend_params: d.backend.parameters.iter().map(backend_param).collect(),
        policy_functions: Vec::new(),
        policy_mocks: Vec::new(),
        policy_https: Vec::new(),
    };
    match &d.backend.endpoint {
        BackendEndpoint::Function(f) => detail.func_info = Some(func_info(f)),
        BackendEndpoint::Mock(m) => {
            detail.mock_info = Some(ApiMock {
                result_content: m.result_content.clone(),
                remark: m.description.clone(),
            })
        }
        BackendEndpoint::Http(_) | BackendEndpoint::HttpVpc(_) => {}
    }
    for policy in &d.backend_policies {
        add_policy(&mut detail, policy, &d.req_params, lookups);
    }
    detail
}

fn add_policy(
    detail: &mut ApiDetail,
    policy: &StoredPolicy,
    params: &[RequestParam],
    lookups: &Lookups,
) {
    let name = policy.name.clone();
    let backend_params = policy
        .backend
        .parameters
        .iter()
        .map(backend_param)
        .collect();
    let conditions = policy
        .conditions
        .iter()
        .map(|c| condition(c, params))
        .collect();
    match &policy.backend.endpoint {
        BackendEndpoint::Http(_) | BackendEndpoint::HttpVpc(_) => {
            let Some(http) = backend_api(&policy.backend, lookups) else {
                return;
            };
            detail.policy_https.push(PolicyHttp {
                name,
                backend_params,
                conditions,
                url_domain: http.url_domain,
                req_protocol: http.req_protocol,
                req_method: http.req_method,
                req_uri: http.req_uri,
                timeout: http.timeout,
                retry_count: http.retry_count,
                vpc_channel_status: http.vpc_channel_status,
                vpc_channel_info: http.vpc_channel_info,
            });
        }
        BackendEndpoint::Function(f) => detail.policy_functions.push(PolicyFunction {
            name,
            backend_params,
            conditions,
            function_urn: f.function_urn.clone(),
            invocation_type: f.invocation_type.as_str(),
            network_type: f.network_type.as_str(),
            version: f.version.clone(),
            alias_urn: f.alias_urn.clone(),
            timeout: i64::from(f.timeout_ms),
        }),
        BackendEndpoint::Mock(m) => detail.policy_mocks.push(PolicyMock {
            name,
            backend_params,
            conditions,
            result_content: m.result_content.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ApiDefinition, ConditionType, GroupName, HttpEndpoint, Id, InvocationType, MatchMode,
        Method, MockEndpoint, NetworkType, ParamLocation, ParamOrigin, ParamType, Protocol,
    };
    use crate::views::sdk_schema::conforms;
    use serde_json::{json, Value};

    fn id(n: u8) -> Id {
        Id::parse(&format!("{n:032x}")).expect("id")
    }

    fn param(name: &str, location: ParamLocation) -> RequestParam {
        RequestParam {
            name: name.into(),
            location,
            param_type: ParamType::String,
            required: false,
            default: None,
            enumerations: None,
            min_num: None,
            max_num: None,
            min_size: None,
            max_size: None,
            description: None,
            pass_through: None,
            sample: None,
            orchestrations: Vec::new(),
        }
    }

    fn vpc(channel: &str) -> BackendEndpoint {
        BackendEndpoint::HttpVpc(VpcEndpoint {
            channel_name: channel.into(),
            target: HttpTarget {
                scheme: Scheme::Http,
                method: Method::Get,
                path: "/v1/items/{id}".into(),
                timeout_ms: 2000,
                retry_count: -1,
                enable_client_ssl: false,
                description: Some("via the channel".into()),
            },
            cascade_flag: Some(false),
        })
    }

    fn function() -> BackendEndpoint {
        BackendEndpoint::Function(FunctionEndpoint {
            function_urn: "urn:fss:r:p:function:default:f".into(),
            version: Some("latest".into()),
            alias_urn: None,
            invocation_type: InvocationType::Async,
            network_type: NetworkType::V2,
            timeout_ms: 30000,
            description: None,
        })
    }

    fn api(endpoint: BackendEndpoint) -> Api {
        let mut id_param = param("productId", ParamLocation::Path);
        id_param.required = true;
        id_param.min_size = Some(8);
        id_param.max_size = Some(32);
        let mut limit = param("limit", ParamLocation::Query);
        limit.param_type = ParamType::Number;
        limit.min_num = Some(1.0);
        limit.max_num = Some(99.5);
        limit.sample = Some("20".into());
        limit.pass_through = Some(PassThrough::Never);
        limit.orchestrations = vec!["o1".into()];
        Api {
            id: id(1),
            group_id: id(2),
            version: 1,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            definition: ApiDefinition {
                name: "get_product".into(),
                remark: Some("one product".into()),
                method: Method::Get,
                path: "/shop/products/{productId}".into(),
                match_mode: MatchMode::Swa,
                protocol: Protocol::Https,
                request_type: RequestType::Private,
                cors: true,
                auth_type: AuthType::Authorizer,
                app_code_auth: false,
                authorizer: Some("customer_auth".into()),
                content_type: Some("application/json".into()),
                send_fg_body_base64: false,
                tags: vec!["catalog".into()],
                req_params: vec![id_param, limit],
                backend: Backend {
                    endpoint,
                    parameters: vec![StoredBackendParam {
                        name: "id".into(),
                        value: "productId".into(),
                        location: ParamLocation::Path,
                        origin: ParamOrigin::Request,
                        description: Some("renamed".into()),
                    }],
                },
                backend_policies: vec![
                    StoredPolicy {
                        name: "vpc_policy".into(),
                        backend: Backend {
                            endpoint: vpc("other_channel"),
                            parameters: Vec::new(),
                        },
                        conditions: vec![PolicyCondition {
                            condition_type: ConditionType::Exact,
                            value: "garden".into(),
                            origin: ConditionOrigin::Request,
                            parameter: Some("limit".into()),
                        }],
                    },
                    StoredPolicy {
                        name: "fn_policy".into(),
                        backend: Backend {
                            endpoint: function(),
                            parameters: Vec::new(),
                        },
                        conditions: vec![PolicyCondition {
                            condition_type: ConditionType::Pattern,
                            value: "10.0.0.0/8".into(),
                            origin: ConditionOrigin::Source,
                            parameter: None,
                        }],
                    },
                    StoredPolicy {
                        name: "mock_policy".into(),
                        backend: Backend::mock("{}"),
                        conditions: vec![PolicyCondition {
                            condition_type: ConditionType::Enum,
                            value: "a,b".into(),
                            origin: ConditionOrigin::Request,
                            parameter: Some("productId".into()),
                        }],
                    },
                ],
                ratelimit: Some("browse_limit".into()),
                access_control: None,
                plugins: Vec::new(),
                response: Some("shop_errors".into()),
                orchestrations: Vec::new(),
                result_normal_sample: Some("{\"ok\":true}".into()),
                result_failure_sample: Some("{\"ok\":false}".into()),
            },
        }
    }

    fn group() -> Group {
        Group {
            id: id(2),
            name: GroupName::parse("shop_backend").expect("name"),
            remark: None,
            created_at: "2025-12-31T00:00:00Z".into(),
            updated_at: "2025-12-31T00:00:00Z".into(),
        }
    }

    fn lookups() -> Lookups {
        let mut l = Lookups::default();
        l.authorizers.insert("customer_auth".into(), id(3));
        l.responses.insert((id(2), "shop_errors".into()), id(4));
        l.vpc_channels.insert("catalog_channel".into(), id(5));
        l
    }

    fn detail(endpoint: BackendEndpoint) -> Value {
        let json = serde_json::to_value(api_detail(&api(endpoint), Some(&group()), &lookups()))
            .expect("json");
        conforms("ShowDetailsOfApiV2Response", &json).unwrap_or_else(|e| panic!("{e}"));
        json
    }

    #[test]
    fn front_end_fields() {
        let d = detail(vpc("catalog_channel"));
        assert_eq!(d["id"], json!(id(1).as_str()));
        assert_eq!(d["name"], "get_product");
        assert_eq!(d["type"], 2);
        assert_eq!(d["req_protocol"], "HTTPS");
        assert_eq!(d["req_method"], "GET");
        assert_eq!(d["req_uri"], "/shop/products/{productId}");
        assert_eq!(d["match_mode"], "SWA");
        assert_eq!(d["auth_type"], "AUTHORIZER");
        assert_eq!(d["auth_opt"], json!({"app_code_auth_type": "DISABLE"}));
        assert_eq!(d["authorizer_id"], json!(id(3).as_str()));
        assert_eq!(d["response_id"], json!(id(4).as_str()));
        assert_eq!(d["cors"], true);
        assert_eq!(d["tags"], json!(["catalog"]));
        assert_eq!(d["remark"], "one product");
        assert_eq!(d["content_type"], "application/json");
        assert_eq!(d["is_send_fg_body_base64"], false);
        assert_eq!(d["result_normal_sample"], "{\"ok\":true}");
        assert_eq!(d["result_failure_sample"], "{\"ok\":false}");
        assert_eq!(d["group_id"], json!(id(2).as_str()));
        assert_eq!(d["group_name"], "shop_backend");
        assert_eq!(d["api_group_info"]["name"], "shop_backend");
        assert_eq!(d["status"], 1);
        assert_eq!(d["register_time"], "2026-01-01T00:00:00Z");
        assert_eq!(d["update_time"], "2026-01-02T00:00:00Z");
        assert_eq!(
            d["req_params"],
            json!([
                {"name": "productId", "type": "STRING", "location": "PATH", "required": 1,
                 "valid_enable": 1, "min_size": 8, "max_size": 32, "orchestrations": []},
                {"name": "limit", "type": "NUMBER", "location": "QUERY", "required": 2,
                 "sample_value": "20", "valid_enable": 1, "min_num": 1,
                 "pass_through": 2, "orchestrations": ["o1"]}
            ])
        );
        assert_eq!(
            d["backend_params"],
            json!([{"origin": "REQUEST", "name": "id", "remark": "renamed",
                    "location": "PATH", "value": "productId"}])
        );
    }

    #[test]
    fn vpc_backend_and_policies() {
        let d = detail(vpc("catalog_channel"));
        assert_eq!(d["backend_type"], "HTTP");
        assert_eq!(
            d["backend_api"],
            json!({"req_protocol": "HTTP", "req_method": "GET", "req_uri": "/v1/items/{id}",
                   "timeout": 2000, "retry_count": "-1", "enable_client_ssl": false,
                   "remark": "via the channel", "vpc_channel_status": 1,
                   "vpc_channel_info": {"vpc_channel_id": id(5).as_str(), "cascade_flag": false}})
        );
        assert!(d.get("func_info").is_none() && d.get("mock_info").is_none());
        // A policy's channel that is no longer registered: the status stays, the id goes.
        assert_eq!(
            d["policy_https"],
            json!([{"name": "vpc_policy", "backend_params": [],
                    "conditions": [{"condition_origin": "param", "condition_type": "exact",
                                    "condition_value": "garden", "req_param_name": "limit",
                                    "req_param_location": "QUERY"}],
                    "req_protocol": "HTTP", "req_method": "GET", "req_uri": "/v1/items/{id}",
                    "timeout": 2000, "retry_count": "-1", "vpc_channel_status": 1,
                    "vpc_channel_info": {"cascade_flag": false}}])
        );
        assert_eq!(d["policy_functions"][0]["name"], "fn_policy");
        assert_eq!(d["policy_functions"][0]["invocation_type"], "async");
        assert_eq!(d["policy_functions"][0]["network_type"], "V2");
        assert_eq!(
            d["policy_functions"][0]["conditions"],
            json!([{"condition_origin": "source", "condition_type": "pattern",
                    "condition_value": "10.0.0.0/8"}])
        );
        assert_eq!(d["policy_mocks"][0]["result_content"], "{}");
        assert_eq!(
            d["policy_mocks"][0]["conditions"][0]["req_param_location"],
            "PATH"
        );
    }

    #[test]
    fn http_function_and_mock_backends() {
        let d = detail(BackendEndpoint::Http(HttpEndpoint {
            address: "catalog.internal.example.com:8443".into(),
            target: HttpTarget {
                scheme: Scheme::Https,
                method: Method::Any,
                path: "/v1/items".into(),
                timeout_ms: 3000,
                retry_count: 2,
                enable_client_ssl: true,
                description: None,
            },
        }));
        assert_eq!(d["backend_type"], "HTTP");
        assert_eq!(
            d["backend_api"],
            json!({"url_domain": "catalog.internal.example.com:8443", "req_protocol": "HTTPS",
                   "req_method": "ANY", "req_uri": "/v1/items", "timeout": 3000,
                   "retry_count": "2", "enable_client_ssl": true, "vpc_channel_status": 2})
        );

        let d = detail(function());
        assert_eq!(d["backend_type"], "FUNCTION");
        assert!(d.get("backend_api").is_none());
        assert_eq!(
            d["func_info"],
            json!({"function_urn": "urn:fss:r:p:function:default:f", "invocation_type": "async",
                   "network_type": "V2", "version": "latest", "timeout": 30000})
        );

        let d = detail(BackendEndpoint::Mock(MockEndpoint {
            result_content: "{\"status\":\"ok\"}".into(),
            description: Some("canned".into()),
        }));
        assert_eq!(d["backend_type"], "MOCK");
        assert_eq!(
            d["mock_info"],
            json!({"result_content": "{\"status\":\"ok\"}", "remark": "canned"})
        );
    }

    #[test]
    fn summary_without_group_or_lookups() {
        let mut stored = api(function());
        stored.definition.auth_type = AuthType::App;
        stored.definition.app_code_auth = true;
        stored.definition.request_type = RequestType::Public;
        let json =
            serde_json::to_value(api_summary(&stored, None, &Lookups::default())).expect("json");
        conforms("ApiInfoPerPage", &json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json["type"], 1);
        assert_eq!(json["auth_opt"]["app_code_auth_type"], "HEADER");
        for absent in [
            "authorizer_id",
            "response_id",
            "group_name",
            "api_group_info",
            "func_info",
            "backend_params",
        ] {
            assert!(json.get(absent).is_none(), "{absent}");
        }
    }
}
