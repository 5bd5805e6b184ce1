//! An SQS event source mapping: receives up to `batchSize` messages (which the queue hides for
//! its visibility timeout), invokes the function, and deletes what was handled. With
//! `ReportBatchItemFailures` only the failed messages stay, to come back after the visibility
//! timeout; a function error keeps them all. The queue's redrive policy moves a message to its
//! dead-letter queue instead of a receive beyond `maxReceiveCount`.

use super::event::sqs_event;
use super::mapping::QueueMapping;
use super::messages::{MessageSource, ReceivedMessage};
use crate::lambda::{Invoke, SourceError};
use crate::stopping::Stopping;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

pub struct QueueConsumer<I, M> {
    pub function: String,
    pub mapping: QueueMapping,
    pub timeout: Duration,
    pub queue: M,
    pub queue_arn: String,
    pub invoker: I,
    /// How many batches may be in flight at once, as Lambda scales pollers.
    pub concurrency: usize,
}

impl<I: Invoke + Clone, M: MessageSource> QueueConsumer<I, M> {
    /// Starts the pollers; they run until `stopping` is asked, each then ending once the
    /// batch it holds is handled.
    pub fn start(self: Arc<Self>, stopping: &Stopping) {
        for _ in 0..self.concurrency.max(1) {
            let consumer = Arc::clone(&self);
            let stops = stopping.clone();
            stopping.spawn(async move { consumer.run(&stops).await });
        }
    }

    async fn run(&self, stopping: &Stopping) {
        let mut wake = self.queue.wake();
        while !stopping.is_asked() {
            wake.borrow_and_update();
            match self.poll_once().await {
                Ok(true) => {}
                Ok(false) => {
                    stopping.wait_for(self.queue.idle_pause(), wake.changed()).await;
                }
                Err(error) => {
                    tracing::error!(function = self.function, error = %cakeshop_ports::error_chain(&error), "queue consumer failed; retrying");
                    stopping.pause(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Receives and handles one batch; `false` when there was nothing to receive.
    async fn poll_once(&self) -> Result<bool, SourceError> {
        let mut batch = self.queue.receive(self.mapping.batch_size).await?;
        if batch.is_empty() {
            return Ok(false);
        }
        // The batching window: gather more until the batch is full or the window has passed.
        let window_ends = tokio::time::Instant::now() + Duration::from_millis(self.mapping.batching_window_ms);
        let mut wake = self.queue.wake();
        while batch.len() < self.mapping.batch_size && tokio::time::Instant::now() < window_ends {
            let _ = tokio::time::timeout_at(window_ends, wake.changed()).await;
            let room = self.mapping.batch_size - batch.len();
            batch.extend(self.queue.receive(room).await?);
        }
        let failed = self.invoke(&batch).await;
        for message in &batch {
            if !failed.contains(&message.message_id) {
                self.queue.delete(message).await?;
            }
        }
        Ok(true)
    }

    /// The ids of the messages to keep (all of them when the invocation failed).
    async fn invoke(&self, batch: &[ReceivedMessage]) -> HashSet<String> {
        let every = || batch.iter().map(|m| m.message_id.clone()).collect::<HashSet<_>>();
        let event = sqs_event(batch, &self.queue_arn);
        let response = match tokio::time::timeout(self.timeout, self.invoker.sqs(&self.function, event)).await {
            Err(_) => {
                tracing::warn!(
                    function = self.function,
                    "timed out; the batch comes back after the visibility timeout"
                );
                return every();
            }
            Ok(Err(error)) => {
                tracing::warn!(function = self.function, %error, "failed; the batch comes back after the visibility timeout");
                return every();
            }
            Ok(Ok(response)) => response,
        };
        if !self.mapping.report_batch_item_failures {
            return HashSet::new();
        }
        let failed: HashSet<String> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        if failed.iter().any(|id| !batch.iter().any(|m| &m.message_id == id)) {
            // As on AWS, an identifier that names no message of the batch fails the whole batch.
            return every();
        }
        failed
    }
}
