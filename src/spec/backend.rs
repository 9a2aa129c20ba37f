//! `x-apigateway-backend` (and the backend part of a backend policy), per `extensions.md`.

use super::names::check_param_name;
use super::node::Node;
use super::params::has_param;
use super::tree::Value;
use crate::error::{echo, ApiFailure, Code};
use crate::model::{
    Backend, BackendEndpoint, BackendParam, FunctionEndpoint, HttpEndpoint, HttpTarget,
    InvocationType, Method, MockEndpoint, NetworkType, ParamLocation, ParamOrigin, RequestParam,
    Scheme, VpcEndpoint,
};

use std::collections::HashSet;

const DEFAULT_TIMEOUT_MS: i64 = 5000;
const MAX_TIMEOUT_MS: i64 = 60_000;
pub const MAX_MOCK_BODY: usize = 20_480;
/// Backend parameters of one backend: the same 50 as request parameters (`APIG.3111`).
const MAX_BACKEND_PARAMS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BackendType {
    Http,
    HttpVpc,
    Function,
    Mock,
}

/// Parse a backend object: `type`, its matching endpoints object and `parameters`.
/// `req_params` are the API's request parameters, which REQUEST backend parameters map.
pub fn parse_backend(
    node: &Node<'_>,
    req_params: &[RequestParam],
    simple_mode: bool,
) -> Result<Backend, ApiFailure> {
    if !node.value.is_object() {
        return Err(node.invalid("x-apigateway-backend", "must be an object"));
    }
    let backend_type = node
        .choice(
            "type",
            &[
                ("HTTP", BackendType::Http),
                ("HTTP-VPC", BackendType::HttpVpc),
                ("FUNCTION", BackendType::Function),
                ("MOCK", BackendType::Mock),
            ],
        )?
        .ok_or_else(|| node.invalid("type", "the backend type is required"))?;
    let parameters = backend_params(node, req_params)?;
    let endpoints_key = match backend_type {
        BackendType::Http => "httpEndpoints",
        BackendType::HttpVpc => "httpVpcEndpoints",
        BackendType::Function => "functionEndpoints",
        BackendType::Mock => "mockEndpoints",
    };
    let endpoints = match node.object(endpoints_key)? {
        Some(endpoints) => endpoints,
        // A MOCK backend without a body is meaningful; the others need their endpoint.
        None if backend_type == BackendType::Mock => {
            return Ok(Backend {
                endpoint: BackendEndpoint::Mock(MockEndpoint::default()),
                parameters,
            })
        }
        None => {
            return Err(node.invalid(
                endpoints_key,
                format!(
                    "a backend of type {} needs {endpoints_key}",
                    node.str("type")?.unwrap_or_default()
                ),
            ))
        }
    };
    let endpoint = match backend_type {
        BackendType::Http => {
            let address = address(&endpoints, "address")?;
            check_address(&endpoints, address)?;
            let target = http_target(&endpoints, simple_mode)?;
            check_path_vars(&endpoints, &target.path, &parameters)?;
            BackendEndpoint::Http(HttpEndpoint {
                address: address.to_string(),
                target,
            })
        }
        BackendType::HttpVpc => {
            let channel = address(&endpoints, "name")?;
            let target = http_target(&endpoints, simple_mode)?;
            check_path_vars(&endpoints, &target.path, &parameters)?;
            BackendEndpoint::HttpVpc(VpcEndpoint {
                channel_name: channel.to_string(),
                target,
                cascade_flag: endpoints.bool("cascade_flag")?,
            })
        }
        BackendType::Function => BackendEndpoint::Function(function(&endpoints, simple_mode)?),
        BackendType::Mock => BackendEndpoint::Mock(MockEndpoint {
            result_content: endpoints.text("result-content")?.unwrap_or_default(),
            description: endpoints.str_max("description", 255)?.map(str::to_string),
        }),
    };
    if let BackendEndpoint::Mock(mock) = &endpoint {
        check_mock_body(
            &endpoints.field_node("result-content"),
            &mock.result_content,
        )?;
    }
    Ok(Backend {
        endpoint,
        parameters,
    })
}

