//! A delivery-company outage over a real `cakeshop dev` process: with the delivery stand-in
//! failing every call, each receive of the order's delivery message tries the partner a few
//! times, fails the message, and after exactly the queue's `maxReceiveCount` receives the
//! message is dead-lettered; once the partner is back, the real `cakeshop dlq redrive` brings
//! it back and the courier is notified exactly once.
//!
//! The wiring is the project's `serverless.yml` with one change: the delivery queue's
//! visibility timeout is cut to seconds, so that the receives follow one another quickly.

use crate::support::{DevProcess, cakeshop, delivery_queue, eventually, project_file, with_visibility_timeout};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const VISIBILITY_SECONDS: u64 = 2;
const PATIENCE: Duration = Duration::from_secs(20);
const FAULTS: &str = "/_local/partners/delivery/faults";

/// What `cakeshop dlq list --json` says `queue` holds.
fn dead_letters(config: &Path, data_dir: &Path, queue: &str) -> Vec<Value> {
    let listed = cakeshop(&[
        "dlq",
        "list",
        "--json",
        "--config",
        &config.display().to_string(),
        "--data-dir",
        &data_dir.display().to_string(),
    ]);
    let queues: Vec<Value> = serde_json::from_str(&listed).expect("JSON");
    let found = queues
        .into_iter()
        .find(|q| q["queue"] == queue)
        .expect("the queue is listed");
    found["messages"].as_array().cloned().unwrap_or_default()
}

