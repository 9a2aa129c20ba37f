//! Creating a group, as the importer does it: in one transaction with the room held for the
//! import's APIs (`apis = n` and the reservation record written with the group item) and
//! the document's new shared objects (their per-kind counters moved by the same update of
//! the instance item as the group counter: one transaction may not touch an item twice,
//! and two transactions on the instance item would cancel each other).
//!
//! When that transaction fails for a reason of the shared objects (a name taken since it
//! was read, a kind's quota, or a counter condition that cannot tell whose quota it was),
//! the group is created alone and the shared objects one by one after it, exactly as
//! separate `create_group` and `write_shared` calls would: the outcomes never depend on the
//! batching, only the round trips do.

use super::codec::{
    group_listing, item, n, s, to_json, API_COUNT, BODY, GROUP_COUNT, ID, LISTING, NAME, ORDER,
};
use super::keys::{self, Key, Keys};
use super::transact::{MAX_ACTIONS, MAX_BYTES};
use super::{build_error, reservation, shared_item, table, DynamoStore, Reason, TxResult};
use crate::model::{Group, Scope};
use crate::store::{
    check_shared, Catalog, GroupCreate, GroupCreated, GroupLimits, QuotaHold, SharedCreate,
    SharedWrite, StoreError, StoreResult,
};
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use std::collections::BTreeMap;
use std::time::Instant;

impl DynamoStore {
    /// [`Catalog::create_group_holding`].
    pub(super) async fn create_group_with(
        &self,
        scope: &Scope,
        group: &Group,
        limits: GroupLimits,
        creates: u64,
        shared: &[SharedCreate],
    ) -> StoreResult<GroupCreated> {
        for s in shared {
            check_shared(&s.object)?;
        }
        let marker = uuid::Uuid::new_v4().simple().to_string();
        let creates = creates.min(u64::from(limits.apis));
        let hold = Some((marker.as_str(), creates));
        let together = shared_fits(shared);
        let first = self
            .put_group(
                scope,
                group,
                limits.groups,
                hold,
                if together { shared } else { &[] },
            )
            .await?;
        let (outcome, shared_written) = match first {
            Some(outcome) => (outcome, together),
            None => {
                let alone = self
                    .put_group(scope, group, limits.groups, hold, &[])
                    .await?;
                let outcome = alone.ok_or_else(|| {
                    StoreError::new("dynamodb: create group: cancelled by a shared object")
                })?;
                (outcome, false)
            }
        };
        let mut created = GroupCreated {
            outcome,
            hold: QuotaHold::default(),
            shared: Vec::new(),
        };
        if created.outcome != GroupCreate::Created {
            return Ok(created);
        }
        created.hold = QuotaHold {
            marker,
            reserved: creates,
            used: 0,
            since: Some(Instant::now()),
        };
        for s in shared {
            let outcome = if shared_written {
                crate::store::SharedWriteOutcome::Created
            } else {
                self.write_shared(scope, SharedWrite::Create(s.object.clone()), s.limit)
                    .await?
            };
            created.shared.push(outcome);
        }
        Ok(created)
    }

