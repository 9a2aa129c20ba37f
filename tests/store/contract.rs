//! The store contract: what every [`Store`] implementation must do, written once against
//! `&dyn Store` and run for each store by `contract_tests!` (below), once per store.
//!
//! Every case works in fresh random scopes, so the cases may share one store (e.g. one
//! DynamoDB table) and run in parallel. Listings are compared regardless of order.
//!
//! To add a store: a factory `async fn NAME() -> Option<StoreFixture>` in
//! `tests/support/stores.rs` and a line `contract_tests!(NAME);` here.

use crate::support::fixtures::*;
use apig_import::auth::access_key::generate_access_key;
use apig_import::model::*;
use apig_import::store::{
    sort_apis, sort_groups, ApiWrite, ApiWriteOutcome, GroupCreate, GroupLimits, PageRequest,
    QuotaHold, SharedCreate, SharedWrite, SharedWriteOutcome, Store,
};
use std::time::Duration;
use time::macros::datetime;

/// Instantiate every contract case as a `#[tokio::test]` in a module named after the store,
/// made by the factory of the same name in `support::stores` (`None`: no server, skipped).
/// This list is the only one: a case left out of it is dead code, which clippy refuses.
macro_rules! contract_tests {
    ($store:ident) => {
        mod $store {
            contract_tests!(@cases $store;
            case_instance_create_exists_idempotent,
            case_references_create_conflict_list,
            case_group_create_get_list,
            case_group_name_clash,
            case_group_quota,
            case_api_create_get_list,
            case_api_route_conflict,
            case_api_route_conflict_inside_one_batch,
            case_api_name_clash,
            case_api_route_reported_before_name,
            case_api_routes_and_names_are_per_group,
            case_api_quota_exactly_at_limit,
            case_api_quota_counts_only_the_group,
            case_api_replace_version_check,
            case_api_replace_changes_parameter_names,
            case_api_replace_to_taken_name,
            case_api_replace_at_quota,
            case_api_batch_outcomes_in_order,
            case_api_large_batch_outcomes_in_order,
            case_api_empty_batch,
            case_shared_create_clash_get_list,
            case_shared_quota,
            case_shared_replace,
            case_gateway_responses_per_group,
            case_import_record_put_get,
            case_import_path_reads_and_holds,
            case_tenancy_isolation,
            case_read_back_every_field,
            case_read_back_numbers_exactly,
            case_many_apis_listed_completely,
            case_pages_in_listing_order,
            case_access_key_create_get_list,
            case_access_key_enable_disable,
            case_access_key_lockout,
            case_access_key_failures_are_atomic,
            case_task_create_get_tenancy,
            case_task_lease_and_finish,
            case_task_lease_taken_once_concurrently,
            case_task_unfinished_listed,
            );
        }
    };
    (@cases $store:ident; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(fixture) = crate::support::stores::$store().await else {
                    return;
                };
                super::$case(&*fixture.store).await;
            }
        )*
    };
}

contract_tests!(sqlite_memory);
contract_tests!(sqlite_file);
// Each case on its own fresh table of the test server (`scripts/dynamodb-local cargo test`);
// without a server they are skipped loudly, except in CI where they fail.
contract_tests!(dynamodb);

fn route_taken(name: &str) -> ApiWriteOutcome {
    ApiWriteOutcome::RouteTaken {
        existing_name: name.to_string(),
    }
}

async fn write(
    store: &dyn Store,
    scope: &Scope,
    group: &Group,
    writes: Vec<ApiWrite>,
    limit: u32,
) -> Vec<ApiWriteOutcome> {
    store
        .write_apis(scope, &group.id, writes, limit)
        .await
        .expect("write apis")
}

async fn create_one(store: &dyn Store, scope: &Scope, group: &Group, api: &Api) -> ApiWriteOutcome {
    let mut out = write(
        store,
        scope,
        group,
        vec![ApiWrite::Create(api.clone())],
        1000,
    )
    .await;
    assert_eq!(out.len(), 1);
    out.remove(0)
}

async fn apis_of(store: &dyn Store, scope: &Scope, group: &Group) -> Vec<Api> {
    store.list_apis(scope, &group.id).await.expect("list apis")
}

// ---------------------------------------------------------------------------------------
// Instances and references
// ---------------------------------------------------------------------------------------

async fn case_instance_create_exists_idempotent(store: &dyn Store) {
    let scope = scope();
    assert!(!store.instance_exists(&scope).await.unwrap());
    assert!(store.create_instance(&scope).await.unwrap());
    assert!(store.instance_exists(&scope).await.unwrap());
    // A second registration reports that it existed, and changes nothing.
    assert!(!store.create_instance(&scope).await.unwrap());
    assert!(store.instance_exists(&scope).await.unwrap());
    // Neighbours are not registered by it.
    assert!(!store
        .instance_exists(&sibling_instance(&scope))
        .await
        .unwrap());
    assert!(!store.instance_exists(&other_project(&scope)).await.unwrap());
}

