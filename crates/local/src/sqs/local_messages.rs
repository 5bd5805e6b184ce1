//! A local queue as an SQS mapping's source, with the queue's visibility timeout and redrive
//! policy.

use super::messages::{MessageSource, ReceivedMessage};
use crate::lambda::{IDLE_RECHECK, SourceError};
use cakeshop_sqlite::{LocalQueue, QueueMessage, Redrive};
use std::time::Duration;
use tokio::sync::watch;

/// A local queue as consumed by a mapping, with the queue's own settings.
#[derive(Clone)]
pub struct LocalMessages {
    pub queue: LocalQueue,
    pub visibility_ms: i64,
    pub redrive: Option<Redrive>,
}

impl MessageSource for LocalMessages {
    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, SourceError> {
        let messages = self
            .queue
            .receive(max, self.visibility_ms, self.redrive.as_ref())
            .await
            .map_err(|e| SourceError::new("receiving messages", e))?;
        Ok(messages.into_iter().map(received).collect())
    }

    async fn delete(&self, message: &ReceivedMessage) -> Result<(), SourceError> {
        let receive_count = message
            .receipt_handle
            .rsplit(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        let stored = QueueMessage {
            message_id: message.message_id.clone(),
            body: String::new(),
            sent_ms: 0,
            receive_count,
            first_receive_ms: 0,
            dead_letter_source: None,
            traceparent: None,
        };
        self.queue
            .delete(&stored)
            .await
            .map(|_| ())
            .map_err(|e| SourceError::new("deleting a message", e))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.queue.watch()
    }

    fn idle_pause(&self) -> Duration {
        let next = self.queue.next_visible_ms().ok().flatten();
        let wait = next.map(|at| Duration::from_millis((at - cakeshop_sqlite::now_millis()).max(1) as u64));
        wait.unwrap_or(IDLE_RECHECK).min(IDLE_RECHECK)
    }
}

fn received(message: QueueMessage) -> ReceivedMessage {
    let attributes = [
        ("ApproximateReceiveCount", message.receive_count.to_string()),
        ("SentTimestamp", message.sent_ms.to_string()),
        ("ApproximateFirstReceiveTimestamp", message.first_receive_ms.to_string()),
        ("SenderId", crate::arn::ACCOUNT.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    let message_attributes = message
        .traceparent
        .map(|trace| (cakeshop_ports::TRACEPARENT_ATTRIBUTE.to_owned(), trace))
        .into_iter()
        .collect();
    ReceivedMessage {
        receipt_handle: format!("{}:{}", message.message_id, message.receive_count),
        message_id: message.message_id,
        body: message.body,
        attributes,
        message_attributes,
    }
}
