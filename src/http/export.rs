//! `ExportApiDefinitionsV2` over HTTP (`async-export.md` §4): the JSON body and the
//! `oas_version` query turned into an [`ExportRequest`], and the file as the response.

use super::authn;
use super::path::PathIds;
use super::response::Json;
use super::tasks::{Accepted, TaskQueue};
use super::AppState;
use crate::error::{ApigError, Code};
use crate::export::{self, Define, ExportFile, ExportFormat, ExportRequest, OasVersion};
use crate::model::Id;
use crate::task::export as task_export;
use crate::task::{document_key, submit, TaskContext};
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use std::sync::Arc;

/// `POST` — ExportApiDefinitionsV2.
pub const EXPORT_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/openapi/export";
/// An `ExportOpenApiReq` is a few ids; a megabyte holds thousands of them.
const MAX_EXPORT_BODY: usize = 1024 * 1024;
/// The action a caller needs (**[decision]** of §4).
pub const EXPORT_ACTION: &str = "apig:api:export";

/// Credentials first (nothing of the body is read before), then the body, then the export.
pub async fn export_api_definitions(
    State(state): State<AppState>,
    ids: PathIds,
    request: Request,
) -> Result<Response, ApigError> {
    let (parts, body) = request.into_parts();
    let (_, body) =
        authn::authorize(&state, &parts, body, &ids.scope.project_id, EXPORT_ACTION).await?;
    let body = body
        .bytes(
            &parts.headers,
            MAX_EXPORT_BODY.min(state.limits.max_body_bytes()),
            state.limits.body_timeout,
        )
        .await?;
    let oas = query_value(parts.uri.query(), "oas_version");
    let request = parse_request(&body, oas.as_deref())?;
    let file = export::export(&*state.store, &ids.scope, &request).await?;
    Ok(file_response(file))
}

/// `POST` — ExportApiDefinitionsAsync.
pub const ASYNC_EXPORT_ROUTE: &str =
    "/v2/{project_id}/apigw/instances/{instance_id}/openapi/async-export";

/// The asynchronous export: the same credentials, query and body as the export, refused
/// synchronously when they are (and for an unknown instance); the group and environment
/// are the task's to check, as an async import's are. `202 {"task_id"}` once recorded.
pub async fn async_export_api_definitions(
    State(state): State<AppState>,
    Extension(queue): Extension<TaskQueue>,
    ids: PathIds,
    request: Request,
) -> Result<(StatusCode, Json<Accepted>), ApigError> {
    let (parts, body) = request.into_parts();
    let (caller, body) =
        authn::authorize(&state, &parts, body, &ids.scope.project_id, EXPORT_ACTION).await?;
    let body = body
        .bytes(
            &parts.headers,
            MAX_EXPORT_BODY.min(state.limits.max_body_bytes()),
            state.limits.body_timeout,
        )
        .await?;
    let oas = query_value(parts.uri.query(), "oas_version");
    let request = parse_request(&body, oas.as_deref())?;
    if !state.store.instance_exists(&ids.scope).await? {
        return Err(ApigError::instance_not_found(&ids.scope));
    }
    let id = Id::generate();
    let task = task_export::new_task(
        id.clone(),
        ids.scope.clone(),
        &request,
        caller.id,
        document_key(&ids.scope, &id),
    );
    let ctx = TaskContext::new(
        Arc::clone(&state.store),
        Arc::clone(&queue.blobs),
        state.limits.clone(),
    );
    submit(&ctx, &task, task_export::encode(&request)).await?;
    if let Some(wake) = &queue.wake {
        wake.wake();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            task_id: id.to_string(),
        }),
    ))
}

/// The first non-empty value of `name` in the query.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
}

