//! The DynamoDB figures of issue 12 (items 3 and 4), against the test server
//! (`scripts/dynamodb-local`, moto behind the conflict emulator): real imports
//! (`import::run`) of a generated 300-operation document (`apig_import::docgen`: shared
//! objects, parameters, every backend type) into a new group and into a group already
//! holding 600 APIs — every request the import sends counted (instance check and group
//! lookup included): requests, cancellations, sequential round trips, wall time, write
//! capacity and its price — then 8 concurrent imports into one group, and reads of an
//! instance of many groups and APIs (read capacity per call, first / middle / last page).
//!
//! `scripts/bench` runs it with `APIG_TEST_DYNAMODB_LATENCY_MS=10` and turns its
//! `BENCH key=value` lines into table rows. By hand:
//! `APIG_TEST_DYNAMODB_LATENCY_MS=10 scripts/dynamodb-local cargo bench --bench dynamodb`.
//! The read instance's size: `APIG_BENCH_GROUPS` (default 1,000) groups of
//! `APIG_BENCH_APIS_PER_GROUP` (default 50) APIs, and one group of `APIG_BENCH_BIG_GROUP`
//! (default 1,000) for pages inside a group; `APIG_BENCH_API=full` seeds APIs with every
//! field set (about 4 KB) instead of typical ones (about 1.5 KB). Wall times of reads on moto are moto's: it
//! scans the whole table for every index query (DynamoDB reads one partition).

#[allow(dead_code)]
#[path = "../tests/support/fixtures.rs"]
mod fixtures;

use apig_import::config::Limits;
use apig_import::import::{self, GroupTarget, ImportOptions, ImportRequest, ImportResponse};
use apig_import::model::*;
use apig_import::read::{self, ListApiGroups, ListApis, Page};
use apig_import::store::dynamodb::keys::Keys;
use apig_import::store::dynamodb::meter::item_size;
use apig_import::store::dynamodb::testing::{Emulator, RequestCounter, RoundTrips, WriteUnits};
use apig_import::store::dynamodb::{retry_config, DynamoStore};
use apig_import::store::{ApiWriteOutcome, Catalog, GroupCreate, Store};
use aws_sdk_dynamodb::config::{Credentials, Region, SharedInterceptor};
use fixtures::*;
use serde_json::Value;
use std::time::Instant;

/// On-demand prices assumed (USD, us-east-1, as published since November 2024).
const USD_PER_MILLION_WRITE_UNITS: f64 = 1.25;
const USD_PER_MILLION_READ_UNITS: f64 = 0.25;

/// One machine-readable figure for `scripts/bench`, and the same for a human.
fn figure(key: &str, value: impl std::fmt::Display) {
    println!("BENCH {key}={value}");
}

/// The instruments of one store: requests, round trips, write units.
#[derive(Clone, Default)]
struct Probes {
    requests: RequestCounter,
    rounds: RoundTrips,
    writes: WriteUnits,
}

impl Probes {
    fn reset(&self) {
        self.requests.reset();
        self.rounds.reset();
        self.writes.reset();
    }
}

/// A store on a fresh table at `endpoint` with the probes.
async fn fresh_store(endpoint: &str, probes: &Probes) -> DynamoStore {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "bench"))
        .endpoint_url(endpoint)
        .retry_config(retry_config())
        .interceptor(SharedInterceptor::new(probes.requests.clone()))
        .interceptor(SharedInterceptor::new(probes.rounds.clone()))
        .interceptor(SharedInterceptor::new(probes.writes.clone()))
        .build();
    let table = format!("apig-bench-{}", Id::generate());
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), table);
    store.create_table().await.expect("create bench table");
    store
}

/// A scope with Huawei-sized ids (32 hex characters each), registered.
async fn registered(store: &dyn Store) -> Scope {
    let project = uuid::Uuid::new_v4().simple().to_string();
    let instance = uuid::Uuid::new_v4().simple().to_string();
    let scope = scope_of(&project, &instance);
    assert!(store.create_instance(&scope).await.expect("instance"));
    scope
}

/// An API with every field set (about 4 KB stored): the read bench's `APIG_BENCH_API=full`.
fn realistic_api(group_id: &Id, i: usize) -> Api {
    let mut a = full_api(group_id);
    a.id = Id::generate();
    a.definition.name = format!("api_{i}");
    a.definition.path = format!("/r/{i}/{{id}}");
    a
}

