//! A hostile corpus (issue 9, item 8): one table of named requests — documents, forms,
//! credentials and paths, the rows of issue 9 among them — each sent through the real router
//! on an embedded store, each answered with an exact status and `error_code` (for a 200,
//! the first per-API failure's code, or none), never a 500, never a message that echoes
//! more than a bounded part of what was sent.

use crate::support::router::*;
use apig_import::auth::{Signing, SigningSecret, TokenKeys, IMPORT_ACTION};
use apig_import::config::Limits;
use apig_import::http::{router, AppState};
use apig_import::model::{PathId, Scope};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::Catalog;
use axum::body::Body;
use axum::http::Request;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;

/// One case: what is sent, and the status and code it must get.
struct Case {
    name: &'static str,
    request: fn() -> Request<Body>,
    status: u16,
    /// `error_code` of an error; for a 200, the first failure item's code ("" for none).
    code: &'static str,
}

/// The router on a fresh embedded store with [`PROJECT`]/[`INSTANCE`], tokens and
/// signatures both enabled.
async fn corpus_app() -> axum::Router {
    let store = SqliteStore::in_memory().expect("store");
    let scope = Scope::new(
        PathId::parse(PROJECT).expect("project"),
        PathId::parse(INSTANCE).expect("instance"),
    );
    store.create_instance(&scope).await.expect("instance");
    let secret = SigningSecret::new(b"corpus-signing-secret-0123456789").expect("secret");
    router(AppState {
        store: Arc::new(store),
        limits: Limits::default(),
        keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
        signing: Some(Arc::new(Signing::new(secret))),
    })
}

// ---- request builders -------------------------------------------------------------------

fn import_bytes(doc: &[u8]) -> Request<Body> {
    import_request(&[file(doc)])
}

fn import_json(doc: Value) -> Request<Body> {
    import_bytes(doc.to_string().as_bytes())
}

fn import_with(doc: &[u8], fields: &[(&str, &str)]) -> Request<Body> {
    let mut parts = vec![file(doc)];
    parts.extend(fields.iter().map(|(k, v)| text(k, v)));
    import_request(&parts)
}

fn swagger(paths: Value) -> Value {
    json!({"swagger": "2.0", "info": {"title": "corpus_doc"}, "paths": paths})
}

fn one_op(op: Value) -> Request<Body> {
    import_json(swagger(json!({"/a": {"get": op}})))
}

fn many<T>(n: usize, f: impl Fn(usize) -> T) -> Vec<T> {
    (0..n).map(f).collect()
}

fn root_map(key: &str, n: usize, item: Value) -> Request<Body> {
    let mut doc = swagger(json!({"/a": {"get": {}}}));
    doc[key] = many(n, |i| (format!("c_{i:06}"), item.clone()))
        .into_iter()
        .collect::<serde_json::Map<_, _>>()
        .into();
    import_json(doc)
}

fn authorizers(n: usize) -> Request<Body> {
    let mut doc = swagger(json!({"/a": {"get": {}}}));
    let scheme = json!({"type": "apiKey", "name": "Authorization", "in": "header",
        "x-apigateway-authorizer": {"type": "FRONTEND",
        "authorizer_uri": "urn:fss:r:p:function:default:f:latest"}});
    doc["securityDefinitions"] = many(n, |i| (format!("auth_{i:06}"), scheme.clone()))
        .into_iter()
        .collect::<serde_json::Map<_, _>>()
        .into();
    import_json(doc)
}

fn http_backend() -> Value {
    json!({"type": "HTTP", "httpEndpoints": {"address": "h.example.com", "scheme": "https",
        "method": "GET", "path": "/"}})
}

fn raw_form(disposition: &str, data: &[u8]) -> Vec<u8> {
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n").into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn form_post(body: Vec<u8>) -> Request<Body> {
    post(&import_path(), Some(&form_content_type()), body)
}

/// A request to `path` with `method` and these headers, no token unless given.
fn bare(method: &str, path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(body).expect("request")
}

fn with_token(token: &str) -> Request<Body> {
    let ct = form_content_type();
    bare(
        "POST",
        &import_path(),
        &[("x-auth-token", token), ("content-type", &ct)],
        Body::from(multipart(&[file(DOC)])),
    )
}

