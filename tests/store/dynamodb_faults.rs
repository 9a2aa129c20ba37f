//! Failures half-way through a write of many APIs leave a consistent state, and running the
//! same writes again completes them.
//!
//! An SDK interceptor fails the Nth request of a `write_apis` of 60 new APIs, 10 renames
//! and 5 route conflicts — before the request is sent, or after the server carried it out
//! (response lost) — for every N up to past the last request. Then the tenant's items are
//! audited (no lock without its entity, no entity without its locks, pointers matching,
//! counters true), the same writes are run again, and the end state is checked.
//!
//! Every request's response is also dropped in turn and the request retried by the SDK (a
//! retried commit must count once), and a writer that dies between reserving the group's
//! quota and settling it has its reservation released by the next writer.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_faults`.

use crate::support::fixtures::*;
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at, dynamodb_store_on};
use apig_import::model::*;
use apig_import::store::dynamodb::keys::Keys;
use apig_import::store::dynamodb::reservation::reservations;
use apig_import::store::dynamodb::testing::{FailNth, FailPoint, RequestCounter};
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::{ApiWrite, ApiWriteOutcome, Catalog};
use aws_sdk_dynamodb::config::SharedInterceptor;

struct Case {
    scope: Scope,
    group: Group,
    existing: Vec<Api>,
    writes: Vec<ApiWrite>,
}

/// A group with 20 APIs, and a batch: 60 new APIs (several transactions), 10 renames of stored APIs, 5 creates
/// whose routes are taken.
async fn setup(store: &DynamoStore) -> Case {
    let scope = instance(store).await;
    let group = stored_group(store, &scope, "faults").await;
    let existing: Vec<Api> = (0..20).map(|i| numbered_api(&group.id, 1000 + i)).collect();
    let out = store
        .write_apis(&scope, &group.id, creates(&existing), 1000)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created; 20]);
    let mut writes = creates(
        &(0..60)
            .map(|i| numbered_api(&group.id, i))
            .collect::<Vec<_>>(),
    );
    for a in &existing[..10] {
        let mut def = a.definition.clone();
        def.name = format!("{}_renamed", def.name);
        writes.push(replacement(a, def));
    }
    for a in &existing[10..15] {
        let mut clash = api(
            &group.id,
            &format!("clash_{}", a.definition.name),
            Method::Get,
            &a.definition.path,
        );
        clash.definition.remark = Some("route taken".to_string());
        writes.push(ApiWrite::Create(clash));
    }
    Case {
        scope,
        group,
        existing,
        writes,
    }
}

async fn assert_consistent(store: &DynamoStore, scope: &Scope, when: &str) {
    let problems = store.audit(scope).await.expect("audit");
    assert!(problems.is_empty(), "{when}: inconsistent: {problems:#?}");
}

