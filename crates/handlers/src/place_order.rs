//! `POST /order`: a customer orders a cake.

use crate::api::{ApiError, body_bytes, json_response, respond};
use crate::auth::Signer;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{Order, OrderEvent, parse_new_order};
use cakeshop_ports::{Clock, CreateOutcome, EventPublisher, IdGenerator, OrderRepository};
use serde::Serialize;
use std::sync::Arc;
use tracing::Instrument;

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
        let new_order = parse_new_order(&body_bytes(request)?)?;
        let order = Order::place(self.ids.order_id(), new_order, self.clock.now());
        let span = tracing::info_span!("place_order", order_id = %order.order_id);
        async {
            match self.orders.create(&order).await {
                Ok(CreateOutcome::Created) => {}
                // Random ids do not collide; if one ever did, nothing was overwritten.
                Ok(CreateOutcome::AlreadyExists(_)) => {
                    return Err(ApiError::new(500, "internal", "order id collision; please try again"));
                }
                Err(error) => return Err(ApiError::internal("storing the order failed", &error)),
            }
            let placed = OrderEvent::order_placed(&order, order.created_at);
            if let Err(error) = self.events.publish(&placed).await {
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
}
