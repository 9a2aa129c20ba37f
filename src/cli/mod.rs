//! The `apig` command-line tool: the local endpoint, imports without HTTP, and the admin
//! commands that scripts need (instances, tokens, access keys, referenced objects).

mod commands;
pub mod store;

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Huawei Cloud API Gateway's Import API, locally or as a Lambda function.
#[derive(Debug, Parser)]
#[command(name = "apig", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the store and the local keys are.
#[derive(Debug, Clone, Args)]
pub struct DataDir {
    /// Data directory of the embedded store and the local token and signing keys.
    #[arg(long, env = "APIG_DATA_DIR", default_value = ".apig", global = true)]
    pub data_dir: PathBuf,
    /// The store: `sqlite` (embedded, in the data directory) or `dynamodb` (the table
    /// `--table`; AWS configuration from the environment, `AWS_ENDPOINT_URL_DYNAMODB` for a
    /// local server).
    #[arg(
        long,
        env = "APIG_STORE",
        default_value = "sqlite",
        global = true,
        ignore_case = true
    )]
    pub store: store::StoreKind,
    /// DynamoDB table (with `--store dynamodb`).
    #[arg(long, env = "APIG_TABLE", global = true)]
    pub table: Option<String>,
}

impl DataDir {
    /// The store these options select.
    pub fn store_choice(&self) -> store::StoreChoice {
        store::StoreChoice {
            kind: self.store,
            data_dir: self.data_dir.clone(),
            table: self.table.clone(),
        }
    }
}