/// A mock body is at most 20480 characters.
pub fn check_mock_body(node: &Node<'_>, body: &str) -> Result<(), ApiFailure> {
    let count = body.chars().count();
    if count > MAX_MOCK_BODY {
        return Err(node.invalid(
            "result-content",
            format!("the mock body must have at most {MAX_MOCK_BODY} characters, it has {count}"),
        ));
    }
    Ok(())
}

fn backend_params(
    node: &Node<'_>,
    req_params: &[RequestParam],
) -> Result<Vec<BackendParam>, ApiFailure> {
    let mut out: Vec<BackendParam> = Vec::new();
    // Name + location, names compared case-insensitively: a set keeps the check linear.
    let mut seen: HashSet<(ParamLocation, String)> = HashSet::new();
    let items = node.array_max(
        "parameters",
        MAX_BACKEND_PARAMS,
        Code::Apig3111,
        "backend parameters",
    )?;
    for item in items {
        if !item.value.is_object() {
            return Err(item.invalid("parameters", "a backend parameter must be an object"));
        }
        let name = item.required_str("name")?;
        check_param_name(name).map_err(|e| item.field_node("name").invalid("name", e))?;
        let location = item
            .choice(
                "in",
                &[
                    ("header", ParamLocation::Header),
                    ("query", ParamLocation::Query),
                    ("path", ParamLocation::Path),
                ],
            )?
            .ok_or_else(|| item.invalid("in", "the field in is required"))?;
        let origin = item
            .choice(
                "origin",
                &[
                    ("REQUEST", ParamOrigin::Request),
                    ("CONSTANT", ParamOrigin::Constant),
                    ("SYSTEM", ParamOrigin::System),
                ],
            )?
            .ok_or_else(|| item.invalid("origin", "the field origin is required"))?;
        let value = item
            .text("value")?
            .ok_or_else(|| item.invalid("value", "the field value is required"))?;
        if value.chars().count() > 255 {
            return Err(item
                .field_node("value")
                .invalid("value", "must have at most 255 characters"));
        }
        if origin == ParamOrigin::Request && !has_param(req_params, &value) {
            return Err(item.field_node("value").fail(
                Code::Apig2028,
                "value",
                format!("the backend parameter {name:?} maps the request parameter {value:?}, which the API does not have", name = echo(name), value = echo(&value)),
            ));
        }
        if !seen.insert((location, name.to_ascii_lowercase())) {
            return Err(item.invalid(
                "name",
                format!(
                    "the backend parameter {name:?} is declared twice",
                    name = echo(name)
                ),
            ));
        }
        out.push(BackendParam {
            name: name.to_string(),
            value,
            location,
            origin,
            description: item.str_max("description", 255)?.map(str::to_string),
        });
    }
    Ok(out)
}

/// `address` / `name`: a string, or (both forms are in Huawei's material) a one-element array.
fn address<'a>(endpoints: &Node<'a>, key: &str) -> Result<&'a str, ApiFailure> {
    let node = endpoints
        .get(key)
        .ok_or_else(|| endpoints.invalid(key, format!("the field {key} is required")))?;
    let text = match node.value {
        Value::String(s) => Some(*s),
        Value::Array(items) if items.len() == 1 => items[0].as_str(),
        _ => None,
    };
    let text = text
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            node.invalid(key, "must be a non-empty string (or a list of exactly one)")
        })?;
    if text.chars().count() > 255 {
        return Err(node.invalid(key, "must have at most 255 characters"));
    }
    Ok(text)
}

/// Host or IP with an optional port; `#var#` environment variables allowed.
fn check_address(endpoints: &Node<'_>, address: &str) -> Result<(), ApiFailure> {
    let ok = address
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ".-_:#[]".contains(c));
    if ok {
        Ok(())
    } else {
        Err(endpoints.field_node("address").invalid(
            "address",
            format!(
                "{address:?} is not a host or IP address with an optional port",
                address = echo(address)
            ),
        ))
    }
}

