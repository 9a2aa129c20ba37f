//! An API definition as the importer builds it from one operation, and as stored.

use super::ids::Id;
use serde::{Deserialize, Serialize};

/// Request method of an API; `Any` comes from `x-apigateway-any-method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Head,
    Patch,
    Options,
    Any,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
            Method::Any => "ANY",
        }
    }

    /// Case-insensitive parse of a method name (`ANY` included).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            "PATCH" => Method::Patch,
            "OPTIONS" => Method::Options,
            "ANY" => Method::Any,
            _ => return None,
        })
    }
}

/// `x-apigateway-match-mode`: exact or prefix matching of the request path.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum MatchMode {
    #[default]
    Normal,
    Swa,
}

impl MatchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchMode::Normal => "NORMAL",
            MatchMode::Swa => "SWA",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum AuthType {
    #[default]
    None,
    App,
    Iam,
    Authorizer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    Http,
    #[default]
    Https,
    Both,
}

/// `x-apigateway-request-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RequestType {
    #[default]
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ParamType {
    String,
    Number,
}

/// `x-apigateway-pass-through` on a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassThrough {
    Always,
    Never,
}

/// A request parameter of an API (from the operation's and path item's `parameters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestParam {
    pub name: String,
    pub location: ParamLocation,
    pub param_type: ParamType,
    pub required: bool,
    pub default: Option<String>,
    /// `enum` values joined with commas.
    pub enumerations: Option<String>,
    pub min_num: Option<f64>,
    pub max_num: Option<f64>,
    pub min_size: Option<u64>,
    pub max_size: Option<u64>,
    pub description: Option<String>,
    pub pass_through: Option<PassThrough>,
    pub sample: Option<String>,
    pub orchestrations: Vec<String>,
}

/// Where a backend parameter's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ParamOrigin {
    Request,
    Constant,
    System,
}

/// A backend parameter (`x-apigateway-backend.parameters`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendParam {
    pub name: String,
    /// Request parameter name (REQUEST), the constant (CONSTANT) or the system variable (SYSTEM).
    pub value: String,
    pub location: ParamLocation,
    pub origin: ParamOrigin,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// `httpEndpoints` of an HTTP backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpEndpoint {
    /// Host or IP with optional port; may contain `#var#` environment variables.
    pub address: String,
    pub scheme: Scheme,
    pub method: Method,
    pub path: String,
    pub timeout_ms: u32,
    pub retry_count: i32,
    pub enable_client_ssl: bool,
    pub description: Option<String>,
}

/// `httpVpcEndpoints` of an HTTP-VPC backend: the VPC channel is referenced by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    pub channel_name: String,
    pub scheme: Scheme,
    pub method: Method,
    pub path: String,
    pub timeout_ms: u32,
    pub retry_count: i32,
    pub enable_client_ssl: bool,
    pub description: Option<String>,
    pub cascade_flag: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvocationType {
    Sync,
    Async,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum NetworkType {
    #[default]
    V1,
    V2,
}

/// `functionEndpoints` of a FUNCTION backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionEndpoint {
    pub function_urn: String,
    pub version: Option<String>,
    pub alias_urn: Option<String>,
    pub invocation_type: InvocationType,
    pub network_type: NetworkType,
    pub timeout_ms: u32,
    pub description: Option<String>,
}

/// `mockEndpoints` of a MOCK backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MockEndpoint {
    pub result_content: String,
    pub description: Option<String>,
}

/// The endpoint of a backend; its variant is the backend type, so a type without its
/// endpoint object cannot exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING-KEBAB-CASE")]
pub enum BackendEndpoint {
    Http(HttpEndpoint),
    HttpVpc(VpcEndpoint),
    Function(FunctionEndpoint),
    Mock(MockEndpoint),
}

impl BackendEndpoint {
    /// The APIG backend type name: `HTTP`, `HTTP-VPC`, `FUNCTION`, `MOCK`.
    pub fn type_name(&self) -> &'static str {
        match self {
            BackendEndpoint::Http(_) => "HTTP",
            BackendEndpoint::HttpVpc(_) => "HTTP-VPC",
            BackendEndpoint::Function(_) => "FUNCTION",
            BackendEndpoint::Mock(_) => "MOCK",
        }
    }
}

/// A backend: its endpoint and the parameters passed to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backend {
    pub endpoint: BackendEndpoint,
    pub parameters: Vec<BackendParam>,
}

impl Backend {
    /// A MOCK backend answering `body`.
    pub fn mock(body: impl Into<String>) -> Self {
        Backend {
            endpoint: BackendEndpoint::Mock(MockEndpoint {
                result_content: body.into(),
                description: None,
            }),
            parameters: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionType {
    /// `equal` or `exact`.
    Exact,
    Enum,
    Pattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConditionOrigin {
    /// The client's source IP.
    Source,
    /// A request parameter (`request` or `request_parameter`).
    Request,
}

/// A condition of a backend policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCondition {
    pub condition_type: ConditionType,
    pub value: String,
    pub origin: ConditionOrigin,
    /// The request parameter tested; present exactly when `origin` is `Request`.
    pub parameter: Option<String>,
}

/// `x-apigateway-backend-policies` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendPolicy {
    pub name: String,
    pub backend: Backend,
    pub conditions: Vec<PolicyCondition>,
}

/// Everything the document says about one API: what an import creates or overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiDefinition {
    pub name: String,
    pub remark: Option<String>,
    pub method: Method,
    /// Full request path as stored (base path included).
    pub path: String,
    pub match_mode: MatchMode,
    pub protocol: Protocol,
    pub request_type: RequestType,
    pub cors: bool,
    pub auth_type: AuthType,
    /// `x-apigateway-auth-opt.appcode-auth-type: header` (APP auth only).
    pub app_code_auth: bool,
    /// Name of the custom authorizer (shared object) when `auth_type` is `Authorizer`.
    pub authorizer: Option<String>,
    pub content_type: Option<String>,
    pub send_fg_body_base64: bool,
    pub tags: Vec<String>,
    pub req_params: Vec<RequestParam>,
    pub backend: Backend,
    pub backend_policies: Vec<BackendPolicy>,
    pub ratelimit: Option<String>,
    pub access_control: Option<String>,
    pub plugins: Vec<String>,
    pub response: Option<String>,
    pub orchestrations: Vec<String>,
    pub result_normal_sample: Option<String>,
    pub result_failure_sample: Option<String>,
}

/// A stored API: a definition with its identity inside a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Api {
    pub id: Id,
    pub group_id: Id,
    /// Incremented by every replacement; the optimistic lock of `api_mode=override`.
    pub version: u64,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub updated_at: String,
    pub definition: ApiDefinition,
}
