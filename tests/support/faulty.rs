//! A real store behind a wrapper that injects the faults of the task tests: `write_apis`
//! failing (a store failure), hanging for good after part of its batch (a worker killed
//! there), or slow (a long import); and a race lost: another import's writes reaching the
//! store just before a batch. Everything else reaches the real store unchanged.

use apig_import::model::*;
use apig_import::store::*;
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Another import's writes, made from the batch they get ahead of.
pub type Rival = Box<dyn FnOnce(&[ApiWrite]) -> Vec<ApiWrite> + Send>;

pub struct FaultyStore {
    inner: Arc<dyn Store>,
    /// Calls of `write_apis` to fault, from now on (`usize::MAX`: all).
    fault_writes: AtomicUsize,
    /// APIs of a faulted call's batch written before the fault.
    keep: usize,
    /// The fault: hang for good (a kill) instead of failing.
    hang: AtomicBool,
    /// Before every `write_apis`: a long import.
    delay: Duration,
    killed: Notify,
    entered: Notify,
    /// Written just before the next batch of APIs.
    rival: Mutex<Option<Rival>>,
    /// Calls of `write_apis`, and those that wrote something.
    pub write_calls: AtomicUsize,
    pub writes_done: AtomicUsize,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        FaultyStore {
            inner,
            fault_writes: AtomicUsize::new(0),
            keep: 0,
            hang: AtomicBool::new(false),
            delay: Duration::ZERO,
            killed: Notify::new(),
            entered: Notify::new(),
            rival: Mutex::new(None),
            write_calls: AtomicUsize::new(0),
            writes_done: AtomicUsize::new(0),
        }
    }

    /// The next `calls` writes of APIs write the first `keep` of their batch, then fail.
    pub fn failing(mut self, calls: usize, keep: usize) -> Self {
        self.fault_writes = AtomicUsize::new(calls);
        self.keep = keep;
        self
    }

    /// The next write of APIs writes the first `keep` of its batch, then never returns:
    /// the worker is killed there ([`FaultyStore::killed`] says when).
    pub fn killing(mut self, keep: usize) -> Self {
        self.fault_writes = AtomicUsize::new(1);
        self.keep = keep;
        self.hang = AtomicBool::new(true);
        self
    }

    /// Just before the next write of APIs reaches the store, `rival`'s writes (given that
    /// batch) do: the batch was planned against what is no longer stored.
    pub fn raced(self, rival: Rival) -> Self {
        *self.rival.lock().unwrap() = Some(rival);
        self
    }

    /// Every write of APIs waits `delay` first.
    pub fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Resolves once a write of APIs has hung (the worker is "dead" from then on).
    pub async fn killed(&self) {
        self.killed.notified().await
    }

    /// Resolves once a write of APIs has started.
    pub async fn entered(&self) {
        self.entered.notified().await
    }

    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }
}

#[async_trait]
impl Catalog for FaultyStore {
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
        self.entered.notify_one();
        let rival = self.rival.lock().unwrap().take();
        if let Some(rival) = rival {
            self.inner.write_apis(s, g, rival(&writes), l).await?;
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let faulted = self
            .fault_writes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if !faulted {
            self.writes_done.fetch_add(1, Ordering::SeqCst);
            return self.inner.write_apis(s, g, writes, l).await;
        }
        writes.truncate(self.keep);
        if !writes.is_empty() {
            self.writes_done.fetch_add(1, Ordering::SeqCst);
            self.inner.write_apis(s, g, writes, l).await?;
        }
        if self.hang.load(Ordering::SeqCst) {
            self.killed.notify_one();
            std::future::pending::<()>().await;
        }
        Err(StoreError::new("injected: connection lost"))
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
impl AccessKeyStore for FaultyStore {
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
impl TaskStore for FaultyStore {
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
    async fn renew_lease(
        &self,
        s: &Scope,
        id: &Id,
        o: &str,
        until: i64,
    ) -> StoreResult<Option<Task>> {
        self.inner.renew_lease(s, id, o, until).await
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
