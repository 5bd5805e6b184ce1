//! The Kinesis-like stream: records go to a shard chosen by the MD5 of their partition key (as
//! Kinesis maps hash keys onto shards), get increasing sequence numbers per shard, are kept for
//! the retention period, and each consumer keeps its own checkpoint per shard.

use crate::error::StoreError;
use crate::store::{Store, now_millis};
use cakeshop_domain::OrderEvent;
use cakeshop_ports::{EventPublisher, PortError};
use md5::{Digest, Md5};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    pub shard: u32,
    pub sequence: i64,
    pub partition_key: String,
    pub data: Vec<u8>,
    pub arrived_ms: i64,
}

impl StreamRecord {
    /// The sequence number as Kinesis writes it: a decimal string, here zero-padded so that
    /// text order is number order.
    pub fn sequence_number(&self) -> String {
        sequence_number(self.sequence)
    }
}

pub fn sequence_number(sequence: i64) -> String {
    format!("{sequence:021}")
}

pub fn parse_sequence_number(text: &str) -> Option<i64> {
    text.parse().ok()
}

/// The shard that owns `partition_key`: the 128-bit MD5 hash key, divided evenly among shards.
pub fn shard_for(partition_key: &str, shards: u32) -> u32 {
    let hash = u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into());
    // hash × shards / 2^128, on the top 64 bits so that it cannot overflow.
    (((hash >> 64) * u128::from(shards.max(1))) >> 64) as u32
}

