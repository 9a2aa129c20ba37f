//! A value of the document together with its JSON pointer, and typed readers for its fields.
//!
//! Every per-API failure must name the field and where it is; carrying the pointer with the
//! value makes that automatic. Readers return `Ok(None)` for an absent (or null) field and
//! an `APIG.2011` failure for a present field of the wrong shape.

use super::tree::Value;
use crate::error::{echo, ApiFailure, Code};
use bumpalo::Bump;
use std::borrow::Cow;

/// A failure found inside a definition reached through `$ref`, located from where the
/// operation uses it: `(at <definition>)` becomes `(at <use site>, defined at <definition>)`,
/// because the definition alone does not say which operation failed.
pub fn at_use_site(mut failure: ApiFailure, use_site: &str) -> ApiFailure {
    if let Some(start) = failure.message.rfind(" (at ") {
        let site = crate::error::echo_pointer(use_site);
        let rest = failure.message[start + " (at ".len()..].to_string();
        // Already located at the use site (a broken `$ref` itself): nothing to add.
        if rest.starts_with(&site) {
            return failure;
        }
        failure.message.truncate(start);
        failure
            .message
            .push_str(&format!(" (at {site}, defined at {rest}"));
    }
    failure
}

/// The pointer of the child `token` of the value at `parent`.
pub fn join_pointer(parent: &str, token: &str) -> String {
    // One allocation: field reads build a pointer per field (the mapping's hot path).
    let mut pointer = String::with_capacity(parent.len() + 1 + token.len());
    pointer.push_str(parent);
    pointer.push('/');
    push_escaped(&mut pointer, token);
    pointer
}

/// Escape one reference token of a JSON pointer (RFC 6901).
#[cfg(test)]
fn escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    push_escaped(&mut out, token);
    out
}

