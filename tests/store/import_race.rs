//! Imports racing into one group from separate threads, each with its own connection to
//! one SQLite file, behave as if they ran one after the other; an import whose writes
//! another one got ahead of plans them again (override) or reports the winner (merge).

use crate::support::faulty::{FaultyStore, Rival};
use apig_import::config::Limits;
use apig_import::import::response::Action;
use apig_import::import::{self, GroupTarget, ImportOptions, ImportRequest, Mode};
use apig_import::model::{Api, Id, PathId, Scope};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{ApiWrite, Catalog};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

fn scope() -> Scope {
    Scope::new(
        PathId::parse("race_project").expect("id"),
        PathId::parse("race_instance").expect("id"),
    )
}

fn document(title: &str, operations: usize) -> Vec<u8> {
    let paths: Vec<String> = (0..operations)
        .map(|i| format!("\"/items/{{id}}/part{i}\":{{\"get\":{{\"operationId\":\"op_{i}\",\"parameters\":[{{\"name\":\"id\",\"in\":\"path\",\"required\":true,\"type\":\"string\"}}]}}}}"))
        .collect();
    format!("{{\"swagger\":\"2.0\",\"info\":{{\"title\":\"{title}\",\"version\":\"1\"}},\"paths\":{{{}}}}}", paths.join(","))
        .into_bytes()
}

/// Run `racers` imports at once, each on its own OS thread and store connection.
fn race(
    db: &Path,
    racers: usize,
    options: ImportOptions,
    doc: Vec<u8>,
) -> Vec<Result<import::ImportResponse, apig_import::error::ApigError>> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(racers));
    let handles: Vec<_> = (0..racers)
        .map(|_| {
            let (db, options, doc, barrier) = (
                db.to_path_buf(),
                options.clone(),
                doc.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let store = SqliteStore::open(&db).expect("open");
                barrier.wait();
                let request = ImportRequest {
                    scope: scope(),
                    caller: "racer".into(),
                    options,
                    document: doc.into(),
                };
                runtime.block_on(import::run(&store, &Limits::default(), request))
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("racer thread"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_imports_create_each_route_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("apig.db");
    let store = SqliteStore::open(&db).expect("open");
    store.create_instance(&scope()).await.expect("instance");
    let setup = ImportRequest {
        scope: scope(),
        caller: "setup".into(),
        options: ImportOptions::default(),
        document: document("race_group", 0).into(),
    };
    let group = import::run(&store, &Limits::default(), setup)
        .await
        .expect("group")
        .group_id;

    let options = ImportOptions {
        group: GroupTarget::Existing(group.clone()),
        ..ImportOptions::default()
    };
    let results =
        tokio::task::spawn_blocking(move || race(&db, 16, options, document("race_group", 50)))
            .await
            .expect("race");
    let mut created = 0;
    for result in results {
        let response = result.expect("every racer is processed");
        created += response.success.len();
        assert_eq!(response.success.len() + response.failure.len(), 50);
        assert!(
            response.failure.iter().all(|f| f.error_code == "APIG.3301"),
            "{:?}",
            response.failure
        );
    }
    assert_eq!(created, 50, "exactly one racer creates each route");
    let apis = store
        .list_apis(&scope(), &Id::parse(&group).expect("id"))
        .await
        .expect("list");
    assert_eq!(apis.len(), 50);
    let names: HashSet<_> = apis.iter().map(|a| a.definition.name.clone()).collect();
    assert_eq!(names.len(), 50);
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_group_creations_with_one_title_give_one_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("apig.db");
    let store = SqliteStore::open(&db).expect("open");
    store.create_instance(&scope()).await.expect("instance");
    let db2 = db.clone();
    let results = tokio::task::spawn_blocking(move || {
        race(&db2, 16, ImportOptions::default(), document("one_title", 3))
    })
    .await
    .expect("race");
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1);
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(error.code.as_str(), "APIG.3201");
    }
    assert_eq!(store.list_groups(&scope()).await.expect("groups").len(), 1);
}

/// A group holding one API (`GET /a`), and a store where `rival` writes just before the
/// next batch of APIs.
async fn raced(rival: Rival) -> (FaultyStore, Id) {
    let inner = SqliteStore::in_memory().expect("store");
    inner.create_instance(&scope()).await.expect("instance");
    let first = import_one(&inner, GroupTarget::New, Mode::Merge, "/a", "first").await;
    let group = Id::parse(&first.group_id).expect("group id");
    (FaultyStore::new(Arc::new(inner)).raced(rival), group)
}

/// A document of one API at `path`, described `remark`, imported through `store`.
async fn import_one(
    store: &dyn Catalog,
    group: GroupTarget,
    api_mode: Mode,
    path: &str,
    remark: &str,
) -> import::ImportResponse {
    let name = format!("api{}", path.replace('/', "_"));
    let document = serde_json::json!({"swagger": "2.0", "info": {"title": "raced"},
        "paths": {path: {"get": {"operationId": name, "description": remark,
            "x-apigateway-backend": {"type": "MOCK", "mockEndpoints": {"result-content": "x"}}}}}});
    let request = ImportRequest {
        scope: scope(),
        caller: "tester".into(),
        options: ImportOptions {
            group,
            api_mode,
            ..ImportOptions::default()
        },
        document: document.to_string().into(),
    };
    import::run(store, &Limits::default(), request)
        .await
        .expect("imported")
}

#[tokio::test]
async fn an_override_that_loses_a_race_is_planned_again() {
    // Another import replaces the API between this one's read and its write.
    let (store, group) = raced(Box::new(|ours: &[ApiWrite]| {
        ours.iter()
            .map(|write| {
                let ours = write.api();
                let read = Api {
                    version: ours.version - 1,
                    ..ours.clone()
                };
                let mut theirs = read.definition.clone();
                theirs.remark = Some("theirs".into());
                ApiWrite::replace(&read, theirs, "2026-01-01T00:00:00Z")
            })
            .collect()
    }))
    .await;
    let target = GroupTarget::Existing(group.to_string());
    let response = import_one(&store, target, Mode::Override, "/a", "second").await;
    assert!(response.failure.is_empty(), "{:?}", response.failure);
    assert_eq!(response.success[0].action, Action::Update);
    let apis = store.list_apis(&scope(), &group).await.expect("apis");
    assert_eq!(apis.len(), 1);
    // Planned again against the rival's version 2, it replaced it: version 3.
    assert_eq!(apis[0].definition.remark.as_deref(), Some("second"));
    assert_eq!(apis[0].version, 3);
}

#[tokio::test]
async fn a_merge_that_loses_its_route_reports_the_winner() {
    // Another import creates the same route, under its own name, first.
    let (store, group) = raced(Box::new(|ours: &[ApiWrite]| {
        ours.iter()
            .map(|write| {
                let mut theirs = write.api().definition.clone();
                theirs.name = "rival_api".into();
                ApiWrite::create(Id::generate(), &write.api().group_id, theirs, "now")
            })
            .collect()
    }))
    .await;
    let target = GroupTarget::Existing(group.to_string());
    let response = import_one(&store, target, Mode::Merge, "/b", "second").await;
    assert!(response.success.is_empty(), "{:?}", response.success);
    let failure = &response.failure[0];
    assert_eq!(failure.error_code, "APIG.3301");
    assert!(
        failure.error_msg.contains("API name: rival_api"),
        "{}",
        failure.error_msg
    );
}
