//! Access keys: the server secret their secret keys derive from, new AKs, and signature
//! authentication with lockout ([`Signing`]).
//!
//! **The SK is never stored.** It is derived when needed:
//! `SK = hex(HMAC-SHA256(server_secret, "apig-sk-v1:" + AK))` (64 lower-case hex
//! characters; clients use its ASCII bytes as the HMAC key, as with any SK). The server
//! secret comes from `APIG_SIGNING_SECRET` (at least 16 bytes, used as is; Lambda and any
//! shared deployment) or else from `<data_dir>/signing.key` (32 random bytes, hex, mode
//! 0600, created on first use). Changing the server secret changes every SK.

use super::local_key::{load_or_create_secret, LocalKeyError};
use super::signature::{self, SignedRequest, MAX_SKEW};
use super::{AuthError, Caller};
use crate::model::{LockoutPolicy, PathId};
use crate::store::AccessKeyStore;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// The signing secret's file inside the data directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// The environment variable that holds the signing secret.
pub const SIGNING_SECRET_ENV: &str = "APIG_SIGNING_SECRET";
/// Label of the SK derivation (bump to rotate every SK at once).
const SK_LABEL: &str = "apig-sk-v1:";
/// Shortest accepted signing secret.
const MIN_SECRET_BYTES: usize = 16;
/// Length of a generated AK.
pub const ACCESS_KEY_LEN: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum SigningSecretError {
    #[error("{SIGNING_SECRET_ENV} must hold at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error(transparent)]
    File(#[from] LocalKeyError),
}

/// The server secret that secret keys derive from. Its `Debug` does not show it.
#[derive(Clone)]
pub struct SigningSecret {
    secret: Vec<u8>,
    origin: String,
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningSecret")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl SigningSecret {
    /// A secret of at least 16 bytes.
    pub fn new(secret: &[u8]) -> Result<Self, SigningSecretError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SigningSecretError::TooShort);
        }
        Ok(SigningSecret {
            secret: secret.to_vec(),
            origin: "given".to_string(),
        })
    }

    /// `APIG_SIGNING_SECRET` (its bytes), if set.
    pub fn from_env() -> Result<Option<Self>, SigningSecretError> {
        match std::env::var_os(SIGNING_SECRET_ENV) {
            Some(value) => {
                let mut secret = Self::new(value.as_encoded_bytes())?;
                secret.origin = SIGNING_SECRET_ENV.to_string();
                Ok(Some(secret))
            }
            None => Ok(None),
        }
    }

    /// `<data_dir>/signing.key`, created (32 random bytes, mode 0600) if absent.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, SigningSecretError> {
        let (secret, path): (Vec<u8>, PathBuf) = load_or_create_secret(data_dir, SIGNING_KEY_FILE)?;
        Ok(SigningSecret {
            secret,
            origin: path.display().to_string(),
        })
    }

    /// What `apig` uses: `APIG_SIGNING_SECRET` when set, else the data directory's file.
    pub fn resolve(data_dir: &Path) -> Result<Self, SigningSecretError> {
        match Self::from_env()? {
            Some(secret) => Ok(secret),
            None => Self::load_or_create(data_dir),
        }
    }

    /// Where the secret came from (the variable's name or the file's path), for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The secret key of `access_key`.
    pub fn secret_key(&self, access_key: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            // HMAC takes keys of any length; unreachable.
            return String::new();
        };
        mac.update(SK_LABEL.as_bytes());
        mac.update(access_key.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A fresh AK: 20 upper-case letters and digits.
pub fn generate_access_key() -> String {
    const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..ACCESS_KEY_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The clock of signature checks (injectable for tests).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Signature authentication: the server secret, the lockout rule, the allowed skew and the
/// clock.
#[derive(Clone)]
pub struct Signing {
    secret: SigningSecret,
    lockout: LockoutPolicy,
    max_skew: Duration,
    clock: Clock,
}

impl fmt::Debug for Signing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signing")
            .field("secret", &self.secret)
            .field("lockout", &self.lockout)
            .field("max_skew", &self.max_skew)
            .finish_non_exhaustive()
    }
}

