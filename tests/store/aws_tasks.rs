//! The whole AWS path of asynchronous and event-triggered imports against the test server
//! (moto serves S3 and SQS beside DynamoDB): the HTTP function's router on S3 + SQS +
//! DynamoDB → 202 → the queued message as a real SQS event → the worker's handler (the one
//! `src/bin/worker.rs` runs) → task `succeed`; documents dropped under `imports/…` → S3
//! ObjectCreated events → result objects; duplicate notifications, sequential and
//! concurrent, import once; bad metadata → a `failed` task with APIG.2012. Exactly once in
//! effect through SQS's own redelivery (short visibility timeouts): a worker killed half-way
//! is finished by the redelivered message with a clean run's result; a store that keeps
//! failing, or a worker that dies at every delivery, ends the task `failed` (APIG.9999)
//! before the dead-letter queue; a message that cannot be sent fails its task at once.

use crate::support::faulty::FaultyStore;
use crate::support::fixture;
use crate::support::router::{
    claims, form_content_type, multipart, text, token_with, Part, SECRET,
};
use crate::support::stores::{dynamodb_endpoint, dynamodb_store_at};
use apig_import::auth::TokenKeys;
use apig_import::config::Limits;
use apig_import::http::tasks::TaskQueue;
use apig_import::http::{router_with_tasks, AppState};
use apig_import::model::{Id, PathId, Reference, ReferenceKind, Scope, Task, TaskStatus};
use apig_import::store::dynamodb::DynamoStore;
use apig_import::store::s3::S3Bucket;
use apig_import::store::sqs::SqsQueue;
use apig_import::store::Store;
use apig_import::task::aws::{AwsWorker, Dropped};
use apig_import::task::{self, document_key, submit, TaskContext, MAX_ATTEMPTS, STORE_RETRIES};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use axum::body::Body;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

/// Shop's APIs (all of them import on [`instance`]).
const SHOP_APIS: usize = 6;

/// Everything of one deployment, on fresh resources of the test server.
struct Aws {
    dynamo: Arc<DynamoStore>,
    store: Arc<dyn Store>,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    bucket: String,
    blobs: S3Bucket,
    queue_url: String,
    /// The queue's dead-letter queue, when it has a redrive policy.
    dlq_url: Option<String>,
    router: axum::Router,
    worker: AwsWorker,
}

/// The task queue of a deployment: moto's defaults, or the template's kind of queue with
/// a short visibility timeout (redeliveries within a test) and a dead-letter queue.
#[derive(Default)]
struct QueueSettings {
    visibility_seconds: Option<u32>,
    max_receives: Option<u32>,
}

fn fresh_scope() -> Scope {
    Scope::new(
        PathId::parse(Id::generate().as_str()).unwrap(),
        PathId::parse(Id::generate().as_str()).unwrap(),
    )
}

/// A registered instance with shop's channel and plugin (all six of its APIs import).
async fn instance(store: &dyn Store) -> Scope {
    let scope = fresh_scope();
    assert!(store.create_instance(&scope).await.unwrap());
    for (kind, name) in [
        (ReferenceKind::VpcChannel, "catalog_channel"),
        (ReferenceKind::Plugin, "audit_plugin"),
    ] {
        let reference = Reference {
            id: Id::generate(),
            kind,
            name: name.to_string(),
            created_at: String::new(),
        };
        assert!(store.create_reference(&scope, &reference).await.unwrap());
    }
    scope
}

fn credentials() -> aws_sdk_s3::config::Credentials {
    aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "tests")
}

async fn deploy(endpoint: &str) -> Aws {
    deploy_with(endpoint, QueueSettings::default()).await
}

async fn deploy_with(endpoint: &str, settings: QueueSettings) -> Aws {
    let dynamo = Arc::new(dynamodb_store_at(endpoint, Vec::new()).await);
    let store: Arc<dyn Store> = Arc::clone(&dynamo) as Arc<dyn Store>;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(endpoint)
            .force_path_style(true)
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .credentials_provider(credentials())
            .endpoint_url(endpoint)
            .build(),
    );
    let bucket = format!("apig-test-{}", Id::generate());
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut create = sqs
        .create_queue()
        .queue_name(format!("apig-test-{}", Id::generate()));
    if let Some(seconds) = settings.visibility_seconds {
        create = create.attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string());
    }
    let mut dlq_url = None;
    if let Some(max) = settings.max_receives {
        let (url, arn) = create_queue(&sqs, "apig-test-dlq").await;
        let redrive = json!({"deadLetterTargetArn": arn, "maxReceiveCount": max.to_string()});
        create = create.attributes(QueueAttributeName::RedrivePolicy, redrive.to_string());
        dlq_url = Some(url);
    }
    let queue_url = create
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let blobs = S3Bucket::new(s3.clone(), &bucket);
    let router = router_for(&store, &blobs, SqsQueue::new(sqs.clone(), &queue_url));
    Aws {
        worker: AwsWorker::new(Arc::clone(&store), blobs.clone(), Limits::default()),
        dynamo,
        store,
        s3,
        sqs,
        bucket,
        blobs,
        queue_url,
        dlq_url,
        router,
    }
}

