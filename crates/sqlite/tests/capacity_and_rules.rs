//! On the real store: a day's capacity is taken by exactly as many concurrent orders as it
//! holds, refusals write nothing, a cancel gives its cakes back and owes the stream its event,
//! a cancel racing a fulfilment has one winner, and the shop's rules are saved by version and
//! kept across reopening.

use cakeshop_domain::{
    Cancellation, CancelledBy, CapacitySettings, Catalogue, Cents, Day, EventKind, Order, ProductChange, ProductId,
    ShopStatus, Status, Step,
};
use cakeshop_ports::contract::sample_order;
use cakeshop_ports::{Bakery, CreateOutcome, OrderRepository, Outbox, Saved, TransitionOutcome};
use cakeshop_sqlite::seed::count_orders;
use cakeshop_sqlite::{LocalOrders, STORE_FILE, Store};
use std::path::Path;

fn day(text: &str) -> Day {
    Day::parse(text).expect("valid")
}

fn order_for(delivery_date: Day, quantity: u32) -> Order {
    let mut order = sample_order();
    order.delivery_date = delivery_date;
    order.quantity = quantity;
    order
}

fn open(dir: &Path) -> (Store, LocalOrders) {
    let store = Store::open(dir, 1).expect("store");
    (store.clone(), LocalOrders::new(store))
}

async fn booked_on(orders: &LocalOrders, day: Day) -> u32 {
    orders.booked(day, 1).await.expect("booked")[0]
}

/// What the store's tables hold, read past the adapter: (orders, outbox rows, booked_days rows).
fn table_sizes(dir: &Path) -> (i64, i64, i64) {
    let connection = rusqlite::Connection::open(dir.join(STORE_FILE)).expect("open");
    let count = |table: &str| -> i64 {
        connection
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0))
            .expect("count")
    };
    (count("orders"), count("outbox"), count("booked_days"))
}

