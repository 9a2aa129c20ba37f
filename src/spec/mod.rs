//! From an uploaded document to API definitions: decode JSON or YAML within limits, detect
//! Swagger 2.0 / OpenAPI 3.x, resolve internal `$ref`s where the mapping reads, and map
//! every operation (with its `x-apigateway-*` extensions) onto an [`ApiDefinition`].
//!
//! Pure and synchronous: no I/O, no store. Whether a referenced object exists in the
//! instance is for the importer to decide; this module only says which names are used.

use crate::config::Limits;
use crate::error::{ApiFailure, ApigError, Code};
use crate::model::{ApiDefinition, SharedDefinition, SharedKind};

/// Decode and map an uploaded document.
///
/// Document-level problems (`import-api.md` §3.1: empty, too large, syntax, not a 2.0 /
/// 3.x document, bombs, unusable servers, too many operations) are an `Err`; a problem in
/// one operation or shared object is reported in its own item and fails nothing else.
pub fn parse_document(
    bytes: &[u8],
    options: MapOptions,
    limits: &Limits,
) -> Result<ParsedDocument, ApigError> {
    let value = decode::decode(bytes, limits)?;
    let doc = document::Document::new(&value)?;
    let slots = operations::collect(&doc);
    // Counted before anything is mapped; `trace` operations are not APIs and do not count.
    let count = slots.iter().filter(|s| s.counts()).count();
    if count > limits.max_operations {
        return Err(ApigError::new(
            Code::Apig3127,
            format!(
                "the document has {count} operations, at most {} may be imported at a time",
                limits.max_operations
            ),
        ));
    }
    let info = value.get("info");
    let info_text = |key: &str| {
        info.and_then(|i| i.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    Ok(ParsedDocument {
        title: info_text("title"),
        description: info_text("description"),
        shared: if options.simple_mode {
            Vec::new()
        } else {
            shared::shared_items(&doc)
        },
        operations: operations::map(&doc, slots, options, limits),
    })
}

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
mod operations;
mod params;
mod policies;
mod request_path;
mod samples;
mod security;
mod shared;
