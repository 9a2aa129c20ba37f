//! Every shared fixture, mapped: which operations become APIs, which fail with which code,
//! and field-level checks of the extension-rich documents (see the fixtures' README files).

use crate::support::fixture;
use apig_import::config::Limits;
use apig_import::error::Code;
use apig_import::model::*;
use apig_import::spec::{parse_document, MapOptions, OperationOutcome, ParsedDocument};

fn parse(rel: &str, options: MapOptions) -> ParsedDocument {
    parse_document(&fixture(rel), options, &Limits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const STRICT: MapOptions = MapOptions {
    simple_mode: false,
    mock_mode: false,
};
const SIMPLE: MapOptions = MapOptions {
    simple_mode: true,
    mock_mode: false,
};
const MOCK: MapOptions = MapOptions {
    simple_mode: false,
    mock_mode: true,
};

/// `METHOD path` of every operation with its outcome: `ok`, `ignored` or the error code.
fn outcomes(doc: &ParsedDocument) -> Vec<String> {
    doc.operations
        .iter()
        .map(|op| {
            let outcome = match &op.outcome {
                OperationOutcome::Api(_) => "ok".to_string(),
                OperationOutcome::Ignored => "ignored".to_string(),
                OperationOutcome::Failed(f) => f.code.as_str().to_string(),
            };
            format!("{} {} {outcome}", op.method, op.path)
        })
        .collect()
}

fn api<'d>(doc: &'d ParsedDocument, method: &str, path: &str) -> &'d ApiDefinition {
    let op = doc
        .operations
        .iter()
        .find(|op| op.method == method && op.path == path)
        .unwrap_or_else(|| panic!("no {method} {path}"));
    match &op.outcome {
        OperationOutcome::Api(api) => api,
        other => panic!("{method} {path}: {other:?}"),
    }
}

fn shared<'d>(doc: &'d ParsedDocument, kind: SharedKind, name: &str) -> &'d SharedDefinition {
    let item = doc
        .shared
        .iter()
        .find(|i| i.kind == kind && i.name == name)
        .unwrap_or_else(|| panic!("no shared {kind:?} {name}"));
    item.definition
        .as_ref()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn shop_operations() {
    let doc = parse("apig/shop-2.0.yaml", STRICT);
    assert_eq!(doc.title.as_deref(), Some("shop_backend"));
    assert_eq!(
        outcomes(&doc),
        [
            "GET /shop/products ok",
            "GET /shop/products/{productId} ok",
            "DELETE /shop/products/{productId} ok",
            "POST /shop/checkout ok",
            "ANY /shop/static ok",
            "GET /shop/health ok",
            "TRACE /shop/health ignored",
        ]
    );
}

