//! The worker function on AWS (`src/bin/worker.rs` is only its bootstrap): what it does
//! with one Lambda event.
//!
//! * **SQS** (`eventSource: aws:sqs`), one record per task message of the HTTP function
//!   (`{task_id, project, instance}`) or per S3 notification routed through the queue. Each
//!   record that must be seen again (a store failure, a task leased by a live worker) is
//!   named in `batchItemFailures`, so SQS redelivers only those — and, past the queue's
//!   `maxReceiveCount`, moves them to the dead-letter queue.
//! * **SQS from the dead-letter queue** (`eventSourceARN` = `APIG_DEAD_LETTER_QUEUE_ARN`): a
//!   message that was retried `maxReceiveCount` times. The worker gives up on what it names:
//!   the task is finished `failed` with APIG.9999 (a dropped document's result object says
//!   so too) instead of staying `waiting` or `processing` for ever.
//! * **S3** (`eventSource: aws:s3`), `ObjectCreated` under `imports/{project}/{instance}/…`
//!   (`spec/async-export.md` §3): the dropped document becomes a task whose id derives from
//!   bucket, key and version (or ETag), so duplicate notifications name one task; options
//!   come from the object's user metadata; the outcome is written to
//!   `results/{project}/{instance}/{name}.json`.
//!
//! Running a task is [`super::run`], exactly as `apig serve` runs it: lease, import, finish.

use super::{document_key, fail_now, run_within, submit, TaskContext};
use crate::config::Limits;
use crate::error::{ApigError, Code};
use crate::import::{GroupTarget, ImportOptions};
use crate::model::{Id, Mode, PathId, Scope, Task};
use crate::store::s3::{Fetched, S3Bucket};
use crate::store::sqs::TaskMessage;
use crate::store::Store;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// The prefix of dropped documents.
pub const IMPORTS_PREFIX: &str = "imports/";
/// The prefix of their results.
pub const RESULTS_PREFIX: &str = "results/";

/// The start of the reason of a message that names nothing the worker could settle.
const UNREADABLE: &str = "unreadable";

/// Why an event could not be handled at all (the whole invocation fails and is retried).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("not an SQS or S3 event: {0}")]
    UnknownEvent(String),
    #[error("{failed} of the S3 records must be retried: {detail}")]
    Retry { failed: usize, detail: String },
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Done with (run, finished, or nothing to do).
    Done,
    /// Must be seen again later.
    Retry(String),
}

// --- The events, as much of them as the worker reads ------------------------------------

#[derive(Deserialize)]
struct Records {
    #[serde(rename = "Records", default)]
    records: Vec<Value>,
}

#[derive(Deserialize)]
struct SqsRecord {
    #[serde(rename = "messageId")]
    message_id: String,
    #[serde(default)]
    body: String,
    #[serde(rename = "eventSourceARN", default)]
    source_arn: String,
}

/// What to do with the task a message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handling {
    /// Run it (a delivery of the task queue).
    Run,
    /// Give up on it: the message comes from the dead-letter queue.
    GiveUp,
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: S3BucketRef,
    object: S3ObjectRef,
}

#[derive(Deserialize)]
struct S3BucketRef {
    name: String,
}

#[derive(Deserialize)]
struct S3ObjectRef {
    key: String,
    #[serde(rename = "versionId", default)]
    version_id: Option<String>,
    #[serde(rename = "eTag", default)]
    e_tag: Option<String>,
}

/// The partial batch response of an SQS invocation.
#[derive(Serialize, Deserialize, Debug, Default, PartialEq, Eq)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
pub struct BatchItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// The result object of a dropped document (the same shape as `apig serve --watch`'s).
#[derive(Serialize)]
struct ResultObject<'a> {
    task_id: &'a str,
    task_status: &'a str,
    task_type: &'a str,
    task_result: &'a str,
    source: Source<'a>,
}

#[derive(Serialize)]
struct Source<'a> {
    bucket: &'a str,
    key: &'a str,
    version_id: Option<&'a str>,
}

// --- Dropped documents ------------------------------------------------------------------

