//! apig-import: Huawei Cloud API Gateway's Import API, re-implemented as a serverless
//! function on AWS, with an embedded store for local use.
//!
//! Data flows one way: [`http`] → [`auth`] → [`spec`] → [`import`] → [`store`]; the read
//! operations ([`read`]) answer [`store`] contents shaped by [`views`].

pub mod auth;
pub mod cli;
pub mod config;
pub mod docgen;
pub mod error;
pub mod export;
pub mod http;
pub mod import;
pub mod model;
pub mod read;
pub mod spec;
pub mod store;
pub mod task;
pub mod views;

/// Now, as RFC 3339 UTC with second precision (timestamps of stored items).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
