//! Checks that every object an API references by name exists: VPC channels, plugins and
//! orchestration rules registered in the instance, and shared objects from the document or
//! the store.

use super::shared::SharedBindings;
use crate::error::{echo, ApiFailure, ApigError, Code};
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

fn missing(code: Code, what: &str, name: &str) -> ApiFailure {
    ApiFailure::new(
        code,
        format!(
            "{}. {what} {name:?} does not exist in the instance",
            code.base_message(),
            name = echo(name)
        ),
    )
}

impl ReferenceCheck<'_> {
    /// The first missing or unusable reference of `api`, if any.
    pub async fn check(&mut self, api: &ApiDefinition) -> Result<Option<ApiFailure>, ApigError> {
        for backend in
            std::iter::once(&api.backend).chain(api.backend_policies.iter().map(|p| &p.backend))
        {
            if let Some(failure) = self.check_backend(backend).await? {
                return Ok(Some(failure));
            }
        }
        for plugin in &api.plugins {
            if !self
                .registered
                .contains(self.store, self.scope, ReferenceKind::Plugin, plugin)
                .await?
            {
                return Ok(Some(missing(Code::Apig3068, "plugin", plugin)));
            }
        }
        let orchestrations = api
            .orchestrations
            .iter()
            .chain(api.req_params.iter().flat_map(|p| &p.orchestrations));
        for rule in orchestrations {
            if !self
                .registered
                .contains(self.store, self.scope, ReferenceKind::Orchestration, rule)
                .await?
            {
                return Ok(Some(missing(Code::Apig3095, "orchestration rule", rule)));
            }
        }
        let shared = [
            (
                SharedKind::Throttle,
                api.ratelimit.as_deref(),
                Code::Apig3005,
                "request throttling policy",
            ),
            (
                SharedKind::AccessControl,
                api.access_control.as_deref(),
                Code::Apig3006,
                "access control policy",
            ),
            (
                SharedKind::Authorizer,
                api.authorizer.as_deref(),
                Code::Apig2011,
                "custom authorizer",
            ),
            (
                SharedKind::GatewayResponse,
                api.response
                    .as_deref()
                    .filter(|name| *name != DEFAULT_RESPONSE),
                Code::Apig2011,
                "gateway response",
            ),
        ];
        for (kind, name, code, what) in shared {
            let Some(name) = name else { continue };
            let binding = self
                .shared
                .resolve(self.store, self.scope, self.group_id, kind, name, || {
                    missing(code, what, name)
                })
                .await?;
            if let Err(failure) = binding {
                return Ok(Some(failure));
            }
        }
        Ok(None)
    }

    async fn check_backend(&mut self, backend: &Backend) -> Result<Option<ApiFailure>, ApigError> {
        if let BackendEndpoint::HttpVpc(endpoint) = &backend.endpoint {
            let channel = &endpoint.channel_name;
            if !self
                .registered
                .contains(self.store, self.scope, ReferenceKind::VpcChannel, channel)
                .await?
            {
                return Ok(Some(missing(Code::Apig3023, "VPC channel", channel)));
            }
        }
        Ok(None)
    }
}
