//! The listing attribute (`lst`) of API items: an [`ApiListing`] in a compact JSON form —
//! short names, absent options, empty lists and `false` left out, and nothing the index
//! entry already holds (the group is in the partition key; `version` and `created_at` are
//! projected native attributes). A page of a listing reads 20 of these, so every byte here
//! is paid 20 times per page.
//!
//! The API item's `body` holds the rest of the API ([`encode_rest`]): together the two
//! attributes are the API, stored once ([`decode_api`]).
//!
//! This form is storage only: the model's [`ApiListing`] is what the rest of the crate sees.

use crate::model::{
    Api, ApiDefinition, ApiListing, AuthType, Backend, BackendPolicy, HttpEndpoint, HttpTarget, Id,
    ListedBackend, ListedDefinition, MatchMode, Method, ParamLocation, ParamType, PassThrough,
    Protocol, RequestParam, RequestType, Scheme, VpcEndpoint,
};
use crate::store::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// One API's listing, stored.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    #[serde(rename = "i")]
    id: Id,
    #[serde(rename = "u")]
    updated_at: String,
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    remark: Option<String>,
    #[serde(rename = "m")]
    method: Method,
    #[serde(rename = "p")]
    path: String,
    #[serde(rename = "mm", default, skip_serializing_if = "is_default")]
    match_mode: MatchMode,
    #[serde(rename = "pr", default, skip_serializing_if = "is_default")]
    protocol: Protocol,
    #[serde(rename = "rt", default, skip_serializing_if = "is_default")]
    request_type: RequestType,
    #[serde(rename = "c", default, skip_serializing_if = "is_false")]
    cors: bool,
    #[serde(rename = "a", default, skip_serializing_if = "is_default")]
    auth_type: AuthType,
    #[serde(rename = "ac", default, skip_serializing_if = "is_false")]
    app_code_auth: bool,
    #[serde(rename = "az", default, skip_serializing_if = "Option::is_none")]
    authorizer: Option<String>,
    #[serde(rename = "ct", default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(rename = "fb", default, skip_serializing_if = "is_false")]
    send_fg_body_base64: bool,
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(rename = "q", default, skip_serializing_if = "Vec::is_empty")]
    req_params: Vec<StoredParam>,
    #[serde(rename = "b")]
    backend: StoredBackend,
    #[serde(rename = "rs", default, skip_serializing_if = "Option::is_none")]
    response: Option<String>,
    #[serde(rename = "ok", default, skip_serializing_if = "Option::is_none")]
    result_normal_sample: Option<String>,
    #[serde(rename = "ko", default, skip_serializing_if = "Option::is_none")]
    result_failure_sample: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredParam {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "l")]
    location: ParamLocation,
    #[serde(rename = "t")]
    param_type: ParamType,
    #[serde(rename = "rq", default, skip_serializing_if = "is_false")]
    required: bool,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    enumerations: Option<String>,
    #[serde(rename = "mn", default, skip_serializing_if = "Option::is_none")]
    min_num: Option<f64>,
    #[serde(rename = "mx", default, skip_serializing_if = "Option::is_none")]
    max_num: Option<f64>,
    #[serde(rename = "sn", default, skip_serializing_if = "Option::is_none")]
    min_size: Option<u64>,
    #[serde(rename = "sx", default, skip_serializing_if = "Option::is_none")]
    max_size: Option<u64>,
    #[serde(rename = "ds", default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "pt", default, skip_serializing_if = "Option::is_none")]
    pass_through: Option<PassThrough>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    sample: Option<String>,
    #[serde(rename = "o", default, skip_serializing_if = "Vec::is_empty")]
    orchestrations: Vec<String>,
}

