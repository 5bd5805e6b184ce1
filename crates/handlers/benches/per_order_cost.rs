//! The CPU one order costs the handlers, with every port answering at once: decoding and
//! validating what a customer sends, the order priced and its event, a whole API Gateway
//! request through `PlaceOrder` (the shop's rules read, the ordering window in the shop's zone,
//! one create), a Kinesis batch decoded record by record, and the baker's email.
//! Store and network time are left out on purpose: they are what `cakeshop bench` measures.
//!
//! `cargo bench -p cakeshop-handlers --bench per_order_cost` (add `-- --quick` for a short run).

#[path = "../tests/support/envelopes.rs"]
#[allow(dead_code)]
mod envelopes;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::event::kinesis::KinesisEvent;
use cakeshop_domain::{
    Cancellation, CapacitySettings, Catalogue, Day, EventKind, Order, OrderEvent, OrderId, ShopStatus, ShopZone,
    Status, Step, Timestamp, parse_new_order,
};
use cakeshop_handlers::stream_batch::decode;
use cakeshop_handlers::{BakerMail, PlaceOrder, Signer, baker_email};
use cakeshop_ports::limits::Counter;
use cakeshop_ports::{
    Bakery, Clock, CreateOutcome, EventPublisher, IdGenerator, Metric, Metrics, OrderRepository, Outbox, PendingEvents,
    PortError, Saved, ShopRules, StatusCursor, StatusPage, StepOutcome, TransitionOutcome, Versioned,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const BODY: &[u8] = br#"{"name":"Ada Lovelace","address":"12 Analytical Street, London N1 9GU","productId":1,"quantity":1,"email":"ada@example.com","notes":"Happy birthday, Charles!"}"#;
/// The sample API Gateway request of `POST /order` that `events/` ships (and the tests use).
const PLACE_ORDER_REQUEST: &[u8] = include_bytes!("../../../events/place-order.json");
/// A Kinesis mapping's batch size (serverless.yml: batchSize 50).
const RECORDS_PER_BATCH: usize = 50;

fn at() -> Timestamp {
    Timestamp::from_unix_millis(1_795_165_200_000).unwrap_or_else(|| unreachable!("in range"))
}

fn order_id(n: usize) -> OrderId {
    OrderId::parse(&format!("{n:032x}")).unwrap_or_else(|_| unreachable!("hex is a valid id"))
}

fn sample_order(n: usize) -> Order {
    let day = Day::from_ymd(2026, 11, 21).unwrap_or_else(|| unreachable!("a day"));
    match parse_new_order(BODY).and_then(|request| request.priced(&Catalogue::sample(), day)) {
        Ok(new_order) => Order::place(order_id(n), new_order, at()),
        Err(error) => panic!("the sample body is valid: {error}"),
    }
}

/// Ports that accept everything and keep nothing, so that only the handler's own work is timed
/// and memory stays flat however many iterations run. The shop's rules are a new shop's,
/// handed out as a store would: a fresh copy each read.
#[derive(Clone)]
struct AcceptingPorts(Arc<ShopRules>);

impl AcceptingPorts {
    fn new() -> AcceptingPorts {
        AcceptingPorts(Arc::new(ShopRules {
            catalogue: Versioned {
                value: Catalogue::sample(),
                version: 1,
            },
            capacity: Versioned {
                value: CapacitySettings::default(),
                version: 1,
            },
            shop: Versioned {
                value: ShopStatus::default(),
                version: 1,
            },
        }))
    }
}

impl Metrics for AcceptingPorts {
    fn record(&self, metric: Metric, order_id: &OrderId) {
        black_box((metric, order_id));
    }
}

impl Bakery for AcceptingPorts {
    async fn rules(&self) -> Result<Arc<ShopRules>, PortError> {
        Ok(Arc::clone(&self.0))
    }

    async fn booked(&self, _: Day, days: u16) -> Result<Vec<u32>, PortError> {
        Ok(vec![0; usize::from(days)])
    }

    async fn save_catalogue(&self, _: &Catalogue, expected: u64) -> Result<Saved, PortError> {
        Ok(Saved::Stored { version: expected + 1 })
    }

    async fn save_capacity(&self, _: &CapacitySettings, expected: u64) -> Result<Saved, PortError> {
        Ok(Saved::Stored { version: expected + 1 })
    }

    async fn save_shop(&self, _: &ShopStatus, expected: u64) -> Result<Saved, PortError> {
        Ok(Saved::Stored { version: expected + 1 })
    }
}

impl Outbox for AcceptingPorts {
    async fn pending(&self, _: Timestamp, _: usize) -> Result<Vec<PendingEvents>, PortError> {
        Ok(Vec::new())
    }

    async fn mark_published(&self, _: &OrderId, _: EventKind) -> Result<(), PortError> {
        Ok(())
    }
}

impl OrderRepository for AcceptingPorts {
    async fn create(&self, _: &Order, _: u32) -> Result<CreateOutcome, PortError> {
        Ok(CreateOutcome::Created)
    }

    async fn get(&self, _: &OrderId) -> Result<Option<Order>, PortError> {
        Ok(None)
    }

    async fn transition(
        &self,
        _: &OrderId,
        _: Status,
        _: Status,
        _: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        Ok(TransitionOutcome::NotFound)
    }

    async fn cancel(&self, _: &Order, _: &Cancellation, _: Timestamp) -> Result<TransitionOutcome, PortError> {
        Ok(TransitionOutcome::NotFound)
    }

    async fn record_step(&self, _: &OrderId, _: Step, _: Timestamp) -> Result<StepOutcome, PortError> {
        Ok(StepOutcome::NotFound)
    }

    async fn list_by_status(&self, _: Status, _: usize, _: Option<&StatusCursor>) -> Result<StatusPage, PortError> {
        Ok(StatusPage {
            orders: Vec::new(),
            next: None,
        })
    }
}

/// Every use allowed, as a client well within its limits finds.
impl cakeshop_ports::Limiter for AcceptingPorts {
    async fn count(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        black_box(counters);
        Ok(Vec::new())
    }
    async fn full(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        black_box(counters);
        Ok(Vec::new())
    }
    async fn uncount(&self, counters: Vec<Counter>) -> Result<(), PortError> {
        black_box(counters);
        Ok(())
    }
}

impl EventPublisher for AcceptingPorts {
    async fn publish(&self, _: &OrderEvent) -> Result<(), PortError> {
        Ok(())
    }
}

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        at()
    }
}

