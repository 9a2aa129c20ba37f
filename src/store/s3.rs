//! The bucket on AWS: the [`BlobStore`] of task documents (`tasks/…`), and the objects of
//! event-triggered imports (`imports/…` read, `results/…` written; `spec/async-export.md`
//! §3), whose keys are chosen by whoever drops the document.
//!
//! The client takes its configuration from the environment like the DynamoDB store's; with
//! an endpoint override (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, a local S3-compatible
//! server) it addresses buckets by path, which such servers expect.

use super::blobs::valid_key;
use super::{BlobStore, StoreError, StoreResult};
use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;

/// One object read from the bucket, with what identifies its version.
#[derive(Debug, Clone)]
pub struct S3Object {
    pub data: Bytes,
    /// User metadata (`x-amz-meta-*`), names lower-case without the prefix.
    pub metadata: HashMap<String, String>,
}

/// What [`S3Bucket::get_object_within`] found.
#[derive(Debug, Clone)]
pub enum Fetched {
    Object(S3Object),
    /// The object exists but is larger than asked (its size).
    TooLarge(u64),
    Missing,
}

/// A bucket.
#[derive(Clone, Debug)]
pub struct S3Bucket {
    client: Client,
    bucket: Arc<str>,
}

fn s3_error<E, R>(what: &str, key: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::new(format_args!(
        "s3: {what} {key}: {}",
        DisplayErrorContext(&e)
    ))
}

/// Is an S3 endpoint configured in the environment (a local server)?
fn endpoint_override() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

impl S3Bucket {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Bucket {
            client,
            bucket: Arc::from(bucket.into()),
        }
    }

    /// The bucket `bucket` with the SDK's default configuration chain.
    pub async fn from_env(bucket: impl Into<String>) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(endpoint_override())
            .retry_config(super::dynamodb::retry_config())
            .timeout_config(super::dynamodb::timeout_config())
            .build();
        Self::new(Client::from_conf(config), bucket)
    }

    pub fn name(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Write `data` under any `key` (a result beside a dropped document's name).
    pub async fn put_object(&self, key: &str, data: Bytes, content_type: &str) -> StoreResult<()> {
        self.client
            .put_object()
            .bucket(self.bucket.as_ref())
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(data))
            .send()
            .await
            .map_err(|e| s3_error("put", key, e))?;
        Ok(())
    }

    /// The object under `key` (that version, if given), if it is at most `max_bytes` long:
    /// its size is checked before its body is read.
    pub async fn get_object_within(
        &self,
        key: &str,
        version_id: Option<&str>,
        max_bytes: u64,
    ) -> StoreResult<Fetched> {
        let got = self
            .client
            .get_object()
            .bucket(self.bucket.as_ref())
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await;
        let out = match got {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if matches!(e.err(), GetObjectError::NoSuchKey(_)) => {
                return Ok(Fetched::Missing)
            }
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                return Ok(Fetched::Missing)
            }
            Err(e) => return Err(s3_error("get", key, e)),
        };
        let size = out
            .content_length()
            .map_or(0, |n| u64::try_from(n).unwrap_or(0));
        if size > max_bytes {
            return Ok(Fetched::TooLarge(size));
        }
        let metadata = out.metadata().cloned().unwrap_or_default();
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::new(format_args!("s3: read {key}: {e}")))?
            .into_bytes();
        if data.len() as u64 > max_bytes {
            return Ok(Fetched::TooLarge(data.len() as u64));
        }
        Ok(Fetched::Object(S3Object {
            data,
            metadata: metadata
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        }))
    }
}

fn checked(key: &str) -> StoreResult<&str> {
    if valid_key(key) {
        Ok(key)
    } else {
        Err(StoreError::new(format_args!(
            "blob key {key:?} is not valid"
        )))
    }
}

/// Task documents are objects of the bucket, under the keys the product makes.
#[async_trait]
impl BlobStore for S3Bucket {
    async fn put_blob(&self, key: &str, data: Bytes) -> StoreResult<()> {
        self.put_object(checked(key)?, data, "application/octet-stream")
            .await
    }

    async fn get_blob(&self, key: &str) -> StoreResult<Option<Bytes>> {
        match self
            .get_object_within(checked(key)?, None, u64::MAX)
            .await?
        {
            Fetched::Object(object) => Ok(Some(object.data)),
            Fetched::Missing => Ok(None),
            Fetched::TooLarge(_) => Err(StoreError::new("s3: unreachable size limit")),
        }
    }
}
