//! The local JSON feeds under `/_local/` (the mailbox, the partner stand-ins' calls): followed
//! with `?after=`, optionally waiting for something new; and the project's error shape for
//! their answers.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

/// `{"error": {"code", "message"}}` with `status`.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code, "message": message.into() } })),
    )
        .into_response()
}

/// `?after=<seq>&limit=<n>&wait_ms=<ms>`: only what came after the item numbered `seq` (a feed
/// to follow); with `wait_ms`, an answer with nothing new waits up to that long for something.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FeedQuery {
    #[serde(default)]
    pub after: i64,
    pub limit: Option<usize>,
    pub wait_ms: Option<u64>,
}

/// The longest a feed request may wait for something new.
pub const LONGEST_FEED_WAIT_MS: u64 = 30_000;

impl FeedQuery {
    /// The items `read(after, limit)` finds; if none and the request may wait, the items found
    /// once `changes` (subscribed before this is called) says the feed gained some, or none
    /// when the wait is over. Saves followers polling an empty feed.
    pub async fn follow<T>(
        &self,
        mut changes: tokio::sync::watch::Receiver<u64>,
        read: impl Fn(i64, usize) -> Result<Vec<T>, cakeshop_sqlite::StoreError>,
    ) -> Result<Vec<T>, Response> {
        let wait = self.wait_ms.unwrap_or(0);
        if wait > LONGEST_FEED_WAIT_MS {
            return Err(error_response(
                StatusCode::BAD_REQUEST,
                "invalid_wait",
                format!("wait_ms must be at most {LONGEST_FEED_WAIT_MS}"),
            ));
        }
        let limit = self.limit.unwrap_or(usize::MAX);
        let failed = |e| {
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                cakeshop_ports::error_chain(&e),
            )
        };
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(wait);
        loop {
            let items = read(self.after, limit).map_err(failed)?;
            let gained = async { changes.changed().await.is_ok() };
            if !items.is_empty() || !tokio::time::timeout_at(deadline, gained).await.unwrap_or(false) {
                return Ok(items);
            }
        }
    }
}