/// `ExportOpenApiReq` from the body: a missing `env_id` / `group_id` is `APIG.2001`, a value
/// that cannot be used (bad `define`, `type`, `oas_version`, a field of the wrong type) is
/// `APIG.2012`, each naming the parameter.
pub fn parse_request(body: &[u8], oas_version: Option<&str>) -> Result<ExportRequest, ApigError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|_| ApigError::parameter(Code::Apig2012, "body"))?
    };
    let Value::Object(fields) = value else {
        return Err(ApigError::parameter(Code::Apig2012, "body"));
    };
    let text = |name: &str| -> Result<Option<String>, ApigError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(ApigError::parameter(Code::Apig2012, name)),
        }
    };
    let required =
        |name: &str| text(name)?.ok_or_else(|| ApigError::parameter(Code::Apig2001, name));
    let env_id = required("env_id")?;
    let group_id = required("group_id")?;
    let define = match text("define")? {
        None => Define::default(),
        Some(raw) => {
            Define::parse(&raw).ok_or_else(|| ApigError::parameter(Code::Apig2012, "define"))?
        }
    };
    let format = match text("type")? {
        None => ExportFormat::default(),
        Some(raw) => {
            ExportFormat::parse(&raw).ok_or_else(|| ApigError::parameter(Code::Apig2012, "type"))?
        }
    };
    let oas = match oas_version {
        None => OasVersion::default(),
        Some(raw) => OasVersion::parse(raw)
            .ok_or_else(|| ApigError::parameter(Code::Apig2012, "oas_version"))?,
    };
    let apis = match fields.get("apis") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApigError::parameter(Code::Apig2012, "apis"))?,
        Some(_) => return Err(ApigError::parameter(Code::Apig2012, "apis")),
    };
    Ok(ExportRequest {
        env_id,
        group_id,
        define,
        format,
        oas,
        version: text("version")?,
        apis,
    })
}

/// `200` with the file, its content type and `Content-Disposition: attachment`.
fn file_response(file: ExportFile) -> Response {
    let mut response = Response::new(Body::from(file.text));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&file.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A header value for any group name: `filename` in ASCII (other characters and quotes as
/// `_`), plus RFC 5987's `filename*` with the exact UTF-8 name when they differ.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        format!("attachment; filename=\"{name}\"")
    } else {
        let encoded =
            percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_and_message(body: &str, oas: Option<&str>) -> (Code, String) {
        let e = parse_request(body.as_bytes(), oas).expect_err(body);
        (e.code, e.message)
    }

    #[test]
    fn requests_and_their_errors() {
        let r = parse_request(
            br#"{"env_id": "E", "group_id": "G", "define": "all", "type": "yml", "apis": ["a"]}"#,
            Some("3.0"),
        )
        .expect("request");
        assert_eq!(
            (r.define, r.format, r.oas, r.apis.as_slice()),
            (
                Define::All,
                ExportFormat::Yaml,
                OasVersion::V3,
                &["a".to_string()][..]
            )
        );
        let d = parse_request(br#"{"env_id": "E", "group_id": "G"}"#, None).expect("defaults");
        assert_eq!(
            (d.define, d.format, d.oas),
            (Define::Spec, ExportFormat::Json, OasVersion::V2)
        );
        for (body, oas, code, name) in [
            (r#"{"group_id": "G"}"#, None, Code::Apig2001, "env_id"),
            (r#"{"env_id": "E"}"#, None, Code::Apig2001, "group_id"),
            (
                r#"{"env_id": "E", "group_id": "G", "define": "full"}"#,
                None,
                Code::Apig2012,
                "define",
            ),
            (
                r#"{"env_id": "E", "group_id": "G", "type": "xml"}"#,
                None,
                Code::Apig2012,
                "type",
            ),
            (
                r#"{"env_id": "E", "group_id": "G"}"#,
                Some("3.1"),
                Code::Apig2012,
                "oas_version",
            ),
            (
                r#"{"env_id": "E", "group_id": "G", "apis": "x"}"#,
                None,
                Code::Apig2012,
                "apis",
            ),
        ] {
            let (c, message) = code_and_message(body, oas);
            assert_eq!(c, code, "{body}");
            assert!(
                message.contains(&format!("parameterName:{name}")),
                "{body}: {message}"
            );
        }
    }

    #[test]
    fn file_names_in_headers() {
        assert_eq!(
            content_disposition("shop-RELEASE-all-1.json"),
            "attachment; filename=\"shop-RELEASE-all-1.json\""
        );
        let value = content_disposition("商店.json");
        assert!(
            value.starts_with("attachment; filename=\"__.json\"; filename*=UTF-8''%E5"),
            "{value}"
        );
        assert!(HeaderValue::from_str(&value).is_ok());
    }
}
