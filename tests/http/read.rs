//! The read operations end to end (`import-api.md` §7): the fixtures imported through the
//! real router, then read back with ListApiGroupsV2, ListApisV2 and ShowDetailsOfApiV2, field
//! by field, every answer checked against the official SDK's models.

use crate::support::app::{import_uri, multipart, scope, App, Reply, INSTANCE, PROJECT, SECRET};
use crate::support::fixture;
use apig_import::auth::{
    token, GET_API_ACTION, IMPORT_ACTION, LIST_APIS_ACTION, LIST_GROUPS_ACTION,
};
use apig_import::model::Id;
use apig_import::model::{PathId, ReferenceKind, Scope, SharedKey, SharedKind};
use apig_import::store::Catalog;
use apig_import::views::sdk_schema::conforms;
use axum::body::Body;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const OTHER_INSTANCE: &str = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

fn base(instance: &str) -> String {
    format!("/v2/{PROJECT}/apigw/instances/{instance}")
}

fn token_for(project: &str, actions: &[&str]) -> String {
    let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
    token::issue(
        SECRET,
        "reader",
        project,
        &actions,
        Duration::from_secs(600),
    )
    .expect("token")
}

async fn get_with(app: &App, uri: &str, token: Option<&str>) -> Reply {
    let mut request = http::Request::get(uri);
    if let Some(token) = token {
        request = request.header("x-auth-token", token);
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

async fn get(app: &App, uri: &str) -> Reply {
    get_with(app, uri, Some(&app.token)).await
}

/// GET that must answer 200 with a body conforming to the SDK model.
async fn read(app: &App, uri: &str, model: &str) -> Value {
    let reply = get(app, uri).await;
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    conforms(model, &reply.body).unwrap_or_else(|e| panic!("{uri}: {e}\n{}", reply.body));
    reply.body
}

fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.code(), code, "{}", reply.body);
    assert!(reply.body["request_id"].is_string(), "{}", reply.body);
}

struct Imported {
    app: App,
    shop: String,
    library: String,
}

/// Both fixtures imported into new groups of the test instance.
async fn imported() -> Imported {
    let app = App::new().await;
    app.register(ReferenceKind::VpcChannel, "catalog_channel")
        .await;
    app.register(ReferenceKind::Plugin, "audit_plugin").await;
    let shop = app.import_new(&[], &fixture("apig/shop-2.0.yaml")).await;
    assert!(shop.body["failure"].as_array().is_some_and(Vec::is_empty));
    let library = app.import_new(&[], &fixture("apig/library-3.0.yaml")).await;
    assert!(library.body["failure"]
        .as_array()
        .is_some_and(Vec::is_empty));
    Imported {
        shop: shop.group_id(),
        library: library.group_id(),
        app,
    }
}

