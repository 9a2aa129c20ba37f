//! Round trips of a maximum-size import against DynamoDB: 300 new APIs into a new group,
//! then 300 overrides of them, and 300 new APIs into a group holding 600. Requests are
//! counted per operation by an SDK interceptor, transactions cancelled by conflicts by the
//! test server's conflict emulator (`scripts/dynamodb_conflicts.py`); the figures are
//! printed (run with `--nocapture`) and bounded: an import never fights itself.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_requests -- --nocapture`.

use crate::support::fixtures::*;
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::model::*;
use apig_import::store::dynamodb::testing::{Emulator, RequestCounter};
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::{ApiWrite, ApiWriteOutcome, Catalog, GroupCreate};
use aws_sdk_dynamodb::config::SharedInterceptor;
use std::time::Instant;

/// A realistic API (every field set, a few KB) at `GET /r/<i>/{id}`.
fn realistic_api(group_id: &Id, i: usize) -> Api {
    let mut a = full_api(group_id);
    a.id = Id::generate();
    a.definition.name = format!("api_{i}");
    a.definition.path = format!("/r/{i}/{{id}}");
    a
}

fn print(step: &str, counter: &RequestCounter, started: Instant) {
    println!(
        "dynamodb requests: {step}: {:?}, total {}, {:?}",
        counter.snapshot(),
        counter.total(),
        started.elapsed()
    );
}

/// Transactions of `store`'s table cancelled by conflicts so far (0 without the emulator).
fn cancelled(emulator: &Option<Emulator>, store: &DynamoStore) -> u64 {
    emulator
        .as_ref()
        .map(|e| {
            e.stats(Some(store.table()))
                .expect("emulator stats")
                .cancelled
        })
        .unwrap_or(0)
}

