//! Store factories for the contract suite: each returns a fresh store and whatever must
//! stay alive as long as it (a temporary directory, a server handle).

use apig_import::model::Id;
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::Store;
use std::any::Any;
use std::sync::Arc;

/// A store under test and what keeps it alive.
pub struct StoreFixture {
    pub store: Arc<dyn Store>,
    pub guard: Option<Box<dyn Any + Send>>,
}

/// A private in-memory SQLite store (always `Some`: every factory of the contract suite
/// may be skipped, like DynamoDB's without a server).
pub async fn sqlite_memory() -> Option<StoreFixture> {
    let store = SqliteStore::in_memory().expect("open in-memory sqlite store");
    Some(StoreFixture {
        store: Arc::new(store),
        guard: None,
    })
}

/// A SQLite store on a file in a fresh temporary directory.
pub async fn sqlite_file() -> Option<StoreFixture> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("data").join("apig.db"))
        .expect("open file sqlite store");
    Some(StoreFixture {
        store: Arc::new(store),
        guard: Some(Box::new(dir)),
    })
}

// ---------------------------------------------------------------------------------------
// DynamoDB (a local DynamoDB-compatible server: run the tests through scripts/dynamodb-local)
// ---------------------------------------------------------------------------------------

use apig_import::store::dynamodb::{retry_config, DynamoStore};
use aws_sdk_dynamodb::config::{Credentials, Region, SharedInterceptor};

/// The variable naming the DynamoDB endpoint of the tests.
pub const DYNAMODB_ENDPOINT_VAR: &str = "APIG_TEST_DYNAMODB_ENDPOINT";

/// The endpoint of the test DynamoDB server, or `None` (after a loud line) when it is not
/// configured. In CI (`CI` set) a missing server fails the test instead.
pub fn dynamodb_endpoint() -> Option<String> {
    match std::env::var(DYNAMODB_ENDPOINT_VAR) {
        Ok(e) if !e.trim().is_empty() => Some(e),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{DYNAMODB_ENDPOINT_VAR} is not set: the DynamoDB tests need a server; \
             run them through scripts/dynamodb-local (CI must not skip them)"
        ),
        _ => {
            eprintln!(
                "\n*** SKIPPED: DynamoDB test without a server ({DYNAMODB_ENDPOINT_VAR} unset); \
                 run through scripts/dynamodb-local ***\n"
            );
            None
        }
    }
}

/// A DynamoDB store on an existing `table` at `endpoint`, with the given interceptors.
pub fn dynamodb_store_on(
    endpoint: &str,
    table: &str,
    interceptors: Vec<SharedInterceptor>,
) -> DynamoStore {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint)
        .retry_config(retry_config());
    for i in interceptors {
        config = config.interceptor(i);
    }
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config.build()), table)
}

/// A DynamoDB store on a fresh table (created) at `endpoint`, with the given interceptors.
pub async fn dynamodb_store_at(
    endpoint: &str,
    interceptors: Vec<SharedInterceptor>,
) -> DynamoStore {
    let table = format!("apig-test-{}", Id::generate());
    let store = dynamodb_store_on(endpoint, &table, interceptors);
    store.create_table().await.expect("create test table");
    store
}

/// A DynamoDB store on a fresh table, or `None` when the tests have no server (not in CI).
pub async fn dynamodb_store() -> Option<DynamoStore> {
    let endpoint = dynamodb_endpoint()?;
    Some(dynamodb_store_at(&endpoint, Vec::new()).await)
}

/// A DynamoDB store on a fresh table, as a contract fixture (`None`: skipped).
pub async fn dynamodb() -> Option<StoreFixture> {
    let store = dynamodb_store().await?;
    Some(StoreFixture {
        store: Arc::new(store),
        guard: None,
    })
}
