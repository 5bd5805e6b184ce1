//! `POST /order`: a customer orders a cake.
//!
//! The shop's rules are read in one round trip (`Bakery::rules`): whether it is open, the
//! catalogue the order is priced from, and the capacity settings whose cut-off, in the shop's
//! own zone (`SHOP_TIME_ZONE`), decides which days can still be ordered (`OrderingWindow`). The
//! order then takes its cakes from its day in the write that stores it
//! (`OrderRepository::create`), so the last cake of a day goes to exactly one customer.
//!
//! Without a `deliveryDate` the order goes to the earliest day with room: one attempt on the
//! first day whose capacity is enough, and only if that day is full one read of every day's
//! booked count and an attempt on the next day with room. With a `deliveryDate` a full day is a
//! 409 that names the next day with room.
//!
//! With an `Idempotency-Key` header the order id is derived from the key, so a repeat (a client
//! retrying after a timeout or a crash) finds what its first attempt stored and gets the same
//! order back, with its `order_placed` published again in case the first attempt died before,
//! even if the shop has closed or the day's orders have closed since.
//!
//! A well-formed order counts against its client's `order` limit, and one naming an email
//! address is refused while that address has had its share of emails for the day
//! (`recipient`, counted as they are sent): `429` with `Retry-After`, nothing stored.
//!
//! The storefront's form posts here too (`application/x-www-form-urlencoded`), with the key
//! the page was given as its idempotency key, and is answered with pages: the tracking page on
//! success (a `303`), else the storefront again with the problems shown.

mod day_booking;

use crate::declare::routes::http_routes;
use crate::declare::{Function, Ports, Routes, signer};
use crate::pages::storefront::{self, OrderForm, Problems};
use crate::pages::tracking::tracking_path;
use crate::pages::{layout, page_response, see_other};
use crate::shared::announce::announce_stored;
use crate::shared::api::{ApiError, body_bytes, error_chain, is_form, json_response, no_route, respond};
use crate::shared::auth::Signer;
use crate::shared::limits::{Gate, Subject};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{
    EventKind, Limit, Order, OrderEvent, OrderRequest, RequestError, ShopZone, TraceId, TraceParent, parse_new_order,
};
use cakeshop_ports::config::{CLIENT_LIMITS, SHOP_TIME_ZONE, STAGE};
use cakeshop_ports::{Bakery, Clock, EventPublisher, IdGenerator, Limiter, Metrics, OrderRepository};
use maud::html;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use tracing::Instrument;

http_routes! {
    /// place-order's route.
    pub enum PlaceOrderRoute {
        /// JSON from an API client, or the storefront's form.
        Place: POST "/order", Anyone, [Orders, Recipient];
    }
}

/// `POST /order`: the customer places an order, as JSON or from the storefront's form.
pub struct PlaceOrderFunction;

impl Function for PlaceOrderFunction {
    const NAME: &'static str = "place-order";
    const SUMMARY: &'static str = "the order takes its cakes from its day's capacity; order_placed on the stream";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Routes = PlaceOrderRoute;
    type Error = Infallible;
    type Handler<P: Ports> = PlaceOrder<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        let gate = Gate::new(
            ports.orders()?,
            ports.limits(CLIENT_LIMITS)?,
            signer(ports)?,
            ports.clock(),
        );
        Ok(PlaceOrder::new(
            ports.orders()?,
            ports.events()?,
            signer(ports)?,
            ports.zone(SHOP_TIME_ZONE)?,
            ports.clock(),
            ports.ids(),
            ports.metrics(STAGE)?,
        )
        .limited_by(gate))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// The longest `Idempotency-Key` accepted (a UUID needs 36).
pub const MAX_IDEMPOTENCY_KEY_LENGTH: usize = 255;

pub struct PlaceOrder<R, E> {
    orders: R,
    events: E,
    signer: Signer,
    zone: ShopZone,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    metrics: Arc<dyn Metrics>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<R>>,
}

/// The 201 body: the order plus the token that lets this customer follow, confirm or cancel it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlacedOrder<'a> {
    #[serde(flatten)]
    order: &'a Order,
    customer_token: String,
}

impl<R: OrderRepository + Bakery + Limiter, E: EventPublisher> PlaceOrder<R, E> {
    pub fn new(
        orders: R,
        events: E,
        signer: Signer,
        zone: ShopZone,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        PlaceOrder {
            orders,
            events,
            signer,
            zone,
            clock,
            ids,
            metrics,
            gate: None,
        }
    }

    /// The same handler, keeping to the client limits of `gate`.
    pub fn limited_by(self, gate: Gate<R>) -> Self {
        PlaceOrder {
            gate: Some(gate),
            ..self
        }
    }

    /// Refuses a well-formed order over a limit: its client's, or its email address's.
    async fn admit(&self, request: &ApiGatewayV2httpRequest, order: &OrderRequest) -> Result<(), ApiError> {
        let Some(gate) = &self.gate else {
            return Ok(());
        };
        if let Some(email) = &order.customer.email {
            gate.check(Limit::Recipient, Subject::Recipient(email)).await?;
        }
        gate.take(Limit::Orders, Subject::Client(request)).await
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let Some(PlaceOrderRoute::Place) = PlaceOrderRoute::of(&request) else {
            return no_route(&request);
        };
        if is_form(&request) {
            return self.place_from_form(&request).await;
        }
        respond(self.place_from_json(&request).await)
    }

