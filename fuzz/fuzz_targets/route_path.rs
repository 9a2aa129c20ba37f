//! Bytes → the path handling: the request path templates of a document
//! (`spec::request_path::{join, parse}`), and the router's side: the stage / base path
//! strip, the ids of a path by route template, the canonical URI a signature covers.
//! Must never panic.
//!
//! Input layout: `base path` NUL `path key`, or a single path.
#![no_main]

use apig_import::auth::signature::canonical_uri;
use apig_import::http::edge::strip_base_path;
use apig_import::http::path::PathIds;
use apig_import::http::read::{APIS_ROUTE, API_GROUPS_ROUTE, API_ROUTE};
use apig_import::http::router::IMPORT_ROUTE;
use apig_import::spec::request_path::{join, parse};
use libfuzzer_sys::fuzz_target;

const TEMPLATES: [&str; 4] = [IMPORT_ROUTE, API_GROUPS_ROUTE, APIS_ROUTE, API_ROUTE];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (base, key) = text.split_once('\0').unwrap_or(("", text));

    let joined = join(base, key);
    if let Ok(vars) = parse(&joined) {
        // Accepted paths: start with '/', at most 512 characters, each variable once, a
        // greedy one only last.
        assert!(joined.starts_with('/'));
        assert!(joined.chars().count() <= 512);
        for (i, var) in vars.iter().enumerate() {
            assert!(vars[..i].iter().all(|v| v.name != var.name));
            assert!(!var.greedy || i + 1 == vars.len());
        }
    }
    let _ = parse(text);

    let routed = strip_base_path(text).unwrap_or(text);
    for template in TEMPLATES {
        if let Ok(ids) = PathIds::parse(template, routed) {
            let _ = ids.api_id();
        }
    }
    let _ = canonical_uri(text);
});
