//! Authentication and authorization of callers (`import-api.md` §2).
//!
//! Two ways in, and a request uses exactly one:
//! * `X-Auth-Token`: a signed JWT ([`token`]).
//! * `Authorization: SDK-HMAC-SHA256 ...`: an AK/SK signature (`signing.md`). **Not enabled
//!   yet**: such a request is refused with `APIG.1002` "AK/SK signatures are not enabled".
//!   The seam is [`Credentials::Signature`] in [`authenticate`]; when both headers are
//!   present the signature wins, as the contract says. Signature verification will need the
//!   method, the URI *as the client sent it* (the HTTP edge keeps it in the
//!   `crate::http::OriginalUri` request extension, since it strips stage prefixes), the
//!   headers, a credential store and a clock.
//!
//! Every failure is an [`AuthError`]; [`From<AuthError> for ApigError`] is the one place
//! that turns them into `APIG.1000` / `APIG.1002` / `APIG.1005`.

pub mod local_key;
pub mod token;

pub use local_key::{LocalKey, LocalKeyError};
pub use token::{issue, KeyError, TokenKeys, VerifiedClaims};

use crate::error::{ApigError, Code};
use crate::model::PathId;
use axum::http::{self, HeaderMap};

/// The action an import needs.
pub const IMPORT_ACTION: &str = "apig:api:import";
/// The actions of the read operations (`import-api.md` §7).
pub const LIST_APIS_ACTION: &str = "apig:api:list";
pub const GET_API_ACTION: &str = "apig:api:get";
pub const LIST_GROUPS_ACTION: &str = "apig:group:list";

/// The token header.
pub const TOKEN_HEADER: &str = "x-auth-token";

/// The scheme of an AK/SK `Authorization` header.
pub const SIGNATURE_SCHEME: &str = "SDK-HMAC-SHA256";

/// Why a caller was refused. Messages say which check failed, never a secret or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither `X-Auth-Token` nor `Authorization` (`APIG.1000`).
    #[error("Send an X-Auth-Token header or sign the request with an access key")]
    Missing,
    /// An `SDK-HMAC-SHA256` signature; not supported yet.
    #[error("AK/SK signatures are not enabled")]
    SignatureNotEnabled,
    /// An `Authorization` header of another scheme, without `X-Auth-Token`.
    #[error("The Authorization header must use the SDK-HMAC-SHA256 scheme")]
    UnsupportedScheme,
    /// The server has no token keys configured.
    #[error("Tokens are not accepted by this server")]
    NoTokenKeys,
    /// Not a JWT at all (wrong shape, bad base64, bad JSON, too long).
    #[error("The token is malformed")]
    Malformed,
    /// `alg: none`.
    #[error("Unsigned tokens (alg: none) are not accepted")]
    Unsigned,
    /// An algorithm no configured key is for.
    #[error("The token algorithm {0} is not accepted")]
    AlgorithmNotAccepted(String),
    /// The signature does not verify with any configured key (forged or wrong key).
    #[error("The token signature is invalid")]
    BadSignature,
    #[error("The token has expired")]
    Expired,
    #[error("The token is not valid yet")]
    NotYetValid,
    #[error("The token has no {0} claim")]
    MissingClaim(String),
    #[error("The token's {0} claim is not valid")]
    InvalidClaim(String),
    /// Valid credentials scoped to another project (`APIG.1005`).
    #[error("The credentials are scoped to another project")]
    WrongProject,
    /// Valid credentials without the action (`APIG.1005`).
    #[error("The credentials do not permit the action {0}")]
    ActionNotPermitted(String),
}

impl AuthError {
    /// The APIG code of this refusal.
    pub fn code(&self) -> Code {
        match self {
            AuthError::Missing => Code::Apig1000,
            AuthError::WrongProject | AuthError::ActionNotPermitted(_) => Code::Apig1005,
            _ => Code::Apig1002,
        }
    }
}

