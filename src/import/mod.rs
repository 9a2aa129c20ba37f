//! The importer: from a parsed document and the import options to stored groups, shared
//! objects and APIs, and the response of `import-api.md` §3.4.
//!
//! Steps, in order: instance check; decode and map the document (pure, nothing written);
//! plan the group (still nothing written); then create the group, save shared objects,
//! check references, deduplicate inside the file, and write the APIs as conditional writes,
//! re-planning only the writes that lost a race. Finally the import is recorded.
//!
//! On a store with round trips (DynamoDB, `docs/dynamodb.md` "An import in four round
//! trips") the reads and writes are grouped so that a document of new APIs takes four:
//! 1. the instance, the group and the document's shared objects, read together
//!    ([`Catalog::import_lookup`]);
//! 2. a new group is created holding room for the document's APIs, with its new shared
//!    objects ([`Catalog::create_group_holding`]); for an existing group, the APIs at the
//!    document's routes ([`Catalog::find_apis`]) are read while room is reserved
//!    ([`Catalog::reserve_apis`], an upper bound: every API the document maps);
//! 3. the API writes, under that room ([`Catalog::write_apis_holding`]);
//! 4. the unused room given back ([`Catalog::settle_apis`]) while the import is recorded
//!    ([`Catalog::record_import`]).

pub mod dry_run;
mod group;
pub mod options;
mod plan;
mod references;
pub mod response;
pub mod shadowing;
mod shared;
mod writer;

pub use dry_run::PlannedImport;
pub use options::{GroupTarget, ImportOptions, Mode};
pub use response::ImportResponse;
pub use writer::Writer;

use crate::config::Limits;
use crate::error::{ApiFailure, ApigError, Code};
use crate::model::{ApiDefinition, Group, Id, ImportRecord, ImportWarning, RouteKey, Scope};
use crate::spec::{self, Operation, OperationOutcome, ParsedDocument};
use crate::store::{ApiWrite, ApiWriteOutcome, Catalog, QuotaHold, SharedCreate};
use plan::{Candidate, Decision, Existing};
use references::{ReferenceCheck, Registered};
use response::{Action, FailureItem, IgnoreItem, Outcome, SuccessItem, SwaggerInfo};
use sha2::{Digest, Sha256};
use shared::SharedBindings;
use std::collections::{HashMap, HashSet};

/// How many times writes that lost a race (override) are planned again.
const WRITE_ROUNDS: usize = 3;

/// One import request, authenticated and decoded from the form.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub scope: Scope,
    /// Who asked (token subject or access key), recorded with the import.
    pub caller: String,
    pub options: ImportOptions,
    pub document: bytes::Bytes,
}

/// Checks an import may ask for beyond the form (query parameters of our extension).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// Refuse the import (`APIG.2012`) when a route would be shadowed (`shadowing`).
    pub fail_on_warnings: bool,
}

/// The result of one operation, in document order.
enum Slot {
    Pending,
    Success { action: Action, id: Id },
    Failure(ApiFailure),
    Ignore,
}

/// Plan one import: its response and what it would change, nothing written
/// ([`dry_run`]).
pub async fn plan(
    store: &dyn Catalog,
    limits: &Limits,
    request: ImportRequest,
    checks: Checks,
) -> Result<PlannedImport, ApigError> {
    dry_run::plan(store, limits, request, checks).await
}

/// Run one import. Whole-request errors are returned as `Err` (and nothing is written);
/// per-API failures are items of the response.
pub async fn run(
    store: &dyn Catalog,
    limits: &Limits,
    request: ImportRequest,
) -> Result<ImportResponse, ApigError> {
    run_as(store, limits, request, &Writer::once()).await
}

/// [`run`] by `writer`: a task's import, run again after being cut short, takes the group
/// and APIs its earlier run wrote as its own (see [`Writer`]).
pub async fn run_as(
    store: &dyn Catalog,
    limits: &Limits,
    request: ImportRequest,
    writer: &Writer,
) -> Result<ImportResponse, ApigError> {
    run_checked(store, limits, request, writer, Checks::default()).await
}

