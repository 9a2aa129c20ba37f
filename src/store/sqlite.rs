//! The embedded store: SQLite (bundled), one file under the data directory.
//!
//! * Every table is keyed by `project_id, instance_id` first; every query names both, so
//!   nothing of another project or instance is ever visible or able to collide.
//! * Entities are stored as JSON in a `body` column next to the key columns that the
//!   UNIQUE indexes need, and read back exactly as written.
//! * Uniqueness rests on UNIQUE indexes (group name per instance; API name and API route key
//!   per group; shared object name per instance + kind + group scope; reference name per
//!   instance + kind). Conditional writes run inside `BEGIN IMMEDIATE` transactions, so the
//!   check and the write see the same database even with many connections on one file.
//! * [`Catalog::write_apis`] carries a whole batch in one transaction and reports each
//!   write's outcome on its own. Each write is one INSERT or UPDATE that the indexes accept
//!   or refuse (a refused statement is undone on its own, the transaction goes on); only a
//!   refused one looks up which rule it broke.
//! * SQLite is blocking: each operation runs in `tokio::task::spawn_blocking` (or, for a
//!   one-shot command, on the caller's thread: [`Calls`]) on the one connection of the
//!   store, behind a mutex.
//!
//! A replacement (API or shared object) keeps the stored `id` and `created_at`; everything
//! else is taken from the replacing value. Listings come in insertion order.
//!
//! Referential integrity: an API's group must exist in the same instance, and groups,
//! references, shared objects and import records need a registered instance
//! ([`Catalog::create_instance`]); a write breaking this is a [`StoreError`].
//!
//! Access keys are the exception to the tenant keying: `access_keys` is keyed by the AK
//! alone (authentication looks a key up before it knows the project), with an index on
//! `project_id` for listings. Columns, not JSON, since `enabled` and the lockout state
//! (`failures`, `locked_until` in Unix seconds) change in place. The table was added
//! without a schema version bump: `CREATE TABLE IF NOT EXISTS` adds it to older files.

use super::{
    check_api_batch, check_shared, shared_listing, AccessKeyStore, ApiWrite, ApiWriteOutcome,
    Catalog, GroupCreate, GroupCreated, GroupLimits, KeepIdentity, QuotaHold, SharedCreate,
    SharedWrite, SharedWriteOutcome, StoreError, StoreResult,
};
use crate::model::{
    from_unix_seconds, unix_seconds, AccessKey, AccessKeyLock, Api, Group, Id, ImportRecord,
    LockoutPolicy, PathId, Reference, ReferenceKind, RouteKey, Scope, SharedKey, SharedKind,
    SharedObject, StoredAccessKey,
};
use async_trait::async_trait;
use rusqlite::config::DbConfig;
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod tasks;

/// The schema version this code writes (`PRAGMA user_version`). A file at this version has
/// every table and index, so opening it writes nothing; any change to the schema must bump
/// it. 2: the access-key and task tables, which version 1 files may lack.
const SCHEMA_VERSION: i64 = 2;

/// How long a statement waits for another connection's lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times `BEGIN IMMEDIATE` (and the opening pragmas) are retried on `SQLITE_BUSY`
/// after the busy timeout gave up.
const BUSY_RETRIES: u32 = 8;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS instances (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id)
);

CREATE TABLE IF NOT EXISTS refs (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id, kind, name),
    FOREIGN KEY (project_id, instance_id) REFERENCES instances (project_id, instance_id)
);

CREATE TABLE IF NOT EXISTS api_groups (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id, id),
    UNIQUE (project_id, instance_id, name),
    FOREIGN KEY (project_id, instance_id) REFERENCES instances (project_id, instance_id)
);

CREATE TABLE IF NOT EXISTS apis (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    route_key   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id, id),
    UNIQUE (project_id, instance_id, group_id, name),
    UNIQUE (project_id, instance_id, group_id, route_key),
    FOREIGN KEY (project_id, instance_id, group_id)
        REFERENCES api_groups (project_id, instance_id, id)
);

CREATE TABLE IF NOT EXISTS shared_objects (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    group_scope TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id, kind, group_scope, name),
    FOREIGN KEY (project_id, instance_id) REFERENCES instances (project_id, instance_id)
);

CREATE TABLE IF NOT EXISTS import_records (
    project_id  TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (project_id, instance_id, id),
    FOREIGN KEY (project_id, instance_id) REFERENCES instances (project_id, instance_id)
);

CREATE TABLE IF NOT EXISTS access_keys (
    access_key   TEXT NOT NULL PRIMARY KEY,
    project_id   TEXT NOT NULL,
    actions      TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER
);

CREATE INDEX IF NOT EXISTS access_keys_by_project ON access_keys (project_id);
"#;

/// The embedded [`Store`](super::Store): one SQLite connection, shared by clones of the value.
///
/// Several `SqliteStore` values may open the same file (e.g. several processes): every
/// conditional write is an immediate transaction and the UNIQUE indexes hold the rules.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    calls: Calls,
}

