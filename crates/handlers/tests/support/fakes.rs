//! In-memory stand-ins for the ports, for handler tests. They keep the same contract as the
//! real adapters (`fakes_keep_the_port_contract` runs the shared suite against them).

use cakeshop_domain::{
    Cancellation, CapacitySettings, Catalogue, Day, EventKind, Order, OrderEvent, OrderId, ShopStatus, Status, Step,
    Timestamp,
};
use cakeshop_ports::limits::Counter;
use cakeshop_ports::{
    Bakery, Clock, CreateOutcome, Email, EventPublisher, FailedMessage, IdGenerator, MAX_DAYS_READ, Mailer, Metric,
    Metrics, OrderRepository, Outbox, OutgoingMessage, PartnerCall, PartnerClient, PartnerError, PendingEvents,
    PortError, QueueSender, Saved, SendReport, ShopRules, StatusCursor, StatusPage, StepOutcome, TransitionOutcome,
    Versioned,
};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn unavailable(operation: &'static str) -> PortError {
    PortError::new(operation, "injected failure")
}

/// The order table with its outbox, the shop's settings and each day's booked count.
/// `fail_next` makes the next calls fail, to test error paths; `stale_next` makes the next
/// saves find the setting changed; `lose_next_create_answer` makes the next create commit and
/// then answer as a client's retry of it would.
#[derive(Clone, Default)]
pub struct MemoryOrders {
    table: Arc<Mutex<Table>>,
    failures: Arc<Mutex<u32>>,
    stale_saves: Arc<Mutex<u32>>,
    lost_create_answers: Arc<Mutex<u32>>,
    calls: Arc<Mutex<Calls>>,
}

/// How often each kind of call was made, for tests of what a handler costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    pub rules: u32,
    pub booked: u32,
    pub creates: u32,
    pub saves: u32,
}

#[derive(Default)]
struct Table {
    orders: HashMap<OrderId, Order>,
    outbox: HashMap<(OrderId, EventKind), Timestamp>,
    booked: HashMap<Day, u32>,
    catalogue: Option<Versioned<Catalogue>>,
    capacity: Option<Versioned<CapacitySettings>>,
    shop: Option<Versioned<ShopStatus>>,
    /// The client limits' counters by key: hits.
    counters: HashMap<String, u32>,
}

/// A stored setting, or the default at version 0.
fn read_setting<T: Clone>(stored: &Option<Versioned<T>>, default: impl FnOnce() -> T) -> Versioned<T> {
    stored.clone().unwrap_or_else(|| Versioned {
        value: default(),
        version: 0,
    })
}

/// Stores `value` if what is stored is still at `expected`.
fn save_setting<T: Clone>(stored: &mut Option<Versioned<T>>, value: &T, expected: u64) -> Saved {
    let current = stored.as_ref().map_or(0, |setting| setting.version);
    if current != expected {
        return Saved::Stale;
    }
    let version = current + 1;
    *stored = Some(Versioned {
        value: value.clone(),
        version,
    });
    Saved::Stored { version }
}

impl Table {
    fn mark_pending(&mut self, order_id: &OrderId, status: Status, at: Timestamp) {
        if let Some(kind) = EventKind::announcing(status) {
            self.outbox.entry((order_id.clone(), kind)).or_insert(at);
        }
    }
}

impl MemoryOrders {
    pub fn fail_next(&self, calls: u32) {
        *lock(&self.failures) = calls;
    }

    fn injected_failure(&self) -> bool {
        let mut failures = lock(&self.failures);
        let fail = *failures > 0;
        *failures = failures.saturating_sub(1);
        fail
    }

    /// Makes the next `saves` saves answer `Stale` without writing, as if someone saved first.
    pub fn stale_next(&self, saves: u32) {
        *lock(&self.stale_saves) = saves;
    }

    fn injected_stale(&self) -> bool {
        let mut stale = lock(&self.stale_saves);
        let fail = *stale > 0;
        *stale = stale.saturating_sub(1);
        fail
    }

    /// The next `creates` creates commit, and their answer is lost on the way back: the client
    /// sends the same write again, which finds the order it had just stored (as an AWS SDK
    /// retry does after a timeout or a 5xx from a transaction DynamoDB had committed).
    pub fn lose_next_create_answer(&self, creates: u32) {
        *lock(&self.lost_create_answers) = creates;
    }