/// A fresh queue: its URL and ARN.
async fn create_queue(sqs: &aws_sdk_sqs::Client, prefix: &str) -> (String, String) {
    let url = sqs
        .create_queue()
        .queue_name(format!("{prefix}-{}", Id::generate()))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap();
    (url, arn)
}

/// The HTTP function's router on the store and bucket, sending task messages to `queue`.
fn router_for(store: &Arc<dyn Store>, blobs: &S3Bucket, queue: SqsQueue) -> axum::Router {
    let state = AppState {
        store: Arc::clone(store),
        limits: Limits::default(),
        keys: Arc::new(TokenKeys::hmac(SECRET).unwrap()),
        signing: None,
    };
    let queue = TaskQueue {
        blobs: Arc::new(blobs.clone()),
        wake: None,
        messages: Some(queue),
    };
    router_with_tasks(state, Some(queue))
}

/// Groups and APIs of the scope.
async fn counts(store: &dyn Store, scope: &Scope) -> (usize, usize) {
    let groups = store.list_groups(scope).await.unwrap();
    let mut apis = 0;
    for g in &groups {
        apis += store.list_apis(scope, &g.id).await.unwrap().len();
    }
    (groups.len(), apis)
}

/// The SQS attribute `ApproximateReceiveCount` of an event's record.
fn receive_count(event: &Value) -> u32 {
    event["Records"][0]["attributes"]["ApproximateReceiveCount"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap()
}

fn no_failures() -> Value {
    json!({"batchItemFailures": []})
}

impl Aws {
    async fn call(&self, request: http::Request<Body>) -> (u16, Value) {
        call(&self.router, request).await
    }

    async fn async_import(&self, scope: &Scope, document: &[u8]) -> (u16, Value) {
        self.async_import_via(&self.router, scope, document).await
    }

    /// The next delivery of a message of `queue_url`, waiting for it (a redelivery comes
    /// once the visibility timeout is over); `None` if none comes within 20 s.
    async fn next_delivery(&self, queue_url: &str) -> Option<Value> {
        for _ in 0..10 {
            if let Some(event) = self.receive_from(queue_url).await {
                return Some(event);
            }
        }
        None
    }

    async fn queue_arn(&self, queue_url: &str) -> String {
        self.sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap()
    }

    /// What Lambda does with a message its function handled without reporting it failed.
    async fn delete(&self, queue_url: &str, event: &Value) {
        self.sqs
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(event["Records"][0]["receiptHandle"].as_str().unwrap())
            .send()
            .await
            .unwrap();
    }

    /// Messages in the queue, visible or not.
    async fn messages_in(&self, queue_url: &str) -> u64 {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        let attributes = out.attributes().unwrap();
        [
            QueueAttributeName::ApproximateNumberOfMessages,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        ]
        .iter()
        .map(|a| {
            attributes
                .get(a)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap()
        })
        .sum()
    }

    /// The `task_result` of a clean run of a task with the same id, options and document
    /// in a fresh instance of the same table (its ids derive from the task id).
    async fn clean_result(&self, like: &Task, document: &[u8]) -> String {
        let scope = instance(&*self.store).await;
        let task = Task::new_import(
            like.id.clone(),
            scope.clone(),
            like.options.clone(),
            like.group_id.clone(),
            like.caller.clone(),
            document_key(&scope, &like.id),
        );
        let ctx = TaskContext::new(
            Arc::clone(&self.store),
            Arc::new(self.blobs.clone()),
            Limits::default(),
        );
        assert!(submit(&ctx, &task, bytes::Bytes::from(document.to_vec()))
            .await
            .unwrap());
        let done = task::run(&ctx, &scope, &like.id, "clean")
            .await
            .unwrap()
            .expect("the clean run finishes");
        assert_eq!((done.status, done.attempts), (TaskStatus::Succeed, 1));
        done.result
    }
}

async fn call(router: &axum::Router, request: http::Request<Body>) -> (u16, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

impl Aws {
    /// A registered instance and the task of shop submitted to it (202 asserted).
    async fn submit_shop(&self) -> (Scope, Id) {
        let scope = instance(&*self.store).await;
        let (status, accepted) = self
            .async_import(&scope, &fixture("apig/shop-2.0.yaml"))
            .await;
        assert_eq!(status, 202, "{accepted}");
        let id = Id::parse(accepted["task_id"].as_str().unwrap()).unwrap();
        (scope, id)
    }

    async fn async_import_via(
        &self,
        router: &axum::Router,
        scope: &Scope,
        document: &[u8],
    ) -> (u16, Value) {
        let body = multipart(&[
            text("is_create_group", "true"),
            Part {
                name: "file_name".into(),
                file_name: Some("shop.yaml".into()),
                content_type: None,
                data: document.to_vec(),
            },
        ]);
        let request = http::Request::post(format!(
            "/v2/{}/apigw/instances/{}/openapi/async-import",
            scope.project_id.as_str(),
            scope.instance_id.as_str()
        ))
        .header("content-type", form_content_type())
        .header("x-auth-token", token(scope))
        .body(Body::from(body))
        .unwrap();
        call(router, request).await
    }

    async fn task(&self, scope: &Scope, id: &str) -> (u16, Value) {
        let request = http::Request::get(format!(
            "/v2/{}/apigw/instances/{}/async-tasks/{id}",
            scope.project_id.as_str(),
            scope.instance_id.as_str()
        ))
        .header("x-auth-token", token(scope))
        .body(Body::empty())
        .unwrap();
        self.call(request).await
    }

    /// The next message of the queue as the SQS event Lambda would deliver.
    async fn receive_event(&self) -> Value {
        self.receive_from(&self.queue_url)
            .await
            .expect("a message in the queue")
    }

    /// The next message of a queue as an SQS event, if one arrives within 2 s.
    async fn receive_from(&self, queue_url: &str) -> Option<Value> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(1)
            .wait_time_seconds(2)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        let message = out.messages().first()?.clone();
        let received = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .cloned()
            .unwrap_or_else(|| "1".into());
        Some(json!({"Records": [{
            "messageId": message.message_id().unwrap(),
            "receiptHandle": message.receipt_handle().unwrap(),
            "body": message.body().unwrap(),
            "attributes": {"ApproximateReceiveCount": received, "SentTimestamp": "1"},
            "messageAttributes": {},
            "md5OfBody": message.md5_of_body().unwrap_or(""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn(queue_url).await,
            "awsRegion": "us-east-1"
        }]}))
    }

    /// Put a document under `key` with user metadata; its version id and ETag.
    async fn drop_document(
        &self,
        key: &str,
        data: &[u8],
        meta: &[(&str, &str)],
    ) -> (String, String) {
        let mut put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(data.to_vec()));
        for (k, v) in meta {
            put = put.metadata(*k, *v);
        }
        let out = put.send().await.unwrap();
        (
            out.version_id().unwrap_or("").to_string(),
            out.e_tag().unwrap_or("").to_string(),
        )
    }

    async fn object_json(&self, key: &str) -> Value {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        let bytes = out.body.collect().await.unwrap().into_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn s3_event(&self, key: &str, version: &str, e_tag: &str) -> Value {
        // Keys arrive URL-encoded, spaces as `+`.
        let encoded: String = key
            .split('/')
            .map(|s| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
                    .replace("%20", "+")
                    .replace("%2E", ".")
                    .replace("%2D", "-")
                    .replace("%5F", "_")
            })
            .collect::<Vec<_>>()
            .join("/");
        json!({"Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-29T16:00:00.000Z",
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:EXAMPLE"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "1", "x-amz-id-2": "2"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "imports",
                "bucket": {"name": self.bucket, "ownerIdentity": {"principalId": "EXAMPLE"},
                           "arn": format!("arn:aws:s3:::{}", self.bucket)},
                "object": {"key": encoded, "size": 1, "eTag": e_tag.trim_matches('"'),
                           "versionId": version, "sequencer": "0055AED6DCD90281E5"}
            }
        }]})
    }
}

