//! Bytes → the import form decoder (`http::form::parse_import_form`: multer, then each
//! part's `Content-Disposition`, then the options). Must never panic.
//!
//! Input layout: the first line is the boundary (or, when it starts with `multipart/`,
//! the whole `Content-Type`); the rest is the body.
#![no_main]

use apig_import::config::Limits;
use apig_import::http::form::parse_import_form;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let head = head.trim_end_matches('\r');
    let content_type = if head.starts_with("multipart/") {
        head.to_string()
    } else {
        format!("multipart/form-data; boundary={head}")
    };
    let limits = Limits::default();
    let body = Bytes::copy_from_slice(body);
    let _ = runtime().block_on(parse_import_form(Some(&content_type), body, &limits));
});
