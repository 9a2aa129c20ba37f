//! AK/SK-signed imports through the real router on a real embedded store (`signing.md`,
//! `import-api.md` §2), with an injected clock.

use crate::support::router::*;
use apig_import::auth::access_key::new_access_key;
use apig_import::auth::signature::{sign_request, CONTENT_SHA256_HEADER, UNSIGNED_PAYLOAD};
use apig_import::auth::{Signing, SigningSecret, TokenKeys};
use apig_import::config::Limits;
use apig_import::http::{router, AppState};
use apig_import::model::{PathId, Scope};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{AccessKeyStore, Catalog};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::macros::datetime;
use time::OffsetDateTime;

const HOST: &str = "apig.cn-north-4.myhuaweicloud.com";

struct Server {
    router: axum::Router,
    store: Arc<SqliteStore>,
    now: Arc<Mutex<OffsetDateTime>>,
    secret: SigningSecret,
}

/// A key as `apig key create` prints it.
struct Key {
    ak: String,
    sk: String,
}

impl Server {
    async fn new() -> Self {
        let store = Arc::new(SqliteStore::in_memory().expect("store"));
        let scope = Scope::new(
            PathId::parse(PROJECT).expect("project"),
            PathId::parse(INSTANCE).expect("instance"),
        );
        store.create_instance(&scope).await.expect("instance");
        let now = Arc::new(Mutex::new(datetime!(2025-03-01 10:00:00 UTC)));
        let clock = Arc::clone(&now);
        let secret = SigningSecret::new(b"server-secret-for-http-tests").expect("secret");
        let signing = Signing::new(secret.clone())
            .with_clock(Arc::new(move || *clock.lock().expect("clock")));
        let router = router(AppState {
            store: store.clone(),
            limits: Limits::default(),
            keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
            signing: Some(Arc::new(signing)),
        });
        Server {
            router,
            store,
            now,
            secret,
        }
    }

    fn now(&self) -> OffsetDateTime {
        *self.now.lock().expect("clock")
    }

    fn advance(&self, by: Duration) {
        *self.now.lock().expect("clock") += by;
    }

    async fn key(&self, project: &str, actions: &[&str]) -> Key {
        let (key, sk) = new_access_key(
            &self.secret,
            PathId::parse(project).expect("project"),
            actions.iter().map(|a| a.to_string()).collect(),
        );
        assert!(self.store.create_access_key(&key).await.expect("create"));
        Key {
            ak: key.access_key,
            sk,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        call(self.router.clone(), request).await
    }
}

/// The headers the Python SDK sends with a multipart import.
fn sdk_headers(project: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        h.insert(name, HeaderValue::from_str(value).expect("value"));
    };
    set("host", HOST);
    set("content-type", &form_content_type());
    set("user-agent", "huaweicloud-usdk-python/3.1.86");
    set("x-project-id", project);
    set(CONTENT_SHA256_HEADER, UNSIGNED_PAYLOAD);
    h
}

fn request(uri: &str, headers: HeaderMap, body: Body) -> Request<Body> {
    let mut request = Request::builder()
        .method("POST")
        .uri(uri)
        .body(body)
        .expect("request");
    *request.headers_mut() = headers;
    request
}

/// An import signed by `key` at `at` over `signed_uri`, sent to `sent_uri`, after `tamper`
/// changed the headers.
fn signed_import_with(
    key: &Key,
    at: OffsetDateTime,
    signed_uri: &str,
    sent_uri: &str,
    tamper: impl FnOnce(&mut HeaderMap),
) -> Request<Body> {
    let mut h = sdk_headers(PROJECT);
    sign_request(
        &key.ak,
        key.sk.as_bytes(),
        "POST",
        signed_uri,
        &mut h,
        None,
        at,
    )
    .expect("sign");
    tamper(&mut h);
    request(sent_uri, h, Body::from(multipart(&[file(DOC)])))
}

