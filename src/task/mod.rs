//! Asynchronous tasks (`spec/async-export.md` §1–3): submitting one (document, then task),
//! running one exactly once in effect ([`run`]), and the local worker that runs them inside
//! `apig serve` ([`worker`]).
//!
//! The state machine itself is the model's ([`crate::model::Task`]); the stores apply its
//! transitions as conditional writes. Running a task is: take the lease → the same
//! [`import::run_as`] as the synchronous path, with the task's [`Writer`] → finish, only if
//! still the lease holder.

pub mod aws;
pub mod export;
pub mod watch;
pub mod worker;

use crate::config::Limits;
use crate::error::{ApigError, Code};
use crate::import::{self, GroupTarget, ImportRequest, Writer};
use crate::model::{Id, Scope, Task, TaskEnd, TaskStatus, TaskType};
use crate::store::{BlobStore, Store, StoreError, StoreResult};
use bytes::Bytes;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// How long a lease is held before another worker may take the task over. Longer than any
/// import of an admitted document takes.
pub const LEASE_SECONDS: i64 = 120;
/// Leases taken at most, over every run of a task (crashes included), before it is failed.
pub const MAX_ATTEMPTS: u32 = 5;
/// Runs of the import within one lease after a store failure.
pub const STORE_RETRIES: u32 = 3;
/// The first pause between those runs (doubled each time).
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// What running tasks needs.
#[derive(Clone)]
pub struct TaskContext {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub limits: Limits,
}

/// The blob key of a task's document.
pub fn document_key(scope: &Scope, id: &Id) -> String {
    format!(
        "tasks/{}/{}/{id}.doc",
        scope.project_id.as_str(),
        scope.instance_id.as_str()
    )
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The body of a refused import, as `task_result` carries it.
#[derive(Serialize)]
struct ErrorJson<'a> {
    error_code: &'a str,
    error_msg: &'a str,
}

pub fn error_json(error: &ApigError) -> String {
    serde_json::to_string(&ErrorJson {
        error_code: error.code.as_str(),
        error_msg: &error.message,
    })
    .unwrap_or_default()
}

/// Record a task: its document first, then the task item, so that a recorded task always
/// has its document. `false`: a task with this id exists already (nothing changed).
pub async fn submit(ctx: &TaskContext, task: &Task, document: Bytes) -> StoreResult<bool> {
    if ctx.store.get_task(&task.scope, &task.id).await?.is_some() {
        return Ok(false);
    }
    ctx.blobs.put_blob(&task.document, document).await?;
    ctx.store.create_task(task).await
}

/// Run the task if it can be leased by `owner`: the finished task, or `None` when someone
/// else holds it, it is finished or absent, or this run lost its lease before finishing.
pub async fn run(
    ctx: &TaskContext,
    scope: &Scope,
    id: &Id,
    owner: &str,
) -> StoreResult<Option<Task>> {
    let now = unix_now();
    let Some(task) = ctx
        .store
        .take_lease(scope, id, owner, now, now + LEASE_SECONDS)
        .await?
    else {
        return Ok(None);
    };
    let end = if task.attempts > MAX_ATTEMPTS {
        tracing::error!(target: "apig_import::task", task_id = %id, attempts = task.attempts, "task failed too often");
        failed(&ApigError::internal())
    } else {
        execute(ctx, &task).await
    };
    tracing::info!(
        target: "apig_import::task",
        task_id = %id,
        status = end.status.as_str(),
        attempt = task.attempts,
        "task finished"
    );
    ctx.store
        .finish_task(scope, id, owner, &end, unix_now())
        .await
}

fn failed(error: &ApigError) -> TaskEnd {
    TaskEnd {
        status: TaskStatus::Failed,
        result: error_json(error),
    }
}

/// The work of a leased task, with bounded retries of store failures.
async fn execute(ctx: &TaskContext, task: &Task) -> TaskEnd {
    let document = match ctx.blobs.get_blob(&task.document).await {
        Ok(Some(document)) => document,
        Ok(None) => {
            tracing::error!(target: "apig_import::task", task_id = %task.id, "document missing");
            return failed(&ApigError::internal());
        }
        Err(error) => {
            tracing::error!(target: "apig_import::task", task_id = %task.id, %error, "document unreadable");
            return failed(&ApigError::internal());
        }
    };
    if task.task_type == TaskType::ExportApi {
        // Read-only: running it again after a store failure is always safe.
        let mut pause = RETRY_PAUSE;
        for tries in 1.. {
            match export::run(&*ctx.store, &task.scope, &document).await {
                Ok(result) => {
                    return TaskEnd {
                        status: TaskStatus::Succeed,
                        result,
                    }
                }
                Err(error) if error.code == Code::Apig9999 && tries <= STORE_RETRIES => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(error) => return failed(&error),
            }
        }
    }
    let mut options = task.options.clone();
    if let Some(group_id) = &task.group_id {
        options.group = GroupTarget::Existing(group_id.clone());
    }
    let request = ImportRequest {
        scope: task.scope.clone(),
        caller: task.caller.clone(),
        options,
        document,
    };
    let writer = Writer::task(&task.id);
    let mut pause = RETRY_PAUSE;
    let mut tries = 0;
    loop {
        tries += 1;
        match run_import(ctx, request.clone(), writer.clone()).await {
            Ok(response) => match serde_json::to_string(&response) {
                Ok(result) => {
                    return TaskEnd {
                        status: TaskStatus::Succeed,
                        result,
                    }
                }
                Err(_) => return failed(&ApigError::internal()),
            },
            // A store failure: the run may have written part of the import; the next run
            // recognises those writes as its own (Writer).
            Err(error) if error.code == Code::Apig9999 && tries <= STORE_RETRIES => {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(error) => return failed(&error),
        }
    }
}

/// The import on the blocking pool (decoding is CPU work: it must not hold an async worker
/// that serves requests meanwhile).
async fn run_import(
    ctx: &TaskContext,
    request: ImportRequest,
    writer: Writer,
) -> Result<import::ImportResponse, ApigError> {
    let (store, limits) = (Arc::clone(&ctx.store), ctx.limits.clone());
    let runtime = tokio::runtime::Handle::current();
    let job = tokio::task::spawn_blocking(move || {
        runtime.block_on(import::run_as(&*store, &limits, request, &writer))
    });
    job.await.map_err(|e| {
        tracing::error!(target: "apig_import::task", error = %e, "import panicked");
        ApigError::from(StoreError::new("import task failed"))
    })?
}
