//! notify-customer: the customer who gave an email hears of their order three times at most —
//! its confirmation with the tracking link, "on its way", and a cancellation — each once, fed
//! the same stream records as the other consumers (`events/`).

use crate::support;

use crate::support::envelopes::{as_http, as_kinesis, http_request};
use crate::support::{BAKER_KEY, PUBLIC_BASE_URL, SENDER_EMAIL, Shop, body_text, fixtures};
use cakeshop_domain::Step;
use cakeshop_ports::Email;
use serde_json::json;

const ORDER_ID: &str = "3f9c2a7e5b1d4e6f8a0b2c4d6e8f0a1b";

fn emails_to(shop: &Shop, to: &str) -> Vec<Email> {
    let sent = shop.mailer.sent.lock().expect("mailbox").clone();
    sent.into_iter().filter(|email| email.to == to).collect()
}

/// The tracking page the email's link opens, as order-queries serves it.
async fn open_link(shop: &Shop, link: &str) -> (i64, String) {
    let path_and_query = link.strip_prefix(PUBLIC_BASE_URL).expect("the shop's address");
    let (path, query) = path_and_query.split_once('?').expect("a token");
    let order_id = path.trim_start_matches("/track/");
    let mut request = http_request("GET", "/track/{orderId}", path, json!({}), None);
    request["pathParameters"] = json!({ "orderId": order_id });
    request["rawQueryString"] = json!(query);
    let token: String = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "t")
        .map(|(_, value)| value.into_owned())
        .expect("t=");
    request["queryStringParameters"] = json!({ "t": token });
    let response = shop.order_queries.handle(as_http(&request)).await;
    (response.status_code, body_text(&response))
}