/// A typical imported API (HTTP backend, a description, one parameter; about 1.45 KB stored).
fn typical_api(group_id: &Id, i: usize) -> Api {
    let mut a = api(
        group_id,
        &format!("api_{i:05}"),
        Method::Get,
        &format!("/v1/items/{i}/{{id}}"),
    );
    let full = full_api(group_id);
    a.definition.remark = Some("Reads one item of the catalogue by its id.".to_string());
    a.definition.req_params = full.definition.req_params.into_iter().take(1).collect();
    a
}

fn cancelled(emulator: &Option<Emulator>, store: &DynamoStore) -> (u64, u64) {
    emulator
        .as_ref()
        .and_then(|e| e.stats(Some(store.table())).ok())
        .map(|s| (s.cancelled, s.conflicts))
        .unwrap_or((0, 0))
}

/// Import `doc` as the service does (`import::run`): into a new group, or into `into`.
async fn run_import(
    store: &DynamoStore,
    scope: &Scope,
    doc: &Value,
    into: Option<&str>,
) -> ImportResponse {
    let options = ImportOptions {
        group: match into {
            Some(id) => GroupTarget::Existing(id.to_string()),
            None => GroupTarget::New,
        },
        ..ImportOptions::default()
    };
    let request = ImportRequest {
        scope: scope.clone(),
        caller: "bench".to_string(),
        options,
        document: serde_json::to_vec(doc).expect("document").into(),
    };
    let response = import::run(store, &Limits::default(), request)
        .await
        .expect("import");
    assert!(
        response.failure.is_empty(),
        "failures: {:?}",
        response.failure.first()
    );
    response
}

/// The stored size of one API item of `g` (DynamoDB's item size rules).
async fn api_item_bytes(store: &DynamoStore, scope: &Scope, g: &Group) -> u64 {
    use aws_sdk_dynamodb::types::AttributeValue;
    let out = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk AND begins_with(sk, :r)")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(Keys::of(scope).group_pk(g.id.as_str())),
        )
        .expression_attribute_values(":r", AttributeValue::S("R#".to_string()))
        .limit(1)
        .send()
        .await
        .expect("query one api");
    out.items().first().map(item_size).unwrap_or(0)
}

/// The size of one `order` index entry of `g` (what a page reads per API).
async fn listing_entry_bytes(store: &DynamoStore, scope: &Scope, g: &Group) -> u64 {
    use aws_sdk_dynamodb::types::AttributeValue;
    let out = store
        .client()
        .query()
        .table_name(store.table())
        .index_name(apig_import::store::dynamodb::table::ORDER_INDEX)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(Keys::of(scope).group_pk(g.id.as_str())),
        )
        .limit(1)
        .send()
        .await
        .expect("query one listing entry");
    out.items().first().map(item_size).unwrap_or(0)
}

/// Write units the item layout cannot go below for `apis` new APIs of `api_bytes` with
/// listing entries of `listing_bytes`: each API's item, name lock and pointer written in a
/// transaction (twice the units), the API item's two index entries (the listing entry and
/// the keys entry), and one API count shard per transaction of 33 creates (twice).
fn layout_minimum(apis: u64, api_bytes: u64, listing_bytes: u64) -> u64 {
    let kb = api_bytes.div_ceil(1024).max(1);
    let listing_kb = listing_bytes.div_ceil(1024).max(1);
    apis * (2 * (kb + 1 + 1) + listing_kb + 1) + 2 * apis.div_ceil(33)
}

