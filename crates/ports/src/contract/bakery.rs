//! The contract of the shop's rules and of the capacity that orders take and give back: the
//! last cake of a day goes to exactly one customer, a refused order writes nothing, and a
//! cancel gives its cakes back once, whatever races it.

use super::{ROOMY, pending_entry, sample_order};
use crate::bakery::{Bakery, Saved};
use crate::clock::{Clock, IdGenerator, SystemClock, TimeOrderedIds};
use crate::orders::{CreateOutcome, OrderRepository, TransitionOutcome};
use cakeshop_domain::{
    Cancellation, CancelledBy, CapacitySettings, Catalogue, Day, EventKind, Order, ProductChange, ProductId,
    ShopStatus, Status, Step,
};
use futures::future::join_all;

/// Every check below, on one store.
pub async fn bakery<R: OrderRepository + Bakery>(repository: &R) {
    reads_the_rules_and_saves_them_by_version(repository).await;
    reads_booked_counts_day_by_day(repository).await;
    the_last_cake_of_a_day_goes_to_exactly_one_order(repository).await;
    a_refused_order_writes_nothing(repository).await;
    a_cancel_gives_the_cakes_back_once(repository).await;
    cancel_and_fulfil_racing_have_one_winner(repository).await;
    a_cancelled_order_refuses_every_plain_move(repository).await;
}

/// A day no other check (or earlier run on the same store) books: somewhere in 2100–3900.
fn fresh_day() -> Day {
    let offset = (uuid::Uuid::new_v4().as_u128() % 650_000) as i64;
    Day::from_ymd(2100, 1, 1)
        .unwrap_or_else(|| panic!("2100-01-01 is a day"))
        .plus_days(offset)
}

fn order_for(day: Day, quantity: u32) -> Order {
    let mut order = sample_order();
    order.delivery_date = day;
    order.quantity = quantity;
    order
}

async fn booked_on<R: Bakery>(repository: &R, day: Day) -> u32 {
    let counts = repository.booked(day, 1).await.expect("booked");
    assert_eq!(counts.len(), 1, "one count per day asked for");
    counts[0]
}

async fn reads_the_rules_and_saves_them_by_version<R: Bakery>(repository: &R) {
    let rules = repository.rules().await.expect("rules");
    if rules.catalogue.version == 0 {
        assert_eq!(
            rules.catalogue.value,
            Catalogue::sample(),
            "no catalogue stored reads as the sample"
        );
    }
    assert!(
        (1..=6).all(|id| rules.catalogue.value.find(ProductId(id)).is_some()),
        "a new shop sells the sample's products 1–6"
    );

    let mut catalogue = rules.catalogue.value.clone();
    let change = ProductChange {
        price_cents: Some(cakeshop_domain::Cents(2950)),
        ..ProductChange::default()
    };
    catalogue.change(ProductId(2), change).expect("product 2 exists");
    let Saved::Stored { version } = repository
        .save_catalogue(&catalogue, rules.catalogue.version)
        .await
        .expect("save")
    else {
        panic!("a save at the version read is stored");
    };
    assert!(version > rules.catalogue.version, "a save moves the version on");
    assert_eq!(
        repository
            .save_catalogue(&Catalogue::sample(), rules.catalogue.version)
            .await
            .expect("save"),
        Saved::Stale,
        "a save at an old version is refused"
    );
    let reread = repository.rules().await.expect("rules");
    assert_eq!(reread.catalogue.value, catalogue, "the stale save wrote nothing");
    assert_eq!(reread.catalogue.version, version);

    let mut capacity = CapacitySettings::default();
    capacity.per_date.insert(fresh_day(), 0);
    capacity.per_weekday.insert("sunday".into(), 7);
    let Saved::Stored { version } = repository
        .save_capacity(&capacity, rules.capacity.version)
        .await
        .expect("save")
    else {
        panic!("capacity saves at the version read");
    };
    assert_eq!(
        repository
            .save_capacity(&capacity, rules.capacity.version)
            .await
            .expect("save"),
        Saved::Stale
    );
    let closed = ShopStatus {
        open: false,
        message: Some("Closed for the holidays".into()),
        until: Some(fresh_day()),
    };
    let Saved::Stored { version: shop_version } =
        repository.save_shop(&closed, rules.shop.version).await.expect("save")
    else {
        panic!("the shop's status saves at the version read");
    };
    let reread = repository.rules().await.expect("rules");
    assert_eq!((&reread.capacity.value, reread.capacity.version), (&capacity, version));
    assert_eq!((&reread.shop.value, reread.shop.version), (&closed, shop_version));
    // Leave the shop as other checks expect it.
    let open = ShopStatus::default();
    assert!(matches!(
        repository.save_shop(&open, shop_version).await.expect("save"),
        Saved::Stored { .. }
    ));
}

