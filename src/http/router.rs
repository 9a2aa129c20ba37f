//! Routes and handlers.

use super::edge;
use super::form::parse_import_form;
use super::read;
use super::response::{json_response, CallerId, ErrorResponse, RequestId};
use super::AppState;
use crate::auth::IMPORT_ACTION;
use crate::error::{ApigError, Code};
use crate::import::ImportRequest;
use crate::model::{PathId, Scope};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use futures_util::StreamExt;
use tower::Layer;

/// `POST` — the Import API.
pub const IMPORT_ROUTE: &str = "/v2/{project_id}/apigw/instances/{instance_id}/openapi/import";

/// The service: every route of the product, behind the edge middleware (which strips a
/// stage or base path before routing, so `/Prod/v2/...` reaches the same routes).
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(IMPORT_ROUTE, post(import_handler))
        .route(read::API_GROUPS_ROUTE, get(read::list_api_groups))
        .route(read::APIS_ROUTE, get(read::list_apis))
        .route(read::API_ROUTE, get(read::show_api))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let with_edge = axum::middleware::from_fn(edge::edge).layer(routes);
    Router::new().fallback_service(with_edge)
}

async fn not_found(request_id: RequestId) -> Response {
    let mut error = ApigError::with_message(Code::Apig2000, "Not found");
    error.status_override = Some(404);
    ErrorResponse::new(error, &request_id).into_response()
}

async fn method_not_allowed(request_id: RequestId) -> Response {
    let mut error = ApigError::with_message(Code::Apig2000, "Method not allowed");
    error.status_override = Some(405);
    ErrorResponse::new(error, &request_id).into_response()
}

async fn import_handler(
    State(state): State<AppState>,
    request_id: RequestId,
    request: Request,
) -> Response {
    let mut caller = None;
    let mut response = match import(&state, request, &mut caller).await {
        Ok(body) => {
            let mut response = json_response(StatusCode::OK, &body, &request_id);
            response.extensions_mut().insert(edge::ImportSummary {
                group_id: body.group_id.clone(),
                success: body.success.len(),
                failure: body.failure.len(),
                ignore: body.ignore.len(),
                result: body.result.as_str(),
            });
            response
        }
        Err(error) => {
            if error.code == Code::Apig9999 {
                tracing::error!(
                    target: "apig_import::http",
                    request_id = %request_id,
                    error = %error,
                    "import failed"
                );
            }
            ErrorResponse::new(error, &request_id).into_response()
        }
    };
    if let Some(caller) = caller {
        response.extensions_mut().insert(CallerId(caller));
    }
    response
}

async fn import(
    state: &AppState,
    request: Request,
    caller_id: &mut Option<String>,
) -> Result<crate::import::ImportResponse, ApigError> {
    let (parts, body) = request.into_parts();
    let (project_id, instance_id) = path_ids(parts.uri.path())?;

    // Authenticate and authorize before the body is parsed (and before a byte of it is read,
    // unless a signature covers the body).
    let (caller, body) = super::authn::authenticate(state, &parts, body).await?;
    *caller_id = Some(caller.id.clone());
    caller.authorize(&project_id, IMPORT_ACTION)?;

    let body = body
        .bytes(&parts.headers, state.limits.max_body_bytes())
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
        scope: Scope::new(project_id, instance_id),
        caller: caller.id,
        options,
        document,
    };
    crate::import::run(&*state.store, &state.limits, request).await
}

/// `project_id` and `instance_id` of an import path (`/v2/{p}/apigw/instances/{i}/...`),
/// percent-decoded and validated.
fn path_ids(path: &str) -> Result<(PathId, PathId), ApigError> {
    let segments: Vec<&str> = path.split('/').collect();
    let id = |index: usize, name: &str| {
        segments
            .get(index)
            .and_then(|raw| percent_encoding::percent_decode_str(raw).decode_utf8().ok())
            .and_then(|decoded| PathId::parse(&decoded))
            .ok_or_else(|| ApigError::parameter(Code::Apig2012, name))
    };
    Ok((id(2, "project_id")?, id(5, "instance_id")?))
}

fn too_large(limit: usize) -> ApigError {
    ApigError::new(
        Code::Apig3603,
        format!("The request body must not be larger than {limit} bytes"),
    )
}

/// Read the whole body, refusing more than `limit` bytes (checked against `Content-Length`
/// first, then while reading).
pub(super) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, ApigError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    let mut stream = body.into_data_stream();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| ApigError::new(Code::Apig2000, "The request body could not be read"))?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(too_large(limit));
        }
        chunks.push(chunk);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut all = Vec::with_capacity(total);
            for chunk in &chunks {
                all.extend_from_slice(chunk);
            }
            Bytes::from(all)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_paths() {
        let ok = path_ids("/v2/p-1/apigw/instances/i_2/openapi/import").expect("ids");
        assert_eq!((ok.0.as_str(), ok.1.as_str()), ("p-1", "i_2"));
        let decoded = path_ids("/v2/p%2D1/apigw/instances/i/openapi/import").expect("ids");
        assert_eq!(decoded.0.as_str(), "p-1");
        let e = path_ids("/v2/p.1/apigw/instances/i/openapi/import").expect_err("bad");
        assert!(e.message.contains("parameterName:project_id"));
        let e = path_ids("/v2/p/apigw/instances/i%2Fx/openapi/import").expect_err("bad");
        assert!(e.message.contains("parameterName:instance_id"));
        let e = path_ids("/v2/%FF/apigw/instances/i/openapi/import").expect_err("bad");
        assert!(e.message.contains("parameterName:project_id"));
    }
}
