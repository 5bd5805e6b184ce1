//! `GET /`, the storefront: the cakes on sale with their prices, the shop's closed notice, and
//! the order form, whose delivery days say how many cakes each can still take. The form posts
//! to `POST /order` (`place_order`), which answers with this page again, the customer's values
//! kept and each problem beside its field, or sends the customer on to their tracking page.

use cakeshop_domain::validation::MAX_QUANTITY;
use cakeshop_domain::{DayAvailability, FieldError, OrderingWindow, Product, ShopZone, Timestamp};
use cakeshop_ports::{Bakery, PortError, ShopRules};
use maud::{Markup, html};
use serde_json::{Map, Value};
use std::sync::Arc;

use super::layout;

/// How many days ahead the storefront offers; later days are for the API.
pub const STOREFRONT_DAYS: u16 = 14;

/// The hidden field that makes a form post an idempotent request: a page shown once and
/// posted twice (a double click, a reload) places one order.
pub const FORM_KEY_FIELD: &str = "formKey";

/// What the storefront shows of the shop now.
pub struct ShopWindow {
    pub rules: Arc<ShopRules>,
    pub window: OrderingWindow,
    /// The first `STOREFRONT_DAYS` days open to orders, with what each can still take.
    pub days: Vec<DayAvailability>,
    /// Whether orders are taken today.
    pub accepting: bool,
}

/// Reads the rules and the bookings of the days the storefront offers: two round trips.
pub async fn look_in<B: Bakery>(bakery: &B, zone: &ShopZone, now: Timestamp) -> Result<ShopWindow, PortError> {
    let rules = bakery.rules().await?;
    let capacity = &rules.capacity.value;
    let window = OrderingWindow::at(now, zone, capacity.cutoff);
    let booked = bakery.booked(window.earliest, STOREFRONT_DAYS).await?;
    let days = window
        .days()
        .zip(booked)
        .map(|(day, booked)| DayAvailability::new(day, capacity.capacity_on(day), booked))
        .collect();
    let accepting = rules.shop.value.is_open_on(window.today);
    Ok(ShopWindow {
        rules,
        window,
        days,
        accepting,
    })
}

/// The order form as the customer filled it in, kept as typed to be shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderForm {
    pub name: String,
    pub address: String,
    pub product_id: String,
    pub quantity: String,
    pub email: String,
    pub notes: String,
    pub delivery_date: String,
    pub form_key: String,
}

impl OrderForm {
    /// A fresh form: one cake, the earliest day, `form_key` to make its post idempotent.
    pub fn blank(form_key: String) -> OrderForm {
        OrderForm {
            quantity: "1".into(),
            form_key,
            ..OrderForm::default()
        }
    }

    /// The fields of an `application/x-www-form-urlencoded` body; unknown ones are ignored, as
    /// a browser may send its button's name.
    pub fn from_body(body: &[u8]) -> OrderForm {
        let mut form = OrderForm::default();
        for (name, value) in form_urlencoded::parse(body) {
            let slot = match name.as_ref() {
                "name" => &mut form.name,
                "address" => &mut form.address,
                "productId" => &mut form.product_id,
                "quantity" => &mut form.quantity,
                "email" => &mut form.email,
                "notes" => &mut form.notes,
                "deliveryDate" => &mut form.delivery_date,
                FORM_KEY_FIELD => &mut form.form_key,
                _ => continue,
            };
            *slot = value.into_owned();
        }
        form
    }

    /// The same order as `POST /order`'s JSON body, so that one parser checks both: numbers
    /// where the customer typed digits, optional fields left blank left out.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = Map::new();
        body.insert("name".into(), Value::String(self.name.clone()));
        body.insert("address".into(), Value::String(self.address.clone()));
        for (field, text) in [("productId", &self.product_id), ("quantity", &self.quantity)] {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value = text
                .parse::<u64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from);
            body.insert(field.into(), value);
        }
        for (field, text) in [
            ("email", &self.email),
            ("notes", &self.notes),
            ("deliveryDate", &self.delivery_date),
        ] {
            if !text.trim().is_empty() {
                body.insert(field.into(), Value::String(text.clone()));
            }
        }
        Value::Object(body).to_string().into_bytes()
    }
}

/// What was wrong with a posted form.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    /// Each beside its field.
    pub fields: Vec<FieldError>,
    /// One that belongs to no one field (a sold-out day, a closed shop).
    pub general: Option<String>,
}

impl Problems {
    fn any(&self) -> bool {
        !self.fields.is_empty() || self.general.is_some()
    }

    fn of(&self, field: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|problem| problem.field == field)
            .map(|problem| problem.message.as_str())
            .collect()
    }
}

