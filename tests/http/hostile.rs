//! The HTTP edge against hostile clients: credentials checked before a byte of the body,
//! ambiguous credentials and form parts refused, heavy imports that do not starve the
//! other requests, and `apig serve`'s timeouts and connection cap.

use crate::support::router::*;
use crate::support::serve::DemoServer as Server;
use apig_import::auth::access_key::new_access_key;
use apig_import::auth::signature::sign_request;
use apig_import::auth::{Signing, SigningSecret, TokenKeys, LIST_GROUPS_ACTION};
use apig_import::config::Limits;
use apig_import::http::{router, AppState};
use apig_import::model::{PathId, Scope};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{AccessKeyStore, Catalog};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use bytes::Bytes;
use futures_util::StreamExt;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIGNING_SECRET: &[u8] = b"hostile-signing-secret-0123456789";

/// The router on an embedded store with [`PROJECT`]/[`INSTANCE`], signatures enabled, and
/// an enabled and a disabled access key (AK, SK each).
async fn signed_app() -> (axum::Router, (String, String), (String, String)) {
    let store = SqliteStore::in_memory().expect("store");
    let project = PathId::parse(PROJECT).expect("project");
    store
        .create_instance(&Scope::new(
            project.clone(),
            PathId::parse(INSTANCE).expect("instance"),
        ))
        .await
        .expect("instance");
    let secret = SigningSecret::new(SIGNING_SECRET).expect("secret");
    let (enabled, enabled_sk) = new_access_key(&secret, project.clone(), vec!["apig:*".into()]);
    let (disabled, disabled_sk) = new_access_key(&secret, project.clone(), vec!["apig:*".into()]);
    assert!(store.create_access_key(&enabled).await.expect("key"));
    assert!(store.create_access_key(&disabled).await.expect("key"));
    assert!(store
        .set_access_key_enabled(&project, &disabled.access_key, false)
        .await
        .expect("disable"));
    let app = router(AppState {
        store: Arc::new(store),
        limits: Limits::default(),
        keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
        signing: Some(Arc::new(Signing::new(secret))),
    });
    (
        app,
        (enabled.access_key, enabled_sk),
        (disabled.access_key, disabled_sk),
    )
}

/// A 9 MiB body that counts the bytes the server pulls from it.
fn counted_body(pulled: &Arc<AtomicUsize>) -> Body {
    const CHUNK: usize = 64 * 1024;
    let pulled = Arc::clone(pulled);
    let chunks = futures_util::stream::iter(0..144).map(move |_| {
        pulled.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<Bytes, std::io::Error>(Bytes::from(vec![b'a'; CHUNK]))
    });
    Body::from_stream(chunks)
}

fn import_post(headers: &HeaderMap, body: Body) -> Request<Body> {
    let mut request = Request::builder()
        .method("POST")
        .uri(import_path())
        .body(body)
        .expect("request");
    *request.headers_mut() = headers.clone();
    request
}

/// Headers signed (without the body) by `ak`/`sk` now, plus a form content type.
fn signed_headers(ak: &str, sk: &str, content_length: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost"));
    headers.insert(
        "content-type",
        HeaderValue::from_str(&form_content_type()).expect("value"),
    );
    if let Some(length) = content_length {
        headers.insert(
            "content-length",
            HeaderValue::from_str(length).expect("len"),
        );
    }
    sign_request(
        ak,
        sk.as_bytes(),
        "POST",
        &import_path(),
        &mut headers,
        Some(b"whatever the body is"),
        time::OffsetDateTime::now_utc(),
    )
    .expect("sign");
    headers
}

mod credentials_before_bytes {
    use super::*;