async fn imports(endpoint: &str, emulator: &Option<Emulator>, latency_ms: u64) {
    for (label, holding) in [("new", 0usize), ("600", 600)] {
        let probes = Probes::default();
        let store = fresh_store(endpoint, &probes).await;
        let scope = registered(&store).await;
        // The group of 600 is what earlier imports of the first 600 operations of the same
        // generated document made (its shared objects included); the import measured brings
        // the next 300.
        let (doc, into) = if holding > 0 {
            // Two imports of 300 (the most one import takes).
            let first = generated_document(300);
            let group_id = run_import(&store, &scope, &first, None).await.group_id;
            let second = operations_after(generated_document(600), &first);
            run_import(&store, &scope, &second, Some(&group_id)).await;
            (
                operations_after(generated_document(900), &generated_document(600)),
                Some(group_id),
            )
        } else {
            (generated_document(300), None)
        };
        assert_eq!(operation_count(&doc), 300);
        let (before, _) = cancelled(emulator, &store);
        probes.reset();
        let started = Instant::now();
        let response = run_import(&store, &scope, &doc, into.as_deref()).await;
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(response.success.len(), 300);
        let (after, _) = cancelled(emulator, &store);
        let key = format!("import300_{label}");
        println!(
            "import of 300 generated operations into a {} group: {:?}",
            if holding == 0 { "new" } else { "600-API" },
            probes.requests.snapshot()
        );
        figure(&format!("{key}.requests"), probes.requests.total());
        figure(&format!("{key}.cancelled"), after - before);
        figure(&format!("{key}.round_trips"), probes.rounds.get());
        figure(&format!("{key}.wall_ms"), format!("{wall:.0}"));
        figure(&format!("{key}.four_latencies_ms"), 4 * latency_ms);
        let units = probes.writes.get();
        figure(&format!("{key}.write_units"), units);
        figure(
            &format!("{key}.write_usd_per_million_imports"),
            format!("{:.2}", units as f64 * USD_PER_MILLION_WRITE_UNITS),
        );
        let group_id = Id::parse(&response.group_id).expect("group id");
        let g = store
            .get_group(&scope, &group_id)
            .await
            .expect("group")
            .expect("the import's group");
        assert_eq!(
            store.list_apis(&scope, &g.id).await.expect("list").len(),
            holding + 300
        );
        if holding == 0 {
            let api_bytes = api_item_bytes(&store, &scope, &g).await;
            let listing_bytes = listing_entry_bytes(&store, &scope, &g).await;
            figure("import300.api_item_bytes", api_bytes);
            figure("import300.listing_entry_bytes", listing_bytes);
            figure(
                "import300.layout_minimum_units",
                layout_minimum(300, api_bytes, listing_bytes),
            );
        }
        assert!(store.audit(&scope).await.expect("audit").is_empty());
    }
}

