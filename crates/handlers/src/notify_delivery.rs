//! SQS delivery queue → the delivery company's API; records `courier_notified`.

use crate::partner_forwarding::{Forward, forward_once};
use crate::queue_batch::{body, process_concurrently};
use crate::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use cakeshop_domain::{DeliveryRequest, Step};
use cakeshop_ports::{Clock, OrderRepository, PartnerClient};
use std::sync::Arc;

pub struct NotifyDelivery<R, P> {
    orders: R,
    delivery_company: P,
    clock: Arc<dyn Clock>,
}

impl<R: OrderRepository, P: PartnerClient> NotifyDelivery<R, P> {
    pub fn new(orders: R, delivery_company: P, clock: Arc<dyn Clock>) -> Self {
        NotifyDelivery {
            orders,
            delivery_company,
            clock,
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        process_concurrently(&event, |message| self.notify(message)).await
    }

    async fn notify(&self, message: &SqsMessage) -> Result<(), RecordError> {
        let request = DeliveryRequest::decode(body(message))?;
        let forward = Forward {
            order_id: request.order_id,
            idempotency_key: request.request_id,
        };
        forward_once(
            &self.orders,
            &self.delivery_company,
            &*self.clock,
            message,
            forward,
            Step::CourierNotified,
        )
        .await
    }
}
