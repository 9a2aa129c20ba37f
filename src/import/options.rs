//! What the import does with its options beyond storing them (the type is
//! [`crate::model::ImportOptions`], shared with the import record).

use crate::model::Id;
pub use crate::model::{GroupTarget, ImportOptions, Mode};
use crate::spec::MapOptions;

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
