//! The asynchronous import and the task status (`spec/async-export.md` §1–2).
//!
//! `async-import` answers synchronously what the synchronous import answers before it
//! writes anything of the request (credentials, unknown instance, the form, size, empty
//! document); everything else is the task's to decide. The task is recorded (document,
//! then task) before the 202, then the worker is woken (`apig serve`) or a task message is
//! sent to the queue (on AWS: the worker function consumes it). A message that cannot be
//! sent fails the recorded task at once (nothing would ever run it) and answers APIG.9999.

use super::authn;
use super::form::parse_import_form;
use super::path::PathIds;
use super::response::Json;
use super::AppState;
use crate::auth::{GET_API_ACTION, IMPORT_ACTION};
use crate::error::{ApigError, Code};
use crate::import::GroupTarget;
use crate::model::{Id, Task};
use crate::store::sqs::{SqsQueue, TaskMessage};
use crate::store::{BlobStore, StoreError};
use crate::task::worker::Wake;
use crate::task::{document_key, fail_now, submit, TaskContext};
use axum::extract::{Extension, Path, Request, State};
use axum::http::{header, StatusCode};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// `POST` — ImportApiDefinitionsAsync.
pub const ASYNC_IMPORT_ROUTE: &str =
    "/v2/{project_id}/apigw/instances/{instance_id}/openapi/async-import";
/// `GET` — ShowAsyncTaskResult.
pub const ASYNC_TASK_ROUTE: &str =
    "/v2/{project_id}/apigw/instances/{instance_id}/async-tasks/{task_id}";

/// Where submitted tasks go: their documents' store, and the worker to wake in this
/// process, or the queue whose consumer runs them (on AWS).
#[derive(Clone)]
pub struct TaskQueue {
    pub blobs: Arc<dyn BlobStore>,
    pub wake: Option<Wake>,
    pub messages: Option<SqsQueue>,
}

#[derive(Serialize)]
pub struct Accepted {
    pub task_id: String,
}

#[derive(Serialize)]
pub struct TaskView {
    pub task_id: String,
    pub task_status: &'static str,
    pub task_type: &'static str,
    /// A JSON string (empty until the task is finished).
    pub task_result: String,
}

impl TaskView {
    pub fn of(task: &Task) -> Self {
        TaskView {
            task_id: task.id.to_string(),
            task_status: task.status.as_str(),
            task_type: task.task_type.as_str(),
            task_result: task.result.clone(),
        }
    }
}

pub async fn async_import(
    State(state): State<AppState>,
    Extension(queue): Extension<TaskQueue>,
    ids: PathIds,
    request: Request,
) -> Result<(StatusCode, Json<Accepted>), ApigError> {
    let (parts, body) = request.into_parts();
    let (caller, body) =
        authn::authorize(&state, &parts, body, &ids.scope.project_id, IMPORT_ACTION).await?;
    let body = body
        .bytes(
            &parts.headers,
            state.limits.max_body_bytes(),
            state.limits.body_timeout,
        )
        .await?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or(""));
    let (mut options, document, _file_name) =
        parse_import_form(content_type, body, &state.limits).await?;
    if !state.store.instance_exists(&ids.scope).await? {
        return Err(ApigError::instance_not_found(&ids.scope));
    }
    // The stored options keep only the flag of the target; the task keeps the id.
    let group_id = match std::mem::take(&mut options.group) {
        GroupTarget::Existing(id) => {
            options.group = GroupTarget::Existing(String::new());
            Some(id)
        }
        GroupTarget::New => None,
    };
    let id = Id::generate();
    let task = Task::new_import(
        id.clone(),
        ids.scope.clone(),
        options,
        group_id,
        caller.id,
        document_key(&ids.scope, &id),
    );
    let ctx = TaskContext::new(
        Arc::clone(&state.store),
        Arc::clone(&queue.blobs),
        state.limits.clone(),
    );
    submit(&ctx, &task, document).await?;
    if let Some(wake) = &queue.wake {
        wake.wake();
    }
    // Sent after the task is recorded (a message never names a task that does not exist).
    if let Some(messages) = &queue.messages {
        let message = TaskMessage {
            task_id: id.to_string(),
            project: ids.scope.project_id.as_str().to_string(),
            instance: ids.scope.instance_id.as_str().to_string(),
        };
        if let Err(error) = messages.send(&message).await {
            return Err(unqueued(&ctx, &task, error).await);
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            task_id: id.to_string(),
        }),
    ))
}

/// A recorded task whose message could not be sent: nobody would ever run it, so it is
/// finished `failed` at once (APIG.9999, saying why) rather than left `waiting` forever, and
/// the client is answered APIG.9999 (it got no task id: submitting again is safe).
async fn unqueued(ctx: &TaskContext, task: &Task, error: StoreError) -> ApigError {
    tracing::error!(target: "apig_import::task", task_id = %task.id, %error, "task message not sent: task failed");
    let reason = ApigError::with_message(
        Code::Apig9999,
        "The task could not be queued: the task queue is unreachable",
    );
    let owner = format!("http-{}", uuid::Uuid::new_v4().simple());
    match fail_now(ctx, &task.scope, &task.id, &owner, &reason).await {
        Ok(Some(_)) => {}
        // Nobody else knows the task: it can only be unchanged, or the store is failing too.
        Ok(None) => {
            tracing::error!(target: "apig_import::task", task_id = %task.id, "unqueued task not failed: not waiting")
        }
        Err(store) => {
            tracing::error!(target: "apig_import::task", task_id = %task.id, error = %store, "unqueued task not failed: it stays waiting")
        }
    }
    ApigError::from(error)
}

pub async fn show_task(
    State(state): State<AppState>,
    ids: PathIds,
    Path(params): Path<HashMap<String, String>>,
    request: Request,
) -> Result<Json<TaskView>, ApigError> {
    let (parts, body) = request.into_parts();
    authn::authorize(&state, &parts, body, &ids.scope.project_id, GET_API_ACTION).await?;
    let raw = params.get("task_id").map(String::as_str).unwrap_or("");
    let not_found = || {
        ApigError::with_message(
            Code::Apig3093,
            format!(
                "The asynchronous task {} does not exist",
                crate::error::echo(raw)
            ),
        )
    };
    let id = Id::parse(raw).ok_or_else(not_found)?;
    let task = state
        .store
        .get_task(&ids.scope, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(TaskView::of(&task)))
}
