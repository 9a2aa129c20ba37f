//! Limits and settings, with their defaults and the environment variables that change them.

use std::time::Duration;

/// The limits of `import-api.md` §6. Each is configurable (see [`Limits::from_env`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `APIG_MAX_DOCUMENT_BYTES`: size of the uploaded document (`APIG.3603`).
    pub max_document_bytes: usize,
    /// `APIG_MAX_OPERATIONS`: operations per import (`APIG.3127`).
    pub max_operations: usize,
    /// `APIG_MAX_APIS_PER_GROUP` (`APIG.3125`).
    pub max_apis_per_group: u32,
    /// `APIG_MAX_GROUPS_PER_INSTANCE` (`APIG.3101`).
    pub max_groups_per_instance: u32,
    /// `APIG_MAX_PARAMS_PER_API` (`APIG.3111`).
    pub max_params_per_api: usize,
    /// `APIG_MAX_BACKEND_POLICIES` (`APIG.3113`).
    pub max_backend_policies: usize,
    /// `APIG_MAX_THROTTLES_PER_INSTANCE` (`APIG.3107`).
    pub max_throttles_per_instance: u32,
    /// `APIG_MAX_ACLS_PER_INSTANCE` (`APIG.3112`).
    pub max_acls_per_instance: u32,
    /// Nesting depth of the document (`APIG.3602`).
    pub max_depth: usize,
    /// `APIG_BODY_TIMEOUT_SECS`: the whole request body must arrive within this time after
    /// its reading began, else 408 (a stalled upload holds its buffer and connection).
    pub body_timeout: Duration,
    /// `APIG_MAX_AUTHORIZERS`: custom authorizers defined by one document (`APIG.3602`).
    pub max_authorizers: usize,
    /// `APIG_MAX_GATEWAY_RESPONSES`: gateway response sets defined by one document
    /// (`APIG.3602`).
    pub max_gateway_responses: usize,
    /// `APIG_MAX_CONDITIONS_PER_POLICY`: conditions of one backend policy (per-API
    /// `APIG.3113`).
    pub max_conditions_per_policy: usize,
    /// `APIG_MAX_PLUGINS_PER_API`: plugins (and, likewise, orchestration rules) bound to one
    /// API (per-API `APIG.2011`).
    pub max_plugins_per_api: usize,
    /// `APIG_MAX_DOCUMENT_NODES`: values and keys (nodes) a document may decode to, counted
    /// as JSON is decoded and estimated on YAML's text before it is (`APIG.3602`); bounds
    /// the decoded tree's memory.
    pub max_document_nodes: usize,
    /// `APIG_MAP_THREADS`: threads that map one document's operations (the operations are
    /// independent; a document of fewer than [`MIN_OPERATIONS_PER_MAP_THREAD`] per thread
    /// uses fewer). Above 1, a YAML text of 64 KiB or more is also parsed on a thread of its
    /// own while the calling thread builds the tree, and when its `paths` can be cut, the
    /// later part by a third thread (`spec::yaml::Parsing::Threads`). Default: the CPUs
    /// available, at most 4; 1 decodes and maps on the calling thread; read as 1 to
    /// [`MAX_MAP_THREADS`].
    pub map_threads: usize,
}

/// The most mapping threads `APIG_MAP_THREADS` may ask for: each import starts its own.
pub const MAX_MAP_THREADS: usize = 16;

/// A mapping thread's smallest share of a document: below it, starting the thread costs
/// more than it saves.
pub const MIN_OPERATIONS_PER_MAP_THREAD: usize = 64;

/// The CPUs available to the process, at most 4 (beyond, a 300-operation document gains
/// nothing), read once.
fn default_map_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 10 * 1024 * 1024,
            max_operations: 300,
            max_apis_per_group: 1000,
            max_groups_per_instance: 1500,
            max_params_per_api: 50,
            max_backend_policies: 5,
            max_throttles_per_instance: 300,
            max_acls_per_instance: 100,
            max_depth: 128,
            body_timeout: Duration::from_secs(60),
            max_authorizers: 50,
            max_gateway_responses: 64,
            max_conditions_per_policy: 10,
            max_plugins_per_api: 10,
            max_document_nodes: 1_000_000,
            map_threads: default_map_threads(),
        }
    }
}

