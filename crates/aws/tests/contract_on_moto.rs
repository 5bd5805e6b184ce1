//! The ports' shared contract, run against the AWS adapters on moto (an AWS emulator).
//!
//! Each test starts its own `moto_server` on a free loopback port (installed by `tools/test`
//! into the project's virtualenv) and makes the resources it needs the way the stack does.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use aws_sdk_ssm::types::ParameterType;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cakeshop_aws::{
    AwsClients, ConfigError, DynamoOrders, FunctionEnv, KinesisEvents, Secret, SesMailer, SqsQueue,
    dynamodb::order_table,
};
use cakeshop_domain::{
    Cancellation, CancelledBy, CapacitySettings, Catalogue, Day, EventKind, Order, OrderId, ProductId, ShopStatus,
    Status, Step, Timestamp, parse_new_order,
};
use cakeshop_ports::contract::{self, MailboxProbe, QueueProbe, StreamProbe};
use cakeshop_ports::{
    Bakery, Clock, CreateOutcome, Email, IdGenerator, OrderRepository, Outbox, OutgoingMessage, QueueSender, Saved,
    SystemClock, TimeOrderedIds, TransitionOutcome,
};
use cakeshop_test_support::MotoServer;
use futures::future::join_all;
use serde_json::Value;
use std::collections::HashMap;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An emulator of the test's own and clients pointed at it.
async fn moto() -> (MotoServer, AwsClients) {
    let server = MotoServer::start();
    let clients = AwsClients::from_config(&server.sdk_config().await);
    (server, clients)
}

/// moto answering one request at a time, for the tests of concurrent writes.
///
/// DynamoDB applies each write, a transaction included, atomically. moto's own server handles
/// requests on threads without a lock, so two conditional writes on one item sent at once can
/// both pass their condition there (seen: a cancel and a fulfilment both applied). Served on
/// one thread, each request is applied whole before the next, as DynamoDB applies them, while
/// the client still sends them all at once and the table decides in whatever order they come.
struct SerialMoto {
    child: Child,
}

impl Drop for SerialMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SERIAL_MOTO: &str = "\
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app),
           threaded=False, request_handler=MotoRequestHandler)
";

async fn serial_moto() -> (SerialMoto, AwsClients) {
    let python = MotoServer::binary().with_file_name("python");
    let port = cakeshop_test_support::free_port();
    let child = Command::new(&python)
        .args(["-c", SERIAL_MOTO, "127.0.0.1", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting moto with {}: {e}", python.display()));
    let server = SerialMoto { child };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto did not start on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "cakeshop-tests",
        ))
        .load()
        .await;
    (server, AwsClients::from_config(&config))
}

/// A name no earlier run used.
fn fresh_name(prefix: &str) -> String {
    format!("{prefix}-{}", TimeOrderedIds.order_id())
}

/// A new order table, made as `cakeshop_aws::dynamodb::order_table` defines it.
async fn orders_table(aws: &AwsClients) -> String {
    let table = fresh_name("orders");
    order_table::define(aws.dynamodb().create_table().table_name(&table))
        .expect("a complete table definition")
        .send()
        .await
        .expect("create the table");
    table
}

#[tokio::test]
async fn dynamo_orders_keep_the_order_repository_contract() {
    // Its concurrent transitions need writes applied one at a time, as DynamoDB applies them.
    let (_moto, aws) = serial_moto().await;
    let table = orders_table(&aws).await;
    contract::order_repository(&DynamoOrders::new(aws.dynamodb(), table)).await;
}

#[tokio::test]
async fn dynamo_orders_keep_the_bakery_contract() {
    // Its races need writes applied one at a time, as DynamoDB applies them.
    let (_moto, aws) = serial_moto().await;
    let table = orders_table(&aws).await;
    contract::bakery(&DynamoOrders::new(aws.dynamodb(), table)).await;
}

#[tokio::test]
async fn dynamo_orders_keep_the_limiter_contract() {
    // Its races need writes applied one at a time, as DynamoDB applies them.
    let (_moto, aws) = serial_moto().await;
    let table = orders_table(&aws).await;
    contract::limiter(&DynamoOrders::new(aws.dynamodb(), table)).await;
}

