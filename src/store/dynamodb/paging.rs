//! Pages of groups and APIs in listing order, reading the page's items only.
//!
//! Group and API items carry `ord` (their listing order, [`keys::group_order`],
//! [`keys::api_order`]), the sort key of two sparse local secondary indexes: `order` holds
//! what a listing shows of each item (`lst`, a few hundred bytes: a page is one `Query`
//! from a start key, charged by the sum of the entries' sizes), `order_keys` only keys and
//! a group's API counter (what precedes an offset is skipped through it). Totals come from
//! counters: the instance's `groups`, a group's `apis` (which also holds open quota
//! reservations, so a total is exact once no import is in flight on the group), the
//! instance's API count ([`super::api_count`]). Every read is strongly consistent: local
//! secondary indexes allow it.

use super::codec::{
    decode_api_listing, decode_group_listing, get_n_or_zero, s, Item, API_COUNT, GROUP_COUNT,
};
use super::keys::{self, Keys};
use super::{sdk_error, table, DynamoStore};
use crate::model::{ApiListing, Group, Id, Scope};
use crate::store::{PageRequest, Paged, StoreResult};
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;

/// Group entries read per request while walking the groups for a listing of every API:
/// the first page usually needs one or two groups; later requests read more at once.
const FIRST_GROUP_BATCH: i32 = 25;
const NEXT_GROUP_BATCH: i32 = 500;

/// Items of one partition in listing order (the index's own, `order` or `order_keys`).
struct OrderQuery<'a> {
    store: &'a DynamoStore,
    index: &'static str,
    pk: String,
}

impl OrderQuery<'_> {
    /// Up to `limit` items after `start` (`None`: from the first), in order; and the key to
    /// go on from (`None`: nothing is left).
    async fn read(
        &self,
        start: Option<Item>,
        limit: usize,
    ) -> StoreResult<(Vec<Item>, Option<Item>)> {
        let mut items = Vec::new();
        let mut next = start;
        let mut first = true;
        while items.len() < limit && (first || next.is_some()) {
            first = false;
            let want = i32::try_from(limit - items.len()).unwrap_or(i32::MAX);
            let out = self
                .store
                .client
                .query()
                .table_name(self.store.table.as_ref())
                .index_name(self.index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", table::PARTITION_KEY)
                .expression_attribute_values(":pk", s(&self.pk))
                .consistent_read(true)
                .limit(want)
                .set_exclusive_start_key(next.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("query in listing order", e))?;
            self.store
                .meter
                .record(out.items(), false, out.consumed_capacity());
            items.extend(out.items().iter().cloned());
            next = out.last_evaluated_key().filter(|k| !k.is_empty()).cloned();
        }
        Ok((items, next))
    }

    /// The key after which item number `offset` (0-based) starts, read through the keys
    /// index: `Ok(None)` for offset 0, `Err` never for a short partition — then the start
    /// is past the end (`Some(None)` below).
    async fn start_at(&self, offset: u64) -> StoreResult<Option<Option<Item>>> {
        if offset == 0 {
            return Ok(Some(None));
        }
        let keys = OrderQuery {
            store: self.store,
            index: table::ORDER_KEYS_INDEX,
            pk: self.pk.clone(),
        };
        let n = usize::try_from(offset).unwrap_or(usize::MAX);
        let (skipped, _) = keys.read(None, n).await?;
        if skipped.len() < n {
            return Ok(None);
        }
        Ok(skipped.last().map(|last| Some(start_key(last))))
    }

    /// The page of `limit` items from item `offset` on.
    async fn page(&self, offset: u64, limit: u64) -> StoreResult<Vec<Item>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Some(start) = self.start_at(offset).await? else {
            return Ok(Vec::new());
        };
        let full = OrderQuery {
            store: self.store,
            index: table::ORDER_INDEX,
            pk: self.pk.clone(),
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(full.read(start, limit).await?.0)
    }
}

/// The exclusive start key of an index query right after `item`: table key and index key.
fn start_key(item: &Item) -> Item {
    [
        table::PARTITION_KEY,
        table::SORT_KEY,
        table::ORDER_ATTRIBUTE,
    ]
    .iter()
    .filter_map(|name| item.get(*name).map(|v| (name.to_string(), v.clone())))
    .collect()
}

