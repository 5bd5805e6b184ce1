//! An email the provider refuses for good (SES `MessageRejected`, an unverified sender) is
//! recorded on the order and its record acknowledged: never retried, never holding up the
//! shard.

use crate::support::{BAKER_KEY, Shop};

#[tokio::test]
async fn an_email_refused_for_good_is_recorded_and_never_retried() {
    use crate::support::envelopes::{as_kinesis, kinesis_event};
    use crate::support::{BAKER_EMAIL, failed_sequence_numbers};
    let shop = Shop::new("2026-11-20T09:00:10Z", &["r01"]);
    shop.mailer.refuse_for_good("nobody@example.com");
    shop.mailer.refuse_for_good(BAKER_EMAIL);
    let order = r#"{"name":"Ada","address":"1 Lane","productId":1,"quantity":1,"email":"nobody@example.com"}"#;
    let (status, placed) = shop.place(order).await;
    assert_eq!(status, 201, "{placed}");
    let events = shop.stream.taken();
    let batch = as_kinesis(&kinesis_event(&events, 100, 0));
    for round in 0..3 {
        let customer = shop.notify_customer.handle(batch.clone()).await;
        let baker = shop.notify_baker.handle(batch.clone()).await;
        assert!(
            failed_sequence_numbers(&customer).is_empty(),
            "round {round}: acknowledged, not retried"
        );
        assert!(failed_sequence_numbers(&baker).is_empty(), "round {round}");
    }
    let attempts = *shop.mailer.attempts.lock().expect("attempts");
    assert_eq!(
        attempts, 4,
        "the customer's email once; the baker's once per delivery of the record"
    );
    let (_, read) = shop
        .read(placed["orderId"].as_str().expect("id"), Some(BAKER_KEY))
        .await;
    let steps: Vec<&str> = read["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["step"].as_str())
        .collect();
    assert!(steps.contains(&"customer_email_refused"), "{steps:?}");
    assert!(steps.contains(&"baker_email_refused"), "{steps:?}");
    assert!(
        !steps.contains(&"customer_confirmed") && !steps.contains(&"baker_notified"),
        "{steps:?}"
    );
}
