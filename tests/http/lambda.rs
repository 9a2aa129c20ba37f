//! Lambda events through the real router: `lambda_http::request::from_str` turns an event
//! into the request lambda_http would hand the service. Events are generated here (bodies
//! base64-encoded by code, never by hand).

use crate::support::router::*;
use lambda_http::RequestExt;
use serde_json::json;
use tower::ServiceExt;

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An API Gateway REST (v1) proxy event for an import, as seen behind the `Prod` stage.
fn rest_event(path: &str, method: &str, token: &str, body: &[u8]) -> String {
    let ct = form_content_type();
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {
            "Content-Type": ct,
            "Host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "X-Auth-Token": token,
            "X-Forwarded-Proto": "https"
        },
        "multiValueHeaders": {
            "Content-Type": [ct],
            "Host": ["abc123.execute-api.eu-west-1.amazonaws.com"],
            "X-Auth-Token": [token],
            "X-Forwarded-Proto": ["https"]
        },
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": {"proxy": path.trim_start_matches('/')},
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "abcdef",
            "stage": "Prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "192.0.2.1", "userAgent": "test"},
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "apiId": "abc123",
            "path": format!("/Prod{path}"),
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": 1_700_000_000_000u64,
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com"
        },
        "body": base64(body),
        "isBase64Encoded": true
    })
    .to_string()
}

async fn send(request: lambda_http::Request) -> Answer {
    let response = live().await.oneshot(request).await.expect("infallible");
    answer(response).await
}

#[tokio::test]
async fn rest_event_with_stage_reaches_the_import_route() {
    let event = rest_event(&import_path(), "POST", &token(), &multipart(&[file(DOC)]));
    let request = lambda_http::request::from_str(&event).expect("event");
    // lambda_http keeps the stage in the path.
    assert!(
        request.uri().path().starts_with("/Prod/v2/"),
        "{}",
        request.uri()
    );
    let a = send(request).await;
    a.assert_accepted();
    // The request id is the API Gateway one.
    assert_eq!(
        a.request_id.as_deref(),
        Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    );
}

#[tokio::test]
async fn rest_event_form_error_behind_stage() {
    let event = rest_event(&import_path(), "POST", &token(), b"not multipart at all");
    let request = lambda_http::request::from_str(&event).expect("event");
    let a = send(request).await;
    a.assert_error(400, "APIG.2000");
    assert_eq!(
        a.json["request_id"].as_str(),
        Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    );
}

#[tokio::test]
async fn rest_event_auth_and_routing_behind_stage() {
    let body = multipart(&[file(DOC)]);
    let request =
        lambda_http::request::from_str(&rest_event(&import_path(), "POST", "garbage", &body))
            .expect("event");
    send(request).await.assert_error(401, "APIG.1002");
    let request = lambda_http::request::from_str(&rest_event(&import_path(), "GET", &token(), b""))
        .expect("event");
    send(request).await.assert_error(405, "APIG.2000");
    let request = lambda_http::request::from_str(&rest_event("/v2/nothing", "POST", &token(), b""))
        .expect("event");
    send(request).await.assert_error(404, "APIG.2000");
}

#[tokio::test]
async fn lambda_context_request_id_wins() {
    let event = rest_event(&import_path(), "POST", "garbage", b"");
    let mut context = lambda_http::Context::default();
    context.request_id = "11111111-2222-3333-4444-555555555555".to_string();
    let request = lambda_http::request::from_str(&event)
        .expect("event")
        .with_lambda_context(context);
    let a = send(request).await;
    a.assert_error(401, "APIG.1002");
    assert_eq!(
        a.request_id.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
}

#[tokio::test]
async fn http_api_v2_event_reaches_the_import_route() {
    let ct = form_content_type();
    let path = format!("/Prod{}", import_path());
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": ct,
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "x-auth-token": token()
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1_583_348_638_390u64
        },
        "body": base64(&multipart(&[file(DOC)])),
        "isBase64Encoded": true
    })
    .to_string();
    let request = lambda_http::request::from_str(&event).expect("event");
    let a = send(request).await;
    a.assert_accepted();
    assert_eq!(a.request_id.as_deref(), Some("JKJaXmPLvHcESHA="));
}
