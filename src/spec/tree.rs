//! The decoded document: a compact tree whose every part lives in one arena.
//!
//! A document is decoded once, read by the mapping, and dropped whole. `serde_json::Value`
//! spent most of that on the allocator: one allocation per string, two per object (entries
//! and hash table), every key hashed, and as many frees at the end (43 % of decoding a
//! 5,000-operation JSON document, 80 bytes a value). Here strings, lists and objects are
//! slices of a [`Bump`] arena, a value is 24 bytes, and the whole tree is freed with the
//! arena, a few large blocks.
//!
//! Objects keep their entries in document order; those of more than [`SMALL`] entries
//! (`paths`, `components/schemas`) also carry an index sorted by key, so that a `$ref`
//! into them is a binary search, not a scan.

use bumpalo::Bump;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
pub use serde_json::Number;
use std::fmt;

/// Objects of at most this many entries are searched in order, without an index: most of
/// a document's objects have a handful of fields, and comparing them in order is cheaper
/// than any look-up structure.
pub const SMALL: usize = 16;

/// Where a decoded document lives: the tree's arena, and a second one for the part of a
/// large YAML document that another thread builds at the same time (a `Bump` is not shared
/// between threads, only lent; see `yaml::Parsing::Threads`). Both are dropped with the tree.
#[derive(Default)]
pub struct Arena {
    pub(super) tree: Bump,
    pub(super) side: Bump,
}

/// A value of the decoded document.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(&'a [Value<'a>]),
    Object(&'a Object<'a>),
}

/// An object: its entries in document order, keys unique (the decoders refuse duplicates).
#[derive(Debug)]
pub struct Object<'a> {
    entries: &'a [(&'a str, Value<'a>)],
    /// Positions of `entries` sorted by key; empty for objects of at most [`SMALL`] entries.
    index: &'a [u32],
}

impl PartialEq for Object<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<'a> Object<'a> {
    /// An object of `entries` (unique keys), in `arena`.
    pub fn new_in(arena: &'a Bump, entries: &'a [(&'a str, Value<'a>)]) -> &'a Object<'a> {
        let index: &'a [u32] = if entries.len() > SMALL {
            // The decoders stop long before 4 G entries (the document-size limit).
            let index = arena.alloc_slice_fill_iter((0..entries.len()).map(|i| i as u32));
            index.sort_unstable_by(|&a, &b| entries[a as usize].0.cmp(entries[b as usize].0));
            index
        } else {
            &[]
        };
        arena.alloc(Object { entries, index })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`, null values included.
    pub fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The entry of `key` (the key as the tree holds it), null values included.
    pub fn get_entry(&self, key: &str) -> Option<(&'a str, &'a Value<'a>)> {
        self.position(key).and_then(|at| self.entry_at(at))
    }

    /// Where `key` is among the entries (document order), for [`Object::entry_at`].
    pub fn position(&self, key: &str) -> Option<usize> {
        let entries = self.entries;
        if self.index.is_empty() {
            entries.iter().position(|(k, _)| *k == key)
        } else {
            self.index
                .binary_search_by(|&i| entries[i as usize].0.cmp(key))
                .ok()
                .map(|at| self.index[at] as usize)
        }
    }

    /// The entry at a position in document order.
    pub fn entry_at(&self, at: usize) -> Option<(&'a str, &'a Value<'a>)> {
        self.entries.get(at).map(|(k, v)| (*k, v))
    }

    /// The entries in document order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a Value<'a>)> + 'a {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    pub fn keys(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        self.entries.iter().map(|(k, _)| *k)
    }
}

impl<'a> Value<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }
    pub fn is_i64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_i64())
    }
    pub fn is_u64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_u64())
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&'a [Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&'a Object<'a>> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The field `key` of an object (null values included); `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        self.as_object()?.get(key)
    }

    /// A copy of a `serde_json::Value` in `arena` (tests build their documents so).
    #[cfg(test)]
    pub fn from_json(arena: &'a Bump, value: &serde_json::Value) -> Value<'a> {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.clone()),
            serde_json::Value::String(s) => Value::String(arena.alloc_str(s)),
            serde_json::Value::Array(items) => Value::Array(
                arena.alloc_slice_fill_iter(items.iter().map(|v| Value::from_json(arena, v))),
            ),
            serde_json::Value::Object(map) => {
                let entries = arena.alloc_slice_fill_iter(
                    map.iter()
                        .map(|(k, v)| (&*arena.alloc_str(k), Value::from_json(arena, v))),
                );
                Value::Object(Object::new_in(arena, entries))
            }
        }
    }

    /// The same value as a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String((*s).to_string()),
            Value::Array(items) => items.iter().map(Value::to_json).collect(),
            Value::Object(object) => serde_json::Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.len()))?;
                for (k, v) in object.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Compact JSON, as `serde_json::Value` displays.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// A tree of `doc` in an arena that lives until the test process ends.
#[cfg(test)]
pub fn leaked(doc: &serde_json::Value) -> &'static Value<'static> {
    let arena = leaked_arena();
    arena.alloc(Value::from_json(arena, doc))
}

/// An arena that lives until the test process ends.
#[cfg(test)]
pub fn leaked_arena() -> &'static Bump {
    Box::leak(Box::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_and_large_objects_find_every_key_and_keep_their_order() {
        for n in [0, 1, SMALL, SMALL + 1, 200] {
            let doc: serde_json::Map<String, serde_json::Value> =
                (0..n).map(|i| (format!("k{}", n - i), json!(i))).collect();
            let doc = serde_json::Value::Object(doc);
            let tree = leaked(&doc);
            let object = tree.as_object().unwrap();
            let keys: Vec<String> = object.keys().map(str::to_string).collect();
            let expected: Vec<String> = (0..n).map(|i| format!("k{}", n - i)).collect();
            assert_eq!(keys, expected, "{n} entries");
            for (i, key) in expected.iter().enumerate() {
                assert_eq!(
                    tree.get(key),
                    Some(&Value::Number(i.into())),
                    "{key} of {n}"
                );
            }
            assert_eq!(tree.get("k0"), None);
            assert_eq!(tree.get("zzz"), None);
        }
    }

    #[test]
    fn serializes_as_serde_json_does() {
        let doc = json!({"b": [1, -2, 1.5, 1e300, "x\"y", null, true], "a": {}, "c": []});
        let tree = leaked(&doc);
        assert_eq!(tree.to_string(), doc.to_string());
        assert_eq!(tree.to_json(), doc);
        assert_eq!(leaked(&json!("é")).to_string(), "\"é\"");
    }

    #[test]
    fn values_are_three_words() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}