/// The table's time to live is the client limits' counters' `expiresAt`, as serverless.yml
/// sets it, and a counter carries it.
#[tokio::test]
async fn limit_counters_carry_the_tables_time_to_live() {
    use cakeshop_domain::{Limit, Timestamp, Window};
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    order_table::time_to_live(aws.dynamodb().update_time_to_live().table_name(&table))
        .expect("a complete time to live")
        .send()
        .await
        .expect("turn on the time to live");
    let described = aws
        .dynamodb()
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .expect("describe the time to live");
    let attribute = described
        .time_to_live_description()
        .and_then(|d| d.attribute_name())
        .map(str::to_owned);
    assert_eq!(attribute.as_deref(), Some("expiresAt"));
    let serverless =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml")).expect("serverless.yml");
    assert!(
        serverless.contains("TimeToLiveSpecification:\n          AttributeName: expiresAt\n          Enabled: true"),
        "serverless.yml's OrdersTable has the same time to live"
    );
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let now = Timestamp::from_unix_millis(4_102_444_830_000).expect("an instant");
    cakeshop_ports::limits::take(&orders, Limit::Orders, "client", &[Window::new(5, 60)], now)
        .await
        .expect("take");
    let items = aws.dynamodb().scan().table_name(&table).send().await.expect("scan");
    let counter = items
        .items()
        .iter()
        .find(|item| {
            item.get("orderId")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|k| k.starts_with("limit#"))
        })
        .expect("a counter item");
    assert_eq!(counter.get("expiresAt"), Some(&AttributeValue::N("4102444860".into())));
    assert_eq!(counter.get("hits"), Some(&AttributeValue::N("1".into())));
}

/// The stored item, attribute by attribute, as the table holds it.
async fn raw_item(aws: &AwsClients, table: &str, order_id: &OrderId) -> Option<HashMap<String, AttributeValue>> {
    aws.dynamodb()
        .get_item()
        .table_name(table)
        .key("orderId", AttributeValue::S(order_id.as_str().to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("get the item")
        .item
}

#[tokio::test]
async fn clearing_the_last_mark_takes_the_order_off_the_pending_index() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let order = contract::sample_order();
    orders.create(&order, contract::ROOMY).await.expect("create");

    let marked = raw_item(&aws, &table, &order.order_id).await.expect("stored");
    assert_eq!(marked.get("outboxBucket"), Some(&AttributeValue::S("pending".into())));
    let since = order_outbox_since(&marked);
    assert_eq!(since.len(), "2026-11-21T07:55:15.000Z".len(), "fixed width: {since}");

    orders
        .mark_published(&order.order_id, EventKind::OrderPlaced)
        .await
        .expect("mark published");
    let cleared = raw_item(&aws, &table, &order.order_id).await.expect("stored");
    for attribute in ["pendingEvents", "outboxBucket", "outboxSince"] {
        assert!(!cleared.contains_key(attribute), "{attribute} is gone: {cleared:?}");
    }
    assert_eq!(orders.get(&order.order_id).await.expect("get"), Some(order));
}

fn order_outbox_since(item: &HashMap<String, AttributeValue>) -> String {
    match item.get("outboxSince") {
        Some(AttributeValue::S(since)) => since.clone(),
        other => panic!("outboxSince is a string, not {other:?}"),
    }
}

#[tokio::test]
async fn listing_finishes_a_clearing_interrupted_between_its_two_writes() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let order = contract::sample_order();
    orders.create(&order, contract::ROOMY).await.expect("create");
    // What a crash right after the first write of mark_published leaves: no marks, still listed.
    aws.dynamodb()
        .update_item()
        .table_name(&table)
        .key("orderId", AttributeValue::S(order.order_id.as_str().to_owned()))
        .update_expression("REMOVE pendingEvents")
        .send()
        .await
        .expect("drop the marks");

    let now = SystemClock.now();
    assert_eq!(orders.pending(now.plus_seconds(1), 10).await.expect("pending"), vec![]);
    let item = raw_item(&aws, &table, &order.order_id).await.expect("stored");
    assert!(
        !item.contains_key("outboxBucket") && !item.contains_key("outboxSince"),
        "{item:?}"
    );
}

