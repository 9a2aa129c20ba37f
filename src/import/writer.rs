//! Who writes an import, so that a run resumed after being cut short recognises its own
//! writes (`spec/async-export.md` §2.1).
//!
//! A synchronous import is one run: its ids are random. A task's import may run again after
//! a worker died half-way; its ids are derived from the task id (the group, each API by its
//! operation's position in the document, the record), so the second run finds the group and
//! the APIs the first one wrote under the very ids it would give them, and reports them as
//! its own `create`s instead of APIG.3201 / APIG.3301.

use crate::model::Id;
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Debug, Clone)]
pub struct Writer {
    /// The task this import runs for; `None`: a one-off run with random ids.
    seed: Option<Id>,
}

impl Writer {
    /// A one-off import (the synchronous path): fresh random ids, nothing to recognise.
    pub fn once() -> Self {
        Writer { seed: None }
    }

    /// The import of task `task_id`: the same ids on every run of the task.
    pub fn task(task_id: &Id) -> Self {
        Writer {
            seed: Some(task_id.clone()),
        }
    }

    /// The id derived from the task's id for `what`; `what` is only formatted for a task.
    fn derive(&self, what: fmt::Arguments<'_>) -> Option<Id> {
        let seed = self.seed.as_ref()?;
        let digest = Sha256::digest(format!("{seed}/{what}").as_bytes());
        Id::parse(&hex::encode(&digest[..16]))
    }

    fn id(&self, what: fmt::Arguments<'_>) -> Id {
        self.derive(what).unwrap_or_else(Id::generate)
    }

    /// The id of a group this import creates.
    pub fn group_id(&self) -> Id {
        self.id(format_args!("group"))
    }

    /// The id of the API this import creates for the operation at `slot` of the document.
    pub fn api_id(&self, slot: usize) -> Id {
        self.id(format_args!("api/{slot}"))
    }

    /// The id of the import record.
    pub fn record_id(&self) -> Id {
        self.id(format_args!("record"))
    }

    /// The group an earlier run of this import may have created (a task's import only).
    pub fn resumable_group(&self) -> Option<Id> {
        self.derive(format_args!("group"))
    }

    /// Did an earlier run of this import create the group `id`?
    pub fn created_group(&self, id: &Id) -> bool {
        self.derive(format_args!("group"))
            .is_some_and(|own| &own == id)
    }

    /// Did an earlier run of this import create `id` for the operation at `slot`?
    pub fn created_api(&self, slot: usize, id: &Id) -> bool {
        self.derive(format_args!("api/{slot}"))
            .is_some_and(|own| &own == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_are_stable_and_distinct() {
        let task = Id::generate();
        let (a, b) = (Writer::task(&task), Writer::task(&task));
        assert_eq!(a.group_id(), b.group_id());
        assert_eq!(a.api_id(3), b.api_id(3));
        assert_ne!(a.api_id(3), a.api_id(4));
        assert_ne!(a.group_id(), Writer::task(&Id::generate()).group_id());
        assert!(a.created_api(3, &b.api_id(3)));
        assert!(!a.created_api(4, &b.api_id(3)));
        let once = Writer::once();
        assert_ne!(once.group_id(), once.group_id());
        assert!(!once.created_group(&once.group_id()));
    }
}