/// A dropped document, from its notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub bucket: String,
    /// The object key, decoded.
    pub key: String,
    pub version_id: Option<String>,
    pub e_tag: Option<String>,
    pub scope: Scope,
    /// The key after `imports/{project}/{instance}/`.
    pub name: String,
}

impl Dropped {
    /// The document a notification names, if it is under `imports/{project}/{instance}/`
    /// with a document's extension (anything else in the bucket is not the worker's).
    pub fn parse(
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        e_tag: Option<&str>,
    ) -> Option<Self> {
        let rest = key.strip_prefix(IMPORTS_PREFIX)?;
        let mut parts = rest.splitn(3, '/');
        let project = PathId::parse(parts.next()?)?;
        let instance = PathId::parse(parts.next()?)?;
        let name = parts.next()?;
        let lower = name.to_ascii_lowercase();
        let document = [".json", ".yaml", ".yml"]
            .iter()
            .any(|e| lower.ends_with(e));
        let last = name.rsplit('/').next().unwrap_or(name);
        if !document || last.starts_with('.') {
            return None;
        }
        let nonempty = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty() && *v != "null")
                .map(str::to_string)
        };
        Some(Dropped {
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id: nonempty(version_id),
            e_tag: nonempty(e_tag).map(|t| t.trim_matches('"').to_string()),
            scope: Scope::new(project, instance),
            name: name.to_string(),
        })
    }

    /// What tells this version of the object from others: its version id, or its ETag
    /// when versioning is off.
    pub fn version(&self) -> &str {
        self.version_id
            .as_deref()
            .or(self.e_tag.as_deref())
            .unwrap_or("")
    }

    /// The task id: the same for every notification of this version of this object.
    pub fn task_id(&self) -> Id {
        let digest = Sha256::digest(
            format!("s3\n{}\n{}\n{}", self.bucket, self.key, self.version()).as_bytes(),
        );
        Id::parse(&hex::encode(&digest[..16])).unwrap_or_else(Id::generate)
    }

    /// `results/{project}/{instance}/{name}.json`.
    pub fn result_key(&self) -> String {
        format!(
            "{RESULTS_PREFIX}{}/{}/{}.json",
            self.scope.project_id.as_str(),
            self.scope.instance_id.as_str(),
            self.name
        )
    }

    /// The caller recorded with the import: the object's ARN.
    pub fn caller(&self) -> String {
        format!("arn:aws:s3:::{}/{}", self.bucket, self.key)
    }
}

/// An S3 notification's key: URL-encoded, with `+` for a space.
pub fn decode_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The import options of a dropped document from its user metadata: the form's fields, with
/// `-` or `_` (`api-mode` or `api_mode`), the form's defaults and the form's errors. Also
/// the `group_id` of an import into an existing group.
pub fn options_from_metadata(
    metadata: &HashMap<String, String>,
) -> Result<(ImportOptions, Option<String>), ApigError> {
    let text = |name: &str| -> Option<&str> {
        metadata
            .get(name)
            .or_else(|| metadata.get(&name.replace('_', "-")))
            .map(|v| v.trim())
    };
    let boolean = |name: &str, default: bool| -> Result<bool, ApigError> {
        match text(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ApigError::parameter(Code::Apig2012, name)),
        }
    };
    let mode = |name: &str| -> Result<Mode, ApigError> {
        match text(name) {
            None => Ok(Mode::default()),
            Some(v) => Mode::parse(v).ok_or_else(|| ApigError::parameter(Code::Apig2012, name)),
        }
    };
    let is_create_group = boolean("is_create_group", true)?;
    let options = ImportOptions {
        // The stored options keep only the flag; the task keeps the id.
        group: if is_create_group {
            GroupTarget::New
        } else {
            GroupTarget::Existing(String::new())
        },
        api_mode: mode("api_mode")?,
        extend_mode: mode("extend_mode")?,
        simple_mode: boolean("simple_mode", false)?,
        mock_mode: boolean("mock_mode", false)?,
    };
    let group_id = if is_create_group {
        None
    } else {
        match text("group_id") {
            Some(id) if !id.is_empty() => Some(id.to_string()),
            _ => return Err(ApigError::parameter(Code::Apig2001, "group_id")),
        }
    };
    Ok((options, group_id))
}