    #[tokio::test]
    async fn a_garbage_signature_is_refused_without_reading_a_chunked_body() {
        let (app, _, _) = signed_app().await;
        let pulled = Arc::new(AtomicUsize::new(0));
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("SDK-HMAC-SHA256 garbage"),
        );
        headers.insert(
            "content-type",
            HeaderValue::from_str(&form_content_type()).expect("value"),
        );
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        let answer = call(app, import_post(&headers, counted_body(&pulled))).await;
        answer.assert_error(401, "APIG.1002");
        assert_eq!(pulled.load(Ordering::SeqCst), 0, "body bytes were read");
    }

    #[tokio::test]
    async fn a_malformed_authorization_is_a_401_before_the_size_check() {
        let (app, _, _) = signed_app().await;
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("SDK-HMAC-SHA256 Access=AK, Signature=zz"),
        );
        headers.insert("content-length", HeaderValue::from_static("52428800"));
        let answer = call(app, import_post(&headers, Body::empty())).await;
        answer.assert_error(401, "APIG.1002");
    }

    #[tokio::test]
    async fn unknown_disabled_or_stale_keys_are_refused_before_the_body() {
        let (app, (ak, sk), (disabled_ak, disabled_sk)) = signed_app().await;
        let unknown_sk = SigningSecret::new(SIGNING_SECRET)
            .expect("secret")
            .secret_key("AKUNKNOWN0000000000");
        let mut stale = signed_headers(&ak, &sk, None);
        stale.insert("x-sdk-date", HeaderValue::from_static("20200101T000000Z"));
        for (what, headers) in [
            (
                "unknown key",
                signed_headers("AKUNKNOWN0000000000", &unknown_sk, None),
            ),
            (
                "disabled key",
                signed_headers(&disabled_ak, &disabled_sk, None),
            ),
            ("date out of range", stale),
        ] {
            let pulled = Arc::new(AtomicUsize::new(0));
            let answer = call(app.clone(), import_post(&headers, counted_body(&pulled))).await;
            answer.assert_error(401, "APIG.1002");
            assert_eq!(pulled.load(Ordering::SeqCst), 0, "{what}: body was read");
            // The declared size does not come first either.
            let mut declared = headers.clone();
            declared.insert("content-length", HeaderValue::from_static("52428800"));
            let answer = call(app.clone(), import_post(&declared, Body::empty())).await;
            answer.assert_error(401, "APIG.1002");
        }
    }

    #[tokio::test]
    async fn a_signature_over_the_body_still_authenticates() {
        let (app, (ak, sk), _) = signed_app().await;
        let body = multipart(&[file(DOC)]);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("localhost"));
        headers.insert(
            "content-type",
            HeaderValue::from_str(&form_content_type()).expect("value"),
        );
        sign_request(
            &ak,
            sk.as_bytes(),
            "POST",
            &import_path(),
            &mut headers,
            Some(&body),
            time::OffsetDateTime::now_utc(),
        )
        .expect("sign");
        let answer = call(app.clone(), import_post(&headers, Body::from(body))).await;
        assert_eq!(answer.status.as_u16(), 200, "{answer:?}");
        // The same signature over another body is a mismatch, found after reading it.
        let other = multipart(&[file(
            b"swagger: \"2.0\"\ninfo: {title: other, version: \"1\"}\npaths: {}\n",
        )]);
        let answer = call(app, import_post(&headers, Body::from(other))).await;
        answer.assert_error(401, "APIG.1002");
        assert!(answer.message().contains("does not match"), "{answer:?}");
    }
}

mod ambiguous_credentials {
    use super::*;

    fn with_two(name: &'static str, first: &str, second: &str) -> Request<Body> {
        let mut request = import_request(&[file(DOC)]);
        let headers = request.headers_mut();
        headers.remove("x-auth-token");
        headers.append(name, HeaderValue::from_str(first).expect("value"));
        headers.append(name, HeaderValue::from_str(second).expect("value"));
        request
    }

    #[tokio::test]
    async fn two_tokens_are_refused_even_when_the_first_is_valid() {
        let answer = call(app(), with_two("x-auth-token", &token(), "x")).await;
        answer.assert_error(401, "APIG.1002");
        assert!(answer.message().contains("more than once"), "{answer:?}");
        let answer = call(app(), with_two("x-auth-token", &token(), &token())).await;
        answer.assert_error(401, "APIG.1002");
    }

