//! SQS delivery queue → the delivery company's API; records `courier_notified`.

use crate::declare::{Function, NoRoutes, Ports};
use crate::shared::partner_forwarding::PartnerForwarding;
use crate::shared::queue_batch::{AboutOrder, process_per_order};
use crate::shared::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use cakeshop_domain::{DeliveryRequest, OrderId, Step};
use cakeshop_ports::config::DELIVERY_API_URL;
use cakeshop_ports::config::STAGE;
use cakeshop_ports::partner::DELIVERY;
use cakeshop_ports::{Clock, Metrics, OrderRepository, PartnerClient};
use std::convert::Infallible;
use std::sync::Arc;

/// SQS delivery queue → the delivery company's HTTP API.
pub struct NotifyDeliveryFunction;

impl Function for NotifyDeliveryFunction {
    const NAME: &'static str = "notify-delivery";
    const SUMMARY: &'static str = "delivery queue → the delivery company's API";
    const READS_SECRETS: bool = false;
    type Event = SqsEvent;
    type Response = SqsBatchResponse;
    type Routes = NoRoutes;
    type Error = Infallible;
    type Handler<P: Ports> = NotifyDelivery<P::Orders, P::Partner>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(NotifyDelivery::new(
            ports.orders()?,
            ports.partner(DELIVERY_API_URL)?,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

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
