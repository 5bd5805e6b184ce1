//! Changes to the tables of stores made by older versions, applied on open: a data directory
//! keeps working across upgrades. `CREATE TABLE IF NOT EXISTS` leaves an existing table as it
//! was, so a new column is added here, once, after checking that it is missing.

use crate::error::{StoreError, corrupt};
use cakeshop_domain::{Day, Status, Timestamp};
use rusqlite::{Connection, params};
use serde_json::Value;

/// Gives every order its `created_ms` (read from its document) and indexes orders by
/// (status, created_ms, order_id), which `list_by_status` reads.
pub fn index_orders_by_status(connection: &mut Connection) -> Result<(), StoreError> {
    if !has_column(connection, "orders", "created_ms")? {
        let transaction = connection.transaction()?;
        transaction.execute_batch("ALTER TABLE orders ADD COLUMN created_ms INTEGER")?;
        backfill_created_ms(&transaction)?;
        transaction.commit()?;
    }
    connection.execute_batch("CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, created_ms, order_id)")?;
    Ok(())
}

/// Queue messages carry their trace context (`traceparent`); older ones have none.
pub fn queue_messages_with_traceparent(connection: &mut Connection) -> Result<(), StoreError> {
    if !has_column(connection, "queue_messages", "traceparent")? {
        connection.execute_batch("ALTER TABLE queue_messages ADD COLUMN traceparent TEXT")?;
    }
    Ok(())
}

fn has_column(connection: &Connection, table: &str, column: &str) -> Result<bool, StoreError> {
    let mut statement = connection.prepare("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2")?;
    Ok(statement.exists(params![table, column])?)
}

/// In Rust rather than with SQLite's date functions, which go through floating-point days and
/// can be a millisecond off.
fn backfill_created_ms(connection: &Connection) -> Result<(), StoreError> {
    let mut select = connection
        .prepare("SELECT order_id, json_extract(document, '$.createdAt') FROM orders WHERE created_ms IS NULL")?;
    let mut update = connection.prepare("UPDATE orders SET created_ms = ?2 WHERE order_id = ?1")?;
    // Read first, then write: SQLite leaves undefined what a SELECT sees of rows changed under it.
    let rows = select
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (order_id, created_at) in rows {
        let created_at = Timestamp::parse(&created_at).map_err(|e| corrupt("order creation time", e))?;
        update.execute(params![order_id, created_at.unix_millis()])?;
    }
    Ok(())
}

/// The products of the catalogue that was fixed in code, by the text ids orders stored then,
/// in the order that gave them ids 1–6 when the catalogue became data (`Catalogue::sample`).
const TEXT_PRODUCT_IDS: [&str; 6] = [
    "chocolate-fudge",
    "lemon-drizzle",
    "red-velvet",
    "carrot-walnut",
    "victoria-sponge",
    "black-forest",
];

/// `PRAGMA user_version` once orders carry integer product ids and delivery days.
const ORDERS_WITH_DAYS: i64 = 1;

/// Orders stored before the catalogue was data name their product by text and have no delivery
/// day: each gets its integer id, the day after it was placed (next-day delivery, as the shop
/// worked then) and its cakes booked on that day. Once per store (`user_version`), so opening
/// a large store does not read every order again.
pub fn orders_with_catalogue_ids_and_days(connection: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version >= ORDERS_WITH_DAYS {
        return Ok(());
    }
    let transaction = connection.transaction()?;
    let rows = transaction
        .prepare("SELECT order_id, status, document FROM orders WHERE json_type(document, '$.productId') = 'text'")?
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    {
        let mut update = transaction.prepare("UPDATE orders SET document = ?2 WHERE order_id = ?1")?;
        let mut book = transaction.prepare(
            "INSERT INTO booked_days (day, booked) VALUES (?1, ?2) \
             ON CONFLICT (day) DO UPDATE SET booked = booked + excluded.booked",
        )?;
        for (order_id, status, document) in rows {
            let (document, day, quantity) = with_id_and_day(&document)?;
            update.execute(params![order_id, document])?;
            if status != Status::Cancelled.as_str() {
                book.execute(params![day.to_string(), quantity])?;
            }
        }
    }
    transaction.pragma_update(None, "user_version", ORDERS_WITH_DAYS)?;
    transaction.commit()?;
    Ok(())
}

/// An old order's document with its integer product id and delivery day, that day and its
/// quantity.
fn with_id_and_day(document: &str) -> Result<(String, Day, i64), StoreError> {
    let mut order: Value = serde_json::from_str(document).map_err(|e| corrupt("order", e))?;
    let fields = order.as_object_mut().ok_or_else(|| corrupt("order", "not an object"))?;
    let text_id = fields.get("productId").and_then(Value::as_str).unwrap_or_default();
    let product_id = TEXT_PRODUCT_IDS
        .iter()
        .position(|known| *known == text_id)
        .ok_or_else(|| corrupt("order's product", format!("unknown product {text_id:?}")))?
        + 1;
    let created_at = fields.get("createdAt").and_then(Value::as_str).unwrap_or_default();
    let created_at = Timestamp::parse(created_at).map_err(|e| corrupt("order creation time", e))?;
    let day = utc_day(created_at).plus_days(1);
    let quantity = fields
        .get("quantity")
        .and_then(Value::as_i64)
        .ok_or_else(|| corrupt("order quantity", "missing"))?;
    fields.insert("productId".into(), Value::from(product_id));
    fields.insert("deliveryDate".into(), Value::from(day.to_string()));
    let document = serde_json::to_string(&order).map_err(|e| corrupt("order", e))?;
    Ok((document, day, quantity))
}

/// The UTC day `at` falls on.
pub(crate) fn utc_day(at: Timestamp) -> Day {
    const MILLIS_A_DAY: i64 = 86_400_000;
    Day::from_ymd(1970, 1, 1)
        .unwrap_or_else(|| unreachable!("1970-01-01 is a day"))
        .plus_days(at.unix_millis().div_euclid(MILLIS_A_DAY))
}
