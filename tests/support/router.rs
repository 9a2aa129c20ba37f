//! Helpers of the HTTP tests (`tests/http`): a store that must never be reached, tokens,
//! multipart bodies, and a one-shot call through the real router.

use apig_import::auth::{TokenKeys, IMPORT_ACTION};
use apig_import::config::Limits;
use apig_import::http::{router, AppState};
use apig_import::model::{
    AccessKey, AccessKeyLock, Api, Group, Id, ImportRecord, LockoutPolicy, PathId, Reference,
    ReferenceKind, Scope, SharedKey, SharedKind, SharedObject, StoredAccessKey, Task, TaskEnd,
};
use apig_import::store::{
    AccessKeyStore, ApiWrite, ApiWriteOutcome, Catalog, GroupCreate, SharedWrite,
    SharedWriteOutcome, StoreResult,
};
use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tower::ServiceExt;

pub const SECRET: &[u8] = b"test-secret-0123456789abcdef0123";
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";
pub const INSTANCE: &str = "eddc4d25480b4cd6b512f270a1b8b341";
pub const BOUNDARY: &str = "b0undary";

pub fn import_path() -> String {
    format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}/openapi/import")
}

/// A store that fails the test if anything reaches it: every request these tests send is
/// rejected (or answered by the import stub) before the store is used.
pub struct UnreachableStore;

#[async_trait]
impl Catalog for UnreachableStore {
    async fn create_instance(&self, _: &Scope) -> StoreResult<bool> {
        panic!("store reached")
    }
    async fn instance_exists(&self, _: &Scope) -> StoreResult<bool> {
        panic!("store reached")
    }
    async fn create_reference(&self, _: &Scope, _: &Reference) -> StoreResult<bool> {
        panic!("store reached")
    }
    async fn list_references(&self, _: &Scope, _: ReferenceKind) -> StoreResult<Vec<Reference>> {
        panic!("store reached")
    }
    async fn create_group(&self, _: &Scope, _: &Group, _: u32) -> StoreResult<GroupCreate> {
        panic!("store reached")
    }
    async fn get_group(&self, _: &Scope, _: &Id) -> StoreResult<Option<Group>> {
        panic!("store reached")
    }
    async fn list_groups(&self, _: &Scope) -> StoreResult<Vec<Group>> {
        panic!("store reached")
    }
    async fn list_apis(&self, _: &Scope, _: &Id) -> StoreResult<Vec<Api>> {
        panic!("store reached")
    }
    async fn get_api(&self, _: &Scope, _: &Id) -> StoreResult<Option<Api>> {
        panic!("store reached")
    }
    async fn write_apis(
        &self,
        _: &Scope,
        _: &Id,
        _: Vec<ApiWrite>,
        _: u32,
    ) -> StoreResult<Vec<ApiWriteOutcome>> {
        panic!("store reached")
    }
    async fn get_shared(&self, _: &Scope, _: &SharedKey) -> StoreResult<Option<SharedObject>> {
        panic!("store reached")
    }
    async fn list_shared(
        &self,
        _: &Scope,
        _: SharedKind,
        _: Option<&Id>,
    ) -> StoreResult<Vec<SharedObject>> {
        panic!("store reached")
    }
    async fn write_shared(
        &self,
        _: &Scope,
        _: SharedWrite,
        _: Option<u32>,
    ) -> StoreResult<SharedWriteOutcome> {
        panic!("store reached")
    }
    async fn put_import_record(&self, _: &Scope, _: &ImportRecord) -> StoreResult<()> {
        panic!("store reached")
    }
    async fn get_import_record(&self, _: &Scope, _: &Id) -> StoreResult<Option<ImportRecord>> {
        panic!("store reached")
    }
}

#[async_trait]
impl AccessKeyStore for UnreachableStore {
    async fn create_access_key(&self, _: &AccessKey) -> StoreResult<bool> {
        panic!("store reached")
    }
    async fn get_access_key(&self, _: &str) -> StoreResult<Option<StoredAccessKey>> {
        panic!("store reached")
    }
    async fn list_access_keys(&self, _: &PathId) -> StoreResult<Vec<StoredAccessKey>> {
        panic!("store reached")
    }
    async fn set_access_key_enabled(&self, _: &PathId, _: &str, _: bool) -> StoreResult<bool> {
        panic!("store reached")
    }
    async fn record_auth_failure(
        &self,
        _: &str,
        _: time::OffsetDateTime,
        _: LockoutPolicy,
    ) -> StoreResult<Option<AccessKeyLock>> {
        panic!("store reached")
    }
    async fn reset_auth_failures(&self, _: &str) -> StoreResult<()> {
        panic!("store reached")
    }
}

