//! The contract every implementation of a port must keep, written once and run against the
//! local store and against the AWS adapters on an emulator.
//!
//! Each check panics with a message on a breach; they are meant to be called from tests.
//! Probes let a check read back what an adapter wrote, the way each backend allows.

use crate::clock::{Clock, IdGenerator, SystemClock, TimeOrderedIds};
use crate::events::EventPublisher;
use crate::mail::{Email, Mailer};
use crate::orders::{CreateOutcome, OrderRepository, StatusCursor, StatusPage, StepOutcome, TransitionOutcome};
use crate::outbox::PendingEvents;
use crate::partner::{PartnerCall, PartnerClient};
use crate::queue::{OutgoingMessage, QueueSender};
use cakeshop_domain::{
    Catalogue, Day, EventKind, Order, OrderEvent, OrderId, Status, Step, Timestamp, TraceId, TraceParent,
    parse_new_order,
};
use futures::future::join_all;
use std::future::Future;

mod bakery;
mod limits;
mod metrics;
pub use bakery::bakery;
pub use limits::limiter;
pub use metrics::{MetricsProbe, ReadBack, metrics};

/// Reads back what was put on the stream, in order, as (partition key, data).
pub trait StreamProbe: Send + Sync {
    fn records(&self) -> impl Future<Output = Vec<(String, Vec<u8>)>> + Send;
}

/// Takes every message waiting on the queue (and removes them).
pub trait QueueProbe: Send + Sync {
    /// Each message's body and its `traceparent` attribute.
    fn drain(&self) -> impl Future<Output = Vec<(String, Option<String>)>> + Send;
}

/// Reads every email that was sent.
pub trait MailboxProbe: Send + Sync {
    fn emails(&self) -> impl Future<Output = Vec<Email>> + Send;
}

/// Reads every call the partner received.
pub trait PartnerProbe: Send + Sync {
    fn calls(&self) -> impl Future<Output = Vec<PartnerCall>> + Send;
}

/// A new, valid order with a fresh random id.
pub fn sample_order() -> Order {
    sample_order_placed_at(SystemClock.now())
}

pub fn sample_order_placed_at(at: Timestamp) -> Order {
    let body = br#"{"name":"Contract Tester","address":"1 Test Lane","productId":2,"quantity":2,"email":"t@example.com","notes":"<b>no nuts</b>"}"#;
    let new_order = match parse_new_order(body).and_then(|request| request.priced(&Catalogue::sample(), sample_day())) {
        Ok(new_order) => new_order,
        Err(error) => panic!("the sample order is valid: {error}"),
    };
    Order::place(TimeOrderedIds.order_id(), new_order, at)
}

/// The day sample orders are for: far enough ahead to be orderable for years.
pub fn sample_day() -> Day {
    Day::from_ymd(2099, 6, 1).unwrap_or_else(|| panic!("2099-06-01 is a day"))
}

/// Capacity that no contract check's orders exhaust unless it means to.
pub const ROOMY: u32 = 1_000_000;

pub async fn order_repository<R: OrderRepository>(repository: &R) {
    creates_once_and_reads_back(repository).await;
    transitions_only_from_the_expected_status(repository).await;
    refuses_every_illegal_move_and_changes_nothing(repository).await;
    records_each_step_once(repository).await;
    concurrent_transitions_have_one_winner(repository).await;
    keeps_an_outbox_of_unpublished_events(repository).await;
    lists_the_outbox_in_time_order_within_a_second(repository).await;
    lists_orders_by_status_oldest_first_in_pages(repository).await;
}

async fn creates_once_and_reads_back<R: OrderRepository>(repository: &R) {
    let order = sample_order();
    assert_eq!(
        repository.get(&order.order_id).await.expect("get"),
        None,
        "unknown id reads as None"
    );
    assert_eq!(
        repository.create(&order, ROOMY).await.expect("create"),
        CreateOutcome::Created
    );
    assert_eq!(
        repository.get(&order.order_id).await.expect("get"),
        Some(order.clone()),
        "reads back unchanged"
    );

    let mut impostor = sample_order();
    impostor.order_id = order.order_id.clone();
    assert_eq!(
        repository.create(&impostor, ROOMY).await.expect("create again"),
        CreateOutcome::AlreadyExists(Box::new(order.clone())),
        "a second create with the same id changes nothing and returns what is stored"
    );
    assert_eq!(repository.get(&order.order_id).await.expect("get"), Some(order));
}

