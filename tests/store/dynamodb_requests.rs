//! Round trips of a maximum-size import against DynamoDB: the real import (`import::run`)
//! of a generated 300-operation document (`apig_import::docgen`, shared objects and all)
//! into a new group and into a group holding 600, then 300 overrides of the APIs, and 8
//! concurrent writers into one group. Requests are counted per operation and sequential
//! round trips by SDK interceptors, transactions cancelled by conflicts by the test
//! server's conflict emulator (`scripts/dynamodb_conflicts.py`); the figures are printed
//! (run with `--nocapture`) and bounded: at most 4 round trips and 15 requests per import,
//! and an import never fights itself.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_requests -- --nocapture`.

use crate::support::fixtures::*;
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::config::Limits;
use apig_import::import::{self, GroupTarget, ImportOptions, ImportRequest};
use apig_import::model::*;
use apig_import::store::dynamodb::testing::{Emulator, RequestCounter, RoundTrips};
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::{ApiWrite, ApiWriteOutcome, Catalog};
use aws_sdk_dynamodb::config::SharedInterceptor;
use serde_json::Value;
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

/// Import `doc` as the service does: into a new group, or into the group `into`.
async fn import(store: &DynamoStore, scope: &Scope, doc: &Value, into: Option<&str>) -> String {
    let options = ImportOptions {
        group: match into {
            Some(id) => GroupTarget::Existing(id.to_string()),
            None => GroupTarget::New,
        },
        ..ImportOptions::default()
    };
    let request = ImportRequest {
        scope: scope.clone(),
        caller: "tests".to_string(),
        options,
        document: serde_json::to_vec(doc).unwrap().into(),
    };
    let response = import::run(store, &Limits::default(), request)
        .await
        .unwrap();
    assert!(response.failure.is_empty(), "{:?}", response.failure);
    assert_eq!(response.success.len(), operation_count(doc));
    response.group_id
}

/// The probes of one store: requests per operation, sequential round trips.
struct Probes {
    counter: RequestCounter,
    rounds: RoundTrips,
}

impl Probes {
    fn new() -> Self {
        Probes {
            counter: RequestCounter::new(),
            rounds: RoundTrips::new(),
        }
    }

    fn interceptors(&self) -> Vec<SharedInterceptor> {
        vec![
            SharedInterceptor::new(self.counter.clone()),
            SharedInterceptor::new(self.rounds.clone()),
        ]
    }

    fn reset(&self) {
        self.counter.reset();
        self.rounds.reset();
    }
}

