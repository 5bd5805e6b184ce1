//! `GET|POST /order/fulfilled`: the baker says the cake is ready.
//!
//! The GET is the page behind the email's link: it shows the order and a button and never
//! changes anything, because mail scanners open links. The button POSTs the link's token as a
//! form; the board's "Mark ready" POSTs `orderId` with its session and CSRF token and returns to
//! the board; API clients POST JSON `{"orderId"}` with `Authorization: Bearer <baker key or link
//! token>`.

use crate::board::link_page as baker_link;
use crate::board::page::{BOARD_PATH, board_order_path};
use crate::board::session::{CSRF_FIELD, check_board_form};
use crate::declare::routes::http_routes;
use crate::declare::{Function, Ports, Routes, baker_key, signer};
use crate::pages::{page_response, refusal_response, see_other};
use crate::shared::announce::announce_stored;
use crate::shared::api::{ApiError, bearer_token, body_bytes, is_form, json_response, no_route, respond};
use crate::shared::auth::{BakerKey, LinkError, Signer};
use crate::shared::forms::{form_fields, same_site};
use crate::shared::limits::{Gate, checked_as_sign_in};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{EventKind, Order, OrderEvent, OrderId, Status, parse_order_reference};
use cakeshop_ports::config::{CLIENT_LIMITS, PUBLIC_BASE_URL, STAGE};
use cakeshop_ports::{Clock, EventPublisher, Limiter, Metric, Metrics, OrderRepository, TransitionOutcome};
use std::convert::Infallible;
use std::sync::Arc;
use tracing::Instrument;

http_routes! {
    /// fulfill-order's routes.
    pub enum FulfillOrderRoute {
        /// The page behind the baker's email link: the order and a button; it changes nothing,
        /// as mail scanners open links.
        LinkPage: GET "/order/fulfilled", Baker;
        /// The link page's button (its token), the board's "Mark ready" (session and CSRF
        /// token) or an API client (the baker key or the link's token).
        Fulfil: POST "/order/fulfilled", Baker, [SignIn];
    }
}

/// `GET|POST /order/fulfilled`: the baker marks a cake as ready.
pub struct FulfillOrderFunction;