fn outbox_kinds(dir: &Path, order: &Order) -> Vec<String> {
    let connection = rusqlite::Connection::open(dir.join(STORE_FILE)).expect("open");
    let mut statement = connection
        .prepare("SELECT kind FROM outbox WHERE order_id = ?1 ORDER BY kind")
        .expect("prepare");
    statement
        .query_map([order.order_id.as_str()], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn by_customer() -> Cancellation {
    Cancellation {
        by: CancelledBy::Customer,
        reason: Some("the party moved".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_orders_for_a_day_of_five_give_exactly_five_cakes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, orders) = open(dir.path());
    let christmas = day("2026-12-24");
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let orders = orders.clone();
            let order = order_for(christmas, 1);
            tokio::spawn(async move {
                let outcome = orders.create(&order, 5).await.expect("create");
                (order, outcome)
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut full = 0;
    for task in tasks {
        let (order, outcome) = task.await.expect("task");
        match outcome {
            CreateOutcome::Created => created.push(order),
            CreateOutcome::DayFull { booked } => {
                assert!(booked <= 5, "a full day reports what is booked: {booked}");
                full += 1;
            }
            CreateOutcome::AlreadyExists(_) => panic!("every id is fresh"),
        }
    }
    assert_eq!((created.len(), full), (5, 35));
    assert_eq!(booked_on(&orders, christmas).await, 5);
    assert_eq!(count_orders(&store).expect("count"), 5, "only the five are stored");
    for order in &created {
        assert_eq!(orders.get(&order.order_id).await.expect("get").as_ref(), Some(order));
    }
    let (stored, outbox, days) = table_sizes(dir.path());
    assert_eq!((stored, outbox, days), (5, 5, 1), "one outbox mark per stored order");
}

#[tokio::test]
async fn a_refused_order_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_store, orders) = open(dir.path());
    let friday = day("2026-12-04");
    let first = order_for(friday, 3);
    assert_eq!(orders.create(&first, 4).await.expect("create"), CreateOutcome::Created);
    let before = table_sizes(dir.path());

    let refused = order_for(friday, 2);
    assert_eq!(
        orders.create(&refused, 4).await.expect("create"),
        CreateOutcome::DayFull { booked: 3 }
    );
    let too_big = order_for(day("2026-12-05"), 5);
    assert_eq!(
        orders.create(&too_big, 4).await.expect("create"),
        CreateOutcome::DayFull { booked: 0 },
        "more than a whole day takes"
    );
    for order in [&refused, &too_big] {
        assert_eq!(orders.get(&order.order_id).await.expect("get"), None);
        assert!(outbox_kinds(dir.path(), order).is_empty(), "no outbox mark");
    }
    assert_eq!(table_sizes(dir.path()), before, "no order, no outbox row, no day row");
    assert_eq!(booked_on(&orders, friday).await, 3);
    assert_eq!(booked_on(&orders, day("2026-12-05")).await, 0);

    // A repeat of a stored order finds it, and takes nothing, even with no room left.
    assert!(matches!(
        orders.create(&first, 0).await.expect("create"),
        CreateOutcome::AlreadyExists(stored) if *stored == first
    ));
    assert_eq!(booked_on(&orders, friday).await, 3);
    assert_eq!(table_sizes(dir.path()), before);

    // A plain move to cancelled is refused and keeps the cakes booked.
    let outcome = orders
        .transition(&first.order_id, Status::Placed, Status::Cancelled, first.created_at)
        .await
        .expect("transition");
    assert_eq!(outcome, TransitionOutcome::Conflict(Box::new(first.clone())));
    assert_eq!(booked_on(&orders, friday).await, 3);
    assert_eq!(outbox_kinds(dir.path(), &first), ["order_placed"]);
}

#[tokio::test]
async fn a_cancel_gives_the_cakes_back_and_owes_the_stream_order_cancelled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, orders) = open(dir.path());
    let saturday = day("2026-12-05");
    let order = order_for(saturday, 3);
    orders.create(&order, 3).await.expect("create");
    assert_eq!(
        orders.create(&order_for(saturday, 1), 3).await.expect("create"),
        CreateOutcome::DayFull { booked: 3 }
    );
    let at = order.created_at.plus_seconds(120);
    let TransitionOutcome::Applied(cancelled) = orders.cancel(&order, &by_customer(), at).await.expect("cancel") else {
        panic!("a placed order cancels");
    };
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.cancellation, Some(by_customer()));
    assert_eq!(cancelled.step_time(Step::Cancelled), Some(at));
    assert_eq!(booked_on(&orders, saturday).await, 0, "all three cakes are back");
    assert_eq!(outbox_kinds(dir.path(), &order), ["order_cancelled", "order_placed"]);
    let pending = orders.pending(at.plus_seconds(1), 10).await.expect("pending");
    assert!(
        pending
            .iter()
            .any(|entry| entry.order_id == order.order_id && entry.kinds.contains(&EventKind::OrderCancelled))
    );

    // A second cancel is a conflict that gives nothing back twice.
    let again = orders.cancel(&order, &by_customer(), at).await.expect("cancel");
    assert_eq!(again, TransitionOutcome::Conflict(cancelled.clone()));
    assert_eq!(booked_on(&orders, saturday).await, 0);
    assert_eq!(
        orders.create(&order_for(saturday, 3), 3).await.expect("create"),
        CreateOutcome::Created,
        "the day has room again"
    );

    // The cancellation is in the stored document, not only in the answer.
    drop((store, orders));
    let (_store, reopened) = open(dir.path());
    assert_eq!(
        reopened.get(&order.order_id).await.expect("get").as_ref(),
        Some(&*cancelled)
    );
    assert_eq!(
        reopened
            .list_by_status(Status::Cancelled, 10, None)
            .await
            .expect("list")
            .orders,
        [*cancelled]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_racing_a_fulfilment_has_exactly_one_winner_and_the_day_agrees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_store, orders) = open(dir.path());
    let sunday = day("2026-12-06");
    let declined = Cancellation {
        by: CancelledBy::Baker,
        reason: None,
    };
    let (mut fulfilled, mut cancelled) = (0u32, 0u32);
    for round in 0..60 {
        let order = order_for(sunday, 2);
        orders.create(&order, 1_000).await.expect("create");
        let at = order.created_at.plus_seconds(60);
        let cancel = tokio::spawn({
            let (orders, order, declined) = (orders.clone(), order.clone(), declined.clone());
            async move { orders.cancel(&order, &declined, at).await.expect("cancel") }
        });
        let fulfil = tokio::spawn({
            let (orders, id) = (orders.clone(), order.order_id.clone());
            async move {
                orders
                    .transition(&id, Status::Placed, Status::Fulfilled, at)
                    .await
                    .expect("fulfil")
            }
        });
        let (cancel, fulfil) = (cancel.await.expect("task"), fulfil.await.expect("task"));
        let stored = orders.get(&order.order_id).await.expect("get").expect("stored");
        match (&cancel, &fulfil) {
            (TransitionOutcome::Applied(won), TransitionOutcome::Conflict(seen)) => {
                assert_eq!((&stored, &stored), (&**won, &**seen), "round {round}");
                assert!(!stored.has_step(Step::Fulfilled));
                cancelled += 1;
            }
            (TransitionOutcome::Conflict(seen), TransitionOutcome::Applied(won)) => {
                assert_eq!((&stored, &stored), (&**won, &**seen), "round {round}");
                assert_eq!(stored.cancellation, None);
                assert!(!stored.has_step(Step::Cancelled));
                fulfilled += 1;
            }
            other => panic!("round {round}: exactly one wins: {other:?}"),
        }
        assert_eq!(booked_on(&orders, sunday).await, 2 * fulfilled, "round {round}");
    }
    assert_eq!(fulfilled + cancelled, 60);
}

