//! Store factories for the contract suite: each returns a fresh store and whatever must
//! stay alive as long as it (a temporary directory, a server handle).

use apig_import::store::sqlite::SqliteStore;
use apig_import::store::Store;
use std::any::Any;
use std::sync::Arc;

/// A store under test and what keeps it alive.
pub struct StoreFixture {
    pub store: Arc<dyn Store>,
    pub guard: Option<Box<dyn Any + Send>>,
}

/// A private in-memory SQLite store.
pub async fn sqlite_memory() -> StoreFixture {
    let store = SqliteStore::in_memory().expect("open in-memory sqlite store");
    StoreFixture {
        store: Arc::new(store),
        guard: None,
    }
}

/// A SQLite store on a file in a fresh temporary directory.
pub async fn sqlite_file() -> StoreFixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("data").join("apig.db"))
        .expect("open file sqlite store");
    StoreFixture {
        store: Arc::new(store),
        guard: Some(Box::new(dir)),
    }
}