/// The fields HTTP and HTTP-VPC endpoints share.
fn http_target(endpoints: &Node<'_>, simple_mode: bool) -> Result<HttpTarget, ApiFailure> {
    let scheme = endpoints
        .choice(
            "scheme",
            &[("http", Scheme::Http), ("https", Scheme::Https)],
        )?
        .ok_or_else(|| endpoints.invalid("scheme", "the field scheme is required"))?;
    let method_text = endpoints.required_str("method")?;
    let method = Method::parse(method_text.trim()).ok_or_else(|| {
        endpoints.field_node("method").invalid(
            "method",
            format!(
                "{method_text:?} is not one of GET, POST, PUT, DELETE, HEAD, OPTIONS, PATCH, ANY",
                method_text = echo(method_text)
            ),
        )
    })?;
    let path = endpoints.required_str("path")?;
    let path_node = endpoints.field_node("path");
    if !path.starts_with('/') || path.chars().count() > 512 || path.chars().any(char::is_whitespace)
    {
        return Err(path_node.invalid(
            "path",
            format!(
                "{path:?} must start with '/', have no white space and at most 512 characters",
                path = echo(path)
            ),
        ));
    }
    let retry_count = endpoints
        .int_in("retryCount", -1..=10, Code::Apig2011)?
        .unwrap_or(-1);
    Ok(HttpTarget {
        scheme,
        method,
        path: path.to_string(),
        timeout_ms: timeout(endpoints, simple_mode)?,
        retry_count: retry_count as i32,
        enable_client_ssl: endpoints.bool("enableClientSsl")?.unwrap_or(false),
        description: endpoints.str_max("description", 255)?.map(str::to_string),
    })
}

/// `timeout`: 1–60000 ms, default 5000; `simple_mode` clamps instead of failing.
fn timeout(endpoints: &Node<'_>, simple_mode: bool) -> Result<u32, ApiFailure> {
    let value = if simple_mode {
        endpoints
            .int("timeout")?
            .map(|t| t.clamp(1, MAX_TIMEOUT_MS))
    } else {
        endpoints.int_in("timeout", 1..=MAX_TIMEOUT_MS, Code::Apig2011)?
    };
    Ok(value.unwrap_or(DEFAULT_TIMEOUT_MS) as u32)
}

