//! A real (or emulated) Kinesis stream as a mapping's source (`cakeshop dev --backend aws`):
//! shards read with GetShardIterator/GetRecords, checkpoints kept in the local store.

use super::shards::{SequenceNumber, ShardSource, SourceRecord};
use crate::lambda::SourceError;
use aws_sdk_kinesis::types::ShardIteratorType;
use cakeshop_sqlite::Store;
use std::sync::Arc;
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
