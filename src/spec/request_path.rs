//! The request path of an API: base path + path key, with the rules of `import-api.md` §4.

use crate::error::echo;

/// Join the base path and a path key (`/` alone under a base path is the base path).
pub fn join(base: &str, key: &str) -> String {
    match (base.is_empty(), key) {
        (false, "/" | "") => base.to_string(),
        (_, key) if key.starts_with('/') => format!("{base}{key}"),
        (_, key) => format!("{base}/{key}"),
    }
}

/// A path variable: `{name}` or `{name+}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathVar {
    pub name: String,
    pub greedy: bool,
}

/// Check a full request path and list its variables: starts with `/`, ≤ 512 characters,
/// `{name}` only as a whole segment, `{name+}` only as the last one, letters, digits and
/// `-_.*%/{}+` otherwise. `Err` says what is wrong.
pub fn parse(path: &str) -> Result<Vec<PathVar>, String> {
    if !path.starts_with('/') {
        return Err(format!(
            "the path {path:?} must start with '/'",
            path = echo(path)
        ));
    }
    let count = path.chars().count();
    if count > 512 {
        return Err(format!(
            "the path must have at most 512 characters, it has {count}"
        ));
    }
    if path.contains("//") {
        return Err(format!(
            "the path {path:?} has an empty segment",
            path = echo(path)
        ));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut vars: Vec<PathVar> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(inner) = inner.strip_suffix('}') else {
                return Err(format!(
                    "the path segment {segment:?} must be a whole {{variable}}",
                    segment = echo(segment)
                ));
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(name) => (name, true),
                None => (inner, false),
            };
            if greedy && i != last {
                return Err(format!(
                    "{segment:?} may only be the last segment of the path",
                    segment = echo(segment)
                ));
            }
            super::names::check_param_name(name).map_err(|e| {
                format!(
                    "the path variable {segment:?}: {e}",
                    segment = echo(segment)
                )
            })?;
            if vars.iter().any(|v| v.name == name) {
                return Err(format!(
                    "the path variable {name:?} appears twice",
                    name = echo(name)
                ));
            }
            vars.push(PathVar {
                name: name.to_string(),
                greedy,
            });
        } else if let Some(c) = segment
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.*%+".contains(*c)))
        {
            let what = if "{}".contains(c) {
                "a variable must be a whole segment".to_string()
            } else {
                format!("the character {c:?} is not allowed")
            };
            return Err(format!(
                "the path {path:?} is invalid: {what}",
                path = echo(path)
            ));
        }
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins() {
        assert_eq!(join("/api/v1", "/books"), "/api/v1/books");
        assert_eq!(join("", "/books"), "/books");
        assert_eq!(join("/v1", "/"), "/v1");
        assert_eq!(join("", "/"), "/");
    }

    #[test]
    fn valid_paths_and_their_variables() {
        assert_eq!(parse("/").unwrap(), vec![]);
        let vars = parse("/a-b/c_d.e/{id}/x*%/{rest+}").unwrap();
        assert_eq!(vars.len(), 2);
        assert_eq!(
            vars[0],
            PathVar {
                name: "id".into(),
                greedy: false
            }
        );
        assert_eq!(
            vars[1],
            PathVar {
                name: "rest".into(),
                greedy: true
            }
        );
    }

    #[test]
    fn invalid_paths() {
        for (path, words) in [
            ("books", "start with '/'"),
            ("/a//b", "empty segment"),
            ("/a/x{id}", "whole segment"),
            ("/a/{id}x", "whole {variable}"),
            ("/a/{rest+}/b", "last segment"),
            ("/a b", "' '"),
            ("/a/{id}/{id}", "twice"),
            ("/a/{}", "path variable"),
        ] {
            let e = parse(path).unwrap_err();
            assert!(e.contains(words), "{path}: {e}");
        }
        assert!(parse(&format!("/{}", "a".repeat(512))).is_err());
        assert!(parse(&format!("/{}", "a".repeat(511))).is_ok());
    }
}
