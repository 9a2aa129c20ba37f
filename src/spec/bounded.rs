//! A `serde_json::Value` builder that refuses to nest deeper than a limit and refuses
//! duplicate mapping keys, for JSON and YAML alike.
//!
//! `Value`'s own `Deserialize` recurses without bound: YAML aliases can replay an anchored
//! block inside another one, so a document within the parser's depth budget can still
//! produce a value deep enough to overflow the stack. Counting here stops that before the
//! recursion happens.

use super::object::{finish_list, ObjectBuilder, Scratch};
use crate::error::echo;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Error text markers, recognised by `decode` to choose the error code.
pub const TOO_DEEP: &str = "document nesting exceeds the depth limit";
pub const DUPLICATE_KEY: &str = "duplicate key";

/// Deserialize one value at `depth` (the root is at depth 0; `{}` at the root reaches 1).
pub struct BoundedValue<'s> {
    pub depth: usize,
    pub max_depth: usize,
    /// Scratch lists of the objects being built (see `object`).
    pub scratch: &'s RefCell<Scratch>,
}

impl<'de> DeserializeSeed<'de> for BoundedValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s> BoundedValue<'s> {
    fn deeper<E: de::Error>(&self) -> Result<BoundedValue<'s>, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format!("{TOO_DEEP} ({})", self.max_depth)));
        }
        Ok(BoundedValue {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            scratch: self.scratch,
        })
    }
}

impl<'de> Visitor<'de> for BoundedValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON-compatible value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // Non-finite numbers have no JSON form; keep their text.
        Ok(Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.deeper()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(BoundedValue { ..child })? {
            items.push(item);
        }
        Ok(finish_list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let child = self.deeper()?;
        let mut out = ObjectBuilder::new(&mut self.scratch.borrow_mut());
        let duplicate = |key: &str| de::Error::custom(format!("{DUPLICATE_KEY} {:?}", echo(key)));
        while let Some(key) = map.next_key_seed(KeyAsString)? {
            // Refused at the key, so that the error's location is the key's.
            if out.contains(&key) {
                return Err(duplicate(&key));
            }
            let value = map.next_value_seed(BoundedValue { ..child })?;
            out.insert(key, value).map_err(|key| duplicate(&key))?;
        }
        Ok(Value::Object(out.finish(&mut self.scratch.borrow_mut())))
    }
}

/// A mapping key as text: YAML keys such as `200:` or `true:` arrive as numbers or booleans.
struct KeyAsString;

impl<'de> DeserializeSeed<'de> for KeyAsString {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyAsString {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E>(self) -> Result<String, E> {
        Ok("null".to_string())
    }
}
