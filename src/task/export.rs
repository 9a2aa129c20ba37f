//! The export task (`spec/async-export.md` §4, `ExportApiDefinitionsAsync`): the request is
//! kept as the task's document (a small JSON object, the same blob as an import's file),
//! and the task's result is Huawei's `{"FileName", "FileType", "Comment": <the file>}`.

use crate::error::ApigError;
use crate::export::{self, Define, ExportFormat, ExportRequest, OasVersion};
use crate::model::{Id, ImportOptions, Scope, Task, TaskType};
use crate::store::Catalog;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The stored form of an [`ExportRequest`] (each choice in its request spelling).
#[derive(Serialize, Deserialize)]
struct Stored {
    env_id: String,
    group_id: String,
    define: String,
    #[serde(rename = "type")]
    format: String,
    oas_version: String,
    version: Option<String>,
    apis: Vec<String>,
}

/// The task's document for `request`.
pub fn encode(request: &ExportRequest) -> Bytes {
    let stored = Stored {
        env_id: request.env_id.clone(),
        group_id: request.group_id.clone(),
        define: request.define.as_str().to_string(),
        format: request.format.extension().to_string(),
        oas_version: request.oas.as_str().to_string(),
        version: request.version.clone(),
        apis: request.apis.clone(),
    };
    serde_json::to_vec(&stored).unwrap_or_default().into()
}

/// The request back from the task's document; `None` if it is not one (never written so).
pub fn decode(document: &[u8]) -> Option<ExportRequest> {
    let stored: Stored = serde_json::from_slice(document).ok()?;
    Some(ExportRequest {
        env_id: stored.env_id,
        group_id: stored.group_id,
        define: Define::parse(&stored.define)?,
        format: ExportFormat::parse(&stored.format)?,
        oas: OasVersion::parse(&stored.oas_version)?,
        version: stored.version,
        apis: stored.apis,
    })
}

/// A new waiting export task of `scope`, its document at `document`.
pub fn new_task(
    id: Id,
    scope: Scope,
    request: &ExportRequest,
    caller: String,
    document: String,
) -> Task {
    Task {
        task_type: TaskType::ExportApi,
        ..Task::new_import(
            id,
            scope,
            ImportOptions::default(),
            Some(request.group_id.clone()),
            caller,
            document,
        )
    }
}

/// Huawei's result of an export task.
#[derive(Serialize)]
struct ExportResult<'a> {
    #[serde(rename = "FileName")]
    file_name: &'a str,
    #[serde(rename = "FileType")]
    file_type: String,
    #[serde(rename = "Comment")]
    comment: &'a str,
}

/// Run the export: the `task_result` string, or the error that fails the task.
pub async fn run(store: &dyn Catalog, scope: &Scope, document: &[u8]) -> Result<String, ApigError> {
    let request = decode(document).ok_or_else(ApigError::internal)?;
    let file = export::export(store, scope, &request).await?;
    let result = ExportResult {
        file_name: &file.file_name,
        file_type: format!(".{}", request.format.extension()),
        comment: &file.text,
    };
    serde_json::to_string(&result).map_err(|_| ApigError::internal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_survive_their_document() {
        let request = ExportRequest {
            env_id: export::RELEASE_ENV_ID.to_string(),
            group_id: "g".to_string(),
            define: Define::All,
            format: ExportFormat::Yaml,
            oas: OasVersion::V3,
            version: Some("1.2".to_string()),
            apis: vec!["a".to_string(), "b".to_string()],
        };
        assert_eq!(decode(&encode(&request)), Some(request));
        assert_eq!(decode(b"{}"), None);
    }
}
