//! Filling a store with many orders at once, for measuring how the shop behaves with a large
//! table (`cakeshop seed`). Orders go in by batches, one transaction each, through the same
//! tables and indexes that `LocalOrders` writes, so what is read back is what a shop that took
//! them one by one would hold.
//!
//! Seeded orders get no outbox marks: they stand for orders whose events went out long ago.
//! Marking them would make the relay of the next `cakeshop dev` publish every placed one again.
//!
//! Seeded orders take their cakes from their delivery days in the same transaction, without a
//! capacity check (they stand for orders the shop had room for when they came): afterwards each
//! day's booked count is the sum of the quantities of its orders that are not cancelled, as
//! `LocalOrders` keeps it.

use super::migrations::utc_day;
use crate::error::{StoreError, corrupt};
use crate::store::Store;
use cakeshop_domain::{
    Cancellation, CancelledBy, Catalogue, Customer, Day, HistoryEntry, Order, OrderId, Status, Step, Timestamp,
};
use rusqlite::params;
use std::collections::BTreeMap;

/// Orders per transaction: large enough that commits do not dominate, small enough that the
/// write-ahead log stays a few tens of megabytes.
const BATCH: usize = 20_000;

/// Writes `count` orders made by `make(0..count)`, in transactions of `BATCH`. An order whose id
/// is already stored is skipped, as `create` would. Returns how many were written.
pub fn seed_orders(store: &Store, count: usize, mut make: impl FnMut(usize) -> Order) -> Result<usize, StoreError> {
    let mut written = 0;
    let mut next = 0;
    while next < count {
        let end = count.min(next + BATCH);
        written += store.with(|connection| {
            let transaction = connection.transaction()?;
            let mut written = 0;
            {
                let mut insert_order = transaction.prepare_cached(
                    "INSERT INTO orders (order_id, status, document, created_ms) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (order_id) DO NOTHING",
                )?;
                let mut insert_step = transaction
                    .prepare_cached("INSERT OR IGNORE INTO order_steps (order_id, step, at) VALUES (?1, ?2, ?3)")?;
                let mut book = transaction.prepare_cached(
                    "INSERT INTO booked_days (day, booked) VALUES (?1, ?2) \
                     ON CONFLICT (day) DO UPDATE SET booked = booked + excluded.booked",
                )?;
                let mut booked: BTreeMap<Day, i64> = BTreeMap::new();
                for n in next..end {
                    let mut order = make(n);
                    let history = std::mem::take(&mut order.history);
                    let document = serde_json::to_string(&order).map_err(|e| corrupt("order", e))?;
                    let id = order.order_id.as_str();
                    if insert_order.execute(params![
                        id,
                        order.status.as_str(),
                        document,
                        order.created_at.unix_millis()
                    ])? == 0
                    {
                        continue;
                    }
                    for entry in history {
                        insert_step.execute(params![id, entry.step.as_str(), entry.at.to_string()])?;
                    }
                    if order.status != Status::Cancelled {
                        *booked.entry(order.delivery_date).or_default() += i64::from(order.quantity);
                    }
                    written += 1;
                }
                for (day, cakes) in booked {
                    book.execute(params![day.to_string(), cakes])?;
                }
            }
            transaction.commit()?;
            Ok(written)
        })?;
        next = end;
    }
    fold_log_into_file(store)?;
    Ok(written)
}

/// Folds the log into the database file, so that its size is the store's size. The store's
/// checkpointer may be copying at that moment, and then SQLite says "busy" instead of waiting:
/// try again shortly (a seeded store is otherwise left with a log as large as what was seeded).
fn fold_log_into_file(store: &Store) -> Result<(), StoreError> {
    for _ in 0..100 {
        let busy: i64 = store
            .with(|connection| Ok(connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))?))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tracing::warn!("the store's log could not be folded into its file; it stays until the next checkpoint");
    Ok(())
}

/// How many orders the store holds.
pub fn count_orders(store: &Store) -> Result<u64, StoreError> {
    store.with(|connection| {
        let count: i64 = connection.query_row("SELECT count(*) FROM orders", [], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or_default())
    })
}

/// Whether the store holds any order (without counting them all).
pub fn has_orders(store: &Store) -> Result<bool, StoreError> {
    store.with(|connection| Ok(connection.prepare("SELECT 1 FROM orders LIMIT 1")?.exists([])?))
}

/// A shop's worth of orders as a bakery that has been open a while would hold them: one every
/// `spacing_ms` up to `now`, oldest first, each for a cake of the sample catalogue delivered
/// the day after it was placed; the most recent still open (placed, then fulfilled, then out
/// for delivery, a few of each), everything older delivered but one in forty, which the
/// customer cancelled; each with the full history its status implies. Ids are 32 hex digits
/// like real ones, `<run><n>`, so a second run (`run` differs) adds to the first without
/// clashing, and ids ascend with `n`, which keeps inserts at the end of every index.
#[derive(Debug, Clone)]
pub struct RealisticOrders {
    run: u64,
    count: usize,
    first_ms: i64,
    now_ms: i64,
    spacing_ms: i64,
    catalogue: Catalogue,
}

/// Among the older orders, one in this many was cancelled.
const ONE_CANCELLED_IN: usize = 40;

const NAMES: &[&str] = &[
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Margaret Hamilton",
];
const STREETS: &[&str] = &[
    "Analytical Street, London N1 9GU",
    "Compiler Lane, Arlington VA 22201",
    "Enigma Road, Manchester M13 9PL",
    "Orbit Avenue, Hampton VA 23666",
    "Shortest Path, Eindhoven 5612 AZ",
];
const NOTES: &[&str] = &[
    "no nuts, please",
    "happy birthday, Sam!",
    "ring twice",
    "leave with the neighbour",
];

