//! Where an SQS mapping reads from: a queue, as a small trait so that the same mapping runs on
//! the local store (`local_messages`) and on a real or emulated SQS (`aws_messages`).

use crate::lambda::SourceError;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// A received queue message and what it takes to delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// SQS system attributes: ApproximateReceiveCount, SentTimestamp, ...
    pub attributes: HashMap<String, String>,
    /// The sender's string message attributes (`traceparent`).
    pub message_attributes: HashMap<String, String>,
}

/// A queue as a mapping consumes it.
pub trait MessageSource: Send + Sync + 'static {
    /// Up to `max` messages, hidden from other receivers for the queue's visibility timeout.
    fn receive(&self, max: usize) -> impl Future<Output = Result<Vec<ReceivedMessage>, SourceError>> + Send;

    fn delete(&self, message: &ReceivedMessage) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// Changes when messages may have been added; a source that cannot tell is polled.
    fn wake(&self) -> watch::Receiver<u64>;

    /// How long to wait before receiving again when nothing was there.
    fn idle_pause(&self) -> Duration;
}