/// Append `token` escaped. Most tokens have nothing to escape: they are copied whole.
fn push_escaped(out: &mut String, token: &str) {
    let mut rest = token;
    // Both escaped characters are ASCII: the text between them is copied whole.
    while let Some(at) = memchr::memchr2(b'~', b'/', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        out.push_str(if rest.as_bytes()[at] == b'~' {
            "~0"
        } else {
            "~1"
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Append the pointer of `step`: its parent's, then its own token. Recursion as deep as
/// the document's nesting (at most `max_depth`, 128 by default) plus the `$ref`s followed.
fn render_step(step: &Step<'_>, out: &mut String) {
    if let Some(parent) = step.parent {
        render_step(parent, out);
    }
    match step.token {
        Token::Pointer(pointer) => out.push_str(pointer),
        Token::Reference(fragment) => {
            out.push_str(&percent_encoding::percent_decode_str(fragment).decode_utf8_lossy())
        }
        Token::Key(key) => {
            out.push('/');
            push_escaped(out, key);
        }
        Token::Index(i) => {
            out.push('/');
            out.push_str(itoa::Buffer::new().format(i));
        }
    }
}

/// Where a node is: a step below its parent, or a pointer given whole (the root, the target
/// of a `$ref`). Steps live in the mapping's arena and are rendered as a JSON pointer only
/// when a failure or an output needs one: most nodes the mapping visits never fail, and
/// building each one's pointer as it was reached was a sixth of the mapping's work.
#[derive(Debug)]
struct Step<'a> {
    parent: Option<&'a Step<'a>>,
    token: Token<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    /// A whole pointer, escaped already.
    Pointer(&'a str),
    /// A whole pointer as a `$ref` fragment spells it (percent-encoded), borrowed from the
    /// document: decoded only when rendered, so that following a reference copies nothing.
    Reference(&'a str),
    /// An object key, escaped when rendered.
    Key(&'a str),
    Index(usize),
}

#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub value: &'a Value<'a>,
    at: &'a Step<'a>,
    /// Where the steps of this node's descendants are allocated.
    steps: &'a Bump,
}

impl<'a> Node<'a> {
    /// The value at `pointer` (a JSON pointer, escaped); its descendants' steps go into
    /// `steps`.
    pub fn new(value: &'a Value<'a>, pointer: &'a str, steps: &'a Bump) -> Self {
        Node::starting(value, Token::Pointer(pointer), steps)
    }

    fn starting(value: &'a Value<'a>, token: Token<'a>, steps: &'a Bump) -> Self {
        Node {
            value,
            at: steps.alloc(Step {
                parent: None,
                token,
            }),
            steps,
        }
    }

    pub fn root(value: &'a Value<'a>, steps: &'a Bump) -> Self {
        Node::new(value, "", steps)
    }

    /// The target `value` of the `$ref` fragment `fragment` (what follows `#`, percent-encoded
    /// as written; it must decode as UTF-8), its steps where this node's are.
    pub fn referenced(&self, value: &'a Value<'a>, fragment: &'a str) -> Node<'a> {
        Node::starting(value, Token::Reference(fragment), self.steps)
    }

    /// The document's root, its steps where this node's are (so that a reading that starts
    /// from the root for an operation is freed with that operation's).
    pub fn root_beside(&self, root: &'a Value<'a>) -> Node<'a> {
        Node::root(root, self.steps)
    }

    /// The same node, its descendants' steps allocated in `steps` (an arena that lives
    /// shorter than this node's, to be reset when they are done with).
    pub fn with_steps<'b>(&self, steps: &'b Bump) -> Node<'b>
    where
        'a: 'b,
    {
        Node {
            value: self.value,
            at: self.at,
            steps,
        }
    }

    /// This node's JSON pointer (RFC 6901).
    pub fn pointer(&self) -> String {
        let mut length = 0;
        let mut step = Some(self.at);
        while let Some(s) = step {
            length += match s.token {
                Token::Pointer(text) | Token::Reference(text) | Token::Key(text) => text.len() + 1,
                Token::Index(_) => 4,
            };
            step = s.parent;
        }
        // Escapes may still grow it; most pointers need no second allocation.
        let mut out = String::with_capacity(length + 8);
        render_step(self.at, &mut out);
        out
    }

    /// Is this node `other` itself, or a copy of it (not the target of a `$ref` reached
    /// from it: `Document::resolve` gives back the node it was given when there is none)?
    pub fn same_place(&self, other: &Node<'_>) -> bool {
        std::ptr::eq(self.at, other.at)
    }

    /// The pointer of a child of this node.
    pub fn child_pointer(&self, token: &str) -> String {
        join_pointer(&self.pointer(), token)
    }

    fn child(&self, value: &'a Value<'a>, token: Token<'a>) -> Node<'a> {
        Node {
            value,
            at: self.steps.alloc(Step {
                parent: Some(self.at),
                token,
            }),
            steps: self.steps,
        }
    }

    /// The node of the entry (`key`, `value`) of this object, as its `iter()` gives it.
    pub fn entry(&self, key: &'a str, value: &'a Value<'a>) -> Node<'a> {
        self.child(value, Token::Key(key))
    }

    /// The child `key` of an object; `None` when absent, null, or this is not an object.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let (key, value) = self.value.as_object()?.get_entry(key)?;
        (!value.is_null()).then(|| self.child(value, Token::Key(key)))
    }

    /// The value of field `key`; `None` when absent, null, or this is not an object. No
    /// pointer is built: readers build one only to report a failure.
    fn field(&self, key: &str) -> Option<&'a Value<'a>> {
        self.value.get(key).filter(|value| !value.is_null())
    }

    /// The entries of an object, in document order (empty if not an object).
    pub fn entries(&self) -> Vec<(&'a str, Node<'a>)> {
        self.value
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k, self.child(v, Token::Key(k))))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entries of an object whose value passes `keep`, as they are visited: a node is
    /// made only for the entries kept and reached, so that a search stays cheap on a large
    /// object.
    pub fn entries_lazy_where<'s>(
        &'s self,
        keep: fn(&Value<'a>) -> bool,
    ) -> impl Iterator<Item = (&'a str, Node<'a>)> + 's {
        self.value
            .as_object()
            .into_iter()
            .flat_map(|map| map.iter())
            .filter(move |(_, v)| keep(v))
            .map(|(k, v)| (k, self.child(v, Token::Key(k))))
    }

    /// The items of an array (empty if not an array).
    pub fn items(&self) -> impl ExactSizeIterator<Item = Node<'a>> + 'a {
        self.items_of(self.value.as_array().unwrap_or_default())
    }

    /// Nodes for `values`, items of this node (made as the iterator reaches them: the
    /// mapping reads most lists once, and a list of nodes was an allocation per list).
    fn items_of(&self, values: &'a [Value<'a>]) -> impl ExactSizeIterator<Item = Node<'a>> + 'a {
        let parent = self.clone();
        values
            .iter()
            .enumerate()
            .map(move |(i, v)| parent.child(v, Token::Index(i)))
    }

    /// A failure about this node, naming it as `field`.
    pub fn fail(&self, code: Code, field: &str, detail: impl AsRef<str>) -> ApiFailure {
        ApiFailure::field(code, field, &self.pointer(), detail)
    }

    /// An `APIG.2011` failure about this node.
    pub fn invalid(&self, field: &str, detail: impl AsRef<str>) -> ApiFailure {
        self.fail(Code::Apig2011, field, detail)
    }

    /// The field `key`, which must be an object when present.
    pub fn object(&self, key: &str) -> Result<Option<Node<'a>>, ApiFailure> {
        match self.get(key) {
            Some(node) if !node.value.is_object() => Err(node.invalid(key, "must be an object")),
            other => Ok(other),
        }
    }

    /// The field `key`, which must be an array when present.
    pub fn array(
        &self,
        key: &str,
    ) -> Result<impl ExactSizeIterator<Item = Node<'a>> + 'a, ApiFailure> {
        match self.get(key) {
            None => Ok(self.items_of(&[])),
            Some(node) => match node.value.as_array() {
                Some(values) => Ok(node.items_of(values)),
                None => Err(node.invalid(key, "must be an array")),
            },
        }
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ApiFailure> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.field_node(key).invalid(key, "must be a string")),
        }
    }

    /// A required string field.
    pub fn required_str(&self, key: &str) -> Result<&'a str, ApiFailure> {
        self.str(key)?
            .ok_or_else(|| self.invalid(key, format!("the field {key} is required")))
    }

    /// A string field of at most `max` characters.
    pub fn str_max(&self, key: &str, max: usize) -> Result<Option<&'a str>, ApiFailure> {
        let value = self.str(key)?;
        if let Some(s) = value {
            let count = s.chars().count();
            if count > max {
                return Err(self.field_node(key).invalid(
                    key,
                    format!("must have at most {max} characters, it has {count}"),
                ));
            }
        }
        Ok(value)
    }

    /// A string field cut to `max` characters. For OpenAPI's own prose (`description`,
    /// `summary`), which public documents write at any length and APIG only displays.
    pub fn str_truncated(&self, key: &str, max: usize) -> Result<Option<String>, ApiFailure> {
        Ok(self.str(key)?.map(|s| match s.char_indices().nth(max) {
            Some((end, _)) => s[..end].to_string(),
            None => s.to_string(),
        }))
    }

    /// A scalar rendered as text: strings as they are, numbers and booleans in their JSON
    /// form (YAML authors often leave `value: 1` unquoted).
    pub fn text(&self, key: &str) -> Result<Option<String>, ApiFailure> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some((*s).to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.field_node(key).invalid(key, "must be a string")),
        }
    }

    /// A boolean field; `"true"`/`"false"` strings are accepted in any case.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiFailure> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(self.field_node(key).invalid(key, "must be a boolean")),
        }
    }

    /// An integer field: a whole number, or a string holding one.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiFailure> {
        match self.field(key) {
            None => Ok(None),
            Some(value) => integer(value)
                .map(Some)
                .ok_or_else(|| self.field_node(key).invalid(key, "must be an integer")),
        }
    }

    /// An integer field within `range`.
    pub fn int_in(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        code: Code,
    ) -> Result<Option<i64>, ApiFailure> {
        let value = self.int(key)?;
        match value {
            Some(v) if !range.contains(&v) => Err(self.field_node(key).fail(
                code,
                key,
                format!(
                    "must be between {} and {}, it is {v}",
                    range.start(),
                    range.end()
                ),
            )),
            _ => Ok(value),
        }
    }

    /// A number field (integer or not), or a string holding one.
    pub fn number(&self, key: &str) -> Result<Option<f64>, ApiFailure> {
        match self.field(key) {
            None => Ok(None),
            Some(value) => {
                let n = match value {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                    _ => None,
                };
                n.map(Some)
                    .ok_or_else(|| self.field_node(key).invalid(key, "must be a number"))
            }
        }
    }

    /// An array field of at most `max` items (absent → empty). Counted before any item is
    /// looked at, so that an oversized list costs nothing but its length; more items fail
    /// with `code`, naming the collection (`what`), the limit and the location.
    pub fn array_max(
        &self,
        key: &str,
        max: usize,
        code: Code,
        what: &str,
    ) -> Result<impl ExactSizeIterator<Item = Node<'a>> + 'a, ApiFailure> {
        let len = self
            .field(key)
            .and_then(Value::as_array)
            .map_or(0, <[Value]>::len);
        if len > max {
            return Err(self.field_node(key).fail(
                code,
                key,
                format!("at most {max} {what}, it has {len}"),
            ));
        }
        self.array(key)
    }

    /// An array of at most `max` strings (absent → empty); see [`Node::array_max`].
    pub fn str_list_max(
        &self,
        key: &str,
        max: usize,
        code: Code,
        what: &str,
    ) -> Result<Vec<String>, ApiFailure> {
        self.array_max(key, max, code, what)?
            .map(|item| match item.value.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(item.invalid(key, "every item must be a string")),
            })
            .collect()
    }

    /// An array of strings (absent → empty).
    pub fn str_list(&self, key: &str) -> Result<Vec<String>, ApiFailure> {
        self.array(key)?
            .map(|item| match item.value.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(item.invalid(key, "every item must be a string")),
            })
            .collect()
    }

    /// One of `choices` (compared case-insensitively).
    pub fn choice<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, ApiFailure> {
        let Some(text) = self.str(key)? else {
            return Ok(None);
        };
        choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text.trim()))
            .map(|(_, value)| Some(*value))
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
                self.field_node(key).invalid(
                    key,
                    format!(
                        "{text:?} is not one of {}",
                        names.join(", "),
                        text = echo(text)
                    ),
                )
            })
    }

    /// The node of field `key` for error reporting (this node when absent).
    pub fn field_node(&self, key: &str) -> Node<'a> {
        self.get(key).unwrap_or_else(|| self.clone())
    }
}

