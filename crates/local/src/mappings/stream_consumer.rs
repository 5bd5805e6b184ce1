//! A Kinesis event source mapping on the local stream, one loop per shard (so records of one
//! partition key stay in order while other shards go on), honouring the mapping's settings:
//!
//! - `batchSize` and `batchWindow`; `filterPatterns` (records that match none are skipped);
//! - `ReportBatchItemFailures`: the checkpoint stays before the lowest failed record and the
//!   batch is retried from there; without it a returned response counts as success;
//! - a function error (or crash, or timeout) fails the whole batch; with
//!   `bisectBatchOnFunctionError` the batch is halved until the failing record stands alone;
//! - `maximumRetryAttempts`, then the failed record (or batch) goes to the on-failure
//!   destination and the shard moves on; `maximumRecordAgeInSeconds` sends records that are too
//!   old there unprocessed.
//!
//! Consumers wake on every write to the stream, so a record reaches them within milliseconds.

use super::failure_record::{FailureCondition, KinesisBatchInfo, RequestContext, StreamFailure};
use super::{IDLE_RECHECK, retry_backoff};
use crate::envelopes::{kinesis_event, shard_id};
use crate::functions::Invoke;
use crate::store::{LocalQueue, LocalStream, StoreError, StreamRecord};
use crate::wiring::StreamMapping;
use cakeshop_domain::Timestamp;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct StreamConsumer<I> {
    pub function: String,
    pub mapping: StreamMapping,
    pub timeout: Duration,
    pub stream: LocalStream,
    pub stream_arn: String,
    pub on_failure: Option<LocalQueue>,
    pub invoker: I,
}

/// How one invocation ended, from the mapping's point of view.
enum Outcome {
    Success,
    /// The lowest sequence number the function reported as failed.
    FailedFrom(i64),
    FunctionError(String),
}

/// Where a shard's retries stand: the record they start at and how many were made.
struct Retrying {
    sequence: i64,
    attempts: u32,
}

impl<I: Invoke + Clone> StreamConsumer<I> {
    /// Starts one loop per shard; they run until the runtime stops.
    pub fn start(self: Arc<Self>) {
        for shard in 0..self.stream.shards() {
            let consumer = Arc::clone(&self);
            let wake = self.stream.store_watch();
            tokio::spawn(async move { consumer.run_shard(shard, wake).await });
        }
    }

