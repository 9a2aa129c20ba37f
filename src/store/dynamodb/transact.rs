//! `write_apis`: conditional API writes packed into `TransactWriteItems`.
//!
//! The writes are carried out in *rounds*. A round
//!
//! 1. selects, in order, the pending writes that touch no item an earlier pending write
//!    touches (one transaction may not touch an item twice, and an earlier write must win
//!    a route or name both want);
//! 2. reads, in one `BatchGetItem`, the id pointers of the replacements (their current
//!    route and name) and, when the round's creates exceed what this call has reserved of
//!    the group's quota, reserves more (one conditional `UpdateItem` of the group item,
//!    [`super::reservation`]), both at once;
//! 3. lets the first `reserved - created` selected creates run; the others wait for a later
//!    round, or — when no room is left — are checked against the stored route and name
//!    items so that a conflict is still reported as such, and are otherwise `QuotaReached`;
//! 4. packs the runnable writes into transactions of at most 100 actions (3 per create,
//!    1 to 5 per replacement, plus one `ADD` to a shard of the instance's API count; the
//!    group's counter is not touched and each transaction in flight in this process leases
//!    its own shard, so the call's transactions share no item and cannot cancel each other)
//!    and runs up to `concurrency` of them at once.
//!
//! The reservation is a [`QuotaHold`]: `write_apis` takes a fresh one and settles it at the
//! end (the unused part given back, the record removed); `write_apis_holding` writes under
//! the caller's (the importer reserves with the group's creation or alongside its lookup,
//! and settles alongside its import record), so no transaction of the call touches the
//! group item and all of them run at once.
//!
//! A cancelled transaction's `CancellationReasons` name the actions whose condition failed:
//! each losing write gets its outcome (the holder's name comes back with the failed route
//! put, `ReturnValuesOnConditionCheckFailure::ALL_OLD`) and the rest are retried at once in
//! a new transaction. Without writers racing, the outcomes are those of the embedded store:
//! creates take the room in order, and a conflict is reported before the quota.

use super::codec::{
    api_attributes, decode_api, get_s, item, n, s, Item, BODY, CREATED_AT, CREATOR, GROUP, ID,
    LISTING, NAME, ORDER, ROUTE, VERSION, WRITER,
};
use super::keys::{Key, Keys};
use super::reservation::reservations;
use super::{backoff, table, DynamoStore, TxResult};
use crate::model::{Api, Id, RouteKey, Scope};
use crate::store::{ApiWrite, ApiWriteOutcome, QuotaHold, StoreError, StoreResult};
use aws_sdk_dynamodb::types::{
    Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashSet;
use std::time::Instant;

/// Actions per `TransactWriteItems` (the service limit).
pub const MAX_ACTIONS: usize = 100;
/// Estimated bytes per transaction we allow (the service limit is 4 MB).
pub const MAX_BYTES: usize = 3 * 1024 * 1024;
/// Rounds spent waiting for other writers' reservations to settle when the quota looks
/// full (they may give room back).
const MAX_RESERVATION_WAITS: u32 = 8;

fn route_key(api: &Api) -> String {
    let d = &api.definition;
    RouteKey::new(d.method, &d.path, d.match_mode).storage_key()
}

fn err(detail: impl std::fmt::Display) -> StoreError {
    StoreError::new(format_args!("dynamodb: write apis: {detail}"))
}

/// Where an API is, according to its id pointer.
#[derive(Debug, Clone)]
struct Pointer {
    group: String,
    route: String,
    name: String,
    created_at: String,
    /// The reservation the API was created under (absent on items of older writers).
    creator: Option<String>,
}

impl Pointer {
    fn decode(item: &Item) -> StoreResult<Self> {
        Ok(Pointer {
            group: get_s(item, GROUP)?.to_string(),
            route: get_s(item, ROUTE)?.to_string(),
            name: get_s(item, NAME)?.to_string(),
            created_at: get_s(item, CREATED_AT)?.to_string(),
            creator: get_s(item, CREATOR).ok().map(str::to_string),
        })
    }
}

struct Pending {
    idx: usize,
    write: ApiWrite,
    route: String,
    /// For replacements: `None` until read; then the pointer, if any.
    pointer: Option<Option<Pointer>>,
}

impl Pending {
    fn api(&self) -> &Api {
        self.write.api()
    }

    fn is_create(&self) -> bool {
        matches!(self.write, ApiWrite::Create(_))
    }

    /// The items this write touches, as far as known.
    fn keys(&self, k: &Keys, group: &str) -> Vec<Key> {
        let api = self.api();
        let mut keys = vec![
            k.api_pointer(api.id.as_str()),
            k.api_route(group, &self.route),
            k.api_name(group, &api.definition.name),
        ];
        if let Some(Some(p)) = &self.pointer {
            keys.push(k.api_route(group, &p.route));
            keys.push(k.api_name(group, &p.name));
        }
        keys
    }
}

/// What an action of a transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Create: the API item at its route (the route lock).
    Route,
    /// Create: the name lock.
    Name,
    /// Create: the id pointer.
    Pointer,
    /// Replace: the stored item's version (update or delete of the current route item).
    Version,
    /// Replace: the API item at a new route.
    NewRoute,
    /// Replace: release of the old name lock.
    OldName,
    /// Replace: the new name lock.
    NewName,
    /// Replace: the pointer's new route and name.
    PointerUpdate,
}