async fn transitions_only_from_the_expected_status<R: OrderRepository>(repository: &R) {
    let order = sample_order();
    repository.create(&order, ROOMY).await.expect("create");
    let id = &order.order_id;
    let later = order.created_at.plus_seconds(60);

    let refused = repository
        .transition(id, Status::Fulfilled, Status::OutForDelivery, later)
        .await;
    assert_eq!(
        refused.expect("transition"),
        TransitionOutcome::Conflict(Box::new(order.clone()))
    );

    let TransitionOutcome::Applied(fulfilled) = repository
        .transition(id, Status::Placed, Status::Fulfilled, later)
        .await
        .expect("transition")
    else {
        panic!("placed → fulfilled applies");
    };
    assert_eq!(fulfilled.status, Status::Fulfilled);
    assert_eq!(fulfilled.step_time(Step::Fulfilled), Some(later));
    assert_eq!(repository.get(id).await.expect("get").as_ref(), Some(&*fulfilled));

    let repeat = repository
        .transition(id, Status::Placed, Status::Fulfilled, later.plus_seconds(1))
        .await;
    assert_eq!(
        repeat.expect("transition"),
        TransitionOutcome::Conflict(fulfilled.clone()),
        "no second win"
    );

    let missing = TimeOrderedIds.order_id();
    let outcome = repository
        .transition(&missing, Status::Placed, Status::Fulfilled, later)
        .await;
    assert_eq!(outcome.expect("transition"), TransitionOutcome::NotFound);
    assert_eq!(
        repository.get(&missing).await.expect("get"),
        None,
        "a refused transition creates nothing"
    );
}

/// Every move the domain does not allow, tried on an order in each status it can reach:
/// each is refused as a conflict with the order as it is, and leaves its status, history and
/// outbox marks as they were. The moves whose `from` is the stored status (`placed → delivered`,
/// `fulfilled → fulfilled`, `delivered → placed`…) are the ones a store checking only the stored
/// status would wrongly apply.
async fn refuses_every_illegal_move_and_changes_nothing<R: OrderRepository>(repository: &R) {
    let placed_at = SystemClock.now();
    // Later than every mark made here, so the outbox lists this check's orders.
    let all_marks = placed_at.plus_seconds(3600);
    let reachable = std::iter::successors(Some(Status::Placed), |status| status.next());
    for reached in reachable {
        let order = sample_order_placed_at(placed_at);
        repository.create(&order, ROOMY).await.expect("create");
        let id = &order.order_id;
        let (mut status, mut at) = (Status::Placed, placed_at);
        while status != reached {
            let Some(next) = status.next() else {
                panic!("{reached} follows {status} on the legal path");
            };
            at = at.plus_seconds(60);
            let outcome = repository.transition(id, status, next, at).await.expect("transition");
            assert!(
                matches!(outcome, TransitionOutcome::Applied(_)),
                "{status} → {next} applies: {outcome:?}"
            );
            status = next;
        }
        let stored = repository.get(id).await.expect("get").expect("stored");
        assert_eq!(stored.status, reached);
        let marks = pending_marks(repository, id, all_marks).await;
        assert!(
            marks.is_some(),
            "an order that is {reached} has its events marked pending"
        );

        let attempt_at = at.plus_seconds(60);
        for from in Status::ALL {
            for to in Status::ALL.into_iter().filter(|&to| !from.can_become(to)) {
                let outcome = repository
                    .transition(id, from, to, attempt_at)
                    .await
                    .expect("transition");
                assert_eq!(
                    outcome,
                    TransitionOutcome::Conflict(Box::new(stored.clone())),
                    "an order that is {reached}: the illegal {from} → {to} is refused with the order as it is"
                );
                assert_eq!(
                    repository.get(id).await.expect("get").as_ref(),
                    Some(&stored),
                    "an order that is {reached}: the illegal {from} → {to} changes neither status nor history"
                );
                assert_eq!(
                    pending_marks(repository, id, all_marks).await,
                    marks,
                    "an order that is {reached}: the illegal {from} → {to} marks no event"
                );
            }
        }
        for kind in [EventKind::OrderPlaced, EventKind::OrderFulfilled] {
            repository.mark_published(id, kind).await.expect("mark published");
        }
    }

    let missing = TimeOrderedIds.order_id();
    let outcome = repository
        .transition(&missing, Status::Placed, Status::Delivered, placed_at)
        .await;
    assert_eq!(
        outcome.expect("transition"),
        TransitionOutcome::NotFound,
        "an illegal move on an unknown order"
    );
    assert_eq!(
        repository.get(&missing).await.expect("get"),
        None,
        "an illegal move creates nothing"
    );
}