fn get(path: &str) -> Request<Body> {
    let token = token_with(SECRET, &claims(PROJECT, &[IMPORT_ACTION, "apig:*"]));
    bare("GET", path, &[("x-auth-token", &token)], Body::empty())
}

fn base() -> String {
    format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}")
}

/// A 9 MiB chunked body.
fn chunked_9mib() -> Body {
    let chunks = futures_util::stream::iter(0..144)
        .map(|_| Ok::<Bytes, std::io::Error>(Bytes::from(vec![b'a'; 64 * 1024])));
    Body::from_stream(chunks)
}

fn numbers(size: usize) -> String {
    let mut out = String::from("[0");
    while out.len() + 2 < size {
        out.push_str(",0");
    }
    out.push(']');
    out
}

fn alias_bomb() -> Vec<u8> {
    let mut yaml = String::from("swagger: '2.0'\ninfo: {title: alias_doc}\npaths: {}\na: &a [");
    yaml.push_str(&vec!["0"; 990_000].join(", "));
    yaml.push_str("]\nb0: *a\nb1: *a\nb2: *a\n");
    yaml.into_bytes()
}

fn laughs() -> Vec<u8> {
    let mut yaml = String::from("swagger: '2.0'\ninfo: {title: laughs}\npaths: {}\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*l{}", i - 1);
        yaml.push_str(&format!(
            "l{i}: &l{i} [{}]\n",
            [prev.as_str(); 9].join(", ")
        ));
    }
    yaml.into_bytes()
}

const BIG: usize = 100_000;

// ---- the table ----------------------------------------------------------------------------