struct Prepared {
    idx: usize,
    create: bool,
    api_id: String,
    actions: Vec<(TransactWriteItem, Role)>,
    bytes: usize,
}

/// What a chunk decided.
#[derive(Default)]
struct ChunkResult {
    decided: Vec<(usize, ApiWriteOutcome)>,
}

pub(super) struct WriteApis<'a> {
    store: &'a DynamoStore,
    keys: Keys,
    group: String,
    limit: u64,
    /// Written, with the write's index, into every API item this call writes (`w`), so that
    /// a retried request whose first attempt was applied recognises its own write.
    call: String,
    /// The quota reservation written under: its marker names the record on the group item
    /// and is the creator mark (`c`) of this call's creates; `used` counts the creates of
    /// earlier calls under it (this call's are added at the end).
    hold: QuotaHold,
    /// Whether the group is known to exist.
    group_seen: bool,
    waits: u32,
}

impl<'a> WriteApis<'a> {
    /// A call writing under `hold` (an empty one: a fresh reservation of its own).
    pub fn new(
        store: &'a DynamoStore,
        scope: &Scope,
        group_id: &Id,
        limit: u32,
        mut hold: QuotaHold,
    ) -> Self {
        if hold.marker.is_empty() {
            hold.marker = uuid::Uuid::new_v4().simple().to_string();
        }
        WriteApis {
            store,
            keys: Keys::of(scope),
            group: group_id.as_str().to_string(),
            limit: u64::from(limit),
            call: uuid::Uuid::new_v4().simple().to_string(),
            // Room was taken from the group item: it exists.
            group_seen: hold.reserved > 0,
            hold,
            waits: 0,
        }
    }

    /// The writer mark of write `idx` of this call.
    fn writer(&self, idx: usize) -> String {
        format!("{}:{idx}", self.call)
    }

    /// Reserved room not used by earlier calls nor by this call's `created` creates.
    fn budget(&self, created: u64) -> u64 {
        self.hold.free().saturating_sub(created)
    }

    fn group_key(&self) -> Key {
        self.keys.group(&self.group)
    }

    /// Which pending writes touch no item an earlier pending write touches.
    fn select(&self, pending: &[Pending]) -> Vec<bool> {
        let mut claimed: HashSet<Key> = HashSet::new();
        pending
            .iter()
            .map(|p| {
                let keys = p.keys(&self.keys, &self.group);
                let free = keys.iter().all(|k| !claimed.contains(k));
                claimed.extend(keys);
                free
            })
            .collect()
    }