    #[tokio::test]
    async fn two_authorization_headers_are_refused() {
        let answer = call(
            app(),
            with_two("authorization", "Bearer x", "SDK-HMAC-SHA256 Access=A"),
        )
        .await;
        answer.assert_error(401, "APIG.1002");
        // Also next to a valid token.
        let mut request = with_two("authorization", "Bearer x", "Bearer y");
        request
            .headers_mut()
            .insert("x-auth-token", HeaderValue::from_str(&token()).expect("v"));
        call(app(), request).await.assert_error(401, "APIG.1002");
    }

    #[tokio::test]
    async fn on_read_operations_too() {
        let path = format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}/api-groups");
        let reader = token_with(SECRET, &claims(PROJECT, &[LIST_GROUPS_ACTION]));
        let request = Request::builder()
            .uri(path)
            .header("x-auth-token", &reader)
            .header("x-auth-token", &reader)
            .body(Body::empty())
            .expect("request");
        call(app(), request).await.assert_error(401, "APIG.1002");
    }
}

mod form_parts {
    use super::*;

    fn raw_form(disposition: &str, data: &[u8]) -> Vec<u8> {
        let mut body =
            format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n").into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    #[tokio::test]
    async fn a_name_smuggled_in_a_quoted_file_name_is_not_the_document() {
        let body = raw_form(
            "form-data; filename=\"a;name=file_name;\"; name=\"innocent\"",
            DOC,
        );
        let answer = call(
            live().await,
            post(&import_path(), Some(&form_content_type()), body),
        )
        .await;
        answer.assert_error(400, "APIG.2000");
        assert!(answer.message().contains("unambiguously"), "{answer:?}");
    }

    #[tokio::test]
    async fn a_part_named_twice_or_with_a_broken_header_is_refused() {
        for disposition in [
            "form-data; name=\"file_name\"; name=\"innocent\"",
            "form-data; name=\"innocent\"; name=\"file_name\"",
            "form-data; name*=UTF-8''file_name",
            "form-data; name=\"file_name",
            "attachment; name=\"file_name\"",
        ] {
            let body = raw_form(disposition, DOC);
            let answer = call(
                live().await,
                post(&import_path(), Some(&form_content_type()), body),
            )
            .await;
            answer.assert_error(400, "APIG.2000");
        }
    }

    #[tokio::test]
    async fn well_formed_headers_still_import() {
        for disposition in [
            "form-data; name=\"file_name\"; filename=\"dir/petstore.yaml\"",
            "form-data; name=file_name; filename=a.yaml;",
            "form-data; name=\"file_name\"; filename=\"x.yaml\"; filename*=UTF-8''%E2%82%AC.yaml",
        ] {
            let body = raw_form(disposition, DOC);
            let answer = call(
                live().await,
                post(&import_path(), Some(&form_content_type()), body),
            )
            .await;
            assert_eq!(answer.status.as_u16(), 200, "{disposition}: {answer:?}");
        }
    }
}

mod heavy_imports {
    use super::*;

