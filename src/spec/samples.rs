//! What an operation's `responses` give an API: the success / failure samples, and the
//! mock body of `mock_mode`.

use super::document::Document;
use super::node::{render, Node};
use super::tree::Value;
use crate::error::ApiFailure;

const MAX_SAMPLE: usize = 20_480;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Samples {
    pub normal: Option<String>,
    pub failure: Option<String>,
}

/// The first `x-apigateway-result-normal-sample` / `-failure-sample` among the responses,
/// in document order (responses may be `$ref`s).
pub fn samples<'a>(doc: &Document<'a>, operation: &Node<'a>) -> Result<Samples, ApiFailure> {
    let mut out = Samples::default();
    let Some(responses) = operation.object("responses")? else {
        return Ok(out);
    };
    for (_, response) in responses.entries() {
        let response = doc.resolve(response)?;
        if out.normal.is_none() {
            out.normal = response
                .str_max("x-apigateway-result-normal-sample", MAX_SAMPLE)?
                .map(str::to_string);
        }
        if out.failure.is_none() {
            out.failure = response
                .str_max("x-apigateway-result-failure-sample", MAX_SAMPLE)?
                .map(str::to_string);
        }
    }
    Ok(out)
}

/// `mock_mode`'s body when there is no normal sample.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MockExample {
    /// The first example that fits a mock body; empty when there is none.
    pub body: String,
    /// Examples passed over because they are larger than a mock body: pointer and length.
    pub skipped: Vec<(String, usize)>,
}

/// `mock_mode`'s body when there is no normal sample: the first example of the 200 (else
/// `default`) response — 3.x `content.*.example` / `examples`, 2.0 `examples` — that fits
/// the mock-body limit, rendered as text (non-string examples as JSON). A larger example is
/// passed over, not a failure (`import-api.md` §3.3): the caller warns about it.
pub fn first_example<'a>(
    doc: &Document<'a>,
    operation: &Node<'a>,
) -> Result<MockExample, ApiFailure> {
    let mut out = MockExample::default();
    let Some(responses) = operation.object("responses")? else {
        return Ok(out);
    };
    let Some(response) = responses.get("200").or_else(|| responses.get("default")) else {
        return Ok(out);
    };
    let response = doc.resolve(response)?;
    // Examples are read in order and only until one fits: a later broken `$ref` does not
    // matter once an example is found.
    let mut take = |example: Node<'a>| -> bool {
        let body = render(example.value);
        let length = body.chars().count();
        if length > MAX_SAMPLE {
            out.skipped.push((example.pointer(), length));
            return false;
        }
        out.body = body;
        true
    };
    if doc.version.is_v3() {
        let content = response.object("content")?;
        // Media types without an example are passed over on the raw value: only the ones
        // that hold an example get a node (and a pointer).
        let with_example = content
            .iter()
            .flat_map(|c| c.entries_lazy_where(has_example));
        'media: for (_, media) in with_example {
            if let Some(example) = media.get("example") {
                if take(example) {
                    break;
                }
            } else if let Some(examples) = media.object("examples")? {
                for (_, named) in examples.entries() {
                    if let Some(value) = doc.resolve(named)?.get("value") {
                        if take(value) {
                            break 'media;
                        }
                    }
                }
            }
        }
    } else if let Some(examples) = response.object("examples")? {
        for (_, example) in examples.entries() {
            if take(example) {
                break;
            }
        }
    }
    Ok(out)
}

fn has_example(media: &Value<'_>) -> bool {
    media.get("example").is_some_and(|e| !e.is_null())
        || media.get("examples").is_some_and(|e| !e.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn with_op(v: &Value, f: impl Fn(&Document<'_>, &Node<'_>)) {
        let d = Document::new(
            crate::spec::tree::leaked(v),
            crate::spec::tree::leaked_arena(),
        )
        .unwrap();
        let op = d
            .paths
            .as_ref()
            .unwrap()
            .get("/p")
            .unwrap()
            .get("get")
            .unwrap();
        f(&d, &op);
    }

    #[test]
    fn samples_are_read_through_refs() {
        let v = json!({"openapi": "3.0.0", "paths": {"/p": {"get": {"responses": {
                "200": {"$ref": "#/components/responses/Ok"},
                "500": {"description": "x", "x-apigateway-result-failure-sample": "boom"}}}}},
            "components": {"responses": {"Ok": {"x-apigateway-result-normal-sample": "{\"ok\":1}"}}}});
        with_op(&v, |d, op| {
            let s = samples(d, op).unwrap();
            assert_eq!(s.normal.as_deref(), Some("{\"ok\":1}"));
            assert_eq!(s.failure.as_deref(), Some("boom"));
        });
        let v = json!({"swagger": "2.0", "paths": {"/p": {"get": {"responses": {"200": {"$ref": "#/responses/none"}}}}}});
        with_op(&v, |d, op| {
            let e = samples(d, op).unwrap_err();
            assert!(e.message.contains("#/responses/none"), "{}", e.message);
        });
    }

    #[test]
    fn examples_for_mock_mode() {
        let v = json!({"openapi": "3.0.0", "paths": {"/p": {"get": {"responses": {
            "default": {"content": {"text/plain": {"example": "fallback"}}},
            "200": {"content": {"application/json": {"examples": {"a": {"$ref": "#/components/examples/A"}}}}}}}}},
            "components": {"examples": {"A": {"value": {"id": 1}}}}});
        with_op(&v, |d, op| {
            assert_eq!(first_example(d, op).unwrap().body, "{\"id\":1}")
        });
        let v = json!({"swagger": "2.0", "paths": {"/p": {"get": {"responses": {
            "default": {"examples": {"application/json": [1, 2]}}}}}}});
        with_op(&v, |d, op| {
            assert_eq!(first_example(d, op).unwrap().body, "[1,2]")
        });
        let v = json!({"swagger": "2.0", "paths": {"/p": {"get": {"responses": {"404": {"examples": {"a": "x"}}}}}}});
        with_op(&v, |d, op| {
            assert_eq!(first_example(d, op).unwrap().body, "")
        });
        // An example larger than a mock body is passed over for the next one that fits.
        let big = "x".repeat(MAX_SAMPLE + 1);
        let v = json!({"openapi": "3.0.0", "paths": {"/p": {"get": {"responses": {
            "200": {"content": {"application/json": {"examples": {
                "big": {"value": big}, "small": {"value": "ok"}}}}}}}}}});
        with_op(&v, |d, op| {
            let e = first_example(d, op).unwrap();
            assert_eq!(e.body, "ok");
            assert_eq!(
                e.skipped,
                [(
                    "/paths/~1p/get/responses/200/content/application~1json/examples/big/value"
                        .to_string(),
                    MAX_SAMPLE + 1
                )]
            );
        });
    }
}
