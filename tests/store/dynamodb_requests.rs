//! Round trips of a maximum-size import against DynamoDB: 300 new APIs into a new group,
//! then 300 overrides of them. Requests are counted per operation by an SDK interceptor;
//! the figures are printed (run with `--nocapture`) and bounded.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_requests -- --nocapture`.

use crate::support::fixtures::*;
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::model::*;
use apig_import::store::dynamodb::testing::RequestCounter;
use apig_import::store::{ApiWrite, ApiWriteOutcome, GroupCreate, Store};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_of_300_apis_takes_few_requests() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    let scope = instance(&store).await;

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
    // 10 transactions of 30 APIs (3 actions each + the counter), 1 for the group, 1 for
    // the record; one query to plan, one read of the group's counter.
    assert_eq!(queries, 1, "one query to plan");
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
