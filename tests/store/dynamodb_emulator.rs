//! The test server conflicts like DynamoDB (`scripts/dynamodb_conflicts.py` in front of
//! moto): a committed `TransactWriteItems` stays in flight for a while, and a transaction
//! or single-item write touching one of its items meanwhile is refused with DynamoDB's
//! errors; transactions on other items are not; a `ClientRequestToken` sent again is
//! answered without applying the transaction twice.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_emulator`.

use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::store::dynamodb::testing::Emulator;
use apig_import::store::dynamodb::DynamoStore;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use std::time::Duration;

/// How long the tests keep a transaction in flight: long enough for another request to
/// arrive meanwhile on a loaded machine.
const HOLD_MS: u64 = 1500;

async fn setup() -> Option<(DynamoStore, Emulator)> {
    let endpoint = dynamodb_endpoint()?;
    let Some(emulator) = Emulator::at(&endpoint) else {
        panic!("{endpoint} has no conflict emulator: run through scripts/dynamodb-local");
    };
    let store = dynamodb_store_at(&endpoint, Vec::new()).await;
    emulator.set_hold(store.table(), HOLD_MS).expect("set hold");
    Some((store, emulator))
}

fn put(store: &DynamoStore, pk: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(store.table())
        .item("pk", AttributeValue::S(pk.to_string()))
        .item("sk", AttributeValue::S("x".to_string()))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("put");
    TransactWriteItem::builder().put(put).build()
}

async fn exists(store: &DynamoStore, pk: &str) -> bool {
    store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(pk.to_string()))
        .key("sk", AttributeValue::S("x".to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item()
        .is_some()
}

/// Start a transaction of `items` and give it time to reach the server.
async fn in_flight(
    store: &DynamoStore,
    items: Vec<TransactWriteItem>,
) -> tokio::task::JoinHandle<Result<(), String>> {
    let client = store.client().clone();
    let handle = tokio::spawn(async move {
        client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    });
    tokio::time::sleep(Duration::from_millis(HOLD_MS / 5)).await;
    handle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_transactions_one_is_cancelled_with_dynamodb_reasons() {
    let Some((store, emulator)) = setup().await else {
        return;
    };
    let first = in_flight(&store, vec![put(&store, "a"), put(&store, "b")]).await;
    let second = store
        .client()
        .transact_write_items()
        .transact_items(put(&store, "c"))
        .transact_items(put(&store, "b"))
        .send()
        .await;
    let err = second.expect_err("the second transaction conflicts");
    let service = err.into_service_error();
    assert_eq!(service.code(), Some("TransactionCanceledException"));
    assert_eq!(
        service.message(),
        Some(
            "Transaction cancelled, please refer cancellation reasons for specific reasons \
             [None, TransactionConflict]"
        )
    );
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) =
        service
    else {
        panic!("not a cancellation: {service:?}");
    };
    let reasons: Vec<(Option<&str>, Option<&str>)> = c
        .cancellation_reasons()
        .iter()
        .map(|r| (r.code(), r.message()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (Some("None"), None),
            (
                Some("TransactionConflict"),
                Some("Transaction is ongoing for the item")
            ),
        ]
    );
    first.await.expect("join").expect("the first commits");
    assert!(exists(&store, "a").await && exists(&store, "b").await);
    assert!(
        !exists(&store, "c").await,
        "a cancelled transaction writes nothing"
    );
    let stats = emulator.stats(Some(store.table())).expect("stats");
    assert_eq!(stats.cancelled, 1, "{stats:?}");
    assert_eq!(
        stats.requests.get("TransactWriteItems"),
        Some(&2),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disjoint_transactions_both_commit() {
    let Some((store, emulator)) = setup().await else {
        return;
    };
    let first = in_flight(&store, vec![put(&store, "a"), put(&store, "b")]).await;
    store
        .client()
        .transact_write_items()
        .transact_items(put(&store, "c"))
        .transact_items(put(&store, "d"))
        .send()
        .await
        .expect("a transaction on other items commits");
    first.await.expect("join").expect("the first commits");
    for pk in ["a", "b", "c", "d"] {
        assert!(exists(&store, pk).await, "{pk}");
    }
    assert_eq!(emulator.stats(Some(store.table())).unwrap().cancelled, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_write_on_an_item_in_flight_is_a_transaction_conflict() {
    let Some((store, emulator)) = setup().await else {
        return;
    };
    let first = in_flight(&store, vec![put(&store, "a"), put(&store, "b")]).await;
    let err = store
        .client()
        .put_item()
        .table_name(store.table())
        .item("pk", AttributeValue::S("a".to_string()))
        .item("sk", AttributeValue::S("x".to_string()))
        .item("v", AttributeValue::N("1".to_string()))
        .send()
        .await
        .expect_err("the item is in a transaction");
    let service = err.into_service_error();
    assert!(service.is_transaction_conflict_exception(), "{service:?}");
    // Once the transaction is over, the same write goes through.
    first.await.expect("join").expect("the first commits");
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item("pk", AttributeValue::S("a".to_string()))
        .item("sk", AttributeValue::S("x".to_string()))
        .send()
        .await
        .expect("no transaction in flight any more");
    assert_eq!(emulator.stats(Some(store.table())).unwrap().conflicts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_request_token_sent_again_is_not_applied_twice() {
    let Some((store, emulator)) = setup().await else {
        return;
    };
    emulator.set_hold(store.table(), 0).expect("set hold");
    let send = |token: &'static str, pk: &'static str| {
        store
            .client()
            .transact_write_items()
            .transact_items(put(&store, pk))
            .client_request_token(token)
            .send()
    };
    send("token-1", "a").await.expect("first");
    // The same request again (a retry after a lost response): committed, not re-applied —
    // re-applied, its `attribute_not_exists` condition would fail.
    send("token-1", "a")
        .await
        .expect("the retry is answered as committed");
    // The same token with other parameters is refused.
    let err = send("token-1", "b").await.expect_err("other parameters");
    assert!(
        err.into_service_error()
            .is_idempotent_parameter_mismatch_exception(),
        "mismatch"
    );
    assert!(!exists(&store, "b").await);
    assert_eq!(emulator.stats(Some(store.table())).unwrap().replays, 1);
}
