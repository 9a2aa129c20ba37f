//! `find_apis`: the stored APIs holding an import's routes, without reading the group.
//!
//! An import into an existing group plans against the APIs at its document's routes only.
//! Point reads of every route (`BatchGetItem`, 100 keys per request) cost a request per
//! 100 routes and a read unit per route even when nothing is there; the group's entries in
//! the `order_keys` index (keys and `ord` only, a few hundred bytes each: one `Query` page
//! holds about 5,000, more than a group's quota) say which of the routes are held for about
//! one read unit per 20 APIs of the group. Only the held routes are then read whole
//! (`BatchGetItem`): nothing for an import of new APIs, so its lookup is one request.
//!
//! The two reads are not one snapshot: an API moved or deleted in between is simply not
//! found. Writes are conditional, so a stale plan costs a retry, never a wrong outcome.

use super::codec::{decode_api, s, Item};
use super::keys::{Key, Keys};
use super::{sdk_error, table, DynamoStore};
use crate::model::{Api, Id, RouteKey, Scope};
use crate::store::StoreResult;
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use std::collections::HashSet;

impl DynamoStore {
    pub(super) async fn find_routes(
        &self,
        scope: &Scope,
        group_id: &Id,
        routes: &[RouteKey],
    ) -> StoreResult<Vec<Api>> {
        if routes.is_empty() {
            return Ok(Vec::new());
        }
        let keys = Keys::of(scope);
        let group = group_id.as_str();
        let wanted: HashSet<Key> = routes
            .iter()
            .map(|r| keys.api_route(group, &r.storage_key()))
            .collect();
        let held: Vec<Key> = self
            .route_keys(&keys.group_pk(group))
            .await?
            .into_iter()
            .filter(|k| wanted.contains(k))
            .collect();
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.batch_get(&held).await?;
        held.iter()
            .filter_map(|k| found.get(k))
            .map(decode_api)
            .collect()
    }

    /// The keys of every API item of group partition `pk` (its `order_keys` entries: only
    /// API items carry `ord` in a group's partition), consistent, paginated.
    async fn route_keys(&self, pk: &str) -> StoreResult<Vec<Key>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .index_name(table::ORDER_KEYS_INDEX)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", table::PARTITION_KEY)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("query route keys", e))?;
            self.meter
                .record(out.items(), false, out.consumed_capacity());
            found.extend(out.items().iter().filter_map(Key::of_item));
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(found),
            }
        }
    }
}
