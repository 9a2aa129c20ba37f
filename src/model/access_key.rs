//! Access keys (AK) of AK/SK request signing (`signing.md`), and their lockout state.
//!
//! An access key record holds no secret: the secret key is derived from the AK and a server
//! secret when it is needed (`crate::auth::access_key`).

use super::PathId;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

/// The longest access key id accepted from a request.
pub const MAX_ACCESS_KEY_LEN: usize = 128;

/// Is `s` usable as an access key id: 1–128 ASCII letters and digits? (Generated ids are 20
/// upper-case letters and digits; the `signing.md` vectors use `AKEXAMPLE123`.)
pub fn is_valid_access_key(s: &str) -> bool {
    (1..=MAX_ACCESS_KEY_LEN).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An access key: the project it belongs to and the actions it permits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// The AK, unique across all projects.
    pub access_key: String,
    /// The project the key is scoped to.
    pub project_id: PathId,
    /// Permitted actions; `*` and `prefix:*` are wildcards, as in tokens.
    pub actions: Vec<String>,
    /// A disabled key is refused (`APIG.1002`).
    pub enabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// The consecutive signature failures of a key and the lock they led to. Times have second
/// precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccessKeyLock {
    /// Consecutive failures since the last success (or since the last lock expired).
    pub failures: u32,
    /// The key is refused until this instant.
    pub locked_until: Option<OffsetDateTime>,
}

/// After `max_failures` consecutive signature failures a key is refused for `lock_for`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    /// 5 failures, 5 minutes.
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            lock_for: Duration::from_secs(5 * 60),
        }
    }
}

/// Whole seconds since the epoch (what stores persist).
pub fn unix_seconds(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// The instant of `seconds` since the epoch (`None` if out of range).
pub fn from_unix_seconds(seconds: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

impl AccessKeyLock {
    /// Is the key locked at `now`?
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// The state after one more failure at `now`, the one rule every store applies: a lock
    /// that has expired is forgotten (the count starts over); the failure is counted; when
    /// the count reaches `policy.max_failures` the key is locked until `now + lock_for`
    /// (rounded down to the second).
    pub fn after_failure(&self, now: OffsetDateTime, policy: LockoutPolicy) -> AccessKeyLock {
        let mut next = *self;
        if next.locked_until.is_some_and(|until| now >= until) {
            next = AccessKeyLock::default();
        }
        next.failures = next.failures.saturating_add(1);
        if next.failures >= policy.max_failures && next.locked_until.is_none() {
            let until = now + policy.lock_for;
            next.locked_until = from_unix_seconds(unix_seconds(until));
        }
        next
    }
}

/// An access key as stored, with its lockout state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccessKey {
    pub key: AccessKey,
    pub lock: AccessKeyLock,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ids() {
        assert!(is_valid_access_key("AKEXAMPLE123"));
        assert!(is_valid_access_key("abcDEF0123456789ABCD"));
        assert!(!is_valid_access_key(""));
        assert!(!is_valid_access_key("AK-1"));
        assert!(!is_valid_access_key("ÄK"));
        assert!(!is_valid_access_key(&"A".repeat(129)));
    }

    #[test]
    fn lock_after_five_then_expire() {
        let policy = LockoutPolicy::default();
        let t0 = datetime!(2024-01-01 00:00:00.7 UTC);
        let mut lock = AccessKeyLock::default();
        for n in 1..=4 {
            lock = lock.after_failure(t0, policy);
            assert_eq!(lock.failures, n);
            assert!(!lock.is_locked(t0));
        }
        lock = lock.after_failure(t0, policy);
        assert_eq!(lock.failures, 5);
        assert_eq!(lock.locked_until, Some(datetime!(2024-01-01 00:05:00 UTC)));
        assert!(lock.is_locked(datetime!(2024-01-01 00:04:59 UTC)));
        assert!(!lock.is_locked(datetime!(2024-01-01 00:05:00 UTC)));
        // A failure while locked does not extend the lock.
        let again = lock.after_failure(datetime!(2024-01-01 00:01:00 UTC), policy);
        assert_eq!(again.locked_until, lock.locked_until);
        // After the lock, the count starts over.
        let later = lock.after_failure(datetime!(2024-01-01 00:06:00 UTC), policy);
        assert_eq!(
            later,
            AccessKeyLock {
                failures: 1,
                locked_until: None
            }
        );
    }
}