    fn injected_lost_answer(&self) -> bool {
        let mut lost = lock(&self.lost_create_answers);
        let lose = *lost > 0;
        *lost = lost.saturating_sub(1);
        lose
    }

    fn count(&self, call: impl FnOnce(&mut Calls)) {
        call(&mut lock(&self.calls));
    }

    pub fn calls(&self) -> Calls {
        *lock(&self.calls)
    }

    pub fn snapshot(&self) -> HashMap<OrderId, Order> {
        lock(&self.table).orders.clone()
    }

    /// Every day's booked count that is not 0.
    pub fn booked_days(&self) -> HashMap<Day, u32> {
        let table = lock(&self.table);
        table
            .booked
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(d, n)| (*d, *n))
            .collect()
    }

    /// The versions of the stored catalogue, capacity settings and shop status (0: none).
    pub fn versions(&self) -> (u64, u64, u64) {
        let table = lock(&self.table);
        let version = |v: Option<u64>| v.unwrap_or(0);
        (
            version(table.catalogue.as_ref().map(|s| s.version)),
            version(table.capacity.as_ref().map(|s| s.version)),
            version(table.shop.as_ref().map(|s| s.version)),
        )
    }

    /// Every event still marked unpublished, as (order id, kind).
    pub fn unpublished(&self) -> Vec<(OrderId, EventKind)> {
        lock(&self.table).outbox.keys().cloned().collect()
    }
}

impl OrderRepository for MemoryOrders {
    async fn create(&self, order: &Order, day_capacity: u32) -> Result<CreateOutcome, PortError> {
        self.count(|calls| calls.creates += 1);
        if self.injected_failure() {
            return Err(unavailable("storing an order"));
        }
        let mut table = lock(&self.table);
        if let Some(existing) = table.orders.get(&order.order_id) {
            return Ok(CreateOutcome::AlreadyExists(Box::new(existing.clone())));
        }
        let booked = table.booked.get(&order.delivery_date).copied().unwrap_or(0);
        if u64::from(booked) + u64::from(order.quantity) > u64::from(day_capacity) {
            return Ok(CreateOutcome::DayFull { booked });
        }
        table.booked.insert(order.delivery_date, booked + order.quantity);
        table.orders.insert(order.order_id.clone(), order.clone());
        table.mark_pending(&order.order_id, order.status, order.created_at);
        if self.injected_lost_answer() {
            return Ok(CreateOutcome::AlreadyExists(Box::new(order.clone())));
        }
        Ok(CreateOutcome::Created)
    }

    async fn get(&self, order_id: &OrderId) -> Result<Option<Order>, PortError> {
        if self.injected_failure() {
            return Err(unavailable("reading an order"));
        }
        Ok(lock(&self.table).orders.get(order_id).cloned())
    }

    async fn transition(
        &self,
        order_id: &OrderId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        if self.injected_failure() {
            return Err(unavailable("updating an order"));
        }
        let mut table = lock(&self.table);
        let Some(order) = table.orders.get_mut(order_id) else {
            return Ok(TransitionOutcome::NotFound);
        };
        if order.status != from || order.transition(to, at).is_err() {
            return Ok(TransitionOutcome::Conflict(Box::new(order.clone())));
        }
        let moved = order.clone();
        table.mark_pending(order_id, to, at);
        Ok(TransitionOutcome::Applied(Box::new(moved)))
    }

    async fn cancel(
        &self,
        placed: &Order,
        cancellation: &Cancellation,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        if self.injected_failure() {
            return Err(unavailable("cancelling an order"));
        }
        let mut table = lock(&self.table);
        let Some(order) = table.orders.get_mut(&placed.order_id) else {
            return Ok(TransitionOutcome::NotFound);
        };
        if !order.status.can_be_cancelled() {
            return Ok(TransitionOutcome::Conflict(Box::new(order.clone())));
        }
        order.status = Status::Cancelled;
        order.cancellation = Some(cancellation.clone());
        order.record_step(Step::Cancelled, at);
        let cancelled = order.clone();
        table.mark_pending(&cancelled.order_id, Status::Cancelled, at);
        // The stored order's own day and quantity: what its create took.
        if let Some(booked) = table.booked.get_mut(&cancelled.delivery_date) {
            *booked = booked.saturating_sub(cancelled.quantity);
        }
        Ok(TransitionOutcome::Applied(Box::new(cancelled)))
    }

