//! manage-shop: the shop's own settings, and the storefront.
//!
//! - `catalogue`: `GET /products` (anyone), `POST /products` and `PUT /products/{productId}`
//!   (baker), and the board's `POST /baker/products/{productId}`.
//! - `capacity`: `GET /availability?from=YYYY-MM-DD&days=N` (anyone), `PUT /capacity` (baker),
//!   and the board's `POST /baker/capacity`.
//! - `status`: `GET /shop` (anyone), `PUT /shop` (baker), and the board's `POST /baker/shop`.
//! - `GET /` (anyone): the storefront page (`pages::storefront`); `GET /assets/{name}`, what
//!   pages load (their stylesheet, icon and live script).
//!
//! A board form is read into the same change as its API route's body (`board::settings_forms`)
//! and goes through the same operation; the board's session and CSRF token stand for the
//! baker's key. The baker's API routes answer 401 without a bearer token and 403 with one that
//! is not the baker's key, and check it before reading the body. Each setting is saved at the
//! version it was read at (`save::update`).

mod capacity;
mod catalogue;
mod save;
mod status;

pub use capacity::{DEFAULT_AVAILABILITY_DAYS, MAX_AVAILABILITY_DAYS};
pub use save::SAVE_ATTEMPTS;

use crate::board::page::BOARD_PATH;
use crate::board::session::check_board_form;
use crate::board::settings_forms;
use crate::declare::routes::http_routes;
use crate::declare::{Access, Function, Ports, Routes, baker_key, signer};
use crate::pages::storefront::{self, OrderForm, Problems};
use crate::pages::{asset_response, notice_page, page_response, refusal_response, see_other};
use crate::shared::api::{ApiError, bearer_token, body_bytes, error_chain, json_response, no_route, respond};
use crate::shared::auth::{BakerKey, Signer};
use crate::shared::forms::form_fields;
use crate::shared::limits::{Gate, is_baker_key};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{Day, ProductId, ShopZone};
use cakeshop_ports::config::{CLIENT_LIMITS, SHOP_TIME_ZONE};
use cakeshop_ports::{Bakery, Clock, IdGenerator, Limiter};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

http_routes! {
    /// manage-shop's routes.
    pub enum ShopRoute {
        Storefront: GET "/", Anyone;
        Asset: GET "/assets/{name}", Anyone;
        Products: GET "/products", Anyone;
        AddProduct: POST "/products", Baker, [SignIn];
        ChangeProduct: PUT "/products/{productId}", Baker, [SignIn];
        Availability: GET "/availability", Anyone;
        ChangeCapacity: PUT "/capacity", Baker, [SignIn];
        Shop: GET "/shop", Anyone;
        ChangeShop: PUT "/shop", Baker, [SignIn];
        /// The board's open/closed form.
        BoardShop: POST "/baker/shop", Baker;
        /// The board's cakes-a-weekday form.
        BoardCapacity: POST "/baker/capacity", Baker;
        /// The board's price and on-sale form of one cake.
        BoardProduct: POST "/baker/products/{productId}", Baker;
    }
}

/// The shop's settings and the storefront.
pub struct ManageShopFunction;

