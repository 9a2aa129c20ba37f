//! The `apig` command-line tool (see `apig --help`).

fn main() -> std::process::ExitCode {
    apig_import::cli::main()
}
