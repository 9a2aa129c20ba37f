//! `POST …/openapi/async-export` (`async-export.md` §4, ExportApiDefinitionsAsync): 202 with a
//! task id, the task (type `export_api`) run by the task runner, and its result in Huawei's
//! shape `{"FileName", "FileType", "Comment": <the file>}` — the very file the synchronous
//! export gives. Bad requests are refused synchronously; an unknown group fails the task.

use crate::support::app::{import_uri, multipart, scope, INSTANCE, PROJECT, SECRET};
use crate::support::fixture;
use apig_import::auth::{token, TokenKeys};
use apig_import::config::Limits;
use apig_import::http::tasks::TaskQueue;
use apig_import::http::{router_with_tasks, AppState};
use apig_import::model::{Id, Reference, ReferenceKind};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{Catalog, FileBlobStore};
use apig_import::task::{self, TaskContext};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

async fn send(router: &axum::Router, request: http::Request<Body>) -> (u16, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn post_json(uri: &str, token: &str, body: &Value) -> http::Request<Body> {
    http::Request::post(uri)
        .header("content-type", "application/json")
        .header("x-auth-token", token)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn base() -> String {
    format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}")
}

#[tokio::test]
async fn the_task_gives_the_file_of_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    store.create_instance(&scope()).await.unwrap();
    for (kind, name) in [
        (ReferenceKind::VpcChannel, "catalog_channel"),
        (ReferenceKind::Plugin, "audit_plugin"),
    ] {
        let reference = Reference {
            id: Id::generate(),
            kind,
            name: name.to_string(),
            created_at: String::new(),
        };
        store.create_reference(&scope(), &reference).await.unwrap();
    }
    let state = AppState {
        store: store.clone(),
        limits: Limits::default(),
        keys: Arc::new(TokenKeys::hmac(SECRET).unwrap()),
        signing: None,
    };
    let blobs = Arc::new(FileBlobStore::new(dir.path().join("blobs")));
    let ctx = TaskContext::new(store.clone(), blobs.clone(), Limits::default());
    let router = router_with_tasks(
        state,
        Some(TaskQueue {
            blobs,
            wake: None,
            messages: None,
        }),
    );
    let token = token::issue(
        SECRET,
        "tester",
        PROJECT,
        &["apig:*".to_string()],
        Duration::from_secs(600),
    )
    .unwrap();

    let (content_type, body) = multipart(&[], Some(("shop.yaml", &fixture("apig/shop-2.0.yaml"))));
    let import = http::Request::post(import_uri(PROJECT, INSTANCE))
        .header("content-type", content_type)
        .header("x-auth-token", &token)
        .body(Body::from(body))
        .unwrap();
    let (status, body) = send(&router, import).await;
    assert_eq!(status, 200, "{body}");
    let group = serde_json::from_str::<Value>(&body).unwrap()["group_id"]
        .as_str()
        .unwrap()
        .to_string();

    let request = json!({"env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID", "group_id": group,
                         "define": "all", "type": "yaml", "version": "7.1"});
    let export_uri = format!("{}/openapi/export?oas_version=3.0", base());
    let (status, file) = send(&router, post_json(&export_uri, &token, &request)).await;
    assert_eq!(status, 200, "{file}");

    let async_uri = format!("{}/openapi/async-export?oas_version=3.0", base());
    let (status, body) = send(&router, post_json(&async_uri, &token, &request)).await;
    assert_eq!(status, 202, "{body}");
    let task_id = serde_json::from_str::<Value>(&body).unwrap()["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let show = |id: &str| {
        http::Request::get(format!("{}/async-tasks/{id}", base()))
            .header("x-auth-token", &token)
            .body(Body::empty())
            .unwrap()
    };
    let (status, waiting) = send(&router, show(&task_id)).await;
    assert_eq!(status, 200, "{waiting}");
    let waiting: Value = serde_json::from_str(&waiting).unwrap();
    assert_eq!(waiting["task_status"], "waiting");
    assert_eq!(waiting["task_type"], "export_api");
    assert_eq!(waiting["task_result"], "");

    let id = Id::parse(&task_id).unwrap();
    let finished = task::run(&ctx, &scope(), &id, "test-worker").await.unwrap();
    assert!(finished.is_some());
    let (_, done) = send(&router, show(&task_id)).await;
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["task_status"], "succeed", "{done}");
    assert_eq!(done["task_type"], "export_api");
    let result: Value = serde_json::from_str(done["task_result"].as_str().unwrap()).unwrap();
    assert_eq!(result["FileType"], ".yaml");
    let name = result["FileName"].as_str().unwrap();
    assert!(
        name.starts_with("shop_backend-RELEASE-all-") && name.ends_with(".yaml"),
        "{name}"
    );
    assert_eq!(result["Comment"].as_str().unwrap(), file);

    // Refused synchronously, no task: a bad define, a missing group_id, an unknown instance.
    let (status, body) = send(
        &router,
        post_json(
            &async_uri,
            &token,
            &json!({"env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID", "group_id": group, "define": "full"}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("APIG.2012") && body.contains("define"),
        "{body}"
    );
    let (status, body) = send(
        &router,
        post_json(
            &async_uri,
            &token,
            &json!({"env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID"}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("APIG.2001"), "{body}");
    let other = format!("/v2/{PROJECT}/apigw/instances/other/openapi/async-export");
    let (status, body) = send(&router, post_json(&other, &token, &request)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("APIG.3030"), "{body}");

    // An unknown group is the task's to report: `failed` with APIG.3001.
    let unknown =
        json!({"env_id": "DEFAULT_ENVIRONMENT_RELEASE_ID", "group_id": Id::generate().to_string()});
    let (status, body) = send(&router, post_json(&async_uri, &token, &unknown)).await;
    assert_eq!(status, 202, "{body}");
    let task_id = serde_json::from_str::<Value>(&body).unwrap()["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let id = Id::parse(&task_id).unwrap();
    task::run(&ctx, &scope(), &id, "test-worker").await.unwrap();
    let (_, failed) = send(&router, show(&task_id)).await;
    let failed: Value = serde_json::from_str(&failed).unwrap();
    assert_eq!(failed["task_status"], "failed", "{failed}");
    let error: Value = serde_json::from_str(failed["task_result"].as_str().unwrap()).unwrap();
    assert_eq!(error["error_code"], "APIG.3001");
}
