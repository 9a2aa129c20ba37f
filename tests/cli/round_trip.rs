//! The round trip of `async-export.md` §4.3: import → export (`define=all`; Swagger 2.0 and
//! OpenAPI 3.0; JSON and YAML) → import into a new group of a fresh instance → every API's
//! stored definition and `ShowDetailsOfApiV2` view, and the exported shared objects, equal
//! the originals (ids, group ids and timestamps aside) → exporting the second group gives
//! the same file. Over the extension-rich fixtures, the public fixtures that import, and
//! 200 seeded generated documents covering every backend type, policy kind, parameter
//! location, authentication, gateway response, match mode, CORS and samples.

use crate::support::fixture;
use apig_import::config::Limits;
use apig_import::export::{self, Define, ExportFormat, ExportRequest, OasVersion, RELEASE_ENV_ID};
use apig_import::import::{self, GroupTarget, ImportOptions, ImportRequest, ImportResponse};
use apig_import::model::{
    Api, ApiDefinition, Id, PathId, Reference, ReferenceKind, Scope, SharedDefinition, SharedKind,
};
use apig_import::store::sqlite::SqliteStore;
use apig_import::store::{Catalog, Store};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// VPC channels, plugins and orchestration rules every instance of these tests has.
const REFERENCES: [(ReferenceKind, &[&str]); 3] = [
    (
        ReferenceKind::VpcChannel,
        &["catalog_channel", "chan_a", "chan_b", "main_channel"],
    ),
    (ReferenceKind::Plugin, &["audit_plugin", "plug_a", "plug_b"]),
    (
        ReferenceKind::Orchestration,
        &["orch_a", "orch_b", "orch_rule"],
    ),
];

const COMBINATIONS: [(OasVersion, ExportFormat); 4] = [
    (OasVersion::V2, ExportFormat::Json),
    (OasVersion::V2, ExportFormat::Yaml),
    (OasVersion::V3, ExportFormat::Json),
    (OasVersion::V3, ExportFormat::Yaml),
];

static INSTANCES: AtomicUsize = AtomicUsize::new(0);

/// A fresh instance with the references registered.
async fn instance(store: &SqliteStore) -> Scope {
    let n = INSTANCES.fetch_add(1, Ordering::Relaxed);
    let scope = Scope::new(
        PathId::parse("round_trip").expect("project"),
        PathId::parse(&format!("instance_{n}")).expect("instance"),
    );
    store.create_instance(&scope).await.expect("instance");
    for (kind, names) in REFERENCES {
        for name in names {
            let reference = Reference {
                id: Id::generate(),
                kind,
                name: name.to_string(),
                created_at: apig_import::now_rfc3339(),
            };
            store
                .create_reference(&scope, &reference)
                .await
                .expect("reference");
        }
    }
    scope
}

async fn import_new_group(store: &SqliteStore, scope: &Scope, document: &[u8]) -> ImportResponse {
    import_with(store, scope, document, false).await
}

async fn import_with(
    store: &SqliteStore,
    scope: &Scope,
    document: &[u8],
    simple_mode: bool,
) -> ImportResponse {
    let request = ImportRequest {
        scope: scope.clone(),
        caller: "tests".into(),
        options: ImportOptions {
            group: GroupTarget::New,
            simple_mode,
            ..ImportOptions::default()
        },
        document: bytes::Bytes::copy_from_slice(document),
    };
    import::run(store, &Limits::default(), request)
        .await
        .unwrap_or_else(|e| panic!("import: {e}"))
}

async fn export_text(
    store: &SqliteStore,
    scope: &Scope,
    group_id: &str,
    oas: OasVersion,
    format: ExportFormat,
) -> String {
    let request = ExportRequest {
        env_id: RELEASE_ENV_ID.into(),
        group_id: group_id.into(),
        define: Define::All,
        format,
        oas,
        version: Some("1.0.0".into()),
        apis: Vec::new(),
    };
    export::export(store, scope, &request)
        .await
        .unwrap_or_else(|e| panic!("export: {e}"))
        .text
}

