//! The shop's own rules, kept beside the orders: the catalogue, the daily capacity settings
//! and whether the shop is open, and each day's count of booked cakes (which `OrderRepository`
//! takes and gives back in the same write as the order).

use crate::error::PortError;
use cakeshop_domain::{CapacitySettings, Catalogue, Day, ShopStatus};
use std::future::Future;
use std::sync::Arc;

/// The most days `booked` reads at once.
pub const MAX_DAYS_READ: u16 = 100;

/// A stored setting and the version it was read at. Version 0: nothing is stored yet and the
/// value is the default (the sample catalogue, 20 cakes a day, open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// Everything placing an order checks, read at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRules {
    pub catalogue: Versioned<Catalogue>,
    pub capacity: Versioned<CapacitySettings>,
    pub shop: Versioned<ShopStatus>,
}

/// The outcome of a versioned save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Stored; this is its new version.
    Stored { version: u64 },
    /// Someone saved since `expected` was read: nothing was written; read again and retry.
    Stale,
}

/// Kept by the same store as the orders (their capacity counters live there).
pub trait Bakery: Send + Sync {
    /// The catalogue, capacity settings and shop status, each the default at version 0 when
    /// none is stored. One round trip, strongly consistent.
    fn rules(&self) -> impl Future<Output = Result<Arc<ShopRules>, PortError>> + Send;

    /// Cakes booked on each of the `days` days from `from` (0 for a day nothing was booked
    /// on), in day order; `days` is at most `MAX_DAYS_READ`.
    fn booked(&self, from: Day, days: u16) -> impl Future<Output = Result<Vec<u32>, PortError>> + Send;

    /// Stores the catalogue if the stored one is still at `expected` (0: none stored).
    fn save_catalogue(
        &self,
        catalogue: &Catalogue,
        expected: u64,
    ) -> impl Future<Output = Result<Saved, PortError>> + Send;

    fn save_capacity(
        &self,
        settings: &CapacitySettings,
        expected: u64,
    ) -> impl Future<Output = Result<Saved, PortError>> + Send;

    fn save_shop(&self, status: &ShopStatus, expected: u64) -> impl Future<Output = Result<Saved, PortError>> + Send;
}
