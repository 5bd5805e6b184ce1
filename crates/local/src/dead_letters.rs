//! What landed in a dead-letter queue or an on-failure destination, and replaying it.
//!
//! An SQS dead-letter queue's messages go back to the queue they came from, as new messages.
//! A Kinesis on-failure destination holds pointers to stream records (see
//! `mappings::StreamFailure`); replaying reads those records from the stream (while retained)
//! and hands them to the consumer that gave up on them, and drops the pointer once it succeeds.

use crate::arn::stream_arn;
use crate::kinesis::{StreamFailure, kinesis_event, source_record};
use crate::lambda::Invoke;
use crate::serverless::{Trigger, Wiring};
use cakeshop_sqlite::{LocalQueue, LocalStream, QueueMessage, Store, StoreError, StreamRecord, parse_sequence_number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterKind {
    /// The dead-letter queue of an SQS queue.
    QueueDeadLetters { source: String },
    /// The on-failure destination of a function's Kinesis mapping.
    StreamFailures { function: String },
}

#[derive(Debug, Clone)]
pub struct DeadLetters {
    pub queue: String,
    pub kind: DeadLetterKind,
    pub messages: Vec<QueueMessage>,
}

#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("{0} is not a dead-letter queue or on-failure destination in serverless.yml; they are: {1}")]
    NotADeadLetterQueue(String, String),
    #[error("the store")]
    Store(#[from] StoreError),
}

/// Every dead-letter queue and on-failure destination the wiring declares, with its messages.
pub fn list(wiring: &Wiring, store: &Store) -> Result<Vec<DeadLetters>, StoreError> {
    let mut found = Vec::new();
    for (queue, kind) in dead_letter_queues(wiring) {
        let messages = LocalQueue::new(store.clone(), queue.clone()).list()?;
        found.push(DeadLetters { queue, kind, messages });
    }
    Ok(found)
}

fn dead_letter_queues(wiring: &Wiring) -> Vec<(String, DeadLetterKind)> {
    let mut queues: Vec<(String, DeadLetterKind)> = wiring
        .queues
        .values()
        .filter_map(|q| {
            let redrive = q.redrive.as_ref()?;
            Some((
                redrive.dead_letter_queue.clone(),
                DeadLetterKind::QueueDeadLetters {
                    source: q.logical_id.clone(),
                },
            ))
        })
        .collect();
    for function in &wiring.functions {
        if let Some(Trigger::Stream(mapping)) = &function.trigger
            && let Some(queue) = &mapping.on_failure_queue
        {
            queues.push((
                queue.clone(),
                DeadLetterKind::StreamFailures {
                    function: function.name.clone(),
                },
            ));
        }
    }
    queues
}

/// What a redrive did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RedriveReport {
    /// Messages moved back to their source queue, or stream ranges replayed successfully.
    pub replayed: usize,
    /// Stream ranges whose replay failed again (their pointers stay).
    pub failed: usize,
    /// Stream ranges no longer in the stream (past retention); their pointers stay for a person.
    pub expired: usize,
}

pub async fn redrive<I: Invoke>(
    wiring: &Wiring,
    store: &Store,
    invoker: &I,
    queue: &str,
) -> Result<RedriveReport, RedriveError> {
    let queues = dead_letter_queues(wiring);
    let Some((_, kind)) = queues.iter().find(|(name, _)| name == queue) else {
        let names: Vec<&str> = queues.iter().map(|(name, _)| name.as_str()).collect();
        return Err(RedriveError::NotADeadLetterQueue(queue.to_owned(), names.join(", ")));
    };
    let dead_letters = LocalQueue::new(store.clone(), queue);
    match kind {
        DeadLetterKind::QueueDeadLetters { .. } => {
            let moved = dead_letters.redrive()?;
            Ok(RedriveReport {
                replayed: moved.iter().map(|(_, n)| n).sum(),
                ..RedriveReport::default()
            })
        }
        DeadLetterKind::StreamFailures { function } => {
            // The pointer covers a sequence range; only the records the mapping's filter lets
            // through were ever meant for this function.
            let filters = match wiring.function(function).and_then(|f| f.trigger.as_ref()) {
                Some(Trigger::Stream(mapping)) => mapping.filters.clone(),
                _ => Vec::new(),
            };
            let wanted =
                |r: &StreamRecord| filters.is_empty() || filters.iter().any(|f| f.matches(&r.partition_key, &r.data));
            let stream = LocalStream::new(store.clone());
            let arn = stream_arn(&wiring.stream.logical_id);
            let mut report = RedriveReport::default();
            for message in dead_letters.list()? {
                let mut records = match serde_json::from_str::<StreamFailure>(&message.body) {
                    Ok(failure) => records_of(&stream, &failure)?,
                    Err(_) => Vec::new(),
                };
                records.retain(wanted);
                if records.is_empty() {
                    report.expired += 1;
                    continue;
                }
                let records: Vec<_> = records.into_iter().map(source_record).collect();
                match invoker.kinesis(function, kinesis_event(&records, &arn)).await {
                    Ok(response) if response.batch_item_failures.is_empty() => {
                        dead_letters.delete_any(&message.message_id)?;
                        report.replayed += 1;
                    }
                    _ => report.failed += 1,
                }
            }
            Ok(report)
        }
    }
}

fn records_of(stream: &LocalStream, failure: &StreamFailure) -> Result<Vec<cakeshop_sqlite::StreamRecord>, StoreError> {
    let shard = failure
        .batch
        .shard_id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse::<u32>().ok());
    let start = parse_sequence_number(&failure.batch.start_sequence_number);
    let end = parse_sequence_number(&failure.batch.end_sequence_number);
    let (Some(shard), Some(start), Some(end)) = (shard, start, end) else {
        return Ok(Vec::new());
    };
    let records = stream.read_after(shard, start - 1, (end - start + 1).max(0) as usize)?;
    Ok(records.into_iter().filter(|r| r.sequence <= end).collect())
}