/// [`run_as`] with `checks`, made before anything is written.
pub async fn run_checked(
    store: &dyn Catalog,
    limits: &Limits,
    request: ImportRequest,
    writer: &Writer,
    checks: Checks,
) -> Result<ImportResponse, ApigError> {
    let ImportRequest {
        scope,
        caller,
        options,
        document,
    } = request;
    // Round trip 1: the instance, the group (or this task's own, from an earlier run) and
    // the document's shared objects, read together. The document is decoded first (pure)
    // to know them; an unregistered instance is still reported before a document error.
    let document_sha256 = hex::encode(Sha256::digest(&document));
    let parsed = spec::parse_owned(document, options.map_options(), limits);
    let new_group_id = writer.group_id();
    let shared_keys = match (&parsed, group::target_id(&options.group, &new_group_id)) {
        (Ok(parsed), Some(id)) => shared::keys(&parsed.shared, &id),
        _ => Vec::new(),
    };
    let found = store
        .import_lookup(
            &scope,
            group::lookup(&options.group, writer).as_ref(),
            &shared_keys,
        )
        .await?;
    if !found.instance {
        return Err(ApigError::instance_not_found(&scope));
    }
    let parsed = parsed?;
    let own_group = found.group.clone();
    let (group_plan, group_warning) = group::plan_with(
        &options.group,
        &parsed,
        options.simple_mode,
        new_group_id,
        found.group,
    )?;
    if checks.fail_on_warnings {
        let existing = match &group_plan {
            group::GroupPlan::Existing(group) => store.list_apis(&scope, &group.id).await?,
            group::GroupPlan::Create(_) => Vec::new(),
        };
        let warnings = shadowing::analyse(&shadowing::routes_of(&parsed, &existing));
        if let Some(first) = warnings.first() {
            return Err(shadowing::refusal(first));
        }
    }

    // From here on the request is accepted: writes begin. Round trip 2: the group created
    // with room for the document's APIs and its new shared objects, or the existing
    // group's APIs at the document's routes read while room is reserved.
    let creates = creates_bound(&parsed);
    let shared_creates = match &group_plan {
        group::GroupPlan::Create(g) => {
            shared::creates(&parsed.shared, &found.shared, &g.id, limits)
        }
        group::GroupPlan::Existing(_) => Vec::new(),
    };
    let to_create: Vec<SharedCreate> = shared_creates.iter().map(|(_, c)| c.clone()).collect();
    let committed = group::commit(
        store, &scope, group_plan, limits, writer, creates, &to_create, own_group,
    )
    .await?;
    let mut created_shared = HashMap::new();
    let (group, mut hold, known) = match committed {
        group::Committed::New(group, hold, outcomes) => {
            for ((index, _), outcome) in shared_creates.iter().zip(outcomes) {
                created_shared.insert(*index, outcome);
            }
            (group, hold, Vec::new())
        }
        group::Committed::Existing(group) => {
            let (hold, known) = prepare_existing(
                store,
                &scope,
                &group,
                &parsed,
                options.api_mode,
                creates,
                limits,
            )
            .await?;
            (group, hold, known)
        }
    };
    // The shared objects already found or created are bound without a request.
    let shared = SharedBindings::save_known(
        store,
        &scope,
        &group.id,
        &parsed.shared,
        &found.shared,
        &created_shared,
        options.extend_mode,
        limits,
    )
    .await?;
    let mut check = ReferenceCheck {
        store,
        scope: &scope,
        group_id: &group.id,
        registered: Registered::default(),
        shared,
    };

    let Triaged {
        reported,
        mut slots,
        candidates,
    } = candidates(parsed.operations, &mut check).await?;
    // Round trip 3: the API writes.
    write(
        store,
        &scope,
        &group,
        candidates,
        Some(known),
        options.api_mode,
        limits,
        &mut slots,
        writer,
        &mut hold,
    )
    .await?;

    let record_id = writer.record_id();
    let document_warnings = group_warning
        .into_iter()
        .chain(parsed.warnings.iter().cloned());
    let response = respond(
        reported,
        &group,
        slots,
        &record_id,
        document_warnings.collect(),
    );
    let record = ImportRecord {
        id: record_id,
        group_id: group.id.clone(),
        caller,
        options,
        document_sha256,
        success: count(response.success.len()),
        failure: count(response.failure.len()),
        ignore: count(response.ignore.len()),
        result: response.result.as_str().to_string(),
        created_at: crate::now_rfc3339(),
        warnings: response.warnings.clone(),
    };
    // Round trip 4: the unused room given back while the import is recorded (two items of
    // their own; every write under the hold has its outcome). The instance was read
    // registered in round trip 1: the record needs no second check of it.
    futures_util::future::try_join(
        store.settle_apis(&scope, &group.id, hold),
        store.record_import(&scope, &record),
    )
    .await?;
    Ok(response)
}

