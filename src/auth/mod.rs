//! Authentication and authorization of callers (`import-api.md` §2).
//!
//! Two ways in, and a request uses exactly one:
//! * `X-Auth-Token`: a signed JWT ([`token`]).
//! * `Authorization: SDK-HMAC-SHA256 ...`: an AK/SK signature (`signing.md`,
//!   [`signature`]) by an access key of the store ([`access_key`]). It covers the method,
//!   the URI *as the client sent it* (the HTTP edge keeps it in the
//!   `crate::http::OriginalUri` request extension, since it strips stage prefixes), the
//!   signed headers and the payload hash. When both headers are present the signature wins.
//!   A server without a signing secret refuses signatures (`APIG.1002`).
//!
//! Either header sent twice is refused ([`AuthError::Duplicate`]): a proxy that joins
//! repeated headers with commas (API Gateway does) would see another credential.
//!
//! Two steps, so that a refusal never waits for (nor buffers) a body: [`check_headers`]
//! checks everything the headers decide (the whole token; the signature's syntax, date and
//! key) before the body is read, and [`finish`] compares a signature, over the body only
//! when it has no `X-Sdk-Content-Sha256` ([`Authenticator::needs_body`]).
//!
//! Every failure is an [`AuthError`]; [`From<AuthError> for ApigError`] is the one place
//! that turns them into `APIG.1000` / `APIG.1002` / `APIG.1005`.

pub mod access_key;
pub mod local_key;
pub mod signature;
pub mod token;

pub use access_key::{Clock, PendingSignature, Signing, SigningSecret, SigningSecretError};
pub use local_key::{LocalKey, LocalKeyError};
pub use signature::SignedRequest;
pub use token::{issue, KeyError, TokenKeys, VerifiedClaims};

use crate::error::{echo, ApigError, Code};
use crate::model::PathId;
use crate::store::AccessKeyStore;
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
pub const SIGNATURE_SCHEME: &str = signature::ALGORITHM;