    async fn place_from_json(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let key = idempotency_key(request)?;
        let order_request = parse_new_order(&body_bytes(request)?)?;
        self.admit(request, &order_request).await?;
        let order = self.place(&order_request, key, self.trace_of(request)).await?;
        let customer_token = self.signer.customer_token(&order.order_id);
        Ok(json_response(
            201,
            &PlacedOrder {
                order: &order,
                customer_token,
            },
        ))
    }

    /// The storefront's form: on success the customer is sent on to their tracking page; on a
    /// refusal the storefront is shown again with what they typed and each problem beside its
    /// field.
    async fn place_from_form(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let body = match body_bytes(request) {
            Ok(body) => body,
            Err(refusal) => return self.form_refused(OrderForm::default(), refusal.into()).await,
        };
        let form = OrderForm::from_body(&body);
        let key = match form_key(&form.form_key) {
            Ok(key) => key,
            Err(refusal) => return self.form_refused(form, refusal.into()).await,
        };
        let order_request = match parse_new_order(&form.to_json()) {
            Ok(order_request) => order_request,
            Err(RequestError::Invalid(fields)) if !fields.is_empty() => {
                let problems = Problems { fields, general: None };
                return self.form_refused(form, (422, problems)).await;
            }
            Err(error) => return self.form_refused(form, ApiError::from(error).into()).await,
        };
        if let Err(refusal) = self.admit(request, &order_request).await {
            let retry_after = refusal.retry_after_seconds;
            let mut page = self.form_refused(form, refusal.into()).await;
            if let Some(seconds) = retry_after {
                page.headers
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
            }
            return page;
        }
        match self.place(&order_request, key, self.trace_of(request)).await {
            Ok(order) => {
                let token = self.signer.customer_token(&order.order_id);
                see_other(&tracking_path(order.order_id.as_str(), &token))
            }
            Err(refusal) => self.form_refused(form, refusal.into()).await,
        }
    }

    /// The storefront again, with `form` as typed and `problems` shown, answered with `status`.
    async fn form_refused(&self, form: OrderForm, (status, problems): (u16, Problems)) -> ApiGatewayV2httpResponse {
        match storefront::look_in(&self.orders, &self.zone, self.clock.now()).await {
            Ok(shop) => page_response(status, storefront::page(&shop, &form, &problems)),
            Err(error) => {
                tracing::error!(error = %error_chain(&error), "reading the shop for the storefront failed");
                let message = problems
                    .general
                    .unwrap_or_else(|| "Your order was not placed. Please go back and try again.".into());
                page_response(
                    status.max(500),
                    layout("Your order was not placed", html! { p { (message) } }),
                )
            }
        }
    }

    /// The trace a new order is followed in: the caller's, if the request carries a valid W3C
    /// `traceparent`, else a new one.
    fn trace_of(&self, request: &ApiGatewayV2httpRequest) -> TraceId {
        request
            .headers
            .get("traceparent")
            .and_then(|value| TraceParent::parse(value.to_str().ok()?))
            .map_or_else(|| self.ids.trace_id(), |parent| parent.trace_id)
    }

    /// Stores the order (or finds the one an earlier attempt with `key` stored) and announces
    /// it.
    async fn place(&self, order_request: &OrderRequest, key: Option<&str>, trace: TraceId) -> Result<Order, ApiError> {
        let order_id = match key {
            Some(key) => self.signer.order_id_for_idempotency_key(key),
            None => self.ids.order_id(),
        };
        let span = tracing::info_span!("place_order", %order_id, trace_id = %trace);
        async {
            let order = match self.store(order_id.clone(), order_request, key.is_some(), trace).await {
                Ok(order) => order,
                // A refusal that depends on the shop's state, which may have changed since a
                // first attempt with this key stored the order: the repeat still finds it.
                Err(refusal) if key.is_some() && refusal.status != 500 => match self.orders.get(&order_id).await {
                    Ok(Some(existing)) if existing.was_placed_as(order_request) => {
                        tracing::info!("repeated request; returning the stored order");
                        existing
                    }
                    _ => return Err(refusal),
                },
                Err(refusal) => return Err(refusal),
            };
            let placed = OrderEvent::rebuilt(EventKind::OrderPlaced, &order)
                .ok_or_else(|| ApiError::new(500, "internal", "the stored order was never placed"))?;
            // Stored is accepted: should the publish fail, the relay announces it (or a retry
            // with the same Idempotency-Key does).
            announce_stored(&self.orders, &self.events, &placed).await;
            tracing::info!(
                total_cents = order.total_cents.0,
                delivery_date = %order.delivery_date,
                "order placed"
            );
            Ok(order)
        }
        .instrument(span)
        .await
    }
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(request: &ApiGatewayV2httpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = request.headers.get("idempotency-key") else {
        return Ok(None);
    };
    checked_key(value.to_str().unwrap_or_default()).map(Some)
}

/// The storefront form's key, which it sends as its idempotency key; a form without one (an
/// old page, a hand-made post) places its order unkeyed.
fn form_key(key: &str) -> Result<Option<&str>, ApiError> {
    if key.is_empty() {
        return Ok(None);
    }
    checked_key(key).map(Some)
}

fn checked_key(key: &str) -> Result<&str, ApiError> {
    let well_formed =
        (1..=MAX_IDEMPOTENCY_KEY_LENGTH).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if !well_formed {
        return Err(ApiError::new(
            400,
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, e.g. a UUID"),
        ));
    }
    Ok(key)
}

impl From<ApiError> for (u16, Problems) {
    fn from(refusal: ApiError) -> (u16, Problems) {
        let problems = Problems {
            fields: Vec::new(),
            general: Some(refusal.message),
        };
        (refusal.status, problems)
    }
}
