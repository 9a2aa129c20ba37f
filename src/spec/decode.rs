//! Bytes → the document tree (`tree`), within the limits of `import-api.md` §3.1 and §6.
//!
//! JSON or YAML is told from the content (first non-blank byte `{` or `[` → JSON), never
//! from a file name or a part header. Every step is bounded by the input: the size is
//! checked first; YAML's nodes are estimated on its text (`complexity`) and it runs under a
//! budget scaled to the input (alias bombs fail fast); JSON's values are counted against
//! `max_document_nodes` as they are built; and the nesting depth of the result is checked
//! without recursion.

use super::bounded::{BoundedValue, Budget, Stop};
use super::complexity::{self, MAPPING_WEIGHT};
use super::object::Stacks;
use super::tree::{Arena, Value};
use super::yaml;
use crate::config::Limits;
use crate::error::{ApigError, Code};
use bumpalo::Bump;
use serde::de::DeserializeSeed;
use std::cell::RefCell;

/// Stack for decoding JSON. Deserialization recurses once per nesting level and a level
/// costs up to ~30 KB in unoptimised builds, so the 2 MiB of a test or tokio worker thread
/// overflows well before the 128-level limit. Only touched pages are committed. YAML is
/// built with an explicit stack and needs no thread of its own.
const DECODE_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Decode a document: the tree's parts go into `arena`, and its strings are slices of
/// `bytes` where the text spells them without escapes. The result is guaranteed to be an object no deeper than
/// `limits.max_depth` (enforced while building it, see `bounded` and `yaml`).
pub fn decode<'a>(
    arena: &'a mut Arena,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Value<'a>, ApigError> {
    if matches!(first_significant_byte(bytes), Some(b'{' | b'[')) {
        return decode_on_big_stack(arena, bytes, limits);
    }
    decode_here(arena, bytes, limits)
}

/// The arena is lent to the decoding thread (a `Bump` is not shared between threads, only
/// handed over).
fn decode_on_big_stack<'a>(
    arena: &'a mut Arena,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Value<'a>, ApigError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("spec-decode".into())
            .stack_size(DECODE_STACK_BYTES)
            .spawn_scoped(scope, move || decode_here(arena, bytes, limits))
            .map_err(|_| ApigError::internal())?
            .join()
            .map_err(|_| ApigError::internal())?
    })
}

fn decode_here<'a>(
    arena: &'a mut Arena,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Value<'a>, ApigError> {
    if bytes.len() > limits.max_document_bytes {
        return Err(ApigError::new(
            Code::Apig3603,
            format!(
                "the document has {} bytes, the limit is {}",
                bytes.len(),
                limits.max_document_bytes
            ),
        ));
    }
    let Some(first) = first_significant_byte(bytes) else {
        return Err(ApigError::new(Code::Apig3609, ""));
    };
    let text = utf8(bytes)?;
    let Arena { tree, side } = arena;
    let value = if first == b'{' || first == b'[' {
        decode_json(tree, text, limits)?
    } else {
        complexity::check(text, limits)?;
        decode_yaml(
            tree,
            text,
            yaml_budget(bytes.len(), limits),
            yaml_parsing(text, limits, side),
        )?
    };
    if !value.is_object() {
        return Err(ApigError::new(
            Code::Apig3602,
            format!(
                "the document must be an object (a mapping), not {}",
                kind_of(&value)
            ),
        ));
    }
    Ok(value)
}

