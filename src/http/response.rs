//! Responses: the request id, JSON bodies, and [`ApigError`] as an HTTP response
//! (`import-api.md` §3.4).
//!
//! Handlers return `Result<Json<T>, ApigError>`; an error becomes a response that carries
//! the error, and [`finish`] — run by the edge for every response — gives it its JSON body
//! with the request id. That is the one way a response ends.

use crate::error::ApigError;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::convert::Infallible;

/// The response header that carries the request id, on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of one request: the Lambda request id when running under Lambda, else a fresh
/// UUID. The edge middleware puts it into the request's extensions; handlers extract it,
/// and error bodies and logs use the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// A fresh random id (32 hex digits).
    pub fn generate() -> Self {
        RequestId(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::generate))
    }
}

/// Marks a response with the error code it reports (read by the request log).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub crate::error::Code);

/// An error a handler returned, waiting for [`finish`] to write its body.
#[derive(Debug, Clone)]
struct Failed(ApigError);

/// An [`ApigError`] answered for one request.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    pub error: ApigError,
    pub request_id: RequestId,
}

impl ErrorResponse {
    pub fn new(error: ApigError, request_id: &RequestId) -> Self {
        Self {
            error,
            request_id: request_id.clone(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_msg: &'a str,
    request_id: &'a str,
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.error.code.as_str(),
            error_msg: &self.error.message,
            request_id: self.request_id.as_str(),
        };
        let status =
            StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = json_response(status, &body, &self.request_id);
        response.extensions_mut().insert(ErrorCode(self.error.code));
        response
    }
}

impl IntoResponse for ApigError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        response.extensions_mut().insert(Failed(self));
        response
    }
}

/// A `200` JSON body.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => {
                let mut response = Response::new(Body::from(bytes));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(error) => {
                tracing::error!(target: "apig_import::http", %error, "response not serializable");
                ApigError::internal().into_response()
            }
        }
    }
}

/// The end of every response: an error gets its JSON body (with the request id, and the
/// system errors a log line), every response the `X-Request-Id` header.
pub fn finish(mut response: Response, request_id: &RequestId) -> Response {
    if let Some(Failed(error)) = response.extensions_mut().remove::<Failed>() {
        if error.code == crate::error::Code::Apig9999 {
            tracing::error!(
                target: "apig_import::http",
                request_id = %request_id,
                error = %error,
                "request failed"
            );
        }
        response = ErrorResponse::new(error, request_id).into_response();
    }
    set_request_id(&mut response, request_id);
    response
}

/// A JSON response with the request id header.
pub fn json_response<T: Serialize>(
    status: StatusCode,
    body: &T,
    request_id: &RequestId,
) -> Response {
    let (status, bytes) = match serde_json::to_vec(body) {
        Ok(bytes) => (status, bytes),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"error_code":"APIG.9999","error_msg":"System error"}"#.to_vec(),
        ),
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    set_request_id(&mut response, request_id);
    response
}

/// Put the request id header on a response (replacing any).
pub fn set_request_id(response: &mut Response, request_id: &RequestId) {
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
}
