//! What an operation's `responses` give an API: the success / failure samples, and the
//! mock body of `mock_mode`.

use super::document::Document;
use super::node::{render, Node};
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

/// `mock_mode`'s body when there is no normal sample: the first example of the 200 (else
/// `default`) response — 3.x `content.*.example` / `examples`, 2.0 `examples` — rendered
/// as text (non-string examples as JSON); empty when there is none.
pub fn first_example<'a>(doc: &Document<'a>, operation: &Node<'a>) -> Result<String, ApiFailure> {
    let Some(responses) = operation.object("responses")? else {
        return Ok(String::new());
    };
    let Some(response) = responses.get("200").or_else(|| responses.get("default")) else {
        return Ok(String::new());
    };
    let response = doc.resolve(response)?;
    let example = if doc.version.is_v3() {
        let mut found = None;
        let content = response.object("content")?;
        // Media types without an example are passed over on the raw value: only the one
        // that holds an example gets a node (and a pointer).
        let with_example = content
            .iter()
            .flat_map(|c| c.entries_lazy_where(has_example));
        for (_, media) in with_example {
            if let Some(example) = media.get("example") {
                found = Some(example);
            } else if let Some(first) = media.object("examples")?.and_then(|e| e.first_entry()) {
                found = doc.resolve(first.1)?.get("value");
            }
            if found.is_some() {
                break;
            }
        }
        found
    } else {
        response
            .object("examples")?
            .and_then(|e| e.first_entry())
            .map(|(_, example)| example)
    };
    let Some(example) = example else {
        return Ok(String::new());
    };
    let body = render(example.value);
    if body.chars().count() > MAX_SAMPLE {
        return Err(example.invalid(
            "example",
            format!("a mock body must have at most {MAX_SAMPLE} characters"),
        ));
    }
    Ok(body)
}

fn has_example(media: &serde_json::Value) -> bool {
    media.get("example").is_some_and(|e| !e.is_null())
        || media.get("examples").is_some_and(|e| !e.is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn with_op(v: &Value, f: impl Fn(&Document<'_>, &Node<'_>)) {
        let d = Document::new(v).unwrap();
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
            assert_eq!(first_example(d, op).unwrap(), "{\"id\":1}")
        });
        let v = json!({"swagger": "2.0", "paths": {"/p": {"get": {"responses": {
            "default": {"examples": {"application/json": [1, 2]}}}}}}});
        with_op(&v, |d, op| {
            assert_eq!(first_example(d, op).unwrap(), "[1,2]")
        });
        let v = json!({"swagger": "2.0", "paths": {"/p": {"get": {"responses": {"404": {"examples": {"a": "x"}}}}}}});
        with_op(&v, |d, op| assert_eq!(first_example(d, op).unwrap(), ""));
    }
}
