//! Access keys on DynamoDB. Each key is one item (`AK#<ak>` / `AK`) holding the key's JSON
//! body, its `enabled` flag and its lockout state, plus a listing item in its project's
//! partition (`P#<project>#AK` / `<ak>`), written in the same transaction. Lockout updates
//! are conditional on the state they were computed from, so concurrent failures all count.

use super::codec::{get_s, item, s, to_json, Item, BODY};
use super::keys::{self, Key};
use super::{sdk_error, DynamoStore, TxResult};
use crate::model::{
    from_unix_seconds, unix_seconds, AccessKey, AccessKeyLock, LockoutPolicy, PathId,
    StoredAccessKey,
};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

const PROJECT: &str = "project";
/// The AK on a listing item (its sort key may be a hash of a long AK).
const ACCESS_KEY: &str = "ak";
const ENABLED: &str = "enabled";
const FAILURES: &str = "failures";
const LOCKED_UNTIL: &str = "locked_until";
/// Attempts of a lockout update that keeps losing to concurrent failures.
const LOCK_ATTEMPTS: u32 = 16;

fn decode(item: &Item) -> StoreResult<StoredAccessKey> {
    let mut key: AccessKey = super::codec::from_json(get_s(item, BODY)?)?;
    // The native attributes are the truth for what changes after creation.
    if let Some(AttributeValue::Bool(enabled)) = item.get(ENABLED) {
        key.enabled = *enabled;
    }
    Ok(StoredAccessKey {
        key,
        lock: lock_of(item)?,
    })
}

fn number(item: &Item, name: &str) -> StoreResult<Option<i64>> {
    match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::N(text)) => text.parse().map(Some).map_err(|_| {
            StoreError::new(format_args!("dynamodb: attribute {name} is not an integer"))
        }),
        Some(_) => Err(StoreError::new(format_args!(
            "dynamodb: attribute {name} is not a number"
        ))),
    }
}

fn lock_of(item: &Item) -> StoreResult<AccessKeyLock> {
    let failures = number(item, FAILURES)?.unwrap_or(0);
    Ok(AccessKeyLock {
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        locked_until: number(item, LOCKED_UNTIL)?.and_then(from_unix_seconds),
    })
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl DynamoStore {
    pub(super) async fn ak_create(&self, key: &AccessKey) -> StoreResult<bool> {
        let project = key.project_id.as_str();
        let entity = item(
            &keys::access_key(&key.access_key),
            "access_key",
            [
                (BODY, s(to_json(key)?)),
                (PROJECT, s(project)),
                (ENABLED, AttributeValue::Bool(key.enabled)),
                (FAILURES, n(0)),
            ],
        );
        let listing = item(
            &keys::project_access_key(project, &key.access_key),
            "access_key_listing",
            [(ACCESS_KEY, s(&key.access_key))],
        );
        let actions = vec![self.put_new(entity, false)?, self.put_new(listing, false)?];
        Ok(matches!(self.transact(actions).await?, TxResult::Committed))
    }

    pub(super) async fn ak_get(&self, access_key: &str) -> StoreResult<Option<StoredAccessKey>> {
        self.get(&keys::access_key(access_key))
            .await?
            .as_ref()
            .map(decode)
            .transpose()
    }

    pub(super) async fn ak_list(&self, project: &PathId) -> StoreResult<Vec<StoredAccessKey>> {
        let listing = self
            .query_prefix(
                &keys::project_access_keys_pk(project.as_str()),
                keys::ACCESS_KEY_LISTING_PREFIX,
            )
            .await?;
        let mut wanted: Vec<Key> = Vec::with_capacity(listing.len());
        for entry in &listing {
            let ak = get_s(entry, ACCESS_KEY)?;
            wanted.push(keys::access_key(ak));
        }
        let found = self.batch_get(&wanted).await?;
        let mut out = Vec::with_capacity(found.len());
        for key in &wanted {
            if let Some(item) = found.get(key) {
                let stored = decode(item)?;
                // A listing item only ever names keys of its own project; check anyway.
                if stored.key.project_id == *project {
                    out.push(stored);
                }
            }
        }
        Ok(out)
    }

    pub(super) async fn ak_set_enabled(
        &self,
        project: &PathId,
        access_key: &str,
        enabled: bool,
    ) -> StoreResult<bool> {
        let updated = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keys::access_key(access_key).attrs()))
            .update_expression("SET #e = :e")
            .condition_expression("#p = :p")
            .expression_attribute_names("#e", ENABLED)
            .expression_attribute_names("#p", PROJECT)
            .expression_attribute_values(":e", AttributeValue::Bool(enabled))
            .expression_attribute_values(":p", s(project.as_str()))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error("enable access key", e)),
        }
    }

    pub(super) async fn ak_record_failure(
        &self,
        access_key: &str,
        now: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> StoreResult<Option<AccessKeyLock>> {
        let key = keys::access_key(access_key);
        for _ in 0..LOCK_ATTEMPTS {
            let Some(item) = self.get(&key).await? else {
                return Ok(None);
            };
            let before = lock_of(&item)?;
            let after = before.after_failure(now, policy);
            if self.ak_write_lock(&key, &before, &after).await? {
                return Ok(Some(after));
            }
            super::backoff(1).await;
        }
        Err(StoreError::new(format_args!(
            "dynamodb: lockout state of {access_key} kept changing"
        )))
    }

    pub(super) async fn ak_reset(&self, access_key: &str) -> StoreResult<()> {
        let key = keys::access_key(access_key);
        let updated = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key.attrs()))
            .update_expression("SET #f = :zero REMOVE #u")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#f", FAILURES)
            .expression_attribute_names("#u", LOCKED_UNTIL)
            .expression_attribute_names("#pk", super::table::PARTITION_KEY)
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(()),
            // Nothing to reset for a key that does not exist.
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error("reset auth failures", e)),
        }
    }

    /// Replace the lockout state `before` with `after`; false if it changed meanwhile.
    async fn ak_write_lock(
        &self,
        key: &Key,
        before: &AccessKeyLock,
        after: &AccessKeyLock,
    ) -> StoreResult<bool> {
        let mut condition = String::from("#f = :before_f");
        let mut update = String::from("SET #f = :after_f");
        let mut request = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key.attrs()))
            .expression_attribute_names("#f", FAILURES)
            .expression_attribute_names("#u", LOCKED_UNTIL)
            .expression_attribute_values(":before_f", n(i64::from(before.failures)))
            .expression_attribute_values(":after_f", n(i64::from(after.failures)));
        match before.locked_until {
            Some(until) => {
                condition.push_str(" AND #u = :before_u");
                request = request.expression_attribute_values(":before_u", n(unix_seconds(until)));
            }
            None => condition.push_str(" AND attribute_not_exists(#u)"),
        }
        match after.locked_until {
            Some(until) => {
                update.push_str(", #u = :after_u");
                request = request.expression_attribute_values(":after_u", n(unix_seconds(until)));
            }
            None => update.push_str(" REMOVE #u"),
        }
        let sent = request
            .update_expression(update)
            .condition_expression(condition)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error("record auth failure", e)),
        }
    }
}