async fn case_references_create_conflict_list(store: &dyn Store) {
    let scope = instance(store).await;
    let vpc = reference(ReferenceKind::VpcChannel, "vpc_main");
    let vpc2 = reference(ReferenceKind::VpcChannel, "vpc_other");
    let plugin = reference(ReferenceKind::Plugin, "vpc_main");
    assert!(store.create_reference(&scope, &vpc).await.unwrap());
    assert!(store.create_reference(&scope, &vpc2).await.unwrap());
    // Same name, another kind: no clash.
    assert!(store.create_reference(&scope, &plugin).await.unwrap());
    // Same kind and name (another id): taken.
    let clash = reference(ReferenceKind::VpcChannel, "vpc_main");
    assert!(!store.create_reference(&scope, &clash).await.unwrap());

    let vpcs = store
        .list_references(&scope, ReferenceKind::VpcChannel)
        .await
        .unwrap();
    assert_eq!(
        by_id(&vpcs, |r| &r.id),
        by_id(&[vpc.clone(), vpc2], |r| &r.id)
    );
    let plugins = store
        .list_references(&scope, ReferenceKind::Plugin)
        .await
        .unwrap();
    assert_eq!(plugins, vec![plugin]);
    assert!(store
        .list_references(&scope, ReferenceKind::Orchestration)
        .await
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------

async fn case_group_create_get_list(store: &dyn Store) {
    let scope = instance(store).await;
    assert!(store.list_groups(&scope).await.unwrap().is_empty());
    let mut a = group("group_a");
    a.remark = Some("the first group".to_string());
    let b = group("图书馆服务");
    assert_eq!(
        store.create_group(&scope, &a, 10).await.unwrap(),
        GroupCreate::Created
    );
    assert_eq!(
        store.create_group(&scope, &b, 10).await.unwrap(),
        GroupCreate::Created
    );
    assert_eq!(
        store.get_group(&scope, &a.id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store.get_group(&scope, &b.id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.get_group(&scope, &Id::generate()).await.unwrap(),
        None
    );
    let listed = store.list_groups(&scope).await.unwrap();
    assert_eq!(by_id(&listed, |g| &g.id), by_id(&[a, b], |g| &g.id));
}

async fn case_group_name_clash(store: &dyn Store) {
    let scope = instance(store).await;
    let first = stored_group(store, &scope, "orders").await;
    let clash = group("orders");
    assert_eq!(
        store.create_group(&scope, &clash, 10).await.unwrap(),
        GroupCreate::NameTaken
    );
    // Names compare exactly.
    assert_eq!(
        store
            .create_group(&scope, &group("Orders"), 10)
            .await
            .unwrap(),
        GroupCreate::Created
    );
    assert_eq!(store.get_group(&scope, &clash.id).await.unwrap(), None);
    assert_eq!(
        store.get_group(&scope, &first.id).await.unwrap(),
        Some(first)
    );
    assert_eq!(store.list_groups(&scope).await.unwrap().len(), 2);
}

async fn case_group_quota(store: &dyn Store) {
    let scope = instance(store).await;
    for i in 0..3 {
        assert_eq!(
            store
                .create_group(&scope, &group(&format!("g_{i}")), 3)
                .await
                .unwrap(),
            GroupCreate::Created
        );
    }
    let over = group("g_3");
    assert_eq!(
        store.create_group(&scope, &over, 3).await.unwrap(),
        GroupCreate::QuotaReached
    );
    assert_eq!(store.get_group(&scope, &over.id).await.unwrap(), None);
    // A clashing name is reported as such even at the quota.
    assert_eq!(
        store.create_group(&scope, &group("g_0"), 3).await.unwrap(),
        GroupCreate::NameTaken
    );
    // A higher limit admits it.
    assert_eq!(
        store.create_group(&scope, &over, 4).await.unwrap(),
        GroupCreate::Created
    );
    assert_eq!(store.list_groups(&scope).await.unwrap().len(), 4);
    // The quota is per instance.
    let other = instance(store).await;
    assert_eq!(
        store.create_group(&other, &group("g_0"), 1).await.unwrap(),
        GroupCreate::Created
    );
}

// ---------------------------------------------------------------------------------------
// APIs
// ---------------------------------------------------------------------------------------

async fn case_api_create_get_list(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "shop").await;
    assert!(apis_of(store, &scope, &g).await.is_empty());
    let a = api(&g.id, "list_users", Method::Get, "/users");
    let b = api(&g.id, "get_user", Method::Get, "/users/{id}");
    let c = api(&g.id, "create_user", Method::Post, "/users");
    let out = write(
        store,
        &scope,
        &g,
        creates(&[a.clone(), b.clone(), c.clone()]),
        1000,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::Created; 3]);
    assert_eq!(store.get_api(&scope, &a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_api(&scope, &b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(store.get_api(&scope, &Id::generate()).await.unwrap(), None);
    let listed = apis_of(store, &scope, &g).await;
    assert_eq!(by_id(&listed, |a| &a.id), by_id(&[a, b, c], |a| &a.id));
}

async fn case_api_route_conflict(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "users").await;
    let existing = api(&g.id, "get_user", Method::Get, "/users/{id}");
    assert_eq!(
        create_one(store, &scope, &g, &existing).await,
        ApiWriteOutcome::Created
    );
    // Path parameter names do not count.
    let renamed_param = api(&g.id, "get_user_2", Method::Get, "/users/{uid}");
    assert_eq!(
        create_one(store, &scope, &g, &renamed_param).await,
        route_taken("get_user")
    );
    // The exact same route too.
    let same = api(&g.id, "get_user_3", Method::Get, "/users/{id}");
    assert_eq!(
        create_one(store, &scope, &g, &same).await,
        route_taken("get_user")
    );
    // Another match mode, method, greedy parameter or literal segment is another route.
    let distinct = [
        api_with_mode(
            &g.id,
            "get_user_swa",
            Method::Get,
            "/users/{id}",
            MatchMode::Swa,
        ),
        api(&g.id, "put_user", Method::Put, "/users/{id}"),
        api(&g.id, "any_user", Method::Any, "/users/{id}"),
        api(&g.id, "get_user_rest", Method::Get, "/users/{id+}"),
        api(&g.id, "get_user_me", Method::Get, "/users/me"),
    ];
    let out = write(store, &scope, &g, creates(&distinct), 1000).await;
    assert_eq!(out, vec![ApiWriteOutcome::Created; distinct.len()]);
    // And SWA vs SWA clashes again.
    let swa_again = api_with_mode(
        &g.id,
        "get_user_swa2",
        Method::Get,
        "/users/{x}",
        MatchMode::Swa,
    );
    assert_eq!(
        create_one(store, &scope, &g, &swa_again).await,
        route_taken("get_user_swa")
    );
    assert_eq!(
        store.get_api(&scope, &renamed_param.id).await.unwrap(),
        None
    );
    assert_eq!(store.get_api(&scope, &swa_again.id).await.unwrap(), None);
    assert_eq!(apis_of(store, &scope, &g).await.len(), 1 + distinct.len());
}

async fn case_api_route_conflict_inside_one_batch(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "batch").await;
    let first = api(&g.id, "first", Method::Get, "/items/{a}");
    let second = api(&g.id, "second", Method::Get, "/items/{b}");
    let third = api(&g.id, "first", Method::Post, "/items/{a}");
    let out = write(
        store,
        &scope,
        &g,
        creates(&[first.clone(), second, third]),
        1000,
    )
    .await;
    assert_eq!(
        out,
        vec![
            ApiWriteOutcome::Created,
            route_taken("first"),
            ApiWriteOutcome::NameTaken
        ]
    );
    assert_eq!(apis_of(store, &scope, &g).await, vec![first]);
}

async fn case_api_name_clash(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "names").await;
    let a = api(&g.id, "shared_name", Method::Get, "/a");
    assert_eq!(
        create_one(store, &scope, &g, &a).await,
        ApiWriteOutcome::Created
    );
    let b = api(&g.id, "shared_name", Method::Get, "/b");
    assert_eq!(
        create_one(store, &scope, &g, &b).await,
        ApiWriteOutcome::NameTaken
    );
    // Names compare exactly.
    let c = api(&g.id, "Shared_Name", Method::Get, "/c");
    assert_eq!(
        create_one(store, &scope, &g, &c).await,
        ApiWriteOutcome::Created
    );
    assert_eq!(store.get_api(&scope, &b.id).await.unwrap(), None);
    assert_eq!(apis_of(store, &scope, &g).await.len(), 2);
}

async fn case_api_route_reported_before_name(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "order").await;
    let a = api(&g.id, "alpha", Method::Get, "/a");
    let b = api(&g.id, "beta", Method::Get, "/b");
    write(store, &scope, &g, creates(&[a, b]), 1000).await;
    // Route of alpha, name of beta: the route is reported.
    let both = api(&g.id, "beta", Method::Get, "/a");
    assert_eq!(
        create_one(store, &scope, &g, &both).await,
        route_taken("alpha")
    );
    // A route conflict is reported even when the group is full.
    let full = write(
        store,
        &scope,
        &g,
        vec![
            ApiWrite::Create(api(&g.id, "gamma", Method::Get, "/a")),
            ApiWrite::Create(api(&g.id, "beta", Method::Get, "/new")),
            ApiWrite::Create(api(&g.id, "delta", Method::Get, "/new")),
        ],
        2,
    )
    .await;
    assert_eq!(
        full,
        vec![
            route_taken("alpha"),
            ApiWriteOutcome::NameTaken,
            ApiWriteOutcome::QuotaReached
        ]
    );
}

async fn case_api_routes_and_names_are_per_group(store: &dyn Store) {
    let scope = instance(store).await;
    let g1 = stored_group(store, &scope, "one").await;
    let g2 = stored_group(store, &scope, "two").await;
    let a1 = api(&g1.id, "same", Method::Get, "/same/{id}");
    let a2 = api(&g2.id, "same", Method::Get, "/same/{id}");
    assert_eq!(
        create_one(store, &scope, &g1, &a1).await,
        ApiWriteOutcome::Created
    );
    assert_eq!(
        create_one(store, &scope, &g2, &a2).await,
        ApiWriteOutcome::Created
    );
    assert_eq!(apis_of(store, &scope, &g1).await, vec![a1]);
    assert_eq!(apis_of(store, &scope, &g2).await, vec![a2]);
}

async fn case_api_quota_exactly_at_limit(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "quota").await;
    let first: Vec<Api> = (0..3).map(|i| numbered_api(&g.id, i)).collect();
    let out = write(store, &scope, &g, creates(&first), 5).await;
    assert_eq!(out, vec![ApiWriteOutcome::Created; 3]);
    // 2 more fit, the rest do not.
    let more: Vec<Api> = (3..7).map(|i| numbered_api(&g.id, i)).collect();
    let out = write(store, &scope, &g, creates(&more), 5).await;
    assert_eq!(
        out,
        vec![
            ApiWriteOutcome::Created,
            ApiWriteOutcome::Created,
            ApiWriteOutcome::QuotaReached,
            ApiWriteOutcome::QuotaReached
        ]
    );
    assert_eq!(apis_of(store, &scope, &g).await.len(), 5);
    assert_eq!(store.get_api(&scope, &more[2].id).await.unwrap(), None);
    // Exactly at the limit, one more is refused; a conflict is still a conflict.
    let out = write(
        store,
        &scope,
        &g,
        vec![
            ApiWrite::Create(numbered_api(&g.id, 7)),
            ApiWrite::Create(numbered_api(&g.id, 0)),
        ],
        5,
    )
    .await;
    assert_eq!(
        out,
        vec![ApiWriteOutcome::QuotaReached, route_taken("api_0")]
    );
    // Limit 0: nothing fits.
    let g0 = stored_group(store, &scope, "quota_zero").await;
    let out = write(store, &scope, &g0, creates(&[numbered_api(&g0.id, 0)]), 0).await;
    assert_eq!(out, vec![ApiWriteOutcome::QuotaReached]);
}

