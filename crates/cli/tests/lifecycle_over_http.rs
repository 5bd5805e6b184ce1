//! The whole lifecycle over real HTTP against a real `cakeshop dev` process: many orders at
//! once, each placed, mailed to the baker, fulfilled (half with the baker's key, half through the
//! email's link page and its button), handed to the delivery company, confirmed delivered with a
//! rating, and forwarded to customer service; then every email, partner call and history step is
//! checked to have happened exactly once.

use crate::support::{DevProcess, eventually, project_file};
use futures::StreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const ORDERS: usize = 40;
const PATIENCE: Duration = Duration::from_secs(20);

fn link_token(email: &Value) -> String {
    let text = email["text"].as_str().unwrap_or_default();
    let start = text.find("token=").map(|i| i + "token=".len()).unwrap_or(text.len());
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn email_for(shop: &DevProcess, order_id: &str) -> Value {
    eventually("the baker's email", PATIENCE, || async {
        shop.mail().await.into_iter().find(|m| m["orderId"] == order_id)
    })
    .await
}

async fn partner_call_for(shop: &DevProcess, partner: &str, order_id: &str) -> Value {
    eventually(partner, PATIENCE, || async {
        shop.partner_calls(partner)
            .await
            .into_iter()
            .find(|c| c["body"]["orderId"] == order_id)
    })
    .await
}

async fn one_lifecycle(shop: &DevProcess, n: usize) -> String {
    let (status, placed) = shop.place(&format!("Customer {n}")).await;
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let token = placed["customerToken"].as_str().expect("customerToken").to_owned();

    let email = email_for(shop, &order_id).await;
    if n.is_multiple_of(2) {
        let (status, order) = shop
            .post(
                "/order/fulfilled",
                Some(&shop.baker_key),
                &json!({ "orderId": order_id }),
            )
            .await;
        assert_eq!((status, &order["status"]), (200, &json!("fulfilled")), "{order}");
    } else {
        let link = link_token(&email);
        let page = shop
            .http
            .get(format!("{}/order/fulfilled?token={link}", shop.base))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap_or_default().contains("The cake is ready"));
        let pressed = shop
            .http
            .post(format!("{}/order/fulfilled", shop.base))
            .form(&[("token", link.as_str())])
            .send()
            .await
            .expect("button");
        assert_eq!(pressed.status(), 200);
    }

    partner_call_for(shop, "delivery", &order_id).await;
    let rating = (n % 5 + 1) as u64;
    let body = json!({ "orderId": order_id, "rating": rating, "feedback": format!("Cake {n} was lovely") });
    let (status, delivered) = eventually("out for delivery", PATIENCE, || async {
        let (status, answer) = shop.post("/order/delivered", Some(&token), &body).await;
        (status != 409).then_some((status, answer))
    })
    .await;
    assert_eq!(
        (status, &delivered["status"]),
        (200, &json!("delivered")),
        "{delivered}"
    );
    let feedback = partner_call_for(shop, "customer-service", &order_id).await;
    assert_eq!(feedback["body"]["rating"], rating);
    order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_orders_go_through_the_whole_lifecycle_once_each_on_the_embedded_store() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    many_lifecycles(&shop, ORDERS, ORDERS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_orders_go_through_the_whole_lifecycle_once_each_on_aws_via_the_emulator() {
    let moto = cakeshop_test_support::MotoServer::start();
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start_on_aws(data.path(), &project_file("serverless.yml"), &moto);
    // A few at a time: moto's threaded server applies a DynamoDB transaction by copying the
    // table first and putting the copy back if any action fails, so transactions sent at once
    // can erase each other's writes, which DynamoDB never does. Many orders on one day at once
    // on DynamoDB's semantics are the contract suite's, on moto served on one thread.
    many_lifecycles(&shop, ORDERS / 2, 4).await;
}

/// Runs `orders` lifecycles, `at_once` at a time, and checks every effect happened once per
/// order.
async fn many_lifecycles(shop: &DevProcess, orders: usize, at_once: usize) {
    let order_ids: Vec<String> = futures::stream::iter((0..orders).map(|n| one_lifecycle(shop, n)))
        .buffer_unordered(at_once)
        .collect()
        .await;

    // Every effect happened once per order.
    let count_by_order = |items: Vec<Value>, field: &str| {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for item in items {
            let id = if field == "orderId" {
                item["orderId"].clone()
            } else {
                item["body"]["orderId"].clone()
            };
            *counts.entry(id.as_str().unwrap_or_default().to_owned()).or_default() += 1;
        }
        counts
    };
    let emails = count_by_order(shop.mail().await, "orderId");
    let deliveries = count_by_order(shop.partner_calls("delivery").await, "body");
    let feedback = count_by_order(shop.partner_calls("customer-service").await, "body");
    for order_id in &order_ids {
        assert_eq!(emails.get(order_id), Some(&1), "one email for {order_id}");
        assert_eq!(deliveries.get(order_id), Some(&1), "one delivery call for {order_id}");
        assert_eq!(feedback.get(order_id), Some(&1), "one feedback call for {order_id}");
        // forward-feedback records its step once the partner has the call, so the call can be
        // seen a moment before the step is.
        let order = eventually("the feedback forwarded in the history", PATIENCE, || async {
            let (status, order) = shop.get(&format!("/order/{order_id}"), Some(&shop.baker_key)).await;
            assert_eq!(status, 200);
            let forwarded = order["history"]
                .as_array()
                .is_some_and(|h| h.iter().any(|s| s["step"] == "feedback_forwarded"));
            forwarded.then_some(order)
        })
        .await;
        let steps: Vec<&str> = order["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|h| h["step"].as_str())
            .collect();
        assert_eq!(
            steps,
            [
                "placed",
                "baker_notified",
                "fulfilled",
                "delivery_requested",
                "courier_notified",
                "delivered",
                "feedback_forwarded"
            ],
            "{order_id}"
        );
    }
    assert_eq!(emails.len(), orders);
}

#[tokio::test]
async fn bad_requests_get_clear_errors_over_http() {
    let data = tempfile::tempdir().expect("temp dir");
    let shop = DevProcess::start(data.path(), &project_file("serverless.yml"));
    let raw = |body: &'static str| {
        shop.http
            .post(format!("{}/order", shop.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let malformed = raw("{not json").await.expect("answer");
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "malformed");

    let (status, body) = shop
        .post(
            "/order",
            None,
            &json!({ "name": "A", "address": "B", "productId": "pizza", "quantity": 0 }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    let huge = json!({ "name": "A", "address": "x".repeat(40_000), "productId": 3, "quantity": 1 });
    assert_eq!(shop.post("/order", None, &huge).await.0, 413);
    let (status, body) = shop.get("/nowhere", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    assert_eq!(
        shop.post("/order/fulfilled", None, &json!({ "orderId": "x" })).await.0,
        401
    );
    assert!(shop.mail().await.is_empty(), "nothing was placed");
}

#[test]
fn an_unusable_serverless_yml_is_refused_naming_the_function_and_field() {
    let data = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(project_file("serverless.yml")).expect("serverless.yml");
    let broken = text.replacen("maximumRetryAttempts: 5", "maximumRetryAttempts: many", 1);
    let config = data.path().join("serverless.yml");
    std::fs::write(&config, broken).expect("write copy");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cakeshop"))
        .args(["dev", "--port", "0", "--console-port", "0", "--data-dir"])
        .arg(data.path().join("store"))
        .arg("--config")
        .arg(&config)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("function notify-baker") && message.contains("maximumRetryAttempts"),
        "{message}"
    );
}