/// `pending_entry` with its kinds in a fixed order, to compare two readings.
async fn pending_marks<R: OrderRepository>(
    repository: &R,
    order_id: &OrderId,
    before: Timestamp,
) -> Option<PendingEvents> {
    let mut entry = pending_entry(repository, order_id, before).await?;
    entry.kinds.sort_by_key(|kind| kind.as_str());
    Some(entry)
}

async fn records_each_step_once<R: OrderRepository>(repository: &R) {
    let order = sample_order();
    repository.create(&order, ROOMY).await.expect("create");
    let id = &order.order_id;
    let first = order.created_at.plus_seconds(5);

    let StepOutcome::Recorded(recorded) = repository
        .record_step(id, Step::BakerNotified, first)
        .await
        .expect("record")
    else {
        panic!("a new step is recorded");
    };
    assert_eq!(recorded.step_time(Step::BakerNotified), Some(first));
    assert_eq!(recorded.status, Status::Placed, "recording a step changes no status");

    let again = repository
        .record_step(id, Step::BakerNotified, first.plus_seconds(9))
        .await
        .expect("record");
    assert_eq!(
        again,
        StepOutcome::AlreadyRecorded(recorded.clone()),
        "the first time is kept"
    );

    let missing = TimeOrderedIds.order_id();
    let outcome = repository
        .record_step(&missing, Step::BakerNotified, first)
        .await
        .expect("record");
    assert_eq!(outcome, StepOutcome::NotFound);
    assert_eq!(
        repository.get(&missing).await.expect("get"),
        None,
        "recording creates nothing"
    );
}

async fn concurrent_transitions_have_one_winner<R: OrderRepository>(repository: &R) {
    let order = sample_order();
    repository.create(&order, ROOMY).await.expect("create");
    let at = order.created_at.plus_seconds(1);
    let attempts = (0..8).map(|_| repository.transition(&order.order_id, Status::Placed, Status::Fulfilled, at));
    let outcomes = join_all(attempts).await;
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(TransitionOutcome::Applied(_))))
        .count();
    let conflicts = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(TransitionOutcome::Conflict(_))))
        .count();
    assert_eq!(
        (wins, conflicts),
        (1, 7),
        "exactly one of eight concurrent transitions wins"
    );
}

/// Publishes events for two orders and reads them back in order, keyed by order id.
pub async fn event_publisher<P: EventPublisher, S: StreamProbe>(publisher: &P, stream: &S) {
    let first = sample_order();
    let second = sample_order();
    let events = [
        OrderEvent::order_placed(&first, first.created_at),
        OrderEvent::order_placed(&second, second.created_at),
        OrderEvent::order_fulfilled(&first.order_id, first.created_at.plus_seconds(1)),
    ];
    for event in &events {
        publisher.publish(event).await.expect("publish");
    }
    let records = stream.records().await;
    let ours = |id: &OrderId| -> Vec<OrderEvent> {
        records
            .iter()
            .filter(|(key, _)| key == id.as_str())
            .map(|(_, data)| OrderEvent::decode(data).expect("a published record decodes"))
            .collect()
    };
    assert_eq!(
        ours(&first.order_id),
        vec![events[0].clone(), events[2].clone()],
        "per-key order kept"
    );
    assert_eq!(ours(&second.order_id), vec![events[1].clone()]);
}