async fn case_api_quota_counts_only_the_group(store: &dyn Store) {
    let scope = instance(store).await;
    let g1 = stored_group(store, &scope, "full_one").await;
    let g2 = stored_group(store, &scope, "empty_one").await;
    let apis: Vec<Api> = (0..3).map(|i| numbered_api(&g1.id, i)).collect();
    write(store, &scope, &g1, creates(&apis), 3).await;
    let out = write(store, &scope, &g2, creates(&[numbered_api(&g2.id, 0)]), 1).await;
    assert_eq!(out, vec![ApiWriteOutcome::Created]);
}

async fn case_api_replace_version_check(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "replace").await;
    let stored = api(&g.id, "get_item", Method::Get, "/items/{id}");
    assert_eq!(
        create_one(store, &scope, &g, &stored).await,
        ApiWriteOutcome::Created
    );

    // Wrong expected version: nothing changes.
    let mut new_def = stored.definition.clone();
    new_def.remark = Some("replaced".to_string());
    new_def.backend = Backend::mock("{\"v\":2}");
    let ApiWrite::Replace { api: mut wrong, .. } = replacement(&stored, new_def.clone()) else {
        unreachable!()
    };
    wrong.version = 9;
    let out = write(
        store,
        &scope,
        &g,
        vec![ApiWrite::Replace {
            api: wrong,
            expected_version: 8,
        }],
        1000,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::VersionConflict]);
    assert_eq!(
        store.get_api(&scope, &stored.id).await.unwrap(),
        Some(stored.clone())
    );

    // Right version: replaced, id and created_at kept, version and the rest as written.
    let good = replacement(&stored, new_def.clone());
    let out = write(store, &scope, &g, vec![good.clone()], 1000).await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);
    let mut expected = good.api().clone();
    expected.created_at = stored.created_at.clone();
    let now = store.get_api(&scope, &stored.id).await.unwrap().unwrap();
    assert_eq!(now, expected);
    assert_eq!(now.version, 2);
    assert_eq!(apis_of(store, &scope, &g).await, vec![expected.clone()]);

    // The same replacement again: its expected version is stale now.
    let out = write(store, &scope, &g, vec![good], 1000).await;
    assert_eq!(out, vec![ApiWriteOutcome::VersionConflict]);

    // An API that does not exist (or not in this group) cannot be replaced.
    let ghost = api(&g.id, "ghost", Method::Get, "/ghost");
    let out = write(
        store,
        &scope,
        &g,
        vec![ApiWrite::Replace {
            api: ghost.clone(),
            expected_version: 1,
        }],
        1000,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::VersionConflict]);
    assert_eq!(store.get_api(&scope, &ghost.id).await.unwrap(), None);
    let other = stored_group(store, &scope, "replace_other").await;
    let mut moved = expected.clone();
    moved.group_id = other.id.clone();
    moved.version = 3;
    let out = write(
        store,
        &scope,
        &other,
        vec![ApiWrite::Replace {
            api: moved,
            expected_version: 2,
        }],
        1000,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::VersionConflict]);
    assert_eq!(
        store.get_api(&scope, &stored.id).await.unwrap(),
        Some(expected)
    );
}

async fn case_api_replace_changes_parameter_names(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "params").await;
    let stored = api(&g.id, "get_user", Method::Get, "/users/{id}");
    create_one(store, &scope, &g, &stored).await;
    let new_def = definition(
        "get_user_renamed",
        Method::Get,
        "/users/{uid}",
        MatchMode::Normal,
    );
    let out = write(store, &scope, &g, vec![replacement(&stored, new_def)], 1000).await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);
    let now = store.get_api(&scope, &stored.id).await.unwrap().unwrap();
    assert_eq!(now.definition.path, "/users/{uid}");
    assert_eq!(now.definition.name, "get_user_renamed");
    // The route is still held (under its new parameter name), and the old name is free.
    let clash = api(&g.id, "other", Method::Get, "/users/{id}");
    assert_eq!(
        create_one(store, &scope, &g, &clash).await,
        route_taken("get_user_renamed")
    );
    let reuse = api(&g.id, "get_user", Method::Get, "/people");
    assert_eq!(
        create_one(store, &scope, &g, &reuse).await,
        ApiWriteOutcome::Created
    );
}

async fn case_api_replace_to_taken_name(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "rename").await;
    let a = api(&g.id, "alpha", Method::Get, "/a");
    let b = api(&g.id, "beta", Method::Get, "/b");
    write(store, &scope, &g, creates(&[a.clone(), b.clone()]), 1000).await;
    let new_def = definition("beta", Method::Get, "/a", MatchMode::Normal);
    let out = write(store, &scope, &g, vec![replacement(&a, new_def)], 1000).await;
    assert_eq!(out, vec![ApiWriteOutcome::NameTaken]);
    assert_eq!(store.get_api(&scope, &a.id).await.unwrap(), Some(a.clone()));
    // Keeping its own name is fine.
    let mut own = a.definition.clone();
    own.remark = Some("same name".to_string());
    let out = write(store, &scope, &g, vec![replacement(&a, own)], 1000).await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);
    assert_eq!(store.get_api(&scope, &b.id).await.unwrap(), Some(b));
}

async fn case_api_replace_at_quota(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "replace_full").await;
    let apis: Vec<Api> = (0..2).map(|i| numbered_api(&g.id, i)).collect();
    write(store, &scope, &g, creates(&apis), 2).await;
    let mut def = apis[0].definition.clone();
    def.remark = Some("still fits".to_string());
    let out = write(store, &scope, &g, vec![replacement(&apis[0], def)], 2).await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);
    assert_eq!(apis_of(store, &scope, &g).await.len(), 2);
}

async fn case_api_batch_outcomes_in_order(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "mixed").await;
    let existing = api(&g.id, "existing", Method::Get, "/existing");
    create_one(store, &scope, &g, &existing).await;
    let mut def = existing.definition.clone();
    def.remark = Some("v2".to_string());
    let fresh = api(&g.id, "fresh", Method::Post, "/fresh");
    let writes = vec![
        ApiWrite::Create(api(&g.id, "dup_route", Method::Get, "/existing")),
        ApiWrite::Create(fresh.clone()),
        replacement(&existing, def),
        ApiWrite::Create(api(&g.id, "fresh", Method::Put, "/fresh")),
        ApiWrite::Replace {
            api: fresh.clone(),
            expected_version: 5,
        },
        ApiWrite::Create(api(&g.id, "last", Method::Delete, "/fresh")),
    ];
    let out = write(store, &scope, &g, writes, 3).await;
    assert_eq!(
        out,
        vec![
            route_taken("existing"),
            ApiWriteOutcome::Created,
            ApiWriteOutcome::Replaced,
            ApiWriteOutcome::NameTaken,
            ApiWriteOutcome::VersionConflict,
            ApiWriteOutcome::Created,
        ]
    );
    assert_eq!(apis_of(store, &scope, &g).await.len(), 3);
}

/// A batch of import size (a store may prepare its writes apart from applying them, as the
/// embedded one does from 32 writes on): every kind of outcome, in order, across the quota.
async fn case_api_large_batch_outcomes_in_order(store: &dyn Store) {
    const LIMIT: u32 = 20;
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "large_batch").await;
    let existing = api(&g.id, "existing", Method::Get, "/existing");
    create_one(store, &scope, &g, &existing).await;
    let mut stored = 1;
    let mut writes = Vec::new();
    let mut expected = Vec::new();
    for i in 0..70 {
        let (write, outcome) = match i % 4 {
            0 | 3 => {
                let fresh = api(
                    &g.id,
                    &format!("fresh_{i}"),
                    Method::Post,
                    &format!("/f{i}"),
                );
                let outcome = if stored < LIMIT {
                    stored += 1;
                    ApiWriteOutcome::Created
                } else {
                    ApiWriteOutcome::QuotaReached
                };
                (ApiWrite::Create(fresh), outcome)
            }
            1 => (
                ApiWrite::Create(api(&g.id, &format!("dup_{i}"), Method::Get, "/existing")),
                route_taken("existing"),
            ),
            _ => (
                ApiWrite::Replace {
                    api: existing.clone(),
                    expected_version: existing.version + 9,
                },
                ApiWriteOutcome::VersionConflict,
            ),
        };
        writes.push(write);
        expected.push(outcome);
    }
    assert!(expected.contains(&ApiWriteOutcome::QuotaReached));
    let mut created: Vec<ApiDefinition> = writes
        .iter()
        .zip(&expected)
        .filter(|(_, outcome)| **outcome == ApiWriteOutcome::Created)
        .map(|(write, _)| write.api())
        .chain([&existing])
        .map(|a| a.definition.clone())
        .collect();
    assert_eq!(write(store, &scope, &g, writes, LIMIT).await, expected);
    // Each API stored whole, with its own body.
    let mut stored: Vec<ApiDefinition> = apis_of(store, &scope, &g)
        .await
        .into_iter()
        .map(|a| a.definition)
        .collect();
    created.sort_by(|a, b| a.name.cmp(&b.name));
    stored.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(stored, created);
}

