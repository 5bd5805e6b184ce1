//! The load: customers placing orders, or living whole lifecycles (place, wait for the baker's
//! email, the baker fulfils, wait for the courier call, confirm delivery, wait for the feedback
//! call), either closed-loop (a fixed number of customers, each starting again as soon as it is
//! done) or open-loop (a new one at a fixed rate, latency counted from when it was due, so a
//! stalled server cannot hide its queue).

use super::feeds::{Effect, Feeds};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long one step of a lifecycle may take before it counts as an error.
const STEP_LIMIT: Duration = Duration::from_secs(30);

pub struct Target {
    pub http: reqwest::Client,
    pub base: String,
    pub baker_key: String,
    pub feeds: Feeds,
    /// Whether emails can be followed in the local mailbox (else: the order's history).
    pub mailbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Place,
    Lifecycle,
}

#[derive(Debug, Clone, Copy)]
pub enum Pace {
    Closed { customers: usize },
    Open { per_second: f64 },
}

/// Latencies in microseconds.
pub struct Recorded {
    pub place: Histogram<u64>,
    pub email: Histogram<u64>,
    pub lifecycle: Histogram<u64>,
}

pub struct Outcome {
    pub recorded: Recorded,
    pub completed: u64,
    pub errors: u64,
    pub elapsed: Duration,
}

struct Shared {
    recorded: Mutex<Recorded>,
    completed: AtomicU64,
    errors: AtomicU64,
    next: AtomicU64,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 10 min at 3 significant figures: a few hundred KB.
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

fn micros(since: Instant, at: Instant) -> u64 {
    at.saturating_duration_since(since).as_micros().clamp(1, 600_000_000) as u64
}

pub async fn run(target: Arc<Target>, work: Work, pace: Pace, length: Duration) -> Outcome {
    let shared = Arc::new(Shared {
        recorded: Mutex::new(Recorded {
            place: histogram(),
            email: histogram(),
            lifecycle: histogram(),
        }),
        completed: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        next: AtomicU64::new(0),
    });
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = tokio::task::JoinSet::new();
    match pace {
        Pace::Closed { customers } => {
            for _ in 0..customers {
                let (target, shared) = (Arc::clone(&target), Arc::clone(&shared));
                tasks.spawn(async move {
                    while Instant::now() < deadline {
                        one(&target, &shared, work, Instant::now()).await;
                    }
                });
            }
        }
        Pace::Open { per_second } => {
            let gap = Duration::from_secs_f64(1.0 / per_second.max(0.001));
            let mut due = started;
            while due < deadline {
                tokio::time::sleep_until(due.into()).await;
                let (target, shared) = (Arc::clone(&target), Arc::clone(&shared));
                tasks.spawn(async move { one(&target, &shared, work, due).await });
                due += gap;
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let shared = Arc::into_inner(shared).unwrap_or_else(|| unreachable!("every task has ended"));
    Outcome {
        recorded: shared.recorded.into_inner().unwrap_or_else(PoisonError::into_inner),
        completed: shared.completed.into_inner(),
        errors: shared.errors.into_inner(),
        elapsed,
    }
}

async fn one(target: &Target, shared: &Shared, work: Work, due: Instant) {
    let n = shared.next.fetch_add(1, Ordering::Relaxed);
    let done = match work {
        Work::Place => place(target, shared, n, due).await.map(|_| ()),
        Work::Lifecycle => lifecycle(target, shared, n, due).await,
    };
    match done {
        Some(()) => shared.completed.fetch_add(1, Ordering::Relaxed),
        None => shared.errors.fetch_add(1, Ordering::Relaxed),
    };
}

fn record(shared: &Shared, pick: impl FnOnce(&mut Recorded) -> &mut Histogram<u64>, value: u64) {
    let mut recorded = shared.recorded.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = pick(&mut recorded).record(value);
}

/// `POST /order`; the order id and customer token.
async fn place(target: &Target, shared: &Shared, n: u64, due: Instant) -> Option<(String, String)> {
    let body = json!({
        "name": format!("Bench Customer {n}"),
        "address": format!("{n} Benchmark Road"),
        "productId": 2,
        "quantity": 1 + n % 3,
    });
    let placed = send(target, "/order", None, &body, 201).await?;
    record(shared, |r| &mut r.place, micros(due, Instant::now()));
    Some((
        placed["orderId"].as_str()?.to_owned(),
        placed["customerToken"].as_str()?.to_owned(),
    ))
}

async fn lifecycle(target: &Target, shared: &Shared, n: u64, due: Instant) -> Option<()> {
    let (order_id, token) = place(target, shared, n, due).await?;
    let emailed = baker_email(target, &order_id, &token).await?;
    record(shared, |r| &mut r.email, micros(due, emailed));
    let reference = json!({ "orderId": order_id });
    send(target, "/order/fulfilled", Some(&target.baker_key), &reference, 200).await?;
    target.feeds.wait(Effect::CourierCall, &order_id, STEP_LIMIT).await?;
    let confirmation = json!({ "orderId": order_id, "rating": 1 + n % 5, "feedback": "Lovely cake" });
    send(target, "/order/delivered", Some(&token), &confirmation, 200).await?;
    let forwarded = target.feeds.wait(Effect::FeedbackCall, &order_id, STEP_LIMIT).await?;
    record(shared, |r| &mut r.lifecycle, micros(due, forwarded));
    Some(())
}

async fn baker_email(target: &Target, order_id: &str, token: &str) -> Option<Instant> {
    if target.mailbox {
        return target.feeds.wait(Effect::BakerEmail, order_id, STEP_LIMIT).await;
    }
    let started = Instant::now();
    while started.elapsed() < STEP_LIMIT {
        let response = target
            .http
            .get(format!("{}/order/{order_id}", target.base))
            .bearer_auth(token)
            .send()
            .await
            .ok()?;
        let order: Value = response.json().await.ok()?;
        if order["history"].to_string().contains("\"baker_notified\"") {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

/// Sets every day's capacity far above what a run places, with the baker's key: the bench
/// measures the shop, not a sold-out day. Days still take capacity in every order's write.
pub async fn make_room(target: &Target) -> anyhow::Result<()> {
    let every_day = cakeshop_domain::capacity::WEEKDAYS
        .iter()
        .map(|(_, name)| ((*name).to_owned(), json!(cakeshop_domain::MAX_DAILY_CAPACITY)))
        .collect::<serde_json::Map<_, _>>();
    let response = target
        .http
        .put(format!("{}/capacity", target.base))
        .bearer_auth(&target.baker_key)
        .json(&json!({ "perWeekday": every_day }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "PUT /capacity answered {}: {}",
        response.status(),
        response.text().await.unwrap_or_default()
    );
    Ok(())
}

async fn send(target: &Target, path: &str, bearer: Option<&str>, body: &Value, expected: u16) -> Option<Value> {
    let mut request = target.http.post(format!("{}{path}", target.base)).json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.ok()?;
    if response.status().as_u16() != expected {
        return None;
    }
    response.json().await.ok()
}
