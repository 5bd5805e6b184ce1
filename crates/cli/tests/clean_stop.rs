//! A clean stop: `cakeshop dev` sent SIGTERM in the middle of a load of orders and fulfilments
//! stops accepting, finishes what is in flight, leaves no log beside the store and exits 0
//! within its bound. Started again on the same data directory, every accepted order completes
//! its journey, and nothing happens twice: one email per order, one delivery call per
//! fulfilled order, none of them a repeat.

use crate::support::{DevProcess, eventually, project_file};
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A stop waits up to 10 s for batches and 10 s for requests; this leaves room for a slow machine.
const STOP_BOUND: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Outcome {
    placed: Vec<String>,
    fulfilled: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_shop_stopped_mid_load_exits_cleanly_and_every_accepted_order_completes_once() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    let mut shop = DevProcess::start(data.path(), &config);
    shop.make_room().await;
    let stop = Arc::new(AtomicBool::new(false));

    // Six clients each place an order and fulfil it at once, until the shop goes away.
    let clients: Vec<_> = (0..6)
        .map(|client| {
            let (http, base, key, stop) = (
                shop.http.clone(),
                shop.base.clone(),
                shop.baker_key.clone(),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) && n % 20 == 0 {
                        break;
                    }
                    let order =
                        json!({ "name": format!("C{client}-{n}"), "address": "1 Lane", "productId": 3, "quantity": 1 });
                    let Ok(placed) = http.post(format!("{base}/order")).json(&order).send().await else {
                        break;
                    };
                    if placed.status() != 201 {
                        continue;
                    }
                    let placed: Value = placed.json().await.unwrap_or_default();
                    let Some(order_id) = placed["orderId"].as_str().map(str::to_owned) else {
                        continue;
                    };
                    outcome.placed.push(order_id.clone());
                    let fulfilled = http
                        .post(format!("{base}/order/fulfilled"))
                        .bearer_auth(&key)
                        .json(&json!({ "orderId": order_id }))
                        .send()
                        .await;
                    match fulfilled {
                        Ok(response) if response.status() == 200 => outcome.fulfilled.push(order_id),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                outcome
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let asked = Instant::now();
    shop.terminate();
    stop.store(true, Ordering::SeqCst);
    let status = shop.exit_within(STOP_BOUND);
    let took = asked.elapsed();
    let outcomes: Vec<Outcome> = join_all(clients)
        .await
        .into_iter()
        .map(|r| r.unwrap_or_default())
        .collect();
    let placed: Vec<String> = outcomes.iter().flat_map(|o| o.placed.clone()).collect();
    let fulfilled: Vec<String> = outcomes.iter().flat_map(|o| o.fulfilled.clone()).collect();

    let status = status.unwrap_or_else(|| panic!("the shop did not stop within {STOP_BOUND:?} of SIGTERM"));
    assert!(status.success(), "a clean stop exits 0, not {status}");
    assert!(
        placed.len() >= 20,
        "the load was under way ({} orders placed)",
        placed.len()
    );
    let log = data.path().join(format!("{}-wal", cakeshop_sqlite::STORE_FILE));
    let log_bytes = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    assert_eq!(log_bytes, 0, "the log was copied into the store before exit");

    let shop = DevProcess::start(data.path(), &config);
    let emails = eventually("one email for every order placed", Duration::from_secs(60), || async {
        let per_order = per_order(shop.mail().await, |email| email["orderId"].clone());
        placed.iter().all(|id| per_order.contains_key(id)).then_some(per_order)
    })
    .await;
    let twice: Vec<_> = emails.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "emails sent more than once: {twice:?}");

    let calls = eventually(
        "a delivery call for every fulfilled order",
        Duration::from_secs(60),
        || async {
            let calls = shop.partner_calls("delivery").await;
            let per_order = per_order(calls.clone(), |call| call["body"]["orderId"].clone());
            fulfilled.iter().all(|id| per_order.contains_key(id)).then_some(calls)
        },
    )
    .await;
    let repeats: Vec<_> = calls.iter().filter(|call| call["repeat"] == json!(true)).collect();
    assert!(repeats.is_empty(), "delivery calls repeated: {repeats:?}");
    let twice: Vec<_> = per_order(calls, |call| call["body"]["orderId"].clone())
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "orders delivered twice: {twice:?}");
    println!(
        "stopped in {took:?} with {} orders placed and {} fulfilled; each emailed once and delivered once after restart",
        placed.len(),
        fulfilled.len()
    );
}

fn per_order(items: Vec<Value>, order_id: impl Fn(&Value) -> Value) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for item in &items {
        if let Some(id) = order_id(item).as_str() {
            *counts.entry(id.to_owned()).or_default() += 1;
        }
    }
    counts
}
