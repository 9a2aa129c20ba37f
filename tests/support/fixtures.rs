//! Constructors of test data: scopes, groups, APIs (minimal and with every field set),
//! shared objects, references and import records.

use apig_import::docgen::{self, Format, Spec, Version};
use apig_import::model::*;
use apig_import::store::{ApiWrite, Store};
use std::collections::BTreeMap;

pub const T0: &str = "2024-01-02T03:04:05Z";
pub const T1: &str = "2024-06-07T08:09:10Z";

fn path_id(s: &str) -> PathId {
    PathId::parse(s).unwrap_or_else(|| panic!("bad path id {s:?}"))
}

/// A scope from explicit project and instance ids.
pub fn scope_of(project: &str, instance: &str) -> Scope {
    Scope::new(path_id(project), path_id(instance))
}

/// A fresh scope nobody else uses (random project and instance), so tests can share a store.
pub fn scope() -> Scope {
    scope_of(
        &format!("p{}", Id::generate()),
        &format!("i{}", Id::generate()),
    )
}

/// Another instance of the same project.
pub fn sibling_instance(scope: &Scope) -> Scope {
    Scope::new(
        scope.project_id.clone(),
        path_id(&format!("i{}", Id::generate())),
    )
}

/// The same instance id under another project.
pub fn other_project(scope: &Scope) -> Scope {
    Scope::new(
        path_id(&format!("p{}", Id::generate())),
        scope.instance_id.clone(),
    )
}

/// A fresh scope, registered as an instance.
pub async fn instance(store: &dyn Store) -> Scope {
    let scope = scope();
    assert!(store
        .create_instance(&scope)
        .await
        .expect("create instance"));
    scope
}

pub fn group_name(name: &str) -> GroupName {
    GroupName::parse(name).unwrap_or_else(|e| panic!("bad group name {name:?}: {e}"))
}

pub fn group(name: &str) -> Group {
    Group {
        id: Id::generate(),
        name: group_name(name),
        remark: None,
        created_at: T0.to_string(),
        updated_at: T0.to_string(),
    }
}

/// A group created in the store (quota 1500), asserting it was created.
pub async fn stored_group(store: &dyn Store, scope: &Scope, name: &str) -> Group {
    let g = group(name);
    let outcome = store
        .create_group(scope, &g, 1500)
        .await
        .expect("create group");
    assert_eq!(outcome, apig_import::store::GroupCreate::Created);
    g
}

/// The smallest API definition: a MOCK backend, defaults everywhere.
pub fn definition(name: &str, method: Method, path: &str, match_mode: MatchMode) -> ApiDefinition {
    ApiDefinition {
        name: name.to_string(),
        remark: None,
        method,
        path: path.to_string(),
        match_mode,
        protocol: Protocol::default(),
        request_type: RequestType::default(),
        cors: false,
        auth_type: AuthType::default(),
        app_code_auth: false,
        authorizer: None,
        content_type: None,
        send_fg_body_base64: false,
        tags: Vec::new(),
        req_params: Vec::new(),
        backend: Backend::mock(""),
        backend_policies: Vec::new(),
        ratelimit: None,
        access_control: None,
        plugins: Vec::new(),
        response: None,
        orchestrations: Vec::new(),
        result_normal_sample: None,
        result_failure_sample: None,
    }
}

/// A minimal API (NORMAL match mode), version 1.
pub fn api(group_id: &Id, name: &str, method: Method, path: &str) -> Api {
    api_with_mode(group_id, name, method, path, MatchMode::Normal)
}

pub fn api_with_mode(
    group_id: &Id,
    name: &str,
    method: Method,
    path: &str,
    match_mode: MatchMode,
) -> Api {
    Api {
        id: Id::generate(),
        group_id: group_id.clone(),
        version: 1,
        created_at: T0.to_string(),
        updated_at: T0.to_string(),
        definition: definition(name, method, path, match_mode),
    }
}

/// `GET /r/<i>` named `api_<i>`.
pub fn numbered_api(group_id: &Id, i: usize) -> Api {
    api(
        group_id,
        &format!("api_{i}"),
        Method::Get,
        &format!("/r/{i}"),
    )
}

/// An API whose mock body is `body_bytes` long, so listings carry real volume.
pub fn big_api(group_id: &Id, i: usize, body_bytes: usize) -> Api {
    let mut a = numbered_api(group_id, i);
    let filler: String = format!("{i:08}-")
        .chars()
        .cycle()
        .take(body_bytes)
        .collect();
    a.definition.backend = Backend::mock(filler);
    a
}