fn names(list: &Value, array: &str) -> Vec<String> {
    list[array]
        .as_array()
        .unwrap_or_else(|| panic!("no {array} in {list}"))
        .iter()
        .map(|item| item["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// ListApiGroupsV2

#[tokio::test]
async fn list_groups_with_filters_and_pages() {
    let t = imported().await;
    let groups = format!("{}/api-groups", base(INSTANCE));
    let all = read(&t.app, &groups, "ListApiGroupsV2Response").await;
    assert_eq!(
        (all["total"].clone(), all["size"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(
        sorted(names(&all, "groups")),
        strings(&["library_service", "shop_backend"])
    );
    let shop = all["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["id"] == t.shop.as_str())
        .expect("shop group listed");
    assert_eq!(shop["name"], "shop_backend");
    assert_eq!(shop["remark"], "Storefront APIs with every kind of backend");
    assert_eq!(shop["status"], 1);
    assert!(shop["register_time"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    for (query, expected) in [
        ("name=SHOP", vec!["shop_backend"]),
        ("name=_", vec!["library_service", "shop_backend"]),
        ("name=shop&precise_search=name", vec![]),
        (
            "name=shop_backend&precise_search=name",
            vec!["shop_backend"],
        ),
        ("name=nothing", vec![]),
    ] {
        let list = read(
            &t.app,
            &format!("{groups}?{query}"),
            "ListApiGroupsV2Response",
        )
        .await;
        assert_eq!(
            sorted(names(&list, "groups")),
            strings(&expected),
            "{query}"
        );
        assert_eq!(list["total"], json!(expected.len()), "{query}");
    }
    let by_id = read(
        &t.app,
        &format!("{groups}?id={}", t.library),
        "ListApiGroupsV2Response",
    )
    .await;
    assert_eq!(names(&by_id, "groups"), strings(&["library_service"]));

    // Pages: same total, disjoint items, in a stable order.
    let first = read(
        &t.app,
        &format!("{groups}?limit=1"),
        "ListApiGroupsV2Response",
    )
    .await;
    let second = read(
        &t.app,
        &format!("{groups}?offset=1&limit=1"),
        "ListApiGroupsV2Response",
    )
    .await;
    let past = read(
        &t.app,
        &format!("{groups}?offset=2"),
        "ListApiGroupsV2Response",
    )
    .await;
    assert_eq!(
        (first["total"].clone(), first["size"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        (second["total"].clone(), second["size"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        (past["total"].clone(), past["size"].clone()),
        (json!(2), json!(0))
    );
    let mut paged = names(&first, "groups");
    paged.extend(names(&second, "groups"));
    assert_eq!(paged, names(&all, "groups"));
}

// ---------------------------------------------------------------------------------------
// ListApisV2

const SHOP_APIS: [&str; 6] = [
    "list_products",
    "get_product",
    "delete_product",
    "checkout",
    "static_files",
    "health",
];
const LIBRARY_APIS: [&str; 6] = [
    "listBooks",
    "addBook",
    "getBook",
    "replaceBook",
    "bookFallback",
    "getLoanTree",
];

#[tokio::test]
async fn list_apis_with_each_filter() {
    let t = imported().await;
    let apis = format!("{}/apis", base(INSTANCE));
    let all = read(&t.app, &format!("{apis}?limit=500"), "ListApisV2Response").await;
    assert_eq!(
        (all["total"].clone(), all["size"].clone()),
        (json!(12), json!(12))
    );
    let mut every: Vec<&str> = SHOP_APIS.to_vec();
    every.extend(LIBRARY_APIS);
    assert_eq!(sorted(names(&all, "apis")), sorted(strings(&every)));
    // The default page is 20.
    let default = read(&t.app, &apis, "ListApisV2Response").await;
    assert_eq!(default["size"], 12);

    let shop = t.shop.as_str();
    let library = t.library.as_str();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("group_id={shop}"), SHOP_APIS.to_vec()),
        (format!("group_id={library}"), LIBRARY_APIS.to_vec()),
        (
            "req_method=ANY".into(),
            vec!["static_files", "bookFallback"],
        ),
        ("req_method=delete".into(), vec!["delete_product"]),
        (
            format!("group_id={shop}&req_method=GET"),
            vec!["list_products", "get_product", "health"],
        ),
        (
            "name=product".into(),
            vec!["list_products", "get_product", "delete_product"],
        ),
        (
            "name=BOOK".into(),
            vec![
                "listBooks",
                "addBook",
                "getBook",
                "replaceBook",
                "bookFallback",
            ],
        ),
        ("name=getBook&precise_search=name".into(), vec!["getBook"]),
        (
            "req_uri=/shop/products".into(),
            vec!["list_products", "get_product", "delete_product"],
        ),
        (
            "req_uri=/shop/products&precise_search=req_uri".into(),
            vec!["list_products"],
        ),
        (
            "req_uri=%2Fapi%2Fv1%2Fbooks%2F%7BbookId%7D&precise_search=name,req_uri".into(),
            vec!["getBook", "replaceBook", "bookFallback"],
        ),
        ("type=2".into(), vec!["delete_product"]),
        ("auth_type=AUTHORIZER".into(), vec!["checkout"]),
        ("auth_type=iam".into(), vec!["delete_product"]),
        (
            "vpc_channel_name=catalog_channel".into(),
            vec!["get_product"],
        ),
        ("tags=catalog".into(), vec!["list_products"]),
        ("req_protocol=HTTPS&name=health".into(), vec!["health"]),
        ("req_protocol=HTTP".into(), vec![]),
        ("id=0123456789abcdef0123456789abcdef".into(), vec![]),
        ("env_id=RELEASEEDN".into(), vec![]),
        // Parameters this product does not know are ignored.
        ("return_data_mode=brief&name=health".into(), vec!["health"]),
    ];
    for (query, expected) in cases {
        let list = read(&t.app, &format!("{apis}?{query}"), "ListApisV2Response").await;
        assert_eq!(
            sorted(names(&list, "apis")),
            sorted(strings(&expected)),
            "{query}"
        );
        assert_eq!(list["total"], json!(expected.len()), "{query}");
        assert_eq!(list["size"], json!(expected.len()), "{query}");
    }

    // By id.
    let health_id = all["apis"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == "health")
        .and_then(|a| a["id"].as_str())
        .expect("health id")
        .to_string();
    let by_id = read(
        &t.app,
        &format!("{apis}?id={health_id}"),
        "ListApisV2Response",
    )
    .await;
    assert_eq!(names(&by_id, "apis"), strings(&["health"]));
}

#[tokio::test]
async fn list_apis_pages_cover_everything_once() {
    let t = imported().await;
    let apis = format!("{}/apis", base(INSTANCE));
    let all = read(&t.app, &format!("{apis}?limit=500"), "ListApisV2Response").await;
    let mut seen = Vec::new();
    for offset in [0, 5, 10, 15] {
        let page = read(
            &t.app,
            &format!("{apis}?offset={offset}&limit=5"),
            "ListApisV2Response",
        )
        .await;
        assert_eq!(page["total"], 12);
        let expected_size = 12usize.saturating_sub(offset).min(5);
        assert_eq!(page["size"], json!(expected_size), "offset {offset}");
        seen.extend(
            page["apis"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| a["id"].as_str().unwrap_or("").to_string()),
        );
    }
    let all_ids: Vec<String> = all["apis"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        seen, all_ids,
        "pages concatenate to the full list, in order"
    );
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 12);
}

// ---------------------------------------------------------------------------------------
// ShowDetailsOfApiV2

/// What every imported API must show: name, method, path, match mode, auth, backend type,
/// API type.
const EXPECTED: [(&str, &str, &str, &str, &str, &str, i64); 12] = [
    (
        "list_products",
        "GET",
        "/shop/products",
        "NORMAL",
        "APP",
        "HTTP",
        1,
    ),
    (
        "get_product",
        "GET",
        "/shop/products/{productId}",
        "NORMAL",
        "APP",
        "HTTP",
        1,
    ),
    (
        "delete_product",
        "DELETE",
        "/shop/products/{productId}",
        "NORMAL",
        "IAM",
        "FUNCTION",
        2,
    ),
    (
        "checkout",
        "POST",
        "/shop/checkout",
        "NORMAL",
        "AUTHORIZER",
        "FUNCTION",
        1,
    ),
    (
        "static_files",
        "ANY",
        "/shop/static",
        "SWA",
        "NONE",
        "HTTP",
        1,
    ),
    ("health", "GET", "/shop/health", "NORMAL", "NONE", "MOCK", 1),
    (
        "listBooks",
        "GET",
        "/api/v1/books",
        "NORMAL",
        "APP",
        "HTTP",
        1,
    ),
    (
        "addBook",
        "POST",
        "/api/v1/books",
        "NORMAL",
        "NONE",
        "MOCK",
        1,
    ),
    (
        "getBook",
        "GET",
        "/api/v1/books/{bookId}",
        "NORMAL",
        "APP",
        "MOCK",
        1,
    ),
    (
        "replaceBook",
        "PUT",
        "/api/v1/books/{bookId}",
        "NORMAL",
        "APP",
        "MOCK",
        1,
    ),
    (
        "bookFallback",
        "ANY",
        "/api/v1/books/{bookId}",
        "SWA",
        "APP",
        "MOCK",
        1,
    ),
    (
        "getLoanTree",
        "GET",
        "/api/v1/loans/{loanId+}",
        "NORMAL",
        "APP",
        "MOCK",
        1,
    ),
];

/// Every imported API's details, by name.
async fn details(t: &Imported) -> std::collections::BTreeMap<String, Value> {
    let list = read(
        &t.app,
        &format!("{}/apis?limit=500", base(INSTANCE)),
        "ListApisV2Response",
    )
    .await;
    let mut out = std::collections::BTreeMap::new();
    for item in list["apis"].as_array().into_iter().flatten() {
        let id = item["id"].as_str().expect("id");
        let detail = read(
            &t.app,
            &format!("{}/apis/{id}", base(INSTANCE)),
            "ShowDetailsOfApiV2Response",
        )
        .await;
        // The list item is the detail's summary.
        for (key, value) in item.as_object().into_iter().flatten() {
            assert_eq!(&detail[key], value, "{id}: {key}");
        }
        out.insert(item["name"].as_str().unwrap_or("").to_string(), detail);
    }
    out
}

#[tokio::test]
async fn show_every_imported_api() {
    let t = imported().await;
    let details = details(&t).await;
    assert_eq!(details.len(), 12);
    for (name, method, path, mode, auth, backend, api_type) in EXPECTED {
        let d = &details[name];
        assert_eq!(d["req_method"], method, "{name}");
        assert_eq!(d["req_uri"], path, "{name}");
        assert_eq!(d["match_mode"], mode, "{name}");
        assert_eq!(d["auth_type"], auth, "{name}");
        assert_eq!(d["backend_type"], backend, "{name}");
        assert_eq!(d["type"], api_type, "{name}");
        assert_eq!(d["req_protocol"], "HTTPS", "{name}");
        assert_eq!(d["status"], 1, "{name}");
        let group = if path.starts_with("/shop") {
            (&t.shop, "shop_backend")
        } else {
            (&t.library, "library_service")
        };
        assert_eq!(d["group_id"], group.0.as_str(), "{name}");
        assert_eq!(d["group_name"], group.1, "{name}");
        assert_eq!(d["api_group_info"]["id"], group.0.as_str(), "{name}");
        // Exactly the backend object of its kind.
        assert_eq!(d.get("backend_api").is_some(), backend == "HTTP", "{name}");
        assert_eq!(
            d.get("func_info").is_some(),
            backend == "FUNCTION",
            "{name}"
        );
        assert_eq!(d.get("mock_info").is_some(), backend == "MOCK", "{name}");
    }
}

#[tokio::test]
async fn shop_details_field_by_field() {
    let t = imported().await;
    let details = details(&t).await;

    // HTTP backend, request and backend parameters, samples, a backend policy.
    let list = &details["list_products"];
    assert_eq!(list["remark"], "List products, optionally filtered");
    assert_eq!(list["cors"], true);
    assert_eq!(list["tags"], json!(["catalog"]));
    assert_eq!(list["auth_opt"], json!({"app_code_auth_type": "DISABLE"}));
    assert_eq!(list["result_normal_sample"], r#"{"products":[]}"#);
    assert_eq!(list["result_failure_sample"], r#"{"error":"unavailable"}"#);
    assert_eq!(
        list["backend_api"],
        json!({"url_domain": "catalog.internal.example.com:8443", "req_protocol": "HTTPS",
               "req_method": "GET", "req_uri": "/v1/items", "timeout": 3000,
               "retry_count": "2", "enable_client_ssl": false, "vpc_channel_status": 2})
    );
    assert_eq!(
        list["req_params"],
        json!([
            {"name": "category", "type": "STRING", "location": "QUERY", "default_value": "books",
             "required": 2, "valid_enable": 1, "enumerations": "books,music,garden",
             "orchestrations": []},
            {"name": "limit", "type": "NUMBER", "location": "QUERY", "sample_value": "20",
             "required": 2, "valid_enable": 1, "min_num": 1, "max_num": 100,
             "orchestrations": []},
            {"name": "X-Trace", "type": "STRING", "location": "HEADER", "required": 2,
             "valid_enable": 1, "max_size": 64, "pass_through": 1, "orchestrations": []}
        ])
    );
    assert_eq!(
        list["backend_params"],
        json!([
            {"origin": "REQUEST", "name": "cat", "remark": "category, renamed for the backend",
             "location": "QUERY", "value": "category"},
            {"origin": "REQUEST", "name": "limit", "location": "QUERY", "value": "limit"},
            {"origin": "CONSTANT", "name": "X-Source", "location": "HEADER", "value": "apig"}
        ])
    );
    assert_eq!(
        list["policy_https"],
        json!([{"name": "garden_policy", "backend_params": [],
                "conditions": [{"condition_origin": "param", "condition_type": "exact",
                                "condition_value": "garden", "req_param_name": "category",
                                "req_param_location": "QUERY"}],
                "url_domain": "garden.internal.example.com", "req_protocol": "HTTPS",
                "req_method": "GET", "req_uri": "/v1/items", "timeout": 5000,
                "retry_count": "-1", "vpc_channel_status": 2}])
    );
    assert_eq!(list["policy_functions"], json!([]));
    assert_eq!(list["policy_mocks"], json!([]));
    // The gateway response set by the id of the stored object.
    let shop_group = Id::parse(&t.shop).expect("id");
    let responses = t
        .app
        .store
        .get_shared(
            &scope(),
            &SharedKey {
                kind: SharedKind::GatewayResponse,
                group_id: Some(shop_group),
                name: "shop_errors".into(),
            },
        )
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(list["response_id"], responses.id.as_str());

    // HTTP-VPC backend: the registered channel's id; AppCode auth.
    let channel = t
        .app
        .store
        .list_references(&scope(), ReferenceKind::VpcChannel)
        .await
        .expect("read")
        .into_iter()
        .find(|r| r.name == "catalog_channel")
        .expect("registered");
    let get = &details["get_product"];
    assert_eq!(get["auth_opt"], json!({"app_code_auth_type": "HEADER"}));
    assert_eq!(
        get["backend_api"],
        json!({"req_protocol": "HTTP", "req_method": "GET", "req_uri": "/v1/items/{id}",
               "timeout": 2000, "retry_count": "-1", "enable_client_ssl": false,
               "vpc_channel_status": 1,
               "vpc_channel_info": {"vpc_channel_id": channel.id.as_str()}})
    );
    assert_eq!(
        get["req_params"],
        json!([{"name": "productId", "type": "STRING", "location": "PATH", "required": 1,
                "valid_enable": 1, "min_size": 8, "max_size": 32, "orchestrations": []}])
    );
    assert_eq!(
        get["backend_params"],
        json!([{"origin": "REQUEST", "name": "id", "location": "PATH", "value": "productId"}])
    );

    // FUNCTION backends.
    let delete = &details["delete_product"];
    assert_eq!(
        delete["func_info"],
        json!({"function_urn": "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:delete_product",
               "invocation_type": "sync", "network_type": "V1", "version": "latest",
               "timeout": 10000})
    );
    let checkout = &details["checkout"];
    assert_eq!(checkout["func_info"]["invocation_type"], "async");
    assert_eq!(checkout["func_info"]["timeout"], 30000);
    assert_eq!(checkout["content_type"], "application/json");
    assert_eq!(checkout["is_send_fg_body_base64"], false);
    let authorizer = t
        .app
        .store
        .get_shared(
            &scope(),
            &SharedKey {
                kind: SharedKind::Authorizer,
                group_id: None,
                name: "customer_auth".into(),
            },
        )
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(checkout["authorizer_id"], authorizer.id.as_str());

    // MOCK backend; HTTP backend with an environment variable and method ANY.
    assert_eq!(
        details["health"]["mock_info"],
        json!({"result_content": r#"{"status":"ok"}"#})
    );
    assert_eq!(
        details["static_files"]["backend_api"]["url_domain"],
        "#cdn_host#"
    );
    assert_eq!(details["static_files"]["backend_api"]["req_method"], "ANY");
    assert_eq!(details["static_files"]["backend_api"]["timeout"], 5000);
}

#[tokio::test]
async fn library_details_field_by_field() {
    let t = imported().await;
    let details = details(&t).await;
    let list = &details["listBooks"];
    assert_eq!(list["remark"], "List books");
    assert_eq!(list["result_normal_sample"], r#"{"books":[],"next":null}"#);
    assert!(list.get("result_failure_sample").is_none());
    assert_eq!(list["backend_api"]["url_domain"], "books.internal:8080");
    assert_eq!(list["backend_api"]["req_protocol"], "HTTP");
    assert_eq!(list["backend_api"]["req_uri"], "/books");
    assert_eq!(list["backend_api"]["timeout"], 5000);
    assert_eq!(list["backend_api"]["retry_count"], "-1");
    assert_eq!(
        list["req_params"],
        json!([
            {"name": "page_size", "type": "NUMBER", "location": "QUERY", "default_value": "50",
             "required": 2, "valid_enable": 1, "min_num": 1, "max_num": 200,
             "orchestrations": []},
            {"name": "author", "type": "STRING", "location": "QUERY", "required": 2,
             "valid_enable": 1, "max_size": 100, "orchestrations": []}
        ])
    );
    assert_eq!(
        list["backend_params"],
        json!([{"origin": "REQUEST", "name": "size", "location": "QUERY", "value": "page_size"}])
    );
    assert_eq!(details["addBook"]["mock_info"]["result_content"], "created");
    assert_eq!(details["addBook"]["req_params"], json!([]));
    assert_eq!(details["getBook"]["req_params"][0]["name"], "bookId");
    assert_eq!(details["getBook"]["req_params"][0]["required"], 1);
    assert_eq!(details["getLoanTree"]["req_params"][0]["name"], "loanId");
}

#[tokio::test]
async fn override_keeps_ids_and_shows_the_new_definition() {
    let t = imported().await;
    let before = details(&t).await;
    let fields = [
        ("is_create_group", "false"),
        ("group_id", t.shop.as_str()),
        ("api_mode", "override"),
    ];
    let reply = t.app.import(&fields, &fixture("apig/shop-2.0.yaml")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let after = details(&t).await;
    assert_eq!(after.len(), 12);
    for (name, detail) in &after {
        assert_eq!(detail["id"], before[name]["id"], "{name}");
        assert_eq!(detail["req_uri"], before[name]["req_uri"], "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Tenancy and errors

#[tokio::test]
async fn unknown_instance_is_3030_on_every_route() {
    let t = imported().await;
    let other = base("ffffffffffffffffffffffffffffffff");
    for uri in [
        format!("{other}/api-groups"),
        format!("{other}/apis"),
        // A group that cannot exist: the missing instance is still the answer.
        format!("{other}/apis?group_id=zzz"),
        format!("{other}/apis?group_id=0123456789abcdef0123456789abcdef"),
        format!("{other}/api-groups?id=zzz"),
        format!("{other}/apis/0123456789abcdef0123456789abcdef"),
    ] {
        let reply = get(&t.app, &uri).await;
        assert_error(&reply, 404, "APIG.3030");
        assert!(
            reply.body["error_msg"]
                .as_str()
                .unwrap_or("")
                .contains("id:ffffffffffffffffffffffffffffffff"),
            "{}",
            reply.body
        );
    }
}

#[tokio::test]
async fn another_instance_sees_nothing_of_this_one() {
    let t = imported().await;
    let other_scope = Scope::new(
        PathId::parse(PROJECT).expect("project"),
        PathId::parse(OTHER_INSTANCE).expect("instance"),
    );
    t.app
        .store
        .create_instance(&other_scope)
        .await
        .expect("instance");
    // Something of its own in the other instance.
    let (content_type, body) =
        multipart(&[], Some(("api.yaml", &fixture("apig/library-3.0.yaml"))));
    let request = http::Request::post(import_uri(PROJECT, OTHER_INSTANCE))
        .header("content-type", content_type)
        .header("x-auth-token", &t.app.token)
        .body(Body::from(body))
        .expect("request");
    let reply = t.app.send(request).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let other_group = reply.group_id();

    let other = base(OTHER_INSTANCE);
    let groups = read(
        &t.app,
        &format!("{other}/api-groups"),
        "ListApiGroupsV2Response",
    )
    .await;
    assert_eq!(names(&groups, "groups"), strings(&["library_service"]));
    let apis = read(&t.app, &format!("{other}/apis"), "ListApisV2Response").await;
    assert_eq!(apis["total"], 6);

    // This instance's API and group through the other instance: not found.
    let shop_api = read(
        &t.app,
        &format!("{}/apis?group_id={}&limit=1", base(INSTANCE), t.shop),
        "ListApisV2Response",
    )
    .await;
    let shop_api_id = shop_api["apis"][0]["id"].as_str().expect("id").to_string();
    let reply = get(&t.app, &format!("{other}/apis/{shop_api_id}")).await;
    assert_error(&reply, 404, "APIG.3002");
    assert!(reply.body["error_msg"]
        .as_str()
        .unwrap_or("")
        .contains(&shop_api_id));
    let reply = get(&t.app, &format!("{other}/apis?group_id={}", t.shop)).await;
    assert_error(&reply, 404, "APIG.3001");
    // And the other way round.
    let reply = get(
        &t.app,
        &format!("{}/apis?group_id={other_group}", base(INSTANCE)),
    )
    .await;
    assert_error(&reply, 404, "APIG.3001");
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let t = imported().await;
    let b = base(INSTANCE);
    let reply = get(
        &t.app,
        &format!("{b}/apis/0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_error(&reply, 404, "APIG.3002");
    assert!(reply.body["error_msg"]
        .as_str()
        .unwrap_or("")
        .starts_with("The API does not exist"));
    // Well-formed path ids that cannot be API ids are just not found.
    let reply = get(&t.app, &format!("{b}/apis/NOT-AN-API")).await;
    assert_error(&reply, 404, "APIG.3002");
    let reply = get(&t.app, &format!("{b}/apis/a.b")).await;
    assert_error(&reply, 400, "APIG.2012");
    assert!(reply.body["error_msg"]
        .as_str()
        .unwrap_or("")
        .contains("parameterName:api_id"));
    let reply = get(&t.app, &format!("{b}/apis?group_id=nope")).await;
    assert_error(&reply, 404, "APIG.3001");
    let long = "x".repeat(5000);
    let reply = get(&t.app, &format!("{b}/apis?group_id={long}")).await;
    assert_error(&reply, 404, "APIG.3001");
    assert!(reply.body["error_msg"].as_str().unwrap_or("").len() < 200);
    let reply = get(
        &t.app,
        &format!("/v2/p.1/apigw/instances/{INSTANCE}/api-groups"),
    )
    .await;
    assert_error(&reply, 400, "APIG.2012");
    assert!(reply.body["error_msg"]
        .as_str()
        .unwrap_or("")
        .contains("parameterName:project_id"));
}

#[tokio::test]
async fn bad_query_values_are_2012_naming_the_parameter() {
    let t = imported().await;
    let b = base(INSTANCE);
    for (route, query, parameter) in [
        ("apis", "limit=abc", "limit"),
        ("apis", "limit=0", "limit"),
        ("apis", "limit=501", "limit"),
        ("apis", "offset=-1", "offset"),
        ("apis", "offset=x", "offset"),
        ("apis", "req_method=FETCH", "req_method"),
        ("apis", "type=3", "type"),
        ("apis", "auth_type=BASIC", "auth_type"),
        ("apis", "req_protocol=FTP", "req_protocol"),
        ("api-groups", "limit=abc", "limit"),
        ("api-groups", "offset=-1", "offset"),
    ] {
        let reply = get(&t.app, &format!("{b}/{route}?{query}")).await;
        assert_error(&reply, 400, "APIG.2012");
        let message = reply.body["error_msg"].as_str().unwrap_or("");
        assert_eq!(
            message,
            format!(
                "Invalid parameter value,parameterName:{parameter}. Please refer to the support documentation"
            ),
            "{route}?{query}"
        );
    }
}

#[tokio::test]
async fn authentication_comes_first_and_actions_are_checked() {
    let t = imported().await;
    let b = base(INSTANCE);
    let groups = format!("{b}/api-groups");
    let apis = format!("{b}/apis");
    let any_api = read(&t.app, &format!("{apis}?limit=1"), "ListApisV2Response").await;
    let api = format!("{apis}/{}", any_api["apis"][0]["id"].as_str().expect("id"));
    let unknown_instance = format!(
        "{}/apis?limit=abc",
        base("ffffffffffffffffffffffffffffffff")
    );

    for uri in [&groups, &apis, &api, &unknown_instance] {
        assert_error(&get_with(&t.app, uri, None).await, 401, "APIG.1000");
        assert_error(
            &get_with(&t.app, uri, Some("garbage")).await,
            401,
            "APIG.1002",
        );
        let wrong_project = token_for("fedcba9876543210fedcba9876543210", &["apig:*"]);
        assert_error(
            &get_with(&t.app, uri, Some(&wrong_project)).await,
            403,
            "APIG.1005",
        );
        let import_only = token_for(PROJECT, &[IMPORT_ACTION]);
        let reply = get_with(&t.app, uri, Some(&import_only)).await;
        assert_error(&reply, 403, "APIG.1005");
        assert!(reply.body["error_msg"]
            .as_str()
            .unwrap_or("")
            .contains("apig:"));
    }

    // Each route wants its own action; wildcards match.
    for (uri, action) in [
        (&groups, LIST_GROUPS_ACTION),
        (&apis, LIST_APIS_ACTION),
        (&api, GET_API_ACTION),
    ] {
        let exact = token_for(PROJECT, &[action]);
        assert_eq!(
            get_with(&t.app, uri, Some(&exact)).await.status,
            200,
            "{action}"
        );
        for other in [LIST_GROUPS_ACTION, LIST_APIS_ACTION, GET_API_ACTION] {
            if other != action {
                let reply = get_with(&t.app, uri, Some(&token_for(PROJECT, &[other]))).await;
                assert_error(&reply, 403, "APIG.1005");
            }
        }
    }
    let api_wildcard = token_for(PROJECT, &["apig:api:*"]);
    assert_eq!(
        get_with(&t.app, &apis, Some(&api_wildcard)).await.status,
        200
    );
    assert_eq!(
        get_with(&t.app, &api, Some(&api_wildcard)).await.status,
        200
    );
    assert_error(
        &get_with(&t.app, &groups, Some(&api_wildcard)).await,
        403,
        "APIG.1005",
    );
}

#[tokio::test]
async fn stage_prefixes_and_wrong_methods() {
    let t = imported().await;
    let staged = read(
        &t.app,
        &format!("/Prod{}/apis?group_id={}", base(INSTANCE), t.shop),
        "ListApisV2Response",
    )
    .await;
    assert_eq!(staged["total"], 6);
    let request = http::Request::post(format!("{}/apis", base(INSTANCE)))
        .header("x-auth-token", &t.app.token)
        .body(Body::empty())
        .expect("request");
    assert_error(&t.app.send(request).await, 405, "APIG.2000");
}