/// Why a caller was refused. Messages say which check failed, never a secret or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither `X-Auth-Token` nor `Authorization` (`APIG.1000`).
    #[error("Send an X-Auth-Token header or sign the request with an access key")]
    Missing,
    /// A credential header sent more than once: a proxy joining the values with commas
    /// (API Gateway does) would see another credential than the first value, so neither
    /// is trusted.
    #[error("The {0} header was sent more than once")]
    Duplicate(&'static str),
    /// A signature, but the server has no signing secret.
    #[error("AK/SK signatures are not enabled on this server")]
    SignatureNotEnabled,
    /// An `Authorization` header of another scheme, without `X-Auth-Token`.
    #[error("The Authorization header must use the SDK-HMAC-SHA256 scheme")]
    UnsupportedScheme,
    /// The `Authorization` header of a signature does not parse.
    #[error("The Authorization header is malformed: {0}")]
    SignatureMalformed(&'static str),
    /// An `SDK-...` algorithm other than `SDK-HMAC-SHA256`.
    #[error("The signing algorithm {} is not supported; use SDK-HMAC-SHA256", echo(.0))]
    SignatureAlgorithm(String),
    #[error("The X-Sdk-Date header is missing")]
    MissingDate,
    #[error("The X-Sdk-Date header is not a UTC time of the form YYYYMMDDTHHMMSSZ")]
    BadDate,
    #[error("The X-Sdk-Date is more than 15 minutes away from the server time")]
    DateSkew,
    /// A header named in `SignedHeaders` is not in the request.
    #[error("The signed header {} is not in the request", echo(.0))]
    SignedHeaderMissing(String),
    /// The signature is not the one of this request and key (never says which it expected).
    #[error("The request signature does not match: check the secret key and what was signed (method, path, query, signed headers, payload)")]
    SignatureMismatch,
    #[error("The access key does not exist")]
    UnknownAccessKey,
    #[error("The access key is disabled")]
    AccessKeyDisabled,
    /// Too many consecutive signature failures.
    #[error("The access key is temporarily locked after repeated signature failures; retry later")]
    AccessKeyLocked,
    /// The credential store failed (`APIG.9999`; the detail goes to the logs only).
    #[error("The credentials could not be checked")]
    Unavailable(String),
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
    #[error("The token algorithm {} is not accepted", echo(.0))]
    AlgorithmNotAccepted(String),
    /// The signature does not verify with any configured key (forged or wrong key).
    #[error("The token signature is invalid")]
    BadSignature,
    #[error("The token has expired")]
    Expired,
    #[error("The token is not valid yet")]
    NotYetValid,
    #[error("The token has no {} claim", echo(.0))]
    MissingClaim(String),
    #[error("The token's {} claim is not valid", echo(.0))]
    InvalidClaim(String),
    /// Valid credentials scoped to another project (`APIG.1005`).
    #[error("The credentials are scoped to another project")]
    WrongProject,
    /// Valid credentials without the action (`APIG.1005`).
    #[error("The credentials do not permit the action {}", echo(.0))]
    ActionNotPermitted(String),
}

impl AuthError {
    /// The APIG code of this refusal.
    pub fn code(&self) -> Code {
        match self {
            AuthError::Missing => Code::Apig1000,
            AuthError::WrongProject | AuthError::ActionNotPermitted(_) => Code::Apig1005,
            AuthError::Unavailable(_) => Code::Apig9999,
            _ => Code::Apig1002,
        }
    }
}

impl From<AuthError> for ApigError {
    fn from(e: AuthError) -> Self {
        if let AuthError::Unavailable(detail) = &e {
            tracing::error!(target: "apig_import::auth", error = %detail, "credential store failed");
            return ApigError::internal();
        }
        ApigError::new(e.code(), e.to_string())
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Token subject, or the access key (AK) of a signature.
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
    /// The whole `Authorization: SDK-...` value.
    Signature(&'a str),
}

/// Is `scheme` one of the SDK signing algorithms (`SDK-HMAC-SHA256`, or another `SDK-...`
/// that the signature parser then refuses by name)?
fn is_sdk_scheme(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case(SIGNATURE_SCHEME)
        || scheme
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("SDK-"))
}

/// The one value of a header, `None` when absent; sent twice is [`AuthError::Duplicate`].
fn single<'h>(
    headers: &'h HeaderMap,
    name: &str,
    display: &'static str,
) -> Result<Option<&'h http::HeaderValue>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(AuthError::Duplicate(display));
    }
    Ok(first)
}

/// Pick the credentials of a request: an `SDK-HMAC-SHA256` signature wins over a token
/// (`import-api.md` §2). Either header sent twice is refused, whatever the other says.
pub fn credentials(headers: &HeaderMap) -> Result<Credentials<'_>, AuthError> {
    let authorization = single(
        headers,
        http::header::AUTHORIZATION.as_str(),
        "Authorization",
    )?;
    let token = single(headers, TOKEN_HEADER, "X-Auth-Token")?;
    if let Some(value) = authorization {
        let value = value.to_str().map_err(|_| AuthError::UnsupportedScheme)?;
        let scheme = value.split_whitespace().next().unwrap_or("");
        if is_sdk_scheme(scheme) {
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

/// What a request may authenticate with: the token keys, the signature verifier (`None`:
/// signatures are refused), and the store that holds access keys.
#[derive(Clone, Copy)]
pub struct Authenticator<'a> {
    pub keys: &'a TokenKeys,
    pub signing: Option<&'a Signing>,
    pub store: &'a dyn AccessKeyStore,
}

impl Authenticator<'_> {
    /// Must the body be read before [`authenticate`]? Only for a signature (when enabled)
    /// whose payload hash is the body's: no `X-Sdk-Content-Sha256` header.
    pub fn needs_body(&self, headers: &HeaderMap) -> bool {
        self.signing.is_some()
            && matches!(credentials(headers), Ok(Credentials::Signature(_)))
            && !headers.contains_key(signature::CONTENT_SHA256_HEADER)
    }
}

