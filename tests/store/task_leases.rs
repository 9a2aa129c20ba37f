//! A task's lease is renewed while its import runs, and a run that lost its lease stops
//! (`spec/async-export.md` §2.1), on the embedded store and on DynamoDB: short leases
//! (renewed every third of them), writes of APIs slowed down so that the import outlives a
//! lease. The test server answers one request at a time (another test's SQS long poll can
//! hold it for 2 s), so DynamoDB's leases are longer than SQLite's: a renewal held up that
//! long still comes in time.

use crate::support::faulty::FaultyStore;
use crate::support::fixture;
use crate::support::stores::{dynamodb, sqlite_memory, StoreFixture};
use apig_import::config::Limits;
use apig_import::import::ImportOptions;
use apig_import::model::{Id, PathId, Reference, ReferenceKind, Scope, Task, TaskStatus};
use apig_import::store::{FileBlobStore, Store};
use apig_import::task::{self, document_key, submit, unix_now, TaskContext};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// The leases of these tests, in seconds.
const SQLITE_LEASE: i64 = 3;
const DYNAMODB_LEASE: i64 = 6;

fn seconds(s: i64) -> Duration {
    Duration::from_secs(u64::try_from(s).unwrap())
}

/// A registered instance with shop's channel and plugin (all six of its APIs import).
async fn instance(store: &dyn Store) -> Scope {
    let scope = Scope::new(
        PathId::parse(Id::generate().as_str()).unwrap(),
        PathId::parse(Id::generate().as_str()).unwrap(),
    );
    assert!(store.create_instance(&scope).await.unwrap());
    for (kind, name) in [
        (ReferenceKind::VpcChannel, "catalog_channel"),
        (ReferenceKind::Plugin, "audit_plugin"),
    ] {
        let reference = Reference {
            id: Id::generate(),
            kind,
            name: name.to_string(),
            created_at: String::new(),
        };
        assert!(store.create_reference(&scope, &reference).await.unwrap());
    }
    scope
}

struct Setup {
    store: Arc<dyn Store>,
    faulty: Arc<FaultyStore>,
    /// Runs through the slowed store, with short leases.
    ctx: TaskContext,
    scope: Scope,
    id: Id,
    lease: i64,
    _dir: tempfile::TempDir,
    _fixture: StoreFixture,
}

/// Shop submitted as a task on `fixture`'s store, leases of `lease` seconds, every write of
/// APIs slowed by `delay`.
async fn setup(fixture_store: StoreFixture, lease: i64, delay: Duration) -> Setup {
    let store = Arc::clone(&fixture_store.store);
    let dir = tempfile::tempdir().unwrap();
    let faulty = Arc::new(FaultyStore::new(Arc::clone(&store)).slow(delay));
    let mut ctx = TaskContext::new(
        Arc::clone(&faulty) as Arc<dyn Store>,
        Arc::new(FileBlobStore::new(dir.path().join("blobs"))),
        Limits::default(),
    );
    ctx.lease_seconds = lease;
    let scope = instance(&*store).await;
    let id = Id::generate();
    let task = Task::new_import(
        id.clone(),
        scope.clone(),
        ImportOptions::default(),
        None,
        "tests".into(),
        document_key(&scope, &id),
    );
    let shop = bytes::Bytes::from(fixture("apig/shop-2.0.yaml"));
    assert!(submit(&ctx, &task, shop).await.unwrap());
    Setup {
        store,
        faulty,
        ctx,
        scope,
        id,
        lease,
        _dir: dir,
        _fixture: fixture_store,
    }
}

async fn api_count(store: &dyn Store, scope: &Scope) -> (usize, usize) {
    let groups = store.list_groups(scope).await.unwrap();
    let mut apis = 0;
    for g in &groups {
        apis += store.list_apis(scope, &g.id).await.unwrap().len();
    }
    (groups.len(), apis)
}

