//! APIG error codes and the one place that maps them to HTTP statuses and base messages.
//!
//! Every error the product reports — a whole-request error or a per-API `failure` item —
//! carries one of these codes. Modules raise errors as their own enums with context and
//! convert them to [`ApigError`] (request level) or [`ApiFailure`] (per API).
//!
//! Whatever a message repeats of the client's input goes through [`echo`], so that no
//! message is larger than the product's own text plus a bounded quote.

use crate::model::Scope;
use crate::store::StoreError;
use std::borrow::Cow;
use std::fmt;

/// The most bytes of client input an error message repeats.
pub const MAX_ECHO_BYTES: usize = 128;

/// Client input as an error message may repeat it: at most [`MAX_ECHO_BYTES`] bytes, cut
/// on a character boundary, with `…` appended when it was cut. A hostile document can carry
/// a 100 kB title or `$ref`; the answer must not carry it back whole.
pub fn echo(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_ECHO_BYTES {
        return Cow::Borrowed(text);
    }
    let mut end = MAX_ECHO_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &text[..end]))
}

/// The documented APIG error codes (`spec/error-codes.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Parameter error: not multipart, broken multipart, malformed requests, 404/405 routing.
    Apig2000,
    /// A required request parameter is missing.
    Apig2001,
    /// A parameter value is too long.
    Apig2006,
    /// An invalid value (name, path, method, extension field, `$ref`).
    Apig2011,
    /// Invalid parameter value in the form or the path.
    Apig2012,
    /// Invalid IP address in an access-control policy.
    Apig2015,
    /// A `{var}` of the request path has no PATH parameter.
    Apig2026,
    /// A backend path variable is not a backend parameter.
    Apig2027,
    /// A backend parameter maps a request parameter that does not exist.
    Apig2028,
    /// Invalid title of info.
    Apig2044,
    /// 3.x `servers` URL unusable.
    Apig2045,
    /// Authorizer timeout out of range.
    Apig2046,
    /// Authorizer retry attempts out of range.
    Apig2047,
    /// Token missing.
    Apig1000,
    /// Incorrect token or token resolution failed.
    Apig1002,
    /// No permissions to request this method.
    Apig1005,
    /// API group not found.
    Apig3001,
    /// The API does not exist (read operations).
    Apig3002,
    /// The environment does not exist (export).
    Apig3003,
    /// Referenced throttling policy does not exist.
    Apig3005,
    /// Referenced access-control policy does not exist.
    Apig3006,
    /// Referenced VPC channel does not exist.
    Apig3023,
    /// The instance does not exist.
    Apig3030,
    /// The asynchronous task does not exist.
    Apig3093,
    /// Referenced plugin does not exist.
    Apig3068,
    /// Referenced orchestration rule does not exist.
    Apig3095,
    /// The number of API groups has reached the upper limit.
    Apig3101,
    /// Throttling policies per instance over quota.
    Apig3107,
    /// More than 50 parameters.
    Apig3111,
    /// Access-control policies per instance over quota.
    Apig3112,
    /// More than 5 backend policies.
    Apig3113,
    /// The group is full.
    Apig3125,
    /// Too many APIs in one import.
    Apig3127,
    /// The API group name already exists.
    Apig3201,
    /// The API name already exists.
    Apig3202,
    /// The API (method + path + match mode) already exists.
    Apig3301,
    /// JSON or YAML syntax error.
    Apig3600,
    /// Not a Swagger 2.0 / OpenAPI 3.x document, bombs, too deep.
    Apig3602,
    /// The document is over the size limit.
    Apig3603,
    /// The input file is empty.
    Apig3609,
    /// Invalid function URN.
    Apig9002,
    /// System error.
    Apig9999,
}

