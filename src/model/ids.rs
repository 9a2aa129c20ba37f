//! Identifiers: 32 lower-case hex characters, as APIG uses for groups, APIs and records.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A generated identifier (32 lower-case hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    /// A fresh random id: a version-4 UUID from the thread's CSPRNG (`rand::rng()`, seeded
    /// by the OS), not `Uuid::new_v4`, which asks the kernel for every id: one system call
    /// per API of an import. Encoded straight into its text (no `Formatter`).
    pub fn generate() -> Self {
        let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = [0u8; uuid::fmt::Simple::LENGTH];
        Id(uuid.simple().encode_lower(&mut text).to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn generated_ids_are_canonical_random_uuids() {
        let ids: HashSet<String> = (0..1000).map(|_| Id::generate().0).collect();
        assert_eq!(ids.len(), 1000, "ids repeat");
        for id in &ids {
            assert!(Id::parse(id).is_some(), "{id} is not canonical");
            let uuid = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random), "{id}");
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{id}");
        }
    }
}
