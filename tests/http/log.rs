//! The request log: one JSON line per request with the request id, method, path, status
//! and duration, and never a token or document contents.

use crate::support::router::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
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

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn one_json_line_per_request_without_secrets() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let secret_doc = b"swagger: \"2.0\"\ninfo: {title: top-secret-title}\npaths: {}\n";
    // Rejected after authentication (wrong project): the token is valid and must not leak.
    let other = token_with(SECRET, &claims("elsewhere", &["*"]));
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/Prod{}", import_path()))
        .header("x-auth-token", &other)
        .header("content-type", form_content_type())
        .body(axum::body::Body::from(multipart(&[file(secret_doc)])))
        .expect("request");
    let a = call(app(), request).await;
    a.assert_error(403, "APIG.1005");
    // Accepted form: the document is read, and must not be logged either.
    call(live().await, import_request(&[file(secret_doc)]))
        .await
        .assert_accepted();

    let text = captured.text();
    assert!(!text.contains(&other), "{text}");
    assert!(!text.contains(&crate::support::router::token()), "{text}");
    assert!(!text.contains("top-secret-title"), "{text}");

    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON log line"))
        .filter(|v: &serde_json::Value| v["fields"]["message"] == "request")
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    let first = &lines[0]["fields"];
    assert_eq!(first["request_id"].as_str(), a.request_id.as_deref());
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], format!("/Prod{}", import_path()));
    assert_eq!(first["status"], 403);
    assert_eq!(first["error_code"], "APIG.1005");
    assert_eq!(first["caller"], "tester");
    assert!(first["duration_ms"].as_f64().is_some(), "{first}");
}
