//! Authentication of HTTP requests: what every handler calls before touching the body.

use super::router::read_body;
use super::{AppState, OriginalUri};
use crate::auth::{self, Authenticator, Caller, SignedRequest};
use crate::error::ApigError;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use bytes::Bytes;

/// The body of an authenticated request: still unread, unless a signature covered it.
pub enum RequestBody {
    Unread(Body),
    Read(Bytes),
}

impl RequestBody {
    /// The whole body, at most `limit` bytes (read now if it was not yet).
    pub async fn bytes(self, headers: &HeaderMap, limit: usize) -> Result<Bytes, ApigError> {
        match self {
            RequestBody::Unread(body) => read_body(body, headers, limit).await,
            RequestBody::Read(bytes) => Ok(bytes),
        }
    }
}

/// Authenticate a request (`X-Auth-Token` or an AK/SK signature). A signature is checked
/// against the URI as the client sent it ([`OriginalUri`], stage prefix included), and
/// against the body only when it has no `X-Sdk-Content-Sha256` header: then the body is
/// read first, within the size limit. Otherwise nothing of the body is read.
pub async fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: Body,
) -> Result<(Caller, RequestBody), ApigError> {
    let with = Authenticator {
        keys: &state.keys,
        signing: state.signing.as_deref(),
        store: &*state.store,
    };
    let body = if with.needs_body(&parts.headers) {
        let limit = state.limits.max_body_bytes();
        RequestBody::Read(read_body(body, &parts.headers, limit).await?)
    } else {
        RequestBody::Unread(body)
    };
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let request = SignedRequest {
        method: parts.method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers: &parts.headers,
        body: match &body {
            RequestBody::Read(bytes) => Some(bytes),
            RequestBody::Unread(_) => None,
        },
    };
    let caller = auth::authenticate(&request, &with).await?;
    Ok((caller, body))
}