fn token(scope: &Scope) -> String {
    token_with(SECRET, &claims(scope.project_id.as_str(), &["apig:*"]))
}

fn creates(task_result: &Value) -> usize {
    let result: Value = serde_json::from_str(task_result.as_str().unwrap()).unwrap();
    result["success"]
        .as_array()
        .map_or(0, |a| a.iter().filter(|s| s["action"] == "create").count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_import_through_s3_sqs_and_the_worker() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let aws = deploy(&endpoint).await;
    let scope = instance(&*aws.store).await;
    let shop = fixture("apig/shop-2.0.yaml");

    let started = Instant::now();
    let (status, accepted) = aws.async_import(&scope, &shop).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["task_id"].as_str().unwrap().to_string();
    let (_, waiting) = aws.task(&scope, &id).await;
    assert_eq!(waiting["task_status"], "waiting", "{waiting}");
    // The document is in the bucket under tasks/.
    let listed = aws
        .s3
        .list_objects_v2()
        .bucket(&aws.bucket)
        .prefix("tasks/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);

    let event = aws.receive_event().await;
    let message: Value =
        serde_json::from_str(event["Records"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(message["task_id"], id.as_str());
    let answer = aws.worker.handle(event.clone()).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let (status, done) = aws.task(&scope, &id).await;
    eprintln!(
        "moto: async import of shop, upload → succeed in {:?}",
        started.elapsed()
    );
    assert_eq!(status, 200);
    assert_eq!(done["task_status"], "succeed", "{done}");
    assert_eq!(creates(&done["task_result"]), 6, "{done}");

    // The same message again (SQS delivers at least once): nothing more is imported.
    let answer = aws.worker.handle(event).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(aws.store.list_groups(&scope).await.unwrap().len(), 1);
    let (_, again) = aws.task(&scope, &id).await;
    assert_eq!(again, done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_documents_become_tasks_once() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let aws = deploy(&endpoint).await;
    let scope = instance(&*aws.store).await;
    let (p, i) = (scope.project_id.as_str(), scope.instance_id.as_str());

    // shop, with options from metadata; its notification delivered twice in a row.
    let key = format!("imports/{p}/{i}/my shop.yaml");
    let started = Instant::now();
    let (version, e_tag) = aws
        .drop_document(
            &key,
            &fixture("apig/shop-2.0.yaml"),
            &[("api-mode", "override"), ("mock-mode", "false")],
        )
        .await;
    assert!(!version.is_empty(), "the bucket is versioned");
    let event = aws.s3_event(&key, &version, &e_tag);
    aws.worker.handle(event.clone()).await.unwrap();
    let result = aws
        .object_json(&format!("results/{p}/{i}/my shop.yaml.json"))
        .await;
    eprintln!(
        "moto: dropped shop, upload → succeed in {:?}",
        started.elapsed()
    );
    assert_eq!(result["task_status"], "succeed", "{result}");
    assert_eq!(result["source"]["key"], key.as_str());
    assert_eq!(result["source"]["version_id"], version.as_str());
    assert_eq!(creates(&result["task_result"]), 6, "{result}");
    let id = Dropped::parse(&aws.bucket, &key, Some(&version), None)
        .unwrap()
        .task_id();
    assert_eq!(result["task_id"], id.as_str());
    let (_, shown) = aws.task(&scope, id.as_str()).await;
    assert_eq!(shown["task_status"], "succeed");
    assert_eq!(shown["task_result"], result["task_result"]);
    let task = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(task.caller, format!("arn:aws:s3:::{}/{key}", aws.bucket));
    assert_eq!(task.options.api_mode.as_str(), "override");

    aws.worker.handle(event).await.unwrap();
    let task = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!((task.status, task.attempts), (TaskStatus::Succeed, 1));
    assert_eq!(aws.store.list_groups(&scope).await.unwrap().len(), 1);

    // library, its notification delivered twice at the same moment: one task, one import.
    let key = format!("imports/{p}/{i}/library.yaml");
    let (version, e_tag) = aws
        .drop_document(&key, &fixture("apig/library-3.0.yaml"), &[])
        .await;
    let event = aws.s3_event(&key, &version, &e_tag);
    let (a, b) = tokio::join!(
        aws.worker.handle(event.clone()),
        aws.worker.handle(event.clone())
    );
    assert!(a.is_ok() || b.is_ok(), "{a:?} {b:?}");
    // The one that found the task leased asks to be retried; its retry finds it finished.
    aws.worker.handle(event).await.unwrap();
    let id = Dropped::parse(&aws.bucket, &key, Some(&version), None)
        .unwrap()
        .task_id();
    let task = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(
        (task.status, task.attempts),
        (TaskStatus::Succeed, 1),
        "{}",
        task.result
    );
    assert_eq!(aws.store.list_groups(&scope).await.unwrap().len(), 2);
    let result = aws
        .object_json(&format!("results/{p}/{i}/library.yaml.json"))
        .await;
    assert_eq!(result["task_status"], "succeed");

    // Bad metadata: a failed task with APIG.2012, reported like any other.
    let key = format!("imports/{p}/{i}/bad.json");
    let (version, e_tag) = aws
        .drop_document(
            &key,
            &fixture("apig/shop-2.0.yaml"),
            &[("extend-mode", "sideways")],
        )
        .await;
    // Routed through the queue this time (S3 → SQS → worker): the S3 event as a message body.
    let body = aws.s3_event(&key, &version, &e_tag).to_string();
    aws.sqs
        .send_message()
        .queue_url(&aws.queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
    let answer = aws.worker.handle(aws.receive_event().await).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let result = aws
        .object_json(&format!("results/{p}/{i}/bad.json.json"))
        .await;
    assert_eq!(result["task_status"], "failed", "{result}");
    let error: Value = serde_json::from_str(result["task_result"].as_str().unwrap()).unwrap();
    assert_eq!(error["error_code"], "APIG.2012", "{error}");
    assert_eq!(aws.store.list_groups(&scope).await.unwrap().len(), 2);

    // Not a document of the worker's: ignored, nothing recorded.
    let key = format!("imports/{p}/readme.txt");
    let (version, e_tag) = aws.drop_document(&key, b"hello", &[]).await;
    aws.worker
        .handle(aws.s3_event(&key, &version, &e_tag))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_message_of_another_kind_is_retried_not_lost() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let aws = deploy(&endpoint).await;
    let event = json!({"Records": [
        {"messageId": "m1", "body": "not json", "eventSource": "aws:sqs"},
        {"messageId": "m2", "body": "{\"Event\":\"s3:TestEvent\"}", "eventSource": "aws:sqs"}
    ]});
    let answer = aws.worker.handle(event).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "m1"}]})
    );
    assert!(aws.worker.handle(json!({"detail": {}})).await.is_err());
}

/// The worker's generated events (`events/worker/`, `scripts/gen-events`) get the answers
/// their manifest gives, through the same handler: none of their tasks or object versions
/// exists on a fresh table, and the worker says so without asking for a retry.
#[tokio::test]
async fn the_generated_worker_events_get_their_answers() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let aws = deploy(&endpoint).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/worker");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let manifest = read("manifest.json");
    let bucket = manifest["bucket"].as_str().unwrap();
    // Shared by the runs of this test: created once, kept.
    let _ = aws.s3.create_bucket().bucket(bucket).send().await;
    let worker = AwsWorker::new(
        Arc::clone(&aws.store),
        S3Bucket::new(aws.s3.clone(), bucket),
        Limits::default(),
    );
    let events = manifest["events"].as_array().unwrap();
    assert_eq!(events.len(), 5);
    for expected in events {
        let name = expected["event"].as_str().unwrap();
        let answer = worker
            .handle(read(name.trim_start_matches("worker/")))
            .await;
        assert_eq!(answer.unwrap(), expected["response"], "{name}");
    }
}

