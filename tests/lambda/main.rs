//! The Lambda packaging: the events of `events/` through the router as lambda_http hands
//! them over, and `template.yaml` in agreement with the code.

// A test may unwrap: a panic is a failure, with its message.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

// Every event of `events/` answers as `events/manifest.json` says.
mod events;
// The function binaries stop at start-up, saying why, on a configuration they cannot run;
// they carry no embedded store unless built with `lambda-sqlite`.
mod start;
// `template.yaml`: routes, table keys, environment, no secret.
mod template;
