//! The lease of a running task: renewed every third of its length while the task's work
//! runs, only by its holder ([`crate::model::Task::renewed`]); the work is told to stop when
//! a renewal finds the lease lost or expired, or store errors could let it expire unseen.

use super::{unix_now, TaskContext};
use crate::model::{Task, TaskEnd};
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch as signal;

/// How often a run renews its lease: three times per lease, so that one lost or slow
/// renewal still leaves time for the next before the lease expires.
fn period(lease_seconds: i64) -> Duration {
    let millis = u64::try_from(lease_seconds.max(1)).unwrap_or(1) * 1000 / 3;
    Duration::from_millis(millis.max(1))
}

/// The lease of a running task, renewed while its work runs.
pub(super) struct Heartbeat<'a> {
    ctx: &'a TaskContext,
    task: &'a Task,
    owner: &'a str,
    /// Until when the lease is known to be held (Unix seconds).
    until: i64,
    deadline: Option<i64>,
}

impl<'a> Heartbeat<'a> {
    pub(super) fn new(
        ctx: &'a TaskContext,
        task: &'a Task,
        owner: &'a str,
        until: i64,
        deadline: Option<i64>,
    ) -> Self {
        Heartbeat {
            ctx,
            task,
            owner,
            until,
            deadline,
        }
    }

    /// Run `work` while renewing the lease; `None` if the lease was lost meanwhile (the
    /// work is told to stop, and waited for: nothing of it runs on after this returns).
    pub(super) async fn keep_while<F, W>(mut self, work: W) -> Option<TaskEnd>
    where
        W: FnOnce(signal::Receiver<bool>) -> F,
        F: Future<Output = Option<TaskEnd>>,
    {
        let (stop, stopped) = signal::channel(false);
        let work = work(stopped);
        tokio::pin!(work);
        let period = period(self.ctx.lease_seconds);
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lost = false;
        loop {
            tokio::select! {
                end = &mut work => return if lost { None } else { end },
                _ = beat.tick(), if !lost => {
                    if !self.renew(period).await {
                        lost = true;
                        let _ = stop.send(true);
                    }
                }
            }
        }
    }

    /// One renewal; `false` when the lease is lost, expired, or may be lost before the next
    /// one.
    async fn renew(&mut self, period: Duration) -> bool {
        let now = unix_now();
        let mut wanted = now + self.ctx.lease_seconds;
        if let Some(deadline) = self.deadline {
            wanted = wanted.min(deadline.max(self.until));
        }
        let (scope, id) = (&self.task.scope, &self.task.id);
        match self
            .ctx
            .store
            .renew_lease(scope, id, self.owner, wanted)
            .await
        {
            Ok(Some(task)) => {
                self.until = task.lease.map_or(self.until, |l| l.until);
                // Held, but expired (renewals capped by a deadline): anyone may take the
                // task over now, so this run stops rather than overlap with theirs.
                self.until > now
            }
            Ok(None) => false,
            Err(error) => {
                // Not renewed: still held until `until`, but another worker may take it then.
                let next = i64::try_from(period.as_secs())
                    .unwrap_or(i64::MAX)
                    .saturating_add(now + 1);
                tracing::warn!(target: "apig_import::task", task_id = %id, %error, until = self.until, "lease not renewed");
                next < self.until
            }
        }
    }
}