impl Function for FulfillOrderFunction {
    const NAME: &'static str = "fulfill-order";
    const SUMMARY: &'static str = "the baker marks a cake ready; order_fulfilled";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Routes = FulfillOrderRoute;
    type Error = Infallible;
    type Handler<P: Ports> = FulfillOrder<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(FulfillOrder::new(
            ports.orders()?,
            ports.events()?,
            signer(ports)?,
            baker_key(ports)?,
            ports.text(PUBLIC_BASE_URL)?,
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

pub struct FulfillOrder<R, E> {
    orders: R,
    events: E,
    signer: Signer,
    baker_key: BakerKey,
    public_base_url: String,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<R>>,
}

impl<R: OrderRepository + Limiter, E: EventPublisher> FulfillOrder<R, E> {
    pub fn new(
        orders: R,
        events: E,
        signer: Signer,
        baker_key: BakerKey,
        public_base_url: String,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        FulfillOrder {
            orders,
            events,
            signer,
            baker_key,
            public_base_url,
            clock,
            metrics,
            gate: None,
        }
    }

    /// The same handler, keeping to the client limits of `gate`.
    pub fn limited_by(self, gate: Gate<R>) -> Self {
        FulfillOrder {
            gate: Some(gate),
            ..self
        }
    }

    /// A bearer token that is neither the baker's key nor a genuine link (expired or not)
    /// counts against the client's `sign-in` limit, as a wrong key at the board's sign-in does;
    /// over it, `429`.
    async fn authority(
        &self,
        request: &ApiGatewayV2httpRequest,
        token: &str,
    ) -> Result<(Authority, Option<OrderId>), ApiError> {
        let now = self.clock.now();
        let mut link = None;
        let genuine = checked_as_sign_in(self.gate.as_ref(), request, || {
            if self.baker_key.matches(token) {
                return true;
            }
            let verified = self.signer.verify_baker_link(token, now);
            let genuine = !matches!(verified, Err(LinkError::BadSignature));
            link = Some(verified);
            genuine
        })
        .await?;
        match link {
            None if genuine => Ok((Authority::BakerKey, None)),
            Some(Ok(linked)) => Ok((Authority::Link, Some(linked))),
            Some(Err(error)) => Err(link_refusal(error)),
            None => Err(link_refusal(LinkError::BadSignature)),
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        match FulfillOrderRoute::of(&request) {
            Some(FulfillOrderRoute::LinkPage) => self.show_page(&request).await,
            // The page's button sends a form and no Authorization header.
            Some(FulfillOrderRoute::Fulfil) if is_form(&request) && bearer_token(&request).is_none() => {
                self.fulfil_from_page(&request).await
            }
            Some(FulfillOrderRoute::Fulfil) => respond(self.fulfil_from_api(&request).await),
            None => no_route(&request),
        }
    }

    async fn show_page(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let token = request.query_string_parameters.first("token").unwrap_or_default();
        let order_id = match self.signer.verify_baker_link(token, self.clock.now()) {
            Ok(order_id) => order_id,
            Err(error) => return page_response(403, baker_link::refusal_page(&error.to_string())),
        };
        match self.orders.get(&order_id).await {
            Ok(Some(order)) => page_response(200, baker_link::confirmation_page(&order, token, &self.form_action())),
            Ok(None) => page_response(404, baker_link::refusal_page("There is no such order.")),
            Err(error) => {
                let refusal = ApiError::internal("reading the order failed", &error);
                page_response(500, baker_link::refusal_page(&refusal.message))
            }
        }
    }

    async fn fulfil_from_page(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let fields = match same_site(request).and_then(|()| form_fields(request)) {
            Ok(fields) => fields,
            Err(refusal) => return page_response(refusal.status, baker_link::refusal_page(&refusal.message)),
        };
        if fields.contains_key(CSRF_FIELD) {
            return self.fulfil_from_board(request, &fields).await;
        }
        let result = async {
            let token = fields.get("token").cloned().unwrap_or_default();
            let order_id = self
                .signer
                .verify_baker_link(&token, self.clock.now())
                .map_err(link_refusal)?;
            self.fulfil(&order_id, Authority::Link).await
        }
        .await;
        match result {
            Ok(order) => page_response(200, baker_link::fulfilled_page(&order)),
            Err(refusal) => page_response(refusal.status, baker_link::refusal_page(&refusal.message)),
        }
    }

    /// The board's "Mark ready": back to the board, at the order.
    async fn fulfil_from_board(
        &self,
        request: &ApiGatewayV2httpRequest,
        fields: &std::collections::HashMap<String, String>,
    ) -> ApiGatewayV2httpResponse {
        let result = async {
            check_board_form(&self.signer, request, fields, self.clock.now())?;
            let raw = fields.get("orderId").map(String::as_str).unwrap_or_default();
            let order_id = OrderId::parse(raw).map_err(|_| ApiError::not_found("there is no such order"))?;
            self.fulfil(&order_id, Authority::BakerKey).await
        }
        .await;
        match result {
            Ok(order) => see_other(&board_order_path(&order.order_id)),
            Err(refusal) => refusal_response(refusal, (BOARD_PATH, "Back to the board")),
        }
    }

    async fn fulfil_from_api(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let token = bearer_token(request)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <baker key or link token>"))?;
        let (authority, allowed_order) = self.authority(request, token).await?;
        let order_id = parse_order_reference(&body_bytes(request)?)?;
        if allowed_order.is_some_and(|allowed| allowed != order_id) {
            return Err(ApiError::forbidden("this link is for a different order"));
        }
        let order = self.fulfil(&order_id, authority).await?;
        Ok(json_response(200, &order))
    }

    /// `placed → fulfilled` (marking `order_fulfilled` unpublished in the same write), then
    /// the event on the stream. With the baker key a repeat for a fulfilled order publishes the
    /// event again (same event id, which consumers drop if they have it), so a crash between the
    /// two writes heals when the baker retries; the relay heals it anyway. A link works once.
    async fn fulfil(&self, order_id: &OrderId, authority: Authority) -> Result<Order, ApiError> {
        let span = tracing::info_span!("fulfill_order", %order_id, trace_id = tracing::field::Empty);
        async {
            let now = self.clock.now();
            let order = match self
                .orders
                .transition(order_id, Status::Placed, Status::Fulfilled, now)
                .await
            {
                Ok(TransitionOutcome::Applied(order)) => {
                    let after_ms = now.unix_millis().saturating_sub(order.created_at.unix_millis());
                    let ready = Metric::OrderReady {
                        after_ms: u64::try_from(after_ms).unwrap_or(0),
                    };
                    self.metrics.record(ready, order_id);
                    *order
                }
                Ok(TransitionOutcome::Conflict(order))
                    if order.status == Status::Fulfilled && authority == Authority::BakerKey =>
                {
                    *order
                }
                Ok(TransitionOutcome::Conflict(order)) if order.status == Status::Cancelled => {
                    return Err(ApiError::conflict(format!(
                        "order {order_id} was cancelled; there is nothing to mark ready"
                    )));
                }
                Ok(TransitionOutcome::Conflict(order)) if authority == Authority::Link => {
                    return Err(ApiError::conflict(format!(
                        "this link has been used: order {order_id} is already {}",
                        order.status
                    )));
                }
                Ok(TransitionOutcome::Conflict(order)) => {
                    return Err(ApiError::conflict(format!(
                        "order {order_id} is {}; only a placed order can be marked fulfilled",
                        order.status
                    )));
                }
                Ok(TransitionOutcome::NotFound) => {
                    return Err(ApiError::not_found(format!("no order {order_id}")));
                }
                Err(error) => return Err(ApiError::internal("updating the order failed", &error)),
            };
            crate::shared::followed::record_trace_of(&order);
            let fulfilled = OrderEvent::rebuilt(EventKind::OrderFulfilled, &order)
                .ok_or_else(|| ApiError::new(500, "internal", "the order has no fulfilled step"))?;
            announce_stored(&self.orders, &self.events, &fulfilled).await;
            tracing::info!("order fulfilled");
            Ok(order)
        }
        .instrument(span)
        .await
    }

    /// The page's form posts to the address the email's link came from.
    fn form_action(&self) -> String {
        format!("{}/order/fulfilled", self.public_base_url.trim_end_matches('/'))
    }
}

/// What let the caller in: the baker's key, or a signed link that is good for one use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Authority {
    BakerKey,
    Link,
}

fn link_refusal(error: LinkError) -> ApiError {
    ApiError::unauthorized(error.to_string())
}