    /// A valid document of about `bytes` bytes: a few operations and a long list under an
    /// extension (decoded like the rest).
    fn big_document(bytes: usize, title: &str) -> Vec<u8> {
        let mut doc = format!(
            "swagger: \"2.0\"\ninfo:\n  title: {title}\n  version: \"1\"\npaths:\n  /a:\n    get:\n      operationId: a\n      responses: {{\"200\": {{description: ok}}}}\nx-notes:\n"
        );
        let line = format!("  - {}\n", "n".repeat(90));
        while doc.len() + line.len() < bytes {
            doc.push_str(&line);
        }
        doc.into_bytes()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_list_answers_while_large_imports_run() {
        let app = live().await;
        let imports = apig_import::http::offload::pool_size() + 1;
        let started = Instant::now();
        let mut running = Vec::new();
        for n in 0..imports {
            let app = app.clone();
            let body = multipart(&[file(&big_document(9_000_000, &format!("big{n}")))]);
            running.push(tokio::spawn(async move {
                let answer = call(app, import_request_body(body)).await;
                (answer.status.as_u16(), started.elapsed())
            }));
        }
        // Let the imports start decoding.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reader = token_with(SECRET, &claims(PROJECT, &[LIST_GROUPS_ACTION]));
        let list = Request::builder()
            .uri(format!(
                "/v2/{PROJECT}/apigw/instances/{INSTANCE}/api-groups"
            ))
            .header("x-auth-token", reader)
            .body(Body::empty())
            .expect("request");
        let asked = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(30), call(app.clone(), list))
            .await
            .expect("the list answered");
        let latency = asked.elapsed();
        assert_eq!(answer.status.as_u16(), 200, "{answer:?}");
        let mut import_times = Vec::new();
        for task in running {
            let (status, took) = task.await.expect("import");
            assert_eq!(status, 200);
            import_times.push(took);
        }
        println!(
            "GET api-groups during {imports} imports of 9 MB: {latency:?} (imports ended after {import_times:?})"
        );
        assert!(latency < Duration::from_secs(2), "list took {latency:?}");
        // It did not wait for an import to end (with decoding on the async workers, it
        // waits for the first one at least).
        let answered = asked.duration_since(started) + latency;
        let first_end = import_times.iter().min().copied().unwrap_or_default();
        assert!(
            answered < first_end,
            "list answered after {answered:?}, an import ended after {first_end:?}"
        );
    }

    fn import_request_body(body: Vec<u8>) -> Request<Body> {
        post(&import_path(), Some(&form_content_type()), body)
    }
}

impl Server {
    fn groups_path(&self) -> String {
        format!(
            "/v2/{}/apigw/instances/{}/api-groups",
            self.project, self.instance
        )
    }

    fn import_path(&self) -> String {
        format!(
            "/v2/{}/apigw/instances/{}/openapi/import",
            self.project, self.instance
        )
    }

    /// One GET with `token`; the whole response.
    fn get(&self, path: &str, token: &str) -> String {
        let mut stream = TcpStream::connect(&self.authority).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nX-Auth-Token: {token}\r\nConnection: close\r\n\r\n",
            self.authority
        );
        stream.write_all(head.as_bytes()).expect("write");
        let mut out = String::new();
        let _ = stream.read_to_string(&mut out);
        out
    }

    fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// Read until the server closes the connection (or `within` passes): what it sent.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(within)).expect("read timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&out).into_owned(), true)
            }
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

mod serve {
    use super::*;

    #[test]
    fn tokens_of_apig_token_secret_are_accepted() {
        let secret = "a-deployed-function-secret-0123456789";
        let server = Server::start(&[("APIG_TOKEN_SECRET", secret)]);
        let out = Command::new(env!("CARGO_BIN_EXE_apig"))
            .args(["token", "--project", &server.project])
            .env("APIG_DATA_DIR", server.data_dir())
            .env("APIG_TOKEN_SECRET", secret)
            .output()
            .expect("apig token");
        assert!(out.status.success());
        let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let response = server.get(&server.groups_path(), &token);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        // The demo token printed at start is signed with the same secret.
        let response = server.get(&server.groups_path(), &server.token);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    #[test]
    fn slow_headers_and_stalled_bodies_are_cut() {
        let server = Server::start(&[
            ("APIG_HEADER_TIMEOUT_SECS", "1"),
            ("APIG_BODY_TIMEOUT_SECS", "1"),
        ]);
        // Headers that never end.
        let mut slow = TcpStream::connect(&server.authority).expect("connect");
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .expect("write");
        let started = Instant::now();
        let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(10));
        assert!(closed, "slow headers kept open");
        println!("slow headers closed after {:?}", started.elapsed());
        assert!(started.elapsed() < Duration::from_secs(8));

        // An authenticated upload that stalls.
        let mut stalled = TcpStream::connect(&server.authority).expect("connect");
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n",
            server.import_path(),
            server.token
        );
        stalled.write_all(head.as_bytes()).expect("write");
        let started = Instant::now();
        let (response, _) = read_until_closed(&mut stalled, Duration::from_secs(10));
        assert!(response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(response.contains("APIG.2000"), "{response}");
        println!("stalled body answered after {:?}", started.elapsed());
    }

