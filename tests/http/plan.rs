//! `POST …/openapi/import?dry_run=true` (issue 11 items 3 and 5): the response the import
//! would give now plus its `plan`, nothing written (the store is compared before and
//! after); the ordinary response has no `plan`; `fail_on_warnings=true` refuses a document
//! with a shadowed route with APIG.2012, before anything is written.

use crate::support::app::{import_uri, multipart, scope, App, Reply, INSTANCE, PROJECT};
use crate::support::fixture;
use apig_import::model::{ReferenceKind, SharedKind};
use apig_import::store::Catalog;
use axum::body::Body;
use serde_json::{json, Value};

const SHADOWED: &str = "swagger: '2.0'\ninfo: {title: pets, version: '1'}\npaths:\n  /pets/mine:\n    get: {operationId: mine, responses: {default: {description: ok}}}\n  /pets:\n    x-apigateway-any-method:\n      operationId: all_pets\n      x-apigateway-match-mode: SWA\n      responses: {default: {description: ok}}\n";

async fn post(app: &App, query: &str, fields: &[(&str, &str)], document: &[u8]) -> Reply {
    let (content_type, body) = multipart(fields, Some(("api.yaml", document)));
    let request = http::Request::post(format!("{}?{query}", import_uri(PROJECT, INSTANCE)))
        .header("content-type", content_type)
        .header("x-auth-token", &app.token)
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

/// Everything the import can write, as JSON: groups, their APIs, shared objects.
async fn snapshot(app: &App) -> Value {
    let scope = scope();
    let groups = app.store.list_groups(&scope).await.unwrap();
    let mut apis = Vec::new();
    for group in &groups {
        apis.push(app.store.list_apis(&scope, &group.id).await.unwrap());
    }
    let mut shared = Vec::new();
    for kind in [
        SharedKind::Throttle,
        SharedKind::AccessControl,
        SharedKind::Authorizer,
    ] {
        shared.push(app.store.list_shared(&scope, kind, None).await.unwrap());
    }
    for group in &groups {
        shared.push(
            app.store
                .list_shared(&scope, SharedKind::GatewayResponse, Some(&group.id))
                .await
                .unwrap(),
        );
    }
    serde_json::json!({
        "groups": serde_json::to_value(&groups).unwrap(),
        "apis": serde_json::to_value(&apis).unwrap(),
        "shared": serde_json::to_value(&shared).unwrap(),
    })
}

/// `(method, path, action)` of the success items.
fn successes(body: &Value) -> Vec<(String, String, String)> {
    body["success"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["method"].as_str().unwrap().to_string(),
                s["path"].as_str().unwrap().to_string(),
                s["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn shop_app() -> App {
    let app = App::new().await;
    app.register(ReferenceKind::VpcChannel, "catalog_channel")
        .await;
    app.register(ReferenceKind::Plugin, "audit_plugin").await;
    app
}

#[tokio::test]
async fn a_dry_run_answers_as_the_import_would_and_writes_nothing() {
    let app = shop_app().await;
    let shop = fixture("apig/shop-2.0.yaml");
    let empty = snapshot(&app).await;

    let planned = post(&app, "dry_run=true", &[], &shop).await;
    assert_eq!(planned.status, 200, "{}", planned.body);
    assert_eq!(snapshot(&app).await, empty, "a dry run wrote something");
    let plan = &planned.body["plan"];
    assert_eq!(plan["changes"], true);
    assert_eq!(plan["group"]["action"], "create");
    assert!(plan["apis"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["action"] == "create"));
    let shared: Vec<(&str, &str)> = plan["shared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["action"].as_str().unwrap()))
        .collect();
    assert!(shared.contains(&("browse_limit", "create")), "{shared:?}");
    assert!(shared.contains(&("shop_errors", "create")), "{shared:?}");

    // The real import: the same items, and no `plan` key (the official SDK's shape).
    let imported = app.import_new(&[], &shop).await;
    assert!(imported.body.get("plan").is_none(), "{}", imported.body);
    assert_eq!(successes(&planned.body), successes(&imported.body));
    assert_eq!(planned.body["failure"], imported.body["failure"]);
    assert_eq!(planned.body["ignore"], imported.body["ignore"]);
    assert_eq!(planned.body["result"], imported.body["result"]);
    let group = imported.group_id();

    // Into the group with override: the stored ids, `unchanged`, and still nothing written.
    let stored = snapshot(&app).await;
    let fields = [
        ("is_create_group", "false"),
        ("group_id", group.as_str()),
        ("api_mode", "override"),
    ];
    let again = post(&app, "dry_run=true", &fields, &shop).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(snapshot(&app).await, stored, "a dry run wrote something");
    assert_eq!(again.body["plan"]["changes"], false, "{}", again.body);
    let ids: Vec<&str> = imported.body["success"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let planned_ids: Vec<&str> = again.body["success"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(planned_ids, ids);
    let overridden = post(&app, "", &fields, &shop).await;
    assert_eq!(successes(&again.body), successes(&overridden.body));

    // Merge into the group: every API a conflict (APIG.3301), as the import answers.
    let merge = [("is_create_group", "false"), ("group_id", group.as_str())];
    let conflicts = post(&app, "dry_run=true", &merge, &shop).await;
    let apis = conflicts.body["plan"]["apis"].as_array().unwrap();
    assert!(apis
        .iter()
        .all(|a| a["action"] == "conflict" && a["error_code"] == "APIG.3301"));
    let merged = post(&app, "", &merge, &shop).await;
    assert_eq!(conflicts.body["failure"], merged.body["failure"]);
}

#[tokio::test]
async fn shadowed_routes_are_warnings_and_can_refuse_the_import() {
    let app = App::new().await;
    let planned = post(&app, "dry_run=true", &[], SHADOWED.as_bytes()).await;
    assert_eq!(planned.status, 200, "{}", planned.body);
    let warnings = planned.body["plan"]["shadowed_routes"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{}", planned.body);
    assert_eq!(warnings[0]["kind"], "prefix");
    assert_eq!(warnings[0]["route"]["path"], "/pets/mine");
    assert_eq!(warnings[0]["shadowed_by"]["method"], "ANY");
    // Also an item of the response's warnings array, naming the shadowed route.
    let flat: Vec<&Value> = planned.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "shadowed_route")
        .collect();
    assert_eq!(flat.len(), 1, "{}", planned.body);
    assert_eq!(
        (&flat[0]["method"], &flat[0]["path"]),
        (&json!("GET"), &json!("/pets/mine"))
    );

    let empty = snapshot(&app).await;
    for query in [
        "fail_on_warnings=true",
        "dry_run=true&fail_on_warnings=true",
    ] {
        let refused = post(&app, query, &[], SHADOWED.as_bytes()).await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.body);
        assert_eq!(refused.code(), "APIG.2012");
        let message = refused.body["error_msg"].as_str().unwrap();
        assert!(
            message.contains("fail_on_warnings") && message.contains("GET /pets/mine"),
            "{message}"
        );
    }
    assert_eq!(snapshot(&app).await, empty);
    let imported = post(&app, "fail_on_warnings=false", &[], SHADOWED.as_bytes()).await;
    assert_eq!(imported.status, 200, "{}", imported.body);

    let bad = post(&app, "dry_run=maybe", &[], SHADOWED.as_bytes()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "APIG.2012");
    assert!(bad.body["error_msg"].as_str().unwrap().contains("dry_run"));
}
