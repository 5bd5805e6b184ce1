//! `POST /order/cancelled`: the customer cancels their placed order, or the baker declines it.
//! The cakes go back to the day, `order_cancelled` goes on the stream, the baker hears of a
//! customer's cancel once, and a cancelled order is never baked, fulfilled or delivered.
//! Racing the baker's "cake is ready", exactly one of the two happens.

use crate::support;

use crate::support::envelopes::{as_http, as_kinesis, kinesis_event};
use crate::support::{BAKER_KEY, SIGNING_SECRET, Shop, day, error_code};
use cakeshop_domain::{EventKind, OrderId, Status, Step};
use cakeshop_handlers::functions::{CancelOrderFunction, FulfillOrderFunction, Function};
use serde_json::json;
use std::sync::Arc;

const START: &str = "2026-11-20T09:00:00Z";

fn shop() -> Shop {
    Shop::new(START, &["x1", "x2", "x3", "x4"])
}

fn id(text: &str) -> OrderId {
    OrderId::parse(text).expect("valid id")
}

fn emails(shop: &Shop) -> Vec<cakeshop_ports::Email> {
    shop.mailer.sent.lock().expect("mailbox").clone()
}

#[tokio::test]
async fn a_customer_cancels_the_cakes_go_back_and_the_baker_is_told_once() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    shop.drain_stream().await;
    assert_eq!(shop.orders.booked_days(), [(day("2026-11-21"), 1)].into());

    shop.clock.set("2026-11-20T10:00:00Z");
    let (status, order) = shop.cancel(&order_id, Some("Wrong day, sorry"), Some(&token)).await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "cancelled");
    assert_eq!(
        order["cancellation"],
        json!({ "by": "customer", "reason": "Wrong day, sorry" })
    );
    assert!(shop.orders.booked_days().is_empty(), "the cake is back on its day");
    assert_eq!(shop.read(&order_id, Some(&token)).await.1["status"], "cancelled");

    let events = shop.stream.taken();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind(), events[0].event_id()),
        (EventKind::OrderCancelled, "order_cancelled:x1")
    );
    assert!(shop.orders.unpublished().is_empty());

    // A repeat answers the same and announces again, under the same event id.
    let (status, again) = shop.cancel(&order_id, None, Some(&token)).await;
    assert_eq!((status, &again), (200, &order));
    let repeated = shop.stream.taken();
    assert_eq!(repeated, events, "the same fact announced again");

    let batch = as_kinesis(&kinesis_event(&[events, repeated].concat(), 10, 0));
    for _ in 0..2 {
        assert!(
            shop.notify_baker
                .handle(batch.clone())
                .await
                .batch_item_failures
                .is_empty()
        );
    }
    let sent = emails(&shop);
    assert_eq!(sent.len(), 2, "the new order's email and one about its cancellation");
    assert!(
        sent[1].subject.starts_with("Cancelled: order x1"),
        "{}",
        sent[1].subject
    );
    assert!(sent[1].text.contains("Wrong day, sorry"));
    assert_eq!(sent[1].idempotency_key, "order_cancelled:x1");
    let stored = &shop.orders.snapshot()[&id("x1")];
    assert_eq!(
        stored.step_time(Step::CancellationNotified),
        Some(support::fakes::parse_time("2026-11-20T10:00:00Z"))
    );
}

#[tokio::test]
async fn the_baker_declines_with_the_key_and_no_email_tells_them_what_they_did() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    shop.drain_stream().await;
    let (status, order) = shop
        .cancel(&order_id, Some("No cherries this week"), Some(BAKER_KEY))
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["cancellation"]["by"], "baker");
    let events = shop.stream.taken();
    assert_eq!(
        events.iter().map(|e| e.kind()).collect::<Vec<_>>(),
        vec![EventKind::OrderCancelled]
    );
    let response = shop
        .notify_baker
        .handle(as_kinesis(&kinesis_event(&events, 10, 0)))
        .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(emails(&shop).len(), 1, "only the new order's email");
    assert!(!shop.orders.snapshot()[&id("x1")].has_step(Step::CancellationNotified));
    assert!(shop.orders.booked_days().is_empty());
}

#[tokio::test]
async fn a_cancel_before_the_baker_heard_of_the_order_sends_no_new_order_email() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    assert_eq!(shop.cancel(&order_id, None, Some(&token)).await.0, 200);
    // order_placed reaches notify-baker only now, behind the cancel.
    let events = shop.stream.taken();
    let placed: Vec<_> = events
        .iter()
        .filter(|e| e.kind() == EventKind::OrderPlaced)
        .cloned()
        .collect();
    assert!(
        shop.notify_baker
            .handle(as_kinesis(&kinesis_event(&placed, 10, 0)))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(emails(&shop).is_empty(), "no link to press for a cancelled order");
}

