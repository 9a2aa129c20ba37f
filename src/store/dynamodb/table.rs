//! The table schema — exactly what `create_table` creates and what the SAM template must
//! declare — and its creation for local use.

use super::{sdk_error, DynamoStore};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use std::time::Duration;

/// Partition key attribute (`HASH`), a string.
pub const PARTITION_KEY: &str = "pk";
/// Sort key attribute (`RANGE`), a string.
pub const SORT_KEY: &str = "sk";
/// Type of both key attributes (`AttributeType` in CloudFormation).
pub const KEY_ATTRIBUTE_TYPE: &str = "S";
/// Capacity mode (`BillingMode` in CloudFormation).
pub const BILLING_MODE: &str = "PAY_PER_REQUEST";
/// The key schema as (attribute, key type) pairs, in order.
pub const KEY_SCHEMA: [(&str, &str); 2] = [(PARTITION_KEY, "HASH"), (SORT_KEY, "RANGE")];
/// The table has no global secondary index and no stream.
pub const GLOBAL_SECONDARY_INDEXES: [&str; 0] = [];
/// The listing-order attribute: the sort key of both local secondary indexes, carried only
/// by group and API items (the indexes are sparse). Type `S`.
pub const ORDER_ATTRIBUTE: &str = "ord";
/// Local secondary index holding what a listing shows of each item (the listing attribute
/// `lst`, and an API's `version` and `created_at`) in listing order: a page is one `Query`
/// of a few hundred bytes per item.
pub const ORDER_INDEX: &str = "order";
/// Local secondary index holding keys (and a group's API counter) in listing order: what
/// precedes an offset is skipped through it, a few hundred bytes per item.
pub const ORDER_KEYS_INDEX: &str = "order_keys";
/// The local secondary indexes: (name, `ProjectionType`, `NonKeyAttributes`), each with the
/// key schema `pk` (HASH), [`ORDER_ATTRIBUTE`] (RANGE).
pub const LOCAL_SECONDARY_INDEXES: [(&str, &str, &[&str]); 2] = [
    (ORDER_INDEX, "INCLUDE", &["lst", "version", "created_at"]),
    (ORDER_KEYS_INDEX, "INCLUDE", &["apis"]),
];
/// The TTL attribute (`TimeToLiveSpecification`): finished task items expire.
pub const TTL_ATTRIBUTE: &str = super::tasks::TTL;

/// How long `create_table` waits for a new table to become `ACTIVE`.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format_args!("dynamodb: build request: {e}"))
}