/// Where a store's SQLite calls (which block) run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Calls {
    /// On Tokio's blocking pool, so that a server's async workers stay free.
    #[default]
    BlockingPool,
    /// On the calling thread: for a one-shot command, whose one task waits for each call
    /// anyway. The calls then allocate from the allocator arena that the freed decoded
    /// document went back to, instead of growing a pool thread's own (a 5,000-operation
    /// `apig import` peaks ~6 MiB lower).
    Caller,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// Map a rusqlite error to a [`StoreError`], saying what was being done.
trait Context<T> {
    fn ctx(self, what: &str) -> StoreResult<T>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn ctx(self, what: &str) -> StoreResult<T> {
        self.map_err(|e| StoreError::new(format_args!("sqlite: {what}: {e}")))
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// Run `f`, retrying a bounded number of times while the database is busy.
fn retry_busy<T>(what: &str, mut f: impl FnMut() -> Result<T, rusqlite::Error>) -> StoreResult<T> {
    let mut attempt = 0;
    loop {
        match f() {
            Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(5 << attempt.min(6)));
            }
            other => return other.ctx(what),
        }
    }
}

/// `BEGIN IMMEDIATE`: take the write lock now, so the checks of a conditional write and the
/// write itself see the same database.
fn immediate(conn: &Connection) -> StoreResult<Transaction<'_>> {
    retry_busy("begin immediate", || {
        Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
    })
}

fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::new(format_args!("encode: {e}")))
}

fn from_json<T: DeserializeOwned>(body: &str) -> StoreResult<T> {
    serde_json::from_str(body).map_err(|e| StoreError::new(format_args!("decode: {e}")))
}

fn decode_all<T: DeserializeOwned>(bodies: Vec<String>) -> StoreResult<Vec<T>> {
    bodies.iter().map(|b| from_json(b)).collect()
}

/// The key columns of a scope.
struct Tenant {
    project: String,
    instance: String,
}

impl Tenant {
    fn of(scope: &Scope) -> Self {
        Tenant {
            project: scope.project_id.as_str().to_string(),
            instance: scope.instance_id.as_str().to_string(),
        }
    }
}

/// The `group_scope` column of a shared key: the group id for group-scoped kinds, else `''`.
fn group_scope(key: &SharedKey) -> &str {
    key.group_id.as_ref().map(Id::as_str).unwrap_or("")
}

fn route_key(api: &Api) -> String {
    let d = &api.definition;
    RouteKey::new(d.method, &d.path, d.match_mode).storage_key()
}

impl SqliteStore {
    /// Open (or create) the database file at `path`, creating its directory and the schema.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::new(format_args!("create directory {}: {e}", dir.display()))
            })?;
        }
        let conn = Connection::open(path).ctx("open database")?;
        Self::init(conn, true)
    }

    /// A private in-memory database (tests).
    pub fn in_memory() -> StoreResult<Self> {
        let conn = Connection::open_in_memory().ctx("open in-memory database")?;
        Self::init(conn, false)
    }

    fn init(conn: Connection, file: bool) -> StoreResult<Self> {
        conn.busy_timeout(BUSY_TIMEOUT).ctx("set busy timeout")?;
        if file {
            let mode: String = retry_busy("set journal mode", || {
                conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            })?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::new(format_args!(
                    "sqlite: journal mode WAL refused (got {mode})"
                )));
            }
            // Closing leaves the WAL to the next checkpoint (SQLite's automatic one, every
            // 1,000 pages) instead of copying it into the file then: committed data is in
            // the synced WAL either way, and a command on a current file spends 15–25 %
            // less wall time (benches/BASELINE.md). apig.db, -wal and -shm belong together.
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
                .ctx("keep the WAL at close")?;
        }
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .ctx("enable foreign keys")?;
        // A current file is opened without a write transaction (and its fsyncs): the
        // version is read first, and only an older or new file takes the lock below.
        let current: i64 = retry_busy("read schema version", || {
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        })?;
        if current != SCHEMA_VERSION {
            let tx = immediate(&conn)?;
            let version: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .ctx("read schema version")?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::new(format_args!(
                    "sqlite: schema version {version} is newer than this program's {SCHEMA_VERSION}"
                )));
            }
            tx.execute_batch(SCHEMA).ctx("create schema")?;
            tx.execute_batch(tasks::SCHEMA).ctx("create task schema")?;
            tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))
                .ctx("write schema version")?;
            tx.commit().ctx("commit schema")?;
        }
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            calls: Calls::default(),
        })
    }

    /// This store with its SQLite calls run where `calls` says.
    pub fn with_calls(mut self, calls: Calls) -> Self {
        self.calls = calls;
        self
    }

    /// The entity with this id in one of the tenant's tables (`None` if absent).
    async fn read_by_id<T: DeserializeOwned>(
        &self,
        scope: &Scope,
        table: &'static str,
        id: &Id,
        what: &'static str,
    ) -> StoreResult<Option<T>> {
        let t = Tenant::of(scope);
        let id = id.as_str().to_string();
        let body = self
            .run(move |conn| {
                let sql = format!(
                    "SELECT body FROM {table} WHERE project_id = ?1 AND instance_id = ?2 AND id = ?3"
                );
                query_body(conn, &sql, params![t.project, t.instance, id], what)
            })
            .await?;
        body.as_deref().map(from_json).transpose()
    }

    /// Run `f` with the connection where [`Calls`] says (on the calling thread as well when
    /// not inside a Tokio runtime, rather than panicking).
    async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let job = move || {
            let guard = conn
                .lock()
                .map_err(|_| StoreError::new("sqlite: connection mutex poisoned"))?;
            f(&guard)
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) if self.calls == Calls::BlockingPool => handle
                .spawn_blocking(job)
                .await
                .map_err(|e| StoreError::new(format_args!("sqlite: blocking task failed: {e}")))?,
            _ => job(),
        }
    }
}