#[tokio::test]
async fn pending_orders_are_listed_oldest_first_across_pages() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table);
    let start = SystemClock.now().plus_seconds(-600);
    // Created out of order, at whole seconds and at fractions of one (which sort differently
    // as text unless written at a fixed width).
    let offsets_ms = [2_500, 0, 1_000, 1_250, 3_000, 500, 2_000];
    let mut placed = Vec::new();
    for offset in offsets_ms {
        let at = Timestamp::from_unix_millis(start.unix_millis() + offset).expect("in range");
        let order = contract::sample_order_placed_at(at);
        orders.create(&order, contract::ROOMY).await.expect("create");
        placed.push((at, order.order_id));
    }
    placed.sort_by_key(|(at, _)| *at);
    let due_before = Timestamp::from_unix_millis(start.unix_millis() + 2_500).expect("in range");

    let listed = orders.pending(due_before, 100).await.expect("pending");
    let expected: Vec<_> = placed.iter().filter(|(at, _)| *at < due_before).cloned().collect();
    let got: Vec<_> = listed.iter().map(|p| (p.since, p.order_id.clone())).collect();
    assert_eq!(got, expected, "strictly before, oldest first");
    assert_eq!(
        orders.pending(due_before, 2).await.expect("pending").len(),
        2,
        "at most the limit"
    );
}
/// An order of `quantity` red velvet cakes for `day`, placed now, with a fresh id.
fn order_for(day: Day, quantity: u32) -> Order {
    let body = format!(r#"{{"name":"Ada","address":"1 Loop Road","productId":3,"quantity":{quantity}}}"#);
    let new_order = parse_new_order(body.as_bytes())
        .and_then(|request| request.priced(&Catalogue::sample(), day))
        .expect("a valid order");
    Order::place(TimeOrderedIds.order_id(), new_order, SystemClock.now())
}

fn day(text: &str) -> Day {
    Day::parse(text).expect("a valid day")
}

/// The day counter as the table holds it: `None` when no item was ever written for the day.
async fn raw_booked(aws: &AwsClients, table: &str, day: Day) -> Option<i64> {
    let item = aws
        .dynamodb()
        .get_item()
        .table_name(table)
        .key("orderId", AttributeValue::S(format!("day#{day}")))
        .consistent_read(true)
        .send()
        .await
        .expect("get the day")
        .item?;
    match item.get("booked") {
        Some(AttributeValue::N(count)) => Some(count.parse().expect("a whole number")),
        other => panic!("booked is a number, not {other:?}"),
    }
}

/// The kinds of event pending for `order_id`, if it is listed at all.
async fn pending_kinds(orders: &DynamoOrders, order_id: &OrderId) -> Option<Vec<EventKind>> {
    let later = SystemClock.now().plus_seconds(3600);
    let pending = orders.pending(later, 1000).await.expect("pending");
    pending
        .into_iter()
        .find(|entry| &entry.order_id == order_id)
        .map(|entry| entry.kinds)
}

#[tokio::test]
async fn concurrent_creates_never_take_more_than_the_day_has() {
    let (_moto, aws) = serial_moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let day = day("2099-03-14");
    let attempts: Vec<Order> = (0..16).map(|_| order_for(day, 1)).collect();
    let outcomes = join_all(attempts.iter().map(|order| orders.create(order, 5))).await;

    let mut created = Vec::new();
    for (order, outcome) in attempts.iter().zip(outcomes) {
        match outcome.expect("create") {
            CreateOutcome::Created => created.push(order),
            // Refused only once the other four… five were in: nothing else can be booked.
            CreateOutcome::DayFull { booked } => assert_eq!(booked, 5, "{}", order.order_id),
            other => panic!("a new id is created or refused for a full day, not {other:?}"),
        }
    }
    assert_eq!(created.len(), 5, "exactly the day's capacity is taken");
    assert_eq!(raw_booked(&aws, &table, day).await, Some(5), "and counted on the table");
    for order in &attempts {
        let stored = raw_item(&aws, &table, &order.order_id).await;
        assert_eq!(
            stored.is_some(),
            created.contains(&order),
            "{}: stored exactly when created",
            order.order_id
        );
    }
    assert_eq!(orders.booked(day, 1).await.expect("booked"), vec![5]);
}

#[tokio::test]
async fn a_refused_create_writes_nothing() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let day = day("2099-03-15");
    let first = order_for(day, 2);
    assert_eq!(orders.create(&first, 3).await.expect("create"), CreateOutcome::Created);

    // Two more would pass the capacity of 3.
    let second = order_for(day, 2);
    assert_eq!(
        orders.create(&second, 3).await.expect("create"),
        CreateOutcome::DayFull { booked: 2 }
    );
    // More than the day takes at all: refused without a write, on a day counted or not.
    let huge = order_for(day, 4);
    assert_eq!(
        orders.create(&huge, 3).await.expect("create"),
        CreateOutcome::DayFull { booked: 2 }
    );
    let untouched = day.plus_days(1);
    let huge_elsewhere = order_for(untouched, 4);
    assert_eq!(
        orders.create(&huge_elsewhere, 3).await.expect("create"),
        CreateOutcome::DayFull { booked: 0 }
    );
    for refused in [&second, &huge, &huge_elsewhere] {
        assert_eq!(
            raw_item(&aws, &table, &refused.order_id).await,
            None,
            "{}",
            refused.order_id
        );
        assert_eq!(
            pending_kinds(&orders, &refused.order_id).await,
            None,
            "no event is owed"
        );
    }
    assert_eq!(raw_booked(&aws, &table, day).await, Some(2), "the count is as it was");
    assert_eq!(raw_booked(&aws, &table, untouched).await, None, "no counter was made");
    let listed = orders.list_by_status(Status::Placed, 10, None).await.expect("list");
    assert_eq!(listed.orders, vec![first.clone()], "only the created order is listed");

    // A repeat of the first finds it, full day or not, and takes nothing.
    for capacity in [2, 1] {
        assert_eq!(
            orders.create(&first, capacity).await.expect("create again"),
            CreateOutcome::AlreadyExists(Box::new(first.clone())),
            "capacity {capacity}"
        );
    }
    assert_eq!(raw_booked(&aws, &table, day).await, Some(2));
}