/// After the writes ran to the end (possibly in two runs): everything is there once.
async fn assert_complete(store: &DynamoStore, case: &Case, outcomes: &[ApiWriteOutcome]) {
    let listed = store.list_apis(&case.scope, &case.group.id).await.unwrap();
    assert_eq!(listed.len(), 80, "20 stored + 60 new");
    let by_id: std::collections::HashMap<&Id, &Api> = listed.iter().map(|a| (&a.id, a)).collect();
    for (write, outcome) in case.writes.iter().zip(outcomes) {
        let stored = by_id.get(&write.api().id).map(|a| (*a).clone());
        match write {
            ApiWrite::Create(a) if a.definition.name.starts_with("clash_") => {
                assert!(
                    matches!(outcome, ApiWriteOutcome::RouteTaken { .. }),
                    "{outcome:?}"
                );
                assert_eq!(stored, None);
            }
            ApiWrite::Create(a) => {
                // Created now, or by the first run (then its route is held by itself).
                let own = ApiWriteOutcome::RouteTaken {
                    existing_name: a.definition.name.clone(),
                };
                assert!(
                    outcome == &ApiWriteOutcome::Created || outcome == &own,
                    "{outcome:?}"
                );
                assert_eq!(stored.as_ref(), Some(a));
            }
            ApiWrite::Replace { api, .. } => {
                // Replaced now, or by the first run (then the expected version is stale).
                assert!(
                    matches!(
                        outcome,
                        ApiWriteOutcome::Replaced | ApiWriteOutcome::VersionConflict
                    ),
                    "{outcome:?}"
                );
                let stored = stored.expect("replaced api");
                assert_eq!(stored.version, api.version);
                assert_eq!(stored.definition, api.definition);
            }
        }
    }
    for a in &case.existing[10..] {
        assert_eq!(by_id.get(&a.id), Some(&a));
    }
    // Reads by id agree with the listing.
    for write in case.writes.iter().step_by(10) {
        let id = &write.api().id;
        assert_eq!(
            store.get_api(&case.scope, id).await.unwrap().as_ref(),
            by_id.get(id).copied()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_request_leaves_a_consistent_state_and_a_rerun_completes() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let store = dynamodb_store_at(&endpoint, Vec::new()).await;

    // How many requests the batch takes without faults.
    let counter = RequestCounter::new();
    let counted = dynamodb_store_on(
        &endpoint,
        store.table(),
        vec![SharedInterceptor::new(counter.clone())],
    );
    let case = setup(&store).await;
    let out = counted
        .write_apis(&case.scope, &case.group.id, case.writes.clone(), 1000)
        .await
        .unwrap();
    assert_complete(&store, &case, &out).await;
    assert_consistent(&store, &case.scope, "without faults").await;
    let requests = counter.total();
    println!(
        "dynamodb faults: the batch takes {requests} requests: {:?}",
        counter.snapshot()
    );

    let mut struck = 0;
    for point in [FailPoint::BeforeSend, FailPoint::AfterSend] {
        for n in 1..=requests + 1 {
            // A fresh table each time, so that the audit's scan stays small.
            let store = dynamodb_store_at(&endpoint, Vec::new()).await;
            let case = setup(&store).await;
            let fault = FailNth::new(n, None, point);
            let faulty = dynamodb_store_on(
                &endpoint,
                store.table(),
                vec![SharedInterceptor::new(fault.clone())],
            );
            let first = faulty
                .write_apis(&case.scope, &case.group.id, case.writes.clone(), 1000)
                .await;
            let when = format!("{point:?} request {n}");
            match &first {
                Err(e) => {
                    assert!(fault.fired(), "{when}: error without the fault: {e}");
                    struck += 1;
                }
                Ok(out) => assert_complete(&store, &case, out).await,
            }
            assert_consistent(&store, &case.scope, &format!("after a fault at {when}")).await;
            // Run the same writes again, without faults.
            let out = store
                .write_apis(&case.scope, &case.group.id, case.writes.clone(), 1000)
                .await
                .unwrap_or_else(|e| panic!("{when}: rerun: {e}"));
            assert_complete(&store, &case, &out).await;
            assert_consistent(&store, &case.scope, &format!("rerun after {when}")).await;
        }
    }
    assert!(
        struck >= 2 * requests as usize - 2,
        "only {struck} faults struck"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_requests_are_retried() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    // How many requests the batch takes.
    let requests = {
        let store = dynamodb_store_at(&endpoint, Vec::new()).await;
        let case = setup(&store).await;
        let counter = RequestCounter::new();
        let counted = dynamodb_store_on(
            &endpoint,
            store.table(),
            vec![SharedInterceptor::new(counter.clone())],
        );
        counted
            .write_apis(&case.scope, &case.group.id, case.writes.clone(), 1000)
            .await
            .unwrap();
        counter.total()
    };
    // Every request of the batch in turn (the reservation, each transaction, the
    // settlement) answered with a ThrottlingException after the server carried it out (its
    // response lost): the SDK retries it — transactions with the same ClientRequestToken —
    // and a retried write that had been applied counts once.
    for n in 1..=requests {
        let store = dynamodb_store_at(&endpoint, Vec::new()).await;
        let case = setup(&store).await;
        let fault = FailNth::new(n, None, FailPoint::Throttled);
        let counter = RequestCounter::new();
        let throttled = dynamodb_store_on(
            &endpoint,
            store.table(),
            vec![
                SharedInterceptor::new(fault.clone()),
                SharedInterceptor::new(counter.clone()),
            ],
        );
        let out = throttled
            .write_apis(&case.scope, &case.group.id, case.writes.clone(), 1000)
            .await
            .unwrap_or_else(|e| panic!("throttled request {n}: {e}"));
        assert!(fault.fired(), "request {n}");
        let replaced = out
            .iter()
            .filter(|o| **o == ApiWriteOutcome::Replaced)
            .count();
        assert_eq!(replaced, 10, "request {n}: {out:?}");
        assert_complete(&store, &case, &out).await;
        assert_consistent(&store, &case.scope, &format!("throttled request {n}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_error_is_an_error_not_a_panic() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    // A table that does not exist: every operation is a StoreError.
    let store = dynamodb_store_on(&endpoint, "apig-test-missing-table", Vec::new());
    let scope = scope();
    assert!(store.create_instance(&scope).await.is_err());
    assert!(store.list_groups(&scope).await.is_err());
    let g = group("nowhere");
    assert!(store
        .write_apis(&scope, &g.id, creates(&[numbered_api(&g.id, 0)]), 10)
        .await
        .is_err());
}

/// The group item as stored.
async fn group_item(
    store: &DynamoStore,
    scope: &Scope,
    group: &Id,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(Keys::of(scope).group(group.as_str()).attrs()))
        .consistent_read(true)
        .send()
        .await
        .expect("get group")
        .item()
        .cloned()
        .expect("the group exists")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_writers_reservation_is_released_by_the_next_writer() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let store = dynamodb_store_at(&endpoint, Vec::new()).await;
    let case = setup(&store).await;
    // A writer reserves the room for its creates, then dies before its first transaction
    // is sent (others of the wave may have gone through).
    let fault = FailNth::new(1, Some("TransactWriteItems"), FailPoint::BeforeSend);
    let dying = dynamodb_store_on(
        &endpoint,
        store.table(),
        vec![SharedInterceptor::new(fault.clone())],
    )
    .with_reservation_ttl(std::time::Duration::from_secs(1));
    assert!(dying
        .write_apis(&case.scope, &case.group.id, case.writes.clone(), 1000)
        .await
        .is_err());
    assert!(fault.fired());
    let open = reservations(&group_item(&store, &case.scope, &case.group.id).await).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    // The open reservation holds room, and the audit accounts for it.
    assert_consistent(&store, &case.scope, "with an open reservation").await;
    let stored = store
        .list_apis(&case.scope, &case.group.id)
        .await
        .unwrap()
        .len() as u32;

    // After it expired, the next writer into the group releases it: room for exactly one
    // more API than are stored.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let next = numbered_api(&case.group.id, 5000);
    let out = store
        .write_apis(&case.scope, &case.group.id, creates(&[next]), stored + 1)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created]);
    let item = group_item(&store, &case.scope, &case.group.id).await;
    assert!(reservations(&item).unwrap().is_empty(), "{item:?}");
    let count = item
        .get("apis")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<u32>().ok());
    assert_eq!(count, Some(stored + 1));
    assert_consistent(&store, &case.scope, "after the release").await;
    // And the quota is exact again.
    let out = store
        .write_apis(
            &case.scope,
            &case.group.id,
            creates(&[numbered_api(&case.group.id, 5001)]),
            stored + 1,
        )
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::QuotaReached]);
}
