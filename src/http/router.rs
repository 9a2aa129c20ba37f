//! Routes, and the Import API's handler.

use super::authn;
use super::edge::{self, ImportSummary};
use super::export;
use super::form::parse_import_form;
use super::offload::{run_job, Done, Job};
use super::path::{PathIds, RouteTemplate};
use super::read;
use super::response::Json;
use super::tasks;
use super::AppState;
use crate::auth::IMPORT_ACTION;
use crate::error::{ApigError, Code};
use crate::import::{Checks, ImportRequest};
use axum::extract::{Extension, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tower::Layer;

/// `POST` — the Import API.
pub const IMPORT_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/openapi/import";

/// The service: every route of the product, behind the edge middleware (which strips a
/// stage or base path before routing, so `/Prod/v2/...` reaches the same routes).
pub fn router(state: AppState) -> Router {
    router_with_tasks(state, None)
}

/// [`router`] plus the asynchronous import and the task status when there is a task queue
/// (without one, those paths are not routes: 404).
pub fn router_with_tasks(state: AppState, tasks: Option<tasks::TaskQueue>) -> Router {
    let mut table = vec![
        (IMPORT_ROUTE, post(import)),
        (read::API_GROUPS_ROUTE, get(read::list_api_groups)),
        (read::APIS_ROUTE, get(read::list_apis)),
        (read::API_ROUTE, get(read::show_api)),
        (export::EXPORT_ROUTE, post(export::export_api_definitions)),
    ];
    if let Some(queue) = tasks {
        table.push((
            tasks::ASYNC_IMPORT_ROUTE,
            post(tasks::async_import).layer(Extension(queue.clone())),
        ));
        table.push((
            export::ASYNC_EXPORT_ROUTE,
            post(export::async_export_api_definitions).layer(Extension(queue)),
        ));
        table.push((tasks::ASYNC_TASK_ROUTE, get(tasks::show_task)));
    }
    let routes = table
        .into_iter()
        .fold(Router::new(), |routes, (template, handler)| {
            // The template goes with the request, for the path extractor to find the ids by name.
            routes.route(template, handler.layer(Extension(RouteTemplate(template))))
        });
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let with_edge = axum::middleware::from_fn(edge::edge).layer(routes);
    Router::new().fallback_service(with_edge)
}

async fn not_found() -> ApigError {
    let mut error = ApigError::with_message(Code::Apig2000, "Not found");
    error.status_override = Some(404);
    error
}

async fn method_not_allowed() -> ApigError {
    let mut error = ApigError::with_message(Code::Apig2000, "Method not allowed");
    error.status_override = Some(405);
    error
}

/// The Import API: path ids, then credentials (before a byte of the body is read, unless
/// a signature covers the body), then the form, then the import.
async fn import(
    State(state): State<AppState>,
    ids: PathIds,
    request: Request,
) -> Result<(Extension<ImportSummary>, Response), ApigError> {
    let (parts, body) = request.into_parts();
    let (caller, body) =
        authn::authorize(&state, &parts, body, &ids.scope.project_id, IMPORT_ACTION).await?;
    // Our extension's query parameters (the official SDK sends none), checked once the
    // caller is known and before the body is read.
    let dry_run = query_flag(parts.uri.query(), "dry_run")?;
    let checks = Checks {
        fail_on_warnings: query_flag(parts.uri.query(), "fail_on_warnings")?,
    };

    let body = body
        .bytes(
            &parts.headers,
            state.limits.max_body_bytes(),
            state.limits.body_timeout,
        )
        .await?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or(""));
    let (options, document, file_name) =
        parse_import_form(content_type, body, &state.limits).await?;
    tracing::debug!(
        target: "apig_import::http",
        file_name = file_name.as_deref().unwrap_or(""),
        document_bytes = document.len(),
        "import form parsed"
    );

    let request = ImportRequest {
        scope: ids.scope,
        caller: caller.id,
        options,
        document,
    };
    let job = if dry_run {
        Job::Plan(checks)
    } else {
        Job::Import(checks)
    };
    match run_job(Arc::clone(&state.store), state.limits.clone(), request, job).await? {
        Done::Imported(response) => Ok((
            Extension(ImportSummary::of(&response)),
            Json(response).into_response(),
        )),
        Done::Planned(planned) => Ok((
            Extension(ImportSummary::of(&planned.response)),
            Json(planned).into_response(),
        )),
    }
}

/// A boolean query parameter: absent or empty is `false`; anything but `true` / `false`
/// is `APIG.2012` naming it.
fn query_flag(query: Option<&str>, name: &str) -> Result<bool, ApigError> {
    let value = query.and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    });
    match value.as_deref() {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApigError::parameter(Code::Apig2012, name)),
    }
}