/// A message the worker can never handle is reported failed at every delivery, and the
/// queue's redrive policy (the template's `maxReceiveCount`, 2 here) moves it to the
/// dead-letter queue instead of delivering it forever.
#[tokio::test]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    use aws_sdk_sqs::types::QueueAttributeName;
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let aws = deploy(&endpoint).await;
    let dlq_url = aws
        .sqs
        .create_queue()
        .queue_name(format!("apig-test-dlq-{}", Id::generate()))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let dlq_arn = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap();
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}).to_string();
    let queue_url = aws
        .sqs
        .create_queue()
        .queue_name(format!("apig-test-{}", Id::generate()))
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    aws.sqs
        .send_message()
        .queue_url(&queue_url)
        .message_body("{\"task_id\": \"not a task id\"}")
        .send()
        .await
        .unwrap();
    let mut deliveries = 0;
    while let Some(event) = aws.receive_from(&queue_url).await {
        deliveries += 1;
        assert!(deliveries <= 3, "delivered again and again");
        let id = event["Records"][0]["messageId"].clone();
        let answer = aws.worker.handle(event).await.unwrap();
        assert_eq!(
            answer,
            json!({"batchItemFailures": [{"itemIdentifier": id}]})
        );
    }
    assert!(deliveries >= 1);
    let dead = aws
        .receive_from(&dlq_url)
        .await
        .expect("in the dead-letter queue");
    assert_eq!(
        dead["Records"][0]["body"],
        "{\"task_id\": \"not a task id\"}"
    );
    // The worker consuming the dead-letter queue reports it (logged) and drops it: it names
    // no task, and retrying it would change nothing.
    let worker = aws.worker.clone().with_dead_letter_queue(dlq_arn);
    assert_eq!(worker.handle(dead).await.unwrap(), no_failures());
}