#[tokio::test]
async fn a_new_store_sells_the_sample_catalogue_and_reopening_neither_restocks_nor_bumps_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, orders) = open(dir.path());
    let rules = orders.rules().await.expect("rules");
    assert_eq!(
        (&rules.catalogue.value, rules.catalogue.version),
        (&Catalogue::sample(), 1)
    );
    assert_eq!(
        (&rules.capacity.value, rules.capacity.version),
        (&CapacitySettings::default(), 0),
        "no capacity stored: the default, at version 0"
    );
    assert_eq!((&rules.shop.value, rules.shop.version), (&ShopStatus::default(), 0));
    drop((store, orders));
    let (_store, orders) = open(dir.path());
    assert_eq!(orders.rules().await.expect("rules").catalogue.version, 1);

    let mut catalogue = Catalogue::sample();
    catalogue.products.retain(|product| product.product_id != ProductId(6));
    assert_eq!(
        orders.save_catalogue(&catalogue, 1).await.expect("save"),
        Saved::Stored { version: 2 }
    );
    drop(orders);
    let (_store, orders) = open(dir.path());
    let reopened = orders.rules().await.expect("rules");
    assert_eq!(
        (&reopened.catalogue.value, reopened.catalogue.version),
        (&catalogue, 2),
        "a stored catalogue is never replaced by the sample"
    );
}

