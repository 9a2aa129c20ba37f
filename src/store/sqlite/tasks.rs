//! Tasks in the embedded store: one row per task, the whole task as JSON in `body`, with the
//! columns a worker looks tasks up by. A transition reads the row and writes the model's
//! transition inside one `BEGIN IMMEDIATE` transaction, so it is conditional on the row it
//! read. Added without a schema version bump (`CREATE TABLE IF NOT EXISTS`, like
//! `access_keys`): older files gain the table when opened.

use super::{from_json, immediate, query_body, to_json, Context, SqliteStore, Tenant};
use crate::model::{Id, PathId, Scope, Task, TaskEnd};
use crate::store::{StoreError, StoreResult, TaskStore};
use async_trait::async_trait;
use rusqlite::{params, Connection};

/// No foreign key to `instances`: a task for an unknown instance is recorded and fails with
/// APIG.3030, as the import it runs would answer.
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tasks (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    status      TEXT NOT NULL,
    expires_at  INTEGER,
    body        TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id, id)
);

CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status);
"#;

const SELECT: &str =
    "SELECT body FROM tasks WHERE project_id = ?1 AND instance_id = ?2 AND id = ?3";

fn read(conn: &Connection, t: &Tenant, id: &str) -> StoreResult<Option<Task>> {
    query_body(
        conn,
        SELECT,
        params![t.project, t.instance, id],
        "read task",
    )?
    .as_deref()
    .map(from_json)
    .transpose()
}

fn write(conn: &Connection, task: &Task) -> StoreResult<()> {
    let t = Tenant::of(&task.scope);
    conn.prepare_cached(
        "UPDATE tasks SET status = ?4, expires_at = ?5, body = ?6 \
         WHERE project_id = ?1 AND instance_id = ?2 AND id = ?3",
    )
    .ctx("update task")?
    .execute(params![
        t.project,
        t.instance,
        task.id.as_str(),
        task.status.as_str(),
        task.expires_at,
        to_json(task)?
    ])
    .ctx("update task")?;
    Ok(())
}

impl SqliteStore {
    /// Read the task and write `transition` of it, if any, in one immediate transaction.
    async fn transition(
        &self,
        scope: &Scope,
        id: &Id,
        transition: impl FnOnce(&Task) -> Option<Task> + Send + 'static,
    ) -> StoreResult<Option<Task>> {
        let t = Tenant::of(scope);
        let id = id.as_str().to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let Some(next) = read(&tx, &t, &id)?.as_ref().and_then(transition) else {
                return Ok(None);
            };
            write(&tx, &next)?;
            tx.commit().ctx("commit task")?;
            Ok(Some(next))
        })
        .await
    }
}

#[async_trait]
impl TaskStore for SqliteStore {
    async fn create_task(&self, task: &Task) -> StoreResult<bool> {
        let t = Tenant::of(&task.scope);
        let (id, status, body) = (
            task.id.as_str().to_string(),
            task.status.as_str(),
            to_json(task)?,
        );
        let expires = task.expires_at;
        self.run(move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO tasks \
                     (project_id, instance_id, id, status, expires_at, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .ctx("create task")?
                .execute(params![t.project, t.instance, id, status, expires, body])
                .ctx("create task")?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn get_task(&self, scope: &Scope, id: &Id) -> StoreResult<Option<Task>> {
        let t = Tenant::of(scope);
        let id = id.as_str().to_string();
        self.run(move |conn| read(conn, &t, &id)).await
    }

    async fn take_lease(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<Task>> {
        let owner = owner.to_string();
        self.transition(scope, id, move |task| task.leased(&owner, now, until))
            .await
    }

    async fn renew_lease(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        until: i64,
    ) -> StoreResult<Option<Task>> {
        let owner = owner.to_string();
        self.transition(scope, id, move |task| task.renewed(&owner, until))
            .await
    }

    async fn finish_task(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        end: &TaskEnd,
        now: i64,
    ) -> StoreResult<Option<Task>> {
        let (owner, end) = (owner.to_string(), end.clone());
        self.transition(scope, id, move |task| task.finished(&owner, &end, now))
            .await
    }

    async fn unfinished_tasks(&self, limit: usize) -> StoreResult<Vec<(Scope, Id)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(String, String, String)> = self
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT project_id, instance_id, id FROM tasks \
                         WHERE status IN ('waiting', 'processing') ORDER BY rowid LIMIT ?1",
                    )
                    .ctx("list unfinished tasks")?;
                let rows = stmt
                    .query_map(params![limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .ctx("list unfinished tasks")?;
                rows.collect::<Result<Vec<_>, _>>()
                    .ctx("list unfinished tasks")
            })
            .await?;
        rows.into_iter()
            .map(|(p, i, id)| {
                let bad = || StoreError::new(format_args!("sqlite: task row {p}/{i}/{id}"));
                let scope = Scope::new(
                    PathId::parse(&p).ok_or_else(bad)?,
                    PathId::parse(&i).ok_or_else(bad)?,
                );
                Ok((scope, Id::parse(&id).ok_or_else(bad)?))
            })
            .collect()
    }
}
