//! The options of one import, as the form (or the CLI) gives them and as the import record
//! keeps them (`import-api.md` §1.1, §3.3). One type serves both, so a new form field is
//! added here and in the form parser only.

use super::strings::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// `api_mode` / `extend_mode`: what to do when the imported object already exists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Mode {
        /// Keep the stored object.
        #[default]
        Merge = "merge",
        /// Replace the stored object with the imported definition.
        Override = "override",
    }
}

impl Mode {
    /// Case-insensitive `merge` / `override` (the form's spelling is free).
    pub fn parse(s: &str) -> Option<Self> {
        s.to_ascii_lowercase().parse().ok()
    }
}

/// Where the imported APIs go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GroupTarget {
    /// `is_create_group=true`: a new group named after `info.title`.
    #[default]
    New,
    /// `is_create_group=false` with this `group_id`. Kept as sent: an id that is not
    /// well-formed simply names no group (`APIG.3001`).
    Existing(String),
}

/// Everything an import needs besides the document; stored with the import record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Recorded as `is_create_group` only: the record names the group in its own
    /// `group_id`, so read back from a record an `Existing` target carries no id.
    #[serde(rename = "is_create_group", with = "create_group_flag")]
    pub group: GroupTarget,
    pub api_mode: Mode,
    pub extend_mode: Mode,
    pub simple_mode: bool,
    pub mock_mode: bool,
}

/// [`GroupTarget`] as the form's `is_create_group` flag.
mod create_group_flag {
    use super::GroupTarget;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(group: &GroupTarget, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*group == GroupTarget::New)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<GroupTarget, D::Error> {
        Ok(if bool::deserialize(d)? {
            GroupTarget::New
        } else {
            GroupTarget::Existing(String::new())
        })
    }
}
