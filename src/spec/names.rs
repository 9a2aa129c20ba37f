//! Names of APIs and of the things inside them (`import-api.md` §4, `extensions.md`).

use crate::error::echo;
use crate::model::is_cjk;
use sha2::{Digest, Sha256};

/// An API name: 3–255 characters; first a letter, digit or CJK character; then letters,
/// digits, CJK and `- _ . / : ( )`. `Err` says what is wrong.
pub fn check_api_name(name: &str) -> Result<(), String> {
    let count = name.chars().count();
    if !(3..=255).contains(&count) {
        return Err(format!(
            "{name:?} is not a valid API name: it must have 3 to 255 characters, it has {count}",
            name = echo(name)
        ));
    }
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || is_cjk(c));
    if !first_ok {
        return Err(format!(
            "{name:?} is not a valid API name: it must start with a letter, a digit or a CJK character", name = echo(name)));
    }
    if let Some((position, ch)) = name.chars().enumerate().find(|(_, c)| !api_name_char(*c)) {
        return Err(format!(
            "{name:?} is not a valid API name: the character {ch:?} at position {} is not allowed",
            position + 1,
            name = echo(name)
        ));
    }
    Ok(())
}

fn api_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_cjk(c) || "-_./:()".contains(c)
}

/// The name of an API without a (valid) `operationId`: deterministic from method and path,
/// so a re-import gives the same name, and valid by construction. The path is kept
/// readable (`GET /api/pets/{id}` → `get/api/pets/(id)`); when the mapping loses
/// information or the result is too long, a hash of method and path keeps names of
/// different routes apart.
pub fn generated_api_name(method: &str, path: &str) -> String {
    let mut lossy = false;
    let mut name = method.to_ascii_lowercase();
    for c in path.chars() {
        name.push(match c {
            '{' => '(',
            '}' => ')',
            c if api_name_char(c) => c,
            _ => {
                lossy = true;
                '_'
            }
        });
    }
    if name.chars().count() < 3 {
        name.push_str("_api");
    }
    if lossy || name.chars().count() > 255 {
        let digest = Sha256::digest(format!("{} {path}", method.to_ascii_uppercase()));
        let suffix = hex::encode(&digest[..4]);
        name = name.chars().take(255 - 1 - suffix.len()).collect();
        name.push('_');
        name.push_str(&suffix);
    }
    name
}

/// A request-parameter name: 1–32 characters, first a letter, then letters, digits, `-_.`.
pub fn check_param_name(name: &str) -> Result<(), String> {
    let ok = (1..=32).contains(&name.chars().count())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid parameter name: 1 to 32 characters, a letter first, then letters, digits, '-', '_' or '.'", name = echo(name)))
    }
}

/// A policy name (throttling, access control, backend policy): 3–64 characters, first a
/// letter, then letters, digits and `_`.
pub fn check_policy_name(name: &str) -> Result<(), String> {
    let ok = (3..=64).contains(&name.chars().count())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid name: 3 to 64 characters, a letter first, then letters, digits or '_'", name = echo(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names() {
        assert!(check_api_name("list_products").is_ok());
        assert!(check_api_name("图书列表").is_ok());
        assert!(check_api_name("v1:get(pet)/x.y-z").is_ok());
        let e = check_api_name("find pet by id").unwrap_err();
        assert!(e.contains("' '"), "{e}");
        assert!(check_api_name("ab").is_err());
        assert!(check_api_name(&"a".repeat(256)).is_err());
        assert!(check_api_name("_abc").is_err());
        assert!(check_api_name("abc$").is_err());
    }

    #[test]
    fn generated_names_are_valid_deterministic_and_distinct() {
        let a = generated_api_name("GET", "/api/pets/{id}");
        assert_eq!(a, "get/api/pets/(id)");
        assert_eq!(a, generated_api_name("GET", "/api/pets/{id}"));
        assert_ne!(a, generated_api_name("POST", "/api/pets/{id}"));
        let plus = generated_api_name("GET", "/loans/{loanId+}");
        assert!(plus.starts_with("get/loans/(loanId_)_"), "{plus}");
        assert_ne!(plus, generated_api_name("GET", "/loans/{loanId*}"));
        let long = generated_api_name("ANY", &format!("/{}", "x".repeat(600)));
        for name in [
            a,
            plus,
            long,
            generated_api_name("GET", "/"),
            generated_api_name("GET", ""),
        ] {
            assert!(check_api_name(&name).is_ok(), "{name}");
        }
    }

    #[test]
    fn param_and_policy_names() {
        assert!(check_param_name("X-Trace.id_2").is_ok());
        assert!(check_param_name("2x").is_err());
        assert!(check_param_name(&"a".repeat(33)).is_err());
        assert!(check_param_name("").is_err());
        assert!(check_policy_name("browse_limit").is_ok());
        assert!(check_policy_name("ab").is_err());
        assert!(check_policy_name("a-b-c").is_err());
    }
}