    /// Carry out `writes`; their outcomes, and the hold with this call's creates counted
    /// (not settled: the caller settles it).
    pub async fn run(
        mut self,
        writes: Vec<ApiWrite>,
    ) -> StoreResult<(Vec<ApiWriteOutcome>, QuotaHold)> {
        let count = writes.len();
        let mut outcomes: Vec<Option<ApiWriteOutcome>> = vec![None; count];
        let mut pending: Vec<Pending> = writes
            .into_iter()
            .enumerate()
            .map(|(idx, write)| Pending {
                idx,
                route: route_key(write.api()),
                write,
                pointer: None,
            })
            .collect();
        let max_rounds = 2 * count + 16;
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            if rounds > max_rounds {
                return Err(err(format_args!(
                    "{} writes still undecided after {max_rounds} rounds",
                    pending.len()
                )));
            }
            self.round(&mut pending, &mut outcomes).await?;
            pending.retain(|p| outcomes[p.idx].is_none());
        }
        self.hold.used += created_count(&outcomes);
        let outcomes = outcomes
            .into_iter()
            .map(|o| o.ok_or_else(|| err("a write was left without an outcome")))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((outcomes, self.hold))
    }

    async fn round(
        &mut self,
        pending: &mut [Pending],
        outcomes: &mut [Option<ApiWriteOutcome>],
    ) -> StoreResult<()> {
        if let Some(at) = self.hold.since {
            // Another writer may release a reservation once it expires: stop well before.
            if at.elapsed() > self.store.reservation_ttl / 2 {
                return Err(err(
                    "the quota reservation is about to expire; the rest is not written",
                ));
            }
        }
        let created = created_count(outcomes);
        // 1. Selection by the keys known so far; 2. one read of what the round needs, and
        // the reservation of the room its creates need, at once.
        let first = self.select(pending);
        let mut reads = Vec::new();
        let mut wanted = 0u64;
        for (p, selected) in pending.iter().zip(&first) {
            if !selected {
                continue;
            }
            if p.is_create() {
                wanted += 1;
            } else if p.pointer.is_none() {
                reads.push(self.keys.api_pointer(p.api().id.as_str()));
            }
        }
        let budget = self.budget(created);
        let store = self.store;
        let read = async {
            if reads.is_empty() {
                Ok(Default::default())
            } else {
                store.batch_get(&reads).await
            }
        };
        let more = wanted.saturating_sub(budget);
        let reserve = async {
            if more > 0 && self.limit > 0 {
                store
                    .reserve(
                        &self.keys,
                        &self.group,
                        &self.hold.marker,
                        self.hold.reserved,
                        more,
                        self.limit,
                    )
                    .await
                    .map(Some)
            } else if wanted > 0 && !self.group_seen {
                // Nothing to reserve (a limit of 0): the group must still exist.
                match store.get(&self.group_key()).await? {
                    Some(item) => Ok(Some((0, item))),
                    None => Err(err(format_args!("group {} does not exist", self.group))),
                }
            } else {
                Ok(None)
            }
        };
        let (found, reserved) = futures_util::future::try_join(read, reserve).await?;
        let mut budget = budget;
        if let Some((granted, group_item)) = reserved {
            self.group_seen = true;
            if granted > 0 {
                self.hold.reserved += granted;
                self.hold.since = Some(Instant::now());
                budget += granted;
            }
            // The quota looks full, but other writers hold reservations they may partly
            // give back (their creates may lose): wait for them rather than report
            // `QuotaReached` for creates a serial order would have let in.
            if budget == 0 && self.waits < MAX_RESERVATION_WAITS {
                let others = reservations(&group_item)?
                    .iter()
                    .any(|r| r.marker != self.hold.marker && !r.expired());
                if others {
                    self.waits += 1;
                    backoff(self.waits).await;
                    return Ok(());
                }
            }
        }
        for (p, selected) in pending.iter_mut().zip(&first) {
            if *selected && !p.is_create() && p.pointer.is_none() {
                let key = self.keys.api_pointer(p.api().id.as_str());
                let pointer = found.get(&key).map(Pointer::decode).transpose()?;
                // Another group's API (or none) cannot be replaced through this group.
                let pointer = pointer.filter(|ptr| ptr.group == self.group);
                if pointer.is_none() {
                    outcomes[p.idx] = Some(ApiWriteOutcome::VersionConflict);
                }
                p.pointer = Some(pointer);
            }
        }

        // 3. Selection with every key known, and the room.
        let live: Vec<usize> = (0..pending.len())
            .filter(|&i| outcomes[pending[i].idx].is_none())
            .collect();
        let live_pending: Vec<&Pending> = live.iter().map(|&i| &pending[i]).collect();
        let selected = {
            let mut claimed: HashSet<Key> = HashSet::new();
            live_pending
                .iter()
                .map(|p| {
                    let keys = p.keys(&self.keys, &self.group);
                    let free = keys.iter().all(|k| !claimed.contains(k));
                    claimed.extend(keys);
                    free
                })
                .collect::<Vec<bool>>()
        };
        let mut runnable: Vec<&Pending> = Vec::new();
        let mut overflow: Vec<&Pending> = Vec::new();
        for (p, sel) in live_pending.iter().zip(&selected) {
            if !sel {
                continue;
            }
            if p.is_create() {
                if budget > 0 {
                    budget -= 1;
                    runnable.push(p);
                } else {
                    overflow.push(p);
                }
            } else if matches!(p.pointer, Some(Some(_))) {
                runnable.push(p);
            }
        }
        let creates_run = runnable.iter().any(|p| p.is_create());
        // Creates that do not fit wait while creates of this round may still lose (and
        // free room); with no room at all they are decided now.
        let check = if creates_run { Vec::new() } else { overflow };

        // 4. Transactions, several at once, and the check of what cannot fit.
        let prepared = runnable
            .iter()
            .map(|p| self.prepare(p))
            .collect::<StoreResult<Vec<Prepared>>>()?;
        let chunks = chunk(prepared);
        let this = &*self;
        let transactions = stream::iter(chunks)
            .map(|c| this.run_chunk(c))
            .buffer_unordered(this.store.concurrency)
            .try_collect::<Vec<ChunkResult>>();
        let (results, checked) =
            futures_util::future::try_join(transactions, this.check_conflicts(&check)).await?;
        for r in results {
            for (idx, outcome) in r.decided {
                outcomes[idx] = Some(outcome);
            }
        }
        for (idx, outcome) in checked {
            outcomes[idx] = Some(outcome);
        }
        Ok(())
    }

    /// Creates that cannot fit: a conflict if their route or name is held, else the quota.
    async fn check_conflicts(
        &self,
        creates: &[&Pending],
    ) -> StoreResult<Vec<(usize, ApiWriteOutcome)>> {
        if creates.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::new();
        for p in creates {
            keys.push(self.keys.api_route(&self.group, &p.route));
            keys.push(self.keys.api_name(&self.group, &p.api().definition.name));
        }
        let found = self.store.batch_get(&keys).await?;
        creates
            .iter()
            .map(|p| {
                let route = found.get(&self.keys.api_route(&self.group, &p.route));
                let name = found.get(&self.keys.api_name(&self.group, &p.api().definition.name));
                let outcome = match (route, name) {
                    (Some(holder), _) => {
                        route_outcome(holder, p.api().id.as_str(), &self.writer(p.idx))?
                    }
                    (None, Some(_)) => ApiWriteOutcome::NameTaken,
                    (None, None) => ApiWriteOutcome::QuotaReached,
                };
                Ok((p.idx, outcome))
            })
            .collect()
    }

    fn prepare(&self, p: &Pending) -> StoreResult<Prepared> {
        let api = p.api();
        let id = api.id.as_str();
        let name = api.definition.name.as_str();
        let (body, listing) = api_attributes(api)?;
        let bytes = body.len() + listing.len() + 1024;
        let mut actions = Vec::new();
        let store = self.store;
        match &p.write {
            ApiWrite::Create(_) => {
                actions.push((
                    store.put_new(
                        self.entity(p, &api.created_at, Some(&self.hold.marker), body, listing)?,
                        true,
                    )?,
                    Role::Route,
                ));
                actions.push((store.put_new(self.name_lock(api), false)?, Role::Name));
                actions.push((
                    store.put_new(self.pointer(api, &p.route, &api.created_at), false)?,
                    Role::Pointer,
                ));
            }
            ApiWrite::Replace {
                expected_version, ..
            } => {
                let Some(Some(ptr)) = &p.pointer else {
                    return Err(err("replacement prepared without its pointer"));
                };
                let same_route = ptr.route == p.route;
                let same_name = ptr.name == name;
                if same_route {
                    let update = Update::builder()
                        .table_name(store.table())
                        .set_key(Some(self.keys.api_route(&self.group, &p.route).attrs()))
                        .update_expression(
                            "SET #b = :b, #v = :v, #n = :n, #w = :w, #o = :o, #l = :l",
                        )
                        .condition_expression("#id = :id AND #v = :expected")
                        .expression_attribute_names("#b", BODY)
                        .expression_attribute_names("#v", VERSION)
                        .expression_attribute_names("#n", NAME)
                        .expression_attribute_names("#id", ID)
                        .expression_attribute_names("#w", WRITER)
                        .expression_attribute_values(":w", s(self.writer(p.idx)))
                        .expression_attribute_names("#o", ORDER)
                        .expression_attribute_values(":o", s(super::keys::api_order(api)))
                        .expression_attribute_names("#l", LISTING)
                        .expression_attribute_values(":l", s(listing))
                        .expression_attribute_values(":b", s(body))
                        .expression_attribute_values(":v", n(api.version))
                        .expression_attribute_values(":n", s(name))
                        .expression_attribute_values(":id", s(id))
                        .expression_attribute_values(":expected", n(*expected_version))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(super::build_error)?;
                    actions.push((
                        TransactWriteItem::builder().update(update).build(),
                        Role::Version,
                    ));
                } else {
                    let delete = Delete::builder()
                        .table_name(store.table())
                        .set_key(Some(self.keys.api_route(&self.group, &ptr.route).attrs()))
                        .condition_expression("#id = :id AND #v = :expected")
                        .expression_attribute_names("#v", VERSION)
                        .expression_attribute_names("#id", ID)
                        .expression_attribute_values(":id", s(id))
                        .expression_attribute_values(":expected", n(*expected_version))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .map_err(super::build_error)?;
                    actions.push((
                        TransactWriteItem::builder().delete(delete).build(),
                        Role::Version,
                    ));
                    actions.push((
                        store.put_new(
                            self.entity(p, &ptr.created_at, ptr.creator.as_deref(), body, listing)?,
                            true,
                        )?,
                        Role::NewRoute,
                    ));
                }
                if !same_name {
                    let delete = Delete::builder()
                        .table_name(store.table())
                        .set_key(Some(self.keys.api_name(&self.group, &ptr.name).attrs()))
                        .condition_expression("#id = :id")
                        .expression_attribute_names("#id", ID)
                        .expression_attribute_values(":id", s(id))
                        .build()
                        .map_err(super::build_error)?;
                    actions.push((
                        TransactWriteItem::builder().delete(delete).build(),
                        Role::OldName,
                    ));
                    actions.push((store.put_new(self.name_lock(api), false)?, Role::NewName));
                }
                if !same_route || !same_name {
                    let update = Update::builder()
                        .table_name(store.table())
                        .set_key(Some(self.keys.api_pointer(id).attrs()))
                        .update_expression("SET #r = :r, #n = :n")
                        .condition_expression("attribute_exists(#pk) AND #id = :id")
                        .expression_attribute_names("#pk", table::PARTITION_KEY)
                        .expression_attribute_names("#r", ROUTE)
                        .expression_attribute_names("#n", NAME)
                        .expression_attribute_names("#id", ID)
                        .expression_attribute_values(":r", s(&p.route))
                        .expression_attribute_values(":n", s(name))
                        .expression_attribute_values(":id", s(id))
                        .build()
                        .map_err(super::build_error)?;
                    actions.push((
                        TransactWriteItem::builder().update(update).build(),
                        Role::PointerUpdate,
                    ));
                }
            }
        }
        Ok(Prepared {
            idx: p.idx,
            create: p.is_create(),
            api_id: id.to_string(),
            actions,
            bytes,
        })
    }

    /// The API item (it holds the route); `creator` is the reservation it was created under.
    fn entity(
        &self,
        p: &Pending,
        created_at: &str,
        creator: Option<&str>,
        body: String,
        listing: String,
    ) -> StoreResult<Item> {
        let api = p.api();
        let mut entity = item(
            &self.keys.api_route(&self.group, &p.route),
            "api",
            [
                (ID, s(api.id.as_str())),
                (NAME, s(&api.definition.name)),
                (ROUTE, s(&p.route)),
                (VERSION, n(api.version)),
                (CREATED_AT, s(created_at)),
                (BODY, s(body)),
                (WRITER, s(self.writer(p.idx))),
                (ORDER, s(super::keys::api_order(api))),
                (LISTING, s(listing)),
            ],
        );
        if let Some(creator) = creator {
            entity.insert(CREATOR.to_string(), s(creator));
        }
        Ok(entity)
    }

    fn name_lock(&self, api: &Api) -> Item {
        item(
            &self.keys.api_name(&self.group, &api.definition.name),
            "api_name",
            [(ID, s(api.id.as_str())), (NAME, s(&api.definition.name))],
        )
    }

    fn pointer(&self, api: &Api, route: &str, created_at: &str) -> Item {
        item(
            &self.keys.api_pointer(api.id.as_str()),
            "api_pointer",
            [
                (ID, s(api.id.as_str())),
                (GROUP, s(&self.group)),
                (ROUTE, s(route)),
                (NAME, s(&api.definition.name)),
                (CREATED_AT, s(created_at)),
                (CREATOR, s(&self.hold.marker)),
            ],
        )
    }

    /// Run one chunk to the end: retry without the losers until it commits or is empty.
    async fn run_chunk(&self, mut items: Vec<Prepared>) -> StoreResult<ChunkResult> {
        let mut result = ChunkResult::default();
        let shard = self.store.count_shards.lease();
        while !items.is_empty() {
            let mut actions = Vec::new();
            let mut roles: Vec<(usize, Role)> = Vec::new();
            for (pos, it) in items.iter().enumerate() {
                for (action, role) in &it.actions {
                    actions.push(action.clone());
                    roles.push((pos, *role));
                }
            }
            let creates = items.iter().filter(|i| i.create).count();
            actions.extend(shard.action(self.store, &self.keys, creates)?);
            let reasons = match self.store.transact(actions).await? {
                TxResult::Committed => {
                    for it in items.drain(..) {
                        let outcome = if it.create {
                            ApiWriteOutcome::Created
                        } else {
                            ApiWriteOutcome::Replaced
                        };
                        result.decided.push((it.idx, outcome));
                    }
                    break;
                }
                TxResult::Cancelled(reasons) => reasons,
            };
            // Failed conditions per item.
            let mut failed: Vec<Vec<(Role, Option<&Item>)>> = vec![Vec::new(); items.len()];
            for (reason, (pos, role)) in reasons.iter().zip(&roles) {
                if reason.condition_failed() {
                    failed[*pos].push((*role, reason.item.as_ref()));
                }
            }
            let mut losers: Vec<(usize, ApiWriteOutcome)> = Vec::new();
            for (pos, fails) in failed.iter().enumerate() {
                if fails.is_empty() {
                    continue;
                }
                losers.push((
                    pos,
                    loser_outcome(&items[pos], fails, &self.writer(items[pos].idx))?,
                ));
            }
            if losers.is_empty() {
                return Err(err(format_args!(
                    "transaction cancelled without a failed condition of its writes: {reasons:?}"
                )));
            }
            for (pos, outcome) in losers.iter().rev() {
                let it = items.remove(*pos);
                result.decided.push((it.idx, outcome.clone()));
            }
        }
        Ok(result)
    }
}