/// The group's APIs by name.
async fn apis(store: &SqliteStore, scope: &Scope, group_id: &str) -> BTreeMap<String, Api> {
    let id = Id::parse(group_id).expect("group id");
    store
        .list_apis(scope, &id)
        .await
        .expect("apis")
        .into_iter()
        .map(|a| (a.definition.name.clone(), a))
        .collect()
}

/// The shared objects an export of the group carries, by kind and name.
async fn shared(
    store: &SqliteStore,
    scope: &Scope,
    group_id: &str,
) -> BTreeMap<(SharedKind, String), SharedDefinition> {
    export::load(store, scope, group_id, &[])
        .await
        .expect("load")
        .shared
        .into_iter()
        .map(|o| ((o.key.kind, o.key.name), o.definition))
        .collect()
}

/// A `ShowDetailsOfApiV2` body without what differs between two copies of an API: ids
/// (its own, its group's, those of the objects it names) and timestamps.
fn without_identity(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !(k == "id" || k.ends_with("_id") || k.ends_with("_time")))
                .map(|(k, v)| (k, without_identity(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_identity).collect()),
        other => other,
    }
}

async fn view(store: &SqliteStore, scope: &Scope, api: &Api) -> Value {
    let detail = apig_import::read::show_api(store as &dyn Store, scope, api.id.as_str())
        .await
        .expect("show");
    without_identity(serde_json::to_value(detail).expect("view"))
}

/// Import `document`, then every export combination through a fresh instance; panics with
/// the first difference. Returns how many APIs made the trip. The re-imports are strict
/// (`simple_mode` only applies to the first import).
async fn round_trip(label: &str, document: &[u8], simple_mode: bool) -> usize {
    let store = SqliteStore::in_memory().expect("store");
    let first = instance(&store).await;
    let imported = import_with(&store, &first, document, simple_mode).await;
    let originals = apis(&store, &first, &imported.group_id).await;
    let original_shared = shared(&store, &first, &imported.group_id).await;
    for (oas, format) in COMBINATIONS {
        let context = format!("{label} ({}, {format:?})", oas.as_str());
        let text = export_text(&store, &first, &imported.group_id, oas, format).await;
        let second = instance(&store).await;
        let again = import_new_group(&store, &second, text.as_bytes()).await;
        assert!(
            again.failure.is_empty() && again.ignore.is_empty(),
            "{context}: re-import failures {:?}\n{text}",
            again.failure
        );
        let copies = apis(&store, &second, &again.group_id).await;
        assert_eq!(
            originals.keys().collect::<Vec<_>>(),
            copies.keys().collect::<Vec<_>>(),
            "{context}: API names\n{text}"
        );
        for (name, original) in &originals {
            let copy = &copies[name];
            assert_definitions_equal(&context, &original.definition, &copy.definition, &text);
            assert_eq!(
                view(&store, &first, original).await,
                view(&store, &second, copy).await,
                "{context}: ShowDetailsOfApiV2 of {name}"
            );
        }
        assert_eq!(
            original_shared,
            shared(&store, &second, &again.group_id).await,
            "{context}: shared objects\n{text}"
        );
        let text_again = export_text(&store, &second, &again.group_id, oas, format).await;
        assert_eq!(text, text_again, "{context}: the second export differs");
    }
    originals.len()
}

/// Field by field, so that a failure names the field.
fn assert_definitions_equal(context: &str, a: &ApiDefinition, b: &ApiDefinition, text: &str) {
    if a == b {
        return;
    }
    let (Value::Object(a_fields), Value::Object(b_fields)) = (
        serde_json::to_value(a).expect("a"),
        serde_json::to_value(b).expect("b"),
    ) else {
        panic!("definitions are objects");
    };
    for (field, value) in &a_fields {
        assert_eq!(
            Some(value),
            b_fields.get(field),
            "{context}: API {} field {field}\n{text}",
            a.name
        );
    }
    panic!("{context}: API {} differs: {a:?} vs {b:?}", a.name);
}

#[tokio::test]
async fn shop_and_library_round_trip() {
    assert_eq!(
        round_trip("shop", &fixture("apig/shop-2.0.yaml"), false).await,
        6
    );
    assert_eq!(
        round_trip("library", &fixture("apig/library-3.0.yaml"), false).await,
        6
    );
}

