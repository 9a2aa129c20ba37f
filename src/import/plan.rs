//! Deciding, for each API of the document, whether to create it, replace an existing one,
//! or report a conflict — against the group's APIs as last read from the store.

use super::options::Mode;
use crate::error::{echo, ApiFailure, Code};
use crate::model::{Api, ApiDefinition, Id, RouteKey};
use crate::store::ApiWrite;
use std::collections::HashMap;

/// An API of the document that passed validation and in-file deduplication. It borrows
/// the mapped definition: the one copy made of it is the write's.
#[derive(Debug, Clone)]
pub struct Candidate<'p> {
    /// Index of its operation in the document (where its result goes).
    pub slot: usize,
    pub route: RouteKey,
    pub definition: &'p ApiDefinition,
}

/// What to do with one candidate.
pub enum Decision {
    Write(Box<ApiWrite>),
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

    /// The decision for one candidate (`import-api.md` §3.2); `new_id` is the id of the API
    /// if it is created.
    pub fn decide(
        &self,
        candidate: &Candidate<'_>,
        group_id: &Id,
        mode: Mode,
        now: &str,
        new_id: Id,
    ) -> Decision {
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
                Decision::Write(Box::new(ApiWrite::replace(
                    existing,
                    candidate.definition.clone(),
                    now,
                )))
            }
            None if holder_of_name.is_some() => Decision::Fail(name_taken(name)),
            None => Decision::Write(Box::new(ApiWrite::Create(Api {
                id: new_id,
                group_id: group_id.clone(),
                version: 1,
                created_at: now.to_string(),
                updated_at: now.to_string(),
                definition: candidate.definition.clone(),
            }))),
        }
    }
}
