//! AK/SK request signatures, `SDK-HMAC-SHA256`, as the official SDKs compute them
//! (`signing.md`).
//!
//! One canonical-request builder serves both sides: [`sign`] (clients, tests) and
//! [`verify`] / [`check`] + [`matches`] (the server). Everything here is pure: the clock is
//! a parameter, the secret key is given by the caller (see `access_key` for where it
//! comes from, and for the lockout around verification).
//!
//! Decisions where `signing.md` is silent:
//! * The query is decoded as `application/x-www-form-urlencoded` (`+` is a space) before it
//!   is re-encoded, since the SDKs' HTTP clients encode spaces as `+` while the canonical
//!   form is computed from the unencoded values. The path is decoded strictly (`+` stays).
//! * A header sent several times is signed as its values joined with `,`.
//! * Invalid UTF-8 after percent-decoding becomes U+FFFD, as Python's `unquote` does.

use super::AuthError;
use crate::model::is_valid_access_key;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::time::Duration;
use time::{Date, Month, OffsetDateTime, Time};

/// The algorithm, first word of the `Authorization` header and of the string to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The signing time, `YYYYMMDDTHHMMSSZ`.
pub const DATE_HEADER: &str = "x-sdk-date";
/// When present, its value stands for the payload hash (the body is not hashed).
pub const CONTENT_SHA256_HEADER: &str = "x-sdk-content-sha256";
/// The value of [`CONTENT_SHA256_HEADER`] the SDKs send for multipart bodies.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// How far `X-Sdk-Date` may be from the server clock, either way.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// At most this many names in `SignedHeaders`.
pub const MAX_SIGNED_HEADERS: usize = 64;

/// Characters kept as they are when encoding: RFC 3986 unreserved.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

type HmacSha256 = Hmac<Sha256>;

/// The parts of a request that a signature covers, as received.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method (upper-cased for signing).
    pub method: &'a str,
    /// The path as the client sent it, percent-encoded, stage prefix included.
    pub path: &'a str,
    /// The raw query, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The body, when it was read; hashed only when [`CONTENT_SHA256_HEADER`] is absent
    /// (`None` then stands for an empty body).
    pub body: Option<&'a [u8]>,
}

/// A parsed `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// As sent, e.g. `content-type;host;x-sdk-date`.
    pub signed_headers: String,
    /// The 32 bytes of the hex `Signature`.
    pub signature: Vec<u8>,
}

impl Authorization {
    /// The names of `SignedHeaders`.
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';')
    }
}

/// Parse an `Authorization` header value: the algorithm, then comma-separated `key=value`
/// pairs (`Access`, `SignedHeaders`, `Signature`, each once) with optional spaces.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let value = value.trim();
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));
    if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
        let printable = algorithm.len() <= 32
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        return Err(if printable {
            AuthError::SignatureAlgorithm(algorithm.to_string())
        } else {
            AuthError::SignatureMalformed("the algorithm is not readable")
        });
    }
    let (mut access, mut signed, mut signature) = (None, None, None);
    for pair in rest.split(',') {
        let (key, value) = pair.split_once('=').ok_or(AuthError::SignatureMalformed(
            "expected Access=..., SignedHeaders=..., Signature=...",
        ))?;
        let slot = match key.trim() {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(AuthError::SignatureMalformed(
                    "only Access, SignedHeaders and Signature may appear",
                ))
            }
        };
        if slot.replace(value.trim()).is_some() {
            return Err(AuthError::SignatureMalformed(
                "Access, SignedHeaders and Signature may appear only once",
            ));
        }
    }
    let access = access.ok_or(AuthError::SignatureMalformed("Access is missing"))?;
    let signed = signed.ok_or(AuthError::SignatureMalformed("SignedHeaders is missing"))?;
    let signature = signature.ok_or(AuthError::SignatureMalformed("Signature is missing"))?;
    if !is_valid_access_key(access) {
        return Err(AuthError::SignatureMalformed(
            "Access must be 1 to 128 letters and digits",
        ));
    }
    let names: Vec<&str> = signed.split(';').collect();
    let names_ok = names.len() <= MAX_SIGNED_HEADERS
        && names.iter().all(|name| {
            !name.is_empty()
                && HeaderName::from_bytes(name.as_bytes()).is_ok()
                && !name.bytes().any(|b| b.is_ascii_uppercase())
        });
    if !names_ok {
        return Err(AuthError::SignatureMalformed(
            "SignedHeaders must be lower-case header names separated by ;",
        ));
    }
    let signature = hex::decode(signature)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .ok_or(AuthError::SignatureMalformed(
            "Signature must be 64 hex digits",
        ))?;
    Ok(Authorization {
        access_key: access.to_string(),
        signed_headers: signed.to_string(),
        signature,
    })
}

