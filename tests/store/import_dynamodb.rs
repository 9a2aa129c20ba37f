//! The importer on DynamoDB: request counts of a maximum-size import, racing imports, and
//! faults half-way through an import — all through `import::run`, against the test server
//! (`scripts/dynamodb-local`).

use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at, dynamodb_store_on};
use apig_import::config::Limits;
use apig_import::error::ApigError;
use apig_import::import::{self, GroupTarget, ImportOptions, ImportRequest, ImportResponse};
use apig_import::model::{Id, PathId, Scope};
use apig_import::store::dynamodb::testing::{FailNth, FailPoint, RequestCounter};
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::{Catalog, Store};
use aws_sdk_dynamodb::config::SharedInterceptor;
use std::sync::Arc;
use std::time::Instant;

fn scope() -> Scope {
    Scope::new(
        PathId::parse("dyn_project").expect("id"),
        PathId::parse("dyn_instance").expect("id"),
    )
}

/// A Swagger document with `operations` operations, each with a path parameter and an
/// HTTP backend — a realistic size per API.
fn document(title: &str, operations: usize) -> bytes::Bytes {
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
    format!("{{\"swagger\":\"2.0\",\"info\":{{\"title\":\"{title}\",\"version\":\"1\"}},\"paths\":{{{}}}}}", paths.join(","))
        .into()
}

fn request(options: ImportOptions, document: bytes::Bytes) -> ImportRequest {
    ImportRequest {
        scope: scope(),
        caller: "tests".into(),
        options,
        document,
    }
}

async fn run(
    store: &dyn Store,
    options: ImportOptions,
    doc: bytes::Bytes,
) -> Result<ImportResponse, ApigError> {
    import::run(store, &Limits::default(), request(options, doc)).await
}

fn into(group: &str) -> ImportOptions {
    ImportOptions {
        group: GroupTarget::Existing(group.to_string()),
        ..ImportOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_api_import_takes_few_requests() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let counter = RequestCounter::new();
    let store = dynamodb_store_at(&endpoint, vec![SharedInterceptor::new(counter.clone())]).await;
    store.create_instance(&scope()).await.expect("instance");
    counter.reset();
    let started = Instant::now();
    let response = run(
        &store,
        ImportOptions::default(),
        document("big_import", 300),
    )
    .await
    .expect("import");
    let elapsed = started.elapsed();
    assert_eq!(response.success.len(), 300);
    let writes =
        counter.get("TransactWriteItems") + counter.get("PutItem") + counter.get("UpdateItem");
    let reads = counter.get("GetItem") + counter.get("Query") + counter.get("BatchGetItem");
    println!(
        "import of 300 new APIs through the importer: {} requests ({} reads, {} writes; by operation {:?}) in {:?}",
        counter.total(),
        reads,
        writes,
        counter.snapshot(),
        elapsed
    );
    assert!(
        writes <= 15,
        "{writes} write requests: {:?}",
        counter.snapshot()
    );
    assert!(counter.total() <= 18, "{:?}", counter.snapshot());
    assert!(store.audit(&scope()).await.expect("audit").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_imports_create_each_route_once() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let store = Arc::new(dynamodb_store_at(&endpoint, Vec::new()).await);
    store.create_instance(&scope()).await.expect("instance");
    let group = run(
        &*store,
        ImportOptions::default(),
        document("raced_group", 0),
    )
    .await
    .expect("group")
    .group_id;

    let started = Instant::now();
    let doc = document("raced_group", 50);
    let racers: Vec<_> = (0..16)
        .map(|_| {
            let (store, doc, group) = (store.clone(), doc.clone(), group.clone());
            tokio::spawn(async move { run(&*store, into(&group), doc).await })
        })
        .collect();
    let mut created = 0;
    for racer in racers {
        let response = racer.await.expect("racer").expect("processed");
        created += response.success.len();
        assert!(
            response.failure.iter().all(|f| f.error_code == "APIG.3301"),
            "{:?}",
            response.failure
        );
    }
    println!(
        "16 racing imports of 50 APIs on DynamoDB: {:?}",
        started.elapsed()
    );
    assert_eq!(created, 50);
    let group_id = Id::parse(&group).expect("id");
    assert_eq!(
        store
            .list_apis(&scope(), &group_id)
            .await
            .expect("list")
            .len(),
        50
    );
    assert!(store.audit(&scope()).await.expect("audit").is_empty());

    // 16 racing creations of one group name: exactly one wins.
    let racers: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                run(&*store, ImportOptions::default(), document("one_title", 2)).await
            })
        })
        .collect();
    let mut winners = 0;
    for racer in racers {
        match racer.await.expect("racer") {
            Ok(_) => winners += 1,
            Err(e) => assert_eq!(e.code.as_str(), "APIG.3201"),
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_half_way_leaves_a_consistent_state_and_a_rerun_completes() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    // 100 APIs are 4 transactions on the faulty client, then the import record is its
    // `PutItem`; the quota is reserved (`UpdateItem` 1) before them and settled
    // (`UpdateItem` 2) after them.
    for (n, operation, point) in [
        (1, "TransactWriteItems", FailPoint::BeforeSend),
        (3, "TransactWriteItems", FailPoint::AfterSend),
        (1, "PutItem", FailPoint::BeforeSend),
        (1, "UpdateItem", FailPoint::AfterSend),
        (2, "UpdateItem", FailPoint::AfterSend),
    ] {
        let table_store = dynamodb_store_at(&endpoint, Vec::new()).await;
        table_store
            .create_instance(&scope())
            .await
            .expect("instance");
        let group = run(
            &table_store,
            ImportOptions::default(),
            document("faulty", 0),
        )
        .await
        .expect("group")
        .group_id;

        // The same table through a client that fails its Nth request.
        let fault = FailNth::new(n, Some(operation), point);
        let faulty: DynamoStore = dynamodb_store_on(
            &endpoint,
            table_store.table(),
            vec![SharedInterceptor::new(fault.clone())],
        );
        let first = run(&faulty, into(&group), document("faulty", 100)).await;
        assert!(
            fault.fired(),
            "fault {operation} {n} {point:?} did not fire"
        );
        assert!(first.is_err(), "a store failure is a whole-request error");
        assert!(
            table_store.audit(&scope()).await.expect("audit").is_empty(),
            "after fault {n} {point:?}"
        );

        let rerun = run(&table_store, into(&group), document("faulty", 100))
            .await
            .expect("rerun");
        assert!(
            rerun.failure.iter().all(|f| f.error_code == "APIG.3301"),
            "{:?}",
            rerun.failure
        );
        let group_id = Id::parse(&group).expect("id");
        assert_eq!(
            table_store
                .list_apis(&scope(), &group_id)
                .await
                .expect("list")
                .len(),
            100
        );
        assert!(table_store.audit(&scope()).await.expect("audit").is_empty());
    }
}
