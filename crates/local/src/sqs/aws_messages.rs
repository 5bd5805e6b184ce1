//! A real (or emulated) SQS queue as a mapping's source (`cakeshop dev --backend aws`):
//! messages received with long-polling ReceiveMessage and deleted with DeleteMessage.
//! Visibility timeouts and redrive to the dead-letter queue are the queue's own.

use super::messages::{MessageSource, ReceivedMessage};
use crate::lambda::SourceError;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A wake-up that never fires: these sources are polled.
fn never() -> Arc<watch::Sender<u64>> {
    Arc::new(watch::Sender::new(0))
}

fn failed<E: std::error::Error + Send + Sync + 'static>(operation: &'static str) -> impl FnOnce(E) -> SourceError {
    move |error| SourceError::new(operation, error)
}

#[derive(Clone)]
pub struct SqsMessages {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    wake: Arc<watch::Sender<u64>>,
}

impl SqsMessages {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: String) -> SqsMessages {
        SqsMessages {
            client,
            queue_url,
            wake: never(),
        }
    }
}

impl MessageSource for SqsMessages {
    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, SourceError> {
        let received = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            // Long polling: the call itself waits for messages, as Lambda's pollers do.
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(failed("receiving messages"))?;
        Ok(received
            .messages()
            .iter()
            .map(|message| ReceivedMessage {
                message_id: message.message_id().unwrap_or_default().to_owned(),
                receipt_handle: message.receipt_handle().unwrap_or_default().to_owned(),
                body: message.body().unwrap_or_default().to_owned(),
                attributes: message
                    .attributes()
                    .map(|attributes| {
                        attributes
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                message_attributes: message
                    .message_attributes()
                    .map(|attributes| {
                        attributes
                            .iter()
                            .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_owned())))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn delete(&self, message: &ReceivedMessage) -> Result<(), SourceError> {
        self.client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(&message.receipt_handle)
            .send()
            .await
            .map(|_| ())
            .map_err(failed("deleting a message"))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    fn idle_pause(&self) -> Duration {
        // `receive` already waited (long polling).
        Duration::from_millis(1)
    }
}
