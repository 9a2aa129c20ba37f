//! The JSON decoder's builder of the document tree (`tree`): it refuses to nest deeper than
//! a limit, to build more values than the node budget allows, and duplicate keys, each at
//! the place in the text where the limit is crossed.
//!
//! serde_json's own guard stops at 128 levels whatever the limit says, and deserializing
//! recurses once per level: counting here makes the limit the one that applies, before
//! the recursion happens. The node budget is counted as the values are built, not estimated
//! on the text beforehand (as YAML's is, `complexity`): the tree stops growing at the limit
//! all the same, and the text is read once.

// A mapping weighs as much as in YAML's estimate, so that a limit means the same in both.
use super::complexity::MAPPING_WEIGHT;
use super::object::{ListBuilder, ObjectBuilder, Stacks};
use super::tree::Value;
use crate::error::echo;
use bumpalo::Bump;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::cell::{Cell, RefCell};
use std::fmt;

/// Which limit stopped the decoding: told by the builder itself, never read back from an
/// error's text (which can repeat a key of the document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    TooDeep,
    TooComplex,
}

/// The values and keys a JSON document may still produce (`Limits::max_document_nodes`),
/// and the limit that stopped the decoding, if one did.
pub struct Budget {
    left: Cell<usize>,
    stopped: Cell<Option<Stop>>,
}

impl Budget {
    pub fn new(max_nodes: usize) -> Self {
        Budget {
            left: Cell::new(max_nodes),
            stopped: Cell::new(None),
        }
    }

    /// The limit that stopped the decoding (the error serde_json returns is its report).
    pub fn stopped(&self) -> Option<Stop> {
        self.stopped.get()
    }

    fn stop<E: de::Error>(&self, stop: Stop, message: &str) -> E {
        self.stopped.set(Some(stop));
        E::custom(message)
    }

    fn spend<E: de::Error>(&self, nodes: usize) -> Result<(), E> {
        match self.left.get().checked_sub(nodes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(self.stop(Stop::TooComplex, "document exceeds the node budget")),
        }
    }
}

/// Deserialize one value at `depth` (the root is at depth 0; `{}` at the root reaches 1):
/// its strings are slices of the text when they can be, its other parts go into `arena`.
pub struct BoundedValue<'s, 'a> {
    pub depth: usize,
    pub max_depth: usize,
    pub arena: &'a Bump,
    /// Entries and items of the collections being built (see `object`).
    pub stacks: &'s RefCell<Stacks<'a>>,
    pub budget: &'s Budget,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for BoundedValue<'_, 'a> {
    type Value = Value<'a>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value<'a>, D::Error> {
        self.budget.spend(1)?;
        deserializer.deserialize_any(self)
    }
}

impl<'s, 'a> BoundedValue<'s, 'a> {
    fn deeper<E: de::Error>(&self) -> Result<BoundedValue<'s, 'a>, E> {
        if self.depth >= self.max_depth {
            return Err(self
                .budget
                .stop(Stop::TooDeep, "document nesting exceeds the depth limit"));
        }
        Ok(BoundedValue {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            arena: self.arena,
            stacks: self.stacks,
            budget: self.budget,
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
        self.budget.spend(MAPPING_WEIGHT - 1)?;
        let mut out = ObjectBuilder::new(&self.stacks.borrow());
        let duplicate = |key: &str| de::Error::custom(format!("duplicate key {:?}", echo(key)));
        while let Some(key) = map.next_key_seed(KeyInArena(self.arena))? {
            self.budget.spend(1)?;
            // Refused at the key, so that the error's location is the key's.
            if out.contains(&self.stacks.borrow(), key) {
                return Err(duplicate(key));
            }
            let value = map.next_value_seed(BoundedValue { ..child })?;
            out.push(&mut self.stacks.borrow_mut(), key, value);
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