impl DynamoStore {
    /// Create the table with the documented schema if it does not exist (on-demand capacity),
    /// and wait until it is `ACTIVE`. Idempotent: an existing table with the same key schema
    /// is accepted; one with another key schema is an error.
    pub async fn create_table(&self) -> StoreResult<()> {
        let mut attributes = Vec::new();
        let mut schema = Vec::new();
        for (name, key_type) in KEY_SCHEMA {
            attributes.push(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::from(KEY_ATTRIBUTE_TYPE))
                    .build()
                    .map_err(build_err)?,
            );
            schema.push(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(KeyType::from(key_type))
                    .build()
                    .map_err(build_err)?,
            );
        }
        attributes.push(
            AttributeDefinition::builder()
                .attribute_name(ORDER_ATTRIBUTE)
                .attribute_type(ScalarAttributeType::from(KEY_ATTRIBUTE_TYPE))
                .build()
                .map_err(build_err)?,
        );
        let mut indexes = Vec::new();
        for (name, projection, non_key) in LOCAL_SECONDARY_INDEXES {
            let mut p = Projection::builder().projection_type(ProjectionType::from(projection));
            for attribute in non_key {
                p = p.non_key_attributes(*attribute);
            }
            indexes.push(
                LocalSecondaryIndex::builder()
                    .index_name(name)
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name(PARTITION_KEY)
                            .key_type(KeyType::Hash)
                            .build()
                            .map_err(build_err)?,
                    )
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name(ORDER_ATTRIBUTE)
                            .key_type(KeyType::Range)
                            .build()
                            .map_err(build_err)?,
                    )
                    .projection(p.build())
                    .build()
                    .map_err(build_err)?,
            );
        }
        let created = self
            .client
            .create_table()
            .table_name(self.table.as_ref())
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(schema))
            .set_local_secondary_indexes(Some(indexes))
            .billing_mode(BillingMode::from(BILLING_MODE))
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), CreateTableError::ResourceInUseException(_)) => {}
            Err(e) => return Err(sdk_error("create table", e)),
        }
        self.wait_active_with_schema().await?;
        self.enable_ttl().await
    }

    /// Enable expiry on [`TTL_ATTRIBUTE`] unless it is on already (enabling it twice is an
    /// error on DynamoDB).
    async fn enable_ttl(&self) -> StoreResult<()> {
        let described = self
            .client
            .describe_time_to_live()
            .table_name(self.table.as_ref())
            .send()
            .await
            .map_err(|e| sdk_error("describe time to live", e))?;
        let status = described
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        if matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            return Ok(());
        }
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(TTL_ATTRIBUTE)
            .enabled(true)
            .build()
            .map_err(build_err)?;
        self.client
            .update_time_to_live()
            .table_name(self.table.as_ref())
            .time_to_live_specification(spec)
            .send()
            .await
            .map_err(|e| sdk_error("enable time to live", e))?;
        Ok(())
    }

    async fn wait_active_with_schema(&self) -> StoreResult<()> {
        let deadline = tokio::time::Instant::now() + ACTIVE_TIMEOUT;
        loop {
            let out = self
                .client
                .describe_table()
                .table_name(self.table.as_ref())
                .send()
                .await
                .map_err(|e| sdk_error("describe table", e))?;
            let table = out
                .table()
                .ok_or_else(|| StoreError::new("dynamodb: describe table: no description"))?;
            let found: Vec<(String, String)> = table
                .key_schema()
                .iter()
                .map(|k| {
                    (
                        k.attribute_name().to_string(),
                        k.key_type().as_str().to_string(),
                    )
                })
                .collect();
            let wanted: Vec<(String, String)> = KEY_SCHEMA
                .iter()
                .map(|(a, t)| (a.to_string(), t.to_string()))
                .collect();
            if found != wanted {
                return Err(StoreError::new(format_args!(
                    "dynamodb: table {} has key schema {found:?}, expected {wanted:?}",
                    self.table
                )));
            }
            // Local secondary indexes exist only if the table was created with them, and
            // their projection cannot change: an older table must be recreated (or copied).
            for (name, projection, non_key) in LOCAL_SECONDARY_INDEXES {
                let found = table
                    .local_secondary_indexes()
                    .iter()
                    .find(|i| i.index_name() == Some(name));
                let Some(found) = found else {
                    return Err(StoreError::new(format_args!(
                        "dynamodb: table {} lacks the local secondary index {name} (recreate it)",
                        self.table
                    )));
                };
                let p = found.projection();
                let mut have: Vec<&str> = p
                    .map(|p| p.non_key_attributes().iter().map(String::as_str).collect())
                    .unwrap_or_default();
                have.sort_unstable();
                let mut want: Vec<&str> = non_key.to_vec();
                want.sort_unstable();
                let kind = p.and_then(|p| p.projection_type()).map(|t| t.as_str());
                if kind != Some(projection) || have != want {
                    return Err(StoreError::new(format_args!(
                        "dynamodb: table {} has index {name} projecting {kind:?} {have:?}, \
                         expected {projection} {want:?} (recreate it: docs/dynamodb.md)",
                        self.table
                    )));
                }
            }
            if table.table_status() == Some(&TableStatus::Active) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(StoreError::new(format_args!(
                    "dynamodb: table {} not active after {ACTIVE_TIMEOUT:?}",
                    self.table
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
