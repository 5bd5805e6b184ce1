//! SQS delivery queue → the delivery company's API; records `courier_notified`.

use crate::partner_forwarding::PartnerForwarding;
use crate::queue_batch::{AboutOrder, process_per_order};
use crate::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use cakeshop_domain::{DeliveryRequest, OrderId, Step};
use cakeshop_ports::partner::DELIVERY;
use cakeshop_ports::{Clock, Metrics, OrderRepository, PartnerClient};
use std::sync::Arc;

pub struct NotifyDelivery<R, P> {
    orders: R,
    delivery_company: P,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
}

impl AboutOrder for DeliveryRequest {
    fn order_id(&self) -> &OrderId {
        &self.order_id
    }
}

impl<R: OrderRepository, P: PartnerClient> NotifyDelivery<R, P> {
    pub fn new(orders: R, delivery_company: P, clock: Arc<dyn Clock>, metrics: Arc<dyn Metrics>) -> Self {
        NotifyDelivery {
            orders,
            delivery_company,
            clock,
            metrics,
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let forwarding = PartnerForwarding {
            orders: &self.orders,
            partner: &self.delivery_company,
            partner_name: DELIVERY,
            clock: &*self.clock,
            metrics: &*self.metrics,
            step: Step::CourierNotified,
        };
        let decode = |body: &str| Ok::<_, RecordError>(DeliveryRequest::decode(body)?);
        process_per_order(&event, decode, |message, request: DeliveryRequest| {
            let forwarding = &forwarding;
            async move {
                forwarding
                    .forward(message, &request.order_id, request.request_id.clone())
                    .await
            }
        })
        .await
    }
}
