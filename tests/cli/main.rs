//! The command line and the documents: the `apig` binary as scripts use it, every shared
//! fixture mapped by the spec parser, the round trip through export, budgets.

// A test may unwrap: a panic is a failure, with its message.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

// The `apig` binary: exit statuses, printed ids and JSON, `apig serve`'s first start.
mod apig;
// `apig import` on the worst documents: peak memory and CPU within their budgets.
mod memory_budget;
// Import → export → import gives the same APIs and the same file (fixtures and 200 seeded
// documents).
mod round_trip;
// Asynchronous tasks: run exactly once in effect; `apig serve` runs them, `--watch`, `task show`.
mod async_tasks;
// `apig plan`: a modified shop shows exactly its changed fields, nothing written, exit codes,
// shadowed routes and `--fail-on-warnings`.
mod plan;
// The real-world corpus: six public documents imported as users would, checked against
// their README and field by field against the document.
mod realworld;
// Every shared fixture mapped: which operations become APIs, which fail with which code.
mod spec_fixtures;