async fn concurrent(endpoint: &str, emulator: &Option<Emulator>) {
    let probes = Probes::default();
    let store = fresh_store(endpoint, &probes).await;
    let scope = registered(&store).await;
    // The group and the generated document's shared objects from an import of none of its
    // operations; then 8 real imports of disjoint 50-operation slices of it, at once.
    let group_id = run_import(&store, &scope, &generated_document(0), None)
        .await
        .group_id;
    let g = store
        .get_group(&scope, &Id::parse(&group_id).expect("group id"))
        .await
        .expect("group")
        .expect("the imported group");
    let slices: Vec<Value> = (0..8)
        .map(|k| {
            operations_after(
                generated_document(50 * (k + 1)),
                &generated_document(50 * k),
            )
        })
        .collect();
    let (c0, r0) = cancelled(emulator, &store);
    probes.reset();
    let started = Instant::now();
    let tasks: Vec<_> = slices
        .into_iter()
        .map(|doc| {
            let store = store.clone();
            let scope = scope.clone();
            let group_id = group_id.clone();
            tokio::spawn(async move { run_import(&store, &scope, &doc, Some(&group_id)).await })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        created += t.await.expect("import task").success.len();
    }
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let (c1, r1) = cancelled(emulator, &store);
    let listed = store.list_apis(&scope, &g.id).await.expect("list").len();
    let counter = store
        .page_apis(
            &scope,
            Some(&g.id),
            apig_import::store::PageRequest {
                offset: 0,
                limit: 0,
            },
        )
        .await
        .expect("total")
        .total;
    let exact = created == 400 && listed == 400 && counter == 400;
    let audit_clean = store.audit(&scope).await.expect("audit").is_empty();
    figure("concurrent8.requests", probes.requests.total());
    figure("concurrent8.cancelled", c1 - c0);
    figure("concurrent8.single_writes_refused_and_retried", r1 - r0);
    figure("concurrent8.round_trips", probes.rounds.get());
    figure("concurrent8.wall_ms", format!("{wall:.0}"));
    figure("concurrent8.exact", u8::from(exact && audit_clean));
}

/// Read figures of one call: requests, items read, units by DynamoDB's rules, units the
/// server reported, wall time.
fn read_figures(key: &str, store: &DynamoStore, started: Instant) {
    let units = store.read_units();
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{key}: {} requests, {} items/entries read, {} RCU (DynamoDB rules; server reported {}), {wall:.0} ms",
        units.requests, units.items, units.estimated, units.reported
    );
    figure(&format!("{key}.rcu"), units.estimated);
    figure(&format!("{key}.requests"), units.requests);
    figure(&format!("{key}.items_read"), units.items);
    figure(&format!("{key}.ms"), format!("{wall:.0}"));
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn reads(endpoint: &str) {
    // `APIG_BENCH_API=full`: APIs with every field set (about 4 KB) instead of typical ones.
    let full = std::env::var("APIG_BENCH_API").is_ok_and(|v| v == "full");
    let make: fn(&Id, usize) -> Api = if full { realistic_api } else { typical_api };
    figure("reads.api_kind", if full { "full" } else { "typical" });
    let groups = env_usize("APIG_BENCH_GROUPS", 1000).max(1);
    let per_group = env_usize("APIG_BENCH_APIS_PER_GROUP", 50).max(1);
    let big_group = env_usize("APIG_BENCH_BIG_GROUP", 1000).max(1);
    let probes = Probes::default();
    let store = fresh_store(endpoint, &probes).await;
    let scope = registered(&store).await;

    // Seed through the store's write path: each group created, its APIs in one batch;
    // 16 groups at a time.
    let started = Instant::now();
    let mut all_groups = Vec::new();
    let mut next = 0;
    while next < groups {
        let wave: Vec<_> = (next..groups.min(next + 16))
            .map(|i| {
                let store = store.clone();
                let scope = scope.clone();
                tokio::spawn(async move {
                    let g = group(&format!("group_{i:05}"));
                    assert_eq!(
                        store.create_group(&scope, &g, 5000).await.expect("group"),
                        GroupCreate::Created
                    );
                    let apis: Vec<Api> = (0..per_group).map(|j| make(&g.id, j)).collect();
                    let out = store
                        .write_apis(&scope, &g.id, creates(&apis), 1000)
                        .await
                        .expect("seed apis");
                    assert!(out.iter().all(|o| *o == ApiWriteOutcome::Created));
                    g
                })
            })
            .collect();
        for t in wave {
            all_groups.push(t.await.expect("seed task"));
        }
        next += 16;
    }
    // One big group, for first / middle / last pages inside a group.
    let big = group("group_big");
    assert_eq!(
        store.create_group(&scope, &big, 5000).await.expect("group"),
        GroupCreate::Created
    );
    for chunk in (0..big_group).collect::<Vec<_>>().chunks(500) {
        let apis: Vec<Api> = chunk.iter().map(|j| make(&big.id, *j)).collect();
        let out = store
            .write_apis(&scope, &big.id, creates(&apis), 5000)
            .await
            .expect("seed big group");
        assert!(out.iter().all(|o| *o == ApiWriteOutcome::Created));
    }
    let mut counts: std::collections::HashMap<Id, usize> = all_groups
        .iter()
        .map(|g| (g.id.clone(), per_group))
        .collect();
    counts.insert(big.id.clone(), big_group);
    all_groups.push(big.clone());
    let seed_s = started.elapsed().as_secs_f64();
    let total_apis = groups * per_group + big_group;
    println!(
        "seeded {groups} groups x {per_group} APIs + one of {big_group} = {total_apis} APIs in {seed_s:.1} s"
    );
    figure("reads.groups", groups + 1);
    figure("reads.big_group_apis", big_group);
    figure("reads.apis", total_apis);
    figure("reads.seed_s", format!("{seed_s:.1}"));
    figure(
        "reads.api_item_bytes",
        api_item_bytes(&store, &scope, &all_groups[0]).await,
    );
    figure(
        "reads.listing_entry_bytes",
        listing_entry_bytes(&store, &scope, &all_groups[0]).await,
    );

    let mut sorted = all_groups.clone();
    apig_import::store::sort_groups(&mut sorted);
    let middle_group = &big;
    let last_offset = |total: usize| ((total.max(1) - 1) / 20 * 20) as u64;
    let positions = |total: usize| {
        [
            ("first", 0u64),
            ("middle", (total / 2 / 20 * 20) as u64),
            ("last", last_offset(total)),
        ]
    };

    // ListApisV2 of one group.
    let mut some_api_id = None;
    let mut first_page_units = None;
    for (name, offset) in positions(big_group) {
        store.reset_read_units();
        let started = Instant::now();
        let request = ListApis {
            page: Page { offset, limit: 20 },
            group_id: Some(middle_group.id.to_string()),
            ..ListApis::default()
        };
        let out = read::list_apis(&store, &scope, &request)
            .await
            .expect("list apis");
        read_figures(&format!("list_apis_group.{name}"), &store, started);
        assert_eq!(out.total, big_group as i64);
        let expected = (big_group - offset as usize).min(20);
        assert_eq!(out.apis.len(), expected, "{name} page of one group");
        if name == "middle" {
            some_api_id = out.apis.first().map(|a| a.id.clone());
        }
        if name == "first" {
            first_page_units = Some(store.read_units().estimated);
        }
    }
    // ListApisV2 of every group.
    for (name, offset) in positions(total_apis) {
        store.reset_read_units();
        let started = Instant::now();
        let request = ListApis {
            page: Page { offset, limit: 20 },
            ..ListApis::default()
        };
        let out = read::list_apis(&store, &scope, &request)
            .await
            .expect("list apis");
        read_figures(&format!("list_apis_all.{name}"), &store, started);
        assert_eq!(out.total, total_apis as i64);
        assert_eq!(out.apis.len(), (total_apis - offset as usize).min(20));
        // The page starts where the listing order says.
        let mut within = offset as usize;
        let mut g = &sorted[0];
        for candidate in &sorted {
            g = candidate;
            let n = counts.get(&candidate.id).copied().unwrap_or(0);
            if within < n {
                break;
            }
            within -= n;
        }
        let expected = store
            .page_apis(
                &scope,
                Some(&g.id),
                apig_import::store::PageRequest {
                    offset: within as u64,
                    limit: 1,
                },
            )
            .await
            .expect("expected page");
        assert_eq!(
            out.apis.first().map(|a| a.id.as_str()),
            expected.items.first().map(|a| a.id.as_str()),
            "{name} page of every group"
        );
    }
    // ListApiGroupsV2.
    for (name, offset) in positions(groups + 1) {
        store.reset_read_units();
        let started = Instant::now();
        let request = ListApiGroups {
            page: Page { offset, limit: 20 },
            ..ListApiGroups::default()
        };
        let out = read::list_api_groups(&store, &scope, &request)
            .await
            .expect("list groups");
        read_figures(&format!("list_groups.{name}"), &store, started);
        assert_eq!(out.total, (groups + 1) as i64);
        assert_eq!(
            out.groups.first().map(|g| g.id.as_str()),
            sorted.get(offset as usize).map(|g| g.id.as_str())
        );
    }
    // ShowDetailsOfApiV2.
    let id = some_api_id.expect("an api of the middle page");
    store.reset_read_units();
    let started = Instant::now();
    let detail = read::show_api(&store, &scope, &id).await.expect("show api");
    read_figures("show_api", &store, started);
    assert_eq!(detail.summary.id, id);
    if let Some(units) = first_page_units {
        figure(
            "list_apis_group.first.usd_per_million_calls",
            format!("{:.2}", units as f64 * USD_PER_MILLION_READ_UNITS),
        );
    }
}

fn main() {
    // `cargo test --all-targets` runs bench targets too (without `--bench`): the figures
    // take minutes of seeding, so they are measured only by `cargo bench` (`scripts/bench`).
    if !std::env::args().any(|a| a == "--bench") {
        println!("dynamodb bench: measured by `cargo bench --bench dynamodb` (scripts/bench), not by cargo test");
        return;
    }
    let Some(endpoint) = std::env::var("APIG_TEST_DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
    else {
        eprintln!("dynamodb bench: APIG_TEST_DYNAMODB_ENDPOINT unset; run it through scripts/dynamodb-local");
        std::process::exit(2);
    };
    let latency_ms: u64 = std::env::var("APIG_TEST_DYNAMODB_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    figure("latency_ms", latency_ms);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let emulator = Emulator::at(&endpoint);
        let only = std::env::var("APIG_BENCH_ONLY").unwrap_or_default();
        if only.is_empty() || only == "imports" {
            imports(&endpoint, &emulator, latency_ms).await;
            concurrent(&endpoint, &emulator).await;
        }
        if only.is_empty() || only == "reads" {
            reads(&endpoint).await;
        }
    });
}
