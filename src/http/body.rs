//! The request body: read whole within a byte limit, or left unread until it is needed.

use crate::error::{ApigError, Code};
use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::time::Instant;

/// The body of an authenticated request: still unread, unless a signature covered it.
pub enum RequestBody {
    Unread(Body),
    Read(Bytes),
}

impl RequestBody {
    /// The whole body, at most `limit` bytes within `timeout` (read now if it was not yet).
    pub async fn bytes(
        self,
        headers: &HeaderMap,
        limit: usize,
        timeout: Duration,
    ) -> Result<Bytes, ApigError> {
        match self {
            RequestBody::Unread(body) => read_body(body, headers, limit, timeout).await,
            RequestBody::Read(bytes) => Ok(bytes),
        }
    }
}

/// `APIG.3603` naming the limit that applies.
fn too_large(limit: usize) -> ApigError {
    ApigError::new(
        Code::Apig3603,
        format!("The request body must not be larger than {limit} bytes"),
    )
}

/// `408` when the body did not arrive in time; the connection is closed after it (hyper
/// does not keep a connection whose request body was not read to the end).
fn too_slow(timeout: Duration) -> ApigError {
    let mut error = ApigError::with_message(
        Code::Apig2000,
        format!(
            "The request body was not received within {} seconds",
            timeout.as_secs()
        ),
    );
    error.status_override = Some(408);
    error
}

/// Read the whole body, refusing more than `limit` bytes (checked against `Content-Length`
/// first, then while reading, so a lying or absent length cannot make it read more), and
/// giving up when it has not all arrived `timeout` after the first read: a stalled upload
/// must not hold its buffers (up to `limit`) and its connection for ever.
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApigError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    let mut stream = body.into_data_stream();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    let deadline = Instant::now() + timeout;
    while let Some(chunk) = tokio::time::timeout_at(deadline, stream.next())
        .await
        .map_err(|_| too_slow(timeout))?
    {
        let chunk = chunk
            .map_err(|_| ApigError::new(Code::Apig2000, "The request body could not be read"))?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(too_large(limit));
        }
        chunks.push(chunk);
    }
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut all = Vec::with_capacity(total);
            for chunk in &chunks {
                all.extend_from_slice(chunk);
            }
            Bytes::from(all)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(length: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(length) = length {
            headers.insert(
                header::CONTENT_LENGTH,
                length.parse().expect("header value"),
            );
        }
        headers
    }

    const LONG: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn reads_within_the_limit() {
        let bytes = read_body(Body::from("hello"), &headers(None), 5, LONG)
            .await
            .expect("body");
        assert_eq!(&bytes[..], b"hello");
    }

    #[tokio::test]
    async fn refuses_a_declared_or_actual_excess() {
        let declared = read_body(Body::from("hi"), &headers(Some("6")), 5, LONG)
            .await
            .expect_err("declared too large");
        assert_eq!(declared.code, Code::Apig3603);
        assert!(declared.message.contains("5 bytes"), "{}", declared.message);
        // A length that understates the body does not let more through.
        let actual = read_body(Body::from("123456"), &headers(Some("1")), 5, LONG)
            .await
            .expect_err("actual too large");
        assert_eq!(actual.code, Code::Apig3603);
    }

    #[tokio::test]
    async fn gives_up_on_a_stalled_body() {
        // One chunk, then nothing: the stream never ends.
        let stalled = futures_util::stream::once(async {
            Ok::<Bytes, std::io::Error>(Bytes::from_static(b"part"))
        })
        .chain(futures_util::stream::pending());
        let started = std::time::Instant::now();
        let error = read_body(
            Body::from_stream(stalled),
            &headers(None),
            1024,
            Duration::from_millis(200),
        )
        .await
        .expect_err("timed out");
        assert_eq!((error.code, error.status()), (Code::Apig2000, 408));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