async fn steps(shop: &DevProcess, order_id: &str, token: &str) -> (Value, Vec<String>) {
    let (status, order) = shop.get(&format!("/order/{order_id}"), Some(token)).await;
    assert_eq!(status, 200, "{order}");
    let steps = order["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|s| s["step"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    (order["status"].clone(), steps)
}

async fn calls_for(shop: &DevProcess, order_id: &str) -> Vec<Value> {
    let calls = shop.partner_calls("delivery").await;
    calls.into_iter().filter(|c| c["body"]["orderId"] == order_id).collect()
}

async fn injected(shop: &DevProcess) -> u64 {
    let (status, fault) = shop.console_get(FAULTS).await;
    assert_eq!(status, 200, "{fault}");
    fault["injected"].as_u64().expect("injected")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_outage_dead_letters_after_max_receive_count_and_redrive_delivers_once() {
    let data = tempfile::tempdir().expect("temp dir");
    let shipped = delivery_queue(&project_file("serverless.yml"));
    let config = with_visibility_timeout(data.path(), &shipped.name, VISIBILITY_SECONDS);
    let queue = delivery_queue(&config);
    assert_eq!(
        queue.visibility_seconds, VISIBILITY_SECONDS,
        "the copy changes the timeout"
    );
    assert_eq!(queue.max_receive_count, shipped.max_receive_count, "and nothing else");
    let max_receives = u64::from(queue.max_receive_count);
    let store = data.path().join("store");
    let shop = DevProcess::start(&store, &config);

    let (status, fault) = shop
        .console_put(FAULTS, &json!({ "failureRate": 1.0, "mode": "error", "status": 503 }))
        .await;
    assert_eq!(status, 200, "{fault}");

    let (status, placed) = shop.place("Outage Customer").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let token = placed["customerToken"].as_str().expect("customerToken").to_owned();
    let (status, order) = shop.fulfil(&order_id).await;
    assert_eq!(status, 200, "{order}");

    // The message comes back after each failed receive, then lands in the dead-letter queue.
    let dead = eventually("the delivery message in the dead-letter queue", PATIENCE, || async {
        dead_letters(&config, &store, &queue.dead_letters).into_iter().next()
    })
    .await;
    assert_eq!(dead["body"]["orderId"], order_id.as_str(), "{dead}");
    assert_eq!(dead["source"], queue.name.as_str());
    assert_eq!(
        dead["receiveCount"], max_receives,
        "dead-lettered after maxReceiveCount receives"
    );
    // Every receive tried the partner the same number of times (more than once: the retries
    // within an invocation), and nothing reached it.
    let failed_calls = injected(&shop).await;
    assert!(
        failed_calls >= 2 * max_receives && failed_calls.is_multiple_of(max_receives),
        "{failed_calls} failed calls over {max_receives} receives"
    );
    assert!(calls_for(&shop, &order_id).await.is_empty());
    let (status, history) = steps(&shop, &order_id, &token).await;
    assert_eq!(status, "out_for_delivery");
    assert!(history.contains(&"delivery_requested".into()) && !history.contains(&"courier_notified".into()));

    // Dead-lettered means no more receives.
    tokio::time::sleep(Duration::from_secs(VISIBILITY_SECONDS) + Duration::from_millis(700)).await;
    assert_eq!(injected(&shop).await, failed_calls, "no receive after the dead letter");

    // The partner is back; the real CLI redrives the dead letter while the shop runs.
    let (status, healed) = shop.console_delete(FAULTS).await;
    assert_eq!((status, &healed["injected"]), (200, &json!(failed_calls)), "{healed}");
    let report = cakeshop(&[
        "dlq",
        "redrive",
        &queue.dead_letters,
        "--config",
        &config.display().to_string(),
        "--data-dir",
        &store.display().to_string(),
        "--console-port",
        &shop.console_port(),
    ]);
    assert!(report.contains("1 replayed"), "{report}");

    eventually("the courier notified", PATIENCE, || async {
        let (_, history) = steps(&shop, &order_id, &token).await;
        history.contains(&"courier_notified".into()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(VISIBILITY_SECONDS) + Duration::from_millis(700)).await;
    let calls = calls_for(&shop, &order_id).await;
    assert_eq!(calls.len(), 1, "delivered once: {calls:?}");
    assert_eq!(calls[0]["repeat"], false);
    let (status, history) = steps(&shop, &order_id, &token).await;
    assert_eq!(status, "out_for_delivery");
    assert_eq!(history.iter().filter(|s| *s == "courier_notified").count(), 1);
    assert!(dead_letters(&config, &store, &queue.dead_letters).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_faults_are_set_shown_and_cleared_at_run_time_or_from_the_start() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = project_file("serverless.yml");
    let shop = DevProcess::start_with(data.path(), &config, &["--partner-failure-rate", "1"], &[]);
    let delivery = format!("{}/_local/partners/delivery", shop.console);
    let order = json!({ "orderId": "o-1" });
    let post = |key: &'static str| {
        let request = shop.http.post(&delivery).header("idempotency-key", key).json(&order);
        async move { request.send().await.expect("an answer").status().as_u16() }
    };

    // From the flag: every call answered 503 and not recorded.
    let (status, fault) = shop.console_get(FAULTS).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&fault["failureRate"], &fault["mode"], &fault["status"]),
        (&json!(1.0), &json!("error"), &json!(503))
    );
    assert_eq!(post("k-1").await, 503);
    assert!(shop.partner_calls("delivery").await.is_empty());
    let (_, fault) = shop.console_get(FAULTS).await;
    assert_eq!(fault["injected"], 1);

    // Changed at run time, and refused when it makes no sense.
    let (status, fault) = shop.console_put(FAULTS, &json!({ "status": 429 })).await;
    assert_eq!(
        (status, &fault["status"], &fault["failureRate"]),
        (200, &json!(429), &json!(1.0)),
        "{fault}"
    );
    assert_eq!(post("k-1").await, 429);
    let (status, refused) = shop
        .console_put(FAULTS, &json!({ "failureRate": 2, "status": 200 }))
        .await;
    assert_eq!(status, 422, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("failureRate") && message.contains("status"),
        "{message}"
    );
    let (status, _) = shop.console_put(FAULTS, &json!({ "mode": "sometimes" })).await;
    assert_eq!(status, 400);
    let (status, _) = shop.console_get("/_local/partners/courier/faults").await;
    assert_eq!(status, 404);
    let (_, fault) = shop.console_get(FAULTS).await;
    assert_eq!(fault["status"], 429, "a refused setting changes nothing");

    // Customer service is a partner of its own.
    let (status, _) = shop.console_delete("/_local/partners/customer-service/faults").await;
    assert_eq!(status, 200);

    // Healed: the next call is the first one received.
    let (status, _) = shop.console_delete(FAULTS).await;
    assert_eq!(status, 200);
    assert_eq!(post("k-1").await, 202);
    let calls = shop.partner_calls("delivery").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (&calls[0]["idempotencyKey"], &calls[0]["repeat"]),
        (&json!("k-1"), &json!(false))
    );
}

#[test]
fn a_failure_rate_outside_zero_to_one_is_refused() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args([
            "dev",
            "--port",
            "0",
            "--console-port",
            "0",
            "--partner-failure-rate",
            "1.5",
        ])
        .output()
        .expect("cakeshop runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a share from 0 to 1"));
}
