//! Tasks in the single table (`docs/dynamodb.md`, "Task items"): one item per task in its
//! own partition `T#<project>#<instance>#TASK#<id>` / `TASK`, the task as JSON in `body`,
//! its `status`, a revision `rev` that every transition's condition names, and `ttl`
//! (Unix seconds, DynamoDB's TTL attribute) once the task is finished.
//!
//! A transition is a consistent read, the model's transition of what was read, and a `Put`
//! conditional on the revision read: a lost race is read again and re-decided (the other
//! writer's transition may have made this one impossible, e.g. a lease already taken).

use super::codec::{from_json, get_n, get_s, item, n, s, to_json, Item, BODY, ID};
use super::keys::{Key, Keys};
use super::{sdk_error, table, DynamoStore};
use crate::model::{Id, PathId, Scope, Task, TaskEnd};
use crate::store::{StoreError, StoreResult, TaskStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

/// Item type of tasks (attribute `t`).
pub const TASK_TYPE: &str = "task";
/// Sort key of a task item.
pub const TASK_SK: &str = "TASK";
/// The task's status, readable without decoding the body.
pub const STATUS: &str = "status";
/// The task's revision, incremented by every transition.
pub const REV: &str = "rev";
/// DynamoDB's TTL attribute: Unix seconds after which the item may be deleted.
pub const TTL: &str = "ttl";
/// Tenant attributes, for listings across partitions.
const PROJECT: &str = "project";
const INSTANCE: &str = "instance";

/// How many times a transition that lost a race is read and decided again.
const TRANSITION_ROUNDS: usize = 8;

/// The key of a task item.
pub fn task_key(scope: &Scope, id: &str) -> Key {
    Key {
        pk: format!("{}#TASK#{id}", Keys::of(scope).tenant_pk()),
        sk: TASK_SK.to_string(),
    }
}

fn task_item(task: &Task, rev: u64) -> StoreResult<Item> {
    let mut attrs = vec![
        (ID, s(task.id.as_str())),
        (PROJECT, s(task.scope.project_id.as_str())),
        (INSTANCE, s(task.scope.instance_id.as_str())),
        (STATUS, s(task.status.as_str())),
        (REV, n(rev)),
        (BODY, s(to_json(task)?)),
    ];
    if let Some(expires) = task.expires_at {
        attrs.push((TTL, AttributeValue::N(expires.to_string())));
    }
    Ok(item(
        &task_key(&task.scope, task.id.as_str()),
        TASK_TYPE,
        attrs,
    ))
}

fn decode(item: &Item) -> StoreResult<(Task, u64)> {
    Ok((from_json(get_s(item, BODY)?)?, get_n(item, REV)?))
}

fn condition_failed(e: &SdkError<PutItemError, impl std::fmt::Debug>) -> bool {
    matches!(e, SdkError::ServiceError(se)
        if matches!(se.err(), PutItemError::ConditionalCheckFailedException(_)))
}

impl DynamoStore {
    async fn transition(
        &self,
        scope: &Scope,
        id: &Id,
        transition: impl Fn(&Task) -> Option<Task> + Send,
    ) -> StoreResult<Option<Task>> {
        let key = task_key(scope, id.as_str());
        for _ in 0..TRANSITION_ROUNDS {
            let Some(stored) = self.get(&key).await? else {
                return Ok(None);
            };
            let (task, rev) = decode(&stored)?;
            let Some(next) = transition(&task) else {
                return Ok(None);
            };
            let put = self
                .client
                .put_item()
                .table_name(self.table.as_ref())
                .set_item(Some(task_item(&next, rev + 1)?))
                .condition_expression("#rev = :rev")
                .expression_attribute_names("#rev", REV)
                .expression_attribute_values(":rev", n(rev))
                .send()
                .await;
            match put {
                Ok(_) => return Ok(Some(next)),
                Err(e) if condition_failed(&e) => continue,
                Err(e) => return Err(sdk_error("transition task", e)),
            }
        }
        Err(StoreError::new(format_args!(
            "dynamodb: task {id} kept changing during a transition"
        )))
    }
}

#[async_trait]
impl TaskStore for DynamoStore {
    async fn create_task(&self, task: &Task) -> StoreResult<bool> {
        let put = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(task_item(task, 1)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PARTITION_KEY)
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("create task", e)),
        }
    }

    async fn get_task(&self, scope: &Scope, id: &Id) -> StoreResult<Option<Task>> {
        self.get(&task_key(scope, id.as_str()))
            .await?
            .as_ref()
            .map(|item| decode(item).map(|(task, _)| task))
            .transpose()
    }

    async fn take_lease(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<Task>> {
        self.transition(scope, id, |task| task.leased(owner, now, until))
            .await
    }

    async fn renew_lease(
        &self,
        scope: &Scope,
        id: &Id,
        owner: &str,
        until: i64,
    ) -> StoreResult<Option<Task>> {
        self.transition(scope, id, |task| task.renewed(owner, until))
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
        self.transition(scope, id, |task| task.finished(owner, end, now))
            .await
    }

    /// A filtered `Scan`: the table holds no index of tasks by status, so this is for local
    /// and administrative use (on AWS the queue is what brings tasks to workers).
    async fn unfinished_tasks(&self, limit: usize) -> StoreResult<Vec<(Scope, Id)>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(self.table.as_ref())
                .filter_expression("#t = :task AND (#st = :waiting OR #st = :processing)")
                .expression_attribute_names("#t", super::codec::TYPE)
                .expression_attribute_names("#st", STATUS)
                .expression_attribute_values(":task", s(TASK_TYPE))
                .expression_attribute_values(":waiting", s("waiting"))
                .expression_attribute_values(":processing", s("processing"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("scan tasks", e))?;
            for item in out.items() {
                let bad = || StoreError::new("dynamodb: task item without a valid tenant");
                let scope = Scope::new(
                    PathId::parse(get_s(item, PROJECT)?).ok_or_else(bad)?,
                    PathId::parse(get_s(item, INSTANCE)?).ok_or_else(bad)?,
                );
                found.push((scope, Id::parse(get_s(item, ID)?).ok_or_else(bad)?));
                if found.len() >= limit {
                    return Ok(found);
                }
            }
            match out.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(found),
            }
        }
    }
}