/// The first byte that is not white space or a UTF-8 byte-order mark.
fn first_significant_byte(bytes: &[u8]) -> Option<u8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// `text` is UTF-8 already (`utf8`, for the whole text): serde_json then checks no string.
fn decode_json<'a>(
    arena: &'a Bump,
    text: &'a str,
    limits: &Limits,
) -> Result<Value<'a>, ApigError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let stacks = RefCell::default();
    let budget = Budget::new(limits.max_document_nodes);
    let value = root_seed(arena, limits, &stacks, &budget)
        .deserialize(&mut deserializer)
        .and_then(|v| deserializer.end().map(|()| v));
    value.map_err(|e| {
        // serde_json's own guard stops at 128 levels of nesting whatever the limit says: a
        // syntax error of its own kind, which no text of the document can spell.
        let serde_too_deep = e.classify() == serde_json::error::Category::Syntax
            && e.to_string().starts_with("recursion limit exceeded");
        let at = if e.line() == 0 {
            "at the start of the document".to_string()
        } else {
            format!("line {}, column {}", e.line(), e.column())
        };
        match budget.stopped() {
            Some(Stop::TooDeep) => too_deep(&at),
            None if serde_too_deep => too_deep(&at),
            Some(Stop::TooComplex) => ApigError::new(
                Code::Apig3602,
                format!(
                    "the document is too complex: more than the {} values allowed (a mapping \
                     counts {}) by {at}",
                    limits.max_document_nodes, MAPPING_WEIGHT,
                ),
            ),
            // serde_json's message already ends with "at line L column C".
            None => ApigError::new(Code::Apig3600, e.to_string()),
        }
    })
}

fn too_deep(at: &str) -> ApigError {
    ApigError::new(
        Code::Apig3602,
        format!("the document is nested too deeply ({at})"),
    )
}

/// What a YAML document may produce, whatever its aliases: one value or key per this many
/// bytes of the document-size limit. A value of the tree costs 24 bytes (an object entry 40,
/// plus the text of its key), so the default 10 MiB limit allows ~1.3 M values, ~50 MiB;
/// real documents produce one value per 15-30 bytes of text and stay far below.
const LIMIT_BYTES_PER_NODE: usize = 8;

/// The node budget never falls below this, so that small size limits (tests) still admit
/// documents that reuse a few blocks.
const MIN_NODES: usize = 64 * 1024;

fn yaml_budget(input_len: usize, limits: &Limits) -> yaml::Budget {
    yaml::Budget {
        max_depth: limits.max_depth,
        max_nodes: (limits.max_document_bytes / LIMIT_BYTES_PER_NODE).max(MIN_NODES),
        // The text itself, and as much again through aliases.
        max_bytes: input_len.saturating_add(limits.max_document_bytes),
    }
}

/// YAML texts from this size on are parsed beside the tree's building, and cut in two where
/// they can be (when more than one thread may work on a document): 64 KiB are about three
/// bundles of events; below, there is too little to overlap for a thread's start to pay.
const PIPELINE_FROM_BYTES: usize = 64 * 1024;

fn yaml_parsing<'a>(text: &str, limits: &Limits, side: &'a mut Bump) -> yaml::Parsing<'a> {
    if limits.map_threads > 1 && text.len() >= PIPELINE_FROM_BYTES {
        yaml::Parsing::Threads(side)
    } else {
        yaml::Parsing::OneThread
    }
}

fn decode_yaml<'a>(
    arena: &'a Bump,
    text: &'a str,
    budget: yaml::Budget,
    parsing: yaml::Parsing<'a>,
) -> Result<Value<'a>, ApigError> {
    yaml::load(arena, text, budget, parsing).map_err(|e| {
        // Limits and bombs are 3602; everything else is a syntax error with its location.
        let code = if e.is_limit() {
            Code::Apig3602
        } else {
            Code::Apig3600
        };
        ApigError::new(code, e.to_string())
    })
}

/// The document as text, without its byte-order mark; not UTF-8 is a syntax error
/// (`APIG.3600`) located where the text stops being UTF-8.
fn utf8(bytes: &[u8]) -> Result<&str, ApigError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        ApigError::new(
            Code::Apig3600,
            format!("the document is not valid UTF-8 at line {line} column {column}"),
        )
    })
}

