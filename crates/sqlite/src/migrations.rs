//! Changes to the tables of stores made by older versions, applied on open: a data directory
//! keeps working across upgrades. `CREATE TABLE IF NOT EXISTS` leaves an existing table as it
//! was, so a new column is added here, once, after checking that it is missing.

use super::{StoreError, corrupt};
use cakeshop_domain::Timestamp;
use rusqlite::{Connection, params};

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

/// Orders stored before the catalogue was data named their product by a slug and had no
/// delivery day: they get the sample catalogue's number for the slug and their creation day.
pub fn number_products_and_date_orders(connection: &mut Connection) -> Result<(), StoreError> {
    const SLUGS: [(&str, u32); 6] = [
        ("chocolate-fudge", 1),
        ("lemon-drizzle", 2),
        ("red-velvet", 3),
        ("carrot-walnut", 4),
        ("victoria-sponge", 5),
        ("black-forest", 6),
    ];
    let transaction = connection.transaction()?;
    let rows = transaction
        .prepare("SELECT order_id, json_extract(document, '$.productId'), json_extract(document, '$.createdAt') FROM orders WHERE json_type(document, '$.productId') = 'text'")?
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (order_id, slug, created_at) in rows {
        let id = SLUGS
            .iter()
            .find(|(known, _)| *known == slug)
            .map(|(_, id)| *id)
            .ok_or_else(|| corrupt("an old order's product", slug.clone()))?;
        let day = created_at
            .get(..10)
            .ok_or_else(|| corrupt("an old order's creation time", created_at.clone()))?;
        transaction.execute(
            "UPDATE orders SET document = json_set(document, '$.productId', ?2, '$.deliveryDate', ?3) WHERE order_id = ?1",
            params![order_id, id, day],
        )?;
    }
    transaction.commit()?;
    Ok(())
}