async fn case_api_empty_batch(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "empty").await;
    assert!(write(store, &scope, &g, Vec::new(), 10).await.is_empty());
}

// ---------------------------------------------------------------------------------------
// Shared objects
// ---------------------------------------------------------------------------------------

async fn shared_write(
    store: &dyn Store,
    scope: &Scope,
    write: SharedWrite,
    limit: Option<u32>,
) -> SharedWriteOutcome {
    store
        .write_shared(scope, write, limit)
        .await
        .expect("write shared")
}

async fn case_shared_create_clash_get_list(store: &dyn Store) {
    let scope = instance(store).await;
    let t = throttle("limit_a", 100);
    let acl = access_control("limit_a");
    let authz = authorizer("authz");
    for obj in [&t, &acl, &authz] {
        assert_eq!(
            shared_write(store, &scope, SharedWrite::Create(obj.clone()), None).await,
            SharedWriteOutcome::Created
        );
    }
    // Same kind and name: taken, the stored one unchanged.
    let clash = throttle("limit_a", 1);
    assert_eq!(
        shared_write(store, &scope, SharedWrite::Create(clash), Some(300)).await,
        SharedWriteOutcome::NameTaken
    );
    assert_eq!(
        store.get_shared(&scope, &t.key).await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(
        store.get_shared(&scope, &acl.key).await.unwrap(),
        Some(acl.clone())
    );
    assert_eq!(
        store.get_shared(&scope, &authz.key).await.unwrap(),
        Some(authz.clone())
    );
    assert_eq!(
        store
            .get_shared(&scope, &instance_key(SharedKind::Throttle, "nope"))
            .await
            .unwrap(),
        None
    );
    let t2 = throttle("limit_b", 5);
    shared_write(store, &scope, SharedWrite::Create(t2.clone()), None).await;
    let throttles = store
        .list_shared(&scope, SharedKind::Throttle, None)
        .await
        .unwrap();
    assert_eq!(by_id(&throttles, |o| &o.id), by_id(&[t, t2], |o| &o.id));
    assert_eq!(
        store
            .list_shared(&scope, SharedKind::AccessControl, None)
            .await
            .unwrap(),
        vec![acl]
    );
    assert_eq!(
        store
            .list_shared(&scope, SharedKind::Authorizer, None)
            .await
            .unwrap(),
        vec![authz]
    );
}

async fn case_shared_quota(store: &dyn Store) {
    let scope = instance(store).await;
    for i in 0..2 {
        assert_eq!(
            shared_write(
                store,
                &scope,
                SharedWrite::Create(throttle(&format!("t_{i}"), 10)),
                Some(2)
            )
            .await,
            SharedWriteOutcome::Created
        );
    }
    let over = throttle("t_2", 10);
    assert_eq!(
        shared_write(store, &scope, SharedWrite::Create(over.clone()), Some(2)).await,
        SharedWriteOutcome::QuotaReached
    );
    assert_eq!(store.get_shared(&scope, &over.key).await.unwrap(), None);
    // A clash is a clash even at the quota.
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Create(throttle("t_0", 1)),
            Some(2)
        )
        .await,
        SharedWriteOutcome::NameTaken
    );
    // The quota counts only its kind.
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Create(access_control("a_0")),
            Some(2)
        )
        .await,
        SharedWriteOutcome::Created
    );
    // No limit: no quota.
    assert_eq!(
        shared_write(store, &scope, SharedWrite::Create(over), None).await,
        SharedWriteOutcome::Created
    );
    assert_eq!(
        store
            .list_shared(&scope, SharedKind::Throttle, None)
            .await
            .unwrap()
            .len(),
        3
    );
}

async fn case_shared_replace(store: &dyn Store) {
    let scope = instance(store).await;
    let stored = throttle("replace_me", 100);
    shared_write(store, &scope, SharedWrite::Create(stored.clone()), Some(10)).await;
    let SharedDefinition::Throttle(mut policy) = stored.definition.clone() else {
        unreachable!()
    };
    policy.api_limit = 999;
    policy.special.clear();
    let new = shared_replacement(&stored, SharedDefinition::Throttle(policy));
    // Wrong version.
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Replace {
                object: new.clone(),
                expected_version: stored.version + 1,
            },
            Some(10)
        )
        .await,
        SharedWriteOutcome::VersionConflict
    );
    assert_eq!(
        store.get_shared(&scope, &stored.key).await.unwrap(),
        Some(stored.clone())
    );
    // Right version; replacing at the quota is fine.
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Replace {
                object: new.clone(),
                expected_version: stored.version,
            },
            Some(1)
        )
        .await,
        SharedWriteOutcome::Replaced
    );
    assert_eq!(
        store.get_shared(&scope, &stored.key).await.unwrap(),
        Some(new.clone())
    );
    // The replacement keeps the stored object's identity (id, created_at) whatever it says.
    let mut renamed = shared_replacement(&new, new.definition.clone());
    renamed.id = Id::generate();
    renamed.created_at = T1.to_string();
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Replace {
                object: renamed.clone(),
                expected_version: new.version,
            },
            None
        )
        .await,
        SharedWriteOutcome::Replaced
    );
    let kept = SharedObject {
        id: stored.id.clone(),
        created_at: stored.created_at.clone(),
        ..renamed
    };
    assert_eq!(
        store.get_shared(&scope, &stored.key).await.unwrap(),
        Some(kept)
    );
    // Stale now.
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Replace {
                object: new.clone(),
                expected_version: stored.version,
            },
            None
        )
        .await,
        SharedWriteOutcome::VersionConflict
    );
    // Missing object.
    let ghost = throttle("ghost", 1);
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Replace {
                object: ghost.clone(),
                expected_version: 1,
            },
            None
        )
        .await,
        SharedWriteOutcome::VersionConflict
    );
    assert_eq!(store.get_shared(&scope, &ghost.key).await.unwrap(), None);
}

async fn case_gateway_responses_per_group(store: &dyn Store) {
    let scope = instance(store).await;
    let g1 = stored_group(store, &scope, "gw_one").await;
    let g2 = stored_group(store, &scope, "gw_two").await;
    let r1 = gateway_responses(&g1.id, "default", 429);
    let r2 = gateway_responses(&g2.id, "default", 503);
    for r in [&r1, &r2] {
        assert_eq!(
            shared_write(store, &scope, SharedWrite::Create(r.clone()), None).await,
            SharedWriteOutcome::Created
        );
    }
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Create(gateway_responses(&g1.id, "default", 400)),
            None
        )
        .await,
        SharedWriteOutcome::NameTaken
    );
    assert_eq!(
        store.get_shared(&scope, &r1.key).await.unwrap(),
        Some(r1.clone())
    );
    assert_eq!(
        store.get_shared(&scope, &r2.key).await.unwrap(),
        Some(r2.clone())
    );
    assert_eq!(
        store
            .list_shared(&scope, SharedKind::GatewayResponse, Some(&g1.id))
            .await
            .unwrap(),
        vec![r1.clone()]
    );
    assert_eq!(
        store
            .list_shared(&scope, SharedKind::GatewayResponse, Some(&g2.id))
            .await
            .unwrap(),
        vec![r2]
    );
    let g3 = Id::generate();
    assert!(store
        .list_shared(&scope, SharedKind::GatewayResponse, Some(&g3))
        .await
        .unwrap()
        .is_empty());
    // Replace in one group leaves the other alone.
    let SharedDefinition::GatewayResponse(mut set) = r1.definition.clone() else {
        unreachable!()
    };
    set.responses.clear();
    let new = shared_replacement(&r1, SharedDefinition::GatewayResponse(set));
    assert_eq!(
        shared_write(
            store,
            &scope,
            SharedWrite::Replace {
                object: new.clone(),
                expected_version: 1
            },
            None
        )
        .await,
        SharedWriteOutcome::Replaced
    );
    assert_eq!(store.get_shared(&scope, &r1.key).await.unwrap(), Some(new));
}

// ---------------------------------------------------------------------------------------
// Import records
// ---------------------------------------------------------------------------------------

