//! Objects and lists of a document being decoded.
//!
//! The entries and items of every collection still open are gathered on two stacks shared
//! by the whole decoding (a collection's own are on top while it is open); when it ends they
//! move into the arena as one slice of exactly their number. Duplicate keys are found by
//! comparison while an object is small, and through a set of its keys once it is larger.

use super::tree::{Object, Value, SMALL};
use bumpalo::Bump;
use std::collections::HashSet;

/// Entries and items of the collections open at a time, innermost last.
#[derive(Default)]
pub struct Stacks<'a> {
    entries: Vec<(&'a str, Value<'a>)>,
    items: Vec<Value<'a>>,
}

/// An object being decoded: its entries are those of the stack from `start` on.
pub struct ObjectBuilder<'a> {
    start: usize,
    /// Its keys, once it has more than [`SMALL`].
    keys: Option<HashSet<&'a str>>,
}

impl<'a> ObjectBuilder<'a> {
    pub fn new(stacks: &Stacks<'a>) -> Self {
        ObjectBuilder {
            start: stacks.entries.len(),
            keys: None,
        }
    }

    /// Is `key` an entry already?
    pub fn contains(&self, stacks: &Stacks<'a>, key: &str) -> bool {
        match &self.keys {
            Some(keys) => keys.contains(key),
            None => stacks.entries[self.start..].iter().any(|(k, _)| *k == key),
        }
    }

    /// Add an entry; a key present already is refused and given back.
    pub fn insert(
        &mut self,
        stacks: &mut Stacks<'a>,
        key: &'a str,
        value: Value<'a>,
    ) -> Result<(), &'a str> {
        if self.contains(stacks, key) {
            return Err(key);
        }
        self.push(stacks, key, value);
        Ok(())
    }

    /// Add an entry unless its key is present already (YAML merge keys: what is written
    /// in the mapping, or merged earlier, wins).
    pub fn insert_absent(&mut self, stacks: &mut Stacks<'a>, key: &'a str, value: Value<'a>) {
        if !self.contains(stacks, key) {
            self.push(stacks, key, value);
        }
    }

    /// Add an entry whose key the caller found absent ([`Self::contains`]).
    pub fn push(&mut self, stacks: &mut Stacks<'a>, key: &'a str, value: Value<'a>) {
        stacks.entries.push((key, value));
        let mine = &stacks.entries[self.start..];
        match &mut self.keys {
            Some(keys) => {
                keys.insert(key);
            }
            None if mine.len() > SMALL => {
                self.keys = Some(mine.iter().map(|(k, _)| *k).collect());
            }
            None => {}
        }
    }

    /// The finished object, moved into the arena.
    pub fn finish(self, arena: &'a Bump, stacks: &mut Stacks<'a>) -> &'a Object<'a> {
        let entries = arena.alloc_slice_fill_iter(stacks.entries.drain(self.start..));
        Object::new_in(arena, entries)
    }
}

/// A list being decoded: its items are those of the stack from `start` on.
pub struct ListBuilder {
    start: usize,
}

impl ListBuilder {
    pub fn new(stacks: &Stacks<'_>) -> Self {
        ListBuilder {
            start: stacks.items.len(),
        }
    }

    pub fn push<'a>(&self, stacks: &mut Stacks<'a>, item: Value<'a>) {
        stacks.items.push(item);
    }

    /// The finished list, moved into the arena.
    pub fn finish<'a>(self, arena: &'a Bump, stacks: &mut Stacks<'a>) -> &'a [Value<'a>] {
        arena.alloc_slice_fill_iter(stacks.items.drain(self.start..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build<'a>(arena: &'a Bump, keys: &[&'a str]) -> Result<&'a Object<'a>, &'a str> {
        let mut stacks = Stacks::default();
        let mut object = ObjectBuilder::new(&stacks);
        for (i, key) in keys.iter().enumerate() {
            object.insert(&mut stacks, key, Value::Number(i.into()))?;
        }
        Ok(object.finish(arena, &mut stacks))
    }

    #[test]
    fn entries_keep_their_order_below_and_above_the_threshold() {
        let arena = Bump::new();
        for n in [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL] {
            let keys: Vec<String> = (0..n).map(|i| format!("k{}", n - i)).collect();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let object = build(&arena, &refs).unwrap();
            let written: Vec<&str> = object.keys().collect();
            assert_eq!(written, refs, "{n} entries");
            assert_eq!(
                object.get(refs.last().copied().unwrap_or("none")).is_some(),
                n > 0
            );
        }
    }

    #[test]
    fn a_repeated_key_is_refused_below_and_above_the_threshold() {
        let arena = Bump::new();
        assert_eq!(build(&arena, &["a", "b", "a"]).unwrap_err(), "a");
        let mut keys: Vec<String> = (0..2 * SMALL).map(|i| format!("k{i}")).collect();
        keys.push("k3".into());
        keys.push(format!("k{}", 2 * SMALL - 1));
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(build(&arena, &refs).unwrap_err(), "k3");
    }

    #[test]
    fn nested_collections_share_the_stacks_and_leave_them_empty() {
        let arena = Bump::new();
        let mut stacks = Stacks::default();
        let mut outer = ObjectBuilder::new(&stacks);
        outer.insert(&mut stacks, "a", Value::Bool(true)).unwrap();
        let list = ListBuilder::new(&stacks);
        let mut inner = ObjectBuilder::new(&stacks);
        inner.insert(&mut stacks, "x", Value::Null).unwrap();
        inner.insert_absent(&mut stacks, "x", Value::Bool(false));
        inner.insert_absent(&mut stacks, "y", Value::Bool(false));
        let inner = inner.finish(&arena, &mut stacks);
        list.push(&mut stacks, Value::Object(inner));
        let items = list.finish(&arena, &mut stacks);
        outer
            .insert(&mut stacks, "list", Value::Array(items))
            .unwrap();
        let outer = Value::Object(outer.finish(&arena, &mut stacks));
        assert_eq!(
            outer.to_string(),
            r#"{"a":true,"list":[{"x":null,"y":false}]}"#
        );
        assert!(stacks.entries.is_empty() && stacks.items.is_empty());
    }
}
