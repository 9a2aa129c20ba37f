//! Stored values → the file's value: the inverse of `crate::spec`. Every field written here
//! is read back by the import into the same stored field (`async-export.md` §4.3); the
//! comments say where a form was chosen for that reason.

use super::{Define, ExportSource, OasVersion};
use crate::model::{
    AccessControlPolicy, Api, ApiDefinition, AuthType, Backend, BackendEndpoint, BackendParam,
    BackendPolicy, CustomAuthorizer, GatewayResponseSet, HttpTarget, Method, ParamLocation,
    ParamType, PolicyCondition, Protocol, RequestParam, SharedDefinition, ThrottlePolicy,
};
use serde_json::{json, Map, Value};

/// Security scheme names for the built-in authentication types.
const APP_SCHEME: &str = "apig-auth-app";
const APP_CODE_SCHEME: &str = "apig-auth-app-header";
const IAM_SCHEME: &str = "apig-auth-iam";

/// The document of `source` in `oas`, carrying what `define` asks, with `info.version`
/// `version`. Operations are ordered by path, method, match mode and name, so that the same
/// stored APIs always give the same file.
pub fn document(source: &ExportSource, oas: OasVersion, define: Define, version: &str) -> Value {
    let mut apis: Vec<&Api> = source.apis.iter().collect();
    apis.sort_by(|a, b| {
        let key = |api: &&Api| {
            let d = &api.definition;
            (d.path.clone(), d.method, d.match_mode, d.name.clone())
        };
        key(a).cmp(&key(b))
    });

    let mut root = Map::new();
    match oas {
        OasVersion::V2 => root.insert("swagger".into(), json!("2.0")),
        OasVersion::V3 => root.insert("openapi".into(), json!("3.0.3")),
    };
    let mut info = Map::new();
    info.insert("title".into(), json!(source.group.name.as_str()));
    if let Some(remark) = &source.group.remark {
        info.insert("description".into(), json!(remark));
    }
    info.insert("version".into(), json!(version));
    root.insert("info".into(), Value::Object(info));

    let mut schemes = Map::new();
    let mut paths = Map::new();
    for api in &apis {
        let d = &api.definition;
        if let Some((name, scheme)) = security_scheme(source, d, define) {
            schemes.entry(name).or_insert(scheme);
        }
        let operation = operation(d, oas, define);
        let method_key = match d.method {
            Method::Any => "x-apigateway-any-method".to_string(),
            other => other.as_str().to_ascii_lowercase(),
        };
        // One path item holds one operation per method; the route `NORMAL` and `SWA` of the
        // same method and path are two APIs. The second goes under the path written without
        // its leading `/`, which the import joins back to the same stored path.
        let written = [d.path.clone(), d.path.trim_start_matches('/').to_string()];
        let key = written
            .iter()
            .find(|key| {
                paths
                    .get(key.as_str())
                    .and_then(|item| item.get(&method_key))
                    .is_none()
            })
            .unwrap_or(&written[0])
            .clone();
        let item = paths
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(method_key, Value::Object(operation));
        }
    }

    if define.everything() {
        for (key, objects) in shared_collections(source) {
            if !objects.is_empty() {
                root.insert(key.into(), Value::Object(objects));
            }
        }
    }
    root.insert("paths".into(), Value::Object(paths));
    if !schemes.is_empty() {
        match oas {
            OasVersion::V2 => {
                root.insert("securityDefinitions".into(), Value::Object(schemes));
            }
            OasVersion::V3 => {
                root.insert(
                    "components".into(),
                    json!({ "securitySchemes": Value::Object(schemes) }),
                );
            }
        }
    }
    Value::Object(root)
}

/// The security scheme an API's operation names, if any.
fn security_scheme(
    source: &ExportSource,
    d: &ApiDefinition,
    define: Define,
) -> Option<(String, Value)> {
    let api_key = |extra: Value| {
        let mut scheme = json!({"type": "apiKey", "name": "Authorization", "in": "header"});
        if let (Value::Object(scheme), Value::Object(extra)) = (&mut scheme, extra) {
            scheme.extend(extra);
        }
        scheme
    };
    match d.auth_type {
        AuthType::None => None,
        AuthType::App if d.app_code_auth => Some((
            APP_CODE_SCHEME.into(),
            api_key(json!({"x-apigateway-auth-type": "AppSigv1",
                "x-apigateway-auth-opt": {"appcode-auth-type": "header"}})),
        )),
        AuthType::App => Some((
            APP_SCHEME.into(),
            api_key(json!({"x-apigateway-auth-type": "AppSigv1"})),
        )),
        AuthType::Iam => Some((
            IAM_SCHEME.into(),
            api_key(json!({"x-apigateway-auth-type": "IAM"})),
        )),
        AuthType::Authorizer => {
            let name = d.authorizer.clone()?;
            let stored = source.shared.iter().find_map(|o| match &o.definition {
                SharedDefinition::Authorizer(a) if o.key.name == name => Some(a),
                _ => None,
            });
            let extra = match stored {
                Some(authorizer) if define.everything() => {
                    json!({"x-apigateway-authorizer": authorizer_value(authorizer)})
                }
                _ => json!({}),
            };
            Some((name, api_key(extra)))
        }
    }
}

