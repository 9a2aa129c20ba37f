//! The command line and the document mapping: the `apig` binary as scripts use it, and
//! every shared fixture mapped by the spec parser.

// A test may unwrap: a panic is a failure, with its message.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

// The `apig` binary: exit statuses, printed ids and JSON, `apig serve`'s first start.
mod apig;
// `apig import` on the worst documents: peak memory and CPU within their budgets.
mod memory_budget;
// The real-world corpus: six public documents imported as users would, checked against
// their README and field by field against the document.
mod realworld;
// Every shared fixture mapped: which operations become APIs, which fail with which code.
mod spec_fixtures;
