//! `cakeshop dev` made to die at the worst moments (`CAKESHOP_CRASH_AT`), then started again on
//! the same data directory: the change that was stored still reaches the stream, and an email or
//! partner call made just before the crash is not made twice.

use crate::support::{DevProcess, eventually, project_file};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const ORDER: &str = r#"{"name":"Crash Test","address":"1 Abort Lane","productId":3,"quantity":1}"#;
const WAIT: Duration = Duration::from_secs(20);

/// A copy of serverless.yml with `replacements` applied (each must match).
fn config_with(dir: &Path, replacements: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(project_file("serverless.yml")).expect("serverless.yml");
    for (from, to) in replacements {
        assert!(text.contains(from), "serverless.yml has {from:?}");
        text = text.replace(from, to);
    }
    let path = dir.join("serverless.yml");
    std::fs::write(&path, text).expect("config copy");
    path
}

/// The relay takes marks older than a second; queues redeliver after two.
fn quick_config(dir: &Path) -> PathBuf {
    config_with(
        dir,
        &[
            ("RELAY_AFTER_SECONDS: '10'", "RELAY_AFTER_SECONDS: '1'"),
            ("VisibilityTimeout: 90", "VisibilityTimeout: 2"),
        ],
    )
}

fn crashing_at(data: &Path, config: &Path, point: &str) -> DevProcess {
    DevProcess::start_with(data, config, &[], &[("CAKESHOP_CRASH_AT", point)])
}

fn restarted(data: &Path, config: &Path) -> DevProcess {
    DevProcess::start_with(data, config, &["--schedule-every", "1"], &[])
}

async fn place_with_key(shop: &DevProcess, key: &str) -> (u16, Value) {
    let sent = shop
        .http
        .post(format!("{}/order", shop.base))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(ORDER)
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or_default())
        }
        Err(error) => (0, Value::String(error.to_string())),
    }
}

async fn emails_for(shop: &DevProcess, order_id: &str) -> usize {
    shop.mail().await.iter().filter(|m| m["orderId"] == order_id).count()
}

