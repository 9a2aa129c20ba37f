//! What each `apig` command does.

use super::store::{self, StoreKind};
use super::{
    Cli, Command, DataDir, InstanceArgs, InstanceCommand, KeyCommand, ReferenceCommand,
    TableCommand, TaskCommand,
};
use crate::auth::access_key::new_access_key;
use crate::auth::{token, LocalKey, Signing, SigningSecret};
use crate::config::Limits;
use crate::error::ApigError;
use crate::export::{self, Define, ExportFormat, ExportRequest, OasVersion};
use crate::import::{self, Checks, GroupTarget, ImportOptions, ImportRequest, Mode, Writer};
use crate::model::{Id, PathId, Reference, ReferenceKind, Scope};
use crate::store::sqlite::Calls;
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Exit status of `apig import` when the import ran but some or all APIs failed.
const EXIT_PARTIAL: u8 = 3;
/// Exit status when the request was refused as a whole (the APIG error is printed).
const EXIT_REFUSED: u8 = 2;
/// Exit status of `apig plan --exit-code` when the import would change something.
const EXIT_CHANGES: u8 = 2;

/// A command failure that is not an APIG error: bad arguments, unusable data directory.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("data directory {path}: {detail}")]
    DataDir { path: PathBuf, detail: String },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    StoreOpen(#[from] store::StoreOpenError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("request refused: {0}")]
    Refused(ApigError),
}