/// Sends more messages than one batch call takes and reads all of them back, each with the
/// trace context it was sent with (every third without one).
pub async fn queue_sender<Q: QueueSender, P: QueueProbe>(queue: &Q, probe: &P) {
    probe.drain().await;
    let trace = TraceId::from_bytes([7; 16]).expect("not all zero");
    let messages: Vec<OutgoingMessage> = (0..23)
        .map(|n| OutgoingMessage {
            key: format!("m{n}"),
            body: format!("{{\"n\":{n}}}"),
            trace: (n % 3 != 0).then(|| TraceParent::hop(trace, &format!("m{n}"))),
        })
        .collect();
    let report = queue.send_batch(&messages).await.expect("send");
    assert!(report.failed.is_empty(), "every message accepted: {report:?}");
    let mut received = Vec::new();
    for _ in 0..20 {
        received.extend(probe.drain().await);
        if received.len() >= messages.len() {
            break;
        }
    }
    received.sort();
    let mut expected: Vec<(String, Option<String>)> = messages
        .into_iter()
        .map(|m| (m.body, m.trace.map(|trace| trace.to_string())))
        .collect();
    expected.sort();
    assert_eq!(
        received, expected,
        "each message arrives once, unchanged, with its traceparent"
    );
    assert!(queue.send_batch(&[]).await.expect("empty batch").failed.is_empty());
}

pub async fn mailer<M: Mailer, P: MailboxProbe>(mailer: &M, mailbox: &P) {
    let order = sample_order();
    let email = Email {
        to: "baker@example.com".into(),
        from: "orders@example.com".into(),
        subject: format!("New order {}", order.order_id),
        text: "A cake to bake.".into(),
        html: "<p>A cake to bake.</p>".into(),
        order_id: order.order_id.clone(),
        idempotency_key: format!("contract:{}", order.order_id),
    };
    let message_id = mailer.send(&email).await.expect("send");
    assert!(!message_id.is_empty(), "the provider names the message");
    let sent: Vec<Email> = mailbox
        .emails()
        .await
        .into_iter()
        .filter(|e| e.subject == email.subject)
        .collect();
    assert_eq!(sent.len(), 1, "sent exactly once");
    assert_eq!(sent[0].to, email.to);
    assert_eq!(sent[0].from, email.from);
    assert_eq!(sent[0].text, email.text);
    assert_eq!(sent[0].html, email.html);
}

pub async fn partner_client<C: PartnerClient, P: PartnerProbe>(client: &C, partner: &P) {
    let call = PartnerCall {
        idempotency_key: format!("contract:{}", TimeOrderedIds.order_id()),
        body: "{\"ok\":true}".into(),
    };
    client.call(&call).await.expect("call");
    let received: Vec<PartnerCall> = partner
        .calls()
        .await
        .into_iter()
        .filter(|c| c.idempotency_key == call.idempotency_key)
        .collect();
    assert_eq!(received, vec![call], "the partner got the body and key, once");
}

/// The pending entry of one order, if the outbox lists it among those marked before `before`.
async fn pending_entry<R: OrderRepository>(
    repository: &R,
    order_id: &OrderId,
    before: Timestamp,
) -> Option<PendingEvents> {
    let pending = repository.pending(before, 1000).await.expect("pending");
    assert!(
        pending.windows(2).all(|pair| pair[0].since <= pair[1].since),
        "pending orders come oldest first"
    );
    pending.into_iter().find(|entry| &entry.order_id == order_id)
}

