//! One order's W3C trace, followed across the asynchronous hops of a real `cakeshop dev`: the
//! trace of the `traceparent` sent with `POST /order` is on the log lines of the notify-baker,
//! request-delivery, notify-delivery and forward-feedback invocations of that order (carried in
//! the stream records and as the queue messages' `traceparent` attribute), on the embedded
//! store and on the AWS backend against moto.

use crate::support::{CapturedOutput, DevProcess, eventually, project_file};
use serde_json::json;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(30);
const CONSUMERS: [&str; 4] = [
    "notify-baker",
    "request-delivery",
    "notify-delivery",
    "forward-feedback",
];

/// A trace id no other test uses: its digits say which backend it ran on.
fn trace_id(backend: u8) -> String {
    format!(
        "{:032x}",
        0x7ace_0000_0000_0000_0000_0000_0000_0000_u128 + u128::from(backend) * 0x1_0001
    )
}

/// The log lines of `function`'s invocations that carry `trace` and name `order_id`.
fn lines_of(logs: &str, function: &str, trace: &str, order_id: &str) -> Vec<String> {
    logs.lines()
        .filter(|line| {
            line.contains(&format!("function=\"{function}\"")) || line.contains(&format!("function={function}"))
        })
        .filter(|line| line.contains(&format!("trace_id={trace}")) && line.contains(order_id))
        .map(str::to_owned)
        .collect()
}

async fn one_order_in_its_callers_trace(shop: &DevProcess, output: &CapturedOutput, backend: u8) {
    let trace = trace_id(backend);
    let body = json!({ "name": "Traced", "address": "1 Test Lane", "productId": 2, "quantity": 1 });
    let answer = shop
        .http
        .post(format!("{}/order", shop.base))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&body)
        .send()
        .await
        .expect("POST /order");
    assert_eq!(answer.status(), 201);
    let placed: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(
        placed["traceId"], trace,
        "the order continues the request's trace: {placed}"
    );
    let order_id = placed["orderId"].as_str().expect("orderId").to_owned();
    let token = placed["customerToken"].as_str().expect("customerToken").to_owned();

    eventually("the baker's email", PATIENCE, || async {
        shop.mail()
            .await
            .into_iter()
            .find(|m| m["orderId"] == order_id.as_str())
    })
    .await;
    let (status, order) = shop
        .post(
            "/order/fulfilled",
            Some(&shop.baker_key),
            &json!({ "orderId": order_id }),
        )
        .await;
    assert_eq!(status, 200, "{order}");
    let rated = json!({ "orderId": order_id, "rating": 5, "feedback": "followed all the way" });
    eventually("out for delivery, then delivered", PATIENCE, || async {
        let (status, _) = shop.post("/order/delivered", Some(&token), &rated).await;
        (status == 200).then_some(())
    })
    .await;
    eventually("customer service told", PATIENCE, || async {
        shop.partner_calls("customer-service")
            .await
            .into_iter()
            .find(|call| call["body"]["orderId"] == order_id.as_str())
    })
    .await;

    for function in CONSUMERS {
        let lines = eventually(function, PATIENCE, || async {
            let lines = lines_of(&output.logs(), function, &trace, &order_id);
            (!lines.is_empty()).then_some(lines)
        })
        .await;
        println!("{function}: {}", lines[0]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_of_post_order_is_on_every_consumers_invocation_of_it_on_the_embedded_store() {
    let data = tempfile::tempdir().expect("data dir");
    let (shop, output) = DevProcess::start_logging(data.path(), &project_file("serverless.yml"), "info");
    shop.make_room().await;
    one_order_in_its_callers_trace(&shop, &output, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_of_post_order_is_on_every_consumers_invocation_of_it_on_aws_via_the_emulator() {
    let moto = cakeshop_test_support::MotoServer::start();
    let data = tempfile::tempdir().expect("data dir");
    let (shop, output) =
        DevProcess::start_logging_on(data.path(), &project_file("serverless.yml"), "info", Some(&moto));
    shop.make_room().await;
    one_order_in_its_callers_trace(&shop, &output, 2).await;
}