/// The storefront, with `form` filled in and `problems` shown.
pub fn page(shop: &ShopWindow, form: &OrderForm, problems: &Problems) -> Markup {
    let catalogue = &shop.rules.catalogue.value;
    let status = &shop.rules.shop.value;
    let on_sale: Vec<&Product> = catalogue.on_sale().collect();
    layout(
        "Order a cake",
        html! {
            @if !shop.accepting {
                p.notice.closed role="status" { (status.closed_message()) }
            } @else {
                p.notice {
                    "Baked to order and delivered to your door. Orders for a day close at "
                    (shop.window.cutoff) " the day before."
                }
            }
            @if problems.any() {
                div.problems role="alert" tabindex="-1" id="problems" {
                    h2 { "Your order was not placed" }
                    @if let Some(general) = &problems.general {
                        p { (general) }
                    }
                    @if !problems.fields.is_empty() {
                        ul {
                            @for problem in &problems.fields {
                                li { a href={ "#" (problem.field) } { (problem.message) } }
                            }
                        }
                    }
                }
            }
            form method="post" action="/order" novalidate {
                input type="hidden" name=(FORM_KEY_FIELD) value=(form.form_key);
                fieldset {
                    legend { "Choose your cake" }
                    (field_problems(problems, "productId"))
                    ul.cakes id="productId" {
                        @for product in &on_sale {
                            @let id = product.product_id.to_string();
                            li.cake {
                                label {
                                    input type="radio" name="productId" value=(id)
                                        checked[form.product_id == id]
                                        aria-describedby={ "description-" (id) };
                                    span {
                                        span.cake-name { (product.name) } " "
                                        span.cake-price { (product.price_cents) }
                                        span.cake-description id={ "description-" (id) } { (product.description) }
                                    }
                                }
                            }
                        }
                    }
                    @if on_sale.is_empty() {
                        p { "Every cake is sold out for now. Please come back soon." }
                    }
                }
                (text_field(problems, Text {
                    field: "quantity", label: "How many", kind: "number", value: &form.quantity,
                    hint: None, autocomplete: "off", optional: false,
                }))
                div.field {
                    label for="deliveryDate" { "Delivery day" }
                    (field_problems(problems, "deliveryDate"))
                    select id="deliveryDate" name="deliveryDate"
                        aria-describedby=[described_by(problems, "deliveryDate", false)]
                        aria-invalid=(invalid(problems, "deliveryDate")) {
                        option value="" selected[form.delivery_date.is_empty()] { "The earliest day with room" }
                        @for day in &shop.days {
                            @let value = day.date.to_string();
                            option value=(value) selected[form.delivery_date == value] disabled[day.left == 0] {
                                (day.date.written_out_short())
                                @if day.left == 0 { " (sold out)" } @else { " (" (day.left) " left)" }
                            }
                        }
                    }
                }
                (text_field(problems, Text {
                    field: "name", label: "Your name", kind: "text", value: &form.name,
                    hint: None, autocomplete: "name", optional: false,
                }))
                (area_field(problems, "address", "Delivery address", &form.address, None, false))
                (text_field(problems, Text {
                    field: "email", label: "Email", kind: "email", value: &form.email,
                    hint: Some("So the shop can reach you about your order."), autocomplete: "email", optional: true,
                }))
                (area_field(problems, "notes", "Notes for the baker", &form.notes,
                    Some("A message to pipe on the cake, allergies, where to leave it."), true))
                button type="submit" { "Place my order" }
            }
        },
    )
}

/// One single-line field.
struct Text<'a> {
    field: &'static str,
    label: &'static str,
    kind: &'static str,
    value: &'a str,
    hint: Option<&'static str>,
    autocomplete: &'static str,
    optional: bool,
}

fn text_field(problems: &Problems, text: Text<'_>) -> Markup {
    let described_by = described_by(problems, text.field, text.hint.is_some());
    html! {
        div.field {
            label for=(text.field) {
                (text.label)
                @if text.optional { " (optional)" }
            }
            @if let Some(hint) = text.hint { span.hint id={ (text.field) "-hint" } { (hint) } }
            (field_problems(problems, text.field))
            @if text.kind == "number" {
                input type="number" id=(text.field) name=(text.field) value=(text.value)
                    min="1" max=(MAX_QUANTITY) inputmode="numeric"
                    aria-describedby=[described_by.as_deref()]
                    aria-invalid=(invalid(problems, text.field));
            } @else {
                input type=(text.kind) id=(text.field) name=(text.field) value=(text.value)
                    autocomplete=(text.autocomplete)
                    aria-describedby=[described_by.as_deref()]
                    aria-invalid=(invalid(problems, text.field));
            }
        }
    }
}

fn area_field(
    problems: &Problems,
    field: &'static str,
    label: &'static str,
    value: &str,
    hint: Option<&'static str>,
    optional: bool,
) -> Markup {
    let described_by = described_by(problems, field, hint.is_some());
    html! {
        div.field {
            label for=(field) {
                (label)
                @if optional { " (optional)" }
            }
            @if let Some(hint) = hint { span.hint id={ (field) "-hint" } { (hint) } }
            (field_problems(problems, field))
            textarea id=(field) name=(field) rows="3"
                aria-describedby=[described_by.as_deref()]
                aria-invalid=(invalid(problems, field)) { (value) }
        }
    }
}

/// The problems with `field`, in one element that the field names as its description.
fn field_problems(problems: &Problems, field: &str) -> Markup {
    let messages = problems.of(field);
    html! {
        @if !messages.is_empty() {
            span.error id={ (field) "-error" } {
                @for (n, message) in messages.iter().enumerate() {
                    @if n > 0 { " " }
                    (message)
                }
            }
        }
    }
}

/// The ids of what describes `field`: its hint and its problems.
fn described_by(problems: &Problems, field: &str, hint: bool) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{field}-hint"));
    }
    if !problems.of(field).is_empty() {
        ids.push(format!("{field}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn invalid(problems: &Problems, field: &str) -> &'static str {
    if problems.of(field).is_empty() { "false" } else { "true" }
}