/// Zero bytes, or only white space (a UTF-8 byte-order mark counts as such) — the form's
/// APIG.3609.
fn is_blank(document: &[u8]) -> bool {
    let rest = document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document);
    rest.iter().all(u8::is_ascii_whitespace)
}

// --- The worker -------------------------------------------------------------------------

/// The worker: the store, the bucket, the limits (its own `APIG_MAX_DOCUMENT_BYTES`, 10 MiB
/// by default: not bounded by a synchronous invocation's payload).
#[derive(Clone)]
pub struct AwsWorker {
    ctx: TaskContext,
    bucket: S3Bucket,
    owner: String,
    /// When the current invocation is stopped (Unix seconds): leases are not renewed past it.
    deadline: Option<i64>,
    /// The ARN of the task queue's dead-letter queue: its messages are given up on.
    dead_letters: Option<String>,
}

impl AwsWorker {
    pub fn new(store: Arc<dyn Store>, bucket: S3Bucket, limits: Limits) -> Self {
        let blobs = Arc::new(bucket.clone());
        AwsWorker {
            ctx: TaskContext::new(store, blobs, limits),
            bucket,
            owner: format!("lambda-{}", uuid::Uuid::new_v4().simple()),
            deadline: None,
            dead_letters: None,
        }
    }

    /// The same worker, told which queue is the dead-letter queue (its ARN, as SQS records
    /// name their queue in `eventSourceARN`).
    pub fn with_dead_letter_queue(mut self, arn: impl Into<String>) -> Self {
        self.dead_letters = Some(arn.into());
        self
    }

    /// The same worker with leases of `seconds` (tests: a lease that expires soon after a
    /// worker is killed).
    pub fn with_lease_seconds(mut self, seconds: i64) -> Self {
        self.ctx.lease_seconds = seconds;
        self
    }

    /// The same worker for one invocation that is stopped at `deadline` (Unix seconds).
    pub fn until(mut self, deadline: i64) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Handle one Lambda event; the JSON answered to the runtime.
    pub async fn handle(&self, event: Value) -> Result<Value, WorkerError> {
        let source = event
            .pointer("/Records/0/eventSource")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let records = serde_json::from_value::<Records>(event)
            .map_err(|e| WorkerError::UnknownEvent(e.to_string()))?
            .records;
        match source.as_str() {
            "aws:sqs" => {
                let response = self.sqs(records).await;
                serde_json::to_value(response).map_err(|e| WorkerError::UnknownEvent(e.to_string()))
            }
            "aws:s3" => {
                let outcomes = self.s3_records(records, Handling::Run).await;
                let retries: Vec<String> = outcomes
                    .into_iter()
                    .filter_map(|o| match o {
                        Outcome::Retry(why) => Some(why),
                        Outcome::Done => None,
                    })
                    .collect();
                if retries.is_empty() {
                    Ok(Value::Object(Default::default()))
                } else {
                    // Lambda retries a failed asynchronous invocation (twice by default).
                    Err(WorkerError::Retry {
                        failed: retries.len(),
                        detail: retries.join("; "),
                    })
                }
            }
            other => Err(WorkerError::UnknownEvent(format!("event source {other:?}"))),
        }
    }

    /// Every record of an SQS batch; those to see again in `batchItemFailures`.
    async fn sqs(&self, records: Vec<Value>) -> BatchResponse {
        let mut response = BatchResponse::default();
        for raw in records {
            let record = match serde_json::from_value::<SqsRecord>(raw) {
                Ok(record) => record,
                Err(error) => {
                    // No message id to name: nothing to report it by.
                    tracing::error!(target: "apig_import::task", %error, "unreadable SQS record");
                    continue;
                }
            };
            let handling = if self.dead_letters.as_deref() == Some(record.source_arn.as_str()) {
                Handling::GiveUp
            } else {
                Handling::Run
            };
            if let Outcome::Retry(why) = self.message(&record.body, handling).await {
                tracing::warn!(target: "apig_import::task", message_id = %record.message_id, reason = %why, "message to be retried");
                response.batch_item_failures.push(BatchItemFailure {
                    item_identifier: record.message_id,
                });
            }
        }
        response
    }

