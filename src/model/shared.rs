//! Shared named objects defined at a document's root: throttling and access-control
//! policies and custom authorizers (per instance), gateway responses (per group).

use super::ids::Id;
use super::strings::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum SharedKind {
        Throttle = "throttle",
        AccessControl = "access_control",
        Authorizer = "authorizer",
        /// Scoped to a group, not the instance.
        GatewayResponse = "gateway_response",
    }
}

impl SharedKind {
    /// Is the object scoped to a group (else to the instance)?
    pub fn per_group(self) -> bool {
        matches!(self, SharedKind::GatewayResponse)
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum TimeUnit {
        Second = "SECOND",
        Minute = "MINUTE",
        Hour = "HOUR",
        Day = "DAY",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SpecialType {
        App = "APP",
        User = "USER",
    }
}

/// A special (per app / per user) throttling limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialThrottle {
    pub special_type: SpecialType,
    pub limit: u64,
    pub instance: String,
}

/// `x-apigateway-ratelimits` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottlePolicy {
    pub api_limit: u64,
    pub user_limit: Option<u64>,
    pub app_limit: Option<u64>,
    pub ip_limit: Option<u64>,
    pub interval: u64,
    pub unit: TimeUnit,
    pub shared: bool,
    pub special: Vec<SpecialThrottle>,
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum AclType {
        Permit = "PERMIT",
        Deny = "DENY",
    }
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum AclEntityType {
        Ip = "IP",
        Domain = "DOMAIN",
        DomainId = "DOMAIN_ID",
    }
}

/// `x-apigateway-access-controls` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessControlPolicy {
    pub acl_type: AclType,
    pub entity_type: AclEntityType,
    /// Comma-separated entries, each validated.
    pub value: String,
}

string_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum AuthorizerType {
        Frontend = "FRONTEND",
        Backend = "BACKEND",
    }
}

/// An identity source of a custom authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizerIdentity {
    pub name: String,
    pub location: String,
    pub validation: Option<String>,
}

/// `x-apigateway-authorizer` of a security scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAuthorizer {
    /// Always `FUNC`.
    pub authorizer_type: String,
    pub authorizer_uri: String,
    pub authorizer_alias_uri: Option<String>,
    pub authorizer_version: Option<String>,
    pub authorizer_kind: AuthorizerType,
    pub network_type: super::api::NetworkType,
    pub need_body: bool,
    pub auth_downgrade_enabled: bool,
    pub identities: Vec<AuthorizerIdentity>,
    pub ttl: Option<u64>,
    pub timeout_ms: Option<u32>,
    pub retry_attempts: Option<u8>,
}

/// One gateway response: status, bodies per content type, headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayResponse {
    pub status: u16,
    pub body: BTreeMap<String, String>,
    pub headers: Vec<(String, String)>,
}

/// `x-apigateway-responses` entry: error type (e.g. `THROTTLED`) → response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayResponseSet {
    pub responses: BTreeMap<String, GatewayResponse>,
}

/// The definition of a shared object; its variant is its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SharedDefinition {
    Throttle(ThrottlePolicy),
    AccessControl(AccessControlPolicy),
    Authorizer(CustomAuthorizer),
    GatewayResponse(GatewayResponseSet),
}

impl SharedDefinition {
    pub fn kind(&self) -> SharedKind {
        match self {
            SharedDefinition::Throttle(_) => SharedKind::Throttle,
            SharedDefinition::AccessControl(_) => SharedKind::AccessControl,
            SharedDefinition::Authorizer(_) => SharedKind::Authorizer,
            SharedDefinition::GatewayResponse(_) => SharedKind::GatewayResponse,
        }
    }
}

/// Identity of a shared object inside an instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SharedKey {
    pub kind: SharedKind,
    /// Set exactly for group-scoped kinds (gateway responses).
    pub group_id: Option<Id>,
    pub name: String,
}

/// A stored shared object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedObject {
    pub id: Id,
    pub key: SharedKey,
    pub version: u64,
    pub definition: SharedDefinition,
    pub created_at: String,
    pub updated_at: String,
}
