//! `POST /order/cancelled`: the customer cancels their order, or the baker declines one, while
//! it is still `placed`.
//!
//! `{"orderId", "reason"?}` with `Authorization: Bearer <customerToken>` (the order's customer:
//! `cancellation.by = customer`) or `Bearer <baker key>` (`by = baker`). The same as a form:
//! from the tracking page with the customer's token in field `t`, or from the baker's board
//! with its session and CSRF token; each answers `303` back to its page. The cancel is one
//! conditional write (`OrderRepository::cancel`) that gives the cakes back to the day and marks
//! `order_cancelled` pending; the event then goes on the stream. Racing the baker's "cake is
//! ready", exactly one of the two wins. A repeat for a cancelled order answers 200 and announces
//! the event again (same event id), which heals a crash between the two writes.

use crate::board::page::BOARD_PATH;
use crate::board::session::check_board_form;
use crate::declare::routes::http_routes;
use crate::declare::{Function, Ports, Routes, baker_key, signer};
use crate::pages::tracking::{TOKEN_FIELD, tracking_path};
use crate::pages::{refusal_response, see_other};
use crate::shared::announce::announce_stored;
use crate::shared::api::{ApiError, bearer_token, body_bytes, is_form, json_response, no_route, respond};
use crate::shared::auth::{BakerKey, Signer};
use crate::shared::forms::{form_fields, json_body, same_site};
use crate::shared::limits::{Gate, customer_action};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{Cancellation, CancelledBy, EventKind, Order, OrderEvent, OrderId, Status, parse_cancellation};
use cakeshop_ports::config::{CLIENT_LIMITS, STAGE};
use cakeshop_ports::{Clock, EventPublisher, Limiter, Metric, Metrics, OrderRepository, TransitionOutcome};
use std::convert::Infallible;
use std::sync::Arc;
use tracing::Instrument;

http_routes! {
    /// cancel-order's route.
    pub enum CancelOrderRoute {
        /// The customer (their order's token) cancels, or the baker (key or board) declines.
        Cancel: POST "/order/cancelled", CustomerOrBaker, [CustomerActions, WrongTokens];
    }
}

/// `POST /order/cancelled`: the customer cancels, or the baker declines, a placed order.
pub struct CancelOrderFunction;