#[test]
fn shop_list_products_in_detail() {
    let doc = parse("apig/shop-2.0.yaml", STRICT);
    let a = api(&doc, "GET", "/shop/products");
    assert_eq!(a.name, "list_products");
    assert_eq!(
        a.remark.as_deref(),
        Some("List products, optionally filtered")
    );
    assert_eq!(
        (a.protocol, a.auth_type, a.app_code_auth),
        (Protocol::Https, AuthType::App, false)
    );
    assert_eq!(
        (a.match_mode, a.request_type, a.cors),
        (MatchMode::Normal, RequestType::Public, true)
    );
    assert_eq!(a.tags, ["catalog"]);
    assert_eq!(a.ratelimit.as_deref(), Some("browse_limit"));
    assert_eq!(a.response.as_deref(), Some("shop_errors"));
    assert_eq!(a.result_normal_sample.as_deref(), Some("{\"products\":[]}"));
    assert_eq!(
        a.result_failure_sample.as_deref(),
        Some("{\"error\":\"unavailable\"}")
    );

    let names: Vec<&str> = a.req_params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["category", "limit", "X-Trace"]);
    assert_eq!(
        a.req_params[0].enumerations.as_deref(),
        Some("books,music,garden")
    );
    assert_eq!(a.req_params[0].default.as_deref(), Some("books"));
    assert_eq!(a.req_params[1].param_type, ParamType::Number);
    assert_eq!(
        (a.req_params[1].min_num, a.req_params[1].max_num),
        (Some(1.0), Some(100.0))
    );
    assert_eq!(a.req_params[1].sample.as_deref(), Some("20"));
    assert_eq!(a.req_params[2].location, ParamLocation::Header);
    assert_eq!(a.req_params[2].pass_through, Some(PassThrough::Always));

    let BackendEndpoint::Http(http) = &a.backend.endpoint else {
        panic!("{:?}", a.backend)
    };
    assert_eq!(http.address, "catalog.internal.example.com:8443");
    assert_eq!(
        (http.target.scheme, http.target.method),
        (Scheme::Https, Method::Get)
    );
    assert_eq!(http.target.path, "/v1/items");
    assert_eq!((http.target.timeout_ms, http.target.retry_count), (3000, 2));
    assert_eq!(a.backend.parameters.len(), 3);
    assert_eq!(
        a.backend.parameters[0],
        BackendParam {
            name: "cat".into(),
            value: "category".into(),
            location: ParamLocation::Query,
            origin: ParamOrigin::Request,
            description: Some("category, renamed for the backend".into()),
        }
    );
    assert_eq!(a.backend.parameters[2].origin, ParamOrigin::Constant);

    assert_eq!(a.backend_policies.len(), 1);
    let policy = &a.backend_policies[0];
    assert_eq!(policy.name, "garden_policy");
    assert_eq!(
        policy.conditions,
        [PolicyCondition {
            condition_type: ConditionType::Exact,
            value: "garden".into(),
            origin: ConditionOrigin::Request,
            parameter: Some("category".into()),
        }]
    );
    let BackendEndpoint::Http(alt) = &policy.backend.endpoint else {
        panic!()
    };
    assert_eq!(alt.address, "garden.internal.example.com");
}

#[test]
fn shop_other_backends() {
    let doc = parse("apig/shop-2.0.yaml", STRICT);

    let get = api(&doc, "GET", "/shop/products/{productId}");
    assert_eq!((get.auth_type, get.app_code_auth), (AuthType::App, true));
    assert_eq!(get.req_params[0].name, "productId");
    assert_eq!(
        (get.req_params[0].min_size, get.req_params[0].max_size),
        (Some(8), Some(32))
    );
    let BackendEndpoint::HttpVpc(vpc) = &get.backend.endpoint else {
        panic!("{:?}", get.backend)
    };
    assert_eq!(vpc.channel_name, "catalog_channel");
    assert_eq!(
        (
            vpc.target.scheme,
            vpc.target.path.as_str(),
            vpc.target.timeout_ms
        ),
        (Scheme::Http, "/v1/items/{id}", 2000)
    );

    let delete = api(&doc, "DELETE", "/shop/products/{productId}");
    assert_eq!(
        (delete.auth_type, delete.request_type),
        (AuthType::Iam, RequestType::Private)
    );
    assert_eq!(delete.access_control.as_deref(), Some("office_only"));
    assert_eq!(delete.plugins, ["audit_plugin"]);
    let BackendEndpoint::Function(f) = &delete.backend.endpoint else {
        panic!()
    };
    assert_eq!(
        f.function_urn,
        "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:delete_product"
    );
    assert_eq!(
        (f.invocation_type, f.timeout_ms, f.version.as_deref()),
        (InvocationType::Sync, 10000, Some("latest"))
    );
    assert!(delete.send_fg_body_base64, "defaults to true");

    let checkout = api(&doc, "POST", "/shop/checkout");
    assert_eq!(checkout.auth_type, AuthType::Authorizer);
    assert_eq!(checkout.authorizer.as_deref(), Some("customer_auth"));
    assert_eq!(checkout.content_type.as_deref(), Some("application/json"));
    assert!(!checkout.send_fg_body_base64);
    assert!(
        checkout.req_params.is_empty(),
        "a body parameter is not a request parameter"
    );
    let BackendEndpoint::Function(f) = &checkout.backend.endpoint else {
        panic!()
    };
    assert_eq!(
        (f.invocation_type, f.timeout_ms),
        (InvocationType::Async, 30000)
    );

    let any = api(&doc, "ANY", "/shop/static");
    assert_eq!(
        (any.method, any.match_mode, any.auth_type),
        (Method::Any, MatchMode::Swa, AuthType::None)
    );
    let BackendEndpoint::Http(http) = &any.backend.endpoint else {
        panic!()
    };
    assert_eq!(
        (
            http.address.as_str(),
            http.target.method,
            http.target.timeout_ms,
            http.target.retry_count
        ),
        ("#cdn_host#", Method::Any, 5000, -1)
    );

    let health = api(&doc, "GET", "/shop/health");
    assert_eq!(health.backend, Backend::mock("{\"status\":\"ok\"}"));
}

