//! The real-world corpus (`../shared/fixtures/realworld/`): six public API descriptions
//! written by others, imported as users would (`simple_mode`, limits raised), and checked
//! against their README: every operation accounted for, the failures exactly the ones it
//! calls correct, warnings where the stored API is not what the document says, and a sample
//! of stored APIs compared field by field with the document.

use crate::support::app::{scope, App};
use crate::support::fixture;
use apig_import::config::Limits;
use apig_import::model::{Api, Id};
use apig_import::store::Catalog;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

const VERBS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Limits raised above the largest document's operation count, as the README says.
fn raised() -> Limits {
    Limits {
        max_operations: 2_000,
        max_apis_per_group: 2_000,
        max_params_per_api: 500,
        ..Limits::default()
    }
}

/// `#/a/b` inside `root`, following chains.
fn deref<'v>(root: &'v Value, mut value: &'v Value) -> &'v Value {
    for _ in 0..32 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return value;
        };
        let pointer = reference.trim_start_matches('#');
        value = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling {reference}"));
    }
    value
}

/// The request path prefix the document asks for.
fn base_path(root: &Value) -> String {
    let raw = match root.get("basePath").and_then(Value::as_str) {
        Some(base) => base.to_string(),
        None => root
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .map(|url| match url.split_once("://") {
                Some((_, rest)) => rest
                    .find('/')
                    .map_or(String::new(), |i| rest[i..].to_string()),
                None => url.to_string(),
            })
            .unwrap_or_default(),
    };
    raw.trim_end_matches('/').to_string()
}

/// `(name, location, type, required)` of an operation's request parameters, read from the
/// document: path-level and operation-level merged, `$ref`s followed, body/form/cookie
/// left out.
fn expected_params(
    root: &Value,
    item: &Value,
    op: &Value,
) -> BTreeSet<(String, String, String, bool)> {
    let v3 = root.get("openapi").is_some();
    let mut merged: HashMap<(String, String), (String, bool)> = HashMap::new();
    for list in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
    {
        for param in list.as_array().expect("parameters array") {
            let param = deref(root, param);
            let location = param["in"].as_str().expect("in").to_ascii_uppercase();
            if !["PATH", "QUERY", "HEADER"].contains(&location.as_str()) {
                continue;
            }
            let typed = if v3 {
                param.get("schema").map(|s| deref(root, s)).unwrap_or(param)
            } else {
                param
            };
            let kind = match typed.get("type").and_then(Value::as_str) {
                Some("integer" | "number") => "NUMBER",
                _ => "STRING",
            };
            let required = location == "PATH" || param["required"].as_bool().unwrap_or(false);
            let name = param["name"].as_str().expect("name").to_string();
            merged.insert((name, location), (kind.to_string(), required));
        }
    }
    merged
        .into_iter()
        .map(|((name, location), (kind, required))| (name, location, kind, required))
        .collect()
}

fn stored_params(api: &Api) -> BTreeSet<(String, String, String, bool)> {
    api.definition
        .req_params
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.location.as_str().to_string(),
                p.param_type.as_str().to_string(),
                p.required,
            )
        })
        .collect()
}

/// Does the operation require a scheme that APIG cannot enforce (no `x-apigateway-*`)?
fn unmapped_security(root: &Value, op: &Value) -> bool {
    let requirements = op.get("security").or_else(|| root.get("security"));
    let Some(first) = requirements
        .and_then(Value::as_array)
        .and_then(|list| list.first())
        .and_then(Value::as_object)
        .and_then(|req| req.keys().next())
    else {
        return false;
    };
    let scheme = root
        .pointer(&format!("/securityDefinitions/{first}"))
        .or_else(|| root.pointer(&format!("/components/securitySchemes/{first}")))
        .expect("scheme defined");
    scheme.get("x-apigateway-auth-type").is_none()
        && scheme.get("x-apigateway-authorizer").is_none()
}

struct Expected {
    operations: usize,
    /// Operations failing with `APIG.2011` because a parameter name has over 32 characters.
    long_names: usize,
    /// `info.description` over 1,000 characters: a `description_cut` document warning.
    description_cut: bool,
}

