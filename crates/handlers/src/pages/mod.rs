//! The customers' pages and what every page shares, server-rendered through maud, which escapes
//! every value it is given: the storefront (`storefront`, `GET /` of manage-shop) and the
//! customer's tracking page (`tracking`, `GET /track/{orderId}` of order-queries); the baker's
//! pages are in `board`. Here: the layout, the assets (`GET /assets/{name}`), the answers a page
//! gives. Every page works without scripting, loads nothing but the shop's own stylesheet (and,
//! on a live page, its one script file), and is served with a Content-Security-Policy that allows
//! nothing else.

pub mod storefront;
pub mod tracking;

use crate::shared::api::response;
use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use cakeshop_domain::{ShopZone, Timestamp};
use http::HeaderName;
use http::header::{CONTENT_SECURITY_POLICY, HeaderValue, LOCATION, REFERRER_POLICY};
use maud::{DOCTYPE, Markup, html};

/// Where the stylesheet and the icon are served: all that a page loads.
pub const STYLESHEET_PATH: &str = "/assets/shop.css";
pub const ICON_PATH: &str = "/assets/cake.svg";
/// The one script: it keeps a live page current (`data-live`); every page works without it.
pub const LIVE_SCRIPT_PATH: &str = "/assets/live.js";
const STYLESHEET: &str = include_str!("shop.css");
/// The shop's icon, also served by the local console.
pub const ICON: &str = include_str!("cake.svg");
/// The live script, also served by the local console.
pub const LIVE_SCRIPT: &str = include_str!("live.js");

/// Only the shop's own stylesheet, its own script file (never inline), fetches of its own pages
/// and forms posting back to the shop: no frame, no other origin.
pub const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; \
                          connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The shop's name, as pages and emails show it.
pub const SHOP_NAME: &str = "The Cake Shop";

/// A whole page: the shop's header, `title` as its heading, then `body`.
pub fn layout(title: &str, body: Markup) -> Markup {
    document(title, body, false)
}

/// A page that keeps itself current while open: its `data-live` region is fetched again and
/// swapped in by the live script.
pub fn live_layout(title: &str, body: Markup) -> Markup {
    document(title, body, true)
}

/// A short page that says what happened and where to go next.
pub fn notice_page(title: &str, message: &str, back: (&str, &str)) -> Markup {
    layout(
        title,
        html! {
            p { (message) }
            p { a href=(back.0) { (back.1) } }
        },
    )
}

/// A refused form's answer: its status, and a page saying why with the way back.
pub fn refusal_response(refusal: crate::shared::api::ApiError, back: (&str, &str)) -> ApiGatewayV2httpResponse {
    let mut response = page_response(refusal.status, notice_page("That did not work", &refusal.message, back));
    if let Some(seconds) = refusal.retry_after_seconds {
        response
            .headers
            .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    }
    response
}

fn document(title: &str, body: Markup, live: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (SHOP_NAME) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
                link rel="icon" type="image/svg+xml" href=(ICON_PATH);
                @if live { script src=(LIVE_SCRIPT_PATH) defer {} }
            }
            body {
                header.shop-header {
                    a.shop-name href="/" { (SHOP_NAME) }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page with its security headers. Pages show a customer's order: never cached.
pub fn page_response(status: u16, page: Markup) -> ApiGatewayV2httpResponse {
    let mut response = response(status, "text/html; charset=utf-8", "no-store", page.into_string());
    let headers = &mut response.headers;
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `303 See Other` to `location`, after a form post: reloading the page it leads to posts
/// nothing again.
pub fn see_other(location: &str) -> ApiGatewayV2httpResponse {
    let mut response = response(303, "text/plain; charset=utf-8", "no-store", String::new());
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers.insert(LOCATION, value);
    }
    response
}

/// One of the pages' assets by its path (`/assets/…`); they change only with a release, so
/// browsers may keep them for an hour.
pub fn asset_response(path: &str) -> Option<ApiGatewayV2httpResponse> {
    let (content_type, body) = match path {
        STYLESHEET_PATH => ("text/css; charset=utf-8", STYLESHEET),
        ICON_PATH => ("image/svg+xml", ICON),
        LIVE_SCRIPT_PATH => ("text/javascript; charset=utf-8", LIVE_SCRIPT),
        _ => return None,
    };
    let mut response = response(200, content_type, "public, max-age=3600", body.to_owned());
    response.headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    Some(response)
}

/// A moment as the shop's customers read it, in the shop's zone: "Thursday 3 December, 14:05".
pub fn moment(at: Timestamp, zone: &ShopZone) -> String {
    let (day, time) = zone.local(at);
    format!("{}, {time}", day.written_out_short())
}
