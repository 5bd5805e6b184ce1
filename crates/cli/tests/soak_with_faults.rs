//! Many concurrent lifecycles against `cakeshop dev` while the partner stand-ins fail at random
//! and the process is SIGKILLed and restarted several times. At the end every accepted order is
//! delivered with its feedback forwarded (or is in a dead-letter queue, reported), with exactly
//! one email, one delivery call and one feedback call each. Every tenth customer cancels
//! instead: their cakes go back to the day, the baker is told once, and no delivery is asked
//! for. Days are small (`CAKES_A_DAY`), so they fill up: at the end no day has more booked than
//! it takes, and each day's count is exactly the cakes of its orders that were not cancelled.
//!
//! Size: `CAKESHOP_SOAK_ORDERS` (default 60) orders and `CAKESHOP_SOAK_KILLS` (default 3)
//! kills; `tools/soak` runs a bigger one.

use crate::support;

use crate::support::{DevProcess, eventually, project_file};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const CONCURRENT_CUSTOMERS: usize = 24;
const PARTNER_FAILURE_RATE: &str = "0.3";
/// Small enough that the soak's orders fill the first days, large enough that they all fit in
/// the ordering horizon (about 2 cakes an order, at most 1000 orders in 58 days).
const CAKES_A_DAY: u32 = 50;

/// What became of one customer's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Delivered,
    Cancelled,
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn soak_config(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(project_file("serverless.yml")).expect("serverless.yml");
    for needle in ["VisibilityTimeout: 90", "RELAY_AFTER_SECONDS: '10'"] {
        assert!(text.contains(needle), "serverless.yml has {needle}");
    }
    // Redeliveries after 2 s instead of 90, and the relay acting after 1 s, so that a soak
    // of a few seconds goes through many retries.
    let text = text
        .replace("VisibilityTimeout: 90", "VisibilityTimeout: 2")
        .replace("RELAY_AFTER_SECONDS: '10'", "RELAY_AFTER_SECONDS: '1'");
    let path = dir.join("serverless.yml");
    std::fs::write(&path, text).expect("config copy");
    path
}

fn start(data: &Path, config: &Path) -> DevProcess {
    DevProcess::start_with(
        data,
        config,
        &["--schedule-every", "1", "--partner-failure-rate", PARTNER_FAILURE_RATE],
        &[],
    )
}

/// Where the shop currently answers: the address changes with every restart.
type Base = Arc<RwLock<String>>;

fn base_of(base: &Base) -> String {
    base.read().map(|b| b.clone()).unwrap_or_default()
}

struct Customer {
    http: reqwest::Client,
    base: Base,
    baker_key: String,
    retries: Arc<AtomicUsize>,
}

