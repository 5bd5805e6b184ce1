//! A Kinesis event source mapping, one loop per shard (so records of one
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
//! On the local stream, consumers wake on every write, so a record reaches them within
//! milliseconds; a real stream is polled.

use super::event::kinesis_event;
use super::failure_record::{FailureCondition, KinesisBatchInfo, RequestContext, StreamFailure};
use super::mapping::StreamMapping;
use super::shards::{SequenceNumber, ShardSource, SourceRecord};
use crate::lambda::{IDLE_RECHECK, Invoke, SourceError, retry_backoff};
use crate::stopping::Stopping;
use cakeshop_domain::Timestamp;
use cakeshop_ports::{OutgoingMessage, QueueSender};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct StreamConsumer<I, S, F> {
    pub function: String,
    pub mapping: StreamMapping,
    pub timeout: Duration,
    pub stream: S,
    pub stream_arn: String,
    /// The on-failure destination, a queue.
    pub on_failure: Option<F>,
    pub invoker: I,
}

/// How one invocation ended, from the mapping's point of view.
enum Outcome {
    Success,
    /// The lowest sequence number the function reported as failed.
    FailedFrom(SequenceNumber),
    FunctionError(String),
}

/// Where a shard's retries stand: the record they start at and how many were made.
struct Retrying {
    sequence: SequenceNumber,
    attempts: u32,
}

/// What to do with a scan of the shard.
struct Selection {
    batch: Vec<SourceRecord>,
    /// The last record the scan considered (the batch's end, or past skipped records).
    scanned_to: Option<SequenceNumber>,
    expired: Vec<SourceRecord>,
}