impl Code {
    /// The code as it appears on the wire, e.g. `APIG.3301`.
    pub fn as_str(self) -> &'static str {
        use Code::*;
        match self {
            Apig2000 => "APIG.2000",
            Apig2001 => "APIG.2001",
            Apig2006 => "APIG.2006",
            Apig2011 => "APIG.2011",
            Apig2012 => "APIG.2012",
            Apig2015 => "APIG.2015",
            Apig2026 => "APIG.2026",
            Apig2027 => "APIG.2027",
            Apig2028 => "APIG.2028",
            Apig2044 => "APIG.2044",
            Apig2045 => "APIG.2045",
            Apig2046 => "APIG.2046",
            Apig2047 => "APIG.2047",
            Apig1000 => "APIG.1000",
            Apig1002 => "APIG.1002",
            Apig1005 => "APIG.1005",
            Apig3001 => "APIG.3001",
            Apig3002 => "APIG.3002",
            Apig3003 => "APIG.3003",
            Apig3005 => "APIG.3005",
            Apig3006 => "APIG.3006",
            Apig3023 => "APIG.3023",
            Apig3030 => "APIG.3030",
            Apig3093 => "APIG.3093",
            Apig3068 => "APIG.3068",
            Apig3095 => "APIG.3095",
            Apig3101 => "APIG.3101",
            Apig3107 => "APIG.3107",
            Apig3111 => "APIG.3111",
            Apig3112 => "APIG.3112",
            Apig3113 => "APIG.3113",
            Apig3125 => "APIG.3125",
            Apig3127 => "APIG.3127",
            Apig3201 => "APIG.3201",
            Apig3202 => "APIG.3202",
            Apig3301 => "APIG.3301",
            Apig3600 => "APIG.3600",
            Apig3602 => "APIG.3602",
            Apig3603 => "APIG.3603",
            Apig3609 => "APIG.3609",
            Apig9002 => "APIG.9002",
            Apig9999 => "APIG.9999",
        }
    }

    /// The HTTP status a whole-request error with this code is answered with.
    pub fn status(self) -> u16 {
        use Code::*;
        match self {
            Apig1000 | Apig1002 => 401,
            Apig1005 | Apig3101 | Apig3107 | Apig3112 | Apig3127 => 403,
            Apig3001 | Apig3002 | Apig3003 | Apig3030 | Apig3093 => 404,
            Apig9999 => 500,
            _ => 400,
        }
    }

    /// The documented base message of the code.
    pub fn base_message(self) -> &'static str {
        use Code::*;
        match self {
            Apig2000 => "Parameter error",
            Apig2001 => "The request parameters must be specified",
            Apig2006 => "The parameter value is too long",
            Apig2011 => "Invalid parameter value",
            Apig2012 => "Invalid parameter value",
            Apig2015 => "Invalid IP address",
            Apig2026 => "The path parameter is not defined",
            Apig2027 => "The backend path variable is not a backend parameter",
            Apig2028 => "The backend parameter maps a request parameter that does not exist",
            Apig2044 => "Invalid title of info",
            Apig2045 => "Parse Servers error. The Servers must meet the documents",
            Apig2046 => "The authorizer timeout is out of range",
            Apig2047 => "The authorizer retry attempts are out of range",
            Apig1000 => "Token missing",
            Apig1002 => "Incorrect token or token resolution failed",
            Apig1005 => "No permissions to request this method",
            Apig3001 => "API group not found",
            Apig3002 => "The API does not exist",
            Apig3003 => "The environment does not exist",
            Apig3005 => "The request throttling policy does not exist",
            Apig3006 => "The access control policy does not exist",
            Apig3023 => "The VPC channel does not exist",
            Apig3030 => "The instance does not exist",
            Apig3093 => "The asynchronous task does not exist",
            Apig3068 => "The plugin does not exist",
            Apig3095 => "The orchestration rule does not exist",
            Apig3101 => "The number of API groups has reached the upper limit",
            Apig3107 => "The number of request throttling policies has reached the upper limit",
            Apig3111 => "The number of request parameters has reached the upper limit",
            Apig3112 => "The number of access control policies has reached the upper limit",
            Apig3113 => "The number of backend policies has reached the upper limit",
            Apig3125 => "The number of APIs in the group has reached the upper limit",
            Apig3127 => "The number of APIs to be imported at a time exceeds the limit",
            Apig3201 => "The API group name already exists",
            Apig3202 => "The API name already exists",
            Apig3301 => "The API already exists",
            Apig3600 => "JSON or YAML format error",
            Apig3602 => "Syntax error in the Swagger file",
            Apig3603 => "The Swagger file content is too long",
            Apig3609 => "The input file is empty",
            Apig9002 => "Invalid function URN",
            Apig9999 => "System error",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JSON pointer into the client's document, as an error message may repeat it: its
/// tokens are the document's keys, so each goes through [`echo`] on its own (a long key is
/// cut, the location keeps its shape).
pub fn echo_pointer(pointer: &str) -> String {
    if pointer.len() <= MAX_ECHO_BYTES {
        return pointer.to_string();
    }
    let tokens: Vec<Cow<'_, str>> = pointer.split('/').map(echo).collect();
    tokens.join("/")
}

/// A whole-request error: an HTTP status (from the code, or overridden for routing errors),
/// a code and a message for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApigError {
    pub code: Code,
    pub message: String,
    /// Set only where the status is not the code's usual one (404/405 routing errors).
    pub status_override: Option<u16>,
}

