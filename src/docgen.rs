//! Deterministic API description documents for benchmarks, stress tests and hostile-input
//! corpora: Swagger 2.0 and OpenAPI 3.0 / 3.1, JSON or YAML, of any number of operations.
//!
//! The content is what real uploads carry: parameters in every location (some shared through
//! `$ref`), request bodies, every backend type, backend policies, throttling and
//! access-control policies, gateway responses, every security kind, samples and long
//! descriptions. The same [`Spec`] always gives the same bytes (a seeded xorshift, no
//! global state), so figures measured on it are comparable across commits.
//!
//! A generated document maps without a single failed operation in strict mode, so a
//! benchmark measures the whole mapping, never an early refusal. Objects the import only
//! looks up in the instance (VPC channels, plugins, orchestration rules) appear only with
//! [`Spec::instance_refs`], because a fresh instance does not have them.

use serde_json::{json, Map, Value};

mod yaml;

pub use yaml::to_yaml;

/// Which kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Swagger2,
    OpenApi30,
    OpenApi31,
}

/// How it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub version: Version,
    pub format: Format,
    /// Operations (APIs) in the document; `trace` is never generated.
    pub operations: usize,
    pub seed: u64,
    /// Also use HTTP-VPC backends, plugins and orchestration rules, which must exist in the
    /// instance for the import to succeed (mapping alone succeeds either way).
    pub instance_refs: bool,
}

impl Spec {
    pub fn new(version: Version, format: Format, operations: usize) -> Self {
        Spec {
            version,
            format,
            operations,
            seed: 0x5eed_a919,
            instance_refs: false,
        }
    }
}

/// The document as text.
pub fn generate(spec: &Spec) -> String {
    let value = document(spec);
    match spec.format {
        // Pretty, as exported by most tools: the byte count is what users upload.
        Format::Json => serde_json::to_string_pretty(&value).unwrap_or_default(),
        Format::Yaml => to_yaml(&value),
    }
}

/// The document as a value (what decoding its text gives back).
pub fn document(spec: &Spec) -> Value {
    Generator {
        spec: *spec,
        rng: Rng::new(spec.seed),
    }
    .document()
}

/// xorshift64*: deterministic and good enough to vary content; not for anything secret.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        // n is small; the modulo bias does not matter here.
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const WORDS: &[&str] = &[
    "account",
    "order",
    "invoice",
    "shipment",
    "catalog",
    "price",
    "customer",
    "session",
    "report",
    "ledger",
    "payment",
    "refund",
    "inventory",
    "warehouse",
    "carrier",
    "review",
    "coupon",
    "tenant",
    "device",
    "metric",
    "alert",
    "schedule",
    "document",
    "archive",
];

const LOREM: &[&str] = &[
    "the",
    "service",
    "returns",
    "a",
    "page",
    "of",
    "records",
    "filtered",
    "by",
    "the",
    "given",
    "criteria",
    "and",
    "sorted",
    "newest",
    "first",
    "callers",
    "must",
    "retry",
    "with",
    "backoff",
    "when",
    "throttled",
    "fields",
    "not",
    "listed",
    "are",
    "ignored",
];

const URN: &str = "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default";

struct Generator {
    spec: Spec,
    rng: Rng,
}

