//! Where a Kinesis mapping reads from: a sharded stream and its consumers' checkpoints, as a
//! small trait so that the same mapping runs on the local store (`local_shards`) and on a real
//! or emulated Kinesis (`aws_shards`).

use crate::lambda::SourceError;
use std::cmp::Ordering;
use std::future::Future;
use tokio::sync::watch;

/// A Kinesis sequence number: a decimal string, compared by value (they can exceed 128 bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequenceNumber(String);

impl SequenceNumber {
    pub fn new(digits: impl Into<String>) -> SequenceNumber {
        SequenceNumber(digits.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn significant(&self) -> &str {
        let trimmed = self.0.trim_start_matches('0');
        if trimmed.is_empty() { "0" } else { trimmed }
    }
}

impl Ord for SequenceNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

impl PartialOrd for SequenceNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A stream record as a mapping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    pub shard_id: String,
    pub sequence: SequenceNumber,
    pub partition_key: String,
    pub data: Vec<u8>,
    pub arrived_ms: i64,
}

/// A sharded stream plus the consumers' checkpoints on it.
pub trait ShardSource: Send + Sync + 'static {
    fn shard_ids(&self) -> impl Future<Output = Result<Vec<String>, SourceError>> + Send;

    /// Up to `limit` records of the shard after `after` (from the oldest retained when `None`).
    fn read_after(
        &self,
        shard_id: &str,
        after: Option<&SequenceNumber>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<SourceRecord>, SourceError>> + Send;

    /// The last record the consumer finished on the shard, if any.
    fn checkpoint(
        &self,
        consumer: &str,
        shard_id: &str,
    ) -> impl Future<Output = Result<Option<SequenceNumber>, SourceError>> + Send;

    fn set_checkpoint(
        &self,
        consumer: &str,
        shard_id: &str,
        at: Option<&SequenceNumber>,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// Changes when records may have been added; a source that cannot tell is polled.
    fn wake(&self) -> watch::Receiver<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_by_value() {
        let small = SequenceNumber::new("000000000000000000009");
        let large = SequenceNumber::new("49650000000000000000000000000000000000000000000000000010");
        assert!(small < large);
        assert!(SequenceNumber::new("10") > SequenceNumber::new("9"));
        assert_eq!(
            SequenceNumber::new("007").cmp(&SequenceNumber::new("7")),
            Ordering::Equal
        );
    }
}