impl Customer {
    /// Sends until the shop answers with one of `done` (it may be down, or mid-restart).
    async fn send(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        key: Option<&str>,
        body: &Value,
        done: &[u16],
    ) -> Value {
        let started = Instant::now();
        loop {
            let url = format!("{}{path}", base_of(&self.base));
            let mut request = match method {
                "GET" => self.http.get(url),
                "PUT" => self.http.put(url).json(body),
                _ => self.http.post(url).json(body),
            };
            if !bearer.is_empty() {
                request = request.bearer_auth(bearer);
            }
            if let Some(key) = key {
                request = request.header("idempotency-key", key);
            }
            if let Ok(response) = request.send().await {
                let status = response.status().as_u16();
                let answer: Value = response.json().await.unwrap_or_default();
                if done.contains(&status) {
                    return answer;
                }
                assert!(status >= 500, "{method} {path}: {status} {answer}");
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{method} {path} never went through"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_step(&self, order_id: &str, token: &str, step: &str) {
        let started = Instant::now();
        loop {
            let order = self
                .send("GET", &format!("/order/{order_id}"), token, None, &Value::Null, &[200])
                .await;
            if order["history"].to_string().contains(&format!("\"{step}\"")) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{order_id} never reached {step}: {order}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// One whole lifecycle, as a customer and the baker would drive it; every tenth customer
    /// cancels once the baker has been told of the order.
    async fn lifecycle(&self, n: usize) -> (String, Ending) {
        let order =
            json!({ "name": format!("Soak {n}"), "address": "1 Soak Street", "productId": 4, "quantity": 1 + n % 3 });
        let placed = self
            .send("POST", "/order", "", Some(&format!("soak-{n}")), &order, &[201])
            .await;
        let order_id = placed["orderId"].as_str().expect("order id").to_owned();
        let token = placed["customerToken"].as_str().expect("token").to_owned();
        self.wait_for_step(&order_id, &token, "baker_notified").await;
        if n % 10 == 5 {
            let cancel = json!({ "orderId": order_id, "reason": format!("soak {n} changed their mind") });
            self.send("POST", "/order/cancelled", &token, None, &cancel, &[200])
                .await;
            self.wait_for_step(&order_id, &token, "cancellation_notified").await;
            return (order_id, Ending::Cancelled);
        }
        let reference = json!({ "orderId": order_id });
        // A retry whose first attempt went through before a kill may find the order already
        // out for delivery: a clear 409, and the lifecycle goes on.
        self.send(
            "POST",
            "/order/fulfilled",
            &self.baker_key,
            None,
            &reference,
            &[200, 409],
        )
        .await;
        self.wait_for_step(&order_id, &token, "courier_notified").await;
        let confirmation = json!({ "orderId": order_id, "rating": 1 + n % 5, "feedback": format!("cake {n}") });
        self.send("POST", "/order/delivered", &token, None, &confirmation, &[200])
            .await;
        (order_id, Ending::Delivered)
    }
}

fn per_order(items: &[Value], field: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for item in items {
        let order_id = item[field]["orderId"]
            .as_str()
            .or(item["orderId"].as_str())
            .unwrap_or_default();
        *counts.entry(order_id.to_owned()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_accepted_order_is_delivered_once_through_random_partner_failures_and_kills() {
    let orders = setting("CAKESHOP_SOAK_ORDERS", 60);
    let kills = setting("CAKESHOP_SOAK_KILLS", 3);
    let data = tempfile::tempdir().expect("temp dir");
    let config = soak_config(data.path());
    let mut shop = start(data.path(), &config);
    let base: Base = Arc::new(RwLock::new(shop.base.clone()));
    let customer = Arc::new(Customer {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client"),
        base: Arc::clone(&base),
        baker_key: shop.baker_key.clone(),
        retries: Arc::new(AtomicUsize::new(0)),
    });
    let every_day: serde_json::Map<String, Value> = support::WEEKDAYS
        .iter()
        .map(|day| ((*day).to_owned(), json!(CAKES_A_DAY)))
        .collect();
    let capacity = json!({ "perWeekday": every_day });
    customer
        .send("PUT", "/capacity", &shop.baker_key, None, &capacity, &[200])
        .await;
    let started = Instant::now();

    let next = Arc::new(AtomicUsize::new(0));
    let workers = (0..CONCURRENT_CUSTOMERS).map(|_| {
        let (customer, next) = (Arc::clone(&customer), Arc::clone(&next));
        tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= orders {
                    return done;
                }
                done.push(customer.lifecycle(n).await);
            }
        })
    });
    let workers: Vec<_> = workers.collect();

    let mut injected = 0;
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        injected += injected_failures(&shop).await;
        shop.kill();
        shop = start(data.path(), &config);
        *base.write().expect("base") = shop.base.clone();
    }
    let completed: Vec<(String, Ending)> = join_all(workers)
        .await
        .into_iter()
        .flat_map(|worker| worker.expect("customer"))
        .collect();
    assert_eq!(completed.len(), orders, "every lifecycle completed");
    let cancelled = completed
        .iter()
        .filter(|(_, ending)| *ending == Ending::Cancelled)
        .count();
    let delivered = orders - cancelled;

    // The last feedback may still be on its way to customer service.
    let forwarded = eventually("every feedback forwarded", Duration::from_secs(60), || async {
        let calls = shop.partner_calls("customer-service").await;
        let firsts: Vec<Value> = calls.into_iter().filter(|c| c["repeat"] != true).collect();
        (firsts.len() >= delivered).then_some(firsts)
    })
    .await;

    let mail = shop.mail().await;
    let deliveries = shop.partner_calls("delivery").await;
    let feedback_calls = shop.partner_calls("customer-service").await;
    let first = |calls: &[Value]| {
        calls
            .iter()
            .filter(|c| c["repeat"] != true)
            .cloned()
            .collect::<Vec<_>>()
    };
    let (emails, couriers, feedback) = (
        per_order(&mail, "orderId"),
        per_order(&first(&deliveries), "body"),
        per_order(&forwarded, "body"),
    );
    let mut cakes_per_day: HashMap<String, u64> = HashMap::new();
    for (order_id, ending) in &completed {
        let (_, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
        match ending {
            Ending::Delivered => {
                assert_eq!(order["status"], "delivered", "{order}");
                assert_eq!(
                    order["history"].as_array().map(Vec::len),
                    Some(7),
                    "every step once: {order}"
                );
                assert_eq!(emails.get(order_id), Some(&1), "one email for {order_id}");
                assert_eq!(couriers.get(order_id), Some(&1), "one delivery call for {order_id}");
                assert_eq!(feedback.get(order_id), Some(&1), "one feedback call for {order_id}");
                let day = order["deliveryDate"].as_str().expect("a delivery day").to_owned();
                *cakes_per_day.entry(day).or_default() += order["quantity"].as_u64().expect("a quantity");
            }
            Ending::Cancelled => {
                assert_eq!(order["status"], "cancelled", "{order}");
                assert_eq!(
                    emails.get(order_id),
                    Some(&2),
                    "the order's email and one about its cancellation"
                );
                assert_eq!(couriers.get(order_id), None, "no delivery for cancelled {order_id}");
            }
        }
    }
    let first_day = cakes_per_day.keys().min().cloned().expect("some order was delivered");
    let (status, availability) = shop.get(&format!("/availability?from={first_day}&days=60"), None).await;
    assert_eq!(status, 200, "{availability}");
    let mut full_days = 0;
    for day in availability["days"].as_array().expect("days") {
        let date = day["date"].as_str().expect("date");
        let (booked, capacity) = (
            day["booked"].as_u64().expect("booked"),
            day["capacity"].as_u64().expect("capacity"),
        );
        assert!(booked <= capacity, "{date} is over-booked: {day}");
        assert_eq!(
            booked,
            cakes_per_day.remove(date).unwrap_or(0),
            "{date} counts exactly its orders' cakes"
        );
        full_days += usize::from(booked == capacity);
    }
    assert!(
        cakes_per_day.is_empty(),
        "orders for days the window did not show: {cakes_per_day:?}"
    );
    injected += injected_failures(&shop).await;
    assert!(injected > 0, "the partner stand-ins failed calls on purpose");
    let dead_letters = list_dead_letters(data.path(), &config);
    println!(
        "soak: {orders} lifecycles ({cancelled} cancelled) in {:.1} s across {kills} SIGKILLs, partners failing {PARTNER_FAILURE_RATE} of calls; \
         {full_days} days booked full at {CAKES_A_DAY} cakes, none over; \
         emails {}, delivery calls {} (+{} repeats answered idempotently), feedback calls {} (+{} repeats), \
         partner calls failed on purpose {injected}, client retries {}, dead letters {dead_letters}",
        started.elapsed().as_secs_f64(),
        mail.len(),
        first(&deliveries).len(),
        deliveries.len() - first(&deliveries).len(),
        first(&feedback_calls).len(),
        feedback_calls.len() - first(&feedback_calls).len(),
        customer.retries.load(Ordering::Relaxed),
    );
    assert_eq!(mail.len(), orders + cancelled, "no email for an order nobody placed");
}

/// Calls the partner stand-ins of this process failed on purpose (the count restarts with it).
async fn injected_failures(shop: &DevProcess) -> u64 {
    let mut injected = 0;
    for partner in ["delivery", "customer-service"] {
        let (_, fault) = shop.console_get(&format!("/_local/partners/{partner}/faults")).await;
        injected += fault["injected"].as_u64().unwrap_or_default();
    }
    injected
}

/// How many messages `cakeshop dlq list --json` reports across every dead-letter queue.
fn list_dead_letters(data: &Path, config: &Path) -> usize {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(["dlq", "list", "--json", "--data-dir"])
        .arg(data)
        .arg("--config")
        .arg(config)
        .output()
        .expect("cakeshop dlq list");
    let listed: Value = serde_json::from_slice(&output.stdout).expect("dlq list --json prints JSON");
    listed
        .as_array()
        .expect("a list of queues")
        .iter()
        .map(|queue| queue["messages"].as_array().map_or(0, Vec::len))
        .sum()
}
