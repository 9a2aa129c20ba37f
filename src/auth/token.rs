//! `X-Auth-Token`: signed JWTs (`import-api.md` §2, token half).
//!
//! * Local use: an HMAC secret (HS256), see [`super::LocalKey`].
//! * Production: PEM public keys of the issuer (RS256 for RSA keys, ES256 for P-256 keys).
//!
//! Required claims: `exp`, `sub` (the caller), `project_id` (the project the token is scoped
//! to) and `actions` (the permitted actions, e.g. `apig:api:import`, `apig:*`, `*`).
//! `nbf` is checked when present; `iat` is accepted and not used.
//!
//! Every way a token can be wrong has its own [`AuthError`] variant, so the caller is told
//! which (expired, wrong key, unsigned, ...) without any secret being revealed.

use super::AuthError;
use crate::model::PathId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Tokens longer than this are refused before any parsing (a JWT of this product is a few
/// hundred bytes; an issuer's token with many claims a few KiB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Allowed clock difference between the issuer and this server, for `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

/// A problem with configured key material (never with a caller's token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the HMAC secret is empty")]
    EmptySecret,
    #[error("the PEM data holds no RSA or EC (P-256) public key")]
    NotAPublicKey,
}

/// The keys that token signatures are verified with. Its `Debug` shows no key material.
#[derive(Clone, Default)]
pub struct TokenKeys {
    hmac: Option<DecodingKey>,
    rsa: Vec<DecodingKey>,
    ec: Vec<DecodingKey>,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys")
            .field("hmac", &self.hmac.is_some())
            .field("rsa_keys", &self.rsa.len())
            .field("ec_keys", &self.ec.len())
            .finish()
    }
}

impl TokenKeys {
    /// No keys: every token is refused (`tokens are not accepted`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Only an HMAC secret (HS256): local use.
    pub fn hmac(secret: &[u8]) -> Result<Self, KeyError> {
        Self::none().with_hmac(secret)
    }

    /// Accept HS256 tokens signed with `secret` (replaces any previous secret).
    pub fn with_hmac(mut self, secret: &[u8]) -> Result<Self, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::EmptySecret);
        }
        let key = DecodingKey::from_secret(secret).map_err(|_| KeyError::EmptySecret)?;
        self.hmac = Some(key);
        Ok(self)
    }

    /// Accept tokens signed by the holder of this public key: RS256 for an RSA key
    /// (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`), ES256 for a P-256 key
    /// (`BEGIN PUBLIC KEY`). May be called several times (key rotation).
    pub fn with_public_pem(mut self, pem: &[u8]) -> Result<Self, KeyError> {
        if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            self.rsa.push(key);
        } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            self.ec.push(key);
        } else {
            return Err(KeyError::NotAPublicKey);
        }
        Ok(self)
    }

    /// The keys of a deployed function: `APIG_TOKEN_SECRET` (HS256 secret) and/or
    /// `APIG_TOKEN_PUBLIC_KEYS` (one or more concatenated PEM public keys).
    pub fn from_env() -> Result<Self, KeyError> {
        let mut keys = Self::none();
        if let Ok(secret) = std::env::var("APIG_TOKEN_SECRET") {
            keys = keys.with_hmac(secret.as_bytes())?;
        }
        if let Ok(pems) = std::env::var("APIG_TOKEN_PUBLIC_KEYS") {
            for block in pem_blocks(&pems) {
                keys = keys.with_public_pem(block.as_bytes())?;
            }
        }
        Ok(keys)
    }

    /// Is any key configured?
    pub fn is_empty(&self) -> bool {
        self.hmac.is_none() && self.rsa.is_empty() && self.ec.is_empty()
    }

    /// The algorithms tokens may use with these keys.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut algs = Vec::new();
        if self.hmac.is_some() {
            algs.push(Algorithm::HS256);
        }
        if !self.rsa.is_empty() {
            algs.push(Algorithm::RS256);
        }
        if !self.ec.is_empty() {
            algs.push(Algorithm::ES256);
        }
        algs
    }

    fn keys_for(&self, alg: Algorithm) -> Vec<&DecodingKey> {
        match alg {
            Algorithm::HS256 => self.hmac.iter().collect(),
            Algorithm::RS256 => self.rsa.iter().collect(),
            Algorithm::ES256 => self.ec.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Verify a token: its signature with one of the keys, its time claims, and the
    /// presence and shape of the claims this product needs.
    pub fn verify(&self, token: &str) -> Result<VerifiedClaims, AuthError> {
        if self.is_empty() {
            return Err(AuthError::NoTokenKeys);
        }
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let alg = header_alg(header)?;
        if alg.eq_ignore_ascii_case("none") {
            return Err(AuthError::Unsigned);
        }
        if payload.is_empty() || signature.is_empty() {
            return Err(AuthError::Malformed);
        }
        let algorithm = match alg.as_str() {
            "HS256" => Algorithm::HS256,
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            _ => return Err(AuthError::AlgorithmNotAccepted(printable_alg(&alg))),
        };
        let keys = self.keys_for(algorithm);
        if keys.is_empty() {
            return Err(AuthError::AlgorithmNotAccepted(alg));
        }

        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);

        let mut last = AuthError::BadSignature;
        for key in keys {
            match jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
                token,
                key,
                &validation,
            ) {
                Ok(data) => return claims_of(data.claims),
                Err(e) => {
                    last = map_jwt_error(e.kind());
                    if let AuthError::MissingClaim(claim) = &last {
                        // Claims are validated after the signature verified, so reading them
                        // here is safe: a claim that is present but not a number is invalid,
                        // not missing.
                        let present = base64url_decode(payload)
                            .and_then(|bytes| {
                                serde_json::from_slice::<
                                    serde_json::Map<String, serde_json::Value>,
                                >(&bytes)
                                .ok()
                            })
                            .is_some_and(|c| c.get(claim).is_some_and(|v| !v.is_null()));
                        if present {
                            last = AuthError::InvalidClaim(claim.clone());
                        }
                    }
                    if last != AuthError::BadSignature {
                        // The signature verified (claims are checked after it), or the token
                        // is broken in a way no other key can change.
                        return Err(last);
                    }
                }
            }
        }
        Err(last)
    }
}

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub sub: String,
    pub project_id: PathId,
    pub actions: Vec<String>,
    pub exp: u64,
}