fn cases() -> Vec<Case> {
    macro_rules! case {
        ($name:expr, $request:expr, $status:expr, $code:expr) => {
            Case {
                name: $name,
                request: $request,
                status: $status,
                code: $code,
            }
        };
    }
    vec![
        // -- documents: whole-request refusals
        case!("empty file", || import_bytes(b""), 400, "APIG.3609"),
        case!(
            "white space only",
            || import_bytes(b" \n\t\n"),
            400,
            "APIG.3609"
        ),
        case!(
            "truncated JSON",
            || import_bytes(b"{\"swagger\": \"2.0\""),
            400,
            "APIG.3600"
        ),
        case!(
            "unclosed YAML flow",
            || import_bytes(b"swagger: '2.0'\npaths: [\n"),
            400,
            "APIG.3600"
        ),
        case!(
            "JSON duplicate key",
            || import_bytes(br#"{"swagger":"2.0","paths":{},"paths":{}}"#),
            400,
            "APIG.3600"
        ),
        case!(
            "YAML duplicate key",
            || import_bytes(b"swagger: '2.0'\npaths: {}\npaths: {}\n"),
            400,
            "APIG.3600"
        ),
        case!(
            "YAML not UTF-8",
            || import_bytes(b"swagger: '2.0'\ninfo: {title: \xff\xfe}\npaths: {}\n"),
            400,
            "APIG.3600"
        ),
        case!(
            "a scalar document",
            || import_bytes(b"42"),
            400,
            "APIG.3602"
        ),
        case!(
            "an array document",
            || import_bytes(b"[]"),
            400,
            "APIG.3602"
        ),
        case!(
            "no version",
            || import_json(json!({"info": {"title": "t_t"}, "paths": {}})),
            400,
            "APIG.3602"
        ),
        case!(
            "swagger 3.0",
            || import_json(json!({"swagger": "3.0", "paths": {}})),
            400,
            "APIG.3602"
        ),
        case!(
            "openapi 2.0",
            || import_json(json!({"openapi": "2.0", "paths": {}})),
            400,
            "APIG.3602"
        ),
        case!(
            "2.0 without paths",
            || import_json(json!({"swagger": "2.0", "info": {"title": "t_t"}})),
            400,
            "APIG.3602"
        ),
        case!(
            "two YAML documents",
            || import_bytes(b"swagger: '2.0'\npaths: {}\n---\nswagger: '2.0'\npaths: {}\n"),
            400,
            "APIG.3602"
        ),
        case!(
            "JSON nested 200 deep",
            || import_bytes(
                format!(
                    "{{\"swagger\":\"2.0\",\"paths\":{{}},\"x\":{}{}}}",
                    "[".repeat(200),
                    "]".repeat(200)
                )
                .as_bytes()
            ),
            400,
            "APIG.3602"
        ),
        case!(
            "JSON of 4 MB of brackets",
            || import_bytes(
                format!(
                    "{{\"x\":{}{}}}",
                    "[".repeat(2_000_000),
                    "]".repeat(2_000_000)
                )
                .as_bytes()
            ),
            400,
            "APIG.3602"
        ),
        case!(
            "row 7: YAML flow nested 300 deep",
            || import_bytes(
                format!(
                    "swagger: '2.0'\ninfo: {{title: t_t}}\npaths: {{}}\n\n\nx: {}{}\n",
                    "[".repeat(300),
                    "]".repeat(300)
                )
                .as_bytes()
            ),
            400,
            "APIG.3602"
        ),
        case!(
            "row 1: alias bomb of 990k items replayed 3 times",
            || import_bytes(&alias_bomb()),
            400,
            "APIG.3602"
        ),
        case!(
            "billion laughs",
            || import_bytes(&laughs()),
            400,
            "APIG.3602"
        ),
        case!(
            "4.3 MB JSON of numbers",
            || import_bytes(
                format!(
                    "{{\"swagger\":\"2.0\",\"paths\":{{}},\"x\":{}}}",
                    numbers(4_300_000)
                )
                .as_bytes()
            ),
            400,
            "APIG.3602"
        ),
        case!(
            "YAML of 600k one-key mappings",
            || import_bytes(
                format!(
                    "swagger: '2.0'\npaths: {{}}\nx:\n{}",
                    "- a: 0\n".repeat(600_000)
                )
                .as_bytes()
            ),
            400,
            "APIG.3602"
        ),
        case!(
            "row 2: 40,000 empty gateway responses",
            || root_map("x-apigateway-responses", 40_000, json!({})),
            400,
            "APIG.3602"
        ),
        case!(
            "row 2: 40,000 authorizers",
            || authorizers(40_000),
            400,
            "APIG.3602"
        ),
        case!(
            "65 gateway responses",
            || root_map("x-apigateway-responses", 65, json!({})),
            400,
            "APIG.3602"
        ),
        case!("51 authorizers", || authorizers(51), 400, "APIG.3602"),
        case!(
            "301 throttling policies",
            || root_map(
                "x-apigateway-ratelimits",
                301,
                json!({"api-limit": 1, "interval": 1, "unit": "SECOND"})
            ),
            403,
            "APIG.3107"
        ),
        case!(
            "101 access-control policies",
            || root_map(
                "x-apigateway-access-controls",
                101,
                json!({"acl-type": "PERMIT", "entity-type": "IP", "value": "10.0.0.1"})
            ),
            403,
            "APIG.3112"
        ),
        case!(
            "301 operations",
            || import_json(swagger(
                many(301, |i| (format!("/p{i}"), json!({"get": {}})))
                    .into_iter()
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            )),
            403,
            "APIG.3127"
        ),
        case!(
            "title with spaces",
            || import_json(json!({"swagger": "2.0", "info": {"title": "My API"}, "paths": {}})),
            400,
            "APIG.2044"
        ),
        case!(
            "title missing",
            || import_json(json!({"swagger": "2.0", "info": {}, "paths": {}})),
            400,
            "APIG.2044"
        ),
        case!(
            "row 6: 100 kB title",
            || import_json(
                json!({"swagger": "2.0", "info": {"title": "x ".repeat(BIG / 2)}, "paths": {}})
            ),
            400,
            "APIG.2044"
        ),
        case!(
            "row 6: 5 kB swagger version",
            || import_json(json!({"swagger": "2".repeat(5000), "paths": {}})),
            400,
            "APIG.3602"
        ),
        case!(
            "servers URL with a variable",
            || import_json(
                json!({"openapi": "3.0.0", "info": {"title": "t_t"}, "servers": [{"url": "https://{x}/"}], "paths": {}})
            ),
            400,
            "APIG.2045"
        ),
        case!(
            "document over 10 MiB",
            || import_bytes(
                format!(
                    "{{\"swagger\":\"2.0\",\"paths\":{{}},\"x\":\"{}\"}}",
                    "a".repeat(10 * 1024 * 1024)
                )
                .as_bytes()
            ),
            400,
            "APIG.3603"
        ),
        // -- documents: accepted, with per-API failures
        case!("a minimal document", || import_bytes(DOC), 200, ""),
        case!(
            "a byte-order mark before JSON",
            || import_bytes(format!("\u{feff}{}", swagger(json!({"/a": {"get": {}}}))).as_bytes()),
            200,
            ""
        ),
        case!(
            "at the shared limits",
            || root_map("x-apigateway-responses", 64, json!({})),
            200,
            ""
        ),
        case!("50 authorizers", || authorizers(50), 200, ""),
        case!(
            "10,000 parameters",
            || one_op(
                json!({"parameters": many(10_000, |i| json!({"name": format!("q{i}"), "in": "query", "type": "string"}))})
            ),
            200,
            "APIG.3111"
        ),
        case!(
            "51 query parameters",
            || one_op(
                json!({"parameters": many(51, |i| json!({"name": format!("q{i}"), "in": "query", "type": "string"}))})
            ),
            200,
            "APIG.3111"
        ),
        case!(
            "51 backend parameters",
            || one_op(
                json!({"x-apigateway-backend": {"type": "HTTP", "httpEndpoints": http_backend()["httpEndpoints"], "parameters": many(51, |i| json!({"name": format!("b{i}"), "in": "query", "origin": "CONSTANT", "value": "v"}))}})
            ),
            200,
            "APIG.3111"
        ),
        case!(
            "6 backend policies",
            || one_op(
                json!({"x-apigateway-backend": http_backend(), "x-apigateway-backend-policies": many(6, |i| json!({"name": format!("pol_{i}")}))})
            ),
            200,
            "APIG.3113"
        ),
        case!(
            "11 conditions",
            || one_op(
                json!({"x-apigateway-backend": http_backend(), "x-apigateway-backend-policies": [{"name": "pol_a", "type": "HTTP", "httpEndpoints": http_backend()["httpEndpoints"], "conditions": many(11, |_| json!({"type": "pattern", "value": "10.*", "origin": "source"}))}]})
            ),
            200,
            "APIG.3113"
        ),
        case!(
            "100,000 plugins",
            || one_op(json!({"x-apigateway-plugins": many(BIG, |i| format!("p{i}"))})),
            200,
            "APIG.2011"
        ),
        case!(
            "100,000 orchestrations",
            || one_op(json!({"x-apigateway-orchestrations": many(BIG, |i| format!("o{i}"))})),
            200,
            "APIG.2011"
        ),
        case!(
            "100,000 tags",
            || one_op(json!({"tags": many(BIG, |i| format!("t{i}"))})),
            200,
            "APIG.2011"
        ),
        case!(
            "a parameter declared twice",
            || one_op(
                json!({"parameters": [{"name": "q", "in": "query"}, {"name": "q", "in": "query"}]})
            ),
            200,
            "APIG.2011"
        ),
        case!(
            "an undeclared path variable",
            || import_json(swagger(json!({"/a/{id}": {"get": {}}}))),
            200,
            "APIG.2026"
        ),
        case!(
            "an external $ref",
            || one_op(json!({"parameters": [{"$ref": "other.yaml#/p"}]})),
            200,
            "APIG.2011"
        ),
        case!(
            "row 6: a 3 kB $ref",
            || one_op(json!({"parameters": [{"$ref": format!("#/{}", "r".repeat(3000))}]})),
            200,
            "APIG.2011"
        ),
        case!(
            "a $ref loop",
            || import_json(
                json!({"swagger": "2.0", "info": {"title": "t_t"}, "paths": {"/a": {"$ref": "#/x/a"}}, "x": {"a": {"$ref": "#/x/a"}}})
            ),
            200,
            "APIG.2011"
        ),
        case!(
            "row 6: a 100 kB operationId",
            || one_op(json!({"operationId": "o".repeat(BIG)})),
            200,
            "APIG.2011"
        ),
        case!(
            "row 6: a 3 kB match mode",
            || one_op(json!({"x-apigateway-match-mode": "M".repeat(3000)})),
            200,
            "APIG.2011"
        ),
        case!(
            "a path with white space",
            || import_json(swagger(json!({"/a b": {"get": {}}}))),
            200,
            "APIG.2011"
        ),
        case!(
            "a 600-character path",
            || import_json(swagger(
                json!({format!("/{}", "p".repeat(600)): {"get": {}}})
            )),
            200,
            "APIG.2011"
        ),
        case!(
            "a function URN that is not one",
            || one_op(
                json!({"x-apigateway-backend": {"type": "FUNCTION", "functionEndpoints": {"function-urn": "nope", "version": "latest"}}})
            ),
            200,
            "APIG.9002"
        ),
        case!(
            "two operations on one route",
            || import_json(swagger(
                json!({"/a/{x}": {"get": {"operationId": "one_op", "parameters": [{"name": "x", "in": "path", "required": true, "type": "string"}]}}, "/a/{y}": {"get": {"operationId": "two_op", "parameters": [{"name": "y", "in": "path", "required": true, "type": "string"}]}}})
            )),
            200,
            "APIG.3301"
        ),
        case!(
            "two operations with one name",
            || import_json(swagger(
                json!({"/a": {"get": {"operationId": "same_name"}}, "/b": {"get": {"operationId": "same_name"}}})
            )),
            200,
            "APIG.3202"
        ),
        case!(
            "a referenced throttle that does not exist",
            || one_op(json!({"x-apigateway-ratelimit": "ghost_policy"})),
            200,
            "APIG.3005"
        ),
        case!(
            "a 100 kB mock body",
            || one_op(
                json!({"x-apigateway-backend": {"type": "MOCK", "mockEndpoints": {"result-content": "m".repeat(BIG)}}})
            ),
            200,
            "APIG.2011"
        ),
        // -- forms
        case!(
            "not multipart",
            || post(&import_path(), Some("application/json"), DOC.to_vec()),
            400,
            "APIG.2000"
        ),
        case!(
            "no content type",
            || post(&import_path(), None, DOC.to_vec()),
            400,
            "APIG.2000"
        ),
        case!(
            "multipart without a boundary",
            || post(
                &import_path(),
                Some("multipart/form-data"),
                multipart(&[file(DOC)])
            ),
            400,
            "APIG.2000"
        ),
        case!(
            "multipart never closed",
            || {
                form_post(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_name\"; filename=\"a.yaml\"\r\n\r\nswagger").into_bytes())
            },
            400,
            "APIG.2000"
        ),
        case!(
            "no file part",
            || import_request(&[text("is_create_group", "true")]),
            400,
            "APIG.2001"
        ),
        case!(
            "only the closing boundary",
            || form_post(format!("--{BOUNDARY}--\r\n").into_bytes()),
            400,
            "APIG.2001"
        ),
        case!(
            "file_name twice",
            || import_request(&[file(DOC), file(DOC)]),
            400,
            "APIG.2012"
        ),
        case!(
            "row 5: a name smuggled in a quoted file name",
            || form_post(raw_form(
                "form-data; filename=\"a;name=file_name;\"; name=\"innocent\"",
                DOC
            )),
            400,
            "APIG.2000"
        ),
        case!(
            "a part named twice",
            || form_post(raw_form(
                "form-data; name=\"file_name\"; name=\"innocent\"",
                DOC
            )),
            400,
            "APIG.2000"
        ),
        case!(
            "an unterminated quoted name",
            || form_post(raw_form("form-data; name=\"file_name", DOC)),
            400,
            "APIG.2000"
        ),
        case!(
            "attachment, not form-data",
            || form_post(raw_form("attachment; name=\"file_name\"", DOC)),
            400,
            "APIG.2000"
        ),
        case!(
            "is_create_group=maybe",
            || import_with(DOC, &[("is_create_group", "maybe")]),
            400,
            "APIG.2012"
        ),
        case!(
            "api_mode=replace",
            || import_with(DOC, &[("api_mode", "replace")]),
            400,
            "APIG.2012"
        ),
        case!(
            "extend_mode=1",
            || import_with(DOC, &[("extend_mode", "1")]),
            400,
            "APIG.2012"
        ),
        case!(
            "simple_mode=2",
            || import_with(DOC, &[("simple_mode", "2")]),
            400,
            "APIG.2012"
        ),
        case!(
            "existing group without group_id",
            || import_with(DOC, &[("is_create_group", "false")]),
            400,
            "APIG.2001"
        ),
        case!(
            "an unknown group",
            || import_with(
                DOC,
                &[
                    ("is_create_group", "false"),
                    ("group_id", "0123456789abcdef0123456789abcdef")
                ]
            ),
            404,
            "APIG.3001"
        ),
        case!(
            "a group_id with a slash",
            || import_with(DOC, &[("is_create_group", "false"), ("group_id", "../x")]),
            404,
            "APIG.3001"
        ),
        case!(
            "row 6: a 4 kB group_id",
            || import_with(
                DOC,
                &[
                    ("is_create_group", "false"),
                    ("group_id", &"g".repeat(4096))
                ]
            ),
            404,
            "APIG.3001"
        ),
        // -- credentials
        case!(
            "no credentials",
            || bare(
                "POST",
                &import_path(),
                &[("content-type", &form_content_type())],
                Body::from(multipart(&[file(DOC)]))
            ),
            401,
            "APIG.1000"
        ),
        case!(
            "a garbage token",
            || with_token("garbage"),
            401,
            "APIG.1002"
        ),
        case!(
            "a token of another secret",
            || with_token(&token_with(
                b"another-secret-0123456789abcdef0",
                &claims(PROJECT, &[IMPORT_ACTION])
            )),
            401,
            "APIG.1002"
        ),
        case!(
            "an expired token",
            || with_token(&token_with(
                SECRET,
                &json!({"sub": "t", "project_id": PROJECT, "actions": [IMPORT_ACTION], "exp": now() - 3600, "iat": now() - 7200})
            )),
            401,
            "APIG.1002"
        ),
        case!(
            "an unsigned token (alg none)",
            || with_token("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ0In0."),
            401,
            "APIG.1002"
        ),
        case!(
            "a token of another project",
            || with_token(&token_with(
                SECRET,
                &claims("fedcba9876543210fedcba9876543210", &[IMPORT_ACTION])
            )),
            403,
            "APIG.1005"
        ),
        case!(
            "a token without the import action",
            || with_token(&token_with(
                SECRET,
                &claims(PROJECT, &["apig:ListApiGroups"])
            )),
            403,
            "APIG.1005"
        ),
        case!(
            "a 100 kB token",
            || with_token(&"a".repeat(BIG)),
            401,
            "APIG.1002"
        ),
        case!(
            "row 9: two X-Auth-Token, valid first",
            || {
                let t = token();
                let ct = form_content_type();
                bare(
                    "POST",
                    &import_path(),
                    &[
                        ("x-auth-token", &t),
                        ("x-auth-token", "garbage"),
                        ("content-type", &ct),
                    ],
                    Body::from(multipart(&[file(DOC)])),
                )
            },
            401,
            "APIG.1002"
        ),
        case!(
            "row 9: two Authorization headers",
            || {
                let ct = form_content_type();
                bare(
                    "POST",
                    &import_path(),
                    &[
                        ("authorization", "SDK-HMAC-SHA256 a"),
                        ("authorization", "SDK-HMAC-SHA256 b"),
                        ("content-type", &ct),
                    ],
                    Body::from(multipart(&[file(DOC)])),
                )
            },
            401,
            "APIG.1002"
        ),
        case!(
            "row 3: a garbage signature and a chunked 9 MiB body",
            || {
                let ct = form_content_type();
                bare(
                    "POST",
                    &import_path(),
                    &[
                        ("authorization", "SDK-HMAC-SHA256 garbage"),
                        ("content-type", &ct),
                        ("transfer-encoding", "chunked"),
                    ],
                    chunked_9mib(),
                )
            },
            401,
            "APIG.1002"
        ),
        case!(
            "row 8: a malformed Authorization and a 50 MB Content-Length",
            || {
                let ct = form_content_type();
                bare(
                    "POST",
                    &import_path(),
                    &[
                        ("authorization", "SDK-HMAC-SHA256 garbage"),
                        ("content-type", &ct),
                        ("content-length", "52428800"),
                    ],
                    Body::empty(),
                )
            },
            401,
            "APIG.1002"
        ),
        case!(
            "a signature of an unknown key",
            || {
                let ct = form_content_type();
                bare("POST", &import_path(), &[("authorization", "SDK-HMAC-SHA256 Access=UNKNOWNKEY0123456789, SignedHeaders=content-type;host;x-sdk-date, Signature=00"), ("x-sdk-date", "20260101T000000Z"), ("host", "localhost"), ("content-type", &ct)], Body::from(multipart(&[file(DOC)])))
            },
            401,
            "APIG.1002"
        ),
        case!(
            "a Bearer scheme",
            || {
                let ct = form_content_type();
                bare(
                    "POST",
                    &import_path(),
                    &[("authorization", "Bearer abc"), ("content-type", &ct)],
                    Body::from(multipart(&[file(DOC)])),
                )
            },
            401,
            "APIG.1002"
        ),
        // -- paths and read operations
        case!(
            "an unknown path",
            || get("/v2/nothing/here"),
            404,
            "APIG.2000"
        ),
        case!(
            "GET on the import path",
            || get(&import_path()),
            405,
            "APIG.2000"
        ),
        case!(
            "a project id with a dot",
            || get(&format!("/v2/a.b/apigw/instances/{INSTANCE}/api-groups")),
            400,
            "APIG.2012"
        ),
        case!(
            "a 65-character instance id",
            || get(&format!(
                "/v2/{PROJECT}/apigw/instances/{}/api-groups",
                "i".repeat(65)
            )),
            400,
            "APIG.2012"
        ),
        case!(
            "an unknown instance",
            || {
                let t = token();
                let ct = form_content_type();
                bare("POST", &format!("/v2/{PROJECT}/apigw/instances/0000000000000000000000000000beef/openapi/import"), &[("x-auth-token", &t), ("content-type", &ct)], Body::from(multipart(&[file(DOC)])))
            },
            404,
            "APIG.3030"
        ),
        case!(
            "a dot-dot segment",
            || get(&format!("{}/../api-groups", base())),
            404,
            "APIG.2000"
        ),
        case!(
            "groups with limit=0",
            || get(&format!("{}/api-groups?limit=0", base())),
            400,
            "APIG.2012"
        ),
        case!(
            "groups with limit=100000",
            || get(&format!("{}/api-groups?limit=100000", base())),
            400,
            "APIG.2012"
        ),
        case!(
            "apis with offset=-1",
            || get(&format!("{}/apis?offset=-1", base())),
            400,
            "APIG.2012"
        ),
        case!(
            "apis with req_method=FOO",
            || get(&format!("{}/apis?req_method=FOO", base())),
            400,
            "APIG.2012"
        ),
        case!(
            "row 4: a list of groups",
            || get(&format!("{}/api-groups", base())),
            200,
            ""
        ),
        case!(
            "an API id that is not one",
            || get(&format!("{}/apis/{}", base(), "x".repeat(200))),
            400,
            "APIG.2012"
        ),
    ]
}

#[tokio::test]
async fn every_hostile_request_gets_its_exact_answer() {
    let cases = cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut wrong = Vec::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases named {:?}", case.name);
        let answer = call(corpus_app().await, (case.request)()).await;
        let status = answer.status.as_u16();
        let code = if status == 200 {
            answer.json["failure"][0]["error_code"]
                .as_str()
                .unwrap_or("")
                .to_string()
        } else {
            answer.code().to_string()
        };
        // Whatever was sent, a message echoes at most 128 bytes of any one thing it quotes.
        let longest_message = std::iter::once(answer.message().len())
            .chain(
                answer.json["failure"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| f["error_msg"].as_str().map_or(0, str::len)),
            )
            .max()
            .unwrap_or(0);
        if status != case.status || code != case.code || longest_message > 1024 {
            wrong.push(format!(
                "{}: expected {} {:?}, got {status} {code:?} ({} bytes of message): {}",
                case.name,
                case.status,
                case.code,
                longest_message,
                answer
                    .json
                    .to_string()
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
        assert_ne!(status, 500, "{}: {answer:?}", case.name);
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