impl Signing {
    /// With the default lockout (5 failures, 5 minutes), ±15 minutes of skew, the system
    /// clock.
    pub fn new(secret: SigningSecret) -> Self {
        Signing {
            secret,
            lockout: LockoutPolicy::default(),
            max_skew: MAX_SKEW,
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    pub fn with_lockout(mut self, lockout: LockoutPolicy) -> Self {
        self.lockout = lockout;
        self
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn secret(&self) -> &SigningSecret {
        &self.secret
    }

    pub fn lockout(&self) -> LockoutPolicy {
        self.lockout
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// Authenticate a signed request (`authorization` is the whole header value):
    /// [`Signing::check_before_body`], then [`Signing::finish`].
    pub async fn authenticate(
        &self,
        store: &dyn AccessKeyStore,
        authorization: &str,
        request: &SignedRequest<'_>,
    ) -> Result<Caller, AuthError> {
        let pending = self
            .check_before_body(store, authorization, request.headers)
            .await?;
        self.finish(store, pending, request).await
    }

    /// Everything the headers decide, checked before a byte of the body is read (a 401
    /// must not wait for, nor buffer, a body): the `Authorization` syntax, the date and the
    /// signed headers (no store access, not counted), then the key: unknown, locked (even
    /// a correct signature is then refused), disabled.
    pub async fn check_before_body(
        &self,
        store: &dyn AccessKeyStore,
        authorization: &str,
        headers: &HeaderMap,
    ) -> Result<PendingSignature, AuthError> {
        let auth = signature::parse_authorization(authorization)?;
        let now = self.now();
        signature::check_headers(&auth, headers, now, self.max_skew)?;
        let stored = store
            .get_access_key(&auth.access_key)
            .await
            .map_err(|e| AuthError::Unavailable(e.to_string()))?
            .ok_or(AuthError::UnknownAccessKey)?;
        if stored.lock.is_locked(now) {
            tracing::info!(target: "apig_import::auth", access_key = %auth.access_key, "locked access key refused");
            return Err(AuthError::AccessKeyLocked);
        }
        if !stored.key.enabled {
            return Err(AuthError::AccessKeyDisabled);
        }
        Ok(PendingSignature { auth, stored, now })
    }

    /// The signature itself, over the request as received (with its body when the payload
    /// hash is the body's). A wrong signature counts towards the lockout; a correct one
    /// resets the count.
    pub async fn finish(
        &self,
        store: &dyn AccessKeyStore,
        pending: PendingSignature,
        request: &SignedRequest<'_>,
    ) -> Result<Caller, AuthError> {
        let PendingSignature { auth, stored, now } = pending;
        let string_to_sign = signature::string_to_sign(request, &auth.signed_headers)?;
        let secret_key = self.secret.secret_key(&auth.access_key);
        let good = signature::matches(secret_key.as_bytes(), &string_to_sign, &auth.signature);
        let ak = auth.access_key.as_str();
        if !good {
            let after = store
                .record_auth_failure(ak, now, self.lockout)
                .await
                .map_err(|e| AuthError::Unavailable(e.to_string()))?;
            if let Some(lock) = after.filter(|lock| lock.is_locked(now)) {
                tracing::warn!(
                    target: "apig_import::auth",
                    access_key = ak,
                    project_id = %stored.key.project_id,
                    failures = lock.failures,
                    locked_for_secs = self.lockout.lock_for.as_secs(),
                    "access key locked after repeated signature failures"
                );
            }
            return Err(AuthError::SignatureMismatch);
        }
        if stored.lock != Default::default() {
            store
                .reset_auth_failures(ak)
                .await
                .map_err(|e| AuthError::Unavailable(e.to_string()))?;
        }
        Ok(Caller {
            id: stored.key.access_key,
            project_id: stored.key.project_id,
            actions: stored.key.actions,
        })
    }
}

/// A signature whose headers and key passed [`Signing::check_before_body`]; only the
/// comparison, which may need the body's hash, is left.
#[derive(Debug)]
pub struct PendingSignature {
    auth: signature::Authorization,
    stored: crate::model::StoredAccessKey,
    now: OffsetDateTime,
}

/// A new access key of `project` (enabled, created now) and its secret key.
pub fn new_access_key(
    secret: &SigningSecret,
    project: PathId,
    actions: Vec<String>,
) -> (crate::model::AccessKey, String) {
    let access_key = generate_access_key();
    let secret_key = secret.secret_key(&access_key);
    (
        crate::model::AccessKey {
            access_key,
            project_id: project,
            actions,
            enabled: true,
            created_at: crate::now_rfc3339(),
        },
        secret_key,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccessKey;
    use crate::store::sqlite::SqliteStore;
    use axum::http::{HeaderMap, HeaderValue};
    use std::sync::Mutex;
    use time::macros::datetime;

    struct Fixture {
        store: SqliteStore,
        signing: Signing,
        now: Arc<Mutex<OffsetDateTime>>,
        key: AccessKey,
        sk: String,
    }

    impl Fixture {
        async fn new() -> Self {
            let store = SqliteStore::in_memory().expect("store");
            let now = Arc::new(Mutex::new(datetime!(2024-01-01 00:00:00 UTC)));
            let clock_now = Arc::clone(&now);
            let secret = SigningSecret::new(b"0123456789abcdef-server").expect("secret");
            let signing = Signing::new(secret.clone())
                .with_clock(Arc::new(move || *clock_now.lock().expect("clock")));
            let (key, sk) = new_access_key(
                &secret,
                PathId::parse("p1").expect("pid"),
                vec!["apig:*".into()],
            );
            assert!(store.create_access_key(&key).await.expect("create"));
            Fixture {
                store,
                signing,
                now,
                key,
                sk,
            }
        }

        fn advance(&self, by: Duration) {
            let mut now = self.now.lock().expect("clock");
            *now += by;
        }

        /// A request signed now with `sk` for `ak`; returns the headers and authorization.
        fn signed(&self, ak: &str, sk: &str) -> (HeaderMap, String) {
            let mut h = HeaderMap::new();
            h.insert("host", HeaderValue::from_static("localhost"));
            signature::sign_request(
                ak,
                sk.as_bytes(),
                "POST",
                "/v2/p1/x",
                &mut h,
                Some(b"body"),
                self.signing.now(),
            )
            .expect("sign");
            let auth = h
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .expect("authorization")
                .to_string();
            (h, auth)
        }

        async fn attempt(&self, ak: &str, sk: &str) -> Result<Caller, AuthError> {
            let (h, auth) = self.signed(ak, sk);
            let request = SignedRequest {
                method: "POST",
                path: "/v2/p1/x",
                query: None,
                headers: &h,
                body: Some(b"body"),
            };
            self.signing
                .authenticate(&self.store, &auth, &request)
                .await
        }
    }

    #[test]
    fn secret_keys_are_derived_and_hidden() {
        let secret = SigningSecret::new(b"0123456789abcdef").expect("secret");
        let sk = secret.secret_key("AKEXAMPLE123");
        assert_eq!(sk.len(), 64);
        assert_eq!(sk, secret.secret_key("AKEXAMPLE123"));
        assert_ne!(sk, secret.secret_key("AKEXAMPLE124"));
        let other = SigningSecret::new(b"0123456789abcdeF").expect("secret");
        assert_ne!(sk, other.secret_key("AKEXAMPLE123"));
        assert!(!format!("{secret:?}").contains("0123456789abcdef"));
        assert!(matches!(
            SigningSecret::new(b"short"),
            Err(SigningSecretError::TooShort)
        ));
        let ak = generate_access_key();
        assert_eq!(ak.len(), ACCESS_KEY_LEN);
        assert!(ak
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_ne!(ak, generate_access_key());
    }

    #[test]
    fn file_secret_is_created_once_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = SigningSecret::load_or_create(dir.path()).expect("create");
        let b = SigningSecret::load_or_create(dir.path()).expect("load");
        assert_eq!(a.secret_key("AK1"), b.secret_key("AK1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SIGNING_KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Separate from the token key.
        let token = super::super::LocalKey::load_or_create(dir.path()).expect("token key");
        assert_ne!(token.secret(), a.secret.as_slice());
    }

    #[tokio::test]
    async fn success_failure_unknown_disabled() {
        let f = Fixture::new().await;
        let caller = f.attempt(&f.key.access_key, &f.sk).await.expect("caller");
        assert_eq!(caller.id, f.key.access_key);
        assert_eq!(caller.project_id.as_str(), "p1");
        assert_eq!(caller.actions, vec!["apig:*".to_string()]);

        assert_eq!(
            f.attempt(&f.key.access_key, "wrong").await,
            Err(AuthError::SignatureMismatch)
        );
        // Unknown AK, even signed with "its" derived SK.
        let sk = f.signing.secret().secret_key("AKUNKNOWN");
        assert_eq!(
            f.attempt("AKUNKNOWN", &sk).await,
            Err(AuthError::UnknownAccessKey)
        );
        assert!(f
            .store
            .set_access_key_enabled(&f.key.project_id, &f.key.access_key, false)
            .await
            .expect("disable"));
        assert_eq!(
            f.attempt(&f.key.access_key, &f.sk).await,
            Err(AuthError::AccessKeyDisabled)
        );
        // Skew is checked with the injected clock.
        let (h, auth) = f.signed(&f.key.access_key, &f.sk);
        f.advance(Duration::from_secs(16 * 60));
        let request = SignedRequest {
            method: "POST",
            path: "/v2/p1/x",
            query: None,
            headers: &h,
            body: Some(b"body"),
        };
        assert_eq!(
            f.signing.authenticate(&f.store, &auth, &request).await,
            Err(AuthError::DateSkew)
        );
    }

    #[tokio::test]
    async fn lockout_after_five_failures() {
        let f = Fixture::new().await;
        let ak = f.key.access_key.clone();
        // Four failures, then a success resets the count.
        for _ in 0..4 {
            assert_eq!(
                f.attempt(&ak, "bad").await,
                Err(AuthError::SignatureMismatch)
            );
        }
        f.attempt(&ak, &f.sk).await.expect("reset");
        let stored = f
            .store
            .get_access_key(&ak)
            .await
            .expect("get")
            .expect("key");
        assert_eq!(stored.lock, Default::default());

        for _ in 0..5 {
            assert_eq!(
                f.attempt(&ak, "bad").await,
                Err(AuthError::SignatureMismatch)
            );
        }
        // The sixth attempt is refused even with the right SK.
        assert_eq!(f.attempt(&ak, &f.sk).await, Err(AuthError::AccessKeyLocked));
        f.advance(Duration::from_secs(4 * 60 + 59));
        assert_eq!(f.attempt(&ak, &f.sk).await, Err(AuthError::AccessKeyLocked));
        f.advance(Duration::from_secs(1));
        f.attempt(&ak, &f.sk).await.expect("unlocked");
        let stored = f
            .store
            .get_access_key(&ak)
            .await
            .expect("get")
            .expect("key");
        assert_eq!(stored.lock, Default::default());

        // A configurable policy.
        let quick = f.signing.clone().with_lockout(LockoutPolicy {
            max_failures: 1,
            lock_for: Duration::from_secs(1),
        });
        let (h, _) = f.signed(&ak, "bad");
        let auth = h
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .expect("auth")
            .to_string();
        let request = SignedRequest {
            method: "POST",
            path: "/v2/p1/x",
            query: None,
            headers: &h,
            body: Some(b"body"),
        };
        assert_eq!(
            quick.authenticate(&f.store, &auth, &request).await,
            Err(AuthError::SignatureMismatch)
        );
        assert_eq!(f.attempt(&ak, &f.sk).await, Err(AuthError::AccessKeyLocked));
    }
}
