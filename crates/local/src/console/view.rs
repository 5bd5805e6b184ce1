//! The console's page frame, its headers and the small formatting helpers its pages share.
//! Rendered through maud, which escapes every value.

use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY};
use http::{HeaderName, HeaderValue, StatusCode};
use maud::{DOCTYPE, Markup, html};

pub const STYLESHEET_PATH: &str = "/_local/console.css";
pub const LIVE_SCRIPT_PATH: &str = "/_local/live.js";
/// The shop's icon, served again here: the console's listener has none of the shop's assets.
pub const ICON_PATH: &str = "/_local/cake.svg";
pub const STYLESHEET: &str = include_str!("console.css");

/// The console's own stylesheet and script, its own pages in frames (an email), forms posting
/// back to it: nothing else.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; \
                      frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// How often a live page fetches itself again.
const LIVE_EVERY_MS: u32 = 1500;

/// A console page: the console's header and navigation (with a link to the shop at
/// `shop_url`, on the public listener), `title`, then `body`, whose live part (`data-live`) the
/// script keeps current.
pub fn page(shop_url: &str, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · cakeshop dev console" }
                link rel="icon" type="image/svg+xml" href=(ICON_PATH);
                link rel="stylesheet" href=(STYLESHEET_PATH);
                script src=(LIVE_SCRIPT_PATH) defer {}
            }
            body {
                header {
                    a.title href="/_local/" { "cakeshop dev console" }
                    nav aria-label="Console" {
                        ul {
                            li { a href="/_local/#functions" { "Functions" } }
                            li { a href="/_local/#metrics" { "Metrics" } }
                            li { a href="/_local/#stream" { "Stream" } }
                            li { a href="/_local/#queues" { "Queues" } }
                            li { a href="/_local/#dead-letters" { "Dead letters" } }
                            li { a href="/_local/#partners" { "Partners" } }
                            li { a href="/_local/#mailbox" { "Mailbox" } }
                            li { a href={ (shop_url) "/" } { "The shop" } }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (find_order(""))
                    div data-live=(LIVE_EVERY_MS) { (body) }
                }
            }
        }
    };
    html_response(StatusCode::OK, POLICY, markup.into_string())
}

/// The search for an order's journey, on every page.
pub fn find_order(value: &str) -> Markup {
    html! {
        form.find method="get" action="/_local/orders" role="search" {
            div {
                label for="order-id" { "Order id" }
                " "
                input #order-id type="text" name="orderId" value=(value) required size="40" autocomplete="off" spellcheck="false";
            }
            button type="submit" { "Show its journey" }
        }
    }
}

/// A short page saying what went wrong, with the way back.
pub fn problem(shop_url: &str, status: StatusCode, title: &str, message: &str) -> Response {
    let mut response = page(
        shop_url,
        title,
        html! {
            p.summary.bad { (message) }
            p { a href="/_local/" { "Back to the console" } }
        },
    );
    *response.status_mut() = status;
    response
}

pub fn html_response(status: StatusCode, policy: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `HH:MM:SS.mmm` (UTC) of a moment in Unix milliseconds.
pub fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |at| at.format("%H:%M:%S%.3f").to_string())
}

/// A duration as a person reads it: `850 ms`, `2.4 s`, `3 min`.
pub fn took(ms: i64) -> String {
    match ms {
        ..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min", ms / 60_000),
    }
}

/// The link to an order's journey.
pub fn order_link(order_id: &str) -> Markup {
    html! { a.mono href={ "/_local/orders/" (percent(order_id)) } { (order_id) } }
}

/// `text` as one path segment: everything but the unreserved characters encoded.
pub fn percent(text: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// `text` cut to `chars` characters, with an ellipsis if cut.
pub fn shortened(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