/// The claims written by [`issue`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub sub: String,
    pub project_id: String,
    pub actions: Vec<String>,
    pub exp: u64,
    pub iat: u64,
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Issue an HS256 token for local use (`apig token`): valid from now for `ttl`.
pub fn issue(
    secret: &[u8],
    sub: &str,
    project_id: &str,
    actions: &[String],
    ttl: Duration,
) -> Result<String, KeyError> {
    if secret.is_empty() {
        return Err(KeyError::EmptySecret);
    }
    let now = now_secs();
    let claims = Claims {
        sub: sub.to_string(),
        project_id: project_id.to_string(),
        actions: actions.to_vec(),
        exp: now.saturating_add(ttl.as_secs()),
        iat: now,
    };
    let key = EncodingKey::from_secret(secret).map_err(|_| KeyError::EmptySecret)?;
    // Encoding a plain struct with an HMAC key cannot fail otherwise.
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|_| KeyError::EmptySecret)
}

fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim.clone()),
        ErrorKind::InvalidClaimFormat(claim) => AuthError::InvalidClaim(claim.clone()),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            AuthError::AlgorithmNotAccepted("(unknown)".to_string())
        }
        // Key/crypto problems for a well-formed token: the signature cannot be verified.
        ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::Provider(_) => AuthError::BadSignature,
        _ => AuthError::Malformed,
    }
}

fn claims_of(
    mut claims: serde_json::Map<String, serde_json::Value>,
) -> Result<VerifiedClaims, AuthError> {
    use serde_json::Value;
    let sub = match claims.remove("sub") {
        None | Some(Value::Null) => return Err(AuthError::MissingClaim("sub".into())),
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(_) => return Err(AuthError::InvalidClaim("sub".into())),
    };
    let project_id = match claims.remove("project_id") {
        None | Some(Value::Null) => return Err(AuthError::MissingClaim("project_id".into())),
        Some(Value::String(s)) => {
            PathId::parse(&s).ok_or_else(|| AuthError::InvalidClaim("project_id".into()))?
        }
        Some(_) => return Err(AuthError::InvalidClaim("project_id".into())),
    };
    let actions = match claims.remove("actions") {
        None | Some(Value::Null) => return Err(AuthError::MissingClaim("actions".into())),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(AuthError::InvalidClaim("actions".into())),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(AuthError::InvalidClaim("actions".into())),
    };
    let exp = claims
        .get("exp")
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)))
        .ok_or_else(|| AuthError::InvalidClaim("exp".into()))?;
    Ok(VerifiedClaims {
        sub,
        project_id,
        actions,
        exp,
    })
}

