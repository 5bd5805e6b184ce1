//! One order walked from `POST /order` to feedback forwarded through all seven handlers, each
//! fed the sample event in `events/` that the previous handler's output makes; and one placed
//! the same way, then cancelled by its customer, told to the baker and never delivered.

use crate::support::envelopes::{
    DELIVERY_QUEUE_ARN, FEEDBACK_QUEUE_ARN, as_http, as_kinesis, as_sqs, http_request, kinesis_event, traced_sqs_event,
};
use crate::support::fakes::parse_time;
use crate::support::{BAKER_EMAIL, BAKER_KEY, PUBLIC_BASE_URL, SENDER_EMAIL, Shop, fixtures, status_and_json};
use cakeshop_domain::{DeliveryRequest, EventKind, FeedbackMessage, Step, TraceParent};
use cakeshop_ports::Metric;
use serde_json::json;

const ORDER_ID: &str = "3f9c2a7e5b1d4e6f8a0b2c4d6e8f0a1b";

fn millis(rfc3339: &str) -> i64 {
    parse_time(rfc3339).unix_millis()
}

/// The trace of the `traceparent` header in events/place-order.json.
const CALLERS_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

/// A hop's `traceparent` continues the trace the caller started placing the order.
fn assert_in_the_callers_trace(traceparent: Option<&str>, what: &str) {
    let parent = traceparent.and_then(TraceParent::parse);
    assert_eq!(
        parent.map(|parent| parent.trace_id.to_string()).as_deref(),
        Some(CALLERS_TRACE),
        "{what} carries {traceparent:?}"
    );
}

fn seconds(rfc3339: &str) -> i64 {
    parse_time(rfc3339).unix_seconds()
}