impl Generator {
    fn v2(&self) -> bool {
        self.spec.version == Version::Swagger2
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut out = String::new();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.rng.pick(LOREM));
        }
        out.push('.');
        out
    }

    /// A description of several lines, as tools write them (Markdown, line breaks).
    fn long_description(&mut self) -> String {
        let mut out = String::new();
        for line in 0..3 + self.rng.below(4) {
            if line > 0 {
                out.push('\n');
            }
            let words = 8 + self.rng.below(12);
            out.push_str(&self.sentence(words));
        }
        out
    }

    /// A string parameter or property schema (2.0 inline form when `inline`).
    fn schema_of(&mut self, kind: usize) -> Value {
        match kind % 4 {
            0 => json!({"type": "string", "maxLength": 64 + self.rng.below(64)}),
            1 => json!({"type": "integer", "minimum": 1, "maximum": 100 + self.rng.below(900)}),
            2 => json!({"type": "string", "enum": ["asc", "desc"], "default": "desc"}),
            _ => json!({"type": "boolean", "default": false}),
        }
    }

    /// A parameter object; 2.0 puts the schema keywords on the parameter itself.
    fn param(&mut self, name: &str, location: &str, required: bool, kind: usize) -> Value {
        let schema = self.schema_of(kind);
        let mut p = json!({"name": name, "in": location});
        let Value::Object(map) = &mut p else {
            return p;
        };
        if required {
            map.insert("required".into(), json!(true));
        }
        if self.rng.chance(25) {
            let words = 6 + self.rng.below(10);
            map.insert("description".into(), json!(self.sentence(words)));
        }
        if self.v2() {
            if let Value::Object(s) = schema {
                map.extend(s);
            }
        } else {
            map.insert("schema".into(), schema);
        }
        if self.rng.chance(30) {
            map.insert("x-apigateway-sample".into(), json!("sample_value"));
        }
        if location == "header" && self.rng.chance(50) {
            map.insert("x-apigateway-pass-through".into(), json!("always"));
        }
        if self.spec.instance_refs && self.rng.chance(5) {
            map.insert("x-apigateway-orchestrations".into(), json!(["orch_rule"]));
        }
        p
    }

    fn shared_ref(&self, kind: &str, name: &str) -> Value {
        let prefix = if self.v2() {
            match kind {
                "schemas" => "#/definitions",
                other => return json!({"$ref": format!("#/{other}/{name}")}),
            }
        } else {
            return json!({"$ref": format!("#/components/{kind}/{name}")});
        };
        json!({"$ref": format!("{prefix}/{name}")})
    }

    fn document(&mut self) -> Value {
        let mut root = Map::new();
        match self.spec.version {
            Version::Swagger2 => {
                root.insert("swagger".into(), json!("2.0"));
            }
            Version::OpenApi30 => {
                root.insert("openapi".into(), json!("3.0.3"));
            }
            Version::OpenApi31 => {
                root.insert("openapi".into(), json!("3.1.0"));
            }
        }
        let description = self.long_description();
        root.insert(
            "info".into(),
            json!({"title": format!("generated_{}_ops", self.spec.operations),
                "description": description, "version": "1.0.0"}),
        );
        if self.v2() {
            root.insert("host".into(), json!("api.example.com"));
            root.insert("basePath".into(), json!("/v1"));
            root.insert("schemes".into(), json!(["https"]));
        } else {
            root.insert(
                "servers".into(),
                json!([{"url": "https://api.example.com/v1", "description": "production"}]),
            );
        }
        let security = self.security_schemes();
        let parameters = self.shared_parameters();
        let schemas = self.schemas();
        let responses = self.shared_responses();
        if self.v2() {
            root.insert("securityDefinitions".into(), security);
            root.insert("parameters".into(), parameters);
            root.insert("definitions".into(), schemas);
            root.insert("responses".into(), responses);
        } else {
            root.insert(
                "components".into(),
                json!({"securitySchemes": security, "parameters": parameters,
                    "schemas": schemas, "responses": responses}),
            );
        }
        root.insert("x-apigateway-ratelimits".into(), self.ratelimits());
        root.insert(
            "x-apigateway-access-controls".into(),
            json!({
                "office_only": {"acl-type": "PERMIT", "entity-type": "IP",
                    "value": "10.0.0.0/8,192.168.1.10,172.16.0.1-172.16.0.20"},
                "blocked_hosts": {"acl-type": "DENY", "entity-type": "IP", "value": "203.0.113.7"}
            }),
        );
        root.insert("x-apigateway-responses".into(), gateway_responses());
        root.insert("paths".into(), self.paths());
        Value::Object(root)
    }

    fn security_schemes(&mut self) -> Value {
        json!({
            "app_auth": {"type": "apiKey", "name": "Authorization", "in": "header",
                "x-apigateway-auth-type": "AppSigv1"},
            "app_code_auth": {"type": "apiKey", "name": "Authorization", "in": "header",
                "x-apigateway-auth-type": "AppSigv1",
                "x-apigateway-auth-opt": {"appcode-auth-type": "header"}},
            "iam_auth": {"type": "apiKey", "name": "unused", "in": "header",
                "x-apigateway-auth-type": "IAM"},
            "custom_auth": {"type": "apiKey", "name": "unused", "in": "header",
                "x-apigateway-authorizer": {
                    "authorizer_type": "FUNC",
                    "authorizer_uri": format!("{URN}:check_caller"),
                    "authorizer_version": "latest",
                    "type": "FRONTEND", "network_type": "V1", "need_body": false,
                    "auth_downgrade_enabled": false, "ttl": 60, "timeout": 3000,
                    "retry_attempts": 2,
                    "identities": [{"name": "X-Caller", "location": "HEADER"}]}}
        })
    }

    fn shared_parameters(&mut self) -> Value {
        json!({
            "PageSize": self.param("page_size", "query", false, 1),
            "Sort": self.param("sort", "query", false, 2),
            "TraceId": self.param("X-Trace-Id", "header", false, 0),
        })
    }

    fn schemas(&mut self) -> Value {
        let description = self.long_description();
        let item_ref = self.shared_ref("schemas", "Item");
        json!({
            "Item": {"type": "object", "description": description, "required": ["id"],
                "properties": {
                    "id": {"type": "string", "maxLength": 32},
                    "name": {"type": "string"},
                    "price": {"type": "number", "format": "double"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "children": {"type": "array", "items": item_ref}}},
            "Error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}}}
        })
    }

    fn shared_responses(&mut self) -> Value {
        let schema = self.shared_ref("schemas", "Error");
        let mut error = json!({"description": "the request failed",
            "x-apigateway-result-failure-sample": "{\"code\":\"APIG.0101\",\"message\":\"not found\"}"});
        if let Value::Object(map) = &mut error {
            if self.v2() {
                map.insert("schema".into(), schema);
            } else {
                map.insert(
                    "content".into(),
                    json!({"application/json": {"schema": schema}}),
                );
            }
        }
        json!({"Error": error})
    }

    fn ratelimits(&mut self) -> Value {
        json!({
            "browse_limit": {"api-limit": 1000, "user-limit": 500, "app-limit": 100,
                "ip-limit": 200, "interval": 1, "unit": "SECOND", "shared": false,
                "special": [{"type": "APP", "limit": 300,
                    "instance": "5a1a3ba6c5ab4c5f9b1f7b5c7a9e0001"}]},
            "write_limit": {"api-limit": 50, "interval": 1, "unit": "minute"},
            "bulk_limit": {"api-limit": 10, "interval": 1, "unit": "HOUR", "shared": true}
        })
    }

    /// Operations grouped in path items of up to four: a collection (`get`, `post`) and an
    /// item (`get`, `put`/`patch`, `delete`), sometimes an `x-apigateway-any-method`.
    fn paths(&mut self) -> Value {
        let mut paths = Map::new();
        let mut made = 0;
        let mut resource = 0;
        while made < self.spec.operations {
            let word = WORDS[resource % WORDS.len()];
            let collection = format!("/svc{}/{word}s", resource / WORDS.len());
            let item = format!("{collection}/{{{word}Id}}");
            let mut collection_item = Map::new();
            for method in ["get", "post"] {
                if made < self.spec.operations {
                    let op = self.operation(made, method, &collection, None);
                    collection_item.insert(method.into(), op);
                    made += 1;
                }
            }
            if !collection_item.is_empty() {
                paths.insert(collection.clone(), Value::Object(collection_item));
            }
            let id = format!("{word}Id");
            let mut item_item = Map::new();
            let item_methods: &[&str] = if resource % 5 == 4 {
                &["x-apigateway-any-method"]
            } else if resource % 2 == 0 {
                &["get", "put", "delete"]
            } else {
                &["get", "patch", "delete"]
            };
            for method in item_methods {
                if made < self.spec.operations {
                    let op = self.operation(made, method, &item, Some(&id));
                    item_item.insert((*method).into(), op);
                    made += 1;
                }
            }
            if !item_item.is_empty() {
                let path_param = self.param(&id, "path", true, 0);
                item_item.insert("parameters".into(), json!([path_param]));
                paths.insert(item, Value::Object(item_item));
            }
            resource += 1;
        }
        Value::Object(paths)
    }

    fn operation(&mut self, n: usize, method: &str, path: &str, id: Option<&str>) -> Value {
        let mut op = Map::new();
        op.insert(
            "operationId".into(),
            json!(format!("op_{n:05}_{method}").replace('-', "_")),
        );
        let summary = self.sentence(5);
        op.insert("summary".into(), json!(summary));
        // Most operations say a line; some say a lot (about 1.25 KB of YAML per operation in
        // all; the documents of the performance issue had about 1 KB).
        if n % 16 == 0 {
            let description = self.long_description();
            op.insert("description".into(), json!(description));
        }
        op.insert("tags".into(), json!([self.rng.pick(WORDS)]));

        // Parameters: shared ones by `$ref`, and one of each location written inline.
        let mut params = Vec::new();
        if n % 2 == 0 {
            params.push(self.shared_ref("parameters", "TraceId"));
        }
        let reads = matches!(method, "get" | "x-apigateway-any-method");
        if reads {
            params.push(self.shared_ref("parameters", "PageSize"));
            params.push(self.shared_ref("parameters", "Sort"));
        }
        let kind = self.rng.below(4);
        params.push(self.param("filter", "query", false, kind));
        if n % 6 == 0 {
            params.push(self.param("X-Request-Tag", "header", false, 0));
        }
        let writes = matches!(method, "post" | "put" | "patch");
        if self.v2() {
            if writes {
                let schema = self.shared_ref("schemas", "Item");
                params.push(json!({"name": "body", "in": "body", "required": true,
                    "schema": schema}));
            } else if method == "delete" {
                params.push(json!({"name": "reason", "in": "formData", "type": "string"}));
            }
        } else {
            if n % 4 == 2 {
                params
                    .push(json!({"name": "session", "in": "cookie", "schema": {"type": "string"}}));
            }
            if writes {
                let schema = self.shared_ref("schemas", "Item");
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {"application/json": {"schema": schema}}}),
                );
            }
        }
        op.insert("parameters".into(), Value::Array(params));

        let ok_schema = self.shared_ref("schemas", "Item");
        let mut ok = json!({"description": "success"});
        if let (Value::Object(map), true) = (&mut ok, n % 2 == 0) {
            map.insert(
                "x-apigateway-result-normal-sample".into(),
                json!(format!("{{\"id\":\"{n}\",\"name\":\"item {n}\"}}")),
            );
        }
        if let (Value::Object(map), true) = (&mut ok, reads) {
            if self.v2() {
                map.insert("schema".into(), ok_schema);
            } else {
                map.insert(
                    "content".into(),
                    json!({"application/json": {"schema": ok_schema}}),
                );
            }
        }
        op.insert(
            "responses".into(),
            json!({"200": ok, "default": self.shared_ref("responses", "Error")}),
        );

        let scheme = ["app_auth", "app_code_auth", "iam_auth", "custom_auth", ""][n % 5];
        if !scheme.is_empty() {
            op.insert("security".into(), json!([{scheme: []}]));
        }
        // Defaults are mostly left out, as people do; sometimes written all the same.
        match n % 7 {
            3 => op.insert("x-apigateway-request-type".into(), json!("private")),
            5 => op.insert("x-apigateway-request-type".into(), json!("public")),
            _ => None,
        };
        if method == "x-apigateway-any-method" {
            op.insert("x-apigateway-match-mode".into(), json!("SWA"));
        } else if n % 11 == 0 {
            op.insert("x-apigateway-match-mode".into(), json!("NORMAL"));
        }
        if n % 3 == 0 {
            op.insert("x-apigateway-cors".into(), json!(true));
        }
        if writes {
            op.insert(
                "x-apigateway-content-type".into(),
                json!("application/json"),
            );
            op.insert("x-apigateway-ratelimit".into(), json!("write_limit"));
        } else if n % 3 == 0 {
            op.insert("x-apigateway-ratelimit".into(), json!("browse_limit"));
        }
        if method == "delete" {
            op.insert("x-apigateway-access-control".into(), json!("office_only"));
        }
        if n % 4 == 1 {
            op.insert("x-apigateway-response".into(), json!("gen_errors"));
        }
        if self.spec.instance_refs && n % 6 == 0 {
            op.insert("x-apigateway-plugins".into(), json!(["audit_plugin"]));
            op.insert("x-apigateway-orchestrations".into(), json!(["orch_rule"]));
        }

        let kind = n % 4;
        let backend = self.backend(kind, n, path, id);
        if kind == 1 {
            op.insert("x-apigateway-is-send-fg-body-base64".into(), json!(false));
        }
        op.insert("x-apigateway-backend".into(), backend);
        if n % 16 == 0 {
            op.insert(
                "x-apigateway-backend-policies".into(),
                json!([{"name": format!("policy_{n}"), "type": "HTTP",
                    "httpEndpoints": {"address": "canary.internal.example.com", "scheme": "https",
                        "method": "ANY", "path": "/canary", "timeout": 5000},
                    "parameters": [{"name": "X-Canary", "value": "1", "in": "header",
                        "origin": "CONSTANT"}],
                    "conditions": [
                        {"type": "equal", "value": "beta", "origin": "request",
                            "parameter_name": "filter"},
                        {"type": "pattern", "value": "^10\\..*", "origin": "source"}]}]),
            );
        }
        Value::Object(op)
    }

    /// Backend kinds in turn: HTTP, FUNCTION, MOCK, HTTP-VPC (HTTP without `instance_refs`).
    fn backend(&mut self, kind: usize, n: usize, path: &str, id: Option<&str>) -> Value {
        let mut parameters = Vec::new();
        if n % 2 == 0 {
            parameters.push(
                json!({"name": "flt", "value": "filter", "in": "query", "origin": "REQUEST"}),
            );
        }
        if n % 8 == 3 {
            parameters.push(
                json!({"name": "X-Source", "value": "apig", "in": "header", "origin": "CONSTANT"}),
            );
            parameters.push(json!({"name": "X-Client-Ip", "value": "$context.sourceIp",
                "in": "header", "origin": "SYSTEM"}));
        }
        let backend_path = match id {
            Some(id) => {
                parameters
                    .push(json!({"name": "id", "value": id, "in": "path", "origin": "REQUEST"}));
                format!(
                    "/internal{}/{{id}}",
                    path.rsplit_once('/').map_or("", |p| p.0)
                )
            }
            None => format!("/internal{path}"),
        };
        let http = |address: &str| {
            json!({"address": address, "scheme": "https", "method": "ANY", "path": backend_path,
                "timeout": 3000 + (n % 10) * 1000})
        };
        let mut backend = match kind {
            1 => json!({"type": "FUNCTION", "parameters": parameters,
                "functionEndpoints": {"function-urn": format!("{URN}:handler_{}", n % 50),
                    "version": "latest", "invocation-type": if n % 8 == 1 { "async" } else { "sync" },
                    "network-type": "V2", "timeout": 10000}}),
            2 => json!({"type": "MOCK",
                "mockEndpoints": {"result-content": format!("{{\"mock\":true,\"n\":{n}}}")}}),
            3 if self.spec.instance_refs => {
                let mut endpoint = http("unused");
                if let Value::Object(map) = &mut endpoint {
                    map.remove("address");
                    map.insert("name".into(), json!("main_channel"));
                    map.insert("cascade_flag".into(), json!(false));
                }
                json!({"type": "HTTP-VPC", "parameters": parameters, "httpVpcEndpoints": endpoint})
            }
            _ => json!({"type": "HTTP", "parameters": parameters,
                "httpEndpoints": http(if n % 9 == 0 { "#backend_host#" } else { "backend.internal.example.com:8443" })}),
        };
        // Tools leave an empty list out.
        if let Value::Object(map) = &mut backend {
            if map
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                map.remove("parameters");
            }
        }
        backend
    }
}

