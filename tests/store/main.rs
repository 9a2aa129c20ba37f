//! The stores: the contract every store keeps (SQLite in memory, SQLite on a file,
//! DynamoDB), what is particular to each, races, faults and request counts. The DynamoDB
//! tests need the test server: `scripts/dynamodb-local cargo test --test store`.

// A test may unwrap: a panic is a failure, with its message.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

// The AWS path of async and dropped imports: router → S3 + SQS + DynamoDB → worker handler.
mod aws_tasks;
// The store contract, one case list run against every store.
mod contract;
// The test server conflicts like DynamoDB: overlapping transactions, in-flight items, tokens.
mod dynamodb_emulator;
// `DynamoStore::from_env` finds the server through the environment; `create_table` twice.
mod dynamodb_env;
// A write of many APIs failed at every request in turn leaves a consistent, resumable state.
mod dynamodb_faults;
// Racing writers on DynamoDB and on a SQLite file: routes, names and quotas hold.
mod dynamodb_races;
// The read path: listing entries render like whole items; the instance's API count exact.
mod dynamodb_reads;
// Round trips of a maximum-size import against DynamoDB, counted and bounded.
mod dynamodb_requests;
// The importer on DynamoDB: request counts, racing imports, faults half-way.
mod import_dynamodb;
// An unchanged 300-API document re-imported with override writes no API (requests counted).
mod import_noop_dynamodb;
// A DynamoDB server lost mid-import: an opaque 500, then the next import completes the state.
mod outage;
// A plan (dry run) on DynamoDB issues reads only (requests counted).
mod plan_dynamodb;
// A task's lease is renewed while it runs; a run that lost it stops (SQLite and DynamoDB).
mod task_leases;
// Imports racing into one group from threads with their own SQLite connections, and an
// import another got ahead of: override plans again, merge reports the winner.
mod import_race;
// Separate `SqliteStore` values racing on one file.
mod race;
// What is particular to SQLite: the file, the schema version, integrity errors.
mod sqlite;
