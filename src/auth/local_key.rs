//! The local token key: a random 32-byte HMAC secret, hex, in `<data_dir>/token.key` (mode
//! 0600), shared by `apig serve` (to verify) and `apig token` (to issue).
//!
//! [`load_or_create_secret`] is the file handling, shared with the signing secret of access
//! keys (`signing.key`, see `access_key`).

use super::token::{issue, KeyError, TokenKeys};
use rand::RngCore;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file name of the key inside the data directory.
pub const LOCAL_KEY_FILE: &str = "token.key";

/// Secrets shorter than this are refused when loading (a hand-edited file).
const MIN_SECRET_BYTES: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum LocalKeyError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} does not hold a hex secret of at least {MIN_SECRET_BYTES} bytes")]
    Invalid { path: PathBuf },
}

/// The local HMAC secret. Its `Debug` does not show it.
#[derive(Clone)]
pub struct LocalKey {
    secret: Vec<u8>,
    path: PathBuf,
}

impl fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LocalKey {
    /// Read `<data_dir>/token.key`, creating the directory and a fresh random key when it
    /// does not exist (see [`load_or_create_secret`]).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, LocalKeyError> {
        let (secret, path) = load_or_create_secret(data_dir, LOCAL_KEY_FILE)?;
        Ok(LocalKey { secret, path })
    }

    /// The secret bytes.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Where the key lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keys that verify tokens issued with this secret.
    pub fn token_keys(&self) -> Result<TokenKeys, KeyError> {
        TokenKeys::hmac(&self.secret)
    }

    /// Issue a token signed with this secret.
    pub fn issue(
        &self,
        sub: &str,
        project_id: &str,
        actions: &[String],
        ttl: Duration,
    ) -> Result<String, KeyError> {
        issue(&self.secret, sub, project_id, actions, ttl)
    }
}

/// Read the hex secret in `<data_dir>/<file_name>`, creating the directory and a fresh
/// random 32-byte secret (mode 0600) when the file does not exist. Creation is atomic
/// (written to a temporary file, then linked into place), so two processes starting at once
/// end up with the same secret. Shared by the token key and the signing secret.
pub fn load_or_create_secret(
    data_dir: &Path,
    file_name: &str,
) -> Result<(Vec<u8>, PathBuf), LocalKeyError> {
    let path = data_dir.join(file_name);
    match std::fs::read_to_string(&path) {
        Ok(text) => return parse_secret(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(LocalKeyError::Io {
                action: "read",
                path,
                source,
            })
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|source| LocalKeyError::Io {
        action: "create",
        path: data_dir.to_path_buf(),
        source,
    })?;
    let mut secret = vec![0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let tmp = data_dir.join(format!(".{file_name}.{}", uuid::Uuid::new_v4().simple()));
    let io = |action, source| LocalKeyError::Io {
        action,
        path: tmp.clone(),
        source,
    };
    {
        let mut file = open_private(&tmp).map_err(|e| io("create", e))?;
        file.write_all(format!("{}\n", hex::encode(&secret)).as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| io("write", e))?;
    }
    let linked = std::fs::hard_link(&tmp, &path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok((secret, path)),
        // Another process won the race: use its secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(|source| LocalKeyError::Io {
                action: "read",
                path: path.clone(),
                source,
            })?;
            parse_secret(&text, path)
        }
        Err(source) => Err(LocalKeyError::Io {
            action: "create",
            path,
            source,
        }),
    }
}

fn parse_secret(text: &str, path: PathBuf) -> Result<(Vec<u8>, PathBuf), LocalKeyError> {
    match hex::decode(text.trim()) {
        Ok(secret) if secret.len() >= MIN_SECRET_BYTES => Ok((secret, path)),
        _ => Err(LocalKeyError::Invalid { path }),
    }
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_load_same_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("nested/data");
        let a = LocalKey::load_or_create(&data).expect("create");
        let b = LocalKey::load_or_create(&data).expect("load");
        assert_eq!(a.secret(), b.secret());
        assert_eq!(a.secret().len(), 32);
        let text = std::fs::read_to_string(data.join(LOCAL_KEY_FILE)).expect("read");
        assert_eq!(text.trim(), hex::encode(a.secret()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(LOCAL_KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&data).expect("dir").count(), 1);
        assert!(!format!("{a:?}").contains(&hex::encode(a.secret())));

        let token = a
            .issue("dev", "p1", &["*".to_string()], Duration::from_secs(60))
            .expect("issue");
        let claims = b
            .token_keys()
            .expect("keys")
            .verify(&token)
            .expect("verify");
        assert_eq!(claims.sub, "dev");
    }

    #[test]
    fn refuses_bad_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(LOCAL_KEY_FILE), "abcd\n").expect("write");
        assert!(matches!(
            LocalKey::load_or_create(dir.path()),
            Err(LocalKeyError::Invalid { .. })
        ));
    }
}