async fn reads_booked_counts_day_by_day<R: OrderRepository + Bakery>(repository: &R) {
    let first = fresh_day();
    let third = first.plus_days(2);
    for (day, quantity) in [(first, 2), (third, 3), (third, 1)] {
        let outcome = repository
            .create(&order_for(day, quantity), ROOMY)
            .await
            .expect("create");
        assert_eq!(outcome, CreateOutcome::Created);
    }
    assert_eq!(
        repository.booked(first, 4).await.expect("booked"),
        vec![2, 0, 4, 0],
        "one count per day, 0 where nothing is booked, in day order"
    );
}

async fn the_last_cake_of_a_day_goes_to_exactly_one_order<R: OrderRepository + Bakery>(repository: &R) {
    const CAPACITY: u32 = 3;
    const CUSTOMERS: usize = 12;
    let day = fresh_day();
    let orders: Vec<Order> = (0..CUSTOMERS).map(|_| order_for(day, 1)).collect();
    let outcomes = join_all(orders.iter().map(|order| repository.create(order, CAPACITY))).await;
    let mut created = Vec::new();
    for (order, outcome) in orders.iter().zip(outcomes) {
        match outcome.expect("create") {
            CreateOutcome::Created => created.push(order),
            CreateOutcome::DayFull { booked } => assert!(booked <= CAPACITY, "a full day reports {booked} booked"),
            CreateOutcome::AlreadyExists(_) => panic!("fresh ids never exist"),
        }
    }
    assert_eq!(
        created.len(),
        CAPACITY as usize,
        "exactly the day's capacity is taken, by concurrent orders"
    );
    assert_eq!(booked_on(repository, day).await, CAPACITY);
    for order in &orders {
        let stored = repository.get(&order.order_id).await.expect("get");
        let was_created = created.iter().any(|c| c.order_id == order.order_id);
        assert_eq!(
            stored.is_some(),
            was_created,
            "only the orders that took a cake are stored"
        );
    }
}

async fn a_refused_order_writes_nothing<R: OrderRepository + Bakery>(repository: &R) {
    let day = fresh_day();
    let too_many = order_for(day, 3);
    assert_eq!(
        repository.create(&too_many, 2).await.expect("create"),
        CreateOutcome::DayFull { booked: 0 },
        "more than the whole day takes"
    );
    let first = order_for(day, 2);
    assert_eq!(
        repository.create(&first, 3).await.expect("create"),
        CreateOutcome::Created
    );
    let second = order_for(day, 2);
    assert_eq!(
        repository.create(&second, 3).await.expect("create"),
        CreateOutcome::DayFull { booked: 2 },
        "more than the day has left"
    );
    let all_marks = SystemClock.now().plus_seconds(3600);
    for refused in [&too_many, &second] {
        assert_eq!(
            repository.get(&refused.order_id).await.expect("get"),
            None,
            "no order stored"
        );
        assert_eq!(
            pending_entry(repository, &refused.order_id, all_marks).await,
            None,
            "no event owed for an order never stored"
        );
    }
    assert_eq!(booked_on(repository, day).await, 2, "refusals take nothing");
    assert!(
        matches!(
            repository.create(&first, 0).await.expect("create"),
            CreateOutcome::AlreadyExists(_)
        ),
        "a repeat finds its order even on a day that is now full"
    );
    assert_eq!(booked_on(repository, day).await, 2, "a repeat takes nothing more");
}

fn by_customer() -> Cancellation {
    Cancellation {
        by: CancelledBy::Customer,
        reason: Some("We moved the party".into()),
    }
}

