//! Watching a lifecycle's effects as they happen: the mailbox and the two partner stand-ins
//! are followed as feeds (`?after=<seq>&wait_ms=`, answered as soon as there is something new),
//! one follower each, and every arrival is handed to the customer waiting for it. With the AWS
//! backend the emails are in SES, so the baker's email is seen as the order's `baker_notified`
//! step instead.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a customer waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    BakerEmail,
    CourierCall,
    FeedbackCall,
}

/// Arrivals not yet claimed, and customers waiting for effects not yet arrived.
#[derive(Default)]
struct Board {
    arrived: HashMap<(Effect, String), Instant>,
    waiting: HashMap<(Effect, String), oneshot::Sender<Instant>>,
    last_arrival: Option<Instant>,
}

#[derive(Clone, Default)]
pub struct Feeds {
    board: Arc<Mutex<Board>>,
}

impl Feeds {
    /// Starts one follower per feed on the operator surface at `console`; they stop when
    /// `feeds` is dropped by all.
    pub fn follow(http: &reqwest::Client, console: &str, mailbox: bool) -> Feeds {
        let feeds = Feeds::default();
        let mut followed = vec![
            (Effect::CourierCall, format!("{console}/_local/partners/delivery")),
            (
                Effect::FeedbackCall,
                format!("{console}/_local/partners/customer-service"),
            ),
        ];
        if mailbox {
            followed.push((Effect::BakerEmail, format!("{console}/_local/mail")));
        }
        for (effect, url) in followed {
            let (http, board) = (http.clone(), Arc::downgrade(&feeds.board));
            tokio::spawn(async move {
                let mut after = 0;
                while board.strong_count() > 0 {
                    let Some(page) = fetch(&http, &url, after).await else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let Some(board) = board.upgrade() else {
                        return;
                    };
                    for item in page {
                        after = after.max(item.seq);
                        if item.repeat {
                            continue;
                        }
                        let order_id = item
                            .order_id
                            .or_else(|| item.body?.get("orderId")?.as_str().map(str::to_owned));
                        if let Some(order_id) = order_id {
                            arrive(&board, effect, order_id);
                        }
                    }
                }
            });
        }
        feeds
    }

    /// Waits (at most `limit`) until nothing has arrived for `quiet`: the shop has caught up
    /// with what earlier work still owed (emails for orders a placing-only phase left behind).
    pub async fn settle(&self, quiet: Duration, limit: Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            let last = self.board.lock().unwrap_or_else(PoisonError::into_inner).last_arrival;
            if last.is_none_or(|at| at.elapsed() >= quiet) {
                return;
            }
            tokio::time::sleep(quiet / 4).await;
        }
    }

    /// When `effect` happened for `order_id`, waiting at most `limit`.
    pub async fn wait(&self, effect: Effect, order_id: &str, limit: Duration) -> Option<Instant> {
        let key = (effect, order_id.to_owned());
        let receiver = {
            let mut board = self.board.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(at) = board.arrived.remove(&key) {
                return Some(at);
            }
            let (sender, receiver) = oneshot::channel();
            board.waiting.insert(key.clone(), sender);
            receiver
        };
        let arrived = tokio::time::timeout(limit, receiver).await.ok().and_then(Result::ok);
        if arrived.is_none() {
            self.board
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .waiting
                .remove(&key);
        }
        arrived
    }
}

const PAGE: usize = 2_000;
/// How long one request waits for a quiet feed; short, so that a follower whose customers are
/// gone stops soon.
const WAIT_MS: u64 = 250;

fn arrive(board: &Mutex<Board>, effect: Effect, order_id: String) {
    let now = Instant::now();
    let mut board = board.lock().unwrap_or_else(PoisonError::into_inner);
    board.last_arrival = Some(now);
    let key = (effect, order_id);
    match board.waiting.remove(&key) {
        Some(waiter) => {
            let _ = waiter.send(now);
        }
        None => {
            board.arrived.insert(key, now);
        }
    }
}

/// What the bench reads of an email or a partner call; the rest (an email's text and HTML) is
/// skipped unbuilt, so that following the feeds costs the load generator little.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedItem {
    seq: i64,
    #[serde(default)]
    repeat: bool,
    /// An email's order.
    order_id: Option<String>,
    /// A partner call's document, which names the order.
    body: Option<Value>,
}

/// The next page of the feed, or None if the shop did not answer with one.
async fn fetch(http: &reqwest::Client, url: &str, after: i64) -> Option<Vec<FeedItem>> {
    let response = http
        .get(format!("{url}?after={after}&limit={PAGE}&wait_ms={WAIT_MS}"))
        .send()
        .await
        .ok()?;
    response.error_for_status().ok()?.json().await.ok()
}
