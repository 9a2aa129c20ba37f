//! The two function binaries at start-up: a configuration they cannot run with stops them
//! at once, with a log line that says what to change; built as deployed, they carry no
//! embedded store.

use std::process::{Command, Output};

/// `binary` run with only `env` (and `APIG_LOG=error`, unless `env` sets it).
fn start(binary: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(binary);
    command.env_clear().env("APIG_LOG", "error");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// Why the process stopped, after checking that it failed and said so twice: in its one
/// JSON log line, and in one line on standard error (no `Debug` dump of the error).
fn stop_reason(out: &Output) -> String {
    assert!(!out.status.success(), "the process started: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["level"], "ERROR", "{line}");
    assert_eq!(line["fields"]["message"], "the function stopped", "{line}");
    let reason = line["fields"]["error"].as_str().unwrap().to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, format!("the function stopped: {reason}\n"));
    reason
}

/// Why each function binary stops with `store` (the worker's bucket set).
fn stop_reasons(store: &str) -> Vec<(&'static str, String)> {
    [
        env!("CARGO_BIN_EXE_bootstrap"),
        env!("CARGO_BIN_EXE_worker"),
    ]
    .into_iter()
    .map(|binary| {
        let out = start(binary, &[("APIG_STORE", store), ("APIG_BUCKET", "b")]);
        (binary, stop_reason(&out))
    })
    .collect()
}

#[test]
fn a_dynamodb_store_without_a_table_is_named() {
    for (binary, reason) in stop_reasons("dynamodb") {
        assert!(reason.contains("set APIG_TABLE"), "{binary}: {reason}");
    }
}

/// Built as deployed (without the `lambda-sqlite` feature), the functions have no embedded
/// store: asking for it says how to get it, instead of failing later or silently using
/// another store.
#[cfg(not(feature = "lambda-sqlite"))]
#[test]
fn the_embedded_store_is_refused_with_the_feature_that_brings_it() {
    for (binary, reason) in stop_reasons("sqlite") {
        assert!(
            reason.starts_with(
                "APIG_STORE=sqlite: this build of the Lambda functions has no embedded store"
            ) && reason.contains("--features lambda-sqlite"),
            "{binary}: {reason}"
        );
    }
}

#[test]
fn an_unknown_store_is_named() {
    for (binary, reason) in stop_reasons("postgres") {
        assert_eq!(
            reason, "APIG_STORE=\"postgres\" is not a store: use sqlite or dynamodb",
            "{binary}"
        );
    }
}

/// The log filter cannot hide why a function stopped: standard error still says it.
#[test]
fn the_reason_survives_a_log_filter_that_hides_it() {
    let out = start(
        env!("CARGO_BIN_EXE_bootstrap"),
        &[("APIG_LOG", "off"), ("APIG_STORE", "dynamodb")],
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("the function stopped: ") && stderr.contains("set APIG_TABLE"),
        "{stderr}"
    );
}

/// Built as deployed, SQLite is not linked into the functions at all (2.3 MB of the arm64
/// bootstrap): the header SQLite writes at the start of every database file is in `apig`
/// and in neither function.
#[cfg(not(feature = "lambda-sqlite"))]
#[test]
fn sqlite_is_linked_into_apig_only() {
    const HEADER: &[u8] = b"SQLite format 3";
    let has_sqlite =
        |binary: &str| memchr::memmem::find(&std::fs::read(binary).unwrap(), HEADER).is_some();
    assert!(has_sqlite(env!("CARGO_BIN_EXE_apig")));
    assert!(!has_sqlite(env!("CARGO_BIN_EXE_bootstrap")));
    assert!(!has_sqlite(env!("CARGO_BIN_EXE_worker")));
}
