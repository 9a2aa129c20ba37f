//! YAML emission of a JSON value, without a dependency: block mappings and sequences, every
//! string (and key) double-quoted with escapes, so no value can be read back as another
//! type (`"true"`, `"1.0"`, `"~"` stay strings) and no character is folded or lost.
//!
//! Why not a library or the tree's other writer: the tree's YAML dependency is a decoder,
//! and `docgen::to_yaml` (plain scalars, for readable generated documents) writes DEL and
//! C1 controls as they are, which YAML refuses — an export must give back every string the
//! import stored. 60 lines do it exactly, with no dependency.

use serde_json::Value;
use std::fmt::Write;

/// The YAML text of `value` (a block document ending with a newline).
pub fn emit(value: &Value) -> String {
    let mut out = String::new();
    if is_block(value) {
        block(&mut out, value, 0);
    } else {
        out.push_str(&scalar(value));
        out.push('\n');
    }
    out
}

/// A non-empty mapping or sequence is written as a block; everything else on one line.
fn is_block(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

fn block(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                out.push_str(&pad);
                out.push_str(&quote(key));
                out.push(':');
                child(out, item, indent);
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                child(out, item, indent);
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// After `key:` or `-`: a scalar on the same line, a block indented on the next ones.
fn child(out: &mut String, item: &Value, indent: usize) {
    if is_block(item) {
        out.push('\n');
        block(out, item, indent + 2);
    } else {
        out.push(' ');
        out.push_str(&scalar(item));
        out.push('\n');
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
    }
}

/// A YAML double-quoted scalar. Escaped: `"` and `\`, C0 and C1 controls, DEL, the
/// characters YAML reads as line breaks (U+0085, U+2028, U+2029), the BOM and the
/// non-characters U+FFFE/U+FFFF; everything else is written as is.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_and_quoted_scalars() {
        let v = json!({"a": {"b": [1, "two", {"c": true, "d": null}], "e": {}, "f": []},
            "g": "x\"y\\z\n\u{2028}\u{85}", "h": 1.5});
        let text = emit(&v);
        assert_eq!(
            text,
            "\"a\":\n  \"b\":\n    - 1\n    - \"two\"\n    -\n      \"c\": true\n      \"d\": null\n  \"e\": {}\n  \"f\": []\n\"g\": \"x\\\"y\\\\z\\n\\u2028\\u0085\"\n\"h\": 1.5\n"
        );
    }
}
