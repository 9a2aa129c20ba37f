//! Asynchronous tasks (`spec/async-export.md` §1–3): submitting one (document, then task),
//! running one exactly once in effect ([`run`]), and the local worker that runs them inside
//! `apig serve` ([`worker`]).
//!
//! The state machine itself is the model's ([`crate::model::Task`]); the stores apply its
//! transitions as conditional writes. Running a task is: take the lease → the same
//! [`import::run_as`] as the synchronous path, with the task's [`Writer`], while a heartbeat
//! renews the lease → finish, only if still the lease holder. A run whose heartbeat finds
//! the lease lost stops its import at the next store call and leaves the task to the new
//! holder.

pub mod aws;
pub mod export;
mod lease;
pub mod watch;
pub mod worker;

use crate::config::Limits;
use crate::error::{ApigError, Code};
use crate::import::{self, GroupTarget, ImportRequest, Writer};
use crate::model::{Id, Scope, Task, TaskEnd, TaskStatus, TaskType};
use crate::store::{BlobStore, Store, StoreError, StoreResult};
use bytes::Bytes;
use lease::Heartbeat;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch as signal;

/// How long a lease is held before another worker may take the task over, unless its holder
/// renews it (every third of it, while the import runs).
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
    /// The length of a lease, in seconds ([`LEASE_SECONDS`]; shorter in tests).
    pub lease_seconds: i64,
}

impl TaskContext {
    pub fn new(store: Arc<dyn Store>, blobs: Arc<dyn BlobStore>, limits: Limits) -> Self {
        TaskContext {
            store,
            blobs,
            limits,
            lease_seconds: LEASE_SECONDS,
        }
    }
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
    run_within(ctx, scope, id, owner, None).await
}

/// [`run`] by a worker that is stopped at `deadline` (Unix seconds; a Lambda invocation's):
/// its lease is never renewed past the deadline, so that a worker stopped there leaves a
/// lease that expires when the first one would have (before its message is visible again).
pub async fn run_within(
    ctx: &TaskContext,
    scope: &Scope,
    id: &Id,
    owner: &str,
    deadline: Option<i64>,
) -> StoreResult<Option<Task>> {
    let now = unix_now();
    let Some(task) = ctx
        .store
        .take_lease(scope, id, owner, now, now + ctx.lease_seconds)
        .await?
    else {
        return Ok(None);
    };
    let end = if task.attempts > MAX_ATTEMPTS {
        tracing::error!(target: "apig_import::task", task_id = %id, attempts = task.attempts, "task failed too often");
        failed(&ApigError::internal())
    } else {
        let lease = Heartbeat::new(ctx, &task, owner, now + ctx.lease_seconds, deadline);
        match lease.keep_while(|stop| execute(ctx, &task, stop)).await {
            Some(end) => end,
            None => {
                tracing::warn!(target: "apig_import::task", task_id = %id, attempt = task.attempts, "lease lost: run stopped, the task is left to its new holder");
                return Ok(None);
            }
        }
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

/// Finish a task that cannot run at all as `failed` with `error`, if it is waiting (or its
/// lease expired): the finished task, or `None` if someone else holds it or it is finished.
pub async fn fail_now(
    ctx: &TaskContext,
    scope: &Scope,
    id: &Id,
    owner: &str,
    error: &ApigError,
) -> StoreResult<Option<Task>> {
    let now = unix_now();
    let leased = ctx
        .store
        .take_lease(scope, id, owner, now, now + ctx.lease_seconds)
        .await?;
    if leased.is_none() {
        return Ok(None);
    }
    ctx.store
        .finish_task(scope, id, owner, &failed(error), unix_now())
        .await
}

fn failed(error: &ApigError) -> TaskEnd {
    TaskEnd {
        status: TaskStatus::Failed,
        result: error_json(error),
    }
}

/// Wait `pause`, or less if told to stop: `false` when stopped.
async fn pause_unless_stopped(pause: Duration, stop: &mut signal::Receiver<bool>) -> bool {
    tokio::select! {
        _ = stop.wait_for(|s| *s) => false,
        () = tokio::time::sleep(pause) => true,
    }
}

/// The work of a leased task, with bounded retries of store failures; `None` when told to
/// stop (the lease is lost) before it was done.
async fn execute(
    ctx: &TaskContext,
    task: &Task,
    mut stop: signal::Receiver<bool>,
) -> Option<TaskEnd> {
    let document = match ctx.blobs.get_blob(&task.document).await {
        Ok(Some(document)) => document,
        Ok(None) => {
            tracing::error!(target: "apig_import::task", task_id = %task.id, "document missing");
            return Some(failed(&ApigError::internal()));
        }
        Err(error) => {
            tracing::error!(target: "apig_import::task", task_id = %task.id, %error, "document unreadable");
            return Some(failed(&ApigError::internal()));
        }
    };
    if task.task_type == TaskType::ExportApi {
        // Read-only: running it again after a store failure is always safe.
        let mut pause = RETRY_PAUSE;
        for tries in 1.. {
            let export = tokio::select! {
                _ = stop.wait_for(|s| *s) => return None,
                export = export::run(&*ctx.store, &task.scope, &document) => export,
            };
            match export {
                Ok(result) => {
                    return Some(TaskEnd {
                        status: TaskStatus::Succeed,
                        result,
                    })
                }
                Err(error) if error.code == Code::Apig9999 && tries <= STORE_RETRIES => {
                    if !pause_unless_stopped(pause, &mut stop).await {
                        return None;
                    }
                    pause *= 2;
                }
                Err(error) => return Some(failed(&error)),
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
        match run_import(ctx, request.clone(), writer.clone(), stop.clone()).await? {
            Ok(response) => match serde_json::to_string(&response) {
                Ok(result) => {
                    return Some(TaskEnd {
                        status: TaskStatus::Succeed,
                        result,
                    })
                }
                Err(_) => return Some(failed(&ApigError::internal())),
            },
            // A store failure: the run may have written part of the import; the next run
            // recognises those writes as its own (Writer).
            Err(error) if error.code == Code::Apig9999 && tries <= STORE_RETRIES => {
                if !pause_unless_stopped(pause, &mut stop).await {
                    return None;
                }
                pause *= 2;
            }
            Err(error) => return Some(failed(&error)),
        }
    }
}

/// The import on the blocking pool (decoding is CPU work: it must not hold an async worker
/// that serves requests meanwhile). `None` when told to stop — or when whoever waits for it
/// is gone (the run was dropped): the import is dropped at its next await, so no store call
/// of it starts after that.
async fn run_import(
    ctx: &TaskContext,
    request: ImportRequest,
    writer: Writer,
    mut stop: signal::Receiver<bool>,
) -> Option<Result<import::ImportResponse, ApigError>> {
    let (store, limits) = (Arc::clone(&ctx.store), ctx.limits.clone());
    let runtime = tokio::runtime::Handle::current();
    let job = tokio::task::spawn_blocking(move || {
        runtime.block_on(async move {
            tokio::select! {
                biased;
                // `Err` (the sender is gone) stops it too.
                _ = stop.wait_for(|s| *s) => None,
                response = import::run_as(&*store, &limits, request, &writer) => Some(response),
            }
        })
    });
    match job.await {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::error!(target: "apig_import::task", error = %e, "import panicked");
            Some(Err(ApigError::from(StoreError::new("import task failed"))))
        }
    }
}
