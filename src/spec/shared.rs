//! Shared objects defined in the document (`extensions.md`): throttling policies,
//! access-control policies, gateway responses (root for 2.0; root or `components` for 3.x)
//! and custom authorizers (on security schemes). Each is validated on its own; an invalid
//! one becomes an `Err` item, so that only the APIs referencing it fail.

use super::backend::is_function_urn;
use super::document::Document;
use super::names::check_policy_name;
use super::node::Node;
use super::SharedItem;
use crate::config::Limits;
use crate::error::{echo, echo_pointer, ApiFailure, ApigError, Code};
use crate::model::{
    AccessControlPolicy, AclEntityType, AclType, AuthorizerIdentity, AuthorizerType,
    CustomAuthorizer, GatewayResponse, GatewayResponseSet, NetworkType, SharedDefinition,
    SharedKind, SpecialThrottle, SpecialType, ThrottlePolicy, TimeUnit,
};
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

const MAX_LIMIT: i64 = 2_147_483_647;
const MAX_ACL_ENTRIES: usize = 100;
const MAX_SPECIALS_PER_TYPE: usize = 30;
const MAX_RESPONSE_HEADERS: usize = 10;
/// Identity sources of one authorizer (headers and query strings it reads): a documented
/// limit (README, "Limits"), Huawei publishes none.
const MAX_AUTHORIZER_IDENTITIES: usize = 50;
/// Body templates (one per content type) of one gateway response: a documented limit.
const MAX_RESPONSE_BODIES: usize = 10;

const ERROR_TYPES: &[&str] = &[
    "AUTH_FAILURE",
    "AUTH_HEADER_MISSING",
    "AUTHORIZER_FAILURE",
    "AUTHORIZER_CONF_FAILURE",
    "AUTHORIZER_IDENTITIES_FAILURE",
    "BACKEND_UNAVAILABLE",
    "BACKEND_TIMEOUT",
    "THROTTLED",
    "UNAUTHORIZED",
    "ACCESS_DENIED",
    "NOT_FOUND",
    "REQUEST_PARAMETERS_FAILURE",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "THIRD_AUTH_FAILURE",
    "THIRD_AUTH_IDENTITIES_FAILURE",
    "THIRD_AUTH_CONF_FAILURE",
    "ORCHESTRATION_PARAMETER_NOT_FOUND",
    "ORCHESTRATION_FAILURE",
];

