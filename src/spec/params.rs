//! Request parameters of an operation (`import-api.md` §4): path-item and operation
//! `parameters` merged (the operation wins on the same name and location), `$ref`s resolved.

use super::document::Document;
use super::names::check_param_name;
use super::node::{at_use_site, render, Node};
use super::tree::Value;
use crate::error::{echo, ApiFailure, Code};
use crate::model::{ParamLocation, ParamType, PassThrough, RequestParam};

/// The merged, mapped request parameters. Body, form, cookie parameters are not request
/// parameters in APIG and are skipped.
pub fn request_params<'a>(
    doc: &Document<'a>,
    path_item: &Node<'a>,
    operation: &Node<'a>,
    simple_mode: bool,
    max_params: usize,
) -> Result<Vec<RequestParam>, ApiFailure> {
    // Each list is bounded before it is read: twice the per-API limit leaves room for the
    // body, form and cookie parameters that are skipped; the merged list is checked against
    // the limit itself by the caller.
    let raw_max = max_params.saturating_mul(2);
    // Lists are short and bounded: found by comparing names, not by hashing them (hashing
    // was a tenth of the mapping's instructions).
    let mut merged: Vec<RequestParam> = Vec::new();
    for (level, owner) in [path_item, operation].into_iter().enumerate() {
        // Indices into `merged` of this level's parameters.
        let items = owner.array_max("parameters", raw_max, Code::Apig3111, "parameters")?;
        let mut declared_here: Vec<usize> = Vec::with_capacity(items.len());
        merged.reserve(items.len());
        for item in items {
            let param_node = doc.resolve(item.clone())?;
            let mapped = map_param(doc, &param_node, simple_mode);
            // A shared definition's failure names the operation's use of it first.
            let mapped = if param_node.same_place(&item) {
                mapped
            } else {
                mapped.map_err(|f| at_use_site(f, &item.pointer()))
            };
            let Some(param) = mapped? else {
                continue;
            };
            if declared_here
                .iter()
                .any(|&i| same_param(&merged[i], &param))
            {
                return Err(item.invalid(
                    "parameters",
                    format!(
                        "the {} parameter {:?} is declared twice",
                        location_name(param.location),
                        echo(&param.name)
                    ),
                ));
            }
            match merged.iter().position(|other| same_param(other, &param)) {
                // Only a path-item parameter can be found here: the operation's wins.
                Some(i) if level == 1 => {
                    merged[i] = param;
                    declared_here.push(i);
                }
                _ => {
                    declared_here.push(merged.len());
                    merged.push(param);
                }
            }
        }
    }
    Ok(merged)
}

/// The same parameter: same location and name; header names compare case-insensitively.
fn same_param(a: &RequestParam, b: &RequestParam) -> bool {
    a.location == b.location
        && match a.location {
            ParamLocation::Header => a.name.eq_ignore_ascii_case(&b.name),
            _ => a.name == b.name,
        }
}

fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
    }
}

/// Does `name` name a request parameter (header names case-insensitively)?
pub fn has_param(params: &[RequestParam], name: &str) -> bool {
    params.iter().any(|p| match p.location {
        ParamLocation::Header => p.name.eq_ignore_ascii_case(name),
        _ => p.name == name,
    })
}

/// A declared path parameter, as `simple_mode` adds for an undeclared `{name}`.
pub fn implicit_path_param(name: &str) -> RequestParam {
    RequestParam {
        name: name.to_string(),
        location: ParamLocation::Path,
        param_type: ParamType::String,
        required: true,
        default: None,
        enumerations: None,
        min_num: None,
        max_num: None,
        min_size: None,
        max_size: None,
        description: None,
        pass_through: None,
        sample: None,
        orchestrations: Vec::new(),
    }
}

