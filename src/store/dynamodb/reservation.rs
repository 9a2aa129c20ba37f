//! Reservations of a group's API quota (`docs/dynamodb.md`, "Reservations").
//!
//! A writer of APIs takes room from the group's counter once — with one conditional
//! `UpdateItem` of the group item that also records the reservation (`rsv_<marker>` =
//! `{n, exp}`: the creates reserved so far and an expiry), or, for a group an import
//! creates, in the group's own creating transaction — writes its API transactions without
//! touching the counter (so its own transactions share no item and never cancel each
//! other), and settles at the end: gives back what it did not use and removes the record.
//! Invariant, at every moment:
//!
//! `apis = API items of the group + Σ over reservations (n − API items created under it)`
//!
//! (an item created under a reservation carries its marker in `c`). A writer that died
//! between reserve and settle leaves its record; once expired, the next writer to reserve
//! (or [`DynamoStore::release_expired`]) counts the items carrying the marker and gives back
//! the rest. Every update is conditional on the record's state, so a retried request whose
//! first attempt was applied is recognised, never applied twice.

use super::codec::{get_n_or_zero, s, Item, API_COUNT, CREATOR};
use super::keys::{Key, Keys, API_PREFIX};
use super::{backoff, build_error, sdk_error, table, DynamoStore};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Attribute name prefix of a reservation record on the group item.
pub const RESERVATION_PREFIX: &str = "rsv_";
/// How long a reservation is trusted: longer than any import can run (a Lambda invocation
/// ends after 15 minutes at most), after which another writer may release it.
pub const DEFAULT_RESERVATION_TTL: Duration = Duration::from_secs(20 * 60);
/// Attempts of one reservation update (counter moved, conflicts, expired records).
const MAX_ATTEMPTS: u32 = 16;

const N: &str = "n";
const EXP: &str = "exp";

fn err(detail: impl std::fmt::Display) -> StoreError {
    StoreError::new(format_args!("dynamodb: api quota reservation: {detail}"))
}

/// A reservation record read from a group item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub marker: String,
    /// Creates reserved.
    pub n: u64,
    /// Expiry, unix milliseconds.
    pub expires_ms: u64,
}

impl Reservation {
    pub fn attr(marker: &str) -> String {
        format!("{RESERVATION_PREFIX}{marker}")
    }

    pub fn expired(&self) -> bool {
        self.expires_ms <= now_ms()
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The reservation records of a group item.
pub fn reservations(group: &Item) -> StoreResult<Vec<Reservation>> {
    let mut out = Vec::new();
    for (name, value) in group {
        let Some(marker) = name.strip_prefix(RESERVATION_PREFIX) else {
            continue;
        };
        let map = value
            .as_m()
            .map_err(|_| err(format_args!("record {name} is not a map")))?;
        out.push(Reservation {
            marker: marker.to_string(),
            n: get_n_or_zero(map, N)?,
            expires_ms: get_n_or_zero(map, EXP)?,
        });
    }
    out.sort_by(|a, b| a.marker.cmp(&b.marker));
    Ok(out)
}

fn record(n_value: u64, expires_ms: u64) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        (N.to_string(), super::codec::n(n_value)),
        (EXP.to_string(), super::codec::n(expires_ms)),
    ]))
}

/// What one conditional update of the group item did.
enum Update {
    Applied(Item),
    /// The condition failed; the item as it was (`None`: no such item).
    Failed(Option<Item>),
}

