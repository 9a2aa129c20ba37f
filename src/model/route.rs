//! Route identity: the key that must be unique among a group's APIs.

use super::api::{MatchMode, Method};
use serde::{Deserialize, Serialize};

/// Method + normalized path + match mode. Two APIs with equal keys are the same route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RouteKey {
    pub method: Method,
    pub path: String,
    pub match_mode: MatchMode,
}

impl RouteKey {
    pub fn new(method: Method, path: &str, match_mode: MatchMode) -> Self {
        Self {
            method,
            path: normalize_path(path),
            match_mode,
        }
    }

    /// A compact single-string form, used as a storage key.
    pub fn storage_key(&self) -> String {
        format!(
            "{}#{}#{}",
            self.method.as_str(),
            self.match_mode.as_str(),
            self.path
        )
    }
}

/// Erase path-parameter names (**[decision]**: `/users/{id}` and `/users/{uid}` are one
/// route): `{name}` → `{}`, `{name+}` → `{+}`.
pub fn normalize_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with("+}") {
                "{+}"
            } else if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_do_not_count() {
        assert_eq!(
            RouteKey::new(Method::Get, "/users/{id}", MatchMode::Normal),
            RouteKey::new(Method::Get, "/users/{uid}", MatchMode::Normal)
        );
        assert_ne!(
            RouteKey::new(Method::Get, "/users/{id}", MatchMode::Normal),
            RouteKey::new(Method::Get, "/users/{id+}", MatchMode::Normal)
        );
        assert_ne!(
            RouteKey::new(Method::Get, "/a", MatchMode::Normal),
            RouteKey::new(Method::Get, "/a", MatchMode::Swa)
        );
        assert_eq!(normalize_path("/a/{x}/b/{rest+}"), "/a/{}/b/{+}");
    }
}
