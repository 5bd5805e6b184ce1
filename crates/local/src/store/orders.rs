//! The orders table: conditional writes as single SQL statements whose `WHERE` is the condition,
//! the way DynamoDB's condition expressions work — never a read deciding a later write.

use super::{Store, StoreError, corrupt};
use cakeshop_domain::{HistoryEntry, Order, OrderId, Status, Step, Timestamp};
use cakeshop_ports::{CreateOutcome, OrderRepository, PortError, StepOutcome, TransitionOutcome};
use rusqlite::{Connection, OptionalExtension, params};

/// The local implementation of the order repository.
#[derive(Clone)]
pub struct LocalOrders {
    store: Store,
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
    let Some((status, document)) = row else {
        return Ok(None);
    };
    let mut order: Order = serde_json::from_str(&document).map_err(|e| corrupt("order", e))?;
    order.status = Status::parse(&status).ok_or_else(|| corrupt("order status", status.clone()))?;
    let mut statement = connection.prepare_cached("SELECT step, at FROM order_steps WHERE order_id = ?1")?;
    let rows = statement.query_map([order_id.as_str()], |row| {
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
    Ok(Some(order))
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

fn port_error(operation: &'static str) -> impl FnOnce(StoreError) -> PortError {
    move |error| PortError::new(operation, error)
}

impl OrderRepository for LocalOrders {
    async fn create(&self, order: &Order) -> Result<CreateOutcome, PortError> {
        self.store
            .with(|connection| {
                let transaction = connection.transaction()?;
                let mut document = order.clone();
                document.history.clear();
                let document = serde_json::to_string(&document).map_err(|e| corrupt("order", e))?;
                let inserted = transaction
                    .prepare_cached(
                        "INSERT INTO orders (order_id, status, document) VALUES (?1, ?2, ?3) \
                         ON CONFLICT (order_id) DO NOTHING",
                    )?
                    .execute(params![order.order_id.as_str(), order.status.as_str(), document])?;
                if inserted == 0 {
                    let existing = read(&transaction, &order.order_id)?.ok_or_else(|| corrupt("order", "vanished"))?;
                    return Ok(CreateOutcome::AlreadyExists(Box::new(existing)));
                }
                for entry in &order.history {
                    insert_step(&transaction, &order.order_id, entry.step, entry.at)?;
                }
                transaction.commit()?;
                Ok(CreateOutcome::Created)
            })
            .map_err(port_error("storing an order"))
    }

    async fn get(&self, order_id: &OrderId) -> Result<Option<Order>, PortError> {
        self.store
            .with(|connection| read(connection, order_id))
            .map_err(port_error("reading an order"))
    }

    async fn transition(
        &self,
        order_id: &OrderId,
        from: Status,
        to: Status,
        at: Timestamp,
    ) -> Result<TransitionOutcome, PortError> {
        self.store
            .with(|connection| {
                let transaction = connection.transaction()?;
                let legal = from.transition_to(to).is_ok();
                let moved = legal
                    && transaction
                        .prepare_cached("UPDATE orders SET status = ?3 WHERE order_id = ?1 AND status = ?2")?
                        .execute(params![order_id.as_str(), from.as_str(), to.as_str()])?
                        == 1;
                if moved {
                    insert_step(&transaction, order_id, to.entry_step(), at)?;
                }
                let current = read(&transaction, order_id)?;
                transaction.commit()?;
                Ok(match current {
                    None => TransitionOutcome::NotFound,
                    Some(order) if moved => TransitionOutcome::Applied(Box::new(order)),
                    Some(order) => TransitionOutcome::Conflict(Box::new(order)),
                })
            })
            .map_err(port_error("updating an order"))
    }

    async fn record_step(&self, order_id: &OrderId, step: Step, at: Timestamp) -> Result<StepOutcome, PortError> {
        self.store
            .with(|connection| {
                let transaction = connection.transaction()?;
                let recorded = insert_step(&transaction, order_id, step, at)?;
                let current = read(&transaction, order_id)?;
                transaction.commit()?;
                Ok(match current {
                    None => StepOutcome::NotFound,
                    Some(order) if recorded => StepOutcome::Recorded(Box::new(order)),
                    Some(order) => StepOutcome::AlreadyRecorded(Box::new(order)),
                })
            })
            .map_err(port_error("updating an order"))
    }
}
