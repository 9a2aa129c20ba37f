//! A DynamoDB server lost in the middle of an import, through the real router: the client
//! gets 500 APIG.9999 and nothing of the failure (no endpoint, no SDK text); once the
//! server is back with its data, the tenant's items are consistent and the next import
//! completes the state (no orphan lock, true counters, every API once).
//!
//! The test starts its own server (the launcher of `scripts/dynamodb-local`), because it
//! takes the server down: the conflict emulator's outage control (`POST /_emulator/outage`)
//! lets N requests through, dies on the next one — after carrying it out, or before — and
//! drops every later connection until it is told to come back. moto keeps its data in
//! memory, so "coming back" is the emulator serving again, not a new process.
//!
//! Run through `scripts/dynamodb-local cargo test --test store outage` (which also creates
//! the `.venv` the server runs in).

use crate::support::app::{import_uri, multipart, scope, INSTANCE, PROJECT, SECRET};
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_on};
use apig_import::auth::{token, TokenKeys};
use apig_import::config::Limits;
use apig_import::docgen::{self, Format, Spec, Version};
use apig_import::http::{router, AppState};
use apig_import::model::Id;
use apig_import::store::dynamodb::testing::Emulator;
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::Catalog;
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Operations in the imported document: enough for several write transactions.
const OPERATIONS: usize = 300;