fn signed_import(key: &Key, at: OffsetDateTime) -> Request<Body> {
    let uri = import_path();
    signed_import_with(key, at, &uri, &uri, |_| {})
}

#[tokio::test]
async fn correctly_signed_import_is_accepted() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let a = server.send(signed_import(&key, server.now())).await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");
    assert!(a.json["group_id"].is_string(), "{a:?}");
    // A narrower key with the import action works too.
    let importer = server.key(PROJECT, &["apig:api:import"]).await;
    let a = server.send(signed_import(&importer, server.now())).await;
    a.assert_error(400, "APIG.3201"); // authenticated: the group of DOC exists now
}

#[tokio::test]
async fn behind_a_stage_prefix_the_prefixed_path_is_signed() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let prefixed = format!("/Prod{}", import_path());
    let a = server
        .send(signed_import_with(
            &key,
            server.now(),
            &prefixed,
            &prefixed,
            |_| {},
        ))
        .await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");
    // Signed without the prefix, sent with it: not what the client signed.
    let a = server
        .send(signed_import_with(
            &key,
            server.now(),
            &import_path(),
            &prefixed,
            |_| {},
        ))
        .await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("does not match"), "{a:?}");
}

#[tokio::test]
async fn a_signed_query_is_part_of_the_signature() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let with_query = format!("{}?trace=a%20b&x=1", import_path());
    let reordered = format!("{}?x=1&trace=a+b", import_path());
    let a = server
        .send(signed_import_with(
            &key,
            server.now(),
            &with_query,
            &reordered,
            |_| {},
        ))
        .await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");
}

#[tokio::test]
async fn tampered_requests_are_refused() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let path = import_path();
    let now = server.now();
    let cases: Vec<(&str, Request<Body>)> = vec![
        (
            "query added",
            signed_import_with(&key, now, &path, &format!("{path}?x=1"), |_| {}),
        ),
        (
            "signed header changed",
            signed_import_with(&key, now, &path, &path, |h| {
                h.insert("x-project-id", HeaderValue::from_static("attacker"));
            }),
        ),
        (
            "host changed",
            signed_import_with(&key, now, &path, &path, |h| {
                h.insert("host", HeaderValue::from_static("localhost:8080"));
            }),
        ),
        (
            "signature changed",
            signed_import_with(&key, now, &path, &path, |h| {
                let value = h
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .expect("authorization");
                let last = value.chars().last().expect("char");
                let flipped = if last == '0' { '1' } else { '0' };
                let forged = format!("{}{flipped}", &value[..value.len() - 1]);
                h.insert(
                    "authorization",
                    HeaderValue::from_str(&forged).expect("value"),
                );
            }),
        ),
    ];
    for (what, request) in cases {
        let a = server.send(request).await;
        a.assert_error(401, "APIG.1002");
        assert!(a.message().contains("does not match"), "{what}: {a:?}");
    }
    // Tampered path: signed for another instance.
    let other =
        format!("/v2/{PROJECT}/apigw/instances/ffffffffffffffffffffffffffffffff/openapi/import");
    let a = server
        .send(signed_import_with(&key, now, &other, &path, |_| {}))
        .await;
    a.assert_error(401, "APIG.1002");
    // A wrong SK.
    let wrong = Key {
        ak: key.ak.clone(),
        sk: server.secret.secret_key("SOMEOTHERKEY"),
    };
    let a = server.send(signed_import(&wrong, now)).await;
    a.assert_error(401, "APIG.1002");
    assert!(!a.message().contains(&key.sk));
}

#[tokio::test]
async fn unsigned_headers_may_change_and_content_type_may_be_unsigned() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let mut h = sdk_headers(PROJECT);
    h.remove("content-type");
    sign_request(
        &key.ak,
        key.sk.as_bytes(),
        "POST",
        &import_path(),
        &mut h,
        None,
        server.now(),
    )
    .expect("sign");
    // Headers added after signing (as HTTP layers do) are not covered.
    h.insert(
        "content-type",
        HeaderValue::from_str(&form_content_type()).expect("value"),
    );
    h.insert("accept", HeaderValue::from_static("*/*"));
    let a = server
        .send(request(
            &import_path(),
            h,
            Body::from(multipart(&[file(DOC)])),
        ))
        .await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");
}