#[tokio::test]
async fn public_fixtures_round_trip() {
    let mut total = 0;
    for name in [
        "v2.0-petstore-expanded.json",
        "v2.0-petstore-minimal.yaml",
        "v2.0-petstore-with-external-docs.json",
        "v2.0-petstore.yaml",
        "v3.0-callback-example.json",
        "v3.0-link-example.json",
        "v3.0-petstore-expanded.json",
        "v3.0-petstore.json",
    ] {
        // Their titles ("Swagger Petstore") are not group names: simple mode makes them one.
        total += round_trip(name, &fixture(&format!("public/{name}")), true).await;
    }
    assert!(total > 10, "{total} APIs");
}

// ---------------------------------------------------------------------------------------
// Generated documents
// ---------------------------------------------------------------------------------------

/// xorshift64*: a seeded generator, so that a failing document can be rebuilt from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const TEXTS: &[&str] = &[
    "plain",
    "naïve “quoted” \"text\" with: colon, #hash and - dash",
    "two\nlines\tand tab",
    "true",
    "1.50",
    "~",
    "中文描述",
    "{\"ok\": true, \"items\": [1, 2]}",
    "",
    " leading and trailing ",
    "line\u{2028}separator\u{85}next line\u{feff}",
    "- dash",
    "? question",
    "@at `tick` 'single' %pct *star &amp !bang |pipe >gt",
    "null",
    "NO",
    "0x1F",
    "1e3",
    "-.inf",
    "a\r\nb\u{7f}\u{1}",
];

fn urn(rng: &mut Rng) -> String {
    let suffix = ["", ":latest", ":v1"];
    format!(
        "urn:fss:cn-north-4:0123456789abcdef:function:default:fn_{}{}",
        rng.below(5),
        rng.pick(&suffix)
    )
}

