//! From an uploaded document to API definitions: decode JSON or YAML within limits, detect
//! Swagger 2.0 / OpenAPI 3.x, resolve internal `$ref`s where the mapping reads, and map
//! every operation (with its `x-apigateway-*` extensions) onto an [`ApiDefinition`].
//!
//! Pure and synchronous: no I/O, no store. Whether a referenced object exists in the
//! instance is for the importer to decide; this module only says which names are used.
//!
//! One job per module: `decode` (bytes → tree, bounded), `tree` (the decoded document, in
//! one arena), `object` (its objects and lists as they are built), `bounded` (JSON's
//! builder, bounded in depth and nodes), `yaml` (YAML's), `complexity` (YAML's node budget,
//! estimated on the text), `document` (version, base path, protocol, `$ref`), `node`
//! (values with their JSON pointers and typed readers), `operations` (walk and map),
//! `params`, `backend`, `policies`, `security`, `samples`, `shared`, `names`,
//! `request_path`.
//!
//! Decisions beyond the written contract:
//! * A 3.1 document without `paths` but with `webhooks` or `components` is valid, with no
//!   operations; without `paths` otherwise → `APIG.3602`.
//! * JSON duplicate keys are refused like YAML's (`APIG.3600`, with line and column).
//! * A path item whose `$ref` is broken (or that is not an object) is one failed `ANY`
//!   operation; it counts against the operation limit.
//! * Remarks and parameter descriptions longer than 255 characters are cut, not refused
//!   (the public petstore has a 1520-character description and must import).
//! * A security scheme without APIG extensions (OAuth2, basic, ...) means auth `NONE`.
//!   In simple mode an authorizer scheme still gives `AUTHORIZER` with its name (the API is
//!   never silently opened); only the authorizer's definition is not imported.
//! * Simple mode skips exactly the extensions §3.3 lists; samples, content type and
//!   `is-send-fg-body-base64` are kept.
//! * A shared object name defined both at the root and in `components` fails both.

use crate::config::Limits;
use crate::error::{ApiFailure, ApigError, Code};
use crate::model::{ApiDefinition, SharedDefinition, SharedKind};
pub use crate::model::{ImportWarning, WarningCode};
use bumpalo::Bump;
pub use tree::{Arena, Object, Value};

/// Decode and map an uploaded document.
///
/// Document-level problems (`import-api.md` §3.1: empty, too large, syntax, not a 2.0 /
/// 3.x document, bombs, unusable servers, too many operations) are an `Err`; a problem in
/// one operation or shared object is reported in its own item and fails nothing else.
pub fn parse_document(
    bytes: &[u8],
    options: MapOptions,
    limits: &Limits,
) -> Result<ParsedDocument, ApigError> {
    let mut arena = Arena::default();
    let root = decode::decode(&mut arena, bytes, limits)?;
    map_document(&root, options, limits)
}

/// [`parse_document`] for a caller that gives the document up: its text (which the tree's
/// strings borrow) is released with the tree once the document is mapped, before the
/// caller goes on to write. The text is freed only if this was its last owner.
pub fn parse_owned(
    document: bytes::Bytes,
    options: MapOptions,
    limits: &Limits,
) -> Result<ParsedDocument, ApigError> {
    let mut arena = Arena::default();
    let root = decode::decode(&mut arena, &document, limits)?;
    map_document(&root, options, limits)
}

/// Decode a document without mapping it (its tree in `arena`, its strings borrowed from
/// `bytes` where they can be): an object no deeper than `limits.max_depth`.
pub fn decode_document<'a>(
    arena: &'a mut Arena,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Value<'a>, ApigError> {
    decode::decode(arena, bytes, limits)
}

