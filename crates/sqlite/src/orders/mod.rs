//! The orders table: conditional writes as single SQL statements whose `WHERE` is the condition,
//! the way DynamoDB's condition expressions work, inside the transaction of the store's one
//! writer, where nothing can come between.
//!
//! An order takes its cakes from its delivery day's row of `booked_days` in the transaction that
//! stores it, by one increment that applies only while the day has room, and a cancel gives
//! them back in the transaction that cancels it: the count is always the sum of the quantities
//! of the day's orders that are not cancelled.

mod by_status;

use crate::error::{StoreError, corrupt};
use crate::store::Store;
use cakeshop_domain::{Cancellation, Day, EventKind, HistoryEntry, Order, OrderId, Status, Step, Timestamp};
use cakeshop_ports::{
    CreateOutcome, OrderRepository, Outbox, PendingEvents, PortError, StatusCursor, StatusPage, StepOutcome,
    TransitionOutcome,
};
use rusqlite::{Connection, OptionalExtension, params};

/// The local implementation of the order repository.
#[derive(Clone)]
pub struct LocalOrders {
    pub(crate) store: Store,
}

impl LocalOrders {
    pub fn new(store: Store) -> LocalOrders {
        LocalOrders { store }
    }
}

fn read(connection: &Connection, order_id: &OrderId) -> Result<Option<Order>, StoreError> {
    let row: Option<(String, String)> = connection
        .prepare_cached("SELECT status, document FROM orders WHERE order_id = ?1")?
        .query_row([order_id.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    row.map(|(status, document)| decode(connection, &status, &document))
        .transpose()
}

/// An order from its row (`status`, `document`) and its steps.
pub(super) fn decode(connection: &Connection, status: &str, document: &str) -> Result<Order, StoreError> {
    let mut order: Order = serde_json::from_str(document).map_err(|e| corrupt("order", e))?;
    order.status = Status::parse(status).ok_or_else(|| corrupt("order status", status.to_owned()))?;
    let mut statement = connection.prepare_cached("SELECT step, at FROM order_steps WHERE order_id = ?1")?;
    let rows = statement.query_map([order.order_id.as_str()], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut history = Vec::new();
    for row in rows {
        let (step, at) = row?;
        let step = Step::parse(&step).ok_or_else(|| corrupt("history step", step.clone()))?;
        let at = Timestamp::parse(&at).map_err(|e| corrupt("history time", e))?;
        history.push(HistoryEntry { step, at });
    }
    history.sort_by_key(|entry| entry.step);
    order.history = history;
    Ok(order)
}

fn insert_step(connection: &Connection, order_id: &OrderId, step: Step, at: Timestamp) -> Result<bool, StoreError> {
    let inserted = connection
        .prepare_cached(
            "INSERT OR IGNORE INTO order_steps (order_id, step, at) \
             SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = ?1)",
        )?
        .execute(params![order_id.as_str(), step.as_str(), at.to_string()])?;
    Ok(inserted == 1)
}

/// Marks the event an order owes the stream on entering `status`, if that status announces one.
fn mark_pending(connection: &Connection, order_id: &OrderId, status: Status, at: Timestamp) -> Result<(), StoreError> {
    if let Some(kind) = EventKind::announcing(status) {
        connection
            .prepare_cached("INSERT OR IGNORE INTO outbox (order_id, kind, marked_ms) VALUES (?1, ?2, ?3)")?
            .execute(params![order_id.as_str(), kind.as_str(), at.unix_millis()])?;
    }
    Ok(())
}

/// Takes `quantity` cakes from `day` if at most `capacity` are then booked; whether it did.
fn take_from_day(connection: &Connection, day: Day, quantity: u32, capacity: u32) -> Result<bool, StoreError> {
    // `WHERE true` keeps SQLite from reading `ON CONFLICT` as part of the SELECT's join.
    let taken = connection
        .prepare_cached(
            "INSERT INTO booked_days (day, booked) SELECT ?1, ?2 WHERE ?2 <= ?3 AND true \
             ON CONFLICT (day) DO UPDATE SET booked = booked + excluded.booked \
             WHERE booked + excluded.booked <= ?3",
        )?
        .execute(params![day.to_string(), quantity, capacity])?;
    Ok(taken == 1)
}

/// Gives `quantity` cakes back to `day`.
fn give_back_to_day(connection: &Connection, day: Day, quantity: u32) -> Result<(), StoreError> {
    connection
        .prepare_cached("UPDATE booked_days SET booked = max(booked - ?2, 0) WHERE day = ?1")?
        .execute(params![day.to_string(), quantity])?;
    Ok(())
}

/// Cakes booked on `day`.
fn booked_on(connection: &Connection, day: Day) -> Result<u32, StoreError> {
    let booked: Option<i64> = connection
        .prepare_cached("SELECT booked FROM booked_days WHERE day = ?1")?
        .query_row([day.to_string()], |row| row.get(0))
        .optional()?;
    u32::try_from(booked.unwrap_or(0)).map_err(|e| corrupt("booked count", e))
}

fn port_error(operation: &'static str) -> impl FnOnce(StoreError) -> PortError {
    move |error| PortError::new(operation, error)
}

impl OrderRepository for LocalOrders {
    async fn create(&self, order: &Order, day_capacity: u32) -> Result<CreateOutcome, PortError> {
        let mut order = order.clone();
        // The document leaves the history out: its steps are rows of their own.
        let history = std::mem::take(&mut order.history);
        let document =
            serde_json::to_string(&order).map_err(|e| port_error("storing an order")(corrupt("order", e)))?;
        self.store
            .write(move |transaction| {
                // One writer runs this transaction at a time, so nothing comes between the
                // writes and their checks. The order goes in first: an id already taken is rare
                // and found by the insert itself, so the common path reads nothing.
                let inserted = transaction
                    .prepare_cached(
                        "INSERT INTO orders (order_id, status, document, created_ms) VALUES (?1, ?2, ?3, ?4) \
                         ON CONFLICT (order_id) DO NOTHING",
                    )?
                    .execute(params![
                        order.order_id.as_str(),
                        order.status.as_str(),
                        document,
                        order.created_at.unix_millis()
                    ])?;
                if inserted == 0 {
                    let existing = read(transaction, &order.order_id)?.ok_or_else(|| corrupt("order", "vanished"))?;
                    return Ok(CreateOutcome::AlreadyExists(Box::new(existing)));
                }
                // An order stored already cancelled holds no cakes. A full day takes the order
                // back out, so a refusal leaves nothing written.
                let takes_cakes = order.status != Status::Cancelled;
                if takes_cakes && !take_from_day(transaction, order.delivery_date, order.quantity, day_capacity)? {
                    transaction
                        .prepare_cached("DELETE FROM orders WHERE order_id = ?1")?
                        .execute([order.order_id.as_str()])?;
                    let booked = booked_on(transaction, order.delivery_date)?;
                    return Ok(CreateOutcome::DayFull { booked });
                }
                for entry in &history {
                    insert_step(transaction, &order.order_id, entry.step, entry.at)?;
                }
                mark_pending(transaction, &order.order_id, order.status, order.created_at)?;
                Ok(CreateOutcome::Created)
            })
            .await
            .map_err(port_error("storing an order"))
    }

    async fn get(&self, order_id: &OrderId) -> Result<Option<Order>, PortError> {
        self.store
            .read(|connection| read(connection, order_id))
            .map_err(port_error("reading an order"))
    }

    async fn transition(
        &self,
        order_id: &OrderId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        let order_id = order_id.clone();
        self.store
            .write(move |transaction| {
                let legal = from.transition_to(to).is_ok();
                let moved = legal
                    && transaction
                        .prepare_cached("UPDATE orders SET status = ?3 WHERE order_id = ?1 AND status = ?2")?
                        .execute(params![order_id.as_str(), from.as_str(), to.as_str()])?
                        == 1;
                if moved {
                    insert_step(transaction, &order_id, to.entry_step(), at)?;
                    mark_pending(transaction, &order_id, to, at)?;
                }
                Ok(match read(transaction, &order_id)? {
                    None => TransitionOutcome::NotFound,
                    Some(order) if moved => TransitionOutcome::Applied(Box::new(order)),
                    Some(order) => TransitionOutcome::Conflict(Box::new(order)),
                })
            })
            .await
            .map_err(port_error("updating an order"))
    }

    async fn cancel(
        &self,
        placed: &Order,
        cancellation: &Cancellation,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        let order_id = placed.order_id.clone();
        let cancellation = serde_json::to_string(cancellation)
            .map_err(|e| port_error("cancelling an order")(corrupt("cancellation", e)))?;
        self.store
            .write(move |transaction| {
                let cancelled = transaction
                    .prepare_cached(
                        "UPDATE orders SET status = ?3, document = json_set(document, '$.cancellation', json(?4)) \
                         WHERE order_id = ?1 AND status = ?2",
                    )?
                    .execute(params![
                        order_id.as_str(),
                        Status::Placed.as_str(),
                        Status::Cancelled.as_str(),
                        cancellation
                    ])?
                    == 1;
                let Some(order) = read(transaction, &order_id)? else {
                    return Ok(TransitionOutcome::NotFound);
                };
                if !cancelled {
                    return Ok(TransitionOutcome::Conflict(Box::new(order)));
                }
                insert_step(transaction, &order_id, Status::Cancelled.entry_step(), at)?;
                mark_pending(transaction, &order_id, Status::Cancelled, at)?;
                // The stored order's day and quantity, which are the ones it took.
                give_back_to_day(transaction, order.delivery_date, order.quantity)?;
                let order = read(transaction, &order_id)?.ok_or_else(|| corrupt("order", "vanished"))?;
                Ok(TransitionOutcome::Applied(Box::new(order)))
            })
            .await
            .map_err(port_error("cancelling an order"))
    }

    async fn record_step(&self, order_id: &OrderId, step: Step, at: Timestamp) -> Result<StepOutcome, PortError> {
        let order_id = order_id.clone();
        self.store
            .write(move |transaction| {
                let recorded = insert_step(transaction, &order_id, step, at)?;
                Ok(match read(transaction, &order_id)? {
                    None => StepOutcome::NotFound,
                    Some(order) if recorded => StepOutcome::Recorded(Box::new(order)),
                    Some(order) => StepOutcome::AlreadyRecorded(Box::new(order)),
                })
            })
            .await
            .map_err(port_error("updating an order"))
    }

    async fn list_by_status(
        &self,
        status: Status,
        limit: usize,
        after: Option<&StatusCursor>,
    ) -> Result<StatusPage, PortError> {
        self.store
            .read(|connection| by_status::page(connection, status, limit, after))
            .map_err(port_error("listing orders by status"))
    }
}

impl Outbox for LocalOrders {
    async fn pending(&self, marked_before: Timestamp, limit: usize) -> Result<Vec<PendingEvents>, PortError> {
        // Through the writer, after the marks `mark_published` has queued but not committed.
        self.store
            .write(move |connection| {
                // The outbox holds only unpublished events, so grouping it stays cheap.
                let mut statement = connection.prepare_cached(
                    "SELECT order_id, MIN(marked_ms) AS since, group_concat(kind) FROM outbox \
                     GROUP BY order_id HAVING since < ?1 ORDER BY since LIMIT ?2",
                )?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let rows = statement.query_map(params![marked_before.unix_millis(), limit], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })?;
                let mut pending = Vec::new();
                for row in rows {
                    let (order_id, since, kinds) = row?;
                    pending.push(PendingEvents {
                        order_id: OrderId::parse(&order_id).map_err(|e| corrupt("outbox order id", e))?,
                        kinds: kinds
                            .split(',')
                            .map(|kind| {
                                EventKind::parse(kind).ok_or_else(|| corrupt("outbox event kind", kind.to_owned()))
                            })
                            .collect::<Result<_, _>>()?,
                        since: Timestamp::from_unix_millis(since)
                            .ok_or_else(|| corrupt("outbox time", since.to_string()))?,
                    });
                }
                Ok(pending)
            })
            .await
            .map_err(port_error("listing unpublished events"))
    }

    /// Queued without waiting for its commit: a mark lost in a crash only makes the relay
    /// publish the event once more, which consumers drop, and `pending` is queued behind it.
    async fn mark_published(&self, order_id: &OrderId, kind: EventKind) -> Result<(), PortError> {
        let order_id = order_id.clone();
        self.store
            .write_detached("clearing a published event's outbox mark", move |connection| {
                connection
                    .prepare_cached("DELETE FROM outbox WHERE order_id = ?1 AND kind = ?2")?
                    .execute(params![order_id.as_str(), kind.as_str()])?;
                Ok(())
            })
            .map_err(port_error("clearing a published event"))
    }
}