#[tokio::test]
async fn a_hashed_body_is_read_then_verified() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let body = multipart(&[file(DOC)]);
    let mut h = sdk_headers(PROJECT);
    h.remove(CONTENT_SHA256_HEADER);
    sign_request(
        &key.ak,
        key.sk.as_bytes(),
        "POST",
        &import_path(),
        &mut h,
        Some(&body),
        server.now(),
    )
    .expect("sign");
    let a = server
        .send(request(&import_path(), h.clone(), Body::from(body.clone())))
        .await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");
    // The same headers with another body.
    let other = multipart(&[text("is_create_group", "true"), file(DOC)]);
    let a = server
        .send(request(&import_path(), h, Body::from(other)))
        .await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("does not match"), "{a:?}");
}

#[tokio::test]
async fn with_unsigned_payload_the_body_is_not_read_before_authentication() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let wrong = Key {
        ak: key.ak.clone(),
        sk: "wrong".to_string(),
    };
    for (who, expected) in [(&wrong, 401), (&server.key("elsewhere", &["*"]).await, 403)] {
        let mut h = sdk_headers(PROJECT);
        sign_request(
            &who.ak,
            who.sk.as_bytes(),
            "POST",
            &import_path(),
            &mut h,
            None,
            server.now(),
        )
        .expect("sign");
        let stream = futures_util::stream::poll_fn(
            |_| -> std::task::Poll<Option<Result<Bytes, std::io::Error>>> {
                panic!("the body was read before authentication")
            },
        );
        let a = server
            .send(request(&import_path(), h, Body::from_stream(stream)))
            .await;
        assert_eq!(a.status.as_u16(), expected, "{a:?}");
    }
}

#[tokio::test]
async fn key_of_another_project_or_without_the_action_is_403() {
    let server = Server::new().await;
    let other = server.key("elsewhere", &["apig:*"]).await;
    let a = server.send(signed_import(&other, server.now())).await;
    a.assert_error(403, "APIG.1005");
    let reader = server.key(PROJECT, &["apig:api:list"]).await;
    let a = server.send(signed_import(&reader, server.now())).await;
    a.assert_error(403, "APIG.1005");
}

#[tokio::test]
async fn disabled_and_unknown_keys_are_401() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    assert!(server
        .store
        .set_access_key_enabled(&PathId::parse(PROJECT).expect("pid"), &key.ak, false)
        .await
        .expect("disable"));
    let a = server.send(signed_import(&key, server.now())).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("disabled"), "{a:?}");

    let unknown = Key {
        ak: "AKNOTISSUED000000000".to_string(),
        sk: server.secret.secret_key("AKNOTISSUED000000000"),
    };
    let a = server.send(signed_import(&unknown, server.now())).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("does not exist"), "{a:?}");
}

#[tokio::test]
async fn five_bad_signatures_lock_the_key_for_five_minutes() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let bad = Key {
        ak: key.ak.clone(),
        sk: "guess".to_string(),
    };
    for _ in 0..5 {
        let a = server.send(signed_import(&bad, server.now())).await;
        a.assert_error(401, "APIG.1002");
        assert!(a.message().contains("does not match"), "{a:?}");
    }
    // The sixth attempt is refused even with the right signature.
    let a = server.send(signed_import(&key, server.now())).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("temporarily locked"), "{a:?}");
    // Another key of the project is not affected.
    let other = server.key(PROJECT, &["apig:*"]).await;
    let a = server.send(signed_import(&other, server.now())).await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");

    server.advance(Duration::from_secs(4 * 60 + 59));
    let a = server.send(signed_import(&key, server.now())).await;
    assert!(a.message().contains("temporarily locked"), "{a:?}");
    server.advance(Duration::from_secs(1));
    let a = server.send(signed_import(&key, server.now())).await;
    a.assert_error(400, "APIG.3201"); // authenticated (the group exists already)
}