/// The test server (moto behind the conflict emulator) on a free loopback port, stopped
/// when dropped.
struct TestServer {
    child: Child,
    endpoint: String,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestServer {
    fn start() -> TestServer {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: the outage test starts its own DynamoDB test server in the \
             repository's .venv; run it through scripts/dynamodb-local, which creates it",
            python.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(&python)
            .arg(root.join("scripts/moto-serialized.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("APIG_TEST_DYNAMODB_TX_HOLD_MS", "5")
            .env("APIG_TEST_DYNAMODB_LATENCY_MS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the test server");
        let mut server = TestServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Emulator::at(&server.endpoint).is_none() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the test server exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the test server does not answer on {}",
                server.endpoint
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn emulator(&self) -> Emulator {
        Emulator::at(&self.endpoint).expect("the emulator answers")
    }
}

/// A store on a fresh table of the test server, with the instance of the requests.
async fn fresh_store(endpoint: &str) -> DynamoStore {
    let store = dynamodb_store_on(endpoint, &format!("apig-outage-{}", Id::generate()), vec![]);
    store.create_table().await.expect("create table");
    store.create_instance(&scope()).await.expect("instance");
    store
}

struct Reply {
    status: u16,
    text: String,
    body: Value,
}

/// One import through the real router on `store`.
async fn import(store: &DynamoStore, fields: &[(&str, &str)], document: &[u8]) -> Reply {
    let app = router(AppState {
        store: Arc::new(store.clone()),
        limits: Limits::default(),
        keys: Arc::new(TokenKeys::hmac(SECRET).expect("keys")),
        signing: None,
    });
    let token = token::issue(
        SECRET,
        "tester",
        PROJECT,
        &["apig:*".to_string()],
        Duration::from_secs(600),
    )
    .expect("token");
    let (content_type, body) = multipart(fields, Some(("api.json", document)));
    let request = http::Request::post(import_uri(PROJECT, INSTANCE))
        .header("content-type", content_type)
        .header("x-auth-token", token)
        .body(Body::from(body))
        .expect("request");
    let response = app.oneshot(request).await.expect("router is infallible");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// The failure answer: 500 APIG.9999 with the generic message, and nothing else.
fn assert_opaque_500(reply: &Reply, endpoint: &str, when: &str) {
    assert_eq!(reply.status, 500, "{when}: {}", reply.text);
    assert_eq!(
        reply.body["error_code"], "APIG.9999",
        "{when}: {}",
        reply.text
    );
    let fields: BTreeSet<&str> = reply
        .body
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        fields,
        BTreeSet::from(["error_code", "error_msg", "request_id"]),
        "{when}: {}",
        reply.text
    );
    let lower = reply.text.to_ascii_lowercase();
    let authority = endpoint.trim_start_matches("http://");
    for leak in [
        authority,
        "127.0.0.1",
        "dynamo",
        "dispatch",
        "connection",
        "transact",
        "sdk",
        "io error",
        "apig-outage-",
    ] {
        assert!(
            !lower.contains(leak),
            "{when}: {leak:?} leaked: {}",
            reply.text
        );
    }
}

/// Import the document again after the outage — into the group if the failed import
/// created it — and check the end state: every operation's API once, a consistent audit.
async fn rerun_and_check(store: &DynamoStore, document: &[u8], when: &str) {
    let groups = store.list_groups(&scope()).await.expect("list groups");
    assert!(groups.len() <= 1, "{when}: {groups:?}");
    let group_id = groups.first().map(|g| g.id.as_str().to_string());
    let fields: Vec<(&str, &str)> = match &group_id {
        Some(id) => vec![("is_create_group", "false"), ("group_id", id.as_str())],
        None => Vec::new(),
    };
    let reply = import(store, &fields, document).await;
    assert_eq!(reply.status, 200, "{when}: rerun: {}", reply.text);
    let success = reply.body["success"].as_array().map_or(0, Vec::len);
    let failure = reply.body["failure"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // What the failed import stored is refused as taken routes; nothing else fails.
    for f in &failure {
        assert_eq!(f["error_code"], "APIG.3301", "{when}: rerun: {f}");
    }
    assert_eq!(
        success + failure.len(),
        OPERATIONS,
        "{when}: {}",
        reply.text
    );
    let group = reply.group_id_or(group_id.as_deref());
    let apis = store
        .list_apis(&scope(), &Id::parse(&group).expect("group id"))
        .await
        .expect("list apis");
    assert_eq!(
        apis.len(),
        OPERATIONS,
        "{when}: APIs stored after the rerun"
    );
    let routes: BTreeSet<(String, String)> = apis
        .iter()
        .map(|a| {
            (
                format!("{:?}", a.definition.method),
                a.definition.path.clone(),
            )
        })
        .collect();
    assert_eq!(routes.len(), OPERATIONS, "{when}: a route twice");
    let problems = store.audit(&scope()).await.expect("audit");
    assert!(
        problems.is_empty(),
        "{when}: after the rerun: {problems:#?}"
    );
}

impl Reply {
    fn group_id_or(&self, known: Option<&str>) -> String {
        self.body["group_id"]
            .as_str()
            .or(known)
            .unwrap_or_else(|| panic!("no group id in {}", self.text))
            .to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_lost_mid_import_is_an_opaque_500_and_the_next_import_completes() {
    // Run with the other DynamoDB tests (scripts/dynamodb-local), which also makes .venv.
    if dynamodb_endpoint().is_none() {
        return;
    }
    let server = TestServer::start();
    let emulator = server.emulator();
    let document = docgen::generate(&Spec::new(Version::Swagger2, Format::Json, OPERATIONS));

    // The import without faults: how many DynamoDB requests it takes.
    let store = fresh_store(&server.endpoint).await;
    let before = emulator.stats(None).expect("stats").total;
    let started = Instant::now();
    let reply = import(&store, &[], document.as_bytes()).await;
    let clean = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["success"].as_array().map(Vec::len),
        Some(OPERATIONS)
    );
    let requests = emulator.stats(None).expect("stats").total - before;
    println!("outage: the import of {OPERATIONS} operations takes {requests} requests, {clean:?}");
    assert!(requests >= 3, "{requests} requests");

    // The server dies at a spread of requests — the first ones (instance, group, listing,
    // reservation), a quarter, half and three quarters through the API transactions, and
    // the last ones (settlement, import record) — having carried the request out or not,
    // alternately. Every request in both modes took eight minutes; the spread covers each
    // phase of the import in about one.
    let mut points: Vec<u64> = vec![
        0,
        1,
        2,
        requests / 4,
        requests / 2,
        requests * 3 / 4,
        requests.saturating_sub(2),
        requests - 1,
    ];
    points.sort_unstable();
    points.dedup();
    let strikes = points.len();
    let mut worst = Duration::ZERO;
    for (i, after) in points.into_iter().enumerate() {
        let last_applied = i % 2 == 0;
        let when = format!(
            "server lost at request {} ({})",
            after + 1,
            if last_applied {
                "carried out"
            } else {
                "not carried out"
            }
        );
        let store = fresh_store(&server.endpoint).await;
        emulator
            .outage(after, last_applied)
            .expect("plan the outage");
        let started = Instant::now();
        let reply = import(&store, &[], document.as_bytes()).await;
        worst = worst.max(started.elapsed());
        let stats = emulator.stats(None).expect("stats");
        emulator.end_outage().expect("end the outage");
        assert!(stats.down && stats.dropped >= 1, "{when}: {stats:?}");
        assert_opaque_500(&reply, &server.endpoint, &when);
        if after == 0 {
            println!("outage: the answer: {}", reply.text);
        }
        // Back up: the state is consistent (open reservations accounted for) ...
        let problems = store.audit(&scope()).await.expect("audit");
        assert!(problems.is_empty(), "{when}: {problems:#?}");
        // ... and the next import completes it.
        rerun_and_check(&store, document.as_bytes(), &when).await;
    }
    println!("outage: {strikes} strikes over {requests} requests, the longest failed import took {worst:?}");
}
