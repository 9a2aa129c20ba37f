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

use super::codec::{decode_api, s};
use super::keys::{Key, Keys};
use super::{table, DynamoStore};
use crate::model::{Api, Id, RouteKey, Scope};
use crate::store::StoreResult;
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
        let query = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(table::ORDER_KEYS_INDEX)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", table::PARTITION_KEY)
            .expression_attribute_values(":pk", s(pk));
        let items = self.query_all(query, "query route keys").await?;
        Ok(items.iter().filter_map(Key::of_item).collect())
    }
}