/// Map a decoded document (the second half of [`parse_document`]).
pub fn map_document(
    root: &Value<'_>,
    options: MapOptions,
    limits: &Limits,
) -> Result<ParsedDocument, ApigError> {
    let steps = Bump::new();
    let doc = document::Document::new(root, &steps)?;
    // Counted before anything is mapped.
    let pending = operations::collect(&doc);
    let count = pending.count;
    if count > limits.max_operations {
        return Err(ApigError::new(
            Code::Apig3127,
            format!(
                "the document has {count} operations, at most {} may be imported at a time",
                limits.max_operations
            ),
        ));
    }
    let info = root.get("info");
    let info_text = |key: &str| {
        info.and_then(|i| i.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let warnings = doc
        .server_warning
        .iter()
        .map(|w| ImportWarning::document(WarningCode::ServerUrlWithoutScheme, w.clone()))
        .collect();
    Ok(ParsedDocument {
        warnings,
        title: info_text("title"),
        description: info_text("description"),
        shared: if options.simple_mode {
            Vec::new()
        } else {
            shared::shared_items(&doc, limits)?
        },
        operations: operations::map(&doc, pending, options, limits),
    })
}

/// The import options that change how a document is mapped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapOptions {
    pub simple_mode: bool,
    pub mock_mode: bool,
}

/// A decoded, mapped document.
#[derive(Debug, Clone)]
pub struct ParsedDocument {
    /// `info.title`, if it is a string.
    pub title: Option<String>,
    /// `info.description`, if it is a string.
    pub description: Option<String>,
    /// Shared objects defined in the document, in document order (empty in simple mode).
    pub shared: Vec<SharedItem>,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// Document-level warnings (`import-api.md` §3.4); each operation has its own.
    pub warnings: Vec<ImportWarning>,
}

/// A shared object defined in the document: valid, or the failure that every API
/// referencing it will report.
#[derive(Debug, Clone)]
pub struct SharedItem {
    pub kind: SharedKind,
    pub name: String,
    /// JSON pointer of the definition.
    pub pointer: String,
    pub definition: Result<SharedDefinition, ApiFailure>,
}

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Upper case: `GET`, ..., `ANY`, `TRACE`.
    pub method: String,
    /// Full request path (base path included), as it will be stored.
    pub path: String,
    /// JSON pointer of the operation object, as messages echo it (each reference token at
    /// most 128 bytes: a hostile document's pointers are as long as its keys).
    pub pointer: String,
    pub outcome: OperationOutcome,
    /// What the API will store differently from the document (only for an `Api` outcome).
    pub warnings: Vec<ImportWarning>,
}

#[derive(Debug, Clone)]
pub enum OperationOutcome {
    Api(Box<ApiDefinition>),
    Failed(ApiFailure),
    /// Not representable in APIG (`trace`): reported in `ignore[]`.
    Ignored,
}

