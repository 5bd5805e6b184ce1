//! The emails owed to an SMTP relay: owed in the transaction that keeps them, once per email
//! kept (a repeated send is not owed again), due again when a try failed, never again once
//! sent or refused for good.

use cakeshop_domain::OrderId;
use cakeshop_ports::{Email, Mailer};
use cakeshop_sqlite::{LocalMailer, OutboxCounts, SmtpOutbox, Store, now_millis};

fn email(key: &str) -> Email {
    Email {
        to: "baker@example.com".into(),
        from: "orders@example.com".into(),
        subject: format!("New order {key}"),
        text: "text".into(),
        html: "<p>html</p>".into(),
        order_id: OrderId::parse(key).expect("order id"),
        idempotency_key: key.into(),
    }
}

fn owed_subjects(outbox: &SmtpOutbox, at_ms: i64) -> Vec<String> {
    let due = outbox.due(at_ms, 100).expect("due emails");
    due.into_iter().map(|owed| owed.email.subject).collect()
}

#[tokio::test]
async fn an_email_kept_is_owed_once_and_retried_until_sent_or_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 1).expect("store opens");
    let outbox = SmtpOutbox::new(store.clone());

    LocalMailer::new(store.clone())
        .send(&email("mailbox-only"))
        .await
        .expect("kept");
    let relayed = LocalMailer::relayed(store.clone());
    for key in ["a", "b", "c", "a"] {
        relayed.send(&email(key)).await.expect("kept");
    }
    assert_eq!(
        owed_subjects(&outbox, now_millis()),
        ["New order a", "New order b", "New order c"]
    );

    let due = outbox.due(now_millis(), 100).expect("due");
    let [a, b, c] = [&due[0], &due[1], &due[2]].map(|owed| owed.email.seq);
    outbox.sent(a).await.expect("recorded");
    let later = now_millis() + 60_000;
    outbox
        .retry_at(b, later, "connection refused".into())
        .await
        .expect("recorded");
    outbox.refused(c, "550 no such mailbox".into()).await.expect("recorded");

    assert!(
        owed_subjects(&outbox, now_millis()).is_empty(),
        "b waits, a and c are done"
    );
    let again = outbox.due(later, 100).expect("due");
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].email.subject.as_str(), again[0].attempts), ("New order b", 1));
    assert_eq!(outbox.next_due_ms().expect("next"), Some(later));
    assert_eq!(outbox.counts().expect("counts"), OutboxCounts { owed: 1, refused: 1 });
    assert_eq!(
        LocalMailer::new(store).all().expect("mailbox").len(),
        4,
        "the mailbox keeps every email"
    );
}
