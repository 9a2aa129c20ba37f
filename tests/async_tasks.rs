//! Asynchronous tasks run exactly once in effect (`spec/async-export.md` §2.1): the runner
//! against the embedded store and files, with a store that fails on demand in front of it.

use apig_import::config::Limits;
use apig_import::import::{self, ImportOptions, ImportRequest, Writer};
use apig_import::model::*;
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::*;
use apig_import::task::{self, document_key, submit, TaskContext};
use async_trait::async_trait;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SHOP_CREATES: usize = 6;

fn shop() -> bytes::Bytes {
    let path = format!(
        "{}/../shared/fixtures/apig/shop-2.0.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    bytes::Bytes::from(std::fs::read(path).expect("shop fixture"))
}

fn scope() -> Scope {
    Scope::new(
        PathId::parse(Id::generate().as_str()).expect("project"),
        PathId::parse(Id::generate().as_str()).expect("instance"),
    )
}

/// A store whose `write_apis` fails (a store failure) when `fail_writes` says so: it writes
/// the first `keep` APIs of the batch, then fails, like a worker killed half-way.
struct Faulty {
    inner: SqliteStore,
    /// Calls of `write_apis` to fail, from now on (`usize::MAX`: all).
    fail_writes: AtomicUsize,
    keep: usize,
    write_calls: AtomicUsize,
}

impl Faulty {
    fn new(inner: SqliteStore, fail_writes: usize, keep: usize) -> Self {
        Faulty {
            inner,
            fail_writes: AtomicUsize::new(fail_writes),
            keep,
            write_calls: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl Catalog for Faulty {
    async fn create_instance(&self, s: &Scope) -> StoreResult<bool> {
        self.inner.create_instance(s).await
    }
    async fn instance_exists(&self, s: &Scope) -> StoreResult<bool> {
        self.inner.instance_exists(s).await
    }
    async fn create_reference(&self, s: &Scope, r: &Reference) -> StoreResult<bool> {
        self.inner.create_reference(s, r).await
    }
    async fn list_references(&self, s: &Scope, k: ReferenceKind) -> StoreResult<Vec<Reference>> {
        self.inner.list_references(s, k).await
    }
    async fn create_group(&self, s: &Scope, g: &Group, l: u32) -> StoreResult<GroupCreate> {
        self.inner.create_group(s, g, l).await
    }
    async fn get_group(&self, s: &Scope, id: &Id) -> StoreResult<Option<Group>> {
        self.inner.get_group(s, id).await
    }
    async fn list_groups(&self, s: &Scope) -> StoreResult<Vec<Group>> {
        self.inner.list_groups(s).await
    }
    async fn list_apis(&self, s: &Scope, g: &Id) -> StoreResult<Vec<Api>> {
        self.inner.list_apis(s, g).await
    }
    async fn get_api(&self, s: &Scope, id: &Id) -> StoreResult<Option<Api>> {
        self.inner.get_api(s, id).await
    }
    async fn write_apis(
        &self,
        s: &Scope,
        g: &Id,
        mut writes: Vec<ApiWrite>,
        l: u32,
    ) -> StoreResult<Vec<ApiWriteOutcome>> {
        self.write_calls.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .fail_writes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            writes.truncate(self.keep);
            if !writes.is_empty() {
                self.inner.write_apis(s, g, writes, l).await?;
            }
            return Err(StoreError::new("injected: connection lost"));
        }
        self.inner.write_apis(s, g, writes, l).await
    }
    async fn get_shared(&self, s: &Scope, k: &SharedKey) -> StoreResult<Option<SharedObject>> {
        self.inner.get_shared(s, k).await
    }
    async fn list_shared(
        &self,
        s: &Scope,
        k: SharedKind,
        g: Option<&Id>,
    ) -> StoreResult<Vec<SharedObject>> {
        self.inner.list_shared(s, k, g).await
    }
    async fn write_shared(
        &self,
        s: &Scope,
        w: SharedWrite,
        l: Option<u32>,
    ) -> StoreResult<SharedWriteOutcome> {
        self.inner.write_shared(s, w, l).await
    }
    async fn put_import_record(&self, s: &Scope, r: &ImportRecord) -> StoreResult<()> {
        self.inner.put_import_record(s, r).await
    }
    async fn get_import_record(&self, s: &Scope, id: &Id) -> StoreResult<Option<ImportRecord>> {
        self.inner.get_import_record(s, id).await
    }
}

#[async_trait]
impl AccessKeyStore for Faulty {
    async fn create_access_key(&self, k: &AccessKey) -> StoreResult<bool> {
        self.inner.create_access_key(k).await
    }
    async fn get_access_key(&self, k: &str) -> StoreResult<Option<StoredAccessKey>> {
        self.inner.get_access_key(k).await
    }
    async fn list_access_keys(&self, p: &PathId) -> StoreResult<Vec<StoredAccessKey>> {
        self.inner.list_access_keys(p).await
    }
    async fn set_access_key_enabled(&self, p: &PathId, k: &str, e: bool) -> StoreResult<bool> {
        self.inner.set_access_key_enabled(p, k, e).await
    }
    async fn record_auth_failure(
        &self,
        k: &str,
        now: time::OffsetDateTime,
        policy: LockoutPolicy,
    ) -> StoreResult<Option<AccessKeyLock>> {
        self.inner.record_auth_failure(k, now, policy).await
    }
    async fn reset_auth_failures(&self, k: &str) -> StoreResult<()> {
        self.inner.reset_auth_failures(k).await
    }
}

#[async_trait]
impl TaskStore for Faulty {
    async fn create_task(&self, t: &Task) -> StoreResult<bool> {
        self.inner.create_task(t).await
    }
    async fn get_task(&self, s: &Scope, id: &Id) -> StoreResult<Option<Task>> {
        self.inner.get_task(s, id).await
    }
    async fn take_lease(
        &self,
        s: &Scope,
        id: &Id,
        o: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<Task>> {
        self.inner.take_lease(s, id, o, now, until).await
    }
    async fn finish_task(
        &self,
        s: &Scope,
        id: &Id,
        o: &str,
        e: &TaskEnd,
        now: i64,
    ) -> StoreResult<Option<Task>> {
        self.inner.finish_task(s, id, o, e, now).await
    }
    async fn unfinished_tasks(&self, limit: usize) -> StoreResult<Vec<(Scope, Id)>> {
        self.inner.unfinished_tasks(limit).await
    }
}

struct Setup {
    ctx: TaskContext,
    faulty: Arc<Faulty>,
    scope: Scope,
    _dir: tempfile::TempDir,
}

/// A store with an instance that has shop's channel and plugin registered.
async fn setup(fail_writes: usize, keep: usize) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = SqliteStore::in_memory().expect("store");
    let scope = scope();
    inner.create_instance(&scope).await.expect("instance");
    for (kind, name) in [
        (ReferenceKind::VpcChannel, "catalog_channel"),
        (ReferenceKind::Plugin, "audit_plugin"),
    ] {
        let reference = Reference {
            id: Id::generate(),
            kind,
            name: name.into(),
            created_at: apig_import::now_rfc3339(),
        };
        assert!(inner
            .create_reference(&scope, &reference)
            .await
            .expect("reference"));
    }
    let faulty = Arc::new(Faulty::new(inner, fail_writes, keep));
    let ctx = TaskContext {
        store: Arc::clone(&faulty) as Arc<dyn Store>,
        blobs: Arc::new(FileBlobStore::new(dir.path().join("blobs"))),
        limits: Limits::default(),
    };
    Setup {
        ctx,
        faulty,
        scope,
        _dir: dir,
    }
}

async fn submitted(setup: &Setup, id: &Id, document: bytes::Bytes) -> Task {
    let task = Task::new_import(
        id.clone(),
        setup.scope.clone(),
        ImportOptions::default(),
        None,
        "tests".into(),
        document_key(&setup.scope, id),
    );
    assert!(submit(&setup.ctx, &task, document.clone())
        .await
        .expect("submit"));
    // A duplicate submission collapses into the first.
    assert!(!submit(&setup.ctx, &task, document)
        .await
        .expect("submit again"));
    task
}

fn result_of(task: &Task) -> serde_json::Value {
    serde_json::from_str(&task.result).expect("task_result is a JSON string")
}

async fn counts(setup: &Setup) -> (usize, usize) {
    let groups = setup
        .faulty
        .list_groups(&setup.scope)
        .await
        .expect("groups");
    let mut apis = 0;
    for g in &groups {
        apis += setup
            .faulty
            .list_apis(&setup.scope, &g.id)
            .await
            .expect("apis")
            .len();
    }
    (groups.len(), apis)
}

/// A clean run's `task_result` for task `id` (on a store of its own).
async fn clean_result(id: &Id) -> String {
    let clean = setup(0, 0).await;
    // The same task id in another scope: the derived ids are the task's, not the scope's.
    submitted(&clean, id, shop()).await;
    let done = task::run(&clean.ctx, &clean.scope, id, "clean")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!(done.status, TaskStatus::Succeed);
    done.result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_run_twice_imports_once() {
    let setup = setup(0, 0).await;
    let id = Id::generate();
    submitted(&setup, &id, shop()).await;
    let done = task::run(&setup.ctx, &setup.scope, &id, "a")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!((done.status, done.attempts), (TaskStatus::Succeed, 1));
    let result = result_of(&done);
    let success = result["success"].as_array().expect("success");
    assert_eq!(success.len(), SHOP_CREATES, "{result}");
    assert!(success.iter().all(|s| s["action"] == "create"), "{result}");
    // The same message again: nothing runs, nothing changes.
    assert_eq!(
        task::run(&setup.ctx, &setup.scope, &id, "b")
            .await
            .expect("run"),
        None
    );
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
    let stored = setup.ctx.store.get_task(&setup.scope, &id).await.unwrap();
    assert_eq!(stored, Some(done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_run_concurrently_imports_once() {
    let setup = setup(0, 0).await;
    let id = Id::generate();
    submitted(&setup, &id, shop()).await;
    let runs = futures_util::future::join_all(
        ["a", "b", "c", "d"].map(|owner| task::run(&setup.ctx, &setup.scope, &id, owner)),
    )
    .await;
    let finished: Vec<Task> = runs.into_iter().filter_map(|r| r.expect("run")).collect();
    assert_eq!(finished.len(), 1, "exactly one run finishes the task");
    assert_eq!(finished[0].status, TaskStatus::Succeed);
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_after_the_group_and_half_the_apis_resumes_to_the_clean_result() {
    // The first write of APIs writes 3 of them, then the store "fails" and the worker dies.
    let setup = setup(1, SHOP_CREATES / 2).await;
    let id = Id::generate();
    let task = submitted(&setup, &id, shop()).await;
    let now = task::unix_now();
    // The dead worker's lease has expired already.
    let leased = setup
        .ctx
        .store
        .take_lease(&setup.scope, &id, "dead", now, now - 1)
        .await
        .unwrap()
        .expect("leased");
    let request = ImportRequest {
        scope: setup.scope.clone(),
        caller: task.caller.clone(),
        options: leased.options.clone(),
        document: shop(),
    };
    let cut = import::run_as(
        &*setup.faulty,
        &Limits::default(),
        request,
        &Writer::task(&id),
    )
    .await;
    assert_eq!(cut.expect_err("cut").code.as_str(), "APIG.9999");
    assert_eq!(
        counts(&setup).await,
        (1, SHOP_CREATES / 2),
        "group and half the APIs"
    );

    let resumed = task::run(&setup.ctx, &setup.scope, &id, "next")
        .await
        .expect("run")
        .expect("taken over and finished");
    assert_eq!((resumed.status, resumed.attempts), (TaskStatus::Succeed, 2));
    let result = result_of(&resumed);
    assert!(
        !resumed.result.contains("APIG.3201") && !resumed.result.contains("APIG.3301"),
        "{result}"
    );
    assert_eq!(
        resumed.result,
        clean_result(&id).await,
        "the clean run's task_result"
    );
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
    // The dead worker can no longer finish it.
    let end = TaskEnd {
        status: TaskStatus::Failed,
        result: "{}".into(),
    };
    assert_eq!(
        setup
            .ctx
            .store
            .finish_task(&setup.scope, &id, "dead", &end, now)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_keeps_failing_fails_the_task_after_bounded_retries() {
    let setup = setup(usize::MAX, 0).await;
    let id = Id::generate();
    submitted(&setup, &id, shop()).await;
    let done = task::run(&setup.ctx, &setup.scope, &id, "a")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!(done.status, TaskStatus::Failed);
    let error = result_of(&done);
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    assert_eq!(
        setup.faulty.write_calls.load(Ordering::SeqCst),
        task::STORE_RETRIES as usize + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_import_is_a_failed_task_with_its_error() {
    let setup = setup(0, 0).await;
    let first = Id::generate();
    submitted(&setup, &first, shop()).await;
    task::run(&setup.ctx, &setup.scope, &first, "a")
        .await
        .unwrap();
    let second = Id::generate();
    submitted(&setup, &second, shop()).await;
    let done = task::run(&setup.ctx, &setup.scope, &second, "a")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!(done.status, TaskStatus::Failed);
    let error = result_of(&done);
    assert_eq!(error["error_code"], "APIG.3201", "{error}");
    assert!(error["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
}

#[tokio::test]
async fn blobs_round_trip_and_stay_under_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = FileBlobStore::new(dir.path());
    assert_eq!(blobs.get_blob("tasks/p/i/x.doc").await.unwrap(), None);
    blobs
        .put_blob("tasks/p/i/x.doc", bytes::Bytes::from_static(b"one"))
        .await
        .unwrap();
    blobs
        .put_blob("tasks/p/i/x.doc", bytes::Bytes::from_static(b"two"))
        .await
        .unwrap();
    assert_eq!(
        blobs.get_blob("tasks/p/i/x.doc").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(blobs
        .put_blob("../escape", bytes::Bytes::new())
        .await
        .is_err());
}