/// The `alg` of the token's (unverified) header.
fn header_alg(header: &str) -> Result<String, AuthError> {
    let bytes = base64url_decode(header).ok_or(AuthError::Malformed)?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
    match value.get("alg") {
        Some(serde_json::Value::String(alg)) => Ok(alg.clone()),
        _ => Err(AuthError::Malformed),
    }
}

/// An algorithm name safe to repeat in a message.
fn printable_alg(alg: &str) -> String {
    if !alg.is_empty() && alg.len() <= 16 && alg.bytes().all(|b| b.is_ascii_alphanumeric()) {
        alg.to_string()
    } else {
        "(unknown)".to_string()
    }
}

/// Base64url without padding (padding tolerated), as in JWTs.
fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A single leftover character (6 bits) cannot come from any byte string.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";

    fn encode_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret).expect("key"),
        )
        .expect("encode")
    }

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.len();
            let v = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..=n {
                out.push(A[((v >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn keys() -> TokenKeys {
        TokenKeys::hmac(SECRET).expect("keys")
    }

    fn good_claims() -> serde_json::Value {
        json!({"sub": "alice", "project_id": PROJECT, "actions": ["apig:api:import"],
               "exp": now_secs() + 600})
    }

    #[test]
    fn base64url_round_trip() {
        for s in ["", "a", "ab", "abc", "abcd", "{\"alg\":\"HS256\"}"] {
            assert_eq!(
                base64url_decode(&b64(s.as_bytes())).as_deref(),
                Some(s.as_bytes())
            );
        }
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("a.b"), None);
    }

    #[test]
    fn issue_then_verify() {
        let token = issue(
            SECRET,
            "alice",
            PROJECT,
            &["apig:api:import".to_string()],
            Duration::from_secs(600),
        )
        .expect("issue");
        let claims = keys().verify(&token).expect("verify");
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.project_id.as_str(), PROJECT);
        assert_eq!(claims.actions, vec!["apig:api:import".to_string()]);
        assert!(claims.exp > now_secs());
    }

    #[test]
    fn issue_refuses_empty_secret() {
        assert_eq!(
            issue(b"", "a", PROJECT, &[], Duration::from_secs(1)),
            Err(KeyError::EmptySecret)
        );
        assert!(TokenKeys::hmac(b"").is_err());
    }

    #[test]
    fn rejections_are_distinct() {
        let k = keys();
        assert_eq!(k.verify("garbage"), Err(AuthError::Malformed));
        assert_eq!(k.verify("a.b.c"), Err(AuthError::Malformed));
        assert_eq!(k.verify(""), Err(AuthError::Malformed));
        assert_eq!(
            k.verify(&"a".repeat(MAX_TOKEN_LEN + 1)),
            Err(AuthError::Malformed)
        );

        let none = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(good_claims().to_string().as_bytes())
        );
        assert_eq!(k.verify(&none), Err(AuthError::Unsigned));
        let none_upper = format!(
            "{}.{}.",
            b64(br#"{"alg":"NONE"}"#),
            b64(good_claims().to_string().as_bytes())
        );
        assert_eq!(k.verify(&none_upper), Err(AuthError::Unsigned));

        let wrong_key = encode_hs256(b"another secret entirely", &good_claims());
        assert_eq!(k.verify(&wrong_key), Err(AuthError::BadSignature));

        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &good_claims(),
            &EncodingKey::from_secret(SECRET).expect("key"),
        )
        .expect("encode");
        assert_eq!(
            k.verify(&hs512),
            Err(AuthError::AlgorithmNotAccepted("HS512".into()))
        );

        // Tampered payload, original signature.
        let good = encode_hs256(SECRET, &good_claims());
        let mut parts: Vec<&str> = good.split('.').collect();
        let mut evil = good_claims();
        evil["project_id"] = json!("someone-else");
        let evil_payload = b64(evil.to_string().as_bytes());
        parts[1] = &evil_payload;
        assert_eq!(k.verify(&parts.join(".")), Err(AuthError::BadSignature));

        let mut c = good_claims();
        c["exp"] = json!(now_secs() - 3600);
        assert_eq!(k.verify(&encode_hs256(SECRET, &c)), Err(AuthError::Expired));

        let mut c = good_claims();
        c["nbf"] = json!(now_secs() + 3600);
        assert_eq!(
            k.verify(&encode_hs256(SECRET, &c)),
            Err(AuthError::NotYetValid)
        );

        for claim in ["exp", "sub", "project_id", "actions"] {
            let mut c = good_claims();
            c.as_object_mut().expect("object").remove(claim);
            assert_eq!(
                k.verify(&encode_hs256(SECRET, &c)),
                Err(AuthError::MissingClaim(claim.into())),
                "{claim}"
            );
        }
        for (claim, value) in [
            ("sub", json!(7)),
            ("sub", json!("")),
            ("project_id", json!("a/b")),
            ("actions", json!("apig:*")),
            ("actions", json!([1])),
            ("exp", json!("tomorrow")),
        ] {
            let mut c = good_claims();
            c[claim] = value;
            assert_eq!(
                k.verify(&encode_hs256(SECRET, &c)),
                Err(AuthError::InvalidClaim(claim.into())),
                "{claim}"
            );
        }
        assert_eq!(
            TokenKeys::none().verify(&encode_hs256(SECRET, &good_claims())),
            Err(AuthError::NoTokenKeys)
        );
    }

    #[test]
    fn messages_leak_no_secret() {
        let token = encode_hs256(b"another secret entirely", &good_claims());
        let msg = keys().verify(&token).expect_err("wrong key").to_string();
        assert!(!msg.contains("another secret"));
        assert!(!msg.contains(&token));
        assert!(!format!("{:?}", keys()).contains("0123456789abcdef"));
    }

    // Key pairs generated for these tests only.
    const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBccypqWJqyF+ywx9
6CGUxBfaA8UPE5IQ2L+6M2PAZrqhRANCAATkJiBa68Ald1YSgc+gGhZPga/wsRnG
NVocmY99K1Lut1vJnDMut3k0qjyQSXf3DhZguYzjK/QO/ZRutEsA3hLL
-----END PRIVATE KEY-----
";
    const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE5CYgWuvAJXdWEoHPoBoWT4Gv8LEZ
xjVaHJmPfStS7rdbyZwzLrd5NKo8kEl39w4WYLmM4yv0Dv2UbrRLAN4Syw==
-----END PUBLIC KEY-----
";
    const RSA_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCu2AoiIlh/xyud
qyQGbKArt+ma/kwV3V68mdUTMqTszzWjPSLF7CIstbkOX1DozX+yB2vh0NXAWuSp
AaL2Wz1UMQDD3gHFu22XnWUeQhpR4To2H1daAf78Y0FpFF2ksgrvCFdGkM/Si3VK
TvitvTNn6RvAb8kRhb+VpB72ejdz7dSSHt72GPxOrgVNzwSg0vykkKu/7Ee58YQG
o/lb6kDOFMQ4jDZ7FzABRJPV2j9y1tGvtXlCVhpion2bV1cL5MxooIFg+De0c8wH
j7UAVMfL7gnLu9NvwqyRbittS/XKL4Fq5fqDgdKmAFjrFt9PcOfJMdfnC5IdzQy8
KLAWFSFtAgMBAAECggEAEFflapdnSlplu1E6Bte0iSGh1nkax5hvuJVwk2DShchA
rUeTroiKET/TUoKaX4iF/TAwZ2VL9bUJVrrubrTMoMgL2EMySzdf4SI3R4LKTwkM
le6MDb/OA+2LObVLo4948isHbXMv2fBrQEztdeAPpBDoJS7NzrN/2w8CTevSryVO
Y/NbMv9qzJcFbVp4rVaG5+dnROORD4bO8/87phvA2PMj4Fdfq1dzw3hoDH0tvERd
xFZyagjT4asXAB32Dbww31f28comIxrH35CGNPCz9aKqjQuXbL8eKehrWZ3aV2Ec
dG31qbWcJyr0XMMKWkwByBe/RElrrOnZt2z4HZtfiQKBgQDkhKRgpLWnkHk5bt7t
nUxwtZm9vVIqZOn6q8ESV9eLATwvC+j2vxRdMzSKD1f4MlNesigEfgdueFXTVIiw
0/OM90ZlI8b8WtXuixCruBjSOv4s3H/MmyVk1hiI2dzu3cqj6GkKZSaJ8sk9F6RD
CXL5OmzVheGWXwBQOS2lANSA3wKBgQDD3u+fO6HFvYuMwPABSpmtAy11D3ApEiwf
rbRdORYuNPwnCjwc752QZ8F+qfUa+o3lIPsUTCdPSjTmpzddmg2OMWEz0X92zit9
RfyUi7o1UnpYJAzJDVde7HRBdOCcj3paD3eVyM2KhvTEaj9p/K3G7/2eVcTFkptQ
udzkByYrMwKBgFn/z4lsdUq4QLYY712f7OIa86DhtkGSGwCpslGaHP7XDq/sveSo
HsoSB6g0IM5Ua7dI7S/PvveIFy0zBt61qx8iqCvfKlhrIgRf6sHmsIfjygU7Fm4r
0E9lbqY/P58n5M4nE2+PpN0BrLYN4JiyWQDFPOXfY5hIdCQkUNDCge77AoGAcGMm
0xMAS9nqjKTYEaWgb+l218g37xkCQFsHNsZet7ynQi9ZNrE2k3k1SVxzyzsg1+wI
pSjdFV3a5M3lssuGI6SpxXXb0WuTAJp7xzA1dAsTMCffPi1tiIXcXwKVLsAU0EA3
ubYyWd397AWaxVG61H834vYLpeHtRHChEiYX/IkCgYAEwmeScV+ewRa+CXrcPhVK
QPLKnwzpgizBAcZ+V2C7U/MBTV6zmMHg15zYU6e7lX1i083SxSwjb+VVy15n/TZS
fUXj5kAm1/6+lT/+kALQF5E5+tMLIDQTWNKS6CqIusQrkw+g9AFO+F2ayH7csfS3
Lp93pGQT71hUjheIoYUaNw==
-----END PRIVATE KEY-----
";
    const RSA_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArtgKIiJYf8crnaskBmyg
K7fpmv5MFd1evJnVEzKk7M81oz0ixewiLLW5Dl9Q6M1/sgdr4dDVwFrkqQGi9ls9
VDEAw94Bxbttl51lHkIaUeE6Nh9XWgH+/GNBaRRdpLIK7whXRpDP0ot1Sk74rb0z
Z+kbwG/JEYW/laQe9no3c+3Ukh7e9hj8Tq4FTc8EoNL8pJCrv+xHufGEBqP5W+pA
zhTEOIw2excwAUST1do/ctbRr7V5QlYaYqJ9m1dXC+TMaKCBYPg3tHPMB4+1AFTH
y+4Jy7vTb8KskW4rbUv1yi+BauX6g4HSpgBY6xbfT3DnyTHX5wuSHc0MvCiwFhUh
bQIDAQAB
-----END PUBLIC KEY-----
";

    #[test]
    fn es256_public_key() {
        let Ok(signing) = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()) else {
            panic!("test key does not parse");
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &good_claims(), &signing)
            .expect("encode");
        let keys = TokenKeys::none()
            .with_public_pem(EC_PUBLIC.as_bytes())
            .expect("public key");
        assert_eq!(keys.algorithms(), vec![Algorithm::ES256]);
        assert_eq!(keys.verify(&token).expect("verify").sub, "alice");
        // An HS256 token is refused when only public keys are configured (no alg confusion).
        let hs = encode_hs256(EC_PUBLIC.as_bytes(), &good_claims());
        assert_eq!(
            keys.verify(&hs),
            Err(AuthError::AlgorithmNotAccepted("HS256".into()))
        );
        assert_eq!(
            TokenKeys::none().with_public_pem(b"not a key").err(),
            Some(KeyError::NotAPublicKey)
        );
    }

    #[test]
    fn rs256_public_key_and_rotation() {
        let signing = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa key");
        let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &good_claims(), &signing)
            .expect("encode");
        // Two public keys (rotation): the EC one does not match RS256, the RSA one does.
        let keys = TokenKeys::hmac(SECRET)
            .and_then(|k| k.with_public_pem(EC_PUBLIC.as_bytes()))
            .and_then(|k| k.with_public_pem(RSA_PUBLIC.as_bytes()))
            .expect("keys");
        assert_eq!(keys.verify(&token).expect("verify").sub, "alice");
        let ec_only = TokenKeys::none()
            .with_public_pem(EC_PUBLIC.as_bytes())
            .expect("ec");
        assert_eq!(
            ec_only.verify(&token),
            Err(AuthError::AlgorithmNotAccepted("RS256".into()))
        );
    }
}

/// The `-----BEGIN ...-----` ... `-----END ...-----` blocks of a PEM bundle.
fn pem_blocks(bundle: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in bundle.lines().map(str::trim) {
        if line.starts_with("-----BEGIN ") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line.starts_with("-----END ") {
            blocks.extend(current.take());
        }
    }
    blocks
}

#[cfg(test)]
mod pem_bundle_tests {
    #[test]
    fn splits_a_bundle_into_blocks() {
        let bundle = "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n\n  -----BEGIN PUBLIC KEY-----\nBBB\n-----END PUBLIC KEY-----";
        let blocks = super::pem_blocks(bundle);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[1].contains("BBB"));
        assert!(super::pem_blocks("no pem here").is_empty());
    }
}
