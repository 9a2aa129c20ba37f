//! Authentication and authorization of HTTP requests: what every handler calls before
//! touching the body.

use super::body::{read_body, RequestBody};
use super::edge::RequestLog;
use super::{AppState, OriginalUri};
use crate::auth::{self, Authenticator, Caller, SignedRequest};
use crate::error::ApigError;
use crate::model::PathId;
use axum::body::Body;
use axum::http::request::Parts;

/// Authenticate a request (`X-Auth-Token` or an AK/SK signature). Everything the headers
/// decide (the whole token; the signature's syntax, date and key) is checked before a byte
/// of the body is read. Only the comparison of a signature whose payload hash is the
/// body's (no `X-Sdk-Content-Sha256`) reads the body first, within the size limit. A
/// signature is checked against the URI as the client sent it ([`OriginalUri`], stage
/// prefix included).
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
    let check = auth::check_headers(&parts.headers, &with).await?;
    let body = if with.needs_body(&parts.headers) {
        let limit = state.limits.max_body_bytes();
        RequestBody::Read(read_body(body, &parts.headers, limit, state.limits.body_timeout).await?)
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
    let caller = auth::finish(check, &request, &with).await?;
    if let Some(log) = parts.extensions.get::<RequestLog>() {
        log.set_caller(&caller.id);
    }
    Ok((caller, body))
}

/// Authenticate the request and authorize its caller for `action` in `project`: the one
/// check every operation runs first.
pub async fn authorize(
    state: &AppState,
    parts: &Parts,
    body: Body,
    project: &PathId,
    action: &str,
) -> Result<(Caller, RequestBody), ApigError> {
    let (caller, body) = authenticate(state, parts, body).await?;
    caller.authorize(project, action)?;
    Ok((caller, body))
}