impl ApigError {
    /// An error whose message is the code's base message followed by `detail`
    /// (`"<base>. <detail>"`), or the base message alone when `detail` is empty.
    pub fn new(code: Code, detail: impl AsRef<str>) -> Self {
        let detail = detail.as_ref();
        let message = if detail.is_empty() {
            code.base_message().to_string()
        } else {
            format!("{}. {}", code.base_message(), detail)
        };
        Self {
            code,
            message,
            status_override: None,
        }
    }

    /// An error with exactly this message.
    pub fn with_message(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status_override: None,
        }
    }

    /// The documented parameter-message pattern:
    /// `<base message>,parameterName:<name>. Please refer to the support documentation`.
    pub fn parameter(code: Code, name: &str) -> Self {
        Self::with_message(code, parameter_message(code, name))
    }

    /// `APIG.9999 System error`; the detail belongs in the logs only.
    pub fn internal() -> Self {
        Self::new(Code::Apig9999, "")
    }

    pub fn status(&self) -> u16 {
        self.status_override.unwrap_or_else(|| self.code.status())
    }

    /// `APIG.3030` for an instance that is unknown or belongs to another project.
    pub fn instance_not_found(scope: &Scope) -> Self {
        Self::with_message(
            Code::Apig3030,
            format!(
                "{};id:{}",
                Code::Apig3030.base_message(),
                echo(scope.instance_id.as_str())
            ),
        )
    }

    /// `APIG.3001` for a group id (as the client wrote it) that names no group here.
    pub fn group_not_found(raw: &str) -> Self {
        Self::new(Code::Apig3001, format!("id:{}", echo(raw)))
    }

    /// `APIG.3002` for an API id (as the client wrote it) that names no API here.
    pub fn api_not_found(raw: &str) -> Self {
        Self::with_message(
            Code::Apig3002,
            format!("{};id:{}", Code::Apig3002.base_message(), echo(raw)),
        )
    }
}

/// A store failure: its detail goes to the logs only, the caller gets `APIG.9999`.
impl From<StoreError> for ApigError {
    fn from(error: StoreError) -> Self {
        tracing::error!(target: "apig_import::store", %error, "store failure");
        Self::internal()
    }
}

/// `<base message>,parameterName:<name>. Please refer to the support documentation`.
pub fn parameter_message(code: Code, name: &str) -> String {
    format!(
        "{},parameterName:{}. Please refer to the support documentation",
        code.base_message(),
        echo(name)
    )
}

/// A per-API failure (an item of the response's `failure` array).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiFailure {
    pub code: Code,
    pub message: String,
}

