//! Bytes → `serde_json::Value`, within the limits of `import-api.md` §3.1 and §6.
//!
//! JSON or YAML is told from the content (first non-blank byte `{` or `[` → JSON), never
//! from a file name or a part header. Every step is bounded by the input: the size is
//! checked first, YAML runs under a budget scaled to the input (alias bombs fail fast),
//! and the nesting depth of the result is checked without recursion.

use super::bounded::{BoundedValue, TOO_DEEP};
use crate::config::Limits;
use crate::error::{ApigError, Code};
use serde::de::DeserializeSeed;
use serde_json::Value;
use serde_saphyr::options::{DuplicateKeyPolicy, NonFiniteFloatPolicy};

/// Alias replay allowed on top of the input's own size, in parser events. A legitimate
/// document reuses blocks (a standard error response, a common parameter set) a few
/// hundred times; a billion-laughs document asks for millions of events and fails fast.
const REPLAY_FLOOR_EVENTS: usize = 256 * 1024;

/// Stack for the decoding thread. Deserialization recurses once per nesting level and a
/// level costs up to ~30 KB in unoptimised builds, so the 2 MiB of a test or tokio worker
/// thread overflows well before the 128-level limit. Only touched pages are committed.
const DECODE_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Decode a document; the result is guaranteed to be an object no deeper than
/// `limits.max_depth` (enforced while building it, see `bounded`).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Value, ApigError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("spec-decode".into())
            .stack_size(DECODE_STACK_BYTES)
            .spawn_scoped(scope, || decode_here(bytes, limits))
            .map_err(|_| ApigError::internal())?
            .join()
            .map_err(|_| ApigError::internal())?
    })
}

fn decode_here(bytes: &[u8], limits: &Limits) -> Result<Value, ApigError> {
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
    let value = if first == b'{' || first == b'[' {
        decode_json(bytes, limits)?
    } else {
        decode_yaml(bytes, limits)?
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

fn decode_json(bytes: &[u8], limits: &Limits) -> Result<Value, ApigError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = root_seed(limits)
        .deserialize(&mut deserializer)
        .and_then(|v| deserializer.end().map(|()| v));
    value.map_err(|e| {
        // serde_json stops at 128 levels of nesting; that is a bomb, not a typo.
        let text = e.to_string();
        if text.contains("recursion limit exceeded") || text.contains(TOO_DEEP) {
            ApigError::new(
                Code::Apig3602,
                format!(
                    "the document is nested too deeply (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        } else {
            // serde_json's message already ends with "at line L column C".
            ApigError::new(Code::Apig3600, e.to_string())
        }
    })
}

fn yaml_options(input_len: usize, limits: &Limits) -> serde_saphyr::Options {
    // Every raw event or node costs at least one byte of input (plus a little slack for
    // the stream's own start/end events), so these caps never refuse a real document; the
    // document-size limit is what bounds them. Replayed aliases count too, so each cap also
    // allows the expansion budget: the expanded text may be as large again as the size limit.
    let replay_events = input_len.saturating_add(REPLAY_FLOOR_EVENTS);
    let budget = serde_saphyr::budget! {
        max_events: input_len.saturating_mul(2).saturating_add(replay_events).saturating_add(1024),
        max_nodes: input_len.saturating_add(replay_events).saturating_add(1024),
        max_aliases: input_len / 2 + 1024,
        max_anchors: input_len / 2 + 1024,
        max_depth: limits.max_depth,
        max_documents: 1,
        max_total_scalar_bytes: input_len.saturating_add(limits.max_document_bytes),
        // The ratio heuristic would refuse a document that reuses one anchored block many
        // times; the replay limits below are the real bound on expansion.
        enforce_alias_anchor_ratio: false,
    };
    let alias_limits = serde_saphyr::alias_limits! {
        max_total_replayed_events: replay_events,
        // An alias inside an anchored block inside ... : each level multiplies the depth
        // of the result, so keep the chain short.
        max_replay_stack_depth: 8,
    };
    serde_saphyr::options! {
        budget: budget,
        alias_limits: alias_limits,
        // YAML 1.2: `yes`, `on`, `NO` are strings, not booleans.
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::Error,
        // `.nan` / `.inf` in an example stay text rather than failing the document.
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        with_snippet: false,
        crop_radius: 0,
    }
}

fn decode_yaml(bytes: &[u8], limits: &Limits) -> Result<Value, ApigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        ApigError::new(
            Code::Apig3600,
            format!("the document is not valid UTF-8 at line {line} column {column}"),
        )
    })?;
    let options = yaml_options(bytes.len(), limits);
    serde_saphyr::with_deserializer_from_str_with_options(text, options, |d| {
        root_seed(limits).deserialize(d)
    })
    .map_err(|e| yaml_error(&e))
}

/// Bombs, excessive nesting and multi-document streams are `APIG.3602`; everything else is a
/// syntax error with its location.
fn yaml_error(error: &serde_saphyr::Error) -> ApigError {
    use serde_saphyr::Error as E;
    let mut inner = error;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let at = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| format!(" at line {} column {}", l.line(), l.column()))
        .unwrap_or_default();
    match inner {
        E::Budget { breach, .. } => ApigError::new(
            Code::Apig3602,
            format!("the YAML document exceeds the expansion limits ({breach:?}){at}"),
        ),
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => ApigError::new(
            Code::Apig3602,
            format!("YAML alias expansion exceeds the size limit{at}"),
        ),
        E::MultipleDocuments { .. } => ApigError::new(
            Code::Apig3602,
            format!("the file holds more than one YAML document{at}"),
        ),
        other => {
            let text = first_line(other);
            if text.contains(TOO_DEEP) {
                ApigError::new(Code::Apig3602, format!("{text}{at}"))
            } else {
                ApigError::new(Code::Apig3600, format!("{text}{at}"))
            }
        }
    }
}

fn root_seed(limits: &Limits) -> BoundedValue {
    BoundedValue {
        depth: 0,
        max_depth: limits.max_depth,
    }
}

/// The error's message without the location or snippet lines the library may add.
fn first_line(error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or("invalid YAML").to_string()
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
    use super::*;

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
    fn deep_json_is_3602() {
        let doc = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let e = err(doc.as_bytes());
        assert_eq!(e.code, Code::Apig3602, "{}", e.message);
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
    fn a_scalar_document_is_not_a_spec() {
        assert_eq!(err(b"hello").code, Code::Apig3602);
        assert_eq!(err(b"[1, 2]").code, Code::Apig3602);
        assert_eq!(err(b"# only a comment\n").code, Code::Apig3602);
    }

    #[test]
    fn multiple_yaml_documents_are_3602() {
        assert_eq!(err(b"a: 1\n---\nb: 2\n").code, Code::Apig3602);
    }
}
