//! Checks that every object an API references by name exists: VPC channels, plugins and
//! orchestration rules registered in the instance, and shared objects from the document or
//! the store.

use super::shared::SharedBindings;
use crate::error::{echo, echo_pointer, ApiFailure, ApigError, Code};
use crate::model::{ApiDefinition, Backend, BackendEndpoint, Id, ReferenceKind, Scope, SharedKind};
use crate::store::Catalog;
use std::collections::{HashMap, HashSet};

/// The gateway response every group has.
const DEFAULT_RESPONSE: &str = "default";

/// Registered names per kind, read from the store once per import and only when needed.
#[derive(Default)]
pub struct Registered {
    names: HashMap<ReferenceKind, HashSet<String>>,
}

impl Registered {
    async fn contains(
        &mut self,
        store: &dyn Catalog,
        scope: &Scope,
        kind: ReferenceKind,
        name: &str,
    ) -> Result<bool, ApigError> {
        if let Some(names) = self.names.get(&kind) {
            return Ok(names.contains(name));
        }
        let listed = store.list_references(scope, kind).await?;
        let names: HashSet<String> = listed.into_iter().map(|r| r.name).collect();
        let found = names.contains(name);
        self.names.insert(kind, names);
        Ok(found)
    }
}

/// Everything an API's references are checked against.
pub struct ReferenceCheck<'a> {
    pub store: &'a dyn Catalog,
    pub scope: &'a Scope,
    pub group_id: &'a Id,
    pub registered: Registered,
    pub shared: SharedBindings,
}

/// A reference to an object the instance does not have, located like every other per-API
/// failure: the JSON pointer of the reference in the operation.
fn missing(code: Code, what: &str, name: &str, at: &str) -> ApiFailure {
    ApiFailure::new(
        code,
        format!(
            "{}. The {what} {name:?} does not exist in the instance; create it before \
             importing, or remove the reference (at {at})",
            code.base_message(),
            name = echo(name),
            at = echo_pointer(at)
        ),
    )
}

impl ReferenceCheck<'_> {
    /// The first missing or unusable reference of `api`, if any; `operation` is the JSON
    /// pointer of its operation object, from which the reference's own pointer is built.
    pub async fn check(
        &mut self,
        api: &ApiDefinition,
        operation: &str,
    ) -> Result<Option<ApiFailure>, ApigError> {
        let backends = std::iter::once((&api.backend, format!("{operation}/x-apigateway-backend")))
            .chain(api.backend_policies.iter().enumerate().map(|(i, p)| {
                (
                    &p.backend,
                    format!("{operation}/x-apigateway-backend-policies/{i}"),
                )
            }));
        for (backend, at) in backends {
            if let Some(failure) = self.check_backend(backend, &at).await? {
                return Ok(Some(failure));
            }
        }
        for (i, plugin) in api.plugins.iter().enumerate() {
            if !self
                .registered
                .contains(self.store, self.scope, ReferenceKind::Plugin, plugin)
                .await?
            {
                let at = format!("{operation}/x-apigateway-plugins/{i}");
                return Ok(Some(missing(Code::Apig3068, "plugin", plugin, &at)));
            }
        }
        // A parameter's rules are located at the operation's parameters: the merged list no
        // longer knows which level (path item or operation) declared them.
        let orchestrations = api
            .orchestrations
            .iter()
            .enumerate()
            .map(|(i, rule)| (rule, format!("{operation}/x-apigateway-orchestrations/{i}")))
            .chain(
                api.req_params
                    .iter()
                    .flat_map(|p| &p.orchestrations)
                    .map(|rule| (rule, format!("{operation}/parameters"))),
            );
        for (rule, at) in orchestrations {
            if !self
                .registered
                .contains(self.store, self.scope, ReferenceKind::Orchestration, rule)
                .await?
            {
                return Ok(Some(missing(
                    Code::Apig3095,
                    "orchestration rule",
                    rule,
                    &at,
                )));
            }
        }
        let shared = [
            (
                SharedKind::Throttle,
                api.ratelimit.as_deref(),
                Code::Apig3005,
                "request throttling policy",
                "x-apigateway-ratelimit",
            ),
            (
                SharedKind::AccessControl,
                api.access_control.as_deref(),
                Code::Apig3006,
                "access control policy",
                "x-apigateway-access-control",
            ),
            (
                SharedKind::Authorizer,
                api.authorizer.as_deref(),
                Code::Apig2011,
                "custom authorizer",
                "security",
            ),
            (
                SharedKind::GatewayResponse,
                api.response
                    .as_deref()
                    .filter(|name| *name != DEFAULT_RESPONSE),
                Code::Apig2011,
                "gateway response",
                "x-apigateway-response",
            ),
        ];
        for (kind, name, code, what, key) in shared {
            let at = format!("{operation}/{key}");
            let Some(name) = name else { continue };
            let binding = self
                .shared
                .resolve(self.store, self.scope, self.group_id, kind, name, || {
                    missing(code, what, name, &at)
                })
                .await?;
            if let Err(failure) = binding {
                return Ok(Some(failure));
            }
        }
        Ok(None)
    }

    async fn check_backend(
        &mut self,
        backend: &Backend,
        at: &str,
    ) -> Result<Option<ApiFailure>, ApigError> {
        if let BackendEndpoint::HttpVpc(endpoint) = &backend.endpoint {
            let channel = &endpoint.channel_name;
            if !self
                .registered
                .contains(self.store, self.scope, ReferenceKind::VpcChannel, channel)
                .await?
            {
                let at = format!("{at}/httpVpcEndpoints/name");
                return Ok(Some(missing(Code::Apig3023, "VPC channel", channel, &at)));
            }
        }
        Ok(None)
    }
}