    /// One message body: a task message, or an S3 notification routed through the queue.
    async fn message(&self, body: &str, handling: Handling) -> Outcome {
        let outcome = self.message_of(body, handling).await;
        match (handling, outcome) {
            // A dead letter that names nothing the worker can settle: reported here, with
            // its body, and dropped (retrying it would change nothing).
            (Handling::GiveUp, Outcome::Retry(why)) if why.starts_with(UNREADABLE) => {
                let body: String = body.chars().take(1024).collect();
                tracing::error!(target: "apig_import::task", reason = %why, %body, "dead letter dropped");
                Outcome::Done
            }
            (_, outcome) => outcome,
        }
    }

    async fn message_of(&self, body: &str, handling: Handling) -> Outcome {
        if let Ok(message) = serde_json::from_str::<TaskMessage>(body) {
            return match (
                Id::parse(&message.task_id),
                PathId::parse(&message.project),
                PathId::parse(&message.instance),
            ) {
                (Some(id), Some(project), Some(instance)) => {
                    self.settle(&Scope::new(project, instance), &id, handling)
                        .await
                }
                _ => Outcome::Retry(format!("{UNREADABLE}: malformed task message {body:?}")),
            };
        }
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            return Outcome::Retry(format!("{UNREADABLE}: message is not JSON"));
        };
        if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
            return Outcome::Done;
        }
        match serde_json::from_value::<Records>(value) {
            Ok(records) if !records.records.is_empty() => {
                let outcomes = self.s3_records(records.records, handling).await;
                outcomes
                    .into_iter()
                    .find(|o| matches!(o, Outcome::Retry(_)))
                    .unwrap_or(Outcome::Done)
            }
            _ => Outcome::Retry(format!(
                "{UNREADABLE}: neither a task message nor an S3 notification"
            )),
        }
    }

    /// Run the task, or give up on it.
    async fn settle(&self, scope: &Scope, id: &Id, handling: Handling) -> Outcome {
        match handling {
            Handling::Run => self.run_task(scope, id).await,
            Handling::GiveUp => self.give_up(scope, id).await,
        }
    }

    /// The task of a dead letter: finished `failed` (APIG.9999) unless it is finished, or
    /// held by a live worker (seen again later: that worker may finish it first).
    async fn give_up(&self, scope: &Scope, id: &Id) -> Outcome {
        match fail_now(&self.ctx, scope, id, &self.owner, &ApigError::internal()).await {
            Ok(Some(_)) => {
                tracing::error!(target: "apig_import::task", task_id = %id, "dead letter: task failed");
                return Outcome::Done;
            }
            Ok(None) => {}
            Err(error) => return Outcome::Retry(format!("task {id}: {error}")),
        }
        match self.ctx.store.get_task(scope, id).await {
            Ok(Some(task)) if task.status.is_finished() => Outcome::Done,
            Ok(Some(_)) => Outcome::Retry(format!("task {id} is being run by another worker")),
            Ok(None) => {
                tracing::error!(target: "apig_import::task", task_id = %id, "dead letter of an unknown task: dropped");
                Outcome::Done
            }
            Err(error) => Outcome::Retry(format!("task {id}: {error}")),
        }
    }

    /// Run the task; done when it is finished (by this run or another) or does not exist.
    async fn run_task(&self, scope: &Scope, id: &Id) -> Outcome {
        match run_within(&self.ctx, scope, id, &self.owner, self.deadline).await {
            Ok(Some(_)) => return Outcome::Done,
            Ok(None) => {}
            Err(error) => return Outcome::Retry(format!("task {id}: {error}")),
        }
        // Not run by this call: finished already, absent, or leased to another worker (which
        // may die: see it again after the visibility timeout).
        match self.ctx.store.get_task(scope, id).await {
            Ok(Some(task)) if task.status.is_finished() => Outcome::Done,
            Ok(Some(_)) => Outcome::Retry(format!("task {id} is being run by another worker")),
            Ok(None) => {
                tracing::error!(target: "apig_import::task", task_id = %id, "message of an unknown task: dropped");
                Outcome::Done
            }
            Err(error) => Outcome::Retry(format!("task {id}: {error}")),
        }
    }

    async fn s3_records(&self, records: Vec<Value>, handling: Handling) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        for raw in records {
            let record = match serde_json::from_value::<S3Record>(raw) {
                Ok(record) => record,
                Err(error) => {
                    tracing::error!(target: "apig_import::task", %error, "unreadable S3 record: ignored");
                    continue;
                }
            };
            if !record.event_name.starts_with("ObjectCreated") {
                continue;
            }
            let key = decode_key(&record.s3.object.key);
            let Some(dropped) = Dropped::parse(
                &record.s3.bucket.name,
                &key,
                record.s3.object.version_id.as_deref(),
                record.s3.object.e_tag.as_deref(),
            ) else {
                tracing::info!(target: "apig_import::task", %key, "not a document under imports/{{project}}/{{instance}}/: ignored");
                continue;
            };
            outcomes.push(self.dropped(&dropped, handling).await);
        }
        outcomes
    }

    /// A dropped document: record its task (once per version), run it (or give up on it),
    /// write its result.
    async fn dropped(&self, dropped: &Dropped, handling: Handling) -> Outcome {
        let id = dropped.task_id();
        match self.ctx.store.get_task(&dropped.scope, &id).await {
            Ok(Some(_)) => {}
            Ok(None) => match self.record(dropped, &id).await {
                Ok(true) => {}
                // The object is gone: nothing to import, nothing to report.
                Ok(false) => return Outcome::Done,
                Err(why) => return Outcome::Retry(why),
            },
            Err(error) => return Outcome::Retry(format!("task {id}: {error}")),
        }
        if let Outcome::Retry(why) = self.settle(&dropped.scope, &id, handling).await {
            return Outcome::Retry(why);
        }
        let task = match self.ctx.store.get_task(&dropped.scope, &id).await {
            Ok(Some(task)) if task.status.is_finished() => task,
            // Recorded just now and already gone: nothing to report on.
            Ok(_) => return Outcome::Retry(format!("task {id} is not finished")),
            Err(error) => return Outcome::Retry(format!("task {id}: {error}")),
        };
        match self.write_result(dropped, &task).await {
            Ok(()) => Outcome::Done,
            Err(why) => Outcome::Retry(why),
        }
    }

    /// Record the task of a dropped document: the document copied under `tasks/…` (the
    /// task owns it, whatever becomes of the dropped object), or a task that fails at once
    /// when the document cannot be imported as dropped (metadata, size, empty). `false`:
    /// the object no longer exists, no task.
    async fn record(&self, dropped: &Dropped, id: &Id) -> Result<bool, String> {
        let max = self.ctx.limits.max_document_bytes as u64;
        let fetched = self
            .bucket
            .get_object_within(&dropped.key, dropped.version_id.as_deref(), max)
            .await
            .map_err(|e| e.to_string())?;
        let (refused, options, group_id, document) = match fetched {
            Fetched::Missing => {
                tracing::warn!(target: "apig_import::task", key = %dropped.key, "dropped document gone before it was read: ignored");
                return Ok(false);
            }
            Fetched::TooLarge(size) => {
                tracing::warn!(target: "apig_import::task", key = %dropped.key, size, "dropped document too large");
                let error = ApigError::new(
                    Code::Apig3603,
                    format!("The file must not be larger than {max} bytes"),
                );
                (Some(error), ImportOptions::default(), None, Bytes::new())
            }
            Fetched::Object(object) => match options_from_metadata(&object.metadata) {
                Err(error) => (Some(error), ImportOptions::default(), None, object.data),
                Ok(_) if is_blank(&object.data) => (
                    Some(ApigError::new(Code::Apig3609, "")),
                    ImportOptions::default(),
                    None,
                    object.data,
                ),
                Ok((options, group_id)) => (None, options, group_id, object.data),
            },
        };
        let task = Task::new_import(
            id.clone(),
            dropped.scope.clone(),
            options,
            group_id,
            dropped.caller(),
            document_key(&dropped.scope, id),
        );
        submit(&self.ctx, &task, document)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(target: "apig_import::task", task_id = %id, key = %dropped.key, "dropped document submitted");
        if let Some(error) = refused {
            self.fail_at_once(&task, &error).await?;
        }
        Ok(true)
    }

    /// Finish a just-recorded task as `failed` with `error` (if no other worker took it).
    async fn fail_at_once(&self, task: &Task, error: &ApigError) -> Result<(), String> {
        fail_now(&self.ctx, &task.scope, &task.id, &self.owner, error)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    async fn write_result(&self, dropped: &Dropped, task: &Task) -> Result<(), String> {
        let body = ResultObject {
            task_id: task.id.as_str(),
            task_status: task.status.as_str(),
            task_type: task.task_type.as_str(),
            task_result: &task.result,
            source: Source {
                bucket: &dropped.bucket,
                key: &dropped.key,
                version_id: dropped.version_id.as_deref(),
            },
        };
        let json = serde_json::to_vec_pretty(&body).map_err(|e| e.to_string())?;
        self.bucket
            .put_object(&dropped.result_key(), Bytes::from(json), "application/json")
            .await
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_keys() {
        let d = Dropped::parse(
            "b",
            "imports/p1/i1/dir/shop.yaml",
            Some("v1"),
            Some("\"e\""),
        )
        .expect("a document");
        assert_eq!(d.name, "dir/shop.yaml");
        assert_eq!(d.result_key(), "results/p1/i1/dir/shop.yaml.json");
        assert_eq!(d.version(), "v1");
        let same = Dropped::parse("b", "imports/p1/i1/dir/shop.yaml", Some("v1"), None)
            .expect("a document");
        assert_eq!(d.task_id(), same.task_id(), "ETag aside, the same version");
        let other = Dropped::parse("b", "imports/p1/i1/dir/shop.yaml", Some("v2"), None)
            .expect("a document");
        assert_ne!(d.task_id(), other.task_id());
        let unversioned = Dropped::parse("b", "imports/p/i/a.json", Some("null"), Some("\"e1\""))
            .expect("a document");
        assert_eq!(unversioned.version(), "e1");
        for ignored in [
            "results/p/i/a.json",
            "imports/p/a.json",
            "imports/p/i/a.txt",
            "imports/p/i/.hidden.json",
            "imports/p/i/",
        ] {
            assert!(
                Dropped::parse("b", ignored, None, None).is_none(),
                "{ignored}"
            );
        }
        assert_eq!(
            decode_key("imports/p/i/my+shop%C3%A9.yaml"),
            "imports/p/i/my shopé.yaml"
        );
    }

    #[test]
    fn metadata_options() {
        let meta = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let (options, group) = options_from_metadata(&meta(&[])).expect("defaults");
        assert_eq!((options, group), (ImportOptions::default(), None));
        let (options, group) = options_from_metadata(&meta(&[
            ("api-mode", "Override"),
            ("is-create-group", "false"),
            ("group-id", "g1"),
            ("mock_mode", "true"),
        ]))
        .expect("valid");
        assert_eq!(options.api_mode, Mode::Override);
        assert!(options.mock_mode);
        assert_eq!(group.as_deref(), Some("g1"));
        let bad =
            options_from_metadata(&meta(&[("extend-mode", "sideways")])).expect_err("bad mode");
        assert_eq!(bad.code, Code::Apig2012);
        let missing =
            options_from_metadata(&meta(&[("is-create-group", "false")])).expect_err("no group id");
        assert_eq!(missing.code, Code::Apig2001);
    }
}