impl Function for ManageShopFunction {
    const NAME: &'static str = "manage-shop";
    const SUMMARY: &'static str = "the storefront; the catalogue, each day's capacity and what is left, open or closed; the board's settings forms";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Routes = ShopRoute;
    type Error = Infallible;
    type Handler<P: Ports> = ManageShop<P::Orders>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(ManageShop::new(
            ports.orders()?,
            baker_key(ports)?,
            signer(ports)?,
            ports.zone(SHOP_TIME_ZONE)?,
            ports.clock(),
            ports.ids(),
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

pub struct ManageShop<B> {
    bakery: B,
    baker_key: BakerKey,
    signer: Signer,
    zone: ShopZone,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<B>>,
}

impl<B: Bakery + Limiter> ManageShop<B> {
    pub fn new(
        bakery: B,
        baker_key: BakerKey,
        signer: Signer,
        zone: ShopZone,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        ManageShop {
            bakery,
            baker_key,
            signer,
            zone,
            clock,
            ids,
            gate: None,
        }
    }

    /// The same handler, keeping to the client limits of `gate`.
    pub fn limited_by(self, gate: Gate<B>) -> Self {
        ManageShop {
            gate: Some(gate),
            ..self
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let Some(route) = ShopRoute::of(&request) else {
            return no_route(&request);
        };
        match route {
            ShopRoute::BoardShop | ShopRoute::BoardCapacity | ShopRoute::BoardProduct => {
                self.board_form(route, &request).await
            }
            _ => respond(self.api(route, &request).await),
        }
    }

    async fn api(
        &self,
        route: ShopRoute,
        request: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, ApiError> {
        if route.route().access == Access::Baker {
            self.check_baker(request).await?;
        }
        match route {
            ShopRoute::Storefront => self.storefront().await,
            ShopRoute::Asset => {
                let raw = request.raw_path.as_deref().unwrap_or_default();
                asset_response(raw).ok_or_else(|| ApiError::not_found(format!("no asset {raw}")))
            }
            ShopRoute::Products => self.products().await,
            ShopRoute::AddProduct => {
                let new = cakeshop_domain::parse_new_product(&body_bytes(request)?)?;
                Ok(json_response(201, &self.add_product(new).await?))
            }
            ShopRoute::ChangeProduct => {
                let product_id = product_id(request)?;
                let change = cakeshop_domain::parse_product_change(&body_bytes(request)?)?;
                Ok(json_response(200, &self.change_product(product_id, change).await?))
            }
            ShopRoute::Availability => self.availability(request).await,
            ShopRoute::ChangeCapacity => {
                let change = cakeshop_domain::parse_capacity_change(&body_bytes(request)?)?;
                Ok(json_response(200, &self.change_capacity(change).await?))
            }
            ShopRoute::Shop => self.shop().await,
            ShopRoute::ChangeShop => {
                let status = cakeshop_domain::parse_shop_status(&body_bytes(request)?)?;
                let status = self.change_shop(status).await?;
                Ok(self.shop_answer(&status))
            }
            ShopRoute::BoardShop | ShopRoute::BoardCapacity | ShopRoute::BoardProduct => {
                Err(ApiError::not_found("the board's forms are posted from the board"))
            }
        }
    }

    /// A settings form from the board: checked, read into the change its API route takes,
    /// applied by the same operation, and back to the board's settings.
    async fn board_form(&self, route: ShopRoute, request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let result = async {
            let fields = form_fields(request)?;
            check_board_form(&self.signer, request, &fields, self.clock.now())?;
            self.apply_board_form(route, request, &fields).await
        }
        .await;
        match result {
            Ok(()) => see_other(&format!("{BOARD_PATH}#settings")),
            Err(refusal) => refusal_response(refusal, (BOARD_PATH, "Back to the board")),
        }
    }

    async fn apply_board_form(
        &self,
        route: ShopRoute,
        request: &ApiGatewayV2httpRequest,
        fields: &HashMap<String, String>,
    ) -> Result<(), ApiError> {
        match route {
            ShopRoute::BoardShop => {
                self.change_shop(settings_forms::shop_status(fields)?).await?;
            }
            ShopRoute::BoardCapacity => {
                self.change_capacity(settings_forms::weekday_capacity(fields)?).await?;
            }
            ShopRoute::BoardProduct => {
                let product_id = product_id(request)?;
                self.change_product(product_id, settings_forms::product_change(fields)?)
                    .await?;
            }
            other => {
                return Err(ApiError::not_found(format!(
                    "{} is not a board form",
                    other.route().key()
                )));
            }
        }
        Ok(())
    }

    async fn check_baker(&self, request: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
        let token =
            bearer_token(request).ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <baker key>"))?;
        if is_baker_key(self.gate.as_ref(), &self.baker_key, request, token).await? {
            Ok(())
        } else {
            Err(ApiError::forbidden("only the baker's key may change the shop"))
        }
    }

    /// Today in the shop's zone.
    fn today(&self) -> Day {
        self.zone.local(self.clock.now()).0
    }

    /// A fresh order form, keyed so that posting it twice places one order.
    async fn storefront(&self) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let shop = match storefront::look_in(&self.bakery, &self.zone, self.clock.now()).await {
            Ok(shop) => shop,
            Err(error) => {
                tracing::error!(error = %error_chain(&error), "reading the shop failed");
                let message = "The shop could not be read just now. Please reload this page in a moment.";
                return Ok(page_response(
                    503,
                    notice_page("Please try again", message, ("/", "Reload")),
                ));
            }
        };
        let form = OrderForm::blank(self.ids.order_id().as_str().to_owned());
        Ok(page_response(200, storefront::page(&shop, &form, &Problems::default())))
    }
}

/// The product a route names: its `{productId}`.
fn product_id(request: &ApiGatewayV2httpRequest) -> Result<ProductId, ApiError> {
    let raw = match request.path_parameters.get("productId") {
        Some(raw) => raw.as_str(),
        None => request
            .raw_path
            .as_deref()
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default(),
    };
    raw.parse::<u32>()
        .ok()
        .filter(|id| *id >= 1)
        .map(ProductId)
        .ok_or_else(|| ApiError::not_found("no such product; GET /products lists them"))
}