/// A worker killed after the group and half of the APIs (its handler dropped there, its
/// message neither deleted nor reported) leaves the message to SQS: redelivered once its
/// visibility timeout is over, it lets a fresh worker take the expired lease and finish the
/// task with exactly the result of a clean run — not APIG.3201 for its own group, not
/// APIG.3301 for its own APIs — and the table consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_half_way_is_finished_by_the_redelivered_message() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let settings = QueueSettings {
        visibility_seconds: Some(2),
        max_receives: None,
    };
    let aws = deploy_with(&endpoint, settings).await;
    let (scope, id) = aws.submit_shop().await;

    let first = aws.receive_event().await;
    assert_eq!(receive_count(&first), 1);
    let killer = Arc::new(FaultyStore::new(Arc::clone(&aws.store)).killing(SHOP_APIS / 2));
    // Its lease (1 s) is over before the message is visible again (2 s).
    let doomed = AwsWorker::new(
        Arc::clone(&killer) as Arc<dyn Store>,
        aws.blobs.clone(),
        Limits::default(),
    )
    .with_lease_seconds(1);
    tokio::select! {
        answer = doomed.handle(first) => panic!("the worker was not killed: {answer:?}"),
        () = killer.killed() => {}
    }
    drop(doomed);
    assert_eq!(
        counts(&*aws.store, &scope).await,
        (1, SHOP_APIS / 2),
        "the group and half the APIs"
    );
    let cut = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!((cut.status, cut.attempts), (TaskStatus::Processing, 1));

    // Another execution environment gets the redelivered message.
    let worker = AwsWorker::new(Arc::clone(&aws.store), aws.blobs.clone(), Limits::default());
    let mut deliveries = 1;
    loop {
        let event = aws
            .next_delivery(&aws.queue_url)
            .await
            .expect("the unacknowledged message is delivered again");
        deliveries += 1;
        assert!(deliveries <= 4, "delivered again and again");
        assert_eq!(receive_count(&event), deliveries);
        let answer = worker.handle(event.clone()).await.unwrap();
        if answer == no_failures() {
            aws.delete(&aws.queue_url, &event).await;
            break;
        }
        // Reported failed (the dead worker's lease was not over yet): seen again later.
    }
    let done = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.attempts),
        (TaskStatus::Succeed, 2),
        "{}",
        done.result
    );
    assert!(
        !done.result.contains("APIG.3201") && !done.result.contains("APIG.3301"),
        "{}",
        done.result
    );
    assert_eq!(creates(&Value::String(done.result.clone())), SHOP_APIS);
    assert_eq!(
        done.result,
        aws.clean_result(&done, &fixture("apig/shop-2.0.yaml"))
            .await,
        "byte for byte the result of a run never cut"
    );
    assert_eq!(counts(&*aws.store, &scope).await, (1, SHOP_APIS));
    assert_eq!(
        aws.dynamo.audit(&scope).await.unwrap(),
        Vec::<String>::new()
    );
    let (_, shown) = aws.task(&scope, id.as_str()).await;
    assert_eq!(shown["task_status"], "succeed");
    assert_eq!(shown["task_result"], done.result.as_str());
    assert_eq!(aws.messages_in(&aws.queue_url).await, 0);
}

