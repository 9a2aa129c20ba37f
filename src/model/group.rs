//! API groups, import records and the objects documents reference by name.

use super::ids::Id;
use super::import_options::ImportOptions;
use super::names::GroupName;
use super::strings::string_enum;
use serde::{Deserialize, Serialize};

/// An API group of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: Id,
    pub name: GroupName,
    pub remark: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

string_enum! {
    /// Objects that documents reference by name but never import (`extensions.md`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum ReferenceKind {
        VpcChannel = "vpc_channel",
        Plugin = "plugin",
        Orchestration = "orchestration",
    }
}

/// A registered VPC channel, plugin or orchestration rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub id: Id,
    pub kind: ReferenceKind,
    pub name: String,
    pub created_at: String,
}

/// The record of one import, so that the response's `swagger.id` refers to something real.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub id: Id,
    pub group_id: Id,
    /// Who imported: the token subject or access key.
    pub caller: String,
    pub options: ImportOptions,
    /// Lower-case hex SHA-256 of the uploaded document.
    pub document_sha256: String,
    pub success: u32,
    pub failure: u32,
    pub ignore: u32,
    pub result: String,
    pub created_at: String,
    /// What was imported but not as the document said (`import-api.md` §3.4). Absent from
    /// records written before warnings existed, and omitted when empty so that those
    /// records write back unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ImportWarning>,
}

string_enum! {
    /// Why something was imported but not as the document said (`import-api.md` §3.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum WarningCode {
        DescriptionCut = "description_cut",
        MockExampleSkipped = "mock_example_skipped",
        ServerUrlWithoutScheme = "server_url_without_scheme",
        SecurityNotMapped = "security_not_mapped",
        /// Another route of the group captures this one's requests first (plans only).
        ShadowedRoute = "shadowed_route",
    }
}

/// One warning of an import: `method`/`path` name the API, both empty for the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    pub method: String,
    pub path: String,
    pub code: WarningCode,
    pub message: String,
}

impl ImportWarning {
    /// A warning about the document as a whole (group description, servers).
    pub fn document(code: WarningCode, message: impl Into<String>) -> Self {
        ImportWarning {
            method: String::new(),
            path: String::new(),
            code,
            message: message.into(),
        }
    }
}