#[tokio::test]
async fn cancelling_gives_the_cakes_back_and_owes_the_stream_an_event() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let day = day("2099-03-16");
    let order = order_for(day, 3);
    assert_eq!(orders.create(&order, 3).await.expect("create"), CreateOutcome::Created);
    orders
        .mark_published(&order.order_id, EventKind::OrderPlaced)
        .await
        .expect("published");
    assert_eq!(
        orders.create(&order_for(day, 1), 3).await.expect("create"),
        CreateOutcome::DayFull { booked: 3 }
    );

    // The plain transition cannot cancel: it would keep the cakes.
    let later = order.created_at.plus_seconds(60);
    assert_eq!(
        orders
            .transition(&order.order_id, Status::Placed, Status::Cancelled, later)
            .await
            .expect("transition"),
        TransitionOutcome::Conflict(Box::new(order.clone()))
    );
    assert_eq!(orders.get(&order.order_id).await.expect("get"), Some(order.clone()));

    let cancellation = Cancellation {
        by: CancelledBy::Customer,
        reason: Some("Plans changed".into()),
    };
    let TransitionOutcome::Applied(cancelled) = orders.cancel(&order, &cancellation, later).await.expect("cancel")
    else {
        panic!("a placed order can be cancelled");
    };
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.cancellation, Some(cancellation.clone()));
    assert_eq!(cancelled.step_time(Step::Cancelled), Some(later));
    assert_eq!(
        orders.get(&order.order_id).await.expect("get").as_ref(),
        Some(&*cancelled)
    );
    assert_eq!(raw_booked(&aws, &table, day).await, Some(0), "the cakes are back");
    assert_eq!(
        pending_kinds(&orders, &order.order_id).await,
        Some(vec![EventKind::OrderCancelled]),
        "order_cancelled is owed to the stream"
    );
    let listed = orders.list_by_status(Status::Cancelled, 10, None).await.expect("list");
    assert_eq!(listed.orders, vec![(*cancelled).clone()], "listed as cancelled");
    assert!(
        orders
            .list_by_status(Status::Placed, 10, None)
            .await
            .expect("list")
            .orders
            .is_empty()
    );

    // The day takes the cakes again; a second cancel gives nothing back twice.
    assert_eq!(
        orders.create(&order_for(day, 3), 3).await.expect("create"),
        CreateOutcome::Created
    );
    assert_eq!(
        orders
            .cancel(&order, &cancellation, later.plus_seconds(5))
            .await
            .expect("cancel"),
        TransitionOutcome::Conflict(cancelled.clone())
    );
    assert_eq!(raw_booked(&aws, &table, day).await, Some(3));

    // Nothing to cancel: nothing written.
    let missing = order_for(day.plus_days(1), 1);
    assert_eq!(
        orders.cancel(&missing, &cancellation, later).await.expect("cancel"),
        TransitionOutcome::NotFound
    );
    assert_eq!(raw_item(&aws, &table, &missing.order_id).await, None);
    assert_eq!(raw_booked(&aws, &table, missing.delivery_date).await, None);
}