mod backend;
mod bounded;
mod complexity;
mod decode;
mod document;
mod names;
mod node;
mod object;
mod operations;
mod params;
mod policies;
// Public for the fuzz targets (`fuzz/`), not part of the crate's API.
#[doc(hidden)]
pub mod request_path;
mod samples;
mod security;
mod shared;
mod tree;
mod yaml;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Backend, BackendEndpoint, ParamLocation, ParamType};
    use serde_json::{json, Value};

    fn run(doc: &Value, options: MapOptions, limits: &Limits) -> Result<ParsedDocument, ApigError> {
        parse_document(doc.to_string().as_bytes(), options, limits)
    }

    fn strict(doc: &Value) -> ParsedDocument {
        run(doc, MapOptions::default(), &Limits::default()).unwrap()
    }

    fn simple(doc: &Value) -> ParsedDocument {
        let options = MapOptions {
            simple_mode: true,
            mock_mode: false,
        };
        run(doc, options, &Limits::default()).unwrap()
    }

    fn swagger(paths: Value) -> Value {
        json!({"swagger": "2.0", "info": {"title": "t_t"}, "paths": paths})
    }

    fn api(op: &Operation) -> &ApiDefinition {
        match &op.outcome {
            OperationOutcome::Api(api) => api,
            other => panic!("{} {}: {other:?}", op.method, op.path),
        }
    }

    fn failure(op: &Operation) -> &ApiFailure {
        match &op.outcome {
            OperationOutcome::Failed(f) => f,
            other => panic!(
                "{} {}: expected a failure, got {other:?}",
                op.method, op.path
            ),
        }
    }

    #[test]
    fn verbs_keep_their_written_order_and_trace_is_ignored() {
        let doc = strict(&swagger(json!({"/a": {
            "post": {}, "trace": {}, "x-apigateway-any-method": {}, "get": {}, "parameters": [],
            "x-other": {}}, "x-paths-extension": {"get": {}}})));
        let seen: Vec<(&str, bool)> = doc
            .operations
            .iter()
            .map(|o| {
                (
                    o.method.as_str(),
                    matches!(o.outcome, OperationOutcome::Ignored),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("POST", false),
                ("TRACE", true),
                ("ANY", false),
                ("GET", false)
            ]
        );
        assert_eq!(doc.operations[0].pointer, "/paths/~1a/post");
    }

    #[test]
    fn an_owned_document_maps_as_a_borrowed_one() {
        let text = crate::docgen::generate(&crate::docgen::Spec::new(
            crate::docgen::Version::OpenApi30,
            crate::docgen::Format::Yaml,
            12,
        ));
        let limits = Limits::default();
        let borrowed = parse_document(text.as_bytes(), MapOptions::default(), &limits).unwrap();
        let owned = parse_owned(text.into(), MapOptions::default(), &limits).unwrap();
        assert_eq!(format!("{owned:?}"), format!("{borrowed:?}"));
        let refused = parse_owned(
            bytes::Bytes::from_static(b"- a list"),
            MapOptions::default(),
            &limits,
        );
        assert_eq!(refused.unwrap_err().code, Code::Apig3602);
    }

    #[test]
    fn threads_map_as_one_thread_does() {
        use crate::docgen::{document, Format, Spec, Version};
        let mut doc = document(&Spec::new(Version::OpenApi30, Format::Json, 420));
        let paths = doc["paths"].as_object_mut().unwrap();
        let generated: Vec<String> = paths.keys().cloned().collect();
        // Among the generated path items, every kind of slot: extensions of the Paths
        // object, traces, broken and followed references, failures, warnings.
        let odd = [
            ("x-extension", json!({"get": {}})),
            (
                "/traced",
                json!({"trace": {}, "get": {}, "x-apigateway-any-method": {}}),
            ),
            ("/broken", json!({"$ref": "#/nowhere"})),
            (
                "/followed",
                json!({"$ref": format!("#/paths/{}", generated[7].replace('/', "~1"))}),
            ),
            (
                "/operation/{id}",
                json!({"get": {"$ref": "#/paths/~1traced/get"}}),
            ),
            ("/long", json!({"post": {"description": "d".repeat(300)}})),
            ("/not-an-object", json!(7)),
        ];
        let mut entries: Vec<(String, Value)> = std::mem::take(paths).into_iter().collect();
        for (at, (key, item)) in odd.into_iter().enumerate() {
            entries.insert(at * 29, (key.to_string(), item));
        }
        doc["paths"] = Value::Object(entries.into_iter().collect());
        let mapped = |threads| {
            let limits = Limits {
                map_threads: threads,
                max_operations: 1000,
                ..Limits::default()
            };
            format!("{:?}", run(&doc, MapOptions::default(), &limits).unwrap())
        };
        let one = mapped(1);
        assert!(
            one.contains("Failed") && one.contains("Ignored") && one.contains("DescriptionCut")
        );
        for threads in [2, 3, 4, 64] {
            assert_eq!(mapped(threads), one, "{threads} threads");
        }
    }

    #[test]
    fn a_reference_into_paths_still_resolves() {
        let doc = strict(&json!({"swagger": "2.0", "paths": {
            "/a": {"get": {"parameters": [{"name": "q", "in": "query", "type": "string"}]}},
            "/b": {"get": {"parameters": [{"$ref": "#/paths/~1a/get/parameters/0"}]}}}}));
        assert_eq!(api(&doc.operations[1]).req_params[0].name, "q");
    }

    #[test]
    fn operations_are_counted_before_mapping_without_trace() {
        let paths = json!({"/a": {"get": {}, "put": {}, "trace": {}}});
        let limits = Limits {
            max_operations: 2,
            ..Limits::default()
        };
        assert!(run(&swagger(paths), MapOptions::default(), &limits).is_ok());
        // Even broken operations count: the limit is about the document, not the results.
        let paths = json!({"/a": {"get": {}, "put": {"operationId": "x y"}, "post": 1}});
        let e = run(&swagger(paths), MapOptions::default(), &limits).unwrap_err();
        assert_eq!(e.code, Code::Apig3127);
        assert!(e.message.contains("3 operations"), "{}", e.message);
    }

    #[test]
    fn undeclared_path_variables() {
        let paths = json!({"/u/{id}/f/{rest+}": {"get": {"operationId": "get_u",
            "parameters": [{"name": "id", "in": "path", "type": "integer"}]}}});
        let doc = strict(&swagger(paths.clone()));
        let f = failure(&doc.operations[0]);
        assert_eq!(f.code, Code::Apig2026);
        assert!(f.message.contains("{rest}"), "{}", f.message);
        assert!(
            f.message.contains("(at /paths/~1u~1{id}~1f~1{rest+}/get)"),
            "{}",
            f.message
        );
        let doc = simple(&swagger(paths));
        let a = api(&doc.operations[0]);
        assert_eq!(a.req_params.len(), 2);
        assert_eq!(
            a.req_params[0].param_type,
            ParamType::Number,
            "declared one kept"
        );
        let added = &a.req_params[1];
        assert_eq!(
            (
                added.name.as_str(),
                added.location,
                added.param_type,
                added.required
            ),
            ("rest", ParamLocation::Path, ParamType::String, true)
        );
    }

    #[test]
    fn too_many_parameters() {
        let params: Vec<Value> = (0..51)
            .map(|i| json!({"name": format!("q{i}"), "in": "query", "type": "string"}))
            .collect();
        let doc = strict(&swagger(json!({"/a": {"get": {"parameters": params}}})));
        assert_eq!(failure(&doc.operations[0]).code, Code::Apig3111);
    }

    #[test]
    fn invalid_paths_fail_per_operation() {
        let doc = strict(&swagger(json!({"/a b": {"get": {}}, "/ok": {"get": {}}})));
        let f = failure(&doc.operations[0]);
        assert_eq!(f.code, Code::Apig2011);
        assert!(f.message.contains("(at /paths/~1a b)"), "{}", f.message);
        assert!(matches!(
            doc.operations[1].outcome,
            OperationOutcome::Api(_)
        ));
    }

    #[test]
    fn names_strict_and_simple() {
        let paths = json!({"/a": {"get": {"operationId": "find pet by id"}, "put": {"operationId": 42},
            "post": {"operationId": "create_a"}}});
        let doc = strict(&swagger(paths.clone()));
        assert!(failure(&doc.operations[0])
            .message
            .contains("parameterName:operationId"));
        assert!(failure(&doc.operations[1])
            .message
            .contains("must be a string"));
        assert_eq!(api(&doc.operations[2]).name, "create_a");
        let doc = simple(&swagger(paths));
        assert_eq!(api(&doc.operations[0]).name, "get/a");
        assert_eq!(api(&doc.operations[1]).name, "put/a");
    }

    #[test]
    fn broken_refs_fail_only_their_operations() {
        let doc = strict(&json!({"openapi": "3.0.0", "paths": {
            "/a": {"get": {"parameters": [{"$ref": "#/components/parameters/missing"}]},
                   "put": {"parameters": [{"$ref": "common.yaml#/p"}]},
                   "post": {}},
            "/b": {"$ref": "#/components/pathItems/nope"},
            "/c": {"$ref": "#/x-items/c"}},
            "x-items": {"c": {"delete": {"operationId": "del_c"}}}}));
        let f = failure(&doc.operations[0]);
        assert!(
            f.message.contains("#/components/parameters/missing"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("(at /paths/~1a/get/parameters/0/$ref)"),
            "{}",
            f.message
        );
        assert!(failure(&doc.operations[1])
            .message
            .contains("external reference \"common.yaml#/p\""));
        assert!(matches!(
            doc.operations[2].outcome,
            OperationOutcome::Api(_)
        ));
        assert_eq!(
            (
                doc.operations[3].method.as_str(),
                doc.operations[3].path.as_str()
            ),
            ("ANY", "/b")
        );
        assert!(failure(&doc.operations[3])
            .message
            .contains("#/components/pathItems/nope"));
        let c = api(&doc.operations[4]);
        assert_eq!(
            (c.name.as_str(), doc.operations[4].path.as_str()),
            ("del_c", "/c")
        );
    }

    #[test]
    fn operation_objects_through_ref() {
        let doc = strict(&json!({"openapi": "3.0.0", "paths": {
            "/d": {"get": {"$ref": "resources/droplets_get.yml"},
                   "post": {"$ref": "#/x-ops/create"},
                   "put": {"$ref": "#/x-ops/bad"},
                   "delete": {"$ref": "#/x-ops/missing"}}},
            "x-ops": {"create": {"operationId": "create_d", "description": "make one",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "integer"}}]},
                "bad": {"operationId": "bad one"}}}));
        let f = failure(&doc.operations[0]);
        assert_eq!(f.code, Code::Apig2011);
        for words in [
            "\"resources/droplets_get.yml\"",
            "bundled into one file first",
            "(at /paths/~1d/get/$ref)",
        ] {
            assert!(f.message.contains(words), "{words}: {}", f.message);
        }
        let a = api(&doc.operations[1]);
        assert_eq!(
            (
                a.name.as_str(),
                a.remark.as_deref(),
                a.req_params[0].param_type
            ),
            ("create_d", Some("make one"), ParamType::Number)
        );
        let f = failure(&doc.operations[2]);
        assert!(
            f.message
                .contains("(at /paths/~1d/put, defined at /x-ops/bad/operationId)"),
            "{}",
            f.message
        );
        assert!(failure(&doc.operations[3])
            .message
            .contains("\"#/x-ops/missing\" does not resolve"));
    }

    #[test]
    fn referenced_parameter_failures_name_the_use_site_first() {
        let doc = strict(
            &json!({"swagger": "2.0", "paths": {"/a": {"get": {"parameters": [
            {"name": "ok", "in": "query", "type": "string"},
            {"$ref": "#/parameters/long"}]}}},
            "parameters": {"long": {"name": "x".repeat(40), "in": "query", "type": "string"}}}),
        );
        let f = failure(&doc.operations[0]);
        assert!(
            f.message
                .contains("(at /paths/~1a/get/parameters/1, defined at /parameters/long/name)"),
            "{}",
            f.message
        );
    }

    fn warnings(op: &Operation) -> Vec<(WarningCode, &str)> {
        op.warnings
            .iter()
            .map(|w| {
                assert_eq!(
                    (w.method.as_str(), w.path.as_str()),
                    (op.method.as_str(), op.path.as_str())
                );
                (w.code, w.message.as_str())
            })
            .collect()
    }

    #[test]
    fn unmapped_security_is_a_warning() {
        let doc = strict(
            &json!({"openapi": "3.0.0", "security": [{"bearer": []}], "paths": {"/a": {
            "get": {}, "put": {"security": []}, "post": {"security": [{"key": []}]}}},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                "key": {"type": "apiKey", "in": "header", "name": "k", "x-apigateway-auth-type": "IAM"}}}}),
        );
        let w = warnings(&doc.operations[0]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, WarningCode::SecurityNotMapped);
        assert!(w[0].1.contains("\"bearer\" (http)"), "{}", w[0].1);
        assert!(w[0].1.contains("auth type NONE"), "{}", w[0].1);
        assert_eq!(
            api(&doc.operations[0]).auth_type,
            crate::model::AuthType::None
        );
        assert!(warnings(&doc.operations[1]).is_empty());
        assert!(warnings(&doc.operations[2]).is_empty());
    }

    #[test]
    fn long_remarks_are_cut_with_a_warning() {
        let doc = strict(&swagger(
            json!({"/a": {"get": {"description": "d".repeat(300)},
            "put": {"summary": "s".repeat(255)}}}),
        ));
        assert_eq!(
            api(&doc.operations[0]).remark.as_deref().map(str::len),
            Some(255)
        );
        let w = warnings(&doc.operations[0]);
        assert_eq!(w[0].0, WarningCode::DescriptionCut);
        assert!(w[0].1.contains("300 characters"), "{}", w[0].1);
        assert!(
            w[0].1.contains("(at /paths/~1a/get/description)"),
            "{}",
            w[0].1
        );
        assert!(warnings(&doc.operations[1]).is_empty());
    }

    #[test]
    fn a_big_mock_example_is_passed_over_with_a_warning() {
        let options = MapOptions {
            simple_mode: false,
            mock_mode: true,
        };
        let big = json!({"data": "x".repeat(30_000)});
        let doc = run(
            &swagger(json!({"/a": {"get": {"responses": {"200": {"examples": {
            "application/json": big}}}}}})),
            options,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(api(&doc.operations[0]).backend, Backend::mock(""));
        let w = warnings(&doc.operations[0]);
        assert_eq!(w[0].0, WarningCode::MockExampleSkipped);
        assert!(
            w[0].1
                .contains("(at /paths/~1a/get/responses/200/examples/application~1json)"),
            "{}",
            w[0].1
        );
    }

    #[test]
    fn a_server_url_without_scheme_is_a_path_with_a_warning() {
        let doc = strict(
            &json!({"openapi": "3.0.0", "servers": [{"url": "api.example.com/v1"}],
            "paths": {"/a": {"get": {}}}}),
        );
        assert_eq!(doc.operations[0].path, "/api.example.com/v1/a");
        assert_eq!(doc.warnings.len(), 1);
        let w = &doc.warnings[0];
        assert_eq!(
            (w.code, w.method.as_str(), w.path.as_str()),
            (WarningCode::ServerUrlWithoutScheme, "", "")
        );
    }

    #[test]
    fn circular_schemas_are_harmless() {
        let doc = strict(
            &json!({"openapi": "3.1.0", "paths": {"/n": {"get": {"parameters": [
                {"name": "n", "in": "query", "schema": {"$ref": "#/components/schemas/Node"}}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
            "components": {"schemas": {"Node": {"type": "object", "properties": {
                "next": {"$ref": "#/components/schemas/Node"}}}}}}),
        );
        assert_eq!(
            api(&doc.operations[0]).req_params[0].param_type,
            ParamType::String
        );
    }

    #[test]
    fn protocols_from_operation_servers() {
        let doc = strict(
            &json!({"openapi": "3.0.0", "servers": [{"url": "https://x/v1"}], "paths": {
            "/a": {"get": {"servers": [{"url": "http://y/"}, {"url": "https://z/"}]}, "put": {}}}}),
        );
        assert_eq!(
            api(&doc.operations[0]).protocol,
            crate::model::Protocol::Both
        );
        assert_eq!(
            api(&doc.operations[1]).protocol,
            crate::model::Protocol::Https
        );
        assert_eq!(doc.operations[0].path, "/v1/a");
    }

    #[test]
    fn document_level_errors() {
        let cases = [
            (
                json!({"openapi": "3.0.0", "paths": {}, "servers": [{"url": "https://{x}/"}]}),
                Code::Apig2045,
            ),
            (json!({"openapi": "2.0", "paths": {}}), Code::Apig3602),
            (json!({"info": {}}), Code::Apig3602),
        ];
        for (doc, code) in cases {
            assert_eq!(
                run(&doc, MapOptions::default(), &Limits::default())
                    .unwrap_err()
                    .code,
                code
            );
        }
        assert_eq!(
            parse_document(b" ", MapOptions::default(), &Limits::default())
                .unwrap_err()
                .code,
            Code::Apig3609
        );
    }

    #[test]
    fn mock_mode_overrides_backends() {
        let options = MapOptions {
            simple_mode: false,
            mock_mode: true,
        };
        let doc = run(&swagger(json!({"/a": {"get": {
            "x-apigateway-backend": {"type": "HTTP", "httpEndpoints": {"address": "h", "scheme": "http", "method": "GET", "path": "/"}},
            "x-apigateway-backend-policies": [{"name": "broken"}]}}})), options, &Limits::default()).unwrap();
        assert_eq!(api(&doc.operations[0]).backend, Backend::mock(""));
    }

    #[test]
    fn simple_mode_skips_extensions_and_clamps() {
        let doc = simple(&swagger(json!({"/a": {"get": {
            "x-apigateway-ratelimit": "r", "x-apigateway-access-control": "a", "x-apigateway-plugins": ["p"],
            "x-apigateway-response": "g", "x-apigateway-orchestrations": ["o"],
            "x-apigateway-backend-policies": "not even an array",
            "x-apigateway-backend": {"type": "HTTP", "httpEndpoints": {"address": "h", "scheme": "http",
                "method": "GET", "path": "/", "timeout": 0}}}}})));
        let a = api(&doc.operations[0]);
        assert!(a.ratelimit.is_none() && a.access_control.is_none() && a.response.is_none());
        assert!(
            a.plugins.is_empty() && a.orchestrations.is_empty() && a.backend_policies.is_empty()
        );
        let BackendEndpoint::Http(h) = &a.backend.endpoint else {
            panic!()
        };
        assert_eq!(h.target.timeout_ms, 1);
    }

    #[test]
    fn extension_values_are_checked() {
        let doc = strict(&swagger(json!({"/a": {
            "get": {"x-apigateway-match-mode": "PREFIX"},
            "put": {"x-apigateway-cors": "maybe"},
            "post": {"x-apigateway-content-type": "text/html"},
            "delete": {"tags": ["", "x"]}}})));
        let words = [
            "\"PREFIX\" is not one of NORMAL, SWA",
            "must be a boolean",
            "\"text/html\"",
            "1 to 128",
        ];
        for (op, words) in doc.operations.iter().zip(words) {
            let f = failure(op);
            assert_eq!(f.code, Code::Apig2011);
            assert!(f.message.contains(words), "{}", f.message);
        }
    }

    #[test]
    fn a_large_yaml_document_with_aliases_passes() {
        // ~3000 operations, several MB, each reusing anchored blocks: legitimate, not a bomb.
        let mut yaml = String::from("swagger: '2.0'\ninfo: {title: big_doc}\nx-common: &resp\n  '200':\n    description: ok\n    x-apigateway-result-normal-sample: '{\"ok\":true}'\n  default: {description: error}\nx-params: &params\n  - {name: q, in: query, type: string, description: a query parameter}\n  - {name: X-Id, in: header, type: string}\npaths:\n");
        for i in 0..3000 {
            yaml.push_str(&format!(
                "  /items/n{i}/{{id}}:\n    parameters:\n      - {{name: id, in: path, type: string, required: true}}\n    get:\n      operationId: get_item_{i}\n      description: {}\n      responses: *resp\n    x-apigateway-any-method:\n      parameters: *params\n      responses: *resp\n",
                "lorem ipsum dolor sit amet ".repeat(20)
            ));
        }
        assert!(yaml.len() > 2_000_000, "{}", yaml.len());
        let limits = Limits {
            max_operations: 10_000,
            ..Limits::default()
        };
        let started = std::time::Instant::now();
        let doc = parse_document(yaml.as_bytes(), MapOptions::default(), &limits).unwrap();
        assert_eq!(doc.operations.len(), 6000);
        let apis: Vec<&ApiDefinition> = doc.operations.iter().map(api).collect();
        assert_eq!(apis[5999].req_params.len(), 3);
        assert_eq!(
            apis[0].result_normal_sample.as_deref(),
            Some("{\"ok\":true}")
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        // With the default limit, the same document is refused as a whole.
        let e =
            parse_document(yaml.as_bytes(), MapOptions::default(), &Limits::default()).unwrap_err();
        assert_eq!(e.code, Code::Apig3127);
    }

    /// A 2.0 document with `n` items under the root collection `key`, each `item(i)`.
    fn with_root_collection(key: &str, n: usize, item: impl Fn(usize) -> Value) -> Value {
        let mut doc = swagger(json!({"/a": {"get": {}}}));
        let map: serde_json::Map<String, Value> =
            (0..n).map(|i| (format!("c_{i:06}"), item(i))).collect();
        doc[key] = Value::Object(map);
        doc
    }

    fn authorizers(n: usize) -> Value {
        let mut doc = swagger(json!({"/a": {"get": {}}}));
        let schemes: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    format!("auth_{i:06}"),
                    json!({"type": "apiKey", "name": "Authorization", "in": "header",
                        "x-apigateway-authorizer": {"type": "FRONTEND",
                        "authorizer_uri": "urn:fss:r:p:function:default:f:latest"}}),
                )
            })
            .collect();
        doc["securityDefinitions"] = Value::Object(schemes);
        doc
    }

    #[test]
    fn shared_collections_over_their_limit_are_refused_quickly() {
        let limits = Limits::default();
        let throttle = |_| json!({"api-limit": 10, "interval": 1, "unit": "SECOND"});
        let acl = |_| json!({"acl-type": "PERMIT", "entity-type": "IP", "value": "10.0.0.1"});
        let cases = [
            (
                with_root_collection("x-apigateway-responses", 40_000, |_| json!({})),
                Code::Apig3602,
                "64 gateway responses",
                "(at /x-apigateway-responses)",
            ),
            (
                authorizers(40_000),
                Code::Apig3602,
                "50 custom authorizers",
                "(at /securityDefinitions)",
            ),
            (
                with_root_collection("x-apigateway-ratelimits", 301, throttle),
                Code::Apig3107,
                "300 throttling policies",
                "(at /x-apigateway-ratelimits)",
            ),
            (
                with_root_collection("x-apigateway-access-controls", 101, acl),
                Code::Apig3112,
                "100 access-control policies",
                "(at /x-apigateway-access-controls)",
            ),
        ];
        for (doc, code, words, at) in cases {
            let started = std::time::Instant::now();
            let e = run(&doc, MapOptions::default(), &limits).unwrap_err();
            // The 40,000 items took 37–44 s to import when each was compared with every
            // earlier one and stored; refused up front, it is the decoding that counts. The
            // bound is loose (a debug build on a shared machine): it catches the quadratic
            // case, not a slow machine.
            assert!(started.elapsed() < std::time::Duration::from_secs(15));
            assert_eq!(e.code, code, "{}", e.message);
            assert!(e.message.contains(words), "{}", e.message);
            assert!(e.message.contains(at), "{}", e.message);
        }
        // 3.x: root and components count together.
        let mut doc = json!({"openapi": "3.0.0", "paths": {}, "components": {}});
        let half = |from: usize| -> Value {
            (from..from + 40)
                .map(|i| (format!("r_{i}"), json!({})))
                .collect::<serde_json::Map<String, Value>>()
                .into()
        };
        doc["x-apigateway-responses"] = half(0);
        doc["components"]["x-apigateway-responses"] = half(40);
        let e = run(&doc, MapOptions::default(), &limits).unwrap_err();
        assert!(
            e.message
                .contains("(at /components/x-apigateway-responses)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn shared_collections_at_their_limit_pass() {
        let throttle = |_| json!({"api-limit": 10, "interval": 1, "unit": "SECOND"});
        let acl = |_| json!({"acl-type": "PERMIT", "entity-type": "IP", "value": "10.0.0.1"});
        let docs = [
            (
                with_root_collection("x-apigateway-responses", 64, |_| json!({})),
                64,
            ),
            (authorizers(50), 50),
            (
                with_root_collection("x-apigateway-ratelimits", 300, throttle),
                300,
            ),
            (
                with_root_collection("x-apigateway-access-controls", 100, acl),
                100,
            ),
        ];
        for (doc, n) in docs {
            let parsed = strict(&doc);
            assert_eq!(parsed.shared.len(), n);
            assert!(parsed.shared.iter().all(|s| s.definition.is_ok()));
        }
        // Simple mode imports no shared object, so it does not count them either.
        assert!(simple(&with_root_collection(
            "x-apigateway-responses",
            65,
            |_| json!({})
        ))
        .shared
        .is_empty());
    }

    #[test]
    fn per_api_collections_are_bounded_before_they_are_read() {
        let many = |n: usize, f: &dyn Fn(usize) -> Value| -> Vec<Value> { (0..n).map(f).collect() };
        let query = |i: usize| json!({"name": format!("q{i}"), "in": "query", "type": "string"});
        let backend_param = |i: usize| json!({"name": format!("b{i}"), "in": "query", "origin": "CONSTANT", "value": "v"});
        let condition = |_| json!({"type": "pattern", "value": "10.*", "origin": "source"});
        let http = json!({"address": "h", "scheme": "https", "method": "GET", "path": "/"});
        let cases = [
            (
                json!({"parameters": many(10_000, &query)}),
                Code::Apig3111,
                "at most 100 parameters",
                "/get/parameters)",
            ),
            (
                json!({"x-apigateway-backend": {"type": "HTTP", "httpEndpoints": http,
                "parameters": many(51, &backend_param)}}),
                Code::Apig3111,
                "at most 50 backend parameters",
                "/get/x-apigateway-backend/parameters)",
            ),
            (
                json!({"x-apigateway-backend": {"type": "HTTP", "httpEndpoints": http},
                "x-apigateway-backend-policies": [{"name": "pol_a", "type": "HTTP", "httpEndpoints": http,
                "conditions": many(11, &condition)}]}),
                Code::Apig3113,
                "at most 10 conditions",
                "/get/x-apigateway-backend-policies/0/conditions)",
            ),
            (
                json!({"x-apigateway-plugins": many(11, &|i| json!(format!("p{i}")))}),
                Code::Apig2011,
                "at most 10 plugins",
                "/get/x-apigateway-plugins)",
            ),
            (
                json!({"x-apigateway-orchestrations": many(11, &|i| json!(format!("o{i}")))}),
                Code::Apig2011,
                "at most 10 orchestration rules",
                "/get/x-apigateway-orchestrations)",
            ),
        ];
        for (op, code, words, at) in cases {
            let doc = strict(&swagger(json!({"/a": {"get": op}})));
            let f = failure(&doc.operations[0]);
            assert_eq!(f.code, code, "{}", f.message);
            assert!(f.message.contains(words), "{}", f.message);
            assert!(f.message.contains(at), "{}", f.message);
        }
        // At the limits, the same collections pass.
        let op = json!({"parameters": many(50, &query),
            "x-apigateway-backend": {"type": "HTTP", "httpEndpoints": http, "parameters": many(50, &backend_param)},
            "x-apigateway-backend-policies": [{"name": "pol_a", "type": "HTTP", "httpEndpoints": http,
                "conditions": many(10, &condition)}],
            "x-apigateway-plugins": many(10, &|i| json!(format!("p{i}"))),
            "x-apigateway-orchestrations": many(10, &|i| json!(format!("o{i}")))});
        let doc = strict(&swagger(json!({"/a": {"get": op}})));
        let a = api(&doc.operations[0]);
        assert_eq!((a.req_params.len(), a.plugins.len()), (50, 10));
        assert_eq!(a.backend_policies[0].conditions.len(), 10);
    }

    #[test]
    fn odd_shapes_fail_the_operation_without_panicking() {
        let odd = [
            json!({"parameters": "x"}),
            json!({"parameters": [1]}),
            json!({"security": "x"}),
            json!({"security": [1]}),
            json!({"responses": []}),
            json!({"responses": {"200": {"$ref": 7}}}),
            json!({"tags": "t"}),
            json!({"x-apigateway-backend": []}),
            json!({"x-apigateway-backend": {"type": "HTTP", "httpEndpoints": []}}),
            json!({"x-apigateway-backend-policies": {}}),
            json!({"x-apigateway-plugins": [1]}),
            json!({"description": ["d"]}),
        ];
        for op in odd {
            let doc = strict(&swagger(json!({"/a": {"get": op.clone()}})));
            let f = failure(&doc.operations[0]);
            assert_eq!(f.code, Code::Apig2011, "{op}: {}", f.message);
            assert!(
                f.message.contains("(at /paths/~1a/get"),
                "{op}: {}",
                f.message
            );
        }
    }
}