/// The backend: `k` its type; for HTTP and HTTP-VPC the request.
#[derive(Debug, Serialize, Deserialize)]
struct StoredBackend {
    #[serde(rename = "k")]
    kind: BackendKind,
    /// HTTP: the address.
    #[serde(rename = "ad", default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    /// HTTP-VPC: the channel name.
    #[serde(rename = "ch", default, skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    #[serde(rename = "cf", default, skip_serializing_if = "Option::is_none")]
    cascade_flag: Option<bool>,
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    target: Option<StoredTarget>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum BackendKind {
    #[serde(rename = "H")]
    Http,
    #[serde(rename = "V")]
    HttpVpc,
    #[serde(rename = "F")]
    Function,
    #[serde(rename = "M")]
    Mock,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredTarget {
    #[serde(rename = "s")]
    scheme: Scheme,
    #[serde(rename = "m")]
    method: Method,
    #[serde(rename = "p")]
    path: String,
    #[serde(rename = "to")]
    timeout_ms: u32,
    #[serde(rename = "rc")]
    retry_count: i32,
    #[serde(rename = "ssl", default, skip_serializing_if = "is_false")]
    enable_client_ssl: bool,
    #[serde(rename = "ds", default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl From<&HttpTarget> for StoredTarget {
    fn from(t: &HttpTarget) -> Self {
        StoredTarget {
            scheme: t.scheme,
            method: t.method,
            path: t.path.clone(),
            timeout_ms: t.timeout_ms,
            retry_count: t.retry_count,
            enable_client_ssl: t.enable_client_ssl,
            description: t.description.clone(),
        }
    }
}

impl From<StoredTarget> for HttpTarget {
    fn from(t: StoredTarget) -> Self {
        HttpTarget {
            scheme: t.scheme,
            method: t.method,
            path: t.path,
            timeout_ms: t.timeout_ms,
            retry_count: t.retry_count,
            enable_client_ssl: t.enable_client_ssl,
            description: t.description,
        }
    }
}

impl From<&RequestParam> for StoredParam {
    fn from(p: &RequestParam) -> Self {
        StoredParam {
            name: p.name.clone(),
            location: p.location,
            param_type: p.param_type,
            required: p.required,
            default: p.default.clone(),
            enumerations: p.enumerations.clone(),
            min_num: p.min_num,
            max_num: p.max_num,
            min_size: p.min_size,
            max_size: p.max_size,
            description: p.description.clone(),
            pass_through: p.pass_through,
            sample: p.sample.clone(),
            orchestrations: p.orchestrations.clone(),
        }
    }
}

impl From<StoredParam> for RequestParam {
    fn from(p: StoredParam) -> Self {
        RequestParam {
            name: p.name,
            location: p.location,
            param_type: p.param_type,
            required: p.required,
            default: p.default,
            enumerations: p.enumerations,
            min_num: p.min_num,
            max_num: p.max_num,
            min_size: p.min_size,
            max_size: p.max_size,
            description: p.description,
            pass_through: p.pass_through,
            sample: p.sample,
            orchestrations: p.orchestrations,
        }
    }
}

fn stored_backend(b: &ListedBackend) -> StoredBackend {
    let empty = |kind| StoredBackend {
        kind,
        address: None,
        channel: None,
        cascade_flag: None,
        target: None,
    };
    match b {
        ListedBackend::Http(http) => StoredBackend {
            address: Some(http.address.clone()),
            target: Some((&http.target).into()),
            ..empty(BackendKind::Http)
        },
        ListedBackend::HttpVpc(vpc) => StoredBackend {
            channel: Some(vpc.channel_name.clone()),
            cascade_flag: vpc.cascade_flag,
            target: Some((&vpc.target).into()),
            ..empty(BackendKind::HttpVpc)
        },
        ListedBackend::Function => empty(BackendKind::Function),
        ListedBackend::Mock => empty(BackendKind::Mock),
    }
}

fn listed_backend(b: StoredBackend) -> StoreResult<ListedBackend> {
    let target = || {
        b.target
            .map(HttpTarget::from)
            .ok_or_else(|| StoreError::new("decode: listing: an HTTP backend without its request"))
    };
    Ok(match b.kind {
        BackendKind::Http => ListedBackend::Http(HttpEndpoint {
            address: b.address.clone().unwrap_or_default(),
            target: target()?,
        }),
        BackendKind::HttpVpc => ListedBackend::HttpVpc(VpcEndpoint {
            channel_name: b.channel.clone().unwrap_or_default(),
            cascade_flag: b.cascade_flag,
            target: target()?,
        }),
        BackendKind::Function => ListedBackend::Function,
        BackendKind::Mock => ListedBackend::Mock,
    })
}

/// The listing attribute's value for `api`.
pub fn encode(api: &Api) -> StoreResult<String> {
    let l = ApiListing::from(api);
    let d = l.definition;
    let stored = Stored {
        id: l.id,
        updated_at: l.updated_at,
        name: d.name,
        remark: d.remark,
        method: d.method,
        path: d.path,
        match_mode: d.match_mode,
        protocol: d.protocol,
        request_type: d.request_type,
        cors: d.cors,
        auth_type: d.auth_type,
        app_code_auth: d.app_code_auth,
        authorizer: d.authorizer,
        content_type: d.content_type,
        send_fg_body_base64: d.send_fg_body_base64,
        tags: d.tags,
        req_params: d.req_params.iter().map(StoredParam::from).collect(),
        backend: stored_backend(&d.backend),
        response: d.response,
        result_normal_sample: d.result_normal_sample,
        result_failure_sample: d.result_failure_sample,
    };
    super::codec::to_json(&stored)
}

/// The listing of an API of `group_id` from its stored value and the item's `version` and
/// `created_at`.
pub fn decode(
    value: &str,
    group_id: Id,
    version: u64,
    created_at: String,
) -> StoreResult<ApiListing> {
    let s: Stored = super::codec::from_json(value)?;
    Ok(ApiListing {
        id: s.id,
        group_id,
        version,
        created_at,
        updated_at: s.updated_at,
        definition: ListedDefinition {
            name: s.name,
            remark: s.remark,
            method: s.method,
            path: s.path,
            match_mode: s.match_mode,
            protocol: s.protocol,
            request_type: s.request_type,
            cors: s.cors,
            auth_type: s.auth_type,
            app_code_auth: s.app_code_auth,
            authorizer: s.authorizer,
            content_type: s.content_type,
            send_fg_body_base64: s.send_fg_body_base64,
            tags: s.tags,
            req_params: s.req_params.into_iter().map(RequestParam::from).collect(),
            backend: listed_backend(s.backend)?,
            response: s.response,
            result_normal_sample: s.result_normal_sample,
            result_failure_sample: s.result_failure_sample,
        },
    })
}

/// What an API item's `body` holds beside the listing: the rest of the definition (the
/// backend whole, as the listing keeps only its HTTP request).
#[derive(Debug, Serialize, Deserialize)]
struct Rest {
    backend: Backend,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    backend_policies: Vec<BackendPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratelimit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_control: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    plugins: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    orchestrations: Vec<String>,
}

/// The `body` of an API item stored with a listing attribute: what the listing leaves out.
pub fn encode_rest(api: &Api) -> StoreResult<String> {
    let d = &api.definition;
    super::codec::to_json(&Rest {
        backend: d.backend.clone(),
        backend_policies: d.backend_policies.clone(),
        ratelimit: d.ratelimit.clone(),
        access_control: d.access_control.clone(),
        plugins: d.plugins.clone(),
        orchestrations: d.orchestrations.clone(),
    })
}

/// The whole API from its listing and the rest (`body`), with the item's group, `version`
/// and `created_at`.
pub fn decode_api(
    listing: &str,
    rest: &str,
    group_id: Id,
    version: u64,
    created_at: String,
) -> StoreResult<Api> {
    let l = decode(listing, group_id, version, created_at)?;
    let r: Rest = super::codec::from_json(rest)?;
    let d = l.definition;
    Ok(Api {
        id: l.id,
        group_id: l.group_id,
        version: l.version,
        created_at: l.created_at,
        updated_at: l.updated_at,
        definition: ApiDefinition {
            name: d.name,
            remark: d.remark,
            method: d.method,
            path: d.path,
            match_mode: d.match_mode,
            protocol: d.protocol,
            request_type: d.request_type,
            cors: d.cors,
            auth_type: d.auth_type,
            app_code_auth: d.app_code_auth,
            authorizer: d.authorizer,
            content_type: d.content_type,
            send_fg_body_base64: d.send_fg_body_base64,
            tags: d.tags,
            req_params: d.req_params,
            backend: r.backend,
            backend_policies: r.backend_policies,
            ratelimit: r.ratelimit,
            access_control: r.access_control,
            plugins: r.plugins,
            response: d.response,
            orchestrations: r.orchestrations,
            result_normal_sample: d.result_normal_sample,
            result_failure_sample: d.result_failure_sample,
        },
    })
}
