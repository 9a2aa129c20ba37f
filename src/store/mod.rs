//! Persistence: the [`Store`] trait and its implementations.
//!
//! The trait is shaped for DynamoDB's model: every write is a conditional write that either
//! happens whole or reports which condition stopped it — create-if-absent (groups, APIs,
//! shared objects, references), replace-if-version-matches (override), and
//! counter-increment-if-below-limit (quotas). A store may carry many such writes in one
//! request (a `TransactWriteItems`, a SQLite transaction), but each item's outcome is its
//! own, so the importer never depends on "read, then write inside one transaction".

pub mod blobs;
pub mod dynamodb;
pub mod s3;
pub mod sqlite;
pub mod sqs;
pub mod tasks;

pub use blobs::{BlobStore, FileBlobStore};
pub use tasks::TaskStore;

use crate::model::{
    AccessKey, AccessKeyLock, Api, ApiDefinition, ApiListing, Group, Id, ImportRecord,
    LockoutPolicy, MatchMode, Method, PathId, Reference, ReferenceKind, RouteKey, Scope,
    SharedDefinition, SharedKey, SharedKind, SharedObject, StoredAccessKey,
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
    /// A new API of `group_id` with the id `id`, written at `now` (version 1).
    pub fn create(id: Id, group_id: &Id, definition: ApiDefinition, now: &str) -> Self {
        ApiWrite::Create(Api {
            id,
            group_id: group_id.clone(),
            version: 1,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            definition,
        })
    }

    /// The replacement of `stored` by `definition`, written at `now`: the stored identity
    /// (id, group, `created_at`) kept, the next version, expected to find `stored`'s.
    pub fn replace(stored: &Api, definition: ApiDefinition, now: &str) -> Self {
        ApiWrite::Replace {
            expected_version: stored.version,
            api: Api {
                id: stored.id.clone(),
                group_id: stored.group_id.clone(),
                version: stored.version + 1,
                created_at: stored.created_at.clone(),
                updated_at: now.to_string(),
                definition,
            },
        }
    }

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

impl SharedWrite {
    /// The replacement of `stored` by `definition`, written at `now`: the stored identity
    /// (key, id, `created_at`) kept, the next version, expected to find `stored`'s.
    pub fn replace(stored: SharedObject, definition: SharedDefinition, now: String) -> Self {
        SharedWrite::Replace {
            expected_version: stored.version,
            object: SharedObject {
                version: stored.version + 1,
                definition,
                updated_at: now,
                ..stored
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedWriteOutcome {
    Created,
    Replaced,
    NameTaken,
    QuotaReached,
    VersionConflict,
}

/// Room held in a group's API quota for the creates of one import, taken before its API
/// writes and given back (what was not used) after them, so that the writes themselves do
/// not touch the group's counter (`docs/dynamodb.md`, "Reservations"). A store whose write
/// transaction checks the quota itself (the embedded SQLite store) holds nothing: its
/// methods leave the hold empty ([`QuotaHold::default`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuotaHold {
    /// The store's name of the hold; empty: nothing held yet.
    pub marker: String,
    /// Creates reserved so far.
    pub reserved: u64,
    /// Creates made under it so far.
    pub used: u64,
    /// When it was last taken or extended (a store may refuse to write under a hold that
    /// is about to expire).
    pub since: Option<std::time::Instant>,
}

impl QuotaHold {
    /// Room reserved and not used yet.
    pub fn free(&self) -> u64 {
        self.reserved.saturating_sub(self.used)
    }
}

/// The quotas a new group is created under: groups per instance, APIs per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupLimits {
    pub groups: u32,
    pub apis: u32,
}

/// A shared object to create, with its kind's per-instance quota (`None`: unlimited).
#[derive(Debug, Clone)]
pub struct SharedCreate {
    pub object: SharedObject,
    pub limit: Option<u32>,
}

/// What [`Catalog::create_group_holding`] did: the group's outcome, the room held for its
/// APIs, and one outcome per shared object (none unless the group was created).
#[derive(Debug, Clone)]
pub struct GroupCreated {
    pub outcome: GroupCreate,
    pub hold: QuotaHold,
    pub shared: Vec<SharedWriteOutcome>,
}

/// What [`Catalog::import_lookup`] read.
#[derive(Debug, Clone)]
pub struct ImportLookup {
    /// The instance is registered.
    pub instance: bool,
    pub group: Option<Group>,
    /// One per key asked for, in order.
    pub shared: Vec<Option<SharedObject>>,
}

/// Which slice of a listing to read: skip `offset` items, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

/// One page of a listing and the number of items in the whole listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub total: u64,
    pub items: Vec<T>,
}

impl<T> Paged<T> {
    /// The page `page` of `all` (already in listing order).
    pub fn of(all: Vec<T>, page: PageRequest) -> Self {
        let total = u64::try_from(all.len()).unwrap_or(u64::MAX);
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Paged {
            total,
            items: all.into_iter().skip(skip).take(take).collect(),
        }
    }
}

/// The listing order of groups: oldest first, then by name (unique in an instance).
pub fn group_order(group: &Group) -> (&str, &str) {
    (group.created_at.as_str(), group.name.as_str())
}

/// The listing order of one group's APIs: by path, method and match mode (unique together
/// up to path normalization).
pub fn api_order(api: &Api) -> (&str, Method, MatchMode) {
    let d = &api.definition;
    (d.path.as_str(), d.method, d.match_mode)
}

/// Sort groups into [`group_order`].
pub fn sort_groups(groups: &mut [Group]) {
    groups.sort_by(|a, b| group_order(a).cmp(&group_order(b)));
}

/// Sort one group's APIs into [`api_order`].
pub fn sort_apis(apis: &mut [Api]) {
    apis.sort_by(|a, b| api_order(a).cmp(&api_order(b)));
}

/// The product's catalog: instances, references, groups, APIs, shared objects and import
/// records. Every method is scoped by [`Scope`]: nothing of another project or instance is
/// ever visible through it.
///
/// Rules every implementation keeps, checked once here rather than in each store:
/// [`check_api_batch`] (a batch's APIs belong to its group; an empty batch writes nothing),
/// [`check_shared`] (a shared key agrees with its definition) and [`shared_listing`]
/// (which group scope a listing reads). A replacement keeps the stored `id` and
/// `created_at`, whatever the replacing value says ([`KeepIdentity`]; [`ApiWrite::replace`]
/// and [`SharedWrite::replace`] build replacements from the stored value).
#[async_trait]
pub trait Catalog: Send + Sync + 'static {
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
    /// [`create_group`](Self::create_group), also taking room for up to `creates` APIs of
    /// the new group's quota `api_limit` for the caller ([`QuotaHold`]) and creating the
    /// `shared` objects (each with its kind's per-instance quota) — in the same write where
    /// the store can (the importer's group, reservation and shared objects in one round
    /// trip). Shared objects are written only if the group was created; their outcomes are
    /// those of [`write_shared`](Self::write_shared) creates after the group's creation.
    /// Default: `create_group`, then `write_shared` of each, nothing held.
    async fn create_group_holding(
        &self,
        scope: &Scope,
        group: &Group,
        limits: GroupLimits,
        creates: u64,
        shared: &[SharedCreate],
    ) -> StoreResult<GroupCreated> {
        let _ = creates;
        let outcome = self.create_group(scope, group, limits.groups).await?;
        let mut created = GroupCreated {
            outcome,
            hold: QuotaHold::default(),
            shared: Vec::new(),
        };
        if created.outcome == GroupCreate::Created {
            for s in shared {
                let write = SharedWrite::Create(s.object.clone());
                created
                    .shared
                    .push(self.write_shared(scope, write, s.limit).await?);
            }
        }
        Ok(created)
    }
    async fn get_group(&self, scope: &Scope, group_id: &Id) -> StoreResult<Option<Group>>;
    /// Whether the instance is registered, the group `group_id` (if given) and the shared
    /// objects at `shared` (in order) — read together (one request where the store can:
    /// the importer's first round trip).
    async fn import_lookup(
        &self,
        scope: &Scope,
        group_id: Option<&Id>,
        shared: &[SharedKey],
    ) -> StoreResult<ImportLookup> {
        let group = async {
            match group_id {
                Some(id) => self.get_group(scope, id).await,
                None => Ok(None),
            }
        };
        let objects =
            futures_util::future::try_join_all(shared.iter().map(|k| self.get_shared(scope, k)));
        let (instance, group, shared) =
            futures_util::future::try_join3(self.instance_exists(scope), group, objects).await?;
        Ok(ImportLookup {
            instance,
            group,
            shared,
        })
    }
    async fn list_groups(&self, scope: &Scope) -> StoreResult<Vec<Group>>;

    /// One page of the instance's groups in listing order ([`group_order`]: oldest first,
    /// then by name) and how many there are. The default reads every group and pages in
    /// memory (the embedded store); a store with ordered keys overrides it to read only the
    /// page's items and take the total from a counter.
    async fn page_groups(&self, scope: &Scope, page: PageRequest) -> StoreResult<Paged<Group>> {
        let mut groups = self.list_groups(scope).await?;
        sort_groups(&mut groups);
        Ok(Paged::of(groups, page))
    }

    /// Every API of a group (one paginated query).
    async fn list_apis(&self, scope: &Scope, group_id: &Id) -> StoreResult<Vec<Api>>;
    /// One page of the APIs of `group_id` (or of every group: group by group in
    /// [`group_order`]), each group's in [`api_order`], and how many there are, as a listing
    /// shows them ([`ApiListing`]: a store may keep that part apart, to read less). An
    /// unknown group has none. The default reads everything and pages in memory (see
    /// [`page_groups`](Self::page_groups)).
    async fn page_apis(
        &self,
        scope: &Scope,
        group_id: Option<&Id>,
        page: PageRequest,
    ) -> StoreResult<Paged<ApiListing>> {
        let groups = match group_id {
            Some(id) => self.get_group(scope, id).await?.into_iter().collect(),
            None => {
                let mut groups = self.list_groups(scope).await?;
                sort_groups(&mut groups);
                groups
            }
        };
        let mut all = Vec::new();
        for group in &groups {
            let mut apis = self.list_apis(scope, &group.id).await?;
            sort_apis(&mut apis);
            all.extend(apis);
        }
        let paged = Paged::of(all, page);
        Ok(Paged {
            total: paged.total,
            items: paged.items.iter().map(ApiListing::from).collect(),
        })
    }
    /// The APIs of `group_id` holding any of `routes` (in no particular order): what an
    /// import into an existing group plans against, read without reading the whole group
    /// where the store can. Default: [`list_apis`](Self::list_apis), filtered.
    async fn find_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        routes: &[RouteKey],
    ) -> StoreResult<Vec<Api>> {
        let wanted: std::collections::HashSet<&RouteKey> = routes.iter().collect();
        let mut apis = self.list_apis(scope, group_id).await?;
        apis.retain(|api| {
            let d = &api.definition;
            wanted.contains(&RouteKey::new(d.method, &d.path, d.match_mode))
        });
        Ok(apis)
    }
    async fn get_api(&self, scope: &Scope, api_id: &Id) -> StoreResult<Option<Api>>;
    /// Take room for up to `creates` more APIs of `group_id`'s quota `limit` into `hold`
    /// (less when less is left; none is not an error: the writes decide `QuotaReached`).
    /// Default: nothing (the store's writes check the quota themselves).
    async fn reserve_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        hold: &mut QuotaHold,
        creates: u64,
        limit: u32,
    ) -> StoreResult<()> {
        let _ = (scope, group_id, hold, creates, limit);
        Ok(())
    }
    /// [`write_apis`](Self::write_apis) under `hold`: creates take its room first (more is
    /// reserved into it when needed) and are counted in `hold.used`; the hold stays open
    /// for further calls until [`settle_apis`](Self::settle_apis). Outcomes are exactly
    /// those of `write_apis`. Default: `write_apis`.
    async fn write_apis_holding(
        &self,
        scope: &Scope,
        group_id: &Id,
        writes: Vec<ApiWrite>,
        limit: u32,
        hold: &mut QuotaHold,
    ) -> StoreResult<Vec<ApiWriteOutcome>> {
        let _ = hold;
        self.write_apis(scope, group_id, writes, limit).await
    }
    /// End `hold`: give back the room it did not use. Only after every write under it has
    /// an outcome (a write whose outcome is unknown leaves the hold to expire; the store
    /// repairs it by counting). Default: nothing.
    async fn settle_apis(&self, scope: &Scope, group_id: &Id, hold: QuotaHold) -> StoreResult<()> {
        let _ = (scope, group_id, hold);
        Ok(())
    }
    /// Carry out the writes, each atomically on its own, into `group_id` whose API quota is
    /// `limit`. Returns one outcome per write, in order. Implementations start with
    /// [`check_api_batch`].
    async fn write_apis(
        &self,
        scope: &Scope,
        group_id: &Id,
        writes: Vec<ApiWrite>,
        limit: u32,
    ) -> StoreResult<Vec<ApiWriteOutcome>>;

    async fn get_shared(&self, scope: &Scope, key: &SharedKey)
        -> StoreResult<Option<SharedObject>>;
    /// Shared objects of one kind (`group_id` for group-scoped kinds; see
    /// [`shared_listing`]).
    async fn list_shared(
        &self,
        scope: &Scope,
        kind: SharedKind,
        group_id: Option<&Id>,
    ) -> StoreResult<Vec<SharedObject>>;
    /// A conditional write of a shared object; `limit` is the per-instance quota of its kind.
    /// Implementations start with [`check_shared`].
    async fn write_shared(
        &self,
        scope: &Scope,
        write: SharedWrite,
        limit: Option<u32>,
    ) -> StoreResult<SharedWriteOutcome>;

    async fn put_import_record(&self, scope: &Scope, record: &ImportRecord) -> StoreResult<()>;
    /// [`put_import_record`](Self::put_import_record) by a caller that has read the
    /// instance registered (the importer, in its first round trip): instances are never
    /// deleted, so a store may skip checking it again (DynamoDB: a plain `PutItem`, so that
    /// concurrent imports' records do not conflict on the instance item). Default:
    /// `put_import_record`.
    async fn record_import(&self, scope: &Scope, record: &ImportRecord) -> StoreResult<()> {
        self.put_import_record(scope, record).await
    }
    async fn get_import_record(&self, scope: &Scope, id: &Id) -> StoreResult<Option<ImportRecord>>;
}

