//! Passing a queued message on to a partner's API exactly once per order, as far as this side
//! can tell: a step already recorded means the partner has it, and the idempotency key lets
//! the partner drop the repeat that a crash between the call and the record can cause.

use crate::queue_batch::body;
use crate::record_error::RecordError;
use aws_lambda_events::event::sqs::SqsMessage;
use cakeshop_domain::{OrderId, Step};
use cakeshop_ports::{Clock, OrderRepository, PartnerCall, PartnerClient};

/// What a queue message asks to forward.
pub struct Forward {
    pub order_id: OrderId,
    pub idempotency_key: String,
}

pub async fn forward_once<R: OrderRepository, P: PartnerClient>(
    orders: &R,
    partner: &P,
    clock: &dyn Clock,
    message: &SqsMessage,
    forward: Forward,
    step: Step,
) -> Result<(), RecordError> {
    let Forward {
        order_id,
        idempotency_key,
    } = forward;
    tracing::Span::current().record("order_id", order_id.as_str());
    let order = orders
        .get(&order_id)
        .await?
        .ok_or_else(|| RecordError::UnknownOrder(order_id.clone()))?;
    if order.has_step(step) {
        tracing::info!(step = step.as_str(), "already done; repeat skipped");
        return Ok(());
    }
    partner
        .call(&PartnerCall {
            idempotency_key,
            body: body(message).to_owned(),
        })
        .await?;
    orders.record_step(&order_id, step, clock.now()).await?;
    tracing::info!(step = step.as_str(), "partner called");
    Ok(())
}
