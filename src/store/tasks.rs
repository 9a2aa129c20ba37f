//! The [`TaskStore`] capability: asynchronous tasks and their conditional transitions.
//!
//! Every transition is a conditional write of the transition computed by the model
//! ([`Task::leased`], [`Task::renewed`], [`Task::finished`]) from the stored value: a store
//! reads the task and writes the new value only if the stored one is still what it read, so
//! two workers can never both take a lease, and only the lease holder can renew or finish.

use super::StoreResult;
use crate::model::{Id, Scope, Task, TaskEnd};
use async_trait::async_trait;

#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Record a new task if no task of its scope has its id; `false` if one has (it is left
    /// unchanged: duplicate submissions collapse into the first).
    async fn create_task(&self, task: &Task) -> StoreResult<bool>;

    /// The task with this id in this scope (a task of another scope is not found).
    async fn get_task(&self, scope: &Scope, id: &Id) -> StoreResult<Option<Task>>;

    /// Take the lease for `owner` until `until` (Unix seconds) if the task is waiting, or
    /// processing under a lease expired at `now`. The leased task, or `None` when it is
    /// absent, finished or leased to someone else.
    async fn take_lease(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<Task>>;

    /// Extend `owner`'s lease to `until` (the heartbeat of a run: [`Task::renewed`]). The
    /// renewed task, or `None` when `owner` no longer holds the lease.
    async fn renew_lease(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        until: i64,
    ) -> StoreResult<Option<Task>>;

    /// Finish the task if `owner` still holds its lease. The finished task, or `None` if
    /// `owner` is not the holder (someone took over, or it is already finished).
    async fn finish_task(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        end: &TaskEnd,
        now: i64,
    ) -> StoreResult<Option<Task>>;

    /// Tasks not finished yet (waiting, or processing under any lease), at most `limit`:
    /// what a local worker resumes after a restart.
    async fn unfinished_tasks(&self, limit: usize) -> StoreResult<Vec<(Scope, Id)>>;
}