/// A store that refuses every write of APIs: the worker retries the import a bounded number
/// of times within its delivery, then finishes the task `failed` with APIG.9999 and
/// acknowledges the message — it is not redelivered, and nothing reaches the dead-letter
/// queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_that_keeps_failing_fails_the_task_and_acknowledges_its_message() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let settings = QueueSettings {
        visibility_seconds: Some(2),
        max_receives: Some(8),
    };
    let aws = deploy_with(&endpoint, settings).await;
    let (scope, id) = aws.submit_shop().await;
    let failing = Arc::new(FaultyStore::new(Arc::clone(&aws.store)).failing(usize::MAX, 0));
    let worker = AwsWorker::new(
        Arc::clone(&failing) as Arc<dyn Store>,
        aws.blobs.clone(),
        Limits::default(),
    );
    let event = aws.receive_event().await;
    assert_eq!(worker.handle(event.clone()).await.unwrap(), no_failures());
    aws.delete(&aws.queue_url, &event).await;
    let done = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!((done.status, done.attempts), (TaskStatus::Failed, 1));
    let error: Value = serde_json::from_str(&done.result).unwrap();
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    assert_eq!(
        failing.write_calls.load(Ordering::SeqCst),
        STORE_RETRIES as usize + 1,
        "the first run and its bounded retries"
    );
    assert_eq!(counts(&*aws.store, &scope).await, (1, 0));
    assert_eq!(aws.messages_in(&aws.queue_url).await, 0);
    assert_eq!(aws.messages_in(aws.dlq_url.as_deref().unwrap()).await, 0);
}

