//! The HTTP edge: routing, multipart forms, error bodies. The only module that knows about
//! axum and lambda_http.
//!
//! One [`router`] serves every runtime: [`run_lambda`] under AWS Lambda (API Gateway REST
//! and HTTP APIs, Function URLs, ALB), [`serve`] on a local socket.

pub mod authn;
pub mod edge;
pub mod form;
pub mod read;
pub mod response;
pub mod router;

pub use edge::OriginalUri;
pub use form::parse_import_form;
pub use response::{ErrorResponse, RequestId, REQUEST_ID_HEADER};
pub use router::{router, IMPORT_ROUTE};

use crate::auth::{Signing, TokenKeys};
use crate::config::Limits;
use crate::store::Store;
use std::net::SocketAddr;
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

/// Is this process running as a Lambda function (the runtime API is set)?
pub fn running_in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Serve the router as a Lambda function until the runtime stops it.
pub async fn run_lambda(router: axum::Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}

/// Serve the router on `addr` until Ctrl-C or SIGTERM.
pub async fn serve(router: axum::Router, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_listener(router, listener).await
}

/// Serve the router on a bound listener (port 0 in tests) until Ctrl-C or SIGTERM.
pub async fn serve_listener(
    router: axum::Router,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(target: "apig_import::http", %addr, "listening");
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