    #[test]
    fn idle_kept_alive_connections_are_closed() {
        let server = Server::start(&[
            ("APIG_HEADER_TIMEOUT_SECS", "30"),
            ("APIG_IDLE_TIMEOUT_SECS", "1"),
        ]);
        let mut stream = TcpStream::connect(&server.authority).expect("connect");
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {}\r\n\r\n",
            server.groups_path(),
            server.token
        );
        stream.write_all(head.as_bytes()).expect("write");
        let started = Instant::now();
        let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(10));
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(closed, "idle connection kept open");
        println!("idle connection closed after {:?}", started.elapsed());
        assert!(started.elapsed() < Duration::from_secs(8));
    }

    #[test]
    fn stalled_uploads_hold_little_and_delay_nothing() {
        let server = Server::start(&[]);
        // Warm up, then measure.
        let response = server.get(&server.groups_path(), &server.token);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        let before = server.rss_kib();
        let mut held = Vec::new();
        // 50 unauthenticated uploads of 2 MiB each, then stalled.
        for _ in 0..50 {
            let mut stream = TcpStream::connect(&server.authority).expect("connect");
            stream
                .set_write_timeout(Some(Duration::from_millis(200)))
                .expect("timeout");
            let head = format!(
                "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: SDK-HMAC-SHA256 garbage\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000000\r\n\r\n",
                server.import_path()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&vec![b'a'; 2 * 1024 * 1024]);
            held.push(stream);
        }
        // 50 authenticated uploads that stall after 256 KiB.
        for _ in 0..50 {
            let mut stream = TcpStream::connect(&server.authority).expect("connect");
            stream
                .set_write_timeout(Some(Duration::from_millis(200)))
                .expect("timeout");
            let head = format!(
                "POST {} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000000\r\n\r\n",
                server.import_path(),
                server.token
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&vec![b'a'; 256 * 1024]);
            held.push(stream);
        }
        std::thread::sleep(Duration::from_millis(500));
        let during = server.rss_kib();
        let asked = Instant::now();
        let response = server.get(&server.groups_path(), &server.token);
        let latency = asked.elapsed();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        let grown_mib = during.saturating_sub(before) / 1024;
        println!(
            "100 stalled uploads: RSS {} -> {} KiB (+{grown_mib} MiB); GET api-groups meanwhile: {latency:?}",
            before, during
        );
        assert!(before > 0, "no RSS reading");
        assert!(grown_mib < 64, "stalled uploads hold {grown_mib} MiB");
        assert!(latency < Duration::from_secs(2), "GET took {latency:?}");
        drop(held);
    }

    #[test]
    fn connections_beyond_the_cap_wait_for_a_free_one() {
        let server = Server::start(&[
            ("APIG_MAX_CONNECTIONS", "2"),
            ("APIG_HEADER_TIMEOUT_SECS", "2"),
        ]);
        let mut idle: Vec<TcpStream> = (0..2)
            .map(|_| TcpStream::connect(&server.authority).expect("connect"))
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        // The third is accepted only when one of the two is closed by its header timeout.
        let asked = Instant::now();
        let response = server.get(&server.groups_path(), &server.token);
        let waited = asked.elapsed();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        println!("third connection answered after {waited:?} (cap 2, header timeout 2 s)");
        assert!(waited >= Duration::from_millis(1200), "{waited:?}");
        idle.clear();
    }
}