fn query_bodies(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    what: &str,
) -> StoreResult<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql).ctx(what)?;
    let rows = stmt
        .query_map(params, |r| r.get::<_, String>(0))
        .ctx(what)?;
    rows.collect::<Result<Vec<_>, _>>().ctx(what)
}

fn query_body(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    what: &str,
) -> StoreResult<Option<String>> {
    conn.prepare_cached(sql)
        .ctx(what)?
        .query_row(params, |r| r.get::<_, String>(0))
        .optional()
        .ctx(what)
}

fn count(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    what: &str,
) -> StoreResult<u64> {
    let n: i64 = conn
        .prepare_cached(sql)
        .ctx(what)?
        .query_row(params, |r| r.get(0))
        .ctx(what)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn version_to_sql(version: u64) -> StoreResult<i64> {
    i64::try_from(version).map_err(|_| StoreError::new(format_args!("version {version} too large")))
}

fn version_from_sql(version: i64) -> u64 {
    u64::try_from(version).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// APIs
// ---------------------------------------------------------------------------------------

/// The name of the API holding `route` in the group, other than `except_id`.
fn route_holder(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    route: &str,
    except_id: &str,
) -> StoreResult<Option<String>> {
    conn.prepare_cached(
        "SELECT name FROM apis WHERE project_id = ?1 AND instance_id = ?2 AND group_id = ?3 \
         AND route_key = ?4 AND id <> ?5",
    )
    .ctx("look up route")?
    .query_row(
        params![t.project, t.instance, group_id, route, except_id],
        |r| r.get(0),
    )
    .optional()
    .ctx("look up route")
}

/// Is `name` held in the group by an API other than `except_id`?
fn name_held(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    name: &str,
    except_id: &str,
) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM apis WHERE project_id = ?1 AND instance_id = ?2 AND group_id = ?3 \
             AND name = ?4 AND id <> ?5",
        )
        .ctx("look up api name")?
        .query_row(
            params![t.project, t.instance, group_id, name, except_id],
            |_| Ok(()),
        )
        .optional()
        .ctx("look up api name")?
        .is_some())
}

/// The rule a write of `api` at `route` would break, if any: its route held by an API of
/// the group other than `except_id` (reported first), or its name. After a refused write,
/// `None` means another constraint refused it (the group gone): an error.
fn conflict(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    api: &Api,
    route: &str,
    except_id: &str,
) -> StoreResult<Option<ApiWriteOutcome>> {
    if let Some(existing_name) = route_holder(conn, t, group_id, route, except_id)? {
        return Ok(Some(ApiWriteOutcome::RouteTaken { existing_name }));
    }
    if name_held(conn, t, group_id, &api.definition.name, except_id)? {
        return Ok(Some(ApiWriteOutcome::NameTaken));
    }
    Ok(None)
}

