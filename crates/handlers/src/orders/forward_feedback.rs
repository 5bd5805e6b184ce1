//! SQS feedback queue → the customer-service API; records `feedback_forwarded`.

use crate::declare::{Function, NoRoutes, Ports};
use crate::shared::partner_forwarding::PartnerForwarding;
use crate::shared::queue_batch::{AboutOrder, process_per_order};
use crate::shared::record_error::RecordError;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use cakeshop_domain::{FeedbackMessage, OrderId, Step};
use cakeshop_ports::config::CUSTOMER_SERVICE_API_URL;
use cakeshop_ports::config::STAGE;
use cakeshop_ports::partner::CUSTOMER_SERVICE;
use cakeshop_ports::{Clock, Metrics, OrderRepository, PartnerClient};
use std::convert::Infallible;
use std::sync::Arc;

/// SQS feedback queue → customer service's HTTP API.
pub struct ForwardFeedbackFunction;

impl Function for ForwardFeedbackFunction {
    const NAME: &'static str = "forward-feedback";
    const SUMMARY: &'static str = "feedback queue → customer service's API";
    const READS_SECRETS: bool = false;
    type Event = SqsEvent;
    type Response = SqsBatchResponse;
    type Routes = NoRoutes;
    type Error = Infallible;
    type Handler<P: Ports> = ForwardFeedback<P::Orders, P::Partner>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(ForwardFeedback::new(
            ports.orders()?,
            ports.partner(CUSTOMER_SERVICE_API_URL)?,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

pub struct ForwardFeedback<R, P> {
    orders: R,
    customer_service: P,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
}

impl AboutOrder for FeedbackMessage {
    fn order_id(&self) -> &OrderId {
        &self.order_id
    }
}

impl<R: OrderRepository, P: PartnerClient> ForwardFeedback<R, P> {
    pub fn new(orders: R, customer_service: P, clock: Arc<dyn Clock>, metrics: Arc<dyn Metrics>) -> Self {
        ForwardFeedback {
            orders,
            customer_service,
            clock,
            metrics,
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let forwarding = PartnerForwarding {
            orders: &self.orders,
            partner: &self.customer_service,
            partner_name: CUSTOMER_SERVICE,
            clock: &*self.clock,
            metrics: &*self.metrics,
            step: Step::FeedbackForwarded,
        };
        let decode = |body: &str| Ok::<_, RecordError>(FeedbackMessage::decode(body)?);
        process_per_order(&event, decode, |message, feedback: FeedbackMessage| {
            let forwarding = &forwarding;
            async move {
                forwarding
                    .forward(message, &feedback.order_id, feedback.feedback_id.clone())
                    .await
            }
        })
        .await
    }
}