/// Appends a record to `shard`; returns its sequence number.
fn append(
    connection: &Connection,
    shard: u32,
    partition_key: &str,
    data: &[u8],
    arrived_ms: i64,
) -> Result<i64, StoreError> {
    let sequence = last_sequence(connection, shard)? + 1;
    connection
        .prepare_cached(
            "INSERT INTO stream_records (shard, sequence, partition_key, data, arrived_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![shard, sequence, partition_key, data, arrived_ms])?;
    connection
        .prepare_cached(
            "INSERT INTO stream_sequences (shard, last) VALUES (?1, ?2) \
             ON CONFLICT (shard) DO UPDATE SET last = excluded.last",
        )?
        .execute(params![shard, sequence])?;
    Ok(sequence)
}

/// The last sequence number `shard` gave out, even if retention has trimmed that record since:
/// numbers are never reused, or consumers' checkpoints would skip the records that reuse them.
fn last_sequence(connection: &Connection, shard: u32) -> Result<i64, StoreError> {
    let recorded = connection
        .prepare_cached("SELECT last FROM stream_sequences WHERE shard = ?1")?
        .query_row([shard], |row| row.get(0))
        .optional()?;
    match recorded {
        Some(last) => Ok(last),
        // A store made before sequences were recorded: its newest record holds the last one.
        None => Ok(connection
            .prepare_cached("SELECT COALESCE(MAX(sequence), 0) FROM stream_records WHERE shard = ?1")?
            .query_row([shard], |row| row.get(0))?),
    }
}

/// The stream, as the local implementation of the event publisher and as the consumers read it.
#[derive(Clone)]
pub struct LocalStream {
    pub(crate) store: Store,
}

impl LocalStream {
    pub fn new(store: Store) -> LocalStream {
        LocalStream { store }
    }

    pub fn shards(&self) -> u32 {
        self.store.stream_shards()
    }

    /// Changes whenever a record is put.
    pub fn store_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.store.stream_watch()
    }

    /// Appends a record and returns its shard and sequence number.
    pub fn put(&self, partition_key: &str, data: &[u8]) -> Result<(u32, i64), StoreError> {
        self.put_at(partition_key, data, now_millis())
    }

    /// `put` with a given arrival time, for tests of record age.
    #[doc(hidden)]
    pub fn put_at(&self, partition_key: &str, data: &[u8], arrived_ms: i64) -> Result<(u32, i64), StoreError> {
        let shard = shard_for(partition_key, self.store.stream_shards());
        let sequence = self
            .store
            .with_transaction(|connection| append(connection, shard, partition_key, data, arrived_ms))?;
        self.store.stream_was_written();
        Ok((shard, sequence))
    }
    /// Up to `limit` records of `shard` after sequence `after`, oldest first.
    pub fn read_after(&self, shard: u32, after: i64, limit: usize) -> Result<Vec<StreamRecord>, StoreError> {
        self.store.read(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT sequence, partition_key, data, arrived_ms FROM stream_records \
                 WHERE shard = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3",
            )?;
            let rows = statement.query_map(params![shard, after, limit as i64], |row| {
                Ok(StreamRecord {
                    shard,
                    sequence: row.get(0)?,
                    partition_key: row.get(1)?,
                    data: row.get(2)?,
                    arrived_ms: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    pub fn record(&self, shard: u32, sequence: i64) -> Result<Option<StreamRecord>, StoreError> {
        Ok(self
            .read_after(shard, sequence - 1, 1)?
            .into_iter()
            .find(|r| r.sequence == sequence))
    }

    /// The consumer's checkpoint on `shard`: the last sequence number it finished (0 for none).
    pub fn checkpoint(&self, consumer: &str, shard: u32) -> Result<i64, StoreError> {
        self.store.read(|connection| {
            let sequence = connection
                .prepare_cached("SELECT sequence FROM stream_checkpoints WHERE consumer = ?1 AND shard = ?2")?
                .query_row(params![consumer, shard], |row| row.get(0))
                .optional()?;
            Ok(sequence.unwrap_or(0))
        })
    }

    pub async fn set_checkpoint(&self, consumer: &str, shard: u32, sequence: i64) -> Result<(), StoreError> {
        let consumer = consumer.to_owned();
        self.store
            .write(move |connection| {
                connection
                    .prepare_cached(
                        "INSERT INTO stream_checkpoints (consumer, shard, sequence) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (consumer, shard) DO UPDATE SET sequence = MAX(sequence, excluded.sequence)",
                    )?
                    .execute(params![consumer, shard, sequence])?;
                Ok(())
            })
            .await
    }

    /// Drops records that arrived before `cutoff_ms` (the stream's retention).
    pub fn trim_before(&self, cutoff_ms: i64) -> Result<usize, StoreError> {
        self.store.with(|connection| {
            Ok(connection
                .prepare_cached("DELETE FROM stream_records WHERE arrived_ms < ?1")?
                .execute([cutoff_ms])?)
        })
    }

    /// Every record, all shards, for inspection and tests.
    pub fn all_records(&self) -> Result<Vec<StreamRecord>, StoreError> {
        let mut records = Vec::new();
        for shard in 0..self.shards() {
            records.extend(self.read_after(shard, 0, usize::MAX >> 1)?);
        }
        Ok(records)
    }
}

impl EventPublisher for LocalStream {
    async fn publish(&self, event: &OrderEvent) -> Result<(), PortError> {
        crate::faults::crash_point(|| format!("before-publish:{}", event.kind().as_str()));
        let partition_key = event.partition_key().to_owned();
        let shard = shard_for(&partition_key, self.store.stream_shards());
        let data = event.encode().map_err(|e| PortError::new("writing a record", e))?;
        self.store
            .write(move |connection| append(connection, shard, &partition_key, &data, now_millis()))
            .await
            .map_err(|e| PortError::new("putting a record", e))?;
        self.store.stream_was_written();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_go_on_after_retention_trimmed_every_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let stream = LocalStream::new(Store::open(dir.path(), 1).expect("store"));
        assert_eq!(stream.put("a", b"{}").expect("put"), (0, 1));
        assert_eq!(stream.put("b", b"{}").expect("put"), (0, 2));
        assert_eq!(stream.trim_before(now_millis() + 1).expect("trim"), 2);
        assert_eq!(stream.put("c", b"{}").expect("put"), (0, 3));
    }

    #[test]
    fn shards_split_the_hash_space_evenly_and_keys_stick_to_one_shard() {
        let mut counts = [0u32; 4];
        for n in 0..4000 {
            let key = format!("order-{n}");
            let shard = shard_for(&key, 4);
            assert_eq!(shard, shard_for(&key, 4));
            counts[shard as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
        assert_eq!(shard_for("anything", 1), 0);
    }
}