#[test]
fn shop_shared_objects() {
    let doc = parse("apig/shop-2.0.yaml", STRICT);
    let names: Vec<(SharedKind, &str)> = doc
        .shared
        .iter()
        .map(|i| (i.kind, i.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (SharedKind::Throttle, "browse_limit"),
            (SharedKind::Throttle, "checkout_limit"),
            (SharedKind::AccessControl, "office_only"),
            (SharedKind::GatewayResponse, "shop_errors"),
            (SharedKind::Authorizer, "customer_auth"),
        ]
    );
    let SharedDefinition::Throttle(browse) = shared(&doc, SharedKind::Throttle, "browse_limit")
    else {
        panic!()
    };
    assert_eq!(
        (
            browse.api_limit,
            browse.user_limit,
            browse.app_limit,
            browse.ip_limit
        ),
        (1000, Some(500), Some(100), Some(200))
    );
    assert_eq!(
        (browse.interval, browse.unit, browse.shared),
        (1, TimeUnit::Second, false)
    );
    assert_eq!(browse.special[0].special_type, SpecialType::App);
    assert_eq!(browse.special[0].limit, 300);
    let SharedDefinition::Throttle(checkout) = shared(&doc, SharedKind::Throttle, "checkout_limit")
    else {
        panic!()
    };
    assert_eq!((checkout.api_limit, checkout.unit), (50, TimeUnit::Minute));

    let SharedDefinition::AccessControl(acl) =
        shared(&doc, SharedKind::AccessControl, "office_only")
    else {
        panic!()
    };
    assert_eq!(
        (acl.acl_type, acl.entity_type),
        (AclType::Permit, AclEntityType::Ip)
    );
    assert_eq!(acl.value, "10.0.0.0/8,192.168.1.10,172.16.0.1-172.16.0.20");

    let SharedDefinition::GatewayResponse(responses) =
        shared(&doc, SharedKind::GatewayResponse, "shop_errors")
    else {
        panic!()
    };
    let throttled = &responses.responses["THROTTLED"];
    assert_eq!(throttled.status, 429);
    assert_eq!(
        throttled.headers,
        [("Retry-After".to_string(), "1".to_string())]
    );
    assert!(throttled.body["application/json"].contains("slow down"));
    assert_eq!(responses.responses["NOT_FOUND"].status, 404);

    let SharedDefinition::Authorizer(auth) = shared(&doc, SharedKind::Authorizer, "customer_auth")
    else {
        panic!()
    };
    assert_eq!(
        (auth.authorizer_kind, auth.network_type),
        (AuthorizerType::Frontend, NetworkType::V1)
    );
    assert_eq!(
        (auth.ttl, auth.timeout_ms, auth.retry_attempts),
        (Some(60), Some(3000), Some(2))
    );
    assert_eq!(auth.identities[0].name, "X-Customer");
    assert!(auth.authorizer_uri.ends_with(":check_customer"));
}