    async fn record_step(&self, order_id: &OrderId, step: Step, at: Timestamp) -> Result<StepOutcome, PortError> {
        if self.injected_failure() {
            return Err(unavailable("updating an order"));
        }
        let mut table = lock(&self.table);
        let Some(order) = table.orders.get_mut(order_id) else {
            return Ok(StepOutcome::NotFound);
        };
        if order.record_step(step, at) {
            Ok(StepOutcome::Recorded(Box::new(order.clone())))
        } else {
            Ok(StepOutcome::AlreadyRecorded(Box::new(order.clone())))
        }
    }

    /// A scan, which is fine in memory: the contract only fixes what is listed, in what order.
    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
        after: Option<&StatusCursor>,
    ) -> Result<StatusPage, PortError> {
        if self.injected_failure() {
            return Err(unavailable("listing orders by status"));
        }
        let table = lock(&self.table);
        let mut listed: Vec<&Order> = table
            .orders
            .values()
            .filter(|order| order.status == status)
            .filter(|order| after.is_none_or(|after| &StatusCursor::after(order) > after))
            .collect();
        listed.sort_by_key(|order| StatusCursor::after(order));
        let listed = listed.into_iter().take(limit.saturating_add(1)).cloned().collect();
        Ok(StatusPage::from_one_more_than(listed, limit))
    }
}

impl Outbox for MemoryOrders {
    async fn pending(&self, marked_before: Timestamp, limit: usize) -> Result<Vec<PendingEvents>, PortError> {
        if self.injected_failure() {
            return Err(unavailable("listing unpublished events"));
        }
        let table = lock(&self.table);
        let mut by_order: HashMap<&OrderId, PendingEvents> = HashMap::new();
        for ((order_id, kind), marked_at) in &table.outbox {
            let entry = by_order.entry(order_id).or_insert_with(|| PendingEvents {
                order_id: order_id.clone(),
                kinds: Vec::new(),
                since: *marked_at,
            });
            entry.kinds.push(*kind);
            entry.since = entry.since.min(*marked_at);
        }
        let mut pending: Vec<_> = by_order
            .into_values()
            .filter(|entry| entry.since < marked_before)
            .collect();
        pending.sort_by_key(|entry| entry.since);
        pending.truncate(limit);
        Ok(pending)
    }

    async fn mark_published(&self, order_id: &OrderId, kind: EventKind) -> Result<(), PortError> {
        if self.injected_failure() {
            return Err(unavailable("clearing a published event"));
        }
        lock(&self.table).outbox.remove(&(order_id.clone(), kind));
        Ok(())
    }
}

impl cakeshop_ports::Limiter for MemoryOrders {
    async fn count(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        if self.injected_failure() {
            return Err(unavailable("counting a use of a client limit"));
        }
        let mut table = lock(&self.table);
        let full: Vec<Counter> = counters.iter().filter(|c| table.is_full(c)).cloned().collect();
        if full.is_empty() {
            for counter in counters {
                *table.counters.entry(counter.key).or_default() += 1;
            }
        }
        Ok(full)
    }

    async fn full(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        if self.injected_failure() {
            return Err(unavailable("reading a client limit"));
        }
        let table = lock(&self.table);
        Ok(counters.into_iter().filter(|c| table.is_full(c)).collect())
    }

    async fn uncount(&self, counters: Vec<Counter>) -> Result<(), PortError> {
        if self.injected_failure() {
            return Err(unavailable("giving back a use of a client limit"));
        }
        let mut table = lock(&self.table);
        for counter in counters {
            if let Some(hits) = table.counters.get_mut(&counter.key) {
                *hits = hits.saturating_sub(1);
            }
        }
        Ok(())
    }
}

impl Table {
    fn is_full(&self, counter: &Counter) -> bool {
        self.counters.get(&counter.key).copied().unwrap_or(0) >= counter.window.max
    }
}

impl Bakery for MemoryOrders {
    async fn rules(&self) -> Result<Arc<ShopRules>, PortError> {
        self.count(|calls| calls.rules += 1);
        if self.injected_failure() {
            return Err(unavailable("reading the shop's rules"));
        }
        let table = lock(&self.table);
        Ok(Arc::new(ShopRules {
            catalogue: read_setting(&table.catalogue, Catalogue::sample),
            capacity: read_setting(&table.capacity, CapacitySettings::default),
            shop: read_setting(&table.shop, ShopStatus::default),
        }))
    }

