//! The command line and the document mapping: the `apig` binary as scripts use it, and
//! every shared fixture mapped by the spec parser.

// A test may unwrap: a panic is a failure, with its message.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

// The `apig` binary: exit statuses, printed ids and JSON, `apig serve`'s first start.
mod apig;
// Asynchronous tasks: run exactly once in effect; `apig serve` runs them, `--watch`, `task show`.
mod async_tasks;
// Every shared fixture mapped: which operations become APIs, which fail with which code.
mod spec_fixtures;
