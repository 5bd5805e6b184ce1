//! Handling a batch of SQS messages the way an SQS event source mapping expects: messages are
//! independent, so they are handled concurrently, and only the ones that failed are reported
//! (`ReportBatchItemFailures`) to become visible again and be retried, then dead-lettered.

use crate::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::FutureExt;
use futures::future::join_all;
use std::future::Future;
use tracing::Instrument;

pub async fn process_concurrently<'a, F, Fut>(event: &'a SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(&'a SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), RecordError>> + 'a,
{
    let outcomes = join_all(event.records.iter().map(|message| {
        let message_id = message.message_id.as_deref().unwrap_or_default();
        let span = tracing::info_span!("message", message_id, order_id = tracing::field::Empty);
        handle(message)
            .instrument(span.clone())
            .map(move |result| (message_id, span, result))
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (message_id, span, result) in outcomes {
        if let Err(error) = result {
            span.in_scope(|| error.log(message_id));
            // An empty identifier makes the mapping retry the whole batch: the safe choice
            // for a message that somehow came without an id.
            response.add_failure(message_id);
        }
    }
    response
}

/// The message's body, which an SQS message always has (an absent body reads as empty and
/// then fails to decode, like any other wrong shape).
pub fn body(message: &SqsMessage) -> &str {
    message.body.as_deref().unwrap_or_default()
}
