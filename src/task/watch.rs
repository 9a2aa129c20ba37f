//! `apig serve --watch DIR`: the local form of the event-triggered import
//! (`spec/async-export.md` §3). A document dropped into `DIR/{project_id}/{instance_id}/`
//! (`.json`, `.yaml`, `.yml`) becomes an import task with the default options; once the
//! task is finished, `DIR/results/{project_id}/{instance_id}/{name}.json` holds
//! `{task_id, task_status, task_type, task_result, source}`.
//!
//! The task id is derived from the file's key and version (its size and modification
//! time), as on S3 from bucket, key and version: seeing the same file again — on every scan,
//! or after a restart — names the same task, and creating it again changes nothing. A file
//! is taken only once it looked the same on two scans in a row, so a document still being
//! written is not imported half-way.

use super::worker::Wake;
use super::{document_key, submit, TaskContext};
use crate::import::ImportOptions;
use crate::model::{Id, PathId, Scope, Task};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// How often the folder is scanned.
const SCAN: Duration = Duration::from_millis(500);
/// The folder of results, beside the projects' folders.
pub const RESULTS: &str = "results";

/// One dropped document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dropped {
    path: PathBuf,
    scope: Scope,
    /// `{project}/{instance}/{name}`.
    key: String,
    name: String,
    /// Size and modification time (nanoseconds), as a version id.
    version: String,
}

impl Dropped {
    fn task_id(&self) -> Id {
        let digest = Sha256::digest(format!("{}\n{}", self.key, self.version).as_bytes());
        Id::parse(&hex::encode(&digest[..16])).unwrap_or_else(Id::generate)
    }
}

#[derive(Serialize)]
struct Source<'a> {
    bucket: &'a str,
    key: &'a str,
    version_id: &'a str,
}

#[derive(Serialize)]
struct ResultFile<'a> {
    task_id: &'a str,
    task_status: &'a str,
    task_type: &'a str,
    task_result: &'a str,
    source: Source<'a>,
}

/// Watch `dir` until the runtime stops, submitting tasks to the worker woken by `wake`.
pub fn spawn(dir: PathBuf, ctx: TaskContext, wake: Wake) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: HashMap<PathBuf, String> = HashMap::new();
        let mut pending: HashMap<PathBuf, Dropped> = HashMap::new();
        loop {
            scan_once(&dir, &ctx, &wake, &mut last, &mut pending).await;
            tokio::time::sleep(SCAN).await;
        }
    })
}

/// One scan: submit the documents that are stable, write the results of finished tasks.
async fn scan_once(
    dir: &Path,
    ctx: &TaskContext,
    wake: &Wake,
    last: &mut HashMap<PathBuf, String>,
    pending: &mut HashMap<PathBuf, Dropped>,
) {
    let dropped = {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || list(&dir))
            .await
            .unwrap_or_default()
    };
    let mut seen = HashMap::new();
    for doc in dropped {
        let stable = last.get(&doc.path) == Some(&doc.version);
        seen.insert(doc.path.clone(), doc.version.clone());
        let result = result_path(dir, &doc);
        if !stable || pending.contains_key(&result) || is_current(&result, &doc) {
            continue;
        }
        let id = doc.task_id();
        let task = Task::new_import(
            id.clone(),
            doc.scope.clone(),
            ImportOptions::default(),
            None,
            format!("file:{}", doc.key),
            document_key(&doc.scope, &id),
        );
        let bytes = match std::fs::read(&doc.path) {
            Ok(bytes) => bytes::Bytes::from(bytes),
            Err(error) => {
                tracing::warn!(target: "apig_import::task", path = %doc.path.display(), %error, "cannot read dropped file");
                continue;
            }
        };
        match submit(ctx, &task, bytes).await {
            Ok(_) => {
                tracing::info!(target: "apig_import::task", task_id = %id, key = %doc.key, "dropped file submitted");
                wake.wake();
                pending.insert(result, doc);
            }
            Err(error) => {
                tracing::error!(target: "apig_import::task", key = %doc.key, %error, "cannot submit dropped file")
            }
        }
    }
    *last = seen;
    let mut done = Vec::new();
    for (result, doc) in pending.iter() {
        match ctx.store.get_task(&doc.scope, &doc.task_id()).await {
            Ok(Some(task)) if task.status.is_finished() => {
                if let Err(error) = write_result(dir, result, doc, &task) {
                    tracing::error!(target: "apig_import::task", path = %result.display(), %error, "cannot write result");
                }
                done.push(result.clone());
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(target: "apig_import::task", %error, "cannot read task")
            }
        }
    }
    for result in done {
        pending.remove(&result);
    }
}

fn result_path(dir: &Path, doc: &Dropped) -> PathBuf {
    dir.join(RESULTS)
        .join(doc.scope.project_id.as_str())
        .join(doc.scope.instance_id.as_str())
        .join(format!("{}.json", doc.name))
}

/// Does the result file answer this version of the document already?
fn is_current(result: &Path, doc: &Dropped) -> bool {
    let Ok(bytes) = std::fs::read(result) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.pointer("/source/version_id").cloned())
        .is_some_and(|v| v == doc.version.as_str())
}

fn write_result(dir: &Path, result: &Path, doc: &Dropped, task: &Task) -> std::io::Result<()> {
    let body = ResultFile {
        task_id: task.id.as_str(),
        task_status: task.status.as_str(),
        task_type: task.task_type.as_str(),
        task_result: &task.result,
        source: Source {
            bucket: &dir.to_string_lossy(),
            key: &doc.key,
            version_id: &doc.version,
        },
    };
    let json = serde_json::to_vec_pretty(&body).map_err(std::io::Error::other)?;
    if let Some(parent) = result.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = result.with_extension("json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, result)
}

/// The documents under `dir/{project}/{instance}/` (the results folder excluded).
fn list(dir: &Path) -> Vec<Dropped> {
    let mut found = Vec::new();
    for project in subdirs(dir) {
        let Some(project_id) = name_of(&project).and_then(|n| PathId::parse(&n)) else {
            continue;
        };
        if project_id.as_str() == RESULTS {
            continue;
        }
        for instance in subdirs(&project) {
            let Some(instance_id) = name_of(&instance).and_then(|n| PathId::parse(&n)) else {
                continue;
            };
            let Ok(entries) = std::fs::read_dir(&instance) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = name_of(&path) else { continue };
                let document = !name.starts_with('.')
                    && [".json", ".yaml", ".yml"]
                        .iter()
                        .any(|ext| name.to_ascii_lowercase().ends_with(ext));
                let Ok(meta) = entry.metadata() else { continue };
                if !document || !meta.is_file() {
                    continue;
                }
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                found.push(Dropped {
                    path,
                    key: format!("{}/{}/{name}", project_id.as_str(), instance_id.as_str()),
                    scope: Scope::new(project_id.clone(), instance_id.clone()),
                    version: format!("{}-{modified}", meta.len()),
                    name,
                });
            }
        }
    }
    found
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

fn name_of(path: &Path) -> Option<String> {
    path.file_name()?.to_str().map(str::to_string)
}
