//! The import endpoint end to end: documents imported through the real HTTP router into
//! the embedded store, with the outcomes the fixtures' READMEs document.

use crate::support::app::{self, pairs, scope, App};
use crate::support::fixture;
use apig_import::config::Limits;
use apig_import::model::{AuthType, BackendEndpoint, Id, MatchMode, Method, ReferenceKind};
use apig_import::store::Catalog;

fn shop() -> Vec<u8> {
    fixture("apig/shop-2.0.yaml")
}

fn library() -> Vec<u8> {
    fixture("apig/library-3.0.yaml")
}

async fn stored_api(
    app: &App,
    group_id: &str,
    method: Method,
    path: &str,
) -> apig_import::model::Api {
    let group = Id::parse(group_id).expect("group id");
    let apis = app.store.list_apis(&scope(), &group).await.expect("list");
    apis.into_iter()
        .find(|a| a.definition.method == method && a.definition.path == path)
        .unwrap_or_else(|| panic!("no stored {method:?} {path}"))
}

#[tokio::test]
async fn shop_imports_with_its_documented_outcome() {
    let app = App::new().await;
    app.register(ReferenceKind::VpcChannel, "catalog_channel")
        .await;
    app.register(ReferenceKind::Plugin, "audit_plugin").await;
    let reply = app.import_new(&[], &shop()).await;
    assert_eq!(
        reply.items("success"),
        pairs(&[
            ("GET", "/shop/products"),
            ("GET", "/shop/products/{productId}"),
            ("DELETE", "/shop/products/{productId}"),
            ("POST", "/shop/checkout"),
            ("ANY", "/shop/static"),
            ("GET", "/shop/health"),
        ])
    );
    assert!(reply.body["success"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|i| i["action"] == "create"));
    assert_eq!(reply.items("ignore"), pairs(&[("TRACE", "/shop/health")]));
    assert_eq!(reply.items("failure"), pairs(&[]));
    assert_eq!(reply.body["result"], "Success");
    assert_eq!(reply.body["swagger"]["result"], "Success");
    assert_eq!(reply.body["swagger"]["id"], reply.body["swagger_id"]);
    assert!(reply.request_id.is_some());

    // The import is recorded under swagger.id.
    let record_id = Id::parse(reply.body["swagger_id"].as_str().unwrap_or("")).expect("swagger id");
    let record = app
        .store
        .get_import_record(&scope(), &record_id)
        .await
        .expect("read")
        .expect("record");
    assert_eq!(record.success, 6);
    assert_eq!(record.ignore, 1);

    // Shared objects saved.
    use apig_import::model::{SharedKey, SharedKind};
    let group = Id::parse(&reply.group_id()).expect("group id");
    for (kind, name, per_group) in [
        (SharedKind::Throttle, "browse_limit", false),
        (SharedKind::Throttle, "checkout_limit", false),
        (SharedKind::AccessControl, "office_only", false),
        (SharedKind::GatewayResponse, "shop_errors", true),
        (SharedKind::Authorizer, "customer_auth", false),
    ] {
        let key = SharedKey {
            kind,
            group_id: per_group.then(|| group.clone()),
            name: name.to_string(),
        };
        assert!(
            app.store
                .get_shared(&scope(), &key)
                .await
                .expect("read")
                .is_some(),
            "{name} not saved"
        );
    }

    // Field-level read-back of a few stored APIs.
    let list = stored_api(&app, &reply.group_id(), Method::Get, "/shop/products")
        .await
        .definition;
    assert_eq!(list.auth_type, AuthType::App);
    assert!(list.cors);
    assert_eq!(list.ratelimit.as_deref(), Some("browse_limit"));
    assert_eq!(list.backend_policies.len(), 1);
    assert_eq!(
        list.result_normal_sample.as_deref(),
        Some(r#"{"products":[]}"#)
    );
    match &list.backend.endpoint {
        BackendEndpoint::Http(http) => {
            assert_eq!(http.address, "catalog.internal.example.com:8443");
            assert_eq!(http.target.timeout_ms, 3000);
            assert_eq!(http.target.retry_count, 2);
        }
        other => panic!("expected an HTTP backend, got {other:?}"),
    }
    let checkout = stored_api(&app, &reply.group_id(), Method::Post, "/shop/checkout")
        .await
        .definition;
    assert_eq!(checkout.auth_type, AuthType::Authorizer);
    assert_eq!(checkout.authorizer.as_deref(), Some("customer_auth"));
    assert!(!checkout.send_fg_body_base64);
    let static_files = stored_api(&app, &reply.group_id(), Method::Any, "/shop/static")
        .await
        .definition;
    assert_eq!(static_files.match_mode, MatchMode::Swa);
}

#[tokio::test]
async fn shop_without_its_channel_and_plugin_fails_only_those_apis() {
    let app = App::new().await;
    let reply = app.import_new(&[], &shop()).await;
    let failures: Vec<(String, String, String)> = reply.body["failure"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["method"].as_str().unwrap_or("").to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
                f["error_code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        vec![
            (
                "GET".into(),
                "/shop/products/{productId}".into(),
                "APIG.3023".into()
            ),
            (
                "DELETE".into(),
                "/shop/products/{productId}".into(),
                "APIG.3068".into()
            ),
        ]
    );
    assert_eq!(reply.items("success").len(), 4);
    assert_eq!(reply.body["result"], "Partial");
}

#[tokio::test]
async fn library_imports_with_its_documented_outcome() {
    let app = App::new().await;
    let reply = app.import_new(&[], &library()).await;
    assert_eq!(
        reply.items("success"),
        pairs(&[
            ("GET", "/api/v1/books"),
            ("POST", "/api/v1/books"),
            ("GET", "/api/v1/books/{bookId}"),
            ("PUT", "/api/v1/books/{bookId}"),
            ("ANY", "/api/v1/books/{bookId}"),
            ("GET", "/api/v1/loans/{loanId+}"),
        ])
    );
    assert_eq!(reply.items("failure"), pairs(&[]));
    let group = reply.group_id();
    let list = stored_api(&app, &group, Method::Get, "/api/v1/books")
        .await
        .definition;
    assert_eq!(list.auth_type, AuthType::App);
    assert_eq!(list.ratelimit.as_deref(), Some("reader_limit"));
    assert!(matches!(list.backend.endpoint, BackendEndpoint::Http(_)));
    let add = stored_api(&app, &group, Method::Post, "/api/v1/books")
        .await
        .definition;
    assert_eq!(add.auth_type, AuthType::None);
    assert!(matches!(add.backend.endpoint, BackendEndpoint::Mock(_)));
    let get = stored_api(&app, &group, Method::Get, "/api/v1/books/{bookId}")
        .await
        .definition;
    assert!(matches!(get.backend.endpoint, BackendEndpoint::Mock(_)));
    let any = stored_api(&app, &group, Method::Any, "/api/v1/books/{bookId}")
        .await
        .definition;
    assert_eq!(any.match_mode, MatchMode::Swa);
}

#[tokio::test]
async fn reimport_merge_fails_every_api_and_override_updates_with_the_same_ids() {
    let app = App::new().await;
    app.register(ReferenceKind::VpcChannel, "catalog_channel")
        .await;
    app.register(ReferenceKind::Plugin, "audit_plugin").await;
    for document in [shop(), library()] {
        let first = app.import_new(&[], &document).await;
        let group = first.group_id();
        let created = first.body["success"].clone();

        let again = app
            .import(
                &[("is_create_group", "false"), ("group_id", &group)],
                &document,
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert!(again.items("success").is_empty());
        let failures = again.body["failure"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(failures.len(), created.as_array().map_or(0, Vec::len));
        for failure in &failures {
            assert_eq!(failure["error_code"], "APIG.3301");
            assert!(
                failure["error_msg"]
                    .as_str()
                    .unwrap_or("")
                    .contains("API name: "),
                "{failure}"
            );
        }
        assert_eq!(again.body["result"], "Failure");

        let fields = [
            ("is_create_group", "false"),
            ("group_id", group.as_str()),
            ("api_mode", "OVERRIDE"),
        ];
        let overridden = app.import(&fields, &document).await;
        assert_eq!(overridden.status, 200, "{}", overridden.body);
        let updated = overridden.body["success"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(updated.len(), created.as_array().map_or(0, Vec::len));
        for (before, after) in created.as_array().into_iter().flatten().zip(&updated) {
            assert_eq!(after["action"], "update");
            assert_eq!(after["id"], before["id"]);
        }
        let stored = app
            .store
            .list_apis(&scope(), &Id::parse(&group).expect("id"))
            .await
            .expect("list");
        assert!(
            stored.iter().all(|api| api.version == 1),
            "an override by identical definitions writes nothing"
        );
    }
}

#[tokio::test]
async fn in_file_duplicates_first_wins() {
    let app = App::new().await;
    let doc = br#"{"swagger":"2.0","info":{"title":"dups","version":"1"},"paths":{
        "/users/{id}":{"get":{"operationId":"first","parameters":[{"name":"id","in":"path","required":true,"type":"string"}]}},
        "/users/{uid}":{"get":{"operationId":"second","parameters":[{"name":"uid","in":"path","required":true,"type":"string"}]},
                        "put":{"operationId":"first","parameters":[{"name":"uid","in":"path","required":true,"type":"string"}]}}}}"#;
    let reply = app.import_new(&[], doc).await;
    assert_eq!(reply.items("success"), pairs(&[("GET", "/users/{id}")]));
    let failures = reply.body["failure"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0]["error_code"], "APIG.3301");
    assert!(failures[0]["error_msg"]
        .as_str()
        .unwrap_or("")
        .ends_with("API name: first"));
    assert_eq!(failures[1]["error_code"], "APIG.3202");
    assert_eq!(
        failures[1]["error_msg"],
        "The API name already exists, api_name:first"
    );
}

#[tokio::test]
async fn a_name_held_by_another_route_fails_in_both_modes() {
    let app = App::new().await;
    let first = br#"{"swagger":"2.0","info":{"title":"names","version":"1"},"paths":{"/a":{"get":{"operationId":"shared_name"}}}}"#;
    let group = app.import_new(&[], first).await.group_id();
    let second = br#"{"swagger":"2.0","info":{"title":"names","version":"1"},"paths":{"/b":{"get":{"operationId":"shared_name"}}}}"#;
    for mode in ["merge", "override"] {
        let reply = app
            .import(
                &[
                    ("is_create_group", "false"),
                    ("group_id", &group),
                    ("api_mode", mode),
                ],
                second,
            )
            .await;
        assert_eq!(
            reply.body["failure"][0]["error_code"], "APIG.3202",
            "{mode}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn simple_mode_repairs_and_skips_extensions() {
    let app = App::new().await;
    let strict = app
        .import(&[], &fixture("public/v2.0-petstore-expanded.json"))
        .await;
    assert_eq!(
        (strict.status, strict.code()),
        (400, "APIG.2044"),
        "{}",
        strict.body
    );
    assert!(strict.body["error_msg"]
        .as_str()
        .unwrap_or("")
        .contains("Swagger Petstore"));

    let reply = app
        .import_new(
            &[("simple_mode", "true")],
            &fixture("public/v2.0-petstore-expanded.json"),
        )
        .await;
    assert_eq!(reply.items("failure"), pairs(&[]));
    assert_eq!(reply.items("success").len(), 4);

    // simple mode skips the shop's policies, plugins and authorizer definitions. What stays
    // referenced: the VPC channel of the backend (basic definition) and the authorizer named
    // by `security` (auth type is basic; an API is never silently left open).
    let shop_reply = app.import_new(&[("simple_mode", "TRUE")], &shop()).await;
    let group = shop_reply.group_id();
    let codes: Vec<(String, String)> = shop_reply.body["failure"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_string(),
                f["error_code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (
                "/shop/products/{productId}".to_string(),
                "APIG.3023".to_string()
            ),
            ("/shop/checkout".to_string(), "APIG.2011".to_string()),
        ],
        "{}",
        shop_reply.body
    );
    assert!(shop_reply.body["failure"][1]["error_msg"]
        .as_str()
        .unwrap_or("")
        .contains("customer_auth"));
    let list = stored_api(&app, &group, Method::Get, "/shop/products")
        .await
        .definition;
    assert_eq!(list.ratelimit, None);
    assert!(list.backend_policies.is_empty());
    assert_eq!(list.response, None);
    let delete = stored_api(&app, &group, Method::Delete, "/shop/products/{productId}")
        .await
        .definition;
    assert!(
        delete.plugins.is_empty(),
        "plugins are skipped in simple mode"
    );
    assert_eq!(delete.access_control, None);
}

#[tokio::test]
async fn mock_mode_gives_every_api_a_mock_backend_with_its_sample() {
    let app = App::new().await;
    let reply = app.import_new(&[("mock_mode", "true")], &shop()).await;
    let group = reply.group_id();
    let list = stored_api(&app, &group, Method::Get, "/shop/products")
        .await
        .definition;
    match &list.backend.endpoint {
        BackendEndpoint::Mock(mock) => assert_eq!(mock.result_content, r#"{"products":[]}"#),
        other => panic!("expected MOCK, got {other:?}"),
    }
    assert!(list.backend_policies.is_empty());
    let checkout = stored_api(&app, &group, Method::Post, "/shop/checkout")
        .await
        .definition;
    assert!(matches!(
        checkout.backend.endpoint,
        BackendEndpoint::Mock(_)
    ));
    // With MOCK backends the channel is no longer referenced.
    assert!(
        reply.items("failure").iter().all(|(m, _)| m != "GET"),
        "{}",
        reply.body
    );

    let library_reply = app.import_new(&[("mock_mode", "true")], &library()).await;
    let get = stored_api(
        &app,
        &library_reply.group_id(),
        Method::Get,
        "/api/v1/books/{bookId}",
    )
    .await
    .definition;
    match &get.backend.endpoint {
        BackendEndpoint::Mock(mock) => {
            let example: serde_json::Value =
                serde_json::from_str(&mock.result_content).expect("json example");
            assert_eq!(example["title"], "Dune");
        }
        other => panic!("expected MOCK, got {other:?}"),
    }
}

/// `(METHOD, path)` pairs expected in one array of a response.
type Routes<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn public_examples_into_an_existing_group() {
    let cases: &[(&str, Routes, Routes)] = &[
        (
            "v2.0-petstore.yaml",
            &[
                ("GET", "/v1/pets"),
                ("POST", "/v1/pets"),
                ("GET", "/v1/pets/{petId}"),
            ],
            &[],
        ),
        ("v2.0-petstore-minimal.yaml", &[("GET", "/api/pets")], &[]),
        (
            "v2.0-petstore-expanded.json",
            &[
                ("GET", "/api/pets"),
                ("POST", "/api/pets"),
                ("DELETE", "/api/pets/{id}"),
            ],
            &[("GET", "/api/pets/{id}")],
        ),
        (
            "v2.0-petstore-with-external-docs.json",
            &[
                ("GET", "/api/pets"),
                ("POST", "/api/pets"),
                ("GET", "/api/pets/{id}"),
                ("DELETE", "/api/pets/{id}"),
            ],
            &[],
        ),
        (
            "v3.0-petstore.json",
            &[
                ("GET", "/v1/pets"),
                ("POST", "/v1/pets"),
                ("GET", "/v1/pets/{petId}"),
            ],
            &[],
        ),
        (
            "v3.0-petstore-expanded.json",
            &[
                ("GET", "/v2/pets"),
                ("POST", "/v2/pets"),
                ("DELETE", "/v2/pets/{id}"),
            ],
            &[("GET", "/v2/pets/{id}")],
        ),
        ("v3.0-callback-example.json", &[("POST", "/streams")], &[]),
        ("v3.1-webhook-example.json", &[], &[]),
    ];
    for (file, success, failure) in cases {
        // One group per file: two petstores with one base path would conflict.
        let app = App::new().await;
        let group = app.empty_group("examples").await;
        let reply = app
            .import(
                &[("is_create_group", "false"), ("group_id", &group)],
                &fixture(&format!("public/{file}")),
            )
            .await;
        assert_eq!(reply.status, 200, "{file}: {}", reply.body);
        assert_eq!(reply.items("success"), pairs(success), "{file}");
        assert_eq!(reply.items("failure"), pairs(failure), "{file}");
        for item in reply.body["failure"].as_array().into_iter().flatten() {
            assert_eq!(item["error_code"], "APIG.2011", "{file}");
        }
    }
    let app = App::new().await;
    let group = app.empty_group("links").await;
    let reply = app
        .import(
            &[("is_create_group", "false"), ("group_id", &group)],
            &fixture("public/v3.0-link-example.json"),
        )
        .await;
    assert_eq!(reply.items("success").len(), 6, "{}", reply.body);
    assert!(reply
        .items("success")
        .iter()
        .all(|(_, path)| path.starts_with("/2.0/")));
}

#[tokio::test]
async fn simple_mode_names_the_groups_of_public_examples() {
    let app = App::new().await;
    let reply = app
        .import_new(
            &[("simple_mode", "true")],
            &fixture("public/v3.0-petstore-expanded.json"),
        )
        .await;
    assert_eq!(reply.items("failure"), pairs(&[]));
    let groups = app.store.list_groups(&scope()).await.expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name.as_str(), "Swagger_Petstore");
}

#[tokio::test]
async fn document_level_errors_write_nothing() {
    let limits = Limits {
        max_document_bytes: 4096,
        max_operations: 2,
        max_groups_per_instance: 1,
        ..Limits::default()
    };
    let app = App::with_limits(limits).await;
    let ops = |n: usize| {
        let paths: Vec<String> = (0..n)
            .map(|i| format!("\"/p{i}\":{{\"get\":{{}}}}"))
            .collect();
        format!("{{\"swagger\":\"2.0\",\"info\":{{\"title\":\"many\",\"version\":\"1\"}},\"paths\":{{{}}}}}", paths.join(","))
    };
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{\"swagger\": \"2.0\", ".to_vec(), 400, "APIG.3600"),
        (b"swagger: '2.0'\ninfo: [unclosed\n".to_vec(), 400, "APIG.3600"),
        (b"{\"openapi\":\"4.0.0\",\"info\":{\"title\":\"abc\"},\"paths\":{}}".to_vec(), 400, "APIG.3602"),
        (b"{\"swagger\":\"2.0\",\"info\":{\"title\":\"abc\"}}".to_vec(), 400, "APIG.3602"),
        (b" \n\t ".to_vec(), 400, "APIG.3609"),
        (vec![b' '; 5000].into_iter().chain(b"{}".iter().copied()).collect(), 400, "APIG.3603"),
        (ops(3).into_bytes(), 403, "APIG.3127"),
        (b"{\"swagger\":\"2.0\",\"info\":{\"version\":\"1\"},\"paths\":{}}".to_vec(), 400, "APIG.2044"),
        (b"{\"swagger\":\"2.0\",\"info\":{\"title\":\"no spaces allowed\"},\"paths\":{}}".to_vec(), 400, "APIG.2044"),
        // A description over 1,000 characters is cut with a warning, not refused (spec §5).
        (
            b"{\"openapi\":\"3.0.0\",\"info\":{\"title\":\"srv\"},\"servers\":[{\"url\":\"http://[::1\"}],\"paths\":{\"/a\":{\"get\":{}}}}"
                .to_vec(),
            400,
            "APIG.2045",
        ),
    ];
    for (document, status, code) in cases {
        let reply = app.import(&[], &document).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{}",
            String::from_utf8_lossy(&document[..document.len().min(80)])
        );
        assert!(reply.body["request_id"].is_string());
        assert!(
            app.store
                .list_groups(&scope())
                .await
                .expect("groups")
                .is_empty(),
            "{code} wrote a group"
        );
    }

    // Group name taken, then the instance's group quota (1) reached.
    let ok = ops(1);
    app.import_new(&[], ok.as_bytes()).await;
    let again = app.import(&[], ok.as_bytes()).await;
    assert_eq!((again.status, again.code()), (400, "APIG.3201"));
    let other = ok.replace("\"many\"", "\"other\"");
    let full = app.import(&[], other.as_bytes()).await;
    assert_eq!((full.status, full.code()), (403, "APIG.3101"));
}

