//! The SQLite implementations of the ports keep the same contract as the AWS adapters: the
//! shared suite (`cakeshop_ports::contract`) against a store in a temporary directory.

use cakeshop_domain::OrderId;
use cakeshop_ports::Email;
use cakeshop_ports::contract::{self, MailboxProbe, QueueProbe, StreamProbe};
use cakeshop_sqlite::{LocalMailer, LocalOrders, LocalQueue, LocalStream, Store};

struct Probes {
    stream: LocalStream,
    queue: LocalQueue,
    mailer: LocalMailer,
}

impl StreamProbe for Probes {
    async fn records(&self) -> Vec<(String, Vec<u8>)> {
        let mut records = self.stream.all_records().expect("records");
        records.sort_by_key(|r| r.arrived_ms);
        records.into_iter().map(|r| (r.partition_key, r.data)).collect()
    }
}

impl QueueProbe for Probes {
    async fn drain(&self) -> Vec<(String, Option<String>)> {
        let messages = self.queue.receive(100, 30_000, None).await.expect("receive");
        for message in &messages {
            self.queue.delete(message).await.expect("delete");
        }
        messages.into_iter().map(|m| (m.body, m.traceparent)).collect()
    }
}

impl MailboxProbe for Probes {
    async fn emails(&self) -> Vec<Email> {
        self.mailer
            .all()
            .expect("mailbox")
            .into_iter()
            .map(|e| Email {
                to: e.to,
                from: e.from,
                subject: e.subject,
                text: e.text,
                html: e.html,
                order_id: OrderId::parse(&e.order_id).expect("order id"),
                idempotency_key: String::new(),
            })
            .collect()
    }
}

#[tokio::test]
async fn the_sqlite_store_passes_the_port_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 4).expect("store");
    let probes = Probes {
        stream: LocalStream::new(store.clone()),
        queue: LocalQueue::new(store.clone(), "ContractQueue"),
        mailer: LocalMailer::new(store.clone()),
    };
    let orders = LocalOrders::new(store.clone());
    contract::order_repository(&orders).await;
    contract::bakery(&orders).await;
    contract::limiter(&orders).await;
    contract::event_publisher(&probes.stream, &probes).await;
    contract::queue_sender(&probes.queue, &probes).await;
    contract::mailer(&probes.mailer, &probes).await;
}

/// The shop's rules and the days' counts are in the file: a reopened store has them as written.
#[tokio::test]
async fn the_shops_rules_and_booked_days_survive_reopening() {
    use cakeshop_domain::{CapacitySettings, ShopStatus};
    use cakeshop_ports::{Bakery, OrderRepository, Saved};
    let dir = tempfile::tempdir().expect("temp dir");
    let order = contract::sample_order();
    let settings = {
        let store = Store::open(dir.path(), 1).expect("store");
        let orders = LocalOrders::new(store);
        orders.create(&order, 5).await.expect("create");
        let mut settings = CapacitySettings::default();
        settings.per_weekday.insert("monday".into(), 3);
        assert!(matches!(
            orders.save_capacity(&settings, 0).await.expect("save"),
            Saved::Stored { version: 1 }
        ));
        let closed = ShopStatus {
            open: false,
            message: Some("Back soon".into()),
            until: None,
        };
        orders.save_shop(&closed, 0).await.expect("save");
        settings
    };
    let orders = LocalOrders::new(Store::open(dir.path(), 1).expect("reopened"));
    let rules = orders.rules().await.expect("rules");
    assert_eq!((&rules.capacity.value, rules.capacity.version), (&settings, 1));
    assert!(!rules.shop.value.open);
    assert_eq!(
        rules.catalogue.version, 1,
        "the sample catalogue was stocked once, not again"
    );
    assert_eq!(
        orders.booked(order.delivery_date, 1).await.expect("booked"),
        vec![order.quantity]
    );
}

/// The client limits' counters are in the file: a restart forgets no use, and counters whose
/// window ended are deleted.
#[tokio::test]
async fn client_limits_survive_reopening_and_ended_windows_are_forgotten() {
    use cakeshop_domain::{Limit, Timestamp, Window};
    use cakeshop_ports::{Verdict, limits};
    let dir = tempfile::tempdir().expect("temp dir");
    let now = Timestamp::from_unix_millis(4_102_444_800_000).expect("an instant");
    let windows = [Window::new(2, 60), Window::new(5, 3_600)];
    {
        let orders = LocalOrders::new(Store::open(dir.path(), 4).expect("store"));
        for _ in 0..2 {
            let verdict = limits::take(&orders, Limit::Orders, "client", &windows, now)
                .await
                .expect("take");
            assert_eq!(verdict, Verdict::Allowed);
        }
    }
    let store = Store::open(dir.path(), 4).expect("reopened store");
    let orders = LocalOrders::new(store.clone());
    let verdict = limits::take(&orders, Limit::Orders, "client", &windows, now)
        .await
        .expect("take");
    assert_eq!(
        verdict,
        Verdict::Refused {
            retry_after_seconds: 60
        },
        "the minute's two uses were kept"
    );
    let forgotten = cakeshop_sqlite::forget_ended_windows(&store, now.plus_seconds(60))
        .await
        .expect("forget");
    assert_eq!(forgotten, 1, "the minute's counter ended; the hour's has not");
    let verdict = limits::take(&orders, Limit::Orders, "client", &windows, now.plus_seconds(60))
        .await
        .expect("take");
    assert_eq!(verdict, Verdict::Allowed);
    let checked = limits::check(&orders, Limit::Orders, "client", &windows, now.plus_seconds(61))
        .await
        .expect("check");
    assert_eq!(
        checked,
        Verdict::Allowed,
        "the hour holds 3 of 5, the new minute 1 of 2"
    );
}