/// Every `{var}` of a backend path must be a PATH backend parameter (`APIG.2027`).
fn check_path_vars(
    endpoints: &Node<'_>,
    path: &str,
    params: &[BackendParam],
) -> Result<(), ApiFailure> {
    let node = endpoints.field_node("path");
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(node.invalid(
                "path",
                format!("{path:?} has an unclosed '{{'", path = echo(path)),
            ));
        };
        let name = after[..close].trim_end_matches('+');
        let declared = params
            .iter()
            .any(|p| p.location == ParamLocation::Path && p.name == name);
        if !declared {
            return Err(node.fail(
                Code::Apig2027,
                "path",
                format!(
                    "the backend path variable {{{name}}} is not a path backend parameter",
                    name = echo(name)
                ),
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

fn function(endpoints: &Node<'_>, simple_mode: bool) -> Result<FunctionEndpoint, ApiFailure> {
    let urn = endpoints.required_str("function-urn")?;
    if !is_function_urn(urn) {
        return Err(endpoints.field_node("function-urn").fail(
            Code::Apig9002,
            "function-urn",
            format!("{urn:?} is not urn:fss:<region>:<project>:function:<package>:<name>[:<version or alias>]", urn = echo(urn)),
        ));
    }
    Ok(FunctionEndpoint {
        function_urn: urn.to_string(),
        version: endpoints.str_max("version", 64)?.map(str::to_string),
        alias_urn: endpoints.str("alias-urn")?.map(str::to_string),
        invocation_type: endpoints
            .choice(
                "invocation-type",
                &[
                    ("sync", InvocationType::Sync),
                    ("async", InvocationType::Async),
                    ("synchronous", InvocationType::Sync),
                    ("asynchronous", InvocationType::Async),
                ],
            )?
            .unwrap_or(InvocationType::Sync),
        network_type: endpoints
            .choice(
                "network-type",
                &[("V1", NetworkType::V1), ("V2", NetworkType::V2)],
            )?
            .unwrap_or_default(),
        timeout_ms: timeout(endpoints, simple_mode)?,
        description: endpoints.str_max("description", 255)?.map(str::to_string),
    })
}

/// `urn:fss:<region>:<project>:function:<package>:<name>[:<version or alias>]`.
pub fn is_function_urn(urn: &str) -> bool {
    let parts: Vec<&str> = urn.split(':').collect();
    let token = |s: &str, extra: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    match parts.as_slice() {
        ["urn", "fss", region, project, "function", package, name, version @ ..] => {
            token(region, "-_")
                && token(project, "")
                && token(package, "-_")
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && token(name, "-_")
                && match version {
                    [] => true,
                    [v] => token(v, "-_.!"),
                    _ => false,
                }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::params::implicit_path_param;
    use crate::spec::tree::{leaked, leaked_arena};
    use serde_json::{json, Value};

    fn parse(v: &Value, simple: bool) -> Result<Backend, ApiFailure> {
        let mut params = vec![implicit_path_param("id")];
        params.push(RequestParam {
            location: ParamLocation::Header,
            ..implicit_path_param("X-Cat")
        });
        parse_backend(&Node::new(leaked(v), "/b", leaked_arena()), &params, simple)
    }

    fn fails(v: Value, code: Code, words: &str, at: &str) {
        let e = parse(&v, false).unwrap_err();
        assert_eq!(e.code, code, "{}", e.message);
        assert!(e.message.contains(words), "{}", e.message);
        assert!(e.message.contains(&format!("(at {at})")), "{}", e.message);
    }

    #[test]
    fn http_backend() {
        let v = json!({"type": "HTTP",
            "parameters": [
                {"name": "id", "value": "id", "in": "PATH", "origin": "REQUEST"},
                {"name": "cat", "value": "x-cat", "in": "header", "origin": "request"},
                {"name": "src", "value": 7, "in": "Query", "origin": "CONSTANT"}],
            "httpEndpoints": {"address": ["host.example.com:8443"], "scheme": "https",
                "method": "get", "path": "/v1/items/{id}", "retryCount": "2"}});
        let b = parse(&v, false).unwrap();
        let BackendEndpoint::Http(h) = &b.endpoint else {
            panic!("{b:?}")
        };
        assert_eq!(h.address, "host.example.com:8443");
        assert_eq!(
            (h.target.method, h.target.timeout_ms, h.target.retry_count),
            (Method::Get, 5000, 2)
        );
        assert_eq!(b.parameters.len(), 3);
        assert_eq!(b.parameters[0].location, ParamLocation::Path);
        assert_eq!(b.parameters[2].value, "7");
    }

    #[test]
    fn timeouts_are_checked_or_clamped() {
        let v = json!({"type": "HTTP", "httpEndpoints": {"address": "h", "scheme": "http",
            "method": "GET", "path": "/", "timeout": 70000}});
        fails(
            v.clone(),
            Code::Apig2011,
            "between 1 and 60000",
            "/b/httpEndpoints/timeout",
        );
        let b = parse(&v, true).unwrap();
        let BackendEndpoint::Http(h) = &b.endpoint else {
            panic!()
        };
        assert_eq!(h.target.timeout_ms, 60000);
    }

    #[test]
    fn vpc_function_and_mock_backends() {
        let v = json!({"type": "HTTP-VPC", "httpVpcEndpoints": {"name": "chan",
            "scheme": "http", "method": "ANY", "path": "/x", "cascade_flag": true}});
        let BackendEndpoint::HttpVpc(e) = parse(&v, false).unwrap().endpoint else {
            panic!()
        };
        assert_eq!(
            (e.channel_name.as_str(), e.cascade_flag),
            ("chan", Some(true))
        );
        let v = json!({"type": "FUNCTION", "functionEndpoints": {
            "function-urn": "urn:fss:cn-north-4:0123abcd:function:default:fn:v2",
            "invocation-type": "asynchronous", "network-type": "V2", "timeout": 30000}});
        let BackendEndpoint::Function(f) = parse(&v, false).unwrap().endpoint else {
            panic!()
        };
        assert_eq!(
            (f.invocation_type, f.network_type, f.timeout_ms),
            (InvocationType::Async, NetworkType::V2, 30000)
        );
        let v = json!({"type": "MOCK", "mockEndpoints": {"result-content": "hi"}});
        assert_eq!(parse(&v, false).unwrap(), Backend::mock("hi"));
    }

    #[test]
    fn invalid_backends() {
        fails(
            json!({"type": "HTTP", "mockEndpoints": {}}),
            Code::Apig2011,
            "needs httpEndpoints",
            "/b",
        );
        fails(
            json!({"type": "SOAP"}),
            Code::Apig2011,
            "\"SOAP\" is not one of",
            "/b/type",
        );
        fails(
            json!({"httpEndpoints": {}}),
            Code::Apig2011,
            "type is required",
            "/b",
        );
        fails(
            json!({"type": "FUNCTION", "functionEndpoints": {"function-urn": "urn:fss:x"}}),
            Code::Apig9002,
            "urn:fss:x",
            "/b/functionEndpoints/function-urn",
        );
        fails(
            json!({"type": "MOCK", "parameters": [{"name": "a", "value": "nope", "in": "query", "origin": "REQUEST"}]}),
            Code::Apig2028,
            "\"nope\"",
            "/b/parameters/0/value",
        );
        fails(
            json!({"type": "HTTP", "httpEndpoints": {"address": "h", "scheme": "http", "method": "GET", "path": "/a/{x}"}}),
            Code::Apig2027,
            "{x}",
            "/b/httpEndpoints/path",
        );
        fails(
            json!({"type": "HTTP", "httpEndpoints": {"address": "http://h/", "scheme": "http", "method": "GET", "path": "/"}}),
            Code::Apig2011,
            "not a host",
            "/b/httpEndpoints/address",
        );
        fails(
            json!({"type": "HTTP", "httpEndpoints": {"address": "h", "scheme": "http", "method": "GET", "path": "/", "retryCount": 11}}),
            Code::Apig2011,
            "between -1 and 10",
            "/b/httpEndpoints/retryCount",
        );
        fails(
            json!({"type": "HTTP-VPC", "httpVpcEndpoints": {"name": ["a", "b"], "scheme": "http", "method": "GET", "path": "/"}}),
            Code::Apig2011,
            "exactly one",
            "/b/httpVpcEndpoints/name",
        );
        fails(
            json!({"type": "MOCK", "mockEndpoints": {"result-content": "x".repeat(20481)}}),
            Code::Apig2011,
            "at most 20480",
            "/b/mockEndpoints/result-content",
        );
    }

    #[test]
    fn function_urns() {
        assert!(is_function_urn(
            "urn:fss:cn-north-4:0123456789abcdef:function:default:check_customer"
        ));
        assert!(is_function_urn(
            "urn:fss:cn-north-4:0123456789abcdef:function:default:checkout:v2"
        ));
        assert!(is_function_urn("urn:fss:r:p:function:pkg:name:!alias"));
        assert!(!is_function_urn("urn:fss:r:p:function:pkg"));
        assert!(!is_function_urn("urn:fss:r:p:func:pkg:name"));
        assert!(!is_function_urn("urn:fss:r:p:function:pkg:name:v1:extra"));
        assert!(!is_function_urn("urn:fss:r:p q:function:pkg:name"));
    }
}