type Parser = fn(&str, &Node<'_>) -> Result<SharedDefinition, ApiFailure>;

/// Every shared object of the document, in document order.
///
/// Each collection is counted before any of its items is parsed: a document defining more
/// than the limit of a kind is refused as a whole (`import-api.md` §6 and the README's
/// limits table), so that the work and the objects stored stay bounded whatever it holds.
pub fn shared_items(doc: &Document<'_>, limits: &Limits) -> Result<Vec<SharedItem>, ApigError> {
    let root = doc.root_node();
    let mut sources = vec![root.clone()];
    if doc.version.is_v3() {
        sources.extend(root.get("components"));
    }
    let collections: [(&str, SharedKind, Parser); 3] = [
        ("x-apigateway-ratelimits", SharedKind::Throttle, throttle),
        (
            "x-apigateway-access-controls",
            SharedKind::AccessControl,
            access_control,
        ),
        (
            "x-apigateway-responses",
            SharedKind::GatewayResponse,
            responses,
        ),
    ];
    let mut items = SharedList::default();
    let mut counts: HashMap<SharedKind, usize> = HashMap::new();
    for source in &sources {
        for (key, kind, parse) in collections {
            let Some(collection) = source.get(key) else {
                continue;
            };
            // A collection that is not a map names nothing; references to it fail as unknown.
            let len = collection.value.as_object().map_or(0, |m| m.len());
            let count = counts.entry(kind).or_default();
            *count += len;
            check_count(kind, *count, &collection.pointer(), limits)?;
            for (name, node) in collection.entries() {
                let definition = parse(name, &node);
                items.push(kind, name, node.pointer(), definition);
            }
        }
    }
    let mut authorizers = 0;
    if let Some(schemes) = doc.security_schemes() {
        for (name, scheme) in schemes.entries() {
            let Ok(scheme) = doc.resolve(scheme) else {
                continue; // the operations using this scheme report the broken reference
            };
            if let Some(node) = scheme.get("x-apigateway-authorizer") {
                authorizers += 1;
                check_count(
                    SharedKind::Authorizer,
                    authorizers,
                    &schemes.pointer(),
                    limits,
                )?;
                let definition = authorizer(&node);
                items.push(SharedKind::Authorizer, name, node.pointer(), definition);
            }
        }
    }
    Ok(items.items)
}

/// The limit of a kind of shared object in one document, and the code for exceeding it:
/// the instance quotas for policies (a document over them can never be saved whole),
/// the documented per-document limits for the others.
fn document_limit(kind: SharedKind, limits: &Limits) -> (usize, Code) {
    let widen = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
    match kind {
        SharedKind::Throttle => (widen(limits.max_throttles_per_instance), Code::Apig3107),
        SharedKind::AccessControl => (widen(limits.max_acls_per_instance), Code::Apig3112),
        SharedKind::Authorizer => (limits.max_authorizers, Code::Apig3602),
        SharedKind::GatewayResponse => (limits.max_gateway_responses, Code::Apig3602),
    }
}

fn check_count(
    kind: SharedKind,
    count: usize,
    pointer: &str,
    limits: &Limits,
) -> Result<(), ApigError> {
    let (max, code) = document_limit(kind, limits);
    if count <= max {
        return Ok(());
    }
    let what = match kind {
        SharedKind::Throttle => "throttling policies",
        SharedKind::AccessControl => "access-control policies",
        SharedKind::Authorizer => "custom authorizers",
        SharedKind::GatewayResponse => "gateway responses",
    };
    Err(ApigError::new(
        code,
        format!(
            "the document defines more than {max} {what}, at most {max} may be imported at a time (at {})",
            echo_pointer(pointer)
        ),
    ))
}

/// The shared items in document order, with an index by kind and name so that finding a
/// name defined twice stays linear in the number of items.
#[derive(Default)]
struct SharedList {
    items: Vec<SharedItem>,
    first: HashMap<(SharedKind, String), usize>,
}

impl SharedList {
    /// Add an item; a name defined twice (root and `components`) is ambiguous, so both fail.
    fn push(
        &mut self,
        kind: SharedKind,
        name: &str,
        pointer: String,
        definition: Result<SharedDefinition, ApiFailure>,
    ) {
        let index = self.items.len();
        let first = *self.first.entry((kind, name.to_string())).or_insert(index);
        if first == index {
            self.items.push(SharedItem {
                kind,
                name: name.to_string(),
                pointer,
                definition,
            });
            return;
        }
        let failure = ApiFailure::field(
            Code::Apig2011,
            name,
            &pointer,
            format!(
                "the {} {name:?} is also defined at {}",
                kind.as_str(),
                echo_pointer(&self.items[first].pointer),
                name = echo(name)
            ),
        );
        self.items[first].definition = Err(failure.clone());
        self.items.push(SharedItem {
            kind,
            name: name.to_string(),
            pointer,
            definition: Err(failure),
        });
    }
}

fn require_object(node: &Node<'_>, name: &str) -> Result<(), ApiFailure> {
    if node.value.is_object() {
        Ok(())
    } else {
        Err(node.invalid(name, "must be an object"))
    }
}

fn throttle(name: &str, node: &Node<'_>) -> Result<SharedDefinition, ApiFailure> {
    check_policy_name(name).map_err(|e| node.invalid(name, e))?;
    require_object(node, name)?;
    let limit = |key: &str| node.int_in(key, 1..=MAX_LIMIT, Code::Apig2011);
    let api_limit = limit("api-limit")?
        .ok_or_else(|| node.invalid("api-limit", "the field api-limit is required"))?;
    let user_limit = limit("user-limit")?;
    let app_limit = limit("app-limit")?;
    let ip_limit = limit("ip-limit")?;
    let not_above =
        |key: &str, value: Option<i64>, bound_key: &str, bound: Option<i64>| match (value, bound) {
            (Some(v), Some(b)) if v > b => Err(node.field_node(key).invalid(
                key,
                format!("{key} ({v}) must not exceed {bound_key} ({b})"),
            )),
            _ => Ok(()),
        };
    not_above("user-limit", user_limit, "api-limit", Some(api_limit))?;
    not_above("app-limit", app_limit, "user-limit", user_limit)?;
    not_above("app-limit", app_limit, "api-limit", Some(api_limit))?;
    not_above("ip-limit", ip_limit, "api-limit", Some(api_limit))?;
    let interval = node
        .int_in("interval", 1..=MAX_LIMIT, Code::Apig2011)?
        .ok_or_else(|| node.invalid("interval", "the field interval is required"))?;
    let unit = node
        .choice(
            "unit",
            &[
                ("SECOND", TimeUnit::Second),
                ("MINUTE", TimeUnit::Minute),
                ("HOUR", TimeUnit::Hour),
                ("DAY", TimeUnit::Day),
            ],
        )?
        .ok_or_else(|| node.invalid("unit", "the field unit is required"))?;
    let mut special = Vec::new();
    for item in node.array("special")? {
        let special_type = item
            .choice(
                "type",
                &[("APP", SpecialType::App), ("USER", SpecialType::User)],
            )?
            .ok_or_else(|| item.invalid("type", "the field type is required"))?;
        let limit = item
            .int_in("limit", 1..=MAX_LIMIT, Code::Apig2011)?
            .ok_or_else(|| item.invalid("limit", "the field limit is required"))?;
        let instance = item.required_str("instance")?;
        special.push(SpecialThrottle {
            special_type,
            limit: limit.unsigned_abs(),
            instance: instance.to_string(),
        });
        let same = special
            .iter()
            .filter(|s| s.special_type == special_type)
            .count();
        if same > MAX_SPECIALS_PER_TYPE {
            return Err(item.invalid(
                "special",
                format!("at most {MAX_SPECIALS_PER_TYPE} special limits per type"),
            ));
        }
    }
    Ok(SharedDefinition::Throttle(ThrottlePolicy {
        api_limit: api_limit.unsigned_abs(),
        user_limit: user_limit.map(i64::unsigned_abs),
        app_limit: app_limit.map(i64::unsigned_abs),
        ip_limit: ip_limit.map(i64::unsigned_abs),
        interval: interval.unsigned_abs(),
        unit,
        shared: node.bool("shared")?.unwrap_or(false),
        special,
    }))
}

fn access_control(name: &str, node: &Node<'_>) -> Result<SharedDefinition, ApiFailure> {
    check_policy_name(name).map_err(|e| node.invalid(name, e))?;
    require_object(node, name)?;
    let acl_type = node
        .choice(
            "acl-type",
            &[("PERMIT", AclType::Permit), ("DENY", AclType::Deny)],
        )?
        .ok_or_else(|| node.invalid("acl-type", "the field acl-type is required"))?;
    let entity_type = node
        .choice(
            "entity-type",
            &[
                ("IP", AclEntityType::Ip),
                ("DOMAIN", AclEntityType::Domain),
                ("DOMAIN_ID", AclEntityType::DomainId),
            ],
        )?
        .ok_or_else(|| node.invalid("entity-type", "the field entity-type is required"))?;
    let value = node.required_str("value")?;
    let value_node = node.field_node("value");
    let entries: Vec<&str> = value.split(',').map(str::trim).collect();
    if entries.len() > MAX_ACL_ENTRIES {
        return Err(value_node.invalid(
            "value",
            format!(
                "at most {MAX_ACL_ENTRIES} entries, it has {}",
                entries.len()
            ),
        ));
    }
    for entry in &entries {
        if entry.is_empty() {
            return Err(value_node.invalid("value", "an entry is empty"));
        }
        if entity_type == AclEntityType::Ip && !is_ip_entry(entry) {
            return Err(value_node.fail(
                Code::Apig2015,
                "value",
                format!(
                    "{entry:?} is not an IPv4 address, a CIDR block or a range a-b",
                    entry = echo(entry)
                ),
            ));
        }
    }
    Ok(SharedDefinition::AccessControl(AccessControlPolicy {
        acl_type,
        entity_type,
        value: entries.join(","),
    }))
}

/// An IPv4 address, a CIDR block (`a.b.c.d/n`, n ≤ 32) or an ascending range `a-b`.
fn is_ip_entry(entry: &str) -> bool {
    if let Some((addr, prefix)) = entry.split_once('/') {
        return addr.parse::<Ipv4Addr>().is_ok() && prefix.parse::<u8>().is_ok_and(|p| p <= 32);
    }
    if let Some((from, to)) = entry.split_once('-') {
        return match (
            from.trim().parse::<Ipv4Addr>(),
            to.trim().parse::<Ipv4Addr>(),
        ) {
            (Ok(a), Ok(b)) => a <= b,
            _ => false,
        };
    }
    entry.parse::<Ipv4Addr>().is_ok()
}

fn responses(name: &str, node: &Node<'_>) -> Result<SharedDefinition, ApiFailure> {
    let name_ok = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    if !name_ok {
        return Err(node.invalid(
            name,
            format!("{name:?} is not a valid gateway response name: 1 to 64 letters, digits, '-' or '_'", name = echo(name)),
        ));
    }
    require_object(node, name)?;
    let mut set = BTreeMap::new();
    for (error_type, response) in node.entries() {
        if !ERROR_TYPES.contains(&error_type) {
            return Err(response.invalid(
                error_type,
                format!(
                    "{error_type:?} is not a gateway error type",
                    error_type = echo(error_type)
                ),
            ));
        }
        require_object(&response, error_type)?;
        let status = response
            .int_in("status", 200..=599, Code::Apig2011)?
            .ok_or_else(|| response.invalid("status", "the field status is required"))?;
        if status == 444 {
            return Err(response
                .field_node("status")
                .invalid("status", "444 is reserved"));
        }
        let mut body = BTreeMap::new();
        if let Some(bodies) = response.object("body")? {
            let count = bodies.value.as_object().map_or(0, |m| m.len());
            if count > MAX_RESPONSE_BODIES {
                return Err(bodies.invalid(
                    "body",
                    format!("at most {MAX_RESPONSE_BODIES} body templates, it has {count}"),
                ));
            }
            for (content_type, template) in bodies.entries() {
                let Some(text) = template.value.as_str() else {
                    return Err(template.invalid(content_type, "a body template must be a string"));
                };
                body.insert(content_type.to_string(), text.to_string());
            }
        }
        let headers = response.array("headers")?;
        if headers.len() > MAX_RESPONSE_HEADERS {
            return Err(response.field_node("headers").invalid(
                "headers",
                format!(
                    "at most {MAX_RESPONSE_HEADERS} headers, it has {}",
                    headers.len()
                ),
            ));
        }
        let headers = headers
            .map(|h| {
                Ok((
                    h.required_str("key")?.to_string(),
                    h.text("value")?.unwrap_or_default(),
                ))
            })
            .collect::<Result<Vec<_>, ApiFailure>>()?;
        set.insert(
            error_type.to_string(),
            GatewayResponse {
                status: status as u16,
                body,
                headers,
            },
        );
    }
    Ok(SharedDefinition::GatewayResponse(GatewayResponseSet {
        responses: set,
    }))
}

fn authorizer(node: &Node<'_>) -> Result<SharedDefinition, ApiFailure> {
    require_object(node, "x-apigateway-authorizer")?;
    let authorizer_type = node.str("authorizer_type")?.unwrap_or("FUNC");
    if authorizer_type != "FUNC" {
        return Err(node.field_node("authorizer_type").invalid(
            "authorizer_type",
            format!(
                "{authorizer_type:?} is not supported, only FUNC is",
                authorizer_type = echo(authorizer_type)
            ),
        ));
    }
    let uri = node.required_str("authorizer_uri")?;
    if !is_function_urn(uri) {
        return Err(node.field_node("authorizer_uri").fail(
            Code::Apig9002,
            "authorizer_uri",
            format!("{uri:?} is not a function URN", uri = echo(uri)),
        ));
    }
    let mut identities = Vec::new();
    let identities_node = node.array_max(
        "identities",
        MAX_AUTHORIZER_IDENTITIES,
        Code::Apig2011,
        "identity sources",
    )?;
    for item in identities_node {
        identities.push(AuthorizerIdentity {
            name: item.required_str("name")?.to_string(),
            location: item.required_str("location")?.to_string(),
            validation: item.str("validation")?.map(str::to_string),
        });
    }
    let timeout = node.int_in("timeout", 1..=600_000, Code::Apig2046)?;
    let retry_attempts = node.int_in("retry_attempts", 0..=10, Code::Apig2047)?;
    Ok(SharedDefinition::Authorizer(CustomAuthorizer {
        authorizer_type: authorizer_type.to_string(),
        authorizer_uri: uri.to_string(),
        authorizer_alias_uri: node.str("authorizer_alias_uri")?.map(str::to_string),
        authorizer_version: node.str_max("authorizer_version", 64)?.map(str::to_string),
        authorizer_kind: node
            .choice(
                "type",
                &[
                    ("FRONTEND", AuthorizerType::Frontend),
                    ("BACKEND", AuthorizerType::Backend),
                ],
            )?
            .ok_or_else(|| {
                node.invalid("type", "the field type (FRONTEND or BACKEND) is required")
            })?,
        network_type: node
            .choice(
                "network_type",
                &[("V1", NetworkType::V1), ("V2", NetworkType::V2)],
            )?
            .unwrap_or_default(),
        need_body: node.bool("need_body")?.unwrap_or(false),
        auth_downgrade_enabled: node.bool("auth_downgrade_enabled")?.unwrap_or(false),
        identities,
        ttl: node
            .int_in("ttl", 0..=i64::MAX, Code::Apig2011)?
            .map(i64::unsigned_abs),
        timeout_ms: timeout.map(|t| t as u32),
        retry_attempts: retry_attempts.map(|r| r as u8),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn items(v: &Value) -> Vec<SharedItem> {
        shared_items(
            &Document::new(
                crate::spec::tree::leaked(v),
                crate::spec::tree::leaked_arena(),
            )
            .unwrap(),
            &Limits::default(),
        )
        .unwrap()
    }

    fn one(kind_key: &str, def: Value) -> Result<SharedDefinition, ApiFailure> {
        let v = json!({"swagger": "2.0", "paths": {}, kind_key: {"pol_one": def}});
        items(&v).remove(0).definition
    }

    fn fails(kind_key: &str, def: Value, code: Code, words: &str) {
        let e = one(kind_key, def).unwrap_err();
        assert_eq!(e.code, code, "{}", e.message);
        assert!(e.message.contains(words), "{}", e.message);
        assert!(
            e.message.contains(&format!("(at /{kind_key}/pol_one")),
            "{}",
            e.message
        );
    }

    #[test]
    fn throttles() {
        let t = one("x-apigateway-ratelimits", json!({"api-limit": 100, "user-limit": 50, "app-limit": "10",
            "interval": 1, "unit": "minute", "special": [{"type": "USER", "limit": 5, "instance": "u1"}]}))
            .unwrap();
        let SharedDefinition::Throttle(t) = t else {
            panic!()
        };
        assert_eq!(
            (t.api_limit, t.app_limit, t.unit),
            (100, Some(10), TimeUnit::Minute)
        );
        assert_eq!(t.special[0].special_type, SpecialType::User);
        let k = "x-apigateway-ratelimits";
        fails(
            k,
            json!({"interval": 1, "unit": "SECOND"}),
            Code::Apig2011,
            "api-limit is required",
        );
        fails(
            k,
            json!({"api-limit": 10, "user-limit": 20, "interval": 1, "unit": "SECOND"}),
            Code::Apig2011,
            "must not exceed api-limit",
        );
        fails(
            k,
            json!({"api-limit": 10, "user-limit": 5, "app-limit": 6, "interval": 1, "unit": "SECOND"}),
            Code::Apig2011,
            "must not exceed user-limit",
        );
        fails(
            k,
            json!({"api-limit": 10, "ip-limit": 11, "interval": 1, "unit": "SECOND"}),
            Code::Apig2011,
            "ip-limit",
        );
        fails(
            k,
            json!({"api-limit": 10, "interval": 0, "unit": "SECOND"}),
            Code::Apig2011,
            "interval",
        );
        fails(
            k,
            json!({"api-limit": 10, "interval": 1, "unit": "WEEK"}),
            Code::Apig2011,
            "\"WEEK\"",
        );
        fails(
            k,
            json!({"api-limit": 0, "interval": 1, "unit": "DAY"}),
            Code::Apig2011,
            "between 1 and 2147483647",
        );
    }

    #[test]
    fn access_controls() {
        let SharedDefinition::AccessControl(a) = one("x-apigateway-access-controls",
            json!({"acl-type": "deny", "entity-type": "IP", "value": "10.0.0.0/8, 1.2.3.4,1.1.1.1-1.1.1.9"})).unwrap()
        else { panic!() };
        assert_eq!(
            (a.acl_type, a.value.as_str()),
            (AclType::Deny, "10.0.0.0/8,1.2.3.4,1.1.1.1-1.1.1.9")
        );
        let k = "x-apigateway-access-controls";
        for bad in [
            "10.0.0.256",
            "10.0.0.0/33",
            "1.1.1.9-1.1.1.1",
            "example.com",
            "1.2.3",
        ] {
            fails(
                k,
                json!({"acl-type": "PERMIT", "entity-type": "IP", "value": bad}),
                Code::Apig2015,
                bad,
            );
        }
        let many = vec!["1.1.1.1"; 101].join(",");
        fails(
            k,
            json!({"acl-type": "PERMIT", "entity-type": "IP", "value": many}),
            Code::Apig2011,
            "at most 100",
        );
        assert!(one(
            k,
            json!({"acl-type": "PERMIT", "entity-type": "DOMAIN", "value": "a.example.com"})
        )
        .is_ok());
    }

    #[test]
    fn gateway_responses() {
        let SharedDefinition::GatewayResponse(r) = one("x-apigateway-responses", json!({
            "THROTTLED": {"status": 429, "body": {"application/json": "{}"}, "headers": [{"key": "Retry-After", "value": 1}]}}))
            .unwrap() else { panic!() };
        assert_eq!(
            r.responses["THROTTLED"].headers,
            vec![("Retry-After".to_string(), "1".to_string())]
        );
        let k = "x-apigateway-responses";
        fails(
            k,
            json!({"THROTTLED": {"status": 444}}),
            Code::Apig2011,
            "444",
        );
        fails(
            k,
            json!({"THROTTLED": {"status": 199}}),
            Code::Apig2011,
            "between 200 and 599",
        );
        fails(
            k,
            json!({"SLOW": {"status": 429}}),
            Code::Apig2011,
            "not a gateway error type",
        );
        let headers: Vec<Value> = (0..11)
            .map(|i| json!({"key": format!("h{i}"), "value": "v"}))
            .collect();
        fails(
            k,
            json!({"THROTTLED": {"status": 429, "headers": headers}}),
            Code::Apig2011,
            "at most 10 headers",
        );
    }

    #[test]
    fn authorizers_and_duplicates() {
        let urn = "urn:fss:r:0123:function:default:auth";
        let v = json!({"openapi": "3.0.0", "paths": {},
            "x-apigateway-ratelimits": {"dup_limit": {"api-limit": 1, "interval": 1, "unit": "SECOND"}},
            "components": {
                "x-apigateway-ratelimits": {"dup_limit": {"api-limit": 2, "interval": 1, "unit": "SECOND"}},
                "securitySchemes": {
                    "ok": {"type": "apiKey", "x-apigateway-authorizer": {"authorizer_uri": urn, "type": "FRONTEND", "timeout": 600000, "retry_attempts": 10}},
                    "slow": {"type": "apiKey", "x-apigateway-authorizer": {"authorizer_uri": urn, "type": "FRONTEND", "timeout": 600001}},
                    "retry": {"type": "apiKey", "x-apigateway-authorizer": {"authorizer_uri": urn, "type": "FRONTEND", "retry_attempts": 11}},
                    "nouri": {"type": "apiKey", "x-apigateway-authorizer": {"type": "FRONTEND"}}}}});
        let all = items(&v);
        let names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["dup_limit", "dup_limit", "ok", "slow", "retry", "nouri"]
        );
        assert!(all[0].definition.is_err() && all[1].definition.is_err());
        assert!(all[2].definition.is_ok());
        assert_eq!(
            all[2].pointer,
            "/components/securitySchemes/ok/x-apigateway-authorizer"
        );
        assert_eq!(all[3].definition.as_ref().unwrap_err().code, Code::Apig2046);
        assert_eq!(all[4].definition.as_ref().unwrap_err().code, Code::Apig2047);
        let e = all[5].definition.as_ref().unwrap_err();
        assert!(
            e.message.contains("authorizer_uri is required"),
            "{}",
            e.message
        );
    }
}
