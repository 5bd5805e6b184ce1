//! The shop's rules and each day's booked count (`cakeshop_ports::Bakery`) on the same store as
//! the orders: `shop_settings` holds the catalogue, the capacity settings and the shop's status
//! as versioned JSON rows, `booked_days` the cakes taken per day (written by `orders`).
//!
//! Every order checks the rules, and they change only when the baker saves one, so they are
//! read from the store once and kept (`RulesCache`) until a save: an order then costs no read
//! of its own. Every save goes through this process (one process per store), so the kept copy
//! is never older than the last save acknowledged.

use crate::error::{StoreError, corrupt};
use crate::orders::LocalOrders;
use crate::schema::CATALOGUE;
use cakeshop_domain::{CapacitySettings, Catalogue, Day, ShopStatus};
use cakeshop_ports::{Bakery, MAX_DAYS_READ, PortError, Saved, ShopRules, Versioned};
use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

const CAPACITY: &str = "capacity";
const SHOP: &str = "shop";

/// A setting as read: the stored one, or the default at version 0.
fn setting<T: DeserializeOwned + Default>(
    stored: Option<(i64, String)>,
    what: &'static str,
) -> Result<Versioned<T>, StoreError> {
    match stored {
        None => Ok(Versioned {
            value: T::default(),
            version: 0,
        }),
        Some((version, document)) => Ok(Versioned {
            value: serde_json::from_str(&document).map_err(|e| corrupt(what, e))?,
            version: u64::try_from(version).map_err(|e| corrupt(what, e))?,
        }),
    }
}

/// Every setting in one statement.
fn read_rules(connection: &Connection) -> Result<ShopRules, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT name, version, document FROM shop_settings WHERE name IN (?1, ?2, ?3)")?;
    let rows = statement.query_map(params![CATALOGUE, CAPACITY, SHOP], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    let (mut catalogue, mut capacity, mut shop) = (None, None, None);
    for row in rows {
        let (name, version, document) = row?;
        let slot = match name.as_str() {
            CATALOGUE => &mut catalogue,
            CAPACITY => &mut capacity,
            _ => &mut shop,
        };
        *slot = Some((version, document));
    }
    Ok(ShopRules {
        // No catalogue stored (only if someone deleted it): the sample, as a new shop has.
        catalogue: match catalogue {
            None => Versioned {
                value: Catalogue::sample(),
                version: 0,
            },
            stored => setting(stored, "catalogue")?,
        },
        capacity: setting::<CapacitySettings>(capacity, "capacity settings")?,
        shop: setting::<ShopStatus>(shop, "shop status")?,
    })
}

/// The booked count of each of `days` days from `from`, by one range read of `booked_days`.
fn read_booked(connection: &Connection, from: Day, days: u16) -> Result<Vec<u32>, StoreError> {
    let mut counts = vec![0u32; usize::from(days)];
    if days == 0 {
        return Ok(counts);
    }
    let last = from.plus_days(i64::from(days) - 1);
    let mut statement = connection.prepare_cached("SELECT day, booked FROM booked_days WHERE day BETWEEN ?1 AND ?2")?;
    let rows = statement.query_map(params![from.to_string(), last.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (day, booked) = row?;
        let day = Day::parse(&day).map_err(|e| corrupt("booked day", e))?;
        let booked = u32::try_from(booked).map_err(|e| corrupt("booked count", e))?;
        // Text order is day order for the four-digit years `Day` writes; a stray row elsewhere
        // (a year before 1000) is not one of the days asked for.
        let slot = usize::try_from(from.days_until(day))
            .ok()
            .and_then(|offset| counts.get_mut(offset));
        if let Some(slot) = slot {
            *slot = booked;
        }
    }
    Ok(counts)
}

/// Replaces setting `name` if it is still at `expected` (0: none stored), in one conditional
/// statement.
fn save(connection: &Connection, name: &'static str, document: &str, expected: u64) -> Result<Saved, StoreError> {
    if expected == 0 {
        let inserted = connection
            .prepare_cached(
                "INSERT INTO shop_settings (name, version, document) VALUES (?1, 1, ?2) ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![name, document])?;
        return Ok(if inserted == 1 {
            Saved::Stored { version: 1 }
        } else {
            Saved::Stale
        });
    }
    // A version no store ever reached cannot be the stored one.
    let Ok(stored) = i64::try_from(expected) else {
        return Ok(Saved::Stale);
    };
    let updated = connection
        .prepare_cached(
            "UPDATE shop_settings SET version = version + 1, document = ?2 WHERE name = ?1 AND version = ?3",
        )?
        .execute(params![name, document, stored])?;
    Ok(if updated == 1 {
        Saved::Stored { version: expected + 1 }
    } else {
        Saved::Stale
    })
}

#[derive(Debug, thiserror::Error)]
#[error("at most {MAX_DAYS_READ} days are read at once, not {0}")]
struct TooManyDays(u16);

impl LocalOrders {
    async fn save_setting(
        &self,
        name: &'static str,
        what: &'static str,
        value: &impl Serialize,
        expected: u64,
    ) -> Result<Saved, PortError> {
        let operation = "saving the shop's settings";
        let document = serde_json::to_string(value).map_err(|e| PortError::new(operation, corrupt(what, e)))?;
        // Forgotten once the save is committed and before the baker hears back, so every order
        // placed after that sees it.
        let cache = Arc::clone(self.store.rules_cache());
        self.store
            .write_then(
                move |connection| save(connection, name, &document, expected),
                move || cache.forget(),
            )
            .await
            .map_err(|error| PortError::new(operation, error))
    }
}

impl Bakery for LocalOrders {
    async fn rules(&self) -> Result<Arc<ShopRules>, PortError> {
        let cache = self.store.rules_cache();
        if let Some(rules) = cache.get() {
            return Ok(rules);
        }
        let saves = cache.saves();
        let rules = self
            .store
            .read(read_rules)
            .map_err(|error| PortError::new("reading the shop's settings", error))?;
        let rules = Arc::new(rules);
        cache.keep(&rules, saves);
        Ok(rules)
    }

    async fn booked(&self, from: Day, days: u16) -> Result<Vec<u32>, PortError> {
        let operation = "reading the booked days";
        if days > MAX_DAYS_READ {
            return Err(PortError::new(operation, TooManyDays(days)));
        }
        self.store
            .read(|connection| read_booked(connection, from, days))
            .map_err(|error| PortError::new(operation, error))
    }

    async fn save_catalogue(&self, catalogue: &Catalogue, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(CATALOGUE, "catalogue", catalogue, expected).await
    }

    async fn save_capacity(&self, settings: &CapacitySettings, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(CAPACITY, "capacity settings", settings, expected)
            .await
    }

    async fn save_shop(&self, status: &ShopStatus, expected: u64) -> Result<Saved, PortError> {
        self.save_setting(SHOP, "shop status", status, expected).await
    }
}
