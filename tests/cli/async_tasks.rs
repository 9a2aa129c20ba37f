//! Asynchronous tasks run exactly once in effect (`spec/async-export.md` §2.1): the runner
//! against the embedded store and files, with a store that fails on demand in front of it.

use crate::support::faulty::FaultyStore;
use apig_import::config::Limits;
use apig_import::import::{self, ImportOptions, ImportRequest, Writer};
use apig_import::model::*;
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::*;
use apig_import::task::{self, document_key, submit, TaskContext};
use std::sync::atomic::Ordering;
use std::sync::Arc;

const SHOP_CREATES: usize = 6;

fn shop() -> bytes::Bytes {
    let path = format!(
        "{}/../shared/fixtures/apig/shop-2.0.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    bytes::Bytes::from(std::fs::read(path).expect("shop fixture"))
}

fn scope() -> Scope {
    Scope::new(
        PathId::parse(Id::generate().as_str()).expect("project"),
        PathId::parse(Id::generate().as_str()).expect("instance"),
    )
}

struct Setup {
    ctx: TaskContext,
    faulty: Arc<FaultyStore>,
    scope: Scope,
    _dir: tempfile::TempDir,
}

/// A store with an instance that has shop's channel and plugin registered; its writes of
/// APIs fail `fail_writes` times after writing `keep` of their batch (a worker killed
/// half-way).
async fn setup(fail_writes: usize, keep: usize) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = SqliteStore::in_memory().expect("store");
    let scope = scope();
    inner.create_instance(&scope).await.expect("instance");
    for (kind, name) in [
        (ReferenceKind::VpcChannel, "catalog_channel"),
        (ReferenceKind::Plugin, "audit_plugin"),
    ] {
        let reference = Reference {
            id: Id::generate(),
            kind,
            name: name.into(),
            created_at: apig_import::now_rfc3339(),
        };
        assert!(inner
            .create_reference(&scope, &reference)
            .await
            .expect("reference"));
    }
    let faulty = Arc::new(FaultyStore::new(Arc::new(inner)).failing(fail_writes, keep));
    let ctx = TaskContext::new(
        Arc::clone(&faulty) as Arc<dyn Store>,
        Arc::new(FileBlobStore::new(dir.path().join("blobs"))),
        Limits::default(),
    );
    Setup {
        ctx,
        faulty,
        scope,
        _dir: dir,
    }
}

async fn submitted(setup: &Setup, id: &Id, document: bytes::Bytes) -> Task {
    let task = Task::new_import(
        id.clone(),
        setup.scope.clone(),
        ImportOptions::default(),
        None,
        "tests".into(),
        document_key(&setup.scope, id),
    );
    assert!(submit(&setup.ctx, &task, document.clone())
        .await
        .expect("submit"));
    // A duplicate submission collapses into the first.
    assert!(!submit(&setup.ctx, &task, document)
        .await
        .expect("submit again"));
    task
}

fn result_of(task: &Task) -> serde_json::Value {
    serde_json::from_str(&task.result).expect("task_result is a JSON string")
}

async fn counts(setup: &Setup) -> (usize, usize) {
    let groups = setup
        .faulty
        .list_groups(&setup.scope)
        .await
        .expect("groups");
    let mut apis = 0;
    for g in &groups {
        apis += setup
            .faulty
            .list_apis(&setup.scope, &g.id)
            .await
            .expect("apis")
            .len();
    }
    (groups.len(), apis)
}

