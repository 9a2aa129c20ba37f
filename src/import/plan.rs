//! Deciding, for each API of the document, whether to create it, replace an existing one,
//! or report a conflict — against the group's APIs as last read from the store.

use super::options::Mode;
use crate::error::{echo, ApiFailure, Code};
use crate::model::{Api, ApiDefinition, Id, RouteKey};
use std::collections::HashMap;

/// An API of the document that passed validation and in-file deduplication. It owns the
/// mapped definition, taken out of the document: a merge moves it into its write, and only
/// an override, which plans again a write that lost a race, copies it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Index of its operation in the document (where its result goes).
    pub slot: usize,
    pub route: RouteKey,
    pub definition: Box<ApiDefinition>,
}

/// What to do with one candidate.
pub enum Decision<'e> {
    /// Neither its route nor its name is taken: a new API.
    Create,
    /// `override` of the stored API at its route, which it changes.
    Replace(&'e Api),
    /// `override` of an API identical to the stored one: reported as `update` (as Huawei
    /// does) with the stored id, but not written, so the stored version and times stay.
    Unchanged(Id),
    Fail(ApiFailure),
}

/// `APIG.3301` with the name of the API that holds the route.
pub fn route_taken(existing_name: &str) -> ApiFailure {
    ApiFailure::new(
        Code::Apig3301,
        format!(
            "The API already exists, An API with the same combination of the method, path, and \
             x-apigateway-match-mode fields already exists. API name: {}",
            echo(existing_name)
        ),
    )
}

/// `APIG.3125`: the group holds `limit` APIs already.
pub fn quota_reached(limit: u32) -> ApiFailure {
    ApiFailure::new(
        Code::Apig3125,
        format!("{}. limit:{limit}", Code::Apig3125.base_message()),
    )
}

/// `APIG.3202` naming the API name.
pub fn name_taken(name: &str) -> ApiFailure {
    ApiFailure::new(
        Code::Apig3202,
        format!("The API name already exists, api_name:{}", echo(name)),
    )
}

/// The group's APIs indexed by route and by name.
pub struct Existing<'a> {
    by_route: HashMap<RouteKey, &'a Api>,
    by_name: HashMap<&'a str, &'a Api>,
}

impl<'a> Existing<'a> {
    pub fn new(apis: &'a [Api]) -> Self {
        let by_route = apis
            .iter()
            .map(|api| {
                let d = &api.definition;
                (RouteKey::new(d.method, &d.path, d.match_mode), api)
            })
            .collect();
        let by_name = apis
            .iter()
            .map(|api| (api.definition.name.as_str(), api))
            .collect();
        Existing { by_route, by_name }
    }

    /// The API holding `route`, if any.
    pub fn route_holder(&self, route: &RouteKey) -> Option<&'a Api> {
        self.by_route.get(route).copied()
    }

    /// The decision for one candidate (`import-api.md` §3.2).
    pub fn decide(&self, candidate: &Candidate, mode: Mode) -> Decision<'a> {
        let name = candidate.definition.name.as_str();
        let holder_of_name = self.by_name.get(name);
        match self.by_route.get(&candidate.route) {
            Some(existing) if mode == Mode::Merge => {
                Decision::Fail(route_taken(&existing.definition.name))
            }
            Some(existing) => {
                if holder_of_name.is_some_and(|holder| holder.id != existing.id) {
                    return Decision::Fail(name_taken(name));
                }
                if existing.definition == *candidate.definition {
                    return Decision::Unchanged(existing.id.clone());
                }
                Decision::Replace(existing)
            }
            None if holder_of_name.is_some() => Decision::Fail(name_taken(name)),
            None => Decision::Create,
        }
    }
}
