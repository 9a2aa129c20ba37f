//! The importer: from a parsed document and the import options to stored groups, shared
//! objects and APIs, and the response of `import-api.md` §3.4.

pub mod options;
pub mod response;

pub use options::{GroupTarget, ImportOptions, Mode};
pub use response::ImportResponse;

use crate::config::Limits;
use crate::error::ApigError;
use crate::model::Scope;
use crate::store::Store;

/// One import request, authenticated and decoded from the form.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub scope: Scope,
    /// Who asked (token subject or access key), recorded with the import.
    pub caller: String,
    pub options: ImportOptions,
    pub document: bytes::Bytes,
}

/// Run one import. Whole-request errors are returned as `Err`; per-API failures are items
/// of the response.
pub async fn run(
    store: &dyn Store,
    limits: &Limits,
    request: ImportRequest,
) -> Result<ImportResponse, ApigError> {
    let _ = (store, limits, request);
    Err(ApigError::internal())
}
