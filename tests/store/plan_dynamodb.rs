//! Issue 11 item 3 on DynamoDB: a plan (`dry_run`) issues reads only — no request that
//! writes — for a new group and for an override into an existing one (requests counted;
//! run through `scripts/dynamodb-local`).

use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::config::Limits;
use apig_import::import::{self, Checks, GroupTarget, ImportOptions, ImportRequest, Mode};
use apig_import::model::{Id, PathId, Scope};
use apig_import::store::dynamodb::testing::RequestCounter;
use apig_import::store::Catalog;
use aws_sdk_dynamodb::config::SharedInterceptor;

const WRITES: [&str; 5] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
];

fn document(address: &str) -> bytes::Bytes {
    let paths: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "\"/plan/part{i}\":{{\"get\":{{\"operationId\":\"plan_{i}\",\
                 \"x-apigateway-backend\":{{\"type\":\"HTTP\",\
                 \"httpEndpoints\":{{\"address\":\"{address}\",\"scheme\":\"https\",\"method\":\"GET\",\"path\":\"/v1/{i}\"}}}}}}}}"
            )
        })
        .collect();
    format!(
        "{{\"swagger\":\"2.0\",\"info\":{{\"title\":\"planned_group\",\"version\":\"1\"}},\
         \"x-apigateway-ratelimits\":{{\"plan_limit\":{{\"api-limit\":10,\"interval\":1,\"unit\":\"second\"}}}},\
         \"paths\":{{{}}}}}",
        paths.join(",")
    )
    .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_only_reads() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    let scope = Scope::new(
        PathId::parse("plan_project").expect("id"),
        PathId::parse(Id::generate().as_str()).expect("id"),
    );
    store.create_instance(&scope).await.expect("instance");
    let limits = Limits::default();
    let request = |options: ImportOptions, address: &str| ImportRequest {
        scope: scope.clone(),
        caller: "tests".into(),
        options,
        document: document(address),
    };
    let writes =
        |counter: &RequestCounter| -> u64 { WRITES.iter().map(|op| counter.get(op)).sum() };

    counter.reset();
    let planned = import::plan(
        &store,
        &limits,
        request(ImportOptions::default(), "a.example.com"),
        Checks::default(),
    )
    .await
    .expect("plan");
    println!("plan of a new 20-API group: {:?}", counter.snapshot());
    assert_eq!(writes(&counter), 0, "{:?}", counter.snapshot());
    assert!(counter.total() > 0);
    assert_eq!(planned.response.success.len(), 20);
    assert!(store.list_groups(&scope).await.expect("groups").is_empty());

    let created = import::run(
        &store,
        &limits,
        request(ImportOptions::default(), "a.example.com"),
    )
    .await
    .expect("import");
    let group = Id::parse(&created.group_id).expect("group id");
    let before = store.list_apis(&scope, &group).await.expect("list");

    counter.reset();
    let options = ImportOptions {
        group: GroupTarget::Existing(created.group_id.clone()),
        api_mode: Mode::Override,
        extend_mode: Mode::Override,
        ..ImportOptions::default()
    };
    let planned = import::plan(
        &store,
        &limits,
        request(options, "b.example.com"),
        Checks::default(),
    )
    .await
    .expect("plan");
    println!("plan of an override of 20 APIs: {:?}", counter.snapshot());
    assert_eq!(writes(&counter), 0, "{:?}", counter.snapshot());
    assert_eq!(planned.plan.apis.len(), 20);
    assert!(planned.plan.apis.iter().all(|a| a.diff.len() == 1));
    assert_eq!(store.list_apis(&scope, &group).await.expect("list"), before);
}
