//! A consistency audit of one tenant's items: every lock has its entity and every entity
//! its locks, pointers agree with the API items, and counters equal the real counts.
//!
//! It scans the whole table (filtered to the tenant), so it is meant for tests and for an
//! operator's occasional check, never for the request path.

use super::api_count;
use super::codec::{
    get_n_or_zero, get_s, Item, API_COUNT, CREATOR, GROUP, GROUP_COUNT, ID, NAME, ROUTE,
};
use super::keys::{self, shared_counter, Key, Keys};
use super::reservation::reservations;
use super::{sdk_error, table, DynamoStore};
use crate::model::{Scope, SharedKind};
use crate::store::StoreResult;
use std::collections::{BTreeMap, HashMap};

const SHARED_KINDS: [SharedKind; 4] = [
    SharedKind::Throttle,
    SharedKind::AccessControl,
    SharedKind::Authorizer,
    SharedKind::GatewayResponse,
];

impl DynamoStore {
    /// Every item of the tenant (a filtered, paginated `Scan`).
    pub async fn scan_tenant(&self, scope: &Scope) -> StoreResult<Vec<Item>> {
        let keys = Keys::of(scope);
        let prefix = format!("{}#", keys.tenant_pk());
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(self.table.as_ref())
                .filter_expression("#pk = :t OR begins_with(#pk, :prefix)")
                .expression_attribute_names("#pk", table::PARTITION_KEY)
                .expression_attribute_values(":t", super::codec::s(keys.tenant_pk()))
                .expression_attribute_values(":prefix", super::codec::s(prefix.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_error("scan", e))?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// The inconsistencies among the tenant's items (empty when consistent).
    pub async fn audit(&self, scope: &Scope) -> StoreResult<Vec<String>> {
        let k = Keys::of(scope);
        let items = self.scan_tenant(scope).await?;
        let mut by_key: HashMap<Key, &Item> = HashMap::new();
        for item in &items {
            if let Some(key) = Key::of_item(item) {
                by_key.insert(key, item);
            }
        }
        let mut problems = Vec::new();
        let tenant = k.tenant_pk().to_string();
        let pointer_prefix = k.api_pointer_pk_prefix();
        let mut groups: BTreeMap<String, &Item> = BTreeMap::new();
        let mut apis_per_group: BTreeMap<String, u64> = BTreeMap::new();
        // (group, creator mark) -> API items created under that reservation.
        let mut created_under: HashMap<(String, String), u64> = HashMap::new();
        let mut shared: BTreeMap<String, u64> = BTreeMap::new();
        for (key, item) in &by_key {
            if key.pk == tenant {
                if key.sk.starts_with(keys::GROUP_NAME_PREFIX) {
                    let id = get_s(item, ID)?;
                    let name = get_s(item, NAME)?;
                    match by_key.get(&k.group(id)) {
                        Some(g) if get_s(g, NAME)? == name => {}
                        _ => problems
                            .push(format!("group name lock {name:?} without its group {id}")),
                    }
                } else if key.sk.starts_with(keys::GROUP_PREFIX) {
                    let id = get_s(item, ID)?;
                    groups.insert(id.to_string(), item);
                    let name = get_s(item, NAME)?;
                    match by_key.get(&k.group_name(name)) {
                        Some(lock) if get_s(lock, ID)? == id => {}
                        _ => problems.push(format!("group {id} without its name lock {name:?}")),
                    }
                } else if key.sk.starts_with(keys::SHARED_PREFIX) {
                    let kind = key.sk[keys::SHARED_PREFIX.len()..]
                        .split('#')
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    *shared.entry(kind).or_default() += 1;
                }
            } else if let Some(id) = key.pk.strip_prefix(&pointer_prefix) {
                let group = get_s(item, GROUP)?;
                let route = get_s(item, ROUTE)?;
                let name = get_s(item, NAME)?;
                match by_key.get(&k.api_route(group, route)) {
                    Some(api) if get_s(api, ID)? == id && get_s(api, NAME)? == name => {}
                    _ => problems.push(format!(
                        "api pointer {id} without its api ({route}, {name:?})"
                    )),
                }
            } else if let Some(rest) = key.pk.strip_prefix(&format!("{tenant}#G#")) {
                let group = rest.to_string();
                if key.sk.starts_with(keys::API_PREFIX) {
                    *apis_per_group.entry(group.clone()).or_default() += 1;
                    if let Ok(creator) = get_s(item, CREATOR) {
                        *created_under
                            .entry((group.clone(), creator.to_string()))
                            .or_default() += 1;
                    }
                    let id = get_s(item, ID)?;
                    let name = get_s(item, NAME)?;
                    let route = get_s(item, ROUTE)?;
                    match by_key.get(&k.api_name(&group, name)) {
                        Some(lock) if get_s(lock, ID)? == id => {}
                        _ => problems.push(format!("api {id} without its name lock {name:?}")),
                    }
                    match by_key.get(&k.api_pointer(id)) {
                        Some(p)
                            if get_s(p, GROUP)? == group
                                && get_s(p, ROUTE)? == route
                                && get_s(p, NAME)? == name => {}
                        _ => problems.push(format!("api {id} without a matching id pointer")),
                    }
                } else if key.sk.starts_with(keys::API_NAME_PREFIX) {
                    let id = get_s(item, ID)?;
                    let name = get_s(item, NAME)?;
                    let held = by_key.get(&k.api_pointer(id)).and_then(|p| {
                        let route = get_s(p, ROUTE).ok()?;
                        by_key.get(&k.api_route(&group, route))
                    });
                    match held {
                        Some(api) if get_s(api, ID)? == id && get_s(api, NAME)? == name => {}
                        _ => problems.push(format!("api name lock {name:?} without its api {id}")),
                    }
                }
                if !by_key.contains_key(&k.group(&group)) {
                    problems.push(format!("item {} of a group that does not exist", key.sk));
                }
            }
        }
        for (id, g) in &groups {
            let counted = get_n_or_zero(g, API_COUNT)?;
            let real = apis_per_group.get(id).copied().unwrap_or(0);
            // Reservations not settled yet hold the part of them not used so far.
            let mut outstanding = 0;
            for r in reservations(g)? {
                let used = created_under
                    .get(&(id.clone(), r.marker.clone()))
                    .copied()
                    .unwrap_or(0);
                if used > r.n {
                    problems.push(format!(
                        "group {id}: reservation {} of {} has {used} apis",
                        r.marker, r.n
                    ));
                }
                outstanding += r.n.saturating_sub(used);
            }
            if counted != real + outstanding {
                problems.push(format!(
                    "group {id} counts {counted} apis, has {real} (+ {outstanding} reserved)"
                ));
            }
        }
        // The instance's API count (when it has one) equals its API items.
        let count_items: Vec<Item> = by_key
            .iter()
            .filter(|(key, _)| key.pk == tenant && key.sk.starts_with(api_count::MARKER_SK))
            .map(|(_, item)| (*item).clone())
            .collect();
        if let Some(counted) = api_count::sum_shards(&count_items)? {
            let real: u64 = apis_per_group.values().sum();
            if counted != real {
                problems.push(format!(
                    "the instance's API count says {counted}, it has {real} api items"
                ));
            }
        }
        match by_key.get(&k.instance()) {
            Some(instance) => {
                let counted = get_n_or_zero(instance, GROUP_COUNT)?;
                if counted != groups.len() as u64 {
                    problems.push(format!(
                        "instance counts {counted} groups, has {}",
                        groups.len()
                    ));
                }
                for kind in SHARED_KINDS {
                    let counted = get_n_or_zero(instance, &shared_counter(kind))?;
                    let real = shared.get(kind.as_str()).copied().unwrap_or(0);
                    if counted != real {
                        problems.push(format!(
                            "instance counts {counted} {} objects, has {real}",
                            kind.as_str()
                        ));
                    }
                }
            }
            None if by_key.is_empty() => {}
            None => problems.push("items of an instance that is not registered".to_string()),
        }
        problems.sort();
        Ok(problems)
    }
}
