//! The local store's stream as a Kinesis mapping's source: its shards, and each consumer's
//! checkpoints on them.

use super::event::shard_id;
use super::shards::{SequenceNumber, ShardSource, SourceRecord};
use crate::lambda::SourceError;
use cakeshop_sqlite::{LocalStream, StreamRecord, parse_sequence_number, sequence_number};
use tokio::sync::watch;

#[derive(Clone)]
pub struct LocalShards {
    pub stream: LocalStream,
}

impl LocalShards {
    pub fn new(stream: LocalStream) -> LocalShards {
        LocalShards { stream }
    }
}

pub fn source_record(record: StreamRecord) -> SourceRecord {
    SourceRecord {
        shard_id: shard_id(record.shard),
        sequence: SequenceNumber::new(record.sequence_number()),
        partition_key: record.partition_key,
        data: record.data,
        arrived_ms: record.arrived_ms,
    }
}

fn shard_index(shard_id: &str) -> Result<u32, SourceError> {
    shard_id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| SourceError::new("reading a shard id", format!("{shard_id:?} is not a local shard")))
}

fn local_sequence(sequence: Option<&SequenceNumber>) -> Result<i64, SourceError> {
    match sequence {
        None => Ok(0),
        Some(s) => parse_sequence_number(s.as_str())
            .ok_or_else(|| SourceError::new("reading a sequence number", format!("{s:?} is not local"))),
    }
}

impl ShardSource for LocalShards {
    async fn shard_ids(&self) -> Result<Vec<String>, SourceError> {
        Ok((0..self.stream.shards()).map(shard_id).collect())
    }

    async fn read_after(
        &self,
        shard_id: &str,
        after: Option<&SequenceNumber>,
        limit: usize,
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let records = self
            .stream
            .read_after(shard_index(shard_id)?, local_sequence(after)?, limit)
            .map_err(|e| SourceError::new("reading the stream", e))?;
        Ok(records.into_iter().map(source_record).collect())
    }

    async fn checkpoint(&self, consumer: &str, shard_id: &str) -> Result<Option<SequenceNumber>, SourceError> {
        let sequence = self
            .stream
            .checkpoint(consumer, shard_index(shard_id)?)
            .map_err(|e| SourceError::new("reading a checkpoint", e))?;
        Ok((sequence > 0).then(|| SequenceNumber::new(sequence_number(sequence))))
    }

    async fn set_checkpoint(
        &self,
        consumer: &str,
        shard_id: &str,
        at: Option<&SequenceNumber>,
    ) -> Result<(), SourceError> {
        self.stream
            .set_checkpoint(consumer, shard_index(shard_id)?, local_sequence(at)?)
            .await
            .map_err(|e| SourceError::new("writing a checkpoint", e))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.stream.store_watch()
    }
}
