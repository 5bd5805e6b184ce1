//! `POST /order`: a customer orders a cake.
//!
//! With an `Idempotency-Key` header the order id is derived from the key, so a repeat (a client
//! retrying after a timeout or a crash) finds what its first attempt stored and gets the same
//! order back, with its `order_placed` published again in case the first attempt died before.

use crate::announce::announce;
use crate::api::{ApiError, body_bytes, json_response, respond};
use crate::auth::Signer;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{EventKind, NewOrder, Order, OrderEvent, parse_new_order};
use cakeshop_ports::{Clock, CreateOutcome, EventPublisher, IdGenerator, OrderRepository};
use serde::Serialize;
use std::sync::Arc;
use tracing::Instrument;

/// The longest `Idempotency-Key` accepted (a UUID needs 36).
pub const MAX_IDEMPOTENCY_KEY_LENGTH: usize = 255;

pub struct PlaceOrder<R, E> {
    orders: R,
    events: E,
    signer: Signer,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// The 201 body: the order plus the token that lets this customer follow and confirm it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlacedOrder<'a> {
    #[serde(flatten)]
    order: &'a Order,
    customer_token: String,
}

impl<R: OrderRepository, E: EventPublisher> PlaceOrder<R, E> {
    pub fn new(orders: R, events: E, signer: Signer, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        PlaceOrder {
            orders,
            events,
            signer,
            clock,
            ids,
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        respond(self.place(&request).await)
    }

    async fn place(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let key = idempotency_key(request)?;
        let new_order = parse_new_order(&body_bytes(request)?)?;
        let order_id = match key {
            Some(key) => self.signer.order_id_for_idempotency_key(key),
            None => self.ids.order_id(),
        };
        let order = Order::place(order_id, new_order.clone(), self.clock.now());
        let span = tracing::info_span!("place_order", order_id = %order.order_id);
        async {
            let order = self.store(order, &new_order, key.is_some()).await?;
            let placed = OrderEvent::rebuilt(EventKind::OrderPlaced, &order)
                .ok_or_else(|| ApiError::new(500, "internal", "the stored order was never placed"))?;
            if let Err(error) = announce(&self.orders, &self.events, &placed).await {
                // The order is stored and marked unpublished: the relay announces it, or a
                // retry with the same Idempotency-Key does.
                return Err(ApiError::internal("announcing the order failed", &error));
            }
            tracing::info!(total_cents = order.total_cents.0, "order placed");
            let customer_token = self.signer.customer_token(&order.order_id);
            Ok(json_response(
                201,
                &PlacedOrder {
                    order: &order,
                    customer_token,
                },
            ))
        }
        .instrument(span)
        .await
    }

    /// Stores the new order, or returns the one a previous attempt with the same key stored.
    async fn store(&self, order: Order, new_order: &NewOrder, keyed: bool) -> Result<Order, ApiError> {
        match self.orders.create(&order).await {
            Ok(CreateOutcome::Created) => Ok(order),
            Ok(CreateOutcome::AlreadyExists(existing)) if keyed && existing.was_placed_as(new_order) => {
                tracing::info!("repeated request; returning the stored order");
                Ok(*existing)
            }
            Ok(CreateOutcome::AlreadyExists(_)) if keyed => Err(ApiError::new(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was already used for a different order; use a new key for a new order",
            )),
            // Random ids do not collide; if one ever did, nothing was overwritten.
            Ok(CreateOutcome::AlreadyExists(_)) => {
                Err(ApiError::new(500, "internal", "order id collision; please try again"))
            }
            Err(error) => Err(ApiError::internal("storing the order failed", &error)),
        }
    }
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(request: &ApiGatewayV2httpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = request.headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let well_formed =
        (1..=MAX_IDEMPOTENCY_KEY_LENGTH).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if !well_formed {
        return Err(ApiError::new(
            400,
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, e.g. a UUID"),
        ));
    }
    Ok(Some(key))
}
