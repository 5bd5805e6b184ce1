//! Kinesis and SQS batches: poison records, partial failures, redelivery. Failures are reported
//! per record, never as a panic, and a record handled twice has one effect.

use crate::support;

use crate::support::envelopes::{
    DELIVERY_QUEUE_ARN, FEEDBACK_QUEUE_ARN, as_kinesis, as_sqs, kinesis_event, kinesis_record, sqs_event, sqs_message,
};
use crate::support::{BAKER_KEY, Shop, failed_message_ids, failed_sequence_numbers};
use cakeshop_domain::{OrderEvent, OrderId};
use serde_json::json;

fn shop() -> Shop {
    Shop::new("2026-11-20T09:00:00Z", &["c1", "c2", "c3", "c4"])
}

fn sequence(n: u128) -> String {
    format!("4965{n:052}")
}

#[tokio::test]
async fn a_poison_record_holds_back_its_own_order_only_and_is_reported_alone() {
    let shop = shop();
    let (first, _) = shop.place_sample().await;
    let (second, _) = shop.place_sample().await;
    let placed = shop.stream.taken();
    // The poison shares the first order's partition key: that order's event behind it waits.
    let event = json!({ "Records": [
        kinesis_record(b"\x00not json at all", &first, 1, 0),
        kinesis_record(&placed[0].encode().expect("encodes"), &first, 2, 0),
        kinesis_record(&placed[1].encode().expect("encodes"), &second, 3, 0),
    ]});
    let response = shop.notify_baker.handle(as_kinesis(&event)).await;
    assert_eq!(failed_sequence_numbers(&response), vec![sequence(1)]);
    let sent = shop.mailer.sent.lock().expect("mailbox").clone();
    assert_eq!(
        sent.iter().map(|m| m.order_id.as_str()).collect::<Vec<_>>(),
        vec![second.as_str()],
        "the other order is handled at once; the one behind the poison waits for the replay"
    );

    // The replay from the failed record (as the mapping does) without the poison, once it has
    // gone to the on-failure destination, handles the rest; the second is not mailed twice.
    let replay = json!({ "Records": [
        kinesis_record(&placed[0].encode().expect("encodes"), &first, 2, 0),
        kinesis_record(&placed[1].encode().expect("encodes"), &second, 3, 0),
    ]});
    assert!(
        shop.notify_baker
            .handle(as_kinesis(&replay))
            .await
            .batch_item_failures
            .is_empty()
    );
    let sent = shop.mailer.sent.lock().expect("mailbox").clone();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].order_id.as_str(), first);
}

#[tokio::test]
async fn undecodable_and_newer_events_are_failures_other_kinds_are_skipped() {
    let shop = shop();
    for data in [
        &br#"{"type":"order_placed","schemaVersion":1}"#[..],
        br#"{"type":"order_placed","schemaVersion":7}"#,
    ] {
        let event = json!({ "Records": [kinesis_record(data, "k", 1, 0)] });
        assert_eq!(
            failed_sequence_numbers(&shop.notify_baker.handle(as_kinesis(&event)).await),
            vec![sequence(1)]
        );
    }
    let fulfilled = OrderEvent::order_fulfilled(
        &OrderId::parse("c9").expect("id"),
        support::fakes::parse_time("2026-11-20T09:00:00Z"),
    );
    let event = kinesis_event(&[fulfilled], 1, 0);
    assert!(
        shop.notify_baker
            .handle(as_kinesis(&event))
            .await
            .batch_item_failures
            .is_empty(),
        "not its kind"
    );
    assert!(shop.nothing_sent());
}

#[tokio::test]
async fn an_event_for_an_unknown_order_is_retried_not_dropped() {
    let shop = shop();
    let fulfilled = OrderEvent::order_fulfilled(
        &OrderId::parse("ghost").expect("id"),
        support::fakes::parse_time("2026-11-20T09:00:00Z"),
    );
    let response = shop
        .request_delivery
        .handle(as_kinesis(&kinesis_event(&[fulfilled], 1, 0)))
        .await;
    assert_eq!(failed_sequence_numbers(&response), vec![sequence(1)]);
}

#[tokio::test]
async fn request_delivery_reports_exactly_the_records_whose_requests_the_queue_refused() {
    let shop = shop();
    let mut events = Vec::new();
    for _ in 0..3 {
        let (order_id, _) = shop.place_sample().await;
        shop.fulfil(&order_id, Some(BAKER_KEY)).await;
        events.extend(
            shop.stream
                .taken()
                .into_iter()
                .filter(|e| e.kind() == cakeshop_domain::EventKind::OrderFulfilled),
        );
    }
    shop.delivery_queue.refuse_key(&sequence(2));
    let response = shop
        .request_delivery
        .handle(as_kinesis(&kinesis_event(&events, 1, 0)))
        .await;
    assert_eq!(failed_sequence_numbers(&response), vec![sequence(2)]);
    assert_eq!(shop.delivery_queue.taken().len(), 2);

    // The replay from the refused record sends its request; the one after it, already moved
    // but not yet known to the courier, is sent again (notify-delivery drops the repeat).
    shop.delivery_queue.accept_all();
    let response = shop
        .request_delivery
        .handle(as_kinesis(&kinesis_event(&events[1..], 2, 0)))
        .await;
    assert!(response.batch_item_failures.is_empty());
    let resent: Vec<String> = shop
        .delivery_queue
        .taken()
        .iter()
        .map(|body| {
            cakeshop_domain::DeliveryRequest::decode(body)
                .expect("request")
                .order_id
                .to_string()
        })
        .collect();
    let expected: Vec<String> = events[1..].iter().map(|e| e.order_id().to_string()).collect();
    assert_eq!(resent, expected);
}

