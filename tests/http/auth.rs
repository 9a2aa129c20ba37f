//! Token authentication and authorization through the real router (`import-api.md` §2).
//! Every refused request is refused before the store (which panics if reached) and before
//! the body is read.

use crate::support::router::*;
use apig_import::auth::IMPORT_ACTION;
use axum::body::Body;
use axum::http::Request;
use bytes::Bytes;
use serde_json::json;

fn request_with(headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method("POST")
        .uri(import_path())
        .header("content-type", form_content_type());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Body::from(multipart(&[file(DOC)])))
        .expect("request")
}

fn with_token(token: &str) -> Request<Body> {
    request_with(&[("x-auth-token", token)])
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=chunk.len() {
            out.push(A[((v >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn no_credentials_is_1000() {
    let a = call(app(), request_with(&[])).await;
    a.assert_error(401, "APIG.1000");
    assert!(a.message().starts_with("Token missing"), "{a:?}");
}

#[tokio::test]
async fn valid_token_is_accepted() {
    call(live().await, with_token(&token()))
        .await
        .assert_accepted();
}

#[tokio::test]
async fn garbage_token() {
    for garbage in [
        "garbage",
        "a.b.c",
        "Bearer x",
        "...",
        "eyJhbGciOiJIUzI1NiJ9..",
    ] {
        let a = call(app(), with_token(garbage)).await;
        a.assert_error(401, "APIG.1002");
        assert!(a.message().contains("malformed"), "{garbage}: {a:?}");
    }
}

#[tokio::test]
async fn unsigned_token() {
    let token = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(PROJECT, &[IMPORT_ACTION]).to_string().as_bytes())
    );
    let a = call(app(), with_token(&token)).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("alg: none"), "{a:?}");
}

#[tokio::test]
async fn wrong_key_token() {
    let forged = token_with(b"not-the-server-secret", &claims(PROJECT, &["*"]));
    let a = call(app(), with_token(&forged)).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("signature is invalid"), "{a:?}");
    assert!(!a.message().contains("not-the-server-secret"));
}

#[tokio::test]
async fn wrong_algorithm_token() {
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS384),
        &claims(PROJECT, &["*"]),
        &jsonwebtoken::EncodingKey::from_secret(SECRET).expect("key"),
    )
    .expect("encode");
    let a = call(app(), with_token(&token)).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("algorithm HS384"), "{a:?}");
}

#[tokio::test]
async fn expired_token() {
    let mut c = claims(PROJECT, &["*"]);
    c["exp"] = json!(now() - 3600);
    let a = call(app(), with_token(&token_with(SECRET, &c))).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("expired"), "{a:?}");
}

#[tokio::test]
async fn not_yet_valid_token() {
    let mut c = claims(PROJECT, &["*"]);
    c["nbf"] = json!(now() + 3600);
    let a = call(app(), with_token(&token_with(SECRET, &c))).await;
    a.assert_error(401, "APIG.1002");
    assert!(a.message().contains("not valid yet"), "{a:?}");
}

#[tokio::test]
async fn missing_claims() {
    for claim in ["exp", "sub", "project_id", "actions"] {
        let mut c = claims(PROJECT, &["*"]);
        c.as_object_mut().expect("object").remove(claim);
        let a = call(app(), with_token(&token_with(SECRET, &c))).await;
        a.assert_error(401, "APIG.1002");
        assert!(a.message().contains(&format!("no {claim} claim")), "{a:?}");
    }
}

#[tokio::test]
async fn other_project_is_1005() {
    let token = token_with(SECRET, &claims("another-project", &["*"]));
    let a = call(app(), with_token(&token)).await;
    a.assert_error(403, "APIG.1005");
    assert!(
        a.message()
            .starts_with("No permissions to request this method"),
        "{a:?}"
    );
}

#[tokio::test]
async fn missing_action_is_1005() {
    for actions in [vec![], vec!["apig:api:list"], vec!["ecs:*"]] {
        let token = token_with(SECRET, &claims(PROJECT, &actions));
        let a = call(app(), with_token(&token)).await;
        a.assert_error(403, "APIG.1005");
        assert!(
            a.message()
                .starts_with("No permissions to request this method"),
            "{a:?}"
        );
    }
}

#[tokio::test]
async fn wildcard_actions_are_accepted() {
    for actions in [
        vec!["*"],
        vec!["apig:*"],
        vec!["apig:api:*"],
        vec!["x", IMPORT_ACTION],
    ] {
        let token = token_with(SECRET, &claims(PROJECT, &actions));
        call(live().await, with_token(&token))
            .await
            .assert_accepted();
    }
}

#[tokio::test]
async fn signature_header_is_not_enabled_yet_and_wins_over_token() {
    let sig = "SDK-HMAC-SHA256 Access=AKEXAMPLE123, SignedHeaders=host;x-sdk-date, Signature=00";
    for request in [
        request_with(&[("authorization", sig), ("x-sdk-date", "20240101T000000Z")]),
        request_with(&[("authorization", sig), ("x-auth-token", &token())]),
    ] {
        let a = call(app(), request).await;
        a.assert_error(401, "APIG.1002");
        assert!(
            a.message().contains("AK/SK signatures are not enabled"),
            "{a:?}"
        );
    }
}

#[tokio::test]
async fn other_authorization_scheme_without_token() {
    let a = call(
        app(),
        request_with(&[("authorization", "Basic dXNlcjpwYXNz")]),
    )
    .await;
    a.assert_error(401, "APIG.1002");
}

#[tokio::test]
async fn authentication_happens_before_the_body_is_read() {
    // A body stream that fails the test if polled: an unauthenticated request must be
    // refused without reading it.
    let stream = futures_util::stream::poll_fn(
        |_| -> std::task::Poll<Option<Result<Bytes, std::io::Error>>> {
            panic!("the body was read before authentication")
        },
    );
    let request = Request::builder()
        .method("POST")
        .uri(import_path())
        .header("content-type", form_content_type())
        .header("x-auth-token", "garbage")
        .body(Body::from_stream(stream))
        .expect("request");
    call(app(), request).await.assert_error(401, "APIG.1002");

    // Same for an authenticated caller of another project, and for a huge declared length.
    let stream = futures_util::stream::poll_fn(
        |_| -> std::task::Poll<Option<Result<Bytes, std::io::Error>>> {
            panic!("the body was read before authorization")
        },
    );
    let request = Request::builder()
        .method("POST")
        .uri(import_path())
        .header("content-type", form_content_type())
        .header("content-length", "999999999999")
        .header(
            "x-auth-token",
            token_with(SECRET, &claims("elsewhere", &["*"])),
        )
        .body(Body::from_stream(stream))
        .expect("request");
    call(app(), request).await.assert_error(403, "APIG.1005");
}

#[tokio::test]
async fn path_ids_are_checked_before_credentials() {
    let request = Request::builder()
        .method("POST")
        .uri("/v2/bad.id/apigw/instances/i/openapi/import")
        .body(Body::empty())
        .expect("request");
    call(app(), request).await.assert_error(400, "APIG.2012");
}
