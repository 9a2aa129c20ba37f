//! An API definition as the importer builds it from one operation, and as stored.

use super::ids::Id;
use super::strings::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Request method of an API; `Any` comes from `x-apigateway-any-method`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Method {
        Get = "GET",
        Post = "POST",
        Put = "PUT",
        Delete = "DELETE",
        Head = "HEAD",
        Patch = "PATCH",
        Options = "OPTIONS",
        Any = "ANY",
    }
}

impl Method {
    /// Case-insensitive parse of a method name (`ANY` included).
    pub fn parse(s: &str) -> Option<Self> {
        s.to_ascii_uppercase().parse().ok()
    }
}

string_enum! {
    /// `x-apigateway-match-mode`: exact or prefix matching of the request path.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub enum MatchMode {
        #[default]
        Normal = "NORMAL",
        Swa = "SWA",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum AuthType {
        #[default]
        None = "NONE",
        App = "APP",
        Iam = "IAM",
        Authorizer = "AUTHORIZER",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Protocol {
        Http = "HTTP",
        #[default]
        Https = "HTTPS",
        Both = "BOTH",
    }
}

string_enum! {
    /// `x-apigateway-request-type`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum RequestType {
        #[default]
        Public = "public",
        Private = "private",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ParamLocation {
        Path = "PATH",
        Query = "QUERY",
        Header = "HEADER",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ParamType {
        String = "STRING",
        Number = "NUMBER",
    }
}

string_enum! {
    /// `x-apigateway-pass-through` on a parameter.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum PassThrough {
        Always = "always",
        Never = "never",
    }
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

string_enum! {
    /// Where a backend parameter's value comes from.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ParamOrigin {
        Request = "REQUEST",
        Constant = "CONSTANT",
        System = "SYSTEM",
    }
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

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scheme {
        Http = "http",
        Https = "https",
    }
}

/// What an HTTP request to a backend looks like, whether it goes to an address
/// ([`HttpEndpoint`]) or through a VPC channel ([`VpcEndpoint`]). Flattened into both, so
/// the stored JSON has these fields beside the address or channel name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpTarget {
    pub scheme: Scheme,
    pub method: Method,
    pub path: String,
    pub timeout_ms: u32,
    pub retry_count: i32,
    pub enable_client_ssl: bool,
    pub description: Option<String>,
}

/// `httpEndpoints` of an HTTP backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpEndpoint {
    /// Host or IP with optional port; may contain `#var#` environment variables.
    pub address: String,
    #[serde(flatten)]
    pub target: HttpTarget,
}

/// `httpVpcEndpoints` of an HTTP-VPC backend: the VPC channel is referenced by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    pub channel_name: String,
    #[serde(flatten)]
    pub target: HttpTarget,
    pub cascade_flag: Option<bool>,
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum InvocationType {
        Sync = "sync",
        Async = "async",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum NetworkType {
        #[default]
        V1 = "V1",
        V2 = "V2",
    }
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

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ConditionType {
        /// `equal` or `exact`.
        Exact = "exact",
        Enum = "enum",
        Pattern = "pattern",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ConditionOrigin {
        /// The client's source IP.
        Source = "source",
        /// A request parameter (`request` or `request_parameter`).
        Request = "request",
    }
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