fn map_param<'a>(
    doc: &Document<'a>,
    node: &Node<'a>,
    simple_mode: bool,
) -> Result<Option<RequestParam>, ApiFailure> {
    if !node.value.is_object() {
        return Err(node.invalid("parameters", "a parameter must be an object"));
    }
    let written = node.required_str("in")?;
    let is = |name: &str| written.eq_ignore_ascii_case(name);
    let location = if is("path") {
        ParamLocation::Path
    } else if is("query") {
        ParamLocation::Query
    } else if is("header") {
        ParamLocation::Header
    } else if is("body") || is("formdata") || is("cookie") {
        return Ok(None);
    } else {
        return Err(node.field_node("in").invalid(
            "in",
            format!(
                "{other:?} is not a parameter location",
                other = echo(&written.to_ascii_lowercase())
            ),
        ));
    };
    let name = node.required_str("name")?;
    check_param_name(name).map_err(|e| node.field_node("name").invalid("name", e))?;

    // 2.0 puts type and constraints on the parameter, 3.x in its schema.
    let constraints = match node.get("schema") {
        Some(schema) if doc.version.is_v3() => doc.resolve(schema)?,
        _ => node.clone(),
    };
    let param_type = match schema_type(&constraints)? {
        Some("integer" | "number") => ParamType::Number,
        _ => ParamType::String,
    };
    let required = location == ParamLocation::Path || node.bool("required")?.unwrap_or(false);
    let enumerations = match constraints.get("enum") {
        None => None,
        Some(values) => match values.value.as_array() {
            Some(items) => Some(items.iter().map(render).collect::<Vec<_>>().join(",")),
            None => return Err(values.invalid("enum", "must be an array")),
        },
    };
    let size = |key: &str| -> Result<Option<u64>, ApiFailure> {
        Ok(constraints
            .int_in(key, 0..=i64::MAX, crate::error::Code::Apig2011)?
            .map(|n| n.unsigned_abs()))
    };
    Ok(Some(RequestParam {
        name: name.to_string(),
        location,
        param_type,
        required,
        default: constraints.get("default").map(|d| render(d.value)),
        enumerations,
        min_num: constraints.number("minimum")?,
        max_num: constraints.number("maximum")?,
        min_size: size("minLength")?,
        max_size: size("maxLength")?,
        // Cut like the API's remark: prose from the document, only displayed.
        description: node.str_truncated("description", 255)?,
        pass_through: node.choice(
            "x-apigateway-pass-through",
            &[
                ("always", PassThrough::Always),
                ("never", PassThrough::Never),
            ],
        )?,
        sample: node.text("x-apigateway-sample")?,
        orchestrations: if simple_mode {
            Vec::new()
        } else {
            node.str_list("x-apigateway-orchestrations")?
        },
    }))
}

