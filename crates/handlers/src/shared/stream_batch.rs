//! Handling a batch of Kinesis records the way a Kinesis event source mapping expects.
//!
//! Records of one partition key (one order) are handled in order, and a failure stops that
//! key's records there; records of different keys are handled concurrently, since nothing
//! orders them. The handler reports the first failed record of the batch: with
//! `ReportBatchItemFailures` the mapping checkpoints just before it and delivers it and
//! everything after it again, so an order's events never overtake each other, and what was
//! already done is skipped the second time by the handlers' own checks.

use crate::shared::record_error::RecordError;
use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::KinesisEventResponse;
use cakeshop_domain::{EventKind, OrderEvent};
use futures::future::join_all;
use std::collections::HashMap;
use std::future::Future;
use tracing::Instrument;

pub fn decode(record: &KinesisEventRecord) -> Result<OrderEvent, RecordError> {
    Ok(OrderEvent::decode(&record.kinesis.data.0)?)
}

/// How one record went: `None` when it was not reached (an earlier record of its key failed),
/// `Some(Ok(None))` when it was not a `wanted` event and was acknowledged untouched.
pub type Handled<T> = Option<Result<Option<T>, RecordError>>;

/// Runs `handle` on every event of a `wanted` kind, per partition key in order and stopping at
/// that key's first failure, different keys concurrently; returns every record's outcome in
/// batch order. Events of other kinds are acknowledged untouched (the mapping's filter normally
/// keeps them away; a filter mistake must not block the shard).
pub async fn handle_per_key<T, F, Fut>(
    records: &[KinesisEventRecord],
    wanted: &[EventKind],
    handle: F,
) -> Vec<Handled<T>>
where
    F: Fn(OrderEvent) -> Fut,
    Fut: Future<Output = Result<T, RecordError>>,
{
    let handle = &handle;
    let handled = join_all(by_partition_key(records).into_iter().map(|positions| async move {
        let mut handled = Vec::with_capacity(positions.len());
        for position in positions {
            let record = &records[position];
            let sequence_number = record.kinesis.sequence_number.as_str();
            let span = tracing::info_span!(
                "record",
                sequence_number,
                order_id = tracing::field::Empty,
                trace_id = tracing::field::Empty
            );
            let result = async {
                let order_event = decode(record)?;
                let current = tracing::Span::current();
                current.record("order_id", order_event.order_id().as_str());
                if let Some(trace) = order_event.traceparent() {
                    current.record("trace_id", tracing::field::display(trace.trace_id));
                }
                if !wanted.contains(&order_event.kind()) {
                    tracing::info!(kind = order_event.kind().as_str(), "not for this function; skipped");
                    return Ok(None);
                }
                handle(order_event).await.map(Some)
            }
            .instrument(span.clone())
            .await;
            let failed = result.is_err();
            if let Err(error) = &result {
                span.in_scope(|| error.log(sequence_number));
            }
            handled.push((position, result));
            if failed {
                break;
            }
        }
        handled
    }))
    .await;
    let mut outcomes: Vec<Handled<T>> = records.iter().map(|_| None).collect();
    for (position, result) in handled.into_iter().flatten() {
        outcomes[position] = Some(result);
    }
    outcomes
}

/// The positions of the records of each partition key, in batch order.
fn by_partition_key(records: &[KinesisEventRecord]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (position, record) in records.iter().enumerate() {
        let key = record.kinesis.partition_key.as_str();
        let group = *group_of.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(position);
    }
    groups
}

/// The first record of the batch that failed or was not reached: where the mapping resumes.
pub fn first_unfinished<'a, T>(records: &'a [KinesisEventRecord], outcomes: &[Handled<T>]) -> Option<&'a str> {
    records
        .iter()
        .zip(outcomes)
        .find(|(_, outcome)| !matches!(outcome, Some(Ok(_))))
        .map(|(record, _)| record.kinesis.sequence_number.as_str())
}

/// `handle_per_key`, answered the way the mapping expects.
pub async fn process_per_key<F, Fut>(event: KinesisEvent, wanted: &[EventKind], handle: F) -> KinesisEventResponse
where
    F: Fn(OrderEvent) -> Fut,
    Fut: Future<Output = Result<(), RecordError>>,
{
    let outcomes = handle_per_key(&event.records, wanted, handle).await;
    let mut response = KinesisEventResponse::default();
    if let Some(sequence_number) = first_unfinished(&event.records, &outcomes) {
        response.add_failure(sequence_number);
    }
    response
}