#[tokio::test]
async fn saves_are_refused_once_the_version_moved_and_survive_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, orders) = open(dir.path());

    let mut capacity = CapacitySettings::default();
    capacity.per_date.insert(day("2026-12-24"), 60);
    assert_eq!(
        orders.save_capacity(&capacity, 0).await.expect("save"),
        Saved::Stored { version: 1 }
    );
    assert_eq!(
        orders
            .save_capacity(&CapacitySettings::default(), 0)
            .await
            .expect("save"),
        Saved::Stale,
        "a first save when one is stored"
    );
    capacity.per_weekday.insert("sunday".into(), 0);
    assert_eq!(
        orders.save_capacity(&capacity, 1).await.expect("save"),
        Saved::Stored { version: 2 }
    );
    assert_eq!(
        orders
            .save_capacity(&CapacitySettings::default(), 1)
            .await
            .expect("save"),
        Saved::Stale
    );
    assert_eq!(
        orders
            .save_capacity(&CapacitySettings::default(), 7)
            .await
            .expect("save"),
        Saved::Stale,
        "a version never reached"
    );
    assert_eq!(
        orders
            .save_capacity(&CapacitySettings::default(), u64::MAX)
            .await
            .expect("save"),
        Saved::Stale
    );

    let closed = ShopStatus {
        open: false,
        message: Some("Closed for Christmas".into()),
        until: Some(day("2026-12-27")),
    };
    assert_eq!(
        orders.save_shop(&closed, 0).await.expect("save"),
        Saved::Stored { version: 1 }
    );

    let mut catalogue = Catalogue::sample();
    let change = ProductChange {
        price_cents: Some(Cents(2950)),
        ..ProductChange::default()
    };
    catalogue.change(ProductId(2), change).expect("known");
    assert_eq!(
        orders.save_catalogue(&catalogue, 0).await.expect("save"),
        Saved::Stale,
        "the sample catalogue is stored at version 1"
    );
    assert_eq!(
        orders.save_catalogue(&catalogue, 1).await.expect("save"),
        Saved::Stored { version: 2 }
    );
    assert_eq!(
        orders.save_catalogue(&Catalogue::sample(), 1).await.expect("save"),
        Saved::Stale
    );

    let before = orders.rules().await.expect("rules");
    assert_eq!((&before.catalogue.value, before.catalogue.version), (&catalogue, 2));
    assert_eq!((&before.capacity.value, before.capacity.version), (&capacity, 2));
    assert_eq!((&before.shop.value, before.shop.version), (&closed, 1));
    drop((store, orders));
    let (_store, reopened) = open(dir.path());
    assert_eq!(reopened.rules().await.expect("rules"), before, "kept across reopening");
}

#[tokio::test]
async fn booked_counts_are_read_day_by_day_and_at_most_a_hundred_days_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_store, orders) = open(dir.path());
    for (date, quantity) in [
        ("2026-12-31", 2),
        ("2027-01-02", 3),
        ("2027-01-02", 1),
        ("2027-04-09", 5),
        ("2027-04-10", 7),
    ] {
        orders
            .create(&order_for(day(date), quantity), 20)
            .await
            .expect("create");
    }
    assert_eq!(
        orders.booked(day("2026-12-30"), 5).await.expect("booked"),
        [0, 2, 0, 4, 0],
        "across the turn of the year, in day order"
    );
    let hundred = orders.booked(day("2026-12-31"), 100).await.expect("booked");
    assert_eq!(hundred.len(), 100);
    assert_eq!(hundred[99], 5, "the hundredth day is 2027-04-09");
    assert_eq!(hundred.iter().sum::<u32>(), 11, "and the day after it is not read");
    assert!(orders.booked(day("2026-12-31"), 0).await.expect("booked").is_empty());
    assert!(orders.booked(day("2026-12-31"), 101).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rules_read_after_a_save_is_answered_are_the_saved_ones_even_with_reads_racing_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, baker) = open(dir.path());
    // Another handle on the same store, as each function gets its own.
    let customer = LocalOrders::new(store.clone());
    assert_eq!(customer.rules().await.expect("rules").capacity.version, 0);

    let readers: Vec<_> = (0..4)
        .map(|_| {
            let customer = customer.clone();
            tokio::spawn(async move {
                for _ in 0..500 {
                    customer.rules().await.expect("rules");
                }
            })
        })
        .collect();
    for version in 0..40u32 {
        let mut capacity = CapacitySettings::default();
        capacity.per_date.insert(day("2026-12-24"), version);
        let saved = baker.save_capacity(&capacity, u64::from(version)).await.expect("save");
        assert_eq!(
            saved,
            Saved::Stored {
                version: u64::from(version) + 1
            }
        );
        let seen = customer.rules().await.expect("rules");
        assert_eq!(
            (&seen.capacity.value, seen.capacity.version),
            (&capacity, u64::from(version) + 1),
            "read after save {version} was answered"
        );
    }
    for reader in readers {
        reader.await.expect("reader");
    }
}
