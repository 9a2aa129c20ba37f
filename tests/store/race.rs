//! Races between separate `SqliteStore` values (separate connections) on one file, each on
//! its own OS thread with its own runtime: the database's conditional writes, not any
//! in-process lock, must keep routes, names and quotas right. No racer may see an error.

use crate::support::fixtures::*;
use apig_import::model::*;
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{
    ApiWrite, ApiWriteOutcome, Catalog, GroupCreate, SharedWrite, SharedWriteOutcome,
};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Barrier;

/// A database file with one registered instance and one group.
struct Arena {
    _dir: tempfile::TempDir,
    path: PathBuf,
    scope: Scope,
    group: Group,
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn arena() -> Arena {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("race.db");
    let store = SqliteStore::open(&path).expect("open store");
    let (scope, group) = block_on(async {
        let scope = instance(&store).await;
        let group = stored_group(&store, &scope, "race_group").await;
        (scope, group)
    });
    Arena {
        _dir: dir,
        path,
        scope,
        group,
    }
}

/// Run `racers` racers, each with its own `SqliteStore` on `path`, on its own OS thread and
/// runtime, released together; their results in racer order.
fn race<T, F, Fut>(path: &Path, racers: usize, racer: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, SqliteStore) -> Fut + Sync,
    Fut: Future<Output = T>,
{
    let barrier = Barrier::new(racers);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..racers)
            .map(|i| {
                let (barrier, racer) = (&barrier, &racer);
                s.spawn(move || {
                    let store = SqliteStore::open(path).expect("open store");
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    barrier.wait();
                    runtime.block_on(racer(i, store))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("racer panicked"))
            .collect()
    })
}

fn tally(outcomes: impl IntoIterator<Item = ApiWriteOutcome>) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for o in outcomes {
        let key = match o {
            ApiWriteOutcome::RouteTaken { .. } => "RouteTaken".to_string(),
            other => format!("{other:?}"),
        };
        *t.entry(key).or_insert(0) += 1;
    }
    t
}

fn route(api: &Api) -> String {
    let d = &api.definition;
    RouteKey::new(d.method, &d.path, d.match_mode).storage_key()
}

/// Every racer creates the same 50 APIs (its own ids, same routes and names), in its own
/// order, five per batch.
fn same_api_creates(racers: usize) {
    let arena = arena();
    let (scope, group) = (&arena.scope, &arena.group);
    let results = race(&arena.path, racers, |r, store| async move {
        let mut apis: Vec<Api> = (0..50)
            .map(|i| {
                // Half the racers spell the path parameter differently: still one route.
                let param = if r % 2 == 0 { "id" } else { "uid" };
                api(
                    &group.id,
                    &format!("api_{i}"),
                    Method::Get,
                    &format!("/r/{i}/{{{param}}}"),
                )
            })
            .collect();
        apis.rotate_left((r * 7) % 50);
        let mut outcomes = Vec::new();
        for chunk in apis.chunks(5) {
            let out = store
                .write_apis(scope, &group.id, creates(chunk), 1000)
                .await
                .expect("write apis");
            assert_eq!(out.len(), chunk.len());
            for (a, o) in chunk.iter().zip(&out) {
                if let ApiWriteOutcome::RouteTaken { existing_name } = o {
                    assert_eq!(existing_name, &a.definition.name);
                }
            }
            outcomes.extend(out);
        }
        outcomes
    });
    let t = tally(results.into_iter().flatten());
    assert_eq!(t.get("Created"), Some(&50), "{t:?}");
    assert_eq!(
        t.get("RouteTaken").copied().unwrap_or(0),
        50 * (racers - 1),
        "{t:?}"
    );
    assert_eq!(t.len(), if racers > 1 { 2 } else { 1 }, "{t:?}");

    let store = SqliteStore::open(&arena.path).expect("open store");
    let stored = block_on(store.list_apis(scope, &group.id)).expect("list");
    assert_eq!(stored.len(), 50);
    assert_eq!(stored.iter().map(route).collect::<BTreeSet<_>>().len(), 50);
    assert_eq!(
        stored
            .iter()
            .map(|a| a.definition.name.clone())
            .collect::<BTreeSet<_>>()
            .len(),
        50
    );
}