    /// Create a group; with `hold` (a reservation marker and the creates it takes), the
    /// group item is written holding that reservation already: `apis = n` and its record;
    /// with `shared`, those objects are created in the same transaction. `None`: cancelled
    /// for a reason of the shared objects (nothing written).
    pub(super) async fn put_group(
        &self,
        scope: &Scope,
        group: &Group,
        limit: u32,
        hold: Option<(&str, u64)>,
        shared: &[SharedCreate],
    ) -> StoreResult<Option<GroupCreate>> {
        let keys = Keys::of(scope);
        let mut group_item = item(
            &keys.group(group.id.as_str()),
            "group",
            [
                (ID, s(group.id.as_str())),
                (NAME, s(group.name.as_str())),
                (API_COUNT, n(0)),
                (ORDER, s(keys::group_order(group))),
                (LISTING, group_listing(group)?),
                (BODY, s(to_json(group)?)),
            ],
        );
        if let Some((marker, creates)) = hold.filter(|(_, creates)| *creates > 0) {
            group_item.insert(API_COUNT.to_string(), n(creates));
            group_item.insert(
                reservation::Reservation::attr(marker),
                self.reservation_record(creates),
            );
        }
        let id = group.id.as_str();
        let name = group.name.as_str();
        // The instance's counters: the group's, and each shared kind's created here.
        let mut counters = vec![(GROUP_COUNT.to_string(), 1, Some(u64::from(limit)))];
        let mut per_kind: BTreeMap<String, (u64, Option<u64>)> = BTreeMap::new();
        for s in shared {
            let entry = per_kind
                .entry(keys::shared_counter(s.object.key.kind))
                .or_insert((0, s.limit.map(u64::from)));
            entry.0 += 1;
        }
        counters.extend(per_kind.into_iter().map(|(c, (by, l))| (c, by, l)));
        // Order matters for reading the reasons: name lock, entity, counters, shared objects.
        let mut actions = vec![
            self.put_new(
                item(
                    &keys.group_name(name),
                    "group_name",
                    [(ID, s(id)), (NAME, s(name))],
                ),
                false,
            )?,
            self.put_new(group_item, false)?,
            self.bump_counters(&keys.instance(), &counters)
                .or_else(|_| self.never(&keys.instance()))?,
        ];
        for s in shared {
            actions.push(self.put_new(shared_item(&keys, &s.object)?, false)?);
        }
        match self.transact(actions).await? {
            TxResult::Committed => Ok(Some(GroupCreate::Created)),
            TxResult::Cancelled(reasons) => {
                let failed = |i: usize| reasons.get(i).is_some_and(Reason::condition_failed);
                if failed(0) {
                    return Ok(Some(GroupCreate::NameTaken));
                }
                if failed(1) {
                    return Err(StoreError::new(format_args!(
                        "group id {id} already exists"
                    )));
                }
                if (3..3 + shared.len()).any(failed) {
                    return Ok(None);
                }
                match reasons.get(2).and_then(|r| r.item.as_ref()) {
                    // Whose quota: the group's or a shared kind's? Only alone it tells.
                    Some(_) if !shared.is_empty() => Ok(None),
                    Some(_) => Ok(Some(GroupCreate::QuotaReached)),
                    None => Err(StoreError::new(format_args!(
                        "instance {}/{} is not registered",
                        scope.project_id, scope.instance_id
                    ))),
                }
            }
        }
    }

    /// An `Update` adding to several counters of one existing item, each staying at or
    /// below its limit (none: any value). Returns the old item on failure. An addition
    /// that can never fit its limit is an error (the caller sends [`Self::never`]).
    fn bump_counters(
        &self,
        key: &Key,
        counters: &[(String, u64, Option<u64>)],
    ) -> StoreResult<TransactWriteItem> {
        let mut sets = Vec::new();
        let mut condition = "attribute_exists(#pk)".to_string();
        let mut update = Update::builder()
            .table_name(self.table.as_ref())
            .set_key(Some(key.attrs()))
            .expression_attribute_names("#pk", table::PARTITION_KEY)
            .expression_attribute_values(":zero", n(0))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (i, (attr, by, limit)) in counters.iter().enumerate() {
            sets.push(format!("#c{i} = if_not_exists(#c{i}, :zero) + :by{i}"));
            update = update
                .expression_attribute_names(format!("#c{i}"), attr)
                .expression_attribute_values(format!(":by{i}"), n(*by));
            if let Some(limit) = limit {
                let max_before = limit.checked_sub(*by).ok_or_else(|| {
                    StoreError::new(format_args!(
                        "dynamodb: counter {attr}: adding {by} can never fit the limit {limit}"
                    ))
                })?;
                condition.push_str(&format!(
                    " AND (attribute_not_exists(#c{i}) OR #c{i} <= :max{i})"
                ));
                update = update.expression_attribute_values(format!(":max{i}"), n(max_before));
            }
        }
        Ok(TransactWriteItem::builder()
            .update(
                update
                    .update_expression(format!("SET {}", sets.join(", ")))
                    .condition_expression(condition)
                    .build()
                    .map_err(build_error)?,
            )
            .build())
    }
}

/// Whether the shared objects can be created in the group's transaction: a transaction
/// holds 100 actions (3 are the group's) and 4 MB (we allow 3), and a kind whose quota
/// cannot hold all of its creates is decided object by object, in order.
fn shared_fits(shared: &[SharedCreate]) -> bool {
    if shared.len() + 3 > MAX_ACTIONS {
        return false;
    }
    let bytes: usize = shared
        .iter()
        .map(|s| to_json(&s.object).map_or(usize::MAX / 2, |b| b.len() + 1024))
        .sum();
    if bytes > MAX_BYTES {
        return false;
    }
    let mut per_kind: BTreeMap<String, (u64, Option<u32>)> = BTreeMap::new();
    for s in shared {
        let entry = per_kind
            .entry(keys::shared_counter(s.object.key.kind))
            .or_insert((0, s.limit));
        entry.0 += 1;
    }
    per_kind
        .values()
        .all(|(count, limit)| limit.is_none_or(|l| *count <= u64::from(l)))
}
