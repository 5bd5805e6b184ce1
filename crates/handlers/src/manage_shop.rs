//! The shop's own settings: the catalogue, each day's capacity and whether the shop is open.
//!
//! - `GET /products` (anyone): every product, with whether it is on sale (`available`).
//! - `POST /products`, `PUT /products/{productId}` (baker): add one, change one.
//! - `GET /availability?from=YYYY-MM-DD&days=N` (anyone): each day's capacity, booked and left.
//! - `PUT /capacity` (baker): the per-weekday and per-date capacity and the cut-off, answered
//!   with the days now booked beyond their new capacity (their orders are kept).
//! - `GET /shop` (anyone), `PUT /shop` (baker): open or closed, and whether orders are taken.
//! - `GET /` (anyone): the storefront page (`pages::storefront`); `GET /assets/{name}`, what
//!   pages load (their stylesheet, icon and live script).
//! - `POST /baker/shop`, `POST /baker/capacity`, `POST /baker/products/{productId}`: the same
//!   changes as forms from the baker's board (its session and CSRF token), back to the board.
//!
//! Each setting is saved at the version it was read at (`Bakery::save_*`); when someone saved
//! in between, the change is applied again to what they saved, a few times at most. The baker
//! routes answer 401 without a bearer token and 403 with one that is not the baker's key, and
//! check it before reading the body.

use crate::api::{ApiError, bearer_token, body_bytes, json_response, respond, route};
use crate::auth::{BakerKey, Signer};
use crate::baker_session::check_board_form;
use crate::forms::form_fields;
use crate::pages::board::BOARD_PATH;
use crate::pages::storefront::{self, OrderForm, Problems};
use crate::pages::{asset_response, page_response};
use crate::pages::{notice_page, refusal_response, see_other};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::Cents;
use cakeshop_domain::capacity::WEEKDAYS;
use cakeshop_domain::{
    CapacitySettings, Catalogue, CatalogueError, Day, DayAvailability, ORDERING_HORIZON_DAYS, OrderingWindow, Product,
    ProductId, ShopStatus, ShopZone, parse_capacity_change, parse_new_product, parse_product_change, parse_shop_status,
};
use cakeshop_ports::{Bakery, Clock, IdGenerator, PortError, Saved, ShopRules};
use http::Method;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// How many times a save that found the setting changed is tried again on what is stored now.
pub const SAVE_ATTEMPTS: usize = 4;
/// `GET /availability` without `days`.
pub const DEFAULT_AVAILABILITY_DAYS: u16 = 14;
/// The most days `GET /availability` answers for.
pub const MAX_AVAILABILITY_DAYS: u16 = 60;

pub struct ManageShop<B> {
    bakery: B,
    baker_key: BakerKey,
    signer: Signer,
    zone: ShopZone,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// One of the three settings, as it is to be saved.
enum Setting {
    Catalogue(Catalogue),
    Capacity(CapacitySettings),
    Shop(ShopStatus),
}

#[derive(Serialize)]
struct Products<'a> {
    products: &'a [Product],
}

#[derive(Serialize)]
struct Availability {
    days: Vec<DayAvailability>,
}

/// A day whose capacity is now below what was already booked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct Overbooked {
    date: Day,
    capacity: u32,
    booked: u32,
}

#[derive(Serialize)]
struct CapacityAnswer<'a> {
    #[serde(flatten)]
    settings: &'a CapacitySettings,
    overbooked: Vec<Overbooked>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShopAnswer<'a> {
    #[serde(flatten)]
    status: &'a ShopStatus,
    /// Whether `POST /order` takes orders today.
    accepting_orders: bool,
}

