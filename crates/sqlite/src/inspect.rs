//! Read-only views of the local services for the local console: how full each queue is, how
//! far each stream consumer is behind, and everything the store holds about one order.

use super::mailbox::{EMAIL_COLUMNS, email_from_row};
use super::partners::{CALL_COLUMNS, call_from_row};
use super::queues::{MESSAGE_COLUMNS, message_from_row};
use super::{LocalMailer, LocalQueue, LocalStream, QueueMessage, RecordedCall, StreamRecord};
use crate::error::StoreError;
use crate::mailbox::StoredEmail;
use crate::store::Store;
use rusqlite::{OptionalExtension, params};

/// How many messages a queue holds, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Waiting to be received.
    pub visible: i64,
    /// Received and not yet deleted, hidden until their visibility timeout passes.
    pub in_flight: i64,
    /// The most receives of any message in it.
    pub most_receives: i64,
}

/// A message that mentions an order, where it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMessage {
    pub queue: String,
    pub message: QueueMessage,
    pub in_flight: bool,
}

/// A partner call that mentions an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCall {
    pub partner: String,
    pub call: RecordedCall,
}

impl LocalQueue {
    pub fn counts(&self) -> Result<QueueCounts, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached(
                    "SELECT COALESCE(SUM(visible_at_ms <= ?2), 0), COALESCE(SUM(visible_at_ms > ?2), 0), \
                     COALESCE(MAX(receive_count), 0) FROM queue_messages WHERE queue = ?1",
                )?
                .query_row(params![self.name, crate::store::now_millis()], |row| {
                    Ok(QueueCounts {
                        visible: row.get(0)?,
                        in_flight: row.get(1)?,
                        most_receives: row.get(2)?,
                    })
                })?)
        })
    }
}

impl LocalStream {
    /// The last sequence number of `shard` (0 while it is empty).
    pub fn latest(&self, shard: u32) -> Result<i64, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached("SELECT COALESCE(MAX(sequence), 0) FROM stream_records WHERE shard = ?1")?
                .query_row([shard], |row| row.get(0))?)
        })
    }

    /// How many records of `shard` came after `checkpoint`.
    pub fn count_after(&self, shard: u32, checkpoint: i64) -> Result<i64, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached("SELECT COUNT(*) FROM stream_records WHERE shard = ?1 AND sequence > ?2")?
                .query_row(params![shard, checkpoint], |row| row.get(0))?)
        })
    }

    /// The records put with `partition_key` (an order's id), in the order they were put.
    pub fn records_with_key(&self, partition_key: &str) -> Result<Vec<StreamRecord>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT shard, sequence, data, arrived_ms FROM stream_records WHERE partition_key = ?1 \
                 ORDER BY arrived_ms, sequence",
            )?;
            let rows = statement.query_map([partition_key], |row| {
                Ok(StreamRecord {
                    shard: row.get(0)?,
                    sequence: row.get(1)?,
                    partition_key: partition_key.to_owned(),
                    data: row.get(2)?,
                    arrived_ms: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

impl LocalMailer {
    /// The latest `limit` emails, newest first.
    pub fn latest(&self, limit: usize) -> Result<Vec<StoredEmail>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {EMAIL_COLUMNS} FROM mailbox ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], email_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The email numbered `seq`, if kept.
    pub fn email(&self, seq: i64) -> Result<Option<StoredEmail>, StoreError> {
        self.store.read(|connection| {
            Ok(connection
                .prepare_cached(&format!("SELECT {EMAIL_COLUMNS} FROM mailbox WHERE id = ?1"))?
                .query_row([seq], email_from_row)
                .optional()?)
        })
    }

    /// The emails about `order_id`, oldest first.
    pub fn about(&self, order_id: &str) -> Result<Vec<StoredEmail>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {EMAIL_COLUMNS} FROM mailbox WHERE order_id = ?1 ORDER BY id"
            ))?;
            let rows = statement.query_map([order_id], email_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

impl Store {
    /// Every message, in any queue, whose body names `order_id` (as a JSON string).
    pub fn queue_messages_about(&self, order_id: &str) -> Result<Vec<FoundMessage>, StoreError> {
        let quoted = format!("\"{order_id}\"");
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS}, queue, visible_at_ms > ?2 FROM queue_messages \
                 WHERE instr(body, ?1) > 0 ORDER BY sent_ms"
            ))?;
            let rows = statement.query_map(params![quoted, crate::store::now_millis()], |row| {
                Ok(FoundMessage {
                    message: message_from_row(row)?,
                    queue: row.get(7)?,
                    in_flight: row.get(8)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Every call a partner stand-in received whose body names `order_id`, oldest first.
    pub fn partner_calls_about(&self, order_id: &str) -> Result<Vec<FoundCall>, StoreError> {
        let quoted = format!("\"{order_id}\"");
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {CALL_COLUMNS}, partner FROM partner_calls WHERE instr(body, ?1) > 0 ORDER BY id"
            ))?;
            let rows = statement.query_map([quoted], |row| {
                Ok(FoundCall {
                    call: call_from_row(row)?,
                    partner: row.get(5)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The latest `limit` calls `partner` received, newest first.
    pub fn latest_partner_calls(&self, partner: &str, limit: usize) -> Result<Vec<RecordedCall>, StoreError> {
        self.read(|connection| {
            let mut statement = connection.prepare_cached(&format!(
                "SELECT {CALL_COLUMNS} FROM partner_calls WHERE partner = ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = statement.query_map(params![partner, limit], call_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