async fn a_cancel_gives_the_cakes_back_once<R: OrderRepository + Bakery>(repository: &R) {
    let day = fresh_day();
    let order = order_for(day, 2);
    repository.create(&order, 2).await.expect("create");
    let at = order.created_at.plus_seconds(60);
    let TransitionOutcome::Applied(cancelled) = repository.cancel(&order, &by_customer(), at).await.expect("cancel")
    else {
        panic!("a placed order cancels");
    };
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.cancellation, Some(by_customer()));
    assert_eq!(cancelled.step_time(Step::Cancelled), Some(at));
    assert_eq!(
        repository.get(&order.order_id).await.expect("get").as_ref(),
        Some(&*cancelled)
    );
    assert_eq!(booked_on(repository, day).await, 0, "the cakes are back");
    let marks = pending_entry(repository, &order.order_id, at.plus_seconds(3600)).await;
    assert!(
        marks.is_some_and(|entry| entry.kinds.contains(&EventKind::OrderCancelled)),
        "order_cancelled is owed to the stream"
    );

    let again = repository
        .cancel(&order, &by_customer(), at.plus_seconds(1))
        .await
        .expect("cancel");
    assert_eq!(
        again,
        TransitionOutcome::Conflict(cancelled.clone()),
        "a second cancel changes nothing"
    );
    assert_eq!(booked_on(repository, day).await, 0, "and gives nothing back twice");

    let next = order_for(day, 2);
    assert_eq!(
        repository.create(&next, 2).await.expect("create"),
        CreateOutcome::Created,
        "the day takes a new order in the cancelled one's place"
    );

    repository
        .transition(&next.order_id, Status::Placed, Status::Fulfilled, at)
        .await
        .expect("fulfil");
    let refused = repository.cancel(&next, &by_customer(), at).await.expect("cancel");
    assert!(
        matches!(&refused, TransitionOutcome::Conflict(order) if order.status == Status::Fulfilled),
        "a fulfilled order cannot be cancelled: {refused:?}"
    );
    assert_eq!(
        booked_on(repository, day).await,
        2,
        "a refused cancel gives nothing back"
    );

    let mut unknown = order_for(day, 1);
    unknown.order_id = TimeOrderedIds.order_id();
    assert_eq!(
        repository.cancel(&unknown, &by_customer(), at).await.expect("cancel"),
        TransitionOutcome::NotFound
    );
    assert_eq!(
        booked_on(repository, day).await,
        2,
        "cancelling an unknown order gives nothing back"
    );
}

async fn cancel_and_fulfil_racing_have_one_winner<R: OrderRepository + Bakery>(repository: &R) {
    let day = fresh_day();
    let mut fulfilled = 0;
    for _ in 0..8 {
        let order = order_for(day, 1);
        repository.create(&order, ROOMY).await.expect("create");
        let at = order.created_at.plus_seconds(60);
        let declined = Cancellation {
            by: CancelledBy::Baker,
            reason: None,
        };
        let (cancel, fulfil) = futures::join!(
            repository.cancel(&order, &declined, at),
            repository.transition(&order.order_id, Status::Placed, Status::Fulfilled, at),
        );
        let (cancel, fulfil) = (cancel.expect("cancel"), fulfil.expect("fulfil"));
        let stored = repository.get(&order.order_id).await.expect("get").expect("stored");
        match (&cancel, &fulfil) {
            (TransitionOutcome::Applied(_), TransitionOutcome::Conflict(_)) => {
                assert_eq!(stored.status, Status::Cancelled);
                assert!(
                    !stored.has_step(Step::Fulfilled),
                    "a cancelled order was never fulfilled"
                );
            }
            (TransitionOutcome::Conflict(_), TransitionOutcome::Applied(_)) => {
                assert_eq!(stored.status, Status::Fulfilled);
                assert_eq!(stored.cancellation, None, "a fulfilled order carries no cancellation");
                fulfilled += 1;
            }
            other => panic!("exactly one of cancel and fulfil wins: {other:?}"),
        }
    }
    assert_eq!(
        booked_on(repository, day).await,
        fulfilled,
        "only the fulfilled orders keep their cakes"
    );
}

async fn a_cancelled_order_refuses_every_plain_move<R: OrderRepository + Bakery>(repository: &R) {
    let order = order_for(fresh_day(), 1);
    repository.create(&order, ROOMY).await.expect("create");
    let at = order.created_at.plus_seconds(60);
    let TransitionOutcome::Applied(cancelled) = repository.cancel(&order, &by_customer(), at).await.expect("cancel")
    else {
        panic!("a placed order cancels");
    };
    for from in Status::ALL {
        for to in Status::ALL {
            let outcome = repository
                .transition(&order.order_id, from, to, at.plus_seconds(60))
                .await
                .expect("transition");
            assert_eq!(
                outcome,
                TransitionOutcome::Conflict(cancelled.clone()),
                "a cancelled order is final: {from} → {to} is refused"
            );
        }
    }
    let placed = order_for(fresh_day(), 1);
    repository.create(&placed, ROOMY).await.expect("create");
    let outcome = repository
        .transition(&placed.order_id, Status::Placed, Status::Cancelled, at)
        .await
        .expect("transition");
    assert!(
        matches!(outcome, TransitionOutcome::Conflict(_)),
        "cancelling is `cancel`, never a plain transition that would keep the cakes booked"
    );
}
