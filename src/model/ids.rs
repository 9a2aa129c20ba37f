//! Identifiers: 32 lower-case hex characters, as APIG uses for groups, APIs and records.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A generated identifier (32 lower-case hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    /// A fresh random id.
    pub fn generate() -> Self {
        Id(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Accepts only the canonical form, so an id from a request can be looked up safely.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Id(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