/// The value a JSON pointer (RFC 6901) designates in `root`, as `Value::pointer` finds it,
/// without its two allocations per reference token: a token is unescaped only when it
/// holds `~`. Also gives the target's position: the index of each step (an
/// object's entry in document order, an array's item) is pushed on `positions`, which
/// [`at_positions`] follows back to the same value without reading a key.
pub fn locate_pointer<'a>(
    root: &'a Value<'a>,
    pointer: &str,
    positions: &mut Vec<u32>,
) -> Option<&'a Value<'a>> {
    if pointer.is_empty() {
        return Some(root);
    }
    pointer
        .strip_prefix('/')?
        .split('/')
        .try_fold(root, |target, token| {
            let token = if token.contains('~') {
                Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
            } else {
                Cow::Borrowed(token)
            };
            let (at, value) = match target {
                Value::Object(object) => {
                    let at = object.position(&token)?;
                    (at, object.entry_at(at)?.1)
                }
                Value::Array(items) => {
                    let at = array_index(&token)?;
                    (at, items.get(at)?)
                }
                _ => return None,
            };
            // Positions fit: the decoders stop long before 4 G entries.
            positions.push(u32::try_from(at).ok()?);
            Some(value)
        })
}

/// The value at `positions` (from [`locate_pointer`]) below `root`.
pub fn at_positions<'a>(root: &'a Value<'a>, positions: &[u32]) -> Option<&'a Value<'a>> {
    positions.iter().try_fold(root, |target, &at| match target {
        Value::Object(object) => object.entry_at(at as usize).map(|(_, v)| v),
        Value::Array(items) => items.get(at as usize),
        _ => None,
    })
}

