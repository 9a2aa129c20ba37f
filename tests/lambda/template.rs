//! `template.yaml` agrees with the code: every route of the router is a route of the HTTP
//! API (and nothing else is), the table has the store's key schema, the function gets the
//! environment the bootstrap reads, and no secret is written into the template.
//! (`scripts/lint-template` checks the template itself with cfn-lint and `sam validate`.)

use apig_import::http::{read, tasks, IMPORT_ROUTE, LAMBDA_MAX_DOCUMENT_BYTES};
use apig_import::store::dynamodb::table;

fn template() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    std::fs::read_to_string(path).expect("template.yaml")
}

/// The (method, path) pairs of the function's HttpApi events.
fn template_routes(text: &str) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    let mut method = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("Type: ") {
            method = None;
        }
        if let Some(m) = line.strip_prefix("Method: ") {
            method = Some(m.to_string());
        }
        if let Some(p) = line.strip_prefix("Path: ") {
            routes.push((method.take().expect("Method before Path"), p.to_string()));
        }
    }
    routes.sort();
    routes
}

#[test]
fn every_route_of_the_router_is_routed_by_the_http_api() {
    let mut wanted = vec![
        ("POST".to_string(), IMPORT_ROUTE.to_string()),
        ("GET".to_string(), read::API_GROUPS_ROUTE.to_string()),
        ("GET".to_string(), read::APIS_ROUTE.to_string()),
        ("GET".to_string(), read::API_ROUTE.to_string()),
        ("POST".to_string(), tasks::ASYNC_IMPORT_ROUTE.to_string()),
        ("GET".to_string(), tasks::ASYNC_TASK_ROUTE.to_string()),
    ];
    wanted.sort();
    assert_eq!(template_routes(&template()), wanted);
}

#[test]
fn the_table_has_the_store_schema() {
    let text = template();
    let block: String = text
        .split("\n  Table:\n")
        .nth(1)
        .expect("Table resource")
        .split("\n\n")
        .next()
        .expect("block")
        .to_string();
    // Exactly what `DynamoStore::create_table` creates.
    let mut needles = vec![
        "Type: AWS::DynamoDB::Table".to_string(),
        format!("BillingMode: {}", table::BILLING_MODE),
        "PointInTimeRecoveryEnabled: true".to_string(),
        "SSEEnabled: true".to_string(),
        "DeletionProtectionEnabled: !Ref TableDeletionProtection".to_string(),
    ];
    let mut key_schema = String::new();
    for (attribute, key_type) in table::KEY_SCHEMA {
        needles.push(format!(
            "- AttributeName: {attribute}\n          AttributeType: {}",
            table::KEY_ATTRIBUTE_TYPE
        ));
        key_schema.push_str(&format!(
            "        - AttributeName: {attribute}\n          KeyType: {key_type}\n"
        ));
    }
    needles.push(format!("KeySchema:\n{key_schema}"));
    for needle in &needles {
        assert!(
            block.contains(needle.as_str()),
            "{needle:?} missing from\n{block}"
        );
    }
    assert!(table::GLOBAL_SECONDARY_INDEXES.is_empty());
    assert!(block.contains(&format!(
        "- AttributeName: {}\n          AttributeType: {}",
        table::ORDER_ATTRIBUTE,
        table::KEY_ATTRIBUTE_TYPE
    )));
    // Three attribute definitions, the key schema, each local index's two key elements,
    // and the TTL attribute.
    let lsis = table::LOCAL_SECONDARY_INDEXES;
    assert_eq!(
        block.matches("AttributeName:").count(),
        6 + 2 * lsis.len(),
        "{block}"
    );
    assert!(block.contains(&format!(
        "TimeToLiveSpecification:\n        AttributeName: {}\n        Enabled: true",
        table::TTL_ATTRIBUTE
    )));
    assert!(!block.contains("GlobalSecondaryIndexes"));
    for (name, projection, non_key) in lsis {
        let index = format!(
            "- IndexName: {name}\n          KeySchema:\n            - AttributeName: {pk}\n              KeyType: HASH\n            - AttributeName: {ord}\n              KeyType: RANGE\n          Projection:\n            ProjectionType: {projection}\n",
            pk = table::PARTITION_KEY,
            ord = table::ORDER_ATTRIBUTE,
        );
        assert!(block.contains(&index), "{index:?} missing from\n{block}");
        for attribute in non_key {
            assert!(block.contains(&format!("              - {attribute}\n")));
        }
    }
    assert!(!block.contains("StreamSpecification"));
}