#[test]
fn same_api_creates_2_racers() {
    same_api_creates(2);
}

#[test]
fn same_api_creates_16_racers() {
    same_api_creates(16);
}

/// Racers create distinct APIs into one group whose quota is 30.
fn api_quota(racers: usize, per_racer: usize, batch: usize) {
    const LIMIT: u32 = 30;
    let arena = arena();
    let (scope, group) = (&arena.scope, &arena.group);
    let results = race(&arena.path, racers, |r, store| async move {
        let apis: Vec<Api> = (0..per_racer)
            .map(|i| {
                api(
                    &group.id,
                    &format!("r{r}_{i}"),
                    Method::Post,
                    &format!("/r{r}/{i}"),
                )
            })
            .collect();
        let mut outcomes = Vec::new();
        for chunk in apis.chunks(batch) {
            outcomes.extend(
                store
                    .write_apis(scope, &group.id, creates(chunk), LIMIT)
                    .await
                    .expect("write apis"),
            );
        }
        outcomes
    });
    let t = tally(results.into_iter().flatten());
    assert_eq!(t.get("Created"), Some(&(LIMIT as usize)), "{t:?}");
    assert_eq!(
        t.get("QuotaReached"),
        Some(&(racers * per_racer - LIMIT as usize)),
        "{t:?}"
    );
    let store = SqliteStore::open(&arena.path).expect("open store");
    let stored = block_on(store.list_apis(scope, &group.id)).expect("list");
    assert_eq!(stored.len(), LIMIT as usize);
}

#[test]
fn api_quota_2_racers() {
    api_quota(2, 50, 10);
}

#[test]
fn api_quota_16_racers() {
    api_quota(16, 50, 10);
}

/// Racers create groups; `same_name` decides whether they all use one name.
fn group_creates(racers: usize, same_name: bool, limit: u32) -> BTreeMap<String, usize> {
    let arena = arena();
    let scope = &arena.scope;
    let results = race(&arena.path, racers, |r, store| async move {
        let name = if same_name {
            "raced_name".to_string()
        } else {
            format!("raced_{r}")
        };
        store
            .create_group(scope, &group(&name), limit)
            .await
            .expect("create group")
    });
    let store = SqliteStore::open(&arena.path).expect("open store");
    let groups = block_on(store.list_groups(scope)).expect("list");
    let created = results
        .iter()
        .filter(|o| **o == GroupCreate::Created)
        .count();
    // The arena's own group plus the winners.
    assert_eq!(groups.len(), 1 + created);
    let names: BTreeSet<_> = groups.iter().map(|g| g.name.as_str().to_string()).collect();
    assert_eq!(names.len(), groups.len());
    let mut t = BTreeMap::new();
    for o in results {
        *t.entry(format!("{o:?}")).or_insert(0) += 1;
    }
    t
}

#[test]
fn group_name_2_racers() {
    let t = group_creates(2, true, 1500);
    assert_eq!(t.get("Created"), Some(&1), "{t:?}");
    assert_eq!(t.get("NameTaken"), Some(&1), "{t:?}");
}

#[test]
fn group_name_16_racers() {
    let t = group_creates(16, true, 1500);
    assert_eq!(t.get("Created"), Some(&1), "{t:?}");
    assert_eq!(t.get("NameTaken"), Some(&15), "{t:?}");
}

#[test]
fn group_quota_16_racers() {
    // The arena holds one group already: 5 more fit under 6.
    let t = group_creates(16, false, 6);
    assert_eq!(t.get("Created"), Some(&5), "{t:?}");
    assert_eq!(t.get("QuotaReached"), Some(&11), "{t:?}");
}

