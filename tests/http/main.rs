//! The HTTP API through the real router: import, the read operations, authentication
//! (tokens and AK/SK signatures), the form, Lambda events, the request log and the local
//! server on a socket.

// A test may unwrap: a panic is a failure, with its message.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

// ExportApiDefinitionsAsync: 202, the export_api task, Huawei's FileName/FileType/Comment.
mod async_export;
// Token authentication and authorization, refused before the store and the body.
mod auth;
// ExportApiDefinitionsV2 end to end: the file, its headers, every error.
mod export;
// The import form, the routes and the error bodies.
mod form;
// Hostile requests at the edge: credentials before bytes, ambiguous credentials and parts,
// heavy imports off the async workers, the local server's timeouts and connection cap.
mod hostile;
// The hostile corpus: named requests (documents, forms, credentials, paths), each with its
// exact status and code, never a 500.
mod hostile_corpus;
// The import endpoint end to end on the embedded store, with the fixtures' outcomes.
mod import;
// `apig serve` under load: 200 concurrent imports into 20 groups, exact totals, latencies.
mod load;
// Lambda events (generated here) turned into requests as lambda_http does.
mod lambda;
// The request log: one JSON line per request, never a secret or document contents.
mod log;
// `dry_run=true`: the import's answer plus its plan, nothing written; `fail_on_warnings`.
mod plan;
// The read operations end to end, checked against the official SDK's models.
mod read;
// The local server: the same router on a real socket.
mod serve;
// AK/SK-signed imports on a real store, with an injected clock.
mod signature;
