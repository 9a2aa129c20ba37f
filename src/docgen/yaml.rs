//! A small YAML writer for generated documents: block style as people write it, plain
//! scalars where YAML 1.2's core schema reads them back as the same string, single quotes
//! otherwise, literal blocks for multi-line text. Decoding the output gives the input back.

use serde_json::Value;
use std::fmt::Write;

/// `value` as a YAML document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            write_inline(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        write_string(out, key, level, true);
        out.push(':');
        write_child(out, value, level);
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            // `- key: value` with the other keys aligned under the first.
            Value::Object(map) if !map.is_empty() => {
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 1);
                    }
                    write_string(out, key, level + 1, true);
                    out.push(':');
                    write_child(out, value, level + 1);
                }
            }
            // A list in a list needs its own indentation.
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, level + 1);
            }
            other => write_child(out, other, level),
        }
    }
}

/// What follows `key:` or `-`: a nested block on the next lines, or an inline value.
fn write_child(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 1);
        }
        // Indentless, as PyYAML and Kubernetes write it: `key:` then `- item` under it.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, level);
        }
        other => {
            out.push(' ');
            write_inline(out, other, level + 1);
            out.push('\n');
        }
    }
}

fn write_inline(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s, level, false),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_string(out: &mut String, s: &str, level: usize, is_key: bool) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if !is_key && literal_block_safe(s) {
        // `|-` keeps the line breaks and drops the final one the block syntax adds.
        out.push_str(if s.ends_with('\n') { "|" } else { "|-" });
        for line in s.trim_end_matches('\n').split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, level);
                out.push_str(line);
            }
        }
    } else if s.chars().all(|c| c == '\t' || !c.is_control()) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        // JSON's string escapes are valid in a double-quoted YAML scalar.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// Multi-line text without the characters a literal block cannot hold as written.
fn literal_block_safe(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && !s.ends_with("\n\n")
        && s.split('\n')
            .all(|line| !line.ends_with(' ') && !line.chars().any(char::is_control))
}

/// A string that a YAML 1.2 core-schema reader takes back as this same string when written
/// without quotes.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        // `-x`, `:x` and `?x` would be plain too, but quoting them costs nothing.
        return false;
    }
    if s.ends_with(char::is_whitespace)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars()
            .any(|c| c.is_control() || "\u{feff}\u{85}\u{2028}\u{2029}".contains(c))
    {
        return false;
    }
    // Anything that could read as null, a boolean or a number stays quoted.
    let looks_typed = matches!(
        s,
        "null" | "Null" | "NULL" | "~" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    ) || s.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '+');
    !looks_typed
}