async fn keeps_an_outbox_of_unpublished_events<R: OrderRepository>(repository: &R) {
    // Placed an hour ago, so that the orders other checks create now are not yet due.
    let placed_at = SystemClock.now().plus_seconds(-3600);
    let order = sample_order_placed_at(placed_at);
    let id = &order.order_id;
    repository.create(&order, ROOMY).await.expect("create");

    let entry = pending_entry(repository, id, placed_at.plus_seconds(1)).await;
    assert_eq!(
        entry,
        Some(PendingEvents {
            order_id: id.clone(),
            kinds: vec![EventKind::OrderPlaced],
            since: placed_at
        }),
        "creating an order marks order_placed pending"
    );
    assert_eq!(
        pending_entry(repository, id, placed_at).await,
        None,
        "not listed before it was marked"
    );

    let fulfilled_at = placed_at.plus_seconds(60);
    repository
        .transition(id, Status::Placed, Status::Fulfilled, fulfilled_at)
        .await
        .expect("transition");
    let both = pending_entry(repository, id, fulfilled_at.plus_seconds(1))
        .await
        .expect("still pending");
    assert_eq!(both.since, placed_at, "the oldest mark decides when the order is due");
    assert!(both.kinds.contains(&EventKind::OrderPlaced) && both.kinds.contains(&EventKind::OrderFulfilled));

    repository
        .mark_published(id, EventKind::OrderPlaced)
        .await
        .expect("mark published");
    let left = pending_entry(repository, id, fulfilled_at.plus_seconds(1))
        .await
        .expect("order_fulfilled still pending");
    assert_eq!(left.kinds, vec![EventKind::OrderFulfilled]);
    assert!(left.since <= fulfilled_at);

    repository
        .mark_published(id, EventKind::OrderFulfilled)
        .await
        .expect("mark published");
    repository
        .mark_published(id, EventKind::OrderFulfilled)
        .await
        .expect("clearing twice is no error");
    assert_eq!(
        pending_entry(repository, id, SystemClock.now()).await,
        None,
        "all published"
    );

    repository
        .transition(
            id,
            Status::Fulfilled,
            Status::OutForDelivery,
            fulfilled_at.plus_seconds(60),
        )
        .await
        .expect("transition");
    assert_eq!(
        pending_entry(repository, id, SystemClock.now()).await,
        None,
        "out_for_delivery announces nothing"
    );
    let stored = repository.get(id).await.expect("get").expect("stored");
    assert_eq!(
        stored.status,
        Status::OutForDelivery,
        "clearing marks changes nothing else"
    );

    let unknown = TimeOrderedIds.order_id();
    repository
        .mark_published(&unknown, EventKind::OrderPlaced)
        .await
        .expect("clearing the mark of an unknown order is no error");
    assert_eq!(
        repository.get(&unknown).await.expect("get"),
        None,
        "and creates nothing"
    );
}

/// Marks a few hundred milliseconds apart, one on a whole second: timestamps written as text
/// drop trailing zeros (`…:05Z`, `…:05.5Z`) and would sort these the wrong way round.
async fn lists_the_outbox_in_time_order_within_a_second<R: OrderRepository>(repository: &R) {
    let at_millis = |millis: i64| Timestamp::from_unix_millis(millis).expect("in range");
    let second = (SystemClock.now().unix_seconds() - 7200) * 1000;
    let on_the_second = sample_order_placed_at(at_millis(second));
    let half_past = sample_order_placed_at(at_millis(second + 500));
    for order in [&half_past, &on_the_second] {
        repository.create(order, ROOMY).await.expect("create");
    }
    let due = repository
        .pending(at_millis(second + 250), 1000)
        .await
        .expect("pending");
    let ids: Vec<&OrderId> = due.iter().map(|entry| &entry.order_id).collect();
    assert!(ids.contains(&&on_the_second.order_id), "marked before the cut-off");
    assert!(!ids.contains(&&half_past.order_id), "marked after the cut-off");

    let all = repository.pending(SystemClock.now(), 1000).await.expect("pending");
    let position = |order: &Order| all.iter().position(|entry| entry.order_id == order.order_id);
    assert!(
        position(&on_the_second) < position(&half_past) && position(&on_the_second).is_some(),
        "oldest first"
    );
    for order in [&on_the_second, &half_past] {
        repository
            .mark_published(&order.order_id, EventKind::OrderPlaced)
            .await
            .expect("mark published");
    }
}

