//! Bytes → the credential parsers: the `SDK-HMAC-SHA256` `Authorization` syntax, the
//! header-only checks that run before the body, the choice of credentials, and the token
//! verifier. Must never panic.
//!
//! Input layout: the first line is the `Authorization` value; the remaining lines are
//! `name: value` headers of the request (e.g. `X-Sdk-Date`, `X-Auth-Token`, signed headers).
#![no_main]

use apig_import::auth::credentials;
use apig_import::auth::signature::{check_headers, parse_authorization, parse_sdk_date, MAX_SKEW};
use apig_import::auth::token::TokenKeys;
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;

fn token_keys() -> &'static TokenKeys {
    static KEYS: OnceLock<TokenKeys> = OnceLock::new();
    KEYS.get_or_init(|| TokenKeys::hmac(b"fuzzing-secret-fuzzing-secret-32").expect("an HMAC key"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let authorization = lines.next().unwrap_or("");
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(authorization) {
        headers.append(http::header::AUTHORIZATION, value);
    }
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            headers.append(name, value);
        }
    }

    let _ = credentials(&headers);
    if let Ok(parsed) = parse_authorization(authorization) {
        // What the parser promises: lower-case signed header names, a 32-byte signature.
        assert!(parsed
            .header_names()
            .all(|n| !n.bytes().any(|b| b.is_ascii_uppercase())));
        assert_eq!(parsed.signature.len(), 32);
        let now = time::OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let _ = check_headers(&parsed, &headers, now, MAX_SKEW);
    }
    if let Some(date) = headers.get("x-sdk-date").and_then(|v| v.to_str().ok()) {
        let _ = parse_sdk_date(date);
    }
    if let Some(token) = headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        let _ = token_keys().verify(token);
    }
    // The value alone as a token too: the verifier reads any string.
    let _ = token_keys().verify(authorization);
});
