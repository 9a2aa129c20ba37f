//! Writes one generated document (`apig_import::docgen`) to standard output, for the
//! whole-process rows of `scripts/bench` and for trying imports by hand:
//!
//! ```text
//! cargo run --release --example docgen -- [swagger2|openapi30|openapi31] [json|yaml] OPERATIONS
//! ```
//!
//! Defaults: `openapi30 yaml 300`. The same arguments always give the same bytes.

use apig_import::docgen::{self, Format, Spec, Version};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut spec = Spec::new(Version::OpenApi30, Format::Yaml, 300);
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "swagger2" => spec.version = Version::Swagger2,
            "openapi30" => spec.version = Version::OpenApi30,
            "openapi31" => spec.version = Version::OpenApi31,
            "json" => spec.format = Format::Json,
            "yaml" => spec.format = Format::Yaml,
            other => match other.parse() {
                Ok(operations) => spec.operations = operations,
                Err(_) => {
                    eprintln!(
                        "docgen: {other:?}: expected swagger2|openapi30|openapi31, json|yaml or a number of operations"
                    );
                    return ExitCode::from(2);
                }
            },
        }
    }
    let text = docgen::generate(&spec);
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("docgen: {e}");
            ExitCode::FAILURE
        }
    }
}
