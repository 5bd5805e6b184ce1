//! A message queue (the delivery queue, the feedback queue).

use crate::error::PortError;
use cakeshop_domain::TraceParent;
use std::future::Future;

/// The message attribute a message's trace context travels in (W3C `traceparent`).
pub const TRACEPARENT_ATTRIBUTE: &str = "traceparent";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The caller's name for this message, used to report which ones failed.
    pub key: String,
    pub body: String,
    /// Sent as the `traceparent` message attribute, for the consumer to continue.
    pub trace: Option<TraceParent>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMessage {
    pub key: String,
    pub reason: String,
}

/// What became of a batch: every message not named in `failed` was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub failed: Vec<FailedMessage>,
}

pub trait QueueSender: Send + Sync {
    /// Sends every message. A message the queue refused is named in the report; an error means
    /// none of them can be assumed sent.
    fn send_batch(&self, messages: &[OutgoingMessage]) -> impl Future<Output = Result<SendReport, PortError>> + Send;

    /// Sends one message; a refusal is an error.
    fn send(&self, message: OutgoingMessage) -> impl Future<Output = Result<(), PortError>> + Send {
        async move {
            let report = self.send_batch(std::slice::from_ref(&message)).await?;
            match report.failed.into_iter().next() {
                Some(failed) => Err(PortError::new("sending a message", failed.reason)),
                None => Ok(()),
            }
        }
    }
}