fn security_name(d: &ApiDefinition) -> Option<String> {
    match d.auth_type {
        AuthType::None => None,
        AuthType::App if d.app_code_auth => Some(APP_CODE_SCHEME.into()),
        AuthType::App => Some(APP_SCHEME.into()),
        AuthType::Iam => Some(IAM_SCHEME.into()),
        AuthType::Authorizer => d.authorizer.clone(),
    }
}

fn operation(d: &ApiDefinition, oas: OasVersion, define: Define) -> Map<String, Value> {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(d.name));
    if let Some(remark) = &d.remark {
        op.insert("description".into(), json!(remark));
    }
    if !d.tags.is_empty() {
        op.insert("tags".into(), json!(d.tags));
    }
    // The import reads the protocol from the operation's `schemes` (2.0) or `servers`
    // (3.x) before the document's; HTTPS is the default of both when nothing is written.
    let schemes: &[&str] = match d.protocol {
        Protocol::Https => &[],
        Protocol::Http => &["http"],
        Protocol::Both => &["http", "https"],
    };
    if !schemes.is_empty() {
        match oas {
            OasVersion::V2 => op.insert("schemes".into(), json!(schemes)),
            OasVersion::V3 => op.insert(
                "servers".into(),
                schemes
                    .iter()
                    .map(|s| json!({"url": format!("{s}://localhost")}))
                    .collect(),
            ),
        };
    }
    if let Some(name) = security_name(d) {
        op.insert("security".into(), json!([{ name: [] }]));
    }
    if !d.req_params.is_empty() {
        let params = d.req_params.iter().map(|p| parameter(p, oas, define));
        op.insert("parameters".into(), params.collect());
    }
    op.insert("responses".into(), responses(d));

    op.insert(
        "x-apigateway-request-type".into(),
        json!(d.request_type.as_str()),
    );
    op.insert(
        "x-apigateway-match-mode".into(),
        json!(d.match_mode.as_str()),
    );
    op.insert("x-apigateway-cors".into(), json!(d.cors));
    if let Some(content_type) = &d.content_type {
        op.insert("x-apigateway-content-type".into(), json!(content_type));
    }
    if define.backends() {
        op.insert(
            "x-apigateway-is-send-fg-body-base64".into(),
            json!(d.send_fg_body_base64),
        );
        op.insert("x-apigateway-backend".into(), backend(&d.backend));
        if !d.backend_policies.is_empty() {
            let policies = d.backend_policies.iter().map(policy).collect();
            op.insert("x-apigateway-backend-policies".into(), policies);
        }
    }
    if define.everything() {
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                op.insert(key.into(), value);
            }
        };
        put(
            "x-apigateway-ratelimit",
            d.ratelimit.as_ref().map(|r| json!(r)),
        );
        put(
            "x-apigateway-access-control",
            d.access_control.as_ref().map(|a| json!(a)),
        );
        put(
            "x-apigateway-plugins",
            (!d.plugins.is_empty()).then(|| json!(d.plugins)),
        );
        put(
            "x-apigateway-response",
            d.response.as_ref().map(|r| json!(r)),
        );
        put(
            "x-apigateway-orchestrations",
            (!d.orchestrations.is_empty()).then(|| json!(d.orchestrations)),
        );
    }
    op
}

/// `200` (with the success sample) and, when there is a failure sample, `default`.
fn responses(d: &ApiDefinition) -> Value {
    let mut ok = json!({"description": "OK"});
    if let (Some(sample), Value::Object(ok)) = (&d.result_normal_sample, &mut ok) {
        ok.insert("x-apigateway-result-normal-sample".into(), json!(sample));
    }
    let mut responses = Map::new();
    responses.insert("200".into(), ok);
    if let Some(sample) = &d.result_failure_sample {
        responses.insert(
            "default".into(),
            json!({"description": "Error", "x-apigateway-result-failure-sample": sample}),
        );
    }
    Value::Object(responses)
}

fn location(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
    }
}

/// A stored value (the import keeps defaults and enum values as text) written back as a
/// number when the parameter is a number and the number reads back as the same text, else
/// as the text: either way the import renders it to the stored text again.
fn typed(text: &str, param_type: ParamType) -> Value {
    if param_type == ParamType::Number {
        if let Ok(Value::Number(n)) = serde_json::from_str::<Value>(text) {
            if n.to_string() == text {
                return Value::Number(n);
            }
        }
    }
    json!(text)
}