/// `YYYYMMDDTHHMMSSZ` (UTC) as an instant.
pub fn parse_sdk_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let day = u8::try_from(num(6..8)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms(
        u8::try_from(num(9..11)?).ok()?,
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(13..15)?).ok()?,
    )
    .ok()?;
    Some(date.with_time(time).assume_utc())
}

/// An instant as `YYYYMMDDTHHMMSSZ` (UTC).
pub fn format_sdk_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The value of a header as signed: every value of the name, joined with `,`, trimmed.
fn header_value(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let mut out = first.as_bytes().to_vec();
    for more in values {
        out.push(b',');
        out.extend_from_slice(more.as_bytes());
    }
    Some(out.trim_ascii().to_vec())
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// The canonical URI: decode, split on `/`, encode each segment, join, end with `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode(path.as_bytes()).decode_utf8_lossy();
    let mut out = decoded.split('/').map(encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query: pairs decoded, sorted by key then value, encoded, joined with `&`.
pub fn canonical_query(query: Option<&str>) -> String {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode(spaced.as_bytes())
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or("")
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The payload hash: `X-Sdk-Content-Sha256` when sent, else the hex SHA-256 of the body.
fn payload_hash(request: &SignedRequest<'_>) -> Vec<u8> {
    match request.headers.get(CONTENT_SHA256_HEADER) {
        Some(value) => value.as_bytes().to_vec(),
        None => hex::encode(Sha256::digest(request.body.unwrap_or_default())).into_bytes(),
    }
}

/// The canonical request (`signing.md` step 3).
pub fn canonical_request(
    request: &SignedRequest<'_>,
    signed_headers: &str,
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(request.method.to_ascii_uppercase().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(request.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query(request.query).as_bytes());
    out.push(b'\n');
    for name in signed_headers.split(';') {
        let value = header_value(request.headers, name)
            .ok_or_else(|| AuthError::SignedHeaderMissing(name.to_string()))?;
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&payload_hash(request));
    Ok(out)
}

/// The `X-Sdk-Date` value of the request.
fn sdk_date(headers: &HeaderMap) -> Result<&str, AuthError> {
    let mut values = headers.get_all(DATE_HEADER).iter();
    let value = values.next().ok_or(AuthError::MissingDate)?;
    if values.next().is_some() {
        return Err(AuthError::BadDate);
    }
    value
        .to_str()
        .map(str::trim)
        .map_err(|_| AuthError::BadDate)
}

/// The string to sign (`signing.md` step 4), dated by the request's `X-Sdk-Date`.
pub fn string_to_sign(
    request: &SignedRequest<'_>,
    signed_headers: &str,
) -> Result<Vec<u8>, AuthError> {
    let date = sdk_date(request.headers)?;
    let canonical = canonical_request(request, signed_headers)?;
    let mut out = format!("{ALGORITHM}\n{date}\n").into_bytes();
    out.extend_from_slice(hex::encode(Sha256::digest(&canonical)).as_bytes());
    Ok(out)
}

fn mac(secret_key: &[u8], string_to_sign: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret_key).ok()?;
    mac.update(string_to_sign);
    Some(mac)
}

/// The lower-case hex signature of `request` over `signed_headers` (`;`-separated, lower
/// case) with `secret_key`. The request must carry `X-Sdk-Date`.
pub fn sign(
    secret_key: &[u8],
    request: &SignedRequest<'_>,
    signed_headers: &str,
) -> Result<String, AuthError> {
    let sts = string_to_sign(request, signed_headers)?;
    let mac = mac(secret_key, &sts).ok_or(AuthError::SignatureMismatch)?;
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Check what the headers alone decide, before a byte of the body is read: `X-Sdk-Date`
/// within `max_skew` of `now`, every signed header present, and at most one
/// `X-Sdk-Content-Sha256` (two would leave the payload hash to whichever one a proxy keeps).
pub fn check_headers(
    authorization: &Authorization,
    headers: &HeaderMap,
    now: OffsetDateTime,
    max_skew: Duration,
) -> Result<(), AuthError> {
    let date = parse_sdk_date(sdk_date(headers)?).ok_or(AuthError::BadDate)?;
    if (date - now).unsigned_abs() > max_skew {
        return Err(AuthError::DateSkew);
    }
    if headers
        .get_all(CONTENT_SHA256_HEADER)
        .iter()
        .nth(1)
        .is_some()
    {
        return Err(AuthError::SignatureMalformed(
            "X-Sdk-Content-Sha256 may appear only once",
        ));
    }
    match authorization
        .header_names()
        .find(|name| !headers.contains_key(*name))
    {
        Some(missing) => Err(AuthError::SignedHeaderMissing(missing.to_string())),
        None => Ok(()),
    }
}

/// Check everything but the signature itself ([`check_headers`]). Returns the string to
/// sign.
pub fn check(
    authorization: &Authorization,
    request: &SignedRequest<'_>,
    now: OffsetDateTime,
    max_skew: Duration,
) -> Result<Vec<u8>, AuthError> {
    check_headers(authorization, request.headers, now, max_skew)?;
    string_to_sign(request, &authorization.signed_headers)
}

/// Does `signature` sign `string_to_sign` with `secret_key`? Constant-time comparison.
pub fn matches(secret_key: &[u8], string_to_sign: &[u8], signature: &[u8]) -> bool {
    mac(secret_key, string_to_sign).is_some_and(|mac| mac.verify_slice(signature).is_ok())
}

/// Verify a request's signature with `secret_key` at `now` ([`check`], then [`matches`]).
pub fn verify(
    authorization: &Authorization,
    secret_key: &[u8],
    request: &SignedRequest<'_>,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    let sts = check(authorization, request, now, MAX_SKEW)?;
    if matches(secret_key, &sts, &authorization.signature) {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch)
    }
}

/// Sign a request as the SDKs do (for clients and tests): add `X-Sdk-Date` (from `now`)
/// unless present, sign every header present, and set `Authorization`. `path_and_query` is
/// what goes on the request line (stage prefix included).
pub fn sign_request(
    access_key: &str,
    secret_key: &[u8],
    method: &str,
    path_and_query: &str,
    headers: &mut HeaderMap,
    body: Option<&[u8]>,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    if !headers.contains_key(DATE_HEADER) {
        let date = HeaderValue::from_str(&format_sdk_date(now)).map_err(|_| AuthError::BadDate)?;
        headers.insert(DATE_HEADER, date);
    }
    headers.remove(header::AUTHORIZATION);
    let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let signed_headers = names.join(";");
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let request = SignedRequest {
        method,
        path,
        query,
        headers,
        body,
    };
    let signature = sign(secret_key, &request, &signed_headers)?;
    let value = format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={signed_headers}, Signature={signature}"
    );
    let value = HeaderValue::from_str(&value)
        .map_err(|_| AuthError::SignatureMalformed("Access is not a valid header value"))?;
    headers.insert(header::AUTHORIZATION, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const SK: &[u8] = b"SKEXAMPLEsecret456";
    const VECTOR_NOW: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_str(value).expect("value"),
            );
        }
        h
    }

    const A_PATH: &str = "/v2/0123456789abcdef0123456789abcdef/apigw/instances/eddc4d25480b4cd6b512f270a1b8b341/openapi/import";
    const A_SIGNED: &str =
        "content-type;host;user-agent;x-project-id;x-sdk-content-sha256;x-sdk-date";
    const A_SIGNATURE: &str = "170e32f46b45ec1a9011a574dd0c791e7ced464dafdbb35967a5419c5f86a936";

    fn a_headers() -> HeaderMap {
        headers(&[
            ("content-type", "multipart/form-data; boundary=b0undary"),
            ("user-agent", "huaweicloud-usdk-python/3.0"),
            ("x-project-id", "0123456789abcdef0123456789abcdef"),
            ("x-sdk-date", "20240101T000000Z"),
            ("x-sdk-content-sha256", "UNSIGNED-PAYLOAD"),
            ("host", "apig.cn-north-4.myhuaweicloud.com"),
        ])
    }

    fn a_request(h: &HeaderMap) -> SignedRequest<'_> {
        SignedRequest {
            method: "POST",
            path: A_PATH,
            query: None,
            headers: h,
            body: None,
        }
    }

    fn a_authorization() -> Authorization {
        parse_authorization(&format!(
            "SDK-HMAC-SHA256 Access=AKEXAMPLE123, SignedHeaders={A_SIGNED}, Signature={A_SIGNATURE}"
        ))
        .expect("parse")
    }

    const B_PATH: &str = "/v2/p/apigw/instances/i/apis";
    const B_QUERY: &str = "group_id=g1&limit=20&name=a%20b";
    const B_SIGNED: &str = "content-type;host;x-sdk-date";
    const B_SIGNATURE: &str = "d232fd9858ea0248f670a9877831788a0cd7a41b8e2aeeadc00b696326783f0d";

    fn b_headers() -> HeaderMap {
        headers(&[
            ("content-type", "application/json"),
            ("x-sdk-date", "20240101T000000Z"),
            ("host", "apig.cn-north-4.myhuaweicloud.com"),
        ])
    }

    fn b_request(h: &HeaderMap) -> SignedRequest<'_> {
        SignedRequest {
            method: "GET",
            path: B_PATH,
            query: Some(B_QUERY),
            headers: h,
            body: Some(b""),
        }
    }

    fn b_authorization() -> Authorization {
        parse_authorization(&format!(
            "SDK-HMAC-SHA256 Access=AKEXAMPLE123,SignedHeaders={B_SIGNED},Signature={B_SIGNATURE}"
        ))
        .expect("parse")
    }

    #[test]
    fn vector_a_import() {
        let h = a_headers();
        assert_eq!(
            sign(SK, &a_request(&h), A_SIGNED).expect("sign"),
            A_SIGNATURE
        );
        let auth = a_authorization();
        assert_eq!(auth.access_key, "AKEXAMPLE123");
        assert_eq!(verify(&auth, SK, &a_request(&h), VECTOR_NOW), Ok(()));
    }

    #[test]
    fn vector_b_query() {
        let h = b_headers();
        assert_eq!(
            sign(SK, &b_request(&h), B_SIGNED).expect("sign"),
            B_SIGNATURE
        );
        assert_eq!(
            verify(&b_authorization(), SK, &b_request(&h), VECTOR_NOW),
            Ok(())
        );
        // No body at all hashes like an empty one.
        let no_body = SignedRequest {
            body: None,
            ..b_request(&h)
        };
        assert_eq!(verify(&b_authorization(), SK, &no_body, VECTOR_NOW), Ok(()));
        // The same pairs in another order, `+` for the space, other escapes: same signature.
        for query in [
            "name=a+b&limit=20&group_id=g1",
            "limit=20&name=a%20b&group_id=%67%31",
        ] {
            let reordered = SignedRequest {
                query: Some(query),
                ..b_request(&h)
            };
            assert_eq!(
                verify(&b_authorization(), SK, &reordered, VECTOR_NOW),
                Ok(()),
                "{query}"
            );
        }
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_uri("/v2/p/x"), "/v2/p/x/");
        assert_eq!(canonical_uri("/v2/p/x/"), "/v2/p/x/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a%20b/c+d/%7Ee"), "/a%20b/c%2Bd/~e/");
        assert_eq!(canonical_uri("/a b/é"), "/a%20b/%C3%A9/");
        assert_eq!(canonical_uri("/a%2Fb"), "/a/b/");
        assert_eq!(canonical_query(None), "");
        assert_eq!(canonical_query(Some("")), "");
        assert_eq!(canonical_query(Some("b=2&a=2&a=1&c")), "a=1&a=2&b=2&c=");
        assert_eq!(canonical_query(Some("k=%2B&&x=a*b")), "k=%2B&x=a%2Ab");
    }

    #[test]
    fn content_type_may_be_left_out() {
        // Some Go SDK versions do not sign content-type: the verifier follows SignedHeaders.
        let h = b_headers();
        let signed = "host;x-sdk-date";
        let signature = sign(SK, &b_request(&h), signed).expect("sign");
        let auth = parse_authorization(&format!(
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders={signed}, Signature={signature}"
        ))
        .expect("parse");
        assert_eq!(verify(&auth, SK, &b_request(&h), VECTOR_NOW), Ok(()));
        // ... and then content-type may change.
        let mut changed = h.clone();
        changed.insert("content-type", HeaderValue::from_static("text/plain"));
        assert_eq!(verify(&auth, SK, &b_request(&changed), VECTOR_NOW), Ok(()));
    }

    #[test]
    fn header_values_are_trimmed() {
        let h = a_headers();
        let mut padded = h.clone();
        padded.insert(
            "user-agent",
            HeaderValue::from_static("  huaweicloud-usdk-python/3.0\t"),
        );
        assert_eq!(
            verify(&a_authorization(), SK, &a_request(&padded), VECTOR_NOW),
            Ok(())
        );
    }

    #[test]
    fn body_hash_when_not_unsigned() {
        let mut h = b_headers();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let req = SignedRequest {
            method: "POST",
            body: Some(br#"{"a":1}"#),
            ..b_request(&h)
        };
        let signature = sign(SK, &req, B_SIGNED).expect("sign");
        let auth = parse_authorization(&format!(
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders={B_SIGNED}, Signature={signature}"
        ))
        .expect("parse");
        assert_eq!(verify(&auth, SK, &req, VECTOR_NOW), Ok(()));
        let tampered = SignedRequest {
            body: Some(br#"{"a":2}"#),
            ..req
        };
        assert_eq!(
            verify(&auth, SK, &tampered, VECTOR_NOW),
            Err(AuthError::SignatureMismatch)
        );
        // The same digest in X-Sdk-Content-Sha256 stands for the body.
        let mut declared = h.clone();
        declared.insert(
            CONTENT_SHA256_HEADER,
            HeaderValue::from_str(&hex::encode(Sha256::digest(br#"{"a":1}"#))).expect("value"),
        );
        let declared_req = SignedRequest {
            headers: &declared,
            body: None,
            ..req
        };
        assert_eq!(verify(&auth, SK, &declared_req, VECTOR_NOW), Ok(()));
    }

    #[test]
    fn malformed_headers() {
        let s = "ab".repeat(32);
        let cases = [
            "SDK-HMAC-SHA256".to_string(),
            "SDK-HMAC-SHA256 ".to_string(),
            "SDK-HMAC-SHA256 Access=AK1".to_string(),
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host".to_string(),
            format!("SDK-HMAC-SHA256 SignedHeaders=host, Signature={s}"),
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=00".to_string(),
            format!("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature={s}00"),
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=zz".to_string(),
            format!("SDK-HMAC-SHA256 Access=AK1, Access=AK1, SignedHeaders=host, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=AK1, Region=x, SignedHeaders=host, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=A-K, SignedHeaders=host, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=, SignedHeaders=host, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=Host, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;;x, Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=AK1 SignedHeaders=host Signature={s}"),
            format!("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature={s},"),
            "x\u{1F600} Access=AK1".to_string(),
        ];
        for case in cases {
            let got = parse_authorization(&case);
            assert!(
                matches!(got, Err(AuthError::SignatureMalformed(_))),
                "{case}: {got:?}"
            );
        }
        assert_eq!(
            parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00"),
            Err(AuthError::SignatureMalformed(
                "Signature must be 64 hex digits"
            ))
        );
        // Spaces are optional; the algorithm's case is not significant.
        let ok = format!(
            "sdk-hmac-sha256   Access = AK1 ,SignedHeaders=host;x-sdk-date,  Signature={}",
            "AB".repeat(32)
        );
        assert_eq!(
            parse_authorization(&ok).expect("parse").signed_headers,
            "host;x-sdk-date"
        );
    }

    #[test]
    fn unknown_algorithm() {
        assert_eq!(
            parse_authorization("SDK-HMAC-SM3 Access=AK, SignedHeaders=host, Signature=00"),
            Err(AuthError::SignatureAlgorithm("SDK-HMAC-SM3".into()))
        );
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_sdk_date("20240101T000000Z"),
            Some(datetime!(2024-01-01 00:00:00 UTC))
        );
        assert_eq!(
            parse_sdk_date("20241231T235959Z"),
            Some(datetime!(2024-12-31 23:59:59 UTC))
        );
        for bad in [
            "",
            "20240101T000000",
            "20240101 000000Z",
            "2024-01-01T00:00:00Z",
            "20241301T000000Z",
            "20240230T000000Z",
            "20240101T240000Z",
            "2024010AT000000Z",
            "+2024101T000000Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad}");
        }
        let t = datetime!(2024-02-29 13:04:05.9 UTC);
        assert_eq!(format_sdk_date(t), "20240229T130405Z");
        assert_eq!(
            format_sdk_date(datetime!(2024-01-01 08:00:00 +8)),
            "20240101T000000Z"
        );
    }

    #[test]
    fn date_failures_and_skew() {
        let auth = a_authorization();
        let mut h = a_headers();
        let at = |h: &HeaderMap, now| verify(&auth, SK, &a_request(h), now);
        // Exactly 15 minutes either way is accepted (the signature is still checked).
        assert_eq!(at(&h, datetime!(2024-01-01 00:15:00 UTC)), Ok(()));
        assert_eq!(at(&h, datetime!(2023-12-31 23:45:00 UTC)), Ok(()));
        assert_eq!(
            at(&h, datetime!(2024-01-01 00:15:01 UTC)),
            Err(AuthError::DateSkew)
        );
        assert_eq!(
            at(&h, datetime!(2023-12-31 23:44:59 UTC)),
            Err(AuthError::DateSkew)
        );
        h.insert(
            DATE_HEADER,
            HeaderValue::from_static("2024-01-01T00:00:00Z"),
        );
        assert_eq!(at(&h, VECTOR_NOW), Err(AuthError::BadDate));
        h.append(DATE_HEADER, HeaderValue::from_static("20240101T000000Z"));
        assert_eq!(at(&h, VECTOR_NOW), Err(AuthError::BadDate));
        h.remove(DATE_HEADER);
        assert_eq!(at(&h, VECTOR_NOW), Err(AuthError::MissingDate));
    }

    #[test]
    fn signed_header_missing() {
        let mut h = a_headers();
        h.remove("user-agent");
        assert_eq!(
            verify(&a_authorization(), SK, &a_request(&h), VECTOR_NOW),
            Err(AuthError::SignedHeaderMissing("user-agent".into()))
        );
    }

    #[test]
    fn tampering_and_wrong_key() {
        let auth = a_authorization();
        let h = a_headers();
        let mismatch = |req: SignedRequest<'_>, sk: &[u8]| {
            assert_eq!(
                verify(&auth, sk, &req, VECTOR_NOW),
                Err(AuthError::SignatureMismatch),
                "{req:?}"
            );
        };
        mismatch(a_request(&h), b"SKEXAMPLEsecret457");
        mismatch(a_request(&h), b"");
        let other_path = A_PATH.replace("0123456789abcdef0123456789abcdef", "0123456789abcdef");
        mismatch(
            SignedRequest {
                path: &other_path,
                ..a_request(&h)
            },
            SK,
        );
        mismatch(
            SignedRequest {
                path: &format!("/Prod{A_PATH}"),
                ..a_request(&h)
            },
            SK,
        );
        mismatch(
            SignedRequest {
                query: Some("x=1"),
                ..a_request(&h)
            },
            SK,
        );
        mismatch(
            SignedRequest {
                method: "PUT",
                ..a_request(&h)
            },
            SK,
        );
        for (name, value) in [
            ("host", "evil.example.com"),
            ("x-project-id", "ffffffffffffffffffffffffffffffff"),
            ("x-sdk-date", "20240101T000001Z"),
            (
                "x-sdk-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        ] {
            let mut tampered = h.clone();
            tampered.insert(name, HeaderValue::from_static(value));
            mismatch(a_request(&tampered), SK);
        }
        // Tampered query of vector B.
        let hb = b_headers();
        let b = b_authorization();
        for query in [
            "group_id=g1&limit=21&name=a%20b",
            "group_id=g1&limit=20&name=a%20b&x=1",
        ] {
            let req = SignedRequest {
                query: Some(query),
                ..b_request(&hb)
            };
            assert_eq!(
                verify(&b, SK, &req, VECTOR_NOW),
                Err(AuthError::SignatureMismatch)
            );
        }
        // A different signature of the right length.
        let mut forged = auth.clone();
        forged.signature[0] ^= 1;
        assert_eq!(
            verify(&forged, SK, &a_request(&h), VECTOR_NOW),
            Err(AuthError::SignatureMismatch)
        );
    }

    #[test]
    fn messages_never_carry_the_expected_signature() {
        let h = a_headers();
        let expected = sign(b"other", &a_request(&h), A_SIGNED).expect("sign");
        let err =
            verify(&a_authorization(), b"other", &a_request(&h), VECTOR_NOW).expect_err("mismatch");
        let message = crate::error::ApigError::from(err).message;
        assert!(!message.contains(&expected), "{message}");
        assert!(!message.contains(A_SIGNATURE), "{message}");
    }

    #[test]
    fn sign_request_round_trip() {
        let mut h = headers(&[
            ("host", "localhost:8080"),
            ("content-type", "application/json"),
        ]);
        let now = datetime!(2025-06-01 12:00:00 UTC);
        sign_request(
            "AK1",
            SK,
            "get",
            "/Prod/v2/p/x?b=2&a=1",
            &mut h,
            Some(b""),
            now,
        )
        .expect("sign");
        let value = h
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .expect("authorization");
        let auth = parse_authorization(value).expect("parse");
        assert_eq!(auth.signed_headers, "content-type;host;x-sdk-date");
        let req = SignedRequest {
            method: "GET",
            path: "/Prod/v2/p/x",
            query: Some("a=1&b=2"),
            headers: &h,
            body: None,
        };
        assert_eq!(verify(&auth, SK, &req, now), Ok(()));
    }

    #[test]
    fn headers_are_checked_without_the_body() {
        let auth = parse_authorization(&format!(
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature={}",
            "0".repeat(64)
        ))
        .expect("parse");
        let now = VECTOR_NOW;
        let good = headers(&[("host", "h"), ("x-sdk-date", "20240101T000000Z")]);
        assert_eq!(check_headers(&auth, &good, now, MAX_SKEW), Ok(()));
        let missing = headers(&[("x-sdk-date", "20240101T000000Z")]);
        assert_eq!(
            check_headers(&auth, &missing, now, MAX_SKEW),
            Err(AuthError::SignedHeaderMissing("host".into()))
        );
        let stale = headers(&[("host", "h"), ("x-sdk-date", "20231231T234400Z")]);
        assert_eq!(
            check_headers(&auth, &stale, now, MAX_SKEW),
            Err(AuthError::DateSkew)
        );
        let twice = headers(&[
            ("host", "h"),
            ("x-sdk-date", "20240101T000000Z"),
            ("x-sdk-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-sdk-content-sha256", "abc"),
        ]);
        assert!(matches!(
            check_headers(&auth, &twice, now, MAX_SKEW),
            Err(AuthError::SignatureMalformed(_))
        ));
    }
}