/// At most how many APIs the document creates: every operation that maps to an API (some
/// may still fail a reference check or find their route taken). The room reserved ahead
/// of the writes; what they do not use is given back.
fn creates_bound(parsed: &ParsedDocument) -> u64 {
    let apis = parsed
        .operations
        .iter()
        .filter(|o| matches!(o.outcome, OperationOutcome::Api(_)))
        .count();
    u64::try_from(apis).unwrap_or(u64::MAX)
}

/// The routes of the document's APIs.
fn document_routes(parsed: &ParsedDocument) -> Vec<RouteKey> {
    parsed
        .operations
        .iter()
        .filter_map(|o| match &o.outcome {
            OperationOutcome::Api(d) => Some(RouteKey::new(d.method, &d.path, d.match_mode)),
            _ => None,
        })
        .collect()
}

/// What the writes into an existing group plan against, and the room held for them.
///
/// `merge` (a document of new APIs, usually): the stored APIs at the document's routes are
/// read while room for every API of the document is reserved — one round trip. `override`
/// (usually a re-import that replaces what it imported before): the group is read first
/// and nothing is reserved ahead; the writes reserve exactly the room their creates need,
/// so an unchanged re-import writes nothing at all.
async fn prepare_existing(
    store: &dyn Catalog,
    scope: &Scope,
    group: &Group,
    parsed: &ParsedDocument,
    mode: Mode,
    creates: u64,
    limits: &Limits,
) -> Result<(QuotaHold, Vec<crate::model::Api>), ApigError> {
    if mode == Mode::Override {
        let known = store.list_apis(scope, &group.id).await?;
        return Ok((QuotaHold::default(), known));
    }
    let routes = document_routes(parsed);
    let mut hold = QuotaHold::default();
    let (known, ()) = futures_util::future::try_join(
        store.find_apis(scope, &group.id, &routes),
        store.reserve_apis(
            scope,
            &group.id,
            &mut hold,
            creates,
            limits.max_apis_per_group,
        ),
    )
    .await?;
    Ok((hold, known))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What the response says of an operation, whatever became of it.
struct Reported {
    method: String,
    path: String,
    /// What its API stores differently from the document (reported if it is stored).
    warnings: Vec<ImportWarning>,
}

/// The operations triaged before the writes, in document order: each one's report and
/// slot, and the APIs to write.
struct Triaged {
    reported: Vec<Reported>,
    slots: Vec<Slot>,
    candidates: Vec<Candidate>,
}

/// The APIs to write: operations that mapped, whose references exist, and that are the
/// first in the file with their route and name (later ones fail with 3301 / 3202). The
/// operations' definitions move into the candidates.
async fn candidates(
    operations: Vec<Operation>,
    check: &mut ReferenceCheck<'_>,
) -> Result<Triaged, ApigError> {
    let mut reported = Vec::with_capacity(operations.len());
    let mut slots = Vec::with_capacity(operations.len());
    let mut candidates = Vec::new();
    let mut routes: HashMap<RouteKey, String> = HashMap::new();
    let mut names: HashSet<String> = HashSet::new();
    for (index, operation) in operations.into_iter().enumerate() {
        let Operation {
            method,
            path,
            pointer,
            outcome,
            warnings,
        } = operation;
        reported.push(Reported {
            method,
            path,
            warnings,
        });
        let definition = match outcome {
            OperationOutcome::Ignored => {
                slots.push(Slot::Ignore);
                continue;
            }
            OperationOutcome::Failed(failure) => {
                slots.push(Slot::Failure(failure));
                continue;
            }
            OperationOutcome::Api(definition) => definition,
        };
        if let Some(failure) = check.check(&definition, &pointer).await? {
            slots.push(Slot::Failure(failure));
            continue;
        }
        let route = RouteKey::new(definition.method, &definition.path, definition.match_mode);
        if let Some(first) = routes.get(&route) {
            slots.push(Slot::Failure(plan::route_taken(first)));
            continue;
        }
        if names.contains(&definition.name) {
            slots.push(Slot::Failure(plan::name_taken(&definition.name)));
            continue;
        }
        routes.insert(route.clone(), definition.name.clone());
        names.insert(definition.name.clone());
        slots.push(Slot::Pending);
        candidates.push(Candidate {
            slot: index,
            route,
            definition,
        });
    }
    Ok(Triaged {
        reported,
        slots,
        candidates,
    })
}

/// Write the candidates under `hold`, planned against `known` (the stored APIs at their
/// routes, or, for override, the group's); writes that lost an optimistic-lock race under
/// override are planned again against a fresh read of their routes. An API that an earlier
/// run of the same writer created is this run's `create`, written already.
#[allow(clippy::too_many_arguments)]
async fn write(
    store: &dyn Catalog,
    scope: &Scope,
    group: &Group,
    mut pending: Vec<Candidate>,
    mut known: Option<Vec<crate::model::Api>>,
    mode: Mode,
    limits: &Limits,
    slots: &mut [Slot],
    writer: &Writer,
    hold: &mut QuotaHold,
) -> Result<(), ApigError> {
    for _ in 0..WRITE_ROUNDS {
        if pending.is_empty() {
            return Ok(());
        }
        // The first round plans against what round trip 2 read; a round after a lost race
        // reads the routes still pending again.
        let existing_apis = match known.take() {
            Some(apis) => apis,
            None => {
                let routes: Vec<RouteKey> = pending.iter().map(|c| c.route.clone()).collect();
                store.find_apis(scope, &group.id, &routes).await?
            }
        };
        let existing = Existing::new(&existing_apis);
        let now = crate::now_rfc3339();
        let mut writes = Vec::new();
        let mut sent = Vec::new();
        for candidate in pending.drain(..) {
            if let Some(own) = existing
                .route_holder(&candidate.route)
                .filter(|api| writer.created_api(candidate.slot, &api.id))
            {
                slots[candidate.slot] = Slot::Success {
                    action: Action::Create,
                    id: own.id.clone(),
                };
                continue;
            }
            let stored = match existing.decide(&candidate, mode) {
                Decision::Fail(failure) => {
                    slots[candidate.slot] = Slot::Failure(failure);
                    continue;
                }
                Decision::Unchanged(id) => {
                    slots[candidate.slot] = Slot::Success {
                        action: Action::Update,
                        id,
                    };
                    continue;
                }
                Decision::Create => None,
                Decision::Replace(stored) => Some(stored),
            };
            let (definition, rest) = Sent::of(candidate, mode);
            writes.push(match stored {
                Some(stored) => ApiWrite::replace(stored, definition, &now),
                None => ApiWrite::create(writer.api_id(rest.slot()), &group.id, definition, &now),
            });
            sent.push(rest);
        }
        if writes.is_empty() {
            return Ok(());
        }
        let ids: Vec<Id> = writes.iter().map(|w| w.api().id.clone()).collect();
        let outcomes = store
            .write_apis_holding(scope, &group.id, writes, limits.max_apis_per_group, hold)
            .await?;
        for ((sent, id), outcome) in sent.into_iter().zip(ids).zip(outcomes) {
            let slot = sent.slot();
            slots[slot] = match outcome {
                ApiWriteOutcome::Created => Slot::Success {
                    action: Action::Create,
                    id,
                },
                ApiWriteOutcome::Replaced => Slot::Success {
                    action: Action::Update,
                    id,
                },
                ApiWriteOutcome::RouteTaken { existing_name } if mode == Mode::Merge => {
                    Slot::Failure(plan::route_taken(&existing_name))
                }
                ApiWriteOutcome::NameTaken => Slot::Failure(plan::name_taken(sent.name())),
                ApiWriteOutcome::QuotaReached => {
                    Slot::Failure(plan::quota_reached(limits.max_apis_per_group))
                }
                // Override lost a race: plan it again against what is stored now.
                ApiWriteOutcome::RouteTaken { .. } | ApiWriteOutcome::VersionConflict => {
                    match sent {
                        Sent::Kept(candidate) => {
                            pending.push(candidate);
                            Slot::Pending
                        }
                        // Merge neither replaces nor plans again; a store answering so
                        // gets the same answer as a race lost three times.
                        Sent::Moved { .. } => Slot::Failure(changed_concurrently()),
                    }
                }
            };
        }
    }
    for candidate in pending {
        tracing::warn!(path = %candidate.definition.path, "API kept changing during override");
        slots[candidate.slot] = Slot::Failure(changed_concurrently());
    }
    Ok(())
}

/// `APIG.9999` for an API that other imports kept changing while this one wrote it.
fn changed_concurrently() -> ApiFailure {
    ApiFailure::new(
        Code::Apig9999,
        "System error. The API was changed by concurrent imports; import again",
    )
}

/// A candidate whose write went to the store: what its outcome needs.
enum Sent {
    /// Merge: the definition went with the write (it is never planned again).
    Moved { slot: usize, name: String },
    /// Override: the candidate stays whole, to be planned again if its write loses a race.
    Kept(Candidate),
}

impl Sent {
    /// The definition to write for `candidate`, and what is kept of it.
    fn of(candidate: Candidate, mode: Mode) -> (ApiDefinition, Sent) {
        match mode {
            Mode::Override => ((*candidate.definition).clone(), Sent::Kept(candidate)),
            Mode::Merge => {
                let Candidate {
                    slot, definition, ..
                } = candidate;
                let name = definition.name.clone();
                (*definition, Sent::Moved { slot, name })
            }
        }
    }

    fn slot(&self) -> usize {
        match self {
            Sent::Moved { slot, .. } => *slot,
            Sent::Kept(candidate) => candidate.slot,
        }
    }

    fn name(&self) -> &str {
        match self {
            Sent::Moved { name, .. } => name,
            Sent::Kept(candidate) => &candidate.definition.name,
        }
    }
}

/// The response body, items in document order.
fn respond(
    reported: Vec<Reported>,
    group: &Group,
    slots: Vec<Slot>,
    record_id: &Id,
    mut warnings: Vec<ImportWarning>,
) -> ImportResponse {
    let mut success = Vec::new();
    let mut failure = Vec::new();
    let mut ignore = Vec::new();
    for (operation, slot) in reported.into_iter().zip(slots) {
        let Reported {
            path,
            method,
            warnings: api_warnings,
        } = operation;
        match slot {
            Slot::Success { action, id } => {
                // Only a stored API can differ from its document.
                warnings.extend(api_warnings);
                success.push(SuccessItem {
                    path,
                    method,
                    action,
                    id: id.to_string(),
                });
            }
            Slot::Failure(f) => failure.push(FailureItem {
                path,
                method,
                error_code: f.code.as_str().to_string(),
                error_msg: f.message,
            }),
            Slot::Ignore => ignore.push(IgnoreItem { path, method }),
            // Unreachable by construction (every pending slot is settled by `write`); an
            // honest answer if it ever happens.
            Slot::Pending => failure.push(FailureItem {
                path,
                method,
                error_code: Code::Apig9999.as_str().to_string(),
                error_msg: Code::Apig9999.base_message().to_string(),
            }),
        }
    }
    let result = Outcome::of(success.len(), failure.len());
    let swagger_id = record_id.to_string();
    ImportResponse {
        group_id: group.id.to_string(),
        success,
        failure,
        ignore,
        warnings,
        swagger: SwaggerInfo {
            id: swagger_id.clone(),
            result,
        },
        swagger_id,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PathId, WarningCode};
    use crate::store::sqlite::SqliteStore;
    use serde_json::json;

    async fn import(doc: serde_json::Value, simple_mode: bool) -> ImportResponse {
        let store = SqliteStore::in_memory().expect("store");
        let scope = Scope::new(
            PathId::parse("p1").expect("id"),
            PathId::parse("i1").expect("id"),
        );
        store.create_instance(&scope).await.expect("instance");
        let request = ImportRequest {
            scope,
            caller: "tester".to_string(),
            options: ImportOptions {
                simple_mode,
                ..ImportOptions::default()
            },
            document: doc.to_string().into(),
        };
        run(&store, &Limits::default(), request)
            .await
            .expect("imported")
    }

    #[tokio::test]
    async fn unregistered_references_are_located() {
        let http = json!({"address": "h", "scheme": "https", "method": "GET", "path": "/"});
        let doc = json!({"swagger": "2.0", "info": {"title": "refs"}, "paths": {"/a": {
            "get": {"x-apigateway-backend": {"type": "HTTP-VPC", "httpVpcEndpoints": {
                "name": "chan", "scheme": "http", "method": "GET", "path": "/"}}},
            "put": {"x-apigateway-plugins": ["plug"]},
            "post": {"x-apigateway-ratelimit": "throttle_a"},
            "delete": {"x-apigateway-access-control": "acl_a",
                "x-apigateway-backend": {"type": "HTTP", "httpEndpoints": http}}}}});
        let response = import(doc, false).await;
        let found: Vec<(&str, &str)> = response
            .failure
            .iter()
            .map(|f| (f.error_code.as_str(), f.error_msg.as_str()))
            .collect();
        let expected = [
            (
                "APIG.3023",
                "(at /paths/~1a/get/x-apigateway-backend/httpVpcEndpoints/name)",
            ),
            ("APIG.3068", "(at /paths/~1a/put/x-apigateway-plugins/0)"),
            ("APIG.3005", "(at /paths/~1a/post/x-apigateway-ratelimit)"),
            (
                "APIG.3006",
                "(at /paths/~1a/delete/x-apigateway-access-control)",
            ),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for ((code, message), (want_code, at)) in found.iter().zip(expected) {
            assert_eq!(*code, want_code, "{message}");
            assert!(message.contains(at), "{message}");
            assert!(message.contains("create it before importing"), "{message}");
        }
    }

    #[tokio::test]
    async fn warnings_of_stored_apis_and_of_the_document() {
        let doc = json!({"swagger": "2.0",
            "info": {"title": "warned", "description": "d".repeat(1_500)},
            "securityDefinitions": {"oauth": {"type": "oauth2", "flow": "implicit",
                "authorizationUrl": "https://x/"}},
            "security": [{"oauth": []}],
            "paths": {"/a": {"get": {}, "put": {"operationId": "bad name", "security": []},
                "post": {"security": [], "description": "p".repeat(300)}}}});
        let response = import(doc, false).await;
        // `put` failed (strict name): a failed operation stores nothing to warn about.
        assert_eq!(response.failure.len(), 1);
        let seen: Vec<(&str, &str, WarningCode)> = response
            .warnings
            .iter()
            .map(|w| (w.method.as_str(), w.path.as_str(), w.code))
            .collect();
        assert_eq!(
            seen,
            [
                ("", "", WarningCode::DescriptionCut),
                ("GET", "/a", WarningCode::SecurityNotMapped),
                ("POST", "/a", WarningCode::DescriptionCut),
            ]
        );
        let body = serde_json::to_value(&response).expect("json");
        assert_eq!(body["warnings"][1]["code"], "security_not_mapped");
    }
}
