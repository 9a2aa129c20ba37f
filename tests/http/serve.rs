//! The local server: the same router on a real socket.

use crate::support::router::*;
use std::io::{Read, Write};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_router_on_a_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(apig_import::http::serve_listener(app(), listener));

    let body = multipart(&[file(DOC)]);
    let head = format!(
        "POST /Prod{} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        import_path(),
        form_content_type(),
        body.len()
    );
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(&body).expect("write");
        let mut out = String::new();
        stream.read_to_string(&mut out).expect("read");
        out
    })
    .await
    .expect("client");

    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    let lower = response.to_ascii_lowercase();
    assert!(lower.contains("\r\nx-request-id: "), "{response}");
    assert!(
        response.contains("\"error_code\":\"APIG.1000\""),
        "{response}"
    );
    server.abort();
}