/// The endpoints object and `type` of a backend of `kind`; `path_params` are the request
/// path parameters (each mapped to a backend path parameter when used).
fn backend(rng: &mut Rng, kind: &str, params: &[(String, &str)]) -> Value {
    let mut backend_params: Vec<Value> = Vec::new();
    let mut path = format!("/backend/{}", rng.below(100));
    for (name, location) in params {
        if rng.chance(70) {
            let bname = format!("b_{name}");
            if *location == "path" {
                path.push_str(&format!("/{{{bname}}}"));
            }
            backend_params.push(json!({"name": bname, "value": name, "in": location,
                "origin": "REQUEST", "description": rng.pick(TEXTS)}));
        }
    }
    if rng.chance(50) {
        backend_params.push(json!({"name": "X-Const", "value": rng.pick(TEXTS), "in": "header", "origin": "CONSTANT"}));
    }
    if rng.chance(40) {
        backend_params.push(json!({"name": "src_ip", "value": "$context.sourceIp", "in": "query", "origin": "SYSTEM"}));
    }
    let http_target = |rng: &mut Rng| {
        let mut t = json!({
            "scheme": rng.pick(&["http", "https"]),
            "method": rng.pick(&["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "ANY"]),
            "path": path.clone(),
        });
        if rng.chance(60) {
            t["timeout"] = json!(1 + rng.below(60_000));
        }
        if rng.chance(60) {
            t["retryCount"] = json!(rng.below(12) as i64 - 1);
        }
        if rng.chance(50) {
            t["enableClientSsl"] = json!(rng.chance(50));
        }
        if rng.chance(50) {
            t["description"] = json!(rng.pick(TEXTS));
        }
        t
    };
    let mut out = json!({"type": kind});
    match kind {
        "HTTP" => {
            let mut t = http_target(rng);
            t["address"] = json!(rng.pick(&["api.example.com", "10.0.0.1:8080", "#backend_host#"]));
            out["httpEndpoints"] = t;
        }
        "HTTP-VPC" => {
            let mut t = http_target(rng);
            t["name"] = json!(rng.pick(&["chan_a", "chan_b"]));
            if rng.chance(50) {
                t["cascade_flag"] = json!(rng.chance(50));
            }
            out["httpVpcEndpoints"] = t;
        }
        "FUNCTION" => {
            let mut f = json!({"function-urn": urn(rng)});
            if rng.chance(50) {
                f["version"] = json!("v1");
            }
            if rng.chance(30) {
                f["alias-urn"] = json!(urn(rng));
            }
            if rng.chance(60) {
                f["invocation-type"] = json!(rng.pick(&["sync", "async"]));
            }
            if rng.chance(60) {
                f["network-type"] = json!(rng.pick(&["V1", "V2"]));
            }
            if rng.chance(50) {
                f["timeout"] = json!(1 + rng.below(60_000));
            }
            if rng.chance(40) {
                f["description"] = json!(rng.pick(TEXTS));
            }
            out["functionEndpoints"] = f;
            // Function backends take no path parameters.
            backend_params.retain(|p| p["in"] != "path");
        }
        _ => {
            let mut m = json!({"result-content": rng.pick(TEXTS)});
            if rng.chance(40) {
                m["description"] = json!(rng.pick(TEXTS));
            }
            out["mockEndpoints"] = m;
        }
    }
    if !backend_params.is_empty() {
        out["parameters"] = Value::Array(backend_params);
    }
    out
}

/// A generated document: 2.0 or 3.0 as `v3` says, JSON or YAML text.
fn generated(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let v3 = rng.chance(50);
    let mut paths = serde_json::Map::new();
    let operations = 2 + rng.below(6);
    for i in 0..operations {
        let with_var = rng.chance(50);
        let mut path = format!("/gen/r{i}");
        if with_var {
            path.push_str("/{item_id}");
        }
        if rng.chance(15) {
            path.push_str("/{rest+}");
        }
        let mut params: Vec<(String, &str)> = Vec::new();
        let mut param_values: Vec<Value> = Vec::new();
        for var in ["item_id", "rest"] {
            if path.contains(&format!("{{{var}")) {
                params.push((var.to_string(), "path"));
            }
        }
        for k in 0..rng.below(4) {
            let location = *rng.pick(&["query", "header"]);
            params.push((format!("{location}_{k}"), location));
        }
        for (name, location) in &params {
            let number = rng.chance(40);
            let mut schema =
                json!({"type": if number { rng.pick(&["integer", "number"]) } else { &"string" }});
            if rng.chance(40) {
                schema["default"] = if number {
                    json!(rng.below(50))
                } else {
                    json!(rng.pick(TEXTS))
                };
            }
            if rng.chance(30) {
                schema["enum"] = if number {
                    json!([1, 2, 30])
                } else {
                    json!(["a", "b c", "1"])
                };
            }
            if number && rng.chance(50) {
                schema["minimum"] = json!(1);
                schema["maximum"] = json!(99.5);
            }
            if !number && rng.chance(50) {
                schema["minLength"] = json!(1);
                schema["maxLength"] = json!(64);
            }
            let mut p = json!({"name": name, "in": location});
            if *location == "path" || rng.chance(50) {
                p["required"] = json!(*location == "path" || rng.chance(50));
            }
            if rng.chance(50) {
                p["description"] = json!(rng.pick(TEXTS));
            }
            if rng.chance(30) {
                p["x-apigateway-pass-through"] = json!(rng.pick(&["always", "never"]));
            }
            if rng.chance(30) {
                p["x-apigateway-sample"] = json!(rng.pick(&["s", "42"]));
            }
            if rng.chance(20) {
                p["x-apigateway-orchestrations"] = json!([rng.pick(&["orch_a", "orch_b"])]);
            }
            if v3 {
                p["schema"] = schema;
            } else if let (Value::Object(p), Value::Object(schema)) = (&mut p, schema) {
                p.extend(schema);
            }
            param_values.push(p);
        }

        let kind = *rng.pick(&["HTTP", "HTTP-VPC", "FUNCTION", "MOCK"]);
        let mut op = json!({"operationId": format!("api_{seed}_{i}"), "responses": {"200": {"description": "ok"}}});
        if rng.chance(60) {
            op[if rng.chance(50) {
                "description"
            } else {
                "summary"
            }] = json!(rng.pick(TEXTS));
        }
        if rng.chance(40) {
            let tag = rng.pick(TEXTS).to_string();
            let tags: Vec<String> = ["t1".to_string(), tag]
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect();
            op["tags"] = json!(tags);
        }
        if !param_values.is_empty() {
            op["parameters"] = Value::Array(param_values);
        }
        op["x-apigateway-backend"] = backend(&mut rng, kind, &params);
        if rng.chance(40) {
            let compatible: &[&str] = match kind {
                "HTTP" | "HTTP-VPC" => &["HTTP", "HTTP-VPC"],
                other => {
                    if other == "FUNCTION" {
                        &["FUNCTION"]
                    } else {
                        &["MOCK"]
                    }
                }
            };
            let policies: Vec<Value> = (0..1 + rng.below(3))
                .map(|k| {
                    let mut policy = backend(&mut rng, rng_pick_owned(compatible, k), &params);
                    policy["name"] = json!(format!("policy_{k}"));
                    let mut conditions = vec![json!({"type": rng.pick(&["equal", "exact", "enum", "pattern"]),
                        "value": "10.0.0.0/8", "origin": "source"})];
                    if let Some((name, _)) = params.first() {
                        let key = *rng.pick(&["parameter", "parameter_name"]);
                        conditions.push(json!({"type": rng.pick(&["exact", "enum", "pattern"]),
                            "value": "a,b", "origin": rng.pick(&["request", "request_parameter"]), key: name}));
                    }
                    policy["conditions"] = json!(conditions);
                    policy
                })
                .collect();
            op["x-apigateway-backend-policies"] = json!(policies);
        }
        for (key, value) in [
            (
                "x-apigateway-match-mode",
                json!(rng.pick(&["NORMAL", "SWA"])),
            ),
            (
                "x-apigateway-request-type",
                json!(rng.pick(&["public", "private"])),
            ),
            ("x-apigateway-cors", json!(rng.chance(50))),
            (
                "x-apigateway-content-type",
                json!(rng.pick(&[
                    "application/json",
                    "application/xml",
                    "multipart/form-data",
                    "text/plain"
                ])),
            ),
            ("x-apigateway-is-send-fg-body-base64", json!(rng.chance(50))),
            (
                "x-apigateway-ratelimit",
                json!(rng.pick(&["gen_limit", "other_limit"])),
            ),
            ("x-apigateway-access-control", json!("gen_acl")),
            (
                "x-apigateway-plugins",
                json!([rng.pick(&["plug_a", "plug_b"])]),
            ),
            (
                "x-apigateway-response",
                json!(rng.pick(&["gen_errors", "default"])),
            ),
            ("x-apigateway-orchestrations", json!(["orch_a"])),
        ] {
            if rng.chance(50) {
                op[key] = value;
            }
        }
        let auth = *rng.pick(&["none", "app", "app_code", "iam", "authorizer", "root"]);
        match auth {
            "none" => op["security"] = json!([]),
            "root" => {}
            other => op["security"] = json!([{ other: [] }]),
        }
        if rng.chance(50) {
            op["responses"]["200"]["x-apigateway-result-normal-sample"] = json!(rng.pick(TEXTS));
        }
        if rng.chance(50) {
            op["responses"]["500"] =
                json!({"description": "e", "x-apigateway-result-failure-sample": rng.pick(TEXTS)});
        }
        let protocol = *rng.pick(&["", "http", "https", "both"]);
        if !protocol.is_empty() {
            let schemes: Vec<&str> = if protocol == "both" {
                vec!["http", "https"]
            } else {
                vec![protocol]
            };
            if v3 {
                op["servers"] = schemes
                    .iter()
                    .map(|s| json!({"url": format!("{s}://h.example.com")}))
                    .collect();
            } else {
                op["schemes"] = json!(schemes);
            }
        }
        let method = *rng.pick(&[
            "get",
            "post",
            "put",
            "delete",
            "patch",
            "head",
            "options",
            "x-apigateway-any-method",
        ]);
        let item = paths.entry(path.clone()).or_insert_with(|| json!({}));
        item[method] = op.clone();
        // The same method and path with the other match mode: a second API of the group.
        if rng.chance(15) {
            let mut twin = op;
            let mode = if twin["x-apigateway-match-mode"] == "SWA" {
                "NORMAL"
            } else {
                "SWA"
            };
            twin["x-apigateway-match-mode"] = json!(mode);
            twin["operationId"] = json!(format!("api_{seed}_{i}_twin"));
            let alias = path.trim_start_matches('/').to_string();
            paths.entry(alias).or_insert_with(|| json!({}))[method] = twin;
        }
    }
    let schemes = json!({
        "app": {"type": "apiKey", "name": "Authorization", "in": "header", "x-apigateway-auth-type": "AppSigv1"},
        "app_code": {"type": "apiKey", "name": "Authorization", "in": "header", "x-apigateway-auth-type": "AppSigv1",
            "x-apigateway-auth-opt": {"appcode-auth-type": "header"}},
        "iam": {"type": "apiKey", "name": "X-Auth", "in": "header", "x-apigateway-auth-type": "IAM"},
        "authorizer": {"type": "apiKey", "name": "Authorization", "in": "header", "x-apigateway-authorizer": {
            "authorizer_type": "FUNC", "authorizer_uri": urn(&mut rng), "type": rng.pick(&["FRONTEND", "BACKEND"]),
            "network_type": rng.pick(&["V1", "V2"]), "need_body": rng.chance(50), "auth_downgrade_enabled": rng.chance(50),
            "identities": [{"name": "Authorization", "location": "HEADER", "validation": "^Bearer .+$"}, {"name": "tenant", "location": "QUERY"}],
            "ttl": rng.below(100), "timeout": 1 + rng.below(600_000), "retry_attempts": rng.below(11)}},
    });
    let shared = [
        (
            "x-apigateway-ratelimits",
            json!({
            "gen_limit": {"api-limit": 1000, "user-limit": 500, "app-limit": 100, "ip-limit": 200, "interval": 1 + rng.below(10),
                "unit": rng.pick(&["SECOND", "minute", "HOUR", "DAY"]), "shared": rng.chance(50),
                "special": [{"type": "APP", "limit": 10, "instance": "app_1"}, {"type": "USER", "limit": 20, "instance": "user_1"}]},
            "other_limit": {"api-limit": 10, "interval": 1, "unit": "SECOND"}}),
        ),
        (
            "x-apigateway-access-controls",
            json!({
            "gen_acl": {"acl-type": rng.pick(&["PERMIT", "DENY"]), "entity-type": "IP",
                "value": "10.0.0.1, 192.168.0.0/16,10.1.1.1-10.1.1.9"}}),
        ),
        (
            "x-apigateway-responses",
            json!({
            "gen_errors": {"THROTTLED": {"status": 429, "body": {"application/json": "{\"error\": \"$context.error.message\"}"},
                "headers": [{"key": "Retry-After", "value": "1"}]},
                "DEFAULT_5XX": {"status": 502, "body": {"text/plain": "bad gateway", "application/json": "{}"}}}}),
        ),
    ];
    let mut doc = json!({"info": {"title": format!("gen_{seed}"), "description": rng.pick(TEXTS), "version": "1"},
        "security": [{"app": []}], "paths": Value::Object(paths)});
    for (key, value) in shared {
        if v3 && rng.chance(50) {
            doc["components"][key] = value;
        } else {
            doc[key] = value;
        }
    }
    if v3 {
        doc["openapi"] = json!("3.0.1");
        doc["components"]["securitySchemes"] = schemes;
    } else {
        doc["swagger"] = json!("2.0");
        doc["securityDefinitions"] = schemes;
    }
    if rng.chance(50) {
        export::render(&doc, ExportFormat::Yaml).into_bytes()
    } else {
        serde_json::to_vec_pretty(&doc).expect("json")
    }
}

fn rng_pick_owned<'a>(items: &[&'a str], k: u64) -> &'a str {
    items[(k as usize) % items.len()]
}