/// A clean run's `task_result` for task `id` (on a store of its own).
async fn clean_result(id: &Id) -> String {
    let clean = setup(0, 0).await;
    // The same task id in another scope: the derived ids are the task's, not the scope's.
    submitted(&clean, id, shop()).await;
    let done = task::run(&clean.ctx, &clean.scope, id, "clean")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!(done.status, TaskStatus::Succeed);
    done.result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_run_twice_imports_once() {
    let setup = setup(0, 0).await;
    let id = Id::generate();
    submitted(&setup, &id, shop()).await;
    let done = task::run(&setup.ctx, &setup.scope, &id, "a")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!((done.status, done.attempts), (TaskStatus::Succeed, 1));
    let result = result_of(&done);
    let success = result["success"].as_array().expect("success");
    assert_eq!(success.len(), SHOP_CREATES, "{result}");
    assert!(success.iter().all(|s| s["action"] == "create"), "{result}");
    // The same message again: nothing runs, nothing changes.
    assert_eq!(
        task::run(&setup.ctx, &setup.scope, &id, "b")
            .await
            .expect("run"),
        None
    );
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
    let stored = setup.ctx.store.get_task(&setup.scope, &id).await.unwrap();
    assert_eq!(stored, Some(done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_run_concurrently_imports_once() {
    let setup = setup(0, 0).await;
    let id = Id::generate();
    submitted(&setup, &id, shop()).await;
    let runs = futures_util::future::join_all(
        ["a", "b", "c", "d"].map(|owner| task::run(&setup.ctx, &setup.scope, &id, owner)),
    )
    .await;
    let finished: Vec<Task> = runs.into_iter().filter_map(|r| r.expect("run")).collect();
    assert_eq!(finished.len(), 1, "exactly one run finishes the task");
    assert_eq!(finished[0].status, TaskStatus::Succeed);
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_after_the_group_and_half_the_apis_resumes_to_the_clean_result() {
    // The first write of APIs writes 3 of them, then the store "fails" and the worker dies.
    let setup = setup(1, SHOP_CREATES / 2).await;
    let id = Id::generate();
    let task = submitted(&setup, &id, shop()).await;
    let now = task::unix_now();
    // The dead worker's lease has expired already.
    let leased = setup
        .ctx
        .store
        .take_lease(&setup.scope, &id, "dead", now, now - 1)
        .await
        .unwrap()
        .expect("leased");
    let request = ImportRequest {
        scope: setup.scope.clone(),
        caller: task.caller.clone(),
        options: leased.options.clone(),
        document: shop(),
    };
    let cut = import::run_as(
        &*setup.faulty,
        &Limits::default(),
        request,
        &Writer::task(&id),
    )
    .await;
    assert_eq!(cut.expect_err("cut").code.as_str(), "APIG.9999");
    assert_eq!(
        counts(&setup).await,
        (1, SHOP_CREATES / 2),
        "group and half the APIs"
    );

    let resumed = task::run(&setup.ctx, &setup.scope, &id, "next")
        .await
        .expect("run")
        .expect("taken over and finished");
    assert_eq!((resumed.status, resumed.attempts), (TaskStatus::Succeed, 2));
    let result = result_of(&resumed);
    assert!(
        !resumed.result.contains("APIG.3201") && !resumed.result.contains("APIG.3301"),
        "{result}"
    );
    assert_eq!(
        resumed.result,
        clean_result(&id).await,
        "the clean run's task_result"
    );
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
    // The dead worker can no longer finish it.
    let end = TaskEnd {
        status: TaskStatus::Failed,
        result: "{}".into(),
    };
    assert_eq!(
        setup
            .ctx
            .store
            .finish_task(&setup.scope, &id, "dead", &end, now)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_keeps_failing_fails_the_task_after_bounded_retries() {
    let setup = setup(usize::MAX, 0).await;
    let id = Id::generate();
    submitted(&setup, &id, shop()).await;
    let done = task::run(&setup.ctx, &setup.scope, &id, "a")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!(done.status, TaskStatus::Failed);
    let error = result_of(&done);
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    assert_eq!(
        setup.faulty.write_calls.load(Ordering::SeqCst),
        task::STORE_RETRIES as usize + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_import_is_a_failed_task_with_its_error() {
    let setup = setup(0, 0).await;
    let first = Id::generate();
    submitted(&setup, &first, shop()).await;
    task::run(&setup.ctx, &setup.scope, &first, "a")
        .await
        .unwrap();
    let second = Id::generate();
    submitted(&setup, &second, shop()).await;
    let done = task::run(&setup.ctx, &setup.scope, &second, "a")
        .await
        .expect("run")
        .expect("finished");
    assert_eq!(done.status, TaskStatus::Failed);
    let error = result_of(&done);
    assert_eq!(error["error_code"], "APIG.3201", "{error}");
    assert!(error["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(counts(&setup).await, (1, SHOP_CREATES));
}

#[tokio::test]
async fn blobs_round_trip_and_stay_under_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = FileBlobStore::new(dir.path());
    assert_eq!(blobs.get_blob("tasks/p/i/x.doc").await.unwrap(), None);
    blobs
        .put_blob("tasks/p/i/x.doc", bytes::Bytes::from_static(b"one"))
        .await
        .unwrap();
    blobs
        .put_blob("tasks/p/i/x.doc", bytes::Bytes::from_static(b"two"))
        .await
        .unwrap();
    assert_eq!(
        blobs.get_blob("tasks/p/i/x.doc").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert!(blobs
        .put_blob("../escape", bytes::Bytes::new())
        .await
        .is_err());
}

// ---------------------------------------------------------------------------------------
// Through the real binary: `apig serve` runs tasks in-process, `--watch`, `apig task show`
// ---------------------------------------------------------------------------------------

mod binary {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::path::Path;
    use std::process::{Command, Output, Stdio};
    use std::time::{Duration, Instant};

    const PROJECT: &str = "0123456789abcdef0123456789abcdef";
    const INSTANCE: &str = "eddc4d25480b4cd6b512f270a1b8b341";

    fn apig(data_dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_apig"))
            .args(args)
            .env("APIG_DATA_DIR", data_dir)
            .env_remove("APIG_LOG")
            .env_remove("APIG_SIGNING_SECRET")
            .output()
            .expect("run apig")
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/apig")
            .join(name)
    }

    /// One request, `Connection: close`: the status and the body.
    fn http(
        authority: &str,
        method: &str,
        path: &str,
        token: &str,
        form: Option<(&str, &[u8])>,
    ) -> (u16, String) {
        let boundary = "asyncTestBoundary";
        let body = form.map_or_else(Vec::new, |(name, document)| {
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file_name\"; filename=\"{name}\"\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(document);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            body
        });
        let mut stream = std::net::TcpStream::connect(authority).expect("connect");
        let content_type = if form.is_some() {
            format!("Content-Type: multipart/form-data; boundary={boundary}\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nX-Auth-Token: {token}\r\n{content_type}\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(&body).expect("write");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}; read so far: {response}"));
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn poll_until_finished(authority: &str, token: &str, id: &str) -> serde_json::Value {
        let path = format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}/async-tasks/{id}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = http(authority, "GET", &path, token, None);
            assert_eq!(status, 200, "{body}");
            let view: serde_json::Value = serde_json::from_str(&body).expect("task JSON");
            assert_eq!(view["task_id"], id);
            assert_eq!(view["task_type"], "import_api");
            match view["task_status"].as_str() {
                Some("succeed" | "failed") => return view,
                Some("waiting" | "processing") => {
                    assert_eq!(view["task_result"], "", "no result before the end")
                }
                other => panic!("status {other:?}"),
            }
            assert!(Instant::now() < deadline, "task {id} never finished");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn creates(task_result: &serde_json::Value) -> usize {
        let result: serde_json::Value =
            serde_json::from_str(task_result.as_str().expect("task_result is a string"))
                .expect("task_result JSON");
        let success = result["success"].as_array().expect("success");
        assert!(success.iter().all(|s| s["action"] == "create"), "{result}");
        success.len()
    }

    #[test]
    fn serve_runs_async_imports_resumes_tasks_and_watches_a_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let watched = dir.path().join("drop");
        let created = apig(
            &data,
            &[
                "instance",
                "create",
                "--project",
                PROJECT,
                "--instance",
                INSTANCE,
            ],
        );
        assert!(created.status.success(), "{created:?}");
        for (kind, name) in [("channel", "catalog_channel"), ("plugin", "audit_plugin")] {
            let out = apig(
                &data,
                &[
                    kind,
                    "create",
                    "--project",
                    PROJECT,
                    "--instance",
                    INSTANCE,
                    "--name",
                    name,
                ],
            );
            assert!(out.status.success(), "{out:?}");
        }
        let token = String::from_utf8(apig(&data, &["token", "--project", PROJECT]).stdout)
            .expect("token")
            .trim()
            .to_string();

        // A task left waiting by an earlier process (library, recorded before the server
        // starts): resumed by the server's worker.
        let left = Id::generate();
        {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async {
                let store =
                    SqliteStore::open(&apig_import::cli::store::sqlite_path(&data)).expect("store");
                let scope = Scope::new(
                    PathId::parse(PROJECT).expect("p"),
                    PathId::parse(INSTANCE).expect("i"),
                );
                let ctx = TaskContext::new(
                    Arc::new(store),
                    Arc::new(FileBlobStore::new(data.join("blobs"))),
                    Limits::default(),
                );
                let task = Task::new_import(
                    left.clone(),
                    scope.clone(),
                    ImportOptions::default(),
                    None,
                    "earlier".into(),
                    document_key(&scope, &left),
                );
                let library = std::fs::read(fixture("library-3.0.yaml")).expect("library");
                assert!(submit(&ctx, &task, library.into()).await.expect("submit"));
            });
        }

        let mut server = Command::new(env!("CARGO_BIN_EXE_apig"))
            .args(["serve", "--listen", "127.0.0.1:0", "--watch"])
            .arg(&watched)
            .env("APIG_DATA_DIR", &data)
            .env("APIG_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start apig serve");
        // The pipe stays open as long as the server runs (it prints after listening).
        let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
        let mut authority = String::new();
        for line in lines.by_ref() {
            let line = line.expect("line");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                authority = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                break;
            }
        }
        assert!(!authority.is_empty(), "no listening line");

        let outcome = std::panic::catch_unwind(|| {
            // Resumed after the "restart".
            let resumed = poll_until_finished(&authority, &token, left.as_str());
            assert_eq!(resumed["task_status"], "succeed", "{resumed}");
            assert_eq!(creates(&resumed["task_result"]), 6);

            // Async import of shop: 202, then poll to `succeed` with shop's outcome.
            let shop = std::fs::read(fixture("shop-2.0.yaml")).expect("shop");
            let path = format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}/openapi/async-import");
            let started = Instant::now();
            let (status, body) = http(
                &authority,
                "POST",
                &path,
                &token,
                Some(("shop.yaml", &shop)),
            );
            assert_eq!(status, 202, "{body}");
            let accepted: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            let id = accepted["task_id"].as_str().expect("task_id").to_string();
            assert!(Id::parse(&id).is_some(), "{id}");
            let done = poll_until_finished(&authority, &token, &id);
            let elapsed = started.elapsed();
            eprintln!("async import of shop: upload → succeed in {elapsed:?}");
            assert_eq!(done["task_status"], "succeed", "{done}");
            assert_eq!(creates(&done["task_result"]), 6);

            // `apig task show` prints the same.
            let shown = apig(
                &data,
                &[
                    "task",
                    "show",
                    &id,
                    "--project",
                    PROJECT,
                    "--instance",
                    INSTANCE,
                ],
            );
            assert!(shown.status.success(), "{shown:?}");
            let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("JSON");
            assert_eq!(shown, done);

            // Synchronous refusals stay synchronous; unknown tasks are 404 APIG.3093.
            let (status, body) = http(&authority, "POST", &path, &token, Some(("e.yaml", b"")));
            assert_eq!(status, 400, "{body}");
            assert!(body.contains("APIG.3609"), "{body}");
            let other = format!("/v2/{PROJECT}/apigw/instances/other/openapi/async-import");
            let (status, body) = http(&authority, "POST", &other, &token, Some(("s.yaml", &shop)));
            assert_eq!(status, 404, "{body}");
            assert!(body.contains("APIG.3030"), "{body}");
            let unknown = Id::generate();
            let (status, body) = http(
                &authority,
                "GET",
                &format!("/v2/{PROJECT}/apigw/instances/{INSTANCE}/async-tasks/{unknown}"),
                &token,
                None,
            );
            assert_eq!(status, 404, "{body}");
            assert!(body.contains("APIG.3093"), "{body}");
            let (status, body) = http(
                &authority,
                "GET",
                &format!("/v2/{PROJECT}/apigw/instances/other/async-tasks/{id}"),
                &token,
                None,
            );
            assert_eq!((status, body.contains("APIG.3093")), (404, true), "{body}");

            // A document dropped into the watched folder gets its result file. (Library was
            // imported already by the resumed task: a second one is refused, group name
            // taken, a `failed` task — so drop it under another title.)
            let library = std::fs::read_to_string(fixture("library-3.0.yaml")).expect("library");
            let retitled = library.replacen("title: library_service", "title: dropped_library", 1);
            assert_ne!(retitled, library);
            let folder = watched.join(PROJECT).join(INSTANCE);
            std::fs::create_dir_all(&folder).expect("folder");
            let dropped_at = Instant::now();
            std::fs::write(folder.join("library-3.0.yaml"), retitled).expect("drop");
            let result = watched
                .join("results")
                .join(PROJECT)
                .join(INSTANCE)
                .join("library-3.0.yaml.json");
            let deadline = Instant::now() + Duration::from_secs(60);
            while !result.exists() {
                assert!(Instant::now() < deadline, "no result file");
                std::thread::sleep(Duration::from_millis(20));
            }
            eprintln!(
                "dropped file: drop → result file in {:?}",
                dropped_at.elapsed()
            );
            let written: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&result).expect("result")).expect("JSON");
            assert_eq!(written["task_status"], "succeed", "{written}");
            assert_eq!(written["task_type"], "import_api");
            assert_eq!(creates(&written["task_result"]), 6);
            assert_eq!(
                written["source"]["key"],
                format!("{PROJECT}/{INSTANCE}/library-3.0.yaml")
            );
            let task_id = written["task_id"].as_str().expect("task id");
            let by_id = poll_until_finished(&authority, &token, task_id);
            assert_eq!(by_id["task_result"], written["task_result"]);
        });
        let _ = server.kill();
        let _ = server.wait();
        drop(lines);
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}
