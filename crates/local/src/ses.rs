//! SES: with the local backend every email is kept in the store's mailbox
//! (`cakeshop_sqlite::LocalMailer`), and `GET /_local/mail` is its feed.

use crate::feeds::{FeedQuery, error_response};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cakeshop_sqlite::{LocalMailer, MAIL_FEED, Store};
use http::StatusCode;
use std::sync::Arc;

struct Mailbox {
    store: Store,
    /// Whether emails land in the local mailbox (with `--backend aws` they go to SES).
    local: bool,
}

/// `GET /_local/mail`, the mailbox as a feed.
pub fn mailbox_feed(store: Store, local: bool) -> Router {
    Router::new()
        .route("/_local/mail", get(mail))
        .with_state(Arc::new(Mailbox { store, local }))
}

async fn mail(
    State(mailbox_feed): State<Arc<Mailbox>>,
    axum::extract::Query(feed): axum::extract::Query<FeedQuery>,
) -> Response {
    if !mailbox_feed.local {
        return error_response(
            StatusCode::NOT_FOUND,
            "not_found",
            "with --backend aws the emails go to SES, not to a local mailbox",
        );
    }
    let mailbox = LocalMailer::new(mailbox_feed.store.clone());
    let changes = mailbox_feed.store.feed_watch(MAIL_FEED);
    match feed.follow(changes, |after, limit| mailbox.after(after, limit)).await {
        Ok(emails) => Json(emails).into_response(),
        Err(response) => response,
    }
}