impl From<AuthError> for ApigError {
    fn from(e: AuthError) -> Self {
        ApigError::new(e.code(), e.to_string())
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Token subject (or, later, the access key id).
    pub id: String,
    /// The project the credentials are scoped to.
    pub project_id: PathId,
    /// Permitted actions; `*` and `prefix:*` are wildcards.
    pub actions: Vec<String>,
}

impl Caller {
    /// May this caller perform `action` in `project`?
    pub fn authorize(&self, project: &PathId, action: &str) -> Result<(), AuthError> {
        if &self.project_id != project {
            return Err(AuthError::WrongProject);
        }
        if self
            .actions
            .iter()
            .any(|granted| action_matches(granted, action))
        {
            Ok(())
        } else {
            Err(AuthError::ActionNotPermitted(action.to_string()))
        }
    }
}

/// `granted` permits `action`: equal, `*`, or `prefix*` where `prefix` ends with `:`
/// (`apig:*`, `apig:api:*`).
pub fn action_matches(granted: &str, action: &str) -> bool {
    if granted == "*" || granted == action {
        return true;
    }
    match granted.strip_suffix('*') {
        Some(prefix) if prefix.ends_with(':') => action.starts_with(prefix),
        _ => false,
    }
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// The `X-Auth-Token` value.
    Token(&'a str),
    /// The whole `Authorization: SDK-HMAC-SHA256 ...` value.
    Signature(&'a str),
}

/// Pick the credentials of a request: an `SDK-HMAC-SHA256` signature wins over a token.
pub fn credentials(headers: &HeaderMap) -> Result<Credentials<'_>, AuthError> {
    let authorization = headers.get(http::header::AUTHORIZATION);
    let token = headers.get(TOKEN_HEADER);
    if let Some(value) = authorization {
        let value = value.to_str().map_err(|_| AuthError::UnsupportedScheme)?;
        let scheme = value.split_whitespace().next().unwrap_or("");
        if scheme.eq_ignore_ascii_case(SIGNATURE_SCHEME) {
            return Ok(Credentials::Signature(value));
        }
        if token.is_none() {
            return Err(AuthError::UnsupportedScheme);
        }
    }
    match token {
        Some(value) => value
            .to_str()
            .map(Credentials::Token)
            .map_err(|_| AuthError::Malformed),
        None => Err(AuthError::Missing),
    }
}

/// Authenticate a request from its headers alone (the body is not read before this).
pub fn authenticate(headers: &HeaderMap, keys: &TokenKeys) -> Result<Caller, AuthError> {
    match credentials(headers)? {
        Credentials::Token(token) => {
            let claims = keys.verify(token)?;
            Ok(Caller {
                id: claims.sub,
                project_id: claims.project_id,
                actions: claims.actions,
            })
        }
        // Seam for AK/SK signatures (`signing.md`).
        Credentials::Signature(_) => Err(AuthError::SignatureNotEnabled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pid(s: &str) -> PathId {
        PathId::parse(s).expect("path id")
    }

    #[test]
    fn wildcards() {
        assert!(action_matches("*", IMPORT_ACTION));
        assert!(action_matches("apig:*", IMPORT_ACTION));
        assert!(action_matches("apig:api:*", IMPORT_ACTION));
        assert!(action_matches(IMPORT_ACTION, IMPORT_ACTION));
        assert!(!action_matches("apig:api:list", IMPORT_ACTION));
        assert!(!action_matches("apig*", IMPORT_ACTION));
        assert!(!action_matches("ecs:*", IMPORT_ACTION));
        assert!(!action_matches("", IMPORT_ACTION));
    }

    #[test]
    fn authorize() {
        let caller = Caller {
            id: "alice".into(),
            project_id: pid("p1"),
            actions: vec!["apig:*".into()],
        };
        assert_eq!(caller.authorize(&pid("p1"), IMPORT_ACTION), Ok(()));
        assert_eq!(
            caller.authorize(&pid("p2"), IMPORT_ACTION),
            Err(AuthError::WrongProject)
        );
        let reader = Caller {
            actions: vec!["apig:api:list".into()],
            ..caller
        };
        assert_eq!(
            reader.authorize(&pid("p1"), IMPORT_ACTION),
            Err(AuthError::ActionNotPermitted(IMPORT_ACTION.into()))
        );
    }

    #[test]
    fn header_selection_and_codes() {
        let keys = TokenKeys::hmac(b"secret").expect("keys");
        let token = issue(
            b"secret",
            "alice",
            "p1",
            &[IMPORT_ACTION.to_string()],
            Duration::from_secs(60),
        )
        .expect("token");

        let mut h = HeaderMap::new();
        assert_eq!(authenticate(&h, &keys), Err(AuthError::Missing));
        h.insert(TOKEN_HEADER, token.parse().expect("value"));
        assert_eq!(authenticate(&h, &keys).expect("caller").id, "alice");
        h.insert(
            http::header::AUTHORIZATION,
            "Bearer something".parse().expect("value"),
        );
        assert_eq!(authenticate(&h, &keys).expect("caller").id, "alice");
        h.insert(
            http::header::AUTHORIZATION,
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00"
                .parse()
                .expect("value"),
        );
        assert_eq!(authenticate(&h, &keys), Err(AuthError::SignatureNotEnabled));
        h.remove(TOKEN_HEADER);
        assert_eq!(authenticate(&h, &keys), Err(AuthError::SignatureNotEnabled));
        h.insert(
            http::header::AUTHORIZATION,
            "Basic x".parse().expect("value"),
        );
        assert_eq!(authenticate(&h, &keys), Err(AuthError::UnsupportedScheme));

        let e: ApigError = AuthError::Missing.into();
        assert_eq!((e.code, e.status()), (Code::Apig1000, 401));
        let e: ApigError = AuthError::Expired.into();
        assert_eq!((e.code, e.status()), (Code::Apig1002, 401));
        assert_eq!(
            e.message,
            "Incorrect token or token resolution failed. The token has expired"
        );
        let e: ApigError = AuthError::SignatureNotEnabled.into();
        assert!(e.message.contains("AK/SK signatures are not enabled"));
        let e: ApigError = AuthError::WrongProject.into();
        assert_eq!((e.code, e.status()), (Code::Apig1005, 403));
        assert!(e
            .message
            .starts_with("No permissions to request this method"));
    }
}