#[tokio::test]
async fn a_cancel_racing_a_fulfilment_has_one_winner() {
    let (_moto, aws) = serial_moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let by_baker = Cancellation {
        by: CancelledBy::Baker,
        reason: None,
    };
    let (mut cancels, mut fulfilments) = (0, 0);
    for round in 0..8 {
        let day = day("2099-04-01").plus_days(round);
        let order = order_for(day, 2);
        orders.create(&order, 10).await.expect("create");
        let at = order.created_at.plus_seconds(30);
        let (cancel, fulfil) = tokio::join!(
            orders.cancel(&order, &by_baker, at),
            orders.transition(&order.order_id, Status::Placed, Status::Fulfilled, at),
        );
        let stored = orders.get(&order.order_id).await.expect("get").expect("stored");
        match (cancel.expect("cancel"), fulfil.expect("fulfil")) {
            (TransitionOutcome::Applied(won), TransitionOutcome::Conflict(seen)) => {
                cancels += 1;
                assert_eq!(stored.status, Status::Cancelled);
                assert_eq!(*won, stored);
                assert_eq!(*seen, stored);
                assert_eq!(raw_booked(&aws, &table, day).await, Some(0), "round {round}");
            }
            (TransitionOutcome::Conflict(seen), TransitionOutcome::Applied(won)) => {
                fulfilments += 1;
                assert_eq!(stored.status, Status::Fulfilled);
                assert_eq!(*won, stored);
                assert_eq!(*seen, stored);
                assert_eq!(raw_booked(&aws, &table, day).await, Some(2), "round {round}");
            }
            other => panic!("round {round}: exactly one wins, not {other:?}"),
        }
    }
    assert_eq!(cancels + fulfilments, 8);
}

#[tokio::test]
async fn the_shops_rules_default_until_saved_and_saves_are_versioned() {
    let (_moto, aws) = serial_moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());

    let rules = Arc::unwrap_or_clone(orders.rules().await.expect("rules"));
    assert_eq!(
        (rules.catalogue.value, rules.catalogue.version),
        (Catalogue::sample(), 0)
    );
    assert_eq!(
        (rules.capacity.value, rules.capacity.version),
        (CapacitySettings::default(), 0)
    );
    assert_eq!((rules.shop.value, rules.shop.version), (ShopStatus::default(), 0));

    let mut catalogue = Catalogue::sample();
    catalogue.products.retain(|product| product.product_id != ProductId(6));
    assert_eq!(
        orders.save_catalogue(&catalogue, 0).await.expect("save"),
        Saved::Stored { version: 1 }
    );
    assert_eq!(
        orders.save_catalogue(&Catalogue::sample(), 0).await.expect("save"),
        Saved::Stale
    );
    let mut settings = CapacitySettings::default();
    settings.per_date.insert(day("2099-12-24"), 60);
    assert_eq!(
        orders.save_capacity(&settings, 0).await.expect("save"),
        Saved::Stored { version: 1 }
    );
    assert_eq!(
        orders.save_capacity(&settings, 1).await.expect("save"),
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
        Saved::Stale
    );
    let closed = ShopStatus {
        open: false,
        message: Some("Closed for Christmas".into()),
        until: Some(day("2099-12-27")),
    };
    assert_eq!(
        orders.save_shop(&closed, 0).await.expect("save"),
        Saved::Stored { version: 1 }
    );

    let rules = Arc::unwrap_or_clone(orders.rules().await.expect("rules"));
    assert_eq!((rules.catalogue.value, rules.catalogue.version), (catalogue, 1));
    assert_eq!((rules.capacity.value, rules.capacity.version), (settings, 2));
    assert_eq!((rules.shop.value, rules.shop.version), (closed, 1));

    // Concurrent saves at one version: one is stored.
    let open = ShopStatus::default();
    let attempts = (0..6).map(|_| orders.save_shop(&open, 1));
    let saved = join_all(attempts).await;
    let stored = saved
        .iter()
        .filter(|s| matches!(s, Ok(Saved::Stored { version: 2 })))
        .count();
    let stale = saved.iter().filter(|s| matches!(s, Ok(Saved::Stale))).count();
    assert_eq!((stored, stale), (1, 5));

    // The shop's items stay out of both indexes.
    for key in ["shop#catalogue", "shop#capacity", "shop#status"] {
        let item = aws
            .dynamodb()
            .get_item()
            .table_name(&table)
            .key("orderId", AttributeValue::S(key.into()))
            .send()
            .await
            .expect("get")
            .item
            .expect("stored");
        let mut attributes: Vec<&str> = item.keys().map(String::as_str).collect();
        attributes.sort_unstable();
        assert_eq!(attributes, ["document", "orderId", "version"], "{key}");
    }
    assert_eq!(
        orders
            .pending(SystemClock.now().plus_seconds(3600), 100)
            .await
            .expect("pending"),
        vec![]
    );
}

