//! The read-only routes about orders: `GET /order/{orderId}` (status and history) and
//! `GET /orders` (the baker's listing by status, `open_orders`). The catalogue is
//! `manage_shop`'s.

use crate::api::{ApiError, bearer_token, json_response, respond, route};
use crate::auth::{BakerKey, Signer};
use crate::open_orders::list_orders;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::OrderId;
use cakeshop_ports::OrderRepository;
use http::Method;

pub struct OrderQueries<R> {
    orders: R,
    signer: Signer,
    baker_key: BakerKey,
}

impl<R: OrderRepository> OrderQueries<R> {
    pub fn new(orders: R, signer: Signer, baker_key: BakerKey) -> Self {
        OrderQueries {
            orders,
            signer,
            baker_key,
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        respond(match route(&request) {
            (Method::GET, path) if path == "/orders" => self.orders_by_status(&request).await,
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
}
