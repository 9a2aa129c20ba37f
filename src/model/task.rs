//! Asynchronous tasks (`spec/async-export.md` §2): what is stored for each, and the only
//! transitions a task may make — `waiting → processing → succeed | failed`, never back, and
//! a finished task never changes again. Both stores apply these functions to the stored
//! value inside a conditional write, so the rules live here once.

use super::{Id, ImportOptions, Scope};
use serde::{Deserialize, Serialize};

use super::strings::string_enum;

/// How long a finished task is kept (at least; the spec's 7 days).
pub const TASK_RETENTION_SECONDS: i64 = 7 * 24 * 3600;

string_enum! {
    /// Where a task is in its life.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TaskStatus {
        Waiting = "waiting",
        Processing = "processing",
        Succeed = "succeed",
        Failed = "failed",
    }
}

impl TaskStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, TaskStatus::Succeed | TaskStatus::Failed)
    }
}

string_enum! {
    /// What a task does.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TaskType {
        ImportApi = "import_api",
        ExportApi = "export_api",
    }
}

/// Who runs a task now, and until when (Unix seconds) nobody else may take it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub owner: String,
    pub until: i64,
}

/// One asynchronous task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: Id,
    pub scope: Scope,
    pub task_type: TaskType,
    pub status: TaskStatus,
    pub lease: Option<Lease>,
    /// How many times a lease was taken (the first run is attempt 1).
    pub attempts: u32,
    pub options: ImportOptions,
    /// `group_id` of the form when `is_create_group=false` (the stored options keep only
    /// the flag).
    pub group_id: Option<String>,
    /// Who asked (token subject, access key, or the dropped file's origin).
    pub caller: String,
    /// The blob holding the document.
    pub document: String,
    /// The JSON string of `task_result`: empty until the task is finished.
    pub result: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Unix seconds after which the store may forget the task (DynamoDB's TTL); set when it
    /// finishes, [`TASK_RETENTION_SECONDS`] later.
    pub expires_at: Option<i64>,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEnd {
    pub status: TaskStatus,
    pub result: String,
}

impl Task {
    /// A new waiting import task.
    pub fn new_import(
        id: Id,
        scope: Scope,
        options: ImportOptions,
        group_id: Option<String>,
        caller: String,
        document: String,
    ) -> Self {
        Task {
            id,
            scope,
            task_type: TaskType::ImportApi,
            status: TaskStatus::Waiting,
            lease: None,
            attempts: 0,
            options,
            group_id,
            caller,
            document,
            result: String::new(),
            created_at: crate::now_rfc3339(),
            finished_at: None,
            expires_at: None,
        }
    }

    /// The task leased to `owner` until `until`, if it may be taken at `now`: it is
    /// waiting, or processing under a lease that expired. `None`: leave it alone.
    pub fn leased(&self, owner: &str, now: i64, until: i64) -> Option<Task> {
        let takeable = match (&self.status, &self.lease) {
            (TaskStatus::Waiting, _) => true,
            (TaskStatus::Processing, Some(lease)) => lease.until <= now,
            (TaskStatus::Processing, None) => true,
            _ => false,
        };
        takeable.then(|| Task {
            status: TaskStatus::Processing,
            lease: Some(Lease {
                owner: owner.to_string(),
                until,
            }),
            attempts: self.attempts.saturating_add(1),
            ..self.clone()
        })
    }

    /// The task with `owner`'s lease extended to `until` (never shortened), if `owner` still
    /// holds it: the heartbeat of a long run. `None`: the lease was lost (taken over after
    /// it expired, or the task finished) — the run must stop.
    pub fn renewed(&self, owner: &str, until: i64) -> Option<Task> {
        let lease = self.lease.as_ref()?;
        let holder = self.status == TaskStatus::Processing && lease.owner == owner;
        holder.then(|| Task {
            lease: Some(Lease {
                owner: owner.to_string(),
                until: until.max(lease.until),
            }),
            ..self.clone()
        })
    }

    /// The task finished by `owner` at `now` (Unix seconds), if `owner` holds its lease and
    /// the end is a finished status. `None`: not the holder, or already finished.
    pub fn finished(&self, owner: &str, end: &TaskEnd, now: i64) -> Option<Task> {
        let holder = self.status == TaskStatus::Processing
            && self.lease.as_ref().is_some_and(|l| l.owner == owner);
        (holder && end.status.is_finished()).then(|| Task {
            status: end.status,
            lease: None,
            result: end.result.clone(),
            finished_at: Some(crate::now_rfc3339()),
            expires_at: Some(now.saturating_add(TASK_RETENTION_SECONDS)),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PathId;

    fn task() -> Task {
        let scope = Scope::new(
            PathId::parse("p").expect("p"),
            PathId::parse("i").expect("i"),
        );
        Task::new_import(
            Id::generate(),
            scope,
            ImportOptions::default(),
            None,
            "c".into(),
            "doc".into(),
        )
    }

    #[test]
    fn transitions_never_go_back() {
        let waiting = task();
        let leased = waiting.leased("a", 100, 160).expect("waiting is takeable");
        assert_eq!(
            (leased.status, leased.attempts),
            (TaskStatus::Processing, 1)
        );
        assert!(leased.leased("b", 159, 220).is_none(), "lease still held");
        let taken_over = leased.leased("b", 160, 220).expect("expired lease");
        assert_eq!(taken_over.attempts, 2);
        let end = TaskEnd {
            status: TaskStatus::Succeed,
            result: "{}".into(),
        };
        assert!(
            taken_over.finished("a", &end, 170).is_none(),
            "a lost its lease"
        );
        let done = taken_over
            .finished("b", &end, 170)
            .expect("holder finishes");
        assert_eq!(done.expires_at, Some(170 + TASK_RETENTION_SECONDS));
        assert!(done.leased("c", 10_000_000, 10_000_060).is_none());
        assert!(done.finished("b", &end, 171).is_none());
        let renewed = taken_over.renewed("b", 300).expect("the holder renews");
        assert_eq!(renewed.lease.as_ref().map(|l| l.until), Some(300));
        assert_eq!(
            renewed.attempts, taken_over.attempts,
            "a renewal is no new attempt"
        );
        let kept = renewed.renewed("b", 250).expect("the holder renews");
        assert_eq!(kept.lease.map(|l| l.until), Some(300), "never shortened");
        assert!(taken_over.renewed("a", 300).is_none(), "a lost its lease");
        assert!(done.renewed("b", 300).is_none(), "finished");
        assert!(waiting.renewed("a", 300).is_none(), "never leased");
        let not_an_end = TaskEnd {
            status: TaskStatus::Waiting,
            result: String::new(),
        };
        assert!(taken_over.finished("b", &not_an_end, 170).is_none());
    }
}
