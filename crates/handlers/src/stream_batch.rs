//! Handling a batch of Kinesis records the way a Kinesis event source mapping expects.
//!
//! Records are handled in order. At the first failure the handler stops and reports that
//! record's sequence number: with `ReportBatchItemFailures` the mapping checkpoints just before
//! it and delivers it and everything after it again, so an order's events never overtake each
//! other, and what was already done is skipped the second time by the handlers' own checks.

use crate::record_error::RecordError;
use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::KinesisEventResponse;
use cakeshop_domain::{EventKind, OrderEvent};
use std::future::Future;
use tracing::Instrument;

pub fn decode(record: &KinesisEventRecord) -> Result<OrderEvent, RecordError> {
    Ok(OrderEvent::decode(&record.kinesis.data.0)?)
}

/// Runs `handle` on every `wanted` event in order, stopping at the first failure.
/// Events of other kinds are acknowledged untouched (the mapping's filter normally keeps them
/// away; a filter mistake must not block the shard).
pub async fn process_in_order<F, Fut>(event: KinesisEvent, wanted: EventKind, handle: F) -> KinesisEventResponse
where
    F: Fn(OrderEvent) -> Fut,
    Fut: Future<Output = Result<(), RecordError>>,
{
    let mut response = KinesisEventResponse::default();
    for record in &event.records {
        let sequence_number = record.kinesis.sequence_number.as_str();
        let span = tracing::info_span!("record", sequence_number, order_id = tracing::field::Empty);
        let result = async {
            let order_event = decode(record)?;
            tracing::Span::current().record("order_id", order_event.order_id().as_str());
            if order_event.kind() != wanted {
                tracing::info!(kind = order_event.kind().as_str(), "not for this function; skipped");
                return Ok(());
            }
            handle(order_event).await
        }
        .instrument(span.clone())
        .await;
        if let Err(error) = result {
            span.in_scope(|| error.log(sequence_number));
            response.add_failure(sequence_number);
            break;
        }
    }
    response
}
