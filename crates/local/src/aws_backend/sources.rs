//! A real (or emulated) Kinesis stream and SQS queue as the mappings' sources: shards read with
//! GetShardIterator/GetRecords (checkpoints kept in the local store), messages received with
//! long-polling ReceiveMessage and deleted with DeleteMessage. Visibility timeouts and redrive
//! to the dead-letter queue are the queue's own.

use crate::mappings::{MessageSource, ReceivedMessage, SequenceNumber, ShardSource, SourceError, SourceRecord};
use aws_sdk_kinesis::types::ShardIteratorType;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use cakeshop_sqlite::Store;
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
pub struct KinesisShards {
    client: aws_sdk_kinesis::Client,
    stream: String,
    checkpoints: Store,
    wake: Arc<watch::Sender<u64>>,
}

impl KinesisShards {
    pub fn new(client: aws_sdk_kinesis::Client, stream: String, checkpoints: Store) -> KinesisShards {
        KinesisShards {
            client,
            stream,
            checkpoints,
            wake: never(),
        }
    }
}

impl ShardSource for KinesisShards {
    async fn shard_ids(&self) -> Result<Vec<String>, SourceError> {
        let listed = self
            .client
            .list_shards()
            .stream_name(&self.stream)
            .send()
            .await
            .map_err(failed("listing shards"))?;
        Ok(listed.shards().iter().map(|s| s.shard_id().to_owned()).collect())
    }

    async fn read_after(
        &self,
        shard_id: &str,
        after: Option<&SequenceNumber>,
        limit: usize,
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let iterator = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream)
            .shard_id(shard_id);
        let iterator = match after {
            Some(sequence) => iterator
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(sequence.as_str()),
            None => iterator.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let iterator = iterator.send().await.map_err(failed("getting a shard iterator"))?;
        let Some(iterator) = iterator.shard_iterator() else {
            return Ok(Vec::new());
        };
        let page = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(limit.clamp(1, 10_000) as i32)
            .send()
            .await
            .map_err(failed("getting records"))?;
        Ok(page
            .records()
            .iter()
            .map(|record| SourceRecord {
                shard_id: shard_id.to_owned(),
                sequence: SequenceNumber::new(record.sequence_number()),
                partition_key: record.partition_key().unwrap_or_default().to_owned(),
                data: record.data().as_ref().to_vec(),
                arrived_ms: record
                    .approximate_arrival_timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or_else(cakeshop_sqlite::now_millis),
            })
            .collect())
    }

    async fn checkpoint(&self, consumer: &str, shard_id: &str) -> Result<Option<SequenceNumber>, SourceError> {
        let sequence = self
            .checkpoints
            .remote_checkpoint(&self.stream, consumer, shard_id)
            .map_err(failed("reading a checkpoint"))?;
        Ok(sequence.map(SequenceNumber::new))
    }

    async fn set_checkpoint(
        &self,
        consumer: &str,
        shard_id: &str,
        at: Option<&SequenceNumber>,
    ) -> Result<(), SourceError> {
        self.checkpoints
            .set_remote_checkpoint(&self.stream, consumer, shard_id, at.map(SequenceNumber::as_str))
            .map_err(failed("writing a checkpoint"))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }
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
