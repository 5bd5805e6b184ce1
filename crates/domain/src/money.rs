//! Money in integer cents: never a float anywhere near a price.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in cents (euro cents; the shop has one currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(pub u64);

impl Cents {
    /// `self × quantity`, or `None` when it would not fit.
    pub fn times(self, quantity: u32) -> Option<Cents> {
        self.0.checked_mul(u64::from(quantity)).map(Cents)
    }
}

impl fmt::Display for Cents {
    /// Human form for emails and pages: `€34.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "€{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplies_exactly_and_refuses_overflow() {
        assert_eq!(Cents(3450).times(3), Some(Cents(10350)));
        assert_eq!(Cents(u64::MAX).times(2), None);
    }

    #[test]
    fn displays_euros_and_cents() {
        assert_eq!(Cents(3450).to_string(), "€34.50");
        assert_eq!(Cents(5).to_string(), "€0.05");
        assert_eq!(Cents(100_000).to_string(), "€1000.00");
    }
}