async fn case_import_record_put_get(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "records").await;
    let record = import_record(&g.id);
    assert_eq!(
        store.get_import_record(&scope, &record.id).await.unwrap(),
        None
    );
    store.put_import_record(&scope, &record).await.unwrap();
    assert_eq!(
        store.get_import_record(&scope, &record.id).await.unwrap(),
        Some(record.clone())
    );
    // A put of the same id replaces it.
    let mut updated = record.clone();
    updated.result = "Success".to_string();
    updated.failure = 0;
    store.put_import_record(&scope, &updated).await.unwrap();
    assert_eq!(
        store.get_import_record(&scope, &record.id).await.unwrap(),
        Some(updated)
    );
    let other = import_record(&g.id);
    store.put_import_record(&scope, &other).await.unwrap();
    assert_eq!(
        store.get_import_record(&scope, &other.id).await.unwrap(),
        Some(other)
    );
}

/// The importer's path (`import::run`): one lookup of instance, group and shared objects;
/// a group created with room held for its APIs and shared objects; writes under the hold;
/// the settlement; the record. Outcomes and counters as the plain calls would give.
async fn case_import_path_reads_and_holds(store: &dyn Store) {
    let scope = instance(store).await;
    let g = group("holding");
    let (t1, t2) = (throttle("t_one", 10), throttle("t_two", 20));
    let keys = [t1.key.clone(), t2.key.clone()];
    let found = store
        .import_lookup(&scope, Some(&g.id), &keys)
        .await
        .unwrap();
    assert!(found.instance);
    assert_eq!(found.group, None);
    assert_eq!(found.shared, vec![None, None]);
    let unknown = scope_of("nobody", "nothing");
    assert!(
        !store
            .import_lookup(&unknown, None, &[])
            .await
            .unwrap()
            .instance
    );

    // Room for 3 APIs of 5; two throttles under a quota of 1: the second does not fit.
    let shared = [t1.clone(), t2.clone()].map(|object| SharedCreate {
        object,
        limit: Some(1),
    });
    let limits = GroupLimits {
        groups: 10,
        apis: 5,
    };
    let created = store
        .create_group_holding(&scope, &g, limits, 3, &shared)
        .await
        .unwrap();
    assert_eq!(created.outcome, GroupCreate::Created);
    assert_eq!(
        created.shared,
        vec![
            SharedWriteOutcome::Created,
            SharedWriteOutcome::QuotaReached
        ]
    );
    let found = store
        .import_lookup(&scope, Some(&g.id), &keys)
        .await
        .unwrap();
    assert_eq!(found.group.map(|f| f.id), Some(g.id.clone()));
    assert_eq!(found.shared, vec![Some(t1), None]);
    // The same name again: taken, nothing held, no shared object written.
    let again = store
        .create_group_holding(&scope, &group("holding"), limits, 3, &shared[1..])
        .await
        .unwrap();
    assert_eq!(again.outcome, GroupCreate::NameTaken);
    assert_eq!(again.hold, QuotaHold::default());
    assert!(again.shared.is_empty());

    // Four creates under the hold of 3 (one more reserved), then settled: the quota of 5
    // then takes exactly one more.
    let mut hold = created.hold;
    let apis: Vec<Api> = (0..4).map(|i| numbered_api(&g.id, i)).collect();
    let out = store
        .write_apis_holding(&scope, &g.id, creates(&apis), 5, &mut hold)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created; 4]);
    store.settle_apis(&scope, &g.id, hold).await.unwrap();
    let more: Vec<Api> = (4..6).map(|i| numbered_api(&g.id, i)).collect();
    let out = store
        .write_apis(&scope, &g.id, creates(&more), 5)
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![ApiWriteOutcome::Created, ApiWriteOutcome::QuotaReached]
    );

    // A reservation on a full group takes nothing and is no error; a hold with nothing
    // used gives everything back.
    let mut full = QuotaHold::default();
    store
        .reserve_apis(&scope, &g.id, &mut full, 10, 5)
        .await
        .unwrap();
    assert_eq!(full.reserved, 0);
    store.settle_apis(&scope, &g.id, full).await.unwrap();
    let other = stored_group(store, &scope, "holding_other").await;
    let mut spare = QuotaHold::default();
    store
        .reserve_apis(&scope, &other.id, &mut spare, 10, 5)
        .await
        .unwrap();
    store.settle_apis(&scope, &other.id, spare).await.unwrap();
    let five: Vec<Api> = (0..5).map(|i| numbered_api(&other.id, i)).collect();
    let out = store
        .write_apis(&scope, &other.id, creates(&five), 5)
        .await
        .unwrap();
    assert_eq!(out, vec![ApiWriteOutcome::Created; 5]);

    // The APIs at some routes: only those, whatever else the group holds.
    let route = |a: &Api| {
        let d = &a.definition;
        RouteKey::new(d.method, &d.path, d.match_mode)
    };
    let wanted = [
        route(&apis[1]),
        route(&more[0]),
        route(&numbered_api(&g.id, 99)),
    ];
    let mut at = store.find_apis(&scope, &g.id, &wanted).await.unwrap();
    at.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = vec![apis[1].clone(), more[0].clone()];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(at, expected);
    assert!(store
        .find_apis(&scope, &g.id, &[])
        .await
        .unwrap()
        .is_empty());

    // A shared object created by someone else since the lookup: reported taken, the group
    // created all the same.
    let late = store
        .create_group_holding(
            &scope,
            &group("holding_late"),
            limits,
            1,
            &[SharedCreate {
                object: throttle("t_one", 30),
                limit: None,
            }],
        )
        .await
        .unwrap();
    assert_eq!(late.outcome, GroupCreate::Created);
    assert_eq!(late.shared, vec![SharedWriteOutcome::NameTaken]);
    let late_group = store.list_groups(&scope).await.unwrap();
    assert_eq!(late_group.len(), 3);

    let record = import_record(&g.id);
    store.record_import(&scope, &record).await.unwrap();
    assert_eq!(
        store.get_import_record(&scope, &record.id).await.unwrap(),
        Some(record)
    );
}

// ---------------------------------------------------------------------------------------
// Tenancy
// ---------------------------------------------------------------------------------------