impl DynamoStore {
    /// One `UpdateItem` of `key` returning the new item, or the old one when `condition`
    /// fails. `TransactionConflictException` (a transaction in flight on the item) is
    /// retried with backoff.
    async fn update_group(
        &self,
        key: &Key,
        update: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> StoreResult<Update> {
        let mut attempt = 0;
        loop {
            let mut request = self
                .client
                .update_item()
                .table_name(self.table.as_ref())
                .set_key(Some(key.attrs()))
                .update_expression(update)
                .condition_expression(condition)
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            for (k, v) in names {
                request = request.expression_attribute_names(*k, *v);
            }
            for (k, v) in values {
                request = request.expression_attribute_values(*k, v.clone());
            }
            let e = match request.send().await {
                Ok(out) => {
                    return Ok(Update::Applied(
                        out.attributes().cloned().unwrap_or_default(),
                    ))
                }
                Err(e) => e,
            };
            if let SdkError::ServiceError(se) = &e {
                if let UpdateItemError::ConditionalCheckFailedException(c) = se.err() {
                    return Ok(Update::Failed(c.item().cloned()));
                }
                if se.err().code() == Some("TransactionConflictException") && attempt < MAX_ATTEMPTS
                {
                    attempt += 1;
                    backoff(attempt).await;
                    continue;
                }
            }
            return Err(sdk_error("update group", e));
        }
    }

    /// Take up to `want` more creates from the group's counter for reservation `marker`,
    /// which holds `held` so far. Returns how many were granted (0: no room) and the group
    /// item. Expired reservations of others seen on the way are released first.
    pub(crate) async fn reserve(
        &self,
        keys: &Keys,
        group: &str,
        marker: &str,
        held: u64,
        want: u64,
        limit: u64,
    ) -> StoreResult<(u64, Item)> {
        let key = keys.group(group);
        let attr = Reservation::attr(marker);
        let mut want = want.min(limit);
        for _ in 0..MAX_ATTEMPTS {
            let Some(max_before) = limit.checked_sub(want) else {
                return Err(err("reservation larger than the limit"));
            };
            let total = held + want;
            // The record's state is part of the condition: a retried request whose first
            // attempt was applied fails it, and is recognised below.
            let own = if held == 0 {
                "attribute_not_exists(#r)"
            } else {
                "#r.#n = :held"
            };
            let condition = format!(
                "attribute_exists(#pk) AND (attribute_not_exists(#c) OR #c <= :max) AND {own}"
            );
            let expires = now_ms() + self.reservation_ttl.as_millis() as u64;
            let mut values = vec![
                (":zero", super::codec::n(0)),
                (":want", super::codec::n(want)),
                (":max", super::codec::n(max_before)),
                (":rec", record(total, expires)),
            ];
            let mut names = vec![
                ("#pk", table::PARTITION_KEY),
                ("#c", API_COUNT),
                ("#r", attr.as_str()),
            ];
            if held > 0 {
                values.push((":held", super::codec::n(held)));
                names.push(("#n", N));
            }
            let outcome = self
                .update_group(
                    &key,
                    "SET #c = if_not_exists(#c, :zero) + :want, #r = :rec",
                    &condition,
                    &names,
                    &values,
                )
                .await?;
            let item = match outcome {
                Update::Applied(item) => {
                    self.release_all_expired(keys, group, &item, marker).await?;
                    return Ok((want, item));
                }
                Update::Failed(None) => {
                    return Err(err(format_args!("group {group} does not exist")))
                }
                Update::Failed(Some(item)) => item,
            };
            let mine = reservations(&item)?
                .into_iter()
                .find(|r| r.marker == marker)
                .map(|r| r.n);
            match mine {
                // This very update, applied by an earlier attempt whose response was lost.
                Some(n) if n == total => return Ok((want, item)),
                Some(n) if n == held => {}
                None if held == 0 => {}
                _ => {
                    return Err(err(format_args!(
                        "reservation {marker} was changed by another writer (expired?)"
                    )))
                }
            }
            let released = self.release_all_expired(keys, group, &item, marker).await?;
            let room = limit.saturating_sub(get_n_or_zero(&item, API_COUNT)?);
            if room == 0 && !released {
                return Ok((0, item));
            }
            if room > 0 {
                want = want.min(room);
            }
        }
        Err(err("the group's API counter kept moving"))
    }

    /// End reservation `marker` of `reserved` creates, `created` of which were used: give
    /// back the rest and remove the record. A record already gone (a retried settle, or a
    /// release by another writer) is left alone.
    pub(crate) async fn settle(
        &self,
        keys: &Keys,
        group: &str,
        marker: &str,
        reserved: u64,
        created: u64,
    ) -> StoreResult<()> {
        let unused = reserved.saturating_sub(created);
        let attr = Reservation::attr(marker);
        self.update_group(
            &keys.group(group),
            "SET #c = #c - :unused REMOVE #r",
            "attribute_exists(#r) AND #r.#n = :n",
            &[("#c", API_COUNT), ("#r", &attr), ("#n", N)],
            &[
                (":unused", super::codec::n(unused)),
                (":n", super::codec::n(reserved)),
            ],
        )
        .await?;
        Ok(())
    }

    /// A new reservation record of `n` creates, as an attribute of the group item (the
    /// group's creation writes it with `apis = n`: room taken in the same write).
    pub(crate) fn reservation_record(&self, n_value: u64) -> AttributeValue {
        record(n_value, now_ms() + self.reservation_ttl.as_millis() as u64)
    }

    /// Release every expired reservation on `group_item` except `own`. True if any was.
    async fn release_all_expired(
        &self,
        keys: &Keys,
        group: &str,
        group_item: &Item,
        own: &str,
    ) -> StoreResult<bool> {
        let mut released = false;
        for r in reservations(group_item)? {
            if r.marker != own && r.expired() {
                self.release_expired(keys, group, &r).await?;
                released = true;
            }
        }
        Ok(released)
    }

    /// Release an expired reservation of a writer that died: count the API items created
    /// under it, give back the rest, remove the record — if it is still as read.
    pub async fn release_expired(
        &self,
        keys: &Keys,
        group: &str,
        r: &Reservation,
    ) -> StoreResult<()> {
        let created = self.count_created(keys, group, &r.marker).await?;
        let attr = Reservation::attr(&r.marker);
        self.update_group(
            &keys.group(group),
            "SET #c = #c - :unused REMOVE #r",
            "#r.#n = :n AND #r.#exp = :exp",
            &[("#c", API_COUNT), ("#r", &attr), ("#n", N), ("#exp", EXP)],
            &[
                (":unused", super::codec::n(r.n.saturating_sub(created))),
                (":n", super::codec::n(r.n)),
                (":exp", super::codec::n(r.expires_ms)),
            ],
        )
        .await?;
        Ok(())
    }

    /// API items of `group` created under reservation `marker` (a filtered, paginated,
    /// consistent `Query` of the group's partition; only for releasing a dead writer's
    /// reservation and for audits).
    pub(crate) async fn count_created(
        &self,
        keys: &Keys,
        group: &str,
        marker: &str,
    ) -> StoreResult<u64> {
        let mut count = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .filter_expression("#creator = :m")
                .expression_attribute_names("#pk", table::PARTITION_KEY)
                .expression_attribute_names("#sk", table::SORT_KEY)
                .expression_attribute_names("#creator", CREATOR)
                .expression_attribute_values(":pk", s(keys.group_pk(group)))
                .expression_attribute_values(":prefix", s(API_PREFIX))
                .expression_attribute_values(":m", s(marker))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("query created apis", e))?;
            count += u64::try_from(out.count()).map_err(build_error)?;
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(count),
            }
        }
    }
}