#[tokio::test]
async fn booked_days_are_read_in_day_order_with_zero_for_untouched_days() {
    let (_moto, aws) = moto().await;
    let table = orders_table(&aws).await;
    let orders = DynamoOrders::new(aws.dynamodb(), table.clone());
    let from = day("2099-05-01");
    for (offset, quantity) in [(0, 2), (3, 1), (3, 4), (99, 7)] {
        let order = order_for(from.plus_days(offset), quantity);
        assert_eq!(orders.create(&order, 20).await.expect("create"), CreateOutcome::Created);
    }
    let booked = orders.booked(from, 100).await.expect("a hundred days at once");
    assert_eq!(booked.len(), 100);
    let mut expected = vec![0; 100];
    expected[0] = 2;
    expected[3] = 5;
    expected[99] = 7;
    assert_eq!(booked, expected);
    assert_eq!(orders.booked(from.plus_days(3), 2).await.expect("booked"), vec![5, 0]);
    assert_eq!(orders.booked(from, 0).await.expect("booked"), Vec::<u32>::new());
    assert!(
        orders.booked(from, 101).await.is_err(),
        "more than a BatchGetItem takes"
    );
    // The counters are not orders: listings hold only the four orders.
    let listed = orders.list_by_status(Status::Placed, 10, None).await.expect("list");
    assert_eq!(listed.orders.len(), 4);
}

/// Reads every record of every shard from the start.
struct KinesisProbe {
    client: aws_sdk_kinesis::Client,
    stream_name: String,
}

impl StreamProbe for KinesisProbe {
    async fn records(&self) -> Vec<(String, Vec<u8>)> {
        let shards = self
            .client
            .list_shards()
            .stream_name(&self.stream_name)
            .send()
            .await
            .expect("list shards");
        let mut records = Vec::new();
        for shard in shards.shards() {
            let mut iterator = self
                .client
                .get_shard_iterator()
                .stream_name(&self.stream_name)
                .shard_id(shard.shard_id())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("get a shard iterator")
                .shard_iterator()
                .map(str::to_owned);
            while let Some(current) = iterator {
                let page = self
                    .client
                    .get_records()
                    .shard_iterator(current)
                    .send()
                    .await
                    .expect("get records");
                if page.records().is_empty() {
                    break;
                }
                records.extend(page.records().iter().map(|record| {
                    (
                        record.partition_key().unwrap_or_default().to_owned(),
                        record.data().as_ref().to_vec(),
                    )
                }));
                iterator = page.next_shard_iterator().map(str::to_owned);
            }
        }
        records
    }
}

