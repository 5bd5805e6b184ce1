//! Handling a batch of SQS messages the way an SQS event source mapping expects: only the
//! messages that failed are reported (`ReportBatchItemFailures`), to become visible again, be
//! retried and in the end be dead-lettered.
//!
//! Messages about different orders are handled concurrently; messages about the same order
//! (a redelivery, a repeat send) one after another, so the second sees what the first did.

use crate::shared::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cakeshop_domain::{OrderId, TraceId, TraceParent};
use cakeshop_ports::TRACEPARENT_ATTRIBUTE;
use futures::future::join_all;
use std::future::Future;
use tracing::Instrument;

/// A decoded message that belongs to one order.
pub trait AboutOrder {
    fn order_id(&self) -> &OrderId;
}

pub async fn process_per_order<'a, T, Fut>(
    event: &'a SqsEvent,
    decode: impl Fn(&str) -> Result<T, RecordError>,
    handle: impl Fn(&'a SqsMessage, T) -> Fut,
) -> SqsBatchResponse
where
    T: AboutOrder,
    Fut: Future<Output = Result<(), RecordError>>,
{
    let mut response = SqsBatchResponse::default();
    let mut groups: Vec<(OrderId, Vec<(&'a SqsMessage, T)>)> = Vec::new();
    for message in &event.records {
        match decode(body(message)) {
            Ok(decoded) => {
                let order_id = decoded.order_id().clone();
                match groups.iter_mut().find(|(id, _)| *id == order_id) {
                    Some((_, group)) => group.push((message, decoded)),
                    None => groups.push((order_id, vec![(message, decoded)])),
                }
            }
            Err(error) => fail(&mut response, message, None, &error),
        }
    }
    let handle = &handle;
    let outcomes = join_all(groups.into_iter().map(|(order_id, group)| async move {
        let mut outcomes = Vec::with_capacity(group.len());
        for (message, decoded) in group {
            let span = tracing::info_span!(
                "message",
                message_id = id(message),
                %order_id,
                trace_id = trace_id(message).map(tracing::field::display)
            );
            outcomes.push((message, handle(message, decoded).instrument(span).await));
        }
        (order_id, outcomes)
    }))
    .await;
    for (order_id, group) in outcomes {
        for (message, outcome) in group {
            if let Err(error) = outcome {
                fail(&mut response, message, Some(&order_id), &error);
            }
        }
    }
    response
}

fn fail(response: &mut SqsBatchResponse, message: &SqsMessage, order_id: Option<&OrderId>, error: &RecordError) {
    let span = tracing::info_span!(
        "message",
        message_id = id(message),
        order_id = order_id.map(OrderId::as_str)
    );
    span.in_scope(|| error.log(id(message)));
    // An empty identifier makes the mapping retry the whole batch: the safe choice for a
    // message that somehow came without an id.
    response.add_failure(id(message));
}

/// The trace the message continues: its `traceparent` attribute, if it has a valid one.
pub fn trace_id(message: &SqsMessage) -> Option<TraceId> {
    let attribute = message.message_attributes.get(TRACEPARENT_ATTRIBUTE)?;
    Some(TraceParent::parse(attribute.string_value.as_deref()?)?.trace_id)
}

fn id(message: &SqsMessage) -> &str {
    message.message_id.as_deref().unwrap_or_default()
}

/// The message's body; an absent body reads as empty and fails to decode like any wrong shape.
pub fn body(message: &SqsMessage) -> &str {
    message.body.as_deref().unwrap_or_default()
}