/// The bounds of issue 12 for a real import of 300 generated operations (shared objects
/// and all): at most 4 sequential round trips and 15 requests, no transaction cancelled,
/// and one read of the instance, the group and the shared objects together.
fn assert_bounded(step: &str, probes: &Probes, cancellations: u64, started: Instant) {
    print(step, &probes.counter, started);
    let (counter, rounds) = (&probes.counter, probes.rounds.get());
    println!("dynamodb requests: {step}: {rounds} round trips, {cancellations} cancelled");
    assert_eq!(cancellations, 0, "{step}: the import fought itself");
    assert!(rounds <= 4, "{step}: {rounds} round trips");
    assert!(counter.total() <= 15, "{step}: {:?}", counter.snapshot());
    assert_eq!(
        counter.get("BatchGetItem"),
        1,
        "{step}: {:?}",
        counter.snapshot()
    );
    assert_eq!(
        counter.get("GetItem"),
        0,
        "{step}: {:?}",
        counter.snapshot()
    );
    // The import record: a plain `PutItem` (the instance was read in the first round trip).
    assert_eq!(
        counter.get("PutItem"),
        1,
        "{step}: {:?}",
        counter.snapshot()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_300_apis_into_a_new_group_takes_four_round_trips() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let emulator = Emulator::at(&endpoint);
    let probes = Probes::new();
    let store = dynamodb_store_at(&endpoint, probes.interceptors()).await;
    let scope = instance(&store).await;
    let before = cancelled(&emulator, &store);
    probes.reset();
    let started = Instant::now();
    let group = import(&store, &scope, &generated_document(300), None).await;
    let cancellations = cancelled(&emulator, &store) - before;
    assert_bounded("300 into a new group", &probes, cancellations, started);
    // The group, its reservation and the document's shared objects in one transaction;
    // 10 of the APIs (3 actions each, 33 per transaction); the settlement and the record.
    let counter = &probes.counter;
    assert_eq!(
        counter.get("TransactWriteItems"),
        11,
        "{:?}",
        counter.snapshot()
    );
    assert_eq!(counter.get("UpdateItem"), 1, "{:?}", counter.snapshot());
    assert_eq!(counter.get("Query"), 0, "a new group is not read");
    let group = Id::parse(&group).unwrap();
    assert_eq!(store.list_apis(&scope, &group).await.unwrap().len(), 300);
    assert!(store.audit(&scope).await.unwrap().is_empty());

    // The same APIs again, each replaced: 300 replacements at store level.
    probes.reset();
    let started = Instant::now();
    let stored = store.list_apis(&scope, &group).await.unwrap();
    assert_eq!(stored.len(), 300);
    let writes: Vec<ApiWrite> = stored
        .iter()
        .map(|a| {
            let mut def = a.definition.clone();
            def.remark = Some("overridden".to_string());
            replacement(a, def)
        })
        .collect();
    let out = store
        .write_apis(&scope, &group, writes, 1000)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Replaced; 300]);
    let counter = &probes.counter;
    print("override of 300 APIs", counter, started);
    // The listing above, 3 batch reads of the id pointers, 4 transactions of up to 99
    // updates; no create, so no reservation.
    assert!(counter.get("Query") <= 2);
    assert!(counter.get("TransactWriteItems") <= 4);
    assert_eq!(counter.get("UpdateItem"), 0);
    assert!(counter.total() <= 10, "{} requests", counter.total());
    assert!(store.audit(&scope).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_300_apis_into_a_group_of_600_takes_four_round_trips() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let emulator = Emulator::at(&endpoint);
    let probes = Probes::new();
    let store = dynamodb_store_at(&endpoint, probes.interceptors()).await;
    let scope = instance(&store).await;
    // 600 APIs from two earlier imports of the same generated document (300 at a time, the
    // most one import takes), then its next 300 operations.
    let first = generated_document(300);
    let group = import(&store, &scope, &first, None).await;
    let second = operations_after(generated_document(600), &first);
    import(&store, &scope, &second, Some(&group)).await;
    let third = operations_after(generated_document(900), &generated_document(600));
    let before = cancelled(&emulator, &store);
    probes.reset();
    let started = Instant::now();
    import(&store, &scope, &third, Some(&group)).await;
    let cancellations = cancelled(&emulator, &store) - before;
    assert_bounded("300 into a group of 600", &probes, cancellations, started);
    // The group's route keys (one page of its keys index for any group within the quota)
    // while the quota is reserved; 10 transactions of APIs; the record while the
    // reservation is settled. The shared objects were found: nothing written for them.
    let counter = &probes.counter;
    assert_eq!(counter.get("Query"), 1, "{:?}", counter.snapshot());
    assert_eq!(counter.get("UpdateItem"), 2, "{:?}", counter.snapshot());
    assert_eq!(
        counter.get("TransactWriteItems"),
        10,
        "{:?}",
        counter.snapshot()
    );
    let group = Id::parse(&group).unwrap();
    assert_eq!(store.list_apis(&scope, &group).await.unwrap().len(), 900);
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
    // Each writer: one reservation, 2 transactions, its settlement — the reservation and
    // the settlement are `UpdateItem`s of the group item (they serialize; refused only
    // while a transaction is in flight on it, and none touches it), the transactions share
    // no item with anyone: nothing is cancelled (issue 12 allows 8).
    let conflicts = emulator
        .as_ref()
        .map(|e| e.stats(Some(store.table())).expect("stats").conflicts)
        .unwrap_or(0);
    println!("dynamodb requests: 8 concurrent imports: {conflicts} single writes refused");
    assert_eq!(cancellations, 0, "{cancellations} cancellations");
    assert!(
        counter.total() <= 8 * 4 + cancellations + conflicts,
        "{} requests",
        counter.total()
    );
    assert_eq!(store.list_apis(&scope, &g.id).await.unwrap().len(), 400);
    assert!(store.audit(&scope).await.unwrap().is_empty());
}
