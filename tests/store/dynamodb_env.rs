//! `DynamoStore::from_env` (the Lambda's and `apig`'s constructor) finds a local server
//! through `AWS_ENDPOINT_URL_DYNAMODB`, and `create_table` is idempotent.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_env`.

use crate::support::fixtures::*;
use crate::support::stores::dynamodb_endpoint;
use apig_import::model::Id;
use apig_import::store::dynamodb::{table, DynamoStore};
use apig_import::store::{Catalog, GroupCreate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_env_uses_the_endpoint_variable_and_create_table_is_idempotent() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    assert_eq!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok().as_deref(),
        Some(endpoint.as_str()),
        "scripts/dynamodb-local sets AWS_ENDPOINT_URL_DYNAMODB to the test server"
    );
    let store = DynamoStore::from_env(format!("apig-env-{}", Id::generate())).await;
    store.create_table().await.expect("create table");
    store.create_table().await.expect("create table again");
    let described = store
        .client()
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .expect("describe table");
    let t = described.table().expect("table description");
    let schema: Vec<(String, String)> = t
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_string(),
                k.key_type().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        schema,
        table::KEY_SCHEMA
            .iter()
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .collect::<Vec<_>>()
    );
    assert!(t.global_secondary_indexes().is_empty());
    let scope = instance(&store).await;
    assert_eq!(
        store
            .create_group(&scope, &group("from_env"), 10)
            .await
            .unwrap(),
        GroupCreate::Created
    );
    assert!(store.audit(&scope).await.unwrap().is_empty());
}
