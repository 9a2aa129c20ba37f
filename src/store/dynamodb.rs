//! The production store: one DynamoDB table (single-table design, `docs/dynamodb.md`).
//!
//! * Every key starts with the tenant (`T#<project>#<instance>`), so nothing of another
//!   project or instance is ever read, listed or collided with ([`keys`]).
//! * Uniqueness is enforced by the database: route, API name, group name, shared-object
//!   name and reference name are items created with `attribute_not_exists` in the same
//!   `TransactWriteItems` as the entity they protect (for APIs the entity item *is* the
//!   route lock); quota counters are updated in the same transaction with a condition on
//!   the limit — except a group's API counter, from which API writers reserve room before
//!   their transactions and settle after them ([`reservation`]; the importer's reservation
//!   rides with the group's creation, `creation.rs`); replacements are conditional on the
//!   stored `version`.
//! * The importer's reads go together: instance, group and shared objects in one
//!   `BatchGetItem` ([`Catalog::import_lookup`]), an existing group's routes from its keys
//!   index (`lookup.rs`); `docs/dynamodb.md`, "An import in four round trips".
//! * [`Catalog::write_apis`] packs writes into transactions of at most 100 actions, runs a
//!   bounded number of them at once, and reads `CancellationReasons` to give each losing
//!   write its own outcome and retry the others ([`transact`]).
//! * Entities are JSON strings in a `body` attribute ([`codec`]); numbers round-trip exactly.
//! * Throttling and transient errors are retried by the SDK (standard mode, backoff);
//!   transaction conflicts by this module (jittered backoff). Every SDK error becomes a
//!   [`StoreError`] carrying the error's full context for the logs.
//!
//! Referential integrity as in the embedded store: groups, references, shared objects and
//! import records need a registered instance, API creates an existing group; a write that
//! breaks this is a [`StoreError`].

mod access_keys;
pub mod api_count;
pub mod audit;
pub mod codec;
mod creation;
pub mod keys;
mod listing;
mod lookup;
pub mod meter;
mod paging;
pub mod reservation;
pub mod table;
pub mod tasks;
pub mod testing;
mod transact;

use super::{
    check_api_batch, check_shared, shared_listing, AccessKeyStore, ApiWrite, ApiWriteOutcome,
    Catalog, GroupCreate, GroupCreated, GroupLimits, ImportLookup, PageRequest, Paged, QuotaHold,
    SharedCreate, SharedWrite, SharedWriteOutcome, StoreError, StoreResult,
};
use crate::model::{
    AccessKey, AccessKeyLock, Api, ApiListing, Group, Id, ImportRecord, LockoutPolicy, PathId,
    Reference, ReferenceKind, RouteKey, Scope, SharedKey, SharedKind, SharedObject,
    StoredAccessKey,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, KeysAndAttributes, Put, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use codec::{
    decode_api, decode_group, decode_record, decode_reference, decode_shared, get_s, item, n, s,
    to_json, Item, BODY, CREATED_AT, GROUP, GROUP_COUNT, ID, NAME, ROUTE, VERSION,
};
use keys::{Key, Keys};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Transactions of one `write_apis` call in flight at once, by default. They share no item
/// (the quota is reserved once, not updated by each), so they do not conflict: a 300-API
/// import is one wave of 10 transactions.
pub const DEFAULT_CONCURRENCY: usize = 10;
/// SDK attempts per request (standard retry mode: exponential backoff with jitter).
pub const MAX_ATTEMPTS: u32 = 5;
/// Retries of a transaction cancelled only by conflicts with other transactions.
const MAX_CONFLICT_RETRIES: u32 = 12;
/// Keys per `BatchGetItem` request (the service limit).
const BATCH_GET_LIMIT: usize = 100;

/// The DynamoDB [`Store`](super::Store). Cheap to clone (the SDK client is shared).
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
    concurrency: usize,
    reservation_ttl: Duration,
    /// Read capacity of this store's reads (shared by its clones).
    meter: Arc<meter::ReadMeter>,
    /// Shards of the instances' API counts leased by transactions in flight (shared by the
    /// clones, so that concurrent writes of this process do not share one).
    count_shards: Arc<api_count::ShardPool>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// A [`StoreError`] from an SDK error, with the whole error chain (for the logs).
pub(crate) fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::new(format_args!(
        "dynamodb: {what}: {}",
        DisplayErrorContext(&e)
    ))
}

fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format_args!("dynamodb: build request: {e}"))
}

/// The retry configuration of clients made here: standard mode, [`MAX_ATTEMPTS`] attempts,
/// exponential backoff from 50 ms up to 2 s.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(2))
}

/// Timeouts of clients made here: 3 s to connect, 10 s per attempt.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .build()
}

/// The condition of one transaction action that stopped it.
#[derive(Debug, Clone)]
pub(crate) struct Reason {
    pub code: Option<String>,
    /// The item as it was, for actions sent with `ReturnValuesOnConditionCheckFailure`.
    pub item: Option<Item>,
}

impl Reason {
    pub fn condition_failed(&self) -> bool {
        self.code.as_deref() == Some("ConditionalCheckFailed")
    }

    fn passed(&self) -> bool {
        matches!(self.code.as_deref(), None | Some("None"))
    }

    fn transient(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "TransactionConflict"
                    | "ThrottlingError"
                    | "ProvisionedThroughputExceeded"
                    | "RequestLimitExceeded"
            )
        )
    }
}

/// What became of a transaction.
pub(crate) enum TxResult {
    Committed,
    /// At least one condition failed; one reason per action, in order.
    Cancelled(Vec<Reason>),
}

impl DynamoStore {
    /// A store on `table` through `client` (configure retries on the client; see
    /// [`retry_config`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: Arc::from(table.into()),
            concurrency: DEFAULT_CONCURRENCY,
            reservation_ttl: reservation::DEFAULT_RESERVATION_TTL,
            meter: Arc::default(),
            count_shards: Arc::default(),
        }
    }

    /// A store on `table` with the SDK's default configuration chain (environment, profile,
    /// container/instance credentials; `AWS_ENDPOINT_URL_DYNAMODB` selects another
    /// endpoint, e.g. a local DynamoDB-compatible server) plus [`retry_config`] and
    /// [`timeout_config`].
    pub async fn from_env(table: impl Into<String>) -> Self {
        let builder = Self::config_from_env().await;
        Self::new(Client::from_conf(builder.build()), table)
    }

    /// The client configuration [`from_env`](Self::from_env) uses, to add to it (e.g. an
    /// interceptor) before building a client.
    pub async fn config_from_env() -> aws_sdk_dynamodb::config::Builder {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        aws_sdk_dynamodb::config::Builder::from(&shared)
            .retry_config(retry_config())
            .timeout_config(timeout_config())
    }

    /// At most `n` (≥ 1) transactions of one `write_apis` call in flight at once.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How long a quota reservation of this store's writers is trusted before another
    /// writer may release it (default [`reservation::DEFAULT_RESERVATION_TTL`]; shorter only
    /// in tests of the release).
    pub fn with_reservation_ttl(mut self, ttl: Duration) -> Self {
        self.reservation_ttl = ttl;
        self
    }

    /// Read requests and read capacity of this store (and its clones) since the last
    /// [`reset_read_units`](Self::reset_read_units): `GetItem`s and `Query` pages.
    pub fn read_units(&self) -> meter::ReadUnits {
        self.meter.snapshot()
    }

    pub fn reset_read_units(&self) {
        self.meter.reset();
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    // -----------------------------------------------------------------------------------
    // Request helpers
    // -----------------------------------------------------------------------------------

    /// A `Put` of `item` if no item has its key.
    pub(crate) fn put_new(&self, item: Item, return_old: bool) -> StoreResult<TransactWriteItem> {
        let mut put = Put::builder()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", table::PARTITION_KEY);
        if return_old {
            put = put.return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );
        }
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(build_error)?)
            .build())
    }

    /// A `ConditionCheck` that the item exists.
    pub(crate) fn check_exists(&self, key: &Key) -> StoreResult<TransactWriteItem> {
        Ok(TransactWriteItem::builder()
            .condition_check(
                ConditionCheck::builder()
                    .table_name(self.table.as_ref())
                    .set_key(Some(key.attrs()))
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#pk", table::PARTITION_KEY)
                    .build()
                    .map_err(build_error)?,
            )
            .build())
    }

    /// An `Update` adding `by` to the counter `attr` of an existing item, if the counter
    /// stays at or below `limit` (no limit: any value). Returns the old item on failure.
    pub(crate) fn bump_counter(
        &self,
        key: &Key,
        attr: &str,
        by: u64,
        limit: Option<u64>,
    ) -> StoreResult<TransactWriteItem> {
        let mut condition = "attribute_exists(#pk)".to_string();
        let mut update = Update::builder()
            .table_name(self.table.as_ref())
            .set_key(Some(key.attrs()))
            .update_expression("SET #c = if_not_exists(#c, :zero) + :by")
            .expression_attribute_names("#pk", table::PARTITION_KEY)
            .expression_attribute_names("#c", attr)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":by", n(by))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(limit) = limit {
            // The counter after the update may not exceed the limit.
            let Some(max_before) = limit.checked_sub(by) else {
                return Err(StoreError::new(format_args!(
                    "dynamodb: counter {attr}: adding {by} can never fit the limit {limit}"
                )));
            };
            condition.push_str(" AND (attribute_not_exists(#c) OR #c <= :max)");
            update = update.expression_attribute_values(":max", n(max_before));
        }
        Ok(TransactWriteItem::builder()
            .update(
                update
                    .condition_expression(condition)
                    .build()
                    .map_err(build_error)?,
            )
            .build())
    }

    /// Run one transaction. Cancellations due only to conflicts with other transactions or
    /// throttling are retried here with jittered backoff; a cancellation with a failed
    /// condition is returned with its reasons.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> StoreResult<TxResult> {
        match self.transact_with(items, MAX_CONFLICT_RETRIES).await? {
            Some(result) => Ok(result),
            None => Err(StoreError::new(
                "dynamodb: transact write items: still conflicting after retries",
            )),
        }
    }

    /// [`transact`](Self::transact) with at most `max_conflict_retries` retries of
    /// cancellations by conflicts; `None` when the last one, with none allowed, was still
    /// cancelled by a conflict (the caller changes the transaction instead of waiting).
    pub(crate) async fn transact_with(
        &self,
        items: Vec<TransactWriteItem>,
        max_conflict_retries: u32,
    ) -> StoreResult<Option<TxResult>> {
        let mut conflicts = 0;
        loop {
            // A fresh token per attempt of ours; the SDK's own retries of one attempt reuse
            // it, so a commit whose response was lost is not applied (or reported) twice.
            let token = uuid::Uuid::new_v4().simple().to_string();
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(token)
                .send()
                .await;
            let e = match sent {
                Ok(_) => return Ok(Some(TxResult::Committed)),
                Err(e) => e,
            };
            let reasons: Vec<Reason> = match &e {
                SdkError::ServiceError(se) => match se.err() {
                    TransactWriteItemsError::TransactionCanceledException(c) => c
                        .cancellation_reasons()
                        .iter()
                        .map(|r| Reason {
                            code: r.code().map(str::to_string),
                            item: r.item().cloned(),
                        })
                        .collect(),
                    _ => return Err(sdk_error("transact write items", e)),
                },
                _ => return Err(sdk_error("transact write items", e)),
            };
            if reasons.iter().any(Reason::condition_failed) {
                return Ok(Some(TxResult::Cancelled(reasons)));
            }
            let retryable = reasons.iter().all(|r| r.passed() || r.transient());
            if retryable && max_conflict_retries == 0 {
                return Ok(None);
            }
            if !retryable || conflicts >= max_conflict_retries {
                return Err(sdk_error("transact write items", e));
            }
            conflicts += 1;
            backoff(conflicts).await;
        }
    }

    /// Consistent `GetItem`.
    pub(crate) async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key.attrs()))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("get item", e))?;
        let found: Vec<Item> = out.item().cloned().into_iter().collect();
        self.meter.record(&found, true, out.consumed_capacity());
        Ok(found.into_iter().next())
    }

    /// Consistent reads of many items (`BatchGetItem`, 100 keys per request, requests in
    /// parallel, unprocessed keys retried). Keys that do not exist are absent from the map.
    pub(crate) async fn batch_get(&self, keys: &[Key]) -> StoreResult<HashMap<Key, Item>> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let mut unique: Vec<Key> = keys.to_vec();
        unique.sort();
        unique.dedup();
        let chunks: Vec<Vec<Key>> = unique
            .chunks(BATCH_GET_LIMIT)
            .map(<[Key]>::to_vec)
            .collect();
        let found: Vec<Vec<Item>> = stream::iter(chunks)
            .map(|chunk| self.batch_get_chunk(chunk))
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        let mut map = HashMap::new();
        for item in found.into_iter().flatten() {
            if let Some(key) = Key::of_item(&item) {
                map.insert(key, item);
            }
        }
        Ok(map)
    }

    async fn batch_get_chunk(&self, keys: Vec<Key>) -> StoreResult<Vec<Item>> {
        let mut pending: Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> =
            keys.iter().map(Key::attrs).collect();
        let mut items = Vec::new();
        let mut round = 0;
        while !pending.is_empty() {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(build_error)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(self.table.as_ref(), request)
                .send()
                .await
                .map_err(|e| sdk_error("batch get item", e))?;
            if let Some(found) = out.responses().and_then(|r| r.get(self.table.as_ref())) {
                items.extend(found.iter().cloned());
            }
            if let Some(left) = out
                .unprocessed_keys()
                .and_then(|u| u.get(self.table.as_ref()))
            {
                pending = left.keys().to_vec();
            }
            if !pending.is_empty() {
                round += 1;
                if round > MAX_CONFLICT_RETRIES {
                    return Err(StoreError::new(
                        "dynamodb: batch get item: keys left unprocessed after retries",
                    ));
                }
                backoff(round).await;
            }
        }
        Ok(items)
    }

    /// Every item of partition `pk` whose sort key starts with `prefix` (consistent,
    /// paginated `Query`).
    pub(crate) async fn query_prefix(&self, pk: &str, prefix: &str) -> StoreResult<Vec<Item>> {
        let query = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
            .expression_attribute_names("#pk", table::PARTITION_KEY)
            .expression_attribute_names("#sk", table::SORT_KEY)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix));
        self.query_all(query, "query").await
    }

    /// Every item `query` matches: consistent, page after page, each page metered.
    pub(crate) async fn query_all(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        what: &str,
    ) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = query
                .clone()
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error(what, e))?;
            self.meter
                .record(out.items(), false, out.consumed_capacity());
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(items),
            }
        }
    }
}

