//! The read path on DynamoDB: a page rendered from the `order` index's listing entries is
//! byte for byte the page rendered from whole items (the same data in the embedded store),
//! and the instance's API count (sharded counter items moved inside the API transactions)
//! is exact through creates, conflicts, quota refusals, moves and concurrent imports.
//!
//! Run through `scripts/dynamodb-local cargo test --test store dynamodb_reads`.

use crate::support::fixtures::*;
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::model::*;
use apig_import::read::{self, ListApiGroups, ListApis, Page};
use apig_import::store::dynamodb::api_count;
use apig_import::store::dynamodb::keys::Keys;
use apig_import::store::dynamodb::testing::Emulator;
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{
    ApiWrite, ApiWriteOutcome, Catalog, GroupCreate, PageRequest, SharedWrite, SharedWriteOutcome,
    Store,
};
use aws_sdk_dynamodb::types::AttributeValue;

async fn store() -> Option<(String, DynamoStore)> {
    let endpoint = dynamodb_endpoint()?;
    let store = dynamodb_store_at(&endpoint, Vec::new()).await;
    Some((endpoint, store))
}

async fn new_group(store: &dyn Store, scope: &Scope, g: &Group, limit: u32) {
    assert_eq!(
        store.create_group(scope, g, limit).await.expect("group"),
        GroupCreate::Created
    );
}

async fn write(
    store: &dyn Store,
    scope: &Scope,
    g: &Group,
    writes: Vec<ApiWrite>,
    limit: u32,
) -> Vec<ApiWriteOutcome> {
    store
        .write_apis(scope, &g.id, writes, limit)
        .await
        .expect("write apis")
}

/// APIs that exercise every field a listing shows: every backend type as the main
/// backend, authorizer, gateway responses, parameters, samples, tags, defaults.
fn varied_apis(g: &Group) -> Vec<Api> {
    let full = full_api(&g.id);
    let mut apis = vec![full.clone()];
    for (i, policy) in full.definition.backend_policies.iter().enumerate() {
        let mut a = full_api(&g.id);
        a.id = Id::generate();
        a.definition.name = format!("backend_{i}");
        a.definition.path = format!("/backend/{i}");
        a.definition.backend = policy.backend.clone();
        a.definition.authorizer = None;
        a.definition.auth_type = AuthType::App;
        a.definition.tags.clear();
        a.updated_at = T1.to_string();
        apis.push(a);
    }
    apis.extend((0..6).map(|i| numbered_api(&g.id, i)));
    apis
}

/// The same instance, shared objects, groups and APIs in `store`.
async fn seed(store: &dyn Store, scope: &Scope, groups: &[Group], shared: &[SharedObject]) {
    assert!(store.create_instance(scope).await.expect("instance"));
    let vpc = Reference {
        id: Id::parse("0123456789abcdef0123456789abcdef").expect("id"),
        ..reference(ReferenceKind::VpcChannel, "vpc_main")
    };
    assert!(store.create_reference(scope, &vpc).await.expect("vpc"));
    for object in shared {
        assert_eq!(
            store
                .write_shared(scope, SharedWrite::Create(object.clone()), None)
                .await
                .expect("shared"),
            SharedWriteOutcome::Created
        );
    }
    for g in groups {
        new_group(store, scope, g, 100).await;
    }
}