async fn case_tenancy_isolation(store: &dyn Store) {
    let home = instance(store).await;
    let sibling = sibling_instance(&home);
    let foreign = other_project(&home);
    for s in [&sibling, &foreign] {
        assert!(store.create_instance(s).await.unwrap());
    }
    // Ids that would collide if project and instance were merely concatenated.
    let tag = Id::generate().as_str()[..12].to_string();
    let glued_a = scope_of(&format!("{tag}-x"), "y-z");
    let glued_b = scope_of(&format!("{tag}-x-y"), "z");
    for s in [&glued_a, &glued_b] {
        store.create_instance(s).await.unwrap();
    }

    let g = stored_group(store, &home, "tenant_group").await;
    let a = api(&g.id, "tenant_api", Method::Get, "/tenant/{id}");
    create_one(store, &home, &g, &a).await;
    let t = throttle("tenant_throttle", 1);
    shared_write(store, &home, SharedWrite::Create(t.clone()), Some(1)).await;
    let gw = gateway_responses(&g.id, "tenant_gw", 429);
    shared_write(store, &home, SharedWrite::Create(gw.clone()), None).await;
    let r = reference(ReferenceKind::Plugin, "tenant_plugin");
    assert!(store.create_reference(&home, &r).await.unwrap());
    let rec = import_record(&g.id);
    store.put_import_record(&home, &rec).await.unwrap();

    for s in [&sibling, &foreign] {
        // Nothing is visible.
        assert_eq!(store.get_group(s, &g.id).await.unwrap(), None);
        assert!(store.list_groups(s).await.unwrap().is_empty());
        assert_eq!(store.get_api(s, &a.id).await.unwrap(), None);
        assert!(store.list_apis(s, &g.id).await.unwrap().is_empty());
        assert_eq!(store.get_shared(s, &t.key).await.unwrap(), None);
        assert_eq!(store.get_shared(s, &gw.key).await.unwrap(), None);
        assert!(store
            .list_shared(s, SharedKind::Throttle, None)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .list_shared(s, SharedKind::GatewayResponse, Some(&g.id))
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .list_references(s, ReferenceKind::Plugin)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.get_import_record(s, &rec.id).await.unwrap(), None);
        // Nothing can be touched: a replacement of the home API finds nothing.
        let mut def = a.definition.clone();
        def.remark = Some("hijacked".to_string());
        let out = store
            .write_apis(s, &g.id, vec![replacement(&a, def)], 1000)
            .await
            .unwrap();
        assert_eq!(out, vec![ApiWriteOutcome::VersionConflict]);
        let mut t2 = t.clone();
        t2.version = 2;
        assert_eq!(
            shared_write(
                store,
                s,
                SharedWrite::Replace {
                    object: t2,
                    expected_version: 1
                },
                None
            )
            .await,
            SharedWriteOutcome::VersionConflict
        );
        // Nothing collides, and the quotas are the tenant's own.
        let g2 = group("tenant_group");
        assert_eq!(
            store.create_group(s, &g2, 1).await.unwrap(),
            GroupCreate::Created
        );
        let a2 = api(&g2.id, "tenant_api", Method::Get, "/tenant/{id}");
        assert_eq!(
            create_one(store, s, &g2, &a2).await,
            ApiWriteOutcome::Created
        );
        assert_eq!(
            shared_write(
                store,
                s,
                SharedWrite::Create(throttle("tenant_throttle", 2)),
                Some(1)
            )
            .await,
            SharedWriteOutcome::Created
        );
        assert!(store
            .create_reference(s, &reference(ReferenceKind::Plugin, "tenant_plugin"))
            .await
            .unwrap());
    }
    // The home tenant is unchanged.
    assert_eq!(store.get_api(&home, &a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_shared(&home, &t.key).await.unwrap(), Some(t));
    assert_eq!(store.list_groups(&home).await.unwrap(), vec![g.clone()]);
    assert_eq!(store.list_apis(&home, &g.id).await.unwrap(), vec![a]);

    // Glued scopes are distinct.
    let ga = stored_group(store, &glued_a, "glued").await;
    assert_eq!(store.get_group(&glued_b, &ga.id).await.unwrap(), None);
    assert_eq!(
        store
            .create_group(&glued_b, &group("glued"), 1)
            .await
            .unwrap(),
        GroupCreate::Created
    );
}

// ---------------------------------------------------------------------------------------
// Fidelity and volume
// ---------------------------------------------------------------------------------------

async fn case_read_back_every_field(store: &dyn Store) {
    let scope = instance(store).await;
    let mut g = group("fidelity_组");
    g.remark = Some("remark with \"quotes\", \\ and \n newlines".to_string());
    g.updated_at = T1.to_string();
    assert_eq!(
        store.create_group(&scope, &g, 10).await.unwrap(),
        GroupCreate::Created
    );
    assert_eq!(
        store.get_group(&scope, &g.id).await.unwrap(),
        Some(g.clone())
    );

    let full = full_api(&g.id);
    assert_eq!(
        create_one(store, &scope, &g, &full).await,
        ApiWriteOutcome::Created
    );
    assert_eq!(
        store.get_api(&scope, &full.id).await.unwrap(),
        Some(full.clone())
    );
    assert_eq!(apis_of(store, &scope, &g).await, vec![full.clone()]);

    // A replacement with every field set reads back too (created_at kept).
    let mut def = full.definition.clone();
    def.tags.push("third".to_string());
    let rep = ApiWrite::Replace {
        api: Api {
            version: 8,
            updated_at: "2025-01-01T00:00:00Z".to_string(),
            definition: def,
            ..full.clone()
        },
        expected_version: 7,
    };
    let out = write(store, &scope, &g, vec![rep.clone()], 10).await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);
    assert_eq!(
        store.get_api(&scope, &full.id).await.unwrap().as_ref(),
        Some(rep.api())
    );

    for obj in [
        throttle("fid_t", u64::from(u32::MAX) * 4),
        access_control("fid_a"),
        authorizer("fid_z"),
        gateway_responses(&g.id, "fid_g", 418),
    ] {
        let mut obj = obj;
        obj.version = 3;
        obj.updated_at = T1.to_string();
        assert_eq!(
            shared_write(store, &scope, SharedWrite::Create(obj.clone()), Some(5)).await,
            SharedWriteOutcome::Created
        );
        assert_eq!(store.get_shared(&scope, &obj.key).await.unwrap(), Some(obj));
    }

    for kind in ReferenceKind::ALL {
        let r = reference(kind, "ref_名");
        assert!(store.create_reference(&scope, &r).await.unwrap());
        assert_eq!(store.list_references(&scope, kind).await.unwrap(), vec![r]);
    }

    let rec = import_record(&g.id);
    store.put_import_record(&scope, &rec).await.unwrap();
    assert_eq!(
        store.get_import_record(&scope, &rec.id).await.unwrap(),
        Some(rec)
    );
}

/// Numbers read back bit for bit: parameter bounds (f64), versions and limits (u64).
async fn case_read_back_numbers_exactly(store: &dyn Store) {
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "numbers").await;
    let mut floats = vec![
        0.1,
        0.1 + 0.2,
        -0.0,
        1e-7,
        123.456,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        5e-324,
        2.638_344_616_030_823e-256,
        1.071_566_039_146_582_6e-75,
    ];
    // Pseudo-random finite values over the whole range, and "ordinary" decimals.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while floats.len() < 400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = f64::from_bits(x);
        if f.is_finite() {
            floats.push(f);
            floats.push((x % 1_000_000) as f64 / 1000.0 + 0.1);
        }
    }
    let mut a = full_api(&g.id);
    a.version = i64::MAX as u64;
    let template = a.definition.req_params[0].clone();
    a.definition.req_params = floats
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| RequestParam {
            name: format!("p{i}"),
            min_num: Some(pair[0]),
            max_num: pair.get(1).copied(),
            min_size: Some(u64::MAX - i as u64),
            ..template.clone()
        })
        .collect();
    assert_eq!(
        create_one(store, &scope, &g, &a).await,
        ApiWriteOutcome::Created
    );
    let back = store.get_api(&scope, &a.id).await.unwrap().unwrap();
    assert_eq!(back.version, a.version);
    for (want, got) in a
        .definition
        .req_params
        .iter()
        .zip(&back.definition.req_params)
    {
        for (w, g) in [(want.min_num, got.min_num), (want.max_num, got.max_num)] {
            assert_eq!(
                w.map(f64::to_bits),
                g.map(f64::to_bits),
                "{w:?} read back as {g:?}"
            );
        }
        assert_eq!(want.min_size, got.min_size);
    }
    assert_eq!(back, a);
}

async fn case_many_apis_listed_completely(store: &dyn Store) {
    const COUNT: usize = 1500;
    const BODY: usize = 1024;
    let scope = instance(store).await;
    let g = stored_group(store, &scope, "big_group").await;
    let apis: Vec<Api> = (0..COUNT).map(|i| big_api(&g.id, i, BODY)).collect();
    // In import-sized batches of 300.
    for chunk in apis.chunks(300) {
        let out = write(store, &scope, &g, creates(chunk), 2000).await;
        assert_eq!(out, vec![ApiWriteOutcome::Created; chunk.len()]);
    }
    let listed = apis_of(store, &scope, &g).await;
    assert_eq!(listed.len(), COUNT);
    let total: usize = listed
        .iter()
        .map(|a| match &a.definition.backend.endpoint {
            BackendEndpoint::Mock(m) => m.result_content.len(),
            _ => 0,
        })
        .sum();
    assert!(total > 1024 * 1024, "only {total} bytes listed");
    assert!(by_id(&listed, |a| &a.id) == by_id(&apis, |a| &a.id));
    // The quota still counts all of them.
    let out = write(
        store,
        &scope,
        &g,
        creates(&[numbered_api(&g.id, COUNT)]),
        COUNT as u32,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::QuotaReached]);
}

