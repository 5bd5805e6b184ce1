//! Nothing lost between the two writes, nothing twice for a repeated request: the
//! `Idempotency-Key` on `POST /order`, the outbox marks and the relay, with the stream failing
//! at the moment a crash would strike.

use crate::support::{BAKER_KEY, SAMPLE_ORDER, Shop, error_code};
use cakeshop_domain::{EventKind, OrderEvent, OrderId, Status};
use serde_json::Value;

const START: &str = "2026-11-20T09:00:00.000Z";
const OTHER_ORDER: &str = r#"{"name":"Grace Hopper","address":"1 Compiler Way","productId":2,"quantity":2}"#;

fn id(text: &str) -> OrderId {
    OrderId::parse(text).expect("valid id")
}

fn kinds(events: &[OrderEvent]) -> Vec<(String, EventKind)> {
    events
        .iter()
        .map(|event| (event.order_id().to_string(), event.kind()))
        .collect()
}

#[tokio::test]
async fn a_repeated_request_gets_the_same_order_and_the_baker_one_email() {
    let shop = Shop::new(START, &[]);
    let (first_status, first) = shop.place_with_key(SAMPLE_ORDER, "9b2f0c1e-key-one").await;
    // Same fields, other order and spacing: the same request.
    let reordered = r#"{ "quantity": 1, "productId": 1, "address": "12 Analytical Street, London N1 9GU", "name": "Ada Lovelace" }"#;
    let (repeat_status, repeat) = shop.place_with_key(reordered, "9b2f0c1e-key-one").await;

    assert_eq!((first_status, repeat_status), (201, 201), "{first} {repeat}");
    assert_eq!(first["orderId"], repeat["orderId"]);
    assert_eq!(first["customerToken"], repeat["customerToken"]);
    assert_eq!(shop.orders.snapshot().len(), 1, "one order stored");

    shop.drain_stream().await;
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        1,
        "one email to the baker"
    );
    assert!(shop.orders.unpublished().is_empty());
}

#[tokio::test]
async fn the_same_key_for_a_different_order_is_refused_and_changes_nothing() {
    let shop = Shop::new(START, &[]);
    let (_, first) = shop.place_with_key(SAMPLE_ORDER, "key-two").await;
    shop.stream.taken();
    let before = shop.orders.snapshot();

    let (status, body) = shop.place_with_key(OTHER_ORDER, "key-two").await;

    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "idempotency_conflict");
    assert_eq!(shop.orders.snapshot(), before, "the stored order is untouched");
    assert!(shop.stream.taken().is_empty(), "nothing published");
    assert_ne!(first["orderId"], Value::Null);
}

#[tokio::test]
async fn without_a_key_every_request_is_a_new_order() {
    let shop = Shop::new(START, &["order-a", "order-b"]);
    assert_eq!(shop.place(SAMPLE_ORDER).await.1["orderId"], "order-a");
    assert_eq!(shop.place(SAMPLE_ORDER).await.1["orderId"], "order-b");
}

#[tokio::test]
async fn a_malformed_key_is_refused_before_anything_is_written() {
    let shop = Shop::new(START, &["order-a"]);
    for key in ["", "has space", &"k".repeat(256), "tab\tkey", "ключ"] {
        let (status, body) = shop.place_with_key(SAMPLE_ORDER, key).await;
        assert_eq!(status, 400, "{key:?}: {body}");
        assert_eq!(error_code(&body), "invalid_idempotency_key");
    }
    assert!(shop.orders.snapshot().is_empty() && shop.nothing_sent());
}

#[tokio::test]
async fn keys_map_to_order_ids_that_reveal_nothing_and_do_not_collide() {
    let shop = Shop::new(START, &[]);
    let (_, one) = shop.place_with_key(SAMPLE_ORDER, "key-a").await;
    let (_, two) = shop.place_with_key(SAMPLE_ORDER, "key-b").await;
    let one = one["orderId"].as_str().expect("id").to_owned();
    assert_ne!(Value::String(one.clone()), two["orderId"]);
    assert!(!one.contains("key"), "the id is not the key: {one}");
}