/// `list_apis` and `list_api_groups` of every page the test looks at, as the JSON the HTTP
/// layer would send.
async fn pages(store: &dyn Store, scope: &Scope, groups: &[Group]) -> Vec<String> {
    let mut out = Vec::new();
    let selections: Vec<Option<String>> = std::iter::once(None)
        .chain(groups.iter().map(|g| Some(g.id.to_string())))
        .collect();
    for group_id in selections {
        for (offset, limit) in [(0, 20), (0, 3), (2, 4), (7, 5), (11, 20), (30, 5)] {
            let request = ListApis {
                page: Page { offset, limit },
                group_id: group_id.clone(),
                ..ListApis::default()
            };
            let page = read::list_apis(store, scope, &request)
                .await
                .expect("list apis");
            out.push(serde_json::to_string(&page).expect("json"));
        }
    }
    for (offset, limit) in [(0, 20), (1, 1), (5, 5)] {
        let request = ListApiGroups {
            page: Page { offset, limit },
            ..ListApiGroups::default()
        };
        let page = read::list_api_groups(store, scope, &request)
            .await
            .expect("list groups");
        out.push(serde_json::to_string(&page).expect("json"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_render_byte_for_byte_like_whole_items() {
    let Some((_, dynamo)) = store().await else {
        return;
    };
    let sqlite = SqliteStore::in_memory().expect("sqlite");
    let scope = scope();
    let groups = [
        Group {
            remark: Some("the first group".to_string()),
            ..group("first")
        },
        group("second"),
    ];
    let shared = [
        authorizer("authz"),
        gateway_responses(&groups[0].id, "responses_a", 429),
    ];
    let mut written: Vec<(Group, Vec<Api>)> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let apis = if i == 0 {
            varied_apis(g)
        } else {
            (0..5).map(|j| numbered_api(&g.id, 100 + j)).collect()
        };
        written.push((g.clone(), apis));
    }
    for store in [&dynamo as &dyn Store, &sqlite] {
        seed(store, &scope, &groups, &shared).await;
        for (g, apis) in &written {
            let out = write(store, &scope, g, creates(apis), 100).await;
            assert_eq!(out, vec![ApiWriteOutcome::Created; apis.len()]);
        }
        // A replacement that moves an API (new path) and one in place (new remark): the
        // listing entry follows, with the stored creation time.
        let (g, apis) = &written[0];
        let mut moved = apis[4].definition.clone();
        moved.path = "/0/moved".to_string();
        let mut remarked = apis[0].definition.clone();
        remarked.remark = Some("replaced in place".to_string());
        let mut writes = Vec::new();
        for (a, definition) in [(&apis[4], moved), (&apis[0], remarked)] {
            let stored = store.get_api(&scope, &a.id).await.expect("get");
            writes.push(replacement(&stored.expect("stored"), definition));
        }
        let out = write(store, &scope, g, writes, 100).await;
        assert_eq!(out, vec![ApiWriteOutcome::Replaced; 2]);
    }
    let from_index = pages(&dynamo, &scope, &groups).await;
    let from_items = pages(&sqlite, &scope, &groups).await;
    assert_eq!(from_index.len(), from_items.len());
    for (index, items) in from_index.iter().zip(&from_items) {
        assert_eq!(index, items);
    }
    // The first page holds every field the list shows (not an empty match).
    assert!(from_index[0].contains("replaced in place") && from_index[0].contains("/0/moved"));
    assert!(from_index[0].contains("vpc_channel_info") && from_index[0].contains("authorizer_id"));

    // Each listing entry equals the listing of the whole item.
    for g in &groups {
        let page = dynamo
            .page_apis(
                &scope,
                Some(&g.id),
                PageRequest {
                    offset: 0,
                    limit: 100,
                },
            )
            .await
            .expect("page");
        assert!(!page.items.is_empty());
        for listed in &page.items {
            let whole = dynamo
                .get_api(&scope, &listed.id)
                .await
                .expect("get")
                .expect("stored");
            assert_eq!(listed, &ApiListing::from(&whole));
        }
    }
}

/// The counter items of the tenant (marker and shards), read directly.
async fn count_items(store: &DynamoStore, scope: &Scope) -> Vec<(String, i64)> {
    let out = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
        .expression_attribute_values(":pk", AttributeValue::S(Keys::of(scope).tenant_pk().into()))
        .expression_attribute_values(":p", AttributeValue::S(api_count::MARKER_SK.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("query count items");
    out.items()
        .iter()
        .map(|i| {
            let sk = i["sk"].as_s().expect("sk").clone();
            let n = i
                .get(api_count::COUNT)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            (sk, n)
        })
        .collect()
}

/// The API items of every group, counted through `list_apis`.
async fn real_count(store: &DynamoStore, scope: &Scope, groups: &[Group]) -> u64 {
    let mut n = 0;
    for g in groups {
        n += store.list_apis(scope, &g.id).await.expect("list").len() as u64;
    }
    n
}

async fn total(store: &DynamoStore, scope: &Scope) -> u64 {
    store
        .page_apis(
            scope,
            None,
            PageRequest {
                offset: 0,
                limit: 1,
            },
        )
        .await
        .expect("page")
        .total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_count_is_exact_through_every_write() {
    let Some((endpoint, store)) = store().await else {
        return;
    };
    let emulator = Emulator::at(&endpoint);
    let scope = instance(&store).await;
    let groups: Vec<Group> = (0..6).map(|i| group(&format!("group_{i}"))).collect();
    for g in &groups {
        new_group(&store, &scope, g, 200).await;
    }
    // A registered instance has the marker and no shard yet: the count is 0.
    assert_eq!(
        count_items(&store, &scope).await,
        [("APIS".to_string(), 32)]
    );
    assert_eq!(total(&store, &scope).await, 0);

    // 70 creates: three transactions.
    let first: Vec<Api> = (0..70).map(|i| numbered_api(&groups[0].id, i)).collect();
    let out = write(&store, &scope, &groups[0], creates(&first), 200).await;
    assert_eq!(out, vec![ApiWriteOutcome::Created; 70]);
    assert_eq!(total(&store, &scope).await, 70);

    // Losers add nothing: a taken route, a taken name, and the quota (limit 4).
    let mut batch = vec![
        numbered_api(&groups[1].id, 0),
        numbered_api(&groups[1].id, 1),
        api(&groups[1].id, "other", Method::Get, "/r/0"),
        api(&groups[1].id, "api_1", Method::Get, "/elsewhere"),
    ];
    batch.extend((2..6).map(|i| numbered_api(&groups[1].id, i)));
    let out = write(&store, &scope, &groups[1], creates(&batch), 4).await;
    assert_eq!(
        out.iter()
            .filter(|o| **o == ApiWriteOutcome::Created)
            .count(),
        4
    );
    assert!(out.contains(&ApiWriteOutcome::QuotaReached));
    assert!(out.contains(&ApiWriteOutcome::NameTaken));
    assert!(matches!(out[2], ApiWriteOutcome::RouteTaken { .. }));
    assert_eq!(total(&store, &scope).await, 74);

    // A replacement that moves an API (delete + put in one transaction) counts nothing.
    let stored = store.list_apis(&scope, &groups[0].id).await.expect("list");
    let mut moved = stored[0].definition.clone();
    moved.path = "/moved".to_string();
    let out = write(
        &store,
        &scope,
        &groups[0],
        vec![replacement(&stored[0], moved)],
        200,
    )
    .await;
    assert_eq!(out, vec![ApiWriteOutcome::Replaced]);
    assert_eq!(total(&store, &scope).await, 74);

    // Concurrent imports: one into each other group, two more into the first.
    let before = emulator
        .as_ref()
        .map(|e| e.stats(Some(store.table())).expect("stats"));
    let mut tasks = Vec::new();
    for (k, g) in groups.iter().enumerate().skip(2) {
        let apis: Vec<Api> = (0..120).map(|i| numbered_api(&g.id, i)).collect();
        tasks.push((store.clone(), scope.clone(), g.clone(), apis, k));
    }
    for r in 0..2 {
        let apis: Vec<Api> = (0..40)
            .map(|i| numbered_api(&groups[0].id, 1000 + r * 100 + i))
            .collect();
        tasks.push((store.clone(), scope.clone(), groups[0].clone(), apis, r));
    }
    let handles: Vec<_> = tasks
        .into_iter()
        .map(|(store, scope, g, apis, _)| {
            tokio::spawn(async move {
                let n = apis.len();
                let out = store
                    .write_apis(&scope, &g.id, creates(&apis), 400)
                    .await
                    .expect("concurrent import");
                assert_eq!(out, vec![ApiWriteOutcome::Created; n]);
                n as u64
            })
        })
        .collect();
    let mut added = 0;
    for h in handles {
        added += h.await.expect("task");
    }
    assert_eq!(added, 4 * 120 + 2 * 40);
    let expected = 74 + added;
    assert_eq!(total(&store, &scope).await, expected);
    assert_eq!(real_count(&store, &scope, &groups).await, expected);
    let items = count_items(&store, &scope).await;
    let shards: Vec<&(String, i64)> = items.iter().filter(|(sk, _)| sk != "APIS").collect();
    assert_eq!(
        shards.iter().map(|(_, n)| n).sum::<i64>(),
        expected as i64,
        "{items:?}"
    );
    // Several imports' transactions ran at once: they used several shards.
    assert!(shards.len() > 4, "{items:?}");
    if let (Some(e), Some(before)) = (&emulator, before) {
        let after = e.stats(Some(store.table())).expect("stats");
        println!(
            "api count: concurrent imports: {} cancelled transactions",
            after.cancelled - before.cancelled
        );
    }
    assert_eq!(
        store.audit(&scope).await.expect("audit"),
        Vec::<String>::new()
    );

    // The audit notices a count that is off.
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(Keys::of(&scope).tenant_pk().into()))
        .key("sk", AttributeValue::S("APIS#07".into()))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("skew a shard");
    let problems = store.audit(&scope).await.expect("audit");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("API count"), "{problems:?}");
    assert_eq!(total(&store, &scope).await, expected + 1);
}

/// 33 creates are 99 actions, 100 with the count shard's `ADD`: one more create would exceed
/// DynamoDB's 100 actions per transaction (the emulator refuses that, as DynamoDB does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_stay_within_100_actions_with_the_count_shard() {
    let Some((_, store)) = store().await else {
        return;
    };
    let scope = instance(&store).await;
    for n in [32, 33, 34, 66, 67] {
        let g = group(&format!("batch_{n}"));
        new_group(&store, &scope, &g, 100).await;
        let apis: Vec<Api> = (0..n).map(|i| numbered_api(&g.id, i)).collect();
        let out = write(&store, &scope, &g, creates(&apis), 100).await;
        assert_eq!(out, vec![ApiWriteOutcome::Created; n], "{n} creates");
    }
    assert_eq!(total(&store, &scope).await, 32 + 33 + 34 + 66 + 67);
    assert_eq!(
        store.audit(&scope).await.expect("audit"),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_page_of_every_api_reads_neither_every_group_nor_whole_items() {
    let Some((_, store)) = store().await else {
        return;
    };
    let scope = instance(&store).await;
    let groups: Vec<Group> = (0..80).map(|i| group(&format!("g_{i:03}"))).collect();
    for g in &groups {
        new_group(&store, &scope, g, 100).await;
        let apis: Vec<Api> = (0..3).map(|i| big_api(&g.id, i, 3000)).collect();
        write(&store, &scope, g, creates(&apis), 100).await;
    }
    store.reset_read_units();
    let page = store
        .page_apis(
            &scope,
            None,
            PageRequest {
                offset: 0,
                limit: 4,
            },
        )
        .await
        .expect("page");
    let units = store.read_units();
    assert_eq!(page.total, 240);
    assert_eq!(page.items.len(), 4);
    // The count (marker + at most 32 shards), 25 group entries, two groups' pages: not
    // the 80 groups' entries.
    assert!(units.items <= 33 + 25 + 4, "{units:?}");
    // Listing entries, not the 3 KB mock bodies: 4 entries fit in one unit each query.
    assert!(units.estimated <= 4, "{units:?}");

    // Without the marker (an instance registered before the count) the total is the sum
    // of the groups' counters, which reads every group's entry.
    store
        .client()
        .delete_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(Keys::of(&scope).tenant_pk().into()))
        .key("sk", AttributeValue::S(api_count::MARKER_SK.into()))
        .send()
        .await
        .expect("delete marker");
    store.reset_read_units();
    let page = store
        .page_apis(
            &scope,
            None,
            PageRequest {
                offset: 0,
                limit: 4,
            },
        )
        .await
        .expect("page");
    assert_eq!(page.total, 240);
    assert_eq!(page.items.len(), 4);
    assert!(store.read_units().items >= 80);
    // Shards without the marker are not checked by the audit (nor believed by reads).
    assert_eq!(
        store.audit(&scope).await.expect("audit"),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_table_refuses_an_order_index_of_whole_items() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, LocalSecondaryIndex,
        Projection, ProjectionType, ScalarAttributeType,
    };
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    // A table of the previous layout: `order` projects ALL.
    let table = format!("apig-test-old-{}", Id::generate());
    let store = crate::support::stores::dynamodb_store_on(&endpoint, &table, Vec::new());
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |name: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .expect("key")
    };
    let index = |name: &str, projection: Projection| {
        LocalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("ord", KeyType::Range))
            .projection(projection)
            .build()
            .expect("index")
    };
    store
        .client()
        .create_table()
        .table_name(&table)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .attribute_definitions(attr("ord"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .local_secondary_indexes(index(
            "order",
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        ))
        .local_secondary_indexes(index(
            "order_keys",
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .non_key_attributes("apis")
                .build(),
        ))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create old table");
    let e = store.create_table().await.expect_err("old layout refused");
    let message = e.to_string();
    assert!(
        message.contains("order") && message.contains("recreate"),
        "{message}"
    );
}