/// A worker that dies at every delivery (killed half-way each time): every redelivery
/// takes the expired lease again, and once the runner's attempts are used the next one
/// finishes the task `failed` with APIG.9999 and acknowledges the message — before the
/// queue's `maxReceiveCount` (the template's 8, above `MAX_ATTEMPTS`) would move it to the
/// dead-letter queue with its task unfinished.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_whose_worker_dies_at_every_delivery_ends_failed_before_the_dead_letter_queue() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let settings = QueueSettings {
        visibility_seconds: Some(2),
        max_receives: Some(8),
    };
    let aws = deploy_with(&endpoint, settings).await;
    let (scope, id) = aws.submit_shop().await;
    let mut deliveries = 0;
    let mut kills = 0;
    loop {
        let event = aws
            .next_delivery(&aws.queue_url)
            .await
            .expect("delivered until handled");
        deliveries += 1;
        assert!(
            deliveries < 8,
            "the message would reach the dead-letter queue"
        );
        let killer = Arc::new(FaultyStore::new(Arc::clone(&aws.store)).killing(1));
        let worker = AwsWorker::new(
            Arc::clone(&killer) as Arc<dyn Store>,
            aws.blobs.clone(),
            Limits::default(),
        )
        .with_lease_seconds(1);
        tokio::select! {
            answer = worker.handle(event.clone()) => {
                if answer.unwrap() == no_failures() {
                    aws.delete(&aws.queue_url, &event).await;
                    break;
                }
            }
            () = killer.killed() => kills += 1,
        }
    }
    assert_eq!(kills, MAX_ATTEMPTS as usize);
    let done = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.attempts),
        (TaskStatus::Failed, MAX_ATTEMPTS + 1)
    );
    let error: Value = serde_json::from_str(&done.result).unwrap();
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    assert_eq!(aws.messages_in(&aws.queue_url).await, 0);
    assert_eq!(aws.messages_in(aws.dlq_url.as_deref().unwrap()).await, 0);
}

/// The task message cannot be sent (the queue does not exist): the client is answered
/// APIG.9999, and the task already recorded is finished `failed` at once, saying why —
/// not left `waiting` with nobody ever to run it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_whose_message_cannot_be_sent_is_failed_not_stranded() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let aws = deploy(&endpoint).await;
    let scope = instance(&*aws.store).await;
    let missing = format!(
        "{}/123456789012/apig-test-missing-{}",
        endpoint.trim_end_matches('/'),
        Id::generate()
    );
    let router = router_for(
        &aws.store,
        &aws.blobs,
        SqsQueue::new(aws.sqs.clone(), missing),
    );
    let (status, body) = aws
        .async_import_via(&router, &scope, &fixture("apig/shop-2.0.yaml"))
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error_code"], "APIG.9999", "{body}");
    // The task was recorded (its document is under tasks/, named by its id) and failed.
    let listed = aws
        .s3
        .list_objects_v2()
        .bucket(&aws.bucket)
        .prefix("tasks/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    let key = listed.contents()[0].key().unwrap();
    let id = key
        .rsplit('/')
        .next()
        .and_then(|name| name.strip_suffix(".doc"))
        .and_then(Id::parse)
        .unwrap();
    let task = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Failed);
    assert!(task.expires_at.is_some(), "finished tasks expire");
    let error: Value = serde_json::from_str(&task.result).unwrap();
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    assert!(
        error["error_msg"].as_str().unwrap().contains("queue"),
        "{error}"
    );
    let (_, shown) = aws.task(&scope, id.as_str()).await;
    assert_eq!(shown["task_status"], "failed");
    assert_eq!(counts(&*aws.store, &scope).await, (0, 0));
}

