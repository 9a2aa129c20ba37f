//! Item keys of the single table (see `docs/dynamodb.md`).
//!
//! Every partition key starts with `T#<project>#<instance>`. Project and instance ids are
//! `[A-Za-z0-9_-]{1,64}` (see [`PathId`](crate::model::PathId)), so `#` can never occur
//! inside them and two tenants can never produce the same key, nor one tenant's key the
//! prefix of another tenant's partition.
//!
//! Free-form parts (names, paths) are kept verbatim in the sort key when short enough; a
//! part longer than [`MAX_VERBATIM`] bytes is replaced by `~` and its SHA-256, so a key
//! never exceeds DynamoDB's 1,024-byte sort-key limit. The verbatim value is always stored
//! in an attribute too.

use crate::model::{Api, Group, Id, ReferenceKind, Scope, SharedKey, SharedKind};
use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Longest free-form key part stored verbatim (bytes).
pub const MAX_VERBATIM: usize = 900;

/// Sort key of the instance item.
pub const INSTANCE_SK: &str = "INSTANCE";
/// Sort key of an API id pointer item.
pub const POINTER_SK: &str = "A";
/// Sort key of an import record item.
pub const RECORD_SK: &str = "REC";
/// Sort-key prefix of API items (one per route) in a group partition.
pub const API_PREFIX: &str = "R#";
/// Sort-key prefix of API name locks in a group partition.
pub const API_NAME_PREFIX: &str = "N#";
/// Sort-key prefix of group items in the tenant partition.
pub const GROUP_PREFIX: &str = "G#";
/// Sort-key prefix of group-name locks in the tenant partition.
pub const GROUP_NAME_PREFIX: &str = "GN#";
/// Sort-key prefix of references in the tenant partition.
pub const REFERENCE_PREFIX: &str = "REF#";
/// Sort-key prefix of shared objects in the tenant partition.
pub const SHARED_PREFIX: &str = "S#";

/// Separator of the parts of an order value: below every character a name, path or
/// timestamp holds, so the concatenation sorts like the tuple of its parts.
const ORDER_SEPARATOR: char = '\u{1}';
/// Longest path kept in an order value (bytes): the index sort key may not exceed 1,024
/// bytes. Paths sharing their first 900 bytes are ordered among themselves by route key.
const MAX_ORDER_PATH: usize = 900;

/// The order value (`ord`) of a group item: [`group_order`](crate::store::group_order).
pub fn group_order(group: &Group) -> String {
    let (created_at, name) = crate::store::group_order(group);
    format!("{created_at}{ORDER_SEPARATOR}{name}")
}

/// The order value (`ord`) of an API item: [`api_order`](crate::store::api_order) — path,
/// then method and match mode by their declaration order.
pub fn api_order(api: &Api) -> String {
    let (path, method, mode) = crate::store::api_order(api);
    let mut end = path.len().min(MAX_ORDER_PATH);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    let path = path.get(..end).unwrap_or(path);
    format!(
        "{path}{ORDER_SEPARATOR}{:02}{ORDER_SEPARATOR}{:02}",
        method as u8, mode as u8
    )
}

/// The primary key of one item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key as DynamoDB attributes.
    pub fn attrs(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                super::table::PARTITION_KEY.to_string(),
                AttributeValue::S(self.pk.clone()),
            ),
            (
                super::table::SORT_KEY.to_string(),
                AttributeValue::S(self.sk.clone()),
            ),
        ])
    }

    /// The key of a stored item (`None` if it lacks one).
    pub fn of_item(item: &HashMap<String, AttributeValue>) -> Option<Key> {
        let pk = item.get(super::table::PARTITION_KEY)?.as_s().ok()?;
        let sk = item.get(super::table::SORT_KEY)?.as_s().ok()?;
        Some(Key::new(pk.clone(), sk.clone()))
    }
}

/// A free-form key part: verbatim, or `~` + SHA-256 hex when too long.
pub fn part(s: &str) -> String {
    if s.len() <= MAX_VERBATIM {
        s.to_string()
    } else {
        format!("~{}", hex::encode(Sha256::digest(s.as_bytes())))
    }
}

/// The keys of one tenant (project + instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    tenant: String,
}

impl Keys {
    pub fn of(scope: &Scope) -> Self {
        Keys {
            tenant: format!(
                "T#{}#{}",
                scope.project_id.as_str(),
                scope.instance_id.as_str()
            ),
        }
    }

    /// The tenant partition: instance, groups, group-name locks, references, shared objects.
    pub fn tenant_pk(&self) -> &str {
        &self.tenant
    }

