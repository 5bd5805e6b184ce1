//! `POST /order/delivered`: the customer confirms the cake arrived, with an optional rating and
//! feedback that go on to customer service through the feedback queue. The tracking page's
//! "I've received my cake" posts the same as a form, with the token in field `t`, and is sent
//! back to the tracking page (`303`).

use crate::declare::routes::http_routes;
use crate::declare::{Function, Ports, Routes, signer};
use crate::pages::tracking::{TOKEN_FIELD, tracking_path};
use crate::pages::{refusal_response, see_other};
use crate::shared::api::{ApiError, bearer_token, body_bytes, is_form, json_response, no_route, respond};
use crate::shared::auth::Signer;
use crate::shared::forms::{form_fields, json_body, same_site};
use crate::shared::limits::{Gate, customer_action};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{
    DeliveryConfirmation, FeedbackMessage, Order, Status, Step, TraceParent, parse_delivery_confirmation,
};
use cakeshop_ports::config::{CLIENT_LIMITS, FEEDBACK_QUEUE_URL};
use cakeshop_ports::{Clock, Limiter, OrderRepository, OutgoingMessage, QueueSender, TransitionOutcome};
use std::convert::Infallible;
use std::sync::Arc;
use tracing::Instrument;

http_routes! {
    /// confirm-delivery's route.
    pub enum ConfirmDeliveryRoute {
        /// The customer (their order's token), from the tracking page or the API.
        Confirm: POST "/order/delivered", Customer, [CustomerActions, WrongTokens];
    }
}

/// `POST /order/delivered`: the customer confirms delivery; feedback joins the queue.
pub struct ConfirmDeliveryFunction;

impl Function for ConfirmDeliveryFunction {
    const NAME: &'static str = "confirm-delivery";
    const SUMMARY: &'static str = "the customer confirms delivery; feedback on its queue";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Routes = ConfirmDeliveryRoute;
    type Error = Infallible;
    type Handler<P: Ports> = ConfirmDelivery<P::Orders, P::Queue>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(ConfirmDelivery::new(
            ports.orders()?,
            ports.queue(FEEDBACK_QUEUE_URL)?,
            signer(ports)?,
            ports.clock(),
        )
        .limited_by(Gate::new(
            ports.orders()?,
            ports.limits(CLIENT_LIMITS)?,
            signer(ports)?,
            ports.clock(),
        )))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

pub struct ConfirmDelivery<R, Q> {
    orders: R,
    feedback_queue: Q,
    signer: Signer,
    clock: Arc<dyn Clock>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<R>>,
}

impl<R: OrderRepository + Limiter, Q: QueueSender> ConfirmDelivery<R, Q> {
    pub fn new(orders: R, feedback_queue: Q, signer: Signer, clock: Arc<dyn Clock>) -> Self {
        ConfirmDelivery {
            orders,
            feedback_queue,
            signer,
            clock,
            gate: None,
        }
    }

    /// The same handler, keeping to the client limits of `gate`.
    pub fn limited_by(self, gate: Gate<R>) -> Self {
        ConfirmDelivery {
            gate: Some(gate),
            ..self
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let Some(ConfirmDeliveryRoute::Confirm) = ConfirmDeliveryRoute::of(&request) else {
            return no_route(&request);
        };
        if is_form(&request) && bearer_token(&request).is_none() {
            return self.confirm_from_form(&request).await;
        }
        respond(self.confirm_from_api(&request).await)
    }

    async fn confirm_from_api(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let token = bearer_token(request)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <customerToken>"))?;
        let confirmation = parse_delivery_confirmation(&body_bytes(request)?)?;
        let order = self.confirm(request, confirmation, token).await?;
        Ok(json_response(200, &order))
    }

    /// The tracking page's form: back to the tracking page, or a page saying what went wrong.
    async fn confirm_from_form(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let fields = match same_site(request).and_then(|()| form_fields(request)) {
            Ok(fields) => fields,
            Err(refusal) => return refusal_response(refusal, ("/", "Back to the shop")),
        };
        let token = fields.get(TOKEN_FIELD).cloned().unwrap_or_default();
        let order_id = fields.get("orderId").cloned().unwrap_or_default();
        let back = tracking_path(&order_id, &token);
        let result = async {
            let body = json_body(&fields, &["orderId", "feedback"], &["rating"]);
            let confirmation = parse_delivery_confirmation(&body)?;
            self.confirm(request, confirmation, &token).await
        }
        .await;
        match result {
            Ok(_) => see_other(&back),
            Err(refusal) => refusal_response(refusal, (&back, "Back to your order")),
        }
    }

    async fn confirm(
        &self,
        request: &ApiGatewayV2httpRequest,
        confirmation: DeliveryConfirmation,
        token: &str,
    ) -> Result<Order, ApiError> {
        customer_action(self.gate.as_ref(), &self.signer, request, &confirmation.order_id, token).await?;
        let span = tracing::info_span!(
            "confirm_delivery",
            order_id = %confirmation.order_id,
            trace_id = tracing::field::Empty
        );
        async {
            let order = self.mark_delivered(&confirmation).await?;
            if !order.has_step(Step::FeedbackForwarded) {
                self.send_feedback(&order, confirmation).await?;
            }
            Ok(order)
        }
        .instrument(span)
        .await
    }

    /// `out_for_delivery → delivered`; a repeat on a delivered order is accepted as is.
    async fn mark_delivered(&self, confirmation: &DeliveryConfirmation) -> Result<Order, ApiError> {
        let order_id = &confirmation.order_id;
        let now = self.clock.now();
        match self
            .orders
            .transition(order_id, Status::OutForDelivery, Status::Delivered, now)
            .await
        {
            Ok(TransitionOutcome::Applied(order)) => {
                crate::shared::followed::record_trace_of(&order);
                tracing::info!(rating = confirmation.rating, "delivery confirmed");
                Ok(*order)
            }
            Ok(TransitionOutcome::Conflict(order)) if order.status == Status::Delivered => Ok(*order),
            Ok(TransitionOutcome::Conflict(order)) => Err(ApiError::conflict(format!(
                "order {order_id} is {}; only an order out for delivery can be confirmed delivered",
                order.status
            ))),
            Ok(TransitionOutcome::NotFound) => Err(ApiError::not_found(format!("no order {order_id}"))),
            Err(error) => Err(ApiError::internal("updating the order failed", &error)),
        }
    }

    async fn send_feedback(&self, order: &Order, confirmation: DeliveryConfirmation) -> Result<(), ApiError> {
        let delivered_at = order.step_time(Step::Delivered).unwrap_or_else(|| self.clock.now());
        let message = FeedbackMessage::for_order(order, confirmation.rating, confirmation.feedback, delivered_at);
        let body = serde_json::to_string(&message)
            .map_err(|error| ApiError::internal("writing the feedback message failed", &error))?;
        let outgoing = OutgoingMessage {
            trace: order
                .trace_id
                .map(|trace| TraceParent::hop(trace, &message.feedback_id)),
            key: message.feedback_id,
            body,
        };
        self.feedback_queue
            .send(outgoing)
            .await
            .map_err(|error| ApiError::internal("passing the feedback on failed", &error))
    }
}