fn create_api(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    api: &Api,
    body: StoreResult<String>,
    stored: &mut u64,
    limit: u32,
) -> StoreResult<ApiWriteOutcome> {
    let route = route_key(api);
    if *stored >= u64::from(limit) {
        // At the limit, a taken route or name is still reported as such (the store contract).
        return Ok(
            conflict(conn, t, group_id, api, &route, "")?.unwrap_or(ApiWriteOutcome::QuotaReached)
        );
    }
    // The UNIQUE indexes on (group, route) and (group, name) decide: the insert is tried
    // first and only a refused one looks up which rule it broke, so a create costs one
    // statement instead of two look-ups and the insert.
    let body = body?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO apis (project_id, instance_id, id, group_id, name, route_key, version, \
             created_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .ctx("insert api")?
        .execute(params![
            t.project,
            t.instance,
            api.id.as_str(),
            group_id,
            api.definition.name,
            route,
            version_to_sql(api.version)?,
            api.created_at,
            body
        ]);
    match inserted {
        Ok(_) => {
            *stored += 1;
            Ok(ApiWriteOutcome::Created)
        }
        Err(e) if is_constraint(&e) => conflict(conn, t, group_id, api, &route, "")?
            .ok_or(e)
            .ctx("write api"),
        Err(e) => Err(e).ctx("insert api"),
    }
}

fn replace_api(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    api: &Api,
    expected_version: u64,
) -> StoreResult<ApiWriteOutcome> {
    let current: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT version, created_at FROM apis WHERE project_id = ?1 AND instance_id = ?2 \
             AND id = ?3 AND group_id = ?4",
        )
        .ctx("read api version")?
        .query_row(
            params![t.project, t.instance, api.id.as_str(), group_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ctx("read api version")?;
    let Some((version, created_at)) = current else {
        return Ok(ApiWriteOutcome::VersionConflict);
    };
    if version_from_sql(version) != expected_version || version < 0 {
        return Ok(ApiWriteOutcome::VersionConflict);
    }
    // As for a create, the UNIQUE indexes decide and a refused update looks up why.
    let route = route_key(api);
    let mut replacement = api.clone();
    replacement.keep_identity(None, created_at);
    let body = to_json(&replacement)?;
    let updated = conn
        .prepare_cached(
            "UPDATE apis SET name = ?4, route_key = ?5, version = ?6, body = ?7 \
             WHERE project_id = ?1 AND instance_id = ?2 AND id = ?3 AND version = ?8",
        )
        .ctx("replace api")?
        .execute(params![
            t.project,
            t.instance,
            api.id.as_str(),
            api.definition.name,
            route,
            version_to_sql(api.version)?,
            body,
            version
        ]);
    match updated {
        Ok(1) => Ok(ApiWriteOutcome::Replaced),
        Ok(_) => Ok(ApiWriteOutcome::VersionConflict),
        Err(e) if is_constraint(&e) => conflict(conn, t, group_id, api, &route, api.id.as_str())?
            .ok_or(e)
            .ctx("write api"),
        Err(e) => Err(e).ctx("replace api"),
    }
}

/// Batches of this many creates or more have their bodies encoded on a thread of their own
/// while this one inserts: encoding is about a third of writing an API, and below this size
/// a thread costs more than it saves. (A create refused by the quota had its body encoded
/// for nothing: a batch into a full group is rare, and costs no more than a written one.)
const ENCODE_APART_FROM: usize = 32;

/// Bodies go from the encoder to the writer in bundles of this many: one wake-up of the
/// writer per body cost as much as the encoding saved.
const BODIES_PER_BUNDLE: usize = 16;

/// How many bundles may wait for their inserts: the memory of the pipeline (64 bodies).
const BUNDLES_AHEAD: usize = 4;

fn write_apis_tx(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    writes: &[ApiWrite],
    limit: u32,
) -> StoreResult<Vec<ApiWriteOutcome>> {
    // The body of a create is the API as given (a replacement's depends on the stored row).
    let body = |write: &ApiWrite| match write {
        ApiWrite::Create(api) => Some(to_json(api)),
        ApiWrite::Replace { .. } => None,
    };
    let creates = writes
        .iter()
        .filter(|write| matches!(write, ApiWrite::Create(_)))
        .count();
    if creates < ENCODE_APART_FROM {
        return write_apis_encoded(conn, t, group_id, writes, limit, writes.iter().map(body));
    }
    std::thread::scope(|scope| {
        let (send, bundles) = std::sync::mpsc::sync_channel::<Vec<_>>(BUNDLES_AHEAD);
        let encoder = std::thread::Builder::new()
            .name("store-encode".into())
            .spawn_scoped(scope, move || {
                for bundle in writes.chunks(BODIES_PER_BUNDLE) {
                    // The writer stopped (a failure): nothing more is needed.
                    if send.send(bundle.iter().map(body).collect()).is_err() {
                        break;
                    }
                }
            });
        match encoder {
            // Ends with the writes (or the writer's failure), then drops the receiver,
            // which stops the encoder before the scope waits for it.
            Ok(_) => {
                let bodies = bundles.iter().flatten();
                write_apis_encoded(conn, t, group_id, writes, limit, bodies)
            }
            Err(_) => write_apis_encoded(conn, t, group_id, writes, limit, writes.iter().map(body)),
        }
    })
}

/// The writes of one batch in one transaction; `bodies` gives each write's encoded body
/// (a create's), in order.
fn write_apis_encoded(
    conn: &Connection,
    t: &Tenant,
    group_id: &str,
    writes: &[ApiWrite],
    limit: u32,
    mut bodies: impl Iterator<Item = Option<StoreResult<String>>>,
) -> StoreResult<Vec<ApiWriteOutcome>> {
    let tx = immediate(conn)?;
    let mut stored = count(
        &tx,
        "SELECT COUNT(*) FROM apis WHERE project_id = ?1 AND instance_id = ?2 AND group_id = ?3",
        params![t.project, t.instance, group_id],
        "count apis",
    )?;
    let mut outcomes = Vec::with_capacity(writes.len());
    // Each write is one INSERT or UPDATE: a refused one is undone by SQLite on its own (a
    // constraint aborts the statement, not the transaction), so no savepoint is needed.
    for write in writes {
        let body = bodies.next().flatten();
        let outcome = match (write, body) {
            (ApiWrite::Create(api), Some(body)) => {
                create_api(&tx, t, group_id, api, body, &mut stored, limit)?
            }
            (ApiWrite::Create(_), None) => return Err(StoreError::new("an API's body is missing")),
            (
                ApiWrite::Replace {
                    api,
                    expected_version,
                },
                _,
            ) => replace_api(&tx, t, group_id, api, *expected_version)?,
        };
        outcomes.push(outcome);
    }
    tx.commit().ctx("commit api writes")?;
    Ok(outcomes)
}

// ---------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------

/// The columns of a group row.
struct GroupRow {
    id: String,
    name: String,
    body: String,
}

impl GroupRow {
    fn of(group: &Group) -> StoreResult<Self> {
        Ok(GroupRow {
            id: group.id.as_str().to_string(),
            name: group.name.as_str().to_string(),
            body: to_json(group)?,
        })
    }
}

/// Create a group inside the caller's transaction, unless its name is taken or the
/// instance is at its group quota (then nothing changes).
fn create_group_in(
    tx: &Transaction<'_>,
    t: &Tenant,
    row: &GroupRow,
    limit: u32,
) -> StoreResult<GroupCreate> {
    let taken = count(
        tx,
        "SELECT COUNT(*) FROM api_groups WHERE project_id = ?1 AND instance_id = ?2 \
         AND name = ?3",
        params![t.project, t.instance, row.name],
        "look up group name",
    )? > 0;
    if taken {
        return Ok(GroupCreate::NameTaken);
    }
    let groups = count(
        tx,
        "SELECT COUNT(*) FROM api_groups WHERE project_id = ?1 AND instance_id = ?2",
        params![t.project, t.instance],
        "count groups",
    )?;
    if groups >= u64::from(limit) {
        return Ok(GroupCreate::QuotaReached);
    }
    tx.prepare_cached(
        "INSERT INTO api_groups (project_id, instance_id, id, name, body) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .ctx("insert group")?
    .execute(params![t.project, t.instance, row.id, row.name, row.body])
    .ctx("insert group")?;
    Ok(GroupCreate::Created)
}

// ---------------------------------------------------------------------------------------
// Shared objects
// ---------------------------------------------------------------------------------------

fn write_shared_tx(
    conn: &Connection,
    t: &Tenant,
    write: &SharedWrite,
    limit: Option<u32>,
) -> StoreResult<SharedWriteOutcome> {
    let tx = immediate(conn)?;
    let outcome = write_shared_in(&tx, t, write, limit)?;
    tx.commit().ctx("commit shared object")?;
    Ok(outcome)
}

/// One shared-object write inside the caller's transaction (a refused write changes
/// nothing).
fn write_shared_in(
    tx: &Transaction<'_>,
    t: &Tenant,
    write: &SharedWrite,
    limit: Option<u32>,
) -> StoreResult<SharedWriteOutcome> {
    let outcome = match write {
        SharedWrite::Create(object) => {
            let key = &object.key;
            let taken = tx
                .prepare_cached(
                    "SELECT 1 FROM shared_objects WHERE project_id = ?1 AND instance_id = ?2 \
                     AND kind = ?3 AND group_scope = ?4 AND name = ?5",
                )
                .ctx("look up shared object")?
                .query_row(
                    params![
                        t.project,
                        t.instance,
                        key.kind.as_str(),
                        group_scope(key),
                        key.name
                    ],
                    |_| Ok(()),
                )
                .optional()
                .ctx("look up shared object")?
                .is_some();
            if taken {
                return Ok(SharedWriteOutcome::NameTaken);
            }
            if let Some(limit) = limit {
                let n = count(
                    tx,
                    "SELECT COUNT(*) FROM shared_objects WHERE project_id = ?1 \
                     AND instance_id = ?2 AND kind = ?3",
                    params![t.project, t.instance, key.kind.as_str()],
                    "count shared objects",
                )?;
                if n >= u64::from(limit) {
                    return Ok(SharedWriteOutcome::QuotaReached);
                }
            }
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO shared_objects (project_id, instance_id, kind, group_scope, \
                     name, id, version, created_at, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .ctx("insert shared object")?
                .execute(params![
                    t.project,
                    t.instance,
                    key.kind.as_str(),
                    group_scope(key),
                    key.name,
                    object.id.as_str(),
                    version_to_sql(object.version)?,
                    object.created_at,
                    to_json(object)?
                ]);
            inserted.ctx("insert shared object")?;
            SharedWriteOutcome::Created
        }
        SharedWrite::Replace {
            object,
            expected_version,
        } => {
            let key = &object.key;
            let current: Option<(String, i64, String)> = tx
                .prepare_cached(
                    "SELECT id, version, created_at FROM shared_objects WHERE project_id = ?1 \
                     AND instance_id = ?2 AND kind = ?3 AND group_scope = ?4 AND name = ?5",
                )
                .ctx("read shared object")?
                .query_row(
                    params![
                        t.project,
                        t.instance,
                        key.kind.as_str(),
                        group_scope(key),
                        key.name
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .ctx("read shared object")?;
            let Some((id, version, created_at)) = current else {
                return Ok(SharedWriteOutcome::VersionConflict);
            };
            if version < 0 || version_from_sql(version) != *expected_version {
                return Ok(SharedWriteOutcome::VersionConflict);
            }
            let mut replacement = object.clone();
            replacement.keep_identity(Id::parse(&id), created_at);
            tx.prepare_cached(
                "UPDATE shared_objects SET version = ?6, body = ?7 WHERE project_id = ?1 \
                 AND instance_id = ?2 AND kind = ?3 AND group_scope = ?4 AND name = ?5",
            )
            .ctx("replace shared object")?
            .execute(params![
                t.project,
                t.instance,
                key.kind.as_str(),
                group_scope(key),
                key.name,
                version_to_sql(object.version)?,
                to_json(&replacement)?
            ])
            .ctx("replace shared object")?;
            SharedWriteOutcome::Replaced
        }
    };
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------
// The trait
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Access keys
// ---------------------------------------------------------------------------------------

const ACCESS_KEY_COLUMNS: &str =
    "access_key, project_id, actions, enabled, created_at, failures, locked_until";

/// One `access_keys` row, as read.
fn access_key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccessKeyRow> {
    Ok(AccessKeyRow {
        access_key: r.get(0)?,
        project_id: r.get(1)?,
        actions: r.get(2)?,
        enabled: r.get(3)?,
        created_at: r.get(4)?,
        failures: r.get(5)?,
        locked_until: r.get(6)?,
    })
}

struct AccessKeyRow {
    access_key: String,
    project_id: String,
    actions: String,
    enabled: bool,
    created_at: String,
    failures: i64,
    locked_until: Option<i64>,
}

impl AccessKeyRow {
    fn decode(self) -> StoreResult<StoredAccessKey> {
        let project_id = PathId::parse(&self.project_id).ok_or_else(|| {
            StoreError::new(format_args!(
                "decode: access key {} has an invalid project id",
                self.access_key
            ))
        })?;
        Ok(StoredAccessKey {
            key: AccessKey {
                access_key: self.access_key,
                project_id,
                actions: from_json(&self.actions)?,
                enabled: self.enabled,
                created_at: self.created_at,
            },
            lock: AccessKeyLock {
                failures: u32::try_from(self.failures).unwrap_or(u32::MAX),
                locked_until: self.locked_until.and_then(from_unix_seconds),
            },
        })
    }
}

fn read_lock(conn: &Connection, access_key: &str) -> StoreResult<Option<AccessKeyLock>> {
    conn.prepare_cached("SELECT failures, locked_until FROM access_keys WHERE access_key = ?1")
        .ctx("read access key lock")?
        .query_row(params![access_key], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
        })
        .optional()
        .ctx("read access key lock")
        .map(|row| {
            row.map(|(failures, locked_until)| AccessKeyLock {
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                locked_until: locked_until.and_then(from_unix_seconds),
            })
        })
}

fn write_lock(conn: &Connection, access_key: &str, lock: &AccessKeyLock) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE access_keys SET failures = ?2, locked_until = ?3 WHERE access_key = ?1",
    )
    .ctx("write access key lock")?
    .execute(params![
        access_key,
        i64::from(lock.failures),
        lock.locked_until.map(unix_seconds)
    ])
    .ctx("write access key lock")?;
    Ok(())
}

#[async_trait]
impl Catalog for SqliteStore {
    async fn create_instance(&self, scope: &Scope) -> StoreResult<bool> {
        let t = Tenant::of(scope);
        let now = crate::now_rfc3339();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let n = tx
                .prepare_cached(
                    "INSERT INTO instances (project_id, instance_id, created_at) \
                     VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                )
                .ctx("insert instance")?
                .execute(params![t.project, t.instance, now])
                .ctx("insert instance")?;
            tx.commit().ctx("commit instance")?;
            Ok(n == 1)
        })
        .await
    }

    async fn instance_exists(&self, scope: &Scope) -> StoreResult<bool> {
        let t = Tenant::of(scope);
        self.run(move |conn| {
            Ok(count(
                conn,
                "SELECT COUNT(*) FROM instances WHERE project_id = ?1 AND instance_id = ?2",
                params![t.project, t.instance],
                "read instance",
            )? > 0)
        })
        .await
    }

    async fn create_reference(&self, scope: &Scope, reference: &Reference) -> StoreResult<bool> {
        let t = Tenant::of(scope);
        let body = to_json(reference)?;
        let kind = reference.kind.as_str();
        let name = reference.name.clone();
        let id = reference.id.as_str().to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let n = tx
                .prepare_cached(
                    "INSERT INTO refs (project_id, instance_id, kind, name, id, body) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                )
                .ctx("insert reference")?
                .execute(params![t.project, t.instance, kind, name, id, body])
                .ctx("insert reference")?;
            tx.commit().ctx("commit reference")?;
            Ok(n == 1)
        })
        .await
    }

    async fn list_references(
        &self,
        scope: &Scope,
        kind: ReferenceKind,
    ) -> StoreResult<Vec<Reference>> {
        let t = Tenant::of(scope);
        let bodies = self
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM refs WHERE project_id = ?1 AND instance_id = ?2 \
                     AND kind = ?3 ORDER BY rowid",
                    params![t.project, t.instance, kind.as_str()],
                    "list references",
                )
            })
            .await?;
        decode_all(bodies)
    }

    async fn create_group(
        &self,
        scope: &Scope,
        group: &Group,
        limit: u32,
    ) -> StoreResult<GroupCreate> {
        let t = Tenant::of(scope);
        let row = GroupRow::of(group)?;
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let outcome = create_group_in(&tx, &t, &row, limit)?;
            tx.commit().ctx("commit group")?;
            Ok(outcome)
        })
        .await
    }

    /// The group and its shared objects in one transaction: one commit (one `fsync`)
    /// instead of one per object, and no group left behind when a write fails. Outcomes
    /// are those of `create_group` followed by `write_shared` of each.
    async fn create_group_holding(
        &self,
        scope: &Scope,
        group: &Group,
        limits: GroupLimits,
        creates: u64,
        shared: &[SharedCreate],
    ) -> StoreResult<GroupCreated> {
        let _ = creates;
        for s in shared {
            check_shared(&s.object)?;
        }
        let t = Tenant::of(scope);
        let row = GroupRow::of(group)?;
        let writes: Vec<(SharedWrite, Option<u32>)> = shared
            .iter()
            .map(|s| (SharedWrite::Create(s.object.clone()), s.limit))
            .collect();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let outcome = create_group_in(&tx, &t, &row, limits.groups)?;
            let mut created = GroupCreated {
                outcome,
                hold: QuotaHold::default(),
                shared: Vec::new(),
            };
            if created.outcome == GroupCreate::Created {
                for (write, limit) in &writes {
                    created
                        .shared
                        .push(write_shared_in(&tx, &t, write, *limit)?);
                }
            }
            tx.commit().ctx("commit group")?;
            Ok(created)
        })
        .await
    }

    async fn get_group(&self, scope: &Scope, group_id: &Id) -> StoreResult<Option<Group>> {
        self.read_by_id(scope, "api_groups", group_id, "read group")
            .await
    }

    async fn list_groups(&self, scope: &Scope) -> StoreResult<Vec<Group>> {
        let t = Tenant::of(scope);
        let bodies = self
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM api_groups WHERE project_id = ?1 AND instance_id = ?2 \
                     ORDER BY rowid",
                    params![t.project, t.instance],
                    "list groups",
                )
            })
            .await?;
        decode_all(bodies)
    }

    async fn list_apis(&self, scope: &Scope, group_id: &Id) -> StoreResult<Vec<Api>> {
        let t = Tenant::of(scope);
        let id = group_id.as_str().to_string();
        let bodies = self
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM apis WHERE project_id = ?1 AND instance_id = ?2 \
                     AND group_id = ?3 ORDER BY rowid",
                    params![t.project, t.instance, id],
                    "list apis",
                )
            })
            .await?;
        decode_all(bodies)
    }

    async fn get_api(&self, scope: &Scope, api_id: &Id) -> StoreResult<Option<Api>> {
        self.read_by_id(scope, "apis", api_id, "read api").await
    }

    async fn write_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        writes: Vec<ApiWrite>,
        limit: u32,
    ) -> StoreResult<Vec<ApiWriteOutcome>> {
        if !check_api_batch(group_id, &writes)? {
            return Ok(Vec::new());
        }
        let t = Tenant::of(scope);
        let group = group_id.as_str().to_string();
        self.run(move |conn| write_apis_tx(conn, &t, &group, &writes, limit))
            .await
    }

    async fn get_shared(
        &self,
        scope: &Scope,
        key: &SharedKey,
    ) -> StoreResult<Option<SharedObject>> {
        let t = Tenant::of(scope);
        let kind = key.kind.as_str();
        let gs = group_scope(key).to_string();
        let name = key.name.clone();
        let body = self
            .run(move |conn| {
                query_body(
                    conn,
                    "SELECT body FROM shared_objects WHERE project_id = ?1 AND instance_id = ?2 \
                     AND kind = ?3 AND group_scope = ?4 AND name = ?5",
                    params![t.project, t.instance, kind, gs, name],
                    "read shared object",
                )
            })
            .await?;
        body.as_deref().map(from_json).transpose()
    }

    async fn list_shared(
        &self,
        scope: &Scope,
        kind: SharedKind,
        group_id: Option<&Id>,
    ) -> StoreResult<Vec<SharedObject>> {
        let t = Tenant::of(scope);
        let Some(group) = shared_listing(kind, group_id) else {
            return Ok(Vec::new());
        };
        let gs = group.map(Id::as_str).unwrap_or("").to_string();
        let bodies = self
            .run(move |conn| {
                query_bodies(
                    conn,
                    "SELECT body FROM shared_objects WHERE project_id = ?1 AND instance_id = ?2 \
                     AND kind = ?3 AND group_scope = ?4 ORDER BY rowid",
                    params![t.project, t.instance, kind.as_str(), gs],
                    "list shared objects",
                )
            })
            .await?;
        decode_all(bodies)
    }

    async fn write_shared(
        &self,
        scope: &Scope,
        write: SharedWrite,
        limit: Option<u32>,
    ) -> StoreResult<SharedWriteOutcome> {
        match &write {
            SharedWrite::Create(object) | SharedWrite::Replace { object, .. } => {
                check_shared(object)?
            }
        }
        let t = Tenant::of(scope);
        self.run(move |conn| write_shared_tx(conn, &t, &write, limit))
            .await
    }

    async fn put_import_record(&self, scope: &Scope, record: &ImportRecord) -> StoreResult<()> {
        let t = Tenant::of(scope);
        let body = to_json(record)?;
        let id = record.id.as_str().to_string();
        let group = record.group_id.as_str().to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            tx.prepare_cached(
                "INSERT INTO import_records (project_id, instance_id, id, group_id, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (project_id, instance_id, id) \
                 DO UPDATE SET group_id = excluded.group_id, body = excluded.body",
            )
            .ctx("write import record")?
            .execute(params![t.project, t.instance, id, group, body])
            .ctx("write import record")?;
            tx.commit().ctx("commit import record")
        })
        .await
    }

    async fn get_import_record(&self, scope: &Scope, id: &Id) -> StoreResult<Option<ImportRecord>> {
        self.read_by_id(scope, "import_records", id, "read import record")
            .await
    }
}