impl RealisticOrders {
    /// `count` orders, one every `spacing_ms`, the newest placed at `now`.
    pub fn new(run: u64, count: usize, now: Timestamp, spacing_ms: i64) -> RealisticOrders {
        let span = spacing_ms.saturating_mul(i64::try_from(count).unwrap_or(i64::MAX));
        RealisticOrders {
            run,
            count,
            first_ms: now.unix_millis().saturating_sub(span),
            now_ms: now.unix_millis(),
            spacing_ms,
            catalogue: Catalogue::sample(),
        }
    }

    /// As `new`, ending now, with a run number taken from the clock.
    pub fn ending_now(count: usize, spacing_ms: i64) -> RealisticOrders {
        let now = crate::store::now_millis();
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or_default();
        let now = Timestamp::from_unix_millis(now).unwrap_or_else(|| unreachable!("the clock reads a valid time"));
        RealisticOrders::new(run, count, now, spacing_ms)
    }

    pub fn order_id(&self, n: usize) -> OrderId {
        let text = format!("{:016x}{:016x}", self.run, n);
        OrderId::parse(&text).unwrap_or_else(|_| unreachable!("hex digits form a valid order id"))
    }

    /// The status of the `n`th order: the newest 1% (at least one) are placed, the 0.5% before
    /// them fulfilled, the 0.5% before those out for delivery, the rest delivered, but for one
    /// in forty of those (`n % 40 == 39`), cancelled.
    pub fn status(&self, n: usize) -> Status {
        let newer = self.count.saturating_sub(n + 1);
        let open = (self.count / 100).max(1);
        let half = (self.count / 200).max(1);
        match newer {
            age if age < open => Status::Placed,
            age if age < open + half => Status::Fulfilled,
            age if age < open + 2 * half => Status::OutForDelivery,
            _ if n % ONE_CANCELLED_IN == ONE_CANCELLED_IN - 1 => Status::Cancelled,
            _ => Status::Delivered,
        }
    }

    pub fn order(&self, n: usize) -> Order {
        // Steps of the newest orders would fall after now: they happen "now" instead.
        let at = |ms: i64| {
            Timestamp::from_unix_millis(ms.min(self.now_ms))
                .unwrap_or_else(|| unreachable!("seeded times are in range"))
        };
        let created_ms = self.first_ms + self.spacing_ms * i64::try_from(n).unwrap_or(i64::MAX);
        let products = &self.catalogue.products;
        let product = &products[n % products.len()];
        let quantity = u32::try_from(n % 3 + 1).unwrap_or(1);
        let status = self.status(n);
        let mut history = vec![
            HistoryEntry {
                step: Step::Placed,
                at: at(created_ms),
            },
            HistoryEntry {
                step: Step::BakerNotified,
                at: at(created_ms + 1_200),
            },
        ];
        let later = [
            (Status::Fulfilled, Step::Fulfilled, 2 * 3_600_000),
            (Status::OutForDelivery, Step::DeliveryRequested, 2 * 3_600_000 + 800),
            (Status::OutForDelivery, Step::CourierNotified, 2 * 3_600_000 + 2_500),
            (Status::Delivered, Step::Delivered, 26 * 3_600_000),
            (Status::Delivered, Step::FeedbackForwarded, 26 * 3_600_000 + 1_500),
        ];
        // A cancelled order went no further than the baker's email, then the customer's change
        // of mind, then the baker's email about it.
        let cancelled = [
            (Status::Cancelled, Step::Cancelled, 30 * 60_000),
            (Status::Cancelled, Step::CancellationNotified, 30 * 60_000 + 1_100),
        ];
        let rank = |of: Status| Status::ALL.iter().position(|s| *s == of);
        let reached = |needed: Status| match status {
            Status::Cancelled => needed == Status::Cancelled,
            _ => needed != Status::Cancelled && rank(status) >= rank(needed),
        };
        history.extend(
            later
                .into_iter()
                .chain(cancelled)
                .filter(|(needed, _, _)| reached(*needed))
                .map(|(_, step, after_ms)| HistoryEntry {
                    step,
                    at: at(created_ms + after_ms),
                }),
        );
        Order {
            order_id: self.order_id(n),
            customer: Customer {
                name: NAMES[n % NAMES.len()].to_owned(),
                address: format!("{} {}", n % 200 + 1, STREETS[n % STREETS.len()]),
                email: n.is_multiple_of(2).then(|| format!("customer{}@example.com", n % 1000)),
                notes: n.is_multiple_of(5).then(|| NOTES[n % NOTES.len()].to_owned()),
            },
            product_id: product.product_id,
            product_name: product.name.clone(),
            quantity,
            unit_price_cents: product.price_cents,
            total_cents: product
                .price_cents
                .times(quantity)
                .unwrap_or_else(|| unreachable!("three cakes cost less than u64::MAX cents")),
            delivery_date: utc_day(at(created_ms)).plus_days(1),
            status,
            created_at: at(created_ms),
            cancellation: (status == Status::Cancelled).then(|| Cancellation {
                by: CancelledBy::Customer,
                reason: n.is_multiple_of(3).then(|| "we moved the party".to_owned()),
            }),
            history,
            // Seeded orders are made up, not placed by a request: no trace to follow.
            trace_id: None,
        }
    }
}