#[test]
fn replace_16_racers() {
    let arena = arena();
    let (scope, group) = (&arena.scope, &arena.group);
    let stored = api(&group.id, "contended", Method::Get, "/contended/{id}");
    {
        let store = SqliteStore::open(&arena.path).expect("open store");
        let out = block_on(store.write_apis(
            scope,
            &group.id,
            vec![ApiWrite::Create(stored.clone())],
            1000,
        ))
        .expect("create");
        assert_eq!(out, vec![ApiWriteOutcome::Created]);
    }
    let results = race(&arena.path, 16, |r, store| {
        let stored = stored.clone();
        async move {
            let mut def = stored.definition.clone();
            def.remark = Some(format!("racer {r}"));
            let out = store
                .write_apis(scope, &group.id, vec![replacement(&stored, def)], 1000)
                .await
                .expect("replace");
            out.into_iter().next().expect("one outcome")
        }
    });
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, o)| **o == ApiWriteOutcome::Replaced)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(
        results
            .iter()
            .filter(|o| **o == ApiWriteOutcome::VersionConflict)
            .count(),
        15
    );
    let store = SqliteStore::open(&arena.path).expect("open store");
    let now = block_on(store.get_api(scope, &stored.id))
        .expect("get")
        .expect("still there");
    assert_eq!(now.version, 2);
    assert_eq!(now.definition.remark, Some(format!("racer {}", winners[0])));
    assert_eq!(now.created_at, stored.created_at);
}

#[test]
fn shared_creates_16_racers() {
    let arena = arena();
    let scope = &arena.scope;
    // All racers define one name: one wins.
    let results = race(&arena.path, 16, |_, store| async move {
        store
            .write_shared(scope, SharedWrite::Create(throttle("raced", 1)), Some(300))
            .await
            .expect("write shared")
    });
    let created = results
        .iter()
        .filter(|o| **o == SharedWriteOutcome::Created)
        .count();
    assert_eq!(created, 1, "{results:?}");
    assert!(results.iter().all(|o| matches!(
        o,
        SharedWriteOutcome::Created | SharedWriteOutcome::NameTaken
    )));
    // Distinct names under a quota of 7 (one taken already).
    let results = race(&arena.path, 16, |r, store| async move {
        store
            .write_shared(
                scope,
                SharedWrite::Create(throttle(&format!("quota_{r}"), 1)),
                Some(7),
            )
            .await
            .expect("write shared")
    });
    let created = results
        .iter()
        .filter(|o| **o == SharedWriteOutcome::Created)
        .count();
    assert_eq!(created, 6, "{results:?}");
    let store = SqliteStore::open(&arena.path).expect("open store");
    let stored =
        block_on(store.list_shared(scope, SharedKind::Throttle, None)).expect("list shared");
    assert_eq!(stored.len(), 7);
}

#[test]
fn racing_opens_of_a_new_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("fresh").join("new.db");
    let results = race(&path, 16, |_, store| async move {
        let scope = scope();
        let created = store
            .create_instance(&scope)
            .await
            .expect("create instance");
        (scope, created)
    });
    assert!(results.iter().all(|(_, created)| *created));
    let store = SqliteStore::open(&path).expect("open store");
    for (scope, _) in &results {
        assert!(block_on(store.instance_exists(scope)).expect("exists"));
    }
}

/// Many small racing writes of every kind on one file: nothing may surface as an error
/// (busy waits are absorbed).
#[test]
fn busy_waits_never_surface() {
    let arena = arena();
    let (scope, group) = (&arena.scope, &arena.group);
    let results = race(&arena.path, 16, |r, store| async move {
        let mut created = 0;
        for i in 0..20 {
            let a = api(
                &group.id,
                &format!("busy_{r}_{i}"),
                Method::Get,
                &format!("/busy/{r}/{i}"),
            );
            let out = store
                .write_apis(scope, &group.id, vec![ApiWrite::Create(a)], 1000)
                .await
                .expect("write apis");
            created += usize::from(out == vec![ApiWriteOutcome::Created]);
            store
                .create_reference(
                    scope,
                    &reference(ReferenceKind::Plugin, &format!("p{r}_{i}")),
                )
                .await
                .expect("create reference");
            store.list_apis(scope, &group.id).await.expect("list apis");
        }
        created
    });
    assert_eq!(results.iter().sum::<usize>(), 16 * 20);
}