/// Sleep before retry `attempt` (1-based): exponential from 20 ms, capped at 1 s, full jitter.
pub(crate) async fn backoff(attempt: u32) {
    use rand::Rng;
    let cap = (20u64 << attempt.min(6)).min(1000);
    let ms = rand::rng().random_range(cap / 4..=cap);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// The item of an import record.
fn record_item(keys: &Keys, record: &ImportRecord) -> StoreResult<Item> {
    Ok(item(
        &keys.record(record.id.as_str()),
        "import_record",
        [
            (ID, s(record.id.as_str())),
            (GROUP, s(record.group_id.as_str())),
            (BODY, s(to_json(record)?)),
        ],
    ))
}

/// The item of a shared object.
pub(crate) fn shared_item(keys: &Keys, object: &SharedObject) -> StoreResult<Item> {
    Ok(item(
        &keys.shared(&object.key),
        "shared",
        [
            (ID, s(object.id.as_str())),
            (NAME, s(&object.key.name)),
            (VERSION, n(object.version)),
            (CREATED_AT, s(&object.created_at)),
            (BODY, s(to_json(object)?)),
        ],
    ))
}

fn decode_all<T>(items: &[Item], decode: fn(&Item) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    items.iter().map(decode).collect()
}

#[async_trait]
impl Catalog for DynamoStore {
    async fn create_instance(&self, scope: &Scope) -> StoreResult<bool> {
        let keys = Keys::of(scope);
        let instance = item(
            &keys.instance(),
            "instance",
            [(CREATED_AT, s(crate::now_rfc3339())), (GROUP_COUNT, n(0))],
        );
        // With the instance, the marker of its API count: its shards are authoritative
        // from the start (`api_count`).
        let actions = vec![
            self.put_new(instance, false)?,
            self.put_new(self.api_count_marker(&keys), false)?,
        ];
        match self.transact(actions).await? {
            TxResult::Committed => Ok(true),
            TxResult::Cancelled(_) => Ok(false),
        }
    }

    async fn instance_exists(&self, scope: &Scope) -> StoreResult<bool> {
        Ok(self.get(&Keys::of(scope).instance()).await?.is_some())
    }

    async fn create_reference(&self, scope: &Scope, reference: &Reference) -> StoreResult<bool> {
        let keys = Keys::of(scope);
        let entity = item(
            &keys.reference(reference.kind, &reference.name),
            "reference",
            [
                (ID, s(reference.id.as_str())),
                (NAME, s(&reference.name)),
                (BODY, s(to_json(reference)?)),
            ],
        );
        let actions = vec![
            self.check_exists(&keys.instance())?,
            self.put_new(entity, false)?,
        ];
        match self.transact(actions).await? {
            TxResult::Committed => Ok(true),
            TxResult::Cancelled(reasons) => {
                if reasons.first().is_some_and(Reason::condition_failed) {
                    Err(StoreError::new(format_args!(
                        "instance {}/{} is not registered",
                        scope.project_id, scope.instance_id
                    )))
                } else {
                    Ok(false)
                }
            }
        }
    }

    async fn list_references(
        &self,
        scope: &Scope,
        kind: ReferenceKind,
    ) -> StoreResult<Vec<Reference>> {
        let keys = Keys::of(scope);
        let items = self
            .query_prefix(keys.tenant_pk(), &Keys::reference_prefix(kind))
            .await?;
        decode_all(&items, decode_reference)
    }

    async fn create_group(
        &self,
        scope: &Scope,
        group: &Group,
        limit: u32,
    ) -> StoreResult<GroupCreate> {
        self.put_group(scope, group, limit, None, &[])
            .await?
            .ok_or_else(|| StoreError::new("dynamodb: create group: cancelled without a reason"))
    }

    async fn create_group_holding(
        &self,
        scope: &Scope,
        group: &Group,
        limits: GroupLimits,
        creates: u64,
        shared: &[SharedCreate],
    ) -> StoreResult<GroupCreated> {
        self.create_group_with(scope, group, limits, creates, shared)
            .await
    }

    async fn import_lookup(
        &self,
        scope: &Scope,
        group_id: Option<&Id>,
        shared: &[SharedKey],
    ) -> StoreResult<ImportLookup> {
        let keys = Keys::of(scope);
        let instance = keys.instance();
        let group = group_id.map(|id| keys.group(id.as_str()));
        let shared_keys: Vec<Key> = shared.iter().map(|k| keys.shared(k)).collect();
        // One `BatchGetItem` (a request per 100 keys, at once) of every item.
        let mut wanted = vec![instance.clone()];
        wanted.extend(group.iter().cloned());
        wanted.extend(shared_keys.iter().cloned());
        let found = self.batch_get(&wanted).await?;
        Ok(ImportLookup {
            instance: found.contains_key(&instance),
            group: group
                .and_then(|k| found.get(&k))
                .map(decode_group)
                .transpose()?,
            shared: shared_keys
                .iter()
                .map(|k| found.get(k).map(decode_shared).transpose())
                .collect::<StoreResult<_>>()?,
        })
    }

    async fn get_group(&self, scope: &Scope, group_id: &Id) -> StoreResult<Option<Group>> {
        let key = Keys::of(scope).group(group_id.as_str());
        self.get(&key).await?.as_ref().map(decode_group).transpose()
    }

    async fn list_groups(&self, scope: &Scope) -> StoreResult<Vec<Group>> {
        let keys = Keys::of(scope);
        let items = self
            .query_prefix(keys.tenant_pk(), keys::GROUP_PREFIX)
            .await?;
        decode_all(&items, decode_group)
    }

    async fn page_groups(&self, scope: &Scope, page: PageRequest) -> StoreResult<Paged<Group>> {
        self.page_groups_in_order(scope, page).await
    }

    async fn page_apis(
        &self,
        scope: &Scope,
        group_id: Option<&Id>,
        page: PageRequest,
    ) -> StoreResult<Paged<ApiListing>> {
        self.page_apis_in_order(scope, group_id, page).await
    }

    async fn list_apis(&self, scope: &Scope, group_id: &Id) -> StoreResult<Vec<Api>> {
        let keys = Keys::of(scope);
        let items = self
            .query_prefix(&keys.group_pk(group_id.as_str()), keys::API_PREFIX)
            .await?;
        decode_all(&items, decode_api)
    }

    async fn get_api(&self, scope: &Scope, api_id: &Id) -> StoreResult<Option<Api>> {
        let keys = Keys::of(scope);
        // The pointer names the group and route; a replacement that moves the route between
        // the two reads is caught by the id check and read again.
        for _ in 0..3 {
            let Some(pointer) = self.get(&keys.api_pointer(api_id.as_str())).await? else {
                return Ok(None);
            };
            let group = get_s(&pointer, GROUP)?;
            let route = get_s(&pointer, ROUTE)?;
            if let Some(entity) = self.get(&keys.api_route(group, route)).await? {
                if get_s(&entity, ID)? == api_id.as_str() {
                    return decode_api(&entity).map(Some);
                }
            }
        }
        Ok(None)
    }

    async fn write_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        writes: Vec<ApiWrite>,
        limit: u32,
    ) -> StoreResult<Vec<ApiWriteOutcome>> {
        if !check_api_batch(group_id, &writes)? {
            return Ok(Vec::new());
        }
        let (outcomes, hold) =
            transact::WriteApis::new(self, scope, group_id, limit, QuotaHold::default())
                .run(writes)
                .await?;
        self.settle_apis(scope, group_id, hold).await?;
        Ok(outcomes)
    }

    async fn find_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        routes: &[RouteKey],
    ) -> StoreResult<Vec<Api>> {
        self.find_routes(scope, group_id, routes).await
    }

    async fn reserve_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        hold: &mut QuotaHold,
        creates: u64,
        limit: u32,
    ) -> StoreResult<()> {
        if creates == 0 || limit == 0 {
            return Ok(());
        }
        if hold.marker.is_empty() {
            hold.marker = uuid::Uuid::new_v4().simple().to_string();
        }
        let (granted, _) = self
            .reserve(
                &Keys::of(scope),
                group_id.as_str(),
                &hold.marker,
                hold.reserved,
                creates,
                u64::from(limit),
            )
            .await?;
        if granted > 0 {
            hold.reserved += granted;
            hold.since = Some(std::time::Instant::now());
        }
        Ok(())
    }

    async fn write_apis_holding(
        &self,
        scope: &Scope,
        group_id: &Id,
        writes: Vec<ApiWrite>,
        limit: u32,
        hold: &mut QuotaHold,
    ) -> StoreResult<Vec<ApiWriteOutcome>> {
        if !check_api_batch(group_id, &writes)? {
            return Ok(Vec::new());
        }
        let (outcomes, after) =
            transact::WriteApis::new(self, scope, group_id, limit, std::mem::take(hold))
                .run(writes)
                .await?;
        *hold = after;
        Ok(outcomes)
    }

    async fn settle_apis(&self, scope: &Scope, group_id: &Id, hold: QuotaHold) -> StoreResult<()> {
        if hold.reserved == 0 {
            return Ok(());
        }
        self.settle(
            &Keys::of(scope),
            group_id.as_str(),
            &hold.marker,
            hold.reserved,
            hold.used,
        )
        .await
    }

    async fn get_shared(
        &self,
        scope: &Scope,
        key: &SharedKey,
    ) -> StoreResult<Option<SharedObject>> {
        let key = Keys::of(scope).shared(key);
        self.get(&key)
            .await?
            .as_ref()
            .map(decode_shared)
            .transpose()
    }

    async fn list_shared(
        &self,
        scope: &Scope,
        kind: SharedKind,
        group_id: Option<&Id>,
    ) -> StoreResult<Vec<SharedObject>> {
        let Some(group) = shared_listing(kind, group_id) else {
            return Ok(Vec::new());
        };
        let keys = Keys::of(scope);
        let items = self
            .query_prefix(keys.tenant_pk(), &Keys::shared_prefix(kind, group))
            .await?;
        decode_all(&items, decode_shared)
    }

    async fn write_shared(
        &self,
        scope: &Scope,
        write: SharedWrite,
        limit: Option<u32>,
    ) -> StoreResult<SharedWriteOutcome> {
        let keys = Keys::of(scope);
        match write {
            SharedWrite::Create(object) => {
                check_shared(&object)?;
                let entity = shared_item(&keys, &object)?;
                let counter = keys::shared_counter(object.key.kind);
                let bump = match limit {
                    Some(0) => None,
                    limit => Some(self.bump_counter(
                        &keys.instance(),
                        &counter,
                        1,
                        limit.map(u64::from),
                    )?),
                };
                let mut actions = vec![self.put_new(entity, false)?];
                match bump {
                    Some(b) => actions.push(b),
                    // Limit 0: nothing fits, but a name clash is still reported as such.
                    None => actions.push(self.never(&keys.instance())?),
                }
                match self.transact(actions).await? {
                    TxResult::Committed => Ok(SharedWriteOutcome::Created),
                    TxResult::Cancelled(reasons) => {
                        if reasons.first().is_some_and(Reason::condition_failed) {
                            return Ok(SharedWriteOutcome::NameTaken);
                        }
                        match reasons.get(1).and_then(|r| r.item.as_ref()) {
                            Some(_) => Ok(SharedWriteOutcome::QuotaReached),
                            None => Err(StoreError::new(format_args!(
                                "instance {}/{} is not registered",
                                scope.project_id, scope.instance_id
                            ))),
                        }
                    }
                }
            }
            SharedWrite::Replace {
                object,
                expected_version,
            } => {
                check_shared(&object)?;
                let updated = self
                    .client
                    .update_item()
                    .table_name(self.table.as_ref())
                    .set_key(Some(keys.shared(&object.key).attrs()))
                    .update_expression("SET #b = :b, #v = :v")
                    .condition_expression("#v = :expected")
                    .expression_attribute_names("#b", BODY)
                    .expression_attribute_names("#v", VERSION)
                    .expression_attribute_values(":b", s(to_json(&object)?))
                    .expression_attribute_values(":v", n(object.version))
                    .expression_attribute_values(":expected", n(expected_version))
                    .send()
                    .await;
                match updated {
                    Ok(_) => Ok(SharedWriteOutcome::Replaced),
                    Err(SdkError::ServiceError(e))
                        if matches!(
                            e.err(),
                            UpdateItemError::ConditionalCheckFailedException(_)
                        ) =>
                    {
                        Ok(SharedWriteOutcome::VersionConflict)
                    }
                    Err(e) => Err(sdk_error("replace shared object", e)),
                }
            }
        }
    }

    async fn put_import_record(&self, scope: &Scope, record: &ImportRecord) -> StoreResult<()> {
        let keys = Keys::of(scope);
        let entity = record_item(&keys, record)?;
        let put = Put::builder()
            .table_name(self.table.as_ref())
            .set_item(Some(entity))
            .build()
            .map_err(build_error)?;
        let actions = vec![
            self.check_exists(&keys.instance())?,
            TransactWriteItem::builder().put(put).build(),
        ];
        match self.transact(actions).await? {
            TxResult::Committed => Ok(()),
            TxResult::Cancelled(_) => Err(StoreError::new(format_args!(
                "instance {}/{} is not registered",
                scope.project_id, scope.instance_id
            ))),
        }
    }

    async fn record_import(&self, scope: &Scope, record: &ImportRecord) -> StoreResult<()> {
        // No condition: the record's own key is unique to the import, and the instance was
        // read registered by the caller (instances are never deleted).
        self.client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(record_item(&Keys::of(scope), record)?))
            .send()
            .await
            .map_err(|e| sdk_error("put import record", e))?;
        Ok(())
    }

    async fn get_import_record(&self, scope: &Scope, id: &Id) -> StoreResult<Option<ImportRecord>> {
        let key = Keys::of(scope).record(id.as_str());
        self.get(&key)
            .await?
            .as_ref()
            .map(decode_record)
            .transpose()
    }
}

