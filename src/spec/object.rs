//! Objects and lists of a decoded document, stored at their exact size.
//!
//! A `serde_json::Map` grown entry by entry keeps as many entry slots as its hash table has
//! room for (3, 7, 14, 28...), and a `Vec` grown by pushes doubles: in a 5,000-operation
//! document that is 15 MB of unused entry slots and 4 MB of unused list slots, a third of
//! its tree. Small objects, most of a document's, are gathered in a reused scratch list
//! (their duplicate keys found by comparison, cheaper than hashing so few keys) and become
//! a map of exactly their size when they end; a larger one becomes a map as it passes the
//! threshold and grows as before.

use serde_json::{Map, Value};

/// Objects of up to this many entries are gathered before becoming a map.
const SMALL: usize = 16;

type Entries = Vec<(String, Value)>;

/// Scratch lists reused from one object to the next: one per object open at a time, so
/// never more than the document is deep.
#[derive(Default)]
pub struct Scratch {
    free: Vec<Entries>,
}

/// An object being decoded.
pub struct ObjectBuilder {
    small: Entries,
    large: Option<Map<String, Value>>,
}

impl ObjectBuilder {
    pub fn new(scratch: &mut Scratch) -> Self {
        ObjectBuilder {
            small: scratch.free.pop().unwrap_or_default(),
            large: None,
        }
    }

    /// Is `key` an entry already?
    pub fn contains(&self, key: &str) -> bool {
        match &self.large {
            Some(map) => map.contains_key(key),
            None => self.small.iter().any(|(k, _)| k == key),
        }
    }

    /// Add an entry; a key present already is refused and given back.
    pub fn insert(&mut self, key: String, value: Value) -> Result<(), String> {
        if let Some(map) = &mut self.large {
            return match map.entry(key) {
                serde_json::map::Entry::Occupied(first) => Err(first.key().clone()),
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                    Ok(())
                }
            };
        }
        if self.small.iter().any(|(k, _)| *k == key) {
            return Err(key);
        }
        if self.small.len() == SMALL {
            let mut map = Map::with_capacity(2 * SMALL);
            map.extend(self.small.drain(..));
            map.insert(key, value);
            self.large = Some(map);
        } else {
            self.small.push((key, value));
        }
        Ok(())
    }

    /// The finished object; the scratch list goes back for the next one.
    pub fn finish(mut self, scratch: &mut Scratch) -> Map<String, Value> {
        let map = match self.large.take() {
            Some(map) => map,
            None => {
                let mut map = Map::with_capacity(self.small.len());
                map.extend(self.small.drain(..));
                map
            }
        };
        scratch.free.push(self.small);
        map
    }
}

/// A finished list, without the slots its growth left unused.
pub fn finish_list(mut items: Vec<Value>) -> Value {
    items.shrink_to_fit();
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(keys: &[&str]) -> Result<Map<String, Value>, String> {
        let mut scratch = Scratch::default();
        let mut object = ObjectBuilder::new(&mut scratch);
        for (i, key) in keys.iter().enumerate() {
            object.insert(key.to_string(), json!(i))?;
        }
        Ok(object.finish(&mut scratch))
    }

    #[test]
    fn entries_keep_their_order_below_and_above_the_threshold() {
        for n in [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL] {
            let keys: Vec<String> = (0..n).map(|i| format!("k{}", n - i)).collect();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let map = build(&refs).unwrap();
            let written: Vec<&str> = map.keys().map(String::as_str).collect();
            assert_eq!(written, refs, "{n} entries");
            assert_eq!(
                map.get(refs.last().copied().unwrap_or("none")).is_some(),
                n > 0
            );
        }
    }

    #[test]
    fn a_repeated_key_is_refused_below_and_above_the_threshold() {
        assert_eq!(build(&["a", "b", "a"]).unwrap_err(), "a");
        let mut keys: Vec<String> = (0..2 * SMALL).map(|i| format!("k{i}")).collect();
        keys.push("k3".into());
        keys.push(format!("k{}", 2 * SMALL - 1));
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(build(&refs).unwrap_err(), "k3");
    }

    #[test]
    fn scratch_lists_are_reused() {
        let mut scratch = Scratch::default();
        let mut outer = ObjectBuilder::new(&mut scratch);
        let mut inner = ObjectBuilder::new(&mut scratch);
        inner.insert("x".into(), json!(1)).unwrap();
        let inner = inner.finish(&mut scratch);
        outer.insert("inner".into(), Value::Object(inner)).unwrap();
        let outer = outer.finish(&mut scratch);
        assert_eq!(Value::Object(outer), json!({"inner": {"x": 1}}));
        assert_eq!(scratch.free.len(), 2);
        assert!(scratch.free.iter().all(Vec::is_empty));
    }

    #[test]
    fn lists_lose_their_unused_slots() {
        let mut items = Vec::new();
        for i in 0..5 {
            items.push(json!(i));
        }
        assert!(items.capacity() > 5);
        match finish_list(items) {
            Value::Array(items) => assert_eq!(items.capacity(), 5),
            other => panic!("{other}"),
        }
    }
}
