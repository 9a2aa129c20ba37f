//! The options of one import, parsed from the form (`import-api.md` §1.1, §3.3).

use crate::model::Id;
use crate::spec::MapOptions;

/// `api_mode` / `extend_mode`: what to do when the imported object already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keep the stored object.
    #[default]
    Merge,
    /// Replace the stored object with the imported definition.
    Override,
}

impl Mode {
    /// Case-insensitive `merge` / `override`.
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("merge") {
            Some(Mode::Merge)
        } else if s.eq_ignore_ascii_case("override") {
            Some(Mode::Override)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Merge => "merge",
            Mode::Override => "override",
        }
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

/// Everything an import needs besides the document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportOptions {
    pub group: GroupTarget,
    pub api_mode: Mode,
    pub extend_mode: Mode,
    pub simple_mode: bool,
    pub mock_mode: bool,
}

impl ImportOptions {
    pub fn map_options(&self) -> MapOptions {
        MapOptions {
            simple_mode: self.simple_mode,
            mock_mode: self.mock_mode,
        }
    }

    /// The existing group's id, if it is well-formed.
    pub fn existing_group_id(&self) -> Option<Option<Id>> {
        match &self.group {
            GroupTarget::New => None,
            GroupTarget::Existing(raw) => Some(Id::parse(raw)),
        }
    }
}
