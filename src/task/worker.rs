//! The local worker of `apig serve`: runs the tasks of the embedded store in-process, one at
//! a time, woken when a task is submitted and every few seconds (tasks left waiting or
//! processing by a previous process are resumed once their lease expires).

use super::{run, TaskContext};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often the worker looks for runnable tasks without being woken.
const POLL: Duration = Duration::from_secs(2);
/// Unfinished tasks looked at per round.
const BATCH: usize = 100;

/// Wakes the worker: a submitted task starts at once, not at the next poll.
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Start the worker on the current runtime; it runs until the runtime stops.
pub fn spawn(ctx: TaskContext, wake: Wake) -> tokio::task::JoinHandle<()> {
    let owner = format!("local-{}", uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        loop {
            let ran = round(&ctx, &owner).await;
            if !ran {
                let _ = tokio::time::timeout(POLL, wake.0.notified()).await;
            }
        }
    })
}

/// One pass over the unfinished tasks; `true` if any ran.
async fn round(ctx: &TaskContext, owner: &str) -> bool {
    let tasks = match ctx.store.unfinished_tasks(BATCH).await {
        Ok(tasks) => tasks,
        Err(error) => {
            tracing::error!(target: "apig_import::task", %error, "cannot list tasks");
            return false;
        }
    };
    let mut ran = false;
    for (scope, id) in tasks {
        match run(ctx, &scope, &id, owner).await {
            Ok(Some(_)) => ran = true,
            Ok(None) => {}
            Err(error) => {
                tracing::error!(target: "apig_import::task", task_id = %id, %error, "task run failed");
            }
        }
    }
    ran
}