#[test]
fn shop_in_simple_and_mock_mode() {
    let doc = parse("apig/shop-2.0.yaml", SIMPLE);
    assert!(doc.shared.is_empty());
    let a = api(&doc, "GET", "/shop/products");
    assert!(a.ratelimit.is_none() && a.response.is_none() && a.backend_policies.is_empty());
    assert_eq!(
        a.backend.endpoint.type_name(),
        "HTTP",
        "the backend is basic"
    );
    let d = api(&doc, "DELETE", "/shop/products/{productId}");
    assert!(d.access_control.is_none() && d.plugins.is_empty());

    let doc = parse("apig/shop-2.0.yaml", MOCK);
    let a = api(&doc, "GET", "/shop/products");
    assert_eq!(a.backend, Backend::mock("{\"products\":[]}"));
    assert!(a.backend_policies.is_empty());
    assert_eq!(
        api(&doc, "DELETE", "/shop/products/{productId}").backend,
        Backend::mock("")
    );
    assert_eq!(doc.shared.len(), 5, "mock mode keeps shared objects");
}

#[test]
fn library_operations() {
    let doc = parse("apig/library-3.0.yaml", STRICT);
    assert_eq!(
        outcomes(&doc),
        [
            "GET /api/v1/books ok",
            "POST /api/v1/books ok",
            "GET /api/v1/books/{bookId} ok",
            "PUT /api/v1/books/{bookId} ok",
            "ANY /api/v1/books/{bookId} ok",
            "GET /api/v1/loans/{loanId+} ok",
        ]
    );
    let list = api(&doc, "GET", "/api/v1/books");
    assert_eq!(
        (list.auth_type, list.protocol),
        (AuthType::App, Protocol::Https)
    );
    assert_eq!(list.remark.as_deref(), Some("List books"));
    assert_eq!(list.ratelimit.as_deref(), Some("reader_limit"));
    assert_eq!(
        list.result_normal_sample.as_deref(),
        Some("{\"books\":[],\"next\":null}")
    );
    assert_eq!(list.req_params[0].name, "page_size");
    assert_eq!(list.req_params[0].default.as_deref(), Some("50"));
    let BackendEndpoint::Http(http) = &list.backend.endpoint else {
        panic!()
    };
    assert_eq!(
        (http.address.as_str(), http.target.scheme),
        ("books.internal:8080", Scheme::Http)
    );
    assert_eq!(list.backend.parameters[0].location, ParamLocation::Query);

    let add = api(&doc, "POST", "/api/v1/books");
    assert_eq!(add.auth_type, AuthType::None);
    assert_eq!(add.backend, Backend::mock("created"));

    let get = api(&doc, "GET", "/api/v1/books/{bookId}");
    assert_eq!(get.backend, Backend::mock(""));
    assert_eq!(get.auth_type, AuthType::App);
    assert_eq!(get.req_params[0].name, "bookId");
    assert_eq!(
        api(&doc, "PUT", "/api/v1/books/{bookId}").backend,
        Backend::mock("")
    );
    assert_eq!(
        api(&doc, "ANY", "/api/v1/books/{bookId}").match_mode,
        MatchMode::Swa
    );
    let loans = api(&doc, "GET", "/api/v1/loans/{loanId+}");
    assert_eq!(loans.req_params[0].location, ParamLocation::Path);

    let SharedDefinition::Throttle(reader) = shared(&doc, SharedKind::Throttle, "reader_limit")
    else {
        panic!()
    };
    assert_eq!((reader.api_limit, reader.interval), (200, 10));
}

#[test]
fn library_in_mock_mode_uses_examples() {
    let doc = parse("apig/library-3.0.yaml", MOCK);
    let get = api(&doc, "GET", "/api/v1/books/{bookId}");
    assert_eq!(
        get.backend,
        Backend::mock("{\"id\":\"0a1b2c3d\",\"title\":\"Dune\"}")
    );
    let list = api(&doc, "GET", "/api/v1/books");
    assert_eq!(list.backend, Backend::mock("{\"books\":[],\"next\":null}"));
}

