//! The import response body (`import-api.md` §3.4).

use crate::model::ImportWarning;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    #[serde(rename = "create")]
    Create,
    #[serde(rename = "update")]
    Update,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuccessItem {
    pub path: String,
    pub method: String,
    pub action: Action,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureItem {
    pub path: String,
    pub method: String,
    pub error_code: String,
    pub error_msg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoreItem {
    pub path: String,
    pub method: String,
}

/// `Success` when nothing failed, `Failure` when nothing succeeded, else `Partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Success,
    Partial,
    Failure,
}

impl Outcome {
    pub fn of(successes: usize, failures: usize) -> Self {
        match (successes, failures) {
            (_, 0) => Outcome::Success,
            (0, _) => Outcome::Failure,
            _ => Outcome::Partial,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "Success",
            Outcome::Partial => "Partial",
            Outcome::Failure => "Failure",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwaggerInfo {
    pub id: String,
    pub result: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportResponse {
    pub group_id: String,
    pub success: Vec<SuccessItem>,
    pub failure: Vec<FailureItem>,
    pub ignore: Vec<IgnoreItem>,
    /// What was imported but not as the document said: the document's first, then each
    /// imported API's in document order.
    pub warnings: Vec<ImportWarning>,
    pub swagger: SwaggerInfo,
    /// Repeated at the top level because the published example shows it there.
    pub swagger_id: String,
    pub result: Outcome,
}