async fn import(file: &str, expected: Expected) {
    let bytes = fixture(&format!("realworld/{file}"));
    // The product's decoder, its tree copied out to be walked independently of the mapping.
    let mut arena = apig_import::spec::Arena::default();
    let root = apig_import::spec::decode_document(&mut arena, &bytes, &raised())
        .expect("decodes")
        .to_json();
    let app = App::with_limits(raised()).await;
    let reply = app.import_new(&[("simple_mode", "true")], &bytes).await;
    let body = &reply.body;
    let count = |key: &str| body[key].as_array().map_or(0, Vec::len);
    let (success, failure, ignore) = (count("success"), count("failure"), count("ignore"));
    assert_eq!(success + failure + ignore, expected.operations, "{file}");
    assert_eq!(failure, expected.long_names, "{file}: {}", body["failure"]);
    assert_eq!(
        ignore, 0,
        "{file}: only TRACE is ignored, and these have none"
    );
    for item in body["failure"].as_array().expect("failure") {
        let message = item["error_msg"].as_str().expect("message");
        assert_eq!(item["error_code"], "APIG.2011", "{message}");
        // `... parameterName:name. "<name>" has 48 characters ... (at <pointer>)`: the name,
        // the rule and the operation's use of the parameter, first.
        assert!(message.contains("parameterName:name"), "{message}");
        assert!(message.contains("(at /paths/"), "{message}");
    }

    // Warnings: the document's, then one `security_not_mapped` per stored API whose
    // operation requires a scheme APIG cannot enforce.
    let warnings = body["warnings"].as_array().expect("warnings array");
    let of = |code: &str| warnings.iter().filter(|w| w["code"] == code).count();
    let cut = warnings
        .iter()
        .any(|w| w["code"] == "description_cut" && w["method"] == "" && w["path"] == "");
    assert_eq!(cut, expected.description_cut, "{file}");

    // Walk the document in order, beside the stored APIs.
    let group_id = Id::parse(&reply.group_id()).expect("group id");
    let stored = app
        .store
        .list_apis(&scope(), &group_id)
        .await
        .expect("apis");
    assert_eq!(stored.len(), success, "{file}");
    let by_route: HashMap<(String, String), &Api> = stored
        .iter()
        .map(|a| {
            (
                (
                    a.definition.method.as_str().to_string(),
                    a.definition.path.clone(),
                ),
                a,
            )
        })
        .collect();
    let failed: BTreeSet<(String, String)> = reply.items("failure").into_iter().collect();
    let base = base_path(&root);
    let mut unmapped = 0;
    let mut compared = 0;
    let mut index = 0;
    for (key, item) in root["paths"].as_object().expect("paths") {
        let item = deref(&root, item);
        for verb in VERBS {
            let Some(op) = item.get(verb) else { continue };
            let op = deref(&root, op);
            index += 1;
            let route = (verb.to_ascii_uppercase(), format!("{base}{key}"));
            let Some(api) = by_route.get(&route) else {
                assert!(
                    failed.contains(&route),
                    "{file}: {route:?} neither stored nor failed"
                );
                continue;
            };
            unmapped += usize::from(unmapped_security(&root, op));
            // A sample, compared field by field (every API on the smaller documents).
            if index % 7 != 0 && expected.operations > 120 {
                continue;
            }
            compared += 1;
            let d = &api.definition;
            assert_eq!(
                stored_params(api),
                expected_params(&root, item, op),
                "{file} {route:?}"
            );
            let remark = op
                .get("description")
                .or_else(|| op.get("summary"))
                .and_then(Value::as_str)
                .map(|s| s.chars().take(255).collect::<String>());
            assert_eq!(d.remark, remark, "{file} {route:?}");
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                if id.len() >= 3 && !id.contains(' ') {
                    assert_eq!(d.name, id, "{file} {route:?}");
                }
            }
            assert_eq!(d.auth_type.as_str(), "NONE", "{file} {route:?}");
        }
    }
    assert_eq!(
        index, expected.operations,
        "{file}: the walk saw every operation"
    );
    assert!(compared >= 15, "{file}: compared {compared}");
    assert_eq!(of("security_not_mapped"), unmapped, "{file}");
}

#[tokio::test]
async fn kubernetes() {
    let expected = Expected {
        operations: 1_123,
        long_names: 173,
        description_cut: false,
    };
    import("k8s_swagger.json", expected).await;
}

#[tokio::test]
async fn stripe() {
    let expected = Expected {
        operations: 350,
        long_names: 2,
        description_cut: false,
    };
    import("stripe_spec2.json", expected).await;
}

#[tokio::test]
async fn slack() {
    let expected = Expected {
        operations: 174,
        long_names: 0,
        description_cut: false,
    };
    import("slack_web_v2.json", expected).await;
}

#[tokio::test]
async fn moby() {
    let expected = Expected {
        operations: 108,
        long_names: 0,
        description_cut: true,
    };
    import("moby_swagger.yaml", expected).await;
}

#[tokio::test]
async fn twilio() {
    let expected = Expected {
        operations: 58,
        long_names: 0,
        description_cut: false,
    };
    import("twilio_messaging_v1.yaml", expected).await;
}

#[tokio::test]
async fn petstore() {
    let expected = Expected {
        operations: 19,
        long_names: 0,
        description_cut: false,
    };
    import("petstore3.yaml", expected).await;
}

/// With the default limits the two largest are refused as a whole, naming count and limit.
#[tokio::test]
async fn the_largest_are_refused_with_the_default_limits() {
    let app = App::new().await;
    for (file, count) in [("k8s_swagger.json", 1_123), ("stripe_spec2.json", 350)] {
        let reply = app
            .import(
                &[("simple_mode", "true")],
                &fixture(&format!("realworld/{file}")),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (403, "APIG.3127"),
            "{}",
            reply.body
        );
        let message = reply.body["error_msg"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("{count} operations")),
            "{message}"
        );
        assert!(message.contains("300"), "{message}");
    }
}

/// In strict mode the public titles with spaces are refused, and the message says that
/// `simple_mode` repairs them; YAML errors give their location once, without parser hints.
#[tokio::test]
async fn strict_mode_and_syntax_messages() {
    let app = App::new().await;
    let reply = app.import(&[], &fixture("realworld/petstore3.yaml")).await;
    assert_eq!(reply.code(), "APIG.2044", "{}", reply.body);
    let message = reply.body["error_msg"].as_str().unwrap_or_default();
    assert!(message.contains("simple_mode=true"), "{message}");
    assert!(
        message.contains("\"Swagger_Petstore_-_OpenAPI_3.0\""),
        "{message}"
    );

    let reply = app
        .import(&[], b"openapi: 3.0.0\npaths:\n  /a: {get: [}\n")
        .await;
    assert_eq!(reply.code(), "APIG.3600", "{}", reply.body);
    let message = reply.body["error_msg"].as_str().unwrap_or_default();
    assert_eq!(message.matches("line").count(), 1, "{message}");
    let reply = app
        .import(&[], b"openapi: 3.0.0\npaths:\n  /pets: {}\n  /pets: {}\n")
        .await;
    let message = reply.body["error_msg"].as_str().unwrap_or_default();
    assert!(message.contains("/pets"), "{message}");
    assert!(!message.contains("DuplicateKeyPolicy"), "{message}");
}
