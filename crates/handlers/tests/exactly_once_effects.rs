//! At-least-once delivery, one effect: the same stream record delivered again, the same event
//! written again under a new sequence number, and an SQS message back after its visibility
//! timeout each leave one email, one delivery call and one feedback call per order. The order's
//! history step for each effect is the idempotency record of the event that causes it.

use crate::support::envelopes::{DELIVERY_QUEUE_ARN, FEEDBACK_QUEUE_ARN, as_kinesis, as_sqs, kinesis_event, sqs_event};
use crate::support::{BAKER_KEY, Shop};

fn shop() -> Shop {
    Shop::new("2026-11-20T09:00:00Z", &["once-1", "once-2"])
}

fn emails(shop: &Shop) -> usize {
    shop.mailer.sent.lock().expect("mailbox").len()
}

#[tokio::test]
async fn the_same_record_delivered_twice_sends_one_email() {
    let shop = shop();
    shop.place_sample().await;
    let batch = as_kinesis(&kinesis_event(&shop.stream.taken(), 100, 0));
    for _ in 0..2 {
        assert!(
            shop.notify_baker
                .handle(batch.clone())
                .await
                .batch_item_failures
                .is_empty()
        );
    }
    assert_eq!(emails(&shop), 1);
}

#[tokio::test]
async fn the_same_event_written_again_under_new_sequence_numbers_sends_one_email_and_one_delivery_request() {
    let shop = shop();
    let (order_id, _) = shop.place_sample().await;
    let placed = shop.stream.taken();
    // A producer retry: the same event twice in one batch, and again in a later batch.
    let doubled = [placed.clone(), placed.clone()].concat();
    shop.notify_baker
        .handle(as_kinesis(&kinesis_event(&doubled, 100, 0)))
        .await;
    shop.notify_baker
        .handle(as_kinesis(&kinesis_event(&placed, 200, 0)))
        .await;
    assert_eq!(emails(&shop), 1);

    assert_eq!(shop.fulfil(&order_id, Some(BAKER_KEY)).await.0, 200);
    let fulfilled = shop.stream.taken();
    let doubled = [fulfilled.clone(), fulfilled.clone()].concat();
    shop.request_delivery
        .handle(as_kinesis(&kinesis_event(&doubled, 300, 0)))
        .await;
    let requests = shop.delivery_queue.taken();
    // Until the courier is notified a repeat may queue the request again; the courier is
    // called once whatever the number of copies.
    let response = shop
        .notify_delivery
        .handle(as_sqs(&sqs_event(&requests, DELIVERY_QUEUE_ARN, "d", 0)))
        .await;
    assert!(response.batch_item_failures.is_empty());
    shop.request_delivery
        .handle(as_kinesis(&kinesis_event(&fulfilled, 400, 0)))
        .await;
    assert!(
        shop.delivery_queue.taken().is_empty(),
        "once the courier is notified, a repeat queues nothing"
    );
    assert_eq!(shop.delivery_company.calls().len(), 1);
}

#[tokio::test]
async fn a_message_back_after_its_visibility_timeout_calls_each_partner_once() {
    let shop = shop();
    let (order_id, token) = shop.order_out_for_delivery().await;
    let request = shop.delivery_queue.taken();
    // The first receive did the work but its delete was lost; the message comes back.
    for receive in ["first", "again"] {
        let event = as_sqs(&sqs_event(&request, DELIVERY_QUEUE_ARN, receive, 0));
        assert!(shop.notify_delivery.handle(event).await.batch_item_failures.is_empty());
    }
    assert_eq!(shop.delivery_company.calls().len(), 1);

    let confirmation = serde_json::json!({ "orderId": order_id, "rating": 5, "feedback": "Lovely" }).to_string();
    assert_eq!(shop.confirm(&confirmation, Some(&token)).await.0, 200);
    let feedback = shop.feedback_queue.taken();
    for receive in ["first", "again"] {
        let event = as_sqs(&sqs_event(&feedback, FEEDBACK_QUEUE_ARN, receive, 0));
        assert!(shop.forward_feedback.handle(event).await.batch_item_failures.is_empty());
    }
    assert_eq!(shop.customer_service.calls().len(), 1);
}