/// A generated document imports without failures (else the generator, not the round
/// trip, would be what is tested).
async fn imports_cleanly(seed: u64, document: &[u8]) {
    let store = SqliteStore::in_memory().expect("store");
    let scope = instance(&store).await;
    let response = import_new_group(&store, &scope, document).await;
    assert!(
        response.failure.is_empty(),
        "seed {seed}: {:?}\n{}",
        response.failure,
        String::from_utf8_lossy(document)
    );
}

#[tokio::test]
async fn generated_documents_round_trip() {
    let started = std::time::Instant::now();
    let mut apis = 0;
    for seed in 0..200 {
        let document = generated(seed);
        imports_cleanly(seed, &document).await;
        apis += round_trip(&format!("seed {seed}"), &document, false).await;
    }
    assert!(apis >= 800, "{apis} APIs");
    eprintln!(
        "200 generated documents, {apis} APIs, round trip in {:?}",
        started.elapsed()
    );
}

/// The real-world documents that import (moby's description is too long for a group, k8s
/// and stripe have more operations than one import takes), in simple mode like the public
/// ones.
#[tokio::test]
async fn realworld_fixtures_round_trip() {
    let mut total = 0;
    for name in [
        "petstore3.yaml",
        "twilio_messaging_v1.yaml",
        "slack_web_v2.json",
    ] {
        total += round_trip(name, &fixture(&format!("realworld/{name}")), true).await;
    }
    assert!(total > 200, "{total} APIs");
}