#[test]
fn public_examples_in_strict_mode() {
    let cases: [(&str, &[&str]); 9] = [
        (
            "v2.0-petstore.yaml",
            &[
                "GET /v1/pets ok",
                "POST /v1/pets ok",
                "GET /v1/pets/{petId} ok",
            ],
        ),
        ("v2.0-petstore-minimal.yaml", &["GET /api/pets ok"]),
        (
            "v2.0-petstore-expanded.json",
            &[
                "GET /api/pets ok",
                "POST /api/pets ok",
                "GET /api/pets/{id} APIG.2011",
                "DELETE /api/pets/{id} ok",
            ],
        ),
        (
            "v2.0-petstore-with-external-docs.json",
            &[
                "GET /api/pets ok",
                "POST /api/pets ok",
                "GET /api/pets/{id} ok",
                "DELETE /api/pets/{id} ok",
            ],
        ),
        (
            "v3.0-petstore.json",
            &[
                "GET /v1/pets ok",
                "POST /v1/pets ok",
                "GET /v1/pets/{petId} ok",
            ],
        ),
        (
            "v3.0-petstore-expanded.json",
            &[
                "GET /v2/pets ok",
                "POST /v2/pets ok",
                "GET /v2/pets/{id} APIG.2011",
                "DELETE /v2/pets/{id} ok",
            ],
        ),
        ("v3.0-callback-example.json", &["POST /streams ok"]),
        (
            "v3.0-link-example.json",
            &[
                "GET /2.0/users/{username} ok",
                "GET /2.0/repositories/{username} ok",
                "GET /2.0/repositories/{username}/{slug} ok",
                "GET /2.0/repositories/{username}/{slug}/pullrequests ok",
                "GET /2.0/repositories/{username}/{slug}/pullrequests/{pid} ok",
                "POST /2.0/repositories/{username}/{slug}/pullrequests/{pid}/merge ok",
            ],
        ),
        ("v3.1-webhook-example.json", &[]),
    ];
    for (file, expected) in cases {
        let doc = parse(&format!("public/{file}"), STRICT);
        assert_eq!(outcomes(&doc), expected, "{file}");
        for op in &doc.operations {
            if let OperationOutcome::Api(api) = &op.outcome {
                assert_eq!(
                    api.backend,
                    Backend::mock(""),
                    "{file}: design-first documents get an empty MOCK"
                );
            }
        }
    }
}

#[test]
fn invalid_operation_id_fails_in_strict_mode_and_is_generated_in_simple_mode() {
    for (file, path) in [
        ("public/v2.0-petstore-expanded.json", "/api/pets/{id}"),
        ("public/v3.0-petstore-expanded.json", "/v2/pets/{id}"),
    ] {
        let strict = parse(file, STRICT);
        let op = strict
            .operations
            .iter()
            .find(|o| o.method == "GET" && o.path == path)
            .unwrap();
        let OperationOutcome::Failed(failure) = &op.outcome else {
            panic!("{op:?}")
        };
        assert_eq!(failure.code, Code::Apig2011);
        assert!(
            failure.message.contains("operationId"),
            "{}",
            failure.message
        );
        assert!(
            failure.message.contains("find pet by id"),
            "{}",
            failure.message
        );
        assert!(
            failure.message.contains("/operationId)"),
            "{}",
            failure.message
        );

        let simple = parse(file, SIMPLE);
        assert!(
            outcomes(&simple).iter().all(|o| o.ends_with(" ok")),
            "{file}"
        );
        let a = api(&simple, "GET", path);
        assert_eq!(
            a.name,
            format!("get{}", path.replace('{', "(").replace('}', ")"))
        );
    }
}

#[test]
fn generated_names_for_operations_without_operation_id() {
    let doc = parse("public/v2.0-petstore-minimal.yaml", STRICT);
    assert_eq!(api(&doc, "GET", "/api/pets").name, "get/api/pets");
    let doc = parse("public/v3.0-callback-example.json", STRICT);
    assert_eq!(api(&doc, "POST", "/streams").name, "post/streams");
}

#[test]
fn titles_are_passed_through() {
    let doc = parse("public/v2.0-petstore.yaml", STRICT);
    assert_eq!(doc.title.as_deref(), Some("Swagger Petstore"));
    let doc = parse("apig/library-3.0.yaml", STRICT);
    assert_eq!(
        doc.description.as_deref(),
        Some("Books and loans, OpenAPI 3.0 form")
    );
}