/// Fresh ids as the Lambda makes them (random UUIDs).
struct Ids;

impl IdGenerator for Ids {
    fn order_id(&self) -> OrderId {
        cakeshop_ports::TimeOrderedIds.order_id()
    }
}

fn validating_the_body(c: &mut Criterion) {
    c.bench_function("parse_new_order", |b| b.iter(|| parse_new_order(black_box(BODY))));
}

fn the_order_and_its_event(c: &mut Criterion) {
    let catalogue = Catalogue::sample();
    c.bench_function("Order::place + order_placed encode", |b| {
        b.iter(|| {
            let day = Day::from_ymd(2026, 11, 21).unwrap_or_else(|| unreachable!("a day"));
            let new_order = parse_new_order(black_box(BODY))
                .and_then(|request| request.priced(&catalogue, day))
                .unwrap_or_else(|_| unreachable!("valid"));
            let order = Order::place(order_id(1), new_order, at());
            OrderEvent::order_placed(&order, at()).encode().expect("encodes")
        })
    });
    let encoded = OrderEvent::order_placed(&sample_order(1), at())
        .encode()
        .expect("encodes");
    c.bench_function("order_placed decode", |b| {
        b.iter(|| OrderEvent::decode(black_box(&encoded)))
    });
}

fn a_whole_place_order_request(c: &mut Criterion) {
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("a runtime: {error}"),
    };
    let zone = ShopZone::parse("Europe/London").unwrap_or_else(|error| panic!("{error}"));
    let ports = AcceptingPorts::new();
    let handler = PlaceOrder::new(
        ports.clone(),
        ports.clone(),
        Signer::new("bench-signing-secret"),
        zone,
        Arc::new(FixedClock),
        Arc::new(Ids),
        Arc::new(ports.clone()),
    );
    c.bench_function("POST /order: request JSON -> PlaceOrder -> response JSON", |b| {
        b.to_async(&runtime).iter(|| async {
            let request: ApiGatewayV2httpRequest =
                serde_json::from_slice(black_box(PLACE_ORDER_REQUEST)).unwrap_or_else(|_| unreachable!("a sample"));
            let response = handler.handle(request).await;
            serde_json::to_vec(&response).unwrap_or_default()
        })
    });
}

fn a_kinesis_batch(c: &mut Criterion) {
    let events: Vec<OrderEvent> = (0..RECORDS_PER_BATCH)
        .map(|n| OrderEvent::order_placed(&sample_order(n), at()))
        .collect();
    let batch = serde_json::to_vec(&envelopes::kinesis_event(&events, 1, 1_795_165_200)).unwrap_or_default();
    let mut group = c.benchmark_group("Kinesis batch");
    group.throughput(Throughput::Elements(RECORDS_PER_BATCH as u64));
    group.bench_function(
        format!("{RECORDS_PER_BATCH} order_placed records: JSON -> KinesisEvent -> events"),
        |b| {
            b.iter(|| {
                let event: KinesisEvent =
                    serde_json::from_slice(black_box(&batch)).unwrap_or_else(|_| unreachable!("valid"));
                event.records.iter().filter(|record| decode(record).is_ok()).count()
            })
        },
    );
    group.finish();
}

fn the_baker_email(c: &mut Criterion) {
    let signer = Signer::new("bench-signing-secret");
    let mail = BakerMail {
        from: "orders@example.com".into(),
        to: "baker@example.com".into(),
        public_base_url: "https://cakes.example.com".into(),
    };
    c.bench_function("baker email: link token + compose", |b| {
        b.iter_batched(
            || sample_order(7),
            |order| {
                let token = signer.baker_link_token(&order.order_id, at().plus_seconds(7 * 24 * 3600));
                baker_email::compose(
                    &order,
                    &mail.board_link(&order.order_id),
                    &mail.confirm_link(&token),
                    &mail.from,
                    &mail.to,
                    "order_placed:7",
                )
            },
            BatchSize::SmallInput,
        )
    });
}

fn short_runs() -> Criterion {
    // Seconds rather than minutes on a 2-core machine; noise of a few percent is fine for
    // spotting a regression of 2x.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = per_order_cost;
    config = short_runs();
    targets = validating_the_body, the_order_and_its_event, a_whole_place_order_request, a_kinesis_batch, the_baker_email
}
criterion_main!(per_order_cost);