/// An import that takes longer than a lease (its write of APIs waits almost two leases)
/// keeps the task: another worker finds it held after the first lease would have expired,
/// and the first run finishes it.
async fn a_long_run_keeps_its_lease(fixture_store: StoreFixture, lease: i64) {
    let s = setup(fixture_store, lease, seconds(2 * lease - 1)).await;
    let before = unix_now();
    let long = tokio::spawn({
        let (ctx, scope, id) = (s.ctx.clone(), s.scope.clone(), s.id.clone());
        async move { task::run(&ctx, &scope, &id, "long").await }
    });
    s.faulty.entered().await;
    // Past the first lease (taken at `before` or a second later), by half a lease.
    tokio::time::sleep(seconds(s.lease) * 3 / 2).await;
    let mut other = s.ctx.clone();
    other.store = Arc::clone(&s.store);
    assert_eq!(
        task::run(&other, &s.scope, &s.id, "other").await.unwrap(),
        None,
        "the renewed lease is still held"
    );
    let held = s.store.get_task(&s.scope, &s.id).await.unwrap().unwrap();
    let lease = held.lease.clone().expect("leased");
    assert_eq!(
        (held.status, held.attempts, lease.owner.as_str()),
        (TaskStatus::Processing, 1, "long")
    );
    assert!(
        lease.until >= before + s.lease + 2,
        "renewed: until {} (taken at {before} for {} s)",
        lease.until,
        s.lease
    );
    let done = long
        .await
        .unwrap()
        .unwrap()
        .expect("finished by its holder");
    assert_eq!(
        (done.status, done.attempts),
        (TaskStatus::Succeed, 1),
        "{}",
        done.result
    );
    assert!(done.lease.is_none());
    assert_eq!(api_count(&*s.store, &s.scope).await, (1, 6));
}

/// A run whose lease was taken over (as after a stall past its expiry) finds it out at its
/// next renewal and stops: the write of APIs it was waiting in never happens, it does not
/// finish the task, and the task is the new holder's.
async fn a_run_that_lost_its_lease_stops(fixture_store: StoreFixture, lease: i64) {
    // Its write of APIs would end long after the first renewal (a third of the lease).
    let s = setup(fixture_store, lease, seconds(lease + 2)).await;
    let stalled = tokio::spawn({
        let (ctx, scope, id) = (s.ctx.clone(), s.scope.clone(), s.id.clone());
        async move { task::run(&ctx, &scope, &id, "stalled").await }
    });
    s.faulty.entered().await;
    let now = unix_now();
    // Taken over through the store's conditional transition, at a time its lease is over.
    let taken = s
        .store
        .take_lease(&s.scope, &s.id, "next", now + 1000, now + 1000 + s.lease)
        .await
        .unwrap()
        .expect("taken over");
    assert_eq!(taken.attempts, 2);
    assert_eq!(
        stalled.await.unwrap().unwrap(),
        None,
        "the run that lost its lease does not finish the task"
    );
    assert_eq!(
        s.faulty.writes_done.load(Ordering::SeqCst),
        0,
        "the import stopped before writing its APIs"
    );
    assert_eq!(api_count(&*s.store, &s.scope).await, (1, 0));
    let task = s.store.get_task(&s.scope, &s.id).await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Processing);
    assert_eq!(task.lease.map(|l| l.owner), Some("next".to_string()));
}

/// A worker stopped at a deadline (a Lambda invocation's) renews its lease only up to it:
/// past the first lease the task can be taken over, and the next worker finishes it while
/// the first run, finding its lease lost, stops without finishing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_leases_are_not_renewed_past_the_deadline() {
    let lease = SQLITE_LEASE;
    let s = setup(sqlite_memory().await.unwrap(), lease, seconds(2 * lease)).await;
    let before = unix_now();
    let capped = tokio::spawn({
        let (ctx, scope, id) = (s.ctx.clone(), s.scope.clone(), s.id.clone());
        async move { task::run_within(&ctx, &scope, &id, "capped", Some(before + 1)).await }
    });
    s.faulty.entered().await;
    tokio::time::sleep(seconds(lease) * 3 / 2).await;
    let held = s.store.get_task(&s.scope, &s.id).await.unwrap().unwrap();
    let until = held.lease.expect("leased").until;
    assert!(
        until <= before + 1 + lease,
        "not renewed past the first lease: until {until}, taken at {before} for {lease} s"
    );
    let mut next = s.ctx.clone();
    next.store = Arc::clone(&s.store);
    let done = task::run(&next, &s.scope, &s.id, "next")
        .await
        .unwrap()
        .expect("taken over once the lease expired, and finished");
    assert_eq!(
        (done.status, done.attempts),
        (TaskStatus::Succeed, 2),
        "{}",
        done.result
    );
    assert_eq!(capped.await.unwrap().unwrap(), None);
    assert_eq!(api_count(&*s.store, &s.scope).await, (1, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_long_run_keeps_its_lease() {
    a_long_run_keeps_its_lease(sqlite_memory().await.unwrap(), SQLITE_LEASE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_run_that_lost_its_lease_stops() {
    a_run_that_lost_its_lease_stops(sqlite_memory().await.unwrap(), SQLITE_LEASE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_a_long_run_keeps_its_lease() {
    let Some(fixture_store) = dynamodb().await else {
        return;
    };
    a_long_run_keeps_its_lease(fixture_store, DYNAMODB_LEASE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_a_run_that_lost_its_lease_stops() {
    let Some(fixture_store) = dynamodb().await else {
        return;
    };
    a_run_that_lost_its_lease_stops(fixture_store, DYNAMODB_LEASE).await;
}