#[tokio::test]
async fn kinesis_events_keep_the_event_publisher_contract() {
    let (_moto, aws) = moto().await;
    let client = aws.kinesis();
    let stream_name = fresh_name("order-events");
    client
        .create_stream()
        .stream_name(&stream_name)
        .shard_count(1)
        .send()
        .await
        .expect("create the stream");
    for _ in 0..50 {
        let summary = client
            .describe_stream_summary()
            .stream_name(&stream_name)
            .send()
            .await
            .expect("describe the stream");
        if summary
            .stream_description_summary()
            .is_some_and(|s| s.stream_status() == &StreamStatus::Active)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let publisher = KinesisEvents::new(client.clone(), stream_name.clone());
    let probe = KinesisProbe { client, stream_name };
    contract::event_publisher(&publisher, &probe).await;
}

/// Receives and deletes whatever is waiting.
struct SqsProbe {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl QueueProbe for SqsProbe {
    async fn drain(&self) -> Vec<(String, Option<String>)> {
        let mut bodies = Vec::new();
        loop {
            let received = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .message_attribute_names(cakeshop_ports::TRACEPARENT_ATTRIBUTE)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive messages");
            if received.messages().is_empty() {
                return bodies;
            }
            for message in received.messages() {
                let trace = message
                    .message_attributes()
                    .and_then(|attributes| attributes.get(cakeshop_ports::TRACEPARENT_ATTRIBUTE))
                    .and_then(|attribute| attribute.string_value())
                    .map(str::to_owned);
                bodies.push((message.body().unwrap_or_default().to_owned(), trace));
                if let Some(handle) = message.receipt_handle() {
                    self.client
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete a message");
                }
            }
        }
    }
}

#[tokio::test]
async fn sqs_queue_keeps_the_queue_sender_contract() {
    let (_moto, aws) = moto().await;
    let client = aws.sqs();
    let queue_url = client
        .create_queue()
        .queue_name(fresh_name("delivery"))
        .send()
        .await
        .expect("create the queue")
        .queue_url()
        .expect("a new queue has a URL")
        .to_owned();

    let queue = SqsQueue::new(client.clone(), queue_url.clone());
    contract::queue_sender(&queue, &SqsProbe { client, queue_url }).await;
}

#[tokio::test]
async fn a_message_sent_by_the_adapter_is_dead_lettered_after_max_receive_count_receives() {
    use aws_sdk_sqs::types::QueueAttributeName;
    let (_moto, aws) = moto().await;
    let client = aws.sqs();
    let create = |name: String| client.create_queue().queue_name(name);
    let dlq_url = create(fresh_name("delivery-dlq"))
        .send()
        .await
        .expect("create the DLQ")
        .queue_url()
        .expect("url")
        .to_owned();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the DLQ's attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("the DLQ's ARN");
    let policy = serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2 }).to_string();
    let queue_url = create(fresh_name("delivery"))
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .send()
        .await
        .expect("create the queue")
        .queue_url()
        .expect("url")
        .to_owned();
    SqsQueue::new(client.clone(), queue_url.clone())
        .send(OutgoingMessage {
            key: "poison".into(),
            body: "{\"poison\":true}".into(),
            trace: None,
        })
        .await
        .expect("send");
    let receive = |url: String| {
        let client = client.clone();
        async move {
            client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive")
                .messages()
                .len()
        }
    };
    // Received and never deleted (as a consumer that keeps failing would): twice, then no more.
    assert_eq!(receive(queue_url.clone()).await, 1, "first receive");
    assert_eq!(receive(queue_url.clone()).await, 1, "second receive");
    assert_eq!(
        receive(queue_url.clone()).await,
        0,
        "gone from the queue after maxReceiveCount receives"
    );
    assert_eq!(receive(dlq_url.clone()).await, 1, "and in the dead-letter queue");
}

#[tokio::test]
async fn sqs_queue_fails_the_batch_when_no_call_went_through() {
    let (moto, aws) = moto().await;
    let endpoint = moto.endpoint.clone();
    let absent = format!("{endpoint}/123456789012/{}", fresh_name("never-made"));
    let messages: Vec<OutgoingMessage> = (0..13)
        .map(|n| OutgoingMessage {
            key: format!("m{n}"),
            body: "{}".into(),
            trace: None,
        })
        .collect();
    let error = SqsQueue::new(aws.sqs(), absent)
        .send_batch(&messages)
        .await
        .expect_err("nothing could be sent");
    assert_eq!(error.operation, "sending messages to SQS");
}

/// Reads what moto's SES accepted (`/moto-api/data.json`) and, since moto keeps only the HTML
/// part of a simple email, the text part and tags from moto's request recorder.
struct MotoMailbox {
    http: reqwest::Client,
    endpoint: String,
}

impl MotoMailbox {
    async fn get_json(&self, path: &str) -> Value {
        let text = self.get(path).await;
        serde_json::from_str(&text).expect("moto answers JSON")
    }

    async fn get(&self, path: &str) -> String {
        self.http
            .get(format!("{}{path}", self.endpoint))
            .send()
            .await
            .expect("reach moto")
            .text()
            .await
            .expect("read moto's answer")
    }

    async fn post(&self, path: &str) {
        self.http
            .post(format!("{}{path}", self.endpoint))
            .send()
            .await
            .expect("reach moto")
            .error_for_status()
            .expect("moto accepts");
    }

    /// Every SESv2 SendEmail request moto recorded, as its JSON body.
    async fn recorded_send_email_requests(&self) -> Vec<Value> {
        let recording = self.get("/moto-api/recorder/download-recording").await;
        recording
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|entry| {
                entry["method"] == "POST"
                    && entry["url"]
                        .as_str()
                        .is_some_and(|url| url.ends_with("/v2/email/outbound-emails"))
            })
            .filter_map(|entry| {
                let body = entry["body"].as_str()?;
                let body = if entry["body_encoded"] == true {
                    BASE64.decode(body).ok()?
                } else {
                    body.as_bytes().to_vec()
                };
                serde_json::from_slice(&body).ok()
            })
            .collect()
    }
}