/// Issue 11 item 4: re-importing an unchanged document with `api_mode=override` reports
/// every API as `update` with its id, and writes none of them (version and update time
/// stay); a changed API is still written.
#[tokio::test]
async fn unchanged_overrides_are_not_written() {
    let store = SqliteStore::in_memory().expect("store");
    let scope = instance(&store).await;
    let document = fixture("apig/shop-2.0.yaml");
    let first = import_new_group(&store, &scope, &document).await;
    let before = apis(&store, &scope, &first.group_id).await;
    let limits = Limits::default();
    let again = |document: Vec<u8>| {
        let request = ImportRequest {
            scope: scope.clone(),
            caller: "tests".into(),
            options: ImportOptions {
                group: GroupTarget::Existing(first.group_id.clone()),
                api_mode: apig_import::import::Mode::Override,
                ..ImportOptions::default()
            },
            document: document.into(),
        };
        import::run(&store, &limits, request)
    };
    let response = again(document.clone()).await.expect("override");
    let reported: Vec<_> = response
        .success
        .iter()
        .map(|s| (format!("{:?}", s.action), s.id.clone()))
        .collect();
    let mut ids: Vec<_> = before.values().map(|a| a.id.as_str().to_string()).collect();
    ids.sort();
    let mut reported_ids: Vec<_> = reported.iter().map(|(_, id)| id.clone()).collect();
    reported_ids.sort();
    assert_eq!(reported_ids, ids);
    assert!(
        reported.iter().all(|(action, _)| action == "Update"),
        "{reported:?}"
    );
    assert_eq!(
        apis(&store, &scope, &first.group_id).await,
        before,
        "nothing rewritten"
    );

    let changed = String::from_utf8(document).expect("utf-8").replacen(
        "description: List products, optionally filtered",
        "description: List the products",
        1,
    );
    again(changed.into_bytes()).await.expect("override");
    let after = apis(&store, &scope, &first.group_id).await;
    assert_eq!(
        after["list_products"].version,
        before["list_products"].version + 1
    );
    assert_eq!(
        after["list_products"].definition.remark.as_deref(),
        Some("List the products")
    );
    assert_eq!(after["get_product"], before["get_product"]);
}

/// The documents of `apig_import::docgen` (the benchmarks' generator: shared `$ref`
/// parameters, request bodies, long descriptions, 3.1 too), with the references they use.
#[tokio::test]
async fn docgen_documents_round_trip() {
    use apig_import::docgen::{generate, Format, Spec, Version};
    let mut apis = 0;
    for seed in 0..24u64 {
        let version =
            [Version::Swagger2, Version::OpenApi30, Version::OpenApi31][seed as usize % 3];
        let format = [Format::Json, Format::Yaml][(seed as usize / 3) % 2];
        let spec = Spec {
            seed,
            instance_refs: seed % 2 == 0,
            ..Spec::new(version, format, 12)
        };
        let text = generate(&spec);
        apis += round_trip(&format!("docgen {spec:?}"), text.as_bytes(), false).await;
    }
    assert_eq!(apis, 24 * 12);
}