    pub fn instance(&self) -> Key {
        Key::new(&self.tenant, INSTANCE_SK)
    }

    /// A group item (it also carries the group's API counter).
    pub fn group(&self, group_id: &str) -> Key {
        Key::new(&self.tenant, format!("{GROUP_PREFIX}{group_id}"))
    }

    pub fn group_name(&self, name: &str) -> Key {
        Key::new(&self.tenant, format!("{GROUP_NAME_PREFIX}{}", part(name)))
    }

    /// The partition of one group's APIs and API-name locks.
    pub fn group_pk(&self, group_id: &str) -> String {
        format!("{}#G#{group_id}", self.tenant)
    }

    /// The API item holding `route` (a [`RouteKey::storage_key`](crate::model::RouteKey)).
    pub fn api_route(&self, group_id: &str, route: &str) -> Key {
        Key::new(
            self.group_pk(group_id),
            format!("{API_PREFIX}{}", part(route)),
        )
    }

    pub fn api_name(&self, group_id: &str, name: &str) -> Key {
        Key::new(
            self.group_pk(group_id),
            format!("{API_NAME_PREFIX}{}", part(name)),
        )
    }

    /// The pointer from an API id to its group and route (its own partition).
    pub fn api_pointer(&self, api_id: &str) -> Key {
        Key::new(format!("{}#A#{api_id}", self.tenant), POINTER_SK)
    }

    /// Prefix of an API pointer partition key, for audits.
    pub fn api_pointer_pk_prefix(&self) -> String {
        format!("{}#A#", self.tenant)
    }

    pub fn reference(&self, kind: ReferenceKind, name: &str) -> Key {
        Key::new(
            &self.tenant,
            format!("{}{}", Self::reference_prefix(kind), part(name)),
        )
    }

    pub fn reference_prefix(kind: ReferenceKind) -> String {
        format!("{REFERENCE_PREFIX}{}#", kind.as_str())
    }

    pub fn shared(&self, key: &SharedKey) -> Key {
        Key::new(
            &self.tenant,
            format!(
                "{}{}",
                Self::shared_prefix(key.kind, key.group_id.as_ref()),
                part(&key.name)
            ),
        )
    }

    /// `S#<kind>#<group id or empty>#`: the objects of one kind (and group).
    pub fn shared_prefix(kind: SharedKind, group_id: Option<&Id>) -> String {
        format!(
            "{SHARED_PREFIX}{}#{}#",
            kind.as_str(),
            group_id.map(Id::as_str).unwrap_or("")
        )
    }

    pub fn record(&self, id: &str) -> Key {
        Key::new(format!("{}#REC#{id}", self.tenant), RECORD_SK)
    }
}

/// Name of the instance item's counter of shared objects of `kind`.
pub fn shared_counter(kind: SharedKind) -> String {
    format!("n_{}", kind.as_str())
}

/// Access keys belong to a project, not an instance, and are looked up by the AK alone: one
/// item per key in its own partition.
pub fn access_key(access_key: &str) -> Key {
    Key::new(format!("AK#{}", part(access_key)), "AK")
}

/// The partition listing a project's access keys (one small item per key, sort key = AK).
pub fn project_access_keys_pk(project: &str) -> String {
    format!("P#{project}#AK")
}

/// Sort-key prefix of the listing items in a project's access-key partition.
pub const ACCESS_KEY_LISTING_PREFIX: &str = "AK#";

/// The listing item of one access key in its project's partition.
pub fn project_access_key(project: &str, access_key: &str) -> Key {
    Key::new(
        project_access_keys_pk(project),
        format!("{ACCESS_KEY_LISTING_PREFIX}{}", part(access_key)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PathId;

    fn scope(p: &str, i: &str) -> Scope {
        Scope::new(PathId::parse(p).unwrap(), PathId::parse(i).unwrap())
    }

    #[test]
    fn tenants_never_collide() {
        let a = Keys::of(&scope("ab-x", "y-z"));
        let b = Keys::of(&scope("ab-x-y", "z"));
        assert_ne!(a.tenant_pk(), b.tenant_pk());
        assert_ne!(a.group_pk("g"), b.group_pk("g"));
        assert_eq!(a.tenant_pk(), "T#ab-x#y-z");
    }

    #[test]
    fn long_parts_are_hashed() {
        let long = "x".repeat(2000);
        let k = Keys::of(&scope("p", "i")).api_name("g", &long);
        assert!(k.sk.len() < 100);
        assert!(k.sk.starts_with("N#~"));
        assert_eq!(part("short"), "short");
    }
}
