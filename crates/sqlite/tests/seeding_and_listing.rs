//! The bulk seeder writes what `LocalOrders` would (its booked days included), the listing by
//! status reads an index (not the table), and stores made before that index, or before orders
//! had integer product ids and delivery days, gain them on open.

use cakeshop_domain::{Catalogue, Day, ProductId, Status, Step, Timestamp};
use cakeshop_ports::{Bakery, OrderRepository, Outbox, StatusCursor};
use cakeshop_sqlite::seed::{RealisticOrders, count_orders, has_orders, seed_orders};
use cakeshop_sqlite::{LocalOrders, STORE_FILE, Store};
use std::collections::BTreeMap;

fn now() -> Timestamp {
    Timestamp::from_unix_millis(1_790_000_000_000).expect("in range")
}

#[tokio::test]
async fn seeded_orders_read_back_as_generated_and_are_listed_by_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path(), 4).expect("store");
    assert!(!has_orders(&store).expect("count"));
    let generator = RealisticOrders::new(7, 1000, now(), 60_000);
    assert_eq!(seed_orders(&store, 1000, |n| generator.order(n)).expect("seed"), 1000);
    assert_eq!(count_orders(&store).expect("count"), 1000);
    let log = dir.path().join("cakeshop.sqlite3-wal");
    let log_bytes = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    assert_eq!(log_bytes, 0, "seeding folds its log into the database file");

    let orders = LocalOrders::new(store.clone());
    for n in [0, 500, 989, 999] {
        let expected = generator.order(n);
        assert_eq!(
            orders.get(&expected.order_id).await.expect("get"),
            Some(expected),
            "order {n}"
        );
    }
    let newest = generator.order(999);
    assert_eq!(newest.status, Status::Placed);
    assert_eq!(newest.history.len(), 2, "placed and baker_notified");
    let oldest = generator.order(0);
    assert_eq!(oldest.status, Status::Delivered);
    assert_eq!(oldest.history.len(), 7, "the whole journey");
    let cancelled = generator.order(39);
    assert_eq!(cancelled.status, Status::Cancelled);
    assert!(cancelled.cancellation.is_some());
    assert_eq!(
        cancelled.history.iter().map(|e| e.step).collect::<Vec<_>>(),
        [
            Step::Placed,
            Step::BakerNotified,
            Step::Cancelled,
            Step::CancellationNotified
        ]
    );
    assert_eq!(
        orders.get(&cancelled.order_id).await.expect("get"),
        Some(cancelled),
        "a cancelled order reads back with its cancellation"
    );
    let sample = Catalogue::sample();
    for n in 0..1000 {
        let order = generator.order(n);
        let product = sample.find(order.product_id).expect("a product of the sample");
        assert_eq!(
            (order.product_name.as_str(), order.unit_price_cents),
            (product.name.as_str(), product.price_cents)
        );
    }

    let mut by_status = Vec::new();
    for status in Status::ALL {
        let page = orders.list_by_status(status, 1000, None).await.expect("list");
        assert!(page.next.is_none());
        assert!(
            page.orders
                .windows(2)
                .all(|pair| pair[0].created_at < pair[1].created_at),
            "oldest first"
        );
        by_status.push((status, page.orders.len()));
    }
    assert_eq!(
        by_status,
        [
            (Status::Placed, 10),
            (Status::Fulfilled, 5),
            (Status::OutForDelivery, 5),
            (Status::Delivered, 956),
            (Status::Cancelled, 24)
        ]
    );
    assert_booked_days_sum_the_orders_not_cancelled(&orders, (0..1000).map(|n| generator.order(n))).await;
    let pending = orders.pending(Timestamp::from_unix_millis(i64::MAX / 2_000_000).expect("in range"), 10);
    assert!(
        pending.await.expect("pending").is_empty(),
        "seeded orders owe the stream nothing"
    );

    let again = RealisticOrders::new(8, 10, now(), 1000);
    assert_eq!(seed_orders(&store, 10, |n| again.order(n)).expect("append"), 10);
    assert_eq!(
        seed_orders(&store, 10, |n| again.order(n)).expect("repeat"),
        0,
        "a stored id is skipped"
    );
    assert_eq!(count_orders(&store).expect("count"), 1010);
    let all = (0..1000)
        .map(|n| generator.order(n))
        .chain((0..10).map(|n| again.order(n)));
    assert_booked_days_sum_the_orders_not_cancelled(&orders, all).await;
}

/// Each day's booked count, read through `Bakery::booked`, is the sum of the quantities of the
/// day's orders among `orders` that are not cancelled (and nothing is booked on the days around).
async fn assert_booked_days_sum_the_orders_not_cancelled(
    store: &LocalOrders,
    orders: impl Iterator<Item = cakeshop_domain::Order>,
) {
    let mut expected: BTreeMap<Day, u32> = BTreeMap::new();
    for order in orders {
        let day = expected.entry(order.delivery_date).or_default();
        if order.status != Status::Cancelled {
            *day += order.quantity;
        }
    }
    let first = *expected.keys().next().expect("some orders");
    let last = *expected.keys().last().expect("some orders");
    let days = u16::try_from(first.days_until(last) + 3).expect("a few days");
    let wanted: Vec<u32> = first
        .plus_days(-1)
        .range(days)
        .map(|day| expected.get(&day).copied().unwrap_or(0))
        .collect();
    assert!(wanted.iter().sum::<u32>() > 0);
    assert_eq!(store.booked(first.plus_days(-1), days).await.expect("booked"), wanted);
}