/// The instance a command works on.
#[derive(Debug, Clone, Args)]
pub struct InstanceArgs {
    /// Project id (1–64 of `[A-Za-z0-9_-]`).
    #[arg(long)]
    pub project: String,
    /// Instance id (1–64 of `[A-Za-z0-9_-]`).
    #[arg(long)]
    pub instance: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local endpoint (on the embedded store unless `--store dynamodb`).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "APIG_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Import documents dropped into `DIR/{project_id}/{instance_id}/`; results are
        /// written to `DIR/results/{project_id}/{instance_id}/{name}.json`.
        #[arg(long, value_name = "DIR")]
        watch: Option<PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Import a document without HTTP; prints the response JSON.
    Import {
        /// The Swagger 2.0 / OpenAPI 3.x document (JSON or YAML).
        file: PathBuf,
        #[command(flatten)]
        target: InstanceArgs,
        /// Import into this existing group instead of creating one from `info.title`.
        #[arg(long)]
        group_id: Option<String>,
        /// `merge` (existing APIs are kept) or `override` (they are replaced).
        #[arg(long, default_value = "merge")]
        api_mode: String,
        /// `merge` or `override` for shared objects (policies, authorizers, responses).
        #[arg(long, default_value = "merge")]
        extend_mode: String,
        /// Basic definitions only, with safe repairs.
        #[arg(long)]
        simple_mode: bool,
        /// Every API gets a MOCK backend.
        #[arg(long)]
        mock_mode: bool,
        /// Refuse (APIG.2012) when a route would be shadowed by another.
        #[arg(long)]
        fail_on_warnings: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Plan an import without writing anything: prints the response the import would give
    /// now, plus its `plan` (per API create / update / unchanged / conflict with field
    /// diffs, shared objects, shadowed routes). With `--exit-code`: 0 when nothing would
    /// change, 2 when something would, 1 when the import would be refused.
    Plan {
        /// The Swagger 2.0 / OpenAPI 3.x document (JSON or YAML).
        file: PathBuf,
        #[command(flatten)]
        target: InstanceArgs,
        /// Plan the import into this existing group instead of a new one.
        #[arg(long)]
        group_id: Option<String>,
        /// `merge` or `override`.
        #[arg(long, default_value = "merge")]
        api_mode: String,
        /// `merge` or `override` for shared objects.
        #[arg(long, default_value = "merge")]
        extend_mode: String,
        #[arg(long)]
        simple_mode: bool,
        #[arg(long)]
        mock_mode: bool,
        /// Exit 0 when nothing would change, 2 when something would.
        #[arg(long)]
        exit_code: bool,
        /// Refuse (APIG.2012) when a route would be shadowed by another.
        #[arg(long)]
        fail_on_warnings: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Export a group as Swagger 2.0 / OpenAPI 3.0 without HTTP (`ExportApiDefinitionsV2`);
    /// writes the file to `-o` (else to standard output).
    Export {
        #[command(flatten)]
        target: InstanceArgs,
        /// The group to export.
        #[arg(long)]
        group_id: String,
        /// `spec` (frontend), `proxy` (+ backends), `all` (+ policies, authorizers, gateway
        /// responses and references: lossless), `dev` (like `all`).
        #[arg(long, default_value = "spec")]
        define: String,
        /// `2.0` or `3.0`.
        #[arg(long, default_value = "2.0")]
        oas: String,
        /// `json`, `yaml` or `yml`.
        #[arg(long = "type", default_value = "json")]
        format: String,
        /// `info.version` of the file (default: the current date and time).
        #[arg(long)]
        version: Option<String>,
        /// Export only these API ids (comma-separated).
        #[arg(long, value_delimiter = ',')]
        apis: Vec<String>,
        /// Output file.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        data: DataDir,
    },
    /// Print a token for `X-Auth-Token`, signed with `APIG_TOKEN_SECRET` when set (a
    /// deployed function's secret), else with the data directory's local key.
    Token {
        /// The project the token is scoped to.
        #[arg(long)]
        project: String,
        /// Permitted actions, comma-separated.
        #[arg(long, default_value = "apig:*", value_delimiter = ',')]
        actions: Vec<String>,
        /// Lifetime, e.g. `30m`, `12h`, `7d`.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
        /// The caller the token names (`sub`).
        #[arg(long, default_value = "local-user")]
        subject: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Access keys for AK/SK-signed requests (the official SDKs).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Instances.
    Instance {
        #[command(subcommand)]
        command: InstanceCommand,
    },
    /// The DynamoDB table.
    Table {
        #[command(subcommand)]
        command: TableCommand,
    },
    /// VPC channels that documents reference by name.
    Channel {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// Plugins that documents reference by name.
    Plugin {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// Orchestration rules that documents reference by name.
    Orchestration {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// Asynchronous tasks.
    Task {
        #[command(subcommand)]
        command: TaskCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Print a task as ShowAsyncTaskResult answers it (JSON).
    Show {
        /// The task id.
        id: String,
        #[command(flatten)]
        target: InstanceArgs,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, Subcommand)]
pub enum TableCommand {
    /// Create the DynamoDB table (`--table` / `APIG_TABLE`) with the schema the store
    /// expects, for local use (a deployed stack's table comes from template.yaml).
    /// Idempotent; waits until the table is active.
    Create {
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// Register an instance of a project; prints its id.
    Create {
        #[arg(long)]
        project: String,
        /// The id to use; a new one is generated when omitted.
        #[arg(long)]
        instance: Option<String>,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an access key of a project; prints one JSON object with the AK and the SK
    /// (the SK is not stored and cannot be shown again).
    Create {
        /// The project the key is scoped to.
        #[arg(long)]
        project: String,
        /// Permitted actions, comma-separated.
        #[arg(long, default_value = "apig:*", value_delimiter = ',')]
        actions: Vec<String>,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the keys of a project: AK, enabled/disabled, actions (tab-separated).
    List {
        #[arg(long)]
        project: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Disable a key: signatures made with it are refused.
    Disable {
        /// The access key (AK).
        access_key: String,
        #[arg(long)]
        project: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// Enable a disabled key again.
    Enable {
        /// The access key (AK).
        access_key: String,
        #[arg(long)]
        project: String,
        #[command(flatten)]
        data: DataDir,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Register one by name; prints its id.
    Create {
        #[command(flatten)]
        target: InstanceArgs,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        data: DataDir,
    },
    /// List the registered names.
    List {
        #[command(flatten)]
        target: InstanceArgs,
        #[command(flatten)]
        data: DataDir,
    },
}

/// Parse the command line, run the command, and exit with its status.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logs();
    commands::run(cli)
}

/// Logs go to stderr (stdout carries command output for scripts): human-readable, or JSON
/// lines with `APIG_LOG_FORMAT=json`; filtered by `APIG_LOG` (default `info`).
fn init_logs() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("APIG_LOG").unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("APIG_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().init();
    } else {
        builder.init();
    }
}