#[async_trait]
impl AccessKeyStore for DynamoStore {
    async fn create_access_key(&self, key: &AccessKey) -> StoreResult<bool> {
        self.ak_create(key).await
    }

    async fn get_access_key(&self, access_key: &str) -> StoreResult<Option<StoredAccessKey>> {
        self.ak_get(access_key).await
    }

    async fn list_access_keys(&self, project: &PathId) -> StoreResult<Vec<StoredAccessKey>> {
        self.ak_list(project).await
    }

    async fn set_access_key_enabled(
        &self,
        project: &PathId,
        access_key: &str,
        enabled: bool,
    ) -> StoreResult<bool> {
        self.ak_set_enabled(project, access_key, enabled).await
    }

    async fn record_auth_failure(
        &self,
        access_key: &str,
        now: time::OffsetDateTime,
        policy: LockoutPolicy,
    ) -> StoreResult<Option<AccessKeyLock>> {
        self.ak_record_failure(access_key, now, policy).await
    }

    async fn reset_auth_failures(&self, access_key: &str) -> StoreResult<()> {
        self.ak_reset(access_key).await
    }
}

impl DynamoStore {
    /// A `ConditionCheck` on an existing item that always fails (a quota of zero), returning
    /// the item so that the caller can tell "full" from "missing".
    pub(crate) fn never(&self, key: &Key) -> StoreResult<TransactWriteItem> {
        Ok(TransactWriteItem::builder()
            .condition_check(
                ConditionCheck::builder()
                    .table_name(self.table.as_ref())
                    .set_key(Some(key.attrs()))
                    .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#pk)")
                    .expression_attribute_names("#pk", table::PARTITION_KEY)
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .build()
                    .map_err(build_error)?,
            )
            .build())
    }
}
