//! The instance-wide API count: what `ListApisV2` without `group_id` answers as its total,
//! in one small `Query`, however many groups the instance holds.
//!
//! The count is kept in [`SHARDS`] counter items `<t>` / `APIS#<k>` (attribute `n`), moved
//! *inside* the transactions that create API items (one `ADD` action per transaction), so
//! at every moment Σ `n` = the API items of the instance. The group counters cannot serve:
//! they also hold open quota reservations, and summing them reads one entry per group.
//!
//! Shards, so that transactions running at once do not share an item (DynamoDB cancels a
//! transaction touching an item another one is writing): every API transaction leases a
//! shard for its life from the store's [`ShardPool`] (shared by the store's clones, so by
//! every `write_apis` call of the process), starting at a random salt; no two transactions
//! in flight in one process hold the same shard while fewer than [`SHARDS`] run, so an
//! import never conflicts with itself (its concurrency is 10 by default), nor with the
//! other imports of the same process. Transactions of other processes (other Lambda
//! instances) pick their shards from their own salts and may meet on one: they then
//! conflict like any two transactions, and that is retried.
//!
//! Instances registered before the count existed have no shards: `create_instance` writes
//! the marker item `<t>` / `APIS` with the instance, and only with the marker are the
//! shards authoritative ([`DynamoStore::api_total`] → `None` without it: the reader sums
//! the groups instead, as before).

use super::codec::{get_s, n, Item};
use super::keys::{Key, Keys};
use super::{build_error, table, DynamoStore};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use std::sync::Mutex;

/// Counter items per instance.
pub const SHARDS: u32 = 32;
/// Sort key of the marker item: the shards of this instance are authoritative.
pub const MARKER_SK: &str = "APIS";
/// Sort-key prefix of the counter items, `APIS#00` … `APIS#31`.
pub const SHARD_PREFIX: &str = "APIS#";
/// The count attribute of a counter item.
pub const COUNT: &str = "n";

/// The marker item's key.
pub fn marker(keys: &Keys) -> Key {
    Key {
        pk: keys.tenant_pk().to_string(),
        sk: MARKER_SK.to_string(),
    }
}

/// Counter item `shard`'s key.
pub fn shard(keys: &Keys, shard: u32) -> Key {
    Key {
        pk: keys.tenant_pk().to_string(),
        sk: format!("{SHARD_PREFIX}{:02}", shard % SHARDS),
    }
}

/// The shards of one process: a transaction leases one for its life, and no two
/// transactions hold the same one at once.
#[derive(Debug)]
pub struct ShardPool {
    salt: u32,
    /// Shards leased now (bit k: shard k).
    leased: Mutex<u64>,
}

impl Default for ShardPool {
    fn default() -> Self {
        use rand::Rng;
        ShardPool {
            salt: rand::rng().random_range(0..SHARDS),
            leased: Mutex::new(0),
        }
    }
}

impl ShardPool {
    /// The first free shard from the salt on (all leased — more transactions in flight than
    /// shards — then the salt's: sharing a shard only costs a retried conflict).
    pub fn lease(&self) -> ShardLease<'_> {
        let mut leased = self.leased.lock().unwrap_or_else(|e| e.into_inner());
        let free = (0..SHARDS)
            .map(|i| (self.salt + i) % SHARDS)
            .find(|k| *leased & (1 << k) == 0);
        let shard = match free {
            Some(k) => {
                *leased |= 1 << k;
                Some(k)
            }
            None => None,
        };
        ShardLease {
            pool: self,
            shard: shard.unwrap_or(self.salt),
            owned: shard.is_some(),
        }
    }
}

/// A shard leased from a [`ShardPool`], given back when dropped.
#[derive(Debug)]
pub struct ShardLease<'a> {
    pool: &'a ShardPool,
    shard: u32,
    owned: bool,
}

impl ShardLease<'_> {
    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// The action to add to a transaction that creates `created` API items (and deletes
    /// none); `None` when it creates none.
    pub fn action(
        &self,
        store: &DynamoStore,
        keys: &Keys,
        created: usize,
    ) -> StoreResult<Option<TransactWriteItem>> {
        let delta = i64::try_from(created).unwrap_or(i64::MAX);
        store.api_count_action(keys, self.shard, delta)
    }
}

