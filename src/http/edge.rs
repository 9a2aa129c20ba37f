//! The middleware in front of routing: request id, base-path stripping, panic safety net,
//! `X-Request-Id` on every response, and one log line per request.
//!
//! The log line (JSON under Lambda) carries the request id (the Lambda invocation's, the one
//! in `X-Request-Id`), the gateway's own request id when there is one, the caller, the
//! project and instance of the path, and for imports the group, the counts and the result.
//! Never a header value, a query string, a token, a signature or a byte of the document.

use super::response::{finish, ErrorCode, RequestId};
use crate::error::ApigError;
use crate::model::PathId;
use axum::extract::Request;
use axum::http::uri::{PathAndQuery, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The request URI exactly as received, before a stage or base path was stripped (AK/SK
/// signatures are computed over it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalUri(pub Uri);

/// What an import did, for the request log: the import handler puts it into the response's
/// extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub group_id: String,
    pub success: usize,
    pub failure: usize,
    pub ignore: usize,
    /// `Success`, `Partial` or `Failure`.
    pub result: &'static str,
}

impl ImportSummary {
    pub fn of(response: &crate::import::ImportResponse) -> Self {
        ImportSummary {
            group_id: response.group_id.clone(),
            success: response.success.len(),
            failure: response.failure.len(),
            ignore: response.ignore.len(),
            result: response.result.as_str(),
        }
    }
}

/// What the handling of a request learns that its log line reports: the project and
/// instance once the path's ids were checked, the caller once authenticated (also when the
/// request is refused afterwards). The edge puts an empty one into the request's
/// extensions; the path extractor and authentication fill it in.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<LogFields>>);

#[derive(Debug, Default)]
struct LogFields {
    caller: String,
    project: String,
    instance: String,
}

impl RequestLog {
    pub fn set_caller(&self, caller: &str) {
        if let Ok(mut fields) = self.0.lock() {
            fields.caller = caller.to_string();
        }
    }

    /// The project and instance of the path, each when it is a well-formed id.
    pub fn set_scope(&self, project: Option<PathId>, instance: Option<PathId>) {
        if let Ok(mut fields) = self.0.lock() {
            fields.project = project.map(|p| p.as_str().to_string()).unwrap_or_default();
            fields.instance = instance.map(|i| i.as_str().to_string()).unwrap_or_default();
        }
    }

    fn take(&self) -> LogFields {
        self.0
            .lock()
            .map(|mut fields| std::mem::take(&mut *fields))
            .unwrap_or_default()
    }
}

/// The API's paths all start with this segment.
const API_ROOT: &str = "/v2/";

/// The path with everything before the first `/v2/` segment removed: `/Prod/v2/x` →
/// `/v2/x`, `/base/path/v2/x` → `/v2/x`. `None` when there is nothing to strip.
pub fn strip_base_path(path: &str) -> Option<&str> {
    if path.starts_with(API_ROOT) {
        return None;
    }
    path.find(API_ROOT).map(|at| &path[at..])
}

fn rewrite(uri: &Uri) -> Option<Uri> {
    let tail = strip_base_path(uri.path())?;
    let path_and_query = match uri.query() {
        Some(q) => format!("{tail}?{q}"),
        None => tail.to_string(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}

/// An id usable in a header and a log line.
fn usable_id(id: &str) -> Option<RequestId> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:=+/".contains(&b));
    ok.then(|| RequestId(id.to_string()))
}

/// The request id API Gateway gave the request (its `requestContext.requestId`), when the
/// event came through a gateway or a Function URL; logged next to the Lambda request id so
/// that gateway access logs and function logs can be joined.
pub fn gateway_request_id_of(request: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    #[allow(unreachable_patterns)]
    request
        .request_context_ref()
        .and_then(|ctx| match ctx {
            RequestContext::ApiGatewayV1(c) => c.request_id.as_deref().and_then(usable_id),
            RequestContext::ApiGatewayV2(c) => c.request_id.as_deref().and_then(usable_id),
            _ => None,
        })
        .map(|id| id.0)
}

/// The Lambda request id when running under lambda_http (the invocation's context, else the
/// API Gateway request context), else a fresh UUID.
pub fn request_id_of(request: &Request) -> RequestId {
    use lambda_http::RequestExt;
    if let Some(id) = request
        .lambda_context_ref()
        .and_then(|ctx| usable_id(&ctx.request_id))
    {
        return id;
    }
    gateway_request_id_of(request)
        .map(RequestId)
        .unwrap_or_else(RequestId::generate)
}

/// The edge middleware (see the module doc).
pub async fn edge(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id_of(&request);
    let gateway_request_id = gateway_request_id_of(&request).unwrap_or_default();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    request.extensions_mut().insert(request_id.clone());
    let log = RequestLog::default();
    request.extensions_mut().insert(log.clone());
    let original = OriginalUri(request.uri().clone());
    request.extensions_mut().insert(original);
    if let Some(uri) = rewrite(request.uri()) {
        *request.uri_mut() = uri;
    }

    let response = match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(
                target: "apig_import::http",
                request_id = %request_id,
                panic = %detail,
                "handler panicked"
            );
            ApigError::internal().into_response()
        }
    };
    let response = finish(response, &request_id);

    let status = response.status().as_u16();
    let LogFields {
        caller,
        project,
        instance,
    } = log.take();
    let (caller, project, instance) = (caller.as_str(), project.as_str(), instance.as_str());
    let error_code = response
        .extensions()
        .get::<ErrorCode>()
        .map(|c| c.0.as_str())
        .unwrap_or("");
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match response.extensions().get::<ImportSummary>() {
        Some(import) => tracing::info!(
            target: "apig_import::http",
            request_id = %request_id,
            gateway_request_id,
            method = %method,
            path = %path,
            status,
            caller,
            project,
            instance,
            group = import.group_id.as_str(),
            apis_success = import.success,
            apis_failure = import.failure,
            apis_ignored = import.ignore,
            outcome = import.result,
            duration_ms,
            "request"
        ),
        None => tracing::info!(
            target: "apig_import::http",
            request_id = %request_id,
            gateway_request_id,
            method = %method,
            path = %path,
            status,
            error_code,
            caller,
            project,
            instance,
            outcome = if error_code.is_empty() { "ok" } else { "error" },
            duration_ms,
            "request"
        ),
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        assert_eq!(strip_base_path("/v2/p/x"), None);
        assert_eq!(strip_base_path("/Prod/v2/p/x"), Some("/v2/p/x"));
        assert_eq!(strip_base_path("/base/path/v2/p/x"), Some("/v2/p/x"));
        assert_eq!(strip_base_path("/Prod/v2x/v2/p"), Some("/v2/p"));
        assert_eq!(strip_base_path("/other"), None);
        assert_eq!(strip_base_path("/Prod/v2"), None);
        let uri: Uri = "https://h.example/Prod/v2/p?x=1".parse().expect("uri");
        assert_eq!(
            rewrite(&uri).map(|u| u.to_string()),
            Some("https://h.example/v2/p?x=1".to_string())
        );
    }

    #[test]
    fn ids() {
        assert!(usable_id("c6af9ac6-7b61-11e6-9a41-93e8deadbeef").is_some());
        assert!(usable_id("").is_none());
        assert!(usable_id("a\nb").is_none());
        assert!(usable_id(&"a".repeat(129)).is_none());
    }
}