/// What the headers of a request prove, before its body is read.
#[derive(Debug)]
pub enum HeaderCheck {
    /// A token: the caller is known.
    Caller(Caller),
    /// A signature whose syntax, date and key are good; the comparison is left
    /// ([`finish`]), over the body when [`Authenticator::needs_body`].
    Pending(PendingSignature),
}

/// Everything that can be checked from the headers alone (`request.body` is not looked
/// at): the whole token; the signature's syntax, date and key. Runs before a byte of the
/// body is read, so that every 401 but a wrong signature comes before any size or form
/// error, and costs no upload.
pub async fn check_headers(
    headers: &HeaderMap,
    with: &Authenticator<'_>,
) -> Result<HeaderCheck, AuthError> {
    match credentials(headers)? {
        Credentials::Token(token) => {
            let claims = with.keys.verify(token)?;
            Ok(HeaderCheck::Caller(Caller {
                id: claims.sub,
                project_id: claims.project_id,
                actions: claims.actions,
            }))
        }
        Credentials::Signature(value) => match with.signing {
            Some(signing) => signing
                .check_before_body(with.store, value, headers)
                .await
                .map(HeaderCheck::Pending),
            None => Err(AuthError::SignatureNotEnabled),
        },
    }
}

/// The end of [`check_headers`]: the caller, after comparing a pending signature over
/// `request` (with its body when [`Authenticator::needs_body`] said so).
pub async fn finish(
    check: HeaderCheck,
    request: &SignedRequest<'_>,
    with: &Authenticator<'_>,
) -> Result<Caller, AuthError> {
    match check {
        HeaderCheck::Caller(caller) => Ok(caller),
        HeaderCheck::Pending(pending) => match with.signing {
            Some(signing) => signing.finish(with.store, pending, request).await,
            None => Err(AuthError::SignatureNotEnabled),
        },
    }
}