/// Creates decided `Created` (only creates are).
fn created_count(outcomes: &[Option<ApiWriteOutcome>]) -> u64 {
    outcomes
        .iter()
        .filter(|o| matches!(o, Some(ApiWriteOutcome::Created)))
        .count() as u64
}

/// The outcome of a write whose conditions `fails` failed; `marker` is its writer mark.
fn loser_outcome(
    it: &Prepared,
    fails: &[(Role, Option<&Item>)],
    marker: &str,
) -> StoreResult<ApiWriteOutcome> {
    let has = |role: Role| {
        fails
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, item)| *item)
    };
    // This very write, applied by an earlier attempt (its response lost and the request
    // retried): the item carries the write's mark.
    let ours = |item: &Item| -> StoreResult<bool> {
        Ok(get_s(item, ID)? == it.api_id
            && item
                .get(WRITER)
                .and_then(|w| w.as_s().ok())
                .is_some_and(|w| w == marker))
    };
    if it.create {
        if let Some(holder) = has(Role::Route) {
            let holder = holder.ok_or_else(|| err("route condition failed without the holder"))?;
            return route_outcome(holder, &it.api_id, marker);
        }
        if has(Role::Name).is_some() {
            return Ok(ApiWriteOutcome::NameTaken);
        }
        return Err(err(format_args!("api id {} is already in use", it.api_id)));
    }
    for role in [Role::Version, Role::NewRoute] {
        if let Some(Some(item)) = has(role) {
            if ours(item)? {
                return Ok(ApiWriteOutcome::Replaced);
            }
        }
    }
    if has(Role::Version).is_some()
        || has(Role::OldName).is_some()
        || has(Role::PointerUpdate).is_some()
    {
        return Ok(ApiWriteOutcome::VersionConflict);
    }
    if let Some(holder) = has(Role::NewRoute) {
        let holder = holder.ok_or_else(|| err("route condition failed without the holder"))?;
        return Ok(ApiWriteOutcome::RouteTaken {
            existing_name: get_s(holder, NAME)?.to_string(),
        });
    }
    Ok(ApiWriteOutcome::NameTaken)
}

