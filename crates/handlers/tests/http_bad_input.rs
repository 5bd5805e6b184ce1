//! Every bad request gets a clear `{"error":{"code","message"}}` and writes nothing.

use crate::support;

use crate::support::envelopes::{as_http, http_request};
use crate::support::{SAMPLE_ORDER, Shop, error_code, header};
use base64::Engine;
use serde_json::json;

const START: &str = "2026-11-20T09:00:00Z";

fn shop() -> Shop {
    Shop::new(START, &["a1", "a2", "a3"])
}

#[tokio::test]
async fn refuses_bad_order_bodies_with_the_right_status_and_writes_nothing() {
    let cases: Vec<(String, i64, &str)> = vec![
        ("not json".into(), 400, "malformed"),
        ("[]".into(), 400, "malformed"),
        ("".into(), 400, "malformed"),
        (
            r#"{"name":"A","address":"B","productId":3,"quantity":1,"extra":true}"#.into(),
            422,
            "invalid",
        ),
        (r#"{"address":"B","productId":3,"quantity":1}"#.into(), 422, "invalid"),
        (
            r#"{"name":"A","address":"B","productId":3,"quantity":0}"#.into(),
            422,
            "invalid",
        ),
        (
            r#"{"name":"A","address":"B","productId":3,"quantity":-3}"#.into(),
            422,
            "invalid",
        ),
        (
            r#"{"name":"A","address":"B","productId":3,"quantity":100000}"#.into(),
            422,
            "invalid",
        ),
        (
            r#"{"name":"A","address":"B","productId":99,"quantity":1}"#.into(),
            422,
            "invalid",
        ),
        (
            format!(
                r#"{{"name":"A","address":"{}","productId":3,"quantity":1}}"#,
                "x".repeat(20_000)
            ),
            413,
            "too_large",
        ),
    ];
    let shop = shop();
    for (body, status, code) in cases {
        let (got, response) = shop.place(&body).await;
        assert_eq!((got, error_code(&response)), (status, code), "{body:.80} → {response}");
    }
    assert!(shop.orders.snapshot().is_empty(), "nothing stored");
    assert!(shop.nothing_sent(), "nothing published");
}

#[tokio::test]
async fn error_messages_name_the_problem() {
    let shop = shop();
    // Every problem of the body at once; the catalogue is consulted only for a well-formed one.
    let (_, response) = shop.place(r#"{"address":"B","productId":"pizza","quantity":0}"#).await;
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("name is required"), "{message}");
    assert!(message.contains("productId must be a whole number"), "{message}");
    assert!(message.contains("quantity must be between 1 and 20"), "{message}");
    let (_, response) = shop
        .place(r#"{"name":"A","address":"B","productId":99,"quantity":1}"#)
        .await;
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("unknown productId 99"), "{message}");
}

#[tokio::test]
async fn answers_json_and_accepts_base64_bodies() {
    let shop = shop();
    let mut request = http_request("POST", "/order", "/order", json!({}), None);
    request["body"] = json!(base64::engine::general_purpose::STANDARD.encode(SAMPLE_ORDER));
    request["isBase64Encoded"] = json!(true);
    let response = shop.place_order.handle(as_http(&request)).await;
    assert_eq!(response.status_code, 201);
    assert_eq!(header(&response, "content-type"), "application/json");
    let (_, bad) = shop.place("{").await;
    assert_eq!(error_code(&bad), "malformed");
}

#[tokio::test]
async fn a_stream_outage_after_the_order_is_stored_is_still_a_success() {
    let shop = shop();
    shop.stream.set_failing(true);
    let (status, response) = shop.place(SAMPLE_ORDER).await;
    assert_eq!(status, 201, "the order is stored, so it is accepted: {response}");
    assert_eq!(shop.orders.snapshot().len(), 1);
    assert_eq!(shop.orders.unpublished().len(), 1, "its event is owed by the outbox");
}

#[tokio::test]
async fn a_table_outage_stores_and_publishes_nothing() {
    let shop = shop();
    shop.orders.fail_next(1);
    let (status, _) = shop.place(SAMPLE_ORDER).await;
    assert_eq!(status, 500);
    assert!(shop.orders.snapshot().is_empty() && shop.nothing_sent());
}

#[tokio::test]
async fn delivery_confirmations_are_checked_before_anything_changes() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    let (other_id, other_token) = shop.place_sample().await;
    shop.stream.taken();
    let body = json!({ "orderId": order_id, "rating": 5 }).to_string();

    assert_eq!(shop.confirm(&body, None).await.0, 401);
    let (status, response) = shop.confirm(&body, Some(&other_token)).await;
    assert_eq!((status, error_code(&response)), (403, "forbidden"));
    let (status, response) = shop.confirm(&body, Some(&token)).await;
    assert_eq!(
        (status, error_code(&response)),
        (409, "illegal_transition"),
        "not out for delivery yet"
    );
    let (status, _) = shop
        .confirm(&json!({ "orderId": order_id, "rating": 9 }).to_string(), Some(&token))
        .await;
    assert_eq!(status, 422);
    let (status, _) = shop.confirm("{", Some(&token)).await;
    assert_eq!(status, 400);

    for id in [&order_id, &other_id] {
        let (_, order) = shop.read(id, Some(support::BAKER_KEY)).await;
        assert_eq!(order["status"], "placed");
    }
    assert!(shop.feedback_queue.taken().is_empty());
}

#[tokio::test]
async fn deeply_nested_and_huge_bodies_are_refused_quickly_on_every_route() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    shop.stream.taken();
    let nested_within_the_limit = "[".repeat(8_000);
    let nested_objects = r#"{"orderId":"#.repeat(1_000);
    let nested_beyond_the_limit = "[".repeat(100_000);
    let huge = format!(r#"{{"orderId":"{}"}}"#, "x".repeat(5 * 1024 * 1024));
    let cases = [
        (&nested_within_the_limit, 400, "malformed"),
        (&nested_objects, 400, "malformed"),
        (&nested_beyond_the_limit, 413, "too_large"),
        (&huge, 413, "too_large"),
    ];
    for (body, status, code) in cases {
        let started = std::time::Instant::now();
        let answers = [
            shop.place(body).await,
            shop.confirm(body, Some(&token)).await,
            support::status_and_json(
                &shop
                    .fulfill_order
                    .handle(as_http(&support::json_post(
                        "/order/fulfilled",
                        Some(support::BAKER_KEY),
                        body,
                    )))
                    .await,
            ),
        ];
        for (got, response) in answers {
            assert_eq!((got, error_code(&response)), (status, code), "{body:.20}… → {response}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "refused quickly, not after parsing {body:.20}…"
        );
    }
    let (_, order) = shop.read(&order_id, Some(support::BAKER_KEY)).await;
    assert_eq!(order["status"], "placed");
    assert_eq!(shop.orders.snapshot().len(), 1, "nothing else stored");
    assert!(shop.nothing_sent(), "nothing published or queued");
}
