//! ExportApiDefinitionsV2 end to end (`async-export.md` §4): the shop fixture imported
//! through the router, exported as a file with its headers, and every error of §4.

use crate::support::app::{self, App, PROJECT, SECRET};
use crate::support::fixture;
use apig_import::auth::token;
use apig_import::model::ReferenceKind;
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

const ENV: &str = "DEFAULT_ENVIRONMENT_RELEASE_ID";

fn export_uri(query: &str) -> String {
    format!("{}?{query}", export_path())
}

fn export_path() -> String {
    format!(
        "/v2/{PROJECT}/apigw/instances/{}/openapi/export",
        app::INSTANCE
    )
}

struct FileReply {
    status: u16,
    content_type: String,
    disposition: String,
    text: String,
}

impl FileReply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

async fn post(app: &App, uri: &str, token: &str, body: &Value) -> FileReply {
    let request = http::Request::post(uri)
        .header("x-auth-token", token)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.router.clone().oneshot(request).await.expect("router");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (status, content_type, disposition) = (
        response.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    FileReply {
        status,
        content_type,
        disposition,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn shop() -> (App, String) {
    let app = App::new().await;
    app.register(ReferenceKind::VpcChannel, "catalog_channel")
        .await;
    app.register(ReferenceKind::Plugin, "audit_plugin").await;
    let reply = app.import_new(&[], &fixture("apig/shop-2.0.yaml")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let group = reply.group_id();
    (app, group)
}

#[tokio::test]
async fn the_file_with_its_headers() {
    let (app, group) = shop().await;
    let reply = post(
        &app,
        &export_uri("oas_version=3.0"),
        &app.token,
        &json!({"env_id": ENV, "group_id": group, "define": "all", "version": "2.1"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.content_type, "application/json");
    assert!(
        reply
            .disposition
            .starts_with("attachment; filename=\"shop_backend-RELEASE-all-")
            && reply.disposition.ends_with(".json\""),
        "{}",
        reply.disposition
    );
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["info"]["title"], "shop_backend");
    assert_eq!(doc["info"]["version"], "2.1");
    let op = &doc["paths"]["/shop/products"]["get"];
    assert_eq!(op["operationId"], "list_products");
    assert!(op["x-apigateway-backend"].is_object(), "{op}");
    assert!(doc["x-apigateway-ratelimits"]["browse_limit"].is_object());

    // define=spec: the frontend only; YAML; Swagger 2.0 by default.
    let reply = post(
        &app,
        &export_path(),
        &app.token,
        &json!({"env_id": ENV, "group_id": group, "type": "yml"}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.content_type, "application/yaml");
    assert!(reply.disposition.contains("-spec-") && reply.disposition.ends_with(".yaml\""));
    assert!(
        reply.text.starts_with("\"swagger\": \"2.0\"\n"),
        "{}",
        reply.text
    );
    assert!(
        !reply.text.contains("x-apigateway-backend"),
        "{}",
        reply.text
    );
    assert!(
        !reply.text.contains("x-apigateway-ratelimits"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn a_subset_of_apis() {
    let (app, group) = shop().await;
    let listed = app
        .send(
            http::Request::get(format!(
                "/v2/{PROJECT}/apigw/instances/{}/apis?group_id={group}&name=list_products",
                app::INSTANCE
            ))
            .header("x-auth-token", &app.token)
            .body(Body::empty())
            .expect("request"),
        )
        .await;
    let id = listed.body["apis"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let reply = post(
        &app,
        &export_path(),
        &app.token,
        &json!({"env_id": ENV, "group_id": group, "define": "proxy", "apis": [id]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let paths = reply.json()["paths"].as_object().expect("paths").clone();
    assert_eq!(paths.keys().collect::<Vec<_>>(), ["/shop/products"]);
}

#[tokio::test]
async fn errors() {
    let (app, group) = shop().await;
    let unknown_group = "0123456789abcdef0123456789abcdef";
    let cases = [
        (
            "",
            json!({"group_id": group}),
            400,
            "APIG.2001",
            Some("env_id"),
        ),
        (
            "",
            json!({"env_id": ENV}),
            400,
            "APIG.2001",
            Some("group_id"),
        ),
        (
            "",
            json!({"env_id": ENV, "group_id": group, "define": "x"}),
            400,
            "APIG.2012",
            Some("define"),
        ),
        (
            "",
            json!({"env_id": ENV, "group_id": group, "type": "xml"}),
            400,
            "APIG.2012",
            Some("type"),
        ),
        (
            "oas_version=4.0",
            json!({"env_id": ENV, "group_id": group}),
            400,
            "APIG.2012",
            Some("oas_version"),
        ),
        (
            "",
            json!({"env_id": ENV, "group_id": unknown_group}),
            404,
            "APIG.3001",
            None,
        ),
        (
            "",
            json!({"env_id": "TEST_ENV", "group_id": group}),
            404,
            "APIG.3003",
            None,
        ),
        (
            "",
            json!({"env_id": ENV, "group_id": group, "apis": [unknown_group]}),
            404,
            "APIG.3002",
            None,
        ),
    ];
    for (query, body, status, code, name) in cases {
        let reply = post(&app, &export_uri(query), &app.token, &body).await;
        let error = reply.json();
        assert_eq!(
            (reply.status, error["error_code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            reply.text
        );
        if let Some(name) = name {
            let message = error["error_msg"].as_str().unwrap_or("");
            assert!(
                message.contains(&format!("parameterName:{name}")),
                "{message}"
            );
        }
    }
    // The export action is needed, like the read routes need theirs.
    let reader = token::issue(
        SECRET,
        "reader",
        PROJECT,
        &["apig:api:get".to_string()],
        Duration::from_secs(60),
    )
    .expect("token");
    let reply = post(
        &app,
        &export_path(),
        &reader,
        &json!({"env_id": ENV, "group_id": group}),
    )
    .await;
    assert_eq!(
        (reply.status, reply.json()["error_code"].as_str()),
        (403, Some("APIG.1005")),
        "{}",
        reply.text
    );
    let exporter = token::issue(
        SECRET,
        "exporter",
        PROJECT,
        &["apig:api:export".to_string()],
        Duration::from_secs(60),
    )
    .expect("token");
    let reply = post(
        &app,
        &export_path(),
        &exporter,
        &json!({"env_id": ENV, "group_id": group}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}