fn gateway_responses() -> Value {
    json!({"gen_errors": {
        "THROTTLED": {"status": 429,
            "body": {"application/json": "{\"code\":\"$context.error.code\",\"message\":\"slow down\"}"},
            "headers": [{"key": "Retry-After", "value": "1"}]},
        "NOT_FOUND": {"status": 404,
            "body": {"application/json": "{\"code\":\"$context.error.code\",\"message\":\"$context.error.message\"}"}},
        "DEFAULT_5XX": {"status": 502,
            "body": {"application/json": "{\"code\":\"$context.error.code\"}"}}
    }})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Limits;
    use crate::spec::{parse_document, MapOptions, OperationOutcome};

    fn all_specs(operations: usize) -> Vec<Spec> {
        let mut out = Vec::new();
        for version in [Version::Swagger2, Version::OpenApi30, Version::OpenApi31] {
            for format in [Format::Json, Format::Yaml] {
                out.push(Spec::new(version, format, operations));
            }
        }
        out
    }

    #[test]
    fn generated_documents_map_without_failures() {
        let limits = Limits::default();
        for operations in [30, 300] {
            for spec in all_specs(operations) {
                let text = generate(&spec);
                let doc = parse_document(text.as_bytes(), MapOptions::default(), &limits)
                    .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
                assert_eq!(doc.operations.len(), operations, "{spec:?}");
                for op in &doc.operations {
                    if let OperationOutcome::Failed(f) = &op.outcome {
                        panic!("{spec:?}: {} {}: {}", op.method, op.path, f.message);
                    }
                }
                assert!(doc.shared.iter().all(|s| s.definition.is_ok()), "{spec:?}");
            }
        }
    }

    #[test]
    fn instance_references_still_map() {
        let spec = Spec {
            instance_refs: true,
            ..Spec::new(Version::OpenApi30, Format::Yaml, 40)
        };
        let text = generate(&spec);
        assert!(text.contains("HTTP-VPC") && text.contains("audit_plugin"));
        let doc = parse_document(text.as_bytes(), MapOptions::default(), &Limits::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(doc
            .operations
            .iter()
            .all(|op| matches!(op.outcome, OperationOutcome::Api(_))));
    }

    #[test]
    fn generation_is_deterministic_and_yaml_round_trips() {
        for spec in all_specs(30) {
            assert_eq!(generate(&spec), generate(&spec));
            let yaml = to_yaml(&document(&spec));
            let mut arena = crate::spec::Arena::default();
            let decoded =
                crate::spec::decode_document(&mut arena, yaml.as_bytes(), &Limits::default())
                    .unwrap();
            assert_eq!(decoded.to_json(), document(&spec), "{spec:?}");
        }
        let a = Spec::new(Version::OpenApi30, Format::Json, 30);
        let b = Spec { seed: 7, ..a };
        assert_ne!(generate(&a), generate(&b));
    }
}