/// An array index token: digits without a sign or a leading zero (RFC 6901).
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() > 1) {
        return None;
    }
    token.parse().ok()
}

/// A whole number from a JSON number (`3000`, `3000.0`) or a numeric string (`"2"`).
pub fn integer(value: &Value<'_>) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scalar example or default rendered as text: strings as they are, everything else as JSON.
pub fn render(value: &Value<'_>) -> String {
    match value {
        Value::String(s) => (*s).to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{leaked, leaked_arena};
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_escape_slash_and_tilde() {
        let doc = json!({"paths": {"/users/{id}": {"get": {"parameters": [{"in": "path"}]}}}});
        let root = Node::root(leaked(&doc), leaked_arena());
        let op = root
            .get("paths")
            .and_then(|p| p.get("/users/{id}"))
            .and_then(|p| p.get("get"))
            .unwrap();
        let mut params = op.array("parameters").unwrap();
        assert_eq!(
            params.next().unwrap().pointer(),
            "/paths/~1users~1{id}/get/parameters/0"
        );
        assert_eq!(escape("a~b/c"), "a~0b~1c");
        assert_eq!(escape("~/é~"), "~0~1é~0");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(root.child_pointer("a/b"), "/a~1b");
        assert_eq!(op.child_pointer("x~"), "/paths/~1users~1{id}/get/x~0");
    }

    #[test]
    fn pointers_are_rendered_from_the_steps_taken() {
        let doc = json!({"a/b": [{"c~": {"d": 1}}], "defs": {"x": {"y": [true]}}});
        let tree = leaked(&doc);
        let root = Node::root(tree, leaked_arena());
        let deep = root
            .get("a/b")
            .unwrap()
            .items()
            .next()
            .unwrap()
            .get("c~")
            .and_then(|n| n.get("d"))
            .unwrap();
        assert_eq!(deep.pointer(), "/a~1b/0/c~0/d");
        // A `$ref` target starts from its own pointer; its children go on from there.
        let target = locate_pointer(tree, "/defs/x", &mut Vec::new()).unwrap();
        let elsewhere = deep.referenced(target, "/d%65fs/x");
        assert_eq!(
            elsewhere.array("y").unwrap().next().unwrap().pointer(),
            "/defs/x/y/0"
        );
        // Moved to another arena, a node keeps its place; its children's steps go there.
        let steps = Bump::new();
        let moved = elsewhere.with_steps(&steps);
        assert!(moved.same_place(&elsewhere));
        assert_eq!(moved.get("y").unwrap().pointer(), "/defs/x/y");
        assert!(!moved.same_place(&deep));
        assert!(root.same_place(&root.clone()));
    }

    #[test]
    fn string_reader_without_pointer_still_locates_failures() {
        let doc = json!({"x": {"s": "text", "n": 1, "z": null, "a/b": ["x"]}});
        let x = Node::root(leaked(&doc), leaked_arena()).get("x").unwrap();
        assert_eq!(x.str("s").unwrap(), Some("text"));
        assert_eq!(x.str("z").unwrap(), None);
        assert_eq!(x.str("missing").unwrap(), None);
        let e = x.str("n").unwrap_err();
        assert_eq!(e.code, Code::Apig2011);
        assert!(e.message.contains("(at /x/n)"), "{}", e.message);
        let e = x.str("a/b").unwrap_err();
        assert!(e.message.contains("(at /x/a~1b)"), "{}", e.message);
    }

    #[test]
    fn typed_readers_report_the_field_and_pointer() {
        let doc = json!({"x": {"timeout": "abc", "retry": "3", "flag": "TRUE", "n": 3000.0}});
        let x = Node::root(leaked(&doc), leaked_arena()).get("x").unwrap();
        let e = x.int("timeout").unwrap_err();
        assert_eq!(e.code, Code::Apig2011);
        assert!(e.message.contains("parameterName:timeout"), "{}", e.message);
        assert!(e.message.contains("(at /x/timeout)"), "{}", e.message);
        assert_eq!(x.int("retry").unwrap(), Some(3));
        assert_eq!(x.int("n").unwrap(), Some(3000));
        assert_eq!(x.bool("flag").unwrap(), Some(true));
        assert_eq!(x.int("missing").unwrap(), None);
        let e = x.int_in("retry", -1..=2, Code::Apig2011).unwrap_err();
        assert!(e.message.contains("between -1 and 2"), "{}", e.message);
    }

    #[test]
    fn pointers_resolve_as_serde_json_resolves_them() {
        let doc = json!({
            "components": {"schemas": {"a/b": {"c~d": [10, 20, {"e": true}]}, "": 5}},
            "list": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        });
        for pointer in [
            "",
            "/",
            "/components",
            "/components/schemas/a~1b",
            "/components/schemas/a~1b/c~0d/2/e",
            "/components/schemas/a~1b/c~0d/1",
            "/components/schemas/",
            "/components/schemas/a/b",
            "/components/schemas/a~1b/c~0d/01",
            "/components/schemas/a~1b/c~0d/+1",
            "/components/schemas/a~1b/c~0d/-1",
            "/components/schemas/a~1b/c~0d/3",
            "/list/11",
            "/list/012",
            "components",
            "/missing/x",
        ] {
            let root = leaked(&doc);
            let mut positions = Vec::new();
            let found = locate_pointer(root, pointer, &mut positions);
            assert_eq!(
                found.map(Value::to_json),
                doc.pointer(pointer).cloned(),
                "{pointer:?}"
            );
            // Its position leads back to the same value, without reading a key.
            if let Some(found) = found {
                let again = at_positions(root, &positions).unwrap();
                assert!(std::ptr::eq(found, again), "{pointer:?}");
            }
        }
    }

    #[test]
    fn prose_is_cut_at_a_character_boundary() {
        let doc = json!({"d": "éàü-abc", "short": "ab"});
        let n = Node::root(leaked(&doc), leaked_arena());
        assert_eq!(n.str_truncated("d", 2).unwrap().as_deref(), Some("éà"));
        assert_eq!(n.str_truncated("d", 7).unwrap().as_deref(), Some("éàü-abc"));
        assert_eq!(n.str_truncated("short", 5).unwrap().as_deref(), Some("ab"));
        assert_eq!(n.str_truncated("missing", 5).unwrap(), None);
    }

    #[test]
    fn choices_are_case_insensitive() {
        let doc = json!({"unit": "minute", "bad": "week"});
        let n = Node::root(leaked(&doc), leaked_arena());
        let choices = [("SECOND", 1), ("MINUTE", 2)];
        assert_eq!(n.choice("unit", &choices).unwrap(), Some(2));
        let e = n.choice("bad", &choices).unwrap_err();
        assert!(
            e.message.contains("\"week\" is not one of SECOND, MINUTE"),
            "{}",
            e.message
        );
    }
}
