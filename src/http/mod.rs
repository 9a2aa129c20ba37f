//! The HTTP edge: routing, multipart forms, error bodies. The only module that knows about
//! axum and lambda_http.
//!
//! Layers, without cycles: [`edge`] (request id, log line, the ending of every response via
//! [`response`]) → [`router`] → handlers, which take their ids from [`path`], check
//! credentials through [`authn`] (which reads a signed [`body`]) and return
//! `Result<_, ApigError>`. The read operations' logic is in [`crate::read`]; [`read`] here
//! only turns queries into its requests.
//!
//! One [`router`] serves every runtime: [`run_lambda`] under AWS Lambda (API Gateway REST
//! and HTTP APIs, Function URLs, ALB), [`serve`] on a local socket.

pub mod authn;
pub mod body;
pub mod edge;
pub mod export;
pub mod form;
pub mod offload;
pub mod path;
pub mod read;
pub mod response;
pub mod router;
pub mod serve;
pub mod tasks;

pub use edge::OriginalUri;
pub use form::parse_import_form;
pub use path::PathIds;
pub use response::{ErrorResponse, Json, RequestId, REQUEST_ID_HEADER};
pub use router::{router, router_with_tasks, IMPORT_ROUTE};
pub use serve::{serve, serve_listener, serve_listener_with};

use crate::auth::{Signing, TokenKeys};
use crate::config::Limits;
use crate::store::Store;
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub limits: Limits,
    pub keys: Arc<TokenKeys>,
    /// AK/SK signature verification; `None` refuses signatures (no signing secret).
    pub signing: Option<Arc<Signing>>,
}

/// AWS Lambda's limit on the request of a synchronous invocation (the whole event JSON).
pub const LAMBDA_MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;
/// What the rest of an event (headers, request context) may take besides the body.
pub const LAMBDA_EVENT_ENVELOPE_BYTES: usize = 16 * 1024;
/// The largest request body that can reach the function: API Gateway and Function URLs
/// put a multipart body base64-encoded into the event, 4 characters for every 3 bytes.
/// Larger requests are refused by the platform (HTTP 413) before the function runs.
pub const LAMBDA_MAX_BODY_BYTES: usize =
    (LAMBDA_MAX_EVENT_BYTES - LAMBDA_EVENT_ENVELOPE_BYTES) / 4 * 3;
/// The largest document limit that makes sense under Lambda (the body carries the document
/// plus the form's other fields, see [`Limits::max_body_bytes`]): 4,640,768 bytes.
pub const LAMBDA_MAX_DOCUMENT_BYTES: usize = LAMBDA_MAX_BODY_BYTES - 64 * 1024;

/// The limits for a Lambda function: the document limit is lowered to
/// [`LAMBDA_MAX_DOCUMENT_BYTES`] when it is configured higher (the larger documents could
/// never arrive, and the `APIG.3603` message must name the limit that really applies).
/// Returns the configured value when it was lowered.
pub fn lambda_limits(mut limits: Limits) -> (Limits, Option<usize>) {
    if limits.max_document_bytes > LAMBDA_MAX_DOCUMENT_BYTES {
        let configured = limits.max_document_bytes;
        limits.max_document_bytes = LAMBDA_MAX_DOCUMENT_BYTES;
        (limits, Some(configured))
    } else {
        (limits, None)
    }
}

/// Is this process running as a Lambda function (the runtime API is set)?
pub fn running_in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Serve the router as a Lambda function until the runtime stops it.
pub async fn run_lambda(router: axum::Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_payload_limits() {
        assert_eq!(LAMBDA_MAX_BODY_BYTES, 4_706_304);
        assert_eq!(LAMBDA_MAX_DOCUMENT_BYTES, 4_640_768);
        // The body limit of the largest document is exactly what Lambda can deliver, and its
        // base64 form leaves the envelope allowance free.
        let (limits, lowered) = lambda_limits(Limits::default());
        assert_eq!(lowered, Some(10 * 1024 * 1024));
        assert_eq!(limits.max_body_bytes(), LAMBDA_MAX_BODY_BYTES);
        assert!(
            LAMBDA_MAX_BODY_BYTES.div_ceil(3) * 4 + LAMBDA_EVENT_ENVELOPE_BYTES
                <= LAMBDA_MAX_EVENT_BYTES
        );
        let small = Limits {
            max_document_bytes: 4 * 1024 * 1024,
            ..Limits::default()
        };
        assert_eq!(lambda_limits(small.clone()), (small, None));
    }
}
