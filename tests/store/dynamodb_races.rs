//! Racing writers, on both stores: the database's conditions decide, never a read.
//!
//! * 16 imports of the same 50 operations into one group: exactly 50 APIs, exactly 50
//!   `Created` across all outcomes, every other outcome a route conflict (`APIG.3301`).
//! * 16 creations of one group name: exactly one is created.
//! * Racing creates never push a counter past its quota (APIs per group, groups per
//!   instance, throttling policies per instance).
//!
//! The DynamoDB instantiation runs through `scripts/dynamodb-local cargo test`.

use crate::support::fixtures::*;
use apig_import::model::*;
use apig_import::store::{ApiWriteOutcome, GroupCreate, SharedWrite, SharedWriteOutcome, Store};
use std::sync::Arc;

const RACERS: usize = 16;

/// Run `RACERS` copies of `f` at once and collect their results.
async fn race<T, F, Fut>(store: &Arc<dyn Store>, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let fut = f(Arc::clone(store), i);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("racer panicked"));
    }
    results
}

pub async fn same_document_into_one_group(store: Arc<dyn Store>) -> Scope {
    let scope = instance(&*store).await;
    let g = stored_group(&*store, &scope, "raced").await;
    let gid = g.id.clone();
    let all = race(&store, |store, _| {
        let scope = scope.clone();
        let gid = gid.clone();
        async move {
            // Each import builds its own APIs (own ids) from the same 50 operations.
            let apis: Vec<Api> = (0..50).map(|i| numbered_api(&gid, i)).collect();
            store
                .write_apis(&scope, &gid, creates(&apis), 1000)
                .await
                .expect("write apis")
        }
    })
    .await;
    let outcomes: Vec<&ApiWriteOutcome> = all.iter().flatten().collect();
    assert_eq!(outcomes.len(), RACERS * 50);
    let created = outcomes
        .iter()
        .filter(|o| ***o == ApiWriteOutcome::Created)
        .count();
    assert_eq!(created, 50, "exactly one create per operation");
    for o in &outcomes {
        match o {
            ApiWriteOutcome::Created => {}
            ApiWriteOutcome::RouteTaken { existing_name } => {
                assert!(existing_name.starts_with("api_"), "{existing_name}")
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    // Per operation, exactly one racer created it.
    for i in 0..50 {
        let winners = all
            .iter()
            .filter(|out| out[i] == ApiWriteOutcome::Created)
            .count();
        assert_eq!(winners, 1, "operation {i}");
    }
    let listed = store.list_apis(&scope, &g.id).await.unwrap();
    assert_eq!(listed.len(), 50);
    // The quota still sees exactly 50.
    let out = store
        .write_apis(&scope, &g.id, creates(&[numbered_api(&g.id, 99)]), 50)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::QuotaReached]);
    scope
}

pub async fn one_group_name(store: Arc<dyn Store>) -> Scope {
    let scope = instance(&*store).await;
    let results = race(&store, |store, _| {
        let scope = scope.clone();
        async move {
            store
                .create_group(&scope, &group("Swagger_Petstore"), 100)
                .await
                .expect("create group")
        }
    })
    .await;
    let created = results
        .iter()
        .filter(|r| **r == GroupCreate::Created)
        .count();
    assert_eq!(created, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|r| matches!(r, GroupCreate::Created | GroupCreate::NameTaken)));
    assert_eq!(store.list_groups(&scope).await.unwrap().len(), 1);
    scope
}

pub async fn quotas_hold(store: Arc<dyn Store>) -> Scope {
    let scope = instance(&*store).await;
    // APIs per group: 16 imports of 10 distinct operations each, room for 50.
    let g = stored_group(&*store, &scope, "quota_race").await;
    let gid = g.id.clone();
    let all = race(&store, |store, r| {
        let scope = scope.clone();
        let gid = gid.clone();
        async move {
            let apis: Vec<Api> = (0..10).map(|i| numbered_api(&gid, r * 100 + i)).collect();
            store
                .write_apis(&scope, &gid, creates(&apis), 50)
                .await
                .expect("write apis")
        }
    })
    .await;
    let outcomes: Vec<&ApiWriteOutcome> = all.iter().flatten().collect();
    let created = outcomes
        .iter()
        .filter(|o| ***o == ApiWriteOutcome::Created)
        .count();
    assert_eq!(created, 50);
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, ApiWriteOutcome::Created | ApiWriteOutcome::QuotaReached)));
    assert_eq!(store.list_apis(&scope, &g.id).await.unwrap().len(), 50);

    // Groups per instance: 16 distinct names, room for 5 (one exists).
    let results = race(&store, |store, r| {
        let scope = scope.clone();
        async move {
            store
                .create_group(&scope, &group(&format!("group_{r}")), 6)
                .await
                .expect("create group")
        }
    })
    .await;
    let created = results
        .iter()
        .filter(|r| **r == GroupCreate::Created)
        .count();
    assert_eq!(created, 5, "{results:?}");
    assert_eq!(store.list_groups(&scope).await.unwrap().len(), 6);

    // Throttling policies per instance: 16 distinct names, room for 7.
    let results = race(&store, |store, r| {
        let scope = scope.clone();
        async move {
            store
                .write_shared(
                    &scope,
                    SharedWrite::Create(throttle(&format!("t_{r}"), 10)),
                    Some(7),
                )
                .await
                .expect("write shared")
        }
    })
    .await;
    let created = results
        .iter()
        .filter(|r| **r == SharedWriteOutcome::Created)
        .count();
    assert_eq!(created, 7, "{results:?}");
    assert_eq!(
        store
            .list_shared(&scope, SharedKind::Throttle, None)
            .await
            .unwrap()
            .len(),
        7
    );
    scope
}

mod dynamodb {
    use crate::support::stores::dynamodb_store;

    /// Run a case on a fresh table, then audit the tenant it used.
    macro_rules! audited {
        ($($case:ident),*) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(store) = dynamodb_store().await else {
                    return;
                };
                let scope = super::$case(std::sync::Arc::new(store.clone())).await;
                let problems = store.audit(&scope).await.expect("audit");
                assert!(problems.is_empty(), "inconsistent: {problems:#?}");
            }
        )*};
    }

    audited!(same_document_into_one_group, one_group_name, quotas_hold);
}

mod sqlite_file {
    use crate::support::stores::sqlite_file;

    macro_rules! on_file {
        ($($case:ident),*) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let fixture = sqlite_file().await.expect("a SQLite store");
                super::$case(fixture.store.clone()).await;
            }
        )*};
    }

    on_file!(same_document_into_one_group, one_group_name, quotas_hold);
}