/// Access keys (AK/SK signing), used only by authentication and key management. Keyed by
/// the AK alone, which is unique across projects: a signed request names its AK before
/// anyone knows its project. One item per key, holding its lockout state too; every write
/// is a single-item conditional write.
#[async_trait]
pub trait AccessKeyStore: Send + Sync + 'static {
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

/// Every capability of a store, for the callers that need one handle (the HTTP app, the
/// CLI). Implemented for any type with all of them.
pub trait Store: Catalog + AccessKeyStore + TaskStore {}

impl<T: Catalog + AccessKeyStore + TaskStore> Store for T {}

/// What a replacement keeps of the stored value whatever the replacing value says: its `id`
/// and `created_at`. The one statement of that rule; each store supplies the stored values
/// (SQLite from its row, DynamoDB from the item's native attributes, which a conditional
/// update of the body leaves alone).
pub(crate) trait KeepIdentity {
    /// Take the stored `id` (when known) and `created_at`.
    fn keep_identity(&mut self, stored_id: Option<Id>, stored_created_at: String);
}

impl KeepIdentity for Api {
    fn keep_identity(&mut self, stored_id: Option<Id>, stored_created_at: String) {
        if let Some(id) = stored_id {
            self.id = id;
        }
        self.created_at = stored_created_at;
    }
}