#[tokio::test]
async fn a_wrongly_shaped_message_fails_alone_and_the_rest_of_the_batch_goes_through() {
    let shop = shop();
    let (order_id, _) = shop.order_out_for_delivery().await;
    let good = shop.delivery_queue.taken().pop().expect("a delivery request");
    let event = json!({ "Records": [
        sqs_message("{\"hello\":1}", DELIVERY_QUEUE_ARN, "m-bad-shape", 0),
        sqs_message("", DELIVERY_QUEUE_ARN, "m-empty", 0),
        sqs_message(&good, DELIVERY_QUEUE_ARN, "m-good", 0),
    ]});
    let response = shop.notify_delivery.handle(as_sqs(&event)).await;
    assert_eq!(failed_message_ids(&response), vec!["m-bad-shape", "m-empty"]);
    let calls = shop.delivery_company.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].idempotency_key, format!("delivery:{order_id}"));
}

#[tokio::test]
async fn partner_failures_are_retried_and_a_duplicate_in_the_same_batch_calls_once() {
    let shop = shop();
    let (order_id, _) = shop.order_out_for_delivery().await;
    let request = shop.delivery_queue.taken().pop().expect("a delivery request");
    let single = sqs_event(std::slice::from_ref(&request), DELIVERY_QUEUE_ARN, "d", 0);

    for status in [503, 429, 400] {
        shop.delivery_company.answer_next_with(status);
        let response = shop.notify_delivery.handle(as_sqs(&single)).await;
        assert_eq!(failed_message_ids(&response).len(), 1, "HTTP {status} is a failure");
    }
    let (_, order) = shop.read(&order_id, Some(BAKER_KEY)).await;
    assert!(
        !order.to_string().contains("courier_notified"),
        "nothing recorded while the partner refused"
    );

    let twice = sqs_event(&[request.clone(), request], DELIVERY_QUEUE_ARN, "d", 0);
    assert!(
        shop.notify_delivery
            .handle(as_sqs(&twice))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(shop.delivery_company.calls().len(), 1, "one call for the two copies");
    let failed = cakeshop_ports::Metric::PartnerFailed { partner: "delivery" };
    let partner_metrics: Vec<_> = shop
        .metrics
        .of(&order_id)
        .into_iter()
        .filter(|m| m.name() == "PartnerFailures")
        .collect();
    assert_eq!(
        partner_metrics, [failed; 3],
        "each failed call counted once, the success not"
    );
    assert!(
        shop.read(&order_id, Some(BAKER_KEY))
            .await
            .1
            .to_string()
            .contains("courier_notified")
    );
}

#[tokio::test]
async fn feedback_for_an_unknown_order_fails_and_calls_nobody() {
    let shop = shop();
    let body = json!({
        "feedbackId": "feedback:ghost", "schemaVersion": 1, "orderId": "ghost",
        "customerName": "Nobody", "rating": 1, "deliveredAt": "2026-11-20T09:00:00Z"
    })
    .to_string();
    let response = shop
        .forward_feedback
        .handle(as_sqs(&sqs_event(&[body], FEEDBACK_QUEUE_ARN, "f", 0)))
        .await;
    assert_eq!(failed_message_ids(&response).len(), 1);
    assert!(shop.customer_service.calls().is_empty());
}

#[tokio::test]
async fn a_table_outage_fails_its_record_and_the_replay_from_there_mails_each_order_once() {
    let shop = shop();
    shop.place_sample().await;
    shop.place_sample().await;
    let placed = shop.stream.taken();
    shop.orders.fail_next(1);
    let event = kinesis_event(&placed, 1, 0);
    let response = shop.notify_baker.handle(as_kinesis(&event)).await;
    assert_eq!(failed_sequence_numbers(&response), vec![sequence(1)]);
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        1,
        "the other order's email went out"
    );
    let replay = shop.notify_baker.handle(as_kinesis(&event)).await;
    assert!(replay.batch_item_failures.is_empty());
    let sent = shop.mailer.sent.lock().expect("mailbox").clone();
    let mut mailed: Vec<_> = sent.iter().map(|m| m.order_id.clone()).collect();
    mailed.sort();
    mailed.dedup();
    assert_eq!((sent.len(), mailed.len()), (2, 2), "each order mailed once");
}
