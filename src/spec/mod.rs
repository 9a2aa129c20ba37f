//! From an uploaded document to API definitions: decode JSON or YAML within limits, detect
//! Swagger 2.0 / OpenAPI 3.x, resolve internal `$ref`s where the mapping reads, and map
//! every operation (with its `x-apigateway-*` extensions) onto an [`ApiDefinition`].
//!
//! Pure and synchronous: no I/O, no store. Whether a referenced object exists in the
//! instance is for the importer to decide; this module only says which names are used.

use crate::error::ApiFailure;
use crate::model::{ApiDefinition, SharedDefinition, SharedKind};

/// The import options that change how a document is mapped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapOptions {
    pub simple_mode: bool,
    pub mock_mode: bool,
}

/// A decoded, mapped document.
#[derive(Debug, Clone)]
pub struct ParsedDocument {
    /// `info.title`, if it is a string.
    pub title: Option<String>,
    /// `info.description`, if it is a string.
    pub description: Option<String>,
    /// Shared objects defined in the document, in document order (empty in simple mode).
    pub shared: Vec<SharedItem>,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
}

/// A shared object defined in the document: valid, or the failure that every API
/// referencing it will report.
#[derive(Debug, Clone)]
pub struct SharedItem {
    pub kind: SharedKind,
    pub name: String,
    /// JSON pointer of the definition.
    pub pointer: String,
    pub definition: Result<SharedDefinition, ApiFailure>,
}

/// One operation of the document.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Upper case: `GET`, ..., `ANY`, `TRACE`.
    pub method: String,
    /// Full request path (base path included), as it will be stored.
    pub path: String,
    /// JSON pointer of the operation object.
    pub pointer: String,
    pub outcome: OperationOutcome,
}

#[derive(Debug, Clone)]
pub enum OperationOutcome {
    Api(Box<ApiDefinition>),
    Failed(ApiFailure),
    /// Not representable in APIG (`trace`): reported in `ignore[]`.
    Ignored,
}

mod backend;
mod bounded;
mod decode;
mod document;
mod names;
mod node;
mod params;
mod policies;
mod request_path;
mod samples;
mod security;
mod shared;
