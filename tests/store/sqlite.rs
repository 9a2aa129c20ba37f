//! What is particular to the SQLite store: the file, the schema version, integrity rules
//! that surface as `StoreError`, and errors that leave the store usable.

use crate::support::fixtures::*;
use apig_import::model::*;
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{
    AccessKeyStore, ApiWrite, ApiWriteOutcome, Catalog, GroupCreate, SharedWrite,
};

fn file_store() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("nested").join("dir").join("apig.db");
    let store = SqliteStore::open(&path).expect("open");
    (dir, path, store)
}

#[tokio::test]
async fn data_survives_reopening() {
    let (_dir, path, store) = file_store();
    let scope = instance(&store).await;
    let g = stored_group(&store, &scope, "durable").await;
    let a = full_api(&g.id);
    let out = store
        .write_apis(&scope, &g.id, vec![ApiWrite::Create(a.clone())], 10)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created]);
    drop(store);

    let again = SqliteStore::open(&path).expect("reopen");
    assert!(again.instance_exists(&scope).await.unwrap());
    assert_eq!(again.get_group(&scope, &g.id).await.unwrap(), Some(g));
    assert_eq!(again.get_api(&scope, &a.id).await.unwrap(), Some(a));
}

/// Closing does not checkpoint: the last writes stay in the WAL file beside the database,
/// and the next connection reads them from there.
#[tokio::test]
async fn closing_keeps_the_wal_and_reopening_reads_it() {
    let (_dir, path, store) = file_store();
    let scope = instance(&store).await;
    let g = stored_group(&store, &scope, "in_the_wal").await;
    drop(store);
    let wal = path.with_file_name("apig.db-wal");
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(size > 0, "the WAL was checkpointed and emptied at close");
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.get_group(&scope, &g.id).await.unwrap(), Some(g));
}

#[tokio::test]
async fn file_is_in_wal_mode_with_schema_version() {
    let (_dir, path, _store) = file_store();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode.to_ascii_lowercase(), "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}

/// A version 1 file (before the access-key and task tables were versioned) gets the
/// missing tables when opened, and the current version; a current file is left alone.
#[tokio::test]
async fn older_schema_is_upgraded_on_open() {
    let (_dir, path, store) = file_store();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE access_keys; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert!(store
        .list_access_keys(&PathId::parse("p").unwrap())
        .await
        .unwrap()
        .is_empty());
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}

#[test]
fn newer_schema_is_refused() {
    let (_dir, path, store) = file_store();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).expect_err("newer schema");
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn unusable_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A directory.
    assert!(SqliteStore::open(dir.path()).is_err());
    // Not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    assert!(SqliteStore::open(&junk).is_err());
}

#[tokio::test]
async fn integrity_rules_are_store_errors() {
    let store = SqliteStore::in_memory().unwrap();
    // Groups need a registered instance.
    let unregistered = scope();
    assert!(store
        .create_group(&unregistered, &group("orphan"), 10)
        .await
        .is_err());
    assert!(store
        .write_shared(&unregistered, SharedWrite::Create(throttle("t", 1)), None)
        .await
        .is_err());

    let scope = instance(&store).await;
    let g = stored_group(&store, &scope, "home").await;
    // An API whose group_id is not the group written into.
    let other = Id::generate();
    let stray = api(&other, "stray", Method::Get, "/stray");
    assert!(store
        .write_apis(&scope, &g.id, vec![ApiWrite::Create(stray.clone())], 10)
        .await
        .is_err());
    // A group that does not exist.
    assert!(store
        .write_apis(&scope, &other, vec![ApiWrite::Create(stray.clone())], 10)
        .await
        .is_err());
    assert_eq!(store.get_api(&scope, &stray.id).await.unwrap(), None);
    // Shared keys that disagree with their definition or scope.
    let mut wrong_kind = throttle("wrong_kind", 1);
    wrong_kind.key.kind = SharedKind::AccessControl;
    let mut grouped_throttle = throttle("grouped", 1);
    grouped_throttle.key.group_id = Some(g.id.clone());
    let mut ungrouped_response = gateway_responses(&g.id, "ungrouped", 429);
    ungrouped_response.key.group_id = None;
    for bad in [wrong_kind, grouped_throttle, ungrouped_response] {
        assert!(store
            .write_shared(&scope, SharedWrite::Create(bad), None)
            .await
            .is_err());
    }
    // The store is still usable after all of that.
    let ok = api(&g.id, "fine", Method::Get, "/fine");
    assert_eq!(
        store
            .write_apis(&scope, &g.id, vec![ApiWrite::Create(ok)], 10)
            .await
            .unwrap(),
        vec![ApiWriteOutcome::Created]
    );
}

#[tokio::test]
async fn a_failed_batch_writes_nothing() {
    let store = SqliteStore::in_memory().unwrap();
    let scope = instance(&store).await;
    let g = stored_group(&store, &scope, "atomic").await;
    let good = api(&g.id, "good", Method::Get, "/good");
    let mut unstorable = api(&g.id, "bad", Method::Get, "/bad");
    unstorable.version = u64::MAX;
    let result = store
        .write_apis(
            &scope,
            &g.id,
            vec![ApiWrite::Create(good.clone()), ApiWrite::Create(unstorable)],
            10,
        )
        .await;
    assert!(result.is_err());
    assert!(store.list_apis(&scope, &g.id).await.unwrap().is_empty());
    // And the next batch goes through.
    assert_eq!(
        store
            .write_apis(&scope, &g.id, vec![ApiWrite::Create(good)], 10)
            .await
            .unwrap(),
        vec![ApiWriteOutcome::Created]
    );
}

#[test]
fn works_without_a_tokio_runtime() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    fn poll_once<F: Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("a store call outside a runtime must complete inline"),
        }
    }
    let store = SqliteStore::in_memory().unwrap();
    let scope = scope();
    assert!(poll_once(store.create_instance(&scope)).unwrap());
    assert_eq!(
        poll_once(store.create_group(&scope, &group("no_runtime"), 1)).unwrap(),
        GroupCreate::Created
    );
}

#[tokio::test]
async fn clones_share_one_database() {
    let store = SqliteStore::in_memory().unwrap();
    let clone = store.clone();
    let scope = instance(&store).await;
    assert!(clone.instance_exists(&scope).await.unwrap());
    // Separate in-memory stores are separate databases.
    assert!(!SqliteStore::in_memory()
        .unwrap()
        .instance_exists(&scope)
        .await
        .unwrap());
}
