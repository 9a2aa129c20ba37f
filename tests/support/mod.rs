//! Helpers shared by the test binaries (`tests/store`, `tests/http`, `tests/lambda`,
//! `tests/cli`), each of which declares `#[path = "../support/mod.rs"] mod support;`.
//! Each binary uses only part of it.
#![allow(dead_code, unused_imports)]

/// A real application: the router on an embedded store, a registered instance, a token.
pub mod app;
/// A real store with injected faults: failing, killed half-way, slow writes of APIs.
pub mod faulty;
/// Test data: scopes, groups, APIs, shared objects, import records.
pub mod fixtures;
/// One-shot calls through the real router on a store that must never be reached.
pub mod router;
/// The real `apig serve` on a loopback port.
pub mod serve;
/// Store factories: SQLite in memory, SQLite on a file, DynamoDB on the test server.
pub mod stores;

use std::path::PathBuf;

/// The path of a shared fixture (`../shared/fixtures/RELATIVE`, beside the repository).
pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(relative)
}

/// The bytes of a shared fixture; a missing one fails the test with its path.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = fixture_path(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