#[test]
fn the_listing_reads_the_status_index_rather_than_the_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(Store::open(dir.path(), 1).expect("store"));
    let connection = rusqlite::Connection::open(dir.path().join(STORE_FILE)).expect("open");
    let plan: Vec<String> = connection
        .prepare(
            "EXPLAIN QUERY PLAN SELECT status, document FROM orders \
             WHERE status = ?1 AND (created_ms, order_id) > (?2, ?3) ORDER BY created_ms, order_id LIMIT ?4",
        )
        .expect("prepare")
        .query_map(rusqlite::params!["placed", 0, "", 10], |row| row.get::<_, String>(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("rows");
    let plan = plan.join("; ");
    assert!(
        plan.contains("USING INDEX orders_by_status") && plan.contains("created_ms") && !plan.contains("TEMP B-TREE"),
        "a range of the index, already in order: {plan}"
    );
}

/// The orders table as stores made before the status index had it: no `created_ms`.
const OLD_ORDERS_TABLE: &str = "
CREATE TABLE orders (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, document TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE order_steps (order_id TEXT NOT NULL, step TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (order_id, step)) WITHOUT ROWID;
";

#[tokio::test]
async fn a_store_from_before_the_index_gains_it_on_open_and_keeps_its_orders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generator = RealisticOrders::new(9, 3, now(), 250);
    {
        let connection = rusqlite::Connection::open(dir.path().join(STORE_FILE)).expect("open");
        connection.execute_batch(OLD_ORDERS_TABLE).expect("old schema");
        for n in [2, 0, 1] {
            let mut order = generator.order(n).as_placed();
            let history = std::mem::take(&mut order.history);
            let document = serde_json::to_string(&order).expect("json");
            connection
                .execute(
                    "INSERT INTO orders (order_id, status, document) VALUES (?1, ?2, ?3)",
                    rusqlite::params![order.order_id.as_str(), order.status.as_str(), document],
                )
                .expect("insert");
            for entry in history {
                connection
                    .execute(
                        "INSERT INTO order_steps (order_id, step, at) VALUES (?1, ?2, ?3)",
                        rusqlite::params![order.order_id.as_str(), entry.step.as_str(), entry.at.to_string()],
                    )
                    .expect("insert step");
            }
        }
    }
    for _ in 0..2 {
        // Twice: the second open finds the column and changes nothing.
        let store = Store::open(dir.path(), 1).expect("an old store opens");
        let orders = LocalOrders::new(store);
        let page = orders.list_by_status(Status::Placed, 2, None).await.expect("list");
        let ids: Vec<_> = page.orders.iter().map(|o| o.order_id.clone()).collect();
        assert_eq!(ids, [generator.order_id(0), generator.order_id(1)], "by creation time");
        assert_eq!(page.orders[0], generator.order(0).as_placed());
        assert_eq!(page.next, Some(StatusCursor::after(&generator.order(1))));
        let rest = orders
            .list_by_status(Status::Placed, 2, page.next.as_ref())
            .await
            .expect("list");
        assert_eq!(rest.orders, [generator.order(2).as_placed()]);
    }
}

/// An order as stores kept them while the catalogue was fixed in code: a text product id and
/// no delivery day.
fn text_id_document(order_id: &str, product: &str, quantity: u32, created_at: &str) -> String {
    serde_json::json!({
        "orderId": order_id,
        "customer": {"name": "Ada", "address": "1 Loop Road"},
        "productId": product,
        "productName": "Red velvet cake",
        "quantity": quantity,
        "unitPriceCents": 3900,
        "totalCents": 3900 * quantity,
        "status": "placed",
        "createdAt": created_at,
        "history": [],
    })
    .to_string()
}

#[tokio::test]
async fn orders_from_before_the_catalogue_was_data_gain_integer_ids_and_days_and_book_them_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let connection = rusqlite::Connection::open(dir.path().join(STORE_FILE)).expect("open");
        connection.execute_batch(OLD_ORDERS_TABLE).expect("old schema");
        for (id, product, quantity, created_at, status) in [
            ("old-1", "red-velvet", 2, "2026-11-30T23:30:00Z", "placed"),
            ("old-2", "black-forest", 1, "2026-11-30T08:00:00Z", "delivered"),
            ("old-3", "chocolate-fudge", 3, "2026-12-01T00:30:00Z", "placed"),
        ] {
            connection
                .execute(
                    "INSERT INTO orders (order_id, status, document) VALUES (?1, ?2, ?3)",
                    rusqlite::params![id, status, text_id_document(id, product, quantity, created_at)],
                )
                .expect("insert");
            connection
                .execute(
                    "INSERT INTO order_steps (order_id, step, at) VALUES (?1, 'placed', ?2)",
                    rusqlite::params![id, created_at],
                )
                .expect("insert step");
        }
    }
    let day = |text: &str| Day::parse(text).expect("valid");
    for _ in 0..2 {
        // Twice: the second open migrates nothing again and books nothing twice.
        let store = Store::open(dir.path(), 1).expect("an old store opens");
        let orders = LocalOrders::new(store);
        let read = |id: &'static str| {
            let orders = orders.clone();
            async move {
                let id = cakeshop_domain::OrderId::parse(id).expect("id");
                orders.get(&id).await.expect("get").expect("kept")
            }
        };
        let first = read("old-1").await;
        assert_eq!(
            (first.product_id, first.delivery_date),
            (ProductId(3), day("2026-12-01"))
        );
        let second = read("old-2").await;
        assert_eq!((second.product_id, second.status), (ProductId(6), Status::Delivered));
        let third = read("old-3").await;
        assert_eq!(
            (third.product_id, third.delivery_date),
            (ProductId(1), day("2026-12-02"))
        );
        assert_eq!(
            orders.booked(day("2026-11-30"), 4).await.expect("booked"),
            [0, 3, 3, 0],
            "each old order's cakes are booked on its day, once"
        );
    }
}
