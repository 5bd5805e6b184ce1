//! order-queries, the read-only routes about orders: `GET /order/{orderId}` (status and
//! history), `GET /orders` (the baker's listing by status, `open_orders`), the customer's
//! tracking page, `GET /track/{orderId}?t=<customerToken>` (`pages::tracking`), and the baker's
//! board, `GET /baker` with its sign-in, sign-out and "seen" posts (`board::routes`), which set
//! cookies and change nothing stored. The board's actions post to the routes that make them
//! (`/order/fulfilled`, `/order/cancelled`, `/baker/shop`…).

use crate::board::BakerBoard;
use crate::board::page::BOARD_PATH;
use crate::declare::routes::http_routes;
use crate::declare::{Function, Ports, Routes, baker_key, signer};
use crate::orders::open_orders::list_orders;
use crate::pages::tracking::{self, TOKEN_PARAMETER};
use crate::pages::{layout, page_response, refusal_response};
use crate::shared::api::{ApiError, bearer_token, json_response, no_route, respond};
use crate::shared::auth::{BakerKey, Signer};
use crate::shared::limits::{Gate, Subject, is_baker_key};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{Limit, OrderId, ShopZone};
use cakeshop_ports::config::{CLIENT_LIMITS, SHOP_TIME_ZONE};
use cakeshop_ports::{Bakery, Clock, Limiter, OrderRepository};
use maud::html;
use std::convert::Infallible;
use std::sync::Arc;

http_routes! {
    /// order-queries' routes.
    pub enum OrderQueriesRoute {
        /// An order's status and history.
        Order: GET "/order/{orderId}", CustomerOrBaker, [WrongTokens];
        /// The customer's tracking page (the token in `?t=`).
        TrackingPage: GET "/track/{orderId}", Customer, [WrongTokens];
        /// The baker's listing by status.
        OrdersByStatus: GET "/orders", Baker, [SignIn];
        /// The board, or its sign-in form.
        Board: GET "/baker", Anyone;
        /// The baker key starts a board session.
        BoardSignIn: POST "/baker/sign-in", Anyone, [SignIn];
        BoardSignOut: POST "/baker/sign-out", Baker;
        BoardSeen: POST "/baker/seen", Baker;
    }
}

/// `GET /order/{orderId}`, `GET /orders`, the tracking page `GET /track/{orderId}` and the
/// baker's board, `GET /baker` with its sign-in.
pub struct OrderQueriesFunction;

impl Function for OrderQueriesFunction {
    const NAME: &'static str = "order-queries";
    const SUMMARY: &'static str =
        "an order's status and history, the baker's listing, the tracking page, the baker's board and its session";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Routes = OrderQueriesRoute;
    type Error = Infallible;
    type Handler<P: Ports> = OrderQueries<P::Orders>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(OrderQueries::new(
            ports.orders()?,
            signer(ports)?,
            baker_key(ports)?,
            ports.zone(SHOP_TIME_ZONE)?,
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

pub struct OrderQueries<R> {
    orders: R,
    signer: Signer,
    baker_key: BakerKey,
    zone: ShopZone,
    clock: Arc<dyn Clock>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<R>>,
}

impl<R: OrderRepository + Bakery + Limiter> OrderQueries<R> {
    pub fn new(orders: R, signer: Signer, baker_key: BakerKey, zone: ShopZone, clock: Arc<dyn Clock>) -> Self {
        OrderQueries {
            orders,
            signer,
            baker_key,
            zone,
            clock,
            gate: None,
        }
    }

    /// The same handler, keeping to the client limits of `gate`.
    pub fn limited_by(self, gate: Gate<R>) -> Self {
        OrderQueries {
            gate: Some(gate),
            ..self
        }
    }

    async fn not_guessing(&self, request: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
        match &self.gate {
            Some(gate) => gate.not_guessing(request).await,
            None => Ok(()),
        }
    }

    async fn wrong_token(&self, request: &ApiGatewayV2httpRequest) {
        if let Some(gate) = &self.gate {
            gate.wrong_token(request).await;
        }
    }

    /// `POST /baker/sign-in`: a use of the client's `sign-in` limit is taken before the key is
    /// checked, and given back unless the key was wrong, so racing guesses cannot all be
    /// checked before the first is counted.
    async fn sign_in(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let Some(gate) = &self.gate else {
            return self.board().sign_in(request);
        };
        if let Err(refusal) = gate.take(Limit::SignIn, Subject::Client(request)).await {
            return refusal_response(refusal, (BOARD_PATH, "Back to the sign-in"));
        }
        let response = self.board().sign_in(request);
        if response.status_code != 401 {
            gate.give_back(Limit::SignIn, Subject::Client(request)).await;
        }
        response
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
        let Some(route) = OrderQueriesRoute::of(&request) else {
            return no_route(&request);
        };
        match route {
            OrderQueriesRoute::Order => respond(self.order(&request).await),
            OrderQueriesRoute::TrackingPage => self.tracking_page(&request).await,
            OrderQueriesRoute::OrdersByStatus => respond(self.orders_by_status(&request).await),
            OrderQueriesRoute::Board => self.board().show(&request).await,
            OrderQueriesRoute::BoardSignIn => self.sign_in(&request).await,
            OrderQueriesRoute::BoardSignOut => self.board().sign_out(&request),
            OrderQueriesRoute::BoardSeen => self.board().mark_seen(&request),
        }
    }

    /// The baker's key only: a listing shows every customer's name and address.
    async fn orders_by_status(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let token =
            bearer_token(request).ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <baker key>"))?;
        if !is_baker_key(self.gate.as_ref(), &self.baker_key, request, token).await? {
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
        self.not_guessing(request).await?;
        if !self.baker_key.matches(token) && !self.signer.is_customer_token(&order_id, token) {
            self.wrong_token(request).await;
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
        if let Err(refusal) = self.not_guessing(request).await {
            return refusal_response(refusal, ("/", "Back to the shop"));
        }
        if !self.signer.is_customer_token(&order_id, token) {
            self.wrong_token(request).await;
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
                tracing::error!(error = %crate::shared::api::error_chain(&error), "reading the order failed");
                refusal(
                    503,
                    "Please try again",
                    "Your order could not be read just now. Please reload this page in a moment.",
                )
            }
        }
    }
}
