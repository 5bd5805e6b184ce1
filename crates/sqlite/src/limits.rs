//! The client limits (`cakeshop_ports::Limiter`) on the same store as the orders: a row of
//! `limit_counters` per window's counter. A use reads every window's count and, only if all
//! have room, counts it in each, in one write of the store's one writer, so no window is
//! counted past its `max` however many requests race, and a refused use writes nothing. Counters whose
//! window has ended are deleted by `forget_ended_windows`, which `cakeshop dev` runs now and
//! then.

use crate::error::StoreError;
use crate::orders::LocalOrders;
use crate::store::Store;
use cakeshop_domain::Timestamp;
use cakeshop_ports::limits::Counter;
use cakeshop_ports::{Limiter, PortError};
use rusqlite::{Connection, OptionalExtension, params};

fn count(connection: &Connection, counter: &Counter) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO limit_counters (key, hits, expires_at) VALUES (?1, 1, ?2)
             ON CONFLICT (key) DO UPDATE SET hits = hits + 1",
        )?
        .execute(params![counter.key, counter.expires_at])?;
    Ok(())
}

/// The counters among `counters` that have no room left.
fn full(connection: &Connection, counters: &[Counter]) -> Result<Vec<Counter>, StoreError> {
    let mut full = Vec::new();
    for counter in counters {
        if hits(connection, counter)? >= counter.window.max {
            full.push(counter.clone());
        }
    }
    Ok(full)
}

fn hits(connection: &Connection, counter: &Counter) -> Result<u32, StoreError> {
    let hits: Option<u32> = connection
        .prepare_cached("SELECT hits FROM limit_counters WHERE key = ?1")?
        .query_row([&counter.key], |row| row.get(0))
        .optional()?;
    Ok(hits.unwrap_or(0))
}

impl Limiter for LocalOrders {
    async fn count(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        self.store
            .write(move |connection| {
                let full = full(connection, &counters)?;
                if full.is_empty() {
                    for counter in &counters {
                        count(connection, counter)?;
                    }
                }
                Ok(full)
            })
            .await
            .map_err(|error| PortError::new("counting a use of a client limit", error))
    }

    async fn full(&self, counters: Vec<Counter>) -> Result<Vec<Counter>, PortError> {
        self.store
            .read(|connection| full(connection, &counters))
            .map_err(|error| PortError::new("reading a client limit", error))
    }

    async fn uncount(&self, counters: Vec<Counter>) -> Result<(), PortError> {
        self.store
            .write(move |connection| {
                let mut statement = connection
                    .prepare_cached("UPDATE limit_counters SET hits = hits - 1 WHERE key = ?1 AND hits > 0")?;
                for counter in counters {
                    statement.execute([&counter.key])?;
                }
                Ok(())
            })
            .await
            .map_err(|error| PortError::new("giving back a use of a client limit", error))
    }
}

/// Deletes the counters of windows that ended by `now`; how many.
pub async fn forget_ended_windows(store: &Store, now: Timestamp) -> Result<usize, StoreError> {
    let ended = now.unix_seconds();
    store
        .write(move |connection| {
            Ok(connection
                .prepare_cached("DELETE FROM limit_counters WHERE expires_at <= ?1")?
                .execute([ended])?)
        })
        .await
}
