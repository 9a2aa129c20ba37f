//! Validated names: project and instance ids, group names.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A project or instance id from the request path: 1–64 characters of `[A-Za-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PathId(String);

impl PathId {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| PathId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PathId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tenant boundary: every stored item belongs to one project and one instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub project_id: PathId,
    pub instance_id: PathId,
}

impl Scope {
    pub fn new(project_id: PathId, instance_id: PathId) -> Self {
        Self {
            project_id,
            instance_id,
        }
    }
}

/// Is `c` a CJK character (the name rules allow them wherever letters are allowed)?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF
        | 0xF900..=0xFAFF | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// A group name (`import-api.md` §5): 3–255 characters; first a letter, digit or CJK
/// character; then letters, digits, CJK and `- _ . / ( ) :`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupName(String);

/// Why a title is not a valid group name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupNameError {
    #[error("the title is missing")]
    Missing,
    #[error("the title must have 3 to 255 characters, it has {0}")]
    Length(usize),
    #[error("the title must start with a letter, a digit or a CJK character, not {0:?}")]
    First(char),
    #[error("the title contains the character {ch:?} at position {position}, which a group name may not contain")]
    Character { ch: char, position: usize },
}

impl GroupName {
    fn allowed_first(c: char) -> bool {
        c.is_ascii_alphanumeric() || is_cjk(c)
    }

    fn allowed(c: char) -> bool {
        Self::allowed_first(c) || "-_./():".contains(c)
    }

    /// Strict parse: the title as it is, or the first thing wrong with it.
    pub fn parse(title: &str) -> Result<Self, GroupNameError> {
        let count = title.chars().count();
        if let Some(first) = title.chars().next() {
            if !Self::allowed_first(first) {
                return Err(GroupNameError::First(first));
            }
        }
        if let Some((position, ch)) = title.chars().enumerate().find(|(_, c)| !Self::allowed(*c)) {
            return Err(GroupNameError::Character {
                ch,
                position: position + 1,
            });
        }
        if !(3..=255).contains(&count) {
            return Err(GroupNameError::Length(count));
        }
        Ok(GroupName(title.to_string()))
    }

    /// `simple_mode` repair: each disallowed character becomes `_`, a disallowed first
    /// character too (then prefixed so the name starts validly), padded to 3, cut to 255.
    pub fn repair(title: &str) -> Self {
        let mut name: String = title
            .chars()
            .take(255)
            .map(|c| if Self::allowed(c) { c } else { '_' })
            .collect();
        if !name.chars().next().is_some_and(Self::allowed_first) {
            name.insert(0, 'g');
            name = name.chars().take(255).collect();
        }
        while name.chars().count() < 3 {
            name.push('_');
        }
        GroupName(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ids() {
        assert!(PathId::parse("abc-DEF_09").is_some());
        assert!(PathId::parse("").is_none());
        assert!(PathId::parse(&"a".repeat(65)).is_none());
        assert!(PathId::parse("a/b").is_none());
    }

    #[test]
    fn group_names() {
        assert!(GroupName::parse("shop_backend").is_ok());
        assert!(GroupName::parse("图书馆服务").is_ok());
        assert_eq!(
            GroupName::parse("Swagger Petstore"),
            Err(GroupNameError::Character {
                ch: ' ',
                position: 8
            })
        );
        assert_eq!(GroupName::parse("_x1"), Err(GroupNameError::First('_')));
        assert_eq!(GroupName::parse("ab"), Err(GroupNameError::Length(2)));
        assert_eq!(
            GroupName::repair("Swagger Petstore").as_str(),
            "Swagger_Petstore"
        );
        assert_eq!(GroupName::repair("a").as_str(), "a__");
        assert_eq!(GroupName::repair(" x").as_str(), "g_x");
        assert_eq!(GroupName::repair(&"x".repeat(300)).as_str().len(), 255);
        assert!(GroupName::parse(GroupName::repair("¿Qué? ").as_str()).is_ok());
    }
}