/// `page_groups` and `page_apis` give any slice of the listing order (groups oldest first,
/// then by name; a group's APIs by path, method, match mode) with the whole count, for
/// one group or every group, also after a replacement moved an API.
async fn case_pages_in_listing_order(store: &dyn Store) {
    let scope = instance(store).await;
    let mut groups = Vec::new();
    for (name, created_at) in [
        ("beta", T0),
        ("alpha", T0),
        ("aaa_late", "2026-01-01T00:00:01Z"),
        ("empty", T0),
    ] {
        let g = Group {
            created_at: created_at.to_string(),
            ..group(name)
        };
        assert_eq!(
            store.create_group(&scope, &g, 100).await.expect("group"),
            GroupCreate::Created
        );
        groups.push(g);
    }
    let routes: [&[(Method, &str, MatchMode)]; 4] = [
        &[
            (Method::Get, "/b", MatchMode::Normal),
            (Method::Post, "/a", MatchMode::Normal),
            (Method::Get, "/a", MatchMode::Swa),
            (Method::Any, "/b", MatchMode::Normal),
            (Method::Get, "/a", MatchMode::Normal),
            (Method::Get, "/a/x", MatchMode::Normal),
        ],
        &[
            (Method::Delete, "/z", MatchMode::Normal),
            (Method::Get, "/z", MatchMode::Normal),
            (Method::Get, "/{id}", MatchMode::Normal),
        ],
        &[
            (Method::Put, "/q", MatchMode::Normal),
            (Method::Get, "/p", MatchMode::Swa),
        ],
        &[],
    ];
    for (g, routes) in groups.iter().zip(routes) {
        let apis: Vec<Api> = routes
            .iter()
            .enumerate()
            .map(|(i, (m, path, mode))| api_with_mode(&g.id, &format!("api_{i}"), *m, path, *mode))
            .collect();
        if !apis.is_empty() {
            let out = write(store, &scope, g, creates(&apis), 100).await;
            assert_eq!(out, vec![ApiWriteOutcome::Created; apis.len()]);
        }
    }
    // Move one API: its route (and place) changes.
    let first = apis_of(store, &scope, &groups[0]).await;
    let moved = first
        .iter()
        .find(|a| a.definition.path == "/b" && a.definition.method == Method::Get)
        .expect("GET /b");
    let definition = definition(&moved.definition.name, Method::Get, "/0", MatchMode::Normal);
    let out = write(
        store,
        &scope,
        &groups[0],
        vec![replacement(moved, definition)],
        100,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);

    let mut ordered = groups.clone();
    sort_groups(&mut ordered);
    assert_eq!(
        ordered.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "beta", "empty", "aaa_late"]
    );
    let mut every: Vec<Id> = Vec::new();
    let mut per_group: Vec<(Id, Vec<Id>)> = Vec::new();
    for g in &ordered {
        let mut apis = apis_of(store, &scope, g).await;
        sort_apis(&mut apis);
        let ids: Vec<Id> = apis.iter().map(|a| a.id.clone()).collect();
        every.extend(ids.iter().cloned());
        per_group.push((g.id.clone(), ids));
    }
    assert_eq!(every.len(), 11);
    let slice = |all: &[Id], offset: u64, limit: u64| -> Vec<Id> {
        all.iter()
            .skip(offset as usize)
            .take(limit as usize)
            .cloned()
            .collect()
    };
    let pages = [
        (0, 20),
        (0, 1),
        (0, 2),
        (2, 3),
        (3, 4),
        (5, 4),
        (6, 2),
        (9, 5),
        (10, 1),
        (11, 2),
        (100, 5),
        (4, 0),
    ];
    for (offset, limit) in pages {
        let page = PageRequest { offset, limit };
        let got = store.page_apis(&scope, None, page).await.expect("page");
        assert_eq!(got.total, 11, "{page:?}");
        let ids: Vec<Id> = got.items.iter().map(|a| a.id.clone()).collect();
        assert_eq!(ids, slice(&every, offset, limit), "every group, {page:?}");
        for (group_id, expected) in &per_group {
            let got = store
                .page_apis(&scope, Some(group_id), page)
                .await
                .expect("page");
            assert_eq!(got.total, expected.len() as u64);
            let ids: Vec<Id> = got.items.iter().map(|a| a.id.clone()).collect();
            assert_eq!(ids, slice(expected, offset, limit), "group, {page:?}");
        }
        let got = store.page_groups(&scope, page).await.expect("groups");
        assert_eq!(got.total, 4);
        let ids: Vec<Id> = got.items.iter().map(|g| g.id.clone()).collect();
        let all: Vec<Id> = ordered.iter().map(|g| g.id.clone()).collect();
        assert_eq!(ids, slice(&all, offset, limit), "groups, {page:?}");
    }
    // The moved API reads back whole, in its new place.
    let got = store
        .page_apis(
            &scope,
            Some(&groups[0].id),
            PageRequest {
                offset: 0,
                limit: 1,
            },
        )
        .await
        .expect("page");
    assert_eq!(got.items[0].definition.path, "/0");
    assert_eq!(got.items[0].version, 2);
    // An unknown group has no APIs; another instance sees none of these.
    let unknown = store
        .page_apis(
            &scope,
            Some(&Id::generate()),
            PageRequest {
                offset: 0,
                limit: 5,
            },
        )
        .await
        .expect("page");
    assert_eq!((unknown.total, unknown.items.len()), (0, 0));
    let other = sibling_instance(&scope);
    assert!(store.create_instance(&other).await.expect("instance"));
    let none = store
        .page_apis(
            &other,
            None,
            PageRequest {
                offset: 0,
                limit: 5,
            },
        )
        .await
        .expect("page");
    assert_eq!((none.total, none.items.len()), (0, 0));
    let none = store
        .page_groups(
            &other,
            PageRequest {
                offset: 0,
                limit: 5,
            },
        )
        .await
        .expect("groups");
    assert_eq!((none.total, none.items.len()), (0, 0));
}

// ---------------------------------------------------------------------------------------
// Access keys
// ---------------------------------------------------------------------------------------

fn access_key(project: &PathId, actions: &[&str]) -> AccessKey {
    AccessKey {
        access_key: generate_access_key(),
        project_id: project.clone(),
        actions: actions.iter().map(|a| a.to_string()).collect(),
        enabled: true,
        created_at: T0.to_string(),
    }
}

fn sorted_keys(mut keys: Vec<StoredAccessKey>) -> Vec<StoredAccessKey> {
    keys.sort_by(|a, b| a.key.access_key.cmp(&b.key.access_key));
    keys
}

fn fresh(key: &AccessKey) -> StoredAccessKey {
    StoredAccessKey {
        key: key.clone(),
        lock: AccessKeyLock::default(),
    }
}

async fn case_access_key_create_get_list(store: &dyn Store) {
    let project = scope().project_id;
    let a = access_key(&project, &["apig:*"]);
    let b = access_key(&project, &["apig:api:import", "apig:api:list", "動作"]);
    assert!(store.create_access_key(&a).await.unwrap());
    assert!(store.create_access_key(&b).await.unwrap());
    assert_eq!(
        store.get_access_key(&a.access_key).await.unwrap(),
        Some(fresh(&a))
    );
    assert_eq!(
        store.get_access_key(&b.access_key).await.unwrap(),
        Some(fresh(&b))
    );
    assert_eq!(
        sorted_keys(store.list_access_keys(&project).await.unwrap()),
        sorted_keys(vec![fresh(&a), fresh(&b)])
    );

    // An AK is unique across projects: a second creation changes nothing.
    let elsewhere = scope().project_id;
    let clash = AccessKey {
        project_id: elsewhere.clone(),
        actions: vec!["*".to_string()],
        ..a.clone()
    };
    assert!(!store.create_access_key(&clash).await.unwrap());
    assert_eq!(
        store.get_access_key(&a.access_key).await.unwrap(),
        Some(fresh(&a))
    );
    assert_eq!(store.list_access_keys(&elsewhere).await.unwrap(), vec![]);
    assert_eq!(
        store.get_access_key(&generate_access_key()).await.unwrap(),
        None
    );
}

async fn case_access_key_enable_disable(store: &dyn Store) {
    let project = scope().project_id;
    let key = access_key(&project, &["apig:*"]);
    assert!(store.create_access_key(&key).await.unwrap());
    let enabled = |want: bool| {
        let ak = key.access_key.clone();
        async move {
            let stored = store.get_access_key(&ak).await.unwrap().expect("key");
            assert_eq!(stored.key.enabled, want);
        }
    };
    assert!(store
        .set_access_key_enabled(&project, &key.access_key, false)
        .await
        .unwrap());
    enabled(false).await;
    // Idempotent.
    assert!(store
        .set_access_key_enabled(&project, &key.access_key, false)
        .await
        .unwrap());
    enabled(false).await;
    // Not through another project; not for an unknown AK.
    assert!(!store
        .set_access_key_enabled(&scope().project_id, &key.access_key, true)
        .await
        .unwrap());
    enabled(false).await;
    assert!(!store
        .set_access_key_enabled(&project, &generate_access_key(), true)
        .await
        .unwrap());
    assert!(store
        .set_access_key_enabled(&project, &key.access_key, true)
        .await
        .unwrap());
    enabled(true).await;
    let listed = store.list_access_keys(&project).await.unwrap();
    assert_eq!(listed, vec![fresh(&key)]);
}