impl<B: Bakery> ManageShop<B> {
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
        }
    }

    pub async fn handle(&self, request: ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
        let (method, path) = route(&request);
        if method == Method::POST && path.starts_with("/baker/") {
            return self.board_form(&request, &path).await;
        }
        respond(self.route(&request).await)
    }

    /// A settings form from the board: checked, turned into the JSON body its API route takes
    /// (so both are held to the same validation), applied, and back to the board's settings.
    async fn board_form(&self, request: &ApiGatewayV2httpRequest, path: &str) -> ApiGatewayV2httpResponse {
        let result = async {
            let fields = form_fields(request)?;
            check_board_form(&self.signer, request, &fields, self.clock.now())?;
            let mut json_request = request.clone();
            let body = match path {
                "/baker/shop" => shop_json(&fields),
                "/baker/capacity" => capacity_json(&fields),
                product if product.starts_with("/baker/products/") => product_json(&fields)?,
                other => return Err(ApiError::not_found(format!("no route POST {other}"))),
            };
            json_request.body = Some(body.to_string());
            json_request.is_base64_encoded = false;
            match path {
                "/baker/shop" => self.change_shop(&json_request).await,
                "/baker/capacity" => self.change_capacity(&json_request).await,
                product => {
                    let id = product.trim_start_matches("/baker/products/");
                    self.change_product(&json_request, &format!("/products/{id}")).await
                }
            }
        }
        .await;
        match result {
            Ok(_) => see_other(&format!("{BOARD_PATH}#settings")),
            Err(refusal) => refusal_response(refusal, (BOARD_PATH, "Back to the board")),
        }
    }

    async fn route(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let (method, path) = route(request);
        match (method, path.as_str()) {
            (Method::GET, "/") => self.storefront().await,
            (Method::GET, asset) if asset.starts_with("/assets/") => {
                let raw = request.raw_path.as_deref().unwrap_or(asset);
                asset_response(raw).ok_or_else(|| ApiError::not_found(format!("no asset {raw}")))
            }
            (Method::GET, "/products") => self.products().await,
            (Method::POST, "/products") => {
                self.check_baker(request)?;
                self.add_product(request).await
            }
            (Method::PUT, product) if product.starts_with("/products/") => {
                self.check_baker(request)?;
                self.change_product(request, product).await
            }
            (Method::GET, "/availability") => self.availability(request).await,
            (Method::PUT, "/capacity") => {
                self.check_baker(request)?;
                self.change_capacity(request).await
            }
            (Method::GET, "/shop") => self.shop().await,
            (Method::PUT, "/shop") => {
                self.check_baker(request)?;
                self.change_shop(request).await
            }
            (method, path) => Err(ApiError::not_found(format!("no route {method} {path}"))),
        }
    }

    fn check_baker(&self, request: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
        let token =
            bearer_token(request).ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <baker key>"))?;
        if self.baker_key.matches(token) {
            Ok(())
        } else {
            Err(ApiError::forbidden("only the baker's key may change the shop"))
        }
    }

    /// Today in the shop's zone.
    fn today(&self) -> Day {
        self.zone.local(self.clock.now()).0
    }

    async fn rules(&self) -> Result<Arc<ShopRules>, ApiError> {
        self.bakery
            .rules()
            .await
            .map_err(|error| ApiError::internal("reading the shop's settings failed", &error))
    }

    /// A fresh order form, keyed so that posting it twice places one order.
    async fn storefront(&self) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let shop = match storefront::look_in(&self.bakery, &self.zone, self.clock.now()).await {
            Ok(shop) => shop,
            Err(error) => {
                tracing::error!(error = %crate::api::error_chain(&error), "reading the shop failed");
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

    async fn products(&self) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let rules = self.rules().await?;
        Ok(json_response(
            200,
            &Products {
                products: &rules.catalogue.value.products,
            },
        ))
    }

    async fn add_product(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let new = parse_new_product(&body_bytes(request)?)?;
        let product = self
            .update("the catalogue", |rules, _| {
                let mut catalogue = rules.catalogue.value.clone();
                let product = catalogue.add(new.clone()).map_err(catalogue_refusal)?.clone();
                Ok((Setting::Catalogue(catalogue), product))
            })
            .await?;
        tracing::info!(product_id = %product.product_id, "product added");
        Ok(json_response(201, &product))
    }

    async fn change_product(
        &self,
        request: &ApiGatewayV2httpRequest,
        path: &str,
    ) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let raw = request
            .path_parameters
            .get("productId")
            .map(String::as_str)
            .unwrap_or_else(|| path.trim_start_matches("/products/"));
        let product_id = raw
            .parse::<u32>()
            .ok()
            .filter(|id| *id >= 1)
            .map(ProductId)
            .ok_or_else(|| ApiError::not_found("no such product; GET /products lists them"))?;
        let change = parse_product_change(&body_bytes(request)?)?;
        let product = self
            .update("the catalogue", |rules, _| {
                let mut catalogue = rules.catalogue.value.clone();
                let product = catalogue
                    .change(product_id, change.clone())
                    .map_err(catalogue_refusal)?
                    .clone();
                Ok((Setting::Catalogue(catalogue), product))
            })
            .await?;
        tracing::info!(%product_id, "product changed");
        Ok(json_response(200, &product))
    }

    async fn availability(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let query = &request.query_string_parameters;
        let from = query
            .first("from")
            .map(|text| Day::parse(text).map_err(|error| ApiError::new(422, "invalid", format!("from: {error}"))))
            .transpose()?;
        let days = match query.first("days") {
            None => DEFAULT_AVAILABILITY_DAYS,
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|days| (1..=MAX_AVAILABILITY_DAYS).contains(days))
                .ok_or_else(|| {
                    ApiError::new(
                        422,
                        "invalid",
                        format!("days must be a whole number from 1 to {MAX_AVAILABILITY_DAYS}"),
                    )
                })?,
        };
        let rules = self.rules().await?;
        let capacity = &rules.capacity.value;
        let from = from.unwrap_or_else(|| OrderingWindow::at(self.clock.now(), &self.zone, capacity.cutoff).earliest);
        let booked = self.booked(from, days).await?;
        let days = from
            .range(days)
            .zip(booked)
            .map(|(day, booked)| DayAvailability::new(day, capacity.capacity_on(day), booked))
            .collect();
        Ok(json_response(200, &Availability { days }))
    }

    async fn booked(&self, from: Day, days: u16) -> Result<Vec<u32>, ApiError> {
        self.bakery
            .booked(from, days)
            .await
            .map_err(|error| ApiError::internal("reading the days' bookings failed", &error))
    }

    async fn change_capacity(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let change = parse_capacity_change(&body_bytes(request)?)?;
        let settings = self
            .update("the capacity settings", |rules, today| {
                let settings = change.applied_to(&rules.capacity.value, today);
                Ok((Setting::Capacity(settings.clone()), settings))
            })
            .await?;
        // Every day an order can be for, today's deliveries included.
        let today = self.today();
        let days = u16::try_from(ORDERING_HORIZON_DAYS + 1).unwrap_or(MAX_AVAILABILITY_DAYS);
        let booked = self.booked(today, days).await?;
        let overbooked: Vec<Overbooked> = today
            .range(days)
            .zip(booked)
            .map(|(date, booked)| Overbooked {
                date,
                capacity: settings.capacity_on(date),
                booked,
            })
            .filter(|day| day.booked > day.capacity)
            .collect();
        if !overbooked.is_empty() {
            tracing::info!(
                days = overbooked.len(),
                "capacity now below what is booked; orders kept"
            );
        }
        Ok(json_response(
            200,
            &CapacityAnswer {
                settings: &settings,
                overbooked,
            },
        ))
    }

    async fn shop(&self) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let rules = self.rules().await?;
        Ok(self.shop_answer(&rules.shop.value))
    }

    async fn change_shop(&self, request: &ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let status = parse_shop_status(&body_bytes(request)?)?;
        let today = self.today();
        if let Some(until) = status.until.filter(|until| *until <= today) {
            return Err(ApiError::new(
                422,
                "invalid",
                format!("until {until} is not after today ({today}); leave it out, or send open: true to open now"),
            ));
        }
        let status = self
            .update("the shop's status", |_, _| {
                Ok((Setting::Shop(status.clone()), status.clone()))
            })
            .await?;
        tracing::info!(open = status.open, "shop status changed");
        Ok(self.shop_answer(&status))
    }

    fn shop_answer(&self, status: &ShopStatus) -> ApiGatewayV2httpResponse {
        json_response(
            200,
            &ShopAnswer {
                status,
                accepting_orders: status.is_open_on(self.today()),
            },
        )
    }

    /// Reads the rules, makes the setting `change` gives from them and saves it at the version
    /// read; when someone saved in between, again from what is stored now. A refusal from
    /// `change` writes nothing.
    async fn update<T>(
        &self,
        what: &'static str,
        change: impl Fn(&ShopRules, Day) -> Result<(Setting, T), ApiError>,
    ) -> Result<T, ApiError> {
        for _ in 0..SAVE_ATTEMPTS {
            let rules = self.rules().await?;
            let (setting, answer) = change(&rules, self.today())?;
            match self.save(&setting, &rules).await {
                Ok(Saved::Stored { version }) => {
                    tracing::info!(version, "{what} saved");
                    return Ok(answer);
                }
                Ok(Saved::Stale) => tracing::info!("{what} changed while saving; applying the change again"),
                Err(error) => return Err(ApiError::internal(&format!("saving {what} failed"), &error)),
            }
        }
        Err(ApiError::new(
            503,
            "busy",
            format!("{what} kept changing while this change was saved; please try again"),
        ))
    }

    async fn save(&self, setting: &Setting, read: &ShopRules) -> Result<Saved, PortError> {
        match setting {
            Setting::Catalogue(catalogue) => self.bakery.save_catalogue(catalogue, read.catalogue.version).await,
            Setting::Capacity(settings) => self.bakery.save_capacity(settings, read.capacity.version).await,
            Setting::Shop(status) => self.bakery.save_shop(status, read.shop.version).await,
        }
    }
}