pub fn run(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("apig: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(CliError::Refused(error)) => {
            let body =
                serde_json::json!({"error_code": error.code.as_str(), "error_msg": error.message});
            println!("{body}");
            ExitCode::from(EXIT_REFUSED)
        }
        Err(error) => {
            eprintln!("apig: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Serve {
            listen,
            watch,
            data,
        } => serve(listen, watch, &data).await,
        Command::Task {
            command: TaskCommand::Show { id, target, data },
        } => show_task(&id, &target, &data).await,
        Command::Import {
            file,
            target,
            group_id,
            api_mode,
            extend_mode,
            simple_mode,
            mock_mode,
            fail_on_warnings,
            data,
        } => {
            let options = ImportOptions {
                group: group_id.map_or(GroupTarget::New, GroupTarget::Existing),
                api_mode: mode("--api-mode", &api_mode)?,
                extend_mode: mode("--extend-mode", &extend_mode)?,
                simple_mode,
                mock_mode,
            };
            let checks = Checks { fail_on_warnings };
            import_file(&file, &target, options, checks, &data).await
        }
        Command::Plan {
            file,
            target,
            group_id,
            api_mode,
            extend_mode,
            simple_mode,
            mock_mode,
            exit_code,
            fail_on_warnings,
            data,
        } => {
            let options = ImportOptions {
                group: group_id.map_or(GroupTarget::New, GroupTarget::Existing),
                api_mode: mode("--api-mode", &api_mode)?,
                extend_mode: mode("--extend-mode", &extend_mode)?,
                simple_mode,
                mock_mode,
            };
            let checks = Checks { fail_on_warnings };
            plan_file(&file, &target, options, checks, exit_code, &data).await
        }
        Command::Export {
            target,
            group_id,
            define,
            oas,
            format,
            version,
            apis,
            output,
            data,
        } => {
            let request = ExportRequest {
                env_id: export::RELEASE_ENV_ID.to_string(),
                group_id,
                define: Define::parse(&define).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--define: {define:?} is not spec, proxy, all or dev"
                    ))
                })?,
                format: ExportFormat::parse(&format).ok_or_else(|| {
                    CliError::Usage(format!("--type: {format:?} is not json, yaml or yml"))
                })?,
                oas: OasVersion::parse(&oas)
                    .ok_or_else(|| CliError::Usage(format!("--oas: {oas:?} is not 2.0 or 3.0")))?,
                version,
                apis,
            };
            export_group(&target, &request, output.as_deref(), &data).await
        }
        Command::Token {
            project,
            actions,
            ttl,
            subject,
            data,
        } => {
            let project = path_id("--project", &project)?;
            let secret = token_secret(&data)?;
            let token = token::issue(&secret, &subject, project.as_str(), &actions, ttl)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Instance {
            command:
                InstanceCommand::Create {
                    project,
                    instance,
                    data,
                },
        } => {
            let project = path_id("--project", &project)?;
            let instance = match instance {
                Some(raw) => path_id("--instance", &raw)?,
                None => path_id("--instance", Id::generate().as_str())?,
            };
            let store = open_store(&data).await?;
            store
                .create_instance(&Scope::new(project, instance.clone()))
                .await?;
            println!("{instance}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Table {
            command: TableCommand::Create { data },
        } => {
            let table = data
                .table
                .as_deref()
                .ok_or(store::StoreOpenError::NoTable)?;
            store::create_table(table).await?;
            println!("{table}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Key { command } => key(command).await,
        Command::Channel { command } => reference(ReferenceKind::VpcChannel, command).await,
        Command::Plugin { command } => reference(ReferenceKind::Plugin, command).await,
        Command::Orchestration { command } => {
            reference(ReferenceKind::Orchestration, command).await
        }
    }
}

fn mode(flag: &str, value: &str) -> Result<Mode, CliError> {
    Mode::parse(value)
        .ok_or_else(|| CliError::Usage(format!("{flag} must be merge or override, not {value:?}")))
}

fn path_id(flag: &str, value: &str) -> Result<PathId, CliError> {
    PathId::parse(value).ok_or_else(|| {
        CliError::Usage(format!(
            "{flag} must be 1-64 characters of [A-Za-z0-9_-], not {value:?}"
        ))
    })
}

fn scope(target: &InstanceArgs) -> Result<Scope, CliError> {
    Ok(Scope::new(
        path_id("--project", &target.project)?,
        path_id("--instance", &target.instance)?,
    ))
}

fn data_dir(data: &DataDir) -> Result<&Path, CliError> {
    std::fs::create_dir_all(&data.data_dir).map_err(|e| CliError::DataDir {
        path: data.data_dir.clone(),
        detail: e.to_string(),
    })?;
    Ok(&data.data_dir)
}

/// The embedded store's file inside the data directory.
pub fn store_path(dir: &Path) -> PathBuf {
    store::sqlite_path(dir)
}

/// The store the options select (the same function chooses the Lambda function's store),
/// for a one-shot command: its SQLite calls run on the command's own thread.
async fn open_store(data: &DataDir) -> Result<Arc<dyn Store>, CliError> {
    open_store_with(data, Calls::Caller).await
}

async fn open_store_with(data: &DataDir, calls: Calls) -> Result<Arc<dyn Store>, CliError> {
    if data.store == StoreKind::Sqlite {
        data_dir(data)?;
    }
    Ok(store::open_with(&data.store_choice(), calls).await?)
}

/// The HS256 secret of tokens, the same for `apig token` and `apig serve`: the deployed
/// function's (`APIG_TOKEN_SECRET`, as the function reads it) when set, else the data
/// directory's local key.
fn token_secret(data: &DataDir) -> Result<Vec<u8>, CliError> {
    match std::env::var("APIG_TOKEN_SECRET") {
        Ok(secret) if !secret.is_empty() => Ok(secret.into_bytes()),
        _ => Ok(local_key(data)?.secret().to_vec()),
    }
}

fn local_key(data: &DataDir) -> Result<LocalKey, CliError> {
    let dir = data_dir(data)?;
    LocalKey::load_or_create(dir).map_err(|e| CliError::DataDir {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The signing secret: `APIG_SIGNING_SECRET`, else the data directory's `signing.key`.
fn signing_secret(data: &DataDir) -> Result<SigningSecret, CliError> {
    let dir = data_dir(data)?;
    SigningSecret::resolve(dir).map_err(|e| CliError::DataDir {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })
}

fn access_key_arg(value: &str) -> Result<&str, CliError> {
    if crate::model::is_valid_access_key(value) {
        Ok(value)
    } else {
        Err(CliError::Usage(format!(
            "the access key must be 1-128 letters and digits, not {value:?}"
        )))
    }
}

async fn key(command: KeyCommand) -> Result<ExitCode, CliError> {
    match command {
        KeyCommand::Create {
            project,
            actions,
            data,
        } => {
            let project = path_id("--project", &project)?;
            let actions: Vec<String> = actions.iter().map(|a| a.trim().to_string()).collect();
            if actions.is_empty() || actions.iter().any(String::is_empty) {
                return Err(CliError::Usage(
                    "--actions must list non-empty actions, comma-separated".to_string(),
                ));
            }
            let secret = signing_secret(&data)?;
            let store = open_store(&data).await?;
            // 36^20 ids: a collision is practically impossible, but creation is conditional.
            for _ in 0..3 {
                let (key, secret_key) = new_access_key(&secret, project.clone(), actions.clone());
                if store.create_access_key(&key).await? {
                    let body = serde_json::json!({
                        "access_key": key.access_key,
                        "secret_key": secret_key,
                        "project_id": key.project_id.as_str(),
                        "actions": key.actions,
                    });
                    println!("{body}");
                    return Ok(ExitCode::SUCCESS);
                }
            }
            Err(CliError::Usage(
                "could not generate an unused access key".to_string(),
            ))
        }
        KeyCommand::List { project, data } => {
            let project = path_id("--project", &project)?;
            let store = open_store(&data).await?;
            for stored in store.list_access_keys(&project).await? {
                let key = stored.key;
                let state = if key.enabled { "enabled" } else { "disabled" };
                println!("{}\t{state}\t{}", key.access_key, key.actions.join(","));
            }
            Ok(ExitCode::SUCCESS)
        }
        KeyCommand::Disable {
            access_key,
            project,
            data,
        } => set_key_enabled(&access_key, &project, &data, false).await,
        KeyCommand::Enable {
            access_key,
            project,
            data,
        } => set_key_enabled(&access_key, &project, &data, true).await,
    }
}

async fn set_key_enabled(
    access_key: &str,
    project: &str,
    data: &DataDir,
    enabled: bool,
) -> Result<ExitCode, CliError> {
    let project = path_id("--project", project)?;
    let access_key = access_key_arg(access_key)?;
    let store = open_store(data).await?;
    if !store
        .set_access_key_enabled(&project, access_key, enabled)
        .await?
    {
        return Err(CliError::Usage(format!(
            "project {project} has no access key {access_key}"
        )));
    }
    Ok(ExitCode::SUCCESS)
}

/// The request of `apig import` / `apig plan` for `file`.
fn file_request(
    file: &Path,
    target: &InstanceArgs,
    options: ImportOptions,
) -> Result<ImportRequest, CliError> {
    let scope = scope(target)?;
    let document = std::fs::read(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    Ok(ImportRequest {
        scope,
        caller: "cli".to_string(),
        options,
        document: document.into(),
    })
}

async fn import_file(
    file: &Path,
    target: &InstanceArgs,
    options: ImportOptions,
    checks: Checks,
    data: &DataDir,
) -> Result<ExitCode, CliError> {
    let request = file_request(file, target, options)?;
    let limits = Limits::from_env()?;
    let store = open_store(data).await?;
    let response = import::run_checked(&*store, &limits, request, &Writer::once(), checks)
        .await
        .map_err(CliError::Refused)?;
    let body =
        serde_json::to_string_pretty(&response).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{body}");
    Ok(if response.failure.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// `apig plan`: the planned response and its plan; with `exit_code`, the status says
/// whether anything would change (0 / 2), a refusal being 1 (2 is taken by "changes").
async fn plan_file(
    file: &Path,
    target: &InstanceArgs,
    options: ImportOptions,
    checks: Checks,
    exit_code: bool,
    data: &DataDir,
) -> Result<ExitCode, CliError> {
    let request = file_request(file, target, options)?;
    let limits = Limits::from_env()?;
    let store = open_store(data).await?;
    let planned = match import::plan(&*store, &limits, request, checks).await {
        Ok(planned) => planned,
        Err(error) if exit_code => {
            let body =
                serde_json::json!({"error_code": error.code.as_str(), "error_msg": error.message});
            println!("{body}");
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => return Err(CliError::Refused(error)),
    };
    let body =
        serde_json::to_string_pretty(&planned).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{body}");
    Ok(if exit_code && planned.plan.changes {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    })
}

/// `apig export`: the file to `output` (its name is printed), or to standard output.
async fn export_group(
    target: &InstanceArgs,
    request: &ExportRequest,
    output: Option<&Path>,
    data: &DataDir,
) -> Result<ExitCode, CliError> {
    let scope = scope(target)?;
    let store = open_store(data).await?;
    let file = export::export(&*store, &scope, request)
        .await
        .map_err(CliError::Refused)?;
    match output {
        Some(path) => {
            std::fs::write(path, file.text.as_bytes())?;
            eprintln!("{} ({})", path.display(), file.file_name);
        }
        None => print!("{}", file.text),
    }
    Ok(ExitCode::SUCCESS)
}

async fn reference(kind: ReferenceKind, command: ReferenceCommand) -> Result<ExitCode, CliError> {
    match command {
        ReferenceCommand::Create { target, name, data } => {
            let scope = scope(&target)?;
            if name.is_empty() || name.chars().count() > 64 {
                return Err(CliError::Usage(
                    "--name must have 1 to 64 characters".to_string(),
                ));
            }
            let store = open_store(&data).await?;
            if !store.instance_exists(&scope).await? {
                return Err(CliError::Refused(ApigError::instance_not_found(&scope)));
            }
            let reference = Reference {
                id: Id::generate(),
                kind,
                name,
                created_at: crate::now_rfc3339(),
            };
            if !store.create_reference(&scope, &reference).await? {
                return Err(CliError::Usage(format!(
                    "a {} named {:?} already exists",
                    kind.as_str(),
                    reference.name
                )));
            }
            println!("{}", reference.id);
            Ok(ExitCode::SUCCESS)
        }
        ReferenceCommand::List { target, data } => {
            let scope = scope(&target)?;
            let store = open_store(&data).await?;
            for reference in store.list_references(&scope, kind).await? {
                println!("{}\t{}", reference.id, reference.name);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The demo project and instance registered on first start, kept in the data directory.
#[derive(serde::Serialize, serde::Deserialize)]
struct Demo {
    project_id: String,
    instance_id: String,
}

async fn serve(
    listen: std::net::SocketAddr,
    watch: Option<PathBuf>,
    data: &DataDir,
) -> Result<ExitCode, CliError> {
    let dir = data_dir(data)?.to_path_buf();
    let limits = Limits::from_env()?;
    // A demo project and instance on the first start: a new embedded store, or (DynamoDB)
    // no demo recorded in this data directory yet.
    let first_start = match data.store {
        StoreKind::Sqlite => !store_path(&dir).exists(),
        StoreKind::Dynamodb => !dir.join("demo.json").exists(),
    };
    let store = open_store_with(data, Calls::BlockingPool).await?;
    let secret = token_secret(data)?;
    let settings = crate::config::ServeSettings::from_env()?;
    let signing = Signing::new(signing_secret(data)?);
    let demo_file = dir.join("demo.json");
    if first_start {
        let demo = Demo {
            project_id: Id::generate().to_string(),
            instance_id: Id::generate().to_string(),
        };
        let scope = Scope::new(
            path_id("project", &demo.project_id)?,
            path_id("instance", &demo.instance_id)?,
        );
        store.create_instance(&scope).await?;
        let json =
            serde_json::to_string_pretty(&demo).map_err(|e| CliError::Usage(e.to_string()))?;
        std::fs::write(&demo_file, json)?;
    }
    let demo: Option<Demo> = std::fs::read(&demo_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let state = crate::http::AppState {
        store,
        limits,
        keys: Arc::new(
            crate::auth::TokenKeys::hmac(&secret).map_err(|e| CliError::Usage(e.to_string()))?,
        ),
        signing: Some(Arc::new(signing)),
    };
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    println!(
        "apig-import listening on http://{address} (store {}, data directory {})",
        data.store_choice().describe(),
        dir.display()
    );
    if let Some(demo) = demo {
        print_demo(&demo, &secret, address)?;
    }
    // Tasks run in this process: documents under the data directory, the worker woken by
    // each submission and resuming what a previous process left unfinished.
    let wake = crate::task::worker::Wake::default();
    let ctx = crate::task::TaskContext::new(
        Arc::clone(&state.store),
        Arc::new(crate::store::FileBlobStore::new(dir.join("blobs"))),
        state.limits.clone(),
    );
    let queue = crate::http::tasks::TaskQueue {
        blobs: Arc::clone(&ctx.blobs),
        wake: Some(wake.clone()),
        messages: None,
    };
    let worker = crate::task::worker::spawn(ctx.clone(), wake.clone());
    let watcher = watch.map(|watched| {
        println!("watching {} for documents", watched.display());
        crate::task::watch::spawn(watched, ctx, wake)
    });
    let router = crate::http::router_with_tasks(state, Some(queue));
    let served = crate::http::serve_listener_with(router, listener, settings).await;
    worker.abort();
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

fn print_demo(demo: &Demo, secret: &[u8], address: std::net::SocketAddr) -> Result<(), CliError> {
    let actions = vec!["apig:*".to_string()];
    let token = token::issue(
        secret,
        "demo-user",
        &demo.project_id,
        &actions,
        crate::config::DEFAULT_TOKEN_TTL,
    )
    .map_err(|e| CliError::Usage(e.to_string()))?;
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/petstore.yaml");
    let sample = if sample.exists() {
        sample
    } else {
        PathBuf::from("examples/petstore.yaml")
    };
    println!("demo project:  {}", demo.project_id);
    println!("demo instance: {}", demo.instance_id);
    println!("token (12h):   {token}");
    println!("import a sample document:");
    println!(
        "  curl -sS -H 'X-Auth-Token: {token}' -F file_name=@{} http://{address}/v2/{}/apigw/instances/{}/openapi/import",
        sample.display(),
        demo.project_id,
        demo.instance_id
    );
    Ok(())
}

/// `apig task show`: the task as ShowAsyncTaskResult answers it.
async fn show_task(id: &str, target: &InstanceArgs, data: &DataDir) -> Result<ExitCode, CliError> {
    let scope = scope(target)?;
    let store = open_store(data).await?;
    let not_found = || {
        CliError::Refused(ApigError::with_message(
            crate::error::Code::Apig3093,
            format!(
                "The asynchronous task {} does not exist",
                crate::error::echo(id)
            ),
        ))
    };
    let id = Id::parse(id).ok_or_else(not_found)?;
    let task = store.get_task(&scope, &id).await?.ok_or_else(not_found)?;
    let view = crate::http::tasks::TaskView::of(&task);
    let json = serde_json::to_string_pretty(&view).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}