async fn case_access_key_lockout(store: &dyn Store) {
    let project = scope().project_id;
    let key = access_key(&project, &["apig:*"]);
    assert!(store.create_access_key(&key).await.unwrap());
    let ak = key.access_key.as_str();
    let policy = LockoutPolicy::default();
    let t0 = datetime!(2024-01-01 00:00:00 UTC);

    for n in 1..=4 {
        let lock = store
            .record_auth_failure(ak, t0, policy)
            .await
            .unwrap()
            .expect("known key");
        assert_eq!(
            lock,
            AccessKeyLock {
                failures: n,
                locked_until: None
            }
        );
    }
    let locked = store
        .record_auth_failure(ak, t0 + Duration::from_millis(1500), policy)
        .await
        .unwrap()
        .expect("known key");
    let until = datetime!(2024-01-01 00:05:01 UTC);
    assert_eq!(
        locked,
        AccessKeyLock {
            failures: 5,
            locked_until: Some(until)
        }
    );
    let stored = store.get_access_key(ak).await.unwrap().expect("key");
    assert_eq!(stored.lock, locked);
    assert_eq!(stored.key, key);
    assert_eq!(
        store.list_access_keys(&project).await.unwrap()[0].lock,
        locked
    );

    // A reset forgets failures and lock.
    store.reset_auth_failures(ak).await.unwrap();
    assert_eq!(
        store.get_access_key(ak).await.unwrap().expect("key").lock,
        AccessKeyLock::default()
    );

    // Locked again; after the lock expires the count starts over.
    for _ in 0..5 {
        store.record_auth_failure(ak, t0, policy).await.unwrap();
    }
    let later = store
        .record_auth_failure(ak, datetime!(2024-01-01 00:06:00 UTC), policy)
        .await
        .unwrap();
    assert_eq!(
        later,
        Some(AccessKeyLock {
            failures: 1,
            locked_until: None
        })
    );

    // Unknown keys: nothing recorded, nothing created; a reset is a no-op.
    let unknown = generate_access_key();
    assert_eq!(
        store
            .record_auth_failure(&unknown, t0, policy)
            .await
            .unwrap(),
        None
    );
    store.reset_auth_failures(&unknown).await.unwrap();
    assert_eq!(store.get_access_key(&unknown).await.unwrap(), None);
}

/// Concurrent failures are each counted (the update is atomic per key).
async fn case_access_key_failures_are_atomic(store: &dyn Store) {
    let project = scope().project_id;
    let key = access_key(&project, &["apig:*"]);
    assert!(store.create_access_key(&key).await.unwrap());
    let policy = LockoutPolicy {
        max_failures: 1000,
        lock_for: Duration::from_secs(60),
    };
    let t0 = datetime!(2024-01-01 00:00:00 UTC);
    let attempts = (0..20).map(|_| store.record_auth_failure(&key.access_key, t0, policy));
    for outcome in futures_util::future::join_all(attempts).await {
        assert!(outcome.unwrap().is_some());
    }
    let stored = store
        .get_access_key(&key.access_key)
        .await
        .unwrap()
        .expect("key");
    assert_eq!(stored.lock.failures, 20);
}

// ---------------------------------------------------------------------------------------
// Tasks (spec/async-export.md §2, §2.1)
// ---------------------------------------------------------------------------------------

fn waiting_task(scope: &Scope) -> Task {
    let options = ImportOptions {
        group: GroupTarget::Existing(String::new()),
        ..ImportOptions::default()
    };
    Task::new_import(
        Id::generate(),
        scope.clone(),
        options,
        Some("0123456789abcdef0123456789abcdef".into()),
        "caller".into(),
        "tasks/doc".into(),
    )
}

fn end(status: TaskStatus, result: &str) -> TaskEnd {
    TaskEnd {
        status,
        result: result.to_string(),
    }
}

pub async fn case_task_create_get_tenancy(store: &dyn Store) {
    let scope = scope();
    let task = waiting_task(&scope);
    assert_eq!(store.get_task(&scope, &task.id).await.unwrap(), None);
    assert!(store.create_task(&task).await.unwrap());
    assert_eq!(
        store.get_task(&scope, &task.id).await.unwrap(),
        Some(task.clone())
    );
    // Create-if-absent: a second create of the id changes nothing.
    let mut again = task.clone();
    again.caller = "someone else".into();
    assert!(!store.create_task(&again).await.unwrap());
    assert_eq!(
        store.get_task(&scope, &task.id).await.unwrap(),
        Some(task.clone())
    );
    // Another instance or project does not see it, and may not touch it.
    for other in [sibling_instance(&scope), other_project(&scope)] {
        assert_eq!(store.get_task(&other, &task.id).await.unwrap(), None);
        assert_eq!(
            store
                .take_lease(&other, &task.id, "w", 0, 60)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        store
            .take_lease(&scope, &Id::generate(), "w", 0, 60)
            .await
            .unwrap(),
        None
    );
}

pub async fn case_task_lease_and_finish(store: &dyn Store) {
    let scope = scope();
    let task = waiting_task(&scope);
    store.create_task(&task).await.unwrap();
    let leased = store
        .take_lease(&scope, &task.id, "a", 1000, 1060)
        .await
        .unwrap()
        .expect("a waiting task is leased");
    assert_eq!(leased.status, TaskStatus::Processing);
    assert_eq!(leased.attempts, 1);
    assert_eq!(
        store.get_task(&scope, &task.id).await.unwrap(),
        Some(leased.clone())
    );
    // Held: nobody else takes it before it expires.
    assert_eq!(
        store
            .take_lease(&scope, &task.id, "b", 1059, 1120)
            .await
            .unwrap(),
        None
    );
    // Expired: taken over; the first holder can no longer finish.
    let taken = store
        .take_lease(&scope, &task.id, "b", 1060, 1120)
        .await
        .unwrap()
        .expect("an expired lease is taken over");
    assert_eq!(taken.attempts, 2);
    let done = end(TaskStatus::Succeed, "{\"group_id\":\"g\"}");
    assert_eq!(
        store
            .finish_task(&scope, &task.id, "a", &done, 1070)
            .await
            .unwrap(),
        None
    );
    let finished = store
        .finish_task(&scope, &task.id, "b", &done, 1070)
        .await
        .unwrap()
        .expect("the holder finishes");
    assert_eq!(finished.status, TaskStatus::Succeed);
    assert_eq!(finished.result, done.result);
    assert!(finished.expires_at.unwrap() >= 1070 + 7 * 24 * 3600);
    // Finished never changes again.
    let failed = end(TaskStatus::Failed, "{}");
    assert_eq!(
        store
            .finish_task(&scope, &task.id, "b", &failed, 1080)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_lease(&scope, &task.id, "c", i64::MAX / 2, i64::MAX / 2 + 60)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.get_task(&scope, &task.id).await.unwrap(),
        Some(finished)
    );
}

pub async fn case_task_lease_taken_once_concurrently(store: &dyn Store) {
    let scope = scope();
    let task = waiting_task(&scope);
    store.create_task(&task).await.unwrap();
    let owners: Vec<String> = (0..6).map(|i| format!("w{i}")).collect();
    let attempts = owners
        .iter()
        .map(|owner| store.take_lease(&scope, &task.id, owner, 1000, 1060));
    let won: Vec<Task> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .filter_map(|r| r.unwrap())
        .collect();
    assert_eq!(won.len(), 1, "exactly one worker takes a waiting task");
    let stored = store.get_task(&scope, &task.id).await.unwrap().unwrap();
    assert_eq!(stored.lease, won[0].lease);
}

pub async fn case_task_unfinished_listed(store: &dyn Store) {
    let scope = scope();
    let waiting = waiting_task(&scope);
    let processing = waiting_task(&scope);
    let finished = waiting_task(&scope);
    for t in [&waiting, &processing, &finished] {
        store.create_task(t).await.unwrap();
    }
    store
        .take_lease(&scope, &processing.id, "a", 0, 60)
        .await
        .unwrap()
        .unwrap();
    store
        .take_lease(&scope, &finished.id, "a", 0, 60)
        .await
        .unwrap()
        .unwrap();
    store
        .finish_task(
            &scope,
            &finished.id,
            "a",
            &end(TaskStatus::Failed, "{}"),
            10,
        )
        .await
        .unwrap()
        .unwrap();
    let listed = store.unfinished_tasks(10_000).await.unwrap();
    let ours: Vec<&Id> = listed
        .iter()
        .filter(|(s, _)| *s == scope)
        .map(|(_, id)| id)
        .collect();
    assert!(ours.contains(&&waiting.id));
    assert!(ours.contains(&&processing.id));
    assert!(!ours.contains(&&finished.id));
}
