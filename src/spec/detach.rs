//! Taking `paths` out of a decoded document, so that each path item can be freed as soon as
//! it is mapped.
//!
//! The path items are most of a document's tree, and the API definitions mapped from them
//! are as large again: mapped in place, a 5,000-operation import held both at once (its
//! peak, 70 MiB). Taken out of the tree, a path item's memory is freed once its operations
//! are mapped and is reused by the next item's definitions.
//!
//! A `$ref` may point into `paths` (`#/paths/~1users/get/parameters/0`); resolving it needs
//! the items still there, so a document with such a reference keeps its paths in the tree.

use serde_json::{Map, Value};

/// Where the path items were in the document, for the pointers that locate failures.
pub const PATHS_POINTER: &str = "/paths";

/// `root`'s `paths` object, taken out and replaced by an empty object; `None` (and `root`
/// untouched) when there is no `paths` object or a `$ref` may resolve into it.
pub fn detach_paths(root: &mut Value) -> Option<Map<String, Value>> {
    if reaches_into_paths(root) {
        return None;
    }
    match root.get_mut("paths") {
        Some(Value::Object(paths)) => Some(std::mem::take(paths)),
        _ => None,
    }
}

/// Does any `$ref` of the document designate `paths`, something inside it, or the whole
/// document? Percent-escapes are decoded as `Document::resolve` decodes them, except that
/// invalid UTF-8 is replaced here where `resolve` refuses it: such a reference resolves to
/// nothing either way.
fn reaches_into_paths(root: &Value) -> bool {
    // An explicit stack: the depth is bounded by the decoder's limit, but a walk of a
    // decoded tree should not depend on that to keep its stack small.
    let mut pending = vec![root];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = super::node::lookup(value, "$ref") {
                    if designates_paths(reference) {
                        return true;
                    }
                }
                pending.extend(map.values().filter(|v| v.is_object() || v.is_array()));
            }
            Value::Array(items) => {
                pending.extend(items.iter().filter(|v| v.is_object() || v.is_array()))
            }
            _ => {}
        }
    }
    false
}

fn designates_paths(reference: &str) -> bool {
    let Some(fragment) = reference.strip_prefix('#') else {
        return false;
    };
    let pointer = if fragment.contains('%') {
        percent_encoding::percent_decode_str(fragment).decode_utf8_lossy()
    } else {
        fragment.into()
    };
    pointer.is_empty()
        || pointer
            .strip_prefix(PATHS_POINTER)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_taken_out_and_left_empty() {
        let mut doc = json!({"openapi": "3.0.0",
            "paths": {"/a": {"get": {"$ref": "#/components/x"}}, "/b": {}},
            "components": {"x": {}}});
        let paths = detach_paths(&mut doc).unwrap();
        assert_eq!(paths.keys().collect::<Vec<_>>(), ["/a", "/b"]);
        assert_eq!(doc["paths"], json!({}));
        assert_eq!(doc["components"], json!({"x": {}}));
    }

    #[test]
    fn a_reference_into_paths_keeps_them_in_place() {
        for reference in [
            "#/paths/~1a/get",
            "#/paths",
            "#",
            "#/%70aths/~1a",
            "#%2Fpaths%2F~1a",
        ] {
            let mut doc = json!({"swagger": "2.0", "paths": {
                "/a": {"get": {}},
                "/b": {"get": {"parameters": [{"schema": {"$ref": reference}}]}}}});
            let before = doc.clone();
            assert!(detach_paths(&mut doc).is_none(), "{reference}");
            assert_eq!(doc, before, "{reference}");
        }
    }

    #[test]
    fn other_references_do_not() {
        for reference in [
            "#/pathsX",
            "#/components/paths",
            "other.yaml#/paths/~1a",
            "#/definitions/a",
        ] {
            let mut doc = json!({"swagger": "2.0", "paths": {"/a": {"get": {"$ref": reference}}}});
            assert!(detach_paths(&mut doc).is_some(), "{reference}");
        }
    }

    #[test]
    fn no_paths_object_nothing_taken() {
        for mut doc in [
            json!({"openapi": "3.1.0"}),
            json!({"swagger": "2.0", "paths": []}),
        ] {
            let before = doc.clone();
            assert!(detach_paths(&mut doc).is_none());
            assert_eq!(doc, before);
        }
    }
}
