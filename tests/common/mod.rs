//! Helpers shared by the integration tests: test data, store factories and the store
//! contract suite. Each test crate uses only part of it.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod fixtures;
pub mod store_contract;
pub mod stores;
