//! The local store as a mapping's source: shards and checkpoints of the local stream, and a
//! local queue with its visibility timeout and redrive policy.

use super::IDLE_RECHECK;
use super::sources::{MessageSource, ReceivedMessage, SequenceNumber, ShardSource, SourceError, SourceRecord};
use crate::envelopes::shard_id;
use cakeshop_sqlite::{
    LocalQueue, LocalStream, QueueMessage, Redrive, StreamRecord, parse_sequence_number, sequence_number,
};
use std::time::Duration;
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
        ("SenderId", crate::envelopes::ACCOUNT.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    ReceivedMessage {
        receipt_handle: format!("{}:{}", message.message_id, message.receive_count),
        message_id: message.message_id,
        body: message.body,
        attributes,
    }
}