#[async_trait]
impl AccessKeyStore for SqliteStore {
    async fn create_access_key(&self, key: &AccessKey) -> StoreResult<bool> {
        let actions = to_json(&key.actions)?;
        let key = key.clone();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let n = tx
                .prepare_cached(
                    "INSERT INTO access_keys (access_key, project_id, actions, enabled, \
                     created_at, failures, locked_until) VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL) \
                     ON CONFLICT DO NOTHING",
                )
                .ctx("insert access key")?
                .execute(params![
                    key.access_key,
                    key.project_id.as_str(),
                    actions,
                    key.enabled,
                    key.created_at
                ])
                .ctx("insert access key")?;
            tx.commit().ctx("commit access key")?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_access_key(&self, access_key: &str) -> StoreResult<Option<StoredAccessKey>> {
        let access_key = access_key.to_string();
        let row = self
            .run(move |conn| {
                conn.prepare_cached(&format!(
                    "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE access_key = ?1"
                ))
                .ctx("read access key")?
                .query_row(params![access_key], access_key_row)
                .optional()
                .ctx("read access key")
            })
            .await?;
        row.map(AccessKeyRow::decode).transpose()
    }

    async fn list_access_keys(&self, project: &PathId) -> StoreResult<Vec<StoredAccessKey>> {
        let project = project.as_str().to_string();
        let rows = self
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE project_id = ?1 \
                         ORDER BY rowid"
                    ))
                    .ctx("list access keys")?;
                let rows = stmt
                    .query_map(params![project], access_key_row)
                    .ctx("list access keys")?;
                rows.collect::<Result<Vec<_>, _>>().ctx("list access keys")
            })
            .await?;
        rows.into_iter().map(AccessKeyRow::decode).collect()
    }

    async fn set_access_key_enabled(
        &self,
        project: &PathId,
        access_key: &str,
        enabled: bool,
    ) -> StoreResult<bool> {
        let project = project.as_str().to_string();
        let access_key = access_key.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let n = tx
                .prepare_cached(
                    "UPDATE access_keys SET enabled = ?3 WHERE access_key = ?1 AND project_id = ?2",
                )
                .ctx("update access key")?
                .execute(params![access_key, project, enabled])
                .ctx("update access key")?;
            tx.commit().ctx("commit access key")?;
            Ok(n == 1)
        })
        .await
    }

    async fn record_auth_failure(
        &self,
        access_key: &str,
        now: time::OffsetDateTime,
        policy: LockoutPolicy,
    ) -> StoreResult<Option<AccessKeyLock>> {
        let access_key = access_key.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            let Some(lock) = read_lock(&tx, &access_key)? else {
                return Ok(None);
            };
            let next = lock.after_failure(now, policy);
            write_lock(&tx, &access_key, &next)?;
            tx.commit().ctx("commit access key lock")?;
            Ok(Some(next))
        })
        .await
    }

    async fn reset_auth_failures(&self, access_key: &str) -> StoreResult<()> {
        let access_key = access_key.to_string();
        self.run(move |conn| {
            let tx = immediate(conn)?;
            write_lock(&tx, &access_key, &AccessKeyLock::default())?;
            tx.commit().ctx("commit access key lock")
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot command's store runs SQLite on the command's thread, a server's on the
    /// blocking pool.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn calls_run_where_the_store_says() {
        let here = std::thread::current().id();
        let thread_of = |calls| async move {
            let store = SqliteStore::in_memory().unwrap().with_calls(calls);
            store
                .run(|_| Ok(std::thread::current().id()))
                .await
                .unwrap()
        };
        assert_eq!(thread_of(Calls::Caller).await, here);
        assert_ne!(thread_of(Calls::BlockingPool).await, here);
        assert_eq!(SqliteStore::in_memory().unwrap().calls, Calls::BlockingPool);
    }
}