/// Authenticate a request in one go ([`check_headers`], then [`finish`]).
pub async fn authenticate(
    request: &SignedRequest<'_>,
    with: &Authenticator<'_>,
) -> Result<Caller, AuthError> {
    let check = check_headers(request.headers, with).await?;
    finish(check, request, with).await
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

    async fn auth(
        h: &HeaderMap,
        keys: &TokenKeys,
        signing: Option<&Signing>,
    ) -> Result<Caller, AuthError> {
        let store = crate::store::sqlite::SqliteStore::in_memory().expect("store");
        let request = SignedRequest {
            method: "POST",
            path: "/v2/p1/x",
            query: None,
            headers: h,
            body: None,
        };
        let with = Authenticator {
            keys,
            signing,
            store: &store,
        };
        authenticate(&request, &with).await
    }

    #[test]
    fn repeated_credential_headers_are_refused() {
        let mut h = HeaderMap::new();
        h.append(TOKEN_HEADER, "a".parse().expect("value"));
        h.append(TOKEN_HEADER, "a".parse().expect("value"));
        assert_eq!(credentials(&h), Err(AuthError::Duplicate("X-Auth-Token")));
        let mut h = HeaderMap::new();
        h.append(
            http::header::AUTHORIZATION,
            "Bearer a".parse().expect("value"),
        );
        h.append(
            http::header::AUTHORIZATION,
            "SDK-HMAC-SHA256 Access=A".parse().expect("value"),
        );
        h.insert(TOKEN_HEADER, "t".parse().expect("value"));
        assert_eq!(credentials(&h), Err(AuthError::Duplicate("Authorization")));
        let e: ApigError = AuthError::Duplicate("Authorization").into();
        assert_eq!((e.code, e.status()), (Code::Apig1002, 401));
        // One of each is not ambiguous: the signature is used (`import-api.md` §2).
        let mut h = HeaderMap::new();
        h.insert(TOKEN_HEADER, "t".parse().expect("value"));
        h.insert(
            http::header::AUTHORIZATION,
            "SDK-HMAC-SHA256 Access=A".parse().expect("value"),
        );
        assert!(matches!(credentials(&h), Ok(Credentials::Signature(_))));
    }

    #[tokio::test]
    async fn header_selection_and_codes() {
        let keys = TokenKeys::hmac(b"secret").expect("keys");
        let signing = Signing::new(SigningSecret::new(b"0123456789abcdef").expect("secret"));
        let token = issue(
            b"secret",
            "alice",
            "p1",
            &[IMPORT_ACTION.to_string()],
            Duration::from_secs(60),
        )
        .expect("token");

        let mut h = HeaderMap::new();
        assert_eq!(auth(&h, &keys, None).await, Err(AuthError::Missing));
        h.insert(TOKEN_HEADER, token.parse().expect("value"));
        assert_eq!(auth(&h, &keys, None).await.expect("caller").id, "alice");
        h.insert(
            http::header::AUTHORIZATION,
            "Bearer something".parse().expect("value"),
        );
        assert_eq!(auth(&h, &keys, None).await.expect("caller").id, "alice");
        h.insert(
            http::header::AUTHORIZATION,
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00"
                .parse()
                .expect("value"),
        );
        // The signature wins over the token, whether signatures are enabled or not.
        assert_eq!(
            auth(&h, &keys, None).await,
            Err(AuthError::SignatureNotEnabled)
        );
        assert!(matches!(
            auth(&h, &keys, Some(&signing)).await,
            Err(AuthError::SignatureMalformed(_))
        ));
        let well_formed = format!(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature={}",
            "0".repeat(64)
        );
        h.insert(
            http::header::AUTHORIZATION,
            well_formed.parse().expect("value"),
        );
        assert_eq!(
            auth(&h, &keys, Some(&signing)).await,
            Err(AuthError::MissingDate)
        );
        h.remove(TOKEN_HEADER);
        assert_eq!(
            auth(&h, &keys, None).await,
            Err(AuthError::SignatureNotEnabled)
        );
        h.insert(
            http::header::AUTHORIZATION,
            "SDK-HMAC-SM3 Access=AK, SignedHeaders=host, Signature=00"
                .parse()
                .expect("value"),
        );
        assert_eq!(
            auth(&h, &keys, Some(&signing)).await,
            Err(AuthError::SignatureAlgorithm("SDK-HMAC-SM3".into()))
        );
        h.insert(
            http::header::AUTHORIZATION,
            "Basic x".parse().expect("value"),
        );
        assert_eq!(
            auth(&h, &keys, Some(&signing)).await,
            Err(AuthError::UnsupportedScheme)
        );

        // Only a signature without X-Sdk-Content-Sha256 needs the body, and only when enabled.
        let store = crate::store::sqlite::SqliteStore::in_memory().expect("store");
        let with = |signing| Authenticator {
            keys: &keys,
            signing,
            store: &store,
        };
        h.insert(
            http::header::AUTHORIZATION,
            "SDK-HMAC-SHA256 Access=AK".parse().expect("value"),
        );
        assert!(with(Some(&signing)).needs_body(&h));
        assert!(!with(None).needs_body(&h));
        h.insert(
            "x-sdk-content-sha256",
            "UNSIGNED-PAYLOAD".parse().expect("value"),
        );
        assert!(!with(Some(&signing)).needs_body(&h));
        h.remove(http::header::AUTHORIZATION);
        h.remove("x-sdk-content-sha256");
        h.insert(TOKEN_HEADER, token.parse().expect("value"));
        assert!(!with(Some(&signing)).needs_body(&h));

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
        let e: ApigError = AuthError::AccessKeyLocked.into();
        assert_eq!((e.code, e.status()), (Code::Apig1002, 401));
        assert!(e.message.contains("temporarily locked"), "{}", e.message);
        let e: ApigError = AuthError::Unavailable("sqlite: disk I/O error".into()).into();
        assert_eq!((e.code, e.status()), (Code::Apig9999, 500));
        assert!(!e.message.contains("sqlite"));
        let e: ApigError = AuthError::WrongProject.into();
        assert_eq!((e.code, e.status()), (Code::Apig1005, 403));
        assert!(e
            .message
            .starts_with("No permissions to request this method"));
    }
}
