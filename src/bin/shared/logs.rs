//! The Lambda functions' logs: JSON lines on stdout (CloudWatch), filtered by `APIG_LOG`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// `APIG_LOG` is read as target directives (`info`, `apig_import=debug,warn`): `tracing`'s
/// filter syntax without span and field filters. Those need `EnvFilter`, whose regex engine
/// is ~0.3 MiB of each function; `apig` keeps the full syntax. An empty or unreadable value
/// is `info`.
pub fn init() {
    let filter = std::env::var("APIG_LOG")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .and_then(|value| value.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(false)
                .without_time(),
        )
        .with(filter)
        .init();
}

/// The process's exit: a function that cannot start (or whose runtime loop fails) says why,
/// with the error's message and its causes. Returning the error from `main` would print its
/// `Debug` form instead (`Error: NoTable`). The JSON log line is for queries; the line on
/// standard error (which Lambda keeps too) is there whatever `APIG_LOG` filters out.
pub fn exit(result: Result<(), lambda_http::Error>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            let error = with_causes(error.as_ref());
            tracing::error!(%error, "the function stopped");
            eprintln!("the function stopped: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `error: cause: cause...`, leaving out a cause whose text the message already ends with
/// (errors that display their source as their own message).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