impl DynamoStore {
    pub(crate) async fn page_groups_in_order(
        &self,
        scope: &Scope,
        page: PageRequest,
    ) -> StoreResult<Paged<Group>> {
        let keys = Keys::of(scope);
        let query = OrderQuery {
            store: self,
            index: table::ORDER_INDEX,
            pk: keys.tenant_pk().to_string(),
        };
        // The count is read while the page is: the first page takes one round trip. The
        // count's outcome decides first, as when it was read before the page.
        let (instance, items) = futures_util::future::join(
            self.get(&keys.instance()),
            query.page(page.offset, page.limit),
        )
        .await;
        let total = match instance? {
            Some(instance) => get_n_or_zero(&instance, GROUP_COUNT)?,
            None => return Ok(Paged::of(Vec::new(), page)),
        };
        let items = items?;
        Ok(Paged {
            total,
            items: items
                .iter()
                .map(decode_group_listing)
                .collect::<StoreResult<_>>()?,
        })
    }

    pub(crate) async fn page_apis_in_order(
        &self,
        scope: &Scope,
        group_id: Option<&Id>,
        page: PageRequest,
    ) -> StoreResult<Paged<ApiListing>> {
        let keys = Keys::of(scope);
        match group_id {
            Some(id) => {
                // The count is read while the page is; its outcome decides first.
                let (group, items) = futures_util::future::join(
                    self.get(&keys.group(id.as_str())),
                    self.group_page(&keys, id.as_str(), page),
                )
                .await;
                let total = match group? {
                    Some(group) => get_n_or_zero(&group, API_COUNT)?,
                    None => return Ok(Paged::of(Vec::new(), page)),
                };
                Ok(Paged {
                    total,
                    items: items?,
                })
            }
            None => self.page_all_apis(&keys, page).await,
        }
    }

    async fn group_page(
        &self,
        keys: &Keys,
        group: &str,
        page: PageRequest,
    ) -> StoreResult<Vec<ApiListing>> {
        let query = OrderQuery {
            store: self,
            index: table::ORDER_INDEX,
            pk: keys.group_pk(group),
        };
        let items = query.page(page.offset, page.limit).await?;
        items.iter().map(decode_api_listing).collect()
    }

    /// APIs of every group: the groups' keys and counters in listing order (through the
    /// keys index) say which groups the page falls in; only those groups' APIs are read,
    /// from the offset within the first. The total is the instance's API count (one small
    /// `Query`, [`super::api_count`]), so the walk stops once the page is full; an instance
    /// without the count (registered before it) sums every group's counter instead.
    async fn page_all_apis(
        &self,
        keys: &Keys,
        page: PageRequest,
    ) -> StoreResult<Paged<ApiListing>> {
        let counted = self.api_total(keys).await?;
        let groups = OrderQuery {
            store: self,
            index: table::ORDER_KEYS_INDEX,
            pk: keys.tenant_pk().to_string(),
        };
        let mut summed: u64 = 0;
        let mut apis = Vec::new();
        let mut start = None;
        let mut batch = FIRST_GROUP_BATCH;
        loop {
            let want = usize::try_from(batch).unwrap_or(usize::MAX);
            let (entries, next) = groups.read(start.take(), want).await?;
            for entry in &entries {
                let count = get_n_or_zero(entry, API_COUNT)?;
                let before = summed;
                summed = summed.saturating_add(count);
                let wanted = page
                    .limit
                    .saturating_sub(u64::try_from(apis.len()).unwrap_or(u64::MAX));
                // Does the page reach into this group?
                if wanted > 0 && summed > page.offset && count > 0 {
                    let offset = page.offset.saturating_sub(before);
                    let sk = super::codec::get_s(entry, table::SORT_KEY)?;
                    let group = sk.strip_prefix(keys::GROUP_PREFIX).unwrap_or(sk);
                    let found = self
                        .group_page(
                            keys,
                            group,
                            PageRequest {
                                offset,
                                limit: wanted,
                            },
                        )
                        .await?;
                    apis.extend(found);
                }
            }
            let full = u64::try_from(apis.len()).unwrap_or(u64::MAX) >= page.limit;
            match next {
                // With the count, nothing after a full page is needed.
                Some(_) if full && counted.is_some() => break,
                Some(key) => start = Some(key),
                None => break,
            }
            batch = NEXT_GROUP_BATCH;
        }
        Ok(Paged {
            total: counted.unwrap_or(summed),
            items: apis,
        })
    }
}
