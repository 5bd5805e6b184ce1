//! The shop's rules in the embedded store: one `shop_settings` row per setting (the domain value
//! as JSON, and its version), and `booked_days`, the cakes each day has taken — changed only in
//! the transactions that store or cancel an order (`orders`).

use super::{StoreError, corrupt};
use crate::orders::LocalOrders;
use cakeshop_domain::{CapacitySettings, Catalogue, Day, ShopStatus};
use cakeshop_ports::{Bakery, MAX_DAYS_READ, PortError, Saved, ShopRules, Versioned};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

const CATALOGUE: &str = "catalogue";
const CAPACITY: &str = "capacity";
const SHOP: &str = "shop";

/// Stores the sample catalogue in a store that has none (a new shop), at version 1.
pub fn stock_sample_catalogue(connection: &Connection) -> Result<(), StoreError> {
    let document = serde_json::to_string(&Catalogue::sample()).map_err(|e| corrupt("catalogue", e))?;
    connection.execute(
        "INSERT INTO shop_settings (name, version, document) VALUES (?1, 1, ?2) ON CONFLICT (name) DO NOTHING",
        params![CATALOGUE, document],
    )?;
    Ok(())
}

/// The setting `name`, or its default at version 0 when none is stored.
fn setting<T: DeserializeOwned + Default>(connection: &Connection, name: &str) -> Result<Versioned<T>, StoreError> {
    let row: Option<(i64, String)> = connection
        .prepare_cached("SELECT version, document FROM shop_settings WHERE name = ?1")?
        .query_row([name], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match row {
        None => Ok(Versioned {
            value: T::default(),
            version: 0,
        }),
        Some((version, document)) => Ok(Versioned {
            value: serde_json::from_str(&document).map_err(|e| corrupt("shop setting", e))?,
            version: u64::try_from(version).map_err(|e| corrupt("shop setting version", e))?,
        }),
    }
}

/// Replaces `name` if it is still at `expected` (0: not stored yet).
fn save(connection: &Connection, name: &str, document: &str, expected: u64) -> Result<Saved, StoreError> {
    let expected = i64::try_from(expected).map_err(|e| corrupt("shop setting version", e))?;
    let changed = if expected == 0 {
        connection
            .prepare_cached(
                "INSERT INTO shop_settings (name, version, document) VALUES (?1, 1, ?2) ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![name, document])?
    } else {
        connection
            .prepare_cached(
                "UPDATE shop_settings SET version = version + 1, document = ?2 WHERE name = ?1 AND version = ?3",
            )?
            .execute(params![name, document, expected])?
    };
    Ok(if changed == 1 {
        Saved::Stored {
            version: expected.unsigned_abs() + 1,
        }
    } else {
        Saved::Stale
    })
}

fn port_error(operation: &'static str) -> impl FnOnce(StoreError) -> PortError {
    move |error| PortError::new(operation, error)
}

impl LocalOrders {
    async fn save_setting<T: Serialize>(
        &self,
        name: &'static str,
        value: &T,
        expected: u64,
    ) -> Result<Saved, PortError> {
        let document = serde_json::to_string(value)
            .map_err(|e| port_error("saving a shop setting")(corrupt("shop setting", e)))?;
        self.store()
            .write(move |connection| save(connection, name, &document, expected))
            .await
            .map_err(port_error("saving a shop setting"))
    }
}

/// The cakes booked on each of `days` days from `from`.
pub(crate) fn booked(connection: &Connection, from: Day, days: u16) -> Result<Vec<u32>, StoreError> {
    let last = from.plus_days(i64::from(days) - 1);
    let mut counts = vec![0; usize::from(days)];
    let mut statement =
        connection.prepare_cached("SELECT day, booked FROM booked_days WHERE day >= ?1 AND day <= ?2")?;
    let rows = statement.query_map(params![from.to_string(), last.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (day, count) = row?;
        let day = Day::parse(&day).map_err(|e| corrupt("booked day", e))?;
        let offset = usize::try_from(from.days_until(day)).map_err(|e| corrupt("booked day", e))?;
        if let Some(slot) = counts.get_mut(offset) {
            *slot = u32::try_from(count).map_err(|e| corrupt("booked count", e))?;
        }
    }
    Ok(counts)
}

impl Bakery for LocalOrders {
    async fn rules(&self) -> Result<ShopRules, PortError> {
        self.store()
            .read(|connection| {
                Ok(ShopRules {
                    catalogue: match setting::<Catalogue>(connection, CATALOGUE)? {
                        Versioned { version: 0, .. } => Versioned {
                            value: Catalogue::sample(),
                            version: 0,
                        },
                        stored => stored,
                    },
                    capacity: setting::<CapacitySettings>(connection, CAPACITY)?,
                    shop: setting::<ShopStatus>(connection, SHOP)?,
                })
            })
            .map_err(port_error("reading the shop's rules"))
    }

    async fn booked(&self, from: Day, days: u16) -> Result<Vec<u32>, PortError> {
        let days = days.min(MAX_DAYS_READ);
        self.store()
            .read(|connection| booked(connection, from, days))
            .map_err(port_error("reading the days' booked cakes"))
    }

    async fn save_catalogue(&self, catalogue: &Catalogue, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(CATALOGUE, catalogue, expected).await
    }

    async fn save_capacity(&self, settings: &CapacitySettings, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(CAPACITY, settings, expected).await
    }

    async fn save_shop(&self, status: &ShopStatus, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(SHOP, status, expected).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn a_new_store_is_stocked_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), 1).expect("open");
        let first = store.read(|c| setting::<Catalogue>(c, CATALOGUE)).expect("read");
        assert_eq!((first.value, first.version), (Catalogue::sample(), 1));
        drop(store);
        let store = Store::open(dir.path(), 1).expect("reopen");
        assert_eq!(
            store
                .read(|c| setting::<Catalogue>(c, CATALOGUE))
                .expect("read")
                .version,
            1
        );
    }
}
