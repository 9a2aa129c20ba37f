//! The JSON decoder's builder of the document tree (`tree`): it refuses to nest deeper than
//! a limit and refuses duplicate keys, at the key.
//!
//! serde_json's own guard stops at 128 levels whatever the limit says, and deserializing
//! recurses once per level: counting here makes the limit the one that applies, before
//! the recursion happens.

use super::object::{ListBuilder, ObjectBuilder, Stacks};
use super::tree::Value;
use crate::error::echo;
use bumpalo::Bump;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::cell::RefCell;
use std::fmt;

/// Error text markers, recognised by `decode` to choose the error code.
pub const TOO_DEEP: &str = "document nesting exceeds the depth limit";
pub const DUPLICATE_KEY: &str = "duplicate key";

/// Deserialize one value at `depth` (the root is at depth 0; `{}` at the root reaches 1):
/// its strings are slices of the text when they can be, its other parts go into `arena`.
pub struct BoundedValue<'s, 'a> {
    pub depth: usize,
    pub max_depth: usize,
    pub arena: &'a Bump,
    /// Entries and items of the collections being built (see `object`).
    pub stacks: &'s RefCell<Stacks<'a>>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for BoundedValue<'_, 'a> {
    type Value = Value<'a>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s, 'a> BoundedValue<'s, 'a> {
    fn deeper<E: de::Error>(&self) -> Result<BoundedValue<'s, 'a>, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format!("{TOO_DEEP} ({})", self.max_depth)));
        }
        Ok(BoundedValue {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            arena: self.arena,
            stacks: self.stacks,
        })
    }
}

impl<'de: 'a, 'a> Visitor<'de> for BoundedValue<'_, 'a> {
    type Value = Value<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON-compatible value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'a>, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value<'a>, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value<'a>, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value<'a>, E> {
        // Non-finite numbers have no JSON form; keep their text.
        Ok(Number::from_f64(v).map_or_else(
            || Value::String(self.arena.alloc_str(&v.to_string())),
            Value::Number,
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value<'a>, E> {
        Ok(Value::String(self.arena.alloc_str(v)))
    }
    /// A string without escapes is a slice of the text: no copy.
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'a>, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value<'a>, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value<'a>, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'a>, A::Error> {
        let child = self.deeper()?;
        let list = ListBuilder::new(&self.stacks.borrow());
        while let Some(item) = seq.next_element_seed(BoundedValue { ..child })? {
            list.push(&mut self.stacks.borrow_mut(), item);
        }
        Ok(Value::Array(
            list.finish(self.arena, &mut self.stacks.borrow_mut()),
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'a>, A::Error> {
        let child = self.deeper()?;
        let mut out = ObjectBuilder::new(&self.stacks.borrow());
        let duplicate = |key: &str| de::Error::custom(format!("{DUPLICATE_KEY} {:?}", echo(key)));
        while let Some(key) = map.next_key_seed(KeyInArena(self.arena))? {
            // Refused at the key, so that the error's location is the key's.
            if out.contains(&self.stacks.borrow(), key) {
                return Err(duplicate(key));
            }
            let value = map.next_value_seed(BoundedValue { ..child })?;
            out.insert(&mut self.stacks.borrow_mut(), key, value)
                .map_err(duplicate)?;
        }
        Ok(Value::Object(
            out.finish(self.arena, &mut self.stacks.borrow_mut()),
        ))
    }
}

/// A mapping key as text: a slice of the document's text, or a copy in the arena when it
/// had escapes.
struct KeyInArena<'a>(&'a Bump);

impl<'de: 'a, 'a> DeserializeSeed<'de> for KeyInArena<'a> {
    type Value = &'a str;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<&'a str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for KeyInArena<'a> {
    type Value = &'a str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }
    fn visit_str<E>(self, v: &str) -> Result<&'a str, E> {
        Ok(self.0.alloc_str(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<&'a str, E> {
        Ok(v)
    }
}