fn parameter(p: &RequestParam, oas: OasVersion, define: Define) -> Value {
    let mut node = Map::new();
    node.insert("name".into(), json!(p.name));
    node.insert("in".into(), json!(location(p.location)));
    node.insert("required".into(), json!(p.required));
    if let Some(description) = &p.description {
        node.insert("description".into(), json!(description));
    }
    let mut schema = Map::new();
    let type_name = match p.param_type {
        ParamType::String => "string",
        ParamType::Number => "number",
    };
    schema.insert("type".into(), json!(type_name));
    if let Some(default) = &p.default {
        schema.insert("default".into(), typed(default, p.param_type));
    }
    if let Some(values) = &p.enumerations {
        let values: Vec<Value> = values.split(',').map(|v| typed(v, p.param_type)).collect();
        schema.insert("enum".into(), Value::Array(values));
    }
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            schema.insert(key.into(), value);
        }
    };
    put("minimum", p.min_num.map(Value::from));
    put("maximum", p.max_num.map(Value::from));
    put("minLength", p.min_size.map(Value::from));
    put("maxLength", p.max_size.map(Value::from));
    match oas {
        OasVersion::V2 => node.extend(schema),
        OasVersion::V3 => {
            node.insert("schema".into(), Value::Object(schema));
        }
    }
    if let Some(pass) = p.pass_through {
        node.insert("x-apigateway-pass-through".into(), json!(pass.as_str()));
    }
    if let Some(sample) = &p.sample {
        node.insert("x-apigateway-sample".into(), json!(sample));
    }
    if define.everything() && !p.orchestrations.is_empty() {
        node.insert(
            "x-apigateway-orchestrations".into(),
            json!(p.orchestrations),
        );
    }
    Value::Object(node)
}

fn http_target(out: &mut Map<String, Value>, t: &HttpTarget) {
    out.insert("scheme".into(), json!(t.scheme.as_str()));
    out.insert("method".into(), json!(t.method.as_str()));
    out.insert("path".into(), json!(t.path));
    out.insert("timeout".into(), json!(t.timeout_ms));
    out.insert("retryCount".into(), json!(t.retry_count));
    out.insert("enableClientSsl".into(), json!(t.enable_client_ssl));
    if let Some(description) = &t.description {
        out.insert("description".into(), json!(description));
    }
}

/// The backend's fields (`type`, `parameters`, the endpoints object) into `out`.
fn backend_fields(out: &mut Map<String, Value>, b: &Backend) {
    out.insert("type".into(), json!(b.endpoint.type_name()));
    if !b.parameters.is_empty() {
        let params = b.parameters.iter().map(backend_param).collect();
        out.insert("parameters".into(), params);
    }
    let mut endpoint = Map::new();
    let key = match &b.endpoint {
        BackendEndpoint::Http(http) => {
            endpoint.insert("address".into(), json!(http.address));
            http_target(&mut endpoint, &http.target);
            "httpEndpoints"
        }
        BackendEndpoint::HttpVpc(vpc) => {
            endpoint.insert("name".into(), json!(vpc.channel_name));
            http_target(&mut endpoint, &vpc.target);
            if let Some(cascade) = vpc.cascade_flag {
                endpoint.insert("cascade_flag".into(), json!(cascade));
            }
            "httpVpcEndpoints"
        }
        BackendEndpoint::Function(f) => {
            endpoint.insert("function-urn".into(), json!(f.function_urn));
            if let Some(version) = &f.version {
                endpoint.insert("version".into(), json!(version));
            }
            if let Some(alias) = &f.alias_urn {
                endpoint.insert("alias-urn".into(), json!(alias));
            }
            endpoint.insert("invocation-type".into(), json!(f.invocation_type.as_str()));
            endpoint.insert("network-type".into(), json!(f.network_type.as_str()));
            endpoint.insert("timeout".into(), json!(f.timeout_ms));
            if let Some(description) = &f.description {
                endpoint.insert("description".into(), json!(description));
            }
            "functionEndpoints"
        }
        BackendEndpoint::Mock(m) => {
            endpoint.insert("result-content".into(), json!(m.result_content));
            if let Some(description) = &m.description {
                endpoint.insert("description".into(), json!(description));
            }
            "mockEndpoints"
        }
    };
    out.insert(key.into(), Value::Object(endpoint));
}

fn backend(b: &Backend) -> Value {
    let mut out = Map::new();
    backend_fields(&mut out, b);
    Value::Object(out)
}

fn backend_param(p: &BackendParam) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(p.name));
    out.insert("value".into(), json!(p.value));
    out.insert("in".into(), json!(location(p.location)));
    out.insert("origin".into(), json!(p.origin.as_str()));
    if let Some(description) = &p.description {
        out.insert("description".into(), json!(description));
    }
    Value::Object(out)
}