fn link_in(email: &Email) -> String {
    let start = email.text.find(PUBLIC_BASE_URL).expect("a link");
    email.text[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_customer_gets_a_confirmation_with_a_working_link_then_on_its_way_each_once() {
    let shop = Shop::new("2026-11-20T09:00:00Z", &[ORDER_ID]);
    let baker_key_of_the_event = format!("order_placed:{ORDER_ID}");
    let placed = shop
        .place_order
        .handle(as_http(&fixtures::read("place-order.json")))
        .await;
    assert_eq!(placed.status_code, 201);
    shop.stream.taken();

    let record = as_kinesis(&fixtures::read("notify-customer.json"));
    let response = shop.notify_customer.handle(record.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let sent = emails_to(&shop, "ada@example.com");
    assert_eq!(sent.len(), 1, "one confirmation");
    let confirmation = &sent[0];
    assert_eq!(confirmation.from, SENDER_EMAIL);
    assert_eq!(
        confirmation.subject,
        "The Cake Shop: your order for Chocolate fudge cake"
    );
    assert_eq!(
        confirmation.idempotency_key,
        format!("customer:order_placed:{ORDER_ID}")
    );
    for detail in ["Ada Lovelace", "€34.50", "Saturday 21 November 2026", ORDER_ID] {
        assert!(
            confirmation.text.contains(detail),
            "text shows {detail}: {}",
            confirmation.text
        );
        assert!(
            confirmation.html.contains(detail),
            "html shows {detail}: {}",
            confirmation.html
        );
    }
    assert_ne!(
        confirmation.idempotency_key, baker_key_of_the_event,
        "a provider that drops repeats must not take it for the baker's email"
    );
    let link = link_in(confirmation);
    assert!(
        confirmation.html.contains(&link.replace('&', "&amp;")),
        "the HTML part links the same page"
    );
    let (status, page) = open_link(&shop, &link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Chocolate fudge cake"), "{page}");
    assert!(
        shop.orders
            .snapshot()
            .values()
            .all(|o| o.has_step(Step::CustomerConfirmed))
    );

    // A retried record sends nothing more.
    let response = shop.notify_customer.handle(record).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(emails_to(&shop, "ada@example.com").len(), 1);

    // The baker marks it ready: order_fulfilled is "on its way", once.
    assert_eq!(shop.fulfil(ORDER_ID, Some(BAKER_KEY)).await.0, 200);
    let fulfilled = shop.stream.taken();
    let batch = as_kinesis(&support::envelopes::kinesis_event(&fulfilled, 2, 0));
    for _ in 0..2 {
        let response = shop.notify_customer.handle(batch.clone()).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    let sent = emails_to(&shop, "ada@example.com");
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].subject,
        "The Cake Shop: your Chocolate fudge cake is on its way"
    );
    assert_eq!(link_in(&sent[1]), link, "the same permanent link");
}

#[tokio::test]
async fn a_cancelled_order_gets_its_notice_and_a_late_placed_record_no_confirmation() {
    let shop = Shop::new("2026-11-20T09:00:00Z", &[ORDER_ID]);
    let (status, placed) = shop
        .place(r#"{"name":"Ada","address":"1 Street","productId":1,"quantity":1,"email":"ada@example.com"}"#)
        .await;
    assert_eq!(status, 201, "{placed}");
    let placed_events = shop.stream.taken();
    assert_eq!(
        shop.cancel(ORDER_ID, Some("Sold out of cocoa"), Some(BAKER_KEY))
            .await
            .0,
        200
    );
    let cancelled = shop.stream.taken();
    // The order_placed record arrives only now, after the cancel (the relay published it late).
    let batch = as_kinesis(&support::envelopes::kinesis_event(
        &[placed_events, cancelled].concat(),
        1,
        0,
    ));
    let response = shop.notify_customer.handle(batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let sent = emails_to(&shop, "ada@example.com");
    assert_eq!(sent.len(), 1, "only the notice: {sent:?}");
    assert_eq!(
        sent[0].subject,
        "The Cake Shop: your order for Chocolate fudge cake is cancelled"
    );
    assert!(sent[0].text.contains("the baker could not take your order") && sent[0].text.contains("Sold out of cocoa"));
}

#[tokio::test]
async fn a_customer_without_an_email_is_sent_nothing_and_hostile_text_is_escaped() {
    let shop = Shop::new("2026-11-20T09:00:00Z", &["a1", "a2"]);
    shop.place_sample().await;
    shop.drain_stream().await;
    assert!(emails_to(&shop, "ada@example.com").is_empty());
    assert_eq!(
        shop.mailer.sent.lock().expect("mailbox").len(),
        1,
        "the baker's email only"
    );

    let hostile = json!({
        "name": "<script>alert(1)</script>",
        "address": "1 <b>Street</b>",
        "productId": 1,
        "quantity": 1,
        "email": "eve@example.com",
    });
    assert_eq!(shop.place(&hostile.to_string()).await.0, 201);
    shop.drain_stream().await;
    let sent = emails_to(&shop, "eve@example.com");
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].html.contains("<script>") && sent[0].html.contains("&lt;script&gt;"));
    assert!(!sent[0].html.contains("<b>Street"));
    assert!(!sent[0].subject.contains("script"), "no customer value in the subject");
}

#[tokio::test]
async fn a_record_saying_no_email_is_acknowledged_unread_and_one_from_before_the_field_is_read_up() {
    use cakeshop_domain::{OrderEvent, OrderId};
    let shop = Shop::new("2026-11-20T09:00:00Z", &[ORDER_ID]);
    let (status, placed) = shop
        .place(r#"{"name":"Ada","address":"1 Street","productId":1,"quantity":1,"email":"ada@example.com"}"#)
        .await;
    assert_eq!(status, 201, "{placed}");
    shop.stream.taken();
    assert_eq!(shop.fulfil(ORDER_ID, Some(BAKER_KEY)).await.0, 200);
    let at = support::fakes::parse_time("2026-11-20T10:00:00Z");

    // An order this store never had: only a read would find that out.
    let stranger = OrderId::parse("0000000000000000000000000000dead").expect("id");
    let said_no = OrderEvent::order_fulfilled(&stranger, at).about_customer_of(&{
        let mut order = shop.orders.snapshot()[&OrderId::parse(ORDER_ID).expect("id")].clone();
        order.customer.email = None;
        order
    });
    assert_eq!(said_no.customer_has_email(), Some(false));
    let response = shop
        .notify_customer
        .handle(as_kinesis(&support::envelopes::kinesis_event(&[said_no], 1, 0)))
        .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "acknowledged unread: {response:?}"
    );
    let unsaid = OrderEvent::order_fulfilled(&stranger, at);
    let response = shop
        .notify_customer
        .handle(as_kinesis(&support::envelopes::kinesis_event(&[unsaid], 2, 0)))
        .await;
    assert_eq!(response.batch_item_failures.len(), 1, "read up, and not found");

    // Ada's order_fulfilled as written before records said whether there is an address.
    let old = OrderEvent::order_fulfilled(&OrderId::parse(ORDER_ID).expect("id"), at);
    assert_eq!(old.customer_has_email(), None);
    let response = shop
        .notify_customer
        .handle(as_kinesis(&support::envelopes::kinesis_event(&[old], 3, 0)))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let sent = emails_to(&shop, "ada@example.com");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].subject.ends_with("is on its way"), "{}", sent[0].subject);
}
