//! The [`BlobStore`] capability: documents of tasks and their results, by key.
//!
//! Keys are relative paths made by the product (`tasks/<project>/<instance>/<id>`,
//! `results/…`): segments of `[A-Za-z0-9_.-]`, never `..`. Locally the blobs are files under
//! the data directory ([`FileBlobStore`]); on AWS, objects in the bucket.

use super::{StoreError, StoreResult};
use async_trait::async_trait;
use bytes::Bytes;
use std::path::{Path, PathBuf};

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Store `data` under `key`, durably (replacing what was there).
    async fn put_blob(&self, key: &str, data: Bytes) -> StoreResult<()>;
    /// The blob under `key`, if any.
    async fn get_blob(&self, key: &str) -> StoreResult<Option<Bytes>>;
}

/// Is `key` a product-made relative path (no absolute path, no `..`, no empty segment)?
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
}

/// Blobs as files under a root directory.
#[derive(Debug, Clone)]
pub struct FileBlobStore {
    root: PathBuf,
}

impl FileBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FileBlobStore { root: root.into() }
    }

    fn path(&self, key: &str) -> StoreResult<PathBuf> {
        if !valid_key(key) {
            return Err(StoreError::new(format_args!(
                "blob key {key:?} is not valid"
            )));
        }
        Ok(self.root.join(key))
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::new(format_args!("blobs: {what} {}: {e}", path.display()))
}

#[async_trait]
impl BlobStore for FileBlobStore {
    async fn put_blob(&self, key: &str, data: Bytes) -> StoreResult<()> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
            }
            // Written beside, synced, then renamed: a reader never sees half a blob, and a
            // crash leaves the old one or the new one.
            let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
            let write = || -> std::io::Result<()> {
                use std::io::Write;
                let mut file = std::fs::File::create(&tmp)?;
                file.write_all(&data)?;
                file.sync_all()?;
                std::fs::rename(&tmp, &path)
            };
            write().map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                io_error("write", &path, e)
            })
        })
        .await
        .map_err(|e| StoreError::new(format_args!("blobs: join: {e}")))?
    }

    async fn get_blob(&self, key: &str) -> StoreResult<Option<Bytes>> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || match std::fs::read(&path) {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, e)),
        })
        .await
        .map_err(|e| StoreError::new(format_args!("blobs: join: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_under_the_root() {
        assert!(valid_key("tasks/p/i/0123.doc"));
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "a/./b", "a\\b", "ä"] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
