//! The queue of task messages on AWS: the HTTP function sends one [`TaskMessage`] per
//! accepted asynchronous import; the worker function receives them (through its SQS event
//! source, not through this client). A message only names the task — the task item and its
//! document are recorded before it is sent, so a message is never the only copy of
//! anything, and a duplicate delivery finds the task already leased or finished.

use super::{StoreError, StoreResult};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::Client;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The body of a task message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskMessage {
    pub task_id: String,
    pub project: String,
    pub instance: String,
}

/// A queue, by URL.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: Arc<str>,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            url: Arc::from(url.into()),
        }
    }

    /// The queue at `url` with the SDK's default configuration chain
    /// (`AWS_ENDPOINT_URL_SQS` selects a local server).
    pub async fn from_env(url: impl Into<String>) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let config = aws_sdk_sqs::config::Builder::from(&shared)
            .retry_config(super::dynamodb::retry_config())
            .timeout_config(super::dynamodb::timeout_config())
            .build();
        Self::new(Client::from_conf(config), url)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Send one task message.
    pub async fn send(&self, message: &TaskMessage) -> StoreResult<()> {
        let body = serde_json::to_string(message)
            .map_err(|e| StoreError::new(format_args!("sqs: encode message: {e}")))?;
        self.client
            .send_message()
            .queue_url(self.url.as_ref())
            .message_body(body)
            .send()
            .await
            .map_err(|e| {
                StoreError::new(format_args!(
                    "sqs: send to {}: {}",
                    self.url,
                    DisplayErrorContext(&e)
                ))
            })?;
        Ok(())
    }
}
