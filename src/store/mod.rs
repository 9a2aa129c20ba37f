//! Persistence: the [`Store`] trait and its implementations.
//!
//! The trait is shaped for DynamoDB's model: every write is a conditional write that either
//! happens whole or reports which condition stopped it — create-if-absent (groups, APIs,
//! shared objects, references), replace-if-version-matches (override), and
//! counter-increment-if-below-limit (quotas). A store may carry many such writes in one
//! request (a `TransactWriteItems`, a SQLite transaction), but each item's outcome is its
//! own, so the importer never depends on "read, then write inside one transaction".

pub mod dynamodb;
pub mod sqlite;

use crate::model::{
    AccessKey, AccessKeyLock, Api, Group, Id, ImportRecord, LockoutPolicy, PathId, Reference,
    ReferenceKind, Scope, SharedKey, SharedKind, SharedObject, StoredAccessKey,
};
use async_trait::async_trait;
use time::OffsetDateTime;

/// A failure of the store itself (not a condition that lost): the database is unreachable,
/// corrupt, throttled beyond retries. Reported as `APIG.9999`; the detail goes to the logs.
#[derive(Debug, thiserror::Error)]
#[error("store error: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    pub fn new(detail: impl std::fmt::Display) -> Self {
        StoreError(detail.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Outcome of creating a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCreate {
    Created,
    /// A group with this name already exists in the instance.
    NameTaken,
    /// The instance already has `limit` groups.
    QuotaReached,
}

/// One conditional write of an API.
#[derive(Debug, Clone)]
pub enum ApiWrite {
    /// Create if neither the route nor the name is taken and the group is below its quota.
    Create(Api),
    /// Replace the API with this id if its stored version is `expected_version`; the new
    /// definition's name must not be taken by another API. `api.version` is the new version.
    Replace { api: Api, expected_version: u64 },
}

impl ApiWrite {
    pub fn api(&self) -> &Api {
        match self {
            ApiWrite::Create(api) | ApiWrite::Replace { api, .. } => api,
        }
    }
}

/// Outcome of one [`ApiWrite`], in the order the writes were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiWriteOutcome {
    Created,
    Replaced,
    /// Another API has this route; its name is reported to the caller.
    RouteTaken {
        existing_name: String,
    },
    /// Another API (a different route) has this name.
    NameTaken,
    /// The group is at its API quota.
    QuotaReached,
    /// The API to replace changed (or vanished) since it was read.
    VersionConflict,
}

/// One conditional write of a shared object.
#[derive(Debug, Clone)]
pub enum SharedWrite {
    /// Create if the name is free (and the kind's quota, when given, not reached).
    Create(SharedObject),
    /// Replace the stored object's definition if its version is still `expected_version`.
    Replace {
        object: SharedObject,
        expected_version: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedWriteOutcome {
    Created,
    Replaced,
    NameTaken,
    QuotaReached,
    VersionConflict,
}

/// The persistence operations of the product. Every method is scoped by [`Scope`]: nothing
/// of another project or instance is ever visible through it.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Register an instance; `false` if it was already registered.
    async fn create_instance(&self, scope: &Scope) -> StoreResult<bool>;
    async fn instance_exists(&self, scope: &Scope) -> StoreResult<bool>;

    /// Register a VPC channel, plugin or orchestration rule; `false` if the name was taken.
    async fn create_reference(&self, scope: &Scope, reference: &Reference) -> StoreResult<bool>;
    async fn list_references(
        &self,
        scope: &Scope,
        kind: ReferenceKind,
    ) -> StoreResult<Vec<Reference>>;

    /// Create a group, unique by name in the instance, below `limit` groups per instance.
    async fn create_group(
        &self,
        scope: &Scope,
        group: &Group,
        limit: u32,
    ) -> StoreResult<GroupCreate>;
    async fn get_group(&self, scope: &Scope, group_id: &Id) -> StoreResult<Option<Group>>;
    async fn list_groups(&self, scope: &Scope) -> StoreResult<Vec<Group>>;

    /// Every API of a group (one paginated query).
    async fn list_apis(&self, scope: &Scope, group_id: &Id) -> StoreResult<Vec<Api>>;
    async fn get_api(&self, scope: &Scope, api_id: &Id) -> StoreResult<Option<Api>>;
    /// Carry out the writes, each atomically on its own, into `group_id` whose API quota is
    /// `limit`. Returns one outcome per write, in order.
    async fn write_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        writes: Vec<ApiWrite>,
        limit: u32,
    ) -> StoreResult<Vec<ApiWriteOutcome>>;

    async fn get_shared(&self, scope: &Scope, key: &SharedKey)
        -> StoreResult<Option<SharedObject>>;
    /// Shared objects of one kind (`group_id` for group-scoped kinds).
    async fn list_shared(
        &self,
        scope: &Scope,
        kind: SharedKind,
        group_id: Option<&Id>,
    ) -> StoreResult<Vec<SharedObject>>;
    /// A conditional write of a shared object; `limit` is the per-instance quota of its kind.
    async fn write_shared(
        &self,
        scope: &Scope,
        write: SharedWrite,
        limit: Option<u32>,
    ) -> StoreResult<SharedWriteOutcome>;

    async fn put_import_record(&self, scope: &Scope, record: &ImportRecord) -> StoreResult<()>;
    async fn get_import_record(&self, scope: &Scope, id: &Id) -> StoreResult<Option<ImportRecord>>;

    // Access keys (AK/SK signing). Keyed by the AK alone, which is unique across projects:
    // a signed request names its AK before anyone knows its project. One item per key,
    // holding its lockout state too; every write is a single-item conditional write.

    /// Create the key (with no failures, unlocked) if its AK is free; `false` if it is taken
    /// (in any project).
    async fn create_access_key(&self, key: &AccessKey) -> StoreResult<bool>;
    /// The key with this AK, whatever its project (authentication looks it up this way).
    async fn get_access_key(&self, access_key: &str) -> StoreResult<Option<StoredAccessKey>>;
    /// The keys of one project (in no particular order).
    async fn list_access_keys(&self, project: &PathId) -> StoreResult<Vec<StoredAccessKey>>;
    /// Enable or disable the key if it exists in `project`; `false` if it does not.
    async fn set_access_key_enabled(
        &self,
        project: &PathId,
        access_key: &str,
        enabled: bool,
    ) -> StoreResult<bool>;
    /// Count one signature failure of the key at `now`: its state becomes
    /// [`AccessKeyLock::after_failure`] of the stored state, atomically (e.g. a conditional
    /// write on the state that was read, retried when another failure won). Returns the new
    /// state; `None` (and nothing written) if there is no such key.
    async fn record_auth_failure(
        &self,
        access_key: &str,
        now: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> StoreResult<Option<AccessKeyLock>>;
    /// A successful signature: forget the failures and any lock (no-op for an unknown AK).
    async fn reset_auth_failures(&self, access_key: &str) -> StoreResult<()>;
}