/// `type` of a parameter or schema; 3.1 allows a list such as `[string, "null"]`.
fn schema_type<'a>(node: &Node<'a>) -> Result<Option<&'a str>, ApiFailure> {
    match node.get("type") {
        None => Ok(None),
        Some(t) => match t.value {
            Value::String(s) => Ok(Some(*s)),
            Value::Array(items) => Ok(items
                .iter()
                .filter_map(Value::as_str)
                .find(|s| *s != "null")),
            _ => Err(t.invalid("type", "must be a string or a list of strings")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use serde_json::json;

    fn params(
        doc: &serde_json::Value,
        path: &str,
        verb: &str,
    ) -> Result<Vec<RequestParam>, ApiFailure> {
        let d = Document::new(
            crate::spec::tree::leaked(doc),
            crate::spec::tree::leaked_arena(),
        )
        .unwrap();
        let item = d.paths.as_ref().unwrap().get(path).unwrap();
        let op = item.get(verb).unwrap();
        request_params(&d, &item, &op, false, 50)
    }

    #[test]
    fn swagger_parameters_are_mapped() {
        let doc = json!({"swagger": "2.0", "paths": {"/p/{id}": {
        "parameters": [{"name": "id", "in": "path", "type": "string", "minLength": 8}],
        "get": {"parameters": [
            {"name": "limit", "in": "query", "type": "integer", "minimum": 1, "maximum": 100,
             "default": 20, "required": true, "x-apigateway-sample": 20},
            {"name": "cat", "in": "query", "type": "string", "enum": ["a", "b", 3],
             "x-apigateway-pass-through": "always", "x-apigateway-orchestrations": ["o1"]},
            {"name": "X-Trace", "in": "header", "type": "string", "maxLength": 64},
            {"name": "body", "in": "body", "schema": {"type": "object"}},
            {"name": "f", "in": "formData", "type": "string"}
        ]}}}});
        let p = params(&doc, "/p/{id}", "get").unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(
            (p[0].name.as_str(), p[0].location, p[0].required),
            ("id", ParamLocation::Path, true)
        );
        assert_eq!(p[0].min_size, Some(8));
        assert_eq!(p[1].param_type, ParamType::Number);
        assert_eq!((p[1].min_num, p[1].max_num), (Some(1.0), Some(100.0)));
        assert_eq!(p[1].default.as_deref(), Some("20"));
        assert_eq!(p[1].sample.as_deref(), Some("20"));
        assert!(p[1].required);
        assert_eq!(p[2].enumerations.as_deref(), Some("a,b,3"));
        assert_eq!(p[2].pass_through, Some(PassThrough::Always));
        assert_eq!(p[2].orchestrations, vec!["o1".to_string()]);
        assert!(!p[2].required);
        assert_eq!(
            (p[3].location, p[3].max_size),
            (ParamLocation::Header, Some(64))
        );
    }

    #[test]
    fn openapi_parameters_read_their_schema_through_refs() {
        let doc = json!({"openapi": "3.0.0", "paths": {"/b": {"get": {"parameters": [
                {"$ref": "#/components/parameters/size"},
                {"name": "c", "in": "cookie", "schema": {"type": "string"}}]}}},
            "components": {
                "parameters": {"size": {"name": "size", "in": "query",
                    "schema": {"$ref": "#/components/schemas/Size"}}},
                "schemas": {"Size": {"type": "integer", "default": 50, "maximum": 200}}}});
        let p = params(&doc, "/b", "get").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].param_type, ParamType::Number);
        assert_eq!(p[0].default.as_deref(), Some("50"));
        assert_eq!(p[0].max_num, Some(200.0));
    }

    #[test]
    fn operation_parameters_win_and_headers_ignore_case() {
        let doc = json!({"swagger": "2.0", "paths": {"/p": {
            "parameters": [{"name": "X-A", "in": "header", "type": "string"},
                           {"name": "q", "in": "query", "type": "string"}],
            "get": {"parameters": [{"name": "x-a", "in": "header", "type": "integer"},
                                   {"name": "q", "in": "header", "type": "string"}]}}}});
        let p = params(&doc, "/p", "get").unwrap();
        assert_eq!(p.len(), 3);
        // The operation's own list may not repeat a parameter it took over.
        let mut twice = doc.clone();
        twice["paths"]["/p"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "X-a", "in": "header", "type": "string"}));
        let e = params(&twice, "/p", "get").unwrap_err();
        assert!(e.message.contains("declared twice"), "{}", e.message);
        assert_eq!(
            (p[0].name.as_str(), p[0].param_type),
            ("x-a", ParamType::Number)
        );
        assert_eq!(
            (p[1].name.as_str(), p[1].location),
            ("q", ParamLocation::Query)
        );
        assert_eq!(
            (p[2].name.as_str(), p[2].location),
            ("q", ParamLocation::Header)
        );
    }

    #[test]
    fn bad_parameters_fail_with_their_pointer() {
        let cases = [
            (
                json!([{"name": "a", "in": "query"}, {"name": "a", "in": "query"}]),
                "declared twice",
                "/parameters/1",
            ),
            (
                json!([{"name": "X-A", "in": "header"}, {"name": "x-a", "in": "header"}]),
                "declared twice",
                "/parameters/1",
            ),
            (
                json!([{"name": "1a", "in": "query"}]),
                "not a valid parameter name",
                "/parameters/0/name",
            ),
            (
                json!([{"name": "a", "in": "matrix"}]),
                "not a parameter location",
                "/parameters/0/in",
            ),
            (json!([{"name": "a"}]), "in is required", "/parameters/0"),
            (
                json!([{"$ref": "#/parameters/missing"}]),
                "#/parameters/missing",
                "/parameters/0/$ref",
            ),
            (
                json!([{"name": "a", "in": "query", "description": 12}]),
                "must be a string",
                "/parameters/0/description",
            ),
        ];
        for (list, words, at) in cases {
            let doc = json!({"swagger": "2.0", "paths": {"/p": {"get": {"parameters": list}}}});
            let e = params(&doc, "/p", "get").unwrap_err();
            assert_eq!(e.code, Code::Apig2011);
            assert!(e.message.contains(words), "{}", e.message);
            assert!(
                e.message.contains(&format!("(at /paths/~1p/get{at})")),
                "{}",
                e.message
            );
        }
    }
}
