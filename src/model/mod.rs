//! The domain: API groups, APIs, backends, shared objects and the names that identify them.
//!
//! Types here are what the importer produces and the stores persist. They are built only
//! through the parsers in `spec` (or read back from a store), so a value of these types is
//! already valid: e.g. a [`names::Scope`] always holds well-formed ids, and an
//! [`api::Backend`] always has the endpoint that matches its type.

pub mod access_key;
pub mod api;
pub mod api_listing;
pub mod group;
pub mod ids;
pub mod import_options;
pub mod names;
pub mod route;
pub mod shared;
pub mod strings;
pub mod task;

pub use access_key::*;
pub use api::*;
pub use api_listing::*;
pub use group::*;
pub use ids::*;
pub use import_options::*;
pub use names::*;
pub use route::*;
pub use shared::*;
pub use task::*;

#[cfg(test)]
mod stored_json;
