//! A real application for tests: the HTTP router on an embedded store, a registered
//! instance, a signed token, and a multipart body builder.

use apig_import::auth::{token, TokenKeys};
use apig_import::config::Limits;
use apig_import::http::{router, AppState};
use apig_import::model::{Id, PathId, Reference, ReferenceKind, Scope};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::Catalog;
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub const SECRET: &[u8] = b"test-secret-of-thirty-two-bytes!";
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";
pub const INSTANCE: &str = "eddc4d25480b4cd6b512f270a1b8b341";

pub struct App {
    pub store: Arc<SqliteStore>,
    pub router: axum::Router,
    pub token: String,
}

pub struct Reply {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error_code"].as_str().unwrap_or("")
    }

    /// `(METHOD, path)` of each item of one array of an import response.
    pub fn items(&self, array: &str) -> Vec<(String, String)> {
        self.body[array]
            .as_array()
            .unwrap_or_else(|| panic!("no {array} array in {}", self.body))
            .iter()
            .map(|item| {
                (
                    item["method"].as_str().unwrap_or("").to_string(),
                    item["path"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    pub fn group_id(&self) -> String {
        self.body["group_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no group_id in {}", self.body))
            .to_string()
    }
}

pub fn scope() -> Scope {
    Scope::new(
        PathId::parse(PROJECT).expect("project"),
        PathId::parse(INSTANCE).expect("instance"),
    )
}

impl App {
    pub async fn new() -> Self {
        Self::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> Self {
        let store = Arc::new(SqliteStore::in_memory().expect("store"));
        store.create_instance(&scope()).await.expect("instance");
        let state = AppState {
            store: store.clone(),
            limits,
            keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
            signing: None,
        };
        let token = token::issue(
            SECRET,
            "tester",
            PROJECT,
            &["apig:*".to_string()],
            Duration::from_secs(600),
        )
        .expect("token");
        App {
            store,
            router: router(state),
            token,
        }
    }

    pub async fn register(&self, kind: ReferenceKind, name: &str) {
        let reference = Reference {
            id: Id::generate(),
            kind,
            name: name.to_string(),
            created_at: String::new(),
        };
        assert!(self
            .store
            .create_reference(&scope(), &reference)
            .await
            .expect("reference"));
    }

    pub async fn send(&self, request: http::Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            request_id,
            body,
        }
    }

    /// POST the import with these text fields and this document as `file_name`.
    pub async fn import(&self, fields: &[(&str, &str)], document: &[u8]) -> Reply {
        let (content_type, body) = multipart(fields, Some(("api.yaml", document)));
        let request = http::Request::post(import_uri(PROJECT, INSTANCE))
            .header("content-type", content_type)
            .header("x-auth-token", &self.token)
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Import into a new group and return the reply (asserting a 200).
    pub async fn import_new(&self, fields: &[(&str, &str)], document: &[u8]) -> Reply {
        let reply = self.import(fields, document).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply
    }

    /// A group to import into with `is_create_group=false`.
    pub async fn empty_group(&self, name: &str) -> String {
        let doc = format!("swagger: '2.0'\ninfo: {{title: {name}, version: '1'}}\npaths: {{}}\n");
        self.import_new(&[], doc.as_bytes()).await.group_id()
    }
}

pub fn import_uri(project: &str, instance: &str) -> String {
    format!("/v2/{project}/apigw/instances/{instance}/openapi/import")
}

/// A multipart/form-data body: text fields, then the file part.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----apigtestboundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((filename, content)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file_name\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}