    async fn booked(&self, from: Day, days: u16) -> Result<Vec<u32>, PortError> {
        self.count(|calls| calls.booked += 1);
        if days > MAX_DAYS_READ {
            return Err(PortError::new(
                "reading booked counts",
                format!("{days} days asked for, at most {MAX_DAYS_READ} read at once"),
            ));
        }
        if self.injected_failure() {
            return Err(unavailable("reading booked counts"));
        }
        let table = lock(&self.table);
        Ok(from
            .range(days)
            .map(|day| table.booked.get(&day).copied().unwrap_or(0))
            .collect())
    }

    async fn save_catalogue(&self, catalogue: &Catalogue, expected: u64) -> Result<Saved, PortError> {
        self.save(|table| save_setting(&mut table.catalogue, catalogue, expected))
    }

    async fn save_capacity(&self, settings: &CapacitySettings, expected: u64) -> Result<Saved, PortError> {
        self.save(|table| save_setting(&mut table.capacity, settings, expected))
    }

    async fn save_shop(&self, status: &ShopStatus, expected: u64) -> Result<Saved, PortError> {
        self.save(|table| save_setting(&mut table.shop, status, expected))
    }
}

impl MemoryOrders {
    fn save(&self, save: impl FnOnce(&mut Table) -> Saved) -> Result<Saved, PortError> {
        self.count(|calls| calls.saves += 1);
        if self.injected_failure() {
            return Err(unavailable("saving a setting"));
        }
        if self.injected_stale() {
            return Ok(Saved::Stale);
        }
        Ok(save(&mut lock(&self.table)))
    }
}

/// The stream: every published event, in order.
#[derive(Clone, Default)]
pub struct RecordingStream {
    pub events: Arc<Mutex<Vec<OrderEvent>>>,
    failing: Arc<Mutex<bool>>,
}

impl RecordingStream {
    pub fn taken(&self) -> Vec<OrderEvent> {
        std::mem::take(&mut *lock(&self.events))
    }

    pub fn set_failing(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }
}

impl EventPublisher for RecordingStream {
    async fn publish(&self, event: &OrderEvent) -> Result<(), PortError> {
        if *lock(&self.failing) {
            return Err(unavailable("putting a record"));
        }
        lock(&self.events).push(event.clone());
        Ok(())
    }
}

/// A message as the queue took it: its body and its `traceparent`.
pub type TakenMessage = (String, Option<String>);

/// A queue: every accepted message, in order. Keys listed in `refuse` are refused the way SQS
/// refuses single entries of a batch.
#[derive(Clone, Default)]
pub struct RecordingQueue {
    pub messages: Arc<Mutex<VecDeque<TakenMessage>>>,
    refuse: Arc<Mutex<Vec<String>>>,
}

impl RecordingQueue {
    /// The bodies of the messages accepted since last asked.
    pub fn taken(&self) -> Vec<String> {
        self.taken_with_traces().into_iter().map(|(body, _)| body).collect()
    }

    /// The messages accepted since last asked, with their `traceparent`s.
    pub fn taken_with_traces(&self) -> Vec<TakenMessage> {
        lock(&self.messages).drain(..).collect()
    }

    pub fn refuse_key(&self, key: &str) {
        lock(&self.refuse).push(key.to_owned());
    }

    pub fn accept_all(&self) {
        lock(&self.refuse).clear();
    }
}

impl QueueSender for RecordingQueue {
    async fn send_batch(&self, messages: &[OutgoingMessage]) -> Result<SendReport, PortError> {
        let refuse = lock(&self.refuse).clone();
        let mut report = SendReport::default();
        for message in messages {
            if refuse.contains(&message.key) {
                report.failed.push(FailedMessage {
                    key: message.key.clone(),
                    reason: "InternalError".into(),
                });
            } else {
                let trace = message.trace.map(|trace| trace.to_string());
                lock(&self.messages).push_back((message.body.clone(), trace));
            }
        }
        Ok(report)
    }
}