/// A setting from the environment that is present but not usable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is not valid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

fn env_number<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) => value.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            value: value.clone(),
            reason: e.to_string(),
        }),
        Err(_) => Ok(default),
    }
}

/// A duration in whole seconds (at least 1) from the environment.
fn env_secs(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    let secs: u64 = env_number(name, default.as_secs())?;
    if secs == 0 {
        return Err(ConfigError {
            name,
            value: "0".into(),
            reason: "must be at least 1 second".into(),
        });
    }
    Ok(Duration::from_secs(secs))
}

impl Limits {
    /// The defaults, overridden by any `APIG_MAX_*` variable that is set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Limits::default();
        Ok(Limits {
            max_document_bytes: env_number("APIG_MAX_DOCUMENT_BYTES", d.max_document_bytes)?,
            max_operations: env_number("APIG_MAX_OPERATIONS", d.max_operations)?,
            max_apis_per_group: env_number("APIG_MAX_APIS_PER_GROUP", d.max_apis_per_group)?,
            max_groups_per_instance: env_number(
                "APIG_MAX_GROUPS_PER_INSTANCE",
                d.max_groups_per_instance,
            )?,
            max_params_per_api: env_number("APIG_MAX_PARAMS_PER_API", d.max_params_per_api)?,
            max_backend_policies: env_number("APIG_MAX_BACKEND_POLICIES", d.max_backend_policies)?,
            max_throttles_per_instance: env_number(
                "APIG_MAX_THROTTLES_PER_INSTANCE",
                d.max_throttles_per_instance,
            )?,
            max_acls_per_instance: env_number(
                "APIG_MAX_ACLS_PER_INSTANCE",
                d.max_acls_per_instance,
            )?,
            max_depth: d.max_depth,
            body_timeout: env_secs("APIG_BODY_TIMEOUT_SECS", d.body_timeout)?,
            max_authorizers: env_number("APIG_MAX_AUTHORIZERS", d.max_authorizers)?,
            max_gateway_responses: env_number(
                "APIG_MAX_GATEWAY_RESPONSES",
                d.max_gateway_responses,
            )?,
            max_conditions_per_policy: env_number(
                "APIG_MAX_CONDITIONS_PER_POLICY",
                d.max_conditions_per_policy,
            )?,
            max_plugins_per_api: env_number("APIG_MAX_PLUGINS_PER_API", d.max_plugins_per_api)?,
            max_document_nodes: env_number("APIG_MAX_DOCUMENT_NODES", d.max_document_nodes)?,
            map_threads: env_number("APIG_MAP_THREADS", d.map_threads)?.clamp(1, MAX_MAP_THREADS),
        })
    }

    /// The largest multipart body accepted: the document plus room for the other fields
    /// and part headers.
    pub fn max_body_bytes(&self) -> usize {
        self.max_document_bytes + 64 * 1024
    }
}

/// Default lifetime of tokens made by `apig token`.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

/// What bounds the connections of `apig serve` (under Lambda the platform does this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    /// `APIG_HEADER_TIMEOUT_SECS`: a request's headers must arrive within this time of its
    /// first byte (slow-header clients are disconnected).
    pub header_timeout: Duration,
    /// `APIG_IDLE_TIMEOUT_SECS`: a kept-alive connection with no request in progress is
    /// closed after this time.
    pub idle_timeout: Duration,
    /// `APIG_MAX_CONNECTIONS`: connections served at once; further clients wait in the
    /// listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 256,
        }
    }
}

impl ServeSettings {
    /// The defaults, overridden by the variables that are set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = ServeSettings::default();
        let max_connections = env_number("APIG_MAX_CONNECTIONS", d.max_connections)?;
        if max_connections == 0 {
            return Err(ConfigError {
                name: "APIG_MAX_CONNECTIONS",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(ServeSettings {
            header_timeout: env_secs("APIG_HEADER_TIMEOUT_SECS", d.header_timeout)?,
            idle_timeout: env_secs("APIG_IDLE_TIMEOUT_SECS", d.idle_timeout)?,
            max_connections,
        })
    }
}