/// A create found its route held: by itself, applied by an earlier attempt of this very
/// write (a retried commit; `marker` is its writer mark), or by another API (the same id
/// written by another call included).
fn route_outcome(holder: &Item, api_id: &str, marker: &str) -> StoreResult<ApiWriteOutcome> {
    let by_this_call = holder
        .get(WRITER)
        .and_then(|w| w.as_s().ok())
        .is_some_and(|w| w == marker);
    if by_this_call && get_s(holder, ID)? == api_id {
        decode_api(holder)?;
        return Ok(ApiWriteOutcome::Created);
    }
    Ok(ApiWriteOutcome::RouteTaken {
        existing_name: get_s(holder, NAME)?.to_string(),
    })
}

/// Pack prepared writes, in order, into chunks of at most [`MAX_ACTIONS`] actions and
/// [`MAX_BYTES`], balanced so that the chunks have similar sizes.
fn chunk(prepared: Vec<Prepared>) -> Vec<Vec<Prepared>> {
    let total: usize = prepared.iter().map(|p| p.actions.len()).sum();
    if total == 0 {
        return Vec::new();
    }
    // Room for the one action a transaction carries beside its writes: the API count
    // shard's `ADD` (the settlement goes in a request of its own, beside the record).
    let per_chunk = MAX_ACTIONS - 1;
    let count = total.div_ceil(per_chunk);
    let target = total.div_ceil(count);
    let mut chunks = Vec::new();
    let mut current: Vec<Prepared> = Vec::new();
    let (mut actions, mut bytes) = (0, 0);
    for p in prepared {
        let a = p.actions.len();
        let full = actions + a > per_chunk || bytes + p.bytes > MAX_BYTES || actions >= target;
        if full && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            actions = 0;
            bytes = 0;
        }
        actions += a;
        bytes += p.bytes;
        current.push(p);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}
