//! The local console at `/_local/` of `cakeshop dev` (never deployed): what every function,
//! mapping, stream shard, queue, dead-letter queue, partner stand-in and the mailbox are doing,
//! live while the page is open, and any order's journey across them. Pages work without
//! scripting and by keyboard; the only script is the shop's live script, which refetches the
//! page and swaps in what changed.
//!
//! - `overview`: the whole shop on one page, and each function's recent invocations.
//! - `journey`: one order, from its HTTP request to its last email.
//! - `mail`: one email, its text and its HTML in a sandboxed frame.
//! - `actions`: redrive and replay (as `cakeshop dlq`), and the partners' fault switches.
//! - `view`: the page frame and formatting.

mod actions;
mod journey;
mod mail;
mod overview;
mod view;

use crate::lambda::Functions;
use crate::partners::PartnerFaults;
use crate::serverless::Wiring;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cakeshop_sqlite::{Store, StoreError};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use std::sync::Arc;

/// Where the console is served.
pub const CONSOLE_PATH: &str = "/_local/";

/// What the console reads and acts on.
pub struct Console {
    pub wiring: Wiring,
    pub store: Store,
    pub functions: Arc<Functions>,
    pub faults: PartnerFaults,
    /// Whether the stream, the queues and the mailbox are the embedded store's (with
    /// `--backend aws` they are in AWS, and the console shows the functions and partners only).
    pub local: bool,
    /// The shop's public URL, which the console links to: it is on another listener.
    pub shop_url: String,
}

impl Console {
    fn page(&self, title: &str, body: maud::Markup) -> Response {
        view::page(&self.shop_url, title, body)
    }

    fn problem(&self, status: StatusCode, title: &str, message: &str) -> Response {
        view::problem(&self.shop_url, status, title, message)
    }

    /// A store that could not be read, as a page.
    fn unreadable(&self, error: &StoreError) -> Response {
        self.problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The store could not be read",
            &cakeshop_ports::error_chain(error),
        )
    }
}

/// The console's routes, to be served on the operator listener only
/// (`crate::operator::operator_surface`, which refuses forms posted by other sites' pages).
pub fn console(console: Console) -> Router {
    Router::new()
        .route(CONSOLE_PATH, get(overview::overview))
        .route("/_local/functions/{function}", get(overview::function))
        .route("/_local/orders", get(journey::find))
        .route("/_local/orders/{order_id}", get(journey::journey))
        .route("/_local/mail/{seq}", get(mail::email))
        .route("/_local/mail/{seq}/html", get(mail::email_html))
        .route("/_local/console/redrive", post(actions::redrive))
        .route("/_local/console/fault", post(actions::set_fault))
        .route("/_local/console/heal", post(actions::heal))
        .route(
            view::STYLESHEET_PATH,
            get(|| async { asset("text/css; charset=utf-8", view::STYLESHEET) }),
        )
        .route(
            view::ICON_PATH,
            get(|| async { asset("image/svg+xml", cakeshop_handlers::pages::ICON) }),
        )
        .route(
            view::LIVE_SCRIPT_PATH,
            get(|| async { asset("text/javascript; charset=utf-8", cakeshop_handlers::pages::LIVE_SCRIPT) }),
        )
        .with_state(Arc::new(console))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        http::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}
