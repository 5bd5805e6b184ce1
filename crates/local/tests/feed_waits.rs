//! Following a feed without polling it: `?wait_ms=` holds an answer that has nothing new until
//! something arrives on that feed, or the wait is over.

use cakeshop_local::feeds::LONGEST_FEED_WAIT_MS;
use cakeshop_local::operator::operator_surface;
use cakeshop_local::partners::{PartnerFaults, partner_stand_ins};
use cakeshop_sqlite::Store;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The partner stand-ins' feeds as `cakeshop dev` serves them, on the operator surface.
async fn serve(store: &Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let router = operator_surface(partner_stand_ins(store.clone(), PartnerFaults::default()), address);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/_local/partners")
}

async fn get(url: String) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_request_answers_when_its_feed_gains_an_item_and_not_before() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path(), 1).expect("the store");
    let base = serve(&store).await;

    let delivery = tokio::spawn(get(format!("{base}/delivery?after=0&wait_ms=20000")));
    let other = tokio::spawn(get(format!("{base}/customer-service?after=0&wait_ms=1000")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!delivery.is_finished(), "nothing has arrived yet");
    let arrived = Instant::now();
    store
        .record_partner_call("delivery", "k-1", r#"{"orderId":"o-1"}"#)
        .await
        .expect("recorded");

    let (status, calls) = delivery.await.expect("the request");
    assert_eq!(status, 200);
    assert_eq!(calls[0]["body"]["orderId"], "o-1", "{calls}");
    assert!(
        arrived.elapsed() < Duration::from_secs(10),
        "answered on arrival, not at the end of the wait"
    );
    let (status, calls) = other.await.expect("the request");
    assert_eq!(
        (status, calls),
        (200, Value::Array(vec![])),
        "another feed's call ends no wait"
    );
}

#[tokio::test]
async fn a_wait_ends_empty_and_an_overlong_wait_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path(), 1).expect("the store");
    let base = serve(&store).await;
    store
        .record_partner_call("delivery", "k-1", "{}")
        .await
        .expect("recorded");

    let started = Instant::now();
    let (status, calls) = get(format!("{base}/delivery?after=1&wait_ms=300")).await;
    assert_eq!((status, calls), (200, Value::Array(vec![])));
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited");

    let (status, calls) = get(format!("{base}/delivery?after=0&wait_ms=300")).await;
    assert_eq!(
        (status, calls.as_array().map(Vec::len)),
        (200, Some(1)),
        "what is there comes at once"
    );

    let (status, refused) = get(format!("{base}/delivery?wait_ms={}", LONGEST_FEED_WAIT_MS + 1)).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["code"], "invalid_wait", "{refused}");
}

#[tokio::test]
async fn every_email_kept_moves_the_mail_feed() {
    use cakeshop_ports::{Email, Mailer};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path(), 1).expect("the store");
    let changes = store.feed_watch(cakeshop_sqlite::MAIL_FEED);
    assert!(!changes.has_changed().expect("the store is open"));
    let email = Email {
        to: "baker@example.com".into(),
        from: "shop@example.com".into(),
        subject: "A new order".into(),
        text: "Lemon drizzle".into(),
        html: "<p>Lemon drizzle</p>".into(),
        order_id: cakeshop_domain::OrderId::parse("0195f1c2-7a3b-7c4d-8e5f-6a7b8c9d0e1f").expect("an order id"),
        idempotency_key: "event-1".into(),
    };
    cakeshop_sqlite::LocalMailer::new(store.clone())
        .send(&email)
        .await
        .expect("sent");
    assert!(
        changes.has_changed().expect("the store is open"),
        "a follower of the mail feed wakes"
    );
}
