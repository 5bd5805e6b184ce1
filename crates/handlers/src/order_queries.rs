//! The read-only routes about orders: `GET /order/{orderId}` (status and history),
//! `GET /orders` (the baker's listing by status, `open_orders`), the customer's tracking
//! page, `GET /track/{orderId}?t=<customerToken>` (`pages::tracking`), and the baker's board,
//! `GET /baker` (`pages::board`) with its sign-in, sign-out and "seen" posts, which set cookies
//! and change nothing stored. The board's actions post to the routes that make them
//! (`/order/fulfilled`, `/order/cancelled`, `/baker/shop`…); the catalogue is `manage_shop`'s.

use crate::api::{ApiError, bearer_token, json_response, respond, route};
use crate::auth::{BakerKey, Signer};
use crate::baker_board::BakerBoard;
use crate::open_orders::list_orders;
use crate::pages::tracking::{self, TOKEN_PARAMETER};
use crate::pages::{layout, page_response};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{OrderId, ShopZone};
use cakeshop_ports::{Bakery, Clock, OrderRepository};
use http::Method;
use maud::html;
use std::sync::Arc;

pub struct OrderQueries<R> {
    orders: R,
    signer: Signer,
    baker_key: BakerKey,
    zone: ShopZone,
    clock: Arc<dyn Clock>,
}

impl<R: OrderRepository + Bakery> OrderQueries<R> {
    pub fn new(orders: R, signer: Signer, baker_key: BakerKey, zone: ShopZone, clock: Arc<dyn Clock>) -> Self {
        OrderQueries {
            orders,
            signer,
            baker_key,
            zone,
            clock,
        }
    }

    fn board(&self) -> BakerBoard<'_, R> {
        BakerBoard {
            orders: &self.orders,
            signer: &self.signer,
            baker_key: &self.baker_key,
            zone: &self.zone,
            now: self.clock.now(),
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let (method, path) = route(&request);
        if path == "/baker" || path.starts_with("/baker/") {
            return self.board().handle(method, &path, &request).await;
        }
        respond(match (method, path) {
            (Method::GET, path) if path == "/orders" => self.orders_by_status(&request).await,
            (Method::GET, path) if path.starts_with("/track/") => Ok(self.tracking_page(&request).await),
            (Method::GET, _) => self.order(&request).await,
            (method, path) => Err(ApiError::not_found(format!("no route {method} {path}"))),
        })
    }

    /// The baker's key only: a listing shows every customer's name and address.
    async fn orders_by_status(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        if !bearer_token(request).is_some_and(|token| self.baker_key.matches(token)) {
            return Err(ApiError::unauthorized("send Authorization: Bearer <baker key>"));
        }
        list_orders(&self.orders, request).await
    }

    async fn order(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let token = bearer_token(request)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <customerToken or baker key>"))?;
        let raw_id = request
            .path_parameters
            .get("orderId")
            .map(String::as_str)
            .unwrap_or_default();
        let order_id = OrderId::parse(raw_id).map_err(|_| ApiError::not_found("no such order"))?;
        if !self.baker_key.matches(token) && !self.signer.is_customer_token(&order_id, token) {
            return Err(ApiError::forbidden("this token does not open this order"));
        }
        match self.orders.get(&order_id).await {
            Ok(Some(order)) => Ok(json_response(200, &order)),
            Ok(None) => Err(ApiError::not_found(format!("no order {order_id}"))),
            Err(error) => Err(ApiError::internal("reading the order failed", &error)),
        }
    }

    /// The tracking page, or a page saying why not: whoever holds the link is the customer.
    async fn tracking_page(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let refusal =
            |status: u16, title: &str, message: &str| page_response(status, layout(title, html! { p { (message) } }));
        let raw_id = request
            .path_parameters
            .get("orderId")
            .map(String::as_str)
            .unwrap_or_default();
        let Ok(order_id) = OrderId::parse(raw_id) else {
            return refusal(404, "No such order", "There is no order with this number.");
        };
        let token = request
            .query_string_parameters
            .first(TOKEN_PARAMETER)
            .unwrap_or_default();
        if !self.signer.is_customer_token(&order_id, token) {
            return refusal(
                403,
                "This link does not open this order",
                "Please use the whole link from your order's confirmation.",
            );
        }
        match self.orders.get(&order_id).await {
            Ok(Some(order)) => page_response(200, tracking::page(&order, &self.zone, token)),
            Ok(None) => refusal(404, "No such order", "There is no order with this number."),
            Err(error) => {
                tracing::error!(error = %crate::api::error_chain(&error), "reading the order failed");
                refusal(
                    503,
                    "Please try again",
                    "Your order could not be read just now. Please reload this page in a moment.",
                )
            }
        }
    }
}