pub fn creates(apis: &[Api]) -> Vec<ApiWrite> {
    apis.iter().cloned().map(ApiWrite::Create).collect()
}

/// The replacement of `stored`: same id, the given definition, version + 1, new update time.
pub fn replacement(stored: &Api, definition: ApiDefinition) -> ApiWrite {
    ApiWrite::Replace {
        api: Api {
            id: stored.id.clone(),
            group_id: stored.group_id.clone(),
            version: stored.version + 1,
            created_at: T1.to_string(),
            updated_at: T1.to_string(),
            definition,
        },
        expected_version: stored.version,
    }
}

fn param(name: &str, location: ParamLocation, param_type: ParamType) -> RequestParam {
    RequestParam {
        name: name.to_string(),
        location,
        param_type,
        required: true,
        default: Some("dflt".to_string()),
        enumerations: Some("a,b,c".to_string()),
        min_num: Some(-2.5e10),
        max_num: Some(0.1 + 0.2),
        min_size: Some(1),
        max_size: Some(u64::from(u32::MAX) + 7),
        description: Some("a parameter — with “unicode” 图书".to_string()),
        pass_through: Some(PassThrough::Always),
        sample: Some("sample".to_string()),
        orchestrations: vec!["orch_a".to_string(), "orch_b".to_string()],
    }
}

/// An API with every optional field set, every list non-empty, every enum away from its
/// default, and every backend type somewhere (main backend or a policy).
pub fn full_api(group_id: &Id) -> Api {
    let mut id_param = param("id", ParamLocation::Path, ParamType::Number);
    id_param.min_num = Some(1e-7);
    id_param.max_num = Some(2.638_344_616_030_823e-256);
    id_param.pass_through = Some(PassThrough::Never);
    let backend_params = vec![
        BackendParam {
            name: "X-Id".to_string(),
            value: "id".to_string(),
            location: ParamLocation::Header,
            origin: ParamOrigin::Request,
            description: Some("from the path".to_string()),
        },
        BackendParam {
            name: "fixed".to_string(),
            value: "42".to_string(),
            location: ParamLocation::Query,
            origin: ParamOrigin::Constant,
            description: Some("a constant".to_string()),
        },
        BackendParam {
            name: "caller".to_string(),
            value: "$context.sourceIp".to_string(),
            location: ParamLocation::Path,
            origin: ParamOrigin::System,
            description: Some("system".to_string()),
        },
    ];
    let http = Backend {
        endpoint: BackendEndpoint::Http(HttpEndpoint {
            address: "#host#:8443".to_string(),
            target: HttpTarget {
                scheme: Scheme::Https,
                method: Method::Post,
                path: "/backend/{id}".to_string(),
                timeout_ms: 60_000,
                retry_count: -1,
                enable_client_ssl: true,
                description: Some("http backend".to_string()),
            },
        }),
        parameters: backend_params,
    };
    let vpc = Backend {
        endpoint: BackendEndpoint::HttpVpc(VpcEndpoint {
            channel_name: "vpc_main".to_string(),
            target: HttpTarget {
                scheme: Scheme::Http,
                method: Method::Put,
                path: "/vpc".to_string(),
                timeout_ms: 5_000,
                retry_count: 3,
                enable_client_ssl: true,
                description: Some("vpc backend".to_string()),
            },
            cascade_flag: Some(true),
        }),
        parameters: Vec::new(),
    };
    let function = Backend {
        endpoint: BackendEndpoint::Function(FunctionEndpoint {
            function_urn: "urn:fss:cn-north-4:0123456789abcdef:function:default:fn".to_string(),
            version: Some("latest".to_string()),
            alias_urn: Some("urn:fss:alias".to_string()),
            invocation_type: InvocationType::Async,
            network_type: NetworkType::V2,
            timeout_ms: 1_234,
            description: Some("function backend".to_string()),
        }),
        parameters: Vec::new(),
    };
    let mock = Backend {
        endpoint: BackendEndpoint::Mock(MockEndpoint {
            result_content: "{\"ok\":true}\n\t\u{0}\u{1F600}".to_string(),
            description: Some("mock backend".to_string()),
        }),
        parameters: Vec::new(),
    };
    let definition = ApiDefinition {
        name: "full_api.v1/(all):fields".to_string(),
        remark: Some("every field set".to_string()),
        method: Method::Patch,
        path: "/full/{id}/rest/{tail+}".to_string(),
        match_mode: MatchMode::Swa,
        protocol: Protocol::Both,
        request_type: RequestType::Private,
        cors: true,
        auth_type: AuthType::Authorizer,
        app_code_auth: true,
        authorizer: Some("authz".to_string()),
        content_type: Some("application/json".to_string()),
        send_fg_body_base64: true,
        tags: vec!["tag1".to_string(), "标签".to_string()],
        req_params: vec![
            id_param,
            param("tail", ParamLocation::Path, ParamType::String),
            param("q", ParamLocation::Query, ParamType::String),
            param("X-Trace", ParamLocation::Header, ParamType::Number),
        ],
        backend: http,
        backend_policies: vec![
            BackendPolicy {
                name: "to_vpc".to_string(),
                backend: vpc,
                conditions: vec![
                    PolicyCondition {
                        condition_type: ConditionType::Exact,
                        value: "a".to_string(),
                        origin: ConditionOrigin::Request,
                        parameter: Some("q".to_string()),
                    },
                    PolicyCondition {
                        condition_type: ConditionType::Pattern,
                        value: "^x.*$".to_string(),
                        origin: ConditionOrigin::Request,
                        parameter: Some("X-Trace".to_string()),
                    },
                ],
            },
            BackendPolicy {
                name: "to_function".to_string(),
                backend: function,
                conditions: vec![PolicyCondition {
                    condition_type: ConditionType::Enum,
                    value: "a,b".to_string(),
                    origin: ConditionOrigin::Request,
                    parameter: Some("q".to_string()),
                }],
            },
            BackendPolicy {
                name: "to_mock".to_string(),
                backend: mock,
                conditions: vec![PolicyCondition {
                    condition_type: ConditionType::Exact,
                    value: "10.0.0.0/8".to_string(),
                    origin: ConditionOrigin::Source,
                    parameter: None,
                }],
            },
        ],
        ratelimit: Some("throttle_a".to_string()),
        access_control: Some("acl_a".to_string()),
        plugins: vec!["plugin_a".to_string(), "plugin_b".to_string()],
        response: Some("responses_a".to_string()),
        orchestrations: vec!["orch_a".to_string()],
        result_normal_sample: Some("{\"id\": 1}".to_string()),
        result_failure_sample: Some("{\"error\": \"x\"}".to_string()),
    };
    Api {
        id: Id::generate(),
        group_id: group_id.clone(),
        version: 7,
        created_at: T0.to_string(),
        updated_at: T1.to_string(),
        definition,
    }
}