impl<I, S, F> StreamConsumer<I, S, F>
where
    I: Invoke + Clone,
    S: ShardSource,
    F: QueueSender + 'static,
{
    /// Starts one loop per shard; they run until `stopping` is asked, each then ending once
    /// the batch it holds is handled and checkpointed.
    pub fn start(self: Arc<Self>, stopping: &Stopping) {
        let stopping = stopping.clone();
        stopping.clone().spawn(async move {
            let shard_ids = loop {
                match self.stream.shard_ids().await {
                    Ok(ids) => break ids,
                    Err(error) => {
                        tracing::error!(function = self.function, error = %cakeshop_ports::error_chain(&error), "listing shards failed; retrying");
                        stopping.pause(Duration::from_secs(1)).await;
                        if stopping.is_asked() {
                            return;
                        }
                    }
                }
            };
            for shard_id in shard_ids {
                let consumer = Arc::clone(&self);
                let wake = self.stream.wake();
                let stops = stopping.clone();
                stopping.spawn(async move { consumer.run_shard(shard_id, wake, &stops).await });
            }
        });
    }

    async fn run_shard(&self, shard_id: String, mut wake: watch::Receiver<u64>, stopping: &Stopping) {
        while !stopping.is_asked() {
            if let Err(error) = self.poll_shard(&shard_id, &mut wake, stopping).await {
                tracing::error!(function = self.function, shard_id, error = %cakeshop_ports::error_chain(&error), "stream consumer failed; retrying");
                stopping.pause(Duration::from_secs(1)).await;
            }
        }
    }

    /// Consumes the shard until its source fails or a stop is asked for.
    async fn poll_shard(
        &self,
        shard_id: &str,
        wake: &mut watch::Receiver<u64>,
        stopping: &Stopping,
    ) -> Result<(), SourceError> {
        let mut checkpoint = self.stream.checkpoint(&self.function, shard_id).await?;
        // What the store holds: a checkpoint is written only when it moved.
        let mut saved = checkpoint.clone();
        let mut limit = self.mapping.batch_size;
        // While bisecting: the sizes of the second halves still to be tried, innermost last.
        let mut halves: Vec<usize> = Vec::new();
        let mut retrying: Option<Retrying> = None;
        loop {
            if stopping.is_asked() {
                return self.save(shard_id, &checkpoint, &mut saved).await;
            }
            wake.borrow_and_update();
            let scanned = self
                .stream
                .read_after(shard_id, checkpoint.as_ref(), limit.max(64) * 4)
                .await?;
            if scanned.is_empty() {
                // Records only skipped are checkpointed past here, once the shard is quiet, or
                // with the next batch: reading them again after a crash skips them again.
                self.save(shard_id, &checkpoint, &mut saved).await?;
                stopping.wait_for(IDLE_RECHECK, wake.changed()).await;
                continue;
            }
            if self.waiting_for_window(&scanned, limit, wake).await {
                continue;
            }
            let Selection {
                batch,
                scanned_to,
                expired,
            } = self.select(&scanned, limit);
            if !expired.is_empty() {
                self.send_to_destination(shard_id, &expired, FailureCondition::RecordAgeExceeded, 0)
                    .await;
            }
            // Whatever was skipped before the batch is done with, whatever happens next.
            checkpoint = match batch.first() {
                Some(first) => position_before(&scanned, &checkpoint, &first.sequence),
                None => scanned_to.clone(),
            };
            if !expired.is_empty() {
                // Records handed to the destination are not handed over again after a crash.
                self.save(shard_id, &checkpoint, &mut saved).await?;
            }
            let Some(first) = batch.first().map(|r| r.sequence.clone()) else {
                continue;
            };

            match self.invoke(&batch).await {
                Outcome::Success => {
                    checkpoint = scanned_to;
                    limit = halves.pop().unwrap_or(self.mapping.batch_size);
                    retrying = None;
                }
                Outcome::FailedFrom(failed) => {
                    checkpoint = position_before(&scanned, &checkpoint, &failed);
                    let attempts = next_attempt(&mut retrying, &failed);
                    if self.exhausted(attempts) {
                        let record: Vec<SourceRecord> =
                            batch.iter().filter(|r| r.sequence == failed).cloned().collect();
                        self.send_to_destination(shard_id, &record, FailureCondition::RetryAttemptsExhausted, attempts)
                            .await;
                        checkpoint = Some(failed);
                        retrying = None;
                    } else {
                        stopping.pause(retry_backoff(attempts)).await;
                    }
                }
                Outcome::FunctionError(reason) => {
                    tracing::warn!(
                        function = self.function,
                        shard_id,
                        records = batch.len(),
                        reason,
                        "batch failed"
                    );
                    if self.mapping.bisect_on_error && batch.len() > 1 {
                        limit = batch.len().div_ceil(2);
                        halves.push(batch.len() - limit);
                        continue;
                    }
                    let attempts = next_attempt(&mut retrying, &first);
                    if self.exhausted(attempts) {
                        self.send_to_destination(shard_id, &batch, FailureCondition::RetryAttemptsExhausted, attempts)
                            .await;
                        checkpoint = batch.last().map(|r| r.sequence.clone()).or(checkpoint);
                        limit = halves.pop().unwrap_or(self.mapping.batch_size);
                        retrying = None;
                    } else {
                        stopping.pause(retry_backoff(attempts)).await;
                    }
                }
            }
            self.save(shard_id, &checkpoint, &mut saved).await?;
        }
    }

    /// Stores `checkpoint` unless the store already holds it.
    async fn save(
        &self,
        shard_id: &str,
        checkpoint: &Option<SequenceNumber>,
        saved: &mut Option<SequenceNumber>,
    ) -> Result<(), SourceError> {
        if checkpoint == saved {
            return Ok(());
        }
        self.stream
            .set_checkpoint(&self.function, shard_id, checkpoint.as_ref())
            .await?;
        saved.clone_from(checkpoint);
        Ok(())
    }

    /// With a batching window, waits for the batch to fill or the window to pass: `true` when
    /// the shard should be read again (a record was put, or the window passed).
    async fn waiting_for_window(
        &self,
        scanned: &[SourceRecord],
        limit: usize,
        wake: &mut watch::Receiver<u64>,
    ) -> bool {
        let window = self.mapping.batching_window_ms as i64;
        let Some(oldest) = scanned.first() else {
            return false;
        };
        let waited = cakeshop_sqlite::now_millis() - oldest.arrived_ms;
        if window == 0 || scanned.len() >= limit || waited >= window {
            return false;
        }
        let _ = tokio::time::timeout(Duration::from_millis((window - waited) as u64), wake.changed()).await;
        true
    }

    /// The next batch (matching records, at most `limit`), how far the scan went, and records
    /// too old to deliver.
    fn select(&self, scanned: &[SourceRecord], limit: usize) -> Selection {
        let now = cakeshop_sqlite::now_millis();
        let too_old = |record: &SourceRecord| {
            self.mapping
                .maximum_record_age_seconds
                .is_some_and(|age| now - record.arrived_ms > age as i64 * 1000)
        };
        let wanted = |record: &SourceRecord| {
            self.mapping.filters.is_empty()
                || self
                    .mapping
                    .filters
                    .iter()
                    .any(|f| f.matches(&record.partition_key, &record.data))
        };
        let mut selection = Selection {
            batch: Vec::new(),
            scanned_to: None,
            expired: Vec::new(),
        };
        for record in scanned {
            if selection.batch.len() == limit {
                break;
            }
            selection.scanned_to = Some(record.sequence.clone());
            if !wanted(record) {
                continue;
            }
            if too_old(record) {
                selection.expired.push(record.clone());
            } else {
                selection.batch.push(record.clone());
            }
        }
        selection
    }

    async fn invoke(&self, batch: &[SourceRecord]) -> Outcome {
        let event = kinesis_event(batch, &self.stream_arn);
        let response = match tokio::time::timeout(self.timeout, self.invoker.kinesis(&self.function, event)).await {
            Err(_) => return Outcome::FunctionError(format!("timed out after {:?}", self.timeout)),
            Ok(Err(error)) => return Outcome::FunctionError(error.to_string()),
            Ok(Ok(response)) => response,
        };
        if !self.mapping.report_batch_item_failures || response.batch_item_failures.is_empty() {
            return Outcome::Success;
        }
        let failed: Option<Vec<SequenceNumber>> = response
            .batch_item_failures
            .iter()
            .map(|f| {
                let identifier = f.item_identifier.as_deref()?;
                batch
                    .iter()
                    .find(|r| r.sequence.as_str() == identifier)
                    .map(|r| r.sequence.clone())
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

    /// Gives up on records: logs them and, with a destination, sends it a pointer to them.
    /// A destination that cannot take the pointer is logged too; the shard moves on regardless,
    /// as Lambda's does.
    async fn send_to_destination(
        &self,
        shard_id: &str,
        records: &[SourceRecord],
        condition: FailureCondition,
        attempts: u32,
    ) {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return;
        };
        tracing::warn!(
            function = self.function,
            shard_id,
            from = first.sequence.as_str(),
            to = last.sequence.as_str(),
            ?condition,
            "records given up on"
        );
        let Some(destination) = &self.on_failure else {
            return;
        };
        let failure = StreamFailure {
            request_context: RequestContext {
                request_id: uuid::Uuid::new_v4().to_string(),
                function_arn: crate::arn::function_arn(&self.function),
                condition,
                approximate_invoke_count: attempts,
            },
            version: "1.0".into(),
            timestamp: time_text(cakeshop_sqlite::now_millis()),
            batch: KinesisBatchInfo {
                shard_id: shard_id.to_owned(),
                start_sequence_number: first.sequence.as_str().to_owned(),
                end_sequence_number: last.sequence.as_str().to_owned(),
                approximate_arrival_of_first_record: time_text(first.arrived_ms),
                approximate_arrival_of_last_record: time_text(last.arrived_ms),
                batch_size: records.len(),
                stream_arn: self.stream_arn.clone(),
            },
        };
        let body = match serde_json::to_string(&failure) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(function = self.function, shard_id, error = %cakeshop_ports::error_chain(&error), "the on-failure record could not be written");
                return;
            }
        };
        let message = OutgoingMessage {
            key: first.sequence.as_str().to_owned(),
            body,
            trace: None,
        };
        if let Err(error) = destination.send(message).await {
            tracing::error!(function = self.function, shard_id, error = %cakeshop_ports::error_chain(&error), "the on-failure destination refused the record");
        }
    }
}

/// The position just before `sequence`: the record scanned before it, or the checkpoint the
/// scan started from.
fn position_before(
    scanned: &[SourceRecord],
    checkpoint: &Option<SequenceNumber>,
    sequence: &SequenceNumber,
) -> Option<SequenceNumber> {
    let mut previous = checkpoint.clone();
    for record in scanned {
        if &record.sequence == sequence {
            break;
        }
        previous = Some(record.sequence.clone());
    }
    previous
}

/// Counts an attempt at the batch starting at `sequence` (a new start resets the count).
fn next_attempt(retrying: &mut Option<Retrying>, sequence: &SequenceNumber) -> u32 {
    match retrying {
        Some(state) if &state.sequence == sequence => state.attempts += 1,
        _ => {
            *retrying = Some(Retrying {
                sequence: sequence.clone(),
                attempts: 1,
            })
        }
    }
    retrying.as_ref().map_or(1, |state| state.attempts)
}

fn time_text(millis: i64) -> String {
    Timestamp::from_unix_millis(millis)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