impl MailboxProbe for MotoMailbox {
    async fn emails(&self) -> Vec<Email> {
        let data = self.get_json("/moto-api/data.json").await;
        let requests = self.recorded_send_email_requests().await;
        let accepted = data["ses"]["Message"].as_array().cloned().unwrap_or_default();
        accepted
            .iter()
            .filter_map(|message| {
                let subject = message["subject"].as_str()?;
                let request = requests
                    .iter()
                    .find(|r| r["Content"]["Simple"]["Subject"]["Data"] == subject)?;
                let simple = &request["Content"]["Simple"];
                let order_id = request["EmailTags"]
                    .as_array()?
                    .iter()
                    .find(|tag| tag["Name"] == cakeshop_aws::ses::ORDER_ID_TAG)?["Value"]
                    .as_str()?;
                Some(Email {
                    to: message["destinations"]["ToAddresses"][0].as_str()?.to_owned(),
                    from: message["source"].as_str()?.to_owned(),
                    subject: subject.to_owned(),
                    text: simple["Body"]["Text"]["Data"].as_str()?.to_owned(),
                    html: message["body"].as_str()?.to_owned(),
                    order_id: OrderId::parse(order_id).ok()?,
                    // SES takes no idempotency key; nothing of it reaches the provider.
                    idempotency_key: String::new(),
                })
            })
            .collect()
    }
}

#[tokio::test]
async fn ses_mailer_keeps_the_mailer_contract() {
    let (moto, aws) = moto().await;
    let endpoint = moto.endpoint.clone();
    aws.sesv2()
        .create_email_identity()
        .email_identity("orders@example.com")
        .send()
        .await
        .expect("create the sender identity");
    let mailbox = MotoMailbox {
        http: reqwest::Client::new(),
        endpoint: endpoint.trim_end_matches('/').to_owned(),
    };
    mailbox.post("/moto-api/recorder/start-recording").await;

    contract::mailer(&SesMailer::new(aws.sesv2()), &mailbox).await;
    mailbox.post("/moto-api/recorder/stop-recording").await;
}

#[tokio::test]
async fn secrets_are_fetched_from_ssm_parameters() {
    let (_moto, aws) = moto().await;
    let parameter = format!("/cakeshop/{}/signing-secret", fresh_name("test"));
    aws.ssm()
        .put_parameter()
        .name(&parameter)
        .value("s3cret from ssm")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put the parameter");

    let declared = [
        cakeshop_ports::config::ORDERS_TABLE,
        cakeshop_ports::config::SIGNING_SECRET,
        cakeshop_ports::config::BAKER_API_KEY,
    ];
    let env = FunctionEnv::from_lookup(&declared, |name| match name {
        "ORDERS_TABLE" => Some("orders".into()),
        "SIGNING_SECRET_PARAMETER" => Some(parameter.clone()),
        "BAKER_API_KEY" => Some("given directly".into()),
        _ => None,
    })
    .expect("complete");
    let resolved = aws.resolve(&env).await.expect("fetched");
    assert_eq!(
        resolved.text(cakeshop_ports::config::SIGNING_SECRET).expect("declared"),
        "s3cret from ssm"
    );
    assert_eq!(
        resolved.text(cakeshop_ports::config::BAKER_API_KEY).expect("declared"),
        "given directly"
    );

    let absent = Secret::SsmParameter {
        variable: "BAKER_API_KEY",
        parameter: format!("{parameter}-absent"),
    };
    let error = aws.secret(&absent).await.expect_err("no such parameter");
    assert!(
        matches!(
            &error,
            ConfigError::Parameter {
                variable: "BAKER_API_KEY",
                ..
            }
        ),
        "{error:?}"
    );
}

/// SES refuses a sender whose identity is not verified with `MessageRejected`, and will again:
/// the mailer says it was refused for good, so the function records it instead of retrying.
#[tokio::test]
async fn an_unverified_sender_is_refused_for_good() {
    use cakeshop_ports::{Email, Mailer, is_mail_refused};
    let (_moto, aws) = moto().await;
    let email = Email {
        to: "customer@example.com".into(),
        from: "never-verified@example.com".into(),
        subject: "Your order".into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
        order_id: contract::sample_order().order_id,
        idempotency_key: "customer:order_placed:x".into(),
    };
    let error = SesMailer::new(aws.sesv2()).send(&email).await.expect_err("refused");
    assert!(is_mail_refused(&error), "{}", cakeshop_ports::error_chain(&error));
}