fn shared(key: SharedKey, definition: SharedDefinition) -> SharedObject {
    SharedObject {
        id: Id::generate(),
        key,
        version: 1,
        definition,
        created_at: T0.to_string(),
        updated_at: T0.to_string(),
    }
}

pub fn instance_key(kind: SharedKind, name: &str) -> SharedKey {
    SharedKey {
        kind,
        group_id: None,
        name: name.to_string(),
    }
}

pub fn group_key(kind: SharedKind, group_id: &Id, name: &str) -> SharedKey {
    SharedKey {
        kind,
        group_id: Some(group_id.clone()),
        name: name.to_string(),
    }
}

pub fn throttle(name: &str, api_limit: u64) -> SharedObject {
    shared(
        instance_key(SharedKind::Throttle, name),
        SharedDefinition::Throttle(ThrottlePolicy {
            api_limit,
            user_limit: Some(50),
            app_limit: Some(40),
            ip_limit: Some(30),
            interval: 2,
            unit: TimeUnit::Minute,
            shared: true,
            special: vec![
                SpecialThrottle {
                    special_type: SpecialType::App,
                    limit: 5,
                    instance: "app_1".to_string(),
                },
                SpecialThrottle {
                    special_type: SpecialType::User,
                    limit: 6,
                    instance: "user_1".to_string(),
                },
            ],
        }),
    )
}

pub fn access_control(name: &str) -> SharedObject {
    shared(
        instance_key(SharedKind::AccessControl, name),
        SharedDefinition::AccessControl(AccessControlPolicy {
            acl_type: AclType::Deny,
            entity_type: AclEntityType::Ip,
            value: "10.0.0.1,192.168.0.0/16".to_string(),
        }),
    )
}