/// The mailbox: every email sent.
#[derive(Clone, Default)]
pub struct RecordingMailer {
    pub sent: Arc<Mutex<Vec<Email>>>,
    /// Addresses the provider refuses for good, as SES refuses a rejected recipient.
    pub refusing: Arc<Mutex<Vec<String>>>,
    /// Every send asked for, refused or not.
    pub attempts: Arc<Mutex<u32>>,
    /// How many sends to fail as a provider's outage fails them, before any succeeds.
    pub outages: Arc<Mutex<u32>>,
}

impl RecordingMailer {
    pub fn refuse_for_good(&self, address: &str) {
        lock(&self.refusing).push(address.to_owned());
    }

    pub fn fail_next(&self, sends: u32) {
        *lock(&self.outages) = sends;
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        *lock(&self.attempts) += 1;
        if lock(&self.refusing).contains(&email.to) {
            let cause = cakeshop_ports::MailRefused {
                cause: format!("MessageRejected: {} is refused", email.to).into(),
            };
            return Err(PortError::new("sending an email", cause));
        }
        {
            let mut outages = lock(&self.outages);
            if *outages > 0 {
                *outages -= 1;
                return Err(unavailable("sending an email"));
            }
        }
        let mut sent = lock(&self.sent);
        sent.push(email.clone());
        Ok(format!("message-{}", sent.len()))
    }
}

/// Every metric recorded, with the order it was recorded on.
#[derive(Clone, Default)]
pub struct RecordingMetrics {
    pub recorded: Arc<Mutex<Vec<(Metric, OrderId)>>>,
}

impl RecordingMetrics {
    /// The metrics recorded on `order_id`, in order.
    pub fn of(&self, order_id: &str) -> Vec<Metric> {
        lock(&self.recorded)
            .iter()
            .filter(|(_, id)| id.as_str() == order_id)
            .map(|(metric, _)| *metric)
            .collect()
    }
}

impl Metrics for RecordingMetrics {
    fn record(&self, metric: Metric, order_id: &OrderId) {
        lock(&self.recorded).push((metric, order_id.clone()));
    }
}

/// A partner API: every call received; answers with the queued statuses first, then 200.
#[derive(Clone, Default)]
pub struct RecordingPartner {
    pub calls: Arc<Mutex<Vec<PartnerCall>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl RecordingPartner {
    pub fn answer_next_with(&self, status: u16) {
        lock(&self.answers).push_back(status);
    }

    pub fn calls(&self) -> Vec<PartnerCall> {
        lock(&self.calls).clone()
    }
}

impl PartnerClient for RecordingPartner {
    async fn call(&self, call: &PartnerCall) -> Result<(), PartnerError> {
        match lock(&self.answers).pop_front().unwrap_or(200) {
            200..=299 => {
                lock(&self.calls).push(call.clone());
                Ok(())
            }
            status @ (408 | 429 | 500..=599) => Err(PartnerError::Unavailable { status }),
            status => Err(PartnerError::Rejected {
                status,
                body: "refused".into(),
            }),
        }
    }
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<Timestamp>>);

impl TestClock {
    pub fn at(rfc3339: &str) -> TestClock {
        TestClock(Arc::new(Mutex::new(parse_time(rfc3339))))
    }

    pub fn set(&self, rfc3339: &str) {
        *lock(&self.0) = parse_time(rfc3339);
    }
}

pub fn parse_time(rfc3339: &str) -> Timestamp {
    match Timestamp::parse(rfc3339) {
        Ok(at) => at,
        Err(error) => panic!("bad test time {rfc3339}: {error}"),
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}

/// Hands out the given order ids in turn.
pub struct FixedIds(Mutex<VecDeque<&'static str>>);

impl FixedIds {
    pub fn new(ids: &[&'static str]) -> FixedIds {
        FixedIds(Mutex::new(ids.iter().copied().collect()))
    }
}

impl IdGenerator for FixedIds {
    /// One trace for every order, so that what the handlers write is the same every run.
    fn trace_id(&self) -> cakeshop_domain::TraceId {
        match cakeshop_domain::TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736") {
            Some(trace) => trace,
            None => panic!("the test trace id is valid"),
        }
    }

    fn order_id(&self) -> OrderId {
        let next = lock(&self.0).pop_front().unwrap_or("exhausted");
        match OrderId::parse(next) {
            Ok(id) => id,
            Err(error) => panic!("bad test id {next}: {error}"),
        }
    }
}
