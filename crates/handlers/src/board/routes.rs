//! The board's own routes, served by order-queries:
//!
//! - `GET /baker[?order=<orderId>]`: the board (`page`) when signed in, else the
//!   sign-in form, which brings the baker back to that order.
//! - `POST /baker/sign-in` (`key`): the baker key, checked in constant time, starts a session.
//! - `POST /baker/sign-out`, `POST /baker/seen`: end it; mark every order so far as seen.
//!
//! Nothing here writes to the store: the session and the "seen" mark are cookies.

use super::page::{self, BOARD_PATH, Board, board_order_path};
use super::session::{SESSION_COOKIE, SESSION_LIFETIME_SECONDS, check_board_form, cookie, set_cookie, signed_in};
use crate::pages::{notice_page, page_response, refusal_response, see_other};
use crate::shared::api::ApiError;
use crate::shared::auth::{BakerKey, Signer};
use crate::shared::forms::{form_fields, same_site};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{Order, OrderId, ShopZone, Status, Timestamp};
use cakeshop_ports::{Bakery, OrderRepository, PortError};

/// The cookie that remembers until when the baker has seen the orders (Unix milliseconds).
pub const SEEN_COOKIE: &str = "cakeshop_seen";
const SEEN_LIFETIME_SECONDS: i64 = 90 * 24 * 3600;
/// The most orders of one status the board lists; `GET /orders` pages through the rest.
pub const BOARD_ORDERS_PER_STATUS: usize = 300;
/// The statuses the board shows: still to bake or to deliver.
const OPEN: [Status; 3] = [Status::Placed, Status::Fulfilled, Status::OutForDelivery];

pub struct BakerBoard<'a, R> {
    pub orders: &'a R,
    pub signer: &'a Signer,
    pub baker_key: &'a BakerKey,
    pub zone: &'a ShopZone,
    pub now: Timestamp,
}

impl<R: OrderRepository + Bakery> BakerBoard<'_, R> {
    /// `POST /baker/sign-out`: ends the session.
    pub fn sign_out(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        self.after_check(request, |response| {
            response.cookies.push(set_cookie(request, SESSION_COOKIE, "", 0));
        })
    }

    /// `POST /baker/seen`: every order so far counts as seen.
    pub fn mark_seen(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        self.after_check(request, |response| {
            let seen = self.now.unix_millis().to_string();
            response
                .cookies
                .push(set_cookie(request, SEEN_COOKIE, &seen, SEEN_LIFETIME_SECONDS));
        })
    }

    fn focus(request: &ApiGatewayV2httpRequest) -> Option<OrderId> {
        request
            .query_string_parameters
            .first("order")
            .and_then(|text| OrderId::parse(text).ok())
    }

    /// `GET /baker`: the board, or the sign-in form.
    pub async fn show(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let focus = Self::focus(request);
        let Some(session) = signed_in(self.signer, request, self.now) else {
            return page_response(200, page::sign_in_page(focus.as_ref(), None));
        };
        let (orders, rules) = match (self.open_orders().await, self.orders.rules().await) {
            (Ok(orders), Ok(rules)) => (orders, rules),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(error = %crate::shared::api::error_chain(&error), "reading the board failed");
                return page_response(
                    503,
                    notice_page(
                        "Please try again",
                        "The orders could not be read just now. Please reload the board in a moment.",
                        (BOARD_PATH, "Reload the board"),
                    ),
                );
            }
        };
        let seen_until = cookie(request, SEEN_COOKIE)
            .and_then(|text| text.parse::<i64>().ok())
            .and_then(Timestamp::from_unix_millis);
        let view = Board {
            orders: &orders,
            rules: &rules,
            seen_until,
            focus: focus.as_ref(),
            csrf: &self.signer.csrf_token(session),
            zone: self.zone,
            today: self.zone.local(self.now).0,
        };
        page_response(200, page::page(&view))
    }

    async fn open_orders(&self) -> Result<Vec<Order>, PortError> {
        let mut orders = Vec::new();
        for status in OPEN {
            let mut after = None;
            let mut listed = 0;
            loop {
                let page = self.orders.list_by_status(status, 100, after.as_ref()).await?;
                listed += page.orders.len();
                orders.extend(page.orders);
                match page.next {
                    Some(next) if listed < BOARD_ORDERS_PER_STATUS => after = Some(next),
                    _ => break,
                }
            }
        }
        Ok(orders)
    }

    /// `POST /baker/sign-in`: the baker key starts a session.
    pub fn sign_in(&self, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let fields = match same_site(request).and_then(|()| form_fields(request)) {
            Ok(fields) => fields,
            Err(refusal) => return refusal_response(refusal, (BOARD_PATH, "Back to the board")),
        };
        let next = fields.get("order").and_then(|text| OrderId::parse(text).ok());
        let key = fields.get("key").map(String::as_str).unwrap_or_default();
        if !self.baker_key.matches(key) {
            tracing::warn!("board sign-in with a wrong key");
            return page_response(
                401,
                page::sign_in_page(next.as_ref(), Some("That is not the baker key. Please try again.")),
            );
        }
        let session = self
            .signer
            .baker_session(self.now.plus_seconds(SESSION_LIFETIME_SECONDS));
        let mut response = see_other(&next.as_ref().map_or_else(|| BOARD_PATH.to_owned(), board_order_path));
        response
            .cookies
            .push(set_cookie(request, SESSION_COOKIE, &session, SESSION_LIFETIME_SECONDS));
        tracing::info!("baker signed in to the board");
        response
    }

    /// A board form that changes only cookies: checked, then back to the board.
    fn after_check(
        &self,
        request: &ApiGatewayV2httpRequest,
        then: impl FnOnce(&mut ApiGatewayV2httpResponse),
    ) -> ApiGatewayV2httpResponse {
        let checked: Result<(), ApiError> =
            form_fields(request).and_then(|fields| check_board_form(self.signer, request, &fields, self.now));
        match checked {
            Ok(()) => {
                let mut response = see_other(BOARD_PATH);
                then(&mut response);
                response
            }
            Err(refusal) => refusal_response(refusal, (BOARD_PATH, "Back to the board")),
        }
    }
}