#[tokio::test]
async fn group_quota_per_api() {
    let limits = Limits {
        max_apis_per_group: 2,
        ..Limits::default()
    };
    let app = App::with_limits(limits).await;
    let reply = app.import_new(&[], &library()).await;
    assert_eq!(reply.items("success").len(), 2);
    let failures = reply.body["failure"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(failures.len(), 4);
    assert!(failures.iter().all(|f| f["error_code"] == "APIG.3125"));
}

#[tokio::test]
async fn unknown_instance_and_group() {
    let app = App::new().await;
    let (content_type, body) = app::multipart(&[], Some(("a.json", b"{}")));
    let request = http::Request::post(app::import_uri(app::PROJECT, "unknown_instance"))
        .header("content-type", content_type)
        .header("x-auth-token", &app.token)
        .body(axum::body::Body::from(body))
        .expect("request");
    let reply = app.send(request).await;
    assert_eq!((reply.status, reply.code()), (404, "APIG.3030"));
    assert_eq!(
        reply.body["error_msg"],
        "The instance does not exist;id:unknown_instance"
    );

    for group in ["0123456789abcdef0123456789abcdef", "not-an-id"] {
        let reply = app
            .import(
                &[("is_create_group", "false"), ("group_id", group)],
                &library(),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (404, "APIG.3001"),
            "{}",
            reply.body
        );
    }
}

#[tokio::test]
async fn done_means_flow() {
    let app = App::new().await;
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/petstore.yaml"
    ))
    .expect("sample");
    let first = app.import_new(&[], &sample).await;
    let created = first.body["success"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|i| i["action"] == "create"));
    let again = app.import(&[], &sample).await;
    assert_eq!((again.status, again.code()), (400, "APIG.3201"));
    let into = app
        .import(
            &[
                ("is_create_group", "false"),
                ("group_id", &first.group_id()),
            ],
            &sample,
        )
        .await;
    let failures = into.body["failure"].as_array().cloned().unwrap_or_default();
    assert_eq!(failures.len(), 3);
    assert!(failures.iter().all(|f| f["error_code"] == "APIG.3301"));
}