/// Orders placed centuries ahead, at a random second of their own: other checks sharing the
/// store place theirs around now, so from a cursor just before this window only this check's
/// orders are listed, and nothing follows them.
async fn lists_orders_by_status_oldest_first_in_pages<R: OrderRepository>(repository: &R) {
    let at_millis = |millis: i64| Timestamp::from_unix_millis(millis).expect("in range");
    let window = TimeOrderedIds
        .order_id()
        .as_str()
        .bytes()
        .fold(0_i64, |sum, byte| (sum * 31 + i64::from(byte)) % 1_000_000_000);
    // 2400-01-01 plus up to ~31 years: still four-digit years, as every store writes them.
    let start = 13_569_465_600_000 + window * 1000;
    let listing_from = StatusCursor {
        created_at: at_millis(start - 1),
        order_id: TimeOrderedIds.order_id(),
    };
    // Two in the same millisecond (told apart by id), one on a whole second, one half past it.
    let mut twins = [
        sample_order_placed_at(at_millis(start)),
        sample_order_placed_at(at_millis(start)),
    ];
    twins.sort_by(|a, b| a.order_id.cmp(&b.order_id));
    let [first, second] = twins;
    let on_the_second = sample_order_placed_at(at_millis(start + 1000));
    let half_past = sample_order_placed_at(at_millis(start + 1500));
    for order in [&half_past, &second, &on_the_second, &first] {
        repository.create(order, ROOMY).await.expect("create");
    }
    repository
        .transition(
            &on_the_second.order_id,
            Status::Placed,
            Status::Fulfilled,
            at_millis(start + 5000),
        )
        .await
        .expect("transition");

    let ids = |page: &StatusPage| page.orders.iter().map(|o| o.order_id.clone()).collect::<Vec<_>>();
    let list = |status: Status, limit: usize, after: Option<StatusCursor>| async move {
        repository
            .list_by_status(status, limit, after.as_ref())
            .await
            .expect("list by status")
    };

    let page = list(Status::Placed, 2, Some(listing_from.clone())).await;
    assert_eq!(
        ids(&page),
        vec![first.order_id.clone(), second.order_id.clone()],
        "oldest first, ties by id"
    );
    assert_eq!(page.orders[0], first, "listed orders read as stored");
    assert_eq!(
        page.next,
        Some(StatusCursor::after(&second)),
        "a full page says where to go on"
    );
    let rest = list(Status::Placed, 2, page.next.clone()).await;
    assert_eq!(
        ids(&rest),
        vec![half_past.order_id.clone()],
        "the next page starts right after the last one; a fulfilled order is not placed"
    );
    assert_eq!(rest.next, None, "nothing follows the last page");

    let one_by_one = list(Status::Placed, 1, Some(listing_from.clone())).await;
    assert_eq!(ids(&one_by_one), vec![first.order_id.clone()]);
    let twin = list(Status::Placed, 1, one_by_one.next).await;
    assert_eq!(
        ids(&twin),
        vec![second.order_id.clone()],
        "a page boundary between twins"
    );

    let fulfilled = list(Status::Fulfilled, 10, Some(listing_from.clone())).await;
    assert_eq!(
        ids(&fulfilled),
        vec![on_the_second.order_id.clone()],
        "listed under its new status"
    );
    assert_eq!(fulfilled.orders[0].status, Status::Fulfilled);
    assert_eq!(fulfilled.next, None);
    let delivered = list(Status::Delivered, 10, Some(listing_from)).await;
    assert!(delivered.orders.is_empty() && delivered.next.is_none());

    let from_the_start = list(Status::Placed, 5, None).await;
    assert!(from_the_start.orders.len() <= 5, "at most limit");
    assert!(
        from_the_start
            .orders
            .windows(2)
            .all(|pair| StatusCursor::after(&pair[0]) < StatusCursor::after(&pair[1])),
        "oldest first from the start too"
    );
    assert!(from_the_start.orders.iter().all(|order| order.status == Status::Placed));

    for order in [&first, &second, &half_past] {
        repository
            .mark_published(&order.order_id, EventKind::OrderPlaced)
            .await
            .expect("mark published");
    }
    for kind in [EventKind::OrderPlaced, EventKind::OrderFulfilled] {
        repository
            .mark_published(&on_the_second.order_id, kind)
            .await
            .expect("mark published");
    }
}
