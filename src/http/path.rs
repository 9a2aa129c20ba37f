//! The ids of a request path, found by the names the route templates give them
//! (`{project_id}`, `{instance_id}`, `{api_id}`): percent-decoded and validated once, here.
//!
//! A segment that is not a well-formed id is `APIG.2012` naming the parameter, checked
//! before anything else of the request is looked at (a path no route matches never gets
//! here: it is a 404).

use super::edge::RequestLog;
use crate::error::{ApigError, Code};
use crate::model::{PathId, Scope};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The template of the route a request was routed by (the router puts it into the
/// request's extensions, see [`super::router`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTemplate(pub &'static str);

/// The validated ids of a routed request: project and instance always, the API on the
/// routes that name one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathIds {
    pub scope: Scope,
    api_id: Option<PathId>,
}

impl PathIds {
    /// The ids of `path`, matched by the route `template` it was routed by.
    pub fn parse(template: &str, path: &str) -> Result<Self, ApigError> {
        let project_id = param(template, path, "project_id")?;
        let instance_id = param(template, path, "instance_id")?;
        let api_id = if template.split('/').any(|t| t == "{api_id}") {
            Some(param(template, path, "api_id")?)
        } else {
            None
        };
        Ok(PathIds {
            scope: Scope::new(project_id, instance_id),
            api_id,
        })
    }

    /// `{api_id}`, as written (not necessarily an id the store could hold).
    pub fn api_id(&self) -> Result<&PathId, ApigError> {
        self.api_id
            .as_ref()
            .ok_or_else(|| ApigError::parameter(Code::Apig2012, "api_id"))
    }
}

/// The segment of `path` at the position of `{name}` in `template`, as a [`PathId`].
fn param(template: &str, path: &str, name: &str) -> Result<PathId, ApigError> {
    let placeholder = format!("{{{name}}}");
    template
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| *t == placeholder)
        .and_then(|(_, raw)| percent_encoding::percent_decode_str(raw).decode_utf8().ok())
        .and_then(|decoded| PathId::parse(&decoded))
        .ok_or_else(|| ApigError::parameter(Code::Apig2012, name))
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApigError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let template = parts
            .extensions
            .get::<RouteTemplate>()
            .map(|t| t.0)
            .unwrap_or_default();
        let path = parts.uri.path();
        if let Some(log) = parts.extensions.get::<RequestLog>() {
            // Logged each on its own: a valid project is worth a log field even when the
            // instance is not.
            let valid = |name| param(template, path, name).ok();
            log.set_scope(valid("project_id"), valid("instance_id"));
        }
        PathIds::parse(template, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORT: &str = "/v2/{project_id}/apigw/instances/{instance_id}/openapi/import";
    const API: &str = "/v2/{project_id}/apigw/instances/{instance_id}/apis/{api_id}";

    #[test]
    fn ids_by_template_name() {
        let ok = PathIds::parse(IMPORT, "/v2/p-1/apigw/instances/i_2/openapi/import").expect("ids");
        assert_eq!(
            (ok.scope.project_id.as_str(), ok.scope.instance_id.as_str()),
            ("p-1", "i_2")
        );
        assert!(ok.api_id().is_err());
        let decoded =
            PathIds::parse(IMPORT, "/v2/p%2D1/apigw/instances/i/openapi/import").expect("ids");
        assert_eq!(decoded.scope.project_id.as_str(), "p-1");
        let api = PathIds::parse(API, "/v2/p1/apigw/instances/i1/apis/0123abc").expect("ids");
        assert_eq!(api.api_id().expect("api id").as_str(), "0123abc");
    }

    #[test]
    fn bad_segments_name_the_parameter() {
        for (template, path, name) in [
            (
                IMPORT,
                "/v2/p.1/apigw/instances/i/openapi/import",
                "project_id",
            ),
            (
                IMPORT,
                "/v2/p/apigw/instances/i%2Fx/openapi/import",
                "instance_id",
            ),
            (
                IMPORT,
                "/v2/%FF/apigw/instances/i/openapi/import",
                "project_id",
            ),
            (
                IMPORT,
                "/v2/%FF/apigw/instances/%FF/openapi/import",
                "project_id",
            ),
            (API, "/v2/p1/apigw/instances/i1/apis/a.b", "api_id"),
            (API, "/v2/p%2F1/apigw/instances/i1/apis/a", "project_id"),
        ] {
            let e = PathIds::parse(template, path).expect_err(path);
            assert_eq!(e.code, Code::Apig2012, "{path}");
            assert!(
                e.message.contains(&format!("parameterName:{name}")),
                "{path}: {}",
                e.message
            );
        }
    }
}
