//! Listing orders by status: a range read of the index `orders_by_status`
//! (status, created_ms, order_id), so a page costs the same however many orders are stored.

use super::decode;
use crate::error::StoreError;
use cakeshop_domain::Status;
use cakeshop_ports::{StatusCursor, StatusPage};
use rusqlite::{Connection, params};

pub fn page(
    connection: &Connection,
    status: Status,
    limit: usize,
    after: Option<&StatusCursor>,
) -> Result<StatusPage, StoreError> {
    // One more than asked for, to know whether a next page exists.
    let wanted = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    // Without a cursor, start before any order: the smallest time and the empty id.
    let (after_ms, after_id) = match after {
        Some(cursor) => (cursor.created_at.unix_millis(), cursor.order_id.as_str()),
        None => (i64::MIN, ""),
    };
    let mut statement = connection.prepare_cached(
        "SELECT status, document FROM orders \
         WHERE status = ?1 AND (created_ms, order_id) > (?2, ?3) \
         ORDER BY created_ms, order_id LIMIT ?4",
    )?;
    let rows = statement
        .query_map(params![status.as_str(), after_ms, after_id, wanted], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let orders = rows
        .iter()
        .map(|(status, document)| decode(connection, status, document))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StatusPage::from_one_more_than(orders, limit))
}