fn policy(p: &BackendPolicy) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(p.name));
    backend_fields(&mut out, &p.backend);
    let conditions = p.conditions.iter().map(condition).collect();
    out.insert("conditions".into(), conditions);
    Value::Object(out)
}

fn condition(c: &PolicyCondition) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(c.condition_type.as_str()));
    out.insert("value".into(), json!(c.value));
    out.insert("origin".into(), json!(c.origin.as_str()));
    if let Some(parameter) = &c.parameter {
        out.insert("parameter".into(), json!(parameter));
    }
    Value::Object(out)
}

/// The root collections of shared objects, each sorted by name.
fn shared_collections(source: &ExportSource) -> [(&'static str, Map<String, Value>); 3] {
    let mut objects: Vec<_> = source.shared.iter().collect();
    objects.sort_by(|a, b| a.key.name.cmp(&b.key.name));
    let mut throttles = Map::new();
    let mut acls = Map::new();
    let mut responses = Map::new();
    for object in objects {
        let name = object.key.name.clone();
        match &object.definition {
            SharedDefinition::Throttle(t) => {
                throttles.insert(name, throttle_value(t));
            }
            SharedDefinition::AccessControl(a) => {
                acls.insert(name, acl_value(a));
            }
            SharedDefinition::GatewayResponse(r) => {
                responses.insert(name, responses_value(r));
            }
            // Written with their security schemes.
            SharedDefinition::Authorizer(_) => {}
        }
    }
    [
        ("x-apigateway-ratelimits", throttles),
        ("x-apigateway-access-controls", acls),
        ("x-apigateway-responses", responses),
    ]
}

fn throttle_value(t: &ThrottlePolicy) -> Value {
    let mut out = Map::new();
    out.insert("api-limit".into(), json!(t.api_limit));
    let mut put = |key: &str, value: Option<u64>| {
        if let Some(value) = value {
            out.insert(key.into(), json!(value));
        }
    };
    put("user-limit", t.user_limit);
    put("app-limit", t.app_limit);
    put("ip-limit", t.ip_limit);
    out.insert("interval".into(), json!(t.interval));
    out.insert("unit".into(), json!(t.unit.as_str()));
    out.insert("shared".into(), json!(t.shared));
    if !t.special.is_empty() {
        let special = t
            .special
            .iter()
            .map(|s| json!({"type": s.special_type.as_str(), "limit": s.limit, "instance": s.instance}))
            .collect();
        out.insert("special".into(), special);
    }
    Value::Object(out)
}

fn acl_value(a: &AccessControlPolicy) -> Value {
    json!({"acl-type": a.acl_type.as_str(), "entity-type": a.entity_type.as_str(), "value": a.value})
}

fn responses_value(r: &GatewayResponseSet) -> Value {
    let mut out = Map::new();
    for (error_type, response) in &r.responses {
        let headers: Vec<Value> = response
            .headers
            .iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect();
        out.insert(
            error_type.clone(),
            json!({"status": response.status, "body": response.body, "headers": headers}),
        );
    }
    Value::Object(out)
}

fn authorizer_value(a: &CustomAuthorizer) -> Value {
    let mut out = Map::new();
    out.insert("authorizer_type".into(), json!(a.authorizer_type));
    out.insert("authorizer_uri".into(), json!(a.authorizer_uri));
    if let Some(alias) = &a.authorizer_alias_uri {
        out.insert("authorizer_alias_uri".into(), json!(alias));
    }
    if let Some(version) = &a.authorizer_version {
        out.insert("authorizer_version".into(), json!(version));
    }
    out.insert("type".into(), json!(a.authorizer_kind.as_str()));
    out.insert("network_type".into(), json!(a.network_type.as_str()));
    out.insert("need_body".into(), json!(a.need_body));
    out.insert(
        "auth_downgrade_enabled".into(),
        json!(a.auth_downgrade_enabled),
    );
    let identities: Vec<Value> = a
        .identities
        .iter()
        .map(|i| {
            let mut id = json!({"name": i.name, "location": i.location});
            if let (Some(validation), Value::Object(id)) = (&i.validation, &mut id) {
                id.insert("validation".into(), json!(validation));
            }
            id
        })
        .collect();
    out.insert("identities".into(), Value::Array(identities));
    if let Some(ttl) = a.ttl {
        out.insert("ttl".into(), json!(ttl));
    }
    if let Some(timeout) = a.timeout_ms {
        out.insert("timeout".into(), json!(timeout));
    }
    if let Some(retry) = a.retry_attempts {
        out.insert("retry_attempts".into(), json!(retry));
    }
    Value::Object(out)
}
