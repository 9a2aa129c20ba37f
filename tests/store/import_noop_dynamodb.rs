//! Issue 11 item 4 on DynamoDB: re-importing an unchanged 300-API document with
//! `api_mode=override` reports 300 `update`s and writes no API — the requests are counted
//! (run through `scripts/dynamodb-local`).

use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::config::Limits;
use apig_import::import::{self, GroupTarget, ImportOptions, ImportRequest, Mode};
use apig_import::model::{Id, PathId, Scope};
use apig_import::store::dynamodb::testing::RequestCounter;
use apig_import::store::Catalog;
use aws_sdk_dynamodb::config::SharedInterceptor;

fn document(operations: usize) -> bytes::Bytes {
    let paths: Vec<String> = (0..operations)
        .map(|i| {
            format!(
                "\"/items/{{id}}/part{i}\":{{\"get\":{{\"operationId\":\"op_{i}\",\"summary\":\"part {i}\",\
                 \"parameters\":[{{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"type\":\"string\"}}],\
                 \"x-apigateway-backend\":{{\"type\":\"HTTP\",\"parameters\":[{{\"name\":\"id\",\"value\":\"id\",\"in\":\"path\",\"origin\":\"REQUEST\"}}],\
                 \"httpEndpoints\":{{\"address\":\"backend.example.com\",\"scheme\":\"https\",\"method\":\"GET\",\"path\":\"/v1/items/{{id}}/{i}\"}}}}}}}}"
            )
        })
        .collect();
    format!(
        "{{\"swagger\":\"2.0\",\"info\":{{\"title\":\"noop_override\",\"version\":\"1\"}},\"paths\":{{{}}}}}",
        paths.join(",")
    )
    .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_300_api_override_writes_no_api() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    let scope = Scope::new(
        PathId::parse("noop_project").expect("id"),
        PathId::parse("noop_instance").expect("id"),
    );
    store.create_instance(&scope).await.expect("instance");
    let request = |options: ImportOptions| ImportRequest {
        scope: scope.clone(),
        caller: "tests".into(),
        options,
        document: document(300),
    };
    let limits = Limits::default();
    let created = import::run(&store, &limits, request(ImportOptions::default()))
        .await
        .expect("import");
    assert_eq!(created.success.len(), 300);
    let group = Id::parse(&created.group_id).expect("group id");
    let before = store.list_apis(&scope, &group).await.expect("list");

    counter.reset();
    let options = ImportOptions {
        group: GroupTarget::Existing(created.group_id.clone()),
        api_mode: Mode::Override,
        ..ImportOptions::default()
    };
    let again = import::run(&store, &limits, request(options))
        .await
        .expect("override");
    println!(
        "unchanged override of 300 APIs: {} requests, by operation {:?}",
        counter.total(),
        counter.snapshot()
    );
    assert_eq!(again.success.len(), 300);
    assert!(again
        .success
        .iter()
        .all(|s| format!("{:?}", s.action) == "Update"));
    // Reads: the instance and the group (one batch read), one query of the group's APIs.
    // The one write is the import record's `PutItem`; 300 replacements would take 4
    // transactions (up to 99 each).
    assert_eq!(counter.get("PutItem"), 1, "{:?}", counter.snapshot());
    assert_eq!(
        counter.get("BatchWriteItem")
            + counter.get("TransactWriteItems")
            + counter.get("UpdateItem"),
        0,
        "{:?}",
        counter.snapshot()
    );
    assert!(counter.total() <= 4, "{:?}", counter.snapshot());
    assert_eq!(store.list_apis(&scope, &group).await.expect("list"), before);
}
