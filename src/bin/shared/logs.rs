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
