//! SQS feedback queue → the customer-service API; records `feedback_forwarded`.

use crate::partner_forwarding::{Forward, forward_once};
use crate::queue_batch::{body, process_concurrently};
use crate::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cakeshop_domain::{FeedbackMessage, Step};
use cakeshop_ports::{Clock, OrderRepository, PartnerClient};
use std::sync::Arc;

pub struct ForwardFeedback<R, P> {
    orders: R,
    customer_service: P,
    clock: Arc<dyn Clock>,
}

impl<R: OrderRepository, P: PartnerClient> ForwardFeedback<R, P> {
    pub fn new(orders: R, customer_service: P, clock: Arc<dyn Clock>) -> Self {
        ForwardFeedback {
            orders,
            customer_service,
            clock,
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_concurrently(&event, |message| self.forward(message)).await
    }

    async fn forward(&self, message: &SqsMessage) -> Result<(), RecordError> {
        let feedback = FeedbackMessage::decode(body(message))?;
        let forward = Forward {
            order_id: feedback.order_id,
            idempotency_key: feedback.feedback_id,
        };
        forward_once(
            &self.orders,
            &self.customer_service,
            &*self.clock,
            message,
            forward,
            Step::FeedbackForwarded,
        )
        .await
    }
}