#[tokio::test]
async fn clock_skew_beyond_fifteen_minutes_is_refused() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let now = server.now();
    for at in [
        now - Duration::from_secs(15 * 60 + 1),
        now + Duration::from_secs(15 * 60 + 1),
    ] {
        let a = server.send(signed_import(&key, at)).await;
        a.assert_error(401, "APIG.1002");
        assert!(a.message().contains("15 minutes"), "{a:?}");
    }
    let a = server
        .send(signed_import(&key, now - Duration::from_secs(14 * 60)))
        .await;
    assert_eq!(a.status.as_u16(), 200, "{a:?}");
    // Skew failures do not count towards the lockout.
    for _ in 0..6 {
        let a = server
            .send(signed_import(&key, now + Duration::from_secs(3600)))
            .await;
        assert!(a.message().contains("15 minutes"), "{a:?}");
    }
    let stored = server.store.get_access_key(&key.ak).await.expect("get");
    assert_eq!(stored.expect("key").lock.failures, 0);
}

#[tokio::test]
async fn malformed_or_incomplete_signatures() {
    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let path = import_path();
    let now = server.now();
    let cases: Vec<(&str, Request<Body>)> = vec![
        (
            "The X-Sdk-Date header is missing",
            signed_import_with(&key, now, &path, &path, |h| {
                h.remove("x-sdk-date");
            }),
        ),
        (
            "not a UTC time",
            signed_import_with(&key, now, &path, &path, |h| {
                h.insert("x-sdk-date", HeaderValue::from_static("yesterday"));
            }),
        ),
        (
            "signed header user-agent",
            signed_import_with(&key, now, &path, &path, |h| {
                h.remove("user-agent");
            }),
        ),
        (
            "malformed",
            signed_import_with(&key, now, &path, &path, |h| {
                h.insert(
                    "authorization",
                    HeaderValue::from_static("SDK-HMAC-SHA256 Access=AK1"),
                );
            }),
        ),
        (
            "SDK-HMAC-SM3",
            signed_import_with(&key, now, &path, &path, |h| {
                h.insert(
                    "authorization",
                    HeaderValue::from_static(
                        "SDK-HMAC-SM3 Access=AK1, SignedHeaders=host, Signature=00",
                    ),
                );
            }),
        ),
        (
            // The signature wins over a valid token.
            "does not match",
            signed_import_with(&key, now, &path, &path, |h| {
                h.insert(
                    "x-auth-token",
                    HeaderValue::from_str(&token()).expect("value"),
                );
                h.insert("x-project-id", HeaderValue::from_static("changed"));
            }),
        ),
    ];
    for (expected, request) in cases {
        let a = server.send(request).await;
        a.assert_error(401, "APIG.1002");
        assert!(a.message().contains(expected), "{expected}: {a:?}");
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_lock_is_logged_with_the_access_key_never_a_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::new().await;
    let key = server.key(PROJECT, &["apig:*"]).await;
    let bad = Key {
        ak: key.ak.clone(),
        sk: "guess".to_string(),
    };
    for _ in 0..5 {
        server.send(signed_import(&bad, server.now())).await;
    }
    let log = captured
        .0
        .lock()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_default();
    let warning = log
        .lines()
        .find(|l| l.contains("access key locked"))
        .unwrap_or_else(|| panic!("no lock warning in {log}"));
    let line: serde_json::Value = serde_json::from_str(warning).expect("JSON line");
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["fields"]["access_key"], key.ak.as_str());
    assert!(!log.contains(&key.sk));
    assert_eq!(log.matches("access key locked").count(), 1);
}