    async fn run_shard(&self, shard: u32, mut wake: watch::Receiver<u64>) {
        loop {
            match self.poll_shard(shard, &mut wake).await {
                Ok(()) => {}
                Err(error) => {
                    tracing::error!(function = self.function, shard, error = %crate::error_chain(&error), "stream consumer failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Consumes the shard until the store fails.
    async fn poll_shard(&self, shard: u32, wake: &mut watch::Receiver<u64>) -> Result<(), StoreError> {
        let mut checkpoint = self.stream.checkpoint(&self.function, shard)?;
        let mut limit = self.mapping.batch_size;
        // While bisecting: the sizes of the second halves still to be tried, innermost last.
        let mut halves: Vec<usize> = Vec::new();
        let mut retrying: Option<Retrying> = None;
        loop {
            wake.borrow_and_update();
            let scanned = self.stream.read_after(shard, checkpoint, limit.max(64) * 4)?;
            if scanned.is_empty() {
                let _ = tokio::time::timeout(IDLE_RECHECK, wake.changed()).await;
                continue;
            }
            if self.waiting_for_window(&scanned, limit, wake).await {
                continue;
            }
            let (batch, skipped_to, expired) = self.select(&scanned, limit);
            if !expired.is_empty() {
                self.send_to_destination(shard, &expired, FailureCondition::RecordAgeExceeded, 0)?;
            }
            let Some(first) = batch.first().map(|r| r.sequence) else {
                checkpoint = skipped_to;
                self.stream.set_checkpoint(&self.function, shard, checkpoint)?;
                continue;
            };
            // Whatever was skipped before the batch is done with, whatever happens next.
            checkpoint = first - 1;
            self.stream.set_checkpoint(&self.function, shard, checkpoint)?;

            match self.invoke(&batch).await {
                Outcome::Success => {
                    checkpoint = skipped_to;
                    limit = halves.pop().unwrap_or(self.mapping.batch_size);
                    retrying = None;
                }
                Outcome::FailedFrom(failed) => {
                    checkpoint = failed - 1;
                    let attempts = next_attempt(&mut retrying, failed);
                    if self.exhausted(attempts) {
                        let record: Vec<StreamRecord> =
                            batch.iter().filter(|r| r.sequence == failed).cloned().collect();
                        self.send_to_destination(shard, &record, FailureCondition::RetryAttemptsExhausted, attempts)?;
                        checkpoint = failed;
                        retrying = None;
                    } else {
                        tokio::time::sleep(retry_backoff(attempts)).await;
                    }
                }
                Outcome::FunctionError(reason) => {
                    tracing::warn!(
                        function = self.function,
                        shard,
                        records = batch.len(),
                        reason,
                        "batch failed"
                    );
                    if self.mapping.bisect_on_error && batch.len() > 1 {
                        limit = batch.len().div_ceil(2);
                        halves.push(batch.len() - limit);
                        continue;
                    }
                    let attempts = next_attempt(&mut retrying, first);
                    if self.exhausted(attempts) {
                        self.send_to_destination(shard, &batch, FailureCondition::RetryAttemptsExhausted, attempts)?;
                        checkpoint = batch.last().map_or(checkpoint, |r| r.sequence);
                        limit = halves.pop().unwrap_or(self.mapping.batch_size);
                        retrying = None;
                    } else {
                        tokio::time::sleep(retry_backoff(attempts)).await;
                    }
                }
            }
            self.stream.set_checkpoint(&self.function, shard, checkpoint)?;
        }
    }

    /// With a batching window, waits for the batch to fill or the window to pass: `true` when
    /// the shard should be read again (a record was put, or the window passed).
    async fn waiting_for_window(
        &self,
        scanned: &[StreamRecord],
        limit: usize,
        wake: &mut watch::Receiver<u64>,
    ) -> bool {
        let window = self.mapping.batching_window_ms as i64;
        let Some(oldest) = scanned.first() else {
            return false;
        };
        let waited = crate::store::now_millis() - oldest.arrived_ms;
        if window == 0 || scanned.len() >= limit || waited >= window {
            return false;
        }
        let _ = tokio::time::timeout(Duration::from_millis((window - waited) as u64), wake.changed()).await;
        true
    }

    /// The next batch (matching records, at most `limit`), the sequence number up to which the
    /// scan went, and records too old to deliver.
    fn select(&self, scanned: &[StreamRecord], limit: usize) -> (Vec<StreamRecord>, i64, Vec<StreamRecord>) {
        let now = crate::store::now_millis();
        let too_old = |record: &StreamRecord| {
            self.mapping
                .maximum_record_age_seconds
                .is_some_and(|age| now - record.arrived_ms > age as i64 * 1000)
        };
        let wanted = |record: &StreamRecord| {
            self.mapping.filters.is_empty()
                || self
                    .mapping
                    .filters
                    .iter()
                    .any(|f| f.matches(&record.partition_key, &record.data))
        };
        let mut batch = Vec::new();
        let mut expired = Vec::new();
        let mut scanned_to = 0;
        for record in scanned {
            if batch.len() == limit {
                break;
            }
            scanned_to = record.sequence;
            if !wanted(record) {
                continue;
            }
            if too_old(record) {
                expired.push(record.clone());
            } else {
                batch.push(record.clone());
            }
        }
        (batch, scanned_to, expired)
    }

    async fn invoke(&self, batch: &[StreamRecord]) -> Outcome {
        let event = kinesis_event(batch, &self.stream_arn);
        let response = match tokio::time::timeout(self.timeout, self.invoker.kinesis(&self.function, event)).await {
            Err(_) => {
                return Outcome::FunctionError(format!("timed out after {:?}", self.timeout));
            }
            Ok(Err(error)) => return Outcome::FunctionError(error.to_string()),
            Ok(Ok(response)) => response,
        };
        if !self.mapping.report_batch_item_failures || response.batch_item_failures.is_empty() {
            return Outcome::Success;
        }
        let failed: Option<Vec<i64>> = response
            .batch_item_failures
            .iter()
            .map(|f| {
                let sequence = f
                    .item_identifier
                    .as_deref()
                    .and_then(crate::store::parse_sequence_number)?;
                batch.iter().any(|r| r.sequence == sequence).then_some(sequence)
            })
            .collect();
        match failed.and_then(|failed| failed.into_iter().min()) {
            Some(lowest) => Outcome::FailedFrom(lowest),
            // As on AWS, an identifier that names no record of the batch fails the whole batch.
            None => Outcome::FunctionError("the response named a record that is not in the batch".into()),
        }
    }

    fn exhausted(&self, attempts: u32) -> bool {
        self.mapping.maximum_retry_attempts.is_some_and(|max| attempts > max)
    }

    fn send_to_destination(
        &self,
        shard: u32,
        records: &[StreamRecord],
        condition: FailureCondition,
        attempts: u32,
    ) -> Result<(), StoreError> {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(());
        };
        tracing::warn!(
            function = self.function,
            shard,
            from = first.sequence_number(),
            to = last.sequence_number(),
            ?condition,
            "records given up on"
        );
        let Some(destination) = &self.on_failure else {
            return Ok(());
        };
        let failure = StreamFailure {
            request_context: RequestContext {
                request_id: uuid::Uuid::new_v4().to_string(),
                function_arn: crate::envelopes::function_arn(&self.function),
                condition,
                approximate_invoke_count: attempts,
            },
            version: "1.0".into(),
            timestamp: now_text(),
            batch: KinesisBatchInfo {
                shard_id: shard_id(shard),
                start_sequence_number: first.sequence_number(),
                end_sequence_number: last.sequence_number(),
                approximate_arrival_of_first_record: time_text(first.arrived_ms),
                approximate_arrival_of_last_record: time_text(last.arrived_ms),
                batch_size: records.len(),
                stream_arn: self.stream_arn.clone(),
            },
        };
        let body = serde_json::to_string(&failure).unwrap_or_default();
        destination.send_bodies([body.as_str()])?;
        Ok(())
    }
}

/// Counts an attempt at the batch starting at `sequence` (a new start resets the count).
fn next_attempt(retrying: &mut Option<Retrying>, sequence: i64) -> u32 {
    match retrying {
        Some(state) if state.sequence == sequence => state.attempts += 1,
        _ => *retrying = Some(Retrying { sequence, attempts: 1 }),
    }
    retrying.as_ref().map_or(1, |state| state.attempts)
}

fn time_text(millis: i64) -> String {
    Timestamp::from_unix_millis(millis)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn now_text() -> String {
    time_text(crate::store::now_millis())
}
