//! The Lambda function: the same router as `apig serve`, driven by the Lambda runtime.
//!
//! Configuration comes from the environment (see the README's table): the store (DynamoDB
//! table `APIG_TABLE`; `APIG_STORE=sqlite` for the embedded store in `APIG_DATA_DIR` when
//! built with the `lambda-sqlite` feature), the limits, the token keys and the signing
//! secret. With a bucket and a queue (`APIG_BUCKET`, `APIG_QUEUE_URL`) it also serves the
//! asynchronous import and the task status: documents go to the bucket, task messages to
//! the queue, and the worker function (`src/bin/worker.rs`) runs them.

use apig_import::auth::{Signing, SigningSecret, TokenKeys};
use apig_import::cli::store::{self, StoreChoice};
use apig_import::config::Limits;
use apig_import::http::tasks::TaskQueue;
use apig_import::http::{self, AppState};
use apig_import::store::s3::S3Bucket;
use apig_import::store::sqs::SqsQueue;
use std::sync::Arc;

#[path = "shared/logs.rs"]
mod logs;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    logs::init();
    logs::exit(run().await)
}

async fn run() -> Result<(), lambda_http::Error> {
    let (limits, lowered) = http::lambda_limits(Limits::from_env()?);
    if let Some(configured) =
        lowered.filter(|_| std::env::var_os("APIG_MAX_DOCUMENT_BYTES").is_some())
    {
        tracing::warn!(
            configured,
            max_document_bytes = limits.max_document_bytes,
            "APIG_MAX_DOCUMENT_BYTES is above what a synchronous Lambda invocation can carry (6 MB of event, body base64-encoded): lowered"
        );
    }
    let keys = TokenKeys::from_env()?;
    if keys.is_empty() {
        tracing::warn!("no token keys configured (APIG_TOKEN_SECRET, APIG_TOKEN_PUBLIC_KEYS): every token is refused");
    }
    // Access keys' secret keys derive from APIG_SIGNING_SECRET; without it, signatures are
    // refused (a per-instance random secret would make every SK useless).
    let signing = SigningSecret::from_env()?.map(|secret| Arc::new(Signing::new(secret)));
    if signing.is_none() {
        tracing::warn!(
            "no signing secret configured (APIG_SIGNING_SECRET): every AK/SK signature is refused"
        );
    }
    // The store is opened once per execution environment (cold start), not per request.
    let choice = StoreChoice::lambda_from_env()?;
    let store = store::open_function(&choice).await?;
    tracing::info!(store = %choice.describe(), "store opened");
    let state = AppState {
        store,
        limits,
        keys: Arc::new(keys),
        signing,
    };
    let tasks = task_queue().await?;
    if tasks.is_none() {
        tracing::info!("no APIG_BUCKET / APIG_QUEUE_URL: the asynchronous routes are off");
    }
    http::run_lambda(http::router_with_tasks(state, tasks)).await
}

/// The bucket and queue of asynchronous tasks, when both are configured (one without the
/// other is a configuration error, not a silent half).
async fn task_queue() -> Result<Option<TaskQueue>, lambda_http::Error> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (var("APIG_BUCKET"), var("APIG_QUEUE_URL")) {
        (None, None) => Ok(None),
        (Some(bucket), Some(url)) => Ok(Some(TaskQueue {
            blobs: Arc::new(S3Bucket::from_env(bucket).await),
            wake: None,
            messages: Some(SqsQueue::from_env(url).await),
        })),
        _ => Err("APIG_BUCKET and APIG_QUEUE_URL must be set together".into()),
    }
}