/// 300 new APIs into a group, as the importer drives it once the group exists: plan from
/// one listing of the group, write the APIs, record the import. Bounded: at most 15
/// requests, no transaction cancelled.
async fn import_300(
    store: &DynamoStore,
    scope: &Scope,
    g: &Group,
    counter: &RequestCounter,
    emulator: &Option<Emulator>,
    step: &str,
) {
    let before = cancelled(emulator, store);
    let started = Instant::now();
    let stored = store.list_apis(scope, &g.id).await.unwrap().len();
    let apis: Vec<Api> = (0..300).map(|i| realistic_api(&g.id, stored + i)).collect();
    let out = store
        .write_apis(scope, &g.id, creates(&apis), 1000)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created; 300]);
    store
        .put_import_record(scope, &import_record(&g.id))
        .await
        .unwrap();
    print(step, counter, started);
    let cancellations = cancelled(emulator, store) - before;
    println!("dynamodb requests: {step}: {cancellations} transactions cancelled");
    assert_eq!(cancellations, 0, "the import fought itself");
    assert!(counter.total() <= 15, "{} requests", counter.total());
    // One reservation of the quota (settled with the last transaction); no other
    // single-item write.
    assert_eq!(counter.get("UpdateItem"), 1);
    assert_eq!(counter.get("PutItem"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_of_300_apis_takes_few_requests() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let emulator = Emulator::at(&endpoint);
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    let scope = instance(&store).await;
    let cancelled_before = cancelled(&emulator, &store);

    // The whole import as the importer drives it: create the group, plan from one listing
    // of the group, write the APIs, record the import.
    counter.reset();
    let started = Instant::now();
    let g = group("big_import");
    assert_eq!(
        store.create_group(&scope, &g, 1500).await.unwrap(),
        GroupCreate::Created
    );
    assert!(store.list_apis(&scope, &g.id).await.unwrap().is_empty());
    let apis: Vec<Api> = (0..300).map(|i| realistic_api(&g.id, i)).collect();
    let out = store
        .write_apis(&scope, &g.id, creates(&apis), 1000)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created; 300]);
    store
        .put_import_record(&scope, &import_record(&g.id))
        .await
        .unwrap();
    print("import of 300 new APIs", &counter, started);
    let transactions = counter.get("TransactWriteItems");
    let queries = counter.get("Query");
    let writes = transactions + counter.get("PutItem") + counter.get("UpdateItem");
    // 10 transactions of 30 to 33 APIs (3 actions each, no counter; the last one also
    // settles the reservation), 1 for the group, 1 for the record; one query to plan, one
    // reservation of the quota.
    assert_eq!(queries, 1, "one query to plan");
    assert_eq!(counter.get("UpdateItem"), 1, "one reservation");
    assert_eq!(
        cancelled(&emulator, &store) - cancelled_before,
        0,
        "the import fought itself"
    );
    assert!(transactions <= 12, "{transactions} transactions");
    assert!(writes <= 15, "{writes} write requests");
    assert!(counter.total() <= 15, "{} requests", counter.total());

    // The same document again with api_mode=override: 300 replacements.
    counter.reset();
    let started = Instant::now();
    let stored = store.list_apis(&scope, &g.id).await.unwrap();
    assert_eq!(stored.len(), 300);
    let writes: Vec<ApiWrite> = stored
        .iter()
        .map(|a| {
            let mut def = a.definition.clone();
            def.remark = Some("overridden".to_string());
            replacement(a, def)
        })
        .collect();
    let out = store.write_apis(&scope, &g.id, writes, 1000).await.unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Replaced; 300]);
    print("override of 300 APIs", &counter, started);
    // 3 batch reads of the id pointers, 4 transactions of up to 99 updates.
    assert!(counter.get("Query") <= 2);
    assert!(counter.get("TransactWriteItems") <= 4);
    assert!(counter.total() <= 10, "{} requests", counter.total());
    assert!(store.audit(&scope).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_of_300_apis_into_new_and_full_groups_take_few_requests() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let emulator = Emulator::at(&endpoint);
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    let scope = instance(&store).await;

    let fresh = stored_group(&store, &scope, "fresh").await;
    counter.reset();
    import_300(
        &store,
        &scope,
        &fresh,
        &counter,
        &emulator,
        "300 into a new group",
    )
    .await;

    // A group holding 600 APIs (two imports), then 300 more.
    let full = stored_group(&store, &scope, "holding_600").await;
    for i in 0..2 {
        let apis: Vec<Api> = (0..300)
            .map(|j| realistic_api(&full.id, 10_000 + i * 300 + j))
            .collect();
        store
            .write_apis(&scope, &full.id, creates(&apis), 1000)
            .await
            .unwrap();
    }
    counter.reset();
    import_300(
        &store,
        &scope,
        &full,
        &counter,
        &emulator,
        "300 into a group of 600",
    )
    .await;
    assert_eq!(store.list_apis(&scope, &full.id).await.unwrap().len(), 900);
    assert!(store.audit(&scope).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_imports_into_one_group_are_exact_and_rarely_conflict() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let emulator = Emulator::at(&endpoint);
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    let scope = instance(&store).await;
    let g = stored_group(&store, &scope, "shared_by_eight").await;
    counter.reset();
    let before = cancelled(&emulator, &store);
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|r| {
            let store = store.clone();
            let scope = scope.clone();
            let gid = g.id.clone();
            tokio::spawn(async move {
                let apis: Vec<Api> = (0..50).map(|i| realistic_api(&gid, r * 100 + i)).collect();
                store
                    .write_apis(&scope, &gid, creates(&apis), 1000)
                    .await
                    .expect("write apis")
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(
            t.await.expect("import panicked"),
            vec![ApiWriteOutcome::Created; 50]
        );
    }
    print("8 concurrent imports of 50 APIs", &counter, started);
    let cancellations = cancelled(&emulator, &store) - before;
    println!("dynamodb requests: 8 concurrent imports: {cancellations} transactions cancelled");
    // Each import: one reservation, 2 transactions, its settlement (alone when other
    // imports hold reservations). Only a transaction carrying a settlement shares an item
    // (the group's) with another import; cancelled, it goes again without it: at most one
    // cancellation per import.
    let conflicts = emulator
        .as_ref()
        .map(|e| e.stats(Some(store.table())).expect("stats").conflicts)
        .unwrap_or(0);
    println!("dynamodb requests: 8 concurrent imports: {conflicts} single writes refused");
    assert!(cancellations <= 8, "{cancellations} cancellations");
    assert!(
        counter.total() <= 8 * 4 + cancellations + conflicts,
        "{} requests",
        counter.total()
    );
    assert_eq!(store.list_apis(&scope, &g.id).await.unwrap().len(), 400);
    assert!(store.audit(&scope).await.unwrap().is_empty());
}