pub fn authorizer(name: &str) -> SharedObject {
    shared(
        instance_key(SharedKind::Authorizer, name),
        SharedDefinition::Authorizer(CustomAuthorizer {
            authorizer_type: "FUNC".to_string(),
            authorizer_uri: "urn:fss:authorizer".to_string(),
            authorizer_alias_uri: Some("urn:fss:authorizer:alias".to_string()),
            authorizer_version: Some("v2".to_string()),
            authorizer_kind: AuthorizerType::Backend,
            network_type: NetworkType::V2,
            need_body: true,
            auth_downgrade_enabled: true,
            identities: vec![AuthorizerIdentity {
                name: "Authorization".to_string(),
                location: "HEADER".to_string(),
                validation: Some("^Bearer .+$".to_string()),
            }],
            ttl: Some(60),
            timeout_ms: Some(3_000),
            retry_attempts: Some(2),
        }),
    )
}

pub fn gateway_responses(group_id: &Id, name: &str, status: u16) -> SharedObject {
    let mut body = BTreeMap::new();
    body.insert(
        "application/json".to_string(),
        "{\"error_code\":\"$context.error.code\"}".to_string(),
    );
    body.insert("text/plain".to_string(), "throttled".to_string());
    let mut responses = BTreeMap::new();
    responses.insert(
        "THROTTLED".to_string(),
        GatewayResponse {
            status,
            body,
            headers: vec![
                ("X-A".to_string(), "1".to_string()),
                ("X-B".to_string(), "2".to_string()),
            ],
        },
    );
    shared(
        group_key(SharedKind::GatewayResponse, group_id, name),
        SharedDefinition::GatewayResponse(GatewayResponseSet { responses }),
    )
}

/// The replacement of a stored shared object: version + 1, the given definition.
pub fn shared_replacement(stored: &SharedObject, definition: SharedDefinition) -> SharedObject {
    SharedObject {
        id: stored.id.clone(),
        key: stored.key.clone(),
        version: stored.version + 1,
        definition,
        created_at: stored.created_at.clone(),
        updated_at: T1.to_string(),
    }
}

pub fn reference(kind: ReferenceKind, name: &str) -> Reference {
    Reference {
        id: Id::generate(),
        kind,
        name: name.to_string(),
        created_at: T0.to_string(),
    }
}

pub fn import_record(group_id: &Id) -> ImportRecord {
    ImportRecord {
        id: Id::generate(),
        group_id: group_id.clone(),
        caller: "user:alice".to_string(),
        options: ImportOptions {
            group: GroupTarget::New,
            api_mode: Mode::Override,
            extend_mode: Mode::Merge,
            simple_mode: true,
            mock_mode: true,
        },
        document_sha256: "ab".repeat(32),
        success: 3,
        failure: 2,
        ignore: 1,
        result: "Partial".to_string(),
        created_at: T0.to_string(),
        warnings: vec![ImportWarning {
            method: "GET".to_string(),
            path: "/pets".to_string(),
            code: WarningCode::SecurityNotMapped,
            message: "open".to_string(),
        }],
    }
}

/// Sort by id, so listings compare regardless of the store's order.
pub fn by_id<T: Clone>(items: &[T], id: impl Fn(&T) -> &Id) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort_by(|a, b| id(a).cmp(id(b)));
    v
}

/// A generated document (OpenAPI 3.0, JSON) of `operations` operations.
pub fn generated_document(operations: usize) -> serde_json::Value {
    docgen::document(&Spec::new(Version::OpenApi30, Format::Json, operations))
}

/// The operation keys of a path item.
pub const OPERATIONS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "patch",
    "head",
    "options",
    "x-apigateway-any-method",
];

/// The operations of `later` that `earlier` does not have (generated documents grow path by
/// path, so `generated_document(900)` after `generated_document(600)` is 300 further
/// operations, with all of the document's shared definitions).
pub fn operations_after(
    mut later: serde_json::Value,
    earlier: &serde_json::Value,
) -> serde_json::Value {
    if let Some(paths) = later
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        for (path, item) in paths.iter_mut() {
            if let Some(item) = item.as_object_mut() {
                for op in OPERATIONS {
                    if earlier["paths"][path].get(op).is_some() {
                        item.remove(op);
                    }
                }
            }
        }
        paths.retain(|_, item| OPERATIONS.iter().any(|op| item.get(*op).is_some()));
    }
    later
}

pub fn operation_count(doc: &serde_json::Value) -> usize {
    doc["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .map(|item| {
                    OPERATIONS
                        .iter()
                        .filter(|op| item.get(**op).is_some())
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}
