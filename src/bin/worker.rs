//! The worker function: runs asynchronous tasks on AWS. Its events are SQS task messages
//! (sent by the HTTP function, or S3 notifications routed through the queue) and S3
//! `ObjectCreated` notifications of dropped documents; [`AwsWorker::handle`] does the work,
//! this is only its bootstrap.
//!
//! Configuration from the environment: the store as for the HTTP function (`APIG_TABLE`,
//! `APIG_STORE`), the bucket (`APIG_BUCKET`, required), the limits (`APIG_MAX_DOCUMENT_BYTES`
//! defaults to 10 MiB here: a dropped document is not bounded by a synchronous payload), the
//! dead-letter queue whose messages it gives up on (`APIG_DEAD_LETTER_QUEUE_ARN`, optional).

// The handler's future (runtime → S3/SQS/DynamoDB SDK calls → the import) nests deeper than
// the default query depth allows when its layout is computed.
#![recursion_limit = "256"]

use apig_import::cli::store::{self, StoreChoice};
use apig_import::config::Limits;
use apig_import::store::s3::S3Bucket;
use apig_import::task::aws::AwsWorker;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde_json::Value;

#[path = "shared/logs.rs"]
mod logs;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    logs::init();
    logs::exit(run().await)
}

async fn run() -> Result<(), lambda_http::Error> {
    let limits = Limits::from_env()?;
    let bucket = std::env::var("APIG_BUCKET")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .ok_or("the worker needs its bucket: set APIG_BUCKET")?;
    // Opened once per execution environment (cold start), not per event.
    let choice = StoreChoice::lambda_from_env()?;
    let store = store::open_function(&choice).await?;
    let bucket = S3Bucket::from_env(bucket).await;
    tracing::info!(store = %choice.describe(), bucket = bucket.name(), "worker ready");
    let mut worker = AwsWorker::new(store, bucket, limits);
    // Its messages are given up on: their tasks end `failed` instead of staying unfinished.
    if let Some(arn) = std::env::var("APIG_DEAD_LETTER_QUEUE_ARN")
        .ok()
        .filter(|a| !a.trim().is_empty())
    {
        worker = worker.with_dead_letter_queue(arn);
    }
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        // Leases are not renewed past the invocation's deadline (milliseconds since the
        // epoch): a worker stopped by its timeout leaves a lease that expires in time.
        let deadline = i64::try_from(event.context.deadline / 1000).unwrap_or(i64::MAX);
        let worker = worker.clone().until(deadline);
        async move {
            // A failed invocation: Lambda retries it (and an SQS batch comes back whole).
            worker
                .handle(event.payload)
                .await
                .map_err(lambda_http::Error::from)
        }
    }))
    .await
}