async fn steps(shop: &DevProcess, order_id: &str) -> Vec<String> {
    let (_, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
    order["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["step"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The order of the first email the mailbox holds, once it holds one.
async fn first_emailed_order(shop: &DevProcess) -> String {
    let mail = eventually("an email", WAIT, || async {
        let mail = shop.mail().await;
        (!mail.is_empty()).then_some(mail)
    })
    .await;
    mail[0]["orderId"].as_str().expect("order id").to_owned()
}

/// Waits until the order's history has `step`.
async fn until_step(shop: &DevProcess, order_id: &str, step: &str) {
    eventually(step, WAIT, || async {
        steps(shop, order_id).await.contains(&step.to_owned()).then_some(())
    })
    .await;
}

async fn first_calls(shop: &DevProcess, partner: &str, order_id: &str) -> (usize, usize) {
    let calls = shop.partner_calls(partner).await;
    let for_order: Vec<_> = calls.iter().filter(|c| c["body"]["orderId"] == order_id).collect();
    let repeats = for_order.iter().filter(|c| c["repeat"] == true).count();
    (for_order.len() - repeats, repeats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_stored_just_before_a_crash_reaches_the_baker_through_the_relay() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = quick_config(data.path());
    let mut shop = crashing_at(data.path(), &config, "before-publish:order_placed");
    let (status, _) = shop
        .post("/order", None, &serde_json::from_str(ORDER).expect("json"))
        .await;
    assert_eq!(status, 0, "the process died before answering");
    assert!(shop.exits_within(WAIT));

    // No client retries: the outbox mark and the scheduled relay finish the job.
    let shop = restarted(data.path(), &config);
    let order_id = first_emailed_order(&shop).await;
    until_step(&shop, &order_id, "baker_notified").await;
    assert_eq!(emails_for(&shop, &order_id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_the_same_idempotency_key_heals_the_crash_on_its_own() {
    let data = tempfile::tempdir().expect("temp dir");
    // A relay that waits an hour, so only the retry can have healed it.
    let config = config_with(
        data.path(),
        &[("RELAY_AFTER_SECONDS: '10'", "RELAY_AFTER_SECONDS: '3600'")],
    );
    let mut shop = crashing_at(data.path(), &config, "before-publish:order_placed");
    assert_eq!(place_with_key(&shop, "retry-after-crash").await.0, 0);
    assert!(shop.exits_within(WAIT));

    let shop = restarted(data.path(), &config);
    let (status, placed) = place_with_key(&shop, "retry-after-crash").await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("order id").to_owned();
    let (status, again) = place_with_key(&shop, "retry-after-crash").await;
    assert_eq!(
        (status, &again["orderId"]),
        (201, &placed["orderId"]),
        "a repeat is the same order"
    );
    eventually("the email", WAIT, || async {
        (emails_for(&shop, &order_id).await > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(emails_for(&shop, &order_id).await, 1);
    assert_eq!(shop.mail().await.len(), 1, "one order, not two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fulfilment_stored_just_before_a_crash_still_gets_the_cake_delivered() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = quick_config(data.path());
    let mut shop = crashing_at(data.path(), &config, "before-publish:order_fulfilled");
    let (status, placed) = shop
        .post("/order", None, &serde_json::from_str(ORDER).expect("json"))
        .await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("order id").to_owned();
    let body = json!({ "orderId": order_id });
    let baker_key = shop.baker_key.clone();
    assert_eq!(shop.post("/order/fulfilled", Some(&baker_key), &body).await.0, 0);
    assert!(shop.exits_within(WAIT));

    let shop = restarted(data.path(), &config);
    // The step is recorded just after the partner's answer: wait for it, not for the call.
    until_step(&shop, &order_id, "courier_notified").await;
    assert_eq!(first_calls(&shop, "delivery", &order_id).await.0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_sent_just_before_a_crash_is_not_sent_again() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = quick_config(data.path());
    let mut shop = crashing_at(data.path(), &config, "after-email");
    let (status, placed) = shop
        .post("/order", None, &serde_json::from_str(ORDER).expect("json"))
        .await;
    // The email may be sent, and the process die, before the 201 is on its way.
    assert!(matches!(status, 201 | 0), "{placed}");
    assert!(shop.exits_within(WAIT), "the mailer crashed the process");

    // The record was not checkpointed and the step not recorded, so it is handled again.
    let shop = restarted(data.path(), &config);
    let order_id = first_emailed_order(&shop).await;
    until_step(&shop, &order_id, "baker_notified").await;
    assert_eq!(shop.mail().await.len(), 1, "the mailbox kept the repeat once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_call_made_just_before_a_crash_is_not_made_twice() {
    let data = tempfile::tempdir().expect("temp dir");
    let config = quick_config(data.path());
    let mut shop = crashing_at(data.path(), &config, "after-partner-call:delivery");
    let (status, placed) = shop
        .post("/order", None, &serde_json::from_str(ORDER).expect("json"))
        .await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("order id").to_owned();
    let baker_key = shop.baker_key.clone();
    let fulfilled = shop
        .post("/order/fulfilled", Some(&baker_key), &json!({ "orderId": order_id }))
        .await;
    // The courier may be called, and the process die, before this answer is on its way.
    assert!(matches!(fulfilled.0, 200 | 0), "{}", fulfilled.1);
    assert!(shop.exits_within(WAIT), "the partner stand-in crashed the process");

    let shop = restarted(data.path(), &config);
    until_step(&shop, &order_id, "courier_notified").await;
    let (first, repeats) = first_calls(&shop, "delivery", &order_id).await;
    assert_eq!(first, 1, "the delivery company acted once");
    assert!(
        repeats >= 1,
        "the message was redelivered after the crash and sent with the same key"
    );
}