#[test]
fn the_function_gets_the_environment_the_bootstrap_reads() {
    let text = template();
    for variable in [
        "APIG_STORE: dynamodb",
        "APIG_TABLE: !Ref Table",
        "APIG_TOKEN_SECRET:",
        "APIG_SIGNING_SECRET:",
        "APIG_TOKEN_PUBLIC_KEYS:",
        "APIG_MAX_DOCUMENT_BYTES:",
        "APIG_MAX_OPERATIONS:",
        "APIG_MAX_APIS_PER_GROUP:",
        "APIG_MAX_GROUPS_PER_INSTANCE:",
        "APIG_MAX_PARAMS_PER_API:",
        "APIG_MAX_BACKEND_POLICIES:",
        "APIG_MAX_THROTTLES_PER_INSTANCE:",
        "APIG_MAX_ACLS_PER_INSTANCE:",
        "APIG_LOG:",
        "APIG_BUCKET: !Ref Bucket",
        "APIG_QUEUE_URL: !Ref TaskQueue",
        // The worker's: the dead-letter queue whose messages it gives up on.
        "APIG_DEAD_LETTER_QUEUE_ARN: !GetAtt TaskDeadLetterQueue.Arn",
    ] {
        assert!(text.contains(variable), "{variable} missing");
    }
    // Secrets come from Secrets Manager at deploy time, never as literals or parameters.
    assert!(text.contains("{{resolve:secretsmanager:${TokenSecretName}:SecretString}}"));
    assert!(text.contains("{{resolve:secretsmanager:${SigningSecretName}:SecretString}}"));
    // The document limit cannot be set above what a Lambda event can carry.
    assert!(
        text.contains(&format!("MaxValue: {LAMBDA_MAX_DOCUMENT_BYTES}")),
        "MaxDocumentBytes must allow at most {LAMBDA_MAX_DOCUMENT_BYTES}"
    );
}

#[test]
fn permissions_are_the_item_operations_on_the_table_only() {
    let text = template();
    let actions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("- dynamodb:"))
        .collect();
    let store_actions = [
        "GetItem",
        "BatchGetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
    ];
    // The HTTP function's, then the worker's: the same.
    assert_eq!(actions, [store_actions, store_actions].concat());
    assert!(text.contains("Resource: !GetAtt Table.Arn"));
    assert!(!text.contains("dynamodb:*"));
    assert!(!text.contains("dynamodb:Scan"));
}

/// The worker consumes the task queue and its dead-letter queue (giving up on the tasks of
/// dead letters), both one message at a time with partial batch responses, and both queues
/// keep a message invisible longer than the worker runs.
#[test]
fn the_worker_consumes_the_task_queue_and_its_dead_letters() {
    let text = template();
    for queue in ["TaskQueue", "TaskDeadLetterQueue"] {
        let source = format!(
            "            Queue: !GetAtt {queue}.Arn\n            BatchSize: 1\n            \
             FunctionResponseTypes:\n              - ReportBatchItemFailures\n"
        );
        assert!(text.contains(&source), "event source on {queue}");
        let block = text
            .split(&format!("\n  {queue}:\n"))
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or_else(|| panic!("{queue} declared"));
        assert!(block.contains("VisibilityTimeout: 180"), "{queue}: {block}");
    }
    assert!(text.contains("      Timeout: 100\n"));
}