fn root_seed<'s, 'a>(
    arena: &'a Bump,
    limits: &Limits,
    stacks: &'s RefCell<Stacks<'a>>,
    budget: &'s Budget,
) -> BoundedValue<'s, 'a> {
    BoundedValue {
        depth: 0,
        max_depth: limits.max_depth,
        arena,
        stacks,
        budget,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or(&[]))
        .chars()
        .count()
        + 1;
    (line, column)
}

pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree;
    use super::*;
    use serde_json::Value;

    /// Decoded, and copied out of its arena for comparisons with `json!` values.
    fn decode(bytes: &[u8], limits: &Limits) -> Result<Value, ApigError> {
        let mut arena = Arena::default();
        super::decode(&mut arena, bytes, limits).map(|v| v.to_json())
    }

    fn limits() -> Limits {
        Limits::default()
    }

    fn err(bytes: &[u8]) -> ApigError {
        match decode(bytes, &limits()) {
            Err(e) => e,
            Ok(v) => panic!("expected an error, got {v}"),
        }
    }

    #[test]
    fn empty_and_blank_documents_are_3609() {
        assert_eq!(err(b"").code, Code::Apig3609);
        assert_eq!(err(b"  \n\t\r\n").code, Code::Apig3609);
        assert_eq!(err(b"\xEF\xBB\xBF \n").code, Code::Apig3609);
    }

    #[test]
    fn too_large_is_3603_before_anything_else() {
        let small = Limits {
            max_document_bytes: 10,
            ..Limits::default()
        };
        let e = decode(b"{\"swagger\": \"2.0\"}", &small).unwrap_err();
        assert_eq!(e.code, Code::Apig3603);
        assert!(e
            .message
            .starts_with("The Swagger file content is too long"));
    }

    #[test]
    fn json_is_detected_from_the_content() {
        let v = decode(b"  \n{\"a\": [1, 2]}", &limits()).unwrap();
        assert_eq!(v["a"][1], 2);
        // Not JSON at the first byte: YAML, which also reads flow style.
        let v = decode(b"a: {b: 1}", &limits()).unwrap();
        assert_eq!(v["a"]["b"], 1);
    }

    #[test]
    fn json_syntax_error_has_line_and_column() {
        let e = err(b"{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(e.code, Code::Apig3600);
        assert!(
            e.message.starts_with("JSON or YAML format error."),
            "{}",
            e.message
        );
        assert!(e.message.contains("line 3 column"), "{}", e.message);
    }

    #[test]
    fn yaml_syntax_error_has_line_and_column() {
        let e = err(b"a: 1\nb: [1, 2\nc: 3\n");
        assert_eq!(e.code, Code::Apig3600);
        assert!(e.message.contains("at line "), "{}", e.message);
        assert!(e.message.contains("column "), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_yaml_is_a_syntax_error_with_location() {
        let e = err(b"a: 1\nb: \xFF\n");
        assert_eq!(e.code, Code::Apig3600);
        assert!(e.message.contains("line 2 column 4"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_json_is_a_syntax_error_with_location() {
        for (text, at) in [
            (&b"{\"a\": 1,\n \"\xC3\xA9\xFF\": 2}"[..], "line 2 column 4"),
            // The byte-order mark is not a column.
            (b"\xEF\xBB\xBF{\"a\": \"\xE2\x82\"}", "line 1 column 8"),
        ] {
            let e = err(text);
            assert_eq!(e.code, Code::Apig3600, "{}", e.message);
            assert!(e.message.contains("not valid UTF-8"), "{}", e.message);
            assert!(e.message.contains(at), "{}", e.message);
        }
    }

    #[test]
    fn yaml_booleans_follow_yaml_1_2() {
        let v = decode(b"a: yes\nb: on\nc: NO\nd: true\ne: False\n", &limits()).unwrap();
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], "on");
        assert_eq!(v["c"], "NO");
        assert_eq!(v["d"], true);
        assert_eq!(v["e"], false);
    }

    #[test]
    fn yaml_duplicate_keys_are_rejected() {
        let e = err(b"a: 1\nb: 2\na: 3\n");
        assert_eq!(e.code, Code::Apig3600);
        assert!(e.message.contains("line 3"), "{}", e.message);
    }

    #[test]
    fn json_duplicate_keys_are_rejected_too() {
        let e = err(b"{\"a\": 1,\n \"a\": 2}");
        assert_eq!(e.code, Code::Apig3600);
        assert!(e.message.contains("duplicate key"), "{}", e.message);
        assert!(e.message.contains("line 2"), "{}", e.message);
    }

    #[test]
    fn yaml_numeric_keys_become_strings() {
        let v = decode(b"responses:\n  200:\n    description: ok\n", &limits()).unwrap();
        assert_eq!(v["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn yaml_aliases_within_bounds_are_expanded() {
        let doc = b"common: &c {a: 1, b: [x, y]}\none: *c\ntwo: *c\n";
        let v = decode(doc, &limits()).unwrap();
        assert_eq!(v["two"]["b"][1], "y");
    }

    #[test]
    fn billion_laughs_fails_fast_with_3602() {
        let mut doc = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            doc.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let started = std::time::Instant::now();
        let e = err(doc.as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn dense_json_is_3602_where_the_budget_runs_out() {
        let limits = Limits {
            max_document_nodes: 1000,
            ..Limits::default()
        };
        // Root mapping 6, key 1, list 1, then one per item: 992 items fit.
        let fits = format!("{{\"a\": [{}0]}}", "0,".repeat(991));
        assert!(decode(fits.as_bytes(), &limits).is_ok());
        let dense = format!("{{\"a\": [{}0]}}", "0,".repeat(992));
        let e = decode(dense.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.code, Code::Apig3602);
        assert!(
            e.message.contains("more than the 1000 values allowed")
                && e.message.contains("line 1, column 1991"),
            "{}",
            e.message
        );
        // Keys count, and a mapping counts six: 8 + 123 * 8 + 6 fit.
        let objects = format!("[{}{{}}]", "{\"k\": 0},".repeat(123));
        assert!(decode(format!("{{\"a\": {objects}}}").as_bytes(), &limits).is_ok());
        let objects = format!("[{}{{}}]", "{\"k\": 0},".repeat(124));
        assert_eq!(
            decode(format!("{{\"a\": {objects}}}").as_bytes(), &limits)
                .unwrap_err()
                .code,
            Code::Apig3602
        );
    }

    #[test]
    fn a_key_spelling_a_limit_is_still_a_duplicate_key() {
        for key in [
            "document exceeds the node budget",
            "document nesting exceeds the depth limit",
            "recursion limit exceeded",
        ] {
            let text = format!("{{\"{key}\": 1, \"{key}\": 2}}");
            let e = err(text.as_bytes());
            assert_eq!(e.code, Code::Apig3600, "{}", e.message);
            assert!(e.message.contains("duplicate key"), "{}", e.message);
        }
    }

    #[test]
    fn a_budget_smaller_than_the_root_is_refused_at_the_start() {
        let limits = Limits {
            max_document_nodes: 0,
            ..Limits::default()
        };
        let e = decode(b"{}", &limits).unwrap_err();
        assert_eq!(e.code, Code::Apig3602);
        assert!(
            e.message.contains("at the start of the document"),
            "{}",
            e.message
        );
    }

    #[test]
    fn deep_json_is_3602() {
        let doc = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let e = err(doc.as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        assert!(e.message.contains("line 1, column 128"), "{}", e.message);
        // A depth limit above serde_json's own 128 levels: its guard stops first.
        let limits = Limits {
            max_depth: 200,
            ..Limits::default()
        };
        let e = decode(doc.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
    }

    #[test]
    fn deep_yaml_is_3602() {
        let doc = format!("a: {}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(err(doc.as_bytes()).code, Code::Apig3602);
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        assert_eq!(err(block.as_bytes()).code, Code::Apig3602);
    }

    #[test]
    fn aliases_cannot_multiply_depth() {
        // Each anchor nests the previous one 100 levels deeper.
        let mut doc = String::new();
        for i in 0..8 {
            let inner = if i == 0 {
                "x".to_string()
            } else {
                format!("*d{}", i - 1)
            };
            doc.push_str(&format!(
                "d{i}: &d{i} {}{inner}{}\n",
                "[".repeat(100),
                "]".repeat(100)
            ));
        }
        assert_eq!(err(doc.as_bytes()).code, Code::Apig3602);
    }

    #[test]
    fn strings_spelled_without_escapes_are_slices_of_the_text() {
        for text in [
            &b"{\"key\": \"plain\", \"k\\u0065y2\": \"t\\u0065xt\"}"[..],
            b"key: plain\n\"k\\u0065y2\": \"t\\u0065xt\"\n",
        ] {
            let mut arena = Arena::default();
            let root = super::decode(&mut arena, text, &limits()).unwrap();
            let in_text = |s: &str| text.as_ptr_range().contains(&s.as_ptr());
            let entries: Vec<(&str, &tree::Value)> = root.as_object().unwrap().iter().collect();
            assert_eq!(entries[0].0, "key");
            assert_eq!(entries[0].1.as_str(), Some("plain"));
            assert_eq!(entries[1].0, "key2");
            assert_eq!(entries[1].1.as_str(), Some("text"));
            assert!(in_text(entries[0].0) && in_text(entries[0].1.as_str().unwrap()));
            assert!(!in_text(entries[1].0) && !in_text(entries[1].1.as_str().unwrap()));
        }
    }

    #[test]
    fn a_scalar_document_is_not_a_spec() {
        assert_eq!(err(b"hello").code, Code::Apig3602);
        assert_eq!(err(b"[1, 2]").code, Code::Apig3602);
        assert_eq!(err(b"# only a comment\n").code, Code::Apig3602);
    }

    #[test]
    fn multiple_yaml_documents_are_3602() {
        assert_eq!(err(b"a: 1\n---\nb: 2\n").code, Code::Apig3602);
    }

    fn ok(text: &str) -> Value {
        decode(text.as_bytes(), &limits()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    /// The location is given once, as `at line L column C`.
    fn located_once(e: &ApigError, line: usize, column: usize) {
        let at = format!("at line {line} column {column}");
        assert!(e.message.ends_with(&at), "{}", e.message);
        assert_eq!(e.message.matches("line").count(), 1, "{}", e.message);
    }

    #[test]
    fn yaml_1_1_booleans_are_strings() {
        let v = ok("a: off\nb: y\nc: n\nd: Yes\ne: TRUE\nf: 'true'\ng: \"false\"\n");
        assert_eq!(v["a"], "off");
        assert_eq!(v["b"], "y");
        assert_eq!(v["c"], "n");
        assert_eq!(v["d"], "Yes");
        assert_eq!(v["e"], true);
        assert_eq!(v["f"], "true");
        assert_eq!(v["g"], "false");
    }

    #[test]
    fn yaml_core_schema_scalars() {
        let v = ok(concat!(
            "n1: null\nn2: ~\nn3:\nn4: NULL\n",
            "i1: 42\ni2: -7\ni3: +3\ni4: 0x1F\ni5: 0o17\ni6: 007\ni7: 18446744073709551615\n",
            "f1: 1.5\nf2: 1e3\nf3: .5\nf4: -.inf\nf5: .NaN\nf6: +.Inf\n",
            "s1: 1_000\ns2: 0b101\ns3: 3.0.3\ns4: '42'\ns5: 0x\ns6: -x\ns7: 1.2.3-beta\ns8: |\n  text\n"
        ));
        for key in ["n1", "n2", "n3", "n4"] {
            assert!(v[key].is_null(), "{key}: {}", v[key]);
        }
        assert_eq!(v["i1"], 42);
        assert_eq!(v["i2"], -7);
        assert_eq!(v["i3"], 3);
        assert_eq!(v["i4"], 31);
        assert_eq!(v["i5"], 15);
        assert_eq!(v["i6"], 7);
        assert_eq!(v["i7"], u64::MAX);
        assert_eq!(v["f1"], 1.5);
        assert_eq!(v["f2"], 1000.0);
        assert_eq!(v["f3"], 0.5);
        // JSON has no infinities: the YAML spelling is kept as text, as before.
        assert_eq!(v["f4"], "-.inf");
        assert_eq!(v["f5"], ".nan");
        assert_eq!(v["f6"], ".inf");
        let strings = [
            ("s1", "1_000"),
            ("s2", "0b101"),
            ("s3", "3.0.3"),
            ("s4", "42"),
            ("s5", "0x"),
            ("s6", "-x"),
            ("s7", "1.2.3-beta"),
            ("s8", "text\n"),
        ];
        for (key, text) in strings {
            assert_eq!(v[key], text, "{key}");
        }
    }

    #[test]
    fn yaml_keys_are_their_text() {
        let v = ok("200: ok\n1.10: v\ntrue: t\n~: n\n'0x10': q\n");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["200", "1.10", "true", "null", "0x10"]);
    }

    #[test]
    fn yaml_duplicate_key_names_the_key_and_where() {
        let e = err(b"paths:\n  /pets: {}\n  /users: {}\n  /pets: {}\n");
        assert_eq!(e.code, Code::Apig3600);
        assert_eq!(
            e.message,
            "JSON or YAML format error. duplicate key \"/pets\" at line 4 column 3"
        );
        // Flow mappings too, and no parser internals in the message.
        let e = err(b"a: {x: 1, x: 2}\n");
        assert_eq!(e.code, Code::Apig3600);
        located_once(&e, 1, 11);
        assert!(!e.message.contains("Policy"), "{}", e.message);
    }

    #[test]
    fn yaml_syntax_error_location_is_given_once() {
        let e = err(b"a: 1\nb: [1, 2\nc: 3\n");
        assert_eq!(e.code, Code::Apig3600);
        assert_eq!(e.message.matches(" at line ").count(), 1, "{}", e.message);
        let e = err(b"a: 1\nb:\n  - x\n y: 2\n");
        assert_eq!(e.code, Code::Apig3600);
        assert_eq!(e.message.matches(" at line ").count(), 1, "{}", e.message);
    }

    #[test]
    fn deep_flow_yaml_is_3602_with_the_location_once() {
        // Issue row: 256+ levels of `[` used to be "recursion limit exceeded", located twice.
        let doc = format!(
            "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: {}{}\n",
            "[".repeat(300),
            "]".repeat(300)
        );
        let e = err(doc.as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        // Refused where the nesting passes the limit (the parser scans ahead of the values).
        assert!(
            e.message
                .contains("more than 128 levels) at line 6 column 132"),
            "{}",
            e.message
        );
        assert_eq!(e.message.matches(" at line ").count(), 1, "{}", e.message);
        let doc = format!("f: {}{}\n", "{a: ".repeat(300), "}".repeat(300));
        let e = err(doc.as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        // Exactly at the limit is fine.
        let doc = format!("f: {}{}\n", "[".repeat(127), "]".repeat(127));
        assert!(decode(doc.as_bytes(), &limits()).is_ok());
    }

    #[test]
    fn alias_expansion_is_paid_for_by_what_it_produces() {
        // Issue row: `a: &a [0 × 990k]`, then three aliases of it. The anchored list alone is
        // within the size limit; what it would expand to is not.
        let mut doc = String::from("a: &a [0");
        doc.push_str(&", 0".repeat(989_999));
        doc.push_str("]\nb0: *a\nb1: *a\nb2: *a\n");
        assert!(doc.len() < 3_000_000);
        let started = std::time::Instant::now();
        let e = err(doc.as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        assert!(e.message.contains("aliases included"), "{}", e.message);
        // Generous: debug builds on a loaded machine; release refuses it in well under 1 s.
        assert!(started.elapsed() < std::time::Duration::from_secs(60));

        // The same small block repeated: a few times is fine, many times is refused, though
        // both documents are a few hundred bytes.
        let block = format!("base: &b [{}]\n", ["x"; 1000].join(", "));
        let uses = |n: usize| {
            let mut doc = block.clone();
            for i in 0..n {
                doc.push_str(&format!("u{i}: *b\n"));
            }
            doc
        };
        let v = ok(&uses(100));
        assert_eq!(v["u99"].as_array().map(Vec::len), Some(1000));
        let e = err(uses(2000).as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
        assert_eq!(e.message.matches(" at line ").count(), 1, "{}", e.message);
    }

    #[test]
    fn yaml_anchors_on_mappings_and_merge_keys() {
        let v = ok(concat!(
            "base: &base {x: 1, y: 2}\n",
            "more: &more {y: 20, z: 30}\n",
            "copy: *base\n",
            "one:\n  <<: *base\n  y: 3\n",
            "two:\n  w: 0\n  <<: [*more, *base]\n",
        ));
        assert_eq!(v["copy"], serde_json::json!({"x": 1, "y": 2}));
        // Written keys win, then the earlier merged mapping; written keys come first.
        let one: Vec<(&String, &Value)> = v["one"].as_object().unwrap().iter().collect();
        assert_eq!(
            format!("{one:?}"),
            r#"[("y", Number(3)), ("x", Number(1))]"#
        );
        assert_eq!(
            v["two"],
            serde_json::json!({"w": 0, "y": 20, "z": 30, "x": 1})
        );
        assert!(v["one"].get("<<").is_none());
        assert_eq!(err(b"a:\n  <<: 5\n").code, Code::Apig3600);
        // A key written twice is refused even next to a merge.
        assert_eq!(
            err(b"b: &b {x: 1}\na:\n  <<: *b\n  y: 1\n  y: 2\n").code,
            Code::Apig3600
        );
    }

    #[test]
    fn yaml_tags() {
        let v = ok(
            "a: !!str 123\nb: !!int '42'\nc: ! 12\nd: !custom 7\ne: !!float 1.5\nf: !!bool true\n",
        );
        assert_eq!(v["a"], "123");
        assert_eq!(v["b"], 42);
        assert_eq!(v["c"], "12");
        assert_eq!(v["d"], 7);
        assert_eq!(v["e"], 1.5);
        assert_eq!(v["f"], true);
        let e = err(b"a: 1\nb: !!int abc\n");
        assert_eq!(e.code, Code::Apig3600);
        assert!(
            e.message
                .contains("\"abc\" is not a valid !!int at line 2 column"),
            "{}",
            e.message
        );
    }

    #[test]
    fn yaml_documents_markers_and_streams() {
        assert_eq!(ok("---\na: 1\n...\n")["a"], 1);
        assert_eq!(ok("\u{feff}a: 1\n")["a"], 1);
        let e = err(b"a: 1\n---\nb: 2\n");
        assert_eq!(e.code, Code::Apig3602);
        located_once(&e, 2, 1);
    }

    #[test]
    fn odd_yaml_aliases_and_keys() {
        // An alias inside its own anchor would never end.
        assert_eq!(err(b"a: &a [1, *a]\n").code, Code::Apig3602);
        // An unknown alias is a syntax error.
        assert_eq!(err(b"a: *nope\n").code, Code::Apig3600);
        // A list or mapping as a key has no JSON form.
        assert_eq!(err(b"? [a, b]\n: c\n").code, Code::Apig3600);
        // An anchored scalar may be reused as a key.
        let v = ok("k: &k name\nm: {*k : 1}\n");
        assert_eq!(v["m"]["name"], 1);
    }
}