#[tokio::test]
async fn an_order_stored_is_accepted_even_if_its_publish_fails_and_a_retry_publishes_it() {
    let shop = Shop::new(START, &[]);
    shop.stream.set_failing(true);
    let (status, body) = shop.place_with_key(SAMPLE_ORDER, "retry-me").await;
    assert_eq!(status, 201, "stored means accepted, whatever the stream did: {body}");
    let stored: Vec<_> = shop.orders.snapshot().into_keys().collect();
    assert_eq!(stored.len(), 1, "the order was stored before the stream failed");
    assert_eq!(
        shop.orders.unpublished(),
        vec![(stored[0].clone(), EventKind::OrderPlaced)]
    );

    shop.stream.set_failing(false);
    let (status, body) = shop.place_with_key(SAMPLE_ORDER, "retry-me").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["orderId"], stored[0].as_str());
    assert_eq!(
        kinds(&shop.stream.events.lock().expect("stream")),
        vec![(stored[0].to_string(), EventKind::OrderPlaced)]
    );
    assert!(
        shop.orders.unpublished().is_empty(),
        "the mark is cleared once published"
    );
    shop.drain_stream().await;
    assert_eq!(shop.mailer.sent.lock().expect("mailbox").len(), 1);
}

#[tokio::test]
async fn the_relay_publishes_what_a_crash_left_unpublished_without_any_client_help() {
    let shop = Shop::new(START, &["lost-order"]);
    shop.stream.set_failing(true);
    assert_eq!(shop.place(SAMPLE_ORDER).await.0, 201);
    shop.stream.set_failing(false);

    // Within the grace period a request may still be publishing: the relay leaves it alone.
    shop.clock.set("2026-11-20T09:00:05.000Z");
    assert_eq!(shop.relay_events.relay_due().await.expect("relay").published, 0);
    assert!(shop.stream.events.lock().expect("stream").is_empty());

    shop.clock.set("2026-11-20T09:00:11.000Z");
    let report = shop.relay_events.relay_due().await.expect("relay");
    assert_eq!(report.published, 1);
    let relayed = shop.stream.events.lock().expect("stream").clone();
    assert_eq!(kinds(&relayed), vec![("lost-order".into(), EventKind::OrderPlaced)]);
    assert_eq!(
        relayed[0].event_id(),
        "order_placed:lost-order",
        "the same id a first attempt uses"
    );
    assert!(shop.orders.unpublished().is_empty());
    shop.drain_stream().await;
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        1,
        "the baker hears of it"
    );

    // Same for the fulfilment: stored, then the stream fails.
    shop.stream.set_failing(true);
    assert_eq!(shop.fulfil("lost-order", Some(BAKER_KEY)).await.0, 200);
    shop.stream.set_failing(false);
    let order = shop.orders.snapshot()[&id("lost-order")].clone();
    assert_eq!(order.status, Status::Fulfilled);
    shop.clock.set("2026-11-20T09:00:30.000Z");
    assert_eq!(shop.relay_events.relay_due().await.expect("relay").published, 1);
    shop.drain_stream().await;
    assert_eq!(
        shop.delivery_queue.messages.lock().expect("queue").len(),
        1,
        "delivery requested once"
    );
    assert_eq!(
        shop.relay_events.relay_due().await.expect("relay"),
        Default::default(),
        "nothing left"
    );
}

#[tokio::test]
async fn a_relay_that_cannot_publish_fails_and_keeps_the_mark() {
    let shop = Shop::new(START, &["stuck-order"]);
    shop.stream.set_failing(true);
    assert_eq!(shop.place(SAMPLE_ORDER).await.0, 201);
    shop.clock.set("2026-11-20T09:05:00.000Z");
    assert!(shop.relay_events.relay_due().await.is_err());
    assert_eq!(
        shop.orders.unpublished(),
        vec![(id("stuck-order"), EventKind::OrderPlaced)]
    );
}

#[tokio::test]
async fn a_cancellation_stored_is_accepted_even_if_its_publish_fails() {
    let shop = Shop::new(START, &["cancelled-order"]);
    assert_eq!(shop.place(SAMPLE_ORDER).await.0, 201);
    shop.stream.set_failing(true);
    let (status, body) = shop
        .cancel("cancelled-order", Some("changed my mind"), Some(BAKER_KEY))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(shop.orders.snapshot()[&id("cancelled-order")].status, Status::Cancelled);
    assert_eq!(
        shop.orders.unpublished(),
        vec![(id("cancelled-order"), EventKind::OrderCancelled)],
        "the outbox owes its event"
    );
}

#[tokio::test]
async fn a_baker_link_works_once() {
    let shop = Shop::new(START, &["linked-order"]);
    shop.place_sample().await;
    shop.drain_stream().await;
    let email = shop.mailer.sent.lock().expect("mailbox")[0].clone();
    let start = email.text.find("token=").expect("a link") + "token=".len();
    let token: String = email.text[start..].chars().take_while(|c| !c.is_whitespace()).collect();

    assert_eq!(shop.fulfil("linked-order", Some(&token)).await.0, 200);
    let (status, body) = shop.fulfil("linked-order", Some(&token)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        kinds(&shop.stream.taken()),
        vec![("linked-order".into(), EventKind::OrderFulfilled)],
        "one fulfilment announced"
    );
}
