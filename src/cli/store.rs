//! Which store a process uses: [`open`] for `apig`, [`open_function`] for the Lambda
//! functions.
//!
//! * `apig` (serve, import, admin commands): the embedded SQLite store in the data
//!   directory by default; DynamoDB with `--store dynamodb` or `APIG_STORE=dynamodb`.
//! * `bootstrap` and `worker` (Lambda): DynamoDB. Built with the `lambda-sqlite` feature,
//!   `APIG_STORE=sqlite` selects the embedded store in `APIG_DATA_DIR` (default
//!   `/tmp/apig`, for trying the functions locally); without it SQLite is not linked into
//!   them at all (2.3 MB of the arm64 bootstrap) and `APIG_STORE=sqlite` is refused at start.
//!
//! DynamoDB: the table is `--table` / `APIG_TABLE`; the client takes its configuration from
//! the environment (region, credentials, `AWS_ENDPOINT_URL_DYNAMODB` for a local server).

use crate::store::dynamodb::DynamoStore;
use crate::store::sqlite::{Calls, SqliteStore};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The store implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// The embedded store: one SQLite file in the data directory.
    Sqlite,
    /// One DynamoDB table (`APIG_TABLE`).
    Dynamodb,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Dynamodb => "dynamodb",
        }
    }

    /// `sqlite` or `dynamodb`, any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Some(StoreKind::Sqlite),
            "dynamodb" => Some(StoreKind::Dynamodb),
            _ => None,
        }
    }
}

/// Where the store is: what [`open`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreChoice {
    pub kind: StoreKind,
    /// Data directory of the embedded store.
    pub data_dir: PathBuf,
    /// DynamoDB table name.
    pub table: Option<String>,
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreOpenError {
    #[error("the DynamoDB store needs a table name: set APIG_TABLE (or --table)")]
    NoTable,
    #[error("APIG_STORE={0:?} is not a store: use sqlite or dynamodb")]
    UnknownStore(String),
    #[error("data directory {path}: {detail}")]
    DataDir { path: PathBuf, detail: String },
    #[error(
        "APIG_STORE=sqlite: this build of the Lambda functions has no embedded store (deployed, \
         they use DynamoDB: APIG_STORE=dynamodb and APIG_TABLE); to try them locally on SQLite, \
         build them with the lambda-sqlite feature (cargo lambda watch --features lambda-sqlite)"
    )]
    NoEmbeddedStore,
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

impl StoreChoice {
    /// The Lambda function's choice, from the environment: `APIG_STORE` (default
    /// `dynamodb`), `APIG_TABLE`, `APIG_DATA_DIR` (default `/tmp/apig`, the only writable
    /// directory of a Lambda function).
    pub fn lambda_from_env() -> Result<Self, StoreOpenError> {
        let kind = match std::env::var("APIG_STORE") {
            Ok(value) if !value.trim().is_empty() => {
                StoreKind::parse(&value).ok_or(StoreOpenError::UnknownStore(value))?
            }
            _ => StoreKind::Dynamodb,
        };
        Ok(StoreChoice {
            kind,
            data_dir: std::env::var_os("APIG_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/tmp/apig")),
            table: std::env::var("APIG_TABLE")
                .ok()
                .filter(|t| !t.trim().is_empty()),
        })
    }

    /// A short description for logs: `sqlite:/tmp/apig/apig.db` or `dynamodb:TABLE`.
    pub fn describe(&self) -> String {
        match self.kind {
            StoreKind::Sqlite => format!("sqlite:{}", sqlite_path(&self.data_dir).display()),
            StoreKind::Dynamodb => format!("dynamodb:{}", self.table.as_deref().unwrap_or("")),
        }
    }
}

/// The embedded store's file inside the data directory.
pub fn sqlite_path(dir: &Path) -> PathBuf {
    dir.join("apig.db")
}

/// Open the chosen store.
pub async fn open(choice: &StoreChoice) -> Result<Arc<dyn Store>, StoreOpenError> {
    open_with(choice, Calls::BlockingPool).await
}

/// [`open`], with the embedded store's SQLite calls run where `calls` says (one-shot
/// commands run them on their own thread).
pub async fn open_with(
    choice: &StoreChoice,
    calls: Calls,
) -> Result<Arc<dyn Store>, StoreOpenError> {
    match choice.kind {
        StoreKind::Sqlite => {
            std::fs::create_dir_all(&choice.data_dir).map_err(|e| StoreOpenError::DataDir {
                path: choice.data_dir.clone(),
                detail: e.to_string(),
            })?;
            Ok(Arc::new(
                SqliteStore::open(&sqlite_path(&choice.data_dir))?.with_calls(calls),
            ))
        }
        StoreKind::Dynamodb => open_dynamodb(choice).await,
    }
}

/// The Lambda functions' [`open`]: the embedded store only with the `lambda-sqlite`
/// feature. Without it, nothing here reaches SQLite, so the link leaves it out.
pub async fn open_function(choice: &StoreChoice) -> Result<Arc<dyn Store>, StoreOpenError> {
    match choice.kind {
        StoreKind::Dynamodb => open_dynamodb(choice).await,
        #[cfg(feature = "lambda-sqlite")]
        StoreKind::Sqlite => open(choice).await,
        #[cfg(not(feature = "lambda-sqlite"))]
        StoreKind::Sqlite => Err(StoreOpenError::NoEmbeddedStore),
    }
}

async fn open_dynamodb(choice: &StoreChoice) -> Result<Arc<dyn Store>, StoreOpenError> {
    let table = choice.table.as_deref().ok_or(StoreOpenError::NoTable)?;
    dynamodb(table).await
}

/// The DynamoDB store on `table`, configured from the environment (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB`), with the store's retry and timeout settings.
pub async fn dynamodb(table: &str) -> Result<Arc<dyn Store>, StoreOpenError> {
    Ok(Arc::new(DynamoStore::from_env(table).await))
}

/// Create the DynamoDB table with the schema the store expects (idempotent; waits until it
/// is active). For local use: a deployed stack's table comes from template.yaml.
pub async fn create_table(table: &str) -> Result<(), StoreOpenError> {
    DynamoStore::from_env(table).await.create_table().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(StoreKind::parse("DynamoDB"), Some(StoreKind::Dynamodb));
        assert_eq!(StoreKind::parse(" sqlite "), Some(StoreKind::Sqlite));
        assert_eq!(StoreKind::parse("postgres"), None);
        let choice = StoreChoice {
            kind: StoreKind::Dynamodb,
            data_dir: PathBuf::from("/tmp/x"),
            table: Some("t".into()),
        };
        assert_eq!(choice.describe(), "dynamodb:t");
    }

    #[tokio::test]
    async fn dynamodb_needs_a_table() {
        let choice = StoreChoice {
            kind: StoreKind::Dynamodb,
            data_dir: PathBuf::from("/tmp/x"),
            table: None,
        };
        assert!(matches!(open(&choice).await, Err(StoreOpenError::NoTable)));
    }
}