#[tokio::test]
async fn refused_cancels_write_nothing() {
    let shop = shop();
    let (mine, my_token) = shop.place_sample().await;
    let (fulfilled, fulfilled_token) = shop.place_sample().await;
    assert_eq!(shop.fulfil(&fulfilled, Some(BAKER_KEY)).await.0, 200);
    let (out, out_token) = shop.order_out_for_delivery().await;
    shop.stream.taken();
    shop.delivery_queue.taken();
    let link = cakeshop_handlers::Signer::new(SIGNING_SECRET)
        .baker_link_token(&id(&mine), support::fakes::parse_time("2026-11-27T00:00:00Z"));
    let before = shop.written();

    let cases: Vec<(&str, &str, Option<&str>, i64, &str)> = vec![
        ("no token", &mine, None, 401, "unauthorized"),
        ("someone else's order", &mine, Some(&fulfilled_token), 403, "forbidden"),
        ("a junk token", &mine, Some("not-a-token"), 403, "forbidden"),
        (
            "a baker link is not the baker's key",
            &mine,
            Some(&link),
            403,
            "forbidden",
        ),
        (
            "a fulfilled order",
            &fulfilled,
            Some(&fulfilled_token),
            409,
            "illegal_transition",
        ),
        (
            "a fulfilled order, by the baker",
            &fulfilled,
            Some(BAKER_KEY),
            409,
            "illegal_transition",
        ),
        (
            "an order out for delivery",
            &out,
            Some(&out_token),
            409,
            "illegal_transition",
        ),
        ("an unknown order", "nosuchorder", Some(BAKER_KEY), 404, "not_found"),
    ];
    for (what, order_id, bearer, status, code) in cases {
        let (got, body) = shop.cancel(order_id, None, bearer).await;
        assert_eq!((got, error_code(&body)), (status, code), "{what}: {body}");
        assert!(!body.to_string().contains("Ada"), "{what}: nothing of the order leaks");
        assert_eq!(shop.written(), before, "{what} wrote something");
    }
    for bad in ["{", r#"{"orderId":"A B"}"#, r#"{"orderId":"x1","why":"x"}"#] {
        let request = support::json_post("/order/cancelled", Some(&my_token), bad);
        let (status, body) = support::status_and_json(&shop.cancel_order.handle(as_http(&request)).await);
        assert!([400, 422].contains(&status), "{bad}: {status} {body}");
        error_code(&body);
    }
    assert_eq!(shop.written(), before);
}

#[tokio::test]
async fn a_cancelled_order_is_never_fulfilled_or_delivered() {
    let shop = shop();
    let (order_id, token) = shop.place_sample().await;
    shop.drain_stream().await;
    assert_eq!(shop.cancel(&order_id, None, Some(&token)).await.0, 200);
    shop.stream.taken();
    let before = shop.written();

    let (status, body) = shop.fulfil(&order_id, Some(BAKER_KEY)).await;
    assert_eq!((status, error_code(&body)), (409, "illegal_transition"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cancelled")
    );
    let confirm = json!({ "orderId": order_id }).to_string();
    assert_eq!(shop.confirm(&confirm, Some(&token)).await.0, 409);

    // A stray order_fulfilled (replayed, forged) is acknowledged and requests nothing.
    let stray = cakeshop_domain::OrderEvent::order_fulfilled(&id(&order_id), support::fakes::parse_time(START));
    let response = shop
        .request_delivery
        .handle(as_kinesis(&kinesis_event(&[stray], 20, 0)))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(shop.written(), before, "nothing moved, nothing sent");
    assert_eq!(shop.orders.snapshot()[&id(&order_id)].status, Status::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_and_fulfil_racing_have_exactly_one_outcome() {
    const ORDERS: usize = 24;
    let ids: Vec<&'static str> = (0..ORDERS)
        .map(|n| &*Box::leak(format!("race-{n}").into_boxed_str()))
        .collect();
    let shop = Shop::new(START, &ids);
    let mut tokens = Vec::new();
    for _ in 0..ORDERS {
        tokens.push(shop.place_sample().await);
    }
    shop.stream.taken();
    let cancel = Arc::new(CancelOrderFunction::build(&shop.ports).expect("builds on the test ports"));
    let fulfil = Arc::new(FulfillOrderFunction::build(&shop.ports).expect("builds on the test ports"));

    let mut racers = Vec::new();
    for (order_id, token) in &tokens {
        let cancel_request = support::json_post(
            "/order/cancelled",
            Some(token),
            &json!({ "orderId": order_id }).to_string(),
        );
        let fulfil_request = support::json_post(
            "/order/fulfilled",
            Some(BAKER_KEY),
            &json!({ "orderId": order_id }).to_string(),
        );
        let (cancel, fulfil) = (cancel.clone(), fulfil.clone());
        let cancelling = tokio::spawn(async move { cancel.handle(as_http(&cancel_request)).await.status_code });
        let fulfilling = tokio::spawn(async move { fulfil.handle(as_http(&fulfil_request)).await.status_code });
        racers.push((order_id.clone(), cancelling, fulfilling));
    }
    let mut fulfilled = Vec::new();
    for (order_id, cancelling, fulfilling) in racers {
        let outcome = (cancelling.await.expect("no panic"), fulfilling.await.expect("no panic"));
        let stored = &shop.orders.snapshot()[&id(&order_id)];
        match outcome {
            (200, 409) => {
                assert_eq!(stored.status, Status::Cancelled, "{order_id}");
                assert!(!stored.has_step(Step::Fulfilled), "{order_id}");
            }
            (409, 200) => {
                assert_eq!(stored.status, Status::Fulfilled, "{order_id}");
                assert_eq!(stored.cancellation, None, "{order_id}");
                fulfilled.push(order_id);
            }
            other => panic!("{order_id}: exactly one of cancel and fulfil wins, got {other:?}"),
        }
    }
    assert!(fulfilled.len() < ORDERS, "some cancels won (else the race was not run)");
    // 20 on the 21st, the rest on the 22nd.
    assert_eq!(
        shop.orders.booked_days().values().sum::<u32>() as usize,
        fulfilled.len(),
        "only the fulfilled orders keep their cakes"
    );

    shop.drain_stream().await;
    let mut delivered: Vec<String> = shop
        .delivery_queue
        .taken()
        .iter()
        .map(|body| {
            cakeshop_domain::DeliveryRequest::decode(body)
                .expect("a request")
                .order_id
                .to_string()
        })
        .collect();
    delivered.sort();
    fulfilled.sort();
    assert_eq!(
        delivered, fulfilled,
        "a delivery for each fulfilled order and none for a cancelled one"
    );
}