/// A message of a real task that keeps failing reaches the dead-letter queue (here after 2
/// deliveries, each killing its worker half-way), its task unfinished; the worker consuming
/// the dead-letter queue gives up on it: the task ends `failed` with APIG.9999, and the
/// dead letter is acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_task_whose_message_reaches_the_dead_letter_queue_ends_failed() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let settings = QueueSettings {
        visibility_seconds: Some(2),
        max_receives: Some(2),
    };
    let aws = deploy_with(&endpoint, settings).await;
    let dlq_url = aws.dlq_url.clone().unwrap();
    let (scope, id) = aws.submit_shop().await;
    let mut deliveries = 0;
    let mut kills = 0;
    while let Some(event) = aws.next_delivery(&aws.queue_url).await {
        deliveries += 1;
        let killer = Arc::new(FaultyStore::new(Arc::clone(&aws.store)).killing(1));
        let worker = AwsWorker::new(
            Arc::clone(&killer) as Arc<dyn Store>,
            aws.blobs.clone(),
            Limits::default(),
        )
        .with_lease_seconds(1);
        tokio::select! {
            // The killed worker's lease was not over yet: reported, seen again.
            answer = worker.handle(event) => assert_ne!(answer.unwrap(), no_failures()),
            () = killer.killed() => kills += 1,
        }
        if deliveries == 2 {
            break;
        }
    }
    assert_eq!(deliveries, 2);
    assert!(kills >= 1);
    // Received once more (as Lambda's poller does) it is moved, not delivered a third time.
    for _ in 0..2 {
        assert!(aws.receive_from(&aws.queue_url).await.is_none());
    }
    let stranded = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(
        (stranded.status, stranded.attempts),
        (TaskStatus::Processing, kills)
    );

    let dlq_arn = aws.queue_arn(&dlq_url).await;
    let worker = AwsWorker::new(Arc::clone(&aws.store), aws.blobs.clone(), Limits::default())
        .with_dead_letter_queue(dlq_arn);
    let mut dead_deliveries = 0;
    loop {
        let dead = aws
            .next_delivery(&dlq_url)
            .await
            .expect("the message is in the dead-letter queue");
        dead_deliveries += 1;
        assert!(dead_deliveries <= 4, "the dead letter is never settled");
        let message: Value =
            serde_json::from_str(dead["Records"][0]["body"].as_str().unwrap()).unwrap();
        assert_eq!(message["task_id"], id.as_str());
        if worker.handle(dead.clone()).await.unwrap() == no_failures() {
            aws.delete(&dlq_url, &dead).await;
            break;
        }
        // The killed worker's lease was not over yet: seen again.
    }
    let done = aws.store.get_task(&scope, &id).await.unwrap().unwrap();
    assert_eq!(done.status, TaskStatus::Failed, "{}", done.result);
    let error: Value = serde_json::from_str(&done.result).unwrap();
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    let (_, shown) = aws.task(&scope, id.as_str()).await;
    assert_eq!(shown["task_status"], "failed");
    assert_eq!(aws.messages_in(&aws.queue_url).await, 0);
    assert_eq!(aws.messages_in(&dlq_url).await, 0);

    // A dropped document's notification that reached the dead-letter queue: its task is
    // recorded and failed, and its result object says so.
    let (p, i) = (scope.project_id.as_str(), scope.instance_id.as_str());
    let key = format!("imports/{p}/{i}/late.yaml");
    let (version, e_tag) = aws
        .drop_document(&key, &fixture("apig/library-3.0.yaml"), &[])
        .await;
    aws.sqs
        .send_message()
        .queue_url(&dlq_url)
        .message_body(aws.s3_event(&key, &version, &e_tag).to_string())
        .send()
        .await
        .unwrap();
    let dead = aws.receive_from(&dlq_url).await.expect("the dead letter");
    assert_eq!(worker.handle(dead).await.unwrap(), no_failures());
    let result = aws
        .object_json(&format!("results/{p}/{i}/late.yaml.json"))
        .await;
    assert_eq!(result["task_status"], "failed", "{result}");
    let error: Value = serde_json::from_str(result["task_result"].as_str().unwrap()).unwrap();
    assert_eq!(error["error_code"], "APIG.9999", "{error}");
    assert_eq!(
        counts(&*aws.store, &scope).await.0,
        1,
        "library was not imported"
    );
}