impl Drop for ShardLease<'_> {
    fn drop(&mut self) {
        if self.owned {
            let mut leased = self.pool.leased.lock().unwrap_or_else(|e| e.into_inner());
            *leased &= !(1 << self.shard);
        }
    }
}

impl DynamoStore {
    /// An `Update` adding `delta` (negative: API items deleted) to counter item `shard`
    /// (created by the first add); `None` for 0. No condition: it never cancels a
    /// transaction, except by a conflict with another transaction on the same shard.
    pub(crate) fn api_count_action(
        &self,
        keys: &Keys,
        shard_no: u32,
        delta: i64,
    ) -> StoreResult<Option<TransactWriteItem>> {
        if delta == 0 {
            return Ok(None);
        }
        let update = Update::builder()
            .table_name(self.table.as_ref())
            .set_key(Some(shard(keys, shard_no).attrs()))
            .update_expression("ADD #n :d")
            .expression_attribute_names("#n", COUNT)
            .expression_attribute_values(":d", AttributeValue::N(delta.to_string()))
            .build()
            .map_err(build_error)?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// The marker item, written with the instance item (see the module).
    pub(crate) fn api_count_marker(&self, keys: &Keys) -> Item {
        super::codec::item(&marker(keys), "api_count", [(COUNT, n(u64::from(SHARDS)))])
    }

    /// The instance's API items: Σ of the shards, one consistent `Query` of a few hundred
    /// bytes. `None` when the instance has no marker (registered before the count existed,
    /// or not registered): the shards are not authoritative.
    pub(crate) async fn api_total(&self, keys: &Keys) -> StoreResult<Option<u64>> {
        let items = self.query_prefix(keys.tenant_pk(), MARKER_SK).await?;
        sum_shards(&items)
    }
}

/// Σ of the counter items among `items` (the marker's and the shards' of one instance);
/// `None` without the marker.
pub(crate) fn sum_shards(items: &[Item]) -> StoreResult<Option<u64>> {
    let mut marked = false;
    let mut total: i128 = 0;
    for item in items {
        let sk = get_s(item, table::SORT_KEY)?;
        if sk == MARKER_SK {
            marked = true;
        } else if sk.starts_with(SHARD_PREFIX) {
            total += shard_value(item)?;
        }
    }
    if !marked {
        return Ok(None);
    }
    u64::try_from(total).map(Some).map_err(|_| {
        StoreError::new(format_args!(
            "dynamodb: the API count shards add up to {total}"
        ))
    })
}

/// A shard's count: signed (a shard may go below zero when deletes land on another shard
/// than the creates).
fn shard_value(item: &Item) -> StoreResult<i128> {
    match item.get(COUNT) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|e| {
            StoreError::new(format_args!("decode: api count shard {COUNT}={v:?}: {e}"))
        }),
        None => Ok(0),
        _ => Err(StoreError::new(
            "decode: api count shard: n is not a number",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_never_share_a_shard_while_held() {
        let pool = ShardPool::default();
        let held: Vec<ShardLease<'_>> = (0..SHARDS).map(|_| pool.lease()).collect();
        let mut shards: Vec<u32> = held.iter().map(ShardLease::shard).collect();
        shards.sort_unstable();
        shards.dedup();
        assert_eq!(shards.len(), SHARDS as usize);
        // All taken: one more shares (and does not free it when dropped).
        let extra = pool.lease();
        assert!(!extra.owned);
        drop(extra);
        let first = held[0].shard();
        drop(held);
        assert_eq!(pool.lease().shard(), first);
    }

    #[test]
    fn shards_add_up_only_with_the_marker() {
        let keys = Keys::of(&crate::model::Scope::new(
            crate::model::PathId::parse("p").expect("p"),
            crate::model::PathId::parse("i").expect("i"),
        ));
        let shard_item = |k: u32, v: &str| -> Item {
            let mut item = shard(&keys, k).attrs();
            item.insert(COUNT.to_string(), AttributeValue::N(v.to_string()));
            item
        };
        let mut items = vec![
            shard_item(0, "5"),
            shard_item(7, "-2"),
            shard_item(31, "10"),
        ];
        assert_eq!(sum_shards(&items).expect("sum"), None);
        items.insert(0, marker(&keys).attrs());
        assert_eq!(sum_shards(&items).expect("sum"), Some(13));
        assert_eq!(shard(&keys, 33).sk, "APIS#01");
    }
}