#[async_trait]
impl apig_import::store::TaskStore for UnreachableStore {
    async fn create_task(&self, _: &Task) -> StoreResult<bool> {
        panic!("store reached")
    }
    async fn get_task(&self, _: &Scope, _: &Id) -> StoreResult<Option<Task>> {
        panic!("store reached")
    }
    async fn take_lease(
        &self,
        _: &Scope,
        _: &Id,
        _: &str,
        _: i64,
        _: i64,
    ) -> StoreResult<Option<Task>> {
        panic!("store reached")
    }
    async fn renew_lease(&self, _: &Scope, _: &Id, _: &str, _: i64) -> StoreResult<Option<Task>> {
        panic!("store reached")
    }
    async fn finish_task(
        &self,
        _: &Scope,
        _: &Id,
        _: &str,
        _: &TaskEnd,
        _: i64,
    ) -> StoreResult<Option<Task>> {
        panic!("store reached")
    }
    async fn unfinished_tasks(&self, _: usize) -> StoreResult<Vec<(Scope, Id)>> {
        panic!("store reached")
    }
}

pub fn state_with(limits: Limits) -> AppState {
    AppState {
        store: Arc::new(UnreachableStore),
        limits,
        keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
        signing: None,
    }
}

pub fn app() -> axum::Router {
    router(state_with(Limits::default()))
}

/// The router on a real embedded store with [`PROJECT`]/[`INSTANCE`] registered: requests
/// that pass the form reach the importer.
pub async fn live() -> axum::Router {
    let store = apig_import::store::sqlite::SqliteStore::in_memory().expect("store");
    let scope = Scope::new(
        apig_import::model::PathId::parse(PROJECT).expect("project"),
        apig_import::model::PathId::parse(INSTANCE).expect("instance"),
    );
    store.create_instance(&scope).await.expect("instance");
    router(AppState {
        store: Arc::new(store),
        limits: Limits::default(),
        keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
        signing: None,
    })
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An HS256 token with these claims, signed with `secret`.
pub fn token_with(secret: &[u8], claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret).expect("key"),
    )
    .expect("encode")
}

pub fn claims(project: &str, actions: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "sub": "tester",
        "project_id": project,
        "actions": actions,
        "exp": now() + 600,
        "iat": now(),
    })
}

/// A valid token for [`PROJECT`] with the import action.
pub fn token() -> String {
    token_with(SECRET, &claims(PROJECT, &[IMPORT_ACTION]))
}

/// One part of a multipart body.
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

pub fn text(name: &str, value: &str) -> Part {
    Part {
        name: name.to_string(),
        file_name: None,
        content_type: None,
        data: value.as_bytes().to_vec(),
    }
}

pub fn file(data: &[u8]) -> Part {
    file_typed(data, Some("application/x-yaml"))
}

pub fn file_typed(data: &[u8], content_type: Option<&str>) -> Part {
    Part {
        name: "file_name".to_string(),
        file_name: Some("petstore.yaml".to_string()),
        content_type: content_type.map(str::to_string),
        data: data.to_vec(),
    }
}

pub const DOC: &[u8] = b"swagger: \"2.0\"\ninfo:\n  title: shop\n  version: \"1\"\npaths: {}\n";

/// A well-formed `multipart/form-data` body with CRLF line ends.
pub fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(f) = &part.file_name {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = &part.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn form_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A POST of `body` to `path` with a valid token.
pub fn post(path: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri(path)
        .header("x-auth-token", token());
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(Body::from(body)).expect("request")
}

/// An import request with these form parts.
pub fn import_request(parts: &[Part]) -> Request<Body> {
    post(&import_path(), Some(&form_content_type()), multipart(parts))
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub request_id: Option<String>,
    pub content_type: Option<String>,
    pub json: serde_json::Value,
    pub headers: axum::http::HeaderMap,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.json["error_code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.json["error_msg"].as_str().unwrap_or("")
    }

    /// An error answer: the status, the code, the request id in header and body agree.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        let id = self.request_id.as_deref().expect("X-Request-Id");
        assert!(!id.is_empty());
        assert_eq!(self.json["request_id"].as_str(), Some(id), "{self:?}");
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
    }

    /// The form was accepted (use with [`live`]): the importer answered — a 200, or an
    /// error only the importer gives (unknown group or instance, a document that is not
    /// Swagger/OpenAPI).
    #[track_caller]
    pub fn assert_accepted(&self) {
        let importer_error = ["APIG.3001", "APIG.3030", "APIG.3602"].contains(&self.code());
        assert!(self.status == StatusCode::OK || importer_error, "{self:?}");
        assert!(self.request_id.is_some());
    }
}

pub async fn call(app: axum::Router, request: Request<Body>) -> Answer {
    let response = app.oneshot(request).await.expect("infallible");
    answer(response).await
}

pub async fn answer(response: Response<Body>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let request_id = header("x-request-id");
    let content_type = header("content-type");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Answer {
        status,
        request_id,
        content_type,
        json,
        headers,
    }
}
