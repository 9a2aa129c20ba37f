//! The store contract suite (`tests/common/store_contract.rs`), run for every store.

mod common;

mod sqlite_memory {
    crate::store_contract_tests!(crate::common::stores::sqlite_memory);
}

mod sqlite_file {
    crate::store_contract_tests!(crate::common::stores::sqlite_file);
}

/// The same cases against DynamoDB (a local server: `scripts/dynamodb-local cargo test`),
/// each on its own fresh table. Without a server they are skipped loudly, except in CI
/// where they fail. The list must name every case of the suite (checked below).
macro_rules! dynamodb_contract_tests {
    ($($case:ident),* $(,)?) => {
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(fixture) = crate::common::stores::dynamodb().await else {
                        return;
                    };
                    crate::common::store_contract::$case(&*fixture.store).await;
                }
            )*

            /// Every `pub async fn case_*` of the suite is instantiated here.
            #[test]
            fn every_case_is_instantiated() {
                let listed = [$(stringify!($case)),*];
                let source = include_str!("common/store_contract.rs");
                for line in source.lines() {
                    if let Some(rest) = line.trim_start().strip_prefix("pub async fn case_") {
                        let name = format!("case_{}", rest.split('(').next().unwrap_or_default());
                        assert!(
                            listed.contains(&name.as_str()),
                            "{name} is not run against DynamoDB: add it to tests/store_contract.rs"
                        );
                    }
                }
            }
        }
    };
}

dynamodb_contract_tests!(
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
    case_api_empty_batch,
    case_shared_create_clash_get_list,
    case_shared_quota,
    case_shared_replace,
    case_gateway_responses_per_group,
    case_import_record_put_get,
    case_tenancy_isolation,
    case_read_back_every_field,
    case_read_back_numbers_exactly,
    case_many_apis_listed_completely,
    case_access_key_create_get_list,
    case_access_key_enable_disable,
    case_access_key_lockout,
    case_access_key_failures_are_atomic,
    case_task_create_get_tenancy,
    case_task_lease_and_finish,
    case_task_lease_taken_once_concurrently,
    case_task_unfinished_listed,
);