/// The board's open/closed switch as `PUT /shop`'s body.
fn shop_json(fields: &HashMap<String, String>) -> Value {
    let open = fields.get("open").is_some_and(|value| value == "true");
    let mut body = json!({ "open": open });
    if let Some(message) = fields
        .get("message")
        .map(|m| m.trim())
        .filter(|m| !m.is_empty() && !open)
    {
        body["message"] = Value::String(message.to_owned());
    }
    body
}

/// The board's cakes a weekday as `PUT /capacity`'s body; a value that is no whole number is
/// passed on as typed, for validation to name.
fn capacity_json(fields: &HashMap<String, String>) -> Value {
    let per_weekday: serde_json::Map<String, Value> = WEEKDAYS
        .iter()
        .filter_map(|(_, name)| {
            let text = fields.get(*name)?.trim();
            let value = text
                .parse::<u64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from);
            Some(((*name).to_owned(), value))
        })
        .collect();
    json!({ "perWeekday": per_weekday })
}

/// A product's price (in euros, as typed) and whether it is on sale, as `PUT /products/{id}`'s
/// body. An unchecked box sends nothing: not on sale.
fn product_json(fields: &HashMap<String, String>) -> Result<Value, ApiError> {
    let typed = fields.get("price").map(String::as_str).unwrap_or_default();
    let price = Cents::parse_euros(typed).ok_or_else(|| {
        ApiError::new(
            422,
            "invalid",
            format!("the price {typed:?} is not an amount in euros, like 34.50"),
        )
    })?;
    Ok(json!({ "priceCents": price.0, "available": fields.get("available").is_some_and(|v| v == "true") }))
}

fn catalogue_refusal(error: CatalogueError) -> ApiError {
    let (status, code) = match &error {
        CatalogueError::Unknown(_) => (404, "not_found"),
        CatalogueError::DuplicateName(_) => (409, "duplicate_name"),
        CatalogueError::Full => (409, "catalogue_full"),
    };
    ApiError::new(status, code, error.to_string())
}