impl KeepIdentity for SharedObject {
    fn keep_identity(&mut self, stored_id: Option<Id>, stored_created_at: String) {
        if let Some(id) = stored_id {
            self.id = id;
        }
        self.created_at = stored_created_at;
    }
}

/// The checks of a batch of API writes: every API belongs to `group_id` (a stray one is a
/// caller bug, a [`StoreError`]). `Ok(false)`: the batch is empty, nothing to do.
pub(crate) fn check_api_batch(group_id: &Id, writes: &[ApiWrite]) -> StoreResult<bool> {
    if let Some(stray) = writes.iter().find(|w| &w.api().group_id != group_id) {
        return Err(StoreError::new(format_args!(
            "api {} belongs to group {}, not {group_id}",
            stray.api().id,
            stray.api().group_id
        )));
    }
    Ok(!writes.is_empty())
}

/// Which group scope a listing of `kind` reads: `Some(None)` for instance-scoped kinds
/// (which ignore `group_id`), `Some(Some(id))` for a group-scoped kind, `None` when a
/// group-scoped kind is asked for without a group (it has none).
pub(crate) fn shared_listing(kind: SharedKind, group_id: Option<&Id>) -> Option<Option<&Id>> {
    if kind.per_group() {
        group_id.map(Some)
    } else {
        Some(None)
    }
}

/// A shared object's key must agree with its definition and its kind's scope.
pub(crate) fn check_shared(object: &SharedObject) -> StoreResult<()> {
    let kind = object.key.kind;
    if object.definition.kind() != kind {
        return Err(StoreError::new(format_args!(
            "shared object {:?}: key kind {} but definition kind {}",
            object.key.name,
            kind.as_str(),
            object.definition.kind().as_str()
        )));
    }
    if kind.per_group() != object.key.group_id.is_some() {
        return Err(StoreError::new(format_args!(
            "shared object {:?}: kind {} {} a group id",
            object.key.name,
            kind.as_str(),
            if kind.per_group() {
                "needs"
            } else {
                "takes no"
            }
        )));
    }
    Ok(())
}