impl Function for CancelOrderFunction {
    const NAME: &'static str = "cancel-order";
    const SUMMARY: &'static str = "the customer cancels or the baker declines a placed order; order_cancelled";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Routes = CancelOrderRoute;
    type Error = Infallible;
    type Handler<P: Ports> = CancelOrder<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(CancelOrder::new(
            ports.orders()?,
            ports.events()?,
            signer(ports)?,
            baker_key(ports)?,
            ports.clock(),
            ports.metrics(STAGE)?,
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

pub struct CancelOrder<R, E> {
    orders: R,
    events: E,
    signer: Signer,
    baker_key: BakerKey,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<R>>,
}

impl<R: OrderRepository + Limiter, E: EventPublisher> CancelOrder<R, E> {
    pub fn new(
        orders: R,
        events: E,
        signer: Signer,
        baker_key: BakerKey,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        CancelOrder {
            orders,
            events,
            signer,
            baker_key,
            clock,
            metrics,
            gate: None,
        }
    }

    /// The same handler, keeping to the client limits of `gate`.
    pub fn limited_by(self, gate: Gate<R>) -> Self {
        CancelOrder {
            gate: Some(gate),
            ..self
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let Some(CancelOrderRoute::Cancel) = CancelOrderRoute::of(&request) else {
            return no_route(&request);
        };
        if is_form(&request) && bearer_token(&request).is_none() {
            return self.cancel_from_form(&request).await;
        }
        respond(self.cancel_from_api(&request).await)
    }

    async fn cancel_from_api(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let token = bearer_token(request)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <customerToken or baker key>"))?;
        let cancel = parse_cancellation(&body_bytes(request)?)?;
        let by = if self.baker_key.matches(token) {
            CancelledBy::Baker
        } else {
            customer_action(self.gate.as_ref(), &self.signer, request, &cancel.order_id, token).await?;
            CancelledBy::Customer
        };
        let cancellation = Cancellation {
            by,
            reason: cancel.reason,
        };
        let order = self.cancel(cancel.order_id, cancellation).await?;
        Ok(json_response(200, &order))
    }

    /// The tracking page's "Cancel my order" (field `t`), or the board's "Decline".
    async fn cancel_from_form(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let fields = match same_site(request).and_then(|()| form_fields(request)) {
            Ok(fields) => fields,
            Err(refusal) => return refusal_response(refusal, ("/", "Back to the shop")),
        };
        let token = fields.get(TOKEN_FIELD).map(String::as_str).filter(|t| !t.is_empty());
        let order_id = fields.get("orderId").map(String::as_str).unwrap_or_default();
        let back = match token {
            Some(token) => (tracking_path(order_id, token), "Back to your order"),
            None => (BOARD_PATH.to_owned(), "Back to the board"),
        };
        let result = async {
            let cancel = parse_cancellation(&json_body(&fields, &["orderId", "reason"], &[]))?;
            let by = match token {
                Some(token) => {
                    customer_action(self.gate.as_ref(), &self.signer, request, &cancel.order_id, token).await?;
                    CancelledBy::Customer
                }
                None => {
                    check_board_form(&self.signer, request, &fields, self.clock.now())?;
                    CancelledBy::Baker
                }
            };
            let cancellation = Cancellation {
                by,
                reason: cancel.reason,
            };
            self.cancel(cancel.order_id, cancellation).await
        }
        .await;
        match result {
            // Back where the form was: the tracking page, or the board (a declined order has left it).
            Ok(_) => see_other(&back.0),
            Err(refusal) => refusal_response(refusal, (&back.0, back.1)),
        }
    }

    /// Cancels `order_id` (or finds it already cancelled) and announces `order_cancelled`.
    async fn cancel(&self, order_id: OrderId, cancellation: Cancellation) -> Result<Order, ApiError> {
        let span = tracing::info_span!("cancel_order", %order_id, by = ?cancellation.by);
        async {
            let order = match self.orders.get(&order_id).await {
                Ok(Some(order)) => order,
                Ok(None) => return Err(ApiError::not_found(format!("no order {order_id}"))),
                Err(error) => return Err(ApiError::internal("reading the order failed", &error)),
            };
            let order = match order.status {
                Status::Cancelled => order,
                Status::Placed => self.cancel_placed(&order, &cancellation).await?,
                _ => return Err(not_cancellable(&order)),
            };
            let cancelled = OrderEvent::rebuilt(EventKind::OrderCancelled, &order)
                .ok_or_else(|| ApiError::new(500, "internal", "the cancelled order has no cancellation"))?;
            announce_stored(&self.orders, &self.events, &cancelled).await;
            tracing::info!("order cancelled");
            Ok(order)
        }
        .instrument(span)
        .await
    }

    /// `placed → cancelled`, conditional on the order still being placed.
    async fn cancel_placed(&self, placed: &Order, cancellation: &Cancellation) -> Result<Order, ApiError> {
        let order_id = &placed.order_id;
        match self.orders.cancel(placed, cancellation, self.clock.now()).await {
            Ok(TransitionOutcome::Applied(order)) => {
                self.metrics.record(Metric::OrderCancelled, order_id);
                Ok(*order)
            }
            // Cancelled meanwhile by another request: the same outcome.
            Ok(TransitionOutcome::Conflict(order)) if order.status == Status::Cancelled => Ok(*order),
            Ok(TransitionOutcome::Conflict(order)) => Err(not_cancellable(&order)),
            Ok(TransitionOutcome::NotFound) => Err(ApiError::not_found(format!("no order {order_id}"))),
            Err(error) => Err(ApiError::internal("cancelling the order failed", &error)),
        }
    }
}

fn not_cancellable(order: &Order) -> ApiError {
    ApiError::conflict(format!(
        "order {} is {}; only a placed order can be cancelled",
        order.order_id, order.status
    ))
}