#[tokio::test]
async fn one_order_walks_from_post_order_to_feedback_forwarded() {
    let shop = Shop::new("2026-11-20T09:00:00Z", &[ORDER_ID]);

    // 1. place-order: the customer's POST /order.
    let response = shop
        .place_order
        .handle(as_http(&fixtures::read("place-order.json")))
        .await;
    let (status, placed) = status_and_json(&response);
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["orderId"], ORDER_ID);
    assert_eq!(placed["status"], "placed");
    assert_eq!(placed["totalCents"], 3450);
    assert_eq!(
        placed["deliveryDate"], "2026-11-21",
        "before the 18:00 cut-off, tomorrow is the earliest day"
    );
    let customer_token = placed["customerToken"].as_str().expect("a customer token").to_owned();
    let published = shop.stream.taken();
    assert_eq!(published.len(), 1);
    assert_eq!(
        (published[0].kind(), published[0].partition_key()),
        (EventKind::OrderPlaced, ORDER_ID)
    );
    assert_eq!(
        placed["traceId"], CALLERS_TRACE,
        "the order continues the caller's traceparent"
    );
    let record_trace = published[0].traceparent().map(|trace| trace.to_string());
    assert_in_the_callers_trace(record_trace.as_deref(), "the order_placed record");
    let placed_record = kinesis_event(&published, 1, seconds("2026-11-20T09:00:00Z"));
    fixtures::check("notify-baker.json", &placed_record);
    // notify-customer reads the same stream record.
    fixtures::check("notify-customer.json", &placed_record);

    // The day's capacity shows the cake taken (manage-shop's GET /availability).
    let mut availability = http_request("GET", "/availability", "/availability", json!({}), None);
    availability["rawQueryString"] = json!("days=7");
    availability["queryStringParameters"] = json!({ "days": "7" });
    fixtures::check("manage-shop.json", &availability);
    let response = shop
        .manage_shop
        .handle(as_http(&fixtures::read("manage-shop.json")))
        .await;
    let (status, days) = status_and_json(&response);
    assert_eq!(status, 200, "{days}");
    assert_eq!(
        days["days"][0],
        json!({ "date": "2026-11-21", "capacity": 20, "booked": 1, "left": 19 })
    );
    assert_eq!(days["days"].as_array().map(Vec::len), Some(7));

    // 2. notify-baker: the order_placed record becomes an email to the baker.
    shop.clock.set("2026-11-20T09:00:02Z");
    let response = shop
        .notify_baker
        .handle(as_kinesis(&fixtures::read("notify-baker.json")))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let emails = shop.mailer.sent.lock().expect("mailbox").clone();
    assert_eq!(emails.len(), 1);
    let email = &emails[0];
    assert_eq!((email.to.as_str(), email.from.as_str()), (BAKER_EMAIL, SENDER_EMAIL));
    assert_eq!(email.subject, format!("New order {ORDER_ID}: 1 × Chocolate fudge cake"));
    for detail in [
        "Ada Lovelace",
        "12 Analytical Street, London N1 9GU",
        "Happy birthday, Charles!",
        "€34.50",
        "2026-11-21",
    ] {
        assert!(
            email.text.contains(detail) && email.html.contains(detail),
            "email shows {detail}"
        );
    }
    let link_prefix = format!("{PUBLIC_BASE_URL}/order/fulfilled?token={ORDER_ID}.");
    assert!(
        email.text.contains(&link_prefix),
        "email links to the confirmation page: {}",
        email.text
    );

    // notify-customer: the same record becomes the customer's confirmation with the tracking link.
    shop.clock.set("2026-11-20T09:00:03Z");
    let response = shop
        .notify_customer
        .handle(as_kinesis(&fixtures::read("notify-customer.json")))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let emails = shop.mailer.sent.lock().expect("mailbox").clone();
    let to_customer: Vec<_> = emails.iter().filter(|email| email.to == "ada@example.com").collect();
    assert_eq!(to_customer.len(), 1, "one confirmation to the customer");
    let tracking_link = format!("{PUBLIC_BASE_URL}/track/{ORDER_ID}?t={customer_token}");
    assert!(
        to_customer[0].text.contains(&tracking_link),
        "the confirmation links the tracking page: {}",
        to_customer[0].text
    );

    // 3. fulfill-order: the baker says the cake is ready.
    let fulfil = http_request(
        "POST",
        "/order/fulfilled",
        "/order/fulfilled",
        json!({ "authorization": format!("Bearer {BAKER_KEY}"), "content-type": "application/json" }),
        Some(&json!({ "orderId": ORDER_ID }).to_string()),
    );
    fixtures::check("fulfill-order.json", &fulfil);
    shop.clock.set("2026-11-20T13:30:00Z");
    let response = shop
        .fulfill_order
        .handle(as_http(&fixtures::read("fulfill-order.json")))
        .await;
    let (status, fulfilled) = status_and_json(&response);
    assert_eq!(
        (status, &fulfilled["status"]),
        (200, &json!("fulfilled")),
        "{fulfilled}"
    );
    let published = shop.stream.taken();
    assert_eq!(published.len(), 1);
    assert_eq!(
        (published[0].kind(), published[0].partition_key()),
        (EventKind::OrderFulfilled, ORDER_ID)
    );
    fixtures::check(
        "request-delivery.json",
        &kinesis_event(&published, 2, seconds("2026-11-20T13:30:00Z")),
    );

    // 4. request-delivery: the order_fulfilled record becomes a delivery request.
    shop.clock.set("2026-11-20T13:30:01Z");
    let response = shop
        .request_delivery
        .handle(as_kinesis(&fixtures::read("request-delivery.json")))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let messages = shop.delivery_queue.taken_with_traces();
    let bodies: Vec<String> = messages.iter().map(|(body, _)| body.clone()).collect();
    assert_eq!(bodies.len(), 1);
    assert_in_the_callers_trace(messages[0].1.as_deref(), "the delivery request");
    let request = DeliveryRequest::decode(&bodies[0]).expect("a delivery request");
    assert_eq!(request.address, "12 Analytical Street, London N1 9GU");
    fixtures::check(
        "notify-delivery.json",
        &traced_sqs_event(
            &messages,
            DELIVERY_QUEUE_ARN,
            "7b0f3c1e-9d4a-4c2b-8e71",
            millis("2026-11-20T13:30:01Z"),
        ),
    );

    // 5. notify-delivery: the delivery company is called.
    shop.clock.set("2026-11-20T13:30:03Z");
    let response = shop
        .notify_delivery
        .handle(as_sqs(&fixtures::read("notify-delivery.json")))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let calls = shop.delivery_company.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].idempotency_key, format!("delivery:{ORDER_ID}"));
    assert_eq!(
        calls[0].body, bodies[0],
        "the partner gets the delivery request as queued"
    );

    // 6. confirm-delivery: the customer confirms with their token, a rating and feedback.
    let confirm = http_request(
        "POST",
        "/order/delivered",
        "/order/delivered",
        json!({ "authorization": format!("Bearer {customer_token}"), "content-type": "application/json" }),
        Some(
            &json!({ "orderId": ORDER_ID, "rating": 5, "feedback": "Rich, moist and gone in ten minutes." })
                .to_string(),
        ),
    );
    fixtures::check("confirm-delivery.json", &confirm);
    shop.clock.set("2026-11-20T16:45:00Z");
    let response = shop
        .confirm_delivery
        .handle(as_http(&fixtures::read("confirm-delivery.json")))
        .await;
    let (status, delivered) = status_and_json(&response);
    assert_eq!(
        (status, &delivered["status"]),
        (200, &json!("delivered")),
        "{delivered}"
    );
    let messages = shop.feedback_queue.taken_with_traces();
    let bodies: Vec<String> = messages.iter().map(|(body, _)| body.clone()).collect();
    assert_eq!(bodies.len(), 1);
    assert_in_the_callers_trace(messages[0].1.as_deref(), "the feedback message");
    let feedback = FeedbackMessage::decode(&bodies[0]).expect("a feedback message");
    assert_eq!(
        (feedback.rating, feedback.feedback.as_deref()),
        (Some(5), Some("Rich, moist and gone in ten minutes."))
    );
    fixtures::check(
        "forward-feedback.json",
        &traced_sqs_event(
            &messages,
            FEEDBACK_QUEUE_ARN,
            "c4e2a9d0-5f3b-4a1d-9c62",
            millis("2026-11-20T16:45:00Z"),
        ),
    );

    // 7. forward-feedback: customer service is called.
    shop.clock.set("2026-11-20T16:45:02Z");
    let response = shop
        .forward_feedback
        .handle(as_sqs(&fixtures::read("forward-feedback.json")))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let calls = shop.customer_service.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].idempotency_key, format!("feedback:{ORDER_ID}"));

    // The customer reads the whole journey.
    let mut query = http_request(
        "GET",
        "/order/{orderId}",
        &format!("/order/{ORDER_ID}"),
        json!({ "authorization": format!("Bearer {customer_token}") }),
        None,
    );
    query["pathParameters"] = json!({ "orderId": ORDER_ID });
    fixtures::check("order-queries.json", &query);
    let response = shop
        .order_queries
        .handle(as_http(&fixtures::read("order-queries.json")))
        .await;
    let (status, order) = status_and_json(&response);
    assert_eq!((status, &order["status"]), (200, &json!("delivered")), "{order}");
    let history: Vec<(String, String)> = order["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|entry| {
            (
                entry["step"].as_str().unwrap_or("?").to_owned(),
                entry["at"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        (Step::Placed, "2026-11-20T09:00:00Z"),
        // In the journey's order (Step::ALL): both follow the same record, in either order.
        (Step::CustomerConfirmed, "2026-11-20T09:00:03Z"),
        (Step::BakerNotified, "2026-11-20T09:00:02Z"),
        (Step::Fulfilled, "2026-11-20T13:30:00Z"),
        (Step::DeliveryRequested, "2026-11-20T13:30:01Z"),
        (Step::CourierNotified, "2026-11-20T13:30:03Z"),
        (Step::Delivered, "2026-11-20T16:45:00Z"),
        (Step::FeedbackForwarded, "2026-11-20T16:45:02Z"),
    ]
    .into_iter()
    .map(|(step, at)| (step.as_str().to_owned(), at.to_owned()))
    .collect();
    assert_eq!(history, expected);

    // Every record delivered a second time (at-least-once delivery) has no second effect.
    assert!(
        shop.notify_baker
            .handle(as_kinesis(&fixtures::read("notify-baker.json")))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(
        shop.notify_customer
            .handle(as_kinesis(&fixtures::read("notify-customer.json")))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(
        shop.request_delivery
            .handle(as_kinesis(&fixtures::read("request-delivery.json")))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(
        shop.notify_delivery
            .handle(as_sqs(&fixtures::read("notify-delivery.json")))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(
        shop.forward_feedback
            .handle(as_sqs(&fixtures::read("forward-feedback.json")))
            .await
            .batch_item_failures
            .is_empty()
    );
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        2,
        "one email to the baker, one to the customer"
    );
    assert!(shop.delivery_queue.taken().is_empty(), "no second delivery request");

    // Its metrics: placed at 09:00:00, the baker emailed 2 s later, ready at 13:30, each once.
    assert_eq!(
        shop.metrics.of(ORDER_ID),
        [
            Metric::OrderPlaced,
            Metric::BakerNotified { after_ms: 2_000 },
            Metric::OrderReady {
                after_ms: 4 * 3_600_000 + 30 * 60_000
            },
        ]
    );
    assert_eq!(shop.delivery_company.calls().len(), 1, "one delivery call");
    assert_eq!(shop.customer_service.calls().len(), 1, "one feedback call");
}

#[tokio::test]
async fn one_order_placed_then_cancelled_by_its_customer_is_told_to_the_baker_and_never_delivered() {
    let shop = Shop::new("2026-11-20T09:00:00Z", &[ORDER_ID]);
    let response = shop
        .place_order
        .handle(as_http(&fixtures::read("place-order.json")))
        .await;
    let (status, placed) = status_and_json(&response);
    assert_eq!(status, 201, "{placed}");
    let customer_token = placed["customerToken"].as_str().expect("a customer token").to_owned();
    let response = shop
        .notify_baker
        .handle(as_kinesis(&fixtures::read("notify-baker.json")))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        1,
        "the new order's email"
    );
    shop.stream.taken();

    // 1. cancel-order: the customer changes their mind.
    let cancel = http_request(
        "POST",
        "/order/cancelled",
        "/order/cancelled",
        json!({ "authorization": format!("Bearer {customer_token}"), "content-type": "application/json" }),
        Some(&json!({ "orderId": ORDER_ID, "reason": "The party moved to Sunday <b>sorry</b>" }).to_string()),
    );
    fixtures::check("cancel-order.json", &cancel);
    shop.clock.set("2026-11-20T11:15:00Z");
    let response = shop
        .cancel_order
        .handle(as_http(&fixtures::read("cancel-order.json")))
        .await;
    let (status, cancelled) = status_and_json(&response);
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancellation"]["by"], "customer");
    let published = shop.stream.taken();
    assert_eq!(published.len(), 1);
    assert_eq!(
        (published[0].kind(), published[0].event_id()),
        (
            EventKind::OrderCancelled,
            format!("order_cancelled:{ORDER_ID}").as_str()
        )
    );
    assert!(
        shop.orders.unpublished().is_empty(),
        "the mark is cleared once published"
    );
    assert!(shop.orders.booked_days().is_empty(), "the cake is back on its day");
    fixtures::check(
        "notify-baker-order-cancelled.json",
        &kinesis_event(&published, 2, seconds("2026-11-20T11:15:00Z")),
    );

    // 2. notify-baker: the order_cancelled record becomes a second email, once.
    shop.clock.set("2026-11-20T11:15:02Z");
    for _ in 0..2 {
        let response = shop
            .notify_baker
            .handle(as_kinesis(&fixtures::read("notify-baker-order-cancelled.json")))
            .await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let emails = shop.mailer.sent.lock().expect("mailbox").clone();
    assert_eq!(emails.len(), 2, "one email for the order, one for its cancellation");
    let email = &emails[1];
    assert_eq!((email.to.as_str(), email.from.as_str()), (BAKER_EMAIL, SENDER_EMAIL));
    assert_eq!(
        email.subject,
        format!("Cancelled: order {ORDER_ID}: 1 × Chocolate fudge cake for 2026-11-21")
    );
    assert_eq!(email.idempotency_key, format!("order_cancelled:{ORDER_ID}"));
    assert_ne!(email.idempotency_key, emails[0].idempotency_key);
    assert!(email.text.contains("The party moved to Sunday <b>sorry</b>"));
    assert!(
        email
            .html
            .contains("The party moved to Sunday &lt;b&gt;sorry&lt;/b&gt;")
    );
    assert!(!email.text.contains("token="), "no link to press for a cancelled order");

    // An order_fulfilled for it, replayed or forged, moves nothing and requests no delivery.
    let stray = kinesis_event(
        &[cakeshop_domain::OrderEvent::order_fulfilled(
            &cakeshop_domain::OrderId::parse(ORDER_ID).expect("id"),
            parse_time("2026-11-20T12:00:00Z"),
        )],
        3,
        seconds("2026-11-20T12:00:00Z"),
    );
    let response = shop.request_delivery.handle(as_kinesis(&stray)).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "acknowledged: retrying would not change the order"
    );
    assert!(shop.delivery_queue.taken().is_empty(), "no delivery requested");

    let history: Vec<String> = shop.orders.snapshot()[&cakeshop_domain::OrderId::parse(ORDER_ID).expect("id")]
        .history
        .iter()
        .map(|entry| format!("{} {}", entry.step, entry.at))
        .collect();
    assert_eq!(
        history,
        vec![
            "placed 2026-11-20T09:00:00Z",
            "baker_notified 2026-11-20T09:00:00Z",
            "cancelled 2026-11-20T11:15:00Z",
            "cancellation_notified 2026-11-20T11:15:02Z",
        ]
    );
    assert_eq!(
        shop.metrics.of(ORDER_ID),
        [
            Metric::OrderPlaced,
            Metric::BakerNotified { after_ms: 0 },
            Metric::OrderCancelled
        ],
        "the cancellation's email to the baker is not a new order's"
    );
}