impl ApiFailure {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A failure about one field, located by a JSON pointer into the document:
    /// `Invalid parameter value,parameterName:<field>. <detail> (at <pointer>)`.
    pub fn field(code: Code, field: &str, pointer: &str, detail: impl AsRef<str>) -> Self {
        let detail = detail.as_ref();
        let mut message = format!("{},parameterName:{}.", code.base_message(), echo(field));
        if !detail.is_empty() {
            message.push(' ');
            message.push_str(detail);
        }
        message.push_str(&format!(" (at {})", echo_pointer(pointer)));
        Self { code, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_keeps_short_text_whole() {
        assert_eq!(echo(""), "");
        let exact = "a".repeat(MAX_ECHO_BYTES);
        assert!(matches!(echo(&exact), Cow::Borrowed(s) if s == exact));
    }

    #[test]
    fn echo_cuts_long_text_with_an_ellipsis() {
        let long = "x".repeat(100_000);
        let shown = echo(&long);
        assert_eq!(shown.len(), MAX_ECHO_BYTES + '…'.len_utf8());
        assert!(shown.ends_with('…'));
        assert!(shown.starts_with(&"x".repeat(MAX_ECHO_BYTES)));
    }

    #[test]
    fn echo_cuts_on_a_character_boundary() {
        // 'é' is two bytes: 127 ASCII bytes then 'é' straddles the limit.
        let text = format!("{}é{}", "a".repeat(127), "b".repeat(10));
        let shown = echo(&text);
        assert_eq!(shown, format!("{}…", "a".repeat(127)));
        // Four-byte characters only.
        let emoji = "😀".repeat(100);
        let shown = echo(&emoji);
        assert_eq!(shown, format!("{}…", "😀".repeat(MAX_ECHO_BYTES / 4)));
    }

    #[test]
    fn not_found_messages_are_bounded() {
        let raw = "g".repeat(4096);
        let e = ApigError::group_not_found(&raw);
        assert_eq!(e.code, Code::Apig3001);
        assert!(e.message.len() < 300, "{}", e.message.len());
        assert!(e.message.starts_with("API group not found. id:ggg"));
        assert!(ApigError::api_not_found(&raw).message.len() < 300);
        assert_eq!(
            ApigError::group_not_found("abc").message,
            "API group not found. id:abc"
        );
    }

    #[test]
    fn pointers_are_bounded_token_by_token() {
        let key = format!("~1{}", "p".repeat(100_000));
        let pointer = format!("/paths/{key}/get");
        let failure = ApiFailure::field(Code::Apig2011, "path", &pointer, "too long");
        assert!(failure.message.len() < 400, "{}", failure.message.len());
        assert!(failure.message.ends_with("…/get)"), "{}", failure.message);
        let short = ApiFailure::field(Code::Apig2011, "name", "/paths/~1a/get", "");
        assert!(short.message.ends_with("(at /paths/~1a/get)"));
    }

    #[test]
    fn store_errors_become_system_errors_without_detail() {
        let e = ApigError::from(StoreError::new("table apig-x: secret detail"));
        assert_eq!(e.code, Code::Apig9999);
        assert_eq!(e.status(), 500);
        assert!(!e.message.contains("secret"));
    }
}

/// Each place that used to repeat client input whole, fed 3–100 kB of it: the answer stays
/// small.
#[cfg(test)]
mod echo_sites {
    use super::*;
    use crate::config::Limits;
    use crate::model::PathId;
    use crate::spec::{parse_document, MapOptions, OperationOutcome};
    use crate::store::sqlite::SqliteStore;
    use crate::store::Catalog;
    use serde_json::{json, Value};

    /// Well above what a message needs, far below what was sent.
    const SMALL: usize = 400;

    fn long(n: usize) -> String {
        "é".repeat(n / 2)
    }

    fn document_error(doc: &Value) -> ApigError {
        parse_document(
            doc.to_string().as_bytes(),
            MapOptions::default(),
            &Limits::default(),
        )
        .expect_err("document refused")
    }

    fn operation_failure(operation: Value) -> ApiFailure {
        let doc = json!({"swagger": "2.0", "info": {"title": "t_t"},
            "paths": {"/a": {"get": operation}}});
        let parsed = parse_document(
            doc.to_string().as_bytes(),
            MapOptions::default(),
            &Limits::default(),
        )
        .expect("document accepted");
        match &parsed.operations[0].outcome {
            OperationOutcome::Failed(failure) => failure.clone(),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn scope() -> Scope {
        let id = |s: &str| PathId::parse(s).expect("id");
        Scope::new(id("p1"), id("i1"))
    }

    #[test]
    fn swagger_version() {
        let e = document_error(&json!({"swagger": long(5_000), "paths": {}}));
        assert_eq!(e.code, Code::Apig3602);
        assert!(e.message.len() < SMALL, "{}", e.message.len());
        assert!(e.message.contains('…'), "{}", e.message);
    }

    #[test]
    fn yaml_syntax() {
        for doc in [
            format!("a: *{}\n", "n".repeat(4_000)),
            format!("a: !{} x\n", "t".repeat(4_000)),
            format!("a: b\n{}: [\n", "k".repeat(4_000)),
            format!("a: b\na: {}\n", "v".repeat(4_000)),
            format!("{}: 1\n{}: 2\n", "d".repeat(4_000), "d".repeat(4_000)),
        ] {
            let e = parse_document(doc.as_bytes(), MapOptions::default(), &Limits::default())
                .expect_err("refused");
            assert!(e.message.len() < SMALL, "{}: {}", e.code, e.message);
        }
    }

    #[test]
    fn operation_id() {
        let f = operation_failure(json!({"operationId": long(100_000)}));
        assert!(f.message.len() < SMALL, "{}", f.message.len());
        assert!(f.message.contains("operationId"), "{}", f.message);
    }

    #[test]
    fn reference() {
        let f = operation_failure(json!({"parameters": [{"$ref": format!("#/{}", long(3_000))}]}));
        assert_eq!(f.code, Code::Apig2011);
        assert!(f.message.len() < SMALL, "{}", f.message.len());
        assert!(f.message.contains("$ref"), "{}", f.message);
    }

    #[test]
    fn match_mode() {
        let f = operation_failure(json!({"x-apigateway-match-mode": long(3_000)}));
        assert!(f.message.len() < SMALL, "{}", f.message.len());
        assert!(f.message.contains("match-mode"), "{}", f.message);
    }

    #[test]
    fn path_key() {
        let key = format!("/{}", long(100_000));
        let doc = json!({"swagger": "2.0", "info": {"title": "t_t"},
            "paths": {key: {"get": {"operationId": "a_b"}}}});
        let parsed = parse_document(
            doc.to_string().as_bytes(),
            MapOptions::default(),
            &Limits::default(),
        )
        .expect("document accepted");
        match &parsed.operations[0].outcome {
            OperationOutcome::Failed(f) => {
                assert!(f.message.len() < SMALL * 2, "{}", f.message.len())
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn title() {
        let store = SqliteStore::in_memory().expect("store");
        store.create_instance(&scope()).await.expect("instance");
        let doc = json!({"swagger": "2.0", "info": {"title": format!("a{}", long(100_000))},
            "paths": {}});
        let request = crate::import::ImportRequest {
            scope: scope(),
            caller: "tester".to_string(),
            options: Default::default(),
            document: doc.to_string().into(),
        };
        let e = crate::import::run(&store, &Limits::default(), request)
            .await
            .expect_err("title refused");
        assert_eq!(e.code, Code::Apig2044);
        assert!(e.message.len() < SMALL, "{}", e.message.len());
    }

    #[tokio::test]
    async fn group_id_of_a_read() {
        let store = SqliteStore::in_memory().expect("store");
        store.create_instance(&scope()).await.expect("instance");
        let request = crate::read::ListApis {
            group_id: Some("g".repeat(4_096)),
            ..Default::default()
        };
        let e = crate::read::list_apis(&store, &scope(), &request)
            .await
            .expect_err("no such group");
        assert_eq!(e.code, Code::Apig3001);
        assert!(e.message.len() < SMALL, "{}", e.message.len());
    }
}
